//! The `minimo-fake` binary: flags, startup output, request logs without secrets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_minimo-fake");

struct Running {
    child: Child,
    url: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn drain(
    stream: impl AsyncRead + Unpin + Send + 'static,
    into: Arc<Mutex<String>>,
    url: Option<mpsc::Sender<String>>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let (Some(tx), Some(rest)) = (&url, line.strip_prefix("minimo-fake listening on ")) {
                let _ = tx.send(rest.trim().to_owned()).await;
            }
            into.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
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
    drain(child.stdout.take().unwrap(), stdout.clone(), Some(tx));
    drain(child.stderr.take().unwrap(), stderr.clone(), None);
    let url = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no URL printed; stderr: {}", stderr.lock().unwrap()))
        .unwrap();
    Running {
        child,
        url,
        stdout,
        stderr,
    }
}

impl Running {
    async fn stop(mut self) -> (String, String) {
        self.child.kill().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let out = self.stdout.lock().unwrap().clone();
        let err = self.stderr.lock().unwrap().clone();
        (out, err)
    }
}

#[tokio::test]
async fn help_documents_every_flag() {
    let out = Command::new(BIN).arg("--help").output().await.unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--host",
        "--port",
        "--api-key",
        "--rate-limit",
        "--burst",
        "--admin",
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
    tokio::time::sleep(Duration::from_millis(100)).await;
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
    assert!(
        stderr.contains("/public/v1/contacts/by-email/{email} -> 200"),
        "{stderr}"
    );
    for secret in ["s3cret", "wrongsecret", "private.person", "3391234567"] {
        assert!(!stderr.contains(secret), "log leaks {secret}: {stderr}");
    }
}

#[tokio::test]
async fn admin_and_rate_limit_flags() {
    let running = run(&[
        "--port",
        "0",
        "--admin",
        "--rate-limit",
        "1",
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
    let (stdout, _) = running.stop().await;
    assert!(
        stdout.contains("accepting API key mn-demo-secret"),
        "default key: {stdout}"
    );
    assert!(stdout.contains("/__fake/"), "{stdout}");
}

#[tokio::test]
async fn invalid_arguments_fail() {
    let out = Command::new(BIN)
        .args(["--port", "0", "--api-key", "not-a-key"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let out = Command::new(BIN)
        .args(["--burst", "3"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success(), "--burst requires --rate-limit");
}
