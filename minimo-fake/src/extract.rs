//! Extractors for the handlers. Each rejection is an [`ApiError`], so no plain-text axum
//! rejection leaks out; path parameters are read from the raw (percent-encoded) path, so
//! an encoded `%2F` never splits a segment.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::Shared;
use crate::validate::is_valid_email;

/// Largest request body read, in bytes.
pub(crate) const MAX_BODY: usize = 1 << 20;
/// How much of a too-large body is still read (and dropped) before answering 400.
const DRAIN_LIMIT: usize = 8 << 20;
/// The path of the contact-by-id operations, up to their `{id}`.
pub(crate) const CONTACTS_PREFIX: &str = "/public/v1/contacts/";
/// The path of get-by-email, up to its `{email}`.
pub(crate) const BY_EMAIL_PREFIX: &str = "/public/v1/contacts/by-email/";

/// The authenticated caller, put in the request extensions by the pipeline.
pub(crate) struct Caller(pub(crate) Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError::unauthorized("Missing API key"))
    }
}

/// The `{id}` of `/public/v1/contacts/{id}`. The spec says `integer`: any integer
/// (`-?[0-9]+` once percent-decoded) is an id, and one that names no contact is answered
/// 404 by the handler; `None` is an integer beyond `i64`, which names none. Anything else
/// (`abc`, `1.5`, `+5`, ` 5`, `0x5`) is 400.
pub(crate) struct ContactId(pub(crate) Option<i64>);

/// See [`ContactId`]: `Err` for a segment that is not an integer.
pub(crate) fn parse_contact_id(raw: &str) -> Result<Option<i64>, ()> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ())?;
    let digits = decoded.strip_prefix('-').unwrap_or(&decoded);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    Ok(decoded.parse::<i64>().ok())
}

impl<S: Send + Sync> FromRequestParts<S> for ContactId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .uri
            .path()
            .strip_prefix(CONTACTS_PREFIX)
            .ok_or(())
            .and_then(parse_contact_id)
            .map(ContactId)
            .map_err(|()| ApiError::bad_request("Contact id must be an integer"))
    }
}

/// The `{email}` of `/public/v1/contacts/by-email/{email}`: the raw segment, percent-decoded
/// here (never form-decoded: `+` stays `+`) and validated.
pub(crate) struct EmailParam(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for EmailParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let invalid = || ApiError::bad_request("Invalid email address format");
        let raw = parts
            .uri
            .path()
            .strip_prefix(BY_EMAIL_PREFIX)
            .ok_or_else(invalid)?;
        let email = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| invalid())?;
        if !is_valid_email(&email) {
            return Err(invalid());
        }
        Ok(EmailParam(email.into_owned()))
    }
}

/// A JSON object body sent as `application/json`: 415 for another content type, 400 for a
/// body that is not JSON or not an object, 408 (and the connection closed) for a body not
/// received within the configured bound.
pub(crate) struct JsonObject(pub(crate) Map<String, Value>);

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

fn body_too_large() -> ApiError {
    ApiError::bad_request(format!(
        "Request body is too large: the limit is {MAX_BODY} bytes"
    ))
    .with_details(json!({ "limit": MAX_BODY }))
}

/// Reads the body, at most [`MAX_BODY`] bytes: a larger one is 400 saying the body is too
/// large (the spec declares no 413). The excess is read and dropped, up to [`DRAIN_LIMIT`]
/// bytes, so the client gets the answer instead of a reset connection.
async fn read_body(req: Request) -> Result<Vec<u8>, ApiError> {
    use hyper::body::Body as _;

    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > DRAIN_LIMIT as u64) {
        return Err(body_too_large());
    }
    let mut body = req.into_body();
    let mut bytes = Vec::new();
    let mut total: usize = 0;
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|_| ApiError::bad_request("Request body could not be read"))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > DRAIN_LIMIT {
            break;
        }
        if total <= MAX_BODY {
            bytes.extend_from_slice(&data);
        }
    }
    if total > MAX_BODY {
        return Err(body_too_large());
    }
    Ok(bytes)
}

impl FromRequest<Arc<Shared>> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, shared: &Arc<Shared>) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::unsupported_media_type());
        }
        // A client that trickles its body would otherwise hold the connection (and this
        // task) forever: hyper bounds only the time to read the headers.
        let bytes = tokio::time::timeout(shared.config.body_timeout, read_body(req))
            .await
            .map_err(|_| ApiError::body_timeout())??;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("Request body is not valid JSON: {e}")))?;
        match value {
            Value::Object(map) => Ok(JsonObject(map)),
            _ => Err(ApiError::bad_request("Request body must be a JSON object")),
        }
    }
}

/// A known optional field that must be a string when present: 422 `validation_error` with
/// `details.field` for any other JSON type (`null` included).
pub(crate) fn opt_string(
    body: &Map<String, Value>,
    field: &str,
) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::validation(
            field,
            format!("{field} must be a string"),
        )),
    }
}

/// The values of a query parameter (form-decoded).
pub(crate) fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k) == name).then(|| decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_ids_are_any_integer() {
        assert_eq!(parse_contact_id("42"), Ok(Some(42)));
        assert_eq!(parse_contact_id("-1"), Ok(Some(-1)));
        assert_eq!(parse_contact_id("0"), Ok(Some(0)));
        assert_eq!(parse_contact_id("%2D7"), Ok(Some(-7)));
        assert_eq!(parse_contact_id("99999999999999999999999"), Ok(None));
        assert_eq!(parse_contact_id("-99999999999999999999999"), Ok(None));
        for bad in [
            "", "-", "abc", "1.5", "+5", "%205", "5%20", "0x5", "1e3", "%D9%A1", "%FF",
        ] {
            assert_eq!(parse_contact_id(bad), Err(()), "{bad}");
        }
    }

    #[test]
    fn query_values_are_form_decoded() {
        assert_eq!(
            query_values(Some("a=1&groupBy=category"), "groupBy"),
            vec!["category".to_owned()]
        );
        assert_eq!(
            query_values(Some("group%42y=a+b"), "groupBy"),
            vec!["a b".to_owned()]
        );
    }
}
