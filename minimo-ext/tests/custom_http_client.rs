//! A caller-supplied `reqwest::Client` still sends the key and the user agent: both come from
//! the runtime, not from the HTTP client's default headers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use minimo_ext::{ContactId, Minimo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves one request with a `DeletedContact` body and returns the request head, lowercased.
async fn serve_once(listener: TcpListener) -> String {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0, "the client closed before a full request head");
        head.extend_from_slice(&buf[..n]);
    }
    let body = r#"{"id": 7, "deleted": true}"#;
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(response.as_bytes()).await.unwrap();
    String::from_utf8(head).unwrap().to_ascii_lowercase()
}

#[tokio::test]
async fn a_custom_http_client_still_sends_the_key_and_user_agent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(serve_once(listener));

    let http = reqwest::Client::builder()
        .user_agent("not-ours/1.0")
        .build()
        .unwrap();
    let minimo = Minimo::builder()
        .api_key("mn-acme-CustomS3cret")
        .base_url(base)
        .user_agent_suffix("billing-sync/2.1")
        .http_client(http)
        .build()
        .unwrap();
    minimo.delete(ContactId::new(7)).await.unwrap();

    let head = server.await.unwrap();
    assert!(head.starts_with("delete /public/v1/contacts/7 "), "{head}");
    assert!(
        head.contains("authorization: bearer mn-acme-customs3cret\r\n"),
        "{head}"
    );
    assert!(
        head.contains(&format!(
            "user-agent: {} billing-sync/2.1\r\n",
            minimo_api::runtime::USER_AGENT
        )),
        "{head}"
    );
    assert!(!head.contains("not-ours"), "{head}");
}
