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
//! - **Auth.** `Authorization: Bearer mn-{clientId}-{secret}`; a missing, malformed,
//!   unknown or revoked ([`FakeServer::revoke_key`]) key is 401 `unauthorized`, a key
//!   without the [`Permission`] the operation needs is 403 `forbidden`.
//! - **Upsert** matches by email (case-insensitive), then phone, else creates; when the
//!   email matches one contact and the phone another, the email match wins and gets the
//!   phone. Live matches are preferred over soft-deleted ones, then the lowest id; a
//!   soft-deleted match is restored. Answers `[{"contactId": "<id>"}]`.
//! - **One live contact per email.** Nothing the API does makes two live contacts of a
//!   company share an email (case-insensitive); see *Decisions*.
//! - **Custom field values** are deep-merged: nested objects merge recursively, anything
//!   else (scalars, arrays, null) replaces. A top-level value key that names a custom field
//!   of the company case-insensitively is stored under the definition's key (`plan_tier`
//!   and `PLAN_TIER` land in one `PLAN_TIER` entry); other keys are stored as sent. Omitted
//!   consent channels keep their value.
//! - **Names.** `firstName` and `lastName` (strings) are accepted by the upsert and the
//!   update and stored on the contact ([`Contact::first_name`], [`Contact::last_name`],
//!   `GET /__fake/store`); get-by-email does not render them.
//! - **Update by id** changes only the fields sent, restores a soft-deleted contact, is 404
//!   for an id that names no contact of the company, and 409 `duplicate_resource`
//!   (`details.field` `email`, nothing changed) when another live contact of the company
//!   has the new email, or, for a soft-deleted contact restored without a new email, its
//!   stored email.
//! - **Delete** is a soft delete, idempotent (200 again for a deleted contact).
//! - **Contact ids** in paths: any integer (`-?[0-9]+` once percent-decoded: negative,
//!   zero, beyond `i64`) that names no contact of the company is 404 `not_found`; anything
//!   else (`abc`, `1.5`, `+5`, ` 5`) is 400 `bad_request`.
//! - **Custom fields** list flat or `groupBy=category` (groups sorted by category name,
//!   fields by id, no category under `uncategorized`); create uppercases the key, answers
//!   409 `key already exists` for a duplicate (case-insensitive).
//! - **Every answer** carries a unique `x-request-id`; every error is the envelope; unknown
//!   routes are 404 `not_found`, a wrong method 405 `method_not_allowed` with `Allow`.
//! - **Hostile requests.** A request target over 8 KiB is 414 `uri_too_long`, headers over
//!   32 KiB in total are 431 `headers_too_large`, a body not received within
//!   [`FakeServerBuilder::body_timeout`] (30 s by default) is 408 `request_timeout`; these
//!   three close the connection. A request hyper cannot parse (malformed request line or
//!   header, a target over 65,534 bytes, more than 512 header lines, a head over 256 KiB) is
//!   answered by hyper itself, rewritten into the envelope (400 `bad_request`, 414, 431),
//!   with an `x-request-id` and `connection: close`; it is counted in [`FakeServer::stats`]
//!   but not journaled (there is no method or path to journal). Headers must arrive within
//!   30 s (hyper's bound), else the connection is closed without an answer.
//! - **Scale.** Upsert, get by email, update and delete cost the same at 100 and at
//!   1,000,000 stored contacts: contacts are indexed per company by normalized email and by
//!   phone. Listing a company's contacts visits that company's contacts only.
//! - **Statistics.** [`FakeServer::stats`] (and `GET /__fake/stats`) counts every API
//!   request by operation and status since the start or the last reset, unlike the
//!   [`Journal`], which keeps the last [`JOURNAL_CAPACITY`] entries.
//!
//! # Decisions
//!
//! - **Companies.** Each distinct client id (the `acme` of `mn-acme-secret`) is one company,
//!   numbered 1, 2, ... in the order keys are added (skipping numbers set explicitly);
//!   [`ApiKey::company`] sets one explicitly, so several client ids can share a company.
//!   Contact and custom-field ids are unique across companies; another company's id is 404.
//! - **Order of checks** for an API operation: the configured latency
//!   ([`FakeServerBuilder::latency`]), size limits (414, 431), then scripted status,
//!   drop-connection and latency faults (so such a faulted request needs no valid key, and
//!   a status or drop fault has no effect; a latency fault delays whatever answer follows,
//!   a 401 included), then authentication (401), permission (403), rate limit (429), then
//!   the handler: path parameter (400), content type (415), body read (408), JSON body
//!   (400), field validation (422), then lookups (404) and conflicts (409); last, body
//!   faults (truncated body, invalid JSON), taken only when the answer is a 2xx and applied
//!   to it, keeping its status. An error answer leaves a body fault queued for a later
//!   request. A request gets at most one fault: the oldest matching one, and while that is
//!   a body fault no other fault of that operation is taken before it.
//! - **One live contact per email.** Update by id answers 409 `duplicate_resource` rather
//!   than restore a soft-deleted contact whose stored email another live contact now has.
//!   The upsert declares no 409 in the spec, so when it sends no email it does not match
//!   (nor restore) such a contact by phone: it matches another contact with that phone, or
//!   creates one. `openapi/README.md` §4 records this decision. (Seeding with
//!   [`Store::insert_contact`] is not checked and can break the rule; get-by-email then
//!   answers the lowest id.)
//! - **Contact ids are integers.** The spec declares the `{id}` parameter `integer` and
//!   documents 404 for an id that does not exist, so an integer that cannot name a contact
//!   (negative, zero, beyond `i64`) is that 404, not a 400; 400 is kept for segments that
//!   are no integer at all. The body of an update is still validated (415, 400, 422) before
//!   the id is looked up.
//! - **Custom-field value keys, one convention.** The server uppercases the keys it defines,
//!   and clients send value keys uppercased and read them case-insensitively. The fake
//!   stores a value whose top-level key names a definition of the company (compared
//!   uppercased) under the definition's key, so two spellings deep-merge into one entry,
//!   in the order sent. Keys without a definition are stored as sent; values stored before
//!   their definition existed are not renamed. Nested keys are never touched. Seeds
//!   ([`ContactSeed`]) are stored as given.
//! - **Names.** The vendor's authentication and conventions pages upsert
//!   `{"email","firstName","lastName"}`, but the documented get-by-email read model has no
//!   names. The fake accepts and stores them (a non-string, `null` included, is 422
//!   `validation_error` with `details.field`) and renders them only where the fake shows
//!   its own state (`GET /__fake/store`, [`Store`]); other unknown top-level fields stay
//!   ignored. `Debug` masks them like emails and phones.
//! - **Wrong shapes.** A body that is not JSON or not a JSON object is 400 `bad_request`; a
//!   known field with the wrong JSON type (`"email": 5`, `"email": null`) is 422
//!   `validation_error` with `details.field`. Unknown fields are ignored. A malformed email
//!   in the get-by-email path is 400.
//! - **Emails.** An email is malformed when no mail system would accept it: the fake takes
//!   quoted local parts (`"john doe"@example.com`), address literals (`user@[192.0.2.1]`),
//!   dots anywhere in the local part (`taro..yamada@docomo.ne.jp`) and non-ASCII letters,
//!   and refuses unquoted whitespace or specials and dotless domains (the vendor's own rules
//!   are not published).
//! - **Body size.** A request body over 1 MiB is 400 `bad_request` saying the body is too
//!   large (`details.limit` in bytes): the spec declares no 413.
//! - **Hostile requests.** hyper answers unparsable requests itself, with an empty body,
//!   and has no hook to change that answer; so the connection's IO is wrapped and a write
//!   that is exactly such a canned head (status 400, 414 or 431, `content-length: 0`, no
//!   content type: no answer of the app looks like that) is replaced by the enveloped one.
//!   hyper's limits are raised above the app's so that most oversized requests reach the
//!   app and are journaled. The 414, 431 and 408 answers close the connection: what is left
//!   of such a request cannot be read as the next one.
//! - **Emails in paths** are taken from the raw path and percent-decoded by the fake (never
//!   form-decoded: `+` stays `+`), so `%2F`, `%25`, `%40` and UTF-8 sequences work; the
//!   router matches the raw path, so an encoded `/` never splits a segment.
//! - **Rate limit.** A token bucket per key, off by default; server-wide with
//!   [`FakeServerBuilder::rate_limit`] (changed while running with
//!   [`FakeServer::set_rate_limit`]) or per key with [`ApiKey::rate_limit`], which wins.
//!   Over the limit: 429 `rate_limit_exceeded` with `Retry-After` in whole seconds (at
//!   least 1). One mutex guards the buckets: taking a token is atomic under any
//!   concurrency.
//! - **Latency** ([`FakeServerBuilder::latency`], `--latency-ms`) delays every answer of
//!   the API (unknown routes and errors included), never the admin routes: a tokio timer per
//!   request, so thousands of concurrent delayed requests cost no thread.
//! - **Runtime controls change configuration, reset clears state.** [`FakeServer::reset`]
//!   and `POST /__fake/reset` clear contacts, fields, faults, journal, statistics and rate
//!   buckets; revoked keys, limits and latency stay as set.
//! - **Faults** ([`Fault`]) are matched by operation id or [`ANY_OPERATION`] (`*`), oldest
//!   first, and apply only to the six API operations (never to admin routes or unknown
//!   routes). [`Faults::push`] panics on an unknown operation id (a typo would never match);
//!   [`Faults::try_push`] returns the error. Status faults answer the status chosen, even one
//!   the spec does not declare, with `Retry-After` in seconds ([`Fault::retry_after`]) or as
//!   an HTTP-date ([`Fault::retry_after_http_date`]). Broken-body faults perform the request,
//!   then replace the body of its 2xx answer.
//! - **Admin routes** are on by default in the library ([`FakeServerBuilder::admin`]) and
//!   off in the binary unless `--admin`. They need no key, are not delayed, journaled or
//!   counted:
//!   - `GET /__fake/health` → `{"status":"ok"}`;
//!   - `GET /__fake/faults` → `{"faults":[...]}`; `POST /__fake/faults` with the JSON of
//!     [`Fault::from_json`] → 201 (400 for an unknown operation or an out-of-range number);
//!     `DELETE /__fake/faults` clears the queue;
//!   - `GET /__fake/journal` → `{"entries":[...]}` ([`JournalEntry::to_json`]);
//!     `DELETE /__fake/journal` clears it;
//!   - `GET /__fake/stats` → [`Stats::to_json`];
//!   - `GET /__fake/store` → `{"contacts":[...],"customFields":[...]}`
//!     ([`Contact::to_store_json`]);
//!   - `POST /__fake/reset` → clears the state (see above).
//! - **System fields.** None by default in the library ([`FakeServerBuilder::system_fields`]);
//!   the binary seeds `FIRST_NAME` and `LAST_NAME` for every company.
//! - **Secrets and personal data.** `Debug` of every type masks keys (`mn-acme-***`),
//!   emails, phones and names; the journal and the logs keep the client id only and mask
//!   the email in paths; the query string is not journaled.
//!
//! # Code map
//!
//! Each module imports only modules listed before it (no cycles); the fake depends on no
//! crate of this workspace.
//!
//! - `mask.rs`: masking of keys, emails, phones and names for `Debug` and logs.
//! - `validate.rs`: email and E.164 checks, the custom-field deep merge.
//! - `error.rs`: `ApiError`, the `{"error":{code,message,details?}}` envelope and its
//!   headers (`Retry-After`, `Allow`, `Connection: close`).
//! - `journal.rs`: the request [`Journal`], a ring of [`JOURNAL_CAPACITY`] entries.
//! - `ratelimit.rs`: the token buckets and the server-wide limit.
//! - `store/model.rs`: the records ([`Contact`], [`CustomField`]), their seeds and renderings,
//!   the validated input of an upsert or update.
//! - `store/index.rs`: the per-company indexes (email, phone, field keys) and the one email
//!   normalization.
//! - `store/mod.rs`: the [`Store`] handle and its operations (upsert, update, soft delete,
//!   seeding, listing), the only code that changes records and indexes.
//! - `store/tests.rs`: property tests of the store against a linear-scan model.
//! - `auth.rs`: [`ApiKey`], [`Permission`], the key ring and revocation.
//! - `operation.rs`: the spec's operations, their ids ([`OPERATION_IDS`]) and permissions.
//! - `faults.rs`: [`Fault`], [`Faults`], the scripted-fault queue.
//! - `stats.rs`: the request counters and their snapshot, [`Stats`].
//! - `state.rs`: `Shared` (store, faults, journal, counters, keys, limiter, configuration),
//!   request ids, the System fields, the connection-kill handle.
//! - `extract.rs`: the extractors (caller, contact id, email, JSON body with its size and
//!   time bounds) whose rejections are envelopes.
//! - `contacts.rs`: the four contact operations and the validation of their bodies.
//! - `custom_fields.rs`: list and create custom fields.
//! - `admin.rs`: the `/__fake/` routes.
//! - `pipeline.rs`: the layers around the routes: request id, limits, latency, journal and
//!   counters; per operation, faults, authentication, permission and rate limit.
//! - `app.rs`: the one router: routes, the operation layer of each, 404 and 405s.
//! - `conn.rs`: serving a connection: hyper's settings and limits, the envelope for
//!   hyper's own error answers, the fault that drops a connection.
//! - `server.rs`: [`FakeServerBuilder`], [`FakeServer`], the accept loop.
//! - `main.rs`: the `minimo-fake` binary (flags, request log).
//! - `tests/`: `api.rs` (every operation), `faults.rs` (faults, rate limits, journal,
//!   admin, lifecycle), `controls.rs` (statistics, revocation, run-time rate limit,
//!   latency), `hostile.rs` (raw TCP: malformed, oversized and trickled requests),
//!   `binary.rs` (the binary's flags and logs), `common/` (helpers).

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
