//! The one error type of this crate.

use minimo_api::runtime::{CallReport, mask_text};
use minimo_api::types;
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Input rejected before any request was sent (bad email, phone, key, base URL...).
    InvalidInput,
    /// 401: the API key is missing, malformed, unknown or expired.
    Unauthorized,
    /// 403: the API key lacks a permission this operation needs.
    Forbidden,
    /// 404: no such contact (or the contact is soft-deleted, for look-ups by email).
    NotFound,
    /// 409: the change conflicts with another resource (an email or key already in use).
    Conflict,
    /// Any other 4xx (400, 415 and 422 above all): the server refused the request.
    Validation,
    /// 429: too many requests; see [`Error::retry_after`].
    RateLimited,
    /// 5xx: the server failed.
    Server,
    /// The call's deadline passed before an answer came, or the server answered 408.
    Timeout,
    /// The connection failed or broke (DNS, connect, reset, truncated body), or the request
    /// was redirected (3xx: redirects are not followed; check the base URL).
    Transport,
    /// The server answered with a body that does not match the API description.
    Decode,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Validation => "rejected by the server",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Server => "server error",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Transport => "transport error",
            ErrorKind::Decode => "undecodable response",
        }
    }

    fn from_status(status: u16) -> ErrorKind {
        match status {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            300..=399 => ErrorKind::Transport,
            409 => ErrorKind::Conflict,
            408 => ErrorKind::Timeout,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Validation,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A machine-readable error code from the server's error envelope. The set is open: codes
/// this version does not know decode as [`ErrorCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `unauthorized`
    Unauthorized,
    /// `forbidden`
    Forbidden,
    /// `not_found`
    NotFound,
    /// `validation_error`
    ValidationError,
    /// `rate_limit_exceeded`
    RateLimitExceeded,
    /// `template_not_approved`
    TemplateNotApproved,
    /// `invalid_phone_number`
    InvalidPhoneNumber,
    /// `duplicate_resource`
    DuplicateResource,
    /// `bad_request`
    BadRequest,
    /// `invalid_group_by`
    InvalidGroupBy,
    /// Any other code, as sent.
    Other(String),
}

impl ErrorCode {
    /// The code as the server spells it.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::ValidationError => "validation_error",
            ErrorCode::RateLimitExceeded => "rate_limit_exceeded",
            ErrorCode::TemplateNotApproved => "template_not_approved",
            ErrorCode::InvalidPhoneNumber => "invalid_phone_number",
            ErrorCode::DuplicateResource => "duplicate_resource",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidGroupBy => "invalid_group_by",
            ErrorCode::Other(code) => code,
        }
    }
}

impl From<&str> for ErrorCode {
    fn from(code: &str) -> Self {
        match code {
            "unauthorized" => ErrorCode::Unauthorized,
            "forbidden" => ErrorCode::Forbidden,
            "not_found" => ErrorCode::NotFound,
            "validation_error" => ErrorCode::ValidationError,
            "rate_limit_exceeded" => ErrorCode::RateLimitExceeded,
            "template_not_approved" => ErrorCode::TemplateNotApproved,
            "invalid_phone_number" => ErrorCode::InvalidPhoneNumber,
            "duplicate_resource" => ErrorCode::DuplicateResource,
            "bad_request" => ErrorCode::BadRequest,
            "invalid_group_by" => ErrorCode::InvalidGroupBy,
            other => ErrorCode::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in a call, with questions you can ask it.
///
/// Messages and details are masked: emails and phone numbers a server echoes come out as
/// `j***@example.com` / `+39********67`, and the API key never appears.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    status: Option<u16>,
    code: Option<ErrorCode>,
    message: String,
    details: Option<Map<String, Value>>,
    request_id: Option<String>,
    attempts: u32,
    retry_after: Option<Duration>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The longest server message kept (bytes); longer ones are cut.
const MAX_MESSAGE: usize = 500;

impl Error {
    /// An error with a message this crate wrote: it names what is wrong and never holds the
    /// values involved, so it is kept as is (contact ids stay readable).
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                status: None,
                code: None,
                message: clip(&one_line(&message.into())),
                details: None,
                request_id: None,
                attempts: 0,
                retry_after: None,
                source: None,
            }),
        }
    }

    /// An error whose message comes from elsewhere (a server, a transport library): emails
    /// and phone numbers in it are masked.
    fn remote(kind: ErrorKind, message: &str) -> Self {
        Error::new(kind, mask_text(message))
    }

    /// An error for input rejected before sending.
    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    pub(crate) fn with_code(mut self, code: ErrorCode) -> Self {
        self.inner.code = Some(code);
        self
    }

    fn with_report(mut self, report: &CallReport) -> Self {
        self.inner.attempts = report.attempts;
        self.inner.retry_after = report.retry_after;
        self.inner.request_id.clone_from(&report.request_id);
        if self.inner.status.is_none() {
            self.inner.status = report.status.map(|s| s.as_u16());
        }
        self
    }

    fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of the last response, if one came.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The error code: the server's, when it sent an error envelope; for input refused before
    /// sending, the code the server would have answered (`validation_error`,
    /// `invalid_phone_number`), so callers handle both alike.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.inner.code.as_ref()
    }

    /// A human-readable description (the server's message when it sent one), masked.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The envelope's optional `details` (e.g. `{"field": "email"}`), string values masked.
    pub fn details(&self) -> Option<&Map<String, Value>> {
        self.inner.details.as_ref()
    }

    /// The server's request id (`x-request-id`), for support tickets.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// How many attempts the call made (0 when it failed before sending).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// How long the server asked to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether trying the same call again later may succeed (rate limits, server errors,
    /// timeouts, transport failures). The client already retried within its policy.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Transport => !matches!(self.inner.status, Some(300..=399)),
            ErrorKind::RateLimited | ErrorKind::Timeout => true,
            ErrorKind::Server => !matches!(self.inner.status, Some(501 | 505)),
            _ => false,
        }
    }

    /// Converts a generated client error, with what the runtime saw of the call.
    pub(crate) async fn from_api(
        error: minimo_api::Error<types::ErrorResponse>,
        report: CallReport,
    ) -> Self {
        use minimo_api::Error as Api;
        let error = match error {
            Api::InvalidRequest(message) => Error::invalid_input(message),
            Api::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let body = response.into_inner().error;
                Error::from_envelope(status, body)
            }
            Api::CommunicationError(e) | Api::InvalidUpgrade(e) | Api::ResponseBodyError(e) => {
                let kind = if e.is_timeout() {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Transport
                };
                let e = e.without_url();
                Error::remote(kind, &error_chain(&e)).with_source(e)
            }
            Api::InvalidResponsePayload(_, e) => match report.status.map(|s| s.as_u16()) {
                Some(status) if status >= 400 => Error::new(
                    ErrorKind::from_status(status),
                    format!("HTTP {status} with a body that is not the error envelope"),
                ),
                _ => Error::new(
                    ErrorKind::Decode,
                    format!(
                        "response body does not match the API description ({})",
                        serde_problem(&e)
                    ),
                ),
            },
            Api::UnexpectedResponse(response) => Error::from_unexpected(response).await,
            Api::Custom(message) => Error::remote(ErrorKind::Transport, &message),
        };
        error.with_report(&report)
    }

    fn from_envelope(status: u16, body: types::ErrorBody) -> Self {
        let mut error = Error::remote(ErrorKind::from_status(status), &body.message)
            .with_code(ErrorCode::from(body.code.as_str()));
        error.inner.status = Some(status);
        if !body.details.is_empty() {
            error.inner.details = Some(
                body.details
                    .into_iter()
                    .map(|(k, v)| (k, mask_value(v)))
                    .collect(),
            );
        }
        error
    }

    async fn from_unexpected(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        // Read at most 64 KiB: enough for any error envelope, bounded for anything else.
        let mut body = Vec::new();
        let mut response = response;
        while let Ok(Some(chunk)) = response.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() > 64 * 1024 {
                break;
            }
        }
        let success = (200..300).contains(&status);
        match serde_json::from_slice::<types::ErrorResponse>(&body) {
            Ok(envelope) if !success => Error::from_envelope(status, envelope.error),
            _ if success => Error::new(
                ErrorKind::Decode,
                format!("undocumented success status {status}"),
            ),
            _ => {
                let mut error = Error::new(
                    ErrorKind::from_status(status),
                    if (300..400).contains(&status) {
                        format!(
                            "HTTP {status}: the request was redirected (redirects are not followed; check the base URL)"
                        )
                    } else {
                        format!("HTTP {status} with no error envelope")
                    },
                );
                error.inner.status = Some(status);
                error
            }
        }
    }
}

/// Replaces control characters (line breaks, tabs...) a server message may hold by spaces,
/// so that Display stays one line (and a message cannot forge extra log lines).
/// Where and what kind of JSON problem, without serde's message: that quotes the offending
/// value, which may be personal data.
pub(crate) fn serde_problem(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "unexpected value or type",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    if error.line() == 0 {
        kind.to_owned()
    } else {
        format!("{kind} at line {}, column {}", error.line(), error.column())
    }
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn clip(text: &str) -> String {
    if text.len() <= MAX_MESSAGE {
        return text.to_owned();
    }
    let mut end = MAX_MESSAGE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn mask_value(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(mask_text(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(mask_value).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, mask_value(v))).collect())
        }
        other => other,
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        write!(f, "{}", inner.kind)?;
        match (&inner.status, &inner.code) {
            (Some(status), Some(code)) => write!(f, " (HTTP {status}, {code})")?,
            (Some(status), None) => write!(f, " (HTTP {status})")?,
            (None, Some(code)) => write!(f, " ({code})")?,
            (None, None) => {}
        }
        write!(f, ": {}", inner.message)?;
        if let Some(id) = &inner.request_id {
            write!(f, " [request {id}]")?;
        }
        if inner.attempts > 1 {
            write!(f, " after {} attempts", inner.attempts)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Error")
            .field("kind", &inner.kind)
            .field("status", &inner.status)
            .field("code", &inner.code)
            .field("message", &inner.message)
            .field("details", &inner.details)
            .field("request_id", &inner.request_id)
            .field("attempts", &inner.attempts)
            .field("retry_after", &inner.retry_after)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_messages_keep_contact_ids_while_server_text_is_masked() {
        let ours = Error::new(
            ErrorKind::Conflict,
            "the new email is already used by contact 12345678",
        );
        assert!(ours.message().ends_with("contact 12345678"), "{ours}");
        let theirs = Error::remote(
            ErrorKind::Validation,
            "jane@example.com or +393391234567 is taken",
        );
        assert_eq!(
            theirs.message(),
            "j***@example.com or +39********67 is taken"
        );
    }

    #[test]
    fn serde_problems_never_quote_the_value() {
        let error = serde_json::from_str::<u32>("\"Jane Rossi\"").err();
        let described = error.as_ref().map(serde_problem).unwrap_or_default();
        assert_eq!(described, "unexpected value or type at line 1, column 12");
        assert!(!described.contains("Jane"));
    }
}
