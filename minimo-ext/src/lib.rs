//! The Minimo contacts API for Rust services: create, look up, update and soft-delete
//! contacts, manage marketing consent and custom fields, and change emails safely.
//!
//! ```
//! use minimo_ext::{ContactInput, MarketingConsent, Minimo};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # // A local fake Minimo stands in for https://api.minimo.it in this example.
//! # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
//! let minimo = Minimo::builder()
//!     .api_key("mn-acme-s3cret") // or Minimo::from_env() with MINIMO_API_KEY
//! #   .base_url(server.base_url())
//!     .build()?;
//!
//! let id = minimo
//!     .upsert(
//!         ContactInput::with_email("jane@example.com")
//!             .phone("+393391234567")
//!             .custom_field("PLAN", "pro")
//!             .consent(MarketingConsent::unchanged().email(true)),
//!     )
//!     .await?;
//!
//! let jane = minimo.get_by_email("jane@example.com").await?.expect("just created");
//! assert_eq!(jane.id, id);
//!
//! minimo.change_email("jane@example.com", "jane.doe@example.com").await?;
//! assert!(minimo.get_by_email("jane@example.com").await?.is_none());
//! # Ok(())
//! # }
//! ```
//!
//! - [`Minimo`]: the client (cheap to clone, one connection pool), from [`Minimo::builder`] or
//!   [`Minimo::from_env`] (`MINIMO_API_KEY`, `MINIMO_API_URL`).
//! - [`ContactInput`], [`ContactPatch`], [`MarketingConsent`]: what to send; invalid emails and
//!   phones are refused before any request.
//! - [`Error`]: one error type; ask it [`kind`](Error::kind), [`status`](Error::status),
//!   [`code`](Error::code), [`retry_after`](Error::retry_after), [`is_retryable`](Error::is_retryable).
//! - [`Minimo::change_email`]: the look-up, conflict check, update and confirmation, idempotent.
//! - [`Minimo::ensure_custom_fields`]: custom fields declared as a struct ([`typed`]).
//!
//! Retries, the per-call deadline and tracing happen in `minimo_api::runtime`; the API key and
//! personal data never appear in Debug output, errors or traces.

mod client;
mod contact;
mod custom_fields;
mod error;
mod key;
pub mod typed;
mod validate;

pub use client::{
    DEFAULT_BASE_URL, ENV_API_KEY, ENV_API_URL, EmailChange, Minimo, MinimoBuilder, RetryPolicy,
};
pub use contact::{Contact, ContactId, ContactInput, ContactPatch, MarketingConsent};
pub use custom_fields::{CustomField, CustomFieldGroup, CustomFields, FieldType, NewCustomField};
pub use error::{Error, ErrorCode, ErrorKind, Result};
pub use key::ApiKey;
