//! The error envelope every error is answered with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An API error: status, machine-readable code, message and optional details, rendered as
/// `{"error":{"code","message","details"?}}` (plus `Retry-After` when set).
#[derive(Debug, Clone)]
pub(crate) struct ApiError(Box<ErrorData>);

/// The fields of an [`ApiError`] (boxed to keep `Result`s small).
#[derive(Debug, Clone)]
pub(crate) struct ErrorData {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) details: Option<Value>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) allow: Option<&'static str>,
    /// Answer with `Connection: close`: the connection cannot serve another request.
    pub(crate) close: bool,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self(Box::new(ErrorData {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
            retry_after: None,
            allow: None,
            close: false,
        }))
    }

    pub(crate) fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub(crate) fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub(crate) fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Insufficient permissions",
        )
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub(crate) fn contact_not_found() -> Self {
        Self::not_found("Contact not found")
    }

    pub(crate) fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            message,
        )
        .with_details(json!({ "field": field }))
    }

    pub(crate) fn invalid_phone() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_phone_number",
            "Phone number must be in E.164 format",
        )
        .with_details(json!({ "field": "phone" }))
    }

    pub(crate) fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_request",
            "Content-Type must be application/json",
        )
    }

    pub(crate) fn method_not_allowed(allow: &'static str) -> Self {
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
        );
        e.allow = Some(allow);
        e
    }

    pub(crate) fn rate_limited(retry_after: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            "Too many requests",
        )
        .with_retry_after(retry_after)
    }

    /// The body was not received within the configured bound: 408, and the connection is
    /// closed (what is left of the body would be read as the next request).
    pub(crate) fn body_timeout() -> Self {
        let mut e = Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "The request body was not received in time",
        );
        e.close = true;
        e
    }

    /// 414, and the connection is closed: a client sending such requests is not one to
    /// keep serving.
    pub(crate) fn uri_too_long(limit: usize) -> Self {
        let mut e = Self::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("The request target is longer than {limit} bytes"),
        )
        .with_details(json!({ "limit": limit }));
        e.close = true;
        e
    }

    /// 431, and the connection is closed (as for [`ApiError::uri_too_long`]).
    pub(crate) fn headers_too_large(message: impl Into<String>, details: Value) -> Self {
        let mut e = Self::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            message,
        )
        .with_details(details);
        e.close = true;
        e
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }

    /// The default error code for a status a scripted fault answers with.
    pub(crate) fn default_code(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            409 => "duplicate_resource",
            415 => "bad_request",
            422 => "validation_error",
            429 => "rate_limit_exceeded",
            503 => "service_unavailable",
            500..=599 => "internal_error",
            _ => "fault_injected",
        }
    }

    /// The default message for a status a scripted fault answers with.
    pub(crate) fn default_message(status: StatusCode) -> String {
        match status.as_u16() {
            429 => "Too many requests".to_owned(),
            503 => "Service temporarily unavailable".to_owned(),
            500 => "Internal server error".to_owned(),
            _ => status
                .canonical_reason()
                .unwrap_or("Injected fault")
                .to_owned(),
        }
    }

    pub(crate) fn body(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(details), Some(obj)) = (&self.details, error.as_object_mut()) {
            obj.insert("details".to_owned(), details.clone());
        }
        json!({ "error": error })
    }
}

impl std::ops::Deref for ApiError {
    type Target = ErrorData;

    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if self.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
