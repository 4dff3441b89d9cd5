//! `-v` / `-vv`: tracing to stderr, drawn around the progress bar instead of through it.
//!
//! minimo-api records one `minimo.request` span per attempt at DEBUG (operation, masked path,
//! status, latency, request id); `-v` prints each when it closes. Nothing here logs an email
//! or a key: the spans mask paths, and this crate's own events carry line numbers and ids.

use indicatif::ProgressBar;
use std::io::Write;
use std::sync::{Mutex, PoisonError};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;

/// The progress bar being drawn, if any: stderr lines are printed above it.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Registers (or with `None`, forgets) the progress bar stderr lines must go around.
pub fn set_bar(bar: Option<ProgressBar>) {
    *BAR.lock().unwrap_or_else(PoisonError::into_inner) = bar;
}

/// Writes one line to stderr, above the progress bar when one is drawn.
pub fn eprint_line(line: &str) {
    let mut bytes = line.as_bytes().to_vec();
    bytes.push(b'\n');
    write_stderr(&bytes);
}

fn write_stderr(bytes: &[u8]) {
    let bar = BAR.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let write = || {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(bytes);
        let _ = err.flush();
    };
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// One log record, written in one piece when dropped.
pub struct StderrRecord(Vec<u8>);

impl Write for StderrRecord {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for StderrRecord {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            write_stderr(&self.0);
        }
    }
}

struct MakeStderr;

impl<'a> MakeWriter<'a> for MakeStderr {
    type Writer = StderrRecord;

    fn make_writer(&'a self) -> StderrRecord {
        StderrRecord(Vec::new())
    }
}

/// The level for minimo's own crates and for everything else, per `-v` count.
pub fn levels(verbose: u8) -> (LevelFilter, LevelFilter) {
    match verbose {
        0 => (LevelFilter::WARN, LevelFilter::ERROR),
        1 => (LevelFilter::DEBUG, LevelFilter::WARN),
        _ => (LevelFilter::TRACE, LevelFilter::INFO),
    }
}

/// Installs the stderr subscriber.
pub fn init(verbose: u8) {
    let (ours, others) = levels(verbose);
    let filter = [
        "minimo_api",
        "minimo_ext",
        "minimo_cli",
        "minimo_fake",
        "minimo",
    ]
    .into_iter()
    .fold(Targets::new().with_default(others), |targets, target| {
        targets.with_target(target, ours)
    });
    let subscriber = tracing_subscriber::fmt()
        .with_writer(MakeStderr)
        .with_target(verbose > 1)
        // The request span carries everything worth knowing about a call: print it as it
        // closes (with its status, latency and request id filled in).
        .with_span_events(FmtSpan::CLOSE)
        .with_max_level(LevelFilter::TRACE)
        .finish()
        .with(filter);
    // A second call (tests running `run` twice in one process) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
}
