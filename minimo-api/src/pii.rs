//! Types for the personal data contacts carry, used by the generated code in place of plain
//! strings and maps (see `PII_TYPES` in `xtask/src/codegen.rs`).
//!
//! They serialize exactly as the strings and maps they wrap, but their `Debug` output is
//! masked (`j***@example.com`, `+39********67`, `J***`, custom field keys without values), so
//! a generated request or response printed with `{:?}` leaks nothing. There is deliberately no
//! `Display`: reading the value is an explicit [`as_str`](EmailAddress::as_str).
//!
//! This module is the one home of masked value types: `minimo-ext` holds these types in its
//! own contacts and inputs instead of writing Debug impls of its own.

use crate::runtime::{mask_email, mask_name, mask_phone};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

macro_rules! masked_string {
    ($(#[$doc:meta])* $name:ident, $mask:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The value, unmasked.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value, unmasked.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        /// Reads as the string it holds (`email.as_deref()`, `email.contains('@')`):
        /// reading is explicit; only `{:?}` is masked.
        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name(value.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), $mask(&self.0))
            }
        }
    };
}

masked_string!(
    /// An email address; Debug shows `j***@example.com`.
    EmailAddress,
    mask_email
);

masked_string!(
    /// A phone number (E.164); Debug shows `+39********67`.
    PhoneNumber,
    mask_phone
);

masked_string!(
    /// A person's first or last name; Debug shows `J***`.
    PersonName,
    mask_name
);

macro_rules! masked_map {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Map<String, Value>);

        impl $name {
            /// Whether there are no values.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// The value under `key`, unmasked.
            pub fn get(&self, key: &str) -> Option<&Value> {
                self.0.get(key)
            }

            /// The keys, in order.
            pub fn keys(&self) -> impl Iterator<Item = &str> {
                self.0.keys().map(String::as_str)
            }
        }

        impl From<Map<String, Value>> for $name {
            fn from(values: Map<String, Value>) -> Self {
                $name(values)
            }
        }

        impl From<$name> for Map<String, Value> {
            fn from(values: $name) -> Self {
                values.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name))
                    .field(&self.0.keys().collect::<Vec<_>>())
                    .finish()
            }
        }
    };
}

masked_map!(
    /// Custom field values by key; Debug lists the keys only (values may be personal data such
    /// as names).
    CustomFieldValues
);

masked_map!(
    /// Top-level fields of a contact that the spec does not name (a field the vendor added
    /// after this SDK was generated); Debug lists the keys only.
    OtherFields
);

/// Any JSON value sent under a top-level key the spec does not describe (for instance a
/// field the vendor documents only in examples); Debug shows `ExtraValue(***)`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExtraValue(pub Value);

impl From<Value> for ExtraValue {
    fn from(value: Value) -> Self {
        ExtraValue(value)
    }
}

impl fmt::Debug for ExtraValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExtraValue(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_masked_and_serde_is_transparent() {
        let email = EmailAddress::from("jane@example.com");
        assert_eq!(format!("{email:?}"), "EmailAddress(j***@example.com)");
        assert_eq!(
            serde_json::to_string(&email).ok().as_deref(),
            Some("\"jane@example.com\"")
        );
        let phone: Option<PhoneNumber> = serde_json::from_str("\"+393391234567\"").ok();
        assert_eq!(format!("{phone:?}"), "Some(PhoneNumber(+39********67))");
        let values: CustomFieldValues =
            serde_json::from_str(r#"{"FIRST_NAME": "Jane"}"#).unwrap_or_default();
        assert_eq!(
            format!("{values:?}"),
            r#"CustomFieldValues(["FIRST_NAME"])"#
        );
        assert_eq!(
            format!("{:?}", PersonName::from("Jane")),
            "PersonName(J***)"
        );
        let extra = ExtraValue(serde_json::json!({"nick": "Janie"}));
        assert_eq!(format!("{extra:?}"), "ExtraValue(***)");
        assert_eq!(
            serde_json::to_string(&extra).ok().as_deref(),
            Some(r#"{"nick":"Janie"}"#)
        );
    }
}
