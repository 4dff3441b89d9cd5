//! From what the wire client and the runtime report to an [`Error`]. The wire crate decodes
//! every body (the error envelope included); this module only maps.

use super::{Error, ErrorCode, ErrorKind};
use minimo_api::model::{ErrorBody, ErrorResponse};
use minimo_api::runtime::{CallReport, mask_value};

impl Error {
    /// Converts a generated client error, with what the runtime saw of the call.
    pub(crate) fn from_api(error: minimo_api::Error<ErrorResponse>, report: CallReport) -> Self {
        use minimo_api::Error as Api;
        let status = report.status.map(|s| s.as_u16());
        let error = match error {
            Api::InvalidRequest(message) => Error::remote(ErrorKind::InvalidInput, &message),
            Api::ErrorResponse(response) => {
                let status = response.status().as_u16();
                Error::from_envelope(status, response.into_inner().error)
            }
            Api::CommunicationError(e) | Api::InvalidUpgrade(e) | Api::ResponseBodyError(e) => {
                let kind = if e.is_timeout() {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Transport
                };
                let e = e.without_url();
                let what = match status {
                    Some(status) => format!("the answer (HTTP {status}) broke off: "),
                    None => String::new(),
                };
                Error::remote(kind, &format!("{what}{}", error_chain(&e))).with_source(e)
            }
            Api::InvalidResponsePayload(_, e) => {
                let problem = serde_problem(&e);
                match status {
                    Some(status @ 200..=299) => Error::new(
                        ErrorKind::Decode,
                        format!(
                            "the request took effect (HTTP {status}) but the answer does not match the API description ({problem})"
                        ),
                    ),
                    Some(status) => Error::new(
                        ErrorKind::from_status(status),
                        format!("HTTP {status} with a body that is not the error envelope"),
                    ),
                    None => Error::new(
                        ErrorKind::Decode,
                        format!("the answer does not match the API description ({problem})"),
                    ),
                }
            }
            Api::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let message = if (300..400).contains(&status) {
                    format!(
                        "HTTP {status}: the request was redirected (redirects are not followed; check the base URL)"
                    )
                } else {
                    format!("HTTP {status} is not an answer this API gives")
                };
                Error::new(ErrorKind::from_status(status), message)
            }
            Api::Custom(message) => Error::remote(ErrorKind::Transport, &message),
        };
        error.with_report(report)
    }

    /// An error from the envelope the server answered with, whatever the status.
    fn from_envelope(status: u16, body: ErrorBody) -> Self {
        let message = body
            .message()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("HTTP {status} without a message"));
        let mut error = Error::remote(ErrorKind::from_status(status), &message).with_status(status);
        if let Some(code) = body.code() {
            error = error.with_code(ErrorCode::from(code));
        }
        if let Some(field) = body.field() {
            error = error.with_field(field);
        }
        if let Some(details) = body.details() {
            error = error.with_details(mask_value(details.clone()));
        }
        error
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_problems_never_quote_the_value() {
        let error = serde_json::from_str::<u32>("\"Jane Rossi\"").err();
        let described = error.as_ref().map(serde_problem).unwrap_or_default();
        assert_eq!(described, "unexpected value or type at line 1, column 12");
        assert!(!described.contains("Jane"));
    }

    #[test]
    fn an_envelope_keeps_its_code_for_any_status() {
        let body = ErrorBody::new("payment_required", "pay jane@example.com")
            .with_details(serde_json::json!(["+393391234567"]));
        let error = Error::from_envelope(402, body);
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert_eq!(
            error.code().map(ErrorCode::as_str),
            Some("payment_required")
        );
        assert_eq!(error.message(), "pay j***@example.com");
        assert_eq!(error.details(), Some(&serde_json::json!(["+39********67"])));
        let conflict = Error::from_envelope(409, ErrorBody::new("duplicate_resource", "taken"));
        assert_eq!(conflict.kind(), ErrorKind::Conflict);
    }
}
