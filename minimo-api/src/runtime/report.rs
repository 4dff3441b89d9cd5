//! What a call did underneath: the [`CallReport`] a caller reads after the call, and the
//! [`AttemptEvent`] an observer sees after every attempt.

use super::retry::{Outcome, Verdict};
use reqwest::{Method, StatusCode};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// What happened underneath one call, as seen by [`observe`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallReport {
    /// Attempts made (0 when the call failed before sending anything).
    pub attempts: u32,
    /// Status of the last response received, if any.
    pub status: Option<StatusCode>,
    /// The last response's `Retry-After`, if it sent one.
    pub retry_after: Option<Duration>,
    /// The last response's `x-request-id`, if it sent one.
    pub request_id: Option<String>,
    /// Time from the first attempt to the end of the last one (waits included).
    pub latency: Duration,
    /// The verdict on the last attempt (`None` when nothing was sent): whether trying again
    /// is safe and may succeed, and whether the server may have acted on the request.
    pub verdict: Option<Verdict>,
}

impl CallReport {
    /// Whether trying the same call again is safe and may succeed (see [`Verdict`]). `false`
    /// when nothing was sent: what failed before sending fails again.
    pub fn is_retryable(&self) -> bool {
        self.verdict.is_some_and(|v| v.retryable)
    }

    /// Whether the server may have applied the request (see [`Verdict`]).
    pub fn may_have_been_processed(&self) -> bool {
        self.verdict.is_some_and(|v| v.may_have_been_processed)
    }
}

tokio::task_local! {
    static CALL: RefCell<CallReport>;
}

/// Runs `call` (one operation's `send()` future) and returns its output with a [`CallReport`].
///
/// ```no_run
/// # async fn demo(client: minimo_api::Client) {
/// use minimo_api::runtime::observe;
/// let (result, report) = observe(client.list_custom_fields().send()).await;
/// println!("{} attempt(s), request id {:?}", report.attempts, report.request_id);
/// # let _ = result;
/// # }
/// ```
pub fn observe<F: Future>(call: F) -> Observe<F> {
    Observe {
        inner: CALL.scope(RefCell::new(CallReport::default()), call),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`observe`]: the call, with the task-local report it fills. A named
    /// future rather than an `async` block, so the call is stored once, not twice.
    pub struct Observe<F: Future> {
        #[pin]
        inner: tokio::task::futures::TaskLocalFuture<RefCell<CallReport>, F>,
    }
}

impl<F: Future> Future for Observe<F> {
    type Output = (F::Output, CallReport);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut inner = self.project().inner;
        let output = std::task::ready!(inner.as_mut().poll(cx));
        let report = inner
            .take_value()
            .map(RefCell::into_inner)
            .unwrap_or_default();
        Poll::Ready((output, report))
    }
}

/// Updates the report of the call running on this task, if [`observe`] watches it.
pub(crate) fn update(update: impl FnOnce(&mut CallReport)) {
    let _ = CALL.try_with(|report| update(&mut report.borrow_mut()));
}

/// What the runtime decided after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryDecision {
    /// The attempt's answer is the call's answer (a success, or an error not worth repeating).
    Done,
    /// Another attempt follows after this wait.
    Retry {
        /// The wait before the next attempt (`Retry-After`, else the backoff).
        wait: Duration,
    },
    /// Repeating was safe but did not happen: the attempts, the deadline or the `Retry-After`
    /// cap ran out, the policy leaves 429 to the caller, or the body could not be re-sent.
    GaveUp,
}

/// One attempt, as an observer registered with
/// [`Runtime::with_observer`](super::Runtime::with_observer) sees it. Holds no personal data
/// (no path, no body).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AttemptEvent<'a> {
    /// The snake_case operation id (`upsert_contact`...).
    pub operation: &'static str,
    /// The HTTP method.
    pub method: &'a Method,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// How the attempt ended.
    pub outcome: Outcome,
    /// Time from sending to the answer's head (or the failure).
    pub latency: Duration,
    /// The answer's `x-request-id`, if it sent one.
    pub request_id: Option<&'a str>,
    /// What the runtime does next.
    pub decision: RetryDecision,
}

/// A function called after every attempt, from the task making the call; keep it cheap.
pub type Observer = Arc<dyn Fn(&AttemptEvent<'_>) + Send + Sync>;
