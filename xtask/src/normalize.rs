//! Rewrites an OpenAPI 3.1 document into the 3.0 subset progenitor 0.15 reads.
//!
//! progenitor parses with `openapiv3` (3.0 only) and asserts on several legal shapes, so the
//! spec we write (3.1, like the vendor's own) is normalized first. Each rewrite is one small
//! named function over the JSON value; [`RULES`] lists them in the order they run, and each has
//! a fixture under `xtask/tests/fixtures/normalize/` with a snapshot of its output.
//!
//! A construct a rule cannot express in 3.0 is an [`Error`] naming the JSON pointer of the
//! offending node; nothing here panics.

use serde_json::{Map, Value, json};
use std::fmt;

/// A document this module cannot normalize, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// JSON pointer (RFC 6901) of the offending node, e.g. `/components/schemas/Contact/type`.
    pub pointer: String,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", display_pointer(&self.pointer), self.message)
    }
}

impl std::error::Error for Error {}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

fn error(pointer: &str, message: impl Into<String>) -> Error {
    Error {
        pointer: pointer.to_owned(),
        message: message.into(),
    }
}

/// One rewrite: its name (as used by fixtures and snapshots) and the function.
pub struct Rule {
    /// Name of the rule, also the name of its fixture file.
    pub name: &'static str,
    /// What the rule rewrites, in one line.
    pub summary: &'static str,
    /// The rewrite itself.
    pub apply: fn(&mut Value) -> Result<(), Error>,
}

/// Every rule, in the order [`normalize`] applies them.
pub const RULES: &[Rule] = &[
    Rule {
        name: "openapi_version",
        summary: "accept 3.0.x and 3.1.x; relabel 3.1 as 3.0.3; reject anything else",
        apply: openapi_version,
    },
    Rule {
        name: "drop_31_only_fields",
        summary: "drop fields 3.0 has no place for (info.summary, license.identifier, jsonSchemaDialect, webhooks)",
        apply: drop_31_only_fields,
    },
    Rule {
        name: "record_path_servers",
        summary: "move path- and operation-level `servers` to `x-minimo-servers` (progenitor ignores them)",
        apply: record_path_servers,
    },
    Rule {
        name: "problem_json",
        summary: "`application/problem+json` content becomes `application/json`",
        apply: problem_json,
    },
    Rule {
        name: "type_arrays",
        summary: "`type: [T, \"null\"]` becomes `type: T` + `nullable: true`",
        apply: type_arrays,
    },
    Rule {
        name: "null_variants",
        summary: "`anyOf`/`oneOf` with a `{type: null}` branch becomes the other branch + `nullable`",
        apply: null_variants,
    },
    Rule {
        name: "const_to_enum",
        summary: "`const: v` becomes `enum: [v]`",
        apply: const_to_enum,
    },
    Rule {
        name: "exclusive_bounds",
        summary: "numeric `exclusiveMinimum`/`exclusiveMaximum` become a bound + boolean flag",
        apply: exclusive_bounds,
    },
    Rule {
        name: "schema_examples",
        summary: "schema `examples: [a, ..]` becomes `example: a`",
        apply: schema_examples,
    },
    Rule {
        name: "free_form_beside_properties",
        summary: "`additionalProperties: true` beside `properties` becomes `{}` (keeps the extra keys)",
        apply: free_form_beside_properties,
    },
    Rule {
        name: "default_responses",
        summary: "a `default` response becomes `4XX` and `5XX` (progenitor asserts on `default`)",
        apply: default_responses,
    },
    Rule {
        name: "one_error_body",
        summary: "every error response of an operation shares one body; body-less ones get it",
        apply: one_error_body,
    },
    Rule {
        name: "fold_error_codes",
        summary: "codes a `4XX`/`5XX` range with the same body covers are folded into it",
        apply: fold_error_codes,
    },
];

/// Applies every rule of [`RULES`] in order.
pub fn normalize(doc: &mut Value) -> Result<(), Error> {
    for rule in RULES {
        (rule.apply)(doc)?;
    }
    Ok(())
}

/// Escapes one JSON-pointer token (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_token(token))
}

/// The HTTP methods a path item can hold operations under.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Calls `f` on every operation object with its JSON pointer.
fn for_each_operation(
    doc: &mut Value,
    mut f: impl FnMut(&str, &mut Map<String, Value>) -> Result<(), Error>,
) -> Result<(), Error> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for (path, item) in paths.iter_mut() {
        let item_ptr = child("/paths", path);
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for method in METHODS {
            if let Some(Value::Object(op)) = item.get_mut(*method) {
                f(&child(&item_ptr, method), op)?;
            }
        }
    }
    Ok(())
}

/// Calls `f` on every JSON object below `value` (pre-order, parents first), with its pointer.
/// Objects created by `f` inside the node it is given are visited too.
fn walk_objects(
    value: &mut Value,
    pointer: &str,
    f: &mut impl FnMut(&str, &mut Map<String, Value>) -> Result<(), Error>,
) -> Result<(), Error> {
    match value {
        Value::Object(map) => {
            f(pointer, map)?;
            for (key, v) in map.iter_mut() {
                walk_objects(v, &child(pointer, key), f)?;
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                walk_objects(v, &child(pointer, &i.to_string()), f)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Calls `f` on every schema-shaped object: any object under `components/schemas`, or under a
/// `schema` key, with its pointer. Example values (`example`, `examples` of media types and
/// parameters, `default`, `enum`, `const`) are data and are never visited.
fn walk_schemas(
    doc: &mut Value,
    f: &mut impl FnMut(&str, &mut Map<String, Value>) -> Result<(), Error>,
) -> Result<(), Error> {
    fn visit(
        value: &mut Value,
        pointer: &str,
        in_schema: bool,
        f: &mut impl FnMut(&str, &mut Map<String, Value>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        match value {
            Value::Object(map) => {
                if in_schema {
                    f(pointer, map)?;
                }
                for (key, v) in map.iter_mut() {
                    let data = matches!(
                        key.as_str(),
                        "example" | "examples" | "default" | "enum" | "const"
                    );
                    if data {
                        continue;
                    }
                    let child_in_schema = if in_schema {
                        // Inside a schema, `properties` maps names to schemas: the map itself
                        // is not a schema but each value is.
                        !matches!(key.as_str(), "properties" | "patternProperties" | "$defs")
                            && !key.starts_with("x-")
                    } else {
                        key == "schema"
                    };
                    if in_schema
                        && matches!(key.as_str(), "properties" | "patternProperties" | "$defs")
                    {
                        if let Value::Object(props) = v {
                            let base = child(pointer, key);
                            for (name, s) in props.iter_mut() {
                                visit(s, &child(&base, name), true, f)?;
                            }
                        }
                        continue;
                    }
                    visit(v, &child(pointer, key), child_in_schema, f)?;
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    visit(v, &child(pointer, &i.to_string()), in_schema, f)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    for (key, value) in doc.as_object_mut().into_iter().flatten() {
        let pointer = child("", key);
        if key == "components" {
            if let Some(components) = value.as_object_mut() {
                for (section, v) in components.iter_mut() {
                    let section_ptr = child(&pointer, section);
                    if section == "schemas" {
                        if let Some(schemas) = v.as_object_mut() {
                            for (name, s) in schemas.iter_mut() {
                                visit(s, &child(&section_ptr, name), true, f)?;
                            }
                        }
                    } else {
                        visit(v, &section_ptr, false, f)?;
                    }
                }
            }
        } else {
            visit(value, &pointer, false, f)?;
        }
    }
    Ok(())
}

/// Accepts 3.0.x and 3.1.x documents and relabels 3.1 as 3.0.3; anything else is an error.
pub fn openapi_version(doc: &mut Value) -> Result<(), Error> {
    let Some(obj) = doc.as_object_mut() else {
        return Err(error(
            "",
            "an OpenAPI document must be a mapping at the top level",
        ));
    };
    let version = match obj.get("openapi") {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(error(
                "/openapi",
                format!("expected a version string, found {other}"),
            ));
        }
        None => {
            return Err(error(
                "/openapi",
                "missing: this does not look like an OpenAPI document",
            ));
        }
    };
    let mut parts = version.split('.');
    let (major, minor) = (parts.next(), parts.next());
    match (major, minor) {
        (Some("3"), Some("0")) => Ok(()),
        (Some("3"), Some("1")) => {
            obj.insert("openapi".into(), json!("3.0.3"));
            Ok(())
        }
        _ => Err(error(
            "/openapi",
            format!("unsupported OpenAPI version `{version}`: expected 3.0.x or 3.1.x"),
        )),
    }
}

/// Drops the 3.1-only fields 3.0 has no slot for. `webhooks` with content is an error: it would
/// silently lose operations.
pub fn drop_31_only_fields(doc: &mut Value) -> Result<(), Error> {
    let Some(obj) = doc.as_object_mut() else {
        return Ok(());
    };
    obj.remove("jsonSchemaDialect");
    match obj.get("webhooks") {
        Some(Value::Object(hooks)) if !hooks.is_empty() => {
            return Err(error(
                "/webhooks",
                "webhooks cannot be expressed in OpenAPI 3.0",
            ));
        }
        Some(_) => {
            obj.remove("webhooks");
        }
        None => {}
    }
    if let Some(info) = obj.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }
    Ok(())
}

/// Moves `servers` of path items and operations to `x-minimo-servers`: progenitor ignores them
/// (the base URL is a constructor argument), and keeping them as an extension keeps the
/// information in the reviewed 3.0 document.
pub fn record_path_servers(doc: &mut Value) -> Result<(), Error> {
    fn move_servers(obj: &mut Map<String, Value>) {
        if let Some(servers) = obj.remove("servers") {
            obj.insert("x-minimo-servers".into(), servers);
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        move_servers(item);
        for method in METHODS {
            if let Some(Value::Object(op)) = item.get_mut(*method) {
                move_servers(op);
            }
        }
    }
    Ok(())
}

/// progenitor treats only `application/json` as JSON; `application/problem+json` bodies are
/// relabelled (an existing `application/json` entry wins).
pub fn problem_json(doc: &mut Value) -> Result<(), Error> {
    walk_objects(doc, "", &mut |_, map| {
        if let Some(Value::Object(content)) = map.get_mut("content")
            && let Some(problem) = content.remove("application/problem+json")
        {
            content.entry("application/json").or_insert(problem);
        }
        Ok(())
    })
}

/// `type: [T, "null"]` becomes `type: T, nullable: true`. A type array with several non-null
/// types has no 3.0 spelling and is an error (write it as `oneOf`).
pub fn type_arrays(doc: &mut Value) -> Result<(), Error> {
    walk_schemas(doc, &mut |pointer, schema| {
        let Some(Value::Array(types)) = schema.get("type") else {
            return Ok(());
        };
        let nullable = types.iter().any(|t| t == "null");
        let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        match rest.as_slice() {
            [] => Err(error(
                &child(pointer, "type"),
                "a schema whose only type is null has no 3.0 equivalent",
            )),
            [single] => {
                schema.insert("type".into(), single.clone());
                if nullable {
                    schema.insert("nullable".into(), Value::Bool(true));
                }
                Ok(())
            }
            _ => Err(error(
                &child(pointer, "type"),
                format!(
                    "a type array with several non-null types ({}) is not supported: write it as oneOf",
                    Value::Array(rest.clone())
                ),
            )),
        }
    })
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").is_some_and(|t| t == "null") && v.as_object().is_some_and(|o| o.len() == 1)
}

/// `anyOf`/`oneOf` with a `{type: "null"}` branch: the null branch goes and the schema becomes
/// `nullable`. One branch left is inlined (a `$ref` is wrapped in `allOf`, since 3.0 ignores
/// siblings of `$ref`).
pub fn null_variants(doc: &mut Value) -> Result<(), Error> {
    walk_schemas(doc, &mut |_, schema| {
        for key in ["anyOf", "oneOf"] {
            let Some(Value::Array(branches)) = schema.get(key) else {
                continue;
            };
            if !branches.iter().any(is_null_schema) {
                continue;
            }
            let rest: Vec<Value> = branches
                .iter()
                .filter(|b| !is_null_schema(b))
                .cloned()
                .collect();
            schema.remove(key);
            schema.insert("nullable".into(), Value::Bool(true));
            match rest.as_slice() {
                [Value::Object(only)] if only.contains_key("$ref") => {
                    schema.insert("allOf".into(), Value::Array(rest));
                }
                [Value::Object(only)] => {
                    for (k, v) in only {
                        schema.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                _ => {
                    schema.insert(key.into(), Value::Array(rest));
                }
            }
        }
        Ok(())
    })
}

/// `const: v` becomes `enum: [v]` (progenitor turns `const` into an untyped value).
pub fn const_to_enum(doc: &mut Value) -> Result<(), Error> {
    walk_schemas(doc, &mut |_, schema| {
        if let Some(value) = schema.remove("const") {
            schema.insert("enum".into(), Value::Array(vec![value]));
        }
        Ok(())
    })
}

/// 3.1's numeric `exclusiveMinimum: n` becomes 3.0's `minimum: n, exclusiveMinimum: true`
/// (and likewise for the maximum).
pub fn exclusive_bounds(doc: &mut Value) -> Result<(), Error> {
    walk_schemas(doc, &mut |pointer, schema| {
        for (exclusive, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            let Some(value) = schema.get(exclusive) else {
                continue;
            };
            if !value.is_number() {
                continue;
            }
            let value = value.clone();
            if schema.contains_key(bound) {
                return Err(error(
                    &child(pointer, exclusive),
                    format!("both `{bound}` and a numeric `{exclusive}`: keep one"),
                ));
            }
            schema.insert(bound.into(), value);
            schema.insert(exclusive.into(), Value::Bool(true));
        }
        Ok(())
    })
}

/// A schema's `examples` array (3.1) becomes 3.0's single `example` (the first). Media-type and
/// parameter `examples` are maps of Example Objects, valid in 3.0, and are left alone.
pub fn schema_examples(doc: &mut Value) -> Result<(), Error> {
    walk_schemas(doc, &mut |_, schema| {
        if let Some(Value::Array(examples)) = schema.get("examples") {
            let first = examples.first().cloned();
            schema.remove("examples");
            if let Some(first) = first {
                schema.entry("example").or_insert(first);
            }
        }
        Ok(())
    })
}

/// `additionalProperties: true` next to `properties` makes progenitor drop the extra keys; `{}`
/// makes it keep them in a flattened map.
pub fn free_form_beside_properties(doc: &mut Value) -> Result<(), Error> {
    walk_schemas(doc, &mut |_, schema| {
        if schema.contains_key("properties")
            && schema.get("additionalProperties") == Some(&Value::Bool(true))
        {
            schema.insert("additionalProperties".into(), json!({}));
        }
        Ok(())
    })
}

/// progenitor asserts when a `default` response differs from the success body, so `default`
/// becomes explicit `4XX` and `5XX` ranges (codes already listed keep their own entry).
pub fn default_responses(doc: &mut Value) -> Result<(), Error> {
    for_each_operation(doc, |_, op| {
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return Ok(());
        };
        if let Some(default) = responses.remove("default") {
            responses.entry("4XX").or_insert_with(|| default.clone());
            responses.entry("5XX").or_insert(default);
        }
        Ok(())
    })
}

fn is_error_status(code: &str) -> bool {
    code.starts_with('4') || code.starts_with('5')
}

/// progenitor asserts unless all error responses of an operation share one body. Responses that
/// declare no content adopt the shared body (their description keeps what they mean); two
/// different bodies are an error naming the second one.
pub fn one_error_body(doc: &mut Value) -> Result<(), Error> {
    let components = doc
        .get("components")
        .and_then(|c| c.get("responses"))
        .cloned();
    let resolve = |response: &Value| -> Option<Value> {
        match response.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.strip_prefix("#/components/responses/")?;
                components.as_ref()?.get(name).cloned()
            }
            None => Some(response.clone()),
        }
    };
    for_each_operation(doc, |op_ptr, op| {
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return Ok(());
        };
        let mut shared: Option<(String, Value)> = None;
        let mut bodiless = Vec::new();
        for (code, response) in responses.iter() {
            if !is_error_status(code) {
                continue;
            }
            let pointer = child(&child(op_ptr, "responses"), code);
            let Some(resolved) = resolve(response) else {
                return Err(error(&pointer, "unresolvable response reference"));
            };
            let content = resolved.get("content").and_then(Value::as_object);
            let schema = content
                .and_then(|c| c.get("application/json"))
                .and_then(|m| m.get("schema"))
                .cloned();
            // Only a response that declares no body adopts the shared one: replacing a
            // declared non-JSON body (an HTML 502 page) would change what the spec says.
            if schema.is_none() && content.is_some_and(|c| !c.is_empty()) {
                return Err(error(
                    &child(&pointer, "content"),
                    "an error body that is not application/json cannot share the operation's error schema (progenitor needs one)",
                ));
            }
            match (schema, &shared) {
                (None, _) => bodiless.push((code.clone(), resolved)),
                (Some(schema), None) => shared = Some((pointer, schema)),
                (Some(schema), Some((first, shared_schema))) => {
                    if &schema != shared_schema {
                        return Err(error(
                            &pointer,
                            format!(
                                "this error body differs from the one at {first}; progenitor needs one error schema per operation"
                            ),
                        ));
                    }
                }
            }
        }
        if let Some((_, schema)) = shared {
            for (code, mut resolved) in bodiless {
                if let Value::Object(response) = &mut resolved {
                    response.insert(
                        "content".into(),
                        json!({ "application/json": { "schema": schema } }),
                    );
                }
                responses.insert(code, resolved);
            }
        }
        Ok(())
    })
}

/// Once a `4XX` or `5XX` range exists, progenitor matches it before the specific codes of its
/// class that sort after it, leaving match arms nothing can reach. A specific code whose body
/// schema is the range's is decoded alike by the range, so it is dropped (the 3.1 spec keeps
/// it, with its examples, as documentation); a code with another body stays.
pub fn fold_error_codes(doc: &mut Value) -> Result<(), Error> {
    let components = doc
        .get("components")
        .and_then(|c| c.get("responses"))
        .cloned();
    let body = |response: &Value| -> Option<Value> {
        let resolved = match response.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.strip_prefix("#/components/responses/")?;
                components.as_ref()?.get(name)?
            }
            None => response,
        };
        resolved
            .pointer("/content/application~1json/schema")
            .cloned()
    };
    for_each_operation(doc, |_, op| {
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return Ok(());
        };
        for class in ['4', '5'] {
            let Some(range_body) = responses.get(&format!("{class}XX")).map(&body) else {
                continue;
            };
            responses.retain(|code, response| {
                !(code.len() == 3
                    && code.starts_with(class)
                    && code.bytes().all(|b| b.is_ascii_digit())
                    && body(response) == range_body)
            });
        }
        Ok(())
    })
}
