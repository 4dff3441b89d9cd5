//! The handwritten runtime the generated [`Client`] runs on: header hygiene, retries with
//! backoff, one deadline per call, and a tracing span per attempt.
//!
//! progenitor calls [`ClientHooks`] around every request; the impl must live in this crate
//! (orphan rule). The hooks read their configuration from [`Runtime`], the value the client
//! carries as its inner state (see [`Client::new_with_client`]).
//!
//! - `pre` adds the `Authorization` (sensitive) and `User-Agent` headers and removes the
//!   `api-version` header progenitor adds (a Dropshot convention the Minimo API does not use).
//! - `exec` sends the request, retrying by the operation's [`RetryClass`] under the
//!   [`RetryPolicy`], within the call's deadline ([`Runtime::with_call_timeout`]). Waits honour
//!   `Retry-After`; dropping the call's future cancels any wait.
//! - Each attempt runs in a `minimo.request` span with `operation`, `method`, `path` (emails
//!   masked), `attempt`, `status` and `latency_ms`. Bodies are never logged.
//!
//! [`observe`] runs a call and reports what happened underneath it ([`CallReport`]: attempts,
//! last status, `Retry-After`, request id), for error types that want to say so.

mod mask;
mod retry;

pub use mask::{mask_email, mask_path, mask_phone, mask_text};
pub use retry::{RetryClass, RetryPolicy, parse_retry_after};

use crate::Client;
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use std::cell::RefCell;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// The request header progenitor adds to every request; `pre` removes it.
pub const API_VERSION_HEADER: &str = "api-version";

/// The response header carrying the server's request id, when it sends one.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The `User-Agent` every request carries: `minimo-rs/<version>`.
pub const USER_AGENT: &str = concat!("minimo-rs/", env!("CARGO_PKG_VERSION"));

/// Per-client runtime configuration, carried inside the generated [`Client`].
///
/// It is the one place that knows the `Authorization` header: the key is stored as a
/// sensitive header value (its Debug output is `Sensitive`) and added to each request by
/// `pre`, so a caller-supplied `reqwest::Client` needs no default headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runtime {
    retry: RetryPolicy,
    call_timeout: Option<Duration>,
    authorization: Option<HeaderValue>,
    user_agent: HeaderValue,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime {
            retry: RetryPolicy::default(),
            call_timeout: None,
            authorization: None,
            user_agent: HeaderValue::from_static(USER_AGENT),
        }
    }
}

/// The API key cannot be sent in an HTTP header (it holds control or non-ASCII characters).
/// The error never contains the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHeader {
    what: &'static str,
}

impl std::fmt::Display for InvalidHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the {} holds characters an HTTP header cannot carry",
            self.what
        )
    }
}

impl std::error::Error for InvalidHeader {}

impl Runtime {
    /// The defaults: [`RetryPolicy::default`], no call deadline beyond the HTTP client's own,
    /// no credentials.
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
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets one deadline for a whole call: every attempt and every wait between attempts.
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
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

/// What happened underneath one call, as seen by [`observe`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallReport {
    /// Attempts made (0 when the call failed before sending anything).
    pub attempts: u32,
    /// Status of the last response received, if any.
    pub status: Option<StatusCode>,
    /// The last response's `Retry-After`, if it sent one.
    pub retry_after: Option<Duration>,
    /// The last response's `x-request-id`, if it sent one.
    pub request_id: Option<String>,
}

tokio::task_local! {
    static CALL: RefCell<CallReport>;
}

/// Runs `call` (one operation's `send()` future) and returns its output with a [`CallReport`].
pub async fn observe<F: Future>(call: F) -> (F::Output, CallReport) {
    CALL.scope(RefCell::new(CallReport::default()), async move {
        let output = call.await;
        let report = CALL.with(|report| report.take());
        (output, report)
    })
    .await
}

fn report(update: impl FnOnce(&mut CallReport)) {
    let _ = CALL.try_with(|report| update(&mut report.borrow_mut()));
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
        let runtime = self.inner();
        let policy = runtime.retry_policy();
        let class = RetryClass::for_operation(info.operation_id, request.method());
        // A deadline too far away to represent (`Duration::MAX`) means no deadline.
        let deadline = runtime
            .call_timeout()
            .and_then(|timeout| Instant::now().checked_add(timeout));
        let method = request.method().clone();
        let path = mask_path(request.url().path());
        let mut request = request;
        let mut attempt: u32 = 1;
        loop {
            // The copy for the next attempt is taken before this one consumes the request;
            // a body that cannot be cloned (a stream) is sent once.
            let spare = (attempt < policy.max_attempts)
                .then(|| request.try_clone())
                .flatten();
            if let Some(deadline) = deadline {
                let remaining = deadline.saturating_duration_since(Instant::now());
                let timeout = request.timeout_mut();
                *timeout = Some(timeout.map_or(remaining, |own| own.min(remaining)));
            }
            let span = tracing::info_span!(
                "minimo.request",
                operation = info.operation_id,
                method = %method,
                path = %path,
                attempt,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let result = self
                .client()
                .execute(request)
                .instrument(span.clone())
                .await;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            let (retryable, retry_after) = match &result {
                Ok(response) => {
                    let status = response.status();
                    span.record("status", status.as_u16());
                    let retry_after = header(response, reqwest::header::RETRY_AFTER)
                        .and_then(|v| parse_retry_after(&v, SystemTime::now()));
                    let request_id = header(response, REQUEST_ID_HEADER);
                    report(|r| {
                        r.attempts = attempt;
                        r.status = Some(status);
                        r.retry_after = retry_after;
                        r.request_id = request_id;
                    });
                    (class.retries_status(status), retry_after)
                }
                Err(error) => {
                    span.in_scope(|| {
                        tracing::debug!(
                            timeout = error.is_timeout(),
                            connect = error.is_connect(),
                            "request failed"
                        )
                    });
                    // Nothing of an earlier attempt's response describes this failure.
                    report(|r| {
                        *r = CallReport {
                            attempts: attempt,
                            ..CallReport::default()
                        };
                    });
                    (class.retries_error(error), None)
                }
            };
            let Some(next) = spare.filter(|_| retryable) else {
                return result;
            };
            let Some(wait) = policy.wait(attempt, retry_after) else {
                return result;
            };
            if deadline.is_some_and(|deadline| {
                Instant::now()
                    .checked_add(wait)
                    .is_none_or(|woken| woken >= deadline)
            }) {
                return result;
            }
            span.in_scope(|| tracing::debug!(wait_ms = wait.as_millis() as u64, "retrying"));
            // Release the connection before waiting.
            drop(result);
            tokio::time::sleep(wait).await;
            request = next;
            attempt += 1;
        }
    }
}

fn header(
    response: &reqwest::Response,
    name: impl reqwest::header::AsHeaderName,
) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
