//! The [`Minimo`] client: the contact operations and the one path every call takes.

use crate::contact::{Contact, ContactId, ContactInput, ContactPatch};
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::validate;
use futures_util::FutureExt;
use minimo_api::model::ErrorResponse;
use minimo_api::pii::EmailAddress;
use minimo_api::runtime::{CallReport, RetryPolicy, observe};
use minimo_api::{ClientInfo, ResponseValue, types};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use url::Url;

/// A client for the Minimo contacts API.
///
/// Cheap to clone (one `Arc`), `Send + Sync`; clones share one connection pool. Build one with
/// [`Minimo::builder`] or [`Minimo::from_env`] and keep it for the life of the service.
///
/// Every example below runs against [`minimo_fake`](https://docs.rs/minimo-fake), the
/// in-memory Minimo this workspace ships for tests; the hidden lines start it.
#[derive(Clone)]
pub struct Minimo {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) api: minimo_api::Client,
    /// Only the client id is kept here, for Debug: the key itself lives in the runtime as a
    /// sensitive header value.
    pub(crate) client_id: String,
    pub(crate) base_url: Url,
}

impl fmt::Debug for Minimo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Minimo")
            .field("base_url", &self.inner.base_url.as_str())
            .field(
                "api_key",
                &format_args!("mn-{}-** redacted **", self.inner.client_id),
            )
            .field("runtime", self.inner.api.inner())
            .finish()
    }
}

impl Minimo {
    pub(crate) fn from_parts(inner: Inner) -> Minimo {
        Minimo {
            inner: Arc::new(inner),
        }
    }

    /// The base URL requests go to.
    ///
    /// ```
    /// let minimo = minimo_ext::Minimo::builder().api_key("mn-abc123-xyz789").build()?;
    /// assert_eq!(minimo.base_url().as_str(), "https://api.minimo.it/");
    /// # Ok::<(), minimo_ext::Error>(())
    /// ```
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The generated wire-level client underneath, for operations this crate does not wrap.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// let fields = minimo.api().list_custom_fields().send().await?.into_inner();
    /// assert!(fields.into_fields().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn api(&self) -> &minimo_api::Client {
        &self.inner.api
    }

    /// A client like this one (same key, base URL and connection pool) with another retry
    /// policy: e.g. one that leaves 429 to a caller pacing its own requests.
    ///
    /// ```
    /// use minimo_ext::RetryPolicy;
    /// let minimo = minimo_ext::Minimo::builder().api_key("mn-abc123-xyz789").build()?;
    /// let paced = minimo.with_retry_policy(RetryPolicy::default().retry_rate_limited(false));
    /// # Ok::<(), minimo_ext::Error>(())
    /// ```
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Minimo {
        let api = &self.inner.api;
        Minimo::from_parts(Inner {
            api: minimo_api::Client::new_with_client(
                api.baseurl(),
                api.client().clone(),
                api.inner().clone().with_retry_policy(policy),
            ),
            client_id: self.inner.client_id.clone(),
            base_url: self.inner.base_url.clone(),
        })
    }

    /// Awaits one generated operation and converts its error with what the runtime saw.
    /// Every error produced after bytes went on the wire carries the call's report.
    ///
    /// The operation's future (a few KiB: the request, the retry loop, the answer) is put on
    /// the heap once, so the futures of this crate that await it stay small: otherwise each
    /// layer would copy it again whenever it is created or moved.
    pub(crate) fn call<T, F>(&self, send: F) -> impl Future<Output = Result<(T, CallReport)>>
    where
        F: Future<Output = std::result::Result<ResponseValue<T>, minimo_api::Error<ErrorResponse>>>,
    {
        observe(Box::pin(send)).map(|(result, report)| match result {
            Ok(value) => Ok((value.into_inner(), report)),
            Err(error) => Err(Error::from_api(error, report)),
        })
    }

    /// Creates a contact, or updates the one matching its email (then its phone). Custom
    /// fields are deep-merged, consent channels left unset keep their value, and a
    /// soft-deleted match is restored. Input is validated first; invalid input is
    /// [`ErrorKind::InvalidInput`] and nothing is sent.
    ///
    /// Any 2xx is success. When the answer names no usable id, the contact is found by the
    /// email sent; with only a phone sent (the API has no look-up by phone) the error says the
    /// write was applied ([`Error::may_have_been_processed`]). Retried only on 429 and failed
    /// connections: see `minimo_api::runtime` for why.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::{ContactInput, MarketingConsent};
    /// let id = minimo
    ///     .upsert(
    ///         ContactInput::with_email("jane@example.com")
    ///             .phone("+39 339 123 4567")
    ///             .custom_field("plan", "pro")
    ///             .consent(MarketingConsent::unchanged().email(true)),
    ///     )
    ///     .await?;
    /// // The same email again updates the same contact.
    /// assert_eq!(minimo.upsert(ContactInput::with_email("Jane@Example.com")).await?, id);
    /// # Ok(()) }
    /// ```
    pub async fn upsert(&self, contact: ContactInput) -> Result<ContactId> {
        let body = contact.into_wire()?;
        let email = body.email.clone();
        match self
            .call(self.api().upsert_contact().body(body).send())
            .await
        {
            Ok((answer, report)) => match answer.contact_id() {
                Some(id) => Ok(ContactId::new(id)),
                None => self.find_upserted(email, report).await,
            },
            Err(error) if error.took_effect() => {
                let report = error.report().clone();
                self.find_upserted(email, report).await
            }
            Err(error) => Err(error),
        }
    }

    /// The contact an upsert that answered no usable id created or updated: found by the
    /// email it sent. Whatever fails here, the error says the upsert took effect.
    async fn find_upserted(
        &self,
        email: Option<EmailAddress>,
        report: CallReport,
    ) -> Result<ContactId> {
        let status = report.status.map_or(0, |s| s.as_u16());
        let applied = |why: String| {
            Error::new(
                ErrorKind::Decode,
                format!(
                    "the upsert took effect (HTTP {status}) but its answer names no contact id, and {why}"
                ),
            )
            .with_report(report.clone())
        };
        let Some(email) = email else {
            return Err(applied("a contact cannot be looked up by phone".to_owned()));
        };
        match self.get_by_email(email.as_str()).await {
            Ok(Some(contact)) => Ok(contact.id),
            Ok(None) => Err(applied("no live contact has the email it sent".to_owned())),
            Err(lookup) => {
                Err(applied(format!("looking it up by email failed: {lookup}")).with_source(lookup))
            }
        }
    }

    /// The live contact with this email, or `None` when there is none (unknown or
    /// soft-deleted: an answer with the API's `not_found` code). Other failures, a 404 without
    /// that code included, are errors.
    ///
    /// The email is percent-encoded as `encodeURIComponent` does, so any address a contact can
    /// hold is looked up as is; only what no contact can hold (empty, no `@`...) is refused
    /// before sending, with the code this endpoint documents, `bad_request`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::ContactInput;
    /// let id = minimo.upsert(ContactInput::with_email("jane+news@example.com")).await?;
    /// let jane = minimo.get_by_email("jane+news@example.com").await?.expect("just created");
    /// assert_eq!(jane.id, id);
    /// assert!(minimo.get_by_email("nobody@example.com").await?.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn get_by_email(&self, email: &str) -> Result<Option<Contact>> {
        let email = validate::email_for_lookup("email", email)?;
        match self
            .call(self.api().get_contact_by_email().email(email).send())
            .await
        {
            Ok((found, _)) => Ok(Some(Contact::from(found.into_contact()))),
            // Only the API's own `not_found` means "no such contact"; a 404 without the
            // envelope (a wrong base path, a proxy's page) stays an error.
            Err(error) if error.code() == Some(&ErrorCode::NotFound) => Ok(None),
            // The email is this endpoint's only input: a 400 is about it.
            Err(error) if error.status() == Some(400) && error.field().is_none() => {
                Err(error.with_field("email"))
            }
            Err(error) => Err(error),
        }
    }

    /// Changes only what `patch` sets on contact `id` (custom fields deep-merged). Restores the
    /// contact if it was soft-deleted; never creates one ([`ErrorKind::NotFound`]). An email
    /// another live contact has is [`ErrorKind::Conflict`]. A patch that sets nothing is
    /// refused: use [`restore`](Self::restore) to bring a contact back unchanged. Any 2xx is
    /// success, whatever its body.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::{ContactInput, ContactPatch, MarketingConsent};
    /// let id = minimo.upsert(ContactInput::with_email("jane@example.com")).await?;
    /// minimo
    ///     .update(id, ContactPatch::new().custom_field("seats", 5).consent(MarketingConsent::opt_out_all()))
    ///     .await?;
    /// let jane = minimo.get_by_email("jane@example.com").await?.expect("exists");
    /// assert_eq!(jane.custom_field::<u32>("seats").transpose()?, Some(5));
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, id: ContactId, patch: ContactPatch) -> Result<ContactId> {
        if patch.is_empty() {
            return Err(Error::invalid_input(
                "the patch changes nothing; to restore a soft-deleted contact unchanged, call `restore`",
            ));
        }
        self.send_update(id, patch.into_wire()?).await
    }

    /// Restores a soft-deleted contact without changing it (an update with an empty body,
    /// which the update page allows); a live contact is left as it is. An unknown id is
    /// [`ErrorKind::NotFound`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::ContactInput;
    /// let id = minimo.upsert(ContactInput::with_email("jane@example.com")).await?;
    /// minimo.delete(id).await?;
    /// assert!(minimo.get_by_email("jane@example.com").await?.is_none());
    /// minimo.restore(id).await?;
    /// assert!(minimo.get_by_email("jane@example.com").await?.is_some());
    /// # Ok(()) }
    /// ```
    pub async fn restore(&self, id: ContactId) -> Result<ContactId> {
        self.send_update(id, ContactPatch::new().into_wire()?).await
    }

    async fn send_update(&self, id: ContactId, body: types::ContactUpdate) -> Result<ContactId> {
        let send = self
            .api()
            .update_contact_by_id()
            .id(id.get())
            .body(body)
            .send();
        match self.call(send).await {
            // The id sent is the id updated: the answer's body is not needed.
            Ok(_) => Ok(id),
            Err(error) if error.took_effect() => Ok(id),
            Err(error) => Err(error),
        }
    }

    /// Soft-deletes contact `id` (it can be restored by an upsert, an update or
    /// [`restore`](Self::restore)). Any 2xx is success and its body is not read. An unknown
    /// id is [`ErrorKind::NotFound`].
    ///
    /// Deleting a contact that is already soft-deleted: the vendor's page breaks off before
    /// saying what it answers. `minimo-fake` answers success again, and retries rely on the
    /// delete being idempotent (it only sets a flag); a real server answering 404 would
    /// surface as [`ErrorKind::NotFound`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::{ContactId, ContactInput, ErrorKind};
    /// let id = minimo.upsert(ContactInput::with_email("jane@example.com")).await?;
    /// minimo.delete(id).await?;
    /// let unknown = minimo.delete(ContactId::new(999_999)).await.unwrap_err();
    /// assert_eq!(unknown.kind(), ErrorKind::NotFound);
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, id: ContactId) -> Result<()> {
        self.call(self.api().delete_contact().id(id.get()).send())
            .await
            .map(|_| ())
    }
}

impl Error {
    /// The server answered 2xx but its body was not usable: the request took effect.
    pub(crate) fn took_effect(&self) -> bool {
        self.kind() == ErrorKind::Decode && self.status().is_some_and(|s| (200..300).contains(&s))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_client_is_cheap_to_clone_and_shareable() {
        fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync_clone::<Minimo>();
        assert_eq!(std::mem::size_of::<Minimo>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn debug_output_redacts_the_key() {
        let client = Minimo::builder().api_key("mn-acme-topsecret42").build();
        let shown = format!(
            "{client:?} {:?}",
            Minimo::builder().api_key("mn-acme-topsecret42")
        );
        assert!(!shown.contains("topsecret42"), "{shown}");
        assert!(shown.contains("mn-acme-** redacted **"), "{shown}");
    }

    #[test]
    fn a_derived_client_keeps_the_key_and_changes_the_policy() {
        let client = Minimo::builder()
            .api_key("mn-acme-topsecret42")
            .build()
            .unwrap();
        let derived = client.with_retry_policy(RetryPolicy::none());
        assert_eq!(derived.api().inner().retry_policy().attempts(), 1);
        assert_eq!(client.api().inner().retry_policy().attempts(), 4);
        assert_eq!(derived.base_url(), client.base_url());
        assert!(format!("{derived:?}").contains("mn-acme-** redacted **"));
    }
}
