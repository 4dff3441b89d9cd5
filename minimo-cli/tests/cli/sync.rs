//! `minimo sync`: rows applied, malformed rows located and written back, Ctrl-C.

use crate::common::{Fake, run, run_with_stdin, settings, sorted_by_row, sorted_lines};
use minimo_fake::{ContactSeed, CustomFieldSeed, Fault};
use std::time::Duration;

const ROWS: &str = "\
email,phone,first_name,consent_email,field:SEATS,field:NOTE,op
a@example.com,,Ann,in,3,\"hello, world\",
b@example.com,+39 339 123 4567,,out,,,
c@example,,,,,,
d@example.com,,,maybe,,,
\"e@example.com\",,,,x,,
old@example.com,,,,,,delete
f@example.com,,,,,,,
\"g@example.com\",,\"multi
line\",,7,,
";

#[test]
fn valid_rows_are_applied_and_malformed_ones_are_located_and_written_back_unsent() {
    let fake = Fake::start();
    fake.define(CustomFieldSeed::new("SEATS", "Seats", "number"));
    let old = fake.seed(ContactSeed::email("old@example.com"));
    fake.write("rows.csv", ROWS);
    let sync = run(&mut fake.minimo(&["sync", "rows.csv"]));
    assert_eq!(sync.code, 8, "{sync:?}");
    settings().bind(|| {
        insta::assert_snapshot!("sync_csv_summary", sync.stdout);
        insta::assert_snapshot!("sync_csv_errors", sorted_by_row(&sync.stderr, "rows.csv"));
    });
    // Each malformed row: file, line and column.
    for located in [
        "rows.csv:4:1: ",
        "rows.csv:5:4: ",
        "rows.csv:6:5: ",
        "rows.csv:8:8: ",
    ] {
        assert!(
            sync.stderr.contains(located),
            "{located} in {}",
            sync.stderr
        );
    }
    // The failed rows, byte for byte as they came, under the same header: ready to sync again.
    assert_eq!(
        fake.read("rows.failed.csv"),
        "email,phone,first_name,consent_email,field:SEATS,field:NOTE,op\n\
         c@example,,,,,,\n\
         d@example.com,,,maybe,,,\n\
         e@example.com,,,,x,,\n\
         f@example.com,,,,,,,\n"
    );
    // Never half-applied: only the three valid upserts reached the server.
    assert_eq!(fake.requests("upsertContact"), 3);
    let store = fake.server().store();
    let a = store
        .contact_by_email(fake.company(), "a@example.com")
        .unwrap();
    assert_eq!(a.first_name.as_deref(), Some("Ann"));
    assert_eq!(a.marketing_consent.email, Some(true));
    assert_eq!(
        serde_json::Value::Object(a.custom_fields.clone()),
        serde_json::json!({"SEATS": 3, "NOTE": "hello, world"})
    );
    let b = store
        .contact_by_email(fake.company(), "b@example.com")
        .unwrap();
    assert_eq!(
        (b.phone.as_deref(), b.marketing_consent.email),
        (Some("+393391234567"), Some(false))
    );
    let g = store
        .contact_by_email(fake.company(), "g@example.com")
        .unwrap();
    assert_eq!(g.first_name.as_deref(), Some("multi\nline"));
    assert!(
        store.contact(old).unwrap().deleted,
        "the delete row deleted by email"
    );
}

#[test]
fn ndjson_from_stdin_with_json_outcomes() {
    let fake = Fake::start();
    fake.define(CustomFieldSeed::new("SEATS", "Seats", "number"));
    let input = "{\"email\":\"a@example.com\",\"field:SEATS\":\"4\",\"field:TAGS\":[\"x\"]}\n\
                 \n\
                 {\"email\":\"b@example.com\",\"emial\":\"x\"}\n\
                 {\"phone\":\"+393391234567\",\"consent_whatsapp\":\"in\"}\n\
                 not json\n";
    // One worker: contact ids follow the rows, so the snapshot is stable.
    let sync = run_with_stdin(
        &mut fake.minimo(&["sync", "-", "--json", "--concurrency", "1"]),
        input,
    );
    assert_eq!(sync.code, 8, "{sync:?}");
    settings().bind(|| insta::assert_snapshot!("sync_ndjson_outcomes", sorted_lines(&sync.stdout)));
    let summary = sync.ndjson().pop().unwrap();
    assert_eq!(summary["summary"]["succeeded"], 2);
    assert_eq!(summary["summary"]["failed"], 2);
    assert_eq!(
        fake.read("minimo-sync.failed.ndjson"),
        "{\"email\":\"b@example.com\",\"emial\":\"x\"}\nnot json\n"
    );
    let a = fake
        .server()
        .store()
        .contact_by_email(fake.company(), "a@example.com")
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(a.custom_fields),
        serde_json::json!({"SEATS": 4, "TAGS": ["x"]})
    );
}

#[test]
fn an_unknown_column_stops_everything_before_any_request() {
    let fake = Fake::start();
    fake.write("rows.csv", "email,emial,first_name\na@example.com,x,Ann\n");
    let refused = run(&mut fake.minimo(&["sync", "rows.csv"]));
    assert_eq!(refused.code, 3, "{refused:?}");
    assert_eq!(
        refused.stderr,
        "error: rows.csv:1:2: unknown column `emial` (expected email, phone, first_name, last_name, consent_email, \
         consent_whatsapp, op, or field:KEY: custom fields take the `field:` prefix)\n"
    );
    assert_eq!(fake.server().journal().len(), 0);
    assert!(!fake.path("rows.failed.csv").exists());

    let same = run(&mut fake.minimo(&["sync", "rows.csv", "--failed-rows", "./rows.csv"]));
    assert_eq!(same.code, 3, "the header is checked first: {same:?}");
    fake.write("ok.csv", "email\na@example.com\n");
    let same = run(&mut fake.minimo(&["sync", "ok.csv", "--failed-rows", "./ok.csv"]));
    assert_eq!(same.code, 2, "{same:?}");
    assert_eq!(
        fake.read("ok.csv"),
        "email\na@example.com\n",
        "the input is untouched"
    );
}

#[test]
fn rows_that_failed_on_the_server_can_be_fed_back_in() {
    let fake = Fake::start();
    // The first two upserts are refused (422 is not retried): rows 2 and 3 with one worker.
    fake.server()
        .faults()
        .push(Fault::status("upsertContact", 422).times(2));
    fake.write(
        "rows.csv",
        "email,first_name\na@example.com,Ann\nb@example.com,Bob\nc@example.com,Cy\n",
    );
    let first = run(&mut fake.minimo(&["sync", "rows.csv", "--concurrency", "1"]));
    assert_eq!(first.code, 8, "{first:?}");
    assert_eq!(first.stderr.lines().count(), 2, "{}", first.stderr);
    assert!(
        first
            .stderr
            .contains("failed: rows.csv:2: rejected by the server (HTTP 422"),
        "{}",
        first.stderr
    );
    assert_eq!(
        fake.read("rows.failed.csv"),
        "email,first_name\na@example.com,Ann\nb@example.com,Bob\n"
    );

    let again = run(&mut fake.minimo(&["sync", "rows.failed.csv"]));
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again.stdout.contains("  succeeded      2\n"),
        "{}",
        again.stdout
    );
    assert!(
        !fake.path("rows.failed.failed.csv").exists(),
        "no failed rows, no file"
    );
    assert_eq!(fake.server().store().contacts(fake.company()).len(), 3);
}

#[test]
fn a_sync_stops_after_too_many_failures_in_a_row_and_keeps_every_row() {
    let fake = Fake::start();
    fake.server()
        .faults()
        .push(Fault::status("upsertContact", 503).times(1000));
    let rows: String = (0..10).map(|i| format!("r{i}@example.com\n")).collect();
    fake.write("rows.csv", &format!("email\n{rows}"));
    let sync = run(&mut fake.minimo(&[
        "sync",
        "rows.csv",
        "--concurrency",
        "1",
        "--max-consecutive-failures",
        "3",
    ]));
    assert_eq!(sync.code, 8, "{sync:?}");
    assert!(
        sync.stdout.contains(
            "  failed          3  (3 may have been applied: check them before resending)\n  not attempted   7\n"
        ),
        "{}",
        sync.stdout
    );
    assert!(
        sync.stdout
            .contains("stopped after 3 failures in a row: 7 rows not attempted"),
        "{}",
        sync.stdout
    );
    assert_eq!(
        fake.read("rows.failed.csv"),
        format!("email\n{rows}"),
        "every row, in order"
    );
    assert_eq!(fake.requests("upsertContact"), 3);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_reports_the_rows_not_attempted_and_writes_them() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    let (answered, first_upsert) = std::sync::mpsc::channel();
    let fake = Fake::with(move |b| {
        b.latency(Duration::from_millis(100))
            .on_request(move |entry| {
                if entry.operation.as_deref() == Some("upsertContact") {
                    let _ = answered.send(());
                }
            })
    });
    let rows: Vec<String> = (0..100).map(|i| format!("row{i}@example.com")).collect();
    fake.write("rows.csv", &format!("email\n{}\n", rows.join("\n")));
    let child = fake
        .minimo(&["sync", "rows.csv", "--concurrency", "2"])
        .spawn()
        .unwrap();
    // The sync is under way once the fake has answered an upsert; 100 rows at 2 x 10/s
    // take seconds, so it is still running.
    first_upsert
        .recv_timeout(Duration::from_secs(10))
        .expect("an upsert arrives");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let stopped = crate::common::Run::from_output(child.wait_with_output().unwrap());
    assert_eq!(stopped.code, 130, "{stopped:?}");
    assert!(
        stopped
            .stderr
            .contains("stopping: waiting for the requests in flight"),
        "{}",
        stopped.stderr
    );

    let applied = fake.server().store().contacts(fake.company()).len();
    let written = fake.read("rows.failed.csv");
    let not_attempted: Vec<&str> = written.lines().skip(1).collect();
    assert!(
        applied >= 1 && !not_attempted.is_empty(),
        "{applied} applied, {} left",
        not_attempted.len()
    );
    assert!(
        stopped.stdout.contains(&format!(
            "interrupted: {} rows not attempted\n",
            not_attempted.len()
        )),
        "{}",
        stopped.stdout
    );
    assert!(
        stopped
            .stdout
            .contains(&format!("  succeeded      {applied:>3}\n")),
        "{}",
        stopped.stdout
    );
    // Every row is accounted for: applied on the server, or in the file to sync again.
    let mut seen: Vec<String> = fake
        .server()
        .store()
        .contacts(fake.company())
        .into_iter()
        .filter_map(|c| c.email)
        .chain(not_attempted.iter().map(|s| (*s).to_owned()))
        .collect();
    seen.sort();
    let mut expected = rows.clone();
    expected.sort();
    assert_eq!(seen, expected);
}
