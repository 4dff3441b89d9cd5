//! The controls a test of a sync engine drives while the fake runs: statistics that the
//! journal's ring cannot lose, key revocation, the server-wide rate limit changed at run
//! time (and its bucket under concurrency), and a fixed network-like latency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{ACME, Api, GLOBEX, builder, client, send, start};
use minimo_fake::{ApiKey, Fault};
use serde_json::json;

#[tokio::test]
async fn stats_count_every_request_by_operation_and_status() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    for i in 0..3 {
        acme.upsert(json!({"email": format!("s{i}@example.com")}))
            .await;
    }
    acme.upsert(json!({"email": "broken"})).await;
    acme.get("nobody@example.com").await;
    server.faults().push(Fault::status("listCustomFields", 429));
    acme.list_fields("").await;
    send(client().get(format!("{}/nope", server.base_url()))).await;
    // Admin routes are not counted.
    send(client().get(format!("{}/__fake/health", server.base_url()))).await;

    let stats = server.stats();
    assert_eq!(stats.requests(), 7);
    assert_eq!(stats.operation("upsertContact"), 4);
    assert_eq!(stats.count("upsertContact", 200), 3);
    assert_eq!(stats.count("upsertContact", 422), 1);
    assert_eq!(stats.count("getContactByEmail", 404), 1);
    assert_eq!(stats.status(429), 1);
    assert_eq!(stats.status(404), 2);
    assert_eq!(stats.dropped(), 0);
    // The journal is a bounded ring that tests may clear; the counters are not.
    server.journal().clear();
    assert_eq!(server.stats(), stats);
    let rendered = send(client().get(format!("{}/__fake/stats", server.base_url()))).await;
    assert_eq!(rendered.body["requests"], 7);
    assert_eq!(rendered.body["byOperation"]["upsertContact"], 4);
    assert_eq!(rendered.body["byOperation"]["-"], 1);
    assert_eq!(rendered.body["byStatus"]["429"], 1);
    // A reset starts them again.
    server.reset();
    assert_eq!(server.stats().requests(), 0);
}

#[tokio::test]
async fn a_dropped_connection_is_counted_as_dropped() {
    let server = start().await;
    server
        .faults()
        .push(Fault::drop_connection("listCustomFields"));
    let result = client()
        .get(format!("{}/public/v1/custom-fields", server.base_url()))
        .bearer_auth(ACME)
        .send()
        .await;
    assert!(result.is_err());
    assert_eq!(server.stats().dropped(), 1);
    assert_eq!(server.stats().operation("listCustomFields"), 1);
}

#[tokio::test]
async fn a_revoked_key_is_401_from_then_on() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    assert_eq!(acme.list_fields("").await.status, 200);
    assert!(server.revoke_key(ACME));
    acme.list_fields("").await.assert_error(401, "unauthorized");
    acme.upsert(json!({"email": "a@example.com"}))
        .await
        .assert_error(401, "unauthorized");
    // Other keys are unaffected, an unknown key is reported, and a reset keeps the revocation.
    assert_eq!(Api::new(&server, GLOBEX).list_fields("").await.status, 200);
    assert!(!server.revoke_key("mn-nobody-x"));
    server.reset();
    acme.list_fields("").await.assert_error(401, "unauthorized");
}

#[tokio::test]
async fn the_server_wide_rate_limit_changes_while_running() {
    let server = start().await;
    let acme = Api::new(&server, ACME);
    for _ in 0..5 {
        assert_eq!(acme.list_fields("").await.status, 200);
    }
    // 0.001 requests/s: no token comes back during the test.
    server.set_rate_limit(Some((0.001, 2)));
    assert_eq!(acme.list_fields("").await.status, 200);
    assert_eq!(acme.list_fields("").await.status, 200);
    let limited = acme.list_fields("").await;
    limited.assert_error(429, "rate_limit_exceeded");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    server.set_rate_limit(None);
    assert_eq!(acme.list_fields("").await.status, 200);
    // A key with its own limit keeps it whatever the server-wide one.
    let server = builder()
        .key(ApiKey::new("mn-own-k").rate_limit(0.001, 1))
        .start()
        .await
        .unwrap();
    server.set_rate_limit(Some((1000.0, 1000)));
    let own = Api::new(&server, "mn-own-k");
    assert_eq!(own.list_fields("").await.status, 200);
    own.list_fields("")
        .await
        .assert_error(429, "rate_limit_exceeded");
}

#[tokio::test]
async fn the_bucket_hands_out_exactly_its_tokens_under_concurrency() {
    let server = start().await;
    server.set_rate_limit(Some((0.001, 50)));
    let c = client();
    let url = format!("{}/public/v1/custom-fields", server.base_url());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let req = c.get(&url).bearer_auth(ACME);
        tasks.spawn(async move { req.send().await.unwrap().status().as_u16() });
    }
    let mut ok = 0;
    let mut limited = 0;
    while let Some(status) = tasks.join_next().await {
        match status.unwrap() {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, limited), (50, 150));
    assert_eq!(server.stats().count("listCustomFields", 429), 150);
}

#[tokio::test]
async fn latency_delays_every_api_answer_concurrently() {
    let latency = Duration::from_millis(200);
    let server = builder().latency(latency).start().await.unwrap();
    let acme = Api::new(&server, ACME);
    let t = Instant::now();
    assert_eq!(acme.list_fields("").await.status, 200);
    assert!(t.elapsed() >= latency);
    let t = Instant::now();
    acme.get("nobody@example.com")
        .await
        .assert_error(404, "not_found");
    assert!(t.elapsed() >= latency);
    assert!(server.journal().last().unwrap().duration >= latency);
    // Delayed requests wait side by side: 50 of them in series would take 10 s.
    let c = client();
    let url = format!("{}/public/v1/custom-fields", server.base_url());
    let t = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let req = c.get(&url).bearer_auth(ACME);
        tasks.spawn(async move { req.send().await.unwrap().status().as_u16() });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}
