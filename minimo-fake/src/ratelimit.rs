//! Per-key token buckets.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A token bucket per key: `burst` tokens at most, refilled at `rps` tokens per second. The
/// limits come from the key, else from the server-wide default; no limit means unlimited.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    default: Option<(f64, u32)>,
    buckets: Mutex<HashMap<usize, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(default: Option<(f64, u32)>) -> Self {
        Self {
            default,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for this key, or answers the whole seconds to wait (at least 1).
    pub(crate) fn check(&self, key: usize, key_limit: Option<(f64, u32)>) -> Result<(), u64> {
        let Some((rps, burst)) = key_limit.or(self.default) else {
            return Ok(());
        };
        let rps = if rps.is_finite() && rps > 0.0 {
            rps
        } else {
            1.0
        };
        let burst = f64::from(burst.max(1));
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let elapsed = now.duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rps).min(burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / rps;
            Err((wait.ceil() as u64).max(1))
        }
    }

    pub(crate) fn reset(&self) {
        self.buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
