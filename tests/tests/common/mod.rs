//! Shared set-up of the minimo-ext end-to-end tests: a fake server, a client tuned for fast
//! retries, and a tiny raw-TCP HTTP server answering canned responses.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use minimo_ext::{Minimo, RetryPolicy};
use minimo_fake::{ApiKey, CompanyId, FakeServer, JournalEntry, Permission};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The key every fake accepts (company 1). Its secret part is [`SECRET`].
pub const KEY: &str = "mn-acme-Zq8s3cretK3y";
/// The secret part of [`KEY`]: must never show in any output.
pub const SECRET: &str = "Zq8s3cretK3y";
/// A key the fake accepts for company 1 that may only read contacts.
pub const READ_ONLY_KEY: &str = "mn-reader-R3adOnlyS3cret";
/// A well-formed key the fake does not know.
pub const UNKNOWN_KEY: &str = "mn-acme-Wr0ngS3cret";
/// A key with a rate limit of one request in its bucket, refilled slowly.
pub const LIMITED_KEY: &str = "mn-slow-L1mitedS3cret";

/// Small, deterministic retry waits so the suite stays fast.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .initial_backoff(Duration::from_millis(20))
        .max_backoff(Duration::from_millis(100))
        .max_retry_after(Duration::from_secs(5))
        .jitter(false)
}

/// A fake with [`KEY`], [`READ_ONLY_KEY`] and [`LIMITED_KEY`], all in company 1.
pub async fn fake() -> FakeServer {
    FakeServer::builder()
        .key(ApiKey::new(KEY).company(1))
        .key(
            ApiKey::new(READ_ONLY_KEY)
                .company(1)
                .permissions([Permission::ReadContacts]),
        )
        .key(ApiKey::new(LIMITED_KEY).company(1).rate_limit(0.2, 1))
        .start()
        .await
        .expect("the fake starts")
}

/// The company of [`KEY`].
pub const COMPANY: CompanyId = 1;

/// A client of `base_url` with `key`, [`fast_policy`] and a 10 s deadline.
pub fn client_with_key(base_url: &str, key: &str) -> Minimo {
    Minimo::builder()
        .api_key(key)
        .base_url(base_url)
        .timeout(Duration::from_secs(10))
        .retry_policy(fast_policy())
        .build()
        .expect("the client builds")
}

/// A client of `base_url` with [`KEY`].
pub fn client(base_url: &str) -> Minimo {
    client_with_key(base_url, KEY)
}

/// The journal entries of one operation.
pub fn attempts(fake: &FakeServer, operation: &str) -> Vec<JournalEntry> {
    fake.journal().for_operation(operation)
}

/// The statuses the journal recorded for one operation (`None` for a dropped connection).
pub fn statuses(fake: &FakeServer, operation: &str) -> Vec<Option<u16>> {
    attempts(fake, operation).iter().map(|e| e.status).collect()
}

/// Waits until `done` holds, polling every 10 ms, for at most `limit`; panics naming `what`
/// when it never does. A bound for a hung test, not a timing assumption: pass a generous one.
pub async fn until(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let give_up = std::time::Instant::now() + limit;
    while !done() {
        if std::time::Instant::now() >= give_up {
            panic!("timed out after {limit:?} waiting until {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A `http://127.0.0.1:PORT` URL where connections are refused for as long as the returned
/// socket lives: the socket holds the port (bound, never listening), so no other test can
/// take it, and the kernel refuses every connection to it.
pub fn refused_base_url() -> (tokio::net::TcpSocket, String) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, format!("http://127.0.0.1:{port}"))
}

/// Asserts that `text` is one line.
pub fn assert_one_line(text: &str) {
    assert!(
        !text.contains('\n') && !text.contains('\r'),
        "not one line: {text:?}"
    );
}

/// A raw-TCP HTTP/1.1 server on 127.0.0.1 answering canned bytes, one request per
/// connection, then closing it. Stopped when dropped.
pub struct Canned {
    base_url: String,
    hits: Arc<AtomicUsize>,
    heads: Arc<std::sync::Mutex<Vec<Request>>>,
    task: JoinHandle<()>,
}

/// A request a [`Canned`] server read: its head, as received, and its body.
type Request = (String, Vec<u8>);

/// A route of a [`Canned`] server: a request-line prefix, the answers it gives in turn, and
/// how many it gave.
struct Route {
    prefix: String,
    answers: Vec<Vec<u8>>,
    used: AtomicUsize,
}

/// The bytes of a response with `status`, `content_type` (omitted when empty) and `body`.
pub fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nx-request-id: req-canned-1\r\nconnection: close\r\n",
        body.len()
    );
    if !content_type.is_empty() {
        head.push_str(&format!("content-type: {content_type}\r\n"));
    }
    head.push_str("\r\n");
    let mut raw = head.into_bytes();
    raw.extend_from_slice(body);
    raw
}

impl Canned {
    /// Answers every request with `status`, `content_type` (omitted when empty) and `body`.
    pub async fn respond(status: &str, content_type: &str, body: &[u8]) -> Canned {
        Canned::raw(response(status, content_type, body)).await
    }

    /// Answers every request with exactly these bytes.
    pub async fn raw(response: Vec<u8>) -> Canned {
        Canned::routes(vec![("", response)]).await
    }

    /// Answers each request with the bytes of the first route whose prefix (`"GET
    /// /public/v1/contacts/by-email/"`) its request line starts with, or a bare 404.
    pub async fn routes(routes: Vec<(&str, Vec<u8>)>) -> Canned {
        Canned::sequences(
            routes
                .into_iter()
                .map(|(prefix, bytes)| (prefix, vec![bytes]))
                .collect(),
        )
        .await
    }

    /// Like [`Canned::routes`], each route answering its responses in turn (the last one
    /// again once they are used up), so a server can change its answer: an empty list, then
    /// a list with the field just created.
    pub async fn sequences(routes: Vec<(&str, Vec<Vec<u8>>)>) -> Canned {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (counter, seen) = (hits.clone(), heads.clone());
        let routes: Arc<Vec<Route>> = Arc::new(
            routes
                .into_iter()
                .map(|(prefix, answers)| Route {
                    prefix: prefix.to_owned(),
                    answers,
                    used: AtomicUsize::new(0),
                })
                .collect(),
        );
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let (routes, seen) = (routes.clone(), seen.clone());
                tokio::spawn(async move {
                    let request = read_request(&mut stream).await;
                    let answer = request
                        .as_ref()
                        .map(|(head, _)| head.as_str())
                        .and_then(|head| {
                            routes
                                .iter()
                                .find(|route| head.starts_with(route.prefix.as_str()))
                        })
                        .and_then(|route| {
                            let turn = route.used.fetch_add(1, Ordering::SeqCst);
                            route
                                .answers
                                .get(turn)
                                .or_else(|| route.answers.last())
                                .cloned()
                        })
                        .unwrap_or_else(|| response("404 Not Found", "", b""));
                    if let Some(request) = request {
                        seen.lock().unwrap().push(request);
                    }
                    let _ = stream.write_all(&answer).await;
                    let _ = stream.flush().await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Canned {
            base_url: format!("http://{addr}"),
            hits,
            heads,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// How many connections it accepted.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The heads (request line and headers, lowercased) of the requests it read in full.
    pub fn request_heads(&self) -> Vec<String> {
        self.raw_heads()
            .iter()
            .map(|head| head.to_ascii_lowercase())
            .collect()
    }

    /// The request lines, exactly as received (`GET /path HTTP/1.1`).
    pub fn request_lines(&self) -> Vec<String> {
        self.raw_heads()
            .iter()
            .map(|head| head.lines().next().unwrap_or_default().to_owned())
            .collect()
    }

    /// The bodies of the requests it read in full, as JSON (`Null` when empty or not JSON).
    pub fn request_bodies(&self) -> Vec<serde_json::Value> {
        self.heads
            .lock()
            .unwrap()
            .iter()
            .map(|(_, body)| serde_json::from_slice(body).unwrap_or(serde_json::Value::Null))
            .collect()
    }

    fn raw_heads(&self) -> Vec<String> {
        self.heads
            .lock()
            .unwrap()
            .iter()
            .map(|(head, _)| head.clone())
            .collect()
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request: its head, then `content-length` bytes of body. Returns the head, as
/// received, and the body, when the whole request arrived.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await
        else {
            return None;
        };
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(str::to_owned)
                })
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return Some((head, buf[end + 4..end + 4 + length].to_vec()));
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// An in-memory sink for a `tracing_subscriber` fmt subscriber.
#[derive(Clone, Default)]
pub struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);

impl Buffer {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
