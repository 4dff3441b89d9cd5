//! The harness: a minimo-fake on 127.0.0.1 in this process, and the `minimo` binary run
//! against it as a child process.

use minimo_fake::{CompanyId, ContactSeed, CustomFieldSeed, FakeServer, FakeServerBuilder};
use std::process::{Command, Output, Stdio};

/// The key the fake accepts. Its secret part must never appear in anything minimo prints:
/// [`run`] checks every command's stdout and stderr for it.
pub const KEY: &str = "mn-acme-t0ps3cretXYZ";
pub const SECRET: &str = "t0ps3cretXYZ";

/// A fake server with a runtime of its own (the tests are plain `#[test]`s that block on
/// child processes), stopped and joined on drop.
pub struct Fake {
    server: Option<FakeServer>,
    runtime: tokio::runtime::Runtime,
    pub dir: tempfile::TempDir,
}

impl Fake {
    pub fn start() -> Fake {
        Fake::with(|b| b)
    }

    pub fn with(configure: impl FnOnce(FakeServerBuilder) -> FakeServerBuilder) -> Fake {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(configure(FakeServer::builder().api_key(KEY)).start())
            .expect("fake starts");
        Fake {
            server: Some(server),
            runtime,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn server(&self) -> &FakeServer {
        self.server.as_ref().expect("running")
    }

    pub fn url(&self) -> String {
        self.server().base_url()
    }

    pub fn company(&self) -> CompanyId {
        self.server().company_of("acme").expect("company")
    }

    pub fn seed(&self, seed: ContactSeed) -> i64 {
        self.server()
            .store()
            .insert_contact(self.company(), seed)
            .id
    }

    pub fn define(&self, seed: CustomFieldSeed) {
        self.server()
            .store()
            .insert_custom_field(self.company(), seed)
            .expect("field defined");
    }

    /// `minimo ARGS` against this fake, in the test's temporary directory.
    pub fn minimo(&self, args: &[&str]) -> Command {
        let mut cmd = minimo(args);
        cmd.current_dir(self.dir.path())
            .env("MINIMO_API_URL", self.url())
            .env("MINIMO_API_KEY", KEY);
        cmd
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.path(name), content).expect("write");
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The requests the fake answered, by operation id.
    pub fn requests(&self, operation: &str) -> usize {
        self.server().journal().for_operation(operation).len()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// `minimo ARGS` with a clean environment: no key or URL of the developer's, no colour
/// preference, a fixed help width, stdin closed.
pub fn minimo(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_minimo"));
    cmd.args(args)
        .env_clear()
        .env("COLUMNS", "100")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(output: Output) -> Run {
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
            "the API key leaked: {run:#?}"
        );
        run
    }

    /// Stdout as JSON (one document).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", self.stdout))
    }

    /// Stdout as NDJSON documents.
    pub fn ndjson(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// Runs the command to its end.
pub fn run(cmd: &mut Command) -> Run {
    Run::from_output(cmd.output().expect("minimo runs"))
}

/// Runs the command with `input` on stdin.
pub fn run_with_stdin(cmd: &mut Command, input: &str) -> Run {
    use std::io::Write;
    let mut child = cmd.stdin(Stdio::piped()).spawn().expect("minimo runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("stdin written");
    drop(stdin);
    Run::from_output(child.wait_with_output().expect("minimo ends"))
}

/// Snapshot settings: ports, request ids, fake keys and timings redacted.
pub fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    for (pattern, replacement) in [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"req-[0-9a-f]+-\d+", "[REQUEST-ID]"),
        (r"mn-local-[0-9a-f]{16}", "mn-local-[KEY]"),
        (
            r"in (\d+h \d+m|\d+m \d+s|\d+s|\d+\.\d+s) \(\d+\.\d rows/s\)",
            "in [ELAPSED] ([RATE] rows/s)",
        ),
        (r#""elapsedMs":\d+"#, r#""elapsedMs":"[MS]""#),
        (r#""rowsPerSecond":[\d.]+"#, r#""rowsPerSecond":"[RATE]""#),
    ] {
        settings.add_filter(pattern, replacement);
    }
    settings
}

/// A line-sorted copy (outcomes arrive in completion order; snapshots want one order).
pub fn sorted_lines(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_by_key(|l| {
        // NDJSON outcomes sort by their line number, the summary last.
        serde_json::from_str::<serde_json::Value>(l)
            .ok()
            .and_then(|v| v.get("line").and_then(serde_json::Value::as_u64))
            .unwrap_or(u64::MAX)
    });
    lines.join("\n") + "\n"
}

/// Human failure lines (`...: FILE:LINE[:COLUMN]: ...`) sorted by their line number.
pub fn sorted_by_row(text: &str, file: &str) -> String {
    let needle = format!("{file}:");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_by_key(|l| {
        l.find(&needle)
            .map(|at| &l[at + needle.len()..])
            .and_then(|rest| rest.split(':').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(u64::MAX)
    });
    lines.join("\n") + "\n"
}
