//! Where the key comes from, how it is refused, and that it is never printed.

use crate::common::{Fake, KEY, minimo, run, run_with_stdin};

#[test]
fn a_key_on_the_command_line_is_refused_and_not_echoed() {
    let fake = Fake::start();
    let mut cmd = fake.minimo(&[
        "--api-key",
        KEY,
        "contacts",
        "get",
        "--email",
        "a@example.com",
    ]);
    let refused = run(&mut cmd); // `run` fails the test if the secret is printed
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("--api-key is refused"),
        "{}",
        refused.stderr
    );
    assert_eq!(fake.server().journal().len(), 0, "nothing was sent");
}

#[test]
fn no_key_or_a_malformed_one_is_an_auth_failure_before_any_request() {
    let fake = Fake::start();
    let mut no_key = fake.minimo(&["contacts", "get", "--email", "a@example.com"]);
    no_key.env_remove("MINIMO_API_KEY");
    let missing = run(&mut no_key);
    assert_eq!(missing.code, 6);
    assert_eq!(
        missing.stderr,
        "error: no API key: set MINIMO_API_KEY, or pass --api-key-file PATH or --api-key-stdin\n"
    );
    let mut bad = fake.minimo(&["contacts", "get", "--email", "a@example.com"]);
    bad.env("MINIMO_API_KEY", "sk-t0ps3cretXYZ");
    let malformed = run(&mut bad);
    assert_eq!(malformed.code, 6);
    assert!(
        malformed
            .stderr
            .starts_with("error: the API key from MINIMO_API_KEY is malformed")
    );
    assert_eq!(fake.server().journal().len(), 0);
}

#[test]
fn a_refused_key_names_its_client_id_and_origin_only() {
    let fake = Fake::start();
    let mut cmd = fake.minimo(&["contacts", "get", "--email", "a@example.com"]);
    cmd.env("MINIMO_API_KEY", "mn-nobody-t0ps3cretXYZ");
    let refused = run(&mut cmd);
    assert_eq!(refused.code, 6, "{refused:?}");
    assert!(
        refused
            .stderr
            .starts_with("error: unauthorized (HTTP 401, unauthorized): ")
    );
    assert!(
        refused
            .stderr
            .ends_with(" (key mn-nobody-*** from MINIMO_API_KEY)\n"),
        "{}",
        refused.stderr
    );
    // With --json the error is one JSON document on stderr.
    let mut cmd = fake.minimo(&["--json", "contacts", "get", "--email", "a@example.com"]);
    cmd.env("MINIMO_API_KEY", "mn-nobody-t0ps3cretXYZ");
    let json = run(&mut cmd);
    assert_eq!(json.code, 6);
    let error: serde_json::Value = serde_json::from_str(json.stderr.trim()).unwrap();
    assert_eq!(error["error"]["exit"], 6);
    assert_eq!(error["error"]["kind"], "auth");
}

#[cfg(unix)]
#[test]
fn the_key_can_come_from_a_file_or_stdin() {
    use std::os::unix::fs::PermissionsExt;
    let fake = Fake::start();
    fake.write("key", &format!("{KEY}\n"));
    let key_path = fake.path("key");
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut from_file = fake.minimo(&[
        "--api-key-file",
        "key",
        "contacts",
        "upsert",
        "--email",
        "a@example.com",
    ]);
    from_file.env_remove("MINIMO_API_KEY");
    let ok = run(&mut from_file);
    assert_eq!(
        (ok.code, ok.stdout.as_str(), ok.stderr.as_str()),
        (0, "upserted contact 1\n", "")
    );

    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut loose = fake.minimo(&[
        "--api-key-file",
        "key",
        "contacts",
        "get",
        "--email",
        "a@example.com",
    ]);
    loose.env_remove("MINIMO_API_KEY");
    let warned = run(&mut loose);
    assert_eq!(warned.code, 0);
    assert!(
        warned
            .stderr
            .contains("can be read by other users (mode 644); `chmod 600` it"),
        "{}",
        warned.stderr
    );

    let mut from_stdin = fake.minimo(&[
        "--api-key-stdin",
        "contacts",
        "get",
        "--email",
        "a@example.com",
        "--json",
    ]);
    from_stdin.env_remove("MINIMO_API_KEY");
    let ok = run_with_stdin(&mut from_stdin, &format!("{KEY}\n"));
    assert_eq!(ok.code, 0, "{ok:?}");
    assert_eq!(ok.json()["id"], 1);
}

#[test]
fn an_unreachable_server_is_exit_7() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = minimo(&[
        "--timeout",
        "0.5",
        "contacts",
        "get",
        "--email",
        "a@example.com",
    ]);
    cmd.env("MINIMO_API_URL", format!("http://127.0.0.1:{port}"))
        .env("MINIMO_API_KEY", KEY);
    let down = run(&mut cmd);
    assert_eq!(down.code, 7, "{down:?}");
    assert_eq!(down.stderr.lines().count(), 1, "{}", down.stderr);
}
