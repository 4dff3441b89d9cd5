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

/// The `--file` globs for cargo-mutants, one per target (workspace-relative paths, `/`
/// separated). A target must exist, so a typo fails here instead of mutating nothing. A
/// directory becomes `dir/**`: cargo-mutants matches a glob holding a `/` against the whole
/// path, so the bare directory would match no file.
pub fn file_globs(root: &Path, targets: &[&str]) -> Result<Vec<String>, String> {
    targets
        .iter()
        .map(|target| {
            let relative = target.trim_start_matches("./").replace('\\', "/");
            let path = root.join(&relative);
            if path.is_dir() {
                Ok(format!("{}/**", relative.trim_end_matches('/')))
            } else if path.is_file() {
                Ok(relative)
            } else {
                Err(format!(
                    "`{target}` is no file or directory of the workspace (paths are relative to {})",
                    root.display()
                ))
            }
        })
        .collect()
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

/// What a cargo-mutants exit code means (its documented codes).
pub fn describe_exit(code: Option<i32>) -> &'static str {
    match code {
        Some(0) => "every mutant was caught",
        Some(1) => "usage error",
        Some(2) => "some mutants were not caught by the tests (missed)",
        Some(3) => "some mutants timed out",
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

    #[test]
    fn the_default_targets_exist() {
        let globs = file_globs(&root(), DEFAULT_TARGETS);
        assert_eq!(
            globs,
            Ok(vec![
                "minimo-api/src/runtime/**".to_owned(),
                "minimo-ext/src/validate.rs".to_owned()
            ])
        );
    }

    #[test]
    fn a_missing_target_is_an_error_naming_it() {
        let error = file_globs(&root(), &["minimo-api/src/runtime/retyr.rs"]).err();
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
    fn the_install_directory_names_the_version() {
        let dir = install_dir(Path::new("target"));
        assert_eq!(dir, Path::new("target/tools/cargo-mutants-27.1.0"));
        assert!(binary(&dir).starts_with(&dir));
    }
}
