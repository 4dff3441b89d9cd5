//! The one error type of this crate, and the questions it answers.
//!
//! Conversions from the wire client's errors live in `convert`; this module is the type and
//! its accessors.

mod convert;

use minimo_api::runtime::{CallReport, mask_text};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use convert::serde_problem;

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
    /// The server answered with a body that does not match the API description. With a 2xx
    /// status the request took effect ([`Error::may_have_been_processed`] is `true`).
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

    pub(crate) fn from_status(status: u16) -> ErrorKind {
        match status {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            408 => ErrorKind::Timeout,
            429 => ErrorKind::RateLimited,
            400..=499 => ErrorKind::Validation,
            500..=599 => ErrorKind::Server,
            200..=299 => ErrorKind::Decode,
            _ => ErrorKind::Transport,
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
///
/// Codes say more than kinds where the API documents several causes for one status:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
/// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
/// use minimo_ext::{ContactInput, ContactPatch, ErrorCode, ErrorKind};
///
/// let jane = minimo.upsert(ContactInput::with_email("jane@example.com")).await?;
/// minimo.upsert(ContactInput::with_email("john@example.com")).await?;
/// // Giving Jane John's email: the server refuses, with a code naming the cause.
/// let error = minimo
///     .update(jane, ContactPatch::new().email("john@example.com"))
///     .await
///     .unwrap_err();
/// match error.code() {
///     Some(ErrorCode::DuplicateResource) => assert_eq!(error.kind(), ErrorKind::Conflict),
///     Some(ErrorCode::Other(code)) => panic!("a code this version does not know: {code}"),
///     other => panic!("unexpected {other:?}: {error}"),
/// }
/// # Ok(()) }
/// ```
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
///
/// What to do about an error, in one `match`:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
/// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
/// use minimo_ext::{ContactInput, ErrorKind};
///
/// match minimo.upsert(ContactInput::with_email("jane@example")).await {
///     Ok(id) => println!("saved contact {id}"),
///     // One question for "was the email bad?", whether we or the server caught it.
///     Err(e) if e.is_invalid_email() => println!("fix the address: {e}"),
///     Err(e) if e.kind() == ErrorKind::RateLimited => {
///         println!("slow down for {:?}", e.retry_after());
///     }
///     // Safe to send again (the runtime already retried within its policy).
///     Err(e) if e.is_retryable() => println!("try again later: {e}"),
///     // The server may have applied it: check before sending it again.
///     Err(e) if e.may_have_been_processed() => println!("check the contact: {e}"),
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    status: Option<u16>,
    code: Option<ErrorCode>,
    message: String,
    field: Option<String>,
    details: Option<Value>,
    report: CallReport,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
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
                field: None,
                details: None,
                report: CallReport::default(),
                source: None,
            }),
        }
    }

    /// An error whose message comes from elsewhere (a server, a transport library): emails
    /// and phone numbers in it are masked.
    pub(crate) fn remote(kind: ErrorKind, message: &str) -> Self {
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

    pub(crate) fn with_field(mut self, field: impl Into<String>) -> Self {
        self.inner.field = Some(field.into());
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_details(mut self, details: Value) -> Self {
        self.inner.details = Some(details);
        self
    }

    /// Attaches what the runtime saw of the call (attempts, status, request id, verdict).
    pub(crate) fn with_report(mut self, report: CallReport) -> Self {
        if self.inner.status.is_none() {
            self.inner.status = report.status.map(|s| s.as_u16());
        }
        self.inner.report = report;
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// What the runtime saw of the call (empty when nothing was sent).
    pub(crate) fn report(&self) -> &CallReport {
        &self.inner.report
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
    /// sending, the code the server documents for it (`validation_error`,
    /// `invalid_phone_number`, `bad_request` for a look-up), so callers handle both alike.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.inner.code.as_ref()
    }

    /// A human-readable description (the server's message when it sent one), masked.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The input field that was wrong, when known: named by this crate's own checks
    /// (`email`, `phone`, `customFields`...) or by the server's `details.field`.
    pub fn field(&self) -> Option<&str> {
        self.inner.field.as_deref()
    }

    /// The envelope's optional `details`, any JSON value (e.g. `{"field": "email"}`), with
    /// string values masked.
    pub fn details(&self) -> Option<&Value> {
        self.inner.details.as_ref()
    }

    /// The server's request id (`x-request-id`), for support tickets.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.report.request_id.as_deref()
    }

    /// How many attempts the call made (0 when it failed before sending).
    pub fn attempts(&self) -> u32 {
        self.inner.report.attempts
    }

    /// How long the server asked to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.report.retry_after
    }

    /// Whether sending the same call again is safe for this operation and may succeed: a rate
    /// limit, a failure to connect, or (for look-ups, updates and deletes only) a timeout, a
    /// lost connection or a transient 5xx. It is the verdict the runtime's retry table gave
    /// (`minimo_api::runtime::RetryClass`), so it never invites a retry the client refused to
    /// make: after an upsert answered 500 it is `false`, because the contact may have been
    /// created. The client already retried within its policy.
    pub fn is_retryable(&self) -> bool {
        self.inner.report.is_retryable()
    }

    /// Whether the server may have applied the request: it answered 2xx (with a body this
    /// crate could not use), a 5xx, or the connection broke after the request was sent.
    /// `false` when the request certainly had no effect: refused before sending, never
    /// connected, or refused by the server with a 4xx. Check the contact before resending a
    /// write for which this is `true`.
    pub fn may_have_been_processed(&self) -> bool {
        self.inner.report.may_have_been_processed()
    }

    /// Whether the email was the problem, whoever caught it: this crate's checks
    /// ([`ErrorKind::InvalidInput`]) or the server (a 400 or 422 naming the `email` field).
    pub fn is_invalid_email(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::InvalidInput | ErrorKind::Validation
        ) && self.field() == Some("email")
    }

    /// Whether the call ran out of time (the deadline passed, or the server answered 408).
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }
}

/// Replaces control characters (line breaks, tabs...) a server message may hold by spaces,
/// so that Display stays one line (and a message cannot forge extra log lines).
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
        if let Some(id) = &inner.report.request_id {
            write!(f, " [request {id}]")?;
        }
        if inner.report.attempts > 1 {
            write!(f, " after {} attempts", inner.report.attempts)?;
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
            .field("field", &inner.field)
            .field("details", &inner.details)
            .field("request_id", &inner.report.request_id)
            .field("attempts", &inner.report.attempts)
            .field("retry_after", &inner.report.retry_after)
            .field("retryable", &self.is_retryable())
            .field("may_have_been_processed", &self.may_have_been_processed())
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
    fn messages_stay_on_one_bounded_line() {
        let error = Error::remote(ErrorKind::Server, &format!("a\nb\r\tc{}", "é".repeat(400)));
        assert!(error.message().starts_with("a b  c"));
        assert!(error.message().len() <= MAX_MESSAGE + '…'.len_utf8());
        assert!(error.message().ends_with('…'));
    }

    #[test]
    fn an_error_made_before_sending_is_neither_retryable_nor_processed() {
        let error = Error::invalid_input("bad").with_field("email");
        assert!(!error.is_retryable() && !error.may_have_been_processed());
        assert_eq!(error.attempts(), 0);
        assert!(error.is_invalid_email());
        assert!(
            !Error::invalid_input("bad")
                .with_field("phone")
                .is_invalid_email()
        );
        assert!(
            !Error::new(ErrorKind::Server, "x")
                .with_field("email")
                .is_invalid_email()
        );
    }
}
