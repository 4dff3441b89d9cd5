//! Exit codes, one per kind of failure, and the failure a command ends with.

use minimo_ext::ErrorKind;
use std::fmt;

/// How a run of `minimo` ended. The numbers are part of the interface: scripts branch on them,
/// so they never change meaning (`minimo --help` and the README list them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// 0: done.
    Ok,
    /// 1: something unexpected (an answer the client could not read, an I/O error...).
    Unexpected,
    /// 2: the command line is wrong (unknown flag, missing argument, a refused `--api-key`).
    Usage,
    /// 3: input refused, by `minimo` before sending or by the server (an invalid email, a
    /// malformed file or row, an unknown column).
    InvalidInput,
    /// 4: no such contact.
    NotFound,
    /// 5: the change conflicts with another contact or field (an email or key in use).
    Conflict,
    /// 6: no API key, a malformed one, or one the server refused (401, 403).
    Auth,
    /// 7: the server is unavailable for now: rate limited, a 5xx, a timeout, a connection
    /// that failed. Trying again later may work.
    Unavailable,
    /// 8: a sync finished with rows that failed or were not attempted (they are in the
    /// failed-rows file).
    SyncIncomplete,
    /// 130: interrupted by Ctrl-C (a sync stopped cleanly and wrote its failed-rows file).
    Interrupted,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Unexpected => 1,
            Exit::Usage => 2,
            Exit::InvalidInput => 3,
            Exit::NotFound => 4,
            Exit::Conflict => 5,
            Exit::Auth => 6,
            Exit::Unavailable => 7,
            Exit::SyncIncomplete => 8,
            Exit::Interrupted => 130,
        }
    }

    /// A stable name, for the `--json` error document.
    pub fn name(self) -> &'static str {
        match self {
            Exit::Ok => "ok",
            Exit::Unexpected => "unexpected",
            Exit::Usage => "usage",
            Exit::InvalidInput => "invalid_input",
            Exit::NotFound => "not_found",
            Exit::Conflict => "conflict",
            Exit::Auth => "auth",
            Exit::Unavailable => "unavailable",
            Exit::SyncIncomplete => "sync_incomplete",
            Exit::Interrupted => "interrupted",
        }
    }

    /// The exit code for an error of the client.
    pub fn of_kind(kind: ErrorKind) -> Exit {
        match kind {
            ErrorKind::InvalidInput | ErrorKind::Validation => Exit::InvalidInput,
            ErrorKind::Unauthorized | ErrorKind::Forbidden => Exit::Auth,
            ErrorKind::NotFound => Exit::NotFound,
            ErrorKind::Conflict => Exit::Conflict,
            ErrorKind::RateLimited
            | ErrorKind::Server
            | ErrorKind::Timeout
            | ErrorKind::Transport => Exit::Unavailable,
            // Decode (an answer that does not match the API description) and kinds a later
            // minimo-ext may add: nothing the operator can fix by changing the command.
            _ => Exit::Unexpected,
        }
    }
}

/// The exit codes as `minimo --help` lists them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
    0  ok
    1  unexpected error (an answer the client could not read, an I/O error)
    2  usage error (unknown flag, missing argument, --api-key given on the command line)
    3  invalid input (invalid email or phone, malformed file, row or column)
    4  not found
    5  conflict (the email or key is in use)
    6  authentication (no API key, a malformed one, or one the server refused)
    7  unavailable: rate limited, server error, timeout or connection failure (try later)
    8  sync finished with failed or not-attempted rows (see the failed-rows file)
  130  interrupted by Ctrl-C";

/// A command that failed: the exit code and one line for stderr. The message never holds the
/// API key, and holds personal data only as minimo-ext masks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong, one line.
    pub message: String,
}

impl Failure {
    /// A failure with this exit code.
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Usage, message)
    }

    /// Invalid input (exit 3).
    pub fn input(message: impl Into<String>) -> Failure {
        Failure::new(Exit::InvalidInput, message)
    }

    /// Something unexpected (exit 1).
    pub fn unexpected(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Unexpected, message)
    }
}

impl From<minimo_ext::Error> for Failure {
    fn from(error: minimo_ext::Error) -> Failure {
        // minimo-ext's Display is one line, masked, with the status, code and request id.
        Failure::new(Exit::of_kind(error.kind()), error.to_string())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_code_is_listed_in_the_help_once() {
        let all = [
            Exit::Ok,
            Exit::Unexpected,
            Exit::Usage,
            Exit::InvalidInput,
            Exit::NotFound,
            Exit::Conflict,
            Exit::Auth,
            Exit::Unavailable,
            Exit::SyncIncomplete,
            Exit::Interrupted,
        ];
        for exit in all {
            let line = format!("\n{:>5}  ", exit.code());
            assert_eq!(
                EXIT_CODES_HELP.matches(&line).count(),
                1,
                "{exit:?} in {EXIT_CODES_HELP}"
            );
        }
        let mut codes: Vec<u8> = all.iter().map(|e| e.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn client_errors_map_to_their_exit_codes() {
        assert_eq!(Exit::of_kind(ErrorKind::InvalidInput), Exit::InvalidInput);
        assert_eq!(Exit::of_kind(ErrorKind::Validation), Exit::InvalidInput);
        assert_eq!(Exit::of_kind(ErrorKind::Unauthorized), Exit::Auth);
        assert_eq!(Exit::of_kind(ErrorKind::Forbidden), Exit::Auth);
        assert_eq!(Exit::of_kind(ErrorKind::NotFound), Exit::NotFound);
        assert_eq!(Exit::of_kind(ErrorKind::Conflict), Exit::Conflict);
        for kind in [
            ErrorKind::RateLimited,
            ErrorKind::Server,
            ErrorKind::Timeout,
            ErrorKind::Transport,
        ] {
            assert_eq!(Exit::of_kind(kind), Exit::Unavailable);
        }
        assert_eq!(Exit::of_kind(ErrorKind::Decode), Exit::Unexpected);
    }
}
