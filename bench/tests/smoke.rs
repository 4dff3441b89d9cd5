//! The benchmark runs end to end on a tiny size, within the normal test suite, and produces
//! a well-formed report. Times are never asserted: only that every figure is a finite,
//! positive number and the table has the shape BENCHMARKS.md expects.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use minimo_bench::Config;
use minimo_bench::calls::{self, Tracing};
use minimo_bench::clients::{Kind, Op};

#[test]
fn a_tiny_calls_run_reports_every_client_operation_and_tracing_setting() {
    let config = Config {
        rounds: 2,
        calls: 5,
        in_flight: 32,
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
