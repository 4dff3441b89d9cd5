//! The builder, the running server's handle and the accept loop.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::app;
use crate::auth::{ApiKey, KeyRing};
use crate::conn;
use crate::faults::Faults;
use crate::journal::{Journal, JournalEntry};
use crate::ratelimit::RateLimiter;
use crate::state::{Config, DEFAULT_BODY_TIMEOUT, Hook, Shared};
use crate::stats::Stats;
use crate::store::{CompanyId, Store};

/// Why the server could not start.
#[derive(Debug)]
pub enum StartError {
    /// An API key is not `mn-{clientId}-{secret}` (the key is shown masked).
    InvalidApiKey(String),
    /// Binding the listener failed.
    Bind(std::io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::InvalidApiKey(masked) => {
                write!(
                    f,
                    "API key {masked} is not of the form mn-{{clientId}}-{{secret}}"
                )
            }
            StartError::Bind(e) => write!(f, "cannot bind the listener: {e}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Bind(e) => Some(e),
            StartError::InvalidApiKey(_) => None,
        }
    }
}

/// Configures a [`FakeServer`]; see [`FakeServer::builder`].
#[must_use]
pub struct FakeServerBuilder {
    keys: Vec<ApiKey>,
    rate_limit: Option<(f64, u32)>,
    bind: SocketAddr,
    admin: bool,
    system_fields: bool,
    latency: Duration,
    body_timeout: Duration,
    on_request: Option<Hook>,
}

impl fmt::Debug for FakeServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServerBuilder")
            .field("keys", &self.keys)
            .field("rate_limit", &self.rate_limit)
            .field("bind", &self.bind)
            .field("admin", &self.admin)
            .field("system_fields", &self.system_fields)
            .field("latency", &self.latency)
            .field("body_timeout", &self.body_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for FakeServerBuilder {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            rate_limit: None,
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            admin: true,
            system_fields: false,
            latency: Duration::ZERO,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            on_request: None,
        }
    }
}

impl FakeServerBuilder {
    /// Accepts this key (`mn-{clientId}-{secret}`) with every permission. Its company is
    /// derived from the client id (one company per distinct client id, numbered from 1 in
    /// the order keys are added).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(ApiKey::new(key));
        self
    }

    /// Accepts a key configured with an explicit company and/or restricted permissions.
    pub fn key(mut self, key: ApiKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Enables a token bucket per key: `rps` requests per second sustained, `burst` at most
    /// in a row. Over the limit the answer is 429 `rate_limit_exceeded` with `Retry-After`
    /// (whole seconds, at least 1). Off by default. A non-positive or non-finite `rps`
    /// counts as 1; a `burst` of 0 as 1. [`ApiKey::rate_limit`] overrides it per key;
    /// [`FakeServer::set_rate_limit`] changes it while the server runs.
    pub fn rate_limit(mut self, rps: f64, burst: u32) -> Self {
        self.rate_limit = Some((rps, burst));
        self
    }

    /// Address to listen on; `127.0.0.1:0` (a free port) by default.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Serves the admin routes under `/__fake/` (faults, journal, store, reset, health).
    /// On by default in the library; the binary enables them only with `--admin`.
    pub fn admin(mut self, enabled: bool) -> Self {
        self.admin = enabled;
        self
    }

    /// Seeds every company with the System custom fields `FIRST_NAME` and `LAST_NAME`
    /// (category `Personal Info`), at start and after each reset. Off by default.
    pub fn system_fields(mut self, enabled: bool) -> Self {
        self.system_fields = enabled;
        self
    }

    /// Adds this fixed delay before every API answer (unknown routes and errors included,
    /// admin routes excluded), like a network between client and server. A tokio timer per
    /// request: thousands of concurrent delayed requests cost no thread. None by default.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Bounds the time to receive a request body, from when the handler starts reading it
    /// (after the headers, authentication and the rate limit): a body not complete by then
    /// is answered 408 `request_timeout` and the connection is closed, so a client that
    /// trickles its body cannot hold a connection forever. 30 s by default. (hyper bounds
    /// the time to read the headers, 30 s.)
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Calls `hook` with every journal entry as it is recorded (entries hold no key, no
    /// email): the binary uses it to log requests.
    pub fn on_request(mut self, hook: impl Fn(&JournalEntry) + Send + Sync + 'static) -> Self {
        self.on_request = Some(Arc::new(hook));
        self
    }

    /// Binds the listener and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<FakeServer, StartError> {
        let keys = KeyRing::build(&self.keys).map_err(StartError::InvalidApiKey)?;
        let listener = TcpListener::bind(self.bind)
            .await
            .map_err(StartError::Bind)?;
        let addr = listener.local_addr().map_err(StartError::Bind)?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let shared = Arc::new(Shared::new(
            keys,
            RateLimiter::new(self.rate_limit),
            Config {
                admin: self.admin,
                system_fields: self.system_fields,
                latency: self.latency,
                body_timeout: self.body_timeout,
            },
            format!("{:05x}{:04x}", nanos & 0xf_ffff, addr.port()),
            self.on_request,
        ));
        let app = app::router(shared.clone());
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, app, shared.clone(), rx));
        Ok(FakeServer {
            addr,
            shared,
            shutdown,
            task: Some(task),
        })
    }
}

/// A running fake. Dropping it stops the server (open connections are closed).
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .field("keys", &self.shared.keys)
            .field("store", &self.shared.store)
            .finish_non_exhaustive()
    }
}

impl FakeServer {
    /// Starts configuring a server.
    pub fn builder() -> FakeServerBuilder {
        FakeServerBuilder::default()
    }

    /// The URL to reach the server at, without trailing slash: `http://127.0.0.1:PORT` by
    /// default. An unspecified bind address is replaced by the loopback of its family
    /// (`0.0.0.0` → `127.0.0.1`, `::` → `[::1]`); any other address is used as bound, IPv6
    /// in brackets (`http://[::1]:PORT`).
    pub fn base_url(&self) -> String {
        base_url_of(self.addr)
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The contacts and custom fields, for seeding and inspection.
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// The queue of scripted faults.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// The request journal.
    pub fn journal(&self) -> &Journal {
        &self.shared.journal
    }

    /// The company of a configured client id.
    pub fn company_of(&self, client_id: &str) -> Option<CompanyId> {
        self.shared.keys.company_of_client(client_id)
    }

    /// The company of a configured key.
    pub fn company_of_key(&self, key: &str) -> Option<CompanyId> {
        self.shared.keys.company_of_key(key)
    }

    /// Every company a configured key belongs to.
    pub fn companies(&self) -> Vec<CompanyId> {
        self.shared.keys.companies().into_iter().collect()
    }

    /// Request totals per operation and status since the start or the last reset: unlike
    /// the [`Journal`], not bounded to its last [`crate::JOURNAL_CAPACITY`] entries.
    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }

    /// Revokes a configured key while the server runs: every later request with it is 401
    /// `unauthorized`, as for an unknown key (requests already past authentication finish).
    /// Answers whether `key` was a configured key. A reset does not restore it.
    pub fn revoke_key(&self, key: &str) -> bool {
        self.shared.keys.revoke(key)
    }

    /// Changes the server-wide rate limit while the server runs: `Some((rps, burst))` as
    /// [`FakeServerBuilder::rate_limit`], `None` for no limit. Keys with their own
    /// [`ApiKey::rate_limit`] keep it. Each key's bucket keeps its tokens, capped to the new
    /// burst at the key's next request, which refills it at the new rate (the time since
    /// the key's previous request included).
    pub fn set_rate_limit(&self, limit: Option<(f64, u32)>) {
        self.shared.limiter.set_default(limit);
    }

    /// Clears contacts, custom fields (re-seeding System fields if enabled), faults, the
    /// journal, the statistics and the rate-limit buckets. Configuration (keys, revoked
    /// keys, limits, latency) stays.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops accepting, closes open connections and waits for the server task to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// See [`FakeServer::base_url`].
fn base_url_of(mut addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => addr.set_ip(Ipv4Addr::LOCALHOST.into()),
        IpAddr::V6(ip) if ip.is_unspecified() => addr.set_ip(Ipv6Addr::LOCALHOST.into()),
        _ => {}
    }
    // `SocketAddr`'s Display brackets IPv6 addresses (and keeps a scope id as `%id`).
    format!("http://{addr}")
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(conn::serve(stream, app.clone(), shared.clone()));
                }
                Err(e) => {
                    tracing::warn!(target: "minimo_fake", "accept failed: {e}");
                    // Typically out of file descriptors: give open connections a moment to
                    // close rather than spin.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    // Unit-tested here: the tests may only bind 127.0.0.1, so an unspecified bind (`::`,
    // `0.0.0.0`) cannot be exercised through a running server.
    #[test]
    fn base_url_replaces_unspecified_addresses_by_the_loopback_of_their_family() {
        let url = |ip: IpAddr| base_url_of(SocketAddr::new(ip, 8080));
        assert_eq!(url(Ipv4Addr::UNSPECIFIED.into()), "http://127.0.0.1:8080");
        assert_eq!(
            url(Ipv4Addr::new(10, 1, 2, 3).into()),
            "http://10.1.2.3:8080"
        );
        assert_eq!(url(Ipv6Addr::UNSPECIFIED.into()), "http://[::1]:8080");
        assert_eq!(url(Ipv6Addr::LOCALHOST.into()), "http://[::1]:8080");
        let link_local = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
        assert_eq!(url(link_local.into()), "http://[fe80::1]:8080");
    }
}
