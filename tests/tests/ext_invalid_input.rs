//! Invalid input never reaches the wire: every case is `ErrorKind::InvalidInput` with
//! `attempts() == 0` and the fake's journal stays empty. Also the builder's checks of the
//! API key and the base URL, and `Minimo::from_env` (run in a child process, since it reads
//! the process environment).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{KEY, assert_one_line, client, fake};
use minimo_ext::{
    ContactId, ContactInput, ContactPatch, ENV_API_KEY, ENV_API_URL, Error, ErrorKind, FieldType,
    Minimo, MinimoBuilder, NewCustomField,
};

fn assert_invalid(error: &Error, says: &str) {
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error:?}");
    assert_eq!(error.status(), None);
    assert_eq!(error.attempts(), 0);
    assert_eq!(error.request_id(), None);
    assert!(!error.is_retryable());
    assert!(error.message().contains(says), "{error}");
    assert_one_line(&error.to_string());
}

#[tokio::test]
async fn invalid_contact_input_never_reaches_the_wire() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    // What no contact can hold: refused by look-ups and writes alike.
    let never_emails = [
        "plainaddress",
        "@example.com",
        "jane@",
        "",
        "ja\nne@example.com",
    ];
    // What no mail system accepts, though a look-up may still send it.
    let unwritable_emails = [
        "jane@example",
        "ja ne@example.com",
        "a@b@example.com",
        "jane@x_y.it",
    ];
    for email in never_emails.iter().chain(&unwritable_emails).copied() {
        let error = minimo
            .upsert(ContactInput::with_email(email))
            .await
            .expect_err(email);
        assert_invalid(&error, "email");
        assert!(error.is_invalid_email(), "{error:?}");
        assert_eq!(error.code().map(|c| c.as_str()), Some("validation_error"));
        if !email.is_empty() {
            assert!(!error.to_string().contains(email), "{error}");
        }
        let error = minimo
            .update(ContactId::new(1), ContactPatch::new().email(email))
            .await
            .expect_err(email);
        assert_invalid(&error, "email");
        let error = minimo
            .change_email("old@example.com", email)
            .await
            .expect_err(email);
        assert_invalid(&error, "new email");
    }
    for email in never_emails {
        let error = minimo.get_by_email(email).await.expect_err(email);
        assert_invalid(&error, "email");
        assert!(error.is_invalid_email(), "{error:?}");
        // The code get-by-email documents for a malformed email.
        assert_eq!(error.code().map(|c| c.as_str()), Some("bad_request"));
        let error = minimo
            .change_email(email, "new@example.com")
            .await
            .expect_err(email);
        assert_invalid(&error, "old email");
    }
    for phone in [
        "393391234567",
        "0039 339 1234567",
        "+0391234567",
        "+123",
        "+1234567890123456",
        "+39/339/1234567",
        "(039) 3391234567",
    ] {
        let error = minimo
            .upsert(ContactInput::with_phone(phone))
            .await
            .expect_err(phone);
        assert_invalid(&error, "phone");
        assert_eq!(
            error.code().map(|c| c.as_str()),
            Some("invalid_phone_number")
        );
        assert!(!error.to_string().contains(phone), "{error}");
        let error = minimo
            .update(ContactId::new(1), ContactPatch::new().phone(phone))
            .await
            .expect_err(phone);
        assert_invalid(&error, "phone");
    }
    let error = minimo
        .upsert(ContactInput::default().custom_field("PLAN", "pro"))
        .await
        .expect_err("no email nor phone");
    assert_invalid(&error, "needs an email or a phone");
    let error = minimo
        .update(ContactId::new(1), ContactPatch::new())
        .await
        .expect_err("empty patch");
    assert_invalid(&error, "changes nothing");
    let error = minimo
        .upsert(ContactInput::with_email("jane@example.com").custom_field(" ", 1))
        .await
        .expect_err("empty custom field key");
    assert_invalid(&error, "custom field key must be non-empty");
    assert_eq!(error.field(), Some("customFields"));
    for not_an_object in [
        serde_json::json!([1, 2]),
        serde_json::json!("text"),
        serde_json::json!(3),
    ] {
        let error = minimo
            .upsert(ContactInput::with_email("jane@example.com").custom_fields_from(&not_an_object))
            .await
            .expect_err("not an object");
        assert_invalid(&error, "must serialize to a JSON object");
        let error = minimo
            .update(
                ContactId::new(1),
                ContactPatch::new().custom_fields_from(&not_an_object),
            )
            .await
            .expect_err("not an object");
        assert_invalid(&error, "must serialize to a JSON object");
    }
    assert!(fake.journal().is_empty(), "{:?}", fake.journal().entries());
}

#[tokio::test]
async fn invalid_custom_field_definitions_never_reach_the_wire() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    for key in ["", "plan tier", "PLAN\tTIER", "PLAN\n"] {
        let error = minimo
            .custom_fields()
            .create(NewCustomField::new(key, "Plan", FieldType::Text))
            .await
            .expect_err(key);
        assert_invalid(&error, "custom field key");
    }
    let error = minimo
        .custom_fields()
        .create(NewCustomField::new("PLAN", "  ", FieldType::Text))
        .await
        .expect_err("no label");
    assert_invalid(&error, "needs a label");
    let error = minimo
        .custom_fields()
        .create(NewCustomField::new("PLAN", "Plan", FieldType::Text).options(["a", "b"]))
        .await
        .expect_err("options on text");
    assert_invalid(&error, "only select fields take options");
    let error = minimo
        .custom_fields()
        .create(NewCustomField::new(
            "PLAN",
            "Plan",
            FieldType::Other("colour".to_owned()),
        ))
        .await
        .expect_err("unknown type");
    assert_invalid(&error, "cannot be created");
    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct NotFields(Vec<String>);
    let error = minimo
        .ensure_custom_fields::<NotFields>()
        .await
        .expect_err("not a struct");
    assert_invalid(&error, "not a struct with named fields");
    assert!(fake.journal().is_empty(), "{:?}", fake.journal().entries());
}

#[test]
fn malformed_api_keys_are_refused_saying_what_is_wrong_without_the_secret() {
    for (key, says) in [
        ("", "is empty"),
        ("sk-acme-Xy7topsecret", "does not start with `mn-`"),
        ("mn-acmeXy7topsecret", "has no `-`"),
        ("mn--Xy7topsecret", "client id"),
        ("mn-ac.me-Xy7topsecret", "client id"),
        ("mn-acme-", "empty secret"),
        ("mn-acme-Xy7top secret", "spaces"),
        ("mn-acme-Xy7topsécret", "non-ASCII"),
        ("mn-acme-Xy7top\nsecret", "control"),
        (" mn-acme-Xy7topsecret", "whitespace"),
        ("mn-acme-Xy7topsecret\n", "whitespace"),
    ] {
        let error = Minimo::builder().api_key(key).build().expect_err(key);
        assert_invalid(&error, says);
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("Xy7top"), "{key:?}: {shown}");
    }
    let error = Minimo::builder().build().expect_err("no key");
    assert_invalid(&error, "no API key");
}

#[test]
fn plain_http_is_refused_unless_the_host_is_loopback() {
    for url in [
        "http://api.minimo.it",
        "http://10.0.0.1:8080",
        "http://192.168.1.5",
        "ftp://api.minimo.it",
        "api.minimo.it",
        "https://api.minimo.it/?x=1",
        "https://api.minimo.it/#frag",
        "https://user:pass@api.minimo.it",
        "not a url",
    ] {
        let error = Minimo::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .expect_err(url);
        assert_invalid(&error, "");
        assert!(!format!("{error} {error:?}").contains(common::SECRET));
    }
    let error = Minimo::builder()
        .api_key(KEY)
        .base_url("http://api.minimo.it")
        .build()
        .expect_err("plain http");
    assert!(error.message().contains("plain http"), "{error}");
    for url in [
        "http://127.0.0.1:8080",
        "http://localhost:3000/",
        "http://[::1]:9000",
        "https://api.minimo.it",
        "https://eu.api.minimo.it/base/",
    ] {
        let minimo = Minimo::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(
            minimo.base_url().as_str().trim_end_matches('/'),
            url.trim_end_matches('/')
        );
    }
    let default = Minimo::builder().api_key(KEY).build().unwrap();
    assert_eq!(default.base_url().as_str(), "https://api.minimo.it/");
}

#[tokio::test]
async fn a_loopback_http_client_works_against_the_fake() {
    let fake = fake().await;
    let url = fake.base_url().replace("127.0.0.1", "localhost");
    let minimo = Minimo::builder()
        .api_key(KEY)
        .base_url(format!("{url}/"))
        .timeout(Duration::from_secs(10))
        .user_agent_suffix("ext-tests/1.0")
        .build()
        .unwrap();
    assert_eq!(minimo.get_by_email("jane@example.com").await.unwrap(), None);
    assert_eq!(fake.journal().len(), 1);
    assert_eq!(
        fake.journal().last().unwrap().path,
        "/public/v1/contacts/by-email/{email}"
    );
}

#[test]
fn an_invalid_user_agent_suffix_is_invalid_input() {
    let error = Minimo::builder()
        .api_key(KEY)
        .user_agent_suffix("bad\nsuffix")
        .build()
        .expect_err("newline in a header");
    assert_invalid(&error, "user agent suffix");
}

// ----------------------------------------------------------------------------------------
// from_env, in a child process: this test binary re-runs itself filtered to this test with
// the environment to check and a marker variable saying which case to run.

const CHILD_CASE: &str = "MINIMO_EXT_TESTS_FROM_ENV_CASE";
const CHILD_URL: &str = "MINIMO_EXT_TESTS_FAKE_URL";

#[tokio::test]
async fn from_env_reads_the_key_and_the_url_in_a_child_process() {
    match std::env::var(CHILD_CASE) {
        Ok(case) => child_case(&case).await,
        Err(_) => parent().await,
    }
}

/// Runs this test in a child process with `vars` set and `removed` unset; asserts it passed
/// and returns its output. Async, so the parent's fake keeps serving meanwhile.
async fn run_child(case: &str, url: &str, vars: &[(&str, &str)], removed: &[&str]) -> String {
    let mut command = tokio::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "from_env_reads_the_key_and_the_url_in_a_child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_CASE, case)
        .env(CHILD_URL, url)
        .kill_on_drop(true);
    for name in removed {
        command.env_remove(name);
    }
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the child ends")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child case {case} failed:\n{stdout}\n{stderr}"
    );
    format!("{stdout}{stderr}")
}

async fn parent() {
    let fake = fake().await;
    let url = fake.base_url();
    // Key and URL from the environment: the child's request reaches the fake.
    let output = run_child(
        "full",
        &url,
        &[(ENV_API_KEY, KEY), (ENV_API_URL, &url)],
        &[],
    )
    .await;
    assert!(!output.contains(common::SECRET), "{output}");
    let journal = fake.journal().entries();
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0].client_id.as_deref(), Some("acme"));
    assert_eq!(journal[0].status, Some(404));
    // No URL (or a blank one): the default base URL.
    run_child("default_url", &url, &[(ENV_API_KEY, KEY)], &[ENV_API_URL]).await;
    run_child(
        "default_url",
        &url,
        &[(ENV_API_KEY, KEY), (ENV_API_URL, "  ")],
        &[],
    )
    .await;
    // No key.
    run_child("no_key", &url, &[], &[ENV_API_KEY, ENV_API_URL]).await;
    // A malformed key: refused without showing it.
    let output = run_child(
        "bad_key",
        &url,
        &[(ENV_API_KEY, "mn-acme-Xy7top secret"), (ENV_API_URL, &url)],
        &[],
    )
    .await;
    assert!(!output.contains("Xy7top"), "{output}");
    // A plain-http non-loopback URL.
    run_child(
        "bad_url",
        &url,
        &[(ENV_API_KEY, KEY), (ENV_API_URL, "http://api.minimo.it")],
        &[],
    )
    .await;
    assert_eq!(fake.journal().len(), 1, "only the full case sent a request");
}

async fn child_case(case: &str) {
    match case {
        "full" => {
            let url = std::env::var(CHILD_URL).unwrap();
            let minimo = Minimo::from_env().unwrap();
            assert_eq!(
                minimo.base_url().as_str().trim_end_matches('/'),
                url.trim_end_matches('/')
            );
            let builder = MinimoBuilder::from_env().unwrap();
            let shown = format!("{builder:?} {minimo:?}");
            assert!(!shown.contains(common::SECRET), "{shown}");
            println!("{shown}");
            assert_eq!(minimo.get_by_email("jane@example.com").await.unwrap(), None);
        }
        "default_url" => {
            let minimo = Minimo::from_env().unwrap();
            assert_eq!(minimo.base_url().as_str(), "https://api.minimo.it/");
        }
        "no_key" => {
            let error = Minimo::from_env().expect_err("no key");
            assert_invalid(&error, ENV_API_KEY);
            let error = MinimoBuilder::from_env().expect_err("no key");
            assert_invalid(&error, ENV_API_KEY);
        }
        "bad_key" => {
            let error = Minimo::from_env().expect_err("bad key");
            assert_invalid(&error, "spaces");
            println!("{error} {error:?}");
        }
        "bad_url" => {
            let error = Minimo::from_env().expect_err("bad url");
            assert_invalid(&error, "plain http");
        }
        other => panic!("unknown child case {other}"),
    }
}
