//! Generated Rust client for the [Minimo](https://www.minimo.it) contacts API.
//!
//! Everything under [`types`], [`builder`] and the operation methods of [`Client`] is generated
//! by `cargo xtask codegen` from `openapi/minimo-contacts.yaml`; this file, [`model`], [`pii`]
//! and [`runtime`] are written by hand. Most services want the ergonomic layer in `minimo-ext`
//! instead; this crate is the wire-level client it stands on.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use minimo_api::{Client, types};
//!
//! let client = Client::with_api_key("https://api.minimo.it", "mn-abc123-xyz789")?;
//! let upserted = client
//!     .upsert_contact()
//!     .body(types::ContactUpsert::builder().email(Some("customer@example.com".into())))
//!     .send()
//!     .await?;
//! // Any 2xx is success; the id is read from whichever documented shape the body has.
//! println!("contact {:?}", upserted.contact_id());
//!
//! // The vendor documents this body both wrapped in `data` and bare; both decode.
//! let found = client.get_contact_by_email().email("customer@example.com").send().await?;
//! println!("id {}", found.into_inner().into_contact().id);
//! # Ok(())
//! # }
//! ```
//!
//! # Reading tolerantly
//!
//! The vendor's pages give no success status and show several shapes for most bodies. The
//! spec declares every success as `2XX`, and [`model`] decodes each documented shape (see its
//! docs); error answers of any status decode as [`model::ErrorResponse`] when they carry the
//! envelope.
//!
//! # Personal data
//!
//! Emails, phones, names, custom field values and unknown fields in the generated and model
//! types are held in the types of [`pii`], whose `Debug` output is masked, and
//! [`model::ErrorBody`] masks what the server wrote. One place holds raw text and should not
//! be printed with `{:?}`: the request builder of `get_contact_by_email` (the email, a path
//! parameter progenitor keeps as a `String`).

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod generated;
pub mod model;
pub mod pii;
pub mod runtime;

pub use generated::*;

use runtime::{InvalidBaseUrl, InvalidHeader, Runtime};
use std::fmt;

/// Why [`Client::with_api_key`] could not build a client. Never contains the key.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The base URL is not https (or http on loopback), or carries a query or credentials.
    InvalidBaseUrl(InvalidBaseUrl),
    /// The API key cannot be sent in an HTTP header.
    InvalidApiKey(InvalidHeader),
    /// reqwest could not build its client (e.g. TLS initialisation failed).
    Http(reqwest::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidBaseUrl(e) => e.fmt(f),
            BuildError::InvalidApiKey(e) => e.fmt(f),
            BuildError::Http(e) => write!(f, "cannot build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::InvalidBaseUrl(e) => Some(e),
            BuildError::Http(e) => Some(e),
            BuildError::InvalidApiKey(e) => Some(e),
        }
    }
}

impl Client {
    /// A client for `base_url` (e.g. `https://api.minimo.it`) that authenticates with
    /// `api_key` (`mn-{clientId}-{secret}`), with the default [`Runtime`] and the default
    /// HTTP client ([`runtime::default_http_client`]: no redirects, https only off loopback,
    /// a 10 s connect timeout, a 30 s deadline per call).
    ///
    /// The key is only placed in a sensitive `Authorization` header; its shape is not checked
    /// here (`minimo-ext` does that). Fails when the base URL is refused by
    /// [`runtime::check_base_url`] or the key cannot be a header value.
    pub fn with_api_key(base_url: &str, api_key: &str) -> Result<Self, BuildError> {
        let url = runtime::check_base_url(base_url).map_err(BuildError::InvalidBaseUrl)?;
        let runtime = Runtime::new()
            .with_client_timeout(runtime::DEFAULT_CALL_TIMEOUT)
            .with_api_key(api_key)
            .map_err(BuildError::InvalidApiKey)?;
        let http = runtime::default_http_client(
            &url,
            runtime::DEFAULT_CONNECT_TIMEOUT,
            runtime::DEFAULT_CALL_TIMEOUT,
        )
        .map_err(BuildError::Http)?;
        Ok(Self::new_with_client(
            url.as_str().trim_end_matches('/'),
            http,
            runtime,
        ))
    }
}
