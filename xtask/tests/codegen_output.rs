//! The checked-in generated files are what the spec produces today, byte for byte, and the
//! generated client's public surface is reviewed as a snapshot.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use xtask::codegen::{self, generate_from, stale_files};
use xtask::surface;

/// The checkout under test, resolved at run time like the commands do (`cargo test` sets
/// `CARGO_MANIFEST_DIR` for the test process), so a test binary reused from another checkout
/// through a shared target directory still checks this one. The snapshot below is located by
/// insta from the compile-time path instead; in the usual single-checkout case both agree.
fn workspace_root() -> PathBuf {
    xtask::workspace_root().unwrap()
}

#[test]
fn generated_files_are_up_to_date() {
    let root = workspace_root();
    let outputs = generate_from(&root).unwrap();
    let stale = stale_files(&root, &outputs);
    assert!(
        stale.is_empty(),
        "{} not up to date with {}; run `cargo xtask codegen`",
        stale.join(" and "),
        codegen::SPEC
    );
}

#[test]
fn codegen_is_deterministic() {
    let root = workspace_root();
    assert_eq!(generate_from(&root).unwrap(), generate_from(&root).unwrap());
}

#[test]
fn generated_header_carries_the_spec_hash() {
    let outputs = generate_from(&workspace_root()).unwrap();
    let first_lines: String = outputs
        .generated_rs
        .lines()
        .take(3)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(first_lines.contains("@generated"), "{first_lines}");
    assert!(first_lines.contains(&outputs.spec_sha256), "{first_lines}");
    assert!(outputs.spec_30_json.contains(&outputs.spec_sha256));
}

#[test]
fn a_changed_description_makes_the_outputs_stale() {
    let root = workspace_root();
    let text = std::fs::read_to_string(root.join(codegen::SPEC)).unwrap();
    let edited = text.replacen(
        "summary: Soft-delete a contact",
        "summary: Soft-delete one contact",
        1,
    );
    assert_ne!(text, edited, "the fixture edit must hit the spec");
    let outputs = codegen::generate(&edited).unwrap();
    assert_eq!(
        stale_files(&root, &outputs),
        vec![codegen::SPEC_30, codegen::GENERATED]
    );
}

#[test]
fn public_surface() {
    let outputs = generate_from(&workspace_root()).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&outputs.spec_30_json).unwrap();
    insta::assert_snapshot!(surface::render(&doc, &outputs.generated_rs).unwrap());
}
