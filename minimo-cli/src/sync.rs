//! `minimo sync FILE`: rows in, outcomes out, failed rows back to a file.
//!
//! A thread reads and parses the file (blocking I/O) into a bounded channel; the sync takes
//! rows from it only as its window makes room, so memory stays flat however long the file
//! is. Malformed rows never reach the sync: they are reported with their position and go
//! straight to the failed-rows file. Every row ends in exactly one of succeeded, failed or
//! not attempted, and every failed or not-attempted row is in the failed-rows file.

use crate::cli::SyncArgs;
use crate::exit::{Exit, Failure};
use crate::fields::Definitions;
use crate::interrupt::Interrupts;
use crate::logging::{eprint_line, set_bar};
use crate::output::{Output, paint};
use crate::rows::{
    Column, CsvSource, Format, NdjsonSource, Parsed, RawRow, RowError, RowSource, RowTag,
    RowsWriter, check_distinct, count_rows, default_rows_path,
};
use crate::{Client, Ctx};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use minimo_ext::{StopReason, SyncInput, SyncOutcome, SyncProgress, SyncResult};
use serde_json::{Value, json};
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Failure lines printed in human mode before the rest are only counted (they are all in the
/// failed-rows file, and `--json` lists every outcome).
const MAX_SHOWN: u64 = 20;

pub(crate) async fn run(args: SyncArgs, ctx: &Ctx) -> Result<Exit, Failure> {
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(Failure::usage(
            "--rate must be a positive number of requests per second",
        ));
    }
    if args.concurrency == 0 {
        return Err(Failure::usage("--concurrency must be at least 1"));
    }
    let from_stdin = args.file == Path::new("-");
    if from_stdin && ctx.global.api_key_stdin {
        return Err(Failure::usage(
            "`sync -` reads the rows from standard input: pass the key with MINIMO_API_KEY or --api-key-file",
        ));
    }
    let path = (!from_stdin).then(|| args.file.clone());
    let name = if from_stdin {
        "<stdin>".to_owned()
    } else {
        args.file.display().to_string()
    };

    // The file is checked (opened, header read) before the key and the network: a typo in a
    // column is reported at once, without a request.
    let (reader, format) = open_input(path.as_deref(), args.format)?;
    let (mut csv, ndjson) = match format {
        Format::Csv => (
            Some(
                CsvSource::new(reader, Arc::default())
                    .map_err(|e| Failure::input(e.located(&name)))?,
            ),
            None,
        ),
        Format::Ndjson => (None, Some(reader)),
    };

    let client = ctx.client()?;
    let (definitions, warning) = Definitions::load(&client.minimo)
        .await
        .map_err(|e| client.fail(e))?;
    if let Some(warning) = warning {
        ctx.out.warn(&warning);
    }
    if let Some(csv) = &csv {
        for (i, column) in csv.columns().iter().enumerate() {
            if let Column::Field(key) = column
                && definitions.declared(key).is_none()
            {
                ctx.out.warn(&format!(
                    "warning: {name}: column {} `{column}` names no custom field of the account: its values are sent as text",
                    i + 1
                ));
            }
        }
    }
    let definitions = Arc::new(definitions);

    let rows_path = args
        .failed_rows
        .clone()
        .unwrap_or_else(|| default_rows_path(path.as_deref(), format));
    check_distinct(path.as_deref(), &rows_path)?;
    let writer =
        RowsWriter::create(&rows_path, format, csv.as_ref().map(|c| c.header())).map_err(|e| {
            Failure::unexpected(format!(
                "cannot create the failed-rows file {}: {e}",
                rows_path.display()
            ))
        })?;
    let total = path.as_deref().and_then(|p| count_rows(p, format).ok());

    let source: Box<dyn RowSource> = match (csv.take(), ndjson) {
        (Some(mut csv), _) => {
            csv.set_definitions(definitions);
            Box::new(csv)
        }
        (None, Some(reader)) => Box::new(NdjsonSource::new(reader, definitions)),
        (None, None) => return Err(Failure::unexpected("no input")),
    };
    let mut interrupts = Interrupts::listen()?;
    let summary = sync_rows(
        &client,
        &args,
        ctx.out,
        SyncFiles {
            name: name.clone(),
            source,
            writer,
            total,
        },
        &mut interrupts,
    )
    .await;
    summary.print(&ctx.out, &name);
    summary.exit()
}

/// The input, buffered, and its format (named, from the extension, or sniffed).
fn open_input(
    path: Option<&Path>,
    format: Option<Format>,
) -> Result<(Box<dyn BufRead + Send>, Format), Failure> {
    let mut reader: Box<dyn BufRead + Send> = match path {
        None => Box::new(BufReader::new(std::io::stdin())),
        Some(path) => Box::new(BufReader::with_capacity(
            64 * 1024,
            File::open(path)
                .map_err(|e| Failure::input(format!("cannot open {}: {e}", path.display())))?,
        )),
    };
    let format = match format.or_else(|| path.and_then(Format::of_path)) {
        Some(format) => format,
        None => Format::sniff(
            reader
                .fill_buf()
                .map_err(|e| Failure::input(format!("cannot read the input: {e}")))?,
        ),
    };
    Ok((reader, format))
}

/// The input side of a sync.
struct SyncFiles {
    name: String,
    source: Box<dyn RowSource>,
    writer: RowsWriter,
    total: Option<u64>,
}

/// Everything that happened to the rows, as the summary reports it.
struct Recorder {
    name: String,
    writer: RowsWriter,
    out: Output,
    succeeded: u64,
    failed: u64,
    malformed: u64,
    may_have_been_applied: u64,
    not_attempted: u64,
    shown: u64,
    write_error: Option<String>,
    read_error: Option<String>,
}

impl Recorder {
    fn keep(&mut self, raw: &RawRow) {
        if self.write_error.is_none()
            && let Err(e) = self.writer.write(raw)
        {
            self.write_error = Some(e.to_string());
        }
    }

    /// A failure line on stderr (the first [`MAX_SHOWN`]), or an outcome document.
    fn report_failure(&mut self, line: u64, human: String, doc: Value) {
        if self.out.json {
            self.out.json(&doc);
            return;
        }
        self.shown += 1;
        if self.shown <= MAX_SHOWN {
            eprint_line(&human);
        } else if self.shown == MAX_SHOWN + 1 {
            eprint_line(&format!(
                "{}: line {line} and later failures are not shown: every failed row is in {} (--json lists every outcome)",
                self.name,
                self.writer.path().display()
            ));
        }
    }

    fn malformed(&mut self, tag: &RowTag, error: &RowError) {
        self.malformed += 1;
        let doc = json!({
            "line": tag.line,
            "column": error.column,
            "result": "failed",
            "exit": Exit::InvalidInput.code(),
            "kind": Exit::InvalidInput.name(),
            "error": error.message,
            "sent": false,
        });
        let human = format!(
            "{} {}",
            paint(self.out.colour_err, "31", "invalid:"),
            error.located(&self.name)
        );
        self.report_failure(tag.line, human, doc);
        self.keep(&tag.raw);
    }

    fn outcome(&mut self, outcome: SyncOutcome<RowTag>) {
        let tag = outcome.input.tag;
        match outcome.result {
            SyncResult::Succeeded { id } => {
                self.succeeded += 1;
                if self.out.json {
                    self.out.json(&json!({
                        "line": tag.line,
                        "result": "succeeded",
                        "id": id.map(|id| id.get()),
                    }));
                }
            }
            SyncResult::Failed(error) => {
                self.failed += 1;
                let applied = error.may_have_been_processed();
                if applied {
                    self.may_have_been_applied += 1;
                }
                let exit = Exit::of_kind(error.kind());
                let doc = json!({
                    "line": tag.line,
                    "result": "failed",
                    "exit": exit.code(),
                    "kind": exit.name(),
                    "error": error.to_string(),
                    "sent": error.attempts() > 0,
                    "mayHaveBeenApplied": applied,
                });
                let note = if applied {
                    " (may have been applied: check the contact before resending)"
                } else {
                    ""
                };
                let human = format!(
                    "{} {}:{}: {error}{note}",
                    paint(self.out.colour_err, "31", "failed:"),
                    self.name,
                    tag.line
                );
                self.report_failure(tag.line, human, doc);
                self.keep(&tag.raw);
            }
            _ => self.not_attempted(&tag),
        }
    }

    fn not_attempted(&mut self, tag: &RowTag) {
        self.not_attempted += 1;
        if self.out.json {
            self.out
                .json(&json!({"line": tag.line, "result": "not_attempted"}));
        }
        self.keep(&tag.raw);
    }
}

fn lock(recorder: &Mutex<Recorder>) -> std::sync::MutexGuard<'_, Recorder> {
    recorder.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs the sync over the rows; the counts and where the failed rows went.
async fn sync_rows(
    client: &Client,
    args: &SyncArgs,
    out: Output,
    files: SyncFiles,
    interrupts: &mut Interrupts,
) -> Summary {
    let SyncFiles {
        name,
        mut source,
        writer,
        total,
    } = files;
    let started = Instant::now();

    // The reader: a thread doing blocking reads into a small channel. It stops when the
    // channel is dropped, at the end of the input, or after a read error.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Parsed, String>>(256);
    std::thread::spawn(move || {
        while let Some(item) = source.next_row() {
            let failed = item.is_err();
            if tx.blocking_send(item).is_err() || failed {
                break;
            }
        }
    });

    let bar = progress_bar(args, out, total);
    set_bar(Some(bar.clone()));
    let recorder = Arc::new(Mutex::new(Recorder {
        name: name.clone(),
        writer,
        out,
        succeeded: 0,
        failed: 0,
        malformed: 0,
        may_have_been_applied: 0,
        not_attempted: 0,
        shown: 0,
        write_error: None,
        read_error: None,
    }));
    let malformed = Arc::new(AtomicU64::new(0));

    let rows = {
        let recorder = recorder.clone();
        let malformed = malformed.clone();
        let bar = bar.clone();
        futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .filter_map(move |item| {
            let input = match item {
                Ok(Parsed { tag, op: Ok(op) }) => Some(SyncInput::tagged(op, tag)),
                Ok(Parsed {
                    tag,
                    op: Err(error),
                }) => {
                    lock(&recorder).malformed(&tag, &error);
                    malformed.fetch_add(1, Ordering::Relaxed);
                    bar.inc(1);
                    None
                }
                Err(error) => {
                    lock(&recorder).read_error = Some(error);
                    None
                }
            };
            std::future::ready(input)
        })
    };
    let mut rows = Box::pin(rows);

    let mut builder = client
        .minimo
        .sync()
        .concurrency(args.concurrency)
        .max_consecutive_failures(args.max_consecutive_failures);
    if let Some(rate) = args.rate {
        builder = builder.rate_limit(rate);
    }
    if let Some(total) = total {
        builder = builder.expected_total(total);
    }
    let progress_bar = bar.clone();
    let progress_malformed = malformed.clone();
    builder = builder.on_progress(move |p: &SyncProgress| {
        let malformed = progress_malformed.load(Ordering::Relaxed);
        let position = p.done + malformed;
        progress_bar.set_position(position);
        let eta = total.and_then(|total| {
            (p.rate > 0.0)
                .then(|| Duration::from_secs_f64(total.saturating_sub(position) as f64 / p.rate))
        });
        progress_bar.set_message(progress_message(p.failed + malformed, p.rate, eta));
    });

    let handle = builder.handle();
    let interrupted = Arc::new(AtomicBool::new(false));
    let report = {
        let run = builder.run(&mut rows, |outcome| lock(&recorder).outcome(outcome));
        let mut run = std::pin::pin!(run);
        loop {
            tokio::select! {
                report = &mut run => break report,
                () = interrupts.next() => {
                    if interrupted.swap(true, Ordering::SeqCst) {
                        eprint_line("interrupted again: quitting now; the failed-rows file is incomplete");
                        std::process::exit(i32::from(Exit::Interrupted.code()));
                    }
                    handle.cancel();
                    eprint_line("stopping: waiting for the requests in flight (Ctrl-C again to quit at once)");
                }
            }
        }
    };
    // Rows the sync never took: the rest of the input, not attempted.
    if report.stopped.is_some() {
        while let Some(input) = rows.next().await {
            lock(&recorder).not_attempted(&input.tag);
        }
    }
    drop(rows);
    if report.stopped.is_some() {
        bar.abandon();
    } else {
        bar.finish();
    }
    set_bar(None);

    let recorder =
        Arc::into_inner(recorder).map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner));
    let Some(recorder) = recorder else {
        // Every clone lived in the stream and the closures, all dropped above.
        return Summary::lost(name);
    };
    let rows_path = recorder.writer.path().to_owned();
    let mut write_error = recorder.write_error;
    let rows_written = match recorder.writer.finish() {
        Ok(rows) => rows,
        Err(e) => {
            write_error.get_or_insert(e.to_string());
            0
        }
    };
    Summary {
        succeeded: recorder.succeeded,
        failed: recorder.failed + recorder.malformed,
        malformed: recorder.malformed,
        may_have_been_applied: recorder.may_have_been_applied,
        not_attempted: recorder.not_attempted,
        throttled: report.throttled,
        elapsed: started.elapsed(),
        stopped: report.stopped,
        rows_path,
        rows_written,
        write_error,
        read_error: recorder.read_error,
    }
}

/// The bar on stderr when it is a terminal (and `--no-progress` is not given).
fn progress_bar(args: &SyncArgs, out: Output, total: Option<u64>) -> ProgressBar {
    if args.no_progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar_spec = if out.colour_err {
        "{bar:30.cyan/blue}"
    } else {
        "{bar:30}"
    };
    let template = match total {
        Some(_) => {
            format!("{{spinner}} {{elapsed_precise}} [{bar_spec}] {{pos}}/{{len}} rows {{msg}}")
        }
        None => "{spinner} {elapsed_precise} {pos} rows {msg}".to_owned(),
    };
    let style = ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr()).with_style(style);
    bar.set_message(progress_message(0, 0.0, None));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// `· 3 failed · 98.7 rows/s · ETA 1m 40s`
fn progress_message(failed: u64, rate: f64, eta: Option<Duration>) -> String {
    let mut message = format!("· {failed} failed · {rate:.1} rows/s");
    if let Some(eta) = eta {
        message.push_str(&format!(" · ETA {}", short_duration(eta)));
    }
    message
}

/// `1h 02m`, `1m 40s`, `12s`, `0.4s`.
pub(crate) fn short_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 {
        format!("{}h {:02}m", secs / 3600, secs % 3600 / 60)
    } else if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else if secs >= 10 {
        format!("{secs}s")
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// What the sync did.
struct Summary {
    succeeded: u64,
    failed: u64,
    malformed: u64,
    may_have_been_applied: u64,
    not_attempted: u64,
    throttled: u64,
    elapsed: Duration,
    stopped: Option<StopReason>,
    rows_path: PathBuf,
    rows_written: u64,
    write_error: Option<String>,
    read_error: Option<String>,
}

impl Summary {
    fn lost(name: String) -> Summary {
        Summary {
            succeeded: 0,
            failed: 0,
            malformed: 0,
            may_have_been_applied: 0,
            not_attempted: 0,
            throttled: 0,
            elapsed: Duration::ZERO,
            stopped: None,
            rows_path: PathBuf::new(),
            rows_written: 0,
            write_error: Some(format!("the outcomes of {name} were lost")),
            read_error: None,
        }
    }

    fn rows(&self) -> u64 {
        self.succeeded + self.failed + self.not_attempted
    }

    fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            (self.succeeded + self.failed) as f64 / secs
        } else {
            0.0
        }
    }

    fn stopped_name(&self) -> Option<&'static str> {
        self.stopped.map(|reason| match reason {
            StopReason::Cancelled => "interrupted",
            StopReason::Deadline => "deadline",
            StopReason::TooManyFailures { .. } => "too_many_failures",
            _ => "stopped",
        })
    }

    fn print(&self, out: &Output, name: &str) {
        if out.json {
            out.json(&json!({"summary": {
                "file": name,
                "rows": self.rows(),
                "succeeded": self.succeeded,
                "failed": self.failed,
                "malformed": self.malformed,
                "mayHaveBeenApplied": self.may_have_been_applied,
                "notAttempted": self.not_attempted,
                "throttled": self.throttled,
                "elapsedMs": self.elapsed.as_millis() as u64,
                "rowsPerSecond": (self.rate() * 10.0).round() / 10.0,
                "stopped": self.stopped_name(),
                "failedRows": (self.rows_written > 0).then(|| json!({
                    "path": self.rows_path.display().to_string(),
                    "rows": self.rows_written,
                })),
            }}));
            return;
        }
        let mut text = format!(
            "{} {name}: {} rows in {} ({:.1} rows/s)\n",
            out.bold("synced"),
            self.rows(),
            short_duration(self.elapsed),
            self.rate()
        );
        let mut notes = Vec::new();
        if self.malformed > 0 {
            notes.push(format!("{} malformed, not sent", self.malformed));
        }
        if self.may_have_been_applied > 0 {
            notes.push(format!(
                "{} may have been applied: check them before resending",
                self.may_have_been_applied
            ));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  ({})", notes.join("; "))
        };
        let width = self.rows().to_string().len().max(1);
        text.push_str(&format!("  succeeded      {:>width$}\n", self.succeeded));
        text.push_str(&format!(
            "  failed         {:>width$}{notes}\n",
            self.failed
        ));
        text.push_str(&format!(
            "  not attempted  {:>width$}\n",
            self.not_attempted
        ));
        if self.throttled > 0 {
            text.push_str(&format!(
                "  throttled      {:>width$}  (answers 429: the sync slowed down)\n",
                self.throttled
            ));
        }
        match self.stopped {
            Some(StopReason::Cancelled) => text.push_str(&format!(
                "interrupted: {} rows not attempted\n",
                self.not_attempted
            )),
            Some(StopReason::TooManyFailures { consecutive }) => text.push_str(&format!(
                "stopped after {consecutive} failures in a row: {} rows not attempted\n",
                self.not_attempted
            )),
            Some(_) => text.push_str(&format!(
                "stopped early: {} rows not attempted\n",
                self.not_attempted
            )),
            None => {}
        }
        if self.rows_written > 0 {
            text.push_str(&format!(
                "{} failed or not-attempted rows are in {}; to sync them again:\n  minimo sync {}\n",
                self.rows_written,
                self.rows_path.display(),
                self.rows_path.display()
            ));
        }
        out.text(&text);
    }

    fn exit(&self) -> Result<Exit, Failure> {
        if let Some(error) = &self.write_error {
            return Err(Failure::unexpected(format!(
                "cannot write the failed-rows file {}: {error}; the summary above counts every row",
                self.rows_path.display()
            )));
        }
        if let Some(error) = &self.read_error {
            return Err(Failure::unexpected(format!(
                "reading the input failed: {error}; the rows after the last one counted were not read"
            )));
        }
        if self.stopped == Some(StopReason::Cancelled) {
            return Ok(Exit::Interrupted);
        }
        if self.failed + self.not_attempted > 0 {
            return Ok(Exit::SyncIncomplete);
        }
        Ok(Exit::Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(Duration::from_millis(400)), "0.4s");
        assert_eq!(short_duration(Duration::from_secs(12)), "12s");
        assert_eq!(short_duration(Duration::from_secs(100)), "1m 40s");
        assert_eq!(short_duration(Duration::from_secs(3720)), "1h 02m");
        assert_eq!(
            progress_message(3, 98.66, Some(Duration::from_secs(100))),
            "· 3 failed · 98.7 rows/s · ETA 1m 40s"
        );
    }
}
