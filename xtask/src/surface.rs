//! A readable summary of the generated client's public surface, for snapshot review.
//!
//! For each operation: method, path, client method, parameters, body, success and error types;
//! then each generated type with its fields (and their JSON names) or variants. A spec change
//! then shows up in review as a small diff of this text rather than of `generated.rs`.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use syn::{Fields, GenericArgument, Item, PathArguments, ReturnType, Type};

/// Renders the surface of `generated` (the client source) against the normalized spec `doc`.
pub fn render(doc: &Value, generated: &str) -> Result<String, String> {
    let file =
        syn::parse_file(generated).map_err(|e| format!("generated.rs does not parse: {e}"))?;
    let mut out = String::new();
    let builders = builders(&file);
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let name = snake_case(id);
            let _ = writeln!(out, "{} {path}  ({id})", method.to_uppercase());
            let _ = writeln!(out, "  client.{name}()");
            match builders.get(&name) {
                Some(builder) => {
                    for (param, ty) in &builder.params {
                        let _ = writeln!(out, "    .{param}({ty})");
                    }
                    let _ = writeln!(out, "    .send() -> {}", builder.returns);
                }
                None => return Err(format!("no builder generated for operation `{id}`")),
            }
        }
    }
    out.push('\n');
    for item in module_items(&file, "types") {
        render_type(&mut out, item);
    }
    Ok(out)
}

struct Builder {
    params: Vec<(String, String)>,
    returns: String,
}

/// Builder structs in `mod builder`, keyed by the client method that returns them.
fn builders(file: &syn::File) -> BTreeMap<String, Builder> {
    let mut fields: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut returns: BTreeMap<String, String> = BTreeMap::new();
    for item in module_items(file, "builder") {
        match item {
            Item::Struct(s) => {
                let params = named_fields(&s.fields)
                    .into_iter()
                    .filter(|(name, _)| name != "client")
                    .map(|(name, ty)| (name, type_name(strip_result(ty))))
                    .collect();
                fields.insert(s.ident.to_string(), params);
            }
            Item::Impl(imp) => {
                let Type::Path(self_ty) = imp.self_ty.as_ref() else {
                    continue;
                };
                let Some(last) = self_ty.path.segments.last() else {
                    continue;
                };
                for it in &imp.items {
                    if let syn::ImplItem::Fn(f) = it
                        && f.sig.ident == "send"
                        && let ReturnType::Type(_, ty) = &f.sig.output
                    {
                        returns.insert(last.ident.to_string(), type_name(ty));
                    }
                }
            }
            _ => {}
        }
    }
    fields
        .into_iter()
        .filter_map(|(name, params)| {
            let returns = returns.remove(&name)?;
            Some((snake_case(&name), Builder { params, returns }))
        })
        .collect()
}

fn module_items<'a>(file: &'a syn::File, name: &str) -> Vec<&'a Item> {
    file.items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == name => {
                m.content.as_ref().map(|(_, items)| items.iter().collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}

fn render_type(out: &mut String, item: &Item) {
    match item {
        Item::Struct(s) => {
            let _ = writeln!(out, "struct {}", s.ident);
            match &s.fields {
                Fields::Unnamed(unnamed) => {
                    for f in &unnamed.unnamed {
                        let _ = writeln!(out, "  ({})", type_name(&f.ty));
                    }
                }
                _ => {
                    for f in s.fields.iter() {
                        let Some(ident) = &f.ident else { continue };
                        let json = serde_rename(&f.attrs).unwrap_or_else(|| ident.to_string());
                        let flatten = has_serde_word(&f.attrs, "flatten");
                        let json = if flatten {
                            "(flattened)".to_owned()
                        } else {
                            format!("\"{json}\"")
                        };
                        let _ = writeln!(out, "  {ident}: {}  {json}", type_name(&f.ty));
                    }
                }
            }
        }
        Item::Enum(e) => {
            let untagged = has_serde_word(&e.attrs, "untagged");
            let _ = writeln!(
                out,
                "enum {}{}",
                e.ident,
                if untagged { "  (untagged)" } else { "" }
            );
            for v in &e.variants {
                let json = serde_rename(&v.attrs)
                    .map(|r| format!("  \"{r}\""))
                    .unwrap_or_default();
                match &v.fields {
                    Fields::Unit => {
                        let _ = writeln!(out, "  {}{json}", v.ident);
                    }
                    fields => {
                        let inner: Vec<String> = fields.iter().map(|f| type_name(&f.ty)).collect();
                        let _ = writeln!(out, "  {}({}){json}", v.ident, inner.join(", "));
                    }
                }
            }
        }
        _ => {}
    }
}

fn named_fields(fields: &Fields) -> Vec<(String, &Type)> {
    fields
        .iter()
        .filter_map(|f| f.ident.as_ref().map(|i| (i.to_string(), &f.ty)))
        .collect()
}

/// Builder fields are `Result<T, String>` (conversion errors are kept until `send`).
fn strip_result(ty: &Type) -> &Type {
    if let Type::Path(p) = ty
        && let Some(seg) = p.path.segments.last()
        && seg.ident == "Result"
        && let PathArguments::AngleBracketed(args) = &seg.arguments
        && let Some(GenericArgument::Type(inner)) = args.args.first()
    {
        return inner;
    }
    ty
}

/// A type written with the last segment of each path only: `Option<Vec<types::Contact>>`
/// reads `Option<Vec<Contact>>`.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(p) => {
            let Some(seg) = p.path.segments.last() else {
                return String::new();
            };
            let mut s = seg.ident.to_string();
            if let PathArguments::AngleBracketed(args) = &seg.arguments {
                let inner: Vec<String> = args
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        GenericArgument::Type(t) => Some(type_name(t)),
                        _ => None,
                    })
                    .collect();
                if !inner.is_empty() {
                    let _ = write!(s, "<{}>", inner.join(", "));
                }
            }
            s
        }
        Type::Reference(r) => format!("&{}", type_name(&r.elem)),
        Type::Slice(s) => format!("[{}]", type_name(&s.elem)),
        Type::Tuple(t) => {
            let inner: Vec<String> = t.elems.iter().map(type_name).collect();
            format!("({})", inner.join(", "))
        }
        other => quote_string(other),
    }
}

fn quote_string(ty: &Type) -> String {
    use quote::ToTokens;
    ty.to_token_stream().to_string()
}

/// The `rename = "..."` value of a `#[serde(...)]` attribute, if any.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut rename = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                rename = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    rename
}

fn has_serde_word(attrs: &[syn::Attribute], word: &str) -> bool {
    let mut found = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(word) {
                found = true;
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    found
}

/// `upsertContact` and `UpsertContact` -> `upsert_contact`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}
