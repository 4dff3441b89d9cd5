//! Secrets and personal data never leak: with a TRACE-level `tracing` subscriber (and a
//! `log` logger for reqwest's own records) writing into memory, every operation runs,
//! failing ones included, every value and error is formatted with `{}` and `{:?}`, and none
//! of it contains the API key's secret, a full email address or a phone number.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::{
    Buffer, COMPANY, KEY, SECRET, UNKNOWN_KEY, client, client_with_key, fake, fast_policy,
};
use minimo_ext::{
    ContactId, ContactInput, ContactPatch, FieldType, MarketingConsent, Minimo, NewCustomField,
};
use minimo_fake::{ContactSeed, Fault};
use serde::Serialize;
use tracing_subscriber::fmt::format::FmtSpan;

/// reqwest logs through the `log` crate: this logger keeps every record of this process.
struct MemoryLogger;

static LOG_RECORDS: Mutex<String> = Mutex::new(String::new());

impl log::Log for MemoryLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {} {}\n", record.level(), record.target(), record.args());
        LOG_RECORDS.lock().unwrap().push_str(&line);
    }

    fn flush(&self) {}
}

static LOGGER: MemoryLogger = MemoryLogger;

const UNKNOWN_SECRET: &str = "Wr0ngS3cret";
const JANE: &str = "jane@example.com";
const JANE_NEW: &str = "jane.doe@example.com";
const OTHER: &str = "other.person@example.com";
const PHONE: &str = "+393391234567";
const PHONE_2: &str = "+12025551234";

/// Every form of the personal data and secrets used, as they could leak.
fn forbidden() -> Vec<String> {
    let mut words = vec![
        SECRET.to_owned(),
        UNKNOWN_SECRET.to_owned(),
        // Personal data inside custom field values.
        "backup@example.org".to_owned(),
        "+447700900123".to_owned(),
    ];
    for email in [JANE, JANE_NEW, OTHER] {
        words.push(email.to_owned());
        words.push(email.replace('@', "%40"));
        words.push(email.split('@').next().unwrap().to_owned() + "@");
    }
    for phone in [PHONE, PHONE_2] {
        words.push(phone.to_owned());
        words.push(phone.trim_start_matches('+').to_owned());
        words.push(phone.replace('+', "%2B"));
    }
    words
}

#[derive(Serialize)]
struct Extra {
    backup_email: String,
    mobile: String,
}

#[tokio::test]
async fn no_secret_or_personal_data_reaches_traces_logs_debug_or_errors() {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Trace);
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_writer(buffer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = fake().await;
    let mut shown: Vec<String> = Vec::new();
    fn show(shown: &mut Vec<String>, value: &dyn std::fmt::Debug) {
        shown.push(format!("{value:?}"));
    }

    let builder = Minimo::builder()
        .api_key(KEY)
        .base_url(fake.base_url())
        .retry_policy(fast_policy());
    show(&mut shown, &builder);
    let minimo = client(&fake.base_url());
    show(&mut shown, &minimo);
    show(&mut shown, &minimo_ext::ApiKey::new(KEY).unwrap());
    shown.push(minimo_ext::ApiKey::new(KEY).unwrap().to_string());

    // Successful operations.
    let input = ContactInput::with_email(JANE)
        .phone(PHONE)
        .custom_field("PLAN", "pro")
        .custom_fields_from(&Extra {
            backup_email: "backup@example.org".to_owned(),
            mobile: "+447700900123".to_owned(),
        })
        .consent(MarketingConsent::opt_in_all());
    show(&mut shown, &input);
    let id = minimo.upsert(input).await.unwrap();
    show(&mut shown, &id);
    let jane = minimo.get_by_email(JANE).await.unwrap().unwrap();
    show(&mut shown, &jane);
    let patch = ContactPatch::new().phone(PHONE_2).custom_field("SEATS", 3);
    show(&mut shown, &patch);
    minimo.update(id, patch).await.unwrap();
    let changed = minimo.change_email(JANE, JANE_NEW).await.unwrap();
    show(&mut shown, &changed);
    let other = fake
        .store()
        .insert_contact(COMPANY, ContactSeed::email(OTHER).phone(PHONE));
    let field = minimo
        .custom_fields()
        .create(NewCustomField::new("PLAN", "Plan", FieldType::Text))
        .await
        .unwrap();
    show(&mut shown, &field);
    show(
        &mut shown,
        &minimo.custom_fields().list_grouped().await.unwrap(),
    );
    minimo.delete(id).await.unwrap();
    assert_eq!(minimo.get_by_email(JANE_NEW).await.unwrap(), None);

    // Failing operations.
    let mut errors = Vec::new();
    errors.push(
        client_with_key(&fake.base_url(), UNKNOWN_KEY)
            .get_by_email(JANE)
            .await
            .expect_err("401"),
    );
    errors.push(
        minimo
            .update(ContactId::new(999_999), ContactPatch::new().email(JANE))
            .await
            .expect_err("404"),
    );
    // Restore jane (deleted above), so that her new email collides.
    minimo
        .update(id, ContactPatch::new().custom_field("BACK", true))
        .await
        .unwrap();
    errors.push(
        minimo
            .update(
                ContactId::new(other.id),
                ContactPatch::new().email(JANE_NEW),
            )
            .await
            .expect_err("409"),
    );
    errors.push(
        minimo
            .change_email(OTHER, JANE_NEW)
            .await
            .expect_err("conflict"),
    );
    fake.faults().push(
        Fault::status("upsertContact", 422)
            .code("validation_error")
            .message(format!("Contact {OTHER} with phone {PHONE} is invalid")),
    );
    errors.push(
        minimo
            .upsert(ContactInput::with_email(OTHER).phone(PHONE))
            .await
            .expect_err("422"),
    );
    fake.faults()
        .push(Fault::drop_connection("getContactByEmail").times(3));
    errors.push(minimo.get_by_email(OTHER).await.expect_err("dropped"));
    fake.faults().push(Fault::drop_connection("upsertContact"));
    errors.push(
        minimo
            .upsert(ContactInput::with_phone(PHONE))
            .await
            .expect_err("dropped"),
    );
    fake.faults()
        .push(Fault::latency("getContactByEmail", Duration::from_secs(2)));
    let impatient = Minimo::builder()
        .api_key(KEY)
        .base_url(fake.base_url())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    errors.push(impatient.get_by_email(OTHER).await.expect_err("timeout"));
    errors.push(
        minimo
            .upsert(ContactInput::with_email("jane.doe@@example.com"))
            .await
            .expect_err("invalid"),
    );
    errors.push(
        minimo
            .upsert(ContactInput::with_phone("393391234567"))
            .await
            .expect_err("invalid"),
    );
    errors.push(
        Minimo::builder()
            .api_key(format!("mn-acme-{SECRET} "))
            .build()
            .expect_err("malformed key"),
    );
    errors.push(
        Minimo::builder()
            .api_key(format!("sk-acme-{SECRET}"))
            .build()
            .expect_err("malformed key"),
    );
    let statuses: Vec<Option<u16>> = errors.iter().map(|e| e.status()).collect();
    assert_eq!(
        statuses,
        [
            Some(401),
            Some(404),
            Some(409),
            None,
            Some(422),
            None,
            None,
            None,
            None,
            None,
            None,
            None
        ]
    );
    for error in &errors {
        shown.push(format!("{error}"));
        shown.push(format!("{error:?}"));
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            shown.push(format!("{cause} {cause:?}"));
            source = cause.source();
        }
    }
    drop(_guard);

    let trace = buffer.text();
    let logs = LOG_RECORDS.lock().unwrap().clone();
    let shown = shown.join("\n");
    for (what, text) in [
        ("trace", &trace),
        ("log", &logs),
        ("formatted values", &shown),
    ] {
        for word in forbidden() {
            assert!(
                !text.contains(&word),
                "{what} contains `{word}`:\n{}",
                text.lines()
                    .filter(|l| l.contains(&word))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    // The capture worked: the requests, their masked paths, and the HTTP stack's internals
    // were recorded.
    assert!(trace.contains("minimo.request"), "{trace}");
    assert!(trace.contains("j***@example.com"), "{trace}");
    assert!(trace.contains("o***@example.com"), "{trace}");
    assert!(trace.contains("TRACE"), "{trace}");
    assert!(
        trace.contains("hyper_util"),
        "no hyper-util internals traced"
    );
    assert!(trace.contains("status=409"), "{trace}");
    assert!(logs.contains("reqwest"), "no reqwest log records: {logs}");
    assert!(shown.contains("j***@example.com"), "{shown}");
    assert!(shown.contains("+39********67"), "{shown}");
    assert!(shown.contains("mn-acme-** redacted **"), "{shown}");
}

#[tokio::test]
async fn the_authorization_header_is_sensitive_in_debug_output() {
    let minimo = Minimo::builder().api_key(KEY).build().unwrap();
    let shown = format!("{minimo:?} {:#?}", minimo.api());
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("Sensitive"), "{shown}");
}
