//! The `minimo-fake` binary: flags, startup output, request logs without secrets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const BIN: &str = env!("CARGO_BIN_EXE_minimo-fake");

/// Bound of every wait on the child process (startup, log lines, exit, end of its pipes).
/// Generous: the waits end as soon as the awaited event happens.
const PATIENCE: Duration = Duration::from_secs(20);

struct Running {
    child: Child,
    url: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    drains: Vec<JoinHandle<()>>,
}

/// Copies the lines of `stream` into `into` until EOF; the returned task ends at EOF.
fn drain(
    stream: impl AsyncRead + Unpin + Send + 'static,
    into: Arc<Mutex<String>>,
    url: Option<mpsc::Sender<String>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let (Some(tx), Some(rest)) = (&url, line.strip_prefix("minimo-fake listening on ")) {
                let _ = tx.send(rest.trim().to_owned()).await;
            }
            into.lock().unwrap().push_str(&format!("{line}\n"));
        }
    })
}

async fn run(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (stdout, stderr) = (
        Arc::new(Mutex::new(String::new())),
        Arc::new(Mutex::new(String::new())),
    );
    let (tx, mut rx) = mpsc::channel(1);
    let drains = vec![
        drain(child.stdout.take().unwrap(), stdout.clone(), Some(tx)),
        drain(child.stderr.take().unwrap(), stderr.clone(), None),
    ];
    let url = tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no URL printed; stderr: {}", stderr.lock().unwrap()))
        .unwrap();
    Running {
        child,
        url,
        stdout,
        stderr,
        drains,
    }
}

/// Polls `captured` (bounded by [`PATIENCE`]) until it contains every one of `needles`.
async fn wait_for_lines(what: &str, captured: &Mutex<String>, needles: &[&str]) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let missing: Vec<&str> = {
            let text = captured.lock().unwrap();
            needles
                .iter()
                .copied()
                .filter(|n| !text.contains(n))
                .collect()
        };
        if missing.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} still lacks {missing:?} after {PATIENCE:?}:\n{}",
            captured.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Running {
    /// Waits until the captured stdout contains every needle.
    async fn wait_stdout(&self, needles: &[&str]) {
        wait_for_lines("stdout", &self.stdout, needles).await;
    }

    /// Waits until the captured stderr contains every needle.
    async fn wait_stderr(&self, needles: &[&str]) {
        wait_for_lines("stderr", &self.stderr, needles).await;
    }

    /// Kills the process, then reads its pipes to EOF: the returned logs are complete.
    async fn stop(mut self) -> (String, String) {
        self.child.kill().await.unwrap();
        for task in self.drains.drain(..) {
            tokio::time::timeout(PATIENCE, task)
                .await
                .expect("the pipes of the killed process did not reach EOF")
                .unwrap();
        }
        let out = self.stdout.lock().unwrap().clone();
        let err = self.stderr.lock().unwrap().clone();
        (out, err)
    }
}

/// Runs the binary to its exit, killing it (and failing) if it has not exited within
/// [`PATIENCE`], e.g. because it started serving instead of rejecting its arguments.
async fn run_to_exit(args: &[&str]) -> Output {
    let output = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    // On timeout the `output` future is dropped, which kills the child (kill_on_drop).
    tokio::time::timeout(PATIENCE, output)
        .await
        .unwrap_or_else(|_| panic!("minimo-fake {args:?} did not exit within {PATIENCE:?}"))
        .unwrap()
}

#[tokio::test]
async fn help_documents_every_flag() {
    let out = run_to_exit(&["--help"]).await;
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--host",
        "--port",
        "--api-key",
        "--rate-limit",
        "--burst",
        "--admin",
        "--latency-ms",
        "--body-timeout-ms",
        "127.0.0.1",
        "8080",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
}

#[tokio::test]
async fn serves_the_api_and_logs_without_secrets_or_emails() {
    let running = run(&[
        "--port",
        "0",
        "--api-key",
        "mn-demo-s3cret",
        "--api-key",
        "mn-other-x",
    ])
    .await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = running.url.clone();
    let up = client
        .post(format!("{url}/public/v1/contacts"))
        .bearer_auth("mn-demo-s3cret")
        .json(&json!({"email": "private.person@example.com", "phone": "+393391234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), 200);
    let got = client
        .get(format!(
            "{url}/public/v1/contacts/by-email/private.person%40example.com"
        ))
        .bearer_auth("mn-demo-s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    let bad = client
        .get(format!("{url}/public/v1/custom-fields"))
        .bearer_auth("mn-demo-wrongsecret")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    // System fields are seeded by the binary.
    let fields: serde_json::Value = client
        .get(format!("{url}/public/v1/custom-fields"))
        .bearer_auth("mn-other-x")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fields["data"][0]["source"], "System");
    // Admin routes are off without --admin.
    assert_eq!(
        client
            .get(format!("{url}/__fake/health"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Every request above is logged before its answer is sent, but the test reads the
    // pipes asynchronously: wait until all five lines (and the startup lines) have arrived,
    // so that the leak checks below run on the complete log.
    running
        .wait_stderr(&[
            "POST /public/v1/contacts -> 200",
            "GET /public/v1/contacts/by-email/{email} -> 200",
            "GET /public/v1/custom-fields -> 401",
            "GET /public/v1/custom-fields -> 200",
            "GET /__fake/health -> 404",
        ])
        .await;
    running
        .wait_stdout(&[
            "accepting API key mn-demo-s3cret",
            "accepting API key mn-other-x",
        ])
        .await;
    let (stdout, stderr) = running.stop().await;
    assert!(
        stdout.contains("accepting API key mn-demo-s3cret (company 1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("accepting API key mn-other-x (company 2)"),
        "{stdout}"
    );
    assert!(stderr.contains("client=demo"), "{stderr}");
    assert!(stderr.contains("client=other"), "{stderr}");
    assert!(
        stderr.contains("/public/v1/contacts/by-email/{email} -> 200"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches(" -> ").count(),
        5,
        "one line per request: {stderr}"
    );
    for secret in ["s3cret", "wrongsecret", "private.person", "3391234567"] {
        assert!(!stderr.contains(secret), "log leaks {secret}: {stderr}");
    }
}

#[tokio::test]
async fn admin_and_rate_limit_flags() {
    // 0.01 requests/s: the bucket of 2 takes 100 s to regain a token, so the third request
    // is limited however slowly the three requests are sent.
    let running = run(&[
        "--port",
        "0",
        "--admin",
        "--rate-limit",
        "0.01",
        "--burst",
        "2",
    ])
    .await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = running.url.clone();
    assert_eq!(
        client
            .get(format!("{url}/__fake/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            let r = client
                .get(format!("{url}/public/v1/custom-fields"))
                .bearer_auth("mn-demo-secret")
                .send()
                .await
                .unwrap();
            v.push(r.status().as_u16());
        }
        v
    };
    assert_eq!(statuses, [200, 200, 429]);
    running
        .wait_stdout(&["accepting API key", "/__fake/", "rate limit: 0.01"])
        .await;
    running
        .wait_stderr(&["GET /public/v1/custom-fields -> 429"])
        .await;
    let (stdout, stderr) = running.stop().await;
    assert!(
        stdout.contains("accepting API key mn-demo-secret"),
        "default key: {stdout}"
    );
    assert!(stdout.contains("/__fake/"), "{stdout}");
    assert_eq!(
        stderr
            .matches("GET /public/v1/custom-fields -> 200")
            .count(),
        2,
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "log leaks the key: {stderr}");
}

#[tokio::test]
async fn invalid_arguments_fail() {
    // `--port 0` everywhere: should validation regress, the binary would serve on a free
    // port (not on 8080) and `run_to_exit` would kill it and fail.
    let out = run_to_exit(&["--port", "0", "--api-key", "not-a-key"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("is not of the form mn-{clientId}-{secret}"),
        "{stderr}"
    );
    let out = run_to_exit(&["--port", "0", "--burst", "3"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "--burst requires --rate-limit");
    assert!(
        stderr.contains("required arguments were not provided") && stderr.contains("--rate-limit"),
        "{stderr}"
    );
    let out = run_to_exit(&["--port", "0", "--body-timeout-ms", "0"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--body-timeout-ms must be positive"),
        "{stderr}"
    );
    let out = run_to_exit(&["--port", "0", "--rate-limit", "0"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--rate-limit must be a positive number"),
        "{stderr}"
    );
}

#[tokio::test]
async fn latency_flag_delays_api_answers() {
    let running = run(&["--port", "0", "--latency-ms", "150"]).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let t = Instant::now();
    let status = client
        .get(format!("{}/public/v1/custom-fields", running.url))
        .bearer_auth("mn-demo-secret")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t.elapsed()
    );
    running
        .wait_stdout(&["latency: 150 ms before every API answer"])
        .await;
    running
        .wait_stderr(&["GET /public/v1/custom-fields -> 200"])
        .await;
    let (_, stderr) = running.stop().await;
    // The logged duration includes the delay.
    let logged: f64 = stderr
        .lines()
        .find(|l| l.contains("GET /public/v1/custom-fields -> 200"))
        .and_then(|l| {
            l.split_once("-> 200 (")?
                .1
                .split_once(" ms)")?
                .0
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no duration logged: {stderr}"));
    assert!(logged >= 150.0, "{logged}");
}
