//! The `sync-limit` scenario: a bulk sync into `minimo-fake` rate-limited, the way a user who
//! knows their account's limit configures it, and once more configured at twice the limit.
//!
//! Each run starts a fresh fake limited to `rate_limit` requests per second per key (a token
//! bucket holding a tenth of a second's worth, [`burst`]), no added latency, and syncs a
//! [`Dataset`] through `minimo.sync().rate_limit(R).concurrency(16)` from a current-thread
//! runtime: first `R` = the limit with `contacts` upserts, then `R` = twice the limit with
//! half as many (too high: the sync must find the limit from the fake's 429s). Figures come
//! from the fake's own statistics (answers 200 and 429 to the upsert) and the sync's elapsed
//! time; the fake's store is then checked contact by contact ([`Dataset::check`]).

use crate::Config;
use crate::clients::API_KEY;
use crate::dataset::{Check, Dataset};
use crate::fake::FakeHost;
use crate::progress::Printer;
use minimo_ext::{Minimo, SyncResult};
use minimo_fake::FakeServer;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// The upsert's operation id in the fake's statistics.
pub const UPSERT: &str = "upsertContact";

/// Inputs applied at once: the sync's default, said explicitly.
pub const CONCURRENCY: usize = 16;

/// The fake's bucket: a tenth of a second of requests at `rate_limit`, at least one.
pub fn burst(rate_limit: usize) -> u32 {
    u32::try_from(rate_limit / 10).unwrap_or(u32::MAX).max(1)
}

/// Upserts of the run configured at twice the limit: half of `contacts`, at least one.
pub fn over_limit_contacts(config: &Config) -> usize {
    (config.contacts / 2).max(1)
}

/// One sync run.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The rate the sync was configured with (`rate_limit`), requests per second.
    pub configured: f64,
    /// The fake's limit, requests per second.
    pub limit: f64,
    /// Upserts synced.
    pub upserts: u64,
    /// The sync's time, from its start to its last outcome.
    pub elapsed: Duration,
    /// Upserts the fake answered 200.
    pub accepted: u64,
    /// Upserts the fake answered 429.
    pub throttled: u64,
    /// Every upsert the fake received.
    pub requests: u64,
    /// The sync's pace when it ended (`None`: unlimited).
    pub final_pace: Option<f64>,
    /// Inputs the sync reported failed or not attempted.
    pub not_applied: u64,
    /// What the store holds of the dataset.
    pub check: Check,
}

impl Row {
    /// Upserts accepted per second.
    pub fn rate(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// [`rate`](Self::rate) over the fake's limit: 1 is the limit met exactly.
    pub fn share_of_limit(&self) -> f64 {
        self.rate() / self.limit
    }

    /// Of the upserts the fake received, the share it answered 429.
    pub fn throttled_share(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.throttled as f64 / self.requests as f64
        }
    }
}

/// Everything one run of the scenario measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The size of the run.
    pub config: Config,
    /// The run at the limit, then the run at twice the limit.
    pub rows: Vec<Row>,
}

/// Runs the scenario: the sync configured at the limit, then at twice it.
pub fn run(config: &Config) -> Result<Outcome, String> {
    let runs = [(1.0, config.contacts), (2.0, over_limit_contacts(config))];
    let mut rows = Vec::new();
    for (multiple, upserts) in runs {
        rows.push(run_once(config, multiple, upserts)?);
    }
    Ok(Outcome {
        config: config.clone(),
        rows,
    })
}

/// One sync of `upserts` into a fresh fake, configured at `multiple` times its limit.
fn run_once(config: &Config, multiple: f64, upserts: usize) -> Result<Row, String> {
    let limit = config.rate_limit as f64;
    let configured = limit * multiple;
    let host = FakeHost::start(FakeServer::builder().rate_limit(limit, burst(config.rate_limit)))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the client runtime: {e}"))?;
    let minimo = Minimo::builder()
        .api_key(API_KEY)
        .base_url(host.base_url())
        .build()
        .map_err(|e| format!("minimo-ext client: {e}"))?;
    let data = Dataset::new(0, upserts);
    // Bounded: at a tenth of the configured pace the sync would still end by then.
    let deadline = Duration::from_secs_f64(60.0 + 10.0 * upserts as f64 / limit);
    let mut printer = Printer::new(
        format!("sync-limit, configured at {configured:.0}/s"),
        upserts as u64,
    );
    let mut final_pace = None;
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let report = runtime.block_on(
        minimo
            .sync()
            .rate_limit(configured)
            .concurrency(CONCURRENCY)
            .expected_total(upserts as u64)
            .deadline(deadline)
            .on_progress(|progress| {
                final_pace = progress.limit;
                printer.update(progress);
            })
            .run_iter(data.sync_inputs(), |outcome| {
                if let SyncResult::Failed(error) = &outcome.result {
                    *failures.entry(error.kind().to_string()).or_default() += 1;
                }
            }),
    );
    for (kind, count) in &failures {
        eprintln!("sync-limit: {count} inputs failed: {kind}");
    }
    if let Some(reason) = report.stopped {
        eprintln!("sync-limit: the sync stopped early: {reason:?}");
    }
    let stats = host.server().stats();
    Ok(Row {
        configured,
        limit,
        upserts: upserts as u64,
        elapsed: report.elapsed,
        accepted: stats.count(UPSERT, 200),
        throttled: stats.count(UPSERT, 429),
        requests: stats.operation(UPSERT),
        final_pace,
        not_applied: report.failed + report.not_attempted,
        check: data.check(host.server().store(), host.company()),
    })
}

impl Outcome {
    /// The report as Markdown, ready to paste into BENCHMARKS.md.
    pub fn to_markdown(&self) -> String {
        let limit = self.config.rate_limit;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "`sync-limit`: minimo-fake limited to {limit} requests/s per key (token bucket of {}), \
             no added latency; `minimo.sync().rate_limit(R).concurrency({CONCURRENCY})` upserts \
             the contacts (every tenth upsert writes a contact of two upserts before again)\n",
            burst(limit)
        );
        let _ = writeln!(
            out,
            "| sync's rate_limit R | upserts | time, s | accepted/s | accepted/s ÷ limit | answered 429 | 429 share | pace at the end, /s | not applied | lost |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for row in &self.rows {
            let which = if row.configured > row.limit {
                format!(
                    "{:.0} ({:.0}x the limit)",
                    row.configured,
                    row.configured / row.limit
                )
            } else {
                format!("{:.0} (the limit)", row.configured)
            };
            let pace = row
                .final_pace
                .map_or_else(|| "unlimited".to_owned(), |pace| format!("{pace:.0}"));
            let _ = writeln!(
                out,
                "| {which} | {} | {:.1} | {:.1} | {:.3} | {} | {:.2}% | {pace} | {} | {} |",
                row.upserts,
                row.elapsed.as_secs_f64(),
                row.rate(),
                row.share_of_limit(),
                row.throttled,
                row.throttled_share() * 100.0,
                row.not_applied,
                row.check.lost,
            );
        }
        let _ = writeln!(
            out,
            "\n- accepted/s: upserts the fake answered 200, over the sync's time (start to last outcome); \
             ÷ limit: 1 is the limit met exactly (target: >= 0.95 at the limit)\n\
             - answered 429, 429 share: the fake's count of upserts answered 429, and their share \
             of every upsert it received (target: <= 1%)\n\
             - pace at the end: the rate the sync was sending at when it finished\n\
             - not applied: inputs the sync reported failed or not attempted\n\
             - lost: contacts missing from the fake's store, or not holding the values of their \
             last upsert (target: 0)"
        );
        out
    }
}
