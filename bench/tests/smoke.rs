//! Every scenario runs end to end on a tiny size, within the normal test suite, and produces
//! a well-formed report. Times are never asserted: only that every figure is a finite,
//! positive number, that the tables have the shape BENCHMARKS.md expects, and, for the sync
//! scenarios, that no contact was lost.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use minimo_bench::calls::{self, Tracing};
use minimo_bench::clients::{Kind, Op};
use minimo_bench::sync_concurrency::Mode;
use minimo_bench::{Config, fake_scale, sync_concurrency, sync_limit, sync_memory};
use std::path::Path;

/// The sizes of the sync and fake scenarios, tiny: the whole file runs in a few seconds.
fn tiny() -> Config {
    Config {
        rounds: 2,
        calls: 5,
        in_flight: 4,
        contacts: 200,
        rate_limit: 5_000,
        latency_ms: 2,
        sync_rounds: 2,
        per_worker: 2,
        memory_contacts: 300,
        store_contacts: 300,
    }
}

/// The rows of the Markdown table whose header starts with `header`, cells trimmed.
fn table(markdown: &str, header: &str) -> Vec<Vec<String>> {
    let block = markdown
        .split("\n\n")
        .find(|block| block.starts_with(header))
        .unwrap_or_else(|| panic!("no table `{header}` in:\n{markdown}"));
    let rows: Vec<Vec<String>> = block
        .lines()
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect();
    let width = rows[0].len();
    for row in &rows {
        assert_eq!(row.len(), width, "{row:?} in:\n{markdown}");
    }
    // Header and rule out.
    rows[2..].to_vec()
}

/// `cell` as a number, finite and not negative.
fn number(cell: &str) -> f64 {
    let value: f64 = cell
        .trim_end_matches('%')
        .parse()
        .unwrap_or_else(|_| panic!("`{cell}` is not a number"));
    assert!(value.is_finite() && value >= 0.0, "{cell}");
    value
}

#[test]
fn a_tiny_calls_run_reports_every_client_operation_and_tracing_setting() {
    let config = Config {
        in_flight: 32,
        ..tiny()
    };
    let outcome = calls::run(&config).unwrap();

    let expected = Tracing::ALL.len() * Kind::ALL.len() * Op::ALL.len();
    assert_eq!(outcome.rows.len(), expected);
    for row in &outcome.rows {
        for (name, value) in [
            ("time", row.time),
            ("CPU", row.cpu),
            ("allocations", row.allocations),
            ("throughput", row.throughput),
            ("in-flight CPU", row.in_flight_cpu),
        ] {
            assert!(value.is_finite() && value > 0.0, "{name} of {row:?}");
        }
        if row.client == Kind::Raw {
            assert_eq!((row.time, row.cpu, row.throughput), (1.0, 1.0, 1.0));
        }
    }
    for base in &outcome.baselines {
        assert!(!base.wall_per_call.is_zero() && base.calls_per_second.is_finite());
    }

    let markdown = outcome.to_markdown();
    let block = markdown
        .split("\n\n")
        .find(|block| block.starts_with("| tracing | client |"))
        .unwrap_or_else(|| panic!("no client table in:\n{markdown}"));
    let table: Vec<Vec<&str>> = block
        .lines()
        .map(|line| line.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    assert_eq!(table.len(), 2 + expected, "header, rule, rows:\n{markdown}");
    for row in &table[2..] {
        assert_eq!(row.len(), 8, "{row:?}");
        for cell in &row[3..] {
            let value: f64 = cell
                .parse()
                .unwrap_or_else(|_| panic!("`{cell}` in {row:?}"));
            assert!(value.is_finite() && value > 0.0, "{row:?}");
        }
    }
}

#[test]
fn a_tiny_sync_limit_run_reports_both_runs_and_loses_nothing() {
    let outcome = sync_limit::run(&tiny()).unwrap();
    assert_eq!(outcome.rows.len(), 2);
    let (at, over) = (&outcome.rows[0], &outcome.rows[1]);
    assert_eq!((at.configured, over.configured), (5_000.0, 10_000.0));
    assert_eq!((at.upserts, over.upserts), (200, 100));
    for row in &outcome.rows {
        assert_eq!(row.check.lost, 0, "{row:?}");
        assert_eq!(row.check.contacts, row.upserts - row.upserts / 10);
        assert_eq!(row.not_applied, 0, "{row:?}");
        // Every upsert was accepted exactly once; 429s come on top.
        assert_eq!(row.accepted, row.upserts, "{row:?}");
        assert_eq!(row.requests, row.accepted + row.throttled, "{row:?}");
        assert!(row.rate() > 0.0 && row.rate().is_finite(), "{row:?}");
    }

    let markdown = outcome.to_markdown();
    let rows = table(&markdown, "| sync's rate_limit R |");
    assert_eq!(rows.len(), 2, "{markdown}");
    assert!(rows[0][0].contains("the limit") && rows[1][0].contains("2x"));
    for row in &rows {
        for cell in &row[1..7] {
            number(cell);
        }
        assert_eq!(row[8], "0", "not applied: {row:?}");
        assert_eq!(row[9], "0", "lost: {row:?}");
    }
}

#[test]
fn a_tiny_sync_concurrency_run_reports_every_way_with_and_without_latency() {
    let outcome = sync_concurrency::run(&tiny()).unwrap();
    assert_eq!(outcome.rows.len(), 2 * Mode::ALL.len());
    for (i, row) in outcome.rows.iter().enumerate() {
        assert_eq!(row.mode, Mode::ALL[i % Mode::ALL.len()]);
        assert_eq!(row.latency.as_millis(), if i < 4 { 2 } else { 0 });
        assert_eq!(row.check.lost, 0, "{row:?}");
        // The warm-up batch and one per round.
        assert_eq!(
            row.check.contacts as usize,
            3 * (row.batch - row.batch / 10)
        );
        assert!(
            row.per_second > 0.0 && row.per_second.is_finite(),
            "{row:?}"
        );
        assert!(row.ratio > 0.0 && row.ratio.is_finite(), "{row:?}");
        assert!(row.cpu_us > 0.0 && row.allocations > 0.0, "{row:?}");
        for value in [row.busy, row.fake_cpu_us, row.fake_busy] {
            assert!(value > 0.0 && value.is_finite(), "{row:?}");
        }
        if row.mode == Mode::Loop {
            assert_eq!(row.ratio, 1.0);
        }
    }
    // With latency a batch has `per_worker` upserts per worker; without, 32 x `per_worker`.
    let batches: Vec<usize> = outcome.rows.iter().map(|row| row.batch).collect();
    assert_eq!(batches, [2, 2, 16, 64, 64, 64, 64, 64]);

    let markdown = outcome.to_markdown();
    let rows = table(&markdown, "| fake's added latency |");
    assert_eq!(rows.len(), 8, "{markdown}");
    for row in &rows {
        for cell in row[2..].iter().flat_map(|cell| cell.split(" / ")) {
            number(cell);
        }
        assert_eq!(row[8], "0", "lost: {row:?}");
    }
}

#[test]
fn a_tiny_sync_memory_run_measures_two_child_processes() {
    let program = Path::new(env!("CARGO_BIN_EXE_minimo-bench"));
    let outcome = sync_memory::run(&tiny(), program).unwrap();
    let upserts: Vec<usize> = outcome.rows.iter().map(|row| row.upserts).collect();
    assert_eq!(upserts, [30, 300]);
    for row in &outcome.rows {
        assert_eq!(row.check.lost, 0, "{row:?}");
        assert_eq!(row.child.succeeded, row.upserts as u64);
        assert!(row.child.peak_rss_kib >= row.child.start_rss_kib, "{row:?}");
        assert!(row.child.start_rss_kib > 0 && row.file_bytes > 0, "{row:?}");
        assert!(row.child.heap_peak_bytes > 0, "{row:?}");
    }
    assert!(outcome.peak_ratio() > 0.0 && outcome.peak_ratio().is_finite());

    let markdown = outcome.to_markdown();
    let rows = table(&markdown, "| lines (upserts) |");
    assert_eq!(rows.len(), 2, "{markdown}");
    for row in &rows {
        for cell in row {
            number(cell);
        }
        assert_eq!(row[7], "0", "lost: {row:?}");
    }
    assert_eq!(rows[0][4], "1.000");
}

#[test]
fn the_syncing_child_refuses_a_file_it_cannot_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.ndjson");
    std::fs::write(&file, "{\"email\": 5}\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_minimo-bench"))
        .args([
            sync_memory::CHILD_COMMAND,
            "http://127.0.0.1:9",
            file.to_str().unwrap(),
            "1",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 1 is not a contact"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn a_tiny_fake_scale_run_reports_both_stores() {
    let outcome = fake_scale::run(&tiny()).unwrap();
    let contacts: Vec<usize> = outcome.rows.iter().map(|row| row.contacts).collect();
    assert_eq!(contacts, [3, 300]);
    for row in &outcome.rows {
        for value in [
            row.latency_us,
            row.latency_ratio,
            row.per_second,
            row.throughput_ratio,
        ] {
            assert!(value.is_finite() && value > 0.0, "{row:?}");
        }
    }
    assert_eq!(outcome.rows[0].latency_ratio, 1.0);

    let markdown = outcome.to_markdown();
    let rows = table(&markdown, "| stored contacts |");
    assert_eq!(rows.len(), 2, "{markdown}");
    for row in &rows {
        for cell in row {
            assert!(number(cell) > 0.0, "{row:?}");
        }
    }
}
