//! Project automation for minimo-rs, as a library so tests can drive it in memory.
//!
//! - [`normalize`]: the 3.1 -> 3.0 rewrites progenitor needs, one named function each;
//! - [`preflight`]: checks for shapes progenitor would panic on;
//! - [`codegen`]: the pipeline behind `cargo xtask codegen` and `--check`;
//! - [`surface`]: the readable summary of the generated client used in snapshot tests;
//! - [`mutants`]: what `cargo xtask mutants` runs cargo-mutants on, and its installation;
//! - [`workspace_root`]: which checkout a command acts on.

pub mod codegen;
pub mod mutants;
pub mod normalize;
pub mod preflight;
pub mod surface;

use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable cargo sets, at run time, for the process `cargo run` and
/// `cargo test` start: the directory of the package's manifest in the checkout cargo was
/// invoked in.
pub const MANIFEST_DIR_VAR: &str = "CARGO_MANIFEST_DIR";

/// The workspace could not be found (or is not minimo-rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootError {
    message: String,
}

impl fmt::Display for RootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RootError {}

/// The workspace this run acts on, resolved at run time: the nearest directory at or above
/// `$CARGO_MANIFEST_DIR` (set by `cargo run`, so by `cargo xtask`) or, when that is not set
/// (the binary run by hand), above the current directory, whose `Cargo.toml` declares a
/// workspace. That workspace must be minimo-rs (hold `xtask/Cargo.toml`).
///
/// Not `env!("CARGO_MANIFEST_DIR")`: that is the checkout the binary was *compiled* in. Two
/// checkouts sharing a `CARGO_TARGET_DIR` share the xtask binary (cargo finds the same
/// relative source paths, no newer than the build, and does not rebuild), so a compiled-in
/// path makes `codegen --check` in one checkout check the other, and `codegen` write into it.
pub fn workspace_root() -> Result<PathBuf, RootError> {
    let cwd = std::env::current_dir().map_err(|e| RootError {
        message: format!("cannot read the current directory: {e}"),
    })?;
    match std::env::var_os(MANIFEST_DIR_VAR) {
        // cargo sets it to an absolute path; a relative one is taken from the current directory.
        Some(dir) if !dir.is_empty() => {
            find_workspace_root(&cwd.join(dir)).map_err(|e| RootError {
                message: format!("{MANIFEST_DIR_VAR} is set but {e}"),
            })
        }
        _ => find_workspace_root(&cwd),
    }
}

/// The nearest directory at or above `start` whose `Cargo.toml` declares a workspace,
/// provided it is minimo-rs; see [`workspace_root`].
pub fn find_workspace_root(start: &Path) -> Result<PathBuf, RootError> {
    for dir in start.ancestors() {
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        if !declares_workspace(&manifest) {
            continue;
        }
        if dir.join("xtask").join("Cargo.toml").is_file() {
            return Ok(dir.to_path_buf());
        }
        return Err(RootError {
            message: format!(
                "the workspace at {} is not minimo-rs (it has no xtask/Cargo.toml)",
                dir.display()
            ),
        });
    }
    Err(RootError {
        message: format!(
            "no Cargo workspace at or above {}: run `cargo xtask` inside a minimo-rs checkout",
            start.display()
        ),
    })
}

/// Whether a manifest has a `[workspace]` table (or one of its sub-tables, which imply it).
/// A line-based look is enough for the manifests cargo itself accepts as a workspace root.
fn declares_workspace(manifest: &str) -> bool {
    manifest.lines().any(|line| {
        let line = line.trim_start();
        line.starts_with("[workspace]") || line.starts_with("[workspace.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_is_a_manifest_with_a_workspace_table() {
        assert!(declares_workspace("[workspace]\nmembers = []\n"));
        assert!(declares_workspace(
            "[package]\n  [workspace.dependencies]\n"
        ));
        assert!(!declares_workspace(
            "[package]\nname = \"x\"\n# [workspace]\n"
        ));
        assert!(!declares_workspace("[dependencies]\nworkspace = 1\n"));
    }

    #[test]
    fn the_root_is_found_from_any_directory_inside_it() {
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = find_workspace_root(&here.join("src")).map_err(|e| e.to_string());
        assert_eq!(
            root,
            Ok(here.parent().map(Path::to_path_buf).unwrap_or_default())
        );
    }
}
