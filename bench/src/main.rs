//! `minimo-bench [all | SCENARIO...] [FLAGS]`: runs benchmark scenarios and prints their
//! Markdown reports. Run it through `cargo xtask bench`, which builds it in release mode.
//!
//! `minimo-bench __sync-file ...` (hidden) is the child process of the `sync-memory`
//! scenario: it syncs a file and prints its own memory as one JSON line.

use minimo_bench::{Command, parse_args, sync_memory, usage};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (scenarios, config) = match parse_args(&args, |name| std::env::var(name).ok()) {
        Ok(Command::Run(scenarios, config)) => (scenarios, config),
        Ok(Command::Help) => {
            print!("{}", usage());
            return ExitCode::SUCCESS;
        }
        Ok(Command::SyncFile(args)) => {
            return match sync_memory::child(&args).and_then(|report| {
                serde_json::to_string(&report).map_err(|e| format!("cannot write the report: {e}"))
            }) {
                Ok(line) => {
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("error: {}: {message}", sync_memory::CHILD_COMMAND);
                    ExitCode::FAILURE
                }
            };
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: a debug build; figures for BENCHMARKS.md come from `cargo xtask bench`"
        );
    }
    for scenario in scenarios {
        // Progress goes to stderr, so stdout is only the report.
        eprintln!("{}: {}...", scenario.name, (scenario.size)(&config));
        let started = Instant::now();
        match (scenario.run)(&config) {
            Ok(report) => {
                println!("{report}");
                eprintln!(
                    "{}: done in {:.0} s",
                    scenario.name,
                    started.elapsed().as_secs_f64()
                );
            }
            Err(message) => {
                eprintln!("error: {}: {message}", scenario.name);
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
