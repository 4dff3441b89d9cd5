//! The admin routes under `/__fake/` (not part of the spec): health, faults, journal,
//! statistics, store and reset. They need no key and are neither journaled nor counted.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::JsonObject;
use crate::faults::Fault;
use crate::journal::JournalEntry;
use crate::state::Shared;

pub(crate) async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub(crate) async fn faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let faults: Vec<Value> = shared.faults.pending().iter().map(Fault::to_json).collect();
    Json(json!({ "faults": faults }))
}

pub(crate) async fn push_fault(
    State(shared): State<Arc<Shared>>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let fault = Fault::from_json(&Value::Object(body)).map_err(ApiError::bad_request)?;
    let rendered = fault.to_json();
    shared.faults.push(fault);
    Ok((StatusCode::CREATED, Json(json!({ "queued": rendered }))).into_response())
}

pub(crate) async fn clear_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.faults.clear();
    Json(json!({ "cleared": true }))
}

pub(crate) async fn journal(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let entries: Vec<Value> = shared
        .journal
        .entries()
        .iter()
        .map(JournalEntry::to_json)
        .collect();
    Json(json!({ "entries": entries }))
}

pub(crate) async fn clear_journal(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.journal.clear();
    Json(json!({ "cleared": true }))
}

pub(crate) async fn stats(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(shared.stats.snapshot().to_json())
}

pub(crate) async fn store(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let mut contacts = Vec::new();
    let mut fields = Vec::new();
    for company in shared.keys.companies() {
        contacts.extend(
            shared
                .store
                .contacts(company)
                .iter()
                .map(|c| c.to_store_json()),
        );
        fields.extend(shared.store.custom_fields(company).iter().map(|f| {
            let mut v = f.to_json();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("company".to_owned(), json!(f.company));
            }
            v
        }));
    }
    Json(json!({ "contacts": contacts, "customFields": fields }))
}

pub(crate) async fn reset(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.reset();
    Json(json!({ "reset": true }))
}
