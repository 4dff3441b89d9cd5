#![doc = include_str!("../README.md")]
//!
//! # Code map
//!
//! - [`cli`]: every command and flag (clap derive) and their help texts.
//! - [`exit`]: the exit codes and [`Failure`], the one error a command ends with.
//! - [`key`]: where the API key comes from, and how it is shown (`mn-<clientId>-***`).
//! - [`output`]: human tables, colour rules, `--json`, the error line.
//! - [`fields`]: `--field` and `--consent`, custom-field values typed by their definitions.
//! - [`rows`]: the sync's row format (CSV, NDJSON), row errors with positions, the
//!   failed-rows file.
//! - `contacts`, `custom_fields`, `sync`, `fake`: one module per command.
//! - [`logging`]: `-v` tracing on stderr, around the progress bar.

pub mod cli;
mod contacts;
mod custom_fields;
pub mod exit;
mod fake;
pub mod fields;
mod interrupt;
pub mod key;
pub mod logging;
pub mod output;
pub mod rows;
mod sync;

use crate::cli::{Cli, Command, Global};
use crate::exit::{Exit, Failure};
use crate::key::{KeyFlags, KeyOrigin};
use crate::output::Output;
use clap::Parser;
use minimo_ext::{ENV_API_URL, ErrorKind, Minimo};
use std::io::BufReader;
use std::process::ExitCode;
use std::time::Duration;

/// Runs `minimo` with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version on stdout (exit 0) and usage errors on stderr.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                Exit::Usage.code()
            } else {
                Exit::Ok.code()
            });
        }
    };
    logging::init(cli.global.verbose);
    let out = Output::new(cli.global.json);
    let exit = match run(cli, out) {
        Ok(exit) => exit,
        Err(failure) => {
            out.failure(&failure);
            failure.exit
        }
    };
    ExitCode::from(exit.code())
}

/// Runs one parsed command line on a runtime of its own.
pub fn run(cli: Cli, out: Output) -> Result<Exit, Failure> {
    // The fake serves other processes: it gets both cores. Everything else is one client
    // waiting on the network: one thread is plenty.
    let runtime = match &cli.command {
        Command::Fake(_) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    }
    .map_err(|e| Failure::unexpected(format!("cannot start the async runtime: {e}")))?;
    let ctx = Ctx {
        out,
        global: cli.global,
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Contacts(command) => contacts::run(command, &ctx).await,
            Command::CustomFields(command) => custom_fields::run(command, &ctx).await,
            Command::Sync(args) => sync::run(args, &ctx).await,
            Command::Fake(args) => fake::run(args, &ctx).await,
        }
    })
}

/// What every command gets: where to write, the global flags.
pub(crate) struct Ctx {
    pub(crate) out: Output,
    pub(crate) global: Global,
}

/// A configured client, and how to describe its key in messages.
pub(crate) struct Client {
    pub(crate) minimo: Minimo,
    key: String,
    origin: KeyOrigin,
}

impl Ctx {
    /// The client: key from the environment, a file or stdin; base URL from `--api-url` or
    /// `MINIMO_API_URL`.
    pub(crate) fn client(&self) -> Result<Client, Failure> {
        let global = &self.global;
        if !(global.timeout.is_finite() && global.timeout > 0.0) {
            return Err(Failure::usage(
                "--timeout must be a positive number of seconds",
            ));
        }
        let flags = KeyFlags {
            file: global.api_key_file.clone(),
            stdin: global.api_key_stdin,
            plain_flag: global.api_key.is_some(),
        };
        let (key, origin, warnings) = key::resolve(
            &flags,
            |name| std::env::var(name).ok(),
            || Ok(Box::new(BufReader::new(std::io::stdin()))),
        )?;
        for warning in warnings {
            self.out.warn(&warning);
        }
        let url = global.api_url.clone().or_else(|| {
            std::env::var(ENV_API_URL)
                .ok()
                .filter(|url| !url.trim().is_empty())
        });
        let mut builder = Minimo::builder()
            .api_key(key.expose_secret())
            .user_agent_suffix(concat!("minimo-cli/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs_f64(global.timeout));
        if let Some(url) = url {
            builder = builder.base_url(url);
        }
        // The key was checked above: what is left to refuse is the base URL.
        let minimo = builder
            .build()
            .map_err(|e| Failure::usage(format!("--api-url / {ENV_API_URL}: {}", e.message())))?;
        let key = key::masked(&key);
        tracing::debug!(key = %key, from = %origin, base_url = %minimo.base_url(), "client configured");
        Ok(Client {
            minimo,
            key,
            origin,
        })
    }
}

impl Client {
    /// The failure for an error of the API: an auth failure says which key was refused
    /// (masked) and where it came from.
    pub(crate) fn fail(&self, error: minimo_ext::Error) -> Failure {
        let auth = matches!(error.kind(), ErrorKind::Unauthorized | ErrorKind::Forbidden);
        let mut failure = Failure::from(error);
        if auth {
            failure.message = format!(
                "{} (key {} from {})",
                failure.message, self.key, self.origin
            );
        }
        failure
    }
}
