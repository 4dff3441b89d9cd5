//! Checks, on the normalized 3.0 document, the shapes progenitor would panic on or silently
//! mangle, so that they surface as errors naming a JSON pointer instead.

use crate::normalize::{Error, escape_token};
use serde_json::Value;
use std::collections::BTreeMap;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Runs every check; the first failure is returned.
pub fn check(doc: &Value) -> Result<(), Error> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Err(err("/paths", "missing: a client needs at least one path"));
    };
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (path, item) in paths {
        let item_ptr = format!("/paths/{}", escape_token(path));
        if item.get("$ref").is_some() {
            return Err(err(
                &format!("{item_ptr}/$ref"),
                "path items given as $ref are not supported by progenitor",
            ));
        }
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let op_ptr = format!("{item_ptr}/{method}");
            let id = operation_id(op, &op_ptr)?;
            if let Some(first) = seen.insert(id.to_owned(), op_ptr.clone()) {
                return Err(err(
                    &format!("{op_ptr}/operationId"),
                    format!("duplicate operationId `{id}`, first used at {first}"),
                ));
            }
            request_media_types(op, &op_ptr)?;
            success_bodies(op, &op_ptr)?;
        }
    }
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            property_names(
                schema,
                &format!("/components/schemas/{}", escape_token(name)),
            )?;
        }
    }
    Ok(())
}

/// Two properties whose Rust field names coincide (`displayName` and `display_name`) make
/// progenitor emit a struct that does not compile.
fn property_names(schema: &Value, pointer: &str) -> Result<(), Error> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(());
    };
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (name, sub) in props {
        let field = crate::surface::snake_case(name);
        if let Some(first) = seen.insert(field.clone(), name) {
            return Err(err(
                &format!("{pointer}/properties/{}", escape_token(name)),
                format!("properties `{first}` and `{name}` both become the Rust field `{field}`"),
            ));
        }
        property_names(sub, &format!("{pointer}/properties/{}", escape_token(name)))?;
    }
    Ok(())
}

fn err(pointer: &str, message: impl Into<String>) -> Error {
    Error {
        pointer: pointer.to_owned(),
        message: message.into(),
    }
}

fn operation_id<'a>(op: &'a Value, op_ptr: &str) -> Result<&'a str, Error> {
    match op.get("operationId") {
        Some(Value::String(id)) if !id.trim().is_empty() => Ok(id),
        Some(_) => Err(err(
            &format!("{op_ptr}/operationId"),
            "operationId must be a non-empty string",
        )),
        None => Err(err(
            op_ptr,
            "missing operationId: progenitor names client methods after it",
        )),
    }
}

/// progenitor reaches `todo!()` on a request body with more than one media type.
fn request_media_types(op: &Value, op_ptr: &str) -> Result<(), Error> {
    let Some(content) = op
        .get("requestBody")
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
    else {
        return Ok(());
    };
    if content.len() > 1 {
        let types: Vec<&str> = content.keys().map(String::as_str).collect();
        return Err(err(
            &format!("{op_ptr}/requestBody/content"),
            format!(
                "several request media types ({}) are not supported by progenitor: keep one",
                types.join(", ")
            ),
        ));
    }
    Ok(())
}

/// progenitor asserts when the 2xx responses of an operation have different bodies.
fn success_bodies(op: &Value, op_ptr: &str) -> Result<(), Error> {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return Err(err(op_ptr, "missing responses"));
    };
    let mut first: Option<(String, Option<&Value>)> = None;
    for (code, response) in responses {
        if !code.starts_with('2') {
            continue;
        }
        let body = response.get("$ref").or_else(|| {
            response
                .get("content")
                .and_then(|c| c.get("application/json"))
                .and_then(|m| m.get("schema"))
        });
        match &first {
            None => first = Some((code.clone(), body)),
            Some((first_code, first_body)) if *first_body != body => {
                return Err(err(
                    &format!("{op_ptr}/responses/{code}"),
                    format!(
                        "success responses {first_code} and {code} have different bodies; progenitor needs one"
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    if first.is_none() {
        return Err(err(
            &format!("{op_ptr}/responses"),
            "no 2xx response: progenitor needs a success type",
        ));
    }
    Ok(())
}
