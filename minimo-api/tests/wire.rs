//! What the client puts on the wire, seen by a bare TCP listener: the bearer token and user
//! agent are sent, progenitor's `api-version` header is not, and the key never shows in Debug.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use minimo_api::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEY: &str = "mn-acme-s3cr3tvalue";

/// Serves one request with `body` and returns the request head it received.
async fn serve_once(listener: TcpListener, body: &'static str) -> String {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0, "client closed before sending a full request head");
        head.extend_from_slice(&buf[..n]);
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(response.as_bytes()).await.unwrap();
    String::from_utf8(head).unwrap().to_ascii_lowercase()
}

#[tokio::test]
async fn requests_carry_bearer_and_user_agent_but_no_api_version() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(serve_once(listener, r#"{"id": 42, "deleted": true}"#));

    let client = Client::with_api_key(&base, KEY).unwrap();
    let deleted = client
        .delete_contact()
        .id(42)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((deleted.id, deleted.deleted), (42, true));

    let head = server.await.unwrap();
    assert!(
        head.starts_with("delete /public/v1/contacts/42 http/1.1"),
        "{head}"
    );
    assert!(
        head.contains(&format!(
            "authorization: bearer {}",
            KEY.to_ascii_lowercase()
        )),
        "{head}"
    );
    assert!(
        head.contains(&format!("user-agent: {}", minimo_api::runtime::USER_AGENT)),
        "{head}"
    );
    assert!(
        !head.contains("api-version"),
        "progenitor's api-version header leaked: {head}"
    );
}

#[test]
fn debug_output_never_shows_the_key() {
    let client = Client::with_api_key("https://api.minimo.it", KEY).unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
}

#[test]
fn a_key_that_cannot_be_a_header_is_an_error_without_the_key() {
    let err = Client::with_api_key("https://api.minimo.it", "mn-acme-bad\nkey").unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("bad"), "{shown}");
    assert!(shown.contains("HTTP header"), "{shown}");
}
