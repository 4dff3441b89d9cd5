//! Project automation for minimo-rs, as a library so tests can drive it in memory.
//!
//! - [`normalize`]: the 3.1 -> 3.0 rewrites progenitor needs, one named function each;
//! - [`preflight`]: checks for shapes progenitor would panic on;
//! - [`codegen`]: the pipeline behind `cargo xtask codegen` and `--check`;
//! - [`surface`]: the readable summary of the generated client used in snapshot tests.

pub mod codegen;
pub mod normalize;
pub mod preflight;
pub mod surface;

use std::path::PathBuf;

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
