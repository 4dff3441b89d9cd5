//! The handwritten runtime the generated [`Client`](crate::Client) runs on: header hygiene, retries with
//! backoff, one deadline per call, a tracing span per call, and what a caller can learn about
//! a call afterwards.
//!
//! progenitor calls [`ClientHooks`](progenitor_client::ClientHooks) around every request; the
//! impl must live in this crate (orphan rule), in the `call` module, the only one of the
//! runtime that names the generated client. The hooks read their configuration from
//! [`Runtime`], the value the client carries as its inner state (see
//! [`Client::new_with_client`](crate::Client::new_with_client)).
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

mod call;
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

use reqwest::Url;
use reqwest::header::HeaderValue;
use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

/// The response header carrying the server's request id, when it sends one.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The `User-Agent` every request carries: `minimo-rs/<version>`.
pub const USER_AGENT: &str = concat!("minimo-rs/", env!("CARGO_PKG_VERSION"));

/// Per-client runtime configuration, carried inside the generated [`Client`](crate::Client).
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
