//! A stateful, in-memory fake of the Minimo contacts REST API, for tests and local
//! development.
//!
//! It implements every operation of `openapi/minimo-contacts.yaml` (upsert, get by email,
//! update by id, soft delete, list and create custom fields) with the documented semantics
//! (match by email then phone, deep-merged custom fields, soft delete and restore,
//! per-company isolation), answers every error in the `{"error":{"code","message","details"?}}`
//! envelope, and lets tests script faults (error statuses, latency, dropped connections,
//! broken bodies), rate limits, and read a request journal.
//!
//! # Using it in a test
//!
//! Add `minimo-fake` to the `[dev-dependencies]` of the service, start one fake per test
//! (it binds a free port of 127.0.0.1 and stops when dropped), point the code under test
//! at [`FakeServer::base_url`], then assert on the [`Store`] and the [`Journal`]:
//!
//! ```
//! use minimo_fake::{ContactSeed, FakeServer, Fault};
//! use serde_json::json;
//!
//! /// The downstream code under test: upserts a contact, retrying on 503.
//! async fn sync_contact(base_url: &str, api_key: &str, email: &str) -> Result<String, Box<dyn std::error::Error>> {
//!     let client = reqwest::Client::new();
//!     for _attempt in 0..3 {
//!         let resp = client
//!             .post(format!("{base_url}/public/v1/contacts"))
//!             .bearer_auth(api_key)
//!             .json(&json!({ "email": email, "customFields": { "plan": "pro" } }))
//!             .send()
//!             .await?;
//!         if resp.status() == 503 {
//!             continue;
//!         }
//!         let body: serde_json::Value = resp.error_for_status()?.json().await?;
//!         return Ok(body[0]["contactId"].as_str().ok_or("no contactId")?.to_owned());
//!     }
//!     Err("still unavailable".into())
//! }
//!
//! // In the service's tests this is `#[tokio::test] async fn sync_retries_on_503() { ... }`.
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = FakeServer::builder().api_key("mn-acme-secret").start().await?;
//! let company = server.company_of("acme").ok_or("no company")?;
//! let existing = server.store().insert_contact(company, ContactSeed::email("jane@example.com"));
//! server.faults().push(Fault::status("upsertContact", 503));
//!
//! let id = sync_contact(&server.base_url(), "mn-acme-secret", "Jane@Example.com").await?;
//!
//! // Matched by email (case-insensitive): no new contact, custom fields merged.
//! assert_eq!(id, existing.id.to_string());
//! let stored = server.store().contact(existing.id).ok_or("gone")?;
//! assert_eq!(stored.custom_fields["plan"], "pro");
//! // One 503, then the retry went through.
//! let statuses: Vec<_> = server.journal().for_operation("upsertContact").iter().map(|e| e.status).collect();
//! assert_eq!(statuses, [Some(503), Some(200)]);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Behaviour
//!
//! - **Auth.** `Authorization: Bearer mn-{clientId}-{secret}`; a missing, malformed or
//!   unknown key is 401 `unauthorized`, a key without the [`Permission`] the operation
//!   needs is 403 `forbidden`.
//! - **Upsert** matches by email (case-insensitive), then phone, else creates; when the
//!   email matches one contact and the phone another, the email match wins and gets the
//!   phone. Live matches are preferred over soft-deleted ones; a soft-deleted match is
//!   restored. Answers `[{"contactId": "<id>"}]`.
//! - **One live contact per email.** Nothing makes two live contacts of a company share an
//!   email (case-insensitive); see *Decisions*.
//! - **Custom field values** are deep-merged: nested objects merge recursively, anything
//!   else (scalars, arrays, null) replaces. Omitted consent channels keep their value.
//! - **Update by id** changes only the fields sent, restores a soft-deleted contact, is 404
//!   for an unknown id or another company's, and 409 `duplicate_resource` (`details.field`
//!   `email`, nothing changed) when another live contact of the company has the new email,
//!   or, for a soft-deleted contact restored without a new email, its stored email.
//! - **Delete** is a soft delete, idempotent (200 again for a deleted contact).
//! - **Custom fields** list flat or `groupBy=category` (groups sorted by category name,
//!   fields by id, no category under `uncategorized`); create uppercases the key, answers
//!   409 `key already exists` for a duplicate (case-insensitive).
//! - **Every answer** carries a unique `x-request-id`; every error is the envelope; unknown
//!   routes are 404 `not_found`, a wrong method 405 `method_not_allowed` with `Allow`.
//!
//! # Decisions
//!
//! - **Companies.** Each distinct client id (the `acme` of `mn-acme-secret`) is one company,
//!   numbered 1, 2, ... in the order keys are added (skipping numbers set explicitly);
//!   [`ApiKey::company`] sets one explicitly, so several client ids can share a company.
//!   Contact and custom-field ids are unique across companies; another company's id is 404.
//! - **Order of checks** for an API operation: scripted status, drop-connection and latency
//!   faults (so such a faulted request needs no valid key, and a status or drop fault has no
//!   effect; a latency fault delays whatever answer follows, a 401 included), then
//!   authentication (401), permission (403), rate limit (429), then the handler: path
//!   parameter (400), content type (415), JSON body (400), field validation (422), then
//!   lookups (404) and conflicts (409); last, body faults (truncated body, invalid JSON),
//!   taken only when the answer is a 2xx and applied to it, keeping its status. An error
//!   answer leaves a body fault queued for a later request. A request gets at most one
//!   fault: the oldest matching one, and while that is a body fault no other fault of that
//!   operation is taken before it.
//! - **One live contact per email.** Update by id answers 409 `duplicate_resource` rather
//!   than restore a soft-deleted contact whose stored email another live contact now has.
//!   The upsert declares no 409 in the spec, so when it sends no email it does not match
//!   (nor restore) such a contact by phone: it matches another contact with that phone, or
//!   creates one. `openapi/README.md` §4 records this decision.
//! - **Wrong shapes.** A body that is not JSON or not a JSON object is 400 `bad_request`; a
//!   known field with the wrong JSON type (`"email": 5`, `"email": null`) is 422
//!   `validation_error` with `details.field`. Unknown fields are ignored. A non-integer
//!   contact id (anything but ASCII digits: `+5`, `-1`, ` 5`, or beyond `i64`) is 400
//!   `bad_request`; a malformed email in the get-by-email path is 400.
//! - **Body size.** A request body over 1 MiB is 400 `bad_request` saying the body is too
//!   large (`details.limit` in bytes): the spec declares no 413.
//! - **Emails in paths** are taken from the raw path and percent-decoded by the fake (never
//!   form-decoded: `+` stays `+`), so `%2F`, `%25`, `%40` and UTF-8 sequences work.
//! - **Rate limit.** A token bucket per key, off by default; server-wide with
//!   [`FakeServerBuilder::rate_limit`] or per key with [`ApiKey::rate_limit`]. Over the
//!   limit: 429 `rate_limit_exceeded` with `Retry-After` in whole seconds (at least 1).
//! - **Faults** ([`Fault`]) are matched by operation id or [`ANY_OPERATION`] (`*`), oldest
//!   first, and apply only to the six API operations (never to admin routes or unknown
//!   routes). [`Faults::push`] panics on an unknown operation id (a typo would never match);
//!   [`Faults::try_push`] returns the error. Status faults answer the status chosen, even one
//!   the spec does not declare, with `Retry-After` in seconds ([`Fault::retry_after`]) or as
//!   an HTTP-date ([`Fault::retry_after_http_date`]). Broken-body faults perform the request,
//!   then replace the body of its 2xx answer.
//! - **Admin routes** are on by default in the library ([`FakeServerBuilder::admin`]) and
//!   off in the binary unless `--admin`. They need no key and are not journaled:
//!   - `GET /__fake/health` → `{"status":"ok"}`;
//!   - `GET /__fake/faults` → `{"faults":[...]}`; `POST /__fake/faults` with the JSON of
//!     [`Fault::from_json`] → 201 (400 for an unknown operation or an out-of-range number);
//!     `DELETE /__fake/faults` clears the queue;
//!   - `GET /__fake/journal` → `{"entries":[...]}` ([`JournalEntry::to_json`]);
//!     `DELETE /__fake/journal` clears it;
//!   - `GET /__fake/store` → `{"contacts":[...],"customFields":[...]}`;
//!   - `POST /__fake/reset` → clears contacts, fields, faults, journal and rate buckets.
//! - **System fields.** None by default in the library ([`FakeServerBuilder::system_fields`]);
//!   the binary seeds `FIRST_NAME` and `LAST_NAME` for every company.
//! - **Secrets and personal data.** `Debug` of every type masks keys (`mn-acme-***`), emails
//!   and phones; the journal and the logs keep the client id only and mask the email in
//!   paths; the query string is not journaled.

mod admin;
mod app;
mod auth;
mod conn;
mod contacts;
mod custom_fields;
mod error;
mod extract;
mod faults;
mod journal;
mod mask;
mod operation;
mod pipeline;
mod ratelimit;
mod server;
mod state;
mod stats;
mod store;
mod validate;

pub use auth::{ApiKey, Permission};
pub use faults::{
    ANY_OPERATION, Fault, FaultKind, Faults, MAX_DELAY_MS, MAX_RETRY_AFTER_DATE_SECS,
    UnknownOperation, is_known_operation,
};
pub use journal::{JOURNAL_CAPACITY, Journal, JournalEntry};
pub use operation::OPERATION_IDS;
pub use server::{FakeServer, FakeServerBuilder, StartError};
pub use state::system_fields;
pub use stats::Stats;
pub use store::{
    CUSTOM_FIELD_TYPES, CompanyId, Contact, ContactSeed, CustomField, CustomFieldSeed,
    MarketingConsent, Store, StoreError,
};
