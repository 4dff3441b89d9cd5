//! Each call is one `minimo.request` span, at DEBUG, carrying the operation id, method and
//! masked path, and, recorded when the call ends, its attempts, last status, latency and
//! request id. At INFO, what most services log at, the client records nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Buffer, COMPANY, client, fake};
use minimo_fake::{ContactSeed, Fault};
use tracing_subscriber::fmt::format::FmtSpan;

/// The `minimo.request` span lines closed so far (one per call).
fn closed_request_spans(buffer: &Buffer) -> Vec<String> {
    buffer
        .text()
        .lines()
        .filter(|line| line.contains("minimo.request") && line.contains("close"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn every_attempt_is_a_span_with_operation_method_path_attempt_status_and_latency() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(buffer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = fake().await;
    fake.store()
        .insert_contact(COMPANY, ContactSeed::email("jane+vip@example.com"));
    fake.faults().push(Fault::status("getContactByEmail", 503));
    let minimo = client(&fake.base_url());
    let jane = minimo.get_by_email("jane+vip@example.com").await.unwrap();
    assert!(jane.is_some());

    let spans = closed_request_spans(&buffer);
    assert_eq!(spans.len(), 1, "one span per call: {spans:#?}");
    let request_id = fake.journal().last().unwrap().request_id;
    for field in [
        "operation=\"get_contact_by_email\"".to_owned(),
        "method=\"GET\"".to_owned(),
        "path=/public/v1/contacts/by-email/j***@example.com".to_owned(),
        "attempts=2".to_owned(),
        "status=200".to_owned(),
        "latency_ms=".to_owned(),
        format!("request_id=\"{request_id}\""),
    ] {
        assert!(
            spans[0].contains(&field),
            "`{field}` missing from {}",
            spans[0]
        );
    }
    assert!(!spans[0].contains("jane"), "unmasked email in {}", spans[0]);
}

#[tokio::test]
async fn at_info_the_client_records_no_span_and_no_event() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(buffer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let fake = fake().await;
    fake.faults().push(Fault::status("getContactByEmail", 503));
    let minimo = client(&fake.base_url());
    assert!(
        minimo
            .get_by_email("jane@example.com")
            .await
            .unwrap()
            .is_none()
    );
    // (The fake, in the same process, logs its own requests at INFO.)
    let text = buffer.text();
    assert!(
        text.contains("minimo_fake"),
        "the subscriber recorded: {text}"
    );
    assert!(
        !text.contains("minimo.request") && !text.contains("minimo_api"),
        "{text}"
    );
}
