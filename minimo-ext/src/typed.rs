//! Custom fields declared as a Rust struct: its JSON Schema (schemars) says which fields a
//! service needs and of which type, and [`Minimo::ensure_custom_fields`](crate::Minimo::ensure_custom_fields)
//! makes the account match.
//!
//! | JSON Schema of the struct field | Minimo type |
//! |---|---|
//! | `string` | `text` |
//! | `string` with `format: date` (e.g. `chrono::NaiveDate`) | `date` |
//! | `string` with `format: date-time` (e.g. `chrono::DateTime<Utc>`) | `datetime` |
//! | `string` enum (a fieldless Rust enum) | `select`, with its values as options |
//! | `integer`, `number` | `number` |
//! | `boolean` | `boolean` |
//! | `object`, `array` | `json` |
//!
//! `Option<T>` maps as `T`. The key is the serialized field name, uppercased; the label is the
//! field's doc comment title (`#[schemars(title = "...")]`) or the key in words.
//!
//! ```
//! use minimo_ext::FieldType;
//! use minimo_ext::typed::field_specs;
//! use schemars::JsonSchema;
//!
//! #[derive(JsonSchema)]
//! #[allow(dead_code)]
//! enum Plan { Free, Pro }
//!
//! #[derive(JsonSchema)]
//! #[allow(dead_code)]
//! struct Billing {
//!     #[schemars(title = "Seats paid for")]
//!     seats: Option<u32>,
//!     plan: Plan,
//!     renews_on: String,
//! }
//!
//! let specs = field_specs::<Billing>()?;
//! let summary: Vec<_> = specs.iter().map(|s| (s.key.as_str(), &s.field_type)).collect();
//! assert_eq!(summary, [
//!     ("SEATS", &FieldType::Number),
//!     ("PLAN", &FieldType::Select),
//!     ("RENEWS_ON", &FieldType::Text),
//! ]);
//! assert_eq!(specs[0].label, "Seats paid for");
//! assert_eq!(specs[2].label, "Renews on"); // without a title: the key in words
//! assert_eq!(specs[1].options, ["Free", "Pro"]);
//! # Ok::<(), minimo_ext::Error>(())
//! ```
//!
//! Against an account, [`Minimo::ensure_custom_fields`](crate::Minimo::ensure_custom_fields)
//! creates what is missing and reports what differs ([`EnsureReport`]).

use crate::client::Minimo;
use crate::custom_fields::{CustomField, FieldType, NewCustomField};
use crate::error::{Error, ErrorKind, Result};
use schemars::JsonSchema;
use serde_json::{Map, Value};

/// One custom field a struct asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// The uppercase key.
    pub key: String,
    /// The label to create it with.
    pub label: String,
    /// The Minimo type.
    pub field_type: FieldType,
    /// Options, for `select` fields.
    pub options: Vec<String>,
}

impl FieldSpec {
    pub(crate) fn to_new(&self) -> NewCustomField {
        NewCustomField::new(
            self.key.clone(),
            self.label.clone(),
            self.field_type.clone(),
        )
        .options(self.options.clone())
    }
}

/// The custom fields `T` asks for, read from its JSON Schema.
pub fn field_specs<T: JsonSchema>() -> Result<Vec<FieldSpec>, Error> {
    let schema = schemars::schema_for!(T);
    let root = schema.as_value();
    let type_name = T::schema_name();
    let properties = root
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Error::invalid_input(format!(
                "`{type_name}` is not a struct with named fields: it cannot declare custom fields"
            ))
        })?;
    let defs = root.get("$defs").and_then(Value::as_object);
    properties
        .iter()
        .map(|(name, property)| {
            let (field_type, options) = map_type(property, defs).ok_or_else(|| {
                Error::invalid_input(format!(
                    "`{type_name}.{name}`: no Minimo custom field type fits its schema"
                ))
            })?;
            let key = crate::validate::custom_field_key(name)?;
            let label = property
                .get("title")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| words(name));
            Ok(FieldSpec {
                key,
                label,
                field_type,
                options,
            })
        })
        .collect()
}

/// `plan_tier` -> `Plan tier`.
fn words(name: &str) -> String {
    let spaced = name.replace('_', " ").to_lowercase();
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn resolve<'a>(schema: &'a Value, defs: Option<&'a Map<String, Value>>) -> &'a Value {
    match schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
    {
        Some(name) => defs.and_then(|d| d.get(name)).unwrap_or(schema),
        None => schema,
    }
}

fn map_type(schema: &Value, defs: Option<&Map<String, Value>>) -> Option<(FieldType, Vec<String>)> {
    let schema = resolve(schema, defs);
    // Option<T>: `anyOf`/`oneOf` [T, null], or a type array with "null".
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let non_null: Vec<&Value> = branches
                .iter()
                .filter(|b| b.get("type") != Some(&Value::from("null")))
                .collect();
            if let [only] = non_null.as_slice() {
                return map_type(only, defs);
            }
            // A fieldless enum with documented variants: each branch a `const` string.
            let options: Option<Vec<String>> = non_null
                .iter()
                .map(|b| b.get("const").and_then(Value::as_str).map(str::to_owned))
                .collect();
            return options
                .filter(|o| !o.is_empty())
                .map(|o| (FieldType::Select, o));
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let options: Option<Vec<String>> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| v.as_str().map(str::to_owned))
            .collect();
        return options.map(|o| (FieldType::Select, o));
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    };
    let field_type = match types.as_slice() {
        ["string"] => match schema.get("format").and_then(Value::as_str) {
            Some("date") => FieldType::Date,
            Some("date-time") => FieldType::Datetime,
            _ => FieldType::Text,
        },
        ["integer"] | ["number"] => FieldType::Number,
        ["boolean"] => FieldType::Boolean,
        ["object"] | ["array"] => FieldType::Json,
        _ => return None,
    };
    Some((field_type, Vec::new()))
}

/// What [`Minimo::ensure_custom_fields`](crate::Minimo::ensure_custom_fields) found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnsureReport {
    /// Keys it created.
    pub created: Vec<String>,
    /// Keys that existed with the expected type.
    pub unchanged: Vec<String>,
    /// Keys that exist with another type (left as they are).
    pub mismatched: Vec<TypeMismatch>,
    /// `select` keys that exist with other options (left as they are).
    pub options_differ: Vec<String>,
}

impl EnsureReport {
    /// Whether every field now exists with the expected type.
    pub fn is_consistent(&self) -> bool {
        self.mismatched.is_empty() && self.options_differ.is_empty()
    }

    /// Records `spec` as unchanged or mismatched when `existing` has its key; `false` when
    /// the key is missing.
    pub(crate) fn record_existing(&mut self, spec: &FieldSpec, existing: &[CustomField]) -> bool {
        let Some(field) = existing
            .iter()
            .find(|f| f.key.eq_ignore_ascii_case(&spec.key))
        else {
            return false;
        };
        let same_options = || {
            let mut wanted: Vec<&String> = spec.options.iter().collect();
            let mut found: Vec<&String> = field.options.iter().collect();
            wanted.sort();
            found.sort();
            wanted == found
        };
        if field.field_type != spec.field_type {
            self.mismatched.push(TypeMismatch {
                key: spec.key.clone(),
                expected: spec.field_type.clone(),
                actual: field.field_type.clone(),
            });
        } else if spec.field_type == FieldType::Select && !same_options() {
            self.options_differ.push(spec.key.clone());
        } else {
            self.unchanged.push(spec.key.clone());
        }
        true
    }
}

/// A custom field whose existing type differs from the one the struct asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMismatch {
    /// The key.
    pub key: String,
    /// The type the struct asks for.
    pub expected: FieldType,
    /// The type the account has.
    pub actual: FieldType,
}

impl Minimo {
    /// Makes the account's custom fields match struct `T` (see [`crate::typed`] for the type
    /// mapping): lists what exists, creates what is missing, and reports keys whose existing
    /// type differs, or whose `select` options differ (those are left alone). Running it again
    /// changes nothing; two services running it at once both succeed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// #[derive(serde::Serialize, schemars::JsonSchema)]
    /// struct Profile {
    ///     plan_tier: String,
    ///     seats: Option<u32>,
    /// }
    /// let report = minimo.ensure_custom_fields::<Profile>().await?;
    /// assert_eq!(report.created, ["PLAN_TIER", "SEATS"]);
    /// assert!(minimo.ensure_custom_fields::<Profile>().await?.created.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn ensure_custom_fields<T: JsonSchema>(&self) -> Result<EnsureReport> {
        let wanted = field_specs::<T>()?;
        let fields = self.custom_fields();
        let mut existing: Vec<CustomField> = fields.list().await?;
        let mut report = EnsureReport::default();
        for spec in wanted {
            if report.record_existing(&spec, &existing) {
                continue;
            }
            match fields.create(spec.to_new()).await {
                Ok(created) => {
                    report.created.push(spec.key);
                    existing.push(created);
                }
                // Created meanwhile by another instance: look again.
                Err(error) if error.kind() == ErrorKind::Conflict => {
                    existing = fields.list().await?;
                    if !report.record_existing(&spec, &existing) {
                        return Err(error);
                    }
                }
                Err(error) => return Err(error),
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize, JsonSchema)]
    #[allow(dead_code)]
    enum Plan {
        Free,
        Pro,
    }

    #[derive(Serialize, JsonSchema)]
    #[allow(dead_code)]
    struct Profile {
        plan_tier: Plan,
        seats: u32,
        score: Option<f64>,
        trial: bool,
        #[schemars(title = "Company name")]
        company: String,
        #[schemars(with = "String", extend("format" = "date"))]
        signup_date: String,
        #[schemars(with = "Option<String>", extend("format" = "date-time"))]
        last_seen: Option<String>,
        preferences: std::collections::BTreeMap<String, String>,
        tags: Vec<String>,
    }

    #[test]
    fn struct_fields_map_to_minimo_types() {
        let specs = field_specs::<Profile>().unwrap_or_default();
        let got: Vec<(&str, &str, String)> = specs
            .iter()
            .map(|s| (s.key.as_str(), s.label.as_str(), s.field_type.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                ("PLAN_TIER", "Plan tier", "select".to_owned()),
                ("SEATS", "Seats", "number".to_owned()),
                ("SCORE", "Score", "number".to_owned()),
                ("TRIAL", "Trial", "boolean".to_owned()),
                ("COMPANY", "Company name", "text".to_owned()),
                ("SIGNUP_DATE", "Signup date", "date".to_owned()),
                ("LAST_SEEN", "Last seen", "datetime".to_owned()),
                ("PREFERENCES", "Preferences", "json".to_owned()),
                ("TAGS", "Tags", "json".to_owned()),
            ]
        );
        assert_eq!(specs[0].options, ["Free", "Pro"]);
    }

    #[test]
    fn a_type_that_is_not_a_struct_is_refused() {
        let error = field_specs::<Vec<String>>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("not a struct with named fields"), "{error}");
    }
}
