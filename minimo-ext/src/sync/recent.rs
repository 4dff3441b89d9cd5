//! Events counted per slice of time over a sliding window, for the rates a sync measures
//! (the pacer's accepted answers, the progress rate). A timestamp per event would hold tens of
//! thousands at a fast server, so the memory of a sync would grow with its rate; a count per
//! slice holds at most `window / slice` numbers whatever the rate.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How many events happened in each slice of time, over the last `window`.
#[derive(Debug)]
pub(crate) struct Recent {
    window: Duration,
    slice: Duration,
    /// (start of the slice, events in it), oldest first.
    slices: VecDeque<(Instant, u64)>,
}

impl Recent {
    /// Counts over `window`, `slice` by `slice`.
    pub(crate) fn new(window: Duration, slice: Duration) -> Recent {
        Recent {
            window,
            slice: slice.max(Duration::from_nanos(1)),
            slices: VecDeque::new(),
        }
    }

    /// One event at `at` (events come in time order; one out of order counts in the latest
    /// slice).
    pub(crate) fn record(&mut self, at: Instant) {
        match self.slices.back_mut() {
            Some((start, count)) if at < *start + self.slice => *count += 1,
            _ => self.slices.push_back((at, 1)),
        }
        self.forget(at);
    }

    /// Drops the slices that ended more than the window before `now`.
    pub(crate) fn forget(&mut self, now: Instant) {
        while self.slices.front().is_some_and(|(start, _)| {
            now.saturating_duration_since(*start + self.slice) > self.window
        }) {
            self.slices.pop_front();
        }
    }

    /// Events in the slices that began at `since` or later: at most one slice's worth short of
    /// the exact count, never above it.
    pub(crate) fn since(&self, since: Instant) -> u64 {
        self.slices
            .iter()
            .filter(|(start, _)| *start >= since)
            .map(|(_, count)| count)
            .sum()
    }

    /// Events in the window.
    pub(crate) fn total(&self) -> u64 {
        self.slices.iter().map(|(_, count)| count).sum()
    }

    /// Slices held (for tests of its memory).
    #[cfg(test)]
    pub(crate) fn slices(&self) -> usize {
        self.slices.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_stays_bounded_however_many_events_and_old_slices_are_forgotten() {
        let start = Instant::now();
        let mut recent = Recent::new(Duration::from_secs(2), Duration::from_millis(10));
        // 100,000 events a second for 5 s.
        for i in 0..500_000u64 {
            recent.record(start + Duration::from_micros(i * 10));
        }
        assert!(recent.slices() <= 202, "{}", recent.slices());
        let now = start + Duration::from_secs(5);
        let last_two_seconds = recent.since(now - Duration::from_secs(2));
        assert!(
            (199_000..=200_000).contains(&last_two_seconds),
            "{last_two_seconds}"
        );
        assert!(recent.total() >= last_two_seconds);
        recent.forget(now + Duration::from_secs(3));
        assert_eq!((recent.total(), recent.slices()), (0, 0));
    }

    #[test]
    fn a_slice_is_kept_until_it_ended_more_than_the_window_ago() {
        let start = Instant::now();
        let (window, slice) = (Duration::from_secs(2), Duration::from_millis(10));
        let mut recent = Recent::new(window, slice);
        recent.record(start);
        // The slice ends at start + 10 ms: exactly the window after that, it is still kept.
        recent.forget(start + slice + window);
        assert_eq!(recent.total(), 1);
        recent.forget(start + slice + window + Duration::from_nanos(1));
        assert_eq!(recent.total(), 0);
    }

    #[test]
    fn counts_since_a_moment_never_exceed_the_events_after_it() {
        let start = Instant::now();
        let mut recent = Recent::new(Duration::from_secs(10), Duration::from_millis(100));
        for i in 0..100u64 {
            recent.record(start + Duration::from_millis(i * 10));
        }
        // Events at 0, 10, ... 990 ms; slices start at 0, 100, ... 900 ms.
        assert_eq!(recent.since(start), 100);
        assert_eq!(recent.since(start + Duration::from_millis(500)), 50);
        // Mid-slice: the slice that began before is left out (short by up to one slice).
        assert_eq!(recent.since(start + Duration::from_millis(450)), 50);
        assert_eq!(recent.since(start + Duration::from_secs(2)), 0);
        // An event out of order counts in the latest slice.
        recent.record(start);
        assert_eq!(recent.since(start + Duration::from_millis(900)), 11);
    }
}
