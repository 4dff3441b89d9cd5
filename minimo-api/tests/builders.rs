//! The generated request builders work as documented: a body built with only the fields a
//! caller sets converts and serializes to exactly those fields.
#![allow(clippy::unwrap_used)]

use minimo_api::types;

#[test]
fn a_builder_needs_no_extra_keys_and_sends_only_what_was_set() {
    let body = types::ContactUpsert::try_from(
        types::ContactUpsert::builder().email(Some("customer@example.com".into())),
    )
    .unwrap();
    assert!(body.extra.is_empty());
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        serde_json::json!({"email": "customer@example.com"})
    );
    let update = types::ContactUpdate::try_from(types::ContactUpdate::builder()).unwrap();
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        serde_json::json!({})
    );
}
