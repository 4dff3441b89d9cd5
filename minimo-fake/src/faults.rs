//! Scripted faults: error statuses, latency, dropped connections, broken bodies.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::operation::OPERATION_IDS;

/// The operation matcher that matches every API operation (`"any"` is accepted too).
pub const ANY_OPERATION: &str = "*";

/// The longest delay the admin route accepts (`delayMs`), in milliseconds.
pub const MAX_DELAY_MS: u64 = 600_000;

/// The furthest `Retry-After` HTTP-date a fault can ask for, in seconds from the answer
/// (one year).
pub const MAX_RETRY_AFTER_DATE_SECS: u64 = 365 * 86_400;

/// Whether `operation` names an API operation ([`OPERATION_IDS`]) or every operation
/// ([`ANY_OPERATION`] or `"any"`).
pub fn is_known_operation(operation: &str) -> bool {
    operation == ANY_OPERATION || operation == "any" || OPERATION_IDS.contains(&operation)
}

/// A fault names an operation that is not one of [`OPERATION_IDS`], `*` or `any`: it
/// would never match (typically a typo such as `upsertcontact`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown operation {:?}; use one of {OPERATION_IDS:?}, \"*\" or \"any\"",
            self.0
        )
    }
}

impl std::error::Error for UnknownOperation {}

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer this status with an error envelope instead of handling the request (the
    /// request has no effect). Statuses outside 400..=599 are answered as 500.
    Status(u16),
    /// Only the fault's delay; then the request is handled normally.
    Latency,
    /// Close the connection without answering: the client sees a connection error.
    DropConnection,
    /// Handle the request; if it succeeded (2xx), answer its status with the first half of
    /// the real body. Error answers are left alone and the fault stays queued.
    TruncatedBody,
    /// Handle the request; if it succeeded (2xx), answer its status with a body that is not
    /// JSON, labelled `application/json`. Error answers are left alone and the fault stays
    /// queued.
    InvalidJson,
}

impl FaultKind {
    /// Whether the fault replaces the body of a successful answer ([`FaultKind::TruncatedBody`],
    /// [`FaultKind::InvalidJson`]): such faults are taken only once the request got a 2xx.
    pub fn is_body_fault(&self) -> bool {
        matches!(self, FaultKind::TruncatedBody | FaultKind::InvalidJson)
    }
}

/// One scripted fault: applies to the next [`Fault::times`] API requests whose operation
/// matches, after waiting [`Fault::delay`] if set.
///
/// Status, drop-connection and latency faults are taken before authentication, so such a
/// faulted request needs no valid key. Body faults ([`FaultKind::is_body_fault`]) are taken
/// only by a request that got a 2xx: an error answer (401, 403, 429, 4xx of the handler)
/// leaves them queued. When several queued faults match, the oldest one applies, and a
/// request gets at most one fault.
///
/// ```
/// use std::time::Duration;
/// use minimo_fake::Fault;
///
/// let f = Fault::status("upsertContact", 503).times(2).retry_after(1);
/// let slow = Fault::latency("*", Duration::from_millis(50));
/// let cut = Fault::drop_connection("getContactByEmail");
/// let dated = Fault::status("getContactByEmail", 503).retry_after_http_date(2);
/// # let _ = (f, slow, cut, dated);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Operation id the fault applies to, or [`ANY_OPERATION`].
    pub operation: String,
    /// What happens.
    pub kind: FaultKind,
    /// How many more matching requests it applies to (at least 1).
    pub times: u32,
    /// Delay before the fault (or the normal answer) is given.
    pub delay: Option<Duration>,
    /// `Retry-After` seconds for [`FaultKind::Status`].
    pub retry_after: Option<u64>,
    /// `Retry-After` as an HTTP-date (IMF-fixdate) for [`FaultKind::Status`]: this many
    /// seconds after the answer, rounded up to the next whole second. Takes precedence over
    /// [`Fault::retry_after`] when both are set.
    pub retry_after_date: Option<u64>,
    /// Error code for [`FaultKind::Status`]; derived from the status when unset.
    pub code: Option<String>,
    /// Error message for [`FaultKind::Status`]; derived from the status when unset.
    pub message: Option<String>,
}

impl Fault {
    fn new(operation: impl Into<String>, kind: FaultKind) -> Self {
        Self {
            operation: operation.into(),
            kind,
            times: 1,
            delay: None,
            retry_after: None,
            retry_after_date: None,
            code: None,
            message: None,
        }
    }

    /// Answer `status` with an error envelope (code `service_unavailable` for 503,
    /// `rate_limit_exceeded` for 429, `internal_error` for other 5xx...).
    pub fn status(operation: impl Into<String>, status: u16) -> Self {
        Self::new(operation, FaultKind::Status(status))
    }

    /// Add `delay` and then answer normally.
    pub fn latency(operation: impl Into<String>, delay: Duration) -> Self {
        Self::new(operation, FaultKind::Latency).delay(delay)
    }

    /// Drop the connection before answering.
    pub fn drop_connection(operation: impl Into<String>) -> Self {
        Self::new(operation, FaultKind::DropConnection)
    }

    /// Answer 200 with a truncated body.
    pub fn truncated_body(operation: impl Into<String>) -> Self {
        Self::new(operation, FaultKind::TruncatedBody)
    }

    /// Answer 200 with a body that is not JSON.
    pub fn invalid_json(operation: impl Into<String>) -> Self {
        Self::new(operation, FaultKind::InvalidJson)
    }

    /// Applies to the next `n` matching requests (default 1; 0 counts as 1).
    pub fn times(mut self, n: u32) -> Self {
        self.times = n.max(1);
        self
    }

    /// Waits this long before answering (combines with every kind).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Sends `Retry-After: secs` (at least 1) with a status fault. Replaces an HTTP-date
    /// set by [`Fault::retry_after_http_date`].
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self.retry_after_date = None;
        self
    }

    /// Sends `Retry-After` as an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`) with a status
    /// fault: `secs_from_now` seconds after the answer is sent, rounded up to the next whole
    /// second (HTTP-dates have a one-second resolution), so a client waits at least
    /// `secs_from_now - 1` seconds, minus the network time. At most
    /// [`MAX_RETRY_AFTER_DATE_SECS`] (larger values are capped). Replaces seconds set by
    /// [`Fault::retry_after`].
    pub fn retry_after_http_date(mut self, secs_from_now: u64) -> Self {
        self.retry_after_date = Some(secs_from_now.min(MAX_RETRY_AFTER_DATE_SECS));
        self.retry_after = None;
        self
    }

    /// The `Retry-After` value to answer with at `now`: the HTTP-date when one is set, else
    /// the seconds.
    pub(crate) fn retry_after_value(&self, now: SystemTime) -> Option<String> {
        match (self.retry_after_date, self.retry_after) {
            (Some(secs), _) => Some(http_date_after(now, secs)),
            (None, Some(secs)) => Some(secs.max(1).to_string()),
            (None, None) => None,
        }
    }

    /// Overrides the error code of a status fault.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Overrides the error message of a status fault.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Whether the fault applies to this operation id.
    pub fn matches(&self, operation: &str) -> bool {
        self.operation == ANY_OPERATION || self.operation == "any" || self.operation == operation
    }

    /// Checks that the fault names a known operation ([`is_known_operation`]).
    pub fn validate(&self) -> Result<(), UnknownOperation> {
        if is_known_operation(&self.operation) {
            Ok(())
        } else {
            Err(UnknownOperation(self.operation.clone()))
        }
    }

    /// A short description, as the journal records it (`status 503`, `drop_connection`...).
    pub fn describe(&self) -> String {
        let kind = match &self.kind {
            FaultKind::Status(s) => format!("status {s}"),
            FaultKind::Latency => "latency".to_owned(),
            FaultKind::DropConnection => "drop_connection".to_owned(),
            FaultKind::TruncatedBody => "truncated_body".to_owned(),
            FaultKind::InvalidJson => "invalid_json".to_owned(),
        };
        match (&self.kind, self.delay) {
            (FaultKind::Latency, Some(d)) => format!("latency {}ms", d.as_millis()),
            (_, Some(d)) => format!("{kind} +{}ms", d.as_millis()),
            (_, None) => kind,
        }
    }

    /// The fault as the admin routes render it.
    pub fn to_json(&self) -> Value {
        let (kind, status) = match &self.kind {
            FaultKind::Status(s) => ("status", Some(*s)),
            FaultKind::Latency => ("latency", None),
            FaultKind::DropConnection => ("drop_connection", None),
            FaultKind::TruncatedBody => ("truncated_body", None),
            FaultKind::InvalidJson => ("invalid_json", None),
        };
        json!({
            "operation": self.operation,
            "kind": kind,
            "status": status,
            "times": self.times,
            "delayMs": self.delay.map(|d| d.as_millis() as u64),
            "retryAfter": self.retry_after,
            "retryAfterDate": self.retry_after_date,
            "code": self.code,
            "message": self.message,
        })
    }

    /// Parses the admin JSON form:
    /// `{"operation": "upsertContact" | "*", "kind": "status" | "latency" | "drop_connection"
    /// | "truncated_body" | "invalid_json", "status": 503, "times": 2, "delayMs": 100,
    /// "retryAfter": 1, "code": "...", "message": "..."}`. `operation` defaults to `*`,
    /// `kind` to `status` when `status` is given.
    ///
    /// `"retryAfterDate": 2` (instead of `retryAfter`) sends `Retry-After` as an HTTP-date
    /// that many seconds after the answer ([`Fault::retry_after_http_date`]).
    ///
    /// Out-of-range numbers are errors, never clamped: `times` must be within
    /// `1..=4294967295`, `delayMs` within `0..=600000` ([`MAX_DELAY_MS`]), `retryAfterDate`
    /// within `0..=31536000` ([`MAX_RETRY_AFTER_DATE_SECS`]).
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let obj = value.as_object().ok_or("a fault must be a JSON object")?;
        let str_field = |name: &str| -> Result<Option<String>, String> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("{name} must be a string")),
            }
        };
        let int_field = |name: &str| -> Result<Option<u64>, String> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| format!("{name} must be a non-negative integer")),
            }
        };
        let operation = str_field("operation")?.unwrap_or_else(|| ANY_OPERATION.to_owned());
        if !is_known_operation(&operation) {
            return Err(UnknownOperation(operation).to_string());
        }
        let status = int_field("status")?;
        let kind_name = str_field("kind")?.unwrap_or_else(|| {
            if status.is_some() {
                "status"
            } else {
                "latency"
            }
            .to_owned()
        });
        let kind = match kind_name.as_str() {
            "status" => {
                let s = status.ok_or("a status fault needs status")?;
                if !(400..=599).contains(&s) {
                    return Err("status must be within 400..=599".to_owned());
                }
                FaultKind::Status(s as u16)
            }
            "latency" => FaultKind::Latency,
            "drop_connection" => FaultKind::DropConnection,
            "truncated_body" => FaultKind::TruncatedBody,
            "invalid_json" => FaultKind::InvalidJson,
            other => return Err(format!("unknown fault kind {other}")),
        };
        let mut fault = Fault::new(operation, kind);
        if let Some(times) = int_field("times")? {
            let times = u32::try_from(times)
                .ok()
                .filter(|&t| t >= 1)
                .ok_or_else(|| format!("times must be within 1..={}", u32::MAX))?;
            fault = fault.times(times);
        }
        if let Some(ms) = int_field("delayMs")? {
            if ms > MAX_DELAY_MS {
                return Err(format!("delayMs must be within 0..={MAX_DELAY_MS}"));
            }
            fault = fault.delay(Duration::from_millis(ms));
        }
        let retry_after = int_field("retryAfter")?;
        let retry_after_date = int_field("retryAfterDate")?;
        match (retry_after, retry_after_date) {
            (Some(_), Some(_)) => {
                return Err("send retryAfter or retryAfterDate, not both".to_owned());
            }
            (Some(secs), None) => fault = fault.retry_after(secs),
            (None, Some(secs)) => {
                if secs > MAX_RETRY_AFTER_DATE_SECS {
                    return Err(format!(
                        "retryAfterDate must be within 0..={MAX_RETRY_AFTER_DATE_SECS}"
                    ));
                }
                fault = fault.retry_after_http_date(secs);
            }
            (None, None) => {}
        }
        if let Some(code) = str_field("code")? {
            fault = fault.code(code);
        }
        if let Some(message) = str_field("message")? {
            fault = fault.message(message);
        }
        Ok(fault)
    }
}

/// The queue of scripted faults of a running server. Cloning gives another handle to the
/// same queue.
#[derive(Clone, Default)]
pub struct Faults {
    queue: Arc<Mutex<VecDeque<Fault>>>,
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.lock().iter()).finish()
    }
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Fault>> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a fault.
    ///
    /// # Panics
    ///
    /// When the fault names an unknown operation (not one of [`OPERATION_IDS`], `*` or
    /// `any`), such as the typo `"upsertcontact"`: that fault would never match, and this is
    /// test tooling, so the test fails loudly where the fault is scripted. Use
    /// [`Faults::try_push`] to get the error instead.
    // The workspace denies `clippy::panic`; a panic is the loud failure wanted here (a typo
    // in a test's fault script must fail that test, not silently never match), and
    // `try_push` is the non-panicking alternative.
    #[allow(clippy::panic)]
    #[track_caller]
    pub fn push(&self, fault: Fault) -> &Self {
        match self.try_push(fault) {
            Ok(faults) => faults,
            Err(e) => panic!("minimo-fake: cannot queue the fault: {e}"),
        }
    }

    /// Queues a fault, or answers [`UnknownOperation`] (and queues nothing) when it names an
    /// unknown operation.
    pub fn try_push(&self, fault: Fault) -> Result<&Self, UnknownOperation> {
        fault.validate()?;
        self.lock().push_back(fault);
        Ok(self)
    }

    /// Removes every queued fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The faults still queued, with their remaining counts.
    pub fn pending(&self) -> Vec<Fault> {
        self.lock().iter().cloned().collect()
    }

    /// Takes one activation of the oldest fault matching `operation`, if its kind passes
    /// `when` (otherwise nothing is taken: the oldest matching fault stays first in line).
    pub(crate) fn take_if(
        &self,
        operation: &str,
        when: impl Fn(&FaultKind) -> bool,
    ) -> Option<Fault> {
        let mut queue = self.lock();
        let index = queue.iter().position(|f| f.matches(operation))?;
        let fault = queue.get_mut(index)?;
        if !when(&fault.kind) {
            return None;
        }
        let taken = fault.clone();
        fault.times = fault.times.saturating_sub(1);
        if fault.times == 0 {
            queue.remove(index);
        }
        Some(taken)
    }
}

/// The IMF-fixdate `secs` seconds after `now`, rounded up to the next whole second.
fn http_date_after(now: SystemTime, secs: u64) -> String {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let mut whole = since_epoch.as_secs();
    if since_epoch.subsec_nanos() > 0 {
        whole += 1;
    }
    let target = whole.saturating_add(secs.min(MAX_RETRY_AFTER_DATE_SECS));
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_round_up_to_the_next_second() {
        let now = UNIX_EPOCH + Duration::from_millis(784_111_777_001);
        assert_eq!(http_date_after(now, 0), "Sun, 06 Nov 1994 08:49:38 GMT");
        assert_eq!(http_date_after(now, 2), "Sun, 06 Nov 1994 08:49:40 GMT");
        let exact = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date_after(exact, 1), "Sun, 06 Nov 1994 08:49:38 GMT");
    }
}
