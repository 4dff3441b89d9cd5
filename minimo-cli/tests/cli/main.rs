//! End-to-end tests of the `minimo` binary against minimo-fake running in this process.
//!
//! Every server listens on 127.0.0.1 and is stopped by its test (drop); no test sleeps to
//! synchronise: they wait for the child's exit, its output, or the fake's request hook.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;
mod contacts;
mod custom_fields;
#[cfg(unix)]
mod fake;
mod help;
mod keys;
#[cfg(unix)]
mod pty;
mod sync;
