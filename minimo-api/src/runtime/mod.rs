//! The handwritten runtime the generated [`Client`](crate::Client) runs on.
//!
//! progenitor calls [`ClientHooks`] around every request; the impl must live in this crate
//! (orphan rule). The hooks read their configuration from [`Runtime`], the value the client
//! carries as its inner state.

use crate::Client;
use progenitor_client::{ClientHooks, Error, OperationInfo};

/// Per-client runtime configuration, carried inside the generated [`Client`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Runtime {}

/// The request header progenitor adds to every request (a Dropshot convention the Minimo API
/// does not use); [`ClientHooks::pre`] removes it.
pub const API_VERSION_HEADER: &str = "api-version";

impl ClientHooks<Runtime> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        request.headers_mut().remove(API_VERSION_HEADER);
        Ok(())
    }
}
