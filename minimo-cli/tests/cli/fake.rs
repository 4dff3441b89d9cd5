//! `minimo fake`: a server in the foreground that other commands can use, stopped by Ctrl-C.

use crate::common::{Run, minimo, run, settings};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

/// The server process, killed if the test fails before stopping it.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn fake_prints_export_lines_serves_commands_and_stops_on_ctrl_c() {
    let mut running = Running(Some(minimo(&["fake", "--port", "0"]).spawn().unwrap()));
    let stdout = BufReader::new(running.0.as_mut().unwrap().stdout.take().unwrap());
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    while !printed.contains("export MINIMO_API_KEY=") {
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("no banner from the fake ({e}): {printed}"));
        printed.push_str(&line);
        printed.push('\n');
    }
    settings().bind(|| insta::assert_snapshot!("fake_banner", printed));
    let var = |name: &str| {
        printed
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .unwrap()
            .to_owned()
    };
    let (url, key) = (var("MINIMO_API_URL"), var("MINIMO_API_KEY"));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let mut upsert = minimo(&["contacts", "upsert", "--email", "jane@example.com"]);
    upsert
        .env("MINIMO_API_URL", &url)
        .env("MINIMO_API_KEY", &key);
    let upserted = run(&mut upsert);
    assert_eq!(
        (upserted.code, upserted.stdout.as_str()),
        (0, "upserted contact 1\n")
    );
    let mut list = minimo(&["custom-fields", "list", "--json"]);
    list.env("MINIMO_API_URL", &url).env("MINIMO_API_KEY", &key);
    let fields = run(&mut list).json();
    assert_eq!(
        fields.as_array().map(Vec::len),
        Some(2),
        "the System fields are seeded"
    );

    let child = running.0.take().unwrap();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let stopped = Run::from_output(child.wait_with_output().unwrap());
    assert_eq!(stopped.code, 0, "{stopped:?}");
    assert_eq!(stopped.stderr, "minimo fake: stopped after 2 requests\n");
    // Stopped means stopped: the port no longer answers.
    let mut after = minimo(&[
        "--timeout",
        "0.3",
        "contacts",
        "get",
        "--email",
        "jane@example.com",
    ]);
    after
        .env("MINIMO_API_URL", &url)
        .env("MINIMO_API_KEY", &key);
    assert_eq!(run(&mut after).code, 7);
}
