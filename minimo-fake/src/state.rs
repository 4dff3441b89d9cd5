//! The state a running server shares between its handle ([`crate::FakeServer`]), the
//! request pipeline and the handlers, and the configuration fixed at start.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::auth::KeyRing;
use crate::faults::Faults;
use crate::journal::{Journal, JournalEntry};
use crate::ratelimit::RateLimiter;
use crate::stats::Counters;
use crate::store::{CustomFieldSeed, Store};

/// A callback given every journal entry as it is recorded.
pub(crate) type Hook = Arc<dyn Fn(&JournalEntry) + Send + Sync>;

/// Longest request target (path and query, as sent) answered normally: a longer one is 414.
pub(crate) const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest total size of the request headers (names, values and separators) answered
/// normally: larger is 431.
pub(crate) const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Default bound on the time to receive a request body.
pub(crate) const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Configuration fixed when the server starts.
pub(crate) struct Config {
    pub(crate) admin: bool,
    pub(crate) system_fields: bool,
    /// Added before every API answer (not admin routes).
    pub(crate) latency: Duration,
    /// Bound on reading a request body.
    pub(crate) body_timeout: Duration,
}

/// State shared by the handle, the pipeline and the handlers.
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) faults: Faults,
    pub(crate) journal: Journal,
    pub(crate) stats: Counters,
    pub(crate) keys: KeyRing,
    pub(crate) limiter: RateLimiter,
    pub(crate) config: Config,
    request_seq: AtomicU64,
    request_prefix: String,
    on_request: Option<Hook>,
}

impl Shared {
    pub(crate) fn new(
        keys: KeyRing,
        limiter: RateLimiter,
        config: Config,
        request_prefix: String,
        on_request: Option<Hook>,
    ) -> Self {
        let shared = Self {
            store: Store::default(),
            faults: Faults::default(),
            journal: Journal::default(),
            stats: Counters::default(),
            keys,
            limiter,
            config,
            request_seq: AtomicU64::new(0),
            request_prefix,
            on_request,
        };
        shared.seed();
        shared
    }

    pub(crate) fn next_request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed) + 1;
        format!("req-{}-{n:06}", self.request_prefix)
    }

    /// Logs, counts and journals one answered (or dropped) request.
    pub(crate) fn record(&self, entry: JournalEntry) {
        tracing::info!(
            target: "minimo_fake",
            request_id = %entry.request_id,
            operation = entry.operation.as_deref().unwrap_or("-"),
            method = %entry.method,
            path = %entry.path,
            client_id = entry.client_id.as_deref().unwrap_or("-"),
            status = entry.status.unwrap_or(0),
            duration_ms = entry.duration.as_secs_f64() * 1000.0,
            fault = entry.fault.as_deref().unwrap_or("-"),
            "request"
        );
        self.stats.record(entry.operation.as_deref(), entry.status);
        if let Some(hook) = &self.on_request {
            hook(&entry);
        }
        self.journal.record(entry);
    }

    fn seed(&self) {
        if !self.config.system_fields {
            return;
        }
        for company in self.keys.companies() {
            for seed in system_fields() {
                // A duplicate can only come from a field seeded earlier: nothing to do.
                let _ = self.store.insert_custom_field(company, seed);
            }
        }
    }

    /// Clears the state (contacts, fields, faults, journal, statistics, rate buckets) and
    /// re-seeds the System fields; the configuration (keys and their revocation, limits)
    /// stays.
    pub(crate) fn reset(&self) {
        self.store.clear();
        self.faults.clear();
        self.journal.clear();
        self.stats.clear();
        self.limiter.reset();
        self.seed();
    }
}

/// The System custom fields seeded with [`crate::FakeServerBuilder::system_fields`].
pub fn system_fields() -> Vec<CustomFieldSeed> {
    vec![
        CustomFieldSeed::new("FIRST_NAME", "First name", "text")
            .category("Personal Info")
            .system(),
        CustomFieldSeed::new("LAST_NAME", "Last name", "text")
            .category("Personal Info")
            .system(),
    ]
}

/// Handle a handler uses to close its connection without answering (put in every
/// request's extensions by the connection).
#[derive(Clone)]
pub(crate) struct ConnectionKill(pub(crate) Arc<Notify>);
