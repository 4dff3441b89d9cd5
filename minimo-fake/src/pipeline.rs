//! The request pipeline, as two middleware layers the router puts around its routes:
//!
//! - [`frame`] wraps every API route and the fallback (unknown routes, 405s): request id,
//!   size limits (414, 431), the configured latency, the journal and the statistics;
//!   [`admin_frame`] wraps the admin routes: request id and size limits only.
//! - [`operation`] wraps each API operation's handler, so the operation is known before
//!   anything runs: scripted faults, authentication (401), permission (403), rate limit
//!   (429), then the handler, then body faults.
//!
//! The operation layer reports what it learnt (operation id, client id, fault) to the frame
//! in the response's extensions ([`Outcome`]).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::BY_EMAIL_PREFIX;
use crate::faults::{Fault, FaultKind};
use crate::journal::JournalEntry;
use crate::operation::Op;
use crate::state::{ConnectionKill, MAX_HEADER_BYTES, MAX_URI_BYTES, Shared};

/// What the frame knows of a request, for the operation layer (which journals a dropped
/// connection itself: the frame never sees an answer for it).
#[derive(Clone)]
struct RequestMeta {
    request_id: String,
    method: String,
    path: String,
    started_at: SystemTime,
    t0: Instant,
}

impl RequestMeta {
    fn entry(&self) -> JournalEntry {
        JournalEntry {
            request_id: self.request_id.clone(),
            operation: None,
            method: self.method.clone(),
            path: self.path.clone(),
            client_id: None,
            status: None,
            started_at: self.started_at,
            duration: Duration::ZERO,
            fault: None,
        }
    }
}

/// What the operation layer learnt, handed to the frame in the response's extensions.
#[derive(Clone, Default)]
struct Outcome {
    operation: Option<&'static str>,
    client_id: Option<String>,
    fault: Option<String>,
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

fn set_request_id(response: &mut Response, request_id: &str) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
}

/// The size limits hyper's own (raised) limits leave to the app, so that they are answered
/// in the envelope: 414 for a long request target, 431 for large headers.
fn check_limits(req: &Request) -> Result<(), ApiError> {
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_URI_BYTES {
        return Err(ApiError::uri_too_long(MAX_URI_BYTES));
    }
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers > MAX_HEADER_BYTES {
        return Err(ApiError::headers_too_large(
            format!("The request headers are larger than {MAX_HEADER_BYTES} bytes"),
            json!({ "limit": MAX_HEADER_BYTES }),
        ));
    }
    Ok(())
}

/// Request id, limits, latency, journal and statistics around an API route or the fallback.
pub(crate) async fn frame(
    State(shared): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let meta = RequestMeta {
        request_id: shared.next_request_id(),
        method: req.method().to_string(),
        path: mask_path(req.uri().path()),
        started_at: SystemTime::now(),
        t0: Instant::now(),
    };
    // A network-like delay: a tokio timer, so thousands of delayed requests cost no thread.
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let mut response = match check_limits(&req) {
        Err(e) => e.into_response(),
        Ok(()) => {
            req.extensions_mut().insert(meta.clone());
            next.run(req).await
        }
    };
    set_request_id(&mut response, &meta.request_id);
    let outcome = response
        .extensions_mut()
        .remove::<Outcome>()
        .unwrap_or_default();
    let mut entry = meta.entry();
    entry.operation = outcome.operation.map(str::to_owned);
    entry.client_id = outcome.client_id;
    entry.fault = outcome.fault;
    entry.status = Some(response.status().as_u16());
    entry.duration = meta.t0.elapsed();
    shared.record(entry);
    response
}

/// Request id and limits around an admin route (not journaled, not counted, no latency).
pub(crate) async fn admin_frame(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let request_id = shared.next_request_id();
    let mut response = match check_limits(&req) {
        Err(e) => e.into_response(),
        Ok(()) => next.run(req).await,
    };
    set_request_id(&mut response, &request_id);
    response
}

/// Faults, authentication, permission and rate limit around one operation's handler.
pub(crate) async fn operation(
    State((shared, op)): State<(Arc<Shared>, Op)>,
    req: Request,
    next: Next,
) -> Response {
    let mut outcome = Outcome {
        operation: Some(op.id()),
        ..Outcome::default()
    };
    let mut response = faulted(&shared, op, req, next, &mut outcome).await;
    response.extensions_mut().insert(outcome);
    response
}

async fn faulted(
    shared: &Shared,
    op: Op,
    req: Request,
    next: Next,
    outcome: &mut Outcome,
) -> Response {
    // Status, drop and latency faults apply before authentication; body faults wait for a
    // successful answer (below). When the oldest matching fault is a body fault, none is
    // taken here, so faults keep their order.
    let fault = shared.faults.take_if(op.id(), |kind| !kind.is_body_fault());
    if let Some(fault) = &fault {
        outcome.fault = Some(fault.describe());
        if let Some(delay) = fault.delay {
            tokio::time::sleep(delay).await;
        }
        match fault.kind {
            FaultKind::Status(status) => return status_fault(fault, status),
            FaultKind::DropConnection => {
                let kill = req.extensions().get::<ConnectionKill>().cloned();
                let meta = req.extensions().get::<RequestMeta>().cloned();
                if let (Some(kill), Some(meta)) = (kill, meta) {
                    let mut dropped = meta.entry();
                    dropped.operation = Some(op.id().to_owned());
                    dropped.fault = outcome.fault.clone();
                    dropped.duration = meta.t0.elapsed();
                    shared.record(dropped);
                    kill.0.notify_one();
                    std::future::pending::<()>().await;
                }
                return ApiError::internal("connection drop is not available here").into_response();
            }
            FaultKind::Latency | FaultKind::TruncatedBody | FaultKind::InvalidJson => {}
        }
    }
    let response = authorized(shared, op, req, next, outcome).await;
    // A request gets at most one fault; body faults only touch a 2xx and stay queued
    // otherwise.
    if fault.is_some() || !response.status().is_success() {
        return response;
    }
    let Some(body_fault) = shared.faults.take_if(op.id(), FaultKind::is_body_fault) else {
        return response;
    };
    outcome.fault = Some(body_fault.describe());
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
    outcome: &mut Outcome,
) -> Response {
    let principal = match authenticate(shared, req.headers()) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    outcome.client_id = Some(principal.client_id.clone());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_masked_in_journaled_paths() {
        assert_eq!(
            mask_path("/public/v1/contacts/by-email/a%40b.com"),
            "/public/v1/contacts/by-email/{email}"
        );
        assert_eq!(mask_path("/x/jane@example.com/y"), "/x/{email}/y");
        assert_eq!(
            mask_path("/public/v1/contacts/12"),
            "/public/v1/contacts/12"
        );
    }
}
