//! `cargo xtask` acts on the checkout it is invoked in, even when two checkouts share one
//! `CARGO_TARGET_DIR` (common on developer machines).
//!
//! cargo names and fingerprints a workspace package by its path *relative to the workspace*,
//! and judges freshness by modification times. So checkout B, whose xtask sources are no
//! newer than the binary checkout A built, runs A's binary as is: a root compiled into it
//! (`env!("CARGO_MANIFEST_DIR")`) would make `codegen --check` in B check A (and pass on B's
//! edited spec) and `codegen` in B write into A. The test builds exactly that situation from
//! two minimal copies of the workspace and drives them through cargo.
//!
//! It shares this workspace's own target directory, so xtask's dependencies are reused
//! (`--offline`, nothing is fetched) and only xtask itself compiles (a few seconds). They
//! are there once xtask has been built alone, by `cargo test -p xtask` or any `cargo xtask`
//! (CI's `cargo xtask ci` is one); a `cargo test --workspace` in a target directory where
//! that never happened builds them with other features (unified across the workspace), and
//! the first run of this test then compiles them for xtask alone, about a minute on 2 cores.
//! The copies' xtask gets another version and binary name than this workspace's, so its
//! artifacts sit beside ours instead of replacing them; between A and B they are shared,
//! which is the point.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use xtask::codegen::{GENERATED, SPEC, SPEC_30};

/// Files codegen reads or writes, plus the lock file (so `--offline` resolves the exact
/// versions already built). The workspace and xtask manifests are copied with edits, and
/// `xtask/src` whole.
const COPIED: &[&str] = &["Cargo.lock", SPEC, SPEC_30, GENERATED];

/// The version and binary name the copies' xtask gets (see the module docs).
const COPY_VERSION: &str = "0.0.0-shared-target-test";
const COPY_BIN: &str = "xtask-shared-target-test";

/// The spec edit B gets: its outputs become stale, A's stay up to date.
const EDIT_FROM: &str = "summary: Soft-delete a contact";
const EDIT_TO: &str = "summary: Soft-delete one contact";

/// Removes the scratch directory however the test ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn replace_once(text: &str, from: &str, to: &str, what: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "{what}: expected `{from}` exactly once; update this test to the new layout"
    );
    text.replacen(from, to, 1)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of what `cargo xtask codegen` needs: a workspace whose only member is xtask.
fn make_copy(root: &Path, dest: &Path) {
    for file in COPIED {
        let target = dest.join(file);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(root.join(file), &target)
            .unwrap_or_else(|e| panic!("copying {file} into the scratch workspace: {e}"));
    }
    copy_dir(&root.join("xtask/src"), &dest.join("xtask/src"));

    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members_line = manifest
        .lines()
        .find(|line| line.trim_start().starts_with("members"))
        .expect("the workspace manifest lists its members on one line");
    let manifest = replace_once(
        &manifest,
        members_line,
        r#"members = ["xtask"]"#,
        "Cargo.toml",
    );
    fs::write(dest.join("Cargo.toml"), manifest).unwrap();

    let xtask_manifest = fs::read_to_string(root.join("xtask/Cargo.toml")).unwrap();
    let xtask_manifest = replace_once(
        &xtask_manifest,
        "\nversion.workspace = true\n",
        &format!("\nversion = \"{COPY_VERSION}\"\n"),
        "xtask/Cargo.toml",
    );
    let xtask_manifest = format!(
        "{xtask_manifest}\n[lib]\nname = \"xtask\"\npath = \"src/lib.rs\"\n\n\
         [[bin]]\nname = \"{COPY_BIN}\"\npath = \"src/main.rs\"\n"
    );
    fs::write(dest.join("xtask/Cargo.toml"), xtask_manifest).unwrap();
}

/// `cargo run -p xtask -- ARGS` in `dir` (the `cargo xtask` alias without `--quiet`, so we
/// can see whether cargo compiled anything), with the shared target directory.
fn xtask(dir: &Path, target: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    Command::new(cargo)
        .args(["run", "--offline", "--package", "xtask", "--"])
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        // What cargo set for this test process must not leak into the nested runs.
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("CARGO_TARGET_TMPDIR")
        .output()
        .expect("cargo runs")
}

fn text(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn each_checkout_is_its_own_root_with_a_shared_target_dir() {
    let root = xtask::workspace_root().unwrap();
    // `<target>/tmp`: cargo's scratch space for integration tests, inside the target
    // directory this test was built in, which the copies share.
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp.parent().unwrap().to_path_buf();
    let scratch = Scratch(tmp.join(format!("shared-target-dir-{}", std::process::id())));
    let _ = fs::remove_dir_all(&scratch.0);
    let (a, b) = (scratch.0.join("a"), scratch.0.join("b"));
    // B is laid out before A builds, so B's sources are older than A's binary.
    make_copy(&root, &a);
    make_copy(&root, &b);
    let originals: Vec<(&str, String)> = [SPEC, SPEC_30, GENERATED]
        .into_iter()
        .map(|file| (file, read(&a, file)))
        .collect();

    let in_a = xtask(&a, &target, &["codegen", "--check"]);
    assert!(in_a.status.success(), "A is up to date:\n{}", text(&in_a));

    let spec = replace_once(&read(&b, SPEC), EDIT_FROM, EDIT_TO, SPEC);
    fs::write(b.join(SPEC), spec).unwrap();

    let check_b = xtask(&b, &target, &["codegen", "--check"]);
    let shown = text(&check_b);
    // The situation under test: cargo ran the binary A built instead of building B's.
    assert!(
        !String::from_utf8_lossy(&check_b.stderr).contains("Compiling xtask"),
        "cargo rebuilt xtask for B, so this test no longer reproduces a shared binary:\n{shown}"
    );
    assert!(
        !check_b.status.success(),
        "--check in B must fail on B's edited spec:\n{shown}"
    );
    for stale in [SPEC_30, GENERATED] {
        assert!(shown.contains(stale), "--check names {stale}:\n{shown}");
    }

    let generate_b = xtask(&b, &target, &["codegen"]);
    assert!(
        generate_b.status.success(),
        "codegen in B:\n{}",
        text(&generate_b)
    );
    for (file, original) in &originals {
        assert_eq!(&read(&a, file), original, "codegen in B changed A's {file}");
    }
    for file in [SPEC_30, GENERATED] {
        let regenerated = read(&b, file);
        assert_ne!(
            regenerated,
            read(&a, file),
            "codegen in B did not write B's {file}"
        );
        assert!(
            regenerated.contains("Soft-delete one contact"),
            "B's {file} comes from B's spec"
        );
    }
    let recheck_b = xtask(&b, &target, &["codegen", "--check"]);
    assert!(recheck_b.status.success(), "{}", text(&recheck_b));
}

/// Run by hand (no `CARGO_MANIFEST_DIR`), the binary finds the workspace above the current
/// directory, and says so clearly when there is none.
#[test]
fn without_cargo_the_root_comes_from_the_current_directory() {
    let root = xtask::workspace_root().unwrap();
    let binary = env!("CARGO_BIN_EXE_xtask");
    let inside = Command::new(binary)
        .args(["codegen", "--check"])
        .current_dir(root.join("openapi"))
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .unwrap();
    assert!(inside.status.success(), "{}", text(&inside));

    let outside = std::env::temp_dir().join(format!("xtask-no-workspace-{}", std::process::id()));
    fs::create_dir_all(&outside).unwrap();
    let _cleanup = Scratch(outside.clone());
    let lost = Command::new(binary)
        .args(["codegen", "--check"])
        .current_dir(&outside)
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .unwrap();
    let shown = text(&lost);
    assert!(!lost.status.success(), "{shown}");
    assert!(
        shown.contains("no Cargo workspace at or above"),
        "the error says what is missing:\n{shown}"
    );

    let misdirected = Command::new(binary)
        .args(["codegen", "--check"])
        .current_dir(&root)
        .env("CARGO_MANIFEST_DIR", &outside)
        .output()
        .unwrap();
    let shown = text(&misdirected);
    assert!(!misdirected.status.success(), "{shown}");
    assert!(
        shown.contains("CARGO_MANIFEST_DIR is set but"),
        "a wrong CARGO_MANIFEST_DIR is named, not silently bypassed:\n{shown}"
    );
}
