//! The handwritten runtime the generated [`Client`] runs on: header hygiene, retries with
//! backoff, one deadline per call, a tracing span per call, and what a caller can learn about
//! a call afterwards.
//!
//! progenitor calls [`ClientHooks`] around every request; the impl must live in this crate
//! (orphan rule). The hooks read their configuration from [`Runtime`], the value the client
//! carries as its inner state (see [`Client::new_with_client`]).
//!
//! - `pre` adds the `Authorization` (sensitive) and `User-Agent` headers. (progenitor's
//!   `api-version` header, a Dropshot convention the Minimo API does not have, is removed
//!   from the generated code by codegen.)
//! - `exec` sends the request, retrying by the operation's [`RetryClass`] under the
//!   [`RetryPolicy`], within the call's deadline ([`Runtime::with_call_timeout`], which also
//!   covers reading the answer's body). Waits honour `Retry-After`; dropping the call's future
//!   cancels any wait. The body of an answer the generated code never reads (the delete's) is
//!   read and dropped here, so its connection goes back to the pool.
//! - Each call runs in one `minimo.request` span, at DEBUG level, with `operation`, `method`,
//!   `path` (emails masked, computed only when a subscriber records the span) and, when the
//!   call ends, `attempts`, `status`, `latency_ms` and `request_id`. Bodies are never logged.
//!   A span at INFO would cost every call in a service logging at INFO while recording nothing
//!   it prints; metrics come from the observer.
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
    default_http_client, endpoint, is_loopback,
};
pub use mask::{mask_email, mask_name, mask_path, mask_phone, mask_text, mask_value};
pub use report::{AttemptEvent, CallReport, Observe, Observer, RetryDecision, observe};
pub use retry::{OPERATIONS, Outcome, RetryClass, RetryPolicy, Verdict, parse_retry_after};

use crate::Client;
use crate::generated::BODYLESS_SUCCESS;
use mask::MaskedPath;
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::Url;
use reqwest::header::HeaderValue;
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// The response header carrying the server's request id, when it sends one.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest body of an unread answer drained to keep its connection; a longer one is
/// dropped with its connection.
const MAX_DRAIN: usize = 64 * 1024;

/// The `User-Agent` every request carries: `minimo-rs/<version>`.
pub const USER_AGENT: &str = concat!("minimo-rs/", env!("CARGO_PKG_VERSION"));

/// Per-client runtime configuration, carried inside the generated [`Client`].
///
/// It is the one place that knows the `Authorization` header: the key is stored as a
/// sensitive header value (its Debug output is `Sensitive`) and added to each request by
/// `pre`, so a caller-supplied `reqwest::Client` needs no default headers.
#[derive(Clone)]
pub struct Runtime {
    retry: RetryPolicy,
    call_timeout: Option<Duration>,
    /// The total timeout the HTTP client already applies to each request, if known.
    client_timeout: Option<Duration>,
    authorization: Option<HeaderValue>,
    user_agent: HeaderValue,
    observer: Option<Observer>,
    /// The base URL as the client gave it, parsed once (see [`endpoint`]).
    base: OnceLock<(String, Result<Url, String>)>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("retry", &self.retry)
            .field("call_timeout", &self.call_timeout)
            .field("client_timeout", &self.client_timeout)
            .field("authorization", &self.authorization)
            .field("user_agent", &self.user_agent)
            .field("observer", &self.observer.as_ref().map(|_| "set"))
            .finish()
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime {
            retry: RetryPolicy::default(),
            call_timeout: Some(DEFAULT_CALL_TIMEOUT),
            client_timeout: None,
            authorization: None,
            user_agent: HeaderValue::from_static(USER_AGENT),
            observer: None,
            base: OnceLock::new(),
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
    /// no credentials, no observer.
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

    /// Says the HTTP client applies this total timeout to each request (as
    /// [`default_http_client`] does with the call timeout): when it is the call's own timeout,
    /// a first attempt relies on it instead of setting a timeout of its own (one less
    /// allocation and timer registration per call). Retries always get what is left.
    #[must_use]
    pub fn with_client_timeout(mut self, timeout: Duration) -> Self {
        self.client_timeout = Some(timeout);
        self
    }

    /// The parsed base URL, cached by the string it was parsed from. A runtime shared by
    /// clients of different bases keeps the first one cached and parses the others each time.
    fn parsed_base(&self, baseurl: &str) -> Result<std::borrow::Cow<'_, Url>, String> {
        let (cached_for, parsed) = self
            .base
            .get_or_init(|| (baseurl.to_owned(), http::parse_base(baseurl)));
        if cached_for == baseurl {
            parsed
                .as_ref()
                .map(std::borrow::Cow::Borrowed)
                .map_err(Clone::clone)
        } else {
            http::parse_base(baseurl).map(std::borrow::Cow::Owned)
        }
    }

    /// Calls `observer` after every attempt (see [`AttemptEvent`]), for metrics.
    #[must_use]
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
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
        let span = tracing::debug_span!(
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
        // Entering a span nobody records would still cost every poll.
        if span.is_disabled() {
            call.run(request, &span).await
        } else {
            call.run(request, &span).instrument(span.clone()).await
        }
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
            // The client's own total timeout is the call's deadline for a first attempt.
            let client_covers = attempt == 1
                && self.runtime.client_timeout.is_some()
                && self.runtime.client_timeout == self.runtime.call_timeout;
            if let Some(deadline) = deadline.filter(|_| !client_covers) {
                let remaining = deadline.saturating_duration_since(Instant::now());
                let timeout = request.timeout_mut();
                *timeout = Some(timeout.map_or(remaining, |own| own.min(remaining)));
            }
            let sent = Instant::now();
            // `execute` takes the request before the first await, so no future below holds a
            // copy of it: the future of a call stays small (it is moved whole at every layer).
            let sending = self.client.execute(request);
            let done = match sending.await {
                // Rare (the delete), and its future is large: on the heap.
                Ok(response)
                    if response.status().is_success()
                        && BODYLESS_SUCCESS.contains(&self.operation) =>
                {
                    Box::pin(answered_unread(response)).await
                }
                Ok(response) => answered(response, Ok),
                Err(error) => Attempt {
                    outcome: Outcome::of_error(&error),
                    result: Err(error),
                    request_id: None,
                    retry_after: None,
                },
            };
            let latency = sent.elapsed();
            let verdict = self.class.verdict(done.outcome);
            let wait = if policy.allows(done.outcome, verdict) && spare.is_some() {
                policy.wait(attempt, done.retry_after).filter(|wait| {
                    deadline.is_none_or(|deadline| {
                        Instant::now()
                            .checked_add(*wait)
                            .is_some_and(|woken| woken < deadline)
                    })
                })
            } else {
                None
            };
            let decision = match wait {
                Some(wait) => RetryDecision::Retry { wait },
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
            let (Some(wait), Some(next)) = (wait, spare) else {
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
            // The next attempt's request is in `request` while waiting: one slot for a
            // request across every await keeps the call's future small.
            request = next;
            Box::pin(tokio::time::sleep(wait)).await;
            attempt += 1;
        }
    }
}

/// What an answer says, its body still unread; `outcome` of the response it holds.
fn answered(
    response: reqwest::Response,
    body: impl FnOnce(reqwest::Response) -> reqwest::Result<reqwest::Response>,
) -> Attempt {
    let status = response.status();
    let request_id = header(&response, &REQUEST_ID).map(str::to_owned);
    let retry_after = header(&response, &reqwest::header::RETRY_AFTER)
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let result = body(response);
    Attempt {
        outcome: match &result {
            Ok(_) => Outcome::Answered(status),
            Err(_) => Outcome::BodyFailed(status),
        },
        result,
        request_id,
        retry_after,
    }
}

/// A successful answer the generated code never reads: its body is read and dropped here, so
/// the connection goes back to the pool.
async fn answered_unread(response: reqwest::Response) -> Attempt {
    let head = answered(response, Ok);
    match head.result {
        Ok(response) => {
            let result = drained(response).await;
            Attempt {
                outcome: match &result {
                    Ok(_) => head.outcome,
                    Err(_) => Outcome::BodyFailed(head.outcome.status().unwrap_or_default()),
                },
                result,
                ..head
            }
        }
        Err(_) => head,
    }
}

/// The response header carrying the server's request id, parsed once.
static REQUEST_ID: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static(REQUEST_ID_HEADER);

fn header<'r>(
    response: &'r reqwest::Response,
    name: &reqwest::header::HeaderName,
) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Reads and drops the body (up to [`MAX_DRAIN`] bytes, after which the connection goes with
/// it) and gives back a response with the same status, version, headers and URL, and no body.
async fn drained(mut response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    let mut read = 0;
    while let Some(chunk) = response.chunk().await? {
        read += chunk.len();
        if read > MAX_DRAIN {
            break;
        }
    }
    let builder = reqwest::ResponseBuilderExt::url(
        ::http::Response::builder().status(status).version(version),
        url,
    );
    let rebuilt = match builder.body(Vec::<u8>::new()) {
        Ok(mut rebuilt) => {
            *rebuilt.headers_mut() = headers;
            rebuilt
        }
        // Status and version came from a response, so the builder cannot refuse them; if it
        // ever did, the answer is still returned (reqwest then reports a placeholder URL).
        Err(_) => {
            let mut rebuilt = ::http::Response::new(Vec::new());
            *rebuilt.status_mut() = status;
            *rebuilt.version_mut() = version;
            *rebuilt.headers_mut() = headers;
            rebuilt
        }
    };
    Ok(reqwest::Response::from(rebuilt))
}
