//! Serving one connection: hyper's settings, the handle that lets a fault drop the
//! connection, and the envelope for the errors hyper answers by itself.
//!
//! hyper answers a request it cannot parse (a malformed request line or header, a request
//! target over 65,534 bytes, a head larger than its buffer) without calling the app, with
//! an empty body. hyper offers no hook to replace that answer, so the connection's IO is
//! wrapped ([`Enveloped`]): a write that is exactly such a canned head (status 400, 414 or
//! 431, `content-length: 0`, no `content-type`: every answer of the app has a JSON body and
//! a content type, so none looks like it) is replaced by the same status with the JSON error
//! envelope, an `x-request-id` and `connection: close`. hyper's limits are also raised
//! above the app's ([`crate::pipeline`]), so most oversized requests reach the app and are
//! answered (and journaled) there.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tower::ServiceExt;

use crate::error::ApiError;
use crate::state::{ConnectionKill, Shared};

/// hyper's read buffer, the largest request head it accepts: above the app's limits
/// ([`crate::state::MAX_HEADER_BYTES`], [`crate::state::MAX_URI_BYTES`]) so that those
/// are answered by the app.
pub(crate) const MAX_HEAD_BYTES: usize = 256 * 1024;
/// Most header lines hyper parses (its default is 100).
const MAX_HEADERS: usize = 512;
/// The longest request target hyper accepts (its own constant).
const HYPER_MAX_URI: usize = 65_534;

/// Serves one connection; a handler can close it without answering through the
/// [`ConnectionKill`] put in every request's extensions.
pub(crate) async fn serve(stream: TcpStream, app: Router, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let kill_handle = ConnectionKill(kill.clone());
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(kill_handle.clone());
        app.clone().oneshot(req)
    });
    let io = Enveloped {
        inner: stream,
        pending: Vec::new(),
        written: 0,
        shared,
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .serve_connection(TokioIo::new(io), service);
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                tracing::debug!(target: "minimo_fake", "connection ended: {e}");
            }
        }
        _ = kill.notified() => {
            tracing::debug!(target: "minimo_fake", "connection dropped by a fault");
        }
    }
}

/// The connection's IO, with hyper's canned error answers replaced by enveloped ones.
struct Enveloped {
    inner: TcpStream,
    /// The replacement answer still to be written.
    pending: Vec<u8>,
    written: usize,
    shared: Arc<Shared>,
}

/// The status of `buf` when it is a whole answer hyper wrote by itself for a request it
/// could not parse.
fn canned_status(buf: &[u8]) -> Option<u16> {
    let head = std::str::from_utf8(buf).ok()?.strip_suffix("\r\n\r\n")?;
    if head.contains("\r\n\r\n") {
        return None;
    }
    let status: u16 = head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    if ![400, 414, 431].contains(&status) {
        return None;
    }
    let lower = head.to_ascii_lowercase();
    (lower.contains("\r\ncontent-length: 0\r\n") || lower.ends_with("\r\ncontent-length: 0"))
        .then_some(())
        .filter(|()| !lower.contains("\r\ncontent-type:"))
        .map(|()| status)
}

/// The enveloped answer for a canned head of `status`: the same status line and `date`.
fn envelope(head: &[u8], status: u16, request_id: &str) -> Vec<u8> {
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("HTTP/1.1 400 Bad Request");
    let date = lines.find(|l| l.to_ascii_lowercase().starts_with("date:"));
    let error = match status {
        414 => ApiError::uri_too_long(HYPER_MAX_URI),
        431 => ApiError::headers_too_large(
            "The request head is too large or has too many header lines",
            json!({ "limit": MAX_HEAD_BYTES, "maxHeaders": MAX_HEADERS }),
        ),
        _ => ApiError::bad_request("Malformed HTTP request"),
    };
    let body = error.body().to_string();
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\nx-request-id: {request_id}\r\n",
        body.len()
    );
    if let Some(date) = date {
        out.push_str(date);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

impl Enveloped {
    /// Writes what is left of a replacement answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(rest) = self.pending.get(self.written..).filter(|r| !r.is_empty()) {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Enveloped {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Enveloped {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        // Not vectored (the default `is_write_vectored` is false), so hyper flattens each
        // answer and a canned head arrives whole, in one write.
        if let Some(status) = canned_status(buf) {
            let request_id = this.shared.next_request_id();
            this.pending = envelope(buf, status, &request_id);
            this.written = 0;
            this.shared.stats.record(None, Some(status));
            tracing::debug!(
                target: "minimo_fake",
                request_id = %request_id,
                status,
                "malformed request answered by hyper, enveloped"
            );
            // Whatever is not written now goes out on the flush or shutdown hyper does next.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyper_canned_heads_are_replaced() {
        let canned = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n";
        assert_eq!(canned_status(canned), Some(400));
        let out = String::from_utf8(envelope(canned, 400, "req-1")).unwrap_or_default();
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
        assert!(
            out.contains("\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"),
            "{out}"
        );
        assert!(
            out.ends_with(r#"{"error":{"code":"bad_request","message":"Malformed HTTP request"}}"#),
            "{out}"
        );
        assert_eq!(
            canned_status(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n"
            ),
            Some(431)
        );
        // Answers of the app: a content type, a body, or another status.
        for app in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}",
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 10\r\n\r\n",
        ] {
            assert_eq!(canned_status(app), None);
        }
    }
}
