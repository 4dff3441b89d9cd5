//! Faults, rate limits, the journal, the admin routes and the server's lifecycle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{ACME, Api, GLOBEX, builder, client, send, start};
use minimo_fake::{ApiKey, Fault, FaultKind, Faults, Permission};
use serde_json::json;

/// The `Retry-After` seconds of a 429.
fn retry_after_secs(answer: &common::Answer) -> u64 {
    answer
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    // 0.01 requests/s: a token comes back only after 100 s, so the third request is limited
    // however slowly the requests are sent.
    let server = builder().rate_limit(0.01, 2).start().await.unwrap();
    let acme = Api::new(&server, ACME);
    let t = Instant::now();
    assert_eq!(acme.list_fields("").await.status, 200);
    assert_eq!(acme.list_fields("").await.status, 200);
    let limited = acme.list_fields("").await;
    let spent = t.elapsed();
    limited.assert_error(429, "rate_limit_exceeded");
    // The wait is what the bucket lacks: 100 s for a whole token, less what refilled since
    // the first request (at most the time measured here around the three requests).
    let retry = retry_after_secs(&limited);
    assert!(retry <= 100, "{retry}");
    assert!(
        retry >= 100_u64.saturating_sub(spent.as_secs() + 1).max(1),
        "{retry} after {spent:?}"
    );
    // Buckets are per key.
    assert_eq!(Api::new(&server, GLOBEX).list_fields("").await.status, 200);
    // Still limited: nothing refilled the bucket.
    acme.list_fields("")
        .await
        .assert_error(429, "rate_limit_exceeded");
}

#[tokio::test]
async fn rate_limited_key_is_served_again_once_its_bucket_refills() {
    // 5 requests/s with a bucket of 1: two requests within 200 ms exhaust it. Whether they
    // do depends on the machine's speed, so send until one is limited (bounded), then poll
    // until the refill lets a request through (bounded). No window needs to be hit.
    let server = builder().rate_limit(5.0, 1).start().await.unwrap();
    let acme = Api::new(&server, ACME);
    let deadline = Instant::now() + Duration::from_secs(20);
    let limited = loop {
        let a = acme.list_fields("").await;
        if a.status == 429 {
            break a;
        }
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert!(
            Instant::now() < deadline,
            "never rate limited at 5 requests/s with a bucket of 1"
        );
    };
    limited.assert_error(429, "rate_limit_exceeded");
    // Less than one token is missing, refilled at 5 per second: under 1 s, rounded up.
    assert_eq!(retry_after_secs(&limited), 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let a = acme.list_fields("").await;
        if a.status == 200 {
            break;
        }
        a.assert_error(429, "rate_limit_exceeded");
        assert!(
            Instant::now() < deadline,
            "the bucket never refilled: still 429 after 20 s at 5 requests/s"
        );
    }
}

#[tokio::test]
async fn rate_limit_is_off_by_default() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    for _ in 0..50 {
        assert_eq!(acme.list_fields("").await.status, 200);
    }
}

#[tokio::test]
async fn scripted_status_fault_applies_n_times() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    server
        .faults()
        .push(Fault::status("upsertContact", 503).times(2).retry_after(1));
    // Other operations are not affected.
    assert_eq!(acme.list_fields("").await.status, 200);
    for _ in 0..2 {
        let a = acme.upsert(json!({"email": "f@example.com"})).await;
        a.assert_error(503, "service_unavailable");
        assert_eq!(a.headers.get("retry-after").unwrap(), "1");
    }
    assert!(
        server
            .store()
            .contacts(server.company_of("acme").unwrap())
            .is_empty(),
        "faulted requests had effects"
    );
    assert_eq!(
        acme.upsert(json!({"email": "f@example.com"})).await.status,
        200
    );
    assert!(server.faults().pending().is_empty());
    let entries = server.journal().for_operation("upsertContact");
    let faults: Vec<Option<&str>> = entries.iter().map(|e| e.fault.as_deref()).collect();
    assert_eq!(faults, [Some("status 503"), Some("status 503"), None]);
    let statuses: Vec<Option<u16>> = entries.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(200)]);
}

#[tokio::test]
async fn fault_for_any_operation_with_custom_code() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    server.faults().push(
        Fault::status("*", 429)
            .times(2)
            .retry_after(3)
            .code("rate_limit_exceeded")
            .message("slow down"),
    );
    let a = acme.list_fields("").await;
    a.assert_error(429, "rate_limit_exceeded");
    assert_eq!(a.body["error"]["message"], "slow down");
    assert_eq!(a.headers.get("retry-after").unwrap(), "3");
    acme.get("x@example.com")
        .await
        .assert_error(429, "rate_limit_exceeded");
    acme.get("x@example.com")
        .await
        .assert_error(404, "not_found");
    // "any" is an alias of "*".
    server.faults().push(Fault::status("any", 503));
    acme.delete(1)
        .await
        .assert_error(503, "service_unavailable");
    // 500 default envelope.
    server.faults().push(Fault::status("deleteContact", 500));
    acme.delete(1).await.assert_error(500, "internal_error");
}

#[tokio::test]
async fn latency_fault_delays_the_answer() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    server.faults().push(Fault::latency(
        "listCustomFields",
        Duration::from_millis(300),
    ));
    let t = Instant::now();
    assert_eq!(acme.list_fields("").await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(acme.list_fields("").await.status, 200);
    let faults: Vec<Option<String>> = server
        .journal()
        .entries()
        .into_iter()
        .map(|e| e.fault)
        .collect();
    assert_eq!(faults, [Some("latency 300ms".to_owned()), None]);
    // Delay combined with a status.
    server
        .faults()
        .push(Fault::status("listCustomFields", 503).delay(Duration::from_millis(200)));
    let t = Instant::now();
    acme.list_fields("")
        .await
        .assert_error(503, "service_unavailable");
    assert!(t.elapsed() >= Duration::from_millis(200));
    assert_eq!(
        server.journal().last().unwrap().fault.as_deref(),
        Some("status 503 +200ms")
    );
}

#[tokio::test]
async fn drop_connection_fault_gives_a_connection_error() {
    let server = start().await;
    let c = client();
    server
        .faults()
        .push(Fault::drop_connection("upsertContact"));
    let err = c
        .post(format!("{}/public/v1/contacts", server.base_url()))
        .bearer_auth(ACME)
        .json(&json!({"email": "drop@example.com"}))
        .send()
        .await
        .expect_err("the connection must be dropped, not answered");
    assert!(err.status().is_none());
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "{err:?}"
    );
    // The server keeps serving.
    assert_eq!(
        Api::new(&server, ACME)
            .upsert(json!({"email": "ok@example.com"}))
            .await
            .status,
        200
    );
    let dropped = &server.journal().for_operation("upsertContact")[0];
    assert_eq!(dropped.status, None);
    assert_eq!(dropped.fault.as_deref(), Some("drop_connection"));
}

#[tokio::test]
async fn truncated_and_invalid_json_bodies_keep_the_success_status() {
    let server = start().await;
    let c = client();
    let url = format!("{}/public/v1/custom-fields", server.base_url());
    Api::new(&server, ACME)
        .create_field(json!({"key": "k", "displayName": "K", "type": "text"}))
        .await;
    server
        .faults()
        .push(Fault::truncated_body("listCustomFields"));
    server
        .faults()
        .push(Fault::invalid_json("listCustomFields"));
    for _ in 0..2 {
        let resp = c.get(&url).bearer_auth(ACME).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert!(resp.headers().contains_key("x-request-id"));
        let text = resp.text().await.unwrap();
        assert!(!text.is_empty());
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_err(),
            "{text}"
        );
    }
    // Broken-body faults still perform the request: the field exists after a truncated create.
    server
        .faults()
        .push(Fault::truncated_body("createCustomField"));
    let resp = c
        .post(&url)
        .bearer_auth(ACME)
        .json(&json!({"key": "k2", "displayName": "K2", "type": "text"}))
        .send()
        .await
        .unwrap();
    // The status of the real answer is kept.
    assert_eq!(resp.status(), 201);
    assert_eq!(
        server
            .store()
            .custom_fields(server.company_of("acme").unwrap())
            .len(),
        2
    );
}

#[tokio::test]
async fn journal_records_operations_masked_and_without_keys() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    let t = Instant::now();
    acme.upsert(json!({"email": "journal.person@example.com"}))
        .await;
    acme.get("journal.person%40example.com").await;
    send(client().get(format!(
        "{}/public/v1/contacts/by-email/x@example.com",
        server.base_url()
    )))
    .await;
    send(client().get(format!(
        "{}/elsewhere/someone@example.com",
        server.base_url()
    )))
    .await;
    let spent = t.elapsed();
    let entries = server.journal().entries();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0].operation.as_deref(), Some("upsertContact"));
    assert_eq!(entries[0].method, "POST");
    assert_eq!(entries[0].path, "/public/v1/contacts");
    assert_eq!(entries[0].client_id.as_deref(), Some("acme"));
    assert_eq!(entries[0].status, Some(200));
    assert_eq!(entries[1].operation.as_deref(), Some("getContactByEmail"));
    assert_eq!(entries[1].path, "/public/v1/contacts/by-email/{email}");
    assert_eq!(entries[1].status, Some(200));
    assert_eq!(entries[2].client_id, None);
    assert_eq!(entries[2].status, Some(401));
    assert_eq!(entries[3].operation, None);
    assert_eq!(entries[3].path, "/elsewhere/{email}");
    assert!(entries[0].started_at <= entries[1].started_at);
    // Each request was handled within the time the client spent on all four.
    assert!(
        entries.iter().all(|e| e.duration <= spent),
        "{entries:?} within {spent:?}"
    );
    let dump = format!("{entries:?}");
    assert!(
        !dump.contains("journal.person") && !dump.contains("s3cret") && !dump.contains("x@example"),
        "{dump}"
    );
    server.journal().clear();
    assert!(server.journal().is_empty());
}

#[tokio::test]
async fn admin_routes_script_faults_and_read_the_journal() {
    let server = start().await;
    let c = client();
    let base = server.base_url();
    let acme = Api::new(&server, ACME);
    assert_eq!(
        send(c.get(format!("{base}/__fake/health"))).await.body,
        json!({"status": "ok"})
    );
    let queued = send(c.post(format!("{base}/__fake/faults")).json(
        &json!({"operation": "getContactByEmail", "status": 503, "times": 1, "retryAfter": 2}),
    ))
    .await;
    assert_eq!(queued.status, 201);
    assert_eq!(server.faults().pending()[0].kind, FaultKind::Status(503));
    let listed = send(c.get(format!("{base}/__fake/faults"))).await;
    assert_eq!(listed.body["faults"][0]["operation"], "getContactByEmail");
    let a = acme.get("a@example.com").await;
    a.assert_error(503, "service_unavailable");
    assert_eq!(a.headers.get("retry-after").unwrap(), "2");
    // Invalid fault descriptions are 400.
    for bad in [
        json!({"operation": "nope", "status": 503}),
        json!({"status": 200}),
        json!({"kind": "explode"}),
        json!({"kind": "status"}),
        json!({"times": "two", "status": 503}),
    ] {
        send(c.post(format!("{base}/__fake/faults")).json(&bad))
            .await
            .assert_error(400, "bad_request");
    }
    send(
        c.post(format!("{base}/__fake/faults"))
            .json(&json!({"kind": "drop_connection"})),
    )
    .await;
    assert_eq!(
        send(c.delete(format!("{base}/__fake/faults"))).await.status,
        200
    );
    assert!(server.faults().pending().is_empty());

    acme.upsert(json!({"email": "a@example.com"})).await;
    let journal = send(c.get(format!("{base}/__fake/journal"))).await;
    let entries = journal.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "admin requests are not journaled");
    assert_eq!(entries[0]["operation"], "getContactByEmail");
    assert_eq!(entries[0]["status"], 503);
    assert_eq!(entries[0]["fault"], "status 503");
    assert_eq!(entries[0]["path"], "/public/v1/contacts/by-email/{email}");
    assert_eq!(entries[1]["clientId"], "acme");
    assert!(entries[1]["durationMs"].is_number() && entries[1]["startedAtMs"].is_number());

    let store = send(c.get(format!("{base}/__fake/store"))).await;
    assert_eq!(store.body["contacts"].as_array().unwrap().len(), 1);

    assert_eq!(
        send(c.post(format!("{base}/__fake/reset"))).await.status,
        200
    );
    assert!(server.journal().is_empty());
    assert!(
        server
            .store()
            .contacts(server.company_of("acme").unwrap())
            .is_empty()
    );
    send(c.get(format!("{base}/__fake/nope")))
        .await
        .assert_error(404, "not_found");
    send(c.put(format!("{base}/__fake/reset")))
        .await
        .assert_error(405, "method_not_allowed");
}

#[tokio::test]
async fn admin_routes_are_off_when_disabled() {
    let server = builder().admin(false).start().await.unwrap();
    let c = client();
    for path in ["/__fake/health", "/__fake/journal", "/__fake/faults"] {
        send(c.get(format!("{}{path}", server.base_url())))
            .await
            .assert_error(404, "not_found");
    }
    send(c.post(format!("{}/__fake/reset", server.base_url())))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn reset_clears_state_and_reseeds_system_fields() {
    let server = builder().system_fields(true).start().await.unwrap();
    let acme = Api::new(&server, ACME);
    acme.upsert(json!({"email": "a@example.com"})).await;
    server.faults().push(Fault::status("*", 503));
    server.reset();
    assert!(server.faults().pending().is_empty());
    assert!(server.journal().is_empty());
    assert!(
        server
            .store()
            .contacts(server.company_of("acme").unwrap())
            .is_empty()
    );
    assert_eq!(
        acme.list_fields("").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// Whether the server at `url` that knows `key` is gone. `key` must be known only to that
/// server: a request that fails to connect, or an answer from another server that reused the
/// port (a parallel test's fake answers 401 to this key), both mean "not this server"; a
/// 2xx can only come from the server itself.
async fn gone(url: &str, key: &str) -> bool {
    match client().get(url).bearer_auth(key).send().await {
        Err(_) => true,
        Ok(resp) => !resp.status().is_success(),
    }
}

/// A key that no other server of this test run accepts.
fn unique_key(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("mn-{tag}-{}x{nanos}", std::process::id())
}

#[tokio::test]
async fn shutdown_and_drop_stop_serving() {
    let key = unique_key("shut");
    let server = minimo_fake::FakeServer::builder()
        .api_key(&key)
        .start()
        .await
        .unwrap();
    let url = format!("{}/public/v1/custom-fields", server.base_url());
    assert!(
        !gone(&url, &key).await,
        "the server must serve before shutdown"
    );
    // `shutdown` waits for the server task to end: no waiting needed.
    server.shutdown().await;
    assert!(gone(&url, &key).await, "still serving after shutdown");

    let key = unique_key("drop");
    let server = minimo_fake::FakeServer::builder()
        .api_key(&key)
        .start()
        .await
        .unwrap();
    let url = format!("{}/public/v1/custom-fields", server.base_url());
    assert!(!gone(&url, &key).await, "the server must serve before drop");
    // `drop` aborts the server task, which takes effect asynchronously: poll (bounded).
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(2);
    while !gone(&url, &key).await {
        assert!(
            Instant::now() < deadline,
            "a dropped server still answers 2xx after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn invalid_key_at_start_is_an_error_that_masks_the_secret() {
    let err = minimo_fake::FakeServer::builder()
        .api_key("mn-acme")
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("mn-{clientId}-{secret}"));
    let err = minimo_fake::FakeServer::builder()
        .api_key("xx-acme-verysecret")
        .start()
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("verysecret"));
}

#[tokio::test]
async fn per_key_rate_limit_overrides_the_default() {
    // A lax default that the other key gets, and a per-key limit of 0.01 requests/s (a
    // token every 100 s) with a bucket of 1: the second request is limited however slowly
    // it is sent.
    let server = minimo_fake::FakeServer::builder()
        .key(minimo_fake::ApiKey::new(ACME).rate_limit(0.01, 1))
        .api_key(GLOBEX)
        .rate_limit(1000.0, 1000)
        .start()
        .await
        .unwrap();
    let acme = Api::new(&server, ACME);
    let t = Instant::now();
    assert_eq!(acme.list_fields("").await.status, 200);
    let limited = acme.list_fields("").await;
    let spent = t.elapsed();
    limited.assert_error(429, "rate_limit_exceeded");
    // The key's rate sets the wait: 100 s less what refilled between the two requests.
    let retry = retry_after_secs(&limited);
    assert!(
        retry <= 100 && retry >= 100_u64.saturating_sub(spent.as_secs() + 1),
        "{retry} after {spent:?}"
    );
    for _ in 0..10 {
        assert_eq!(Api::new(&server, GLOBEX).list_fields("").await.status, 200);
    }
}

// ----- review findings -----------------------------------------------------------------------

/// Sends a request and returns status, content type and raw body.
async fn raw(req: reqwest::RequestBuilder) -> (u16, String, String) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.text().await.unwrap())
}

#[tokio::test]
async fn body_faults_wait_for_a_successful_answer_and_leave_errors_untouched() {
    const READER: &str = "mn-reader-r3ad0nly";
    let server = builder()
        .key(ApiKey::new(READER).permissions([Permission::ReadContacts]))
        .key(ApiKey::new("mn-slow-sl0wkey").rate_limit(0.01, 1))
        .start()
        .await
        .unwrap();
    let c = client();
    let url = format!("{}/public/v1/custom-fields", server.base_url());
    server
        .faults()
        .push(Fault::truncated_body("listCustomFields"));
    // 401, 403 and 429 are answered as usual: a JSON envelope with their own status.
    send(c.get(&url)).await.assert_error(401, "unauthorized");
    send(c.get(&url).bearer_auth(READER))
        .await
        .assert_error(403, "forbidden");
    let (status, _, body) = raw(c.get(&url).bearer_auth("mn-slow-sl0wkey")).await;
    assert_eq!(status, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_err(),
        "{body}"
    );
    // That 200 took the fault: queue it again for the rate-limited request.
    server
        .faults()
        .push(Fault::invalid_json("listCustomFields"));
    send(c.get(&url).bearer_auth("mn-slow-sl0wkey"))
        .await
        .assert_error(429, "rate_limit_exceeded");
    // The fault is still queued and the journal shows no fault on the error answers.
    assert_eq!(server.faults().pending().len(), 1);
    let entries = server.journal().entries();
    let seen: Vec<(Option<u16>, Option<&str>)> = entries
        .iter()
        .map(|e| (e.status, e.fault.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (Some(401), None),
            (Some(403), None),
            (Some(200), Some("truncated_body")),
            (Some(429), None),
        ]
    );
    // A handler error (404) is untouched too.
    server.faults().clear();
    server
        .faults()
        .push(Fault::invalid_json("getContactByEmail"));
    Api::new(&server, ACME)
        .get("nobody@example.com")
        .await
        .assert_error(404, "not_found");
    assert_eq!(server.faults().pending().len(), 1);
    assert_eq!(server.journal().last().unwrap().fault, None);
    // The next successful answer gets it.
    server.store().insert_contact(
        server.company_of("acme").unwrap(),
        minimo_fake::ContactSeed::email("nobody@example.com"),
    );
    let (status, ct, body) = raw(c
        .get(format!(
            "{}/public/v1/contacts/by-email/nobody@example.com",
            server.base_url()
        ))
        .bearer_auth(ACME))
    .await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/json"));
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
    assert!(server.faults().pending().is_empty());
    assert_eq!(
        server.journal().last().unwrap().fault.as_deref(),
        Some("invalid_json")
    );
}

#[tokio::test]
async fn a_body_fault_first_in_line_keeps_its_place() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    server
        .faults()
        .push(Fault::truncated_body("listCustomFields"))
        .push(Fault::status("listCustomFields", 503));
    // An error answer does not take the body fault, nor the status fault behind it.
    send(client().get(format!("{}/public/v1/custom-fields", server.base_url())))
        .await
        .assert_error(401, "unauthorized");
    assert_eq!(server.faults().pending().len(), 2);
    let (status, _, body) = raw(client()
        .get(format!("{}/public/v1/custom-fields", server.base_url()))
        .bearer_auth(ACME))
    .await;
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
    acme.list_fields("")
        .await
        .assert_error(503, "service_unavailable");
    assert_eq!(acme.list_fields("").await.status, 200);
}

/// How far `date` lies after the start of the request that `answer` answered, by the
/// fake's journal, and the time the fake spent on that request.
fn ahead_of_request(
    server: &minimo_fake::FakeServer,
    answer: &common::Answer,
    date: SystemTime,
) -> (Duration, Duration) {
    let entry = server.journal().last().unwrap();
    assert_eq!(entry.request_id, answer.request_id());
    let ahead = date
        .duration_since(entry.started_at)
        .unwrap_or_else(|e| panic!("the date lies {:?} before the request", e.duration()));
    (ahead, entry.duration)
}

#[tokio::test]
async fn status_fault_sends_retry_after_as_an_http_date() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    server.faults().push(
        Fault::status("getContactByEmail", 503)
            .retry_after_http_date(2)
            .times(2),
    );
    let a = acme.get("a@example.com").await;
    a.assert_error(503, "service_unavailable");
    let value = a.headers.get("retry-after").unwrap().to_str().unwrap();
    assert!(value.ends_with(" GMT"), "{value}");
    let date = httpdate::parse_http_date(value).unwrap();
    // Measured from the fake's own clock: the journal entry of this very request. The date
    // is taken while the answer is built, between `started_at` and `started_at + duration`,
    // then rounded up to a whole second: 2 s at least after `started_at`, under 3 s plus
    // the handler time (with generous slack for a preemption between the fake's reads of
    // its wall clock and its monotonic clock).
    let (ahead, handler) = ahead_of_request(&server, &a, date);
    assert!(ahead >= Duration::from_secs(2), "{ahead:?}");
    assert!(
        ahead < Duration::from_secs(3) + handler + Duration::from_millis(500),
        "{ahead:?} (handler {handler:?})"
    );
    // Through the admin route.
    let c = client();
    send(c.delete(format!("{}/__fake/faults", server.base_url()))).await;
    let queued = send(
        c.post(format!("{}/__fake/faults", server.base_url()))
            .json(&json!({"operation": "getContactByEmail", "status": 503, "retryAfterDate": 60})),
    )
    .await;
    assert_eq!(queued.status, 201, "{:?}", queued.body);
    assert_eq!(queued.body["queued"]["retryAfterDate"], 60);
    let a = acme.get("a@example.com").await;
    let date =
        httpdate::parse_http_date(a.headers.get("retry-after").unwrap().to_str().unwrap()).unwrap();
    let (ahead, handler) = ahead_of_request(&server, &a, date);
    assert!(
        ahead >= Duration::from_secs(60)
            && ahead < Duration::from_secs(61) + handler + Duration::from_millis(500),
        "{ahead:?} (handler {handler:?})"
    );
    // Seconds still work and replace a date set before.
    server.faults().push(
        Fault::status("getContactByEmail", 503)
            .retry_after_http_date(5)
            .retry_after(1),
    );
    assert_eq!(
        acme.get("a@example.com")
            .await
            .headers
            .get("retry-after")
            .unwrap(),
        "1"
    );
}

#[tokio::test]
async fn admin_route_rejects_out_of_range_numbers() {
    let server = start().await;
    let c = client();
    let url = format!("{}/__fake/faults", server.base_url());
    for bad in [
        json!({"status": 503, "times": 0}),
        json!({"status": 503, "times": 4_294_967_296_u64}),
        json!({"kind": "latency", "delayMs": 600_001}),
        json!({"status": 503, "delayMs": u64::MAX}),
        json!({"status": 503, "retryAfterDate": 31_536_001}),
        json!({"status": 503, "retryAfter": 1, "retryAfterDate": 1}),
        json!({"operation": "upsertcontact", "status": 503}),
    ] {
        let a = send(c.post(&url).json(&bad)).await;
        a.assert_error(400, "bad_request");
        assert!(
            a.body["error"]["message"].as_str().unwrap().len() > 10,
            "{bad}"
        );
    }
    assert!(server.faults().pending().is_empty());
    // The bounds themselves are accepted.
    for good in [
        json!({"status": 503, "times": 4_294_967_295_u64}),
        json!({"kind": "latency", "delayMs": 600_000}),
        json!({"status": 503, "retryAfterDate": 31_536_000}),
    ] {
        assert_eq!(send(c.post(&url).json(&good)).await.status, 201, "{good}");
    }
}

#[test]
#[should_panic(expected = "unknown operation \"upsertcontact\"")]
fn pushing_a_fault_for_an_unknown_operation_panics() {
    Faults::default().push(Fault::status("upsertcontact", 503));
}

#[test]
fn try_push_reports_an_unknown_operation_and_queues_nothing() {
    let faults = Faults::default();
    let err = faults
        .try_push(Fault::latency("getContact", Duration::from_millis(1)))
        .unwrap_err();
    assert_eq!(err.0, "getContact");
    assert!(err.to_string().contains("getContactByEmail"), "{err}");
    assert!(faults.pending().is_empty());
    for op in minimo_fake::OPERATION_IDS.into_iter().chain(["*", "any"]) {
        faults.try_push(Fault::drop_connection(op)).unwrap();
    }
    assert_eq!(faults.pending().len(), 8);
}
