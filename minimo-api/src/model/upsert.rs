//! The upsert's answer, in every shape the vendor's pages show.

use super::contact::parse_id;
use super::envelope::Key;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the upsert answered: the id of the contact it created or updated, if the body names
/// one.
///
/// The pages show `[{"contactId": "12345"}]` (header panels), a bare `"12345"` (response
/// panel) and an object with an `id` (the conventions page's generic sample); each is also
/// accepted wrapped in `data`, and ids may be strings or integers. Any JSON decodes: a body
/// that names no usable id gives [`contact_id`](UpsertResult::contact_id) `None`. The write
/// happened anyway (the status was 2xx); `minimo-ext` then finds the contact by the email or
/// phone it sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpsertResult {
    id: Option<IdText>,
}

/// An id as the body wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum IdText {
    Integer(i64),
    Text(String),
}

impl UpsertResult {
    /// A result naming this contact id.
    pub fn new(contact_id: i64) -> Self {
        UpsertResult {
            id: Some(IdText::Integer(contact_id)),
        }
    }

    /// The contact id, when the body names one that is an integer (or a string of digits).
    pub fn contact_id(&self) -> Option<i64> {
        match self.id.as_ref()? {
            IdText::Integer(id) => Some(*id),
            IdText::Text(text) => parse_id(text),
        }
    }

    /// Whether the body named an id at all, usable or not (`"cnt_abc123"` is named but not
    /// usable as a contact id).
    pub fn names_an_id(&self) -> bool {
        self.id.is_some()
    }
}

impl<'de> Deserialize<'de> for UpsertResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ResultVisitor)
    }
}

struct ResultVisitor;

impl<'de> Visitor<'de> for ResultVisitor {
    type Value = UpsertResult;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an upsert result")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<UpsertResult, E> {
        Ok(UpsertResult {
            id: Some(IdText::Text(v.to_owned())),
        })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<UpsertResult, E> {
        Ok(UpsertResult::new(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<UpsertResult, E> {
        Ok(UpsertResult {
            id: Some(match i64::try_from(v) {
                Ok(v) => IdText::Integer(v),
                Err(_) => IdText::Text(v.to_string()),
            }),
        })
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<UpsertResult, E> {
        Ok(UpsertResult::default())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<UpsertResult, E> {
        Ok(UpsertResult::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<UpsertResult, E> {
        Ok(UpsertResult::default())
    }

    /// The first entry that names an id.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UpsertResult, A::Error> {
        let mut found = UpsertResult::default();
        while let Some(item) = seq.next_element::<UpsertResult>()? {
            if !found.names_an_id() {
                found = item;
            }
        }
        Ok(found)
    }

    /// `data` (wrapped), else `contactId`, else `id`.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UpsertResult, A::Error> {
        let (mut data, mut contact_id, mut id) = (None, None, None);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match key.as_ref() {
                "data" => data = Some(map.next_value::<UpsertResult>()?),
                "contactId" => contact_id = Some(map.next_value::<UpsertResult>()?),
                "id" => id = Some(map.next_value::<UpsertResult>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // A nested object under `contactId`/`id` is not an id.
        let scalar = |r: Option<UpsertResult>| r.filter(UpsertResult::names_an_id);
        Ok(scalar(data)
            .or(scalar(contact_id))
            .or(scalar(id))
            .unwrap_or_default())
    }
}

impl Serialize for UpsertResult {
    /// The documented shape: `[{"contactId": "<id>"}]`, or `[]` when no id is known.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(usize::from(self.id.is_some())))?;
        if let Some(id) = &self.id {
            struct Entry<'a>(&'a IdText);
            impl Serialize for Entry<'_> {
                fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    let mut map = serializer.serialize_map(Some(1))?;
                    match self.0 {
                        IdText::Integer(id) => map.serialize_entry("contactId", &id.to_string())?,
                        IdText::Text(text) => map.serialize_entry("contactId", text)?,
                    }
                    map.end()
                }
            }
            seq.serialize_element(&Entry(id))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id(json: &str) -> Option<i64> {
        serde_json::from_str::<UpsertResult>(json)
            .unwrap()
            .contact_id()
    }

    #[test]
    fn every_documented_shape_names_the_id() {
        for json in [
            r#"[{"contactId": "12345"}]"#,
            r#""12345""#,
            "12345",
            r#"{"contactId": 12345}"#,
            r#"{"id": "12345"}"#,
            r#"{"data": [{"contactId": "12345"}]}"#,
            r#"{"success": true, "data": {"id": 12345}}"#,
            r#"[{"other": 1}, {"contactId": " 12345 "}]"#,
        ] {
            assert_eq!(id(json), Some(12345), "{json}");
        }
    }

    #[test]
    fn a_body_without_a_usable_id_still_decodes() {
        for json in [
            "[]",
            "{}",
            "null",
            r#"{"id": "cnt_abc123"}"#,
            r#"[{"contactId": {"x": 1}}]"#,
            "true",
        ] {
            assert_eq!(id(json), None, "{json}");
        }
        assert!(
            serde_json::from_str::<UpsertResult>(r#"{"id": "cnt_abc123"}"#)
                .unwrap()
                .names_an_id()
        );
        assert_eq!(
            serde_json::to_string(&UpsertResult::new(7)).unwrap(),
            r#"[{"contactId":"7"}]"#
        );
    }
}
