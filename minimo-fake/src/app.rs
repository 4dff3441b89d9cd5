//! The one router: every route of the fake, the layer that runs around each (see
//! [`crate::pipeline`]), the 404 fallback and each route's 405 with its `Allow` header.
//!
//! axum routes on the raw, still percent-encoded path, so an email holding `%2F` stays one
//! segment; the handlers' extractors decode it.

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, delete, get, post, put};

use crate::error::ApiError;
use crate::operation::Op;
use crate::state::Shared;
use crate::{admin, contacts, custom_fields, pipeline};

const CONTACTS: &str = "/public/v1/contacts";
const CONTACT_BY_ID: &str = "/public/v1/contacts/{id}";
const CONTACT_BY_EMAIL: &str = "/public/v1/contacts/by-email/{email}";
const CUSTOM_FIELDS: &str = "/public/v1/custom-fields";

type Routes = MethodRouter<Arc<Shared>>;

/// Answers 405 `method_not_allowed` with this `Allow` header (axum keeps a header a
/// handler set, so ours, without the implicit `HEAD`, is the one sent).
fn not_allowed(routes: Routes, allow: &'static str) -> Routes {
    routes.fallback(move || async move { ApiError::method_not_allowed(allow) })
}

/// Builds the router with its pipeline.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    // The operation layer is put on each operation's method route, so it knows the
    // operation before faults, authentication and the rate limit run.
    let op = |op: Op| from_fn_with_state((shared.clone(), op), pipeline::operation);
    let api = Router::new()
        .route(
            CONTACTS,
            not_allowed(post(contacts::upsert).layer(op(Op::Upsert)), "POST"),
        )
        .route(
            CONTACT_BY_EMAIL,
            not_allowed(get(contacts::get_by_email).layer(op(Op::GetByEmail)), "GET"),
        )
        .route(
            CONTACT_BY_ID,
            not_allowed(
                put(contacts::update)
                    .layer(op(Op::Update))
                    .merge(delete(contacts::delete).layer(op(Op::Delete))),
                "PUT, DELETE",
            ),
        )
        .route(
            CUSTOM_FIELDS,
            not_allowed(
                get(custom_fields::list)
                    .layer(op(Op::ListFields))
                    .merge(post(custom_fields::create).layer(op(Op::CreateField))),
                "GET, POST",
            ),
        )
        .fallback(|| async { ApiError::not_found("Resource not found") })
        // Around every route above and the fallback: request id, limits, latency, journal.
        .layer(from_fn_with_state(shared.clone(), pipeline::frame));
    if !shared.config.admin {
        return api.with_state(shared);
    }
    let admin = Router::new()
        .route("/__fake/health", not_allowed(get(admin::health), "GET"))
        .route(
            "/__fake/faults",
            not_allowed(
                get(admin::faults)
                    .post(admin::push_fault)
                    .delete(admin::clear_faults),
                "GET, POST, DELETE",
            ),
        )
        .route(
            "/__fake/journal",
            not_allowed(
                get(admin::journal).delete(admin::clear_journal),
                "GET, DELETE",
            ),
        )
        .route("/__fake/stats", not_allowed(get(admin::stats), "GET"))
        .route("/__fake/store", not_allowed(get(admin::store), "GET"))
        .route("/__fake/reset", not_allowed(post(admin::reset), "POST"))
        .layer(from_fn_with_state(shared.clone(), pipeline::admin_frame));
    // Merged after the API's layer, so admin routes get only the admin frame.
    api.merge(admin).with_state(shared)
}
