//! The handwritten runtime the generated [`Client`] runs on: header hygiene, retries with
//! backoff, one deadline per call, a tracing span per call, and what a caller can learn about
//! a call afterwards.
//!
//! progenitor calls [`ClientHooks`] around every request; the impl must live in this crate
//! (orphan rule). The hooks read their configuration from [`Runtime`], the value the client
//! carries as its inner state (see [`Client::new_with_client`]).
//!
//! - `pre` adds the `Authorization` (sensitive) and `User-Agent` headers and removes the
//!   `api-version` header progenitor adds (a Dropshot convention the Minimo API does not use).
//! - `exec` sends the request and reads the whole answer, retrying by the operation's
//!   [`RetryClass`] under the [`RetryPolicy`], within the call's deadline
//!   ([`Runtime::with_call_timeout`]): reading the body inside the loop means a body that breaks
//!   off is retried like any other transient failure, the deadline covers it, and the
//!   connection is released even when the generated code ignores the body (the delete). Waits
//!   honour `Retry-After`; dropping the call's future cancels any wait.
//! - Each call runs in one `minimo.request` span with `operation`, `method`, `path` (emails
//!   masked, computed only when a subscriber records the span) and, when the call ends,
//!   `attempts`, `status`, `latency_ms` and `request_id`. Bodies are never logged.
//! - An observer ([`Runtime::with_observer`]) sees every attempt: operation, outcome, latency,
//!   request id and the retry decision, for metrics.
//!
//! [`observe`] runs a call and reports what happened underneath it ([`CallReport`]: attempts,
//! last status, `Retry-After`, request id, latency, and the [`Verdict`] on whether a retry is
//! safe and whether the server may have acted), for error types that want to say so.

mod encode;
mod http;
mod mask;
mod report;
mod retry;

pub use encode::encode_path;
pub use http::{
    DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, InvalidBaseUrl, check_base_url,
    default_http_client, is_loopback,
};
pub use mask::{mask_email, mask_name, mask_path, mask_phone, mask_text, mask_value};
pub use report::{AttemptEvent, CallReport, Observer, RetryDecision, observe};
pub use retry::{OPERATIONS, Outcome, RetryClass, RetryPolicy, Verdict, parse_retry_after};

use crate::Client;
use bytes::Bytes;
use mask::MaskedPath;
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::HeaderValue;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// The request header progenitor adds to every request; `pre` removes it.
pub const API_VERSION_HEADER: &str = "api-version";

/// The response header carrying the server's request id, when it sends one.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The `User-Agent` every request carries: `minimo-rs/<version>`.
pub const USER_AGENT: &str = concat!("minimo-rs/", env!("CARGO_PKG_VERSION"));

/// The longest response body read by default (16 MiB): far more than any answer of this API,
/// and a bound on what a misbehaving server can make the client hold.
pub const DEFAULT_MAX_BODY: usize = 16 << 20;

/// Per-client runtime configuration, carried inside the generated [`Client`].
///
/// It is the one place that knows the `Authorization` header: the key is stored as a
/// sensitive header value (its Debug output is `Sensitive`) and added to each request by
/// `pre`, so a caller-supplied `reqwest::Client` needs no default headers.
#[derive(Clone)]
pub struct Runtime {
    retry: RetryPolicy,
    call_timeout: Option<Duration>,
    authorization: Option<HeaderValue>,
    user_agent: HeaderValue,
    observer: Option<Observer>,
    max_body: usize,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("retry", &self.retry)
            .field("call_timeout", &self.call_timeout)
            .field("authorization", &self.authorization)
            .field("user_agent", &self.user_agent)
            .field("observer", &self.observer.as_ref().map(|_| "set"))
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime {
            retry: RetryPolicy::default(),
            call_timeout: Some(DEFAULT_CALL_TIMEOUT),
            authorization: None,
            user_agent: HeaderValue::from_static(USER_AGENT),
            observer: None,
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

/// The API key cannot be sent in an HTTP header (it holds control or non-ASCII characters).
/// The error never contains the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHeader {
    what: &'static str,
}

impl fmt::Display for InvalidHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} holds characters an HTTP header cannot carry",
            self.what
        )
    }
}

impl std::error::Error for InvalidHeader {}

impl Runtime {
    /// The defaults: [`RetryPolicy::default`], a [`DEFAULT_CALL_TIMEOUT`] deadline per call,
    /// no credentials, no observer, bodies up to [`DEFAULT_MAX_BODY`].
    pub fn new() -> Self {
        Runtime::default()
    }

    /// Authenticates every request with `Authorization: Bearer {api_key}`.
    pub fn with_api_key(mut self, api_key: &str) -> Result<Self, InvalidHeader> {
        let mut value = HeaderValue::try_from(format!("Bearer {api_key}"))
            .map_err(|_| InvalidHeader { what: "API key" })?;
        value.set_sensitive(true);
        self.authorization = Some(value);
        Ok(self)
    }

    /// Appends `suffix` (e.g. `billing-sync/2.1`) to the `minimo-rs/<version>` user agent.
    pub fn with_user_agent_suffix(mut self, suffix: &str) -> Result<Self, InvalidHeader> {
        self.user_agent =
            HeaderValue::try_from(format!("{USER_AGENT} {suffix}")).map_err(|_| InvalidHeader {
                what: "user agent suffix",
            })?;
        Ok(self)
    }

    /// Sets the retry policy.
    #[must_use]
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets one deadline for a whole call: every attempt, every answer's body and every wait
    /// between attempts. `Duration::MAX` means no deadline beyond the HTTP client's own.
    #[must_use]
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = (timeout != Duration::MAX).then_some(timeout);
        self
    }

    /// Calls `observer` after every attempt (see [`AttemptEvent`]), for metrics.
    #[must_use]
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The longest response body read; the rest of a longer one is dropped and the call's
    /// [`CallReport::body_limit_exceeded`] says so.
    #[must_use]
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The deadline of a whole call, if one is set.
    pub fn call_timeout(&self) -> Option<Duration> {
        self.call_timeout
    }
}

impl ClientHooks<Runtime> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let runtime = self.inner();
        let headers = request.headers_mut();
        headers.remove(API_VERSION_HEADER);
        if let Some(authorization) = &runtime.authorization {
            headers.insert(reqwest::header::AUTHORIZATION, authorization.clone());
        }
        headers.insert(reqwest::header::USER_AGENT, runtime.user_agent.clone());
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::info_span!(
            "minimo.request",
            operation = info.operation_id,
            method = request.method().as_str(),
            path = tracing::field::Empty,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        // Masking costs an allocation or two: only when someone records the span.
        if !span.is_disabled() {
            span.record(
                "path",
                tracing::field::display(MaskedPath(request.url().path())),
            );
        }
        let call = Call {
            client: self.client(),
            runtime: self.inner(),
            operation: info.operation_id,
            class: RetryClass::for_operation(info.operation_id),
            started: Instant::now(),
        };
        call.run(request, &span).instrument(span.clone()).await
    }
}

/// One call: the attempts of one request under one deadline.
struct Call<'a> {
    client: &'a reqwest::Client,
    runtime: &'a Runtime,
    operation: &'static str,
    class: RetryClass,
    started: Instant,
}

/// What one attempt produced.
struct Attempt {
    result: reqwest::Result<reqwest::Response>,
    outcome: Outcome,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    truncated: bool,
}

impl Call<'_> {
    async fn run(
        self,
        mut request: reqwest::Request,
        span: &tracing::Span,
    ) -> reqwest::Result<reqwest::Response> {
        let policy = &self.runtime.retry;
        let deadline = self
            .runtime
            .call_timeout
            .and_then(|timeout| self.started.checked_add(timeout));
        let method = request.method().clone();
        let mut attempt: u32 = 1;
        loop {
            // The copy for the next attempt is taken before this one consumes the request;
            // a body that cannot be cloned (a stream) is sent once.
            let spare = if attempt < policy.attempts() {
                request.try_clone()
            } else {
                None
            };
            if let Some(deadline) = deadline {
                let remaining = deadline.saturating_duration_since(Instant::now());
                let timeout = request.timeout_mut();
                *timeout = Some(timeout.map_or(remaining, |own| own.min(remaining)));
            }
            let sent = Instant::now();
            let done = self.attempt(request).await;
            let latency = sent.elapsed();
            let verdict = self.class.verdict(done.outcome);
            let next = if policy.allows(done.outcome, verdict) {
                spare
                    .zip(policy.wait(attempt, done.retry_after))
                    .filter(|(_, wait)| {
                        deadline.is_none_or(|deadline| {
                            Instant::now()
                                .checked_add(*wait)
                                .is_some_and(|woken| woken < deadline)
                        })
                    })
            } else {
                None
            };
            let decision = match &next {
                Some((_, wait)) => RetryDecision::Retry { wait: *wait },
                None if verdict.retryable => RetryDecision::GaveUp,
                None => RetryDecision::Done,
            };
            let status = done.outcome.status();
            report::update(|report| {
                *report = CallReport {
                    attempts: attempt,
                    status,
                    retry_after: done.retry_after,
                    request_id: done.request_id.clone(),
                    latency: self.started.elapsed(),
                    verdict: Some(verdict),
                    body_limit_exceeded: done.truncated,
                };
            });
            if let Some(observer) = &self.runtime.observer {
                observer(&AttemptEvent {
                    operation: self.operation,
                    method: &method,
                    attempt,
                    outcome: done.outcome,
                    latency,
                    request_id: done.request_id.as_deref(),
                    decision,
                });
            }
            if let Err(error) = &done.result {
                tracing::debug!(
                    timeout = error.is_timeout(),
                    connect = error.is_connect(),
                    attempt,
                    "request failed"
                );
            }
            let Some((spare, wait)) = next else {
                span.record("attempts", attempt);
                if let Some(status) = status {
                    span.record("status", status.as_u16());
                }
                span.record("latency_ms", self.started.elapsed().as_millis() as u64);
                if let Some(id) = &done.request_id {
                    span.record("request_id", id.as_str());
                }
                return done.result;
            };
            tracing::debug!(wait_ms = wait.as_millis() as u64, attempt, "retrying");
            // Release the connection before waiting.
            drop(done);
            tokio::time::sleep(wait).await;
            request = spare;
            attempt += 1;
        }
    }

    /// Sends the request and reads the whole answer (up to the body limit).
    async fn attempt(&self, request: reqwest::Request) -> Attempt {
        let response = match self.client.execute(request).await {
            Ok(response) => response,
            Err(error) => {
                return Attempt {
                    outcome: Outcome::of_error(&error),
                    result: Err(error),
                    request_id: None,
                    retry_after: None,
                    truncated: false,
                };
            }
        };
        let status = response.status();
        let request_id = header(&response, REQUEST_ID_HEADER).map(str::to_owned);
        let retry_after = header(&response, reqwest::header::RETRY_AFTER)
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        match read_whole(response, self.runtime.max_body).await {
            Ok((response, truncated)) => Attempt {
                result: Ok(response),
                outcome: Outcome::Answered(status),
                request_id,
                retry_after,
                truncated,
            },
            Err(error) => Attempt {
                result: Err(error),
                outcome: Outcome::BodyFailed(status),
                request_id,
                retry_after,
                truncated: false,
            },
        }
    }
}

fn header(response: &reqwest::Response, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Reads the body (at most `limit` bytes; `true` when there was more) and gives back a
/// response holding it, with the same status, version, headers and URL.
async fn read_whole(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<(reqwest::Response, bool)> {
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    // Most answers arrive as one chunk: it is kept as is, without a copy.
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut length = 0usize;
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await? {
        let room = limit.saturating_sub(length);
        let chunk = if chunk.len() > room {
            truncated = true;
            chunk.slice(..room)
        } else {
            chunk
        };
        length += chunk.len();
        match first.take() {
            None if joined.is_empty() => first = Some(chunk),
            Some(earlier) => {
                joined.extend_from_slice(&earlier);
                joined.extend_from_slice(&chunk);
            }
            None => joined.extend_from_slice(&chunk),
        }
        if truncated {
            break;
        }
    }
    let body = first.unwrap_or_else(|| Bytes::from(joined));
    let builder = reqwest::ResponseBuilderExt::url(
        ::http::Response::builder().status(status).version(version),
        url,
    );
    let rebuilt = match builder.body(body.clone()) {
        Ok(mut rebuilt) => {
            *rebuilt.headers_mut() = headers;
            rebuilt
        }
        // Status and version came from a response, so the builder cannot refuse them; if it
        // ever did, the answer is still returned (reqwest then reports a placeholder URL).
        Err(_) => {
            let mut rebuilt = ::http::Response::new(body);
            *rebuilt.status_mut() = status;
            *rebuilt.version_mut() = version;
            *rebuilt.headers_mut() = headers;
            rebuilt
        }
    };
    Ok((reqwest::Response::from(rebuilt), truncated))
}
