//! Which failures are retried, and how long to wait between attempts.
//!
//! This module is the one place that decides whether an attempt may be repeated: the runtime
//! asks it before retrying, and the same [`Verdict`] is what callers read afterwards
//! ([`CallReport::verdict`](super::CallReport::verdict), `minimo_ext::Error::is_retryable`),
//! so an error never invites a retry the runtime refused to make.
//!
//! Every operation of the spec has a [`RetryClass`] (a test ties this table to the spec; an
//! operation missing from it is treated as [`RetryClass::NotProcessed`], the safe side):
//!
//! | operation | class | retried on |
//! |---|---|---|
//! | `getContactByEmail`, `listCustomFields` (GET) | [`RetryClass::Idempotent`] | 408, 429, 500, 502, 503, 504, timeouts, lost connections, failures to connect |
//! | `updateContactById` (PUT), `deleteContact` (DELETE) | [`RetryClass::Idempotent`] | the same |
//! | `upsertContact` (POST) | [`RetryClass::NotProcessed`] | 408, 429, and failures to connect |
//! | `createCustomField` (POST) | [`RetryClass::NotProcessed`] | the same |
//!
//! Why the upsert is narrower: repeating a PUT or a DELETE leaves the server as one call would,
//! but an upsert that reached the server may have created a contact (when it matched nothing) and
//! fired its automations. After a timeout, a dropped connection or a 5xx we cannot know whether it
//! did, so retrying could create a second contact (an upsert by phone racing an email change) or
//! send a welcome message twice. A 429 is answered before any processing (`rate_limit_exceeded`),
//! a 408 says the server gave up waiting for the request, and a failure to connect means the
//! request never left: those are the only cases where a retry cannot do anything twice. Callers
//! who know better (an upsert keyed by an email that cannot match twice) can retry the call
//! themselves.

use reqwest::StatusCode;
use std::time::{Duration, SystemTime};

/// How an operation may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Repeating the request changes nothing more than sending it once: retried on 408, 429,
    /// 5xx gateway and server errors, timeouts and connection errors.
    Idempotent,
    /// Repeating could act twice: retried only when the server certainly did not process the
    /// request (408, 429, or the connection was never established).
    NotProcessed,
}

/// The class of every operation of the spec, by its snake_case operation id (as progenitor
/// reports it in `OperationInfo`).
pub const OPERATIONS: &[(&str, RetryClass)] = &[
    ("get_contact_by_email", RetryClass::Idempotent),
    ("list_custom_fields", RetryClass::Idempotent),
    ("update_contact_by_id", RetryClass::Idempotent),
    ("delete_contact", RetryClass::Idempotent),
    ("upsert_contact", RetryClass::NotProcessed),
    ("create_custom_field", RetryClass::NotProcessed),
];

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered this status and the whole body arrived.
    Answered(StatusCode),
    /// The server answered this status, then the body broke off (or did not arrive in time).
    BodyFailed(StatusCode),
    /// No connection could be made: the request never left.
    NotConnected,
    /// No answer came in time; the request may have been sent.
    TimedOut,
    /// The connection broke before an answer; the request may have been sent.
    ConnectionLost,
}

impl Outcome {
    /// The outcome of a request that failed without a response.
    pub fn of_error(error: &reqwest::Error) -> Outcome {
        // reqwest reports a connect timeout as both: either way nothing was sent.
        if error.is_connect() {
            Outcome::NotConnected
        } else if error.is_timeout() {
            Outcome::TimedOut
        } else {
            Outcome::ConnectionLost
        }
    }

    /// The status the server answered, if it answered.
    pub fn status(self) -> Option<StatusCode> {
        match self {
            Outcome::Answered(status) | Outcome::BodyFailed(status) => Some(status),
            _ => None,
        }
    }
}

/// What an attempt's outcome means for this operation: may it be tried again, and may the
/// server have acted on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Trying again is safe for this operation and may succeed (a rate limit, a transient
    /// server or network failure). `false` for successes and for answers that would repeat
    /// (400, 404, 422...).
    pub retryable: bool,
    /// The server may have applied the request: it answered 2xx, or 5xx, or the connection
    /// broke after the request was sent. `false` when the request certainly had no effect
    /// (it never left, or the server refused it with a 4xx).
    pub may_have_been_processed: bool,
}

impl RetryClass {
    /// The class of an operation, by its snake_case operation id; an operation the table does
    /// not know is [`RetryClass::NotProcessed`].
    pub fn for_operation(operation_id: &str) -> RetryClass {
        OPERATIONS
            .iter()
            .find(|(id, _)| *id == operation_id)
            .map_or(RetryClass::NotProcessed, |(_, class)| *class)
    }

    /// The verdict on one attempt's outcome.
    pub fn verdict(self, outcome: Outcome) -> Verdict {
        let idempotent = self == RetryClass::Idempotent;
        match outcome {
            Outcome::NotConnected => Verdict {
                retryable: true,
                may_have_been_processed: false,
            },
            Outcome::TimedOut | Outcome::ConnectionLost => Verdict {
                retryable: idempotent,
                may_have_been_processed: true,
            },
            Outcome::Answered(status) => match status.as_u16() {
                408 | 429 => Verdict {
                    retryable: true,
                    may_have_been_processed: false,
                },
                500 | 502 | 503 | 504 => Verdict {
                    retryable: idempotent,
                    may_have_been_processed: true,
                },
                200..=299 | 500..=599 => Verdict {
                    retryable: false,
                    may_have_been_processed: true,
                },
                _ => Verdict {
                    retryable: false,
                    may_have_been_processed: false,
                },
            },
            // The answer's status was read but its body was lost: an idempotent request can
            // simply be sent again to read it.
            Outcome::BodyFailed(status) => {
                let answered = self.verdict(Outcome::Answered(status));
                Verdict {
                    retryable: answered.retryable || idempotent,
                    ..answered
                }
            }
        }
    }
}

/// Retry configuration: how many attempts, the exponential backoff between them, and how
/// rate limits are handled. Build it from [`RetryPolicy::default`] or [`RetryPolicy::none`]:
///
/// ```
/// use std::time::Duration;
/// use minimo_api::runtime::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(6)
///     .initial_backoff(Duration::from_millis(100))
///     .max_retry_after(Duration::from_secs(10));
/// assert_eq!(policy.attempts(), 6);
/// assert_eq!(RetryPolicy::none().attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    jitter: bool,
    retry_rate_limited: bool,
}

impl Default for RetryPolicy {
    /// 4 attempts, 200 ms doubling up to 5 s with jitter, `Retry-After` honoured up to 30 s,
    /// 429 retried.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            jitter: true,
            retry_rate_limited: true,
        }
    }
}

impl RetryPolicy {
    /// No retries: every call makes exactly one attempt.
    #[must_use]
    pub fn none() -> Self {
        RetryPolicy::default().max_attempts(1)
    }

    /// Attempts in all, the first included (0 counts as 1, which disables retries).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; it doubles for each further retry.
    #[must_use]
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The longest computed wait between two attempts.
    #[must_use]
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The longest `Retry-After` honoured; a server asking for more ends the retries and the
    /// caller sees the error with its `retry_after`.
    #[must_use]
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Whether waits are randomised (half to all of the computed wait), so that many clients
    /// that failed together do not retry together. On by default.
    #[must_use]
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// Whether a 429 is retried after its `Retry-After` (or the backoff). On by default; a
    /// caller that paces requests itself (a bulk sync sharing one rate limit between many
    /// workers) turns it off and handles 429 once for everyone.
    #[must_use]
    pub fn retry_rate_limited(mut self, on: bool) -> Self {
        self.retry_rate_limited = on;
        self
    }

    /// Attempts in all, the first included.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The longest `Retry-After` honoured.
    pub fn retry_after_cap(&self) -> Duration {
        self.max_retry_after
    }

    /// Whether a 429 is retried.
    pub fn retries_rate_limited(&self) -> bool {
        self.retry_rate_limited
    }

    /// The computed wait before retry number `retry` (1 for the first retry).
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        let full = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        if self.jitter && !full.is_zero() {
            let half = full / 2;
            // `mul_f64` by a factor below 1 of a duration that fits cannot overflow, and the
            // sum stays below `full`; saturating keeps that true near `Duration::MAX`.
            half.saturating_add(full.saturating_sub(half).mul_f64(fastrand::f64()))
        } else {
            full
        }
    }

    /// The wait before retry number `retry` given the server's `Retry-After`, or `None` when
    /// the server asks for more than [`RetryPolicy::max_retry_after`].
    pub fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(asked) if asked > self.max_retry_after => None,
            Some(asked) => Some(asked),
            None => Some(self.backoff(retry)),
        }
    }

    /// Whether this policy lets an attempt with this outcome be retried (the verdict says it
    /// is safe; the policy may still decline rate limits).
    pub fn allows(&self, outcome: Outcome, verdict: Verdict) -> bool {
        verdict.retryable
            && (self.retry_rate_limited || outcome.status() != Some(StatusCode::TOO_MANY_REQUESTS))
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). A date in the
/// past means "now"; anything else (`1.5`, `-1`, words) is ignored, and the policy's own
/// backoff applies.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More seconds than a u64 holds is "longer than any cap": the retries stop.
        return Some(
            value
                .parse::<u64>()
                .map_or(Duration::MAX, Duration::from_secs),
        );
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn status(code: u16) -> Outcome {
        Outcome::Answered(StatusCode::from_u16(code).unwrap())
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_784_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::MAX)
        );
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default().jitter(false);
        let waits: Vec<u64> = (1..=7)
            .map(|r| policy.backoff(r).as_millis() as u64)
            .collect();
        assert_eq!(waits, [200, 400, 800, 1600, 3200, 5000, 5000]);
        let custom = RetryPolicy::default()
            .jitter(false)
            .initial_backoff(Duration::from_millis(10))
            .max_backoff(Duration::from_millis(30));
        assert_eq!(custom.backoff(1), Duration::from_millis(10));
        assert_eq!(custom.backoff(3), Duration::from_millis(30));
        assert_eq!(
            RetryPolicy::default().jitter(false).backoff(0),
            Duration::from_millis(200)
        );
    }

    #[test]
    fn huge_backoff_settings_saturate_instead_of_overflowing() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::MAX)
            .max_backoff(Duration::MAX);
        for retry in [1, 2, 30, u32::MAX] {
            assert!(policy.backoff(retry) >= Duration::MAX / 2);
        }
    }

    #[test]
    fn jitter_spreads_waits_below_the_full_backoff() {
        let policy = RetryPolicy::default();
        let waits: Vec<Duration> = (0..200).map(|_| policy.backoff(3)).collect();
        let (half, full) = (Duration::from_millis(400), Duration::from_millis(800));
        assert!(waits.iter().all(|w| *w >= half && *w <= full), "{waits:?}");
        assert!(waits.iter().any(|w| *w < full - Duration::from_millis(100)));
        let mut distinct = waits.clone();
        distinct.sort();
        distinct.dedup();
        assert!(
            distinct.len() > 50,
            "jittered waits barely vary: {distinct:?}"
        );
        assert!(RetryPolicy::default().jitter(false).backoff(3) == full);
    }

    #[test]
    fn a_retry_after_up_to_the_cap_is_honoured_and_beyond_it_stops_retrying() {
        let policy = RetryPolicy::default();
        let cap = policy.retry_after_cap();
        assert_eq!(cap, Duration::from_secs(30));
        assert_eq!(
            policy.wait(1, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(policy.wait(1, Some(cap)), Some(cap));
        assert_eq!(policy.wait(1, Some(cap + Duration::from_millis(1))), None);
        let short = RetryPolicy::default().max_retry_after(Duration::from_secs(2));
        assert_eq!(short.wait(1, Some(Duration::from_secs(3))), None);
        assert!(
            policy
                .wait(2, None)
                .is_some_and(|w| w <= Duration::from_millis(400))
        );
    }

    #[test]
    fn none_and_max_attempts_bound_the_attempts() {
        assert_eq!(RetryPolicy::none().attempts(), 1);
        assert_eq!(RetryPolicy::default().attempts(), 4);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(9).attempts(), 9);
    }

    #[test]
    fn every_table_entry_differs_from_the_safe_default_only_where_it_says() {
        assert_eq!(
            RetryClass::for_operation("get_contact_by_email"),
            RetryClass::Idempotent
        );
        assert_eq!(
            RetryClass::for_operation("list_custom_fields"),
            RetryClass::Idempotent
        );
        assert_eq!(
            RetryClass::for_operation("update_contact_by_id"),
            RetryClass::Idempotent
        );
        assert_eq!(
            RetryClass::for_operation("delete_contact"),
            RetryClass::Idempotent
        );
        assert_eq!(
            RetryClass::for_operation("upsert_contact"),
            RetryClass::NotProcessed
        );
        assert_eq!(
            RetryClass::for_operation("create_custom_field"),
            RetryClass::NotProcessed
        );
        assert_eq!(
            RetryClass::for_operation("unknown_op"),
            RetryClass::NotProcessed
        );
    }

    #[test]
    fn the_upsert_is_retried_only_when_nothing_was_processed() {
        let upsert = RetryClass::NotProcessed;
        let get = RetryClass::Idempotent;
        for code in [408, 429] {
            let v = upsert.verdict(status(code));
            assert!(v.retryable && !v.may_have_been_processed, "{code}");
        }
        for code in [500, 502, 503, 504] {
            let v = upsert.verdict(status(code));
            assert!(!v.retryable && v.may_have_been_processed, "{code}");
            assert!(get.verdict(status(code)).retryable, "{code}");
        }
        for code in [501, 505, 599] {
            let v = get.verdict(status(code));
            assert!(!v.retryable && v.may_have_been_processed, "{code}");
        }
        for code in [200, 201, 204, 299] {
            let v = get.verdict(status(code));
            assert!(!v.retryable && v.may_have_been_processed, "{code}");
        }
        for code in [301, 400, 404, 409, 422] {
            let v = get.verdict(status(code));
            assert!(!v.retryable && !v.may_have_been_processed, "{code}");
        }
        let not_connected = upsert.verdict(Outcome::NotConnected);
        assert!(not_connected.retryable && !not_connected.may_have_been_processed);
        for lost in [Outcome::TimedOut, Outcome::ConnectionLost] {
            let v = upsert.verdict(lost);
            assert!(!v.retryable && v.may_have_been_processed);
            assert!(get.verdict(lost).retryable);
        }
        let ok = StatusCode::OK;
        assert!(get.verdict(Outcome::BodyFailed(ok)).retryable);
        let v = upsert.verdict(Outcome::BodyFailed(ok));
        assert!(!v.retryable && v.may_have_been_processed);
        let limited = upsert.verdict(Outcome::BodyFailed(StatusCode::TOO_MANY_REQUESTS));
        assert!(limited.retryable && !limited.may_have_been_processed);
        assert!(
            !upsert
                .verdict(Outcome::BodyFailed(StatusCode::NOT_FOUND))
                .retryable
        );
    }

    #[test]
    fn a_policy_can_leave_rate_limits_to_the_caller() {
        let limited = status(429);
        let verdict = RetryClass::Idempotent.verdict(limited);
        assert!(RetryPolicy::default().retries_rate_limited());
        assert!(RetryPolicy::default().allows(limited, verdict));
        let paced = RetryPolicy::default().retry_rate_limited(false);
        assert!(!paced.retries_rate_limited());
        assert!(!paced.allows(limited, verdict));
        let unavailable = status(503);
        assert!(paced.allows(unavailable, RetryClass::Idempotent.verdict(unavailable)));
        assert!(!paced.allows(status(404), RetryClass::Idempotent.verdict(status(404))));
    }
}
