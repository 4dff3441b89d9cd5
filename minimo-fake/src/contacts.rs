//! The contact operations: upsert, get by email, update by id, soft delete; and the
//! validation of their bodies.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::extract::{Caller, ContactId, EmailParam, JsonObject, opt_string};
use crate::state::Shared;
use crate::store::{ContactInput, MarketingConsent, UpdateError};
use crate::validate::{is_e164, is_valid_email};

/// The body of an upsert or an update. A known field with the wrong JSON type is 422
/// `validation_error` with `details.field`; unknown fields are ignored.
fn parse_contact_input(body: &Map<String, Value>) -> Result<ContactInput, ApiError> {
    let email = opt_string(body, "email")?;
    if let Some(email) = &email
        && !is_valid_email(email)
    {
        return Err(ApiError::validation(
            "email",
            "Invalid email address format",
        ));
    }
    let phone = opt_string(body, "phone")?;
    if let Some(phone) = &phone
        && !is_e164(phone)
    {
        return Err(ApiError::invalid_phone());
    }
    let first_name = opt_string(body, "firstName")?;
    let last_name = opt_string(body, "lastName")?;
    let custom_fields = match body.get("customFields") {
        None => None,
        Some(Value::Object(map)) => Some(map.clone()),
        Some(_) => {
            return Err(ApiError::validation(
                "customFields",
                "customFields must be an object",
            ));
        }
    };
    let mut consent = MarketingConsent::default();
    match body.get("marketingConsent") {
        None => {}
        Some(Value::Object(map)) => {
            for (channel, slot) in [
                ("email", &mut consent.email),
                ("whatsapp", &mut consent.whatsapp),
            ] {
                match map.get(channel) {
                    None => {}
                    Some(Value::Bool(b)) => *slot = Some(*b),
                    Some(_) => {
                        return Err(ApiError::validation(
                            &format!("marketingConsent.{channel}"),
                            format!("marketingConsent.{channel} must be a boolean"),
                        ));
                    }
                }
            }
        }
        Some(_) => {
            return Err(ApiError::validation(
                "marketingConsent",
                "marketingConsent must be an object",
            ));
        }
    }
    Ok(ContactInput {
        email,
        phone,
        first_name,
        last_name,
        custom_fields,
        consent,
    })
}

pub(crate) async fn upsert(
    State(shared): State<Arc<Shared>>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input = parse_contact_input(&body)?;
    if input.email.is_none() && input.phone.is_none() {
        return Err(ApiError::validation("email", "email or phone is required")
            .with_details(json!({ "field": "email", "fields": ["email", "phone"] })));
    }
    let id = shared.store.upsert(caller.company, input);
    Ok(Json(json!([{ "contactId": id.to_string() }])).into_response())
}

pub(crate) async fn get_by_email(
    State(shared): State<Arc<Shared>>,
    Caller(caller): Caller,
    EmailParam(email): EmailParam,
) -> Result<Response, ApiError> {
    let contact = shared
        .store
        .contact_by_email(caller.company, &email)
        .ok_or_else(ApiError::contact_not_found)?;
    Ok(Json(json!({ "data": contact.to_json() })).into_response())
}

fn conflict(message: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "duplicate_resource", message)
        .with_details(json!({ "field": "email" }))
}

pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    Caller(caller): Caller,
    ContactId(id): ContactId,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input = parse_contact_input(&body)?;
    let id = id.ok_or_else(ApiError::contact_not_found)?;
    let contact = shared
        .store
        .update(caller.company, id, input)
        .map_err(|e| match e {
            UpdateError::NotFound => ApiError::contact_not_found(),
            UpdateError::EmailTaken => conflict("Another contact already uses this email"),
            UpdateError::RestoreWouldDuplicate => {
                conflict("Restoring this contact would give its email to a second live contact")
            }
        })?;
    Ok(Json(json!({ "id": contact.id, "phone": contact.phone })).into_response())
}

pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Caller(caller): Caller,
    ContactId(id): ContactId,
) -> Result<Response, ApiError> {
    let id = id.ok_or_else(ApiError::contact_not_found)?;
    shared
        .store
        .soft_delete(caller.company, id)
        .map_err(|_| ApiError::contact_not_found())?;
    Ok(Json(json!({ "id": id, "deleted": true })).into_response())
}
