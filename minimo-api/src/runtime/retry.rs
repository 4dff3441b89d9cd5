//! Which failures are retried, and how long to wait between attempts.
//!
//! Every operation has a [`RetryClass`]:
//!
//! | operation | class | retried on |
//! |---|---|---|
//! | `getContactByEmail`, `listCustomFields` (GET) | [`RetryClass::Idempotent`] | 408, 429, 500, 502, 503, 504, timeouts, connection errors |
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
//! request never left: those are the only cases where a retry cannot do anything twice. Callers who know better (an upsert keyed by an email that
//! cannot match twice) can retry the call themselves.

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

impl RetryClass {
    /// The class of an operation, by its snake_case operation id (as progenitor reports it);
    /// an operation this table does not know is classified by its HTTP method.
    pub fn for_operation(operation_id: &str, method: &reqwest::Method) -> RetryClass {
        match operation_id {
            "get_contact_by_email"
            | "list_custom_fields"
            | "update_contact_by_id"
            | "delete_contact" => RetryClass::Idempotent,
            "upsert_contact" | "create_custom_field" => RetryClass::NotProcessed,
            _ if method.is_idempotent() => RetryClass::Idempotent,
            _ => RetryClass::NotProcessed,
        }
    }

    /// Whether a response with this status may be retried.
    pub fn retries_status(self, status: StatusCode) -> bool {
        match self {
            RetryClass::Idempotent => matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504),
            RetryClass::NotProcessed => matches!(status.as_u16(), 408 | 429),
        }
    }

    /// Whether a request that failed without a response may be retried.
    pub fn retries_error(self, error: &reqwest::Error) -> bool {
        match self {
            RetryClass::Idempotent => {
                error.is_timeout() || error.is_connect() || error.is_request()
            }
            RetryClass::NotProcessed => error.is_connect() && !error.is_timeout(),
        }
    }
}

/// Retry configuration: how many attempts, and the exponential backoff between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Wait before the first retry; doubles for each further retry.
    pub initial_backoff: Duration,
    /// The longest computed wait between two attempts.
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a server asking for more ends the retries and the
    /// caller sees the error with its `retry_after`.
    pub max_retry_after: Duration,
    /// Whether waits are randomised (half to all of the computed wait), so many clients that
    /// failed together do not retry together.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retries: every call makes exactly one attempt.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
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

    /// The wait before the next attempt given the server's `Retry-After`, or `None` when the
    /// server asks for more than [`RetryPolicy::max_retry_after`].
    pub fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(asked) if asked > self.max_retry_after => None,
            Some(asked) => Some(asked),
            None => Some(self.backoff(retry)),
        }
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
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_784_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::MAX)
        );
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        let waits: Vec<u64> = (1..=7)
            .map(|r| policy.backoff(r).as_millis() as u64)
            .collect();
        assert_eq!(waits, [200, 400, 800, 1600, 3200, 5000, 5000]);
    }

    #[test]
    fn huge_backoff_settings_saturate_instead_of_overflowing() {
        let policy = RetryPolicy {
            initial_backoff: Duration::MAX,
            max_backoff: Duration::MAX,
            ..RetryPolicy::default()
        };
        for retry in [1, 2, 30, u32::MAX] {
            assert!(policy.backoff(retry) >= Duration::MAX / 2);
        }
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_wait() {
        let policy = RetryPolicy::default();
        for _ in 0..200 {
            let wait = policy.backoff(3);
            assert!(
                wait >= Duration::from_millis(400) && wait <= Duration::from_millis(800),
                "{wait:?}"
            );
        }
    }

    #[test]
    fn a_retry_after_beyond_the_cap_stops_retrying() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.wait(1, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(policy.wait(1, Some(Duration::from_secs(31))), None);
    }

    #[test]
    fn the_upsert_is_retried_only_when_nothing_was_processed() {
        let post = reqwest::Method::POST;
        let class = RetryClass::for_operation("upsert_contact", &post);
        assert_eq!(class, RetryClass::NotProcessed);
        assert!(class.retries_status(StatusCode::TOO_MANY_REQUESTS));
        assert!(class.retries_status(StatusCode::REQUEST_TIMEOUT));
        for status in [500, 502, 503, 504] {
            assert!(!class.retries_status(StatusCode::from_u16(status).unwrap_or_default()));
        }
        let get = RetryClass::for_operation("get_contact_by_email", &reqwest::Method::GET);
        assert!(get.retries_status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!get.retries_status(StatusCode::NOT_FOUND));
        assert_eq!(
            RetryClass::for_operation("unknown_op", &reqwest::Method::PUT),
            RetryClass::Idempotent
        );
        assert_eq!(
            RetryClass::for_operation("unknown_op", &post),
            RetryClass::NotProcessed
        );
    }
}
