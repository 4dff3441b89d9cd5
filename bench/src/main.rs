//! `minimo-bench [all | SCENARIO...] [FLAGS]`: runs benchmark scenarios and prints their
//! Markdown reports. Run it through `cargo xtask bench`, which builds it in release mode.

use minimo_bench::{Command, parse_args, usage};
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
        eprintln!(
            "{}: {} rounds x {} calls, {} in flight...",
            scenario.name, config.rounds, config.calls, config.in_flight
        );
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
