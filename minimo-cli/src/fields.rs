//! Custom-field values and consent as the command line and the sync rows write them, typed
//! against the account's custom-field definitions.
//!
//! # Typing rules
//!
//! A value written as text (`--field KEY=VALUE`, a CSV cell, a string in NDJSON) takes the
//! type the account declares for `KEY`:
//!
//! | declared | text becomes | refused |
//! |---|---|---|
//! | `number` | a JSON number (`5`, `-1.5`, `2e3`) | anything else |
//! | `boolean` | `true` / `false` (any case) | anything else |
//! | `json` | the JSON value the text holds | text that is not JSON |
//! | `text`, `select`, `date`, `datetime`, other | the string as written | nothing |
//! | no definition | the string as written | nothing |
//!
//! A value without a definition stays a string, whatever it looks like: guessing would make
//! `ZIP=01234` or `CODE=true` change type with their content, and a typo in a key would
//! silently create a JSON-typed field. To send a JSON value as is, write `KEY:=JSON`
//! (`--field 'TAGS:=["a","b"]'`); NDJSON values are JSON already. A JSON value (`:=`, or a
//! non-string in NDJSON) must fit the declared type too: a number for `number`, a boolean
//! for `boolean`, a string for `text`, `select`, `date` and `datetime`, anything for `json`
//! and for keys without a definition.
//!
//! Messages name the key and the declared type, never the value (it may be personal data).

use crate::exit::{Exit, Failure};
use minimo_ext::{CustomField, ErrorKind, FieldType, MarketingConsent, Minimo};
use serde_json::Value;
use std::collections::HashMap;

/// A custom-field value before typing.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// Written as text: typed by the declared type.
    Text(String),
    /// Written as JSON: checked against the declared type.
    Json(Value),
}

/// One `--field` argument: `KEY=VALUE` (text) or `KEY:=JSON`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldArg {
    /// The key as written.
    pub key: String,
    /// The value.
    pub value: RawValue,
}

impl FieldArg {
    /// Parses `KEY=VALUE` or `KEY:=JSON`. Errors never quote the value.
    pub fn parse(arg: &str) -> Result<FieldArg, Failure> {
        let Some((key, value)) = arg.split_once('=') else {
            return Err(Failure::usage(
                "--field takes KEY=VALUE (or KEY:=JSON for a JSON value); this one has no `=`",
            ));
        };
        let (key, value) = match key.strip_suffix(':') {
            Some(key) => {
                let json = serde_json::from_str(value).map_err(|e| {
                    Failure::input(format!(
                        "--field {key}:=...: the value is not valid JSON (line {}, column {})",
                        e.line(),
                        e.column()
                    ))
                })?;
                (key, RawValue::Json(json))
            }
            None => (key, RawValue::Text(value.to_owned())),
        };
        if key.is_empty() {
            return Err(Failure::usage("--field has an empty key before the `=`"));
        }
        Ok(FieldArg {
            key: key.to_owned(),
            value,
        })
    }
}

/// Parses `--consent email=in,whatsapp=out`: each channel `in` or `out`; channels not named
/// keep their consent.
pub fn parse_consent(text: &str) -> Result<MarketingConsent, String> {
    let mut consent = MarketingConsent::unchanged();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (channel, value) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not CHANNEL=in|out"))?;
        let opt_in = consent_value(value)
            .ok_or_else(|| format!("`{value}` for {channel} is neither `in` nor `out`"))?;
        consent = match channel.trim().to_ascii_lowercase().as_str() {
            "email" => consent.email(opt_in),
            "whatsapp" => consent.whatsapp(opt_in),
            other => return Err(format!("unknown channel `{other}` (email or whatsapp)")),
        };
    }
    if consent.is_unchanged() {
        return Err("name at least one channel: email=in|out, whatsapp=in|out".to_owned());
    }
    Ok(consent)
}

/// `in` → opt in, `out` → opt out (any case).
pub fn consent_value(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "in" => Some(true),
        "out" => Some(false),
        _ => None,
    }
}

/// The account's custom-field definitions, by key uppercased.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    types: HashMap<String, FieldType>,
}

impl Definitions {
    /// Lists the account's custom fields. A key without permission to list them gets no
    /// definitions (values then stay as written) and a warning; any other error fails.
    pub async fn load(minimo: &Minimo) -> Result<(Definitions, Option<String>), minimo_ext::Error> {
        match minimo.custom_fields().list().await {
            Ok(fields) => Ok((Definitions::from_fields(&fields), None)),
            Err(e) if e.kind() == ErrorKind::Forbidden => Ok((
                Definitions::default(),
                Some(format!(
                    "warning: cannot list the custom fields ({e}); values are sent as written, untyped"
                )),
            )),
            Err(e) => Err(e),
        }
    }

    /// Definitions from a list.
    pub fn from_fields(fields: &[CustomField]) -> Definitions {
        Definitions::from_types(fields.iter().map(|f| (f.key.clone(), f.field_type.clone())))
    }

    /// Definitions from keys (any case) and their types.
    pub fn from_types(types: impl IntoIterator<Item = (String, FieldType)>) -> Definitions {
        Definitions {
            types: types
                .into_iter()
                .map(|(key, field_type)| (key.to_uppercase(), field_type))
                .collect(),
        }
    }

    /// The declared type of `key` (any case).
    pub fn declared(&self, key: &str) -> Option<&FieldType> {
        self.types.get(&key.to_uppercase())
    }

    /// `value` typed for `key` (see the module docs). The error names the key and the
    /// declared type, not the value.
    pub fn typed(&self, key: &str, value: RawValue) -> Result<Value, String> {
        typed_value(key, self.declared(key), value)
    }
}

/// See the module docs.
pub fn typed_value(
    key: &str,
    declared: Option<&FieldType>,
    value: RawValue,
) -> Result<Value, String> {
    let refuse = |what: &str| {
        let declared = declared.map(ToString::to_string).unwrap_or_default();
        Err(format!(
            "custom field {key} is a `{declared}` field: {what}"
        ))
    };
    match (declared, value) {
        (None, RawValue::Text(text)) => Ok(Value::String(text)),
        (None, RawValue::Json(json)) => Ok(json),
        (Some(FieldType::Number), RawValue::Text(text)) => match text.trim().parse() {
            Ok(number) => Ok(Value::Number(number)),
            Err(_) => refuse("the value is not a number"),
        },
        (Some(FieldType::Boolean), RawValue::Text(text)) => {
            match text.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => refuse("the value is neither `true` nor `false`"),
            }
        }
        (Some(FieldType::Json), RawValue::Text(text)) => match serde_json::from_str(&text) {
            Ok(json) => Ok(json),
            Err(_) => refuse("the value is not valid JSON"),
        },
        (Some(_), RawValue::Text(text)) => Ok(Value::String(text)),
        // JSON written for a typed field: a string goes through the text rules (an NDJSON
        // file written by a tool that quotes everything still works); anything else must be
        // of the declared type.
        (Some(declared), RawValue::Json(Value::String(text))) if *declared != FieldType::Json => {
            typed_value(key, Some(declared), RawValue::Text(text))
        }
        (Some(FieldType::Number), RawValue::Json(json)) => match json {
            Value::Number(_) => Ok(json),
            _ => refuse("the value is not a number"),
        },
        (Some(FieldType::Boolean), RawValue::Json(json)) => match json {
            Value::Bool(_) => Ok(json),
            _ => refuse("the value is not a boolean"),
        },
        (
            Some(FieldType::Text | FieldType::Select | FieldType::Date | FieldType::Datetime),
            RawValue::Json(_),
        ) => refuse("the value is not a string"),
        (Some(_), RawValue::Json(json)) => Ok(json),
    }
}

/// Types every `--field` argument; the first failure is invalid input (exit 3).
pub fn typed_fields(
    definitions: &Definitions,
    args: Vec<FieldArg>,
) -> Result<Vec<(String, Value)>, Failure> {
    args.into_iter()
        .map(|arg| {
            definitions
                .typed(&arg.key, arg.value)
                .map(|value| (arg.key, value))
                .map_err(|e| Failure::new(Exit::InvalidInput, format!("--field: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn text(s: &str) -> RawValue {
        RawValue::Text(s.to_owned())
    }

    #[test]
    fn field_arguments_take_text_or_json() {
        assert_eq!(
            FieldArg::parse("plan=pro=max").unwrap(),
            FieldArg {
                key: "plan".into(),
                value: text("pro=max")
            }
        );
        assert_eq!(
            FieldArg::parse("TAGS:=[\"a\",1]").unwrap().value,
            RawValue::Json(json!(["a", 1]))
        );
        assert_eq!(FieldArg::parse("plan").unwrap_err().exit, Exit::Usage);
        assert_eq!(FieldArg::parse("=x").unwrap_err().exit, Exit::Usage);
        let bad = FieldArg::parse("NOTE:={secret").unwrap_err();
        assert_eq!(bad.exit, Exit::InvalidInput);
        assert!(!bad.message.contains("secret"), "{bad}");
    }

    #[test]
    fn text_takes_the_declared_type() {
        let n = Some(&FieldType::Number);
        assert_eq!(typed_value("SEATS", n, text(" 5 ")), Ok(json!(5)));
        assert_eq!(typed_value("SEATS", n, text("-1.5e1")), Ok(json!(-15.0)));
        let refused = typed_value("SEATS", n, text("five")).unwrap_err();
        assert_eq!(
            refused,
            "custom field SEATS is a `number` field: the value is not a number"
        );
        let b = Some(&FieldType::Boolean);
        assert_eq!(typed_value("VIP", b, text("TRUE")), Ok(json!(true)));
        assert!(typed_value("VIP", b, text("yes")).is_err());
        let j = Some(&FieldType::Json);
        assert_eq!(
            typed_value("META", j, text("{\"a\":1}")),
            Ok(json!({"a": 1}))
        );
        assert!(typed_value("META", j, text("{a")).is_err());
        for declared in [FieldType::Text, FieldType::Select, FieldType::Date] {
            assert_eq!(
                typed_value("X", Some(&declared), text("007")),
                Ok(json!("007"))
            );
        }
    }

    #[test]
    fn without_a_definition_text_stays_a_string_and_json_is_sent_as_is() {
        for looks_typed in ["5", "true", "{\"a\":1}", "[1]", "01234"] {
            assert_eq!(
                typed_value("X", None, text(looks_typed)),
                Ok(json!(looks_typed))
            );
        }
        assert_eq!(
            typed_value("X", None, RawValue::Json(json!({"a": 1}))),
            Ok(json!({"a": 1}))
        );
    }

    #[test]
    fn json_values_must_fit_the_declared_type_and_strings_follow_the_text_rules() {
        let n = Some(&FieldType::Number);
        assert_eq!(typed_value("S", n, RawValue::Json(json!(3))), Ok(json!(3)));
        assert_eq!(
            typed_value("S", n, RawValue::Json(json!("3"))),
            Ok(json!(3))
        );
        assert!(typed_value("S", n, RawValue::Json(json!(true))).is_err());
        let t = Some(&FieldType::Text);
        assert!(typed_value("T", t, RawValue::Json(json!(3))).is_err());
        assert_eq!(
            typed_value("T", t, RawValue::Json(json!("3"))),
            Ok(json!("3"))
        );
        let j = Some(&FieldType::Json);
        assert_eq!(
            typed_value("J", j, RawValue::Json(json!("x"))),
            Ok(json!("x"))
        );
        let other = Some(&FieldType::Other("geo".into()));
        assert_eq!(
            typed_value("G", other, RawValue::Json(json!([1, 2]))),
            Ok(json!([1, 2]))
        );
    }

    #[test]
    fn definitions_are_matched_in_any_case() {
        let defs = Definitions {
            types: [("SEATS".to_owned(), FieldType::Number)].into(),
        };
        assert_eq!(defs.declared("seats"), Some(&FieldType::Number));
        assert_eq!(defs.typed("Seats", text("4")), Ok(json!(4)));
    }

    #[test]
    fn consent_names_channels_in_or_out() {
        let c = parse_consent("email=in, whatsapp=OUT").unwrap();
        assert_eq!(
            (c.email_opt_in(), c.whatsapp_opt_in()),
            (Some(true), Some(false))
        );
        let c = parse_consent("whatsapp=in").unwrap();
        assert_eq!((c.email_opt_in(), c.whatsapp_opt_in()), (None, Some(true)));
        assert!(parse_consent("email=yes").is_err());
        assert!(parse_consent("sms=in").is_err());
        assert!(parse_consent("").is_err());
    }
}
