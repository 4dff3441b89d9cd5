//! Hostile and broken clients, on the wire with raw TCP: requests hyper cannot parse,
//! oversized request targets and headers, and a body trickled byte by byte. Every answer
//! must be the JSON error envelope.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{ACME, builder, start};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bound of every wait on the server: generous, the waits end when the answer comes.
const PATIENCE: Duration = Duration::from_secs(20);

#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn assert_envelope(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.body["error"]["code"], code, "{self:?}");
        assert!(self.body["error"]["message"].is_string(), "{self:?}");
        assert!(
            self.header("content-type")
                .is_some_and(|ct| ct.starts_with("application/json")),
            "{self:?}"
        );
        assert!(self.header("x-request-id").is_some(), "{self:?}");
    }
}

/// Parses one HTTP/1.1 answer read to the end of the connection.
fn parse(bytes: &[u8]) -> Raw {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head in {text:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let body = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{status} body is not JSON ({e}): {body:?} after {head}"));
    Raw {
        status,
        headers,
        body,
    }
}

/// Sends `request` on a new connection and reads until the server closes it.
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut out))
        .await
        .expect("the server neither answered nor closed the connection")
        .unwrap();
    parse(&out)
}

#[tokio::test]
async fn requests_hyper_cannot_parse_are_answered_in_the_envelope() {
    let server = start().await;
    let addr = server.local_addr();
    for request in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /public/v1/custom-fields HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    ] {
        let answer = exchange(addr, request).await;
        answer.assert_envelope(400, "bad_request");
        assert_eq!(answer.header("connection"), Some("close"), "{answer:?}");
    }
    // hyper's own limit on the request target (65,534 bytes), above the app's.
    let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    exchange(addr, long.as_bytes())
        .await
        .assert_envelope(414, "uri_too_long");
    // More header lines than hyper parses (512), though small enough for the app's limit.
    let many: String = (0..600).map(|i| format!("x-h{i}: 1\r\n")).collect();
    let request = format!("GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    let answer = exchange(addr, request.as_bytes()).await;
    answer.assert_envelope(431, "headers_too_large");
    assert_eq!(answer.body["error"]["details"]["maxHeaders"], 512);
    // Counted, though no operation answered them.
    assert_eq!(server.stats().status(400), 4);
    assert_eq!(server.stats().status(414), 1);
    assert_eq!(server.stats().status(431), 1);
}

#[tokio::test]
async fn long_targets_and_large_headers_are_enveloped_and_journaled() {
    let server = start().await;
    let addr = server.local_addr();
    let target = format!("/public/v1/custom-fields?pad={}", "x".repeat(9 * 1024));
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ACME}\r\nConnection: close\r\n\r\n"
    );
    let answer = exchange(addr, request.as_bytes()).await;
    answer.assert_envelope(414, "uri_too_long");
    assert_eq!(answer.body["error"]["details"]["limit"], 8 * 1024);
    let last = server.journal().last().unwrap();
    assert_eq!(last.status, Some(414));
    assert_eq!(last.request_id, answer.header("x-request-id").unwrap());

    let filler: String = (0..10)
        .map(|i| format!("x-filler-{i}: {}\r\n", "y".repeat(4 * 1024)))
        .collect();
    let request = format!(
        "GET /public/v1/custom-fields HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ACME}\r\n{filler}Connection: close\r\n\r\n"
    );
    let answer = exchange(addr, request.as_bytes()).await;
    answer.assert_envelope(431, "headers_too_large");
    assert_eq!(answer.header("connection"), Some("close"));
    assert_eq!(answer.body["error"]["details"]["limit"], 32 * 1024);
    assert_eq!(server.journal().last().unwrap().status, Some(431));
    // A request within the limits is served as usual.
    let request = format!(
        "GET /public/v1/custom-fields HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ACME}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(exchange(addr, request.as_bytes()).await.status, 200);
}

#[tokio::test]
async fn a_trickled_body_is_cut_with_408_and_the_connection_closed() {
    let server = builder()
        .body_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let body = br#"{"email":"trickle@example.com","customFields":{"pad":"0123456789012345678901234567890123456789"}}"#;
    let head = format!(
        "POST /public/v1/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ACME}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    // The client: one byte every 50 ms, about 5 s for the whole body (the bound is 200 ms).
    // It stops at the first failed write, once the server has closed the connection.
    let trickler = tokio::spawn(async move {
        let mut sent = 0;
        for byte in body {
            if write.write_all(&[*byte]).await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sent
    });
    let mut out = Vec::new();
    tokio::time::timeout(PATIENCE, read.read_to_end(&mut out))
        .await
        .expect("the trickled request held the connection")
        .unwrap();
    let answer = parse(&out);
    answer.assert_envelope(408, "request_timeout");
    assert_eq!(answer.header("connection"), Some("close"));
    trickler.abort();
    let sent = trickler.await.unwrap_or(0);
    assert!(sent < body.len(), "the whole body went through: {sent}");
    // Nothing was stored, and the answer is journaled.
    assert_eq!(server.store().contact_count(), 0);
    assert_eq!(server.journal().last().unwrap().status, Some(408));
}

#[tokio::test]
async fn a_body_sent_in_time_is_served_whatever_its_pace() {
    let server = builder()
        .body_timeout(Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let body = br#"{"email":"slow@example.com"}"#;
    let head = format!(
        "POST /public/v1/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ACME}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(7) {
        stream.write_all(chunk).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut out = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[tokio::test]
async fn an_answer_that_needs_no_body_does_not_wait_for_it() {
    // The default body bound (30 s) is far beyond PATIENCE: these answers must not wait
    // for a body that never comes, and the connection is closed after them.
    let server = start().await;
    for request in [
        format!(
            "DELETE /public/v1/contacts/5 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ACME}\r\n\
             Content-Length: 100\r\n\r\n{{\"a\""
        ),
        "POST /public/v1/contacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{\"a\""
            .to_owned(),
    ] {
        let answer = exchange(server.local_addr(), request.as_bytes()).await;
        assert!([401, 404].contains(&answer.status), "{answer:?}");
    }
}
