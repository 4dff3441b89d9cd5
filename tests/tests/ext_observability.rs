//! A call that succeeded is observable: the builder's observer sees every attempt (operation,
//! outcome, latency, request id, retry decision), and fields Minimo adds tomorrow are
//! readable today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{COMPANY, Canned, KEY, fake, fast_policy};
use minimo_ext::{AttemptEvent, ContactInput, Minimo, Outcome, RetryDecision};
use minimo_fake::{ContactSeed, Fault};

/// What the observer recorded of one attempt.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    operation: &'static str,
    method: String,
    attempt: u32,
    outcome: Outcome,
    request_id: Option<String>,
    decision: RetryDecision,
    latency: Duration,
}

fn observed(base_url: &str) -> (Minimo, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let minimo = Minimo::builder()
        .api_key(KEY)
        .base_url(base_url)
        .retry_policy(fast_policy())
        .on_attempt(move |event: &AttemptEvent<'_>| {
            sink.lock().unwrap().push(Seen {
                operation: event.operation,
                method: event.method.to_string(),
                attempt: event.attempt,
                outcome: event.outcome,
                request_id: event.request_id.map(str::to_owned),
                decision: event.decision,
                latency: event.latency,
            });
        })
        .build()
        .unwrap();
    (minimo, seen)
}

#[tokio::test]
async fn the_observer_sees_every_attempt_with_its_request_id_and_decision() {
    let fake = fake().await;
    fake.store()
        .insert_contact(COMPANY, ContactSeed::email("jane@example.com"));
    fake.faults()
        .push(Fault::status("getContactByEmail", 503).retry_after(1));
    let (minimo, seen) = observed(&fake.base_url());
    assert!(
        minimo
            .get_by_email("jane@example.com")
            .await
            .unwrap()
            .is_some()
    );

    let seen = seen.lock().unwrap().clone();
    let journal = fake.journal().for_operation("getContactByEmail");
    assert_eq!(seen.len(), 2, "{seen:#?}");
    assert_eq!(journal.len(), 2);
    for (event, entry) in seen.iter().zip(&journal) {
        assert_eq!(event.operation, "get_contact_by_email");
        assert_eq!(event.method, "GET");
        assert_eq!(event.request_id.as_deref(), Some(entry.request_id.as_str()));
        assert!(event.latency > Duration::ZERO);
    }
    assert_eq!((seen[0].attempt, seen[1].attempt), (1, 2));
    assert_eq!(seen[0].outcome.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        seen[0].decision,
        RetryDecision::Retry {
            wait: Duration::from_secs(1)
        }
    );
    assert_eq!(seen[1].outcome.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(seen[1].decision, RetryDecision::Done);
}

#[tokio::test]
async fn the_observer_sees_why_the_runtime_stopped() {
    let fake = fake().await;
    let (minimo, seen) = observed(&fake.base_url());
    // An upsert answered 503 is not retried: the contact may have been created.
    fake.faults().push(Fault::status("upsertContact", 503));
    minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect_err("503");
    // A look-up that keeps failing runs out of attempts.
    fake.faults()
        .push(Fault::status("getContactByEmail", 503).times(3));
    minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("503");
    // A connection that drops after the request was sent: not retried for an upsert.
    fake.faults().push(Fault::drop_connection("upsertContact"));
    minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect_err("dropped");
    let decisions: Vec<(&str, RetryDecision)> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| (s.operation, s.decision))
        .collect();
    let wait = RetryDecision::Retry {
        wait: Duration::from_millis(20),
    };
    assert_eq!(decisions[0], ("upsert_contact", RetryDecision::Done));
    assert_eq!(decisions[1], ("get_contact_by_email", wait));
    assert!(matches!(
        decisions[2],
        ("get_contact_by_email", RetryDecision::Retry { .. })
    ));
    assert_eq!(
        decisions[3],
        ("get_contact_by_email", RetryDecision::GaveUp)
    );
    assert_eq!(decisions[4], ("upsert_contact", RetryDecision::Done));
    assert_eq!(decisions.len(), 5);
    let last = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.outcome, Outcome::ConnectionLost);
}

#[tokio::test]
async fn a_field_minimo_adds_tomorrow_is_readable_today_and_masked_in_debug() {
    let body = br#"{"data": {"id": 7, "email": "jane@example.com", "nickname": "Janie", "loyalty": {"tier": "gold"}}}"#;
    let server = Canned::respond("200 OK", "application/json", body).await;
    let (minimo, seen) = observed(server.base_url());
    let jane = minimo
        .get_by_email("jane@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        jane.other.get("nickname"),
        Some(&serde_json::json!("Janie"))
    );
    assert_eq!(
        jane.other.get("loyalty"),
        Some(&serde_json::json!({"tier": "gold"}))
    );
    let shown = format!("{jane:?}");
    assert!(
        !shown.contains("Janie") && !shown.contains("gold") && !shown.contains("jane@"),
        "{shown}"
    );
    assert!(shown.contains("nickname"), "{shown}");
    // The Canned server's request id reaches the observer.
    assert_eq!(
        seen.lock().unwrap()[0].request_id.as_deref(),
        Some("req-canned-1")
    );
}
