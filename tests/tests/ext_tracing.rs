//! Each attempt of a call is one `minimo.request` span carrying the operation id, method,
//! masked path, attempt number, status and latency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Buffer, COMPANY, client, fake};
use minimo_fake::{ContactSeed, Fault};
use tracing_subscriber::fmt::format::FmtSpan;

/// The `minimo.request` span lines closed while running `body` (one per attempt).
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
        .with_max_level(tracing::Level::INFO)
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
    assert_eq!(spans.len(), 2, "one span per attempt: {spans:#?}");
    for (span, (attempt, status)) in spans.iter().zip([(1, 503), (2, 200)]) {
        for field in [
            "operation=\"get_contact_by_email\"".to_owned(),
            "method=GET".to_owned(),
            "path=/public/v1/contacts/by-email/j***@example.com".to_owned(),
            format!("attempt={attempt}"),
            format!("status={status}"),
            "latency_ms=".to_owned(),
        ] {
            assert!(span.contains(&field), "`{field}` missing from {span}");
        }
        assert!(!span.contains("jane"), "unmasked email in {span}");
    }
}
