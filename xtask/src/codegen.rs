//! `cargo xtask codegen`: spec (3.1 YAML) -> normalized 3.0 JSON -> progenitor -> `generated.rs`.
//!
//! [`generate`] is pure: it takes the spec's text and returns every output in memory, so the
//! command, `--check` and the staleness test all share one code path.

use crate::{normalize, preflight};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// Workspace-relative path of the spec.
pub const SPEC: &str = "openapi/minimo-contacts.yaml";
/// Workspace-relative path of the normalized 3.0 document.
pub const SPEC_30: &str = "openapi/minimo-contacts.3.0.json";
/// Workspace-relative path of the generated client.
pub const GENERATED: &str = "minimo-api/src/generated.rs";

/// Schemas replaced by handwritten types in `minimo-api/src/pii.rs`, whose Debug output masks
/// the personal data they hold.
pub const PII_TYPES: &[(&str, &str)] = &[
    ("EmailAddress", "crate::pii::EmailAddress"),
    ("PhoneNumber", "crate::pii::PhoneNumber"),
    ("PersonName", "crate::pii::PersonName"),
    ("CustomFieldValues", "crate::pii::CustomFieldValues"),
    ("ExtraValue", "crate::pii::ExtraValue"),
];

/// Schemas replaced by the handwritten read models of `minimo-api/src/model/`: bodies the
/// vendor documents in several shapes (wrapped in `data` or bare, an id as a string, an array
/// or an object) are decoded tolerantly and in one pass, and the contact keeps keys the spec
/// does not name. progenitor would turn each `oneOf` into an untagged enum (serde buffers the
/// whole body and decodes it again per variant) and drop unknown keys.
pub const MODEL_TYPES: &[(&str, &str)] = &[
    ("Contact", "crate::model::Contact"),
    ("ContactLookup", "crate::model::ContactLookup"),
    ("UpsertResult", "crate::model::UpsertResult"),
    ("UpdateResult", "crate::model::UpdateResult"),
    ("CustomFieldCreated", "crate::model::CustomFieldCreated"),
    ("CustomFieldList", "crate::model::CustomFieldList"),
    ("ErrorResponse", "crate::model::ErrorResponse"),
    ("ErrorBody", "crate::model::ErrorBody"),
];

/// The function that percent-encodes path parameters in the generated client: progenitor's
/// own `encode_path` leaves `+`, `&`, `=` and other sub-delimiters raw, which a server or
/// proxy may decode as something else (`+` as a space); ours encodes everything outside the
/// unreserved set, as `encodeURIComponent` does.
pub const PATH_ENCODER: &str = "crate::runtime::encode_path";

/// Why the spec could not be turned into a client.
#[derive(Debug)]
pub enum Error {
    /// The spec is not valid YAML.
    Yaml {
        /// 1-based line of the problem, when known.
        line: Option<usize>,
        /// 1-based column of the problem, when known.
        column: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// The document is YAML but not something normalization or progenitor can take.
    Spec(normalize::Error),
    /// progenitor failed (or panicked) on a document that passed every check.
    Generator(String),
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Yaml {
                line: Some(line),
                column: Some(column),
                message,
            } => {
                write!(f, "invalid YAML at line {line}, column {column}: {message}")
            }
            Error::Yaml { message, .. } => write!(f, "invalid YAML: {message}"),
            Error::Spec(e) => write!(f, "unsupported spec: {e}"),
            Error::Generator(message) => write!(f, "progenitor failed: {message}"),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {}

impl From<normalize::Error> for Error {
    fn from(e: normalize::Error) -> Self {
        Error::Spec(e)
    }
}

/// Everything one run of codegen produces, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outputs {
    /// Hex SHA-256 of the spec's bytes.
    pub spec_sha256: String,
    /// The normalized 3.0 document, pretty-printed JSON with a trailing newline.
    pub spec_30_json: String,
    /// The generated client source.
    pub generated_rs: String,
}

impl Outputs {
    /// Each output with its workspace-relative path.
    pub fn files(&self) -> [(&'static str, &str); 2] {
        [
            (SPEC_30, &self.spec_30_json),
            (GENERATED, &self.generated_rs),
        ]
    }
}

/// Parses YAML text into a JSON value, with line and column on failure.
pub fn parse_yaml(text: &str) -> Result<Value, Error> {
    serde_norway::from_str::<Value>(text).map_err(|e| {
        let location = e.location();
        Error::Yaml {
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message: e.to_string(),
        }
    })
}

/// Normalizes a parsed spec and checks it for shapes progenitor cannot take.
pub fn normalized(mut doc: Value) -> Result<Value, Error> {
    normalize::normalize(&mut doc)?;
    preflight::check(&doc)?;
    check_pii_types(&doc)?;
    Ok(doc)
}

/// The masking of personal data depends on spec names: a string property named `email`,
/// `phone`, `firstName` or `lastName` must use the schemas of [`PII_TYPES`] rather than an
/// inline `type: string`; a request body's free-form extra keys must use a masked schema too;
/// and when a spec has such properties each of those schemas must exist (a replacement of a
/// missing schema silently does nothing). Every replaced schema must exist as well.
fn check_pii_types(doc: &Value) -> Result<(), Error> {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let mut personal_data = false;
    for (name, schema) in schemas.into_iter().flatten() {
        for (property, sub) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let wanted = match property.to_ascii_lowercase().as_str() {
                "email" => "EmailAddress",
                "phone" => "PhoneNumber",
                "firstname" | "lastname" => "PersonName",
                _ => continue,
            };
            match sub.get("type").and_then(Value::as_str) {
                Some("string") => {
                    return Err(Error::Spec(normalize::Error {
                        pointer: format!(
                            "/components/schemas/{}/properties/{}",
                            normalize::escape_token(name),
                            normalize::escape_token(property)
                        ),
                        message: format!(
                            "an inline string `{property}` would print unmasked: use `$ref: '#/components/schemas/{wanted}'`"
                        ),
                    }));
                }
                // `marketingConsent.email` is a boolean: not personal data.
                Some("boolean") => {}
                _ => personal_data = true,
            }
        }
    }
    for name in request_body_schemas(doc) {
        let free_form = schemas
            .and_then(|s| s.get(&name))
            .and_then(|schema| schema.get("additionalProperties"))
            .is_some_and(|extra| {
                extra == &Value::Bool(true) || extra.as_object().is_some_and(|o| o.is_empty())
            });
        if free_form {
            return Err(Error::Spec(normalize::Error {
                pointer: format!(
                    "/components/schemas/{}/additionalProperties",
                    normalize::escape_token(&name)
                ),
                message: "extra keys of a request body would print unmasked: use `$ref: '#/components/schemas/ExtraValue'`".to_owned(),
            }));
        }
    }
    let has = |name: &str| schemas.is_some_and(|s| s.contains_key(name));
    let mut required: Vec<(&str, &str, &str)> = Vec::new();
    if personal_data {
        required.extend(
            PII_TYPES
                .iter()
                .map(|(name, rust)| (*name, *rust, "whose Debug output is masked")),
        );
    }
    // The read models come as a set: a spec with one of them must keep every name, or a
    // rename would silently give back a strict, slow generated type.
    if MODEL_TYPES.iter().any(|(name, _)| has(name)) {
        required.extend(
            MODEL_TYPES
                .iter()
                .map(|(name, rust)| (*name, *rust, "the tolerant read model")),
        );
    }
    for (name, rust_type, what) in required {
        if !has(name) {
            return Err(Error::Spec(normalize::Error {
                pointer: format!("/components/schemas/{name}"),
                message: format!("missing: codegen replaces `{name}` with `{rust_type}`, {what}"),
            }));
        }
    }
    Ok(())
}

/// The component schemas request bodies refer to.
fn request_body_schemas(doc: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for item in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
    {
        for op in item.as_object().into_iter().flat_map(|item| item.values()) {
            let reference = op
                .pointer("/requestBody/content/application~1json/schema/$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"));
            if let Some(name) = reference {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// Runs the whole pipeline on the spec's text.
pub fn generate(spec_text: &str) -> Result<Outputs, Error> {
    let spec_sha256 = hex(&Sha256::digest(spec_text.as_bytes()));
    let mut doc = normalized(parse_yaml(spec_text)?)?;
    if let Some(obj) = doc.as_object_mut() {
        obj.insert(
            "x-generated".into(),
            Value::String(format!(
                "@generated by `cargo xtask codegen` from {SPEC} (sha256 {spec_sha256}); do not edit by hand"
            )),
        );
    }
    let mut spec_30_json =
        serde_json::to_string_pretty(&doc).map_err(|e| Error::Generator(e.to_string()))?;
    spec_30_json.push('\n');

    let openapi: openapiv3::OpenAPI = serde_path_to_error::deserialize(&doc).map_err(|e| {
        let (pointer, message) = refine(&doc, json_pointer(e.path()), e.inner().to_string());
        Error::Spec(normalize::Error { pointer, message })
    })?;
    let generated_rs = render_client(&openapi, &spec_sha256)?;
    Ok(Outputs {
        spec_sha256,
        spec_30_json,
        generated_rs,
    })
}

fn render_client(openapi: &openapiv3::OpenAPI, spec_sha256: &str) -> Result<String, Error> {
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(
            "crate::runtime::Runtime"
                .parse()
                .map_err(|e| Error::Generator(format!("{e:?}")))?,
        )
        .with_derive("PartialEq")
        // Ordered maps, so the extra keys of a request body go out in a stable order.
        .with_map_type("::std::collections::BTreeMap");
    // Personal data gets types whose Debug output is masked (minimo-api/src/pii.rs); bodies
    // with several documented shapes get the tolerant read models (minimo-api/src/model/).
    for (schema, rust_type) in PII_TYPES.iter().chain(MODEL_TYPES) {
        settings.with_replacement(schema, rust_type, std::iter::empty());
    }
    let mut generator = progenitor::Generator::new(&settings);
    // progenitor asserts on some shapes the preflight does not know yet; a panic there must
    // still come out as an error, not abort the command.
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(openapi)
    }))
    .map_err(|panic| Error::Generator(panic_message(&panic)))?
    .map_err(|e| Error::Generator(e.to_string()))?;
    let mut file = syn::parse2::<syn::File>(tokens)
        .map_err(|e| Error::Generator(format!("unparsable output: {e}")))?;
    use_path_encoder(&mut file)?;
    drop_api_version_header(&mut file, operation_count(openapi))?;
    use_parsed_base_url(&mut file, operation_count(openapi))?;
    file.items.push(bodyless_successes(openapi)?);
    // progenitor's usage snippets are marked `ignore`, which rustdoc reports as ignored
    // tests; they are illustrations, so they become `text` blocks.
    let body =
        default_extra_maps(&prettyplease::unparse(&file).replace("```ignore\n", "```text\n"));
    Ok(format!(
        "// @generated by `cargo xtask codegen` from {SPEC}; do not edit by hand.\n\
         // Change the spec (or xtask/src/codegen.rs) and regenerate instead.\n\
         // spec sha256: {spec_sha256}\n\n{body}"
    ))
}

/// Replaces progenitor's `encode_path` by [`PATH_ENCODER`]: the top-level
/// `use progenitor_client::{encode_path, ..}` loses that name and a `use` of ours takes its
/// place, so every `encode_path(..)` call of the generated code (the builders reach it through
/// `super::`) encodes with the strict set. An output without that import is an error: the
/// generator changed and this rule must be revisited.
fn use_path_encoder(file: &mut syn::File) -> Result<(), Error> {
    fn drop_name(tree: &mut syn::UseTree, name: &str) -> bool {
        match tree {
            syn::UseTree::Path(path) => drop_name(&mut path.tree, name),
            syn::UseTree::Group(group) => {
                let before = group.items.len();
                group.items = std::mem::take(&mut group.items)
                    .into_iter()
                    .filter(|item| !matches!(item, syn::UseTree::Name(n) if n.ident == name))
                    .collect();
                before != group.items.len()
            }
            _ => false,
        }
    }
    let mut found = 0;
    for item in &mut file.items {
        if let syn::Item::Use(item) = item
            && matches!(&item.tree, syn::UseTree::Path(p) if p.ident == "progenitor_client")
            && drop_name(&mut item.tree, "encode_path")
        {
            found += 1;
        }
    }
    if found != 1 {
        return Err(Error::Generator(format!(
            "expected one top-level import of progenitor_client's `encode_path`, found {found}"
        )));
    }
    let encoder: syn::ItemUse = syn::parse_str(&format!("use {PATH_ENCODER};"))
        .map_err(|e| Error::Generator(format!("unparsable path encoder: {e}")))?;
    file.items.insert(0, syn::Item::Use(encoder));
    Ok(())
}

/// The operations of the document.
fn operations(openapi: &openapiv3::OpenAPI) -> impl Iterator<Item = &openapiv3::Operation> {
    openapi
        .paths
        .paths
        .values()
        .filter_map(|item| item.as_item())
        .flat_map(|item| item.iter().map(|(_, op)| op))
}

fn operation_count(openapi: &openapiv3::OpenAPI) -> usize {
    operations(openapi).count()
}

/// progenitor sends `api-version: <info.version>` with every request (a Dropshot convention
/// the Minimo API does not have), building a header map per call for it. Each operation's
/// `let mut header_map = ..; header_map.append("api-version", ..)` and the `.headers(header_map)`
/// it feeds are removed, so the header is never built nor sent. An operation with other
/// header parameters keeps its map without the `api-version` entry. Every operation must have
/// lost its `api-version` append, or the generator changed and this rule must be revisited.
fn drop_api_version_header(file: &mut syn::File, operations: usize) -> Result<(), Error> {
    use syn::visit_mut::VisitMut;

    /// Whether `stmt` is `header_map.append(HeaderName::from_static("api-version"), ..);`.
    fn is_api_version_append(stmt: &syn::Stmt) -> bool {
        let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else {
            return false;
        };
        call.method == "append"
            && matches!(&*call.receiver, syn::Expr::Path(p) if p.path.is_ident("header_map"))
            && quote::ToTokens::to_token_stream(&call.args)
                .to_string()
                .contains("\"api-version\"")
    }

    fn mentions_header_map(stmt: &syn::Stmt) -> bool {
        quote::ToTokens::to_token_stream(stmt)
            .to_string()
            .contains("header_map")
    }

    /// Removes `.headers(header_map)` from method chains.
    struct DropHeadersCall;
    impl VisitMut for DropHeadersCall {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            if let syn::Expr::MethodCall(call) = expr
                && call.method == "headers"
                && call.args.len() == 1
                && matches!(call.args.first(), Some(syn::Expr::Path(p)) if p.path.is_ident("header_map"))
            {
                *expr = (*call.receiver).clone();
            }
        }
    }

    struct Rewrite {
        removed: usize,
    }
    impl VisitMut for Rewrite {
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            syn::visit_mut::visit_block_mut(self, block);
            let before = block.stmts.len();
            block.stmts.retain(|stmt| !is_api_version_append(stmt));
            let removed = before - block.stmts.len();
            if removed == 0 {
                return;
            }
            self.removed += removed;
            // The map is now empty: drop its `let` and the `.headers(header_map)` it fed,
            // unless other statements still use it.
            let is_local = |stmt: &syn::Stmt| {
                matches!(stmt, syn::Stmt::Local(local)
                    if quote::ToTokens::to_token_stream(&local.pat).to_string().contains("header_map"))
            };
            let other_uses = block
                .stmts
                .iter()
                .filter(|stmt| !is_local(stmt) && mentions_header_map(stmt))
                .filter(|stmt| {
                    let text = quote::ToTokens::to_token_stream(*stmt).to_string();
                    !text.contains(". headers (header_map)")
                })
                .count();
            if other_uses == 0 {
                block.stmts.retain(|stmt| !is_local(stmt));
                for stmt in &mut block.stmts {
                    DropHeadersCall.visit_stmt_mut(stmt);
                }
            }
        }
    }

    let mut rewrite = Rewrite { removed: 0 };
    rewrite.visit_file_mut(file);
    if rewrite.removed != operations {
        return Err(Error::Generator(format!(
            "expected to drop the api-version header of {operations} operations, dropped {}",
            rewrite.removed
        )));
    }
    Ok(())
}

/// progenitor builds each request's URL as `format!("{}/path", client.baseurl, ..)`, which
/// reqwest then parses whole (scheme, host, port, path) on every call: the largest single cost
/// of a call on a fast network. Each such `let url = format!(..)` becomes
/// `crate::runtime::endpoint(&client.baseurl, client.inner(), format_args!("/path", ..))`, which
/// parses the base URL once per client and sets only the path of a copy of it; an invalid
/// base is reported as progenitor's own `Error::InvalidRequest`. Every operation must have
/// been rewritten, or the generator changed and this rule must be revisited.
fn use_parsed_base_url(file: &mut syn::File, operations: usize) -> Result<(), Error> {
    use syn::visit_mut::VisitMut;

    struct Rewrite {
        rewritten: usize,
        problem: Option<String>,
    }
    impl VisitMut for Rewrite {
        fn visit_stmt_mut(&mut self, stmt: &mut syn::Stmt) {
            syn::visit_mut::visit_stmt_mut(self, stmt);
            let syn::Stmt::Local(local) = stmt else {
                return;
            };
            if !matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "url") {
                return;
            }
            let Some(syn::Expr::Macro(mac)) = local.init.as_ref().map(|init| &*init.expr) else {
                return;
            };
            if !mac.mac.path.is_ident("format") {
                return;
            }
            let args = match mac.mac.parse_body_with(
                syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
            ) {
                Ok(args) => args,
                Err(e) => {
                    self.problem = Some(format!("unreadable URL format: {e}"));
                    return;
                }
            };
            let mut args = args.into_iter();
            let (Some(syn::Expr::Lit(template)), Some(base)) = (args.next(), args.next()) else {
                self.problem = Some("a URL format without its template and base".to_owned());
                return;
            };
            let syn::Lit::Str(template) = template.lit else {
                self.problem = Some("a URL template that is not a string".to_owned());
                return;
            };
            let Some(path) = template.value().strip_prefix("{}").map(str::to_owned) else {
                self.problem = Some("a URL template that does not start with the base".to_owned());
                return;
            };
            if quote::ToTokens::to_token_stream(&base).to_string() != "client . baseurl" {
                self.problem = Some("a URL format whose base is not client.baseurl".to_owned());
                return;
            }
            let path = syn::LitStr::new(&path, template.span());
            let mut rest: Vec<syn::Expr> = args.collect();
            // progenitor passes `encode_path(&value.to_string())`; ours takes any `Display`
            // and writes it through the encoder, so the copy is dropped.
            for arg in &mut rest {
                if let syn::Expr::Call(call) = arg
                    && matches!(&*call.func, syn::Expr::Path(p) if p.path.is_ident("encode_path"))
                    && let Some(syn::Expr::Reference(reference)) = call.args.first_mut()
                    && let syn::Expr::MethodCall(method) = &*reference.expr
                    && method.method == "to_string"
                    && method.args.is_empty()
                {
                    let value = (*method.receiver).clone();
                    *reference.expr = value;
                }
            }
            *stmt = syn::parse_quote! {
                let url = crate::runtime::endpoint(
                    &client.baseurl,
                    client.inner(),
                    format_args!(#path, #(#rest),*),
                )
                .map_err(Error::InvalidRequest)?;
            };
            self.rewritten += 1;
        }
    }

    let mut rewrite = Rewrite {
        rewritten: 0,
        problem: None,
    };
    rewrite.visit_file_mut(file);
    if let Some(problem) = rewrite.problem {
        return Err(Error::Generator(problem));
    }
    if rewrite.rewritten != operations {
        return Err(Error::Generator(format!(
            "expected to rewrite the URL of {operations} operations, rewrote {}",
            rewrite.rewritten
        )));
    }
    Ok(())
}

/// `minimo_api::runtime` must read (and so release) the body of an answer the generated code
/// never reads: the operations whose success response declares no content. This is that list,
/// from the spec, as an item of the generated file: `BODYLESS_SUCCESS`.
fn bodyless_successes(openapi: &openapiv3::OpenAPI) -> Result<syn::Item, Error> {
    let mut ids: Vec<String> = operations(openapi)
        .filter(|op| {
            op.responses.responses.iter().any(|(code, response)| {
                let success = match code {
                    openapiv3::StatusCode::Code(code) => (200..300).contains(code),
                    openapiv3::StatusCode::Range(range) => *range == 2,
                };
                success
                    && response
                        .as_item()
                        .is_some_and(|response| response.content.is_empty())
            })
        })
        .filter_map(|op| op.operation_id.as_deref())
        .map(crate::surface::snake_case)
        .collect();
    ids.sort();
    let source = format!(
        "/// Operations whose successful answer the generated code does not read (their spec \
         response declares no content): the runtime reads and drops it, so the connection \
         is released. Written by codegen from the spec.\n\
         pub(crate) const BODYLESS_SUCCESS: &[&str] = &[{}];",
        ids.iter()
            .map(|id| format!("{id:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    syn::parse_str(&source).map_err(|e| Error::Generator(format!("bodyless list: {e}")))
}

/// typify marks the flattened `extra` map of a schema with `additionalProperties` as
/// required, so the generated builder (`types::ContactUpsert::builder()`) fails with "no value
/// supplied for extra" unless the caller sets an empty map. An absent map means no extra keys:
/// the builders start with an empty one.
pub fn default_extra_maps(generated: &str) -> String {
    generated.replace(
        r#"extra: Err("no value supplied for extra".to_string()),"#,
        "extra: Ok(Default::default()),",
    )
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panicked".to_owned()
    }
}

/// openapiv3 wraps most nodes in untagged enums (`ReferenceOr`), where serde loses the path.
/// When the error points at such a node, its children are decoded one by one with their
/// concrete type to find the deepest pointer that fails.
fn refine(doc: &Value, pointer: String, message: String) -> (String, String) {
    fn attempt<T: serde::de::DeserializeOwned>(
        value: &Value,
        base: &str,
    ) -> Option<(String, String)> {
        serde_path_to_error::deserialize::<_, T>(value)
            .err()
            .map(|e| {
                (
                    format!("{base}{}", json_pointer(e.path())),
                    e.inner().to_string(),
                )
            })
    }
    fn children(value: &Value) -> Vec<(String, &Value)> {
        match value {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (normalize::escape_token(k), v))
                .collect(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
            _ => Vec::new(),
        }
    }
    let mut found = (pointer, message);
    // Each step: where a node of a given kind sits, and how to decode it alone.
    loop {
        let (pointer, _) = &found;
        let Some(node) = doc.pointer(pointer) else {
            return found;
        };
        let tail: Vec<&str> = pointer.rsplit('/').take(2).collect();
        let deeper = match tail.as_slice() {
            ["paths", ..] => children(node)
                .into_iter()
                .find_map(|(k, v)| attempt::<openapiv3::PathItem>(v, &format!("{pointer}/{k}"))),
            ["parameters", ..] => children(node)
                .into_iter()
                .find_map(|(k, v)| attempt::<openapiv3::Parameter>(v, &format!("{pointer}/{k}"))),
            ["responses", ..] => children(node)
                .into_iter()
                .find_map(|(k, v)| attempt::<openapiv3::Response>(v, &format!("{pointer}/{k}"))),
            ["schemas", "components"] => children(node)
                .into_iter()
                .find_map(|(k, v)| attempt::<openapiv3::Schema>(v, &format!("{pointer}/{k}"))),
            ["requestBody", ..] => attempt::<openapiv3::RequestBody>(node, pointer),
            _ => None,
        };
        match deeper {
            Some(next) if next.0.len() > found.0.len() => found = next,
            _ => return found,
        }
    }
}

fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push_str(&normalize::escape_token(key));
            }
            Segment::Unknown => pointer.push('?'),
        }
    }
    pointer
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the spec under `root` and generates every output.
pub fn generate_from(root: &Path) -> Result<Outputs, Error> {
    let path = root.join(SPEC);
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io { path, source })?;
    generate(&text)
}

/// The outputs whose checked-in copy under `root` differs from `outputs` (or is missing).
pub fn stale_files(root: &Path, outputs: &Outputs) -> Vec<&'static str> {
    outputs
        .files()
        .into_iter()
        .filter(|(path, content)| {
            std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(*content)
        })
        .map(|(path, _)| path)
        .collect()
}

/// Writes the outputs under `root`, skipping files already up to date. Returns what it wrote.
pub fn write(root: &Path, outputs: &Outputs) -> Result<Vec<&'static str>, Error> {
    let stale = stale_files(root, outputs);
    for (path, content) in outputs.files() {
        if stale.contains(&path) {
            let full = root.join(path);
            std::fs::write(&full, content).map_err(|source| Error::Io { path: full, source })?;
        }
    }
    Ok(stale)
}
