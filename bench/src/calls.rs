//! The `calls` scenario: the same call made by the hand-written baseline and by our two
//! clients, against the stub server of [`crate::server`], in one process.
//!
//! Each round runs, for each operation and each mode (one call at a time; `in_flight` at
//! once), one batch of `calls` calls per client, the clients in an order that rotates from
//! round to round. A client's figure for a round is its batch's cost divided by the
//! baseline's batch in the same round, so a slow spell of this shared machine moves both
//! and cancels out; the report gives the median of those ratios over the rounds. Everything
//! runs twice: with no tracing subscriber, then with a `tracing_subscriber::fmt` subscriber
//! at INFO (writing to a sink) installed for the client thread.

use crate::Config;
use crate::clients::{Clients, Kind, Op};
use crate::measure::{Sample, measure, median, ratio};
use crate::server::StubServer;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::util::SubscriberInitExt;

/// The longest one batch may take before the run is abandoned (the benchmark never waits
/// forever on a stuck connection). Far above any real batch: 200 calls take milliseconds.
pub const BATCH_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether a tracing subscriber is installed while the clients run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tracing {
    /// No subscriber at all (measured first, before any subscriber ever existed).
    None,
    /// `tracing_subscriber::fmt` at INFO, writing to a sink, as the client thread's default.
    FmtInfo,
}

impl Tracing {
    /// Both settings, in the order they run.
    pub const ALL: [Tracing; 2] = [Tracing::None, Tracing::FmtInfo];

    /// The name shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            Tracing::None => "none",
            Tracing::FmtInfo => "fmt, INFO",
        }
    }
}

/// How the calls of a batch are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    /// One call at a time.
    Sequential,
    /// `Config::in_flight` calls at once.
    InFlight,
}

/// One client's figures for one operation: medians over rounds of the ratio to the baseline
/// of the same round (the baseline's own row is 1 by construction), and its allocations.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The tracing setting.
    pub tracing: Tracing,
    /// The client.
    pub client: Kind,
    /// The operation.
    pub op: Op,
    /// Wall time, one call at a time.
    pub time: f64,
    /// CPU time of the client thread, one call at a time.
    pub cpu: f64,
    /// Allocations per call, one call at a time (absolute, not a ratio).
    pub allocations: f64,
    /// Calls per second with `in_flight` calls at once.
    pub throughput: f64,
    /// CPU time of the client thread with `in_flight` calls at once.
    pub in_flight_cpu: f64,
}

/// The baseline's absolute figures (medians over rounds), to put the ratios in scale. They
/// move by tens of percent on a shared machine; the ratios do not.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// The tracing setting.
    pub tracing: Tracing,
    /// The operation.
    pub op: Op,
    /// Wall time per call, one call at a time.
    pub wall_per_call: Duration,
    /// CPU time of the client thread per call, one call at a time.
    pub cpu_per_call: Duration,
    /// Calls per second with `in_flight` calls at once.
    pub calls_per_second: f64,
}

/// Everything one run of the scenario measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The size of the run.
    pub config: Config,
    /// One row per tracing setting, client and operation.
    pub rows: Vec<Row>,
    /// One per tracing setting and operation.
    pub baselines: Vec<Baseline>,
}

/// Runs the scenario: starts the stub server and the clients, measures, stops the server.
pub fn run(config: &Config) -> Result<Outcome, String> {
    let server = StubServer::start().map_err(|e| format!("cannot start the stub server: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the client runtime: {e}"))?;
    let clients = Clients::new(&server.base_url())?;
    let mut outcome = Outcome {
        config: config.clone(),
        rows: Vec::new(),
        baselines: Vec::new(),
    };
    for tracing in Tracing::ALL {
        // Installed for this thread only: the server thread never formats anything.
        let _subscriber = (tracing == Tracing::FmtInfo).then(|| {
            tracing_subscriber::fmt()
                .with_max_level(LevelFilter::INFO)
                .with_writer(std::io::sink)
                .finish()
                .set_default()
        });
        let samples = rounds(&runtime, &clients, config)?;
        summarize(tracing, config, &samples, &mut outcome);
    }
    Ok(outcome)
}

type Samples = BTreeMap<(Op, Mode, Kind), Vec<Sample>>;

/// The measured rounds, after one unmeasured warm-up batch per client, operation and mode
/// (connections opened, pools filled to `in_flight`, lazy initialisation done).
fn rounds(
    runtime: &tokio::runtime::Runtime,
    clients: &Clients,
    config: &Config,
) -> Result<Samples, String> {
    let run_batch = |kind, op, mode| {
        runtime.block_on(async {
            tokio::time::timeout(BATCH_TIMEOUT, batch(clients, kind, op, mode, config))
                .await
                .map_err(|_| format!("a batch took more than {BATCH_TIMEOUT:?}"))?
        })
    };
    for op in Op::ALL {
        for mode in [Mode::Sequential, Mode::InFlight] {
            for kind in Kind::ALL {
                run_batch(kind, op, mode)?;
            }
        }
    }
    let mut samples = Samples::new();
    for round in 0..config.rounds {
        for op in Op::ALL {
            for mode in [Mode::Sequential, Mode::InFlight] {
                for position in 0..Kind::ALL.len() {
                    let kind = Kind::ALL[(round + position) % Kind::ALL.len()];
                    let (result, sample) = measure(|| run_batch(kind, op, mode))?;
                    result?;
                    samples.entry((op, mode, kind)).or_default().push(sample);
                }
            }
        }
    }
    Ok(samples)
}

/// `config.calls` calls of `op` by `kind`, one at a time or `config.in_flight` at once.
async fn batch(
    clients: &Clients,
    kind: Kind,
    op: Op,
    mode: Mode,
    config: &Config,
) -> Result<(), String> {
    let width = match mode {
        Mode::Sequential => 1,
        Mode::InFlight => config.in_flight.min(config.calls),
    };
    // Workers on this one task take call numbers from a shared counter until none is left:
    // nothing is spawned, so no client pays for tasks the others would not.
    let taken = Cell::new(0);
    let worker = || async {
        while taken.get() < config.calls {
            taken.set(taken.get() + 1);
            clients.call(kind, op).await?;
        }
        Ok::<(), String>(())
    };
    futures_util::future::try_join_all((0..width).map(|_| worker())).await?;
    Ok(())
}

/// The median over rounds of `figure(client's sample, baseline's sample)` of the same round.
fn per_round(
    samples: &[Sample],
    baseline: &[Sample],
    figure: impl Fn(&Sample, &Sample) -> f64,
) -> f64 {
    median(
        samples
            .iter()
            .zip(baseline)
            .map(|(s, base)| figure(s, base))
            .collect(),
    )
}

/// Turns the samples of one tracing setting into rows and baselines.
fn summarize(tracing: Tracing, config: &Config, samples: &Samples, outcome: &mut Outcome) {
    let calls = config.calls as f64;
    let empty = Vec::new();
    let get = |op, mode, kind| samples.get(&(op, mode, kind)).unwrap_or(&empty);
    for op in Op::ALL {
        let base_seq = get(op, Mode::Sequential, Kind::Raw);
        let base_flight = get(op, Mode::InFlight, Kind::Raw);
        for kind in Kind::ALL {
            let seq = get(op, Mode::Sequential, kind);
            let flight = get(op, Mode::InFlight, kind);
            outcome.rows.push(Row {
                tracing,
                client: kind,
                op,
                time: per_round(seq, base_seq, |s, base| ratio(s.wall, base.wall)),
                cpu: per_round(seq, base_seq, |s, base| ratio(s.cpu, base.cpu)),
                allocations: per_round(seq, base_seq, |s, _| s.allocations as f64 / calls),
                throughput: per_round(flight, base_flight, |s, base| ratio(base.wall, s.wall)),
                in_flight_cpu: per_round(flight, base_flight, |s, base| ratio(s.cpu, base.cpu)),
            });
        }
        let seconds = |f: fn(&Sample) -> Duration| {
            median(base_seq.iter().map(|s| f(s).as_secs_f64()).collect())
        };
        outcome.baselines.push(Baseline {
            tracing,
            op,
            wall_per_call: duration(seconds(|s| s.wall) / calls),
            cpu_per_call: duration(seconds(|s| s.cpu) / calls),
            calls_per_second: median(
                base_flight
                    .iter()
                    .map(|s| calls / s.wall.as_secs_f64())
                    .collect(),
            ),
        });
    }
}

impl Outcome {
    /// The report as Markdown, ready to paste into BENCHMARKS.md.
    pub fn to_markdown(&self) -> String {
        let Config {
            rounds,
            calls,
            in_flight,
            ..
        } = self.config;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "`calls`: {rounds} interleaved rounds x {calls} calls per client, operation and mode; \
             median over rounds of each client's ratio to raw reqwest in the same round \
             (allocations: per call, absolute)\n"
        );
        let _ = writeln!(
            out,
            "| tracing | client | operation | time | CPU | allocations per call | {in_flight} in flight: calls/s | {in_flight} in flight: CPU |"
        );
        let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|");
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.3} | {:.3} | {:.1} | {:.3} | {:.3} |",
                row.tracing.name(),
                row.client.name(),
                row.op.name(),
                row.time,
                row.cpu,
                row.allocations,
                row.throughput,
                row.in_flight_cpu,
            );
        }
        let _ = writeln!(
            out,
            "\nThe baseline in absolute terms (medians; these move by tens of percent on a shared machine):\n"
        );
        let _ = writeln!(
            out,
            "| tracing | operation | raw reqwest: µs per call | CPU µs per call | calls/s, {in_flight} in flight |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|");
        for base in &self.baselines {
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} | {:.1} | {:.0} |",
                base.tracing.name(),
                base.op.name(),
                base.wall_per_call.as_secs_f64() * 1e6,
                base.cpu_per_call.as_secs_f64() * 1e6,
                base.calls_per_second,
            );
        }
        out
    }
}

/// Seconds as a duration; zero for what no duration can be (NaN from no samples).
fn duration(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds).unwrap_or_default()
}
