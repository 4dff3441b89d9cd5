//! Benchmarks of the Minimo clients, their bulk sync and the fake they are tested against,
//! run by `cargo xtask bench` (release mode) and recorded in `BENCHMARKS.md`.
//!
//! Every figure is a ratio between things measured in the same process, in interleaved
//! rounds where that makes sense, because absolute times on a shared machine move by tens of
//! percent from one minute to the next while ratios stay within about a percent. Nothing
//! here asserts on time: the scenarios measure and report, the team reads the figures.
//!
//! - [`SCENARIOS`]: what can be run, by name (`cargo xtask bench calls`); `all` runs each.
//! - [`calls`]: one call at a time and many in flight, by the hand-written baseline,
//!   `minimo-api` and `minimo-ext`, against [`server`]'s stub;
//! - [`sync_limit`]: a bulk sync against `minimo-fake` rate-limited, configured at the
//!   limit and above it;
//! - [`sync_concurrency`]: a bulk sync at several concurrencies against a sequential loop of
//!   upserts, with and without a network-like latency;
//! - [`sync_memory`]: the peak memory of a process syncing an NDJSON file, at two sizes;
//! - [`fake_scale`]: `minimo-fake`'s upsert at two store sizes;
//! - [`clients`]: how each client makes each call, the place to adapt when an API changes;
//! - [`dataset`]: the synthetic contacts of the sync scenarios and the check of the store;
//! - [`fake`]: `minimo-fake` on a runtime of its own.
//!
//! Linking this crate replaces the global allocator with `allocation-counter`'s, which counts
//! the allocations of each thread.

pub mod calls;
pub mod clients;
pub mod dataset;
pub mod fake;
pub mod fake_scale;
mod measure;
mod progress;
pub mod server;
pub mod sync_concurrency;
pub mod sync_limit;
pub mod sync_memory;

use std::fmt;

/// The size of a run. Each setting has a flag and an environment variable ([`usage`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Interleaved rounds of `calls` and `fake-scale`; each figure is a median over them.
    pub rounds: usize,
    /// Calls per client and batch (`calls`), upserts per store size and batch
    /// (`fake-scale`).
    pub calls: usize,
    /// Calls at once in the throughput batches of `calls` and `fake-scale`.
    pub in_flight: usize,
    /// Upserts of `sync-limit`'s run at the limit (its run at twice the limit makes half).
    pub contacts: usize,
    /// The fake's rate limit in `sync-limit`, requests per second.
    pub rate_limit: usize,
    /// The latency the fake adds to every answer in the first part of `sync-concurrency`,
    /// in milliseconds.
    pub latency_ms: usize,
    /// Interleaved rounds of `sync-concurrency`.
    pub sync_rounds: usize,
    /// Upserts per worker in a batch of `sync-concurrency`.
    pub per_worker: usize,
    /// Contacts in `sync-memory`'s large file (the small one has a tenth).
    pub memory_contacts: usize,
    /// Contacts in `fake-scale`'s large store (the small one has a hundredth).
    pub store_contacts: usize,
}

impl Default for Config {
    /// The sizes of the issues' measurements: `calls` 100 rounds x 200 calls, 32 in flight;
    /// 20,000 contacts at 500 requests/s; 20 ms of latency, 5 rounds of 50 upserts per
    /// worker; 100,000 contacts in a file; 100,000 contacts in the fake's store.
    fn default() -> Self {
        Config {
            rounds: 100,
            calls: 200,
            in_flight: 32,
            contacts: 20_000,
            rate_limit: 500,
            latency_ms: 20,
            sync_rounds: 5,
            per_worker: 50,
            memory_contacts: 100_000,
            store_contacts: 100_000,
        }
    }
}

/// A setting of [`Config`]: its flag, environment variable, what it sizes, and the bounds
/// that keep a run finite.
struct Setting {
    flag: &'static str,
    env: &'static str,
    help: &'static str,
    max: usize,
    field: fn(&mut Config) -> &mut usize,
}

const SETTINGS: &[Setting] = &[
    Setting {
        flag: "--rounds",
        env: "MINIMO_BENCH_ROUNDS",
        help: "interleaved rounds (calls, fake-scale)",
        max: 10_000,
        field: |c| &mut c.rounds,
    },
    Setting {
        flag: "--calls",
        env: "MINIMO_BENCH_CALLS",
        help: "calls per client and batch (calls); upserts per store size and batch (fake-scale)",
        max: 100_000,
        field: |c| &mut c.calls,
    },
    Setting {
        flag: "--in-flight",
        env: "MINIMO_BENCH_IN_FLIGHT",
        help: "calls at once in the throughput batches (calls, fake-scale)",
        max: 1_024,
        field: |c| &mut c.in_flight,
    },
    Setting {
        flag: "--contacts",
        env: "MINIMO_BENCH_CONTACTS",
        help: "upserts synced at the limit; half as many at twice the limit (sync-limit)",
        max: 1_000_000,
        field: |c| &mut c.contacts,
    },
    Setting {
        flag: "--rate-limit",
        env: "MINIMO_BENCH_RATE_LIMIT",
        help: "the fake's limit, requests per second (sync-limit)",
        max: 100_000,
        field: |c| &mut c.rate_limit,
    },
    Setting {
        flag: "--latency-ms",
        env: "MINIMO_BENCH_LATENCY_MS",
        help: "latency the fake adds to every answer, ms; a second part runs without (sync-concurrency)",
        max: 1_000,
        field: |c| &mut c.latency_ms,
    },
    Setting {
        flag: "--sync-rounds",
        env: "MINIMO_BENCH_SYNC_ROUNDS",
        help: "interleaved rounds (sync-concurrency)",
        max: 1_000,
        field: |c| &mut c.sync_rounds,
    },
    Setting {
        flag: "--per-worker",
        env: "MINIMO_BENCH_PER_WORKER",
        help: "upserts per worker and batch (sync-concurrency)",
        max: 10_000,
        field: |c| &mut c.per_worker,
    },
    Setting {
        flag: "--memory-contacts",
        env: "MINIMO_BENCH_MEMORY_CONTACTS",
        help: "contacts in the large file; the small one has a tenth (sync-memory)",
        max: 1_000_000,
        field: |c| &mut c.memory_contacts,
    },
    Setting {
        flag: "--store-contacts",
        env: "MINIMO_BENCH_STORE_CONTACTS",
        help: "contacts in the large store; the small one has a hundredth (fake-scale)",
        max: 1_000_000,
        field: |c| &mut c.store_contacts,
    },
];

/// A benchmark that can be run by name.
pub struct Scenario {
    /// Its name on the command line.
    pub name: &'static str,
    /// What it measures, in one line.
    pub summary: &'static str,
    /// The size a configuration gives it, in words, for the progress line.
    pub size: fn(&Config) -> String,
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

/// Every scenario, in the order `all` runs them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "calls",
        summary: "get-by-email and upsert, one at a time and many in flight: raw reqwest, minimo-api, minimo-ext",
        size: |c| {
            format!(
                "{} rounds x {} calls, {} in flight",
                c.rounds, c.calls, c.in_flight
            )
        },
        run: |config| calls::run(config).map(|outcome| outcome.to_markdown()),
    },
    Scenario {
        name: "sync-limit",
        summary: "bulk sync into minimo-fake at its rate limit, and configured at twice it: rate / limit, 429s, lost",
        size: |c| {
            format!(
                "{} upserts at {} requests/s, then {} with the sync configured at twice the limit",
                c.contacts,
                c.rate_limit,
                sync_limit::over_limit_contacts(c)
            )
        },
        run: |config| sync_limit::run(config).map(|outcome| outcome.to_markdown()),
    },
    Scenario {
        name: "sync-concurrency",
        summary: "bulk sync at concurrency 1, 8, 32 vs a sequential upsert loop, with and without latency",
        size: |c| {
            format!(
                "{} rounds, {} upserts per worker, {} ms of latency then none",
                c.sync_rounds, c.per_worker, c.latency_ms
            )
        },
        run: |config| sync_concurrency::run(config).map(|outcome| outcome.to_markdown()),
    },
    Scenario {
        name: "sync-memory",
        summary: "peak RSS of a process syncing an NDJSON file: large file vs a tenth of it",
        size: |c| {
            format!(
                "files of {} and {} lines",
                sync_memory::small_contacts(c),
                c.memory_contacts
            )
        },
        run: |config| {
            // The child that syncs is this very program, with a hidden subcommand.
            let program = std::env::current_exe()
                .map_err(|e| format!("cannot find this program to run it again: {e}"))?;
            sync_memory::run(config, &program).map(|outcome| outcome.to_markdown())
        },
    },
    Scenario {
        name: "fake-scale",
        summary: "minimo-fake's upsert latency and throughput with a large store vs a hundredth of it",
        size: |c| {
            format!(
                "{} and {} stored contacts, {} rounds x {} upserts, {} in flight",
                fake_scale::small_store(c),
                c.store_contacts,
                c.rounds,
                c.calls,
                c.in_flight
            )
        },
        run: |config| fake_scale::run(config).map(|outcome| outcome.to_markdown()),
    },
];

/// What the command line asked for.
#[derive(Debug)]
pub enum Command {
    /// Run these scenarios with this configuration.
    Run(Vec<&'static Scenario>, Config),
    /// Print [`usage`].
    Help,
    /// Sync a file and report this process's memory: the child process of `sync-memory`
    /// (a hidden subcommand, [`sync_memory::CHILD_COMMAND`]).
    SyncFile(sync_memory::ChildArgs),
}

/// The help text: scenarios, flags and their environment variables.
pub fn usage() -> String {
    let mut text = String::from(
        "usage: minimo-bench [all | SCENARIO...] [FLAGS]   (`cargo xtask bench ...` runs it in release mode)\n\nscenarios:\n",
    );
    for scenario in SCENARIOS {
        text.push_str(&format!("  {:<17} {}\n", scenario.name, scenario.summary));
    }
    text.push_str(&format!(
        "  {:<17} every scenario (the default)\n\nflags (each also read from its environment variable; a flag wins):\n",
        "all"
    ));
    let defaults = Config::default();
    for setting in SETTINGS {
        let mut config = defaults.clone();
        text.push_str(&format!(
            "  {} N  {}\n      (${}, default {}, at most {})\n",
            setting.flag,
            setting.help,
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
    if args.first().map(String::as_str) == Some(sync_memory::CHILD_COMMAND) {
        return sync_memory::ChildArgs::parse(&args[1..]).map(Command::SyncFile);
    }
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
        let every = vec![
            "calls",
            "sync-limit",
            "sync-concurrency",
            "sync-memory",
            "fake-scale",
        ];
        assert_eq!(
            config(parse(&[], &[])),
            Some((every.clone(), Config::default()))
        );
        assert_eq!(config(parse(&["all"], &[])), config(parse(&[], &[])));
        let defaults = Config::default();
        assert_eq!(
            (defaults.contacts, defaults.rate_limit, defaults.latency_ms),
            (20_000, 500, 20)
        );
        assert_eq!(
            (defaults.memory_contacts, defaults.store_contacts),
            (100_000, 100_000)
        );
        // Every scenario has a name of its own and says what it measures and at what size.
        for (scenario, name) in SCENARIOS.iter().zip(&every) {
            assert_eq!(scenario.name, *name);
            assert!(usage().contains(scenario.summary));
            assert!(!(scenario.size)(&defaults).is_empty());
        }
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
            ..Config::default()
        };
        assert_eq!(parsed, Some((vec!["calls"], expected)));
    }

    #[test]
    fn the_sync_and_fake_sizes_have_flags_and_variables() {
        let parsed = config(parse(
            &[
                "sync-limit",
                "fake-scale",
                "--contacts",
                "300",
                "--rate-limit",
                "2000",
                "--latency-ms",
                "5",
                "--sync-rounds",
                "2",
                "--per-worker",
                "4",
                "--memory-contacts",
                "1000",
            ],
            &[
                ("MINIMO_BENCH_CONTACTS", "7"),
                ("MINIMO_BENCH_STORE_CONTACTS", "500"),
            ],
        ));
        let expected = Config {
            contacts: 300,
            rate_limit: 2_000,
            latency_ms: 5,
            sync_rounds: 2,
            per_worker: 4,
            memory_contacts: 1_000,
            store_contacts: 500,
            ..Config::default()
        };
        assert_eq!(parsed, Some((vec!["sync-limit", "fake-scale"], expected)));
        // Every setting is listed in the help with its variable.
        for setting in SETTINGS {
            assert!(usage().contains(setting.flag) && usage().contains(setting.env));
        }
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
            &["--contacts", "0"],
            &["--contacts", "1000001"],
            &["--rate-limit", "100001"],
            &["--latency-ms", "1001"],
            &["--latency-ms", "0"],
            &["--sync-rounds", "1001"],
            &["--per-worker", "10001"],
            &["--memory-contacts", "2000000"],
            &["--store-contacts", "1.5"],
        ] {
            assert!(parse(bad, &[]).is_err(), "{bad:?}");
        }
        assert!(parse(&[], &[("MINIMO_BENCH_CALLS", "-1")]).is_err());
        assert!(parse(&[], &[("MINIMO_BENCH_MEMORY_CONTACTS", "0")]).is_err());
        assert!(matches!(parse(&["--help"], &[]), Ok(Command::Help)));
    }

    #[test]
    fn the_hidden_child_command_parses_its_arguments_only() {
        let args = [
            "__sync-file",
            "http://127.0.0.1:4000",
            "contacts.ndjson",
            "10",
        ];
        // The scenarios' settings are not read: a bad one cannot stop the child.
        let child = match parse(&args, &[("MINIMO_BENCH_CONTACTS", "nonsense")]) {
            Ok(Command::SyncFile(child)) => Some((child.base_url, child.inputs)),
            _ => None,
        };
        assert_eq!(child, Some(("http://127.0.0.1:4000".to_owned(), 10)));
        for bad in [
            &["__sync-file"][..],
            &["__sync-file", "http://127.0.0.1:4000", "contacts.ndjson"],
            &["__sync-file", "http://example.com", "contacts.ndjson", "10"],
            &[
                "__sync-file",
                "http://127.0.0.1:4000",
                "contacts.ndjson",
                "ten",
            ],
            &[
                "__sync-file",
                "http://127.0.0.1:1",
                "contacts.ndjson",
                "1",
                "more",
            ],
        ] {
            assert!(parse(bad, &[]).is_err(), "{bad:?}");
        }
        assert!(!usage().contains("__sync-file"), "hidden");
    }
}
