//! Support code for the end-to-end tests: where the workspace and its spec live, and a
//! harness that runs Prism as a validating proxy.

pub mod prism;

use std::path::PathBuf;

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Path of the checked-in OpenAPI 3.1 spec.
pub fn spec_path() -> PathBuf {
    workspace_root()
        .join("openapi")
        .join("minimo-contacts.yaml")
}
