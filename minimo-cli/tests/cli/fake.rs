//! `minimo fake`: a server in the foreground that other commands can use, stopped by Ctrl-C.

use crate::common::{Run, minimo, run, settings};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader, Read};

#[cfg(unix)]
#[test]
fn fake_prints_export_lines_serves_commands_and_stops_on_ctrl_c() {
    let mut child = minimo(&["fake", "--port", "0"]).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("export MINIMO_API_KEY=") {
        let mut line = String::new();
        assert_ne!(
            stdout.read_line(&mut line).unwrap(),
            0,
            "the fake ended early: {printed}"
        );
        printed.push_str(&line);
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

    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let output = child.wait_with_output().unwrap();
    let stopped = Run::from_output(output);
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
