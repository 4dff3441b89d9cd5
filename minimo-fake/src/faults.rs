//! Scripted faults: error statuses, latency, dropped connections, broken bodies.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

/// The operation matcher that matches every API operation (`"any"` is accepted too).
pub const ANY_OPERATION: &str = "*";

/// The operation ids of the spec, as the journal and the fault matchers name them.
pub const OPERATION_IDS: [&str; 6] = [
    "upsertContact",
    "getContactByEmail",
    "updateContactById",
    "deleteContact",
    "listCustomFields",
    "createCustomField",
];

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
    /// Handle the request, then answer 200 with the first half of the real body.
    TruncatedBody,
    /// Handle the request, then answer 200 with a body that is not JSON, labelled
    /// `application/json`.
    InvalidJson,
}

/// One scripted fault: applies to the next [`Fault::times`] API requests whose operation
/// matches, after waiting [`Fault::delay`] if set.
///
/// Faults are checked before authentication, so a faulted request needs no valid key.
/// When several queued faults match, the oldest one applies.
///
/// ```
/// use std::time::Duration;
/// use minimo_fake::Fault;
///
/// let f = Fault::status("upsertContact", 503).times(2).retry_after(1);
/// let slow = Fault::latency("*", Duration::from_millis(50));
/// let cut = Fault::drop_connection("getContactByEmail");
/// # let _ = (f, slow, cut);
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

    /// Sends `Retry-After: secs` (at least 1) with a status fault.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
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
            "code": self.code,
            "message": self.message,
        })
    }

    /// Parses the admin JSON form:
    /// `{"operation": "upsertContact" | "*", "kind": "status" | "latency" | "drop_connection"
    /// | "truncated_body" | "invalid_json", "status": 503, "times": 2, "delayMs": 100,
    /// "retryAfter": 1, "code": "...", "message": "..."}`. `operation` defaults to `*`,
    /// `kind` to `status` when `status` is given.
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
        if operation != ANY_OPERATION
            && operation != "any"
            && !OPERATION_IDS.contains(&operation.as_str())
        {
            return Err(format!(
                "unknown operation {operation}; use one of {OPERATION_IDS:?} or *"
            ));
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
            fault = fault.times(u32::try_from(times).unwrap_or(u32::MAX));
        }
        if let Some(ms) = int_field("delayMs")? {
            fault = fault.delay(Duration::from_millis(ms.min(600_000)));
        }
        if let Some(secs) = int_field("retryAfter")? {
            fault = fault.retry_after(secs);
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
    pub fn push(&self, fault: Fault) -> &Self {
        self.lock().push_back(fault);
        self
    }

    /// Removes every queued fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The faults still queued, with their remaining counts.
    pub fn pending(&self) -> Vec<Fault> {
        self.lock().iter().cloned().collect()
    }

    /// Takes one activation of the oldest fault matching `operation`.
    pub(crate) fn take(&self, operation: &str) -> Option<Fault> {
        let mut queue = self.lock();
        let index = queue.iter().position(|f| f.matches(operation))?;
        let fault = queue.get_mut(index)?;
        let taken = fault.clone();
        fault.times = fault.times.saturating_sub(1);
        if fault.times == 0 {
            queue.remove(index);
        }
        Some(taken)
    }
}
