//! The lists of operations kept by hand stay tied to the spec: the runtime's retry table and
//! the fake's operation ids name exactly the spec's operations. Adding an operation to the
//! spec without a retry class or a fake route fails here (see ARCHITECTURE.md, "Adding an
//! operation").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use minimo_api::runtime::{OPERATIONS, RetryClass};
use minimo_tests::spec_path;
use serde_json::Value;

/// `(operationId, method)` of every operation of the spec.
fn spec_operations() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(spec_path()).unwrap();
    let spec: Value = serde_norway::from_str(&text).unwrap();
    let mut found = Vec::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                found.push((id.to_owned(), method.clone()));
            }
        }
    }
    assert!(found.len() >= 6, "{found:?}");
    found
}

/// `upsertContact` -> `upsert_contact`, as progenitor names operations.
fn snake_case(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[test]
fn the_retry_table_classifies_exactly_the_spec_operations() {
    let spec: BTreeSet<String> = spec_operations()
        .iter()
        .map(|(id, _)| snake_case(id))
        .collect();
    let table: BTreeSet<String> = OPERATIONS.iter().map(|(id, _)| (*id).to_owned()).collect();
    assert_eq!(spec, table, "the retry table and the spec disagree");
    // POST creates or matches: never retried when it may have been processed.
    for (id, method) in spec_operations() {
        let class = RetryClass::for_operation(&snake_case(&id));
        let expected = if method == "post" {
            RetryClass::NotProcessed
        } else {
            RetryClass::Idempotent
        };
        assert_eq!(class, expected, "{id} ({method})");
    }
}

#[test]
fn the_fake_serves_exactly_the_spec_operations() {
    let spec: BTreeSet<String> = spec_operations().into_iter().map(|(id, _)| id).collect();
    let fake: BTreeSet<String> = minimo_fake::OPERATION_IDS
        .iter()
        .map(|id| (*id).to_owned())
        .collect();
    assert_eq!(spec, fake, "the fake's operations and the spec disagree");
}
