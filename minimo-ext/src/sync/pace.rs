//! Pacing a whole sync against a limit nobody publishes.
//!
//! Minimo documents a 429 and nothing else: no numeric limit, no rate-limit headers. The
//! pacer sends at the rate the caller configured (the account's limit, when known) through one
//! GCRA limiter ([`governor`]) shared by every worker, with a burst of a few milliseconds'
//! worth (at least two requests), so a limit set right is met, and without a single 429. When the
//! server throttles anyway:
//!
//! - every worker stops until the `Retry-After` passes (or a backoff, doubling from
//!   [`SyncBuilder::throttle_backoff`](super::SyncBuilder::throttle_backoff) when the answer
//!   names none), not only the one that was answered 429;
//! - the ceiling is estimated from the rate the server *accepted* over the last seconds (not
//!   the rate sent: a server's bucket lets a burst through before it throttles), the rate drops
//!   to 95% of it, then climbs back to 98% within seconds and holds there (a sawtooth that
//!   halves on every 429 would average 75% of the limit);
//! - the estimate is made over the time the sync was sending (pauses excluded) within the
//!   last 2 s, and only from at least half a second and 10 answers: with less it would mostly
//!   measure the server's burst, so the rate is halved instead (or, for a sync without a
//!   limit, left alone: a small sync hit by one 429 only pauses);
//! - after a quiet spell the ceiling is probed 5% higher, so a server that raised its limit
//!   is found again: 5 s after a throttle at first, twice as long after each probe that was
//!   throttled, up to once a minute; never above the configured limit, which the caller can
//!   raise while the sync runs ([`SyncHandle::set_rate_limit`](super::SyncHandle::set_rate_limit)).
//!
//! Changing the rate swaps the limiter (governor cannot change a live quota); the small burst
//! bounds what leaks through during the swap.

use super::recent::Recent;
use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

type Limiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    DefaultClock,
    governor::middleware::NoOpMiddleware<<DefaultClock as Clock>::Instant>,
>;

/// How far back the accepted rate is measured...
const WINDOW: Duration = Duration::from_secs(2);
/// ...in slices this long.
const SLICE: Duration = Duration::from_millis(10);
/// After a throttle, the rate restarts at this share of the estimated ceiling...
const AFTER_THROTTLE: f64 = 0.95;
/// ...and climbs back to this share of it.
const HOLD: f64 = 0.98;
/// How often the rate climbs one step.
const STEP: Duration = Duration::from_millis(500);
/// How long without a throttle before the ceiling is first probed higher...
const FIRST_PROBE: Duration = Duration::from_secs(5);
/// ...and at most, after probes that were throttled.
const PROBE_AFTER: Duration = Duration::from_secs(60);
/// The fewest accepted answers an estimate of the ceiling is made from...
const MIN_SAMPLES: u64 = 10;
/// ...over at least this long.
const MIN_SPAN: Duration = Duration::from_millis(500);
/// How much higher a probe tries.
const PROBE: f64 = 1.05;
/// The longest pause a missing `Retry-After` backs off to.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The shared pacer of one sync. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Pacer {
    state: Arc<Mutex<State>>,
}

struct State {
    /// The caller's limit (`None`: unlimited until the server says otherwise).
    configured: Option<f64>,
    /// The current rate; `None` while unlimited.
    rate: Option<f64>,
    limiter: Option<Arc<Limiter>>,
    /// The estimated server ceiling, once a throttle was seen.
    ceiling: Option<f64>,
    paused_until: Option<Instant>,
    first_backoff: Duration,
    backoff: Duration,
    /// Answers the server accepted, per slice of [`WINDOW`].
    accepted: Recent,
    /// When the sync last started sending again (its start, or the end of the last pause).
    sending_since: Instant,
    last_step: Instant,
    last_throttle: Option<Instant>,
    probe_after: Duration,
    throttles: u64,
}

impl Pacer {
    pub(crate) fn new(configured: Option<f64>, backoff: Duration) -> Pacer {
        let now = Instant::now();
        let mut state = State {
            configured: None,
            rate: None,
            limiter: None,
            ceiling: None,
            paused_until: None,
            first_backoff: backoff,
            backoff,
            accepted: Recent::new(WINDOW, SLICE),
            sending_since: now,
            last_step: now,
            last_throttle: None,
            probe_after: FIRST_PROBE,
            throttles: 0,
        };
        state.configure(configured);
        Pacer {
            state: Arc::new(Mutex::new(state)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until one request may be sent.
    pub(crate) async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.lock();
                let now = Instant::now();
                state.climb(now);
                let pause = state
                    .paused_until
                    .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
                if !pause.is_zero() {
                    Some(pause)
                } else {
                    state.limiter.as_ref().and_then(|limiter| {
                        limiter.check().err().map(|not_until| {
                            not_until.wait_time_from(DefaultClock::default().now())
                        })
                    })
                }
            };
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return,
            }
        }
    }

    /// An answer the server did not throttle.
    pub(crate) fn accepted(&self) {
        let mut state = self.lock();
        let now = Instant::now();
        state.accepted.record(now);
        state.backoff = state.first_backoff;
    }

    /// A 429: everyone waits, and the rate drops below what the server accepted.
    pub(crate) fn throttled(&self, retry_after: Option<Duration>) {
        let mut state = self.lock();
        let now = Instant::now();
        state.throttles += 1;
        // Requests sent before the pause come back 429 together: one pause, one estimate.
        let already_paused = state
            .paused_until
            .is_some_and(|until| !until.saturating_duration_since(now).is_zero());
        let wait = retry_after.unwrap_or(state.backoff);
        if retry_after.is_none() {
            state.backoff = (state.backoff * 2).min(MAX_BACKOFF);
        }
        let until = now + wait;
        state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        if already_paused {
            return;
        }
        // A throttle within a probe's spell says the probe went too far: wait longer next time.
        if state.ceiling.is_some() {
            state.probe_after = (state.probe_after * 2).min(PROBE_AFTER);
        }
        state.last_throttle = Some(now);
        let measured = state.accepted_rate(now);
        state.sending_since = until;
        let ceiling = match (measured, state.rate) {
            (Some(measured), Some(rate)) => measured.min(rate),
            (Some(measured), None) => measured,
            (None, Some(rate)) => rate / 2.0,
            (None, None) => return,
        }
        .max(1.0);
        state.ceiling = Some(ceiling);
        state.set_rate(ceiling * AFTER_THROTTLE);
        state.last_step = now;
    }

    /// Changes the configured limit while the sync runs; `None` removes it.
    pub(crate) fn set_limit(&self, configured: Option<f64>) {
        self.lock().configure(configured);
    }

    /// The rate requests are sent at now (`None`: unlimited).
    pub(crate) fn rate(&self) -> Option<f64> {
        self.lock().rate
    }

    /// Answers counted as accepted within the measuring window.
    #[cfg(test)]
    pub(crate) fn accepted_recently(&self) -> u64 {
        self.lock().accepted.total()
    }

    /// How many 429s the pacer was told of.
    #[cfg(test)]
    pub(crate) fn throttles(&self) -> u64 {
        self.lock().throttles
    }
}

impl State {
    fn configure(&mut self, configured: Option<f64>) {
        self.configured = configured.filter(|r| r.is_finite() && *r > 0.0);
        self.ceiling = None;
        match self.configured {
            Some(rate) => self.set_rate(rate),
            None => {
                self.rate = None;
                self.limiter = None;
            }
        }
    }

    fn set_rate(&mut self, rate: f64) {
        let rate = match self.configured {
            Some(limit) => rate.min(limit),
            None => rate,
        }
        .max(0.1);
        self.rate = Some(rate);
        self.limiter = Some(Arc::new(RateLimiter::direct(quota(rate))));
    }

    /// Answers accepted per second while sending, over the last [`WINDOW`]; `None` when
    /// that is shorter than [`MIN_SPAN`] or holds fewer than [`MIN_SAMPLES`] answers.
    fn accepted_rate(&mut self, now: Instant) -> Option<f64> {
        self.accepted.forget(now);
        let since = self
            .sending_since
            .max(now.checked_sub(WINDOW).unwrap_or(now));
        let span = now.saturating_duration_since(since);
        let samples = self.accepted.since(since);
        (span >= MIN_SPAN && samples >= MIN_SAMPLES).then(|| samples as f64 / span.as_secs_f64())
    }

    /// Climbs back towards the ceiling after a throttle, and probes above it after a quiet
    /// minute.
    fn climb(&mut self, now: Instant) {
        let (Some(ceiling), Some(rate)) = (self.ceiling, self.rate) else {
            return;
        };
        if now.duration_since(self.last_step) < STEP {
            return;
        }
        self.last_step = now;
        if self
            .last_throttle
            .is_some_and(|t| now.duration_since(t) >= self.probe_after)
        {
            self.last_throttle = Some(now);
            let probed = ceiling * PROBE;
            self.ceiling = Some(probed);
            self.set_rate(probed * HOLD);
            return;
        }
        // A throttle set the rate below the target, a probe at it: climb until it is there
        // (a rate above it would be brought down to it).
        let target = ceiling * HOLD;
        if rate != target {
            self.set_rate((rate + (target - rate) / 2.0).min(target));
        }
    }
}

/// How much sending time the limiter's burst holds (at least two requests).
///
/// A waiting worker is woken by a timer with a resolution of a millisecond, so it arrives late.
/// With a burst of one, the limiter counts the next period from that late arrival and the
/// lateness is lost on every request: at 500 per second a worker that waits 2 ms and wakes
/// 1 ms late sends at two thirds of the rate. With a burst of two or more a request may go as
/// early as the lateness before it, so the average holds the rate, while what can leave at
/// once stays a few milliseconds' worth, well inside any server's bucket.
const BURST: Duration = Duration::from_millis(5);

/// A quota of `rate` requests per second with a burst of [`BURST`]'s worth, at least two.
fn quota(rate: f64) -> Quota {
    let period = Duration::from_secs_f64(1.0 / rate).max(Duration::from_nanos(1));
    let burst = (rate * BURST.as_secs_f64())
        .ceil()
        .clamp(2.0, f64::from(u16::MAX)) as u32;
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests a limiter of `quota(rate)` lets through in `seconds`, when every waiting
    /// worker arrives `late` after the moment the limiter named.
    fn sent_with_late_wakeups(rate: f64, late: Duration, seconds: u64) -> u64 {
        let clock = governor::clock::FakeRelativeClock::default();
        let limiter = RateLimiter::direct_with_clock(quota(rate), clock.clone());
        let end = Duration::from_secs(seconds);
        let mut elapsed = Duration::ZERO;
        let mut sent = 0;
        while elapsed < end {
            match limiter.check() {
                Ok(()) => sent += 1,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(clock.now()) + late;
                    clock.advance(wait);
                    elapsed += wait;
                }
            }
        }
        sent
    }

    #[test]
    fn workers_woken_late_by_the_timer_still_send_at_the_rate() {
        // Woken a millisecond late each time (the timer's resolution), at 500 and 250 per
        // second: within 1% of the rate, not the two thirds a burst of one would give.
        for rate in [500.0, 250.0] {
            let sent = sent_with_late_wakeups(rate, Duration::from_millis(1), 10) as f64;
            assert!(
                (sent / (rate * 10.0) - 1.0).abs() < 0.01,
                "{rate}/s: {sent} in 10 s"
            );
        }
        // Never more than the rate (plus the burst) when the timer is exact.
        let sent = sent_with_late_wakeups(500.0, Duration::ZERO, 10);
        assert!((5_000..=5_003).contains(&sent), "{sent}");
    }

    #[test]
    fn a_throttle_drops_below_what_the_server_accepted_then_climbs_back() {
        let pacer = Pacer::new(Some(1000.0), Duration::from_millis(10));
        {
            let mut state = pacer.lock();
            // 2 s at 400 accepted per second.
            let now = Instant::now();
            state.sending_since = now - Duration::from_secs(5);
            for i in (0..800).rev() {
                state
                    .accepted
                    .record(now - Duration::from_micros(i * 2_500));
            }
        }
        pacer.throttled(Some(Duration::from_millis(1)));
        let after = pacer.rate().unwrap_or_default();
        let ceiling = pacer.lock().ceiling.unwrap_or_default();
        assert_eq!(pacer.lock().probe_after, FIRST_PROBE);
        assert!((390.0..=410.0).contains(&ceiling), "{ceiling}");
        assert_eq!(after, ceiling * AFTER_THROTTLE);
        // More 429s of the same burst change nothing.
        pacer.throttled(None);
        assert_eq!(pacer.rate(), Some(after));
        assert_eq!(pacer.throttles(), 2);
        // One step climbs half the way to 98% of the ceiling.
        {
            let mut state = pacer.lock();
            let later = state.last_step + STEP;
            state.climb(later);
        }
        let stepped = pacer.rate().unwrap_or_default();
        assert!(
            (stepped - (after + (ceiling * HOLD - after) / 2.0)).abs() < 1e-9,
            "{stepped}"
        );
        // Climbing: each step halves the distance to 98% of the ceiling (9 steps in all stay
        // within the first probe's quiet spell).
        for _ in 0..8 {
            let mut state = pacer.lock();
            let later = state.last_step + STEP;
            state.climb(later);
        }
        let held = pacer.rate().unwrap_or_default();
        assert!((held - ceiling * HOLD).abs() < 0.05, "{held}");
        // A quiet spell: the ceiling is probed 5% higher.
        {
            let mut state = pacer.lock();
            let later = state.last_step + FIRST_PROBE + STEP;
            state.last_throttle = Some(later - FIRST_PROBE);
            state.climb(later);
        }
        let probed = pacer.rate().unwrap_or_default();
        assert_eq!(pacer.lock().ceiling, Some(ceiling * PROBE));
        assert_eq!(probed, ceiling * PROBE * HOLD, "{probed} after {held}");
        // A probe that is throttled makes the next one wait twice as long.
        std::thread::sleep(Duration::from_millis(20));
        pacer.throttled(None);
        assert_eq!(pacer.lock().probe_after, FIRST_PROBE * 2);
    }

    #[test]
    fn too_little_to_measure_halves_a_limit_and_only_pauses_an_unlimited_sync() {
        let limited = Pacer::new(Some(300.0), Duration::from_millis(10));
        for _ in 0..MIN_SAMPLES * 3 {
            limited.accepted();
        }
        // Plenty of answers, but all within a few milliseconds: mostly the server's burst.
        limited.throttled(None);
        assert_eq!(limited.rate(), Some(150.0 * AFTER_THROTTLE));
        let unlimited = Pacer::new(None, Duration::from_millis(10));
        unlimited.throttled(None);
        assert_eq!(unlimited.rate(), None);
        assert!(unlimited.lock().paused_until.is_some());
    }

    #[test]
    fn a_throttle_without_retry_after_doubles_the_pause_until_an_answer_is_accepted() {
        let first = Duration::from_millis(10);
        let pacer = Pacer::new(None, first);
        pacer.throttled(None);
        assert_eq!(pacer.lock().backoff, first * 2);
        pacer.throttled(None);
        assert_eq!(pacer.lock().backoff, first * 4);
        // A Retry-After is the pause; the backoff stays where it was.
        pacer.throttled(Some(Duration::from_millis(1)));
        assert_eq!(pacer.lock().backoff, first * 4);
        pacer.accepted();
        assert_eq!(pacer.lock().backoff, first);
        assert_eq!(pacer.accepted_recently(), 1);
        for _ in 0..20 {
            pacer.throttled(None);
        }
        assert_eq!(pacer.lock().backoff, MAX_BACKOFF);
    }

    #[test]
    fn the_configured_limit_caps_every_rate_and_can_be_raised() {
        let pacer = Pacer::new(Some(100.0), Duration::from_millis(10));
        assert_eq!(pacer.rate(), Some(100.0));
        // A limit that is no rate is no limit.
        for nonsense in [0.0, -5.0, f64::INFINITY, f64::NAN] {
            pacer.set_limit(Some(nonsense));
            assert_eq!(pacer.rate(), None, "{nonsense}");
        }
        pacer.set_limit(Some(100.0));
        pacer.set_limit(Some(250.0));
        assert_eq!(pacer.rate(), Some(250.0));
        pacer.set_limit(None);
        assert_eq!(pacer.rate(), None);
        let unlimited = Pacer::new(None, Duration::from_millis(10));
        {
            let mut state = unlimited.lock();
            let now = Instant::now();
            state.sending_since = now - Duration::from_secs(1);
            for i in (0..MIN_SAMPLES).rev() {
                state.accepted.record(now - Duration::from_millis(i * 50));
            }
        }
        unlimited.throttled(None);
        let paced = unlimited.rate().unwrap_or_default();
        assert!(
            (9.0..=20.0).contains(&paced),
            "a throttle starts pacing: {paced}"
        );
    }

    #[tokio::test]
    async fn a_throttle_pauses_every_worker_until_retry_after() {
        let pacer = Pacer::new(None, Duration::from_millis(10));
        pacer.throttled(Some(Duration::from_millis(120)));
        let started = Instant::now();
        pacer.acquire().await;
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn requests_are_spaced_at_the_rate() {
        let pacer = Pacer::new(Some(200.0), Duration::from_millis(10));
        let started = Instant::now();
        for _ in 0..21 {
            pacer.acquire().await;
        }
        // 20 gaps of 5 ms after the first.
        assert!(
            started.elapsed() >= Duration::from_millis(95),
            "{:?}",
            started.elapsed()
        );
    }
}
