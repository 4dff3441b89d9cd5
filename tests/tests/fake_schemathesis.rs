//! Property-based testing of the fake against the spec with Schemathesis: it generates
//! requests from `openapi/minimo-contacts.yaml` (valid and invalid ones, and sequences of
//! them) and checks every answer: no 5xx, statuses, content types, headers and bodies the
//! spec declares, invalid input rejected, a deleted resource gone, auth not ignored.
//!
//! Schemathesis comes from a pinned Python venv under the cargo target directory, created
//! by `sh tests/schemathesis-venv.sh` (the test fails, saying so, when it is missing). It
//! runs with its working directory under the target directory too, as it writes
//! `.hypothesis/` and `.schemathesis/` there.
//!
//! It judges only what the spec says. The check `positive_data_acceptance` (every
//! schema-valid request is accepted: 2xx, or 401/403/404/409/429) runs only on the
//! operations whose documented validation the spec fully encodes, [`ACCEPTANCE_CHECKED`]:
//! the spec deliberately leaves out the email format, E.164 phones and "email or phone"
//! (`openapi/README.md` §4), so the fake's documented 400/422 answers to such requests
//! would be reported as failures on the others.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use minimo_fake::{FakeServer, OPERATION_IDS};
use minimo_tests::{spec_path, workspace_root};
use tokio::process::Command;

const KEY: &str = "mn-acme-s7hemathesis";
/// Examples per operation and phase: about 10 s for the whole run.
const MAX_EXAMPLES: &str = "25";
/// The operations `positive_data_acceptance` runs on (a regex on the operation id).
const ACCEPTANCE_CHECKED: &str = "^(deleteContact|listCustomFields)$";
/// Bound of each run.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// The cargo target directory (`CARGO_TARGET_TMPDIR` is its `tmp/`).
fn target_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().map(PathBuf::from).unwrap_or(tmp)
}

fn schemathesis_bin() -> PathBuf {
    target_dir()
        .join("schemathesis-venv")
        .join("bin")
        .join("schemathesis")
}

fn tail(s: &str, max: usize) -> &str {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

#[tokio::test]
async fn fake_passes_schemathesis() {
    let bin = schemathesis_bin();
    assert!(
        bin.is_file(),
        "Schemathesis is not installed at {}.\nCreate its venv with:\n    sh {}",
        bin.display(),
        workspace_root()
            .join("tests")
            .join("schemathesis-venv.sh")
            .display()
    );
    let server = FakeServer::builder()
        .api_key(KEY)
        .system_fields(true)
        .start()
        .await
        .expect("the fake starts");
    let workdir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schemathesis");
    std::fs::create_dir_all(&workdir).unwrap();
    let mut report = String::new();
    for (what, checks) in [
        (
            "every operation",
            &[
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
            ][..],
        ),
        (
            "operations whose validation the spec encodes",
            &[
                "--checks",
                "positive_data_acceptance,not_a_server_error",
                "--include-operation-id-regex",
                ACCEPTANCE_CHECKED,
            ][..],
        ),
    ] {
        let run = Command::new(&bin)
            .arg("run")
            .arg(spec_path())
            .args(["--url", &server.base_url()])
            .args(["--header", &format!("Authorization: Bearer {KEY}")])
            .args(["--max-examples", MAX_EXAMPLES, "--seed", "1"])
            .args(checks)
            .args(["--request-timeout", "10"])
            .current_dir(&workdir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(RUN_TIMEOUT, run)
            .await
            .unwrap_or_else(|_| {
                panic!("schemathesis ({what}) did not finish within {RUN_TIMEOUT:?}")
            })
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "schemathesis ({what}) reported failures ({}):\n{}\n{}",
            output.status,
            tail(&stdout, 20_000),
            tail(&stderr, 4_000)
        );
        report.push_str(tail(&stdout, 1_500));
    }
    // It really exercised the fake: every operation was called, with and without a valid
    // key, and nothing the fake answered was a 5xx.
    let stats = server.stats();
    for op in OPERATION_IDS {
        assert!(stats.operation(op) > 0, "{op} never called:\n{report}");
        assert!(stats.count(op, 401) > 0, "{op} never called without a key");
    }
    let server_errors: u64 = (500..600).map(|s| stats.status(s)).sum();
    assert_eq!(server_errors, 0, "{stats:?}");
    eprintln!(
        "schemathesis: {} requests answered by the fake\n{}",
        stats.requests(),
        report
    );
    server.shutdown().await;
}
