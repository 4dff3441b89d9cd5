//! The HTTP application: routing, the request pipeline (request id, journal, faults, auth,
//! rate limit), extractors whose rejections are error envelopes, and the handlers.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::faults::{Fault, FaultKind};
use crate::journal::JournalEntry;
use crate::server::Shared;
use crate::store::{
    CUSTOM_FIELD_TYPES, ContactInput, CustomFieldSeed, MarketingConsent, StoreError,
};
use crate::validate::{is_e164, is_valid_email};

/// Largest request body read, in bytes.
const MAX_BODY: usize = 1 << 20;
/// How much of a too-large body is still read (and dropped) before answering 400.
const DRAIN_LIMIT: usize = 8 << 20;
const CONTACTS: &str = "/public/v1/contacts";
const CONTACTS_PREFIX: &str = "/public/v1/contacts/";
const BY_EMAIL_PREFIX: &str = "/public/v1/contacts/by-email/";
const CUSTOM_FIELDS: &str = "/public/v1/custom-fields";
const ADMIN_PREFIX: &str = "/__fake/";

/// Handle a handler uses to close its connection without answering.
#[derive(Clone)]
pub(crate) struct ConnectionKill(pub(crate) Arc<Notify>);

/// The spec's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Upsert,
    GetByEmail,
    Update,
    Delete,
    ListFields,
    CreateField,
}

impl Op {
    pub(crate) fn id(self) -> &'static str {
        match self {
            Op::Upsert => "upsertContact",
            Op::GetByEmail => "getContactByEmail",
            Op::Update => "updateContactById",
            Op::Delete => "deleteContact",
            Op::ListFields => "listCustomFields",
            Op::CreateField => "createCustomField",
        }
    }

    fn permission(self) -> Permission {
        match self {
            Op::GetByEmail => Permission::ReadContacts,
            Op::Upsert | Op::Update | Op::Delete => Permission::WriteContacts,
            Op::ListFields => Permission::ReadCustomFields,
            Op::CreateField => Permission::WriteCustomFields,
        }
    }
}

enum Route {
    Api(Op),
    Admin,
    NotFound,
    MethodNotAllowed(&'static str),
}

/// Classifies a request on its raw (still percent-encoded) path, so that an encoded `%2F`
/// in an email never splits a segment.
fn classify(method: &Method, path: &str, admin: bool) -> Route {
    let pick = |allowed: &[(Method, Op)], allow: &'static str| {
        allowed
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, op)| Route::Api(*op))
            .unwrap_or(Route::MethodNotAllowed(allow))
    };
    if admin && path.starts_with(ADMIN_PREFIX) {
        return Route::Admin;
    }
    if path == CONTACTS {
        return pick(&[(Method::POST, Op::Upsert)], "POST");
    }
    if path == CUSTOM_FIELDS {
        return pick(
            &[
                (Method::GET, Op::ListFields),
                (Method::POST, Op::CreateField),
            ],
            "GET, POST",
        );
    }
    if let Some(email) = path.strip_prefix(BY_EMAIL_PREFIX) {
        if !email.is_empty() && !email.contains('/') {
            return pick(&[(Method::GET, Op::GetByEmail)], "GET");
        }
        return Route::NotFound;
    }
    if let Some(id) = path.strip_prefix(CONTACTS_PREFIX)
        && !id.is_empty()
        && !id.contains('/')
    {
        return pick(
            &[(Method::PUT, Op::Update), (Method::DELETE, Op::Delete)],
            "PUT, DELETE",
        );
    }
    Route::NotFound
}

/// The path as the journal keeps it: the email segment (and any segment that looks like an
/// email) replaced by `{email}`.
fn mask_path(path: &str) -> String {
    if path.starts_with(BY_EMAIL_PREFIX) {
        return format!("{BY_EMAIL_PREFIX}{{email}}");
    }
    path.split('/')
        .map(|seg| {
            let lower = seg.to_ascii_lowercase();
            if seg.contains('@') || lower.contains("%40") {
                "{email}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Builds the router with its pipeline.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let mut router = Router::new()
        .route(CONTACTS, post(upsert))
        .route("/public/v1/contacts/by-email/{email}", get(get_by_email))
        .route(
            "/public/v1/contacts/{id}",
            put(update).delete(delete_contact),
        )
        .route(CUSTOM_FIELDS, get(list_fields).post(create_field));
    if shared.admin {
        router = router
            .route("/__fake/health", get(admin_health))
            .route(
                "/__fake/faults",
                get(admin_faults)
                    .post(admin_push_fault)
                    .delete(admin_clear_faults),
            )
            .route(
                "/__fake/journal",
                get(admin_journal).delete(admin_clear_journal),
            )
            .route("/__fake/store", get(admin_store))
            .route("/__fake/reset", post(admin_reset));
    }
    router
        .fallback(fallback_not_found)
        .method_not_allowed_fallback(fallback_method_not_allowed)
        .layer(from_fn_with_state(shared.clone(), pipeline))
        .with_state(shared)
}

async fn fallback_not_found() -> ApiError {
    ApiError::not_found("Resource not found")
}

async fn fallback_method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
    )
}

fn set_request_id(response: &mut Response, request_id: &str) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
}

/// Request id, journal, 404/405, then for API operations: faults, auth, permissions, rate
/// limit.
async fn pipeline(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let started_at = SystemTime::now();
    let t0 = Instant::now();
    let request_id = shared.next_request_id();
    let route = classify(req.method(), req.uri().path(), shared.admin);
    if let Route::Admin = route {
        let mut response = next.run(req).await;
        set_request_id(&mut response, &request_id);
        return response;
    }
    let mut entry = JournalEntry {
        request_id: request_id.clone(),
        operation: None,
        method: req.method().to_string(),
        path: mask_path(req.uri().path()),
        client_id: None,
        status: None,
        started_at,
        duration: Duration::ZERO,
        fault: None,
    };
    let mut response = match route {
        Route::Api(op) => {
            entry.operation = Some(op.id().to_owned());
            api(&shared, op, req, next, &mut entry, t0).await
        }
        Route::MethodNotAllowed(allow) => ApiError::method_not_allowed(allow).into_response(),
        Route::NotFound | Route::Admin => ApiError::not_found("Resource not found").into_response(),
    };
    set_request_id(&mut response, &request_id);
    entry.status = Some(response.status().as_u16());
    entry.duration = t0.elapsed();
    shared.record(entry);
    response
}

async fn api(
    shared: &Shared,
    op: Op,
    req: Request,
    next: Next,
    entry: &mut JournalEntry,
    t0: Instant,
) -> Response {
    // Status, drop and latency faults apply before authentication; body faults wait for a
    // successful answer (below). When the oldest matching fault is a body fault, none is
    // taken here, so faults keep their order.
    let fault = shared.faults.take_if(op.id(), |kind| !kind.is_body_fault());
    if let Some(fault) = &fault {
        entry.fault = Some(fault.describe());
        if let Some(delay) = fault.delay {
            tokio::time::sleep(delay).await;
        }
        match fault.kind {
            FaultKind::Status(status) => return status_fault(fault, status),
            FaultKind::DropConnection => {
                if let Some(kill) = req.extensions().get::<ConnectionKill>().cloned() {
                    let mut dropped = entry.clone();
                    dropped.duration = t0.elapsed();
                    shared.record(dropped);
                    kill.0.notify_one();
                    std::future::pending::<()>().await;
                }
                return ApiError::internal("connection drop is not available here").into_response();
            }
            FaultKind::Latency | FaultKind::TruncatedBody | FaultKind::InvalidJson => {}
        }
    }
    let response = authorized(shared, op, req, next, entry).await;
    // A request gets at most one fault; body faults only touch a 2xx and stay queued
    // otherwise.
    if fault.is_some() || !response.status().is_success() {
        return response;
    }
    let Some(body_fault) = shared.faults.take_if(op.id(), FaultKind::is_body_fault) else {
        return response;
    };
    entry.fault = Some(body_fault.describe());
    if let Some(delay) = body_fault.delay {
        tokio::time::sleep(delay).await;
    }
    mangle(response, body_fault.kind == FaultKind::TruncatedBody).await
}

/// Authentication (401), permission (403), rate limit (429), then the handler.
async fn authorized(
    shared: &Shared,
    op: Op,
    mut req: Request,
    next: Next,
    entry: &mut JournalEntry,
) -> Response {
    let principal = match authenticate(shared, req.headers()) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    entry.client_id = Some(principal.client_id.clone());
    if !principal.permissions.contains(&op.permission()) {
        return ApiError::forbidden().into_response();
    }
    if let Err(secs) = shared
        .limiter
        .check(principal.key_index, principal.rate_limit)
    {
        return ApiError::rate_limited(secs).into_response();
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

fn status_fault(fault: &Fault, status: u16) -> Response {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let error = ApiError::new(
        status,
        fault
            .code
            .clone()
            .unwrap_or_else(|| ApiError::default_code(status).to_owned()),
        fault
            .message
            .clone()
            .unwrap_or_else(|| ApiError::default_message(status)),
    );
    let retry_after = fault.retry_after_value(SystemTime::now());
    let mut response = error.into_response();
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Replaces the body of a successful response (its status is kept): with its first half, or
/// with a body that is not JSON.
async fn mangle(response: Response, truncate: bool) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let new_body: Vec<u8> = if truncate {
        let half = bytes.len() / 2;
        if half == 0 {
            b"{\"data\":".to_vec()
        } else {
            bytes.get(..half).map(<[u8]>::to_vec).unwrap_or_default()
        }
    } else {
        b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec()
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(new_body))
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("Missing API key"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("Malformed Authorization header"))?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(|| {
        ApiError::unauthorized("Authorization must be Bearer mn-{clientId}-{secret}")
    })?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized(
            "Authorization must be Bearer mn-{clientId}-{secret}",
        ));
    }
    let token = token.trim();
    if crate::auth::parse_key(token).is_none() {
        return Err(ApiError::unauthorized("Malformed API key"));
    }
    shared
        .keys
        .lookup(token)
        .cloned()
        .ok_or_else(|| ApiError::unauthorized("Invalid API key"))
}

// ---------------------------------------------------------------------------------------
// Extractors. Each rejection is an `ApiError`, so no plain-text axum rejection leaks out.

/// The authenticated caller, put in the request extensions by the pipeline.
struct Caller(Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError::unauthorized("Missing API key"))
    }
}

/// The `{id}` of `/public/v1/contacts/{id}`, parsed from the raw path: ASCII digits only (no
/// sign, no `+`, no spaces), within `i64`.
struct ContactId(i64);

fn parse_contact_id(raw: &str) -> Option<i64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

impl<S: Send + Sync> FromRequestParts<S> for ContactId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .uri
            .path()
            .strip_prefix(CONTACTS_PREFIX)
            .and_then(parse_contact_id)
            .map(ContactId)
            .ok_or_else(|| ApiError::bad_request("Contact id must be an integer"))
    }
}

/// The `{email}` of `/public/v1/contacts/by-email/{email}`: the raw segment, percent-decoded
/// here (so `%2F`, `%2B`, `+` and UTF-8 sequences all work) and validated.
struct EmailParam(String);

impl<S: Send + Sync> FromRequestParts<S> for EmailParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let invalid = || ApiError::bad_request("Invalid email address format");
        let raw = parts
            .uri
            .path()
            .strip_prefix(BY_EMAIL_PREFIX)
            .ok_or_else(invalid)?;
        let email = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| invalid())?;
        if !is_valid_email(&email) {
            return Err(invalid());
        }
        Ok(EmailParam(email.into_owned()))
    }
}

/// A JSON object body sent as `application/json`: 415 for another content type, 400 for a
/// body that is not JSON or not an object.
struct JsonObject(Map<String, Value>);

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

fn body_too_large() -> ApiError {
    ApiError::bad_request(format!(
        "Request body is too large: the limit is {MAX_BODY} bytes"
    ))
    .with_details(json!({ "limit": MAX_BODY }))
}

/// Reads the body, at most [`MAX_BODY`] bytes: a larger one is 400 saying the body is too
/// large (the spec declares no 413). The excess is read and dropped, up to [`DRAIN_LIMIT`]
/// bytes, so the client gets the answer instead of a reset connection.
async fn read_body(req: Request) -> Result<Vec<u8>, ApiError> {
    use hyper::body::Body as _;

    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > DRAIN_LIMIT as u64) {
        return Err(body_too_large());
    }
    let mut body = req.into_body();
    let mut bytes = Vec::new();
    let mut total: usize = 0;
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|_| ApiError::bad_request("Request body could not be read"))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > DRAIN_LIMIT {
            break;
        }
        if total <= MAX_BODY {
            bytes.extend_from_slice(&data);
        }
    }
    if total > MAX_BODY {
        return Err(body_too_large());
    }
    Ok(bytes)
}

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = read_body(req).await?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("Request body is not valid JSON: {e}")))?;
        match value {
            Value::Object(map) => Ok(JsonObject(map)),
            _ => Err(ApiError::bad_request("Request body must be a JSON object")),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Body validation. A known field with the wrong JSON type is 422 `validation_error` with
// `details.field`; unknown fields are ignored.

fn opt_string(body: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::validation(
            field,
            format!("{field} must be a string"),
        )),
    }
}

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
        custom_fields,
        consent,
    })
}

// ---------------------------------------------------------------------------------------
// API handlers.

async fn upsert(
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

async fn get_by_email(
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

async fn update(
    State(shared): State<Arc<Shared>>,
    Caller(caller): Caller,
    ContactId(id): ContactId,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input = parse_contact_input(&body)?;
    let contact = shared.store.update(caller.company, id, input)?;
    Ok(Json(json!({ "id": contact.id, "phone": contact.phone })).into_response())
}

async fn delete_contact(
    State(shared): State<Arc<Shared>>,
    Caller(caller): Caller,
    ContactId(id): ContactId,
) -> Result<Response, ApiError> {
    shared.store.soft_delete(caller.company, id)?;
    Ok(Json(json!({ "id": id, "deleted": true })).into_response())
}

/// `groupBy` values of the query string (form-decoded).
fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k) == name).then(|| decode(v))
        })
        .collect()
}

async fn list_fields(
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
    let mut groups: std::collections::BTreeMap<String, Vec<Value>> =
        std::collections::BTreeMap::new();
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

async fn create_field(
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

// ---------------------------------------------------------------------------------------
// Admin routes (under /__fake/, not part of the spec).

async fn admin_health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn admin_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let faults: Vec<Value> = shared.faults.pending().iter().map(Fault::to_json).collect();
    Json(json!({ "faults": faults }))
}

async fn admin_push_fault(
    State(shared): State<Arc<Shared>>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let fault = Fault::from_json(&Value::Object(body)).map_err(ApiError::bad_request)?;
    let rendered = fault.to_json();
    shared.faults.push(fault);
    Ok((StatusCode::CREATED, Json(json!({ "queued": rendered }))).into_response())
}

async fn admin_clear_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.faults.clear();
    Json(json!({ "cleared": true }))
}

async fn admin_journal(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let entries: Vec<Value> = shared
        .journal
        .entries()
        .iter()
        .map(JournalEntry::to_json)
        .collect();
    Json(json!({ "entries": entries }))
}

async fn admin_clear_journal(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.journal.clear();
    Json(json!({ "cleared": true }))
}

async fn admin_store(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let mut contacts = Vec::new();
    let mut fields = Vec::new();
    for company in shared.keys.companies() {
        contacts.extend(shared.store.contacts(company).iter().map(|c| c.to_json()));
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

async fn admin_reset(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.reset();
    Json(json!({ "reset": true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_and_mask() {
        assert!(matches!(
            classify(
                &Method::GET,
                "/public/v1/contacts/by-email/a%2Fb@x.com",
                false
            ),
            Route::Api(Op::GetByEmail)
        ));
        assert!(matches!(
            classify(&Method::PUT, "/public/v1/contacts/12", false),
            Route::Api(Op::Update)
        ));
        assert!(matches!(
            classify(&Method::GET, "/public/v1/contacts", false),
            Route::MethodNotAllowed("POST")
        ));
        assert!(matches!(
            classify(&Method::GET, "/__fake/health", false),
            Route::NotFound
        ));
        assert!(matches!(
            classify(&Method::GET, "/__fake/health", true),
            Route::Admin
        ));
        assert_eq!(
            mask_path("/public/v1/contacts/by-email/a%40b.com"),
            "/public/v1/contacts/by-email/{email}"
        );
        assert_eq!(mask_path("/x/jane@example.com/y"), "/x/{email}/y");
        assert_eq!(
            query_values(Some("a=1&groupBy=category"), "groupBy"),
            vec!["category".to_owned()]
        );
    }
}
