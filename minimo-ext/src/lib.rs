#![doc = include_str!("../README.md")]

mod builder;
mod change_email;
mod client;
pub mod contact;
mod custom_fields;
mod error;
mod key;
pub mod sync;
pub mod typed;
pub mod validate;

pub use builder::{DEFAULT_BASE_URL, ENV_API_KEY, ENV_API_URL, MinimoBuilder};
pub use change_email::{EmailChange, EmailChangePlan};
pub use client::Minimo;
pub use contact::{Contact, ContactId, ContactInput, ContactPatch, MarketingConsent};
pub use custom_fields::{CustomField, CustomFieldGroup, CustomFields, FieldType, NewCustomField};
pub use error::{Error, ErrorCode, ErrorKind, Result};
pub use key::ApiKey;
pub use minimo_api;
pub use minimo_api::runtime::{AttemptEvent, Outcome, RetryDecision, RetryPolicy};
pub use sync::{
    StopReason, SyncBuilder, SyncHandle, SyncInput, SyncOp, SyncOutcome, SyncProgress, SyncReport,
    SyncResult,
};
pub use typed::{EnsureReport, FieldSpec, TypeMismatch};
