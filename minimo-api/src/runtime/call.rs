//! One call: the [`ClientHooks`] progenitor runs around every request (`pre` adds the
//! headers, `exec` runs the attempts under the retry policy and the call's deadline), and
//! what each attempt's answer says.
//!
//! It is the one module of the runtime that names the generated [`Client`]: the rest
//! (configuration, retry rules, masking, URLs) knows nothing of the generated code.

use super::mask::MaskedPath;
use super::report::{self, AttemptEvent, CallReport, RetryDecision};
use super::retry::{Outcome, RetryClass, parse_retry_after};
use super::{REQUEST_ID_HEADER, Runtime};
use crate::Client;
use crate::generated::BODYLESS_SUCCESS;
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// The longest body of an unread answer drained to keep its connection; a longer one is
/// dropped with its connection.
const MAX_DRAIN: usize = 64 * 1024;

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
