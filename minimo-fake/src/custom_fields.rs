//! The custom-field operations: list (flat or grouped by category) and create.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{Caller, JsonObject, opt_string, query_values};
use crate::state::Shared;
use crate::store::{CUSTOM_FIELD_TYPES, CustomFieldSeed, StoreError};

pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Caller(caller): Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let group_by = query_values(query.as_deref(), "groupBy");
    if let Some(bad) = group_by.iter().find(|v| v.as_str() != "category") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_group_by",
            "groupBy must be category",
        )
        .with_details(json!({ "field": "groupBy", "value": bad })));
    }
    let fields = shared.store.custom_fields(caller.company);
    if group_by.is_empty() {
        let data: Vec<Value> = fields.iter().map(|f| f.to_json()).collect();
        return Ok(Json(json!({ "data": data })).into_response());
    }
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for field in &fields {
        let category = field
            .category
            .clone()
            .unwrap_or_else(|| "uncategorized".to_owned());
        groups.entry(category).or_default().push(field.to_json());
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(category, fields)| json!({ "category": category, "fields": fields }))
        .collect();
    Ok(Json(json!({ "data": { "groups": groups, "total": fields.len() } })).into_response())
}

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let required = |field: &str| -> Result<String, ApiError> {
        match opt_string(&body, field)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(ApiError::validation(
                field,
                "key, displayName and type are required",
            )),
        }
    };
    let key = required("key")?;
    let display_name = required("displayName")?;
    let field_type = required("type")?;
    if !CUSTOM_FIELD_TYPES.contains(&field_type.as_str()) {
        return Err(ApiError::validation(
            "type",
            format!("type must be one of {}", CUSTOM_FIELD_TYPES.join(", ")),
        )
        .with_details(json!({ "field": "type", "value": field_type })));
    }
    let category = opt_string(&body, "category")?.filter(|c| !c.trim().is_empty());
    let options = match body.get("options") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ApiError::validation("options", "options must be an array of strings")
            })?,
        Some(_) => {
            return Err(ApiError::validation(
                "options",
                "options must be an array of strings",
            ));
        }
    };
    let mut seed = CustomFieldSeed::new(key, display_name, field_type).options(options);
    seed.category = category;
    match shared.store.insert_custom_field(caller.company, seed) {
        Ok(field) => Ok((
            StatusCode::CREATED,
            Json(json!({ "data": field.to_json() })),
        )
            .into_response()),
        Err(StoreError::DuplicateKey(key)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "duplicate_resource",
            "key already exists",
        )
        .with_details(json!({ "field": "key", "value": key }))),
    }
}
