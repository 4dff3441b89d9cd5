//! `cargo xtask mutants [FILE...]`: mutation testing with cargo-mutants.
//!
//! The tool is pinned ([`VERSION`]) and installed on first use under the target directory
//! ([`install_dir`]), so nothing global is required and everyone mutates with the same
//! operators. How cargo-mutants runs (test packages, timeouts, exclusions) is configured in
//! `.cargo/mutants.toml`, which a plain `cargo mutants` reads too; this module only chooses
//! the files and installs the tool.

use std::path::{Path, PathBuf};

/// The cargo-mutants release we run. Its mutation operators change between releases, so a
/// different version could report different counts on the same code.
pub const VERSION: &str = "27.1.0";

/// What `cargo xtask mutants` mutates when no file is named: the handwritten code whose
/// behaviour the tests must pin down. A directory stands for every file under it. Add a
/// module here when it joins that set.
pub const DEFAULT_TARGETS: &[&str] = &["minimo-api/src/runtime/", "minimo-ext/src/validate.rs"];

/// Files mutated together and the test packages that judge their mutants.
///
/// A mutant is built and tested once per mutant, so the packages are chosen per file: every
/// package whose tests reach the code, and none that cannot (the end-to-end suites take half
/// a minute per mutant). A file in no group is judged by the configuration's `test_package`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Its name; the report of its run is `target/mutants/<name>/mutants.out`.
    pub name: &'static str,
    /// Workspace-relative files.
    pub files: &'static [&'static str],
    /// The packages whose tests run against each mutant.
    pub tests: &'static [&'static str],
    /// Which of their tests run (`cargo test` target selection): unit and integration tests
    /// (`--tests`), not doctests, which are examples and compile one crate each.
    pub test_args: &'static [&'static str],
    /// Seconds after which a mutant's tests count as hung (caught). The configuration's
    /// floor suits the end-to-end suites; a group whose tests take a second sets less, so a
    /// mutant that loops costs seconds, not minutes.
    pub timeout: Option<u32>,
}

/// The groups, each with why its packages suffice.
pub const GROUPS: &[Group] = &[
    // Pure functions of their input (percent-encoding, masking, the retry rules), pinned by
    // minimo-api's own unit and property tests.
    Group {
        name: "runtime-rules",
        files: &[
            "minimo-api/src/runtime/encode.rs",
            "minimo-api/src/runtime/mask.rs",
            "minimo-api/src/runtime/retry.rs",
        ],
        tests: &["minimo-api"],
        test_args: &["--tests"],
        timeout: Some(20),
    },
    // The call path (hooks, retry loop, deadline, report, URLs, configuration): exercised
    // over HTTP by minimo-ext's tests and the end-to-end suites.
    Group {
        name: "runtime-calls",
        files: &[
            "minimo-api/src/runtime/call.rs",
            "minimo-api/src/runtime/http.rs",
            "minimo-api/src/runtime/mod.rs",
            "minimo-api/src/runtime/report.rs",
        ],
        tests: &["minimo-api", "minimo-ext", "minimo-tests"],
        test_args: &["--tests"],
        timeout: None,
    },
    // Checks before any request: minimo-ext's unit and property tests.
    Group {
        name: "validate",
        files: &["minimo-ext/src/validate.rs"],
        tests: &["minimo-ext"],
        test_args: &["--tests"],
        timeout: Some(30),
    },
    // The bulk sync: minimo-ext's unit tests and the end-to-end sync suite against the fake
    // (the other end-to-end suites make no sync).
    Group {
        name: "sync",
        files: &[
            "minimo-ext/src/sync/mod.rs",
            "minimo-ext/src/sync/order.rs",
            "minimo-ext/src/sync/pace.rs",
            "minimo-ext/src/sync/recent.rs",
        ],
        tests: &["minimo-ext", "minimo-tests"],
        test_args: &["--lib", "--test", "ext_sync"],
        timeout: Some(20),
    },
];

/// One cargo-mutants run: files and the test packages for all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The group's name, or `other` for files in no group.
    pub name: String,
    /// Workspace-relative files, `/` separated.
    pub files: Vec<String>,
    /// Test packages.
    pub tests: Vec<String>,
    /// `cargo test` target selection.
    pub test_args: Vec<String>,
    /// The group's timeout, if it sets one.
    pub timeout: Option<u32>,
}

/// The runs that mutate `targets` (files or directories, workspace-relative): each file goes
/// to its group's run, files of no group to one run judged by `fallback` packages. A target
/// must exist, so a typo fails here instead of mutating nothing.
pub fn plan(root: &Path, targets: &[&str], fallback: &[String]) -> Result<Vec<Run>, String> {
    let mut files = Vec::new();
    for target in targets {
        let relative = target.trim_start_matches("./").replace('\\', "/");
        let path = root.join(&relative);
        if path.is_dir() {
            let mut found = Vec::new();
            rust_files(&path, &mut found)
                .map_err(|e| format!("cannot list {}: {e}", path.display()))?;
            found.sort();
            let base = relative.trim_end_matches('/');
            files.extend(found.into_iter().map(|f| format!("{base}/{f}")));
        } else if path.is_file() {
            files.push(relative);
        } else {
            return Err(format!(
                "`{target}` is no file or directory of the workspace (paths are relative to {})",
                root.display()
            ));
        }
    }
    let mut runs: Vec<Run> = Vec::new();
    for file in files {
        let owned = |list: &[&str]| list.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
        let (name, tests, test_args, timeout) =
            match GROUPS.iter().find(|g| g.files.contains(&file.as_str())) {
                Some(group) => (
                    group.name.to_owned(),
                    owned(group.tests),
                    owned(group.test_args),
                    group.timeout,
                ),
                None => (
                    "other".to_owned(),
                    fallback.to_vec(),
                    owned(&["--tests"]),
                    None,
                ),
            };
        match runs.iter_mut().find(|run| run.name == name) {
            Some(run) if !run.files.contains(&file) => run.files.push(file),
            Some(_) => {}
            None => runs.push(Run {
                name,
                files: vec![file],
                tests,
                test_args,
                timeout,
            }),
        }
    }
    Ok(runs)
}

/// The `.rs` files under `dir`, relative to it, `/` separated.
fn rust_files(dir: &Path, found: &mut Vec<String>) -> std::io::Result<()> {
    fn walk(dir: &Path, prefix: &str, found: &mut Vec<String>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if path.is_dir() {
                walk(&path, &format!("{prefix}{name}/"), found)?;
            } else if name.ends_with(".rs") {
                found.push(format!("{prefix}{name}"));
            }
        }
        Ok(())
    }
    walk(dir, "", found)
}

/// The directory cargo-mutants is installed into: `tools/cargo-mutants-<VERSION>` under the
/// target directory, so a change of [`VERSION`] installs afresh beside the old one.
pub fn install_dir(target_dir: &Path) -> PathBuf {
    target_dir
        .join("tools")
        .join(format!("cargo-mutants-{VERSION}"))
}

/// The cargo-mutants executable inside [`install_dir`].
pub fn binary(install_dir: &Path) -> PathBuf {
    install_dir
        .join("bin")
        .join(format!("cargo-mutants{}", std::env::consts::EXE_SUFFIX))
}

/// The target directory of the workspace at `root`: `$CARGO_TARGET_DIR` when set (relative
/// to `root`, where xtask runs cargo), else `root/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// Workspace-relative path of the cargo-mutants configuration.
pub const CONFIG: &str = ".cargo/mutants.toml";

/// The `test_package` list of the configuration (a one-line array of strings). xtask runs
/// these packages' tests on the unmutated tree before cargo-mutants starts, because
/// cargo-mutants' own baseline tests only the mutated package: a suite that already fails
/// would otherwise make every mutant look caught.
pub fn test_packages(config: &str) -> Result<Vec<String>, String> {
    let line = config
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("test_package") && line.contains('='))
        .ok_or_else(|| format!("{CONFIG} has no `test_package = [...]` line"))?;
    let list = line
        .split_once('=')
        .map(|(_, list)| list.trim())
        .filter(|list| list.starts_with('[') && list.ends_with(']'))
        .ok_or_else(|| format!("{CONFIG}: write `test_package` as a one-line array"))?;
    let packages: Vec<String> = list
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|name| name.trim().trim_matches('"').to_owned())
        .filter(|name| !name.is_empty())
        .collect();
    if packages.is_empty() {
        return Err(format!("{CONFIG}: `test_package` is empty"));
    }
    Ok(packages)
}

/// Whether a cargo-mutants exit code means no mutant survived: 0, or 3 when some mutants only
/// made the tests hang (a timeout is a behaviour change the tests noticed).
pub fn none_survived(code: Option<i32>) -> bool {
    matches!(code, Some(0 | 3))
}

/// What a cargo-mutants exit code means (its documented codes).
pub fn describe_exit(code: Option<i32>) -> &'static str {
    match code {
        Some(0) => "every mutant was caught",
        Some(1) => "usage error",
        Some(2) => "some mutants were not caught by the tests (missed)",
        Some(3) => "every mutant was caught or hung the tests (a timeout counts as caught)",
        Some(4) => "the tests already fail on the unmutated tree (baseline)",
        Some(70) => "cargo-mutants failed internally",
        Some(_) => "unexpected exit code",
        None => "killed by a signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        crate::workspace_root().unwrap_or_default()
    }

    fn fallback() -> Vec<String> {
        vec!["minimo-api".to_owned()]
    }

    #[test]
    fn the_default_targets_split_into_their_groups() {
        let runs = plan(&root(), DEFAULT_TARGETS, &fallback()).unwrap_or_default();
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["runtime-calls", "runtime-rules", "validate"]);
        let files: usize = runs.iter().map(|r| r.files.len()).sum();
        assert_eq!(files, 8, "{runs:?}");
    }

    #[test]
    fn every_file_under_a_grouped_directory_has_a_group() {
        // A new module of the runtime or the sync must be given its test packages.
        for dir in ["minimo-api/src/runtime/", "minimo-ext/src/sync/"] {
            let runs = plan(&root(), &[dir], &fallback()).unwrap_or_default();
            assert!(!runs.is_empty(), "{dir}");
            assert!(runs.iter().all(|r| r.name != "other"), "{runs:?}");
        }
        for group in GROUPS {
            for file in group.files {
                assert!(root().join(file).is_file(), "{file} of {}", group.name);
            }
        }
    }

    #[test]
    fn a_file_in_no_group_is_judged_by_the_fallback_and_a_typo_fails() {
        let runs = plan(&root(), &["minimo-ext/src/key.rs"], &fallback());
        assert_eq!(
            runs,
            Ok(vec![Run {
                name: "other".to_owned(),
                files: vec!["minimo-ext/src/key.rs".to_owned()],
                tests: fallback(),
                test_args: vec!["--tests".to_owned()],
                timeout: None,
            }])
        );
        let error = plan(&root(), &["minimo-api/src/runtime/retyr.rs"], &fallback()).err();
        assert!(
            error.as_deref().is_some_and(|e| e.contains("retyr.rs")),
            "{error:?}"
        );
    }

    #[test]
    fn the_test_packages_come_from_the_config() {
        let config = std::fs::read_to_string(root().join(CONFIG)).unwrap_or_default();
        assert_eq!(
            test_packages(&config),
            Ok(vec![
                "minimo-api".to_owned(),
                "minimo-ext".to_owned(),
                "minimo-tests".to_owned()
            ])
        );
        assert!(test_packages("timeout_multiplier = 3.0\n").is_err());
        assert!(test_packages("test_package = [\n  \"a\",\n]\n").is_err());
    }

    #[test]
    fn a_timeout_counts_as_caught_and_a_miss_does_not() {
        assert!(none_survived(Some(0)));
        assert!(none_survived(Some(3)));
        for code in [Some(1), Some(2), Some(4), Some(70), None] {
            assert!(!none_survived(code), "{code:?}");
        }
    }

    #[test]
    fn the_install_directory_names_the_version() {
        let dir = install_dir(Path::new("target"));
        assert_eq!(dir, Path::new("target/tools/cargo-mutants-27.1.0"));
        assert!(binary(&dir).starts_with(&dir));
    }
}
