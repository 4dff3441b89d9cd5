//! minimo-ext against minimo-fake: every error kind the fake can produce and what the error
//! says about it, and the retry classes, `Retry-After`, the per-call deadline and
//! cancellation of `minimo_api::runtime`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    COMPANY, KEY, LIMITED_KEY, READ_ONLY_KEY, UNKNOWN_KEY, assert_one_line, client,
    client_with_key, fake, fast_policy, refused_base_url, statuses, until,
};
use minimo_ext::{
    ContactId, ContactInput, ContactPatch, Error, ErrorCode, ErrorKind, FieldType, Minimo,
    NewCustomField, RetryPolicy,
};
use minimo_fake::{ContactSeed, FakeServer, Fault};

/// Asserts what every error that came from a response must say: the kind, status, code, the
/// request id of the fake's last journal entry, a one-line Display.
fn assert_answered(
    error: &Error,
    fake: &FakeServer,
    kind: ErrorKind,
    status: u16,
    code: ErrorCode,
    message: &str,
) {
    assert_eq!(error.kind(), kind, "{error:?}");
    assert_eq!(error.status(), Some(status), "{error:?}");
    assert_eq!(error.code(), Some(&code), "{error:?}");
    assert_eq!(error.message(), message, "{error:?}");
    let last = fake.journal().last().expect("the request was journaled");
    assert_eq!(error.request_id(), Some(last.request_id.as_str()));
    let shown = error.to_string();
    assert_one_line(&shown);
    assert!(shown.contains(&format!("HTTP {status}")), "{shown}");
    assert!(shown.contains(&last.request_id), "{shown}");
    assert_one_line(&format!("{error:?}"));
}

fn policy(max_attempts: u32, initial_backoff_ms: u64) -> RetryPolicy {
    fast_policy()
        .max_attempts(max_attempts)
        .initial_backoff(Duration::from_millis(initial_backoff_ms))
}

fn client_with(base_url: &str, policy: RetryPolicy, timeout: Duration) -> Minimo {
    Minimo::builder()
        .api_key(KEY)
        .base_url(base_url)
        .retry_policy(policy)
        .timeout(timeout)
        .build()
        .unwrap()
}

// ----------------------------------------------------------------------------------------
// Error kinds.

#[tokio::test]
async fn a_wrong_key_is_unauthorized_with_status_code_and_request_id() {
    let fake = fake().await;
    let minimo = client_with_key(&fake.base_url(), UNKNOWN_KEY);
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("401");
    assert_answered(
        &error,
        &fake,
        ErrorKind::Unauthorized,
        401,
        ErrorCode::Unauthorized,
        "Invalid API key",
    );
    assert_eq!(error.attempts(), 1);
    assert_eq!(error.retry_after(), None);
    assert!(!error.is_retryable());
    assert_eq!(fake.journal().len(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn a_key_without_the_permission_is_forbidden() {
    let fake = fake().await;
    let minimo = client_with_key(&fake.base_url(), READ_ONLY_KEY);
    let error = minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect_err("403");
    assert_answered(
        &error,
        &fake,
        ErrorKind::Forbidden,
        403,
        ErrorCode::Forbidden,
        "Insufficient permissions",
    );
    assert_eq!(error.attempts(), 1);
    assert!(!error.is_retryable());
    assert!(fake.store().contacts(COMPANY).is_empty());
}

#[tokio::test]
async fn updating_an_unknown_id_is_not_found() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    let error = minimo
        .update(
            ContactId::new(987_654),
            ContactPatch::new().phone("+393391234567"),
        )
        .await
        .expect_err("404");
    assert_answered(
        &error,
        &fake,
        ErrorKind::NotFound,
        404,
        ErrorCode::NotFound,
        "Contact not found",
    );
    assert_eq!(error.attempts(), 1);
    assert!(!error.is_retryable());
    let error = minimo
        .delete(ContactId::new(987_654))
        .await
        .expect_err("404");
    assert_eq!(error.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn updating_to_an_email_another_contact_has_is_a_conflict_with_details() {
    let fake = fake().await;
    let store = fake.store();
    store.insert_contact(COMPANY, ContactSeed::email("taken@example.com"));
    let other = store.insert_contact(COMPANY, ContactSeed::email("other@example.com"));
    let minimo = client(&fake.base_url());
    let error = minimo
        .update(
            ContactId::new(other.id),
            ContactPatch::new().email("taken@example.com"),
        )
        .await
        .expect_err("409");
    assert_answered(
        &error,
        &fake,
        ErrorKind::Conflict,
        409,
        ErrorCode::DuplicateResource,
        "Another contact already uses this email",
    );
    assert_eq!(
        error.details().and_then(|d| d.get("field")),
        Some(&serde_json::json!("email"))
    );
    assert!(!error.is_retryable());
    assert_eq!(
        store.contact(other.id).unwrap().email.as_deref(),
        Some("other@example.com")
    );
}

#[tokio::test]
async fn a_422_from_the_server_is_a_validation_error_with_its_message_masked() {
    let fake = fake().await;
    fake.faults().push(
        Fault::status("upsertContact", 422)
            .code("invalid_phone_number")
            .message("Phone +393391234567 of jane@example.com is not valid"),
    );
    let minimo = client(&fake.base_url());
    let error = minimo
        .upsert(ContactInput::with_email("jane@example.com").phone("+393391234567"))
        .await
        .expect_err("422");
    assert_answered(
        &error,
        &fake,
        ErrorKind::Validation,
        422,
        ErrorCode::InvalidPhoneNumber,
        "Phone +39********67 of j***@example.com is not valid",
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_400_and_a_415_from_the_server_are_validation_errors() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    for (status, code) in [(400, ErrorCode::BadRequest), (415, ErrorCode::BadRequest)] {
        fake.faults()
            .push(Fault::status("updateContactById", status));
        let error = minimo
            .update(ContactId::new(1), ContactPatch::new().custom_field("A", 1))
            .await
            .expect_err("4xx");
        assert_eq!(error.kind(), ErrorKind::Validation, "{error:?}");
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.code(), Some(&code));
        assert_eq!(error.attempts(), 1);
    }
}

#[tokio::test]
async fn an_unknown_error_code_is_kept_as_other() {
    let fake = fake().await;
    fake.faults().push(
        Fault::status("listCustomFields", 500)
            .times(3)
            .code("brand_new_code"),
    );
    let minimo = client(&fake.base_url());
    let error = minimo.custom_fields().list().await.expect_err("500");
    assert_eq!(error.kind(), ErrorKind::Server);
    assert_eq!(
        error.code(),
        Some(&ErrorCode::Other("brand_new_code".to_owned()))
    );
    assert_eq!(error.code().map(ErrorCode::as_str), Some("brand_new_code"));
    assert_eq!(error.attempts(), 3);
    assert!(error.is_retryable());
}

#[tokio::test]
async fn the_rate_limit_is_rate_limited_with_retry_after_and_not_waited_beyond_the_cap() {
    let fake = fake().await;
    // The limited key has one request in its bucket, refilled at 0.2 per second: the second
    // request is told to come back in up to 5 s (less the time since the first, rounded up),
    // more than this policy honours.
    let policy = fast_policy().max_retry_after(Duration::from_secs(1));
    let max_retry_after = policy.retry_after_cap();
    let minimo = Minimo::builder()
        .api_key(LIMITED_KEY)
        .base_url(fake.base_url())
        .retry_policy(policy)
        .build()
        .unwrap();
    minimo
        .upsert(ContactInput::with_email("first@example.com"))
        .await
        .unwrap();
    let error = minimo
        .upsert(ContactInput::with_email("second@example.com"))
        .await
        .expect_err("429");
    assert_answered(
        &error,
        &fake,
        ErrorKind::RateLimited,
        429,
        ErrorCode::RateLimitExceeded,
        "Too many requests",
    );
    // The fake computes the wait from the time elapsed since the first request: 5 s, or 4 s
    // when the second came a second or more later (a loaded machine). Either is beyond the
    // policy's cap, so the client gave up after one attempt.
    let retry_after = error.retry_after().expect("a Retry-After");
    assert!(
        retry_after > max_retry_after && retry_after <= Duration::from_secs(5),
        "Retry-After {retry_after:?}"
    );
    assert_eq!(error.attempts(), 1);
    assert!(error.is_retryable());
    assert_eq!(statuses(&fake, "upsertContact"), [Some(200), Some(429)]);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_retried_for_every_operation() {
    // A port held by a socket that never listens: refused for the whole test, and no other
    // test can bind it meanwhile.
    let (_held, base_url) = refused_base_url();
    let minimo = client(&base_url);
    let errors = [
        minimo
            .upsert(ContactInput::with_email("jane@example.com"))
            .await
            .expect_err("refused"),
        minimo
            .get_by_email("jane@example.com")
            .await
            .expect_err("refused"),
        minimo
            .custom_fields()
            .create(NewCustomField::new("PLAN", "Plan", FieldType::Text))
            .await
            .expect_err("refused"),
    ];
    for error in errors {
        assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
        assert_eq!(error.status(), None);
        assert_eq!(error.code(), None);
        assert_eq!(error.request_id(), None);
        // A failed connect never reached the server: even the upsert is retried.
        assert_eq!(error.attempts(), 3, "{error:?}");
        assert!(error.is_retryable());
        assert_one_line(&error.to_string());
        assert!(std::error::Error::source(&error).is_some());
    }
}

// ----------------------------------------------------------------------------------------
// Retry classes.

#[tokio::test]
async fn get_is_retried_on_503_twice_then_succeeds() {
    let fake = fake().await;
    fake.store()
        .insert_contact(COMPANY, ContactSeed::email("jane@example.com"));
    fake.faults()
        .push(Fault::status("getContactByEmail", 503).times(2));
    let minimo = client(&fake.base_url());
    let jane = minimo.get_by_email("jane@example.com").await.unwrap();
    assert_eq!(jane.unwrap().email.as_deref(), Some("jane@example.com"));
    assert_eq!(
        statuses(&fake, "getContactByEmail"),
        [Some(503), Some(503), Some(200)]
    );
}

#[tokio::test]
async fn get_gives_up_after_max_attempts_of_503() {
    let fake = fake().await;
    fake.faults()
        .push(Fault::status("getContactByEmail", 503).times(5));
    let minimo = client(&fake.base_url());
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("503");
    assert_answered(
        &error,
        &fake,
        ErrorKind::Server,
        503,
        ErrorCode::Other("service_unavailable".to_owned()),
        "Service temporarily unavailable",
    );
    assert_eq!(error.attempts(), 3);
    assert!(error.is_retryable());
    assert!(error.to_string().contains("after 3 attempts"), "{error}");
    assert_eq!(statuses(&fake, "getContactByEmail"), [Some(503); 3]);
}

#[tokio::test]
async fn list_custom_fields_is_retried_on_500_502_and_504() {
    let fake = fake().await;
    for status in [500, 502, 504] {
        fake.faults()
            .push(Fault::status("listCustomFields", status));
    }
    let minimo = Minimo::builder()
        .api_key(KEY)
        .base_url(fake.base_url())
        .retry_policy(policy(4, 20))
        .build()
        .unwrap();
    assert!(minimo.custom_fields().list().await.unwrap().is_empty());
    assert_eq!(
        statuses(&fake, "listCustomFields"),
        [Some(500), Some(502), Some(504), Some(200)]
    );
}

#[tokio::test]
async fn update_is_retried_after_a_dropped_connection() {
    let fake = fake().await;
    let jane = fake
        .store()
        .insert_contact(COMPANY, ContactSeed::email("jane@example.com"));
    fake.faults()
        .push(Fault::drop_connection("updateContactById"));
    let minimo = client(&fake.base_url());
    let id = minimo
        .update(
            ContactId::new(jane.id),
            ContactPatch::new().custom_field("PLAN", "pro"),
        )
        .await
        .unwrap();
    assert_eq!(id.get(), jane.id);
    assert_eq!(statuses(&fake, "updateContactById"), [None, Some(200)]);
    assert_eq!(
        fake.store().contact(jane.id).unwrap().custom_fields["PLAN"],
        "pro"
    );
}

#[tokio::test]
async fn delete_is_retried_after_a_dropped_connection() {
    let fake = fake().await;
    let jane = fake
        .store()
        .insert_contact(COMPANY, ContactSeed::email("jane@example.com"));
    fake.faults().push(Fault::drop_connection("deleteContact"));
    let minimo = client(&fake.base_url());
    minimo.delete(ContactId::new(jane.id)).await.unwrap();
    assert_eq!(statuses(&fake, "deleteContact"), [None, Some(200)]);
    assert!(fake.store().contact(jane.id).unwrap().deleted);
}

#[tokio::test]
async fn upsert_is_not_retried_on_503() {
    let fake = fake().await;
    fake.faults().push(Fault::status("upsertContact", 503));
    let minimo = client(&fake.base_url());
    let error = minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect_err("503");
    assert_answered(
        &error,
        &fake,
        ErrorKind::Server,
        503,
        ErrorCode::Other("service_unavailable".to_owned()),
        "Service temporarily unavailable",
    );
    assert_eq!(error.attempts(), 1);
    // One verdict: the client did not retry because the contact may have been created, and
    // the error says the same instead of inviting the caller to retry.
    assert!(!error.is_retryable(), "{error:?}");
    assert!(error.may_have_been_processed(), "{error:?}");
    assert_eq!(statuses(&fake, "upsertContact"), [Some(503)]);
    assert!(fake.store().contacts(COMPANY).is_empty());
}

#[tokio::test]
async fn upsert_is_not_retried_on_500_502_or_504() {
    let fake = fake().await;
    let minimo = client(&fake.base_url());
    for status in [500, 502, 504] {
        fake.journal().clear();
        fake.faults().push(Fault::status("upsertContact", status));
        let error = minimo
            .upsert(ContactInput::with_email("jane@example.com"))
            .await
            .expect_err("5xx");
        assert_eq!(error.kind(), ErrorKind::Server);
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.attempts(), 1);
        assert_eq!(statuses(&fake, "upsertContact"), [Some(status)]);
    }
}

#[tokio::test]
async fn upsert_is_not_retried_on_a_dropped_connection() {
    let fake = fake().await;
    fake.faults().push(Fault::drop_connection("upsertContact"));
    let minimo = client(&fake.base_url());
    let error = minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect_err("dropped");
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert_eq!(error.status(), None);
    assert_eq!(error.attempts(), 1);
    // The request was sent before the connection broke: it may have been processed.
    assert!(!error.is_retryable(), "{error:?}");
    assert!(error.may_have_been_processed(), "{error:?}");
    assert_one_line(&error.to_string());
    assert_eq!(statuses(&fake, "upsertContact"), [None]);
}

#[tokio::test]
async fn upsert_is_not_retried_after_a_timeout() {
    let fake = fake().await;
    // The first upsert is held 3 s by the fake; the HTTP client gives up waiting for the
    // answer after 500 ms (its read timeout), long before the call's 10 s deadline, so only
    // the retry class can stop a second attempt (which the fake would answer at once).
    fake.faults()
        .push(Fault::latency("upsertContact", Duration::from_secs(3)));
    let http = reqwest::Client::builder()
        .read_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let minimo = Minimo::builder()
        .api_key(KEY)
        .base_url(fake.base_url())
        .retry_policy(fast_policy())
        .timeout(Duration::from_secs(10))
        .http_client(http)
        .build()
        .unwrap();
    let error = minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .expect_err("timeout");
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert_eq!(error.status(), None);
    assert_eq!(error.attempts(), 1, "{error:?}");
    assert!(!error.is_retryable(), "{error:?}");
    assert!(error.may_have_been_processed(), "{error:?}");
    // The call is over, so any second attempt has been answered (the fake journals before
    // it answers). The first attempt took the latency fault: wait until the fake has taken it
    // (it may see the request late on a loaded machine), then no upsert other than that held
    // one may have reached the fake, and none created the contact.
    until(
        "the first attempt took the latency fault",
        Duration::from_secs(10),
        || fake.faults().pending().is_empty(),
    )
    .await;
    let unscripted: Vec<_> = fake
        .journal()
        .for_operation("upsertContact")
        .into_iter()
        .filter(|e| e.fault.is_none())
        .collect();
    assert!(unscripted.is_empty(), "a second upsert: {unscripted:?}");
    assert!(fake.store().contacts(COMPANY).is_empty());
}

#[tokio::test]
async fn create_custom_field_is_not_retried_on_503() {
    let fake = fake().await;
    fake.faults().push(Fault::status("createCustomField", 503));
    let minimo = client(&fake.base_url());
    let error = minimo
        .custom_fields()
        .create(NewCustomField::new("PLAN", "Plan", FieldType::Text))
        .await
        .expect_err("503");
    assert_eq!(error.kind(), ErrorKind::Server);
    assert_eq!(error.attempts(), 1);
    assert_eq!(statuses(&fake, "createCustomField"), [Some(503)]);
    assert!(fake.store().custom_fields(COMPANY).is_empty());
}

#[tokio::test]
async fn upsert_is_retried_on_429_after_the_retry_after() {
    let fake = fake().await;
    fake.faults()
        .push(Fault::status("upsertContact", 429).retry_after(1));
    let minimo = client(&fake.base_url());
    let id = minimo
        .upsert(ContactInput::with_email("jane@example.com"))
        .await
        .unwrap();
    let entries = fake.journal().for_operation("upsertContact");
    let got: Vec<_> = entries.iter().map(|e| e.status).collect();
    assert_eq!(got, [Some(429), Some(200)]);
    let gap = entries[1]
        .started_at
        .duration_since(entries[0].started_at)
        .unwrap();
    assert!(gap >= Duration::from_secs(1), "waited only {gap:?}");
    assert_eq!(fake.store().contact(id.get()).unwrap().id, id.get());
}

#[tokio::test]
async fn create_custom_field_is_retried_on_429() {
    let fake = fake().await;
    fake.faults().push(Fault::status("createCustomField", 429));
    let minimo = client(&fake.base_url());
    let field = minimo
        .custom_fields()
        .create(NewCustomField::new("plan", "Plan", FieldType::Text))
        .await
        .unwrap();
    assert_eq!(field.key, "PLAN");
    assert_eq!(statuses(&fake, "createCustomField"), [Some(429), Some(201)]);
}

#[tokio::test]
async fn retry_after_on_a_503_is_honoured_for_a_get() {
    let fake = fake().await;
    fake.faults()
        .push(Fault::status("getContactByEmail", 503).retry_after(1));
    let minimo = client(&fake.base_url());
    assert_eq!(minimo.get_by_email("jane@example.com").await.unwrap(), None);
    let entries = fake.journal().for_operation("getContactByEmail");
    assert_eq!(entries.len(), 2);
    let gap = entries[1]
        .started_at
        .duration_since(entries[0].started_at)
        .unwrap();
    assert!(gap >= Duration::from_secs(1), "waited only {gap:?}");
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let fake = fake().await;
    fake.store()
        .insert_contact(COMPANY, ContactSeed::email("jane@example.com"));
    // The fake rounds the date up to a whole second, so it is 2 to 3 s ahead when sent.
    fake.faults()
        .push(Fault::status("getContactByEmail", 503).retry_after_http_date(2));
    let minimo = client_with(
        &fake.base_url(),
        policy(3, 20).max_retry_after(Duration::from_secs(5)),
        Duration::from_secs(10),
    );
    let jane = minimo.get_by_email("jane@example.com").await.unwrap();
    assert_eq!(jane.unwrap().email.as_deref(), Some("jane@example.com"));
    assert_eq!(statuses(&fake, "getContactByEmail"), [Some(503), Some(200)]);
    let entries = fake.journal().for_operation("getContactByEmail");
    let gap = entries[1]
        .started_at
        .duration_since(entries[0].started_at)
        .unwrap();
    // HTTP dates have a one-second resolution: allow for truncation, not for the backoff.
    assert!(gap >= Duration::from_millis(1_000), "waited only {gap:?}");
    assert!(gap < Duration::from_secs(5), "waited {gap:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_max_retry_after_stops_retrying() {
    let fake = fake().await;
    fake.faults().push(
        Fault::status("getContactByEmail", 503)
            .times(3)
            .retry_after(30),
    );
    let minimo = client(&fake.base_url());
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("503");
    assert_eq!(error.kind(), ErrorKind::Server);
    assert_eq!(error.attempts(), 1);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(statuses(&fake, "getContactByEmail"), [Some(503)]);
}

// ----------------------------------------------------------------------------------------
// Deadline and cancellation.

#[tokio::test]
async fn latency_longer_than_the_timeout_is_a_timeout() {
    let fake = fake().await;
    fake.faults()
        .push(Fault::latency("getContactByEmail", Duration::from_secs(2)));
    let minimo = client_with(&fake.base_url(), fast_policy(), Duration::from_millis(300));
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("timeout");
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert_eq!(error.status(), None);
    // The deadline is the call's: no retry starts once it has passed.
    assert_eq!(error.attempts(), 1);
    assert!(error.is_retryable());
    assert_one_line(&error.to_string());
}

#[tokio::test]
async fn one_deadline_covers_every_attempt_and_wait() {
    let fake = fake().await;
    // Each attempt takes at least 500 ms (the fake's delay) and fails; waits are 50 ms. Ten
    // attempts need at least 10 x 500 + 9 x 50 ms = 5.45 s; the call has 1.5 s for all.
    const ATTEMPTS: u32 = 10;
    let delay = Duration::from_millis(500);
    let backoff = Duration::from_millis(50);
    let no_deadline_total = delay * ATTEMPTS + backoff * (ATTEMPTS - 1);
    fake.faults().push(
        Fault::status("getContactByEmail", 503)
            .times(ATTEMPTS)
            .delay(delay),
    );
    let minimo = client_with(
        &fake.base_url(),
        fast_policy()
            .max_attempts(ATTEMPTS)
            .initial_backoff(backoff)
            .max_backoff(backoff),
        Duration::from_millis(1_500),
    );
    let started = std::time::Instant::now();
    let error = minimo
        .get_by_email("jane@example.com")
        .await
        .expect_err("deadline");
    // Not a speed check: a call that returns a whole second before the ten attempts could
    // have been made was cut by the deadline (it returns at about 1.5 s; the margin is for a
    // loaded machine).
    let elapsed = started.elapsed();
    assert!(
        elapsed + Duration::from_secs(1) < no_deadline_total,
        "the deadline did not cut the call: {elapsed:?}"
    );
    assert!(
        matches!(error.kind(), ErrorKind::Timeout | ErrorKind::Server),
        "{error:?}"
    );
    // Attempt n starts at least (n - 1) x 550 ms in, and none starts past the deadline: at
    // most 3 (fewer when the machine is slow).
    assert!(
        (1..=3).contains(&error.attempts()),
        "attempts within the deadline: {error:?}"
    );
    // Give a (wrongly) detached retry time to show up, then count what reached the fake.
    tokio::time::sleep(delay + backoff).await;
    let made = fake
        .faults()
        .pending()
        .first()
        .map_or(ATTEMPTS, |f| ATTEMPTS - f.times);
    assert!(
        made <= error.attempts(),
        "{made} requests reached the fake, {} attempts reported",
        error.attempts()
    );
}

#[tokio::test]
async fn cancelling_a_call_during_its_backoff_makes_no_further_attempt() {
    let fake = fake().await;
    fake.faults()
        .push(Fault::status("getContactByEmail", 503).times(5));
    let backoff = Duration::from_secs(2);
    let minimo = client_with(
        &fake.base_url(),
        fast_policy()
            .max_attempts(5)
            .initial_backoff(backoff)
            .max_backoff(backoff)
            .jitter(false),
        Duration::from_secs(30),
    );
    let call = tokio::spawn(async move { minimo.get_by_email("jane@example.com").await });
    // The first attempt was answered (503): the call now waits 2 s before the next.
    until(
        "the first attempt was answered",
        Duration::from_secs(5),
        || fake.journal().for_operation("getContactByEmail").len() == 1,
    )
    .await;
    assert!(!call.is_finished(), "the call should still be waiting");
    call.abort();
    let outcome = call.await;
    assert!(
        outcome.as_ref().is_err_and(|e| e.is_cancelled()),
        "{outcome:?}"
    );
    // Past the point where the second attempt would have been made.
    tokio::time::sleep(backoff + Duration::from_millis(500)).await;
    let entries = fake.journal().for_operation("getContactByEmail");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let pending: Vec<u32> = fake.faults().pending().iter().map(|f| f.times).collect();
    assert_eq!(pending, [4], "the four other 503s are still queued");
}

#[tokio::test]
async fn display_is_one_line_even_when_the_server_message_has_line_breaks() {
    let fake = fake().await;
    fake.faults().push(
        Fault::status("updateContactById", 422).message("first line\nsecond line\r\nthird\tline"),
    );
    let minimo = client(&fake.base_url());
    let error = minimo
        .update(ContactId::new(1), ContactPatch::new().custom_field("A", 1))
        .await
        .expect_err("422");
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_one_line(&error.to_string());
    assert!(error.to_string().contains("first line"), "{error}");
    assert!(error.to_string().contains("second line"), "{error}");
}
