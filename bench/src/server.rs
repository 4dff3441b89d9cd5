//! The stub Minimo the `calls` scenario talks to: hyper's HTTP/1 server on 127.0.0.1, on its
//! own thread and runtime, answering the two operations with fixed, spec-shaped bodies.
//!
//! It does as little as a server can (match the route, drain the request body, send bytes
//! prepared once) so that the time per call is mostly the client's, and the differences
//! between clients show. It stops when its [`StubServer`] is dropped.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Path prefix of the look-up by email; the email follows.
pub const BY_EMAIL_PREFIX: &str = "/public/v1/contacts/by-email/";
/// Path of the upsert.
pub const UPSERT_PATH: &str = "/public/v1/contacts";

/// The look-up's answer, as the vendor documents it (wrapped in `data`).
pub const CONTACT_BODY: &str = r#"{"data":{"id":42,"email":"jane@example.com","phone":"+393391234567","status":"active","source":"API","custom_fields":{"PLAN":"pro"},"company":1,"deleted":false,"external_id":null,"external_connection_id":null}}"#;
/// The upsert's answer: the contact id as a string, as in every vendor example.
pub const UPSERTED_BODY: &str = r#"[{"contactId":"42"}]"#;

/// A running stub server; dropping it stops the server and joins its thread.
#[derive(Debug)]
pub struct StubServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl StubServer {
    /// Binds 127.0.0.1 on a free port and serves from a thread of its own.
    pub fn start() -> std::io::Result<StubServer> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("stub-minimo".to_owned())
            .spawn(move || runtime.block_on(serve(listener, stopped)))?;
        Ok(StubServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, the base URL clients are given.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until told to stop (or until the [`StubServer`] is gone); the
/// connection tasks end with the runtime when the thread returns.
async fn serve(listener: std::net::TcpListener, mut stopped: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(answer);
                    // A client closing its pooled connections ends this with an error,
                    // which is no concern of the benchmark.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match (request.method(), request.uri().path()) {
        (&Method::GET, path) if path.starts_with(BY_EMAIL_PREFIX) => (StatusCode::OK, CONTACT_BODY),
        (&Method::POST, UPSERT_PATH) => {
            // Read the body to its end so the connection can be reused for the next call.
            let _ = request.into_body().collect().await;
            (StatusCode::OK, UPSERTED_BODY)
        }
        _ => (
            StatusCode::NOT_FOUND,
            r#"{"error":{"code":"not_found","message":"no such route in the benchmark's stub"}}"#,
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}
