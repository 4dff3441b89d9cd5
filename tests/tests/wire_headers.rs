//! What goes on the wire, seen by a bare TCP server: the bearer token and the user agent are
//! sent (also through a caller-supplied `reqwest::Client`, since both come from the runtime),
//! progenitor's `api-version` header is not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Canned;
use minimo_api::runtime::USER_AGENT;
use minimo_ext::{ContactId, Minimo};

const DELETED: &[u8] = br#"{"id": 7, "deleted": true}"#;

#[tokio::test]
async fn the_generated_client_sends_bearer_and_user_agent_but_no_api_version() {
    let server = Canned::respond("200 OK", "application/json", DELETED).await;
    let client =
        minimo_api::Client::with_api_key(server.base_url(), "mn-acme-S3cretValue").unwrap();
    let deleted = client.delete_contact().id(7).send().await.unwrap();
    assert_eq!(deleted.status(), 200);

    let heads = server.request_heads();
    let [head] = heads.as_slice() else {
        panic!("one request expected: {heads:?}")
    };
    assert!(
        head.starts_with("delete /public/v1/contacts/7 http/1.1"),
        "{head}"
    );
    assert!(
        head.contains("authorization: bearer mn-acme-s3cretvalue\r\n"),
        "{head}"
    );
    assert!(
        head.contains(&format!("user-agent: {USER_AGENT}\r\n")),
        "{head}"
    );
    assert!(
        !head.contains("api-version"),
        "progenitor's api-version header leaked: {head}"
    );
}

#[tokio::test]
async fn a_custom_http_client_still_sends_the_key_and_user_agent() {
    let server = Canned::respond("200 OK", "application/json", DELETED).await;
    let http = reqwest::Client::builder()
        .user_agent("not-ours/1.0")
        .build()
        .unwrap();
    let minimo = Minimo::builder()
        .api_key("mn-acme-CustomS3cret")
        .base_url(server.base_url())
        .user_agent_suffix("billing-sync/2.1")
        .http_client(http)
        .build()
        .unwrap();
    minimo.delete(ContactId::new(7)).await.unwrap();

    let heads = server.request_heads();
    let [head] = heads.as_slice() else {
        panic!("one request expected: {heads:?}")
    };
    assert!(
        head.contains("authorization: bearer mn-acme-customs3cret\r\n"),
        "{head}"
    );
    assert!(
        head.contains(&format!("user-agent: {USER_AGENT} billing-sync/2.1\r\n")),
        "{head}"
    );
    assert!(!head.contains("not-ours"), "{head}");
}
