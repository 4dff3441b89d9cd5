//! Benchmarks of the Minimo clients, run by `cargo xtask bench` (release mode) and recorded
//! in `BENCHMARKS.md`.
//!
//! Every figure is a ratio to a baseline measured in the same process, in interleaved
//! rounds, because absolute times on a shared machine move by tens of percent from one
//! minute to the next while ratios stay within about a percent. Nothing here asserts on
//! time: the scenarios measure and report, the team reads the figures.
//!
//! - [`SCENARIOS`]: what can be run, by name (`cargo xtask bench calls`); `all` runs each.
//! - [`calls`]: one call at a time and many in flight, by the hand-written baseline,
//!   `minimo-api` and `minimo-ext`, against [`server`]'s stub;
//! - [`clients`]: how each client makes each call, the place to adapt when an API changes.
//!
//! Linking this crate replaces the global allocator with `allocation-counter`'s, which counts
//! the allocations of each thread.

pub mod calls;
pub mod clients;
mod measure;
pub mod server;

use std::fmt;

/// The size of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Interleaved rounds; each figure is a median over them.
    pub rounds: usize,
    /// Calls per client and batch.
    pub calls: usize,
    /// Calls at once in the throughput batches.
    pub in_flight: usize,
}

impl Default for Config {
    /// The size of the issue's measurement: 100 rounds x 200 calls, 32 in flight.
    fn default() -> Self {
        Config {
            rounds: 100,
            calls: 200,
            in_flight: 32,
        }
    }
}

/// A setting of [`Config`]: its flag, environment variable, and the bounds that keep a run
/// finite.
struct Setting {
    flag: &'static str,
    env: &'static str,
    max: usize,
    field: fn(&mut Config) -> &mut usize,
}

const SETTINGS: &[Setting] = &[
    Setting {
        flag: "--rounds",
        env: "MINIMO_BENCH_ROUNDS",
        max: 10_000,
        field: |c| &mut c.rounds,
    },
    Setting {
        flag: "--calls",
        env: "MINIMO_BENCH_CALLS",
        max: 100_000,
        field: |c| &mut c.calls,
    },
    Setting {
        flag: "--in-flight",
        env: "MINIMO_BENCH_IN_FLIGHT",
        max: 1_024,
        field: |c| &mut c.in_flight,
    },
];

/// A benchmark that can be run by name.
pub struct Scenario {
    /// Its name on the command line.
    pub name: &'static str,
    /// What it measures, in one line.
    pub summary: &'static str,
    /// Runs it and returns its Markdown report.
    pub run: fn(&Config) -> Result<String, String>,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .finish()
    }
}

/// Every scenario, in the order `all` runs them. (The bulk sync against minimo-fake joins
/// here.)
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "calls",
    summary: "get-by-email and upsert, one at a time and many in flight: raw reqwest, minimo-api, minimo-ext",
    run: |config| calls::run(config).map(|outcome| outcome.to_markdown()),
}];

/// What the command line asked for.
#[derive(Debug)]
pub enum Command {
    /// Run these scenarios with this configuration.
    Run(Vec<&'static Scenario>, Config),
    /// Print [`usage`].
    Help,
}

/// The help text: scenarios, flags and their environment variables.
pub fn usage() -> String {
    let mut text = String::from(
        "usage: minimo-bench [all | SCENARIO...] [FLAGS]   (`cargo xtask bench ...` runs it in release mode)\n\nscenarios:\n",
    );
    for scenario in SCENARIOS {
        text.push_str(&format!("  {:<10} {}\n", scenario.name, scenario.summary));
    }
    text.push_str("  all        every scenario (the default)\n\nflags (each also read from its environment variable; a flag wins):\n");
    let defaults = Config::default();
    for setting in SETTINGS {
        let mut config = defaults.clone();
        text.push_str(&format!(
            "  {} N  (${}, default {}, at most {})\n",
            setting.flag,
            setting.env,
            (setting.field)(&mut config),
            setting.max
        ));
    }
    text
}

/// Parses the command line (without the program name); `env` looks up an environment
/// variable (so tests need not touch the process environment).
pub fn parse_args(
    args: &[String],
    env: impl Fn(&str) -> Option<String>,
) -> Result<Command, String> {
    let mut config = Config::default();
    for setting in SETTINGS {
        if let Some(value) = env(setting.env) {
            *(setting.field)(&mut config) = parse_count(setting, &value)?;
        }
    }
    let mut scenarios: Vec<&'static Scenario> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" | "help" => return Ok(Command::Help),
            "all" => scenarios.extend(SCENARIOS),
            flag if flag.starts_with('-') => {
                let setting = SETTINGS
                    .iter()
                    .find(|s| s.flag == flag)
                    .ok_or_else(|| format!("unknown flag `{flag}`\n\n{}", usage()))?;
                let value = args
                    .next()
                    .ok_or_else(|| format!("{flag} needs a number"))?;
                *(setting.field)(&mut config) = parse_count(setting, value)?;
            }
            name => scenarios.push(
                SCENARIOS
                    .iter()
                    .find(|s| s.name == name)
                    .ok_or_else(|| format!("unknown scenario `{name}`\n\n{}", usage()))?,
            ),
        }
    }
    if scenarios.is_empty() {
        scenarios.extend(SCENARIOS);
    }
    Ok(Command::Run(scenarios, config))
}

fn parse_count(setting: &Setting, value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=setting.max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{} (${}) must be a whole number from 1 to {}, not `{value}`",
            setting.flag, setting.env, setting.max
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Command, String> {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        parse_args(&args, |name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn config(command: Result<Command, String>) -> Option<(Vec<&'static str>, Config)> {
        match command {
            Ok(Command::Run(scenarios, config)) => {
                Some((scenarios.iter().map(|s| s.name).collect(), config))
            }
            _ => None,
        }
    }

    #[test]
    fn defaults_are_the_issue_size_and_every_scenario() {
        assert_eq!(
            config(parse(&[], &[])),
            Some((vec!["calls"], Config::default()))
        );
        assert_eq!(config(parse(&["all"], &[])), config(parse(&[], &[])));
    }

    #[test]
    fn flags_win_over_the_environment() {
        let parsed = config(parse(
            &["calls", "--rounds", "3"],
            &[("MINIMO_BENCH_ROUNDS", "7"), ("MINIMO_BENCH_CALLS", "9")],
        ));
        let expected = Config {
            rounds: 3,
            calls: 9,
            in_flight: 32,
        };
        assert_eq!(parsed, Some((vec!["calls"], expected)));
    }

    #[test]
    fn sizes_are_bounded_and_names_checked() {
        for bad in [
            &["--rounds", "0"][..],
            &["--calls", "1000000"],
            &["--in-flight", "x"],
            &["--rounds"],
            &["--speed", "1"],
            &["sync-everything"],
        ] {
            assert!(parse(bad, &[]).is_err(), "{bad:?}");
        }
        assert!(parse(&[], &[("MINIMO_BENCH_CALLS", "-1")]).is_err());
        assert!(matches!(parse(&["--help"], &[]), Ok(Command::Help)));
    }
}
