//! Per-key token buckets, with a server-wide default that can change while the server runs.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug, Default)]
struct State {
    default: Option<(f64, u32)>,
    buckets: HashMap<usize, Bucket>,
}

/// A token bucket per key: `burst` tokens at most, refilled at `rps` tokens per second. The
/// limits come from the key, else from the server-wide default; no limit means unlimited.
///
/// One mutex guards the default and every bucket: a check is a few float operations, so
/// the lock is held for nanoseconds, and taking a token is atomic under any concurrency
/// (two requests can never both take the last token).
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    state: Mutex<State>,
}

/// `rps` and `burst` as the bucket uses them: a non-positive or non-finite rate counts as 1
/// per second, a burst of 0 as 1.
fn normalize((rps, burst): (f64, u32)) -> (f64, f64) {
    let rps = if rps.is_finite() && rps > 0.0 {
        rps
    } else {
        1.0
    };
    (rps, f64::from(burst.max(1)))
}

impl RateLimiter {
    pub(crate) fn new(default: Option<(f64, u32)>) -> Self {
        Self {
            state: Mutex::new(State {
                default,
                buckets: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the server-wide default (`None`: unlimited). Buckets keep their tokens,
    /// capped to the new burst at their next check, which refills them at the new rate.
    pub(crate) fn set_default(&self, limit: Option<(f64, u32)>) {
        self.lock().default = limit;
    }

    /// Takes a token for this key, or answers the whole seconds to wait (at least 1).
    pub(crate) fn check(&self, key: usize, key_limit: Option<(f64, u32)>) -> Result<(), u64> {
        let mut state = self.lock();
        let Some(limit) = key_limit.or(state.default) else {
            return Ok(());
        };
        let (rps, burst) = normalize(limit);
        let now = Instant::now();
        let bucket = state.buckets.entry(key).or_insert(Bucket {
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

    /// Empties every bucket's history: each key starts again with a full bucket.
    pub(crate) fn reset(&self) {
        self.lock().buckets.clear();
    }
}
