//! Generated Rust client for the [Minimo](https://www.minimo.it) contacts API.
//!
//! Everything under [`types`], [`builder`] and the operation methods of [`Client`] is generated
//! by `cargo xtask codegen` from `openapi/minimo-contacts.yaml`; this file and [`runtime`] are
//! written by hand. Most services want the ergonomic layer in `minimo-ext` instead; this crate
//! is the wire-level client it stands on.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use minimo_api::{Client, types};
//!
//! let client = Client::with_api_key("https://api.minimo.it", "mn-abc123-xyz789")?;
//! let upserted = client
//!     .upsert_contact()
//!     .body(types::ContactUpsert::builder().email("customer@example.com".to_owned()))
//!     .send()
//!     .await?;
//! println!("contact {}", upserted.0[0].contact_id);
//!
//! let found = client.get_contact_by_email().email("customer@example.com").send().await?;
//! match found.into_inner() {
//!     types::ContactLookup::Variant0(envelope) => println!("id {}", envelope.data.id),
//!     types::ContactLookup::Variant1(contact) => println!("id {}", contact.id),
//! }
//! # Ok(())
//! # }
//! ```

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod generated;
pub mod runtime;

pub use generated::*;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use std::fmt;

/// The `User-Agent` every request carries: `minimo-rs/<version>`.
pub const USER_AGENT_VALUE: &str = concat!("minimo-rs/", env!("CARGO_PKG_VERSION"));

/// Why [`Client::with_api_key`] could not build a client. Never contains the key.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The API key cannot be sent in an HTTP header (it holds control characters or non-ASCII).
    InvalidApiKey,
    /// reqwest could not build its client (e.g. TLS initialisation failed).
    Http(reqwest::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidApiKey => {
                f.write_str("the API key holds characters an HTTP header cannot carry")
            }
            BuildError::Http(e) => write!(f, "cannot build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Http(e) => Some(e),
            BuildError::InvalidApiKey => None,
        }
    }
}

/// The default headers of every request: the bearer token (marked sensitive, so reqwest and
/// `http` never print it) and the user agent.
pub fn default_headers(api_key: &str) -> Result<HeaderMap, BuildError> {
    let mut bearer = HeaderValue::try_from(format!("Bearer {api_key}"))
        .map_err(|_| BuildError::InvalidApiKey)?;
    bearer.set_sensitive(true);
    let mut headers = HeaderMap::with_capacity(2);
    headers.insert(AUTHORIZATION, bearer);
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    Ok(headers)
}

impl Client {
    /// A client for `base_url` (e.g. `https://api.minimo.it`) that authenticates with
    /// `api_key` (`mn-{clientId}-{secret}`), with the default [`runtime::Runtime`].
    ///
    /// The key is only placed in a sensitive `Authorization` header; it is not validated
    /// here (see `minimo-ext` for that). Fails when the key cannot be a header value.
    pub fn with_api_key(base_url: &str, api_key: &str) -> Result<Self, BuildError> {
        let http = reqwest::Client::builder()
            .default_headers(default_headers(api_key)?)
            .build()
            .map_err(BuildError::Http)?;
        Ok(Self::new_with_client(
            base_url,
            http,
            runtime::Runtime::default(),
        ))
    }
}
