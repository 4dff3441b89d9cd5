//! The error envelope, read tolerantly: `code` and `message` survive whatever `details`
//! holds, and a missing or odd field never loses the rest.

use super::envelope::Key;
use crate::runtime::{mask_text, mask_value};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The envelope every error is answered with: `{"error": {"code", "message", "details"?}}`.
///
/// Decoding fails only when the body is not an object with an `error` key: that is how a
/// caller tells the API's own answer from a proxy's page. Inside it, `error` may be an object
/// (the documented form), a bare string (taken as the message) or anything else (kept as an
/// empty body).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: ErrorBody,
}

/// The `error` object of an [`ErrorResponse`].
///
/// Debug output masks the message and the details (a server may echo the email or phone it
/// was sent); the accessors return them as sent.
#[derive(Clone, Default, PartialEq)]
pub struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
    details: Option<Value>,
}

impl ErrorBody {
    /// An error body with this code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorBody {
            code: Some(code.into()),
            message: Some(message.into()),
            details: None,
        }
    }

    /// The same body with these details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The machine-readable code (`validation_error`...), if the server sent one. A numeric
    /// code is given as its decimal text.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The human-readable message, if the server sent one. Unmasked.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The optional free-form details: any JSON value but `null`. Unmasked.
    pub fn details(&self) -> Option<&Value> {
        self.details.as_ref()
    }

    /// `details.field` when the details are an object naming the offending field.
    pub fn field(&self) -> Option<&str> {
        self.details.as_ref()?.get("field")?.as_str()
    }
}

impl fmt::Debug for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorBody")
            .field("code", &self.code)
            .field("message", &self.message.as_deref().map(mask_text))
            .field("details", &self.details.clone().map(mask_value))
            .finish()
    }
}

impl<'de> Deserialize<'de> for ErrorResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnvelopeVisitor;
        impl<'de> Visitor<'de> for EnvelopeVisitor {
            type Value = ErrorResponse;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the error envelope {\"error\": {...}}")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorResponse, A::Error> {
                let mut error = None;
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    if key == "error" {
                        error = Some(map.next_value::<ErrorBody>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                error
                    .map(|error| ErrorResponse { error })
                    .ok_or_else(|| de::Error::missing_field("error"))
            }
        }
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BodyVisitor;
        impl<'de> Visitor<'de> for BodyVisitor {
            type Value = ErrorBody;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorBody, A::Error> {
                let mut body = ErrorBody::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "code" => body.code = text(map.next_value()?),
                        "message" => body.message = text(map.next_value()?),
                        "details" => {
                            body.details = Some(map.next_value::<Value>()?).filter(|d| !d.is_null())
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(body)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<ErrorBody, E> {
                Ok(ErrorBody {
                    message: Some(v.to_owned()),
                    ..ErrorBody::default()
                })
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ErrorBody, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ErrorBody::default())
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }

            fn visit_unit<E: de::Error>(self) -> Result<ErrorBody, E> {
                Ok(ErrorBody::default())
            }
        }
        deserializer.deserialize_any(BodyVisitor)
    }
}

/// A string as sent, a number as its decimal text, anything else as absent.
fn text(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Serialize for ErrorResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("error", &self.error)?;
        map.end()
    }
}

impl Serialize for ErrorBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(code) = &self.code {
            map.serialize_entry("code", code)?;
        }
        if let Some(message) = &self.message {
            map.serialize_entry("message", message)?;
        }
        if let Some(details) = &self.details {
            map.serialize_entry("details", details)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn body(json: &str) -> Option<ErrorBody> {
        serde_json::from_str::<ErrorResponse>(json)
            .ok()
            .map(|e| e.error)
    }

    #[test]
    fn code_and_message_survive_any_details() {
        for details in ["[1, 2]", "null", "\"text\"", "7", "{\"field\": \"email\"}"] {
            let json = format!(
                r#"{{"error": {{"code": "not_found", "message": "gone", "details": {details}}}}}"#
            );
            let body = body(&json).unwrap();
            assert_eq!(body.code(), Some("not_found"), "{json}");
            assert_eq!(body.message(), Some("gone"), "{json}");
            assert_eq!(body.details().is_none(), details == "null", "{json}");
        }
        let bare = body(r#"{"error": {"code": "payment_required"}}"#).unwrap();
        assert_eq!(
            (bare.code(), bare.message()),
            (Some("payment_required"), None)
        );
        let text = body(r#"{"error": "Service down"}"#).unwrap();
        assert_eq!((text.code(), text.message()), (None, Some("Service down")));
        assert_eq!(
            body(r#"{"error": {"code": 503}}"#).unwrap().code(),
            Some("503")
        );
    }

    #[test]
    fn a_body_without_the_error_key_is_not_the_envelope() {
        for json in [r#"{"message": "Not Found"}"#, "[]", "\"oops\"", "{}"] {
            assert!(body(json).is_none(), "{json}");
        }
    }

    #[test]
    fn debug_masks_what_the_server_echoed() {
        let body = body(
            r#"{"error": {"code": "validation_error", "message": "jane@example.com is taken", "details": {"value": "+393391234567"}}}"#,
        )
        .unwrap();
        let shown = format!("{body:?}");
        assert!(
            !shown.contains("jane@") && !shown.contains("3391234567"),
            "{shown}"
        );
        assert!(shown.contains("validation_error"), "{shown}");
    }
}
