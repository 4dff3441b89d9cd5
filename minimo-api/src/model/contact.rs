//! The contact read model, decoded by hand so that keys the spec does not name are kept.

use super::envelope::Key;
use crate::pii::{CustomFieldValues, EmailAddress, OtherFields, PhoneNumber};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use std::fmt;

/// A contact with all of its data, as get-by-email returns it (spec schema `Contact`).
///
/// Emails, phones, custom field values and unknown fields are held in the masked types of
/// [`crate::pii`], so `{:?}` leaks no personal data. Keys the spec does not name (a field the
/// vendor adds later) are kept in [`other`](Contact::other) instead of being dropped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contact {
    /// Contact ID. An id sent as a string of digits (`"42"`) is accepted too.
    pub id: i64,
    /// Email address.
    pub email: Option<EmailAddress>,
    /// Phone number in E.164 format.
    pub phone: Option<PhoneNumber>,
    /// Contact status, e.g. `active`.
    pub status: Option<String>,
    /// Contact source, e.g. `API`.
    pub source: Option<String>,
    /// Custom field key-value pairs.
    pub custom_fields: Option<CustomFieldValues>,
    /// Company ID.
    pub company: Option<i64>,
    /// Whether the contact is soft-deleted.
    pub deleted: Option<bool>,
    /// External system ID.
    pub external_id: Option<String>,
    /// External connection ID.
    pub external_connection_id: Option<i64>,
    /// Every other top-level key of the body, as sent.
    pub other: OtherFields,
}

impl Contact {
    /// The keys of the spec's `Contact` schema, as they appear on the wire.
    pub const FIELDS: &'static [&'static str] = &[
        "id",
        "email",
        "phone",
        "status",
        "source",
        "custom_fields",
        "company",
        "deleted",
        "external_id",
        "external_connection_id",
    ];
}

/// An integer id, or a string holding one.
struct Id(i64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer id")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                i64::try_from(v)
                    .map(Id)
                    .map_err(|_| E::custom("id out of range"))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                parse_id(v)
                    .map(Id)
                    .ok_or_else(|| E::custom("id is not an integer"))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// An id written as text: optional surrounding whitespace, ASCII digits, an optional `-`.
pub(crate) fn parse_id(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl<'de> Deserialize<'de> for Contact {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContactVisitor;
        impl<'de> Visitor<'de> for ContactVisitor {
            type Value = Contact;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a contact object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Contact, A::Error> {
                let mut id = None;
                let mut contact = Contact::default();
                let mut other = Map::new();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "id" => id = Some(map.next_value::<Id>()?.0),
                        "email" => contact.email = map.next_value()?,
                        "phone" => contact.phone = map.next_value()?,
                        "status" => contact.status = map.next_value()?,
                        "source" => contact.source = map.next_value()?,
                        "custom_fields" => contact.custom_fields = map.next_value()?,
                        "company" => contact.company = map.next_value()?,
                        "deleted" => contact.deleted = map.next_value()?,
                        "external_id" => contact.external_id = map.next_value()?,
                        "external_connection_id" => {
                            contact.external_connection_id = map.next_value()?
                        }
                        _ => {
                            other.insert(key.into_owned(), map.next_value()?);
                        }
                    }
                }
                contact.id = id.ok_or_else(|| de::Error::missing_field("id"))?;
                contact.other = OtherFields(other);
                Ok(contact)
            }
        }
        deserializer.deserialize_struct("Contact", Contact::FIELDS, ContactVisitor)
    }
}

impl Serialize for Contact {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        fn entry<M: SerializeMap, T: Serialize>(
            map: &mut M,
            key: &str,
            value: &Option<T>,
        ) -> Result<(), M::Error> {
            match value {
                Some(value) => map.serialize_entry(key, value),
                None => Ok(()),
            }
        }
        entry(&mut map, "email", &self.email)?;
        entry(&mut map, "phone", &self.phone)?;
        entry(&mut map, "status", &self.status)?;
        entry(&mut map, "source", &self.source)?;
        entry(&mut map, "custom_fields", &self.custom_fields)?;
        entry(&mut map, "company", &self.company)?;
        entry(&mut map, "deleted", &self.deleted)?;
        entry(&mut map, "external_id", &self.external_id)?;
        entry(
            &mut map,
            "external_connection_id",
            &self.external_connection_id,
        )?;
        for (key, value) in &self.other.0 {
            if !Contact::FIELDS.contains(&key.as_str()) {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::Value;

    #[test]
    fn unknown_keys_are_kept_and_masked_in_debug() {
        let contact: Contact = serde_json::from_str(
            r#"{"id": "42", "email": "jane@example.com", "nickname": "Janie", "deleted": null}"#,
        )
        .unwrap();
        assert_eq!(contact.id, 42);
        assert_eq!(contact.deleted, None);
        assert_eq!(contact.other.get("nickname"), Some(&Value::from("Janie")));
        let shown = format!("{contact:?}");
        assert!(
            !shown.contains("Janie") && !shown.contains("jane@"),
            "{shown}"
        );
        let back = serde_json::to_value(&contact).unwrap();
        assert_eq!(back["nickname"], "Janie");
        assert_eq!(back["id"], 42);
    }

    #[test]
    fn an_id_must_be_an_integer() {
        for bad in [
            r#"{}"#,
            r#"{"id": "x42"}"#,
            r#"{"id": 1.5}"#,
            r#"{"id": null}"#,
        ] {
            assert!(serde_json::from_str::<Contact>(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_id(" -7 "), Some(-7));
        assert_eq!(parse_id("+7"), None);
    }
}
