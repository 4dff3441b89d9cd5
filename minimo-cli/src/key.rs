//! Where the API key comes from, and how it is shown.
//!
//! The key may come from `MINIMO_API_KEY`, a file (`--api-key-file`) or standard input
//! (`--api-key-stdin`): none of them puts it in the shell history or in `ps`. A key given as
//! a command-line value (`--api-key KEY`) is refused: by the time `minimo` sees it, it is in
//! both. The key is never printed; messages show `mn-<clientId>-***`.

use crate::exit::{Exit, Failure};
use minimo_ext::{ApiKey, ENV_API_KEY};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Where a key was read from, for messages ("the key from --api-key-file was refused").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// `MINIMO_API_KEY`.
    Env,
    /// `--api-key-file PATH`.
    File(PathBuf),
    /// `--api-key-stdin`.
    Stdin,
}

impl std::fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyOrigin::Env => write!(f, "{ENV_API_KEY}"),
            KeyOrigin::File(path) => write!(f, "--api-key-file {}", path.display()),
            KeyOrigin::Stdin => f.write_str("--api-key-stdin"),
        }
    }
}

/// The key flags of the command line.
#[derive(Debug, Clone, Default)]
pub struct KeyFlags {
    /// `--api-key-file`.
    pub file: Option<PathBuf>,
    /// `--api-key-stdin`.
    pub stdin: bool,
    /// `--api-key` was given (its value is never kept).
    pub plain_flag: bool,
}

/// The message for a key given on the command line.
pub const PLAIN_FLAG_REFUSED: &str = "--api-key is refused: a key typed on the command line lands in the shell history and in `ps`; \
     use MINIMO_API_KEY, --api-key-file PATH or --api-key-stdin";

/// The key to use: the file or stdin when asked for, else the environment. `env` reads a
/// variable; `stdin` is read only with `--api-key-stdin`. Returns warnings to print (a key
/// file others can read) with the key.
pub fn resolve(
    flags: &KeyFlags,
    env: impl Fn(&str) -> Option<String>,
    stdin: impl FnOnce() -> std::io::Result<Box<dyn BufRead>>,
) -> Result<(ApiKey, KeyOrigin, Vec<String>), Failure> {
    if flags.plain_flag {
        return Err(Failure::usage(PLAIN_FLAG_REFUSED));
    }
    let mut warnings = Vec::new();
    let (raw, origin) = if let Some(path) = &flags.file {
        if let Some(warning) = loose_permissions(path) {
            warnings.push(warning);
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::new(
                Exit::Auth,
                format!("cannot read the API key file {}: {e}", path.display()),
            )
        })?;
        (first_line(&text), KeyOrigin::File(path.clone()))
    } else if flags.stdin {
        let mut line = String::new();
        stdin()
            .and_then(|mut input| input.read_line(&mut line))
            .map_err(|e| {
                Failure::new(
                    Exit::Auth,
                    format!("cannot read the API key from standard input: {e}"),
                )
            })?;
        (first_line(&line), KeyOrigin::Stdin)
    } else {
        match env(ENV_API_KEY).filter(|k| !k.trim().is_empty()) {
            Some(key) => (key.trim().to_owned(), KeyOrigin::Env),
            None => {
                return Err(Failure::new(
                    Exit::Auth,
                    format!(
                        "no API key: set {ENV_API_KEY}, or pass --api-key-file PATH or --api-key-stdin"
                    ),
                ));
            }
        }
    };
    // ApiKey's errors say what is wrong with the key, never the key.
    let key = ApiKey::new(raw).map_err(|e| {
        Failure::new(
            Exit::Auth,
            format!("the API key from {origin} is malformed: {}", e.message()),
        )
    })?;
    Ok((key, origin, warnings))
}

/// The first line, without surrounding whitespace (an editor's trailing newline, a CRLF).
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_owned()
}

/// A warning when the key file can be read by other users (as ssh warns about keys).
#[cfg(unix)]
fn loose_permissions(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "warning: the API key file {} can be read by other users (mode {:o}); `chmod 600` it",
            path.display(),
            mode & 0o777
        )
    })
}

#[cfg(not(unix))]
fn loose_permissions(_: &Path) -> Option<String> {
    None
}

/// The key as messages show it: `mn-<clientId>-***`.
pub fn masked(key: &ApiKey) -> String {
    format!("mn-{}-***", key.client_id())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::io::Cursor;

    fn no_stdin() -> std::io::Result<Box<dyn BufRead>> {
        panic!("stdin must not be read")
    }

    fn env_with(key: Option<&str>) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| {
            (name == ENV_API_KEY)
                .then(|| key.map(str::to_owned))
                .flatten()
        }
    }

    #[test]
    fn the_environment_is_the_default_and_the_key_is_shown_masked() {
        let (key, origin, warnings) = resolve(
            &KeyFlags::default(),
            env_with(Some(" mn-acme-s3cret\n")),
            no_stdin,
        )
        .unwrap();
        assert_eq!(key.expose_secret(), "mn-acme-s3cret");
        assert_eq!(origin, KeyOrigin::Env);
        assert!(warnings.is_empty());
        assert_eq!(masked(&key), "mn-acme-***");
    }

    #[test]
    fn a_plain_flag_is_refused_before_anything_is_read() {
        let flags = KeyFlags {
            plain_flag: true,
            ..KeyFlags::default()
        };
        let refused = resolve(&flags, env_with(Some("mn-acme-s3cret")), no_stdin).unwrap_err();
        assert_eq!(refused.exit, Exit::Usage);
        assert!(refused.message.contains("shell history"), "{refused}");
    }

    #[test]
    fn stdin_and_files_give_their_first_line() {
        let flags = KeyFlags {
            stdin: true,
            ..KeyFlags::default()
        };
        let (key, origin, _) = resolve(&flags, env_with(None), || {
            Ok(Box::new(Cursor::new("mn-acme-fromstdin\r\nrest")) as Box<dyn BufRead>)
        })
        .unwrap();
        assert_eq!(
            (key.expose_secret(), origin),
            ("mn-acme-fromstdin", KeyOrigin::Stdin)
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "mn-acme-fromfile\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let flags = KeyFlags {
            file: Some(path.clone()),
            ..KeyFlags::default()
        };
        let (key, _, warnings) = resolve(&flags, env_with(Some("mn-other-x")), no_stdin).unwrap();
        assert_eq!(key.expose_secret(), "mn-acme-fromfile");
        #[cfg(unix)]
        assert!(warnings[0].contains("chmod 600"), "{warnings:?}");
        let _ = warnings;
    }

    #[test]
    fn missing_and_malformed_keys_are_auth_failures_that_do_not_quote_the_key() {
        let missing = resolve(&KeyFlags::default(), env_with(None), no_stdin).unwrap_err();
        assert_eq!(missing.exit, Exit::Auth);
        assert!(missing.message.contains("MINIMO_API_KEY"), "{missing}");
        let malformed = resolve(
            &KeyFlags::default(),
            env_with(Some("sk-topsecret")),
            no_stdin,
        )
        .unwrap_err();
        assert_eq!(malformed.exit, Exit::Auth);
        assert!(!malformed.message.contains("topsecret"), "{malformed}");
    }
}
