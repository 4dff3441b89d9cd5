//! The [`Minimo`] client and its builder.

use crate::contact::{Contact, ContactId, ContactInput, ContactPatch};
use crate::custom_fields::{CustomField, CustomFields};
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::key::ApiKey;
use crate::typed::{self, EnsureReport};
use crate::validate;
use minimo_api::runtime::{Runtime, observe};
use minimo_api::{ClientInfo, ResponseValue, types};
use schemars::JsonSchema;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

pub use minimo_api::runtime::RetryPolicy;

/// The base URL of the Minimo public API.
pub const DEFAULT_BASE_URL: &str = "https://api.minimo.it";
/// The environment variable holding the API key (the name the vendor's guide uses).
pub const ENV_API_KEY: &str = "MINIMO_API_KEY";
/// The environment variable holding the base URL, optional (the vendor's guide's name).
pub const ENV_API_URL: &str = "MINIMO_API_URL";

/// A client for the Minimo contacts API.
///
/// Cheap to clone (one `Arc`), `Send + Sync`; clones share one connection pool. Build one with
/// [`Minimo::builder`] or [`Minimo::from_env`] and keep it for the life of the service.
#[derive(Clone)]
pub struct Minimo {
    inner: Arc<Inner>,
}

struct Inner {
    api: minimo_api::Client,
    /// Only the client id is kept here, for Debug: the key itself lives in the runtime as a
    /// sensitive header value.
    client_id: String,
    base_url: Url,
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

/// Configuration for a [`Minimo`] client. Every setting has a default but the API key.
#[derive(Clone)]
pub struct MinimoBuilder {
    api_key: Option<String>,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent_suffix: Option<String>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for MinimoBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MinimoBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "** redacted **"))
            .field("base_url", &redacted_origin(&self.base_url))
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("custom_http_client", &self.http.is_some())
            .finish()
    }
}

impl Default for MinimoBuilder {
    fn default() -> Self {
        MinimoBuilder {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent_suffix: None,
            http: None,
        }
    }
}

impl MinimoBuilder {
    /// The API key, `mn-{clientId}-{secret}` (checked by [`build`](Self::build)).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The base URL; default `https://api.minimo.it`. Plain `http://` is refused unless the
    /// host is loopback (a local fake server).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// How long connecting may take; default 10 s. Ignored with [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The deadline of a whole call, every retry and wait included; default 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retry policy; default [`RetryPolicy::default`] (4 attempts, 200 ms doubling to 5 s).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Text appended to the `minimo-rs/<version>` user agent, e.g. `billing-sync/2.1`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Uses this `reqwest::Client` (proxies, custom TLS roots...). The key and user agent are
    /// still added to each request. Its connect and read timeouts apply; its total request
    /// timeout does not, since each attempt's timeout is set from the call's deadline
    /// ([`timeout`](Self::timeout)). Build it with `redirect(Policy::none())` as the default
    /// client is: a followed redirect turns the upsert's POST into a GET.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// A builder with the key from `MINIMO_API_KEY` and, when set, the base URL from
    /// `MINIMO_API_URL`.
    pub fn from_env() -> Result<Self> {
        let key = std::env::var(ENV_API_KEY).map_err(|_| {
            Error::invalid_input(format!("{ENV_API_KEY} is not set (or not valid UTF-8)"))
        })?;
        let mut builder = MinimoBuilder::default().api_key(key);
        if let Ok(url) = std::env::var(ENV_API_URL)
            && !url.trim().is_empty()
        {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Minimo> {
        let raw = self
            .api_key
            .ok_or_else(|| Error::invalid_input("no API key was given"))?;
        let key = ApiKey::new(raw)?;
        let base_url = check_base_url(&self.base_url)?;
        let mut runtime = Runtime::new()
            .with_retry_policy(self.retry)
            .with_call_timeout(self.timeout)
            .with_api_key(key.expose_secret())
            .map_err(|e| Error::invalid_input(e.to_string()))?;
        if let Some(suffix) = &self.user_agent_suffix {
            runtime = runtime
                .with_user_agent_suffix(suffix)
                .map_err(|e| Error::invalid_input(e.to_string()))?;
        }
        let http = match self.http {
            Some(http) => http,
            // Redirects are not followed: a 301/302 would turn the upsert into a GET and drop
            // its body, and could lead to plain http. Off loopback, only https is spoken.
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .https_only(!is_loopback(&base_url))
                .build()
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Transport,
                        format!("cannot build the HTTP client: {e}"),
                    )
                })?,
        };
        let api = minimo_api::Client::new_with_client(
            base_url.as_str().trim_end_matches('/'),
            http,
            runtime,
        );
        Ok(Minimo {
            inner: Arc::new(Inner {
                api,
                client_id: key.client_id().to_owned(),
                base_url,
            }),
        })
    }
}

fn check_base_url(text: &str) -> Result<Url> {
    // Errors name what is wrong, not the value: a misplaced secret must not end up in a log.
    let url = Url::parse(text.trim())
        .map_err(|e| Error::invalid_input(format!("the base URL is not a URL ({e})")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_input(
            "the base URL must not have a query or fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_input(
            "the base URL must not carry credentials",
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::invalid_input(format!(
            "the base URL's host {} is reached over plain http: the API only accepts https \
             (http is allowed for loopback hosts only)",
            url.host_str().unwrap_or_default()
        ))),
        other => Err(Error::invalid_input(format!(
            "the base URL's scheme `{other}` is not https"
        ))),
    }
}

/// Scheme, host and port of a base URL not yet checked; no credentials, path or query (a
/// misplaced key could sit there).
fn redacted_origin(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => "(not a URL)".to_owned(),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The outcome of [`Minimo::change_email`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailChange {
    /// The contact's email was changed.
    Changed {
        /// The contact.
        id: ContactId,
    },
    /// The old email is on no live contact and the new one is: a change already made (by an
    /// earlier run, for instance). Nothing was sent. The API keeps no history, so this is also
    /// the answer when `old` never existed (a typo) and another contact has `new`: compare
    /// `id` with the contact you meant when that matters.
    AlreadyApplied {
        /// The contact that has the new email.
        id: ContactId,
    },
}

impl EmailChange {
    /// The contact, whichever the outcome.
    pub fn id(self) -> ContactId {
        match self {
            EmailChange::Changed { id } | EmailChange::AlreadyApplied { id } => id,
        }
    }
}

impl Minimo {
    /// A builder; only the API key is required.
    ///
    /// ```
    /// # fn demo() -> Result<(), minimo_ext::Error> {
    /// use std::time::Duration;
    /// let client = minimo_ext::Minimo::builder()
    ///     .api_key("mn-abc123-xyz789")
    ///     .timeout(Duration::from_secs(10))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> MinimoBuilder {
        MinimoBuilder::default()
    }

    /// A client configured from `MINIMO_API_KEY` and (optional) `MINIMO_API_URL`.
    pub fn from_env() -> Result<Minimo> {
        MinimoBuilder::from_env()?.build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The generated wire-level client underneath, for operations this crate does not wrap.
    pub fn api(&self) -> &minimo_api::Client {
        &self.inner.api
    }

    /// Awaits one generated operation, converting its error with what the runtime saw.
    pub(crate) async fn call<T, F>(&self, send: F) -> Result<T>
    where
        F: Future<
            Output = std::result::Result<ResponseValue<T>, minimo_api::Error<types::ErrorResponse>>,
        >,
    {
        let (result, report) = observe(send).await;
        match result {
            Ok(value) => Ok(value.into_inner()),
            Err(error) => Err(Error::from_api(error, report).await),
        }
    }

    /// Creates a contact, or updates the one matching its email (then its phone). Custom
    /// fields are deep-merged, consent channels left unset keep their value, and a
    /// soft-deleted match is restored. Input is validated first; invalid input is
    /// [`ErrorKind::InvalidInput`] and nothing is sent.
    ///
    /// Retried only on 429 and failed connections: see `minimo_api::runtime` for why.
    pub async fn upsert(&self, contact: ContactInput) -> Result<ContactId> {
        let body = contact.to_wire()?;
        let result = self
            .call(self.api().upsert_contact().body(body).send())
            .await?;
        let first = result
            .0
            .first()
            .ok_or_else(|| Error::new(ErrorKind::Decode, "the upsert answered an empty list"))?;
        ContactId::try_from(&first.contact_id)
    }

    /// The live contact with this email, or `None` when there is none (unknown or
    /// soft-deleted: a 404 with the API's `not_found` code). Other failures, a 404 without
    /// that code included, are errors.
    pub async fn get_by_email(&self, email: &str) -> Result<Option<Contact>> {
        let email = validate::email("email", email)?;
        match self
            .call(self.api().get_contact_by_email().email(email).send())
            .await
        {
            Ok(found) => Ok(Some(Contact::from(found.into_contact()))),
            // Only the API's own `not_found` means "no such contact"; a 404 without the
            // envelope (a wrong base path, a proxy's page) stays an error.
            Err(error) if error.code() == Some(&ErrorCode::NotFound) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Changes only what `patch` sets on contact `id` (custom fields deep-merged). Restores the
    /// contact if it was soft-deleted; never creates one ([`ErrorKind::NotFound`]). An email
    /// another live contact has is [`ErrorKind::Conflict`].
    pub async fn update(&self, id: ContactId, patch: ContactPatch) -> Result<ContactId> {
        let body = patch.to_wire()?;
        let updated = self
            .call(
                self.api()
                    .update_contact_by_id()
                    .id(id.get())
                    .body(body)
                    .send(),
            )
            .await?;
        Ok(ContactId::new(updated.id))
    }

    /// Soft-deletes contact `id` (it can be restored by an upsert or an update). Deleting a
    /// contact already deleted succeeds; an unknown id is [`ErrorKind::NotFound`].
    pub async fn delete(&self, id: ContactId) -> Result<()> {
        self.call(self.api().delete_contact().id(id.get()).send())
            .await
            .map(|_| ())
    }

    /// Custom field definitions: list and create.
    pub fn custom_fields(&self) -> CustomFields<'_> {
        CustomFields { client: self }
    }

    /// Changes a contact's email from `old` to `new`, safely:
    ///
    /// 1. looks up `old` and `new`;
    /// 2. if `new` is on another live contact: [`ErrorKind::Conflict`], nothing changed;
    /// 3. if `old` is on no live contact but `new` is: [`EmailChange::AlreadyApplied`] (so a
    ///    re-run after success succeeds); if neither is: [`ErrorKind::NotFound`];
    /// 4. updates the contact by id, sending only the email (custom fields, phone and consent
    ///    are untouched);
    /// 5. confirms that `new` now finds that contact, else an error says what it found.
    ///
    /// Each step is retried by the runtime on transient failures (the update is idempotent).
    /// The API has no conditional update: a contact soft-deleted between steps 1 and 4 is
    /// restored by step 4, as any update-by-id restores it.
    pub async fn change_email(&self, old: &str, new: &str) -> Result<EmailChange> {
        let old = validate::email("old email", old)?;
        let new = validate::email("new email", new)?;
        let (current, taken) = (
            self.get_by_email(&old).await?,
            self.get_by_email(&new).await?,
        );
        let contact = match (current, taken) {
            // The same contact (the emails differ only in case): done if it already has the
            // new spelling, else the update below fixes the case.
            (Some(current), Some(taken)) if current.id == taken.id => {
                if current.email.as_deref() == Some(new.as_str()) {
                    return Ok(EmailChange::AlreadyApplied { id: current.id });
                }
                current
            }
            (Some(_), Some(taken)) => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "the new email is already used by contact {}; nothing was changed",
                        taken.id
                    ),
                ));
            }
            (None, Some(taken)) => return Ok(EmailChange::AlreadyApplied { id: taken.id }),
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    "no live contact has the old email",
                ));
            }
            (Some(current), None) => current,
        };
        self.update(contact.id, ContactPatch::new().email(new.clone()))
            .await?;
        match self.get_by_email(&new).await? {
            Some(confirmed) if confirmed.id == contact.id => {
                Ok(EmailChange::Changed { id: contact.id })
            }
            Some(other) => Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "after the update the new email finds contact {}, not {}",
                    other.id, contact.id
                ),
            )),
            None => Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "contact {} was updated but the new email does not find it (deleted meanwhile?)",
                    contact.id
                ),
            )),
        }
    }

    /// Makes the account's custom fields match struct `T` (see [`crate::typed`] for the type
    /// mapping): lists what exists, creates what is missing, and reports keys whose existing
    /// type differs, or whose `select` options differ (those are left alone). Running it again
    /// changes nothing.
    pub async fn ensure_custom_fields<T: JsonSchema>(&self) -> Result<EnsureReport> {
        let wanted = typed::field_specs::<T>()?;
        let mut existing: Vec<CustomField> = self.custom_fields().list().await?;
        let mut report = EnsureReport::default();
        for spec in wanted {
            if report.record_existing(&spec, &existing) {
                continue;
            }
            match self.custom_fields().create(spec.to_new()).await {
                Ok(created) => {
                    report.created.push(spec.key);
                    existing.push(created);
                }
                // Created meanwhile by another instance: look again.
                Err(error) if error.kind() == ErrorKind::Conflict => {
                    existing = self.custom_fields().list().await?;
                    if !report.record_existing(&spec, &existing) {
                        return Err(error);
                    }
                }
                Err(error) => return Err(error),
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_https_unless_loopback() {
        assert!(check_base_url("https://api.minimo.it").is_ok());
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:3000/",
            "http://[::1]:9000",
            "http://127.8.9.10",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.minimo.it",
            "http://10.0.0.1",
            "ftp://api.minimo.it",
            "api.minimo.it",
            "https://a.it/?x=1",
            "https://u:p@a.it",
        ] {
            let error = check_base_url(bad).err().map(|e| e.kind());
            assert_eq!(error, Some(ErrorKind::InvalidInput), "{bad}");
        }
    }

    #[test]
    fn the_client_is_cheap_to_clone_and_shareable() {
        fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync_clone::<Minimo>();
        assert_eq!(std::mem::size_of::<Minimo>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn builder_debug_shows_only_the_origin_of_the_base_url() {
        let builder = Minimo::builder()
            .base_url("https://user:mn-acme-topsecret42@api.minimo.it/mn-acme-topsecret42?k=1");
        let shown = format!("{builder:?}");
        assert!(shown.contains("https://api.minimo.it"), "{shown}");
        assert!(!shown.contains("topsecret42"), "{shown}");
        assert!(
            format!("{:?}", Minimo::builder().base_url("mn-acme-topsecret42"))
                .contains("(not a URL)")
        );
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
}
