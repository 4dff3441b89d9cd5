//! Every example the spec gives and every JSON example of the vendor's pages decodes into the
//! generated types (or the handwritten read models codegen puts in their place), so the client
//! reads what the documentation says the server sends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use minimo_api::{model, types};
use minimo_tests::{spec_path, workspace_root};
use serde::de::DeserializeOwned;
use serde_json::Value;

fn decode<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(value.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Decodes `value` as the generated type (or read model) named after the spec's component
/// schema. The upsert's answer decodes from any JSON, so for it "decodes" means "names an
/// id" (the pages' placeholders, such as `"<string>"`, are not numbers).
fn decode_as(schema: &str, value: &Value) -> Result<(), String> {
    match schema {
        "ContactUpsert" => decode::<types::ContactUpsert>(value),
        "ContactUpdate" => decode::<types::ContactUpdate>(value),
        "UpsertResult" => serde_json::from_value::<model::UpsertResult>(value.clone())
            .map_err(|e| e.to_string())?
            .names_an_id()
            .then_some(())
            .ok_or_else(|| "names no contact id".to_owned()),
        "ContactLookup" => decode::<model::ContactLookup>(value),
        "UpdateResult" => decode::<model::UpdateResult>(value),
        "CustomFieldList" => decode::<model::CustomFieldList>(value),
        "CustomField" => decode::<types::CustomField>(value),
        "CustomFieldCreate" => decode::<types::CustomFieldCreate>(value),
        "CustomFieldCreated" => decode::<model::CustomFieldCreated>(value),
        "ErrorResponse" => decode::<model::ErrorResponse>(value),
        other => Err(format!("no generated type is mapped for schema `{other}`")),
    }
}

/// The schema name a `$ref` points at.
fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.rsplit('/').next()
}

fn spec() -> Value {
    let text = std::fs::read_to_string(spec_path()).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// Resolves `{"$ref": "#/components/responses/X"}` against the spec.
fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => spec
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling {r}")),
        None => node,
    }
}

#[test]
fn every_example_in_the_spec_decodes_into_its_generated_type() {
    let spec = spec();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let mut media = Vec::new();
            if let Some(body) = op.pointer("/requestBody/content/application~1json") {
                media.push(("request".to_owned(), body));
            }
            for (code, response) in op["responses"].as_object().unwrap() {
                let response = resolve(&spec, response);
                if let Some(body) = response.pointer("/content/application~1json") {
                    media.push((code.clone(), body));
                }
            }
            for (what, body) in media {
                let schema = ref_name(&body["schema"])
                    .unwrap_or_else(|| panic!("{id} {what}: inline schema"));
                let examples = body.get("examples").and_then(Value::as_object);
                assert!(
                    examples.is_some_and(|e| !e.is_empty()),
                    "{method} {path} {what}: no example"
                );
                for (name, example) in examples.into_iter().flatten() {
                    checked += 1;
                    if let Err(e) = decode_as(schema, &example["value"]) {
                        failures.push(format!("{id} {what} example `{name}` as {schema}: {e}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "examples that do not decode:\n{}",
        failures.join("\n")
    );
    assert!(
        checked >= 30,
        "only {checked} examples found: the walk is broken"
    );
}

#[test]
fn every_vendor_json_example_decodes_or_is_explained() {
    let dir = workspace_root().join("tests/fixtures/vendor-examples");
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let mut listed: Vec<String> = Vec::new();
    let mut failures = Vec::new();
    for entry in &index {
        let file = entry["file"].as_str().unwrap();
        listed.push(file.to_owned());
        let value: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap())
            .unwrap_or_else(|e| panic!("{file} is not JSON: {e}"));
        match entry["schema"].as_str() {
            Some(schema) => {
                if let Err(e) = decode_as(schema, &value) {
                    failures.push(format!("{file} as {schema}: {e}"));
                }
            }
            None => {
                let note = entry["note"].as_str().unwrap_or_default();
                assert!(
                    note.contains("inconsistenc"),
                    "{file} decodes into nothing and its note does not say which documented inconsistency explains it"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "vendor examples that do not decode:\n{}",
        failures.join("\n")
    );
    // Every fixture file is listed, so none is silently skipped.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name != "index.json" {
            assert!(listed.contains(&name), "{name} is not in index.json");
        }
    }
}

fn vendor(file: &str) -> Value {
    let path = workspace_root()
        .join("tests/fixtures/vendor-examples")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn contact_lookup_reads_both_the_wrapped_and_the_bare_shape() {
    let wrapped: model::ContactLookup =
        serde_json::from_value(vendor("contacts-get-by-email--response-wrapped.json")).unwrap();
    let bare: model::ContactLookup =
        serde_json::from_value(vendor("contacts-get-by-email--response-header-panel.json"))
            .unwrap();
    assert_eq!(wrapped.into_contact().id, 42);
    let bare = bare.into_contact();
    assert_eq!((bare.id, bare.deleted), (123, Some(true)));
}

#[test]
fn custom_field_list_reads_all_four_shapes() {
    let flat: model::CustomFieldList =
        serde_json::from_value(vendor("custom-fields-list--response-flat.json")).unwrap();
    let grouped: model::CustomFieldList =
        serde_json::from_value(vendor("custom-fields-list--response-grouped.json")).unwrap();
    let guide: model::CustomFieldList =
        serde_json::from_value(vendor("guide-contact-sync--custom-fields-grouped.json")).unwrap();
    let bare_flat: model::CustomFieldList = serde_json::from_value(serde_json::json!([
        {"id": 7, "key": "PLAN", "displayName": "Plan", "type": "text"}
    ]))
    .unwrap();
    let keys = |list: model::CustomFieldList| {
        list.into_fields()
            .into_iter()
            .map(|f| f.key)
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(flat), ["COMPANY_SIZE"]);
    assert_eq!(keys(grouped), ["COMPANY_SIZE", "INDUSTRY", "NOTES"]);
    assert_eq!(keys(guide), ["FIRST_NAME"]);
    assert_eq!(keys(bare_flat), ["PLAN"]);
}

#[test]
fn the_older_display_name_spelling_is_kept() {
    let created: model::CustomFieldCreated =
        serde_json::from_value(vendor("custom-fields-create--response-older.json")).unwrap();
    let field = created.into_field();
    assert_eq!(field.display_name, None);
    assert_eq!(field.label(), Some("Company Size"));
}

#[test]
fn upsert_contact_id_is_read_from_every_documented_shape() {
    for (file, id) in [
        // The header panel's id is the placeholder "<string>".
        ("contacts-upsert--response.json", None),
        ("contacts-upsert--response-panel.json", Some(12345)),
        ("overview-conventions--response-success.json", None),
    ] {
        let result: model::UpsertResult = serde_json::from_value(vendor(file)).unwrap();
        assert!(result.names_an_id(), "{file}");
        assert_eq!(result.contact_id(), id, "{file}");
    }
    let number: model::UpsertResult = serde_json::from_str(r#"[{"contactId": 12345}]"#).unwrap();
    assert_eq!(number.contact_id(), Some(12345));
    let null: model::UpsertResult = serde_json::from_str(r#"[{"contactId": null}]"#).unwrap();
    assert_eq!(null.contact_id(), None);
}

#[test]
fn unknown_error_codes_and_extra_keys_decode() {
    let error: model::ErrorResponse = serde_json::from_str(
        r#"{"error": {"code": "brand_new_code", "message": "m", "details": {"x": [1]}}, "trace": "t"}"#,
    )
    .unwrap();
    assert_eq!(error.error.code(), Some("brand_new_code"));
}
