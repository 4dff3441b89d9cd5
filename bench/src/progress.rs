//! Progress of a long sync on stderr, a line every few seconds (stdout is only the report).

use minimo_ext::SyncProgress;
use std::time::{Duration, Instant};

/// How often a line is printed at most.
const EVERY: Duration = Duration::from_secs(5);

/// Prints a sync's progress, labelled, at most every [`EVERY`]; feed it every
/// [`SyncProgress`] the sync reports.
#[derive(Debug)]
pub(crate) struct Printer {
    label: String,
    total: u64,
    last: Instant,
}

impl Printer {
    /// A printer for a sync of `total` inputs.
    pub(crate) fn new(label: impl Into<String>, total: u64) -> Printer {
        Printer {
            label: label.into(),
            total,
            last: Instant::now(),
        }
    }

    /// Prints `progress` if the last line is old enough.
    pub(crate) fn update(&mut self, progress: &SyncProgress) {
        if self.last.elapsed() < EVERY {
            return;
        }
        self.last = Instant::now();
        let pace = progress
            .limit
            .map_or_else(|| "unlimited".to_owned(), |rate| format!("{rate:.0}/s"));
        let left = progress
            .eta
            .map(|eta| format!(", about {:.0} s left", eta.as_secs_f64()))
            .unwrap_or_default();
        eprintln!(
            "{}: {} of {} done, {:.0}/s, pace {pace}, {} answered 429{left}",
            self.label, progress.done, self.total, progress.rate, progress.throttled
        );
    }
}
