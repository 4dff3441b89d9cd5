//! The `sync-concurrency` scenario: how much faster a bulk sync is than the loop people write
//! today, `for contact in contacts { minimo.upsert(contact).await? }`.
//!
//! One `minimo-fake` without rate limit adds `latency_ms` before every answer, like a network
//! between client and server; a second part runs against a fake that adds nothing, where the
//! two cores of our machines are the limit (the client's current-thread runtime on one, the
//! fake's runtime on the other). In each part, every round runs one batch per way of
//! upserting, in an order that rotates from round to round: the sequential loop, then
//! `minimo.sync().concurrency(n).run_iter(..)` for n = 1, 8 and 32, each batch a fresh
//! [`Dataset`] (every tenth upsert writes a contact again). With latency a worker's speed is
//! set by the latency, so a batch has `per_worker` upserts per worker (the loop and n = 1
//! make `per_worker`, n = 32 makes 32 times as many) and every batch lasts about as long;
//! without latency the CPU is the limit, so every batch has `per_worker` x 32 upserts. A
//! figure for a round is the batch's upserts per second over the loop's in the same round;
//! the report gives the median over rounds. One unmeasured batch per way comes first
//! (connections opened), and at the end the store is checked for every batch's contacts.

use crate::Config;
use crate::clients::API_KEY;
use crate::dataset::{Check, Dataset};
use crate::fake::FakeHost;
use crate::measure::{Sample, measure, median};
use minimo_ext::Minimo;
use minimo_fake::FakeServer;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// A way of upserting a batch of contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// `minimo.upsert(contact).await?` for one contact after the other: the baseline.
    Loop,
    /// `minimo.sync().concurrency(n)`, unthrottled.
    Sync(usize),
}

impl Mode {
    /// Every way, the baseline first.
    pub const ALL: [Mode; 4] = [Mode::Loop, Mode::Sync(1), Mode::Sync(8), Mode::Sync(32)];

    /// The most upserts at once of any way.
    const MAX_WIDTH: usize = 32;

    /// Upserts at once.
    pub fn width(self) -> usize {
        match self {
            Mode::Loop => 1,
            Mode::Sync(n) => n,
        }
    }

    /// The name shown in reports.
    pub fn name(self) -> String {
        match self {
            Mode::Loop => "sequential `upsert` loop".to_owned(),
            Mode::Sync(n) => format!("sync, concurrency {n}"),
        }
    }
}

/// One way of upserting, in one part (with or without latency).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The latency the fake added to every answer.
    pub latency: Duration,
    /// The way of upserting.
    pub mode: Mode,
    /// Upserts per batch.
    pub batch: usize,
    /// Upserts per second, median over rounds.
    pub per_second: f64,
    /// Upserts per second over the loop's in the same round, median over rounds.
    pub ratio: f64,
    /// CPU time of the client's thread per upsert, µs, median over rounds (the client's
    /// runtime and its connection tasks run on that one thread; the fake's do not).
    pub cpu_us: f64,
    /// CPU time of the rest of the process (the fake's worker thread) per upsert, µs,
    /// median over rounds.
    pub fake_cpu_us: f64,
    /// The client thread's CPU time over the batch's wall time, median over rounds: near 1
    /// when the client's core is the limit.
    pub busy: f64,
    /// The same for the fake's CPU time.
    pub fake_busy: f64,
    /// Allocations by the client's thread per upsert, median over rounds.
    pub allocations: f64,
    /// What the store holds of every batch of this way, warm-up included.
    pub check: Check,
}

/// Everything one run of the scenario measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The size of the run.
    pub config: Config,
    /// For each part (with latency, then without), one row per way, the loop first.
    pub rows: Vec<Row>,
}

/// Runs the scenario: the part with latency, then the part without.
pub fn run(config: &Config) -> Result<Outcome, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the client runtime: {e}"))?;
    let mut rows = Vec::new();
    for latency in [
        Duration::from_millis(config.latency_ms as u64),
        Duration::ZERO,
    ] {
        rows.extend(part(&runtime, config, latency)?);
    }
    Ok(Outcome {
        config: config.clone(),
        rows,
    })
}

/// What one batch cost.
#[derive(Debug, Clone, Copy)]
struct Batch {
    /// Wall time, and CPU time and allocations of the client's thread.
    client: Sample,
    /// CPU time of the rest of the process: the fake's worker thread.
    fake_cpu: Duration,
}

/// Upserts of one batch of `mode`.
fn batch_size(config: &Config, latency: Duration, mode: Mode) -> usize {
    let width = if latency.is_zero() {
        Mode::MAX_WIDTH
    } else {
        mode.width()
    };
    config.per_worker * width
}

/// The rounds against one fake adding `latency`.
fn part(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    latency: Duration,
) -> Result<Vec<Row>, String> {
    let host = FakeHost::start(FakeServer::builder().latency(latency))?;
    let minimo = Minimo::builder()
        .api_key(API_KEY)
        .base_url(host.base_url())
        .build()
        .map_err(|e| format!("minimo-ext client: {e}"))?;
    // Far above any batch: every upsert at 4 times the latency plus 10 ms, and a minute.
    let timeout = Duration::from_secs(60)
        + (latency + Duration::from_millis(10)) * (4 * config.per_worker) as u32;
    let label = format!("sync-concurrency, {} ms", latency.as_millis());
    let mut next = 0;
    let mut datasets: Vec<(Mode, Dataset)> = Vec::new();
    let cpu_error = |e: std::io::Error| format!("cannot read this process's CPU time: {e}");
    let mut run_batch = |mode: Mode| -> Result<Batch, String> {
        let data = Dataset::new(next, batch_size(config, latency, mode));
        next = data.end();
        datasets.push((mode, data));
        let process = cpu_time::ProcessTime::try_now().map_err(cpu_error)?;
        let (result, client) = measure(|| {
            runtime.block_on(async {
                tokio::time::timeout(timeout, batch(&minimo, mode, &data))
                    .await
                    .map_err(|_| format!("a batch took more than {timeout:?}"))?
            })
        })?;
        let process = process.try_elapsed().map_err(cpu_error)?;
        result.map(|()| Batch {
            client,
            fake_cpu: process.saturating_sub(client.cpu),
        })
    };
    for mode in Mode::ALL {
        run_batch(mode)?;
    }
    let mut samples: BTreeMap<Mode, Vec<Batch>> = BTreeMap::new();
    for round in 0..config.sync_rounds {
        for position in 0..Mode::ALL.len() {
            let mode = Mode::ALL[(round + position) % Mode::ALL.len()];
            let sample = run_batch(mode)?;
            samples.entry(mode).or_default().push(sample);
        }
        eprintln!(
            "{label}: round {} of {} done",
            round + 1,
            config.sync_rounds
        );
    }
    let store = host.server().store();
    let baseline = samples.get(&Mode::Loop).cloned().unwrap_or_default();
    let rows = Mode::ALL
        .iter()
        .map(|&mode| {
            let upserts = batch_size(config, latency, mode) as f64;
            let samples = samples.get(&mode).cloned().unwrap_or_default();
            let check = datasets
                .iter()
                .filter(|(m, _)| *m == mode)
                .map(|(_, data)| data.check(store, host.company()))
                .fold(Check::default(), |sum, c| Check {
                    contacts: sum.contacts + c.contacts,
                    lost: sum.lost + c.lost,
                });
            let over_rounds = |f: &dyn Fn(&Batch) -> f64| median(samples.iter().map(f).collect());
            let wall = |b: &Batch| b.client.wall.as_secs_f64();
            // Rounds pair up: the n-th sample of every way is from round n.
            let loop_upserts = batch_size(config, latency, Mode::Loop) as f64;
            Row {
                latency,
                mode,
                batch: upserts as usize,
                per_second: over_rounds(&|b| upserts / wall(b)),
                ratio: median(
                    samples
                        .iter()
                        .zip(&baseline)
                        .map(|(b, base)| (upserts / wall(b)) / (loop_upserts / wall(base)))
                        .collect(),
                ),
                cpu_us: over_rounds(&|b| b.client.cpu.as_secs_f64() * 1e6 / upserts),
                fake_cpu_us: over_rounds(&|b| b.fake_cpu.as_secs_f64() * 1e6 / upserts),
                busy: over_rounds(&|b| b.client.cpu.as_secs_f64() / wall(b)),
                fake_busy: over_rounds(&|b| b.fake_cpu.as_secs_f64() / wall(b)),
                allocations: over_rounds(&|b| b.client.allocations as f64 / upserts),
                check,
            }
        })
        .collect();
    Ok(rows)
}

/// Upserts every contact of `data` the way `mode` says.
async fn batch(minimo: &Minimo, mode: Mode, data: &Dataset) -> Result<(), String> {
    match mode {
        Mode::Loop => {
            for line in data.lines() {
                minimo
                    .upsert(line.into_input())
                    .await
                    .map_err(|e| format!("an upsert of the loop failed: {e}"))?;
            }
        }
        Mode::Sync(n) => {
            let report = minimo
                .sync()
                .concurrency(n)
                .run_iter(data.sync_inputs(), |_| {})
                .await;
            if !report.is_complete() || report.taken != data.inputs() as u64 {
                return Err(format!(
                    "the sync at concurrency {n} applied {} of {} inputs ({} failed, {} not attempted)",
                    report.succeeded,
                    data.inputs(),
                    report.failed,
                    report.not_attempted
                ));
            }
        }
    }
    Ok(())
}

impl Outcome {
    /// The report as Markdown, ready to paste into BENCHMARKS.md.
    pub fn to_markdown(&self) -> String {
        let Config {
            sync_rounds,
            per_worker,
            ..
        } = self.config;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "`sync-concurrency`: {sync_rounds} interleaved rounds, one batch per way and round; \
             with latency a batch has {per_worker} upserts per worker, without it {} for every way; \
             median over rounds of each way's upserts/s over the sequential loop's in the same round\n",
            per_worker * Mode::MAX_WIDTH
        );
        let _ = writeln!(
            out,
            "| fake's added latency | way | upserts per batch | upserts/s | ÷ loop's | CPU per upsert, µs: client / fake | busy: client / fake | allocations per upsert | lost |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {} ms | {} | {} | {:.0} | {:.2} | {:.1} / {:.1} | {:.0}% / {:.0}% | {:.1} | {} |",
                row.latency.as_millis(),
                row.mode.name(),
                row.batch,
                row.per_second,
                row.ratio,
                row.cpu_us,
                row.fake_cpu_us,
                row.busy * 100.0,
                row.fake_busy * 100.0,
                row.allocations,
                row.check.lost,
            );
        }
        let _ = writeln!(
            out,
            "\n- upserts/s: a batch's upserts over its wall time, median over rounds (absolute: \
             moves with the machine)\n\
             - ÷ loop's: the same over the sequential loop's in the same round, median over \
             rounds (target: >= 20 at concurrency 32 with latency)\n\
             - CPU per upsert: CPU time of the thread running the client's current-thread runtime \
             (its connection tasks included; the contacts are built there too, the same for \
             every way) / of the rest of the process, the fake's worker thread; over the batch's \
             upserts, median over rounds\n\
             - busy: the same CPU times over the batch's wall time: near 100% that side's core is \
             the limit; both well below it, the latency is, or other work on the machine took \
             the cores\n\
             - allocations per upsert: allocations by the client's thread, likewise\n\
             - lost: contacts of this way's batches (warm-up included) missing from the fake's \
             store or not holding the values of their last upsert"
        );
        out
    }
}
