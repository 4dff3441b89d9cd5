//! Read models written by hand where the generated ones would be strict or slow.
//!
//! codegen replaces these spec schemas (`MODEL_TYPES` in `xtask/src/codegen.rs`) with the
//! types below, so the generated client decodes its responses with them:
//!
//! - bodies the vendor documents both wrapped in `data` and bare ([`ContactLookup`],
//!   [`UpdateResult`], [`CustomFieldCreated`], [`CustomFieldList`]) decode in one pass, either
//!   way (see the `envelope` module for how);
//! - the upsert's answer ([`UpsertResult`]) accepts every documented shape and never fails on
//!   valid JSON: a body without a usable id still says the write happened;
//! - the error envelope ([`ErrorResponse`]) keeps `code` and `message` whatever `details`
//!   holds;
//! - the contact ([`Contact`]) keeps keys the spec does not name.

mod contact;
pub(crate) mod envelope;
mod error;
mod upsert;

pub use contact::Contact;
pub use error::{ErrorBody, ErrorResponse};
pub use upsert::UpsertResult;

use crate::types::{CustomField, CustomFieldListBody, UpdatedContact};
use envelope::enveloped;

enveloped!(
    /// get-by-email's answer: the contact, wrapped in `data` (page prose) or bare (generated
    /// panel).
    ContactLookup(Contact),
    markers = &["id"],
    into_contact
);

enveloped!(
    /// update-by-id's answer: `{id, phone}`, bare (panels) or wrapped in `data`.
    UpdateResult(UpdatedContact),
    markers = &["id"],
    into_updated
);

enveloped!(
    /// The created custom field, wrapped in `data` (reference pages) or bare.
    CustomFieldCreated(CustomField),
    markers = &["id", "key"],
    into_field
);

enveloped!(
    /// The custom-field list: wrapped in `data` (reference pages) or bare (contact-sync
    /// guide), as a flat array or grouped by category.
    CustomFieldList(CustomFieldListBody),
    markers = &["groups"],
    into_body
);

impl CustomFieldListBody {
    /// Every field, flattened out of the category groups if the list was grouped.
    pub fn into_fields(self) -> Vec<CustomField> {
        match self {
            CustomFieldListBody::Array(fields) => fields,
            CustomFieldListBody::CustomFieldGroups(groups) => {
                groups.groups.into_iter().flat_map(|g| g.fields).collect()
            }
        }
    }
}

impl CustomFieldList {
    /// Every field, whether the list was wrapped, bare, flat or grouped.
    pub fn into_fields(self) -> Vec<CustomField> {
        self.0.into_fields()
    }
}

impl CustomField {
    /// The human-readable label: `displayName`, else the older pages' `display_name`.
    pub fn label(&self) -> Option<&str> {
        self.display_name
            .as_deref()
            .or_else(|| self.extra.get("display_name").and_then(|v| v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn lookup(json: &str) -> Result<i64, String> {
        serde_json::from_str::<ContactLookup>(json)
            .map(|l| l.into_contact().id)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_contact_decodes_wrapped_or_bare_in_any_key_order() {
        for json in [
            r#"{"data": {"id": 42, "email": "a@b.it"}}"#,
            r#"{"id": 42, "email": "a@b.it"}"#,
            r#"{"email": "a@b.it", "id": 42}"#,
            r#"{"status": "success", "data": {"id": 42}}"#,
            r#"{"success": true, "meta": {"x": 1}, "data": {"id": 42}, "more": []}"#,
            r#"{"data": {"id": 42}, "status": "ok"}"#,
        ] {
            assert_eq!(lookup(json), Ok(42), "{json}");
        }
        // Keys put aside before the decision reach a bare contact.
        let contact =
            serde_json::from_str::<ContactLookup>(r#"{"status": "active", "nick": "J", "id": 1}"#)
                .unwrap()
                .into_contact();
        assert_eq!(contact.status.as_deref(), Some("active"));
        assert_eq!(
            contact.other.get("nick"),
            Some(&serde_json::Value::from("J"))
        );
        for bad in [
            "{}",
            r#"{"status": "x"}"#,
            "[]",
            "\"42\"",
            r#"{"data": null}"#,
        ] {
            assert!(lookup(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_custom_field_list_decodes_in_all_four_shapes() {
        let field = r#"{"id": 1, "key": "PLAN", "type": "text"}"#;
        for json in [
            format!(r#"{{"data": [{field}]}}"#),
            format!(r#"[{field}]"#),
            format!(
                r#"{{"data": {{"groups": [{{"category": "c", "fields": [{field}]}}], "total": 1}}}}"#
            ),
            format!(r#"{{"groups": [{{"category": "c", "fields": [{field}]}}], "total": 1}}"#),
        ] {
            let fields = serde_json::from_str::<CustomFieldList>(&json)
                .unwrap()
                .into_fields();
            assert_eq!(fields.len(), 1, "{json}");
            assert_eq!(fields[0].key, "PLAN");
        }
    }

    #[test]
    fn created_and_updated_bodies_decode_wrapped_or_bare() {
        for json in [r#"{"id": 7, "phone": null}"#, r#"{"data": {"id": 7}}"#] {
            assert_eq!(
                serde_json::from_str::<UpdateResult>(json)
                    .unwrap()
                    .into_updated()
                    .id,
                7
            );
        }
        for json in [
            r#"{"data": {"id": 3, "key": "PLAN", "type": "text", "display_name": "Plan"}}"#,
            r#"{"id": 3, "key": "PLAN", "type": "text", "displayName": "Plan"}"#,
        ] {
            let field = serde_json::from_str::<CustomFieldCreated>(json)
                .unwrap()
                .into_field();
            assert_eq!((field.id, field.label()), (3, Some("Plan")));
        }
    }
}
