//! [`MinimoBuilder`]: the configuration of a [`Minimo`] client.

use crate::client::{Inner, Minimo};
use crate::error::{Error, ErrorKind, Result};
use crate::key::ApiKey;
use minimo_api::runtime::{
    AttemptEvent, DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, Observer, RetryPolicy, Runtime,
    check_base_url, default_http_client,
};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The base URL of the Minimo public API.
pub const DEFAULT_BASE_URL: &str = "https://api.minimo.it";
/// The environment variable holding the API key (the name the vendor's guide uses).
pub const ENV_API_KEY: &str = "MINIMO_API_KEY";
/// The environment variable holding the base URL, optional (the vendor's guide's name).
pub const ENV_API_URL: &str = "MINIMO_API_URL";

/// Configuration for a [`Minimo`] client. Every setting has a default but the API key.
///
/// ```
/// use std::time::Duration;
/// use minimo_ext::{Minimo, RetryPolicy};
///
/// let minimo = Minimo::builder()
///     .api_key("mn-abc123-xyz789")
///     .timeout(Duration::from_secs(10))
///     .retry_policy(RetryPolicy::default().max_attempts(2))
///     .user_agent_suffix("billing-sync/2.1")
///     .build()?;
/// # Ok::<(), minimo_ext::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct MinimoBuilder {
    api_key: Option<String>,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent_suffix: Option<String>,
    http: Option<reqwest::Client>,
    observer: Option<Observer>,
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
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

impl Default for MinimoBuilder {
    fn default() -> Self {
        MinimoBuilder {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_CALL_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent_suffix: None,
            http: None,
            observer: None,
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

    /// A client configured from `MINIMO_API_KEY` and (optional) `MINIMO_API_URL`; see
    /// [`MinimoBuilder::from_env`].
    ///
    /// ```no_run
    /// let minimo = minimo_ext::Minimo::from_env()?;
    /// # Ok::<(), minimo_ext::Error>(())
    /// ```
    pub fn from_env() -> Result<Minimo> {
        MinimoBuilder::from_env()?.build()
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

    /// The deadline of a whole call, every retry, wait and body read included; default 30 s.
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

    /// Calls `observer` after every attempt of every call, from the task making it: the
    /// operation, how the attempt ended, its latency, the request id and the retry decision
    /// ([`AttemptEvent`]). Keep it cheap; feed your metrics from it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use minimo_ext::{AttemptEvent, Minimo};
    ///
    /// let attempts = Arc::new(AtomicU64::new(0));
    /// let counter = attempts.clone();
    /// let minimo = Minimo::builder()
    ///     .api_key("mn-abc123-xyz789")
    ///     .on_attempt(move |event: &AttemptEvent<'_>| {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///         tracing::debug!(operation = event.operation, latency = ?event.latency, "minimo attempt");
    ///     })
    ///     .build()?;
    /// # Ok::<(), minimo_ext::Error>(())
    /// ```
    pub fn on_attempt(
        mut self,
        observer: impl Fn(&AttemptEvent<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// A builder with the key from `MINIMO_API_KEY` and, when set, the base URL from
    /// `MINIMO_API_URL`.
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `var` (a test, or a
    /// secrets store, supplies them).
    ///
    /// ```
    /// use minimo_ext::MinimoBuilder;
    /// let builder = MinimoBuilder::from_env_with(|name| match name {
    ///     "MINIMO_API_KEY" => Some("mn-abc123-xyz789".to_owned()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(builder.build()?.base_url().as_str(), "https://api.minimo.it/");
    /// # Ok::<(), minimo_ext::Error>(())
    /// ```
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let key = var(ENV_API_KEY).ok_or_else(|| {
            Error::invalid_input(format!("{ENV_API_KEY} is not set (or not valid UTF-8)"))
        })?;
        let mut builder = MinimoBuilder::default().api_key(key);
        if let Some(url) = var(ENV_API_URL).filter(|url| !url.trim().is_empty()) {
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
        let base_url =
            check_base_url(&self.base_url).map_err(|e| Error::invalid_input(e.to_string()))?;
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
        if let Some(observer) = self.observer {
            runtime = runtime.with_observer(observer);
        }
        let http = match self.http {
            Some(http) => http,
            None => {
                runtime = runtime.with_client_timeout(self.timeout);
                default_http_client(&base_url, self.connect_timeout, self.timeout).map_err(|e| {
                    Error::new(
                        ErrorKind::Transport,
                        format!("cannot build the HTTP client: {e}"),
                    )
                })?
            }
        };
        let api = minimo_api::Client::new_with_client(
            base_url.as_str().trim_end_matches('/'),
            http,
            runtime,
        );
        Ok(Minimo::from_parts(Inner {
            api,
            client_id: key.client_id().to_owned(),
            base_url,
        }))
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_environment_gives_the_key_and_an_optional_url() {
        let env = |key: Option<&str>, url: Option<&str>| {
            MinimoBuilder::from_env_with(move |name| match name {
                ENV_API_KEY => key.map(str::to_owned),
                ENV_API_URL => url.map(str::to_owned),
                _ => None,
            })
            .and_then(MinimoBuilder::build)
        };
        let missing = env(None, None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(missing.contains("MINIMO_API_KEY is not set"), "{missing}");
        let default = env(Some("mn-acme-k"), Some("  ")).map(|m| m.base_url().to_string());
        assert_eq!(default.ok().as_deref(), Some("https://api.minimo.it/"));
        let local =
            env(Some("mn-acme-k"), Some("http://127.0.0.1:9")).map(|m| m.base_url().to_string());
        assert_eq!(local.ok().as_deref(), Some("http://127.0.0.1:9/"));
        let plain = env(Some("mn-acme-k"), Some("http://api.minimo.it"))
            .err()
            .map(|e| e.kind());
        assert_eq!(plain, Some(ErrorKind::InvalidInput));
    }
}
