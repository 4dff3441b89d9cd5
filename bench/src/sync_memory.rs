//! The `sync-memory` scenario: does a sync's memory stay flat however long its input? The
//! peak resident memory of a process syncing an NDJSON file of `memory_contacts` upserts,
//! against the peak for a file a tenth as long.
//!
//! The fake's store grows with the input, so the syncing client runs in a process of its own:
//! this program again ([`CHILD_COMMAND`], a hidden subcommand), which streams the file (a
//! `BufReader`'s lines, each parsed into a [`ContactLine`], into `run_iter`) into the fake at
//! the base URL it is given, then prints its own resident memory at the start and its peak
//! (`VmRSS` and `VmHWM` of `/proc/self/status`) as one JSON line ([`ChildReport`]). This
//! process writes both files (a [`Dataset`] each) into a temporary directory it removes
//! afterwards, hosts the fake, runs the child for the small file then the large one (the
//! fake reset in between), kills a child that fails or outlives [`CHILD_TIMEOUT`], and
//! checks the store after each.

use crate::Config;
use crate::clients::API_KEY;
use crate::dataset::{Check, ContactLine, Dataset};
use crate::fake::FakeHost;
use crate::progress::Printer;
use minimo_ext::Minimo;
use minimo_fake::FakeServer;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The hidden subcommand that makes this program the syncing child:
/// `minimo-bench __sync-file BASE_URL FILE UPSERTS`.
pub const CHILD_COMMAND: &str = "__sync-file";

/// Inputs the child applies at once.
pub const CONCURRENCY: usize = 32;

/// The child stops sending after this long, whatever is left...
pub const CHILD_DEADLINE: Duration = Duration::from_secs(600);

/// ...and is killed if it is still running this long after it started.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(660);

/// Upserts in the small file: a tenth of `memory_contacts`, at least one.
pub fn small_contacts(config: &Config) -> usize {
    (config.memory_contacts / 10).max(1)
}

/// The arguments of [`CHILD_COMMAND`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildArgs {
    /// The fake's base URL; only `http://127.0.0.1:PORT` is accepted.
    pub base_url: String,
    /// The NDJSON file, one [`ContactLine`] a line.
    pub file: PathBuf,
    /// The number of lines, for the progress line's ETA and the final check.
    pub inputs: u64,
}

impl ChildArgs {
    /// Parses `BASE_URL FILE UPSERTS`.
    pub fn parse(args: &[String]) -> Result<ChildArgs, String> {
        let [base_url, file, inputs] = args else {
            return Err(format!(
                "usage: minimo-bench {CHILD_COMMAND} http://127.0.0.1:PORT FILE UPSERTS"
            ));
        };
        if !base_url.starts_with("http://127.0.0.1:") {
            return Err(format!(
                "{CHILD_COMMAND} syncs to 127.0.0.1 only, not `{base_url}`"
            ));
        }
        let inputs = inputs
            .parse()
            .map_err(|_| format!("{CHILD_COMMAND}: `{inputs}` is not a number of upserts"))?;
        Ok(ChildArgs {
            base_url: base_url.clone(),
            file: PathBuf::from(file),
            inputs,
        })
    }
}

/// What the child reports on stdout, as one JSON line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildReport {
    /// Resident memory just before the sync started (runtime and client built, file open),
    /// KiB.
    pub start_rss_kib: u64,
    /// Peak resident memory of the process, KiB.
    pub peak_rss_kib: u64,
    /// The most heap the sync held at once, bytes: allocated by the child's one thread
    /// during the sync and not yet freed (the runtime and client built before not counted).
    pub heap_peak_bytes: u64,
    /// Lines synced.
    pub succeeded: u64,
    /// The sync's time, ms.
    pub elapsed_ms: u64,
}

/// The child: syncs the file, answers its report (an error if any line was not synced).
pub fn child(args: &ChildArgs) -> Result<ChildReport, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the runtime: {e}"))?;
    let minimo = Minimo::builder()
        .api_key(API_KEY)
        .base_url(&args.base_url)
        .build()
        .map_err(|e| format!("minimo-ext client: {e}"))?;
    let file = File::open(&args.file).map_err(|e| format!("cannot open the file: {e}"))?;
    let start_rss_kib = status_kib("VmRSS")?;
    // The first line that cannot be read or parsed ends the input; its problem is kept
    // (without the line: it holds personal data).
    let mut problem = None;
    let inputs = BufReader::new(file)
        .lines()
        .enumerate()
        .map_while(|(n, line)| {
            let parsed = line
                .map_err(|e| format!("line {}: cannot be read: {e}", n + 1))
                .and_then(|line| {
                    serde_json::from_str::<ContactLine>(&line).map_err(|e| {
                        format!(
                            "line {} is not a contact ({:?} error at column {})",
                            n + 1,
                            e.classify(),
                            e.column()
                        )
                    })
                });
            match parsed {
                Ok(contact) => Some(contact.into_sync_input()),
                Err(e) => {
                    problem = Some(e);
                    None
                }
            }
        });
    let mut printer = Printer::new(
        format!("sync-memory, child syncing {}", args.inputs),
        args.inputs,
    );
    let mut report = None;
    // The runtime is current-thread: the whole sync, connection tasks included, allocates
    // on this thread.
    let heap = allocation_counter::measure(|| {
        report = Some(
            runtime.block_on(
                minimo
                    .sync()
                    .concurrency(CONCURRENCY)
                    .expected_total(args.inputs)
                    .deadline(CHILD_DEADLINE)
                    .on_progress(|progress| printer.update(progress))
                    .run_iter(inputs, |_| {}),
            ),
        );
    });
    let report = report.ok_or("the sync did not run")?;
    if let Some(problem) = problem {
        return Err(problem);
    }
    if !report.is_complete() || report.taken != args.inputs {
        return Err(format!(
            "synced {} of {} lines ({} failed, {} not attempted, stopped: {:?})",
            report.succeeded, args.inputs, report.failed, report.not_attempted, report.stopped
        ));
    }
    Ok(ChildReport {
        start_rss_kib,
        peak_rss_kib: status_kib("VmHWM")?,
        heap_peak_bytes: heap.bytes_max,
        succeeded: report.succeeded,
        elapsed_ms: u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
    })
}

/// A field of `/proc/self/status` given in kB (`VmRSS`, `VmHWM`).
fn status_kib(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status (Linux only): {e}"))?;
    status
        .lines()
        .find_map(|line| {
            let value = line.strip_prefix(field)?.strip_prefix(':')?;
            value.trim().strip_suffix("kB")?.trim().parse().ok()
        })
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

/// One file synced by one child.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Lines (upserts) in the file.
    pub upserts: usize,
    /// The file's size in bytes.
    pub file_bytes: u64,
    /// What the child reported.
    pub child: ChildReport,
    /// What the store holds of the file's contacts.
    pub check: Check,
}

/// Everything one run of the scenario measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The size of the run.
    pub config: Config,
    /// The small file, then the large one.
    pub rows: Vec<Row>,
}

impl Outcome {
    /// The large file's peak over the small file's (target: <= 1.2).
    pub fn peak_ratio(&self) -> f64 {
        match self.rows.as_slice() {
            [small, large, ..] => {
                large.child.peak_rss_kib as f64 / small.child.peak_rss_kib.max(1) as f64
            }
            _ => f64::NAN,
        }
    }
}

/// Runs the scenario; `program` is this program (the child is `program` [`CHILD_COMMAND`]).
pub fn run(config: &Config, program: &Path) -> Result<Outcome, String> {
    // Removed with its files when dropped, on error too.
    let dir = tempfile::Builder::new()
        .prefix("minimo-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let small = Dataset::new(0, small_contacts(config));
    let large = Dataset::new(small.end(), config.memory_contacts);
    let host = FakeHost::start(FakeServer::builder())?;
    let mut rows = Vec::new();
    for (name, data) in [("small", small), ("large", large)] {
        let file = dir.path().join(format!("{name}.ndjson"));
        let file_bytes = data.write_ndjson(&file)?;
        host.server().reset();
        eprintln!(
            "sync-memory: a child process syncs {} lines ({:.1} MB)...",
            data.inputs(),
            file_bytes as f64 / 1e6
        );
        let args = ChildArgs {
            base_url: host.base_url(),
            file: file.clone(),
            inputs: data.inputs() as u64,
        };
        let child = run_child(program, &args)?;
        let _ = std::fs::remove_file(&file);
        rows.push(Row {
            upserts: data.inputs(),
            file_bytes,
            child,
            check: data.check(host.server().store(), host.company()),
        });
    }
    Ok(Outcome {
        config: config.clone(),
        rows,
    })
}

/// Runs the child to its end and reads its report; a child that fails is reported, one
/// that outlives [`CHILD_TIMEOUT`] (or whose parent fails while waiting) is killed.
fn run_child(program: &Path, args: &ChildArgs) -> Result<ChildReport, String> {
    let child = Command::new(program)
        .arg(CHILD_COMMAND)
        .arg(&args.base_url)
        .arg(&args.file)
        .arg(args.inputs.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the syncing process: {e}"))?;
    let mut child = KillOnDrop(child);
    let status = child.wait(CHILD_TIMEOUT)?;
    let mut out = String::new();
    if let Some(mut stdout) = child.0.stdout.take() {
        stdout
            .read_to_string(&mut out)
            .map_err(|e| format!("cannot read the syncing process's report: {e}"))?;
    }
    if !status.success() {
        return Err(format!("the syncing process failed ({status})"));
    }
    serde_json::from_str(out.trim())
        .map_err(|e| format!("the syncing process's report is not one ({e}): `{out}`"))
}

/// A child process killed (and reaped) when dropped, unless it already ended.
struct KillOnDrop(Child);

impl KillOnDrop {
    /// Waits for the child to end, at most `timeout`.
    fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let started = Instant::now();
        loop {
            match self.0.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if started.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    return Err(format!(
                        "the syncing process was still running after {timeout:?}: killed"
                    ));
                }
                Err(e) => return Err(format!("cannot wait for the syncing process: {e}")),
            }
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl Outcome {
    /// The report as Markdown, ready to paste into BENCHMARKS.md.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "`sync-memory`: a child process streams an NDJSON file into minimo-fake (no limit, \
             no added latency) with `minimo.sync().concurrency({CONCURRENCY}).run_iter(lines)` \
             on a current-thread runtime; every tenth line writes a contact again\n"
        );
        let _ = writeln!(
            out,
            "| lines (upserts) | file, MB | RSS at start, MiB | peak RSS, MiB | peak ÷ small file's | sync's heap peak, MiB | time, s | lost |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        let small_peak = self
            .rows
            .first()
            .map_or(1, |row| row.child.peak_rss_kib.max(1));
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {:.1} | {:.1} | {:.1} | {:.3} | {:.2} | {:.1} | {} |",
                row.upserts,
                row.file_bytes as f64 / 1e6,
                row.child.start_rss_kib as f64 / 1024.0,
                row.child.peak_rss_kib as f64 / 1024.0,
                row.child.peak_rss_kib as f64 / small_peak as f64,
                row.child.heap_peak_bytes as f64 / (1024.0 * 1024.0),
                row.child.elapsed_ms as f64 / 1e3,
                row.check.lost,
            );
        }
        let _ = writeln!(
            out,
            "\n- RSS at start: the child's resident memory once its runtime and client are built \
             and the file is open, before the sync\n\
             - peak RSS: the child's high-water mark (`VmHWM`) at the end\n\
             - peak ÷ small file's: target <= 1.2 for the large file\n\
             - sync's heap peak: the most heap allocated during the sync and not yet freed, at \
             any moment (counted by allocation-counter on the child's one thread)\n\
             - lost: contacts missing from the fake's store or not holding the values of their \
             last line"
        );
        out
    }
}
