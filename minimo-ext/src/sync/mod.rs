//! Bulk sync: a stream of upserts and deletes applied at the account's rate limit, in order per
//! contact, with every input accounted for.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
//! # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
//! use minimo_ext::{ContactInput, SyncInput, SyncResult};
//!
//! let users = ["ada@example.com", "grace@example.com", "ada@example.com"];
//! let inputs = users.iter().map(|email| {
//!     SyncInput::upsert(ContactInput::with_email(*email).custom_field("plan", "pro"))
//! });
//! let mut failed = Vec::new();
//! let report = minimo
//!     .sync()
//!     .rate_limit(50.0) // the account's limit, in requests per second
//!     .concurrency(8)
//!     .run_iter(inputs, |outcome| {
//!         if let SyncResult::Failed(error) = &outcome.result {
//!             eprintln!("{error}");
//!             failed.push(outcome.into_input()); // ready to be fed back in
//!         }
//!     })
//!     .await;
//! assert_eq!((report.succeeded, report.failed, report.not_attempted), (3, 0, 0));
//! # Ok(()) }
//! ```
//!
//! - **Input**: any [`Stream`] of [`SyncInput`]s (an upsert, a delete by id, or a delete by
//!   email: a look-up, then a delete), or an iterator ([`SyncBuilder::run_iter`]). Inputs are
//!   taken from the stream only as a bounded window makes room, so memory stays flat however
//!   many there are; inputs the sync never took stay in the stream.
//! - **Pace**: requests go out at the configured rate through one limiter shared by every
//!   worker; a 429 pauses everyone and lowers the rate below what the server accepted, then
//!   climbs back (see the [`pace`] module). The client's own retry does not sleep on 429
//!   inside a sync: the sync re-queues the input and handles the limit once for everyone.
//! - **Order**: two inputs for the same email, phone or id never run at once and apply in
//!   input order (the later one wins, as in a sequential loop); different contacts run in
//!   parallel, up to [`SyncBuilder::concurrency`].
//! - **Accounting**: every input taken ends in exactly one [`SyncOutcome`]: succeeded (with
//!   its contact id), failed (with its typed [`Error`], which says whether the server may have
//!   applied it), or not attempted (the sync was cancelled, hit its deadline, or stopped after
//!   too many consecutive failures: a revoked key fails a few times, not 100,000; input refused
//!   before sending does not count towards that budget). Per-request
//!   retries follow the client's [`RetryPolicy`](crate::RetryPolicy).
//! - **Progress**: [`SyncBuilder::on_progress`] is called as inputs finish, cheaply enough for
//!   every one: done, failed, in flight, rate, the current limit, an ETA.
//! - **Cancellation**: [`SyncHandle::cancel`] stops new requests at once and waits for those in
//!   flight, whose outcomes are reported as they really ended. Dropping the `run` future
//!   instead cancels the requests in flight without a report.

mod order;
pub mod pace;
mod recent;

use crate::client::Minimo;
use crate::contact::{ContactId, ContactInput};
use crate::error::{Error, ErrorKind};
use crate::validate;
use futures_util::stream::{FuturesUnordered, Stream, StreamExt};
use minimo_api::ClientInfo;
use order::{Key, Order};
use pace::Pacer;
use recent::Recent;
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// One change a sync applies.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SyncOp {
    /// Create or update a contact ([`Minimo::upsert`]).
    Upsert(ContactInput),
    /// Soft-delete a contact by id; an id the API does not know counts as already gone.
    Delete(ContactId),
    /// Soft-delete the live contact with this email: a look-up, then a delete. A contact
    /// already gone is a success.
    DeleteByEmail(String),
}

impl SyncOp {
    /// The keys that order this operation against others on the same contact.
    fn keys(&self) -> Vec<Key> {
        let email = |e: &str| Key::Email(e.trim().to_lowercase());
        match self {
            SyncOp::Upsert(input) => {
                let mut keys = Vec::with_capacity(2);
                if let Some(e) = input.email_value() {
                    keys.push(email(e));
                }
                if let Some(p) = input.phone_value() {
                    let normalized = validate::phone(p).unwrap_or_else(|_| p.trim().to_owned());
                    keys.push(Key::Phone(normalized));
                }
                keys
            }
            SyncOp::Delete(id) => vec![Key::Id(id.get())],
            SyncOp::DeleteByEmail(e) => vec![email(e)],
        }
    }
}

/// One input of a sync: an operation, and a tag of the caller's (a row number, a user id)
/// that comes back with its outcome.
#[derive(Debug, Clone)]
pub struct SyncInput<T = ()> {
    /// What to apply.
    pub op: SyncOp,
    /// The caller's tag.
    pub tag: T,
}

impl SyncInput<()> {
    /// An upsert.
    pub fn upsert(contact: ContactInput) -> Self {
        SyncInput::tagged(SyncOp::Upsert(contact), ())
    }

    /// A delete by id.
    pub fn delete(id: ContactId) -> Self {
        SyncInput::tagged(SyncOp::Delete(id), ())
    }

    /// A delete by email.
    pub fn delete_by_email(email: impl Into<String>) -> Self {
        SyncInput::tagged(SyncOp::DeleteByEmail(email.into()), ())
    }
}

impl<T> SyncInput<T> {
    /// An operation with a tag.
    pub fn tagged(op: SyncOp, tag: T) -> Self {
        SyncInput { op, tag }
    }
}

impl From<SyncOp> for SyncInput<()> {
    fn from(op: SyncOp) -> Self {
        SyncInput::tagged(op, ())
    }
}

/// How one input ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum SyncResult {
    /// Applied. The contact's id; `None` for a delete of a contact that was already gone.
    Succeeded {
        /// The contact.
        id: Option<ContactId>,
    },
    /// Not applied, or not known to be: [`Error::may_have_been_processed`] tells which.
    Failed(Error),
    /// Never sent: the sync stopped first.
    NotAttempted,
}

/// One input and how it ended.
#[derive(Debug)]
pub struct SyncOutcome<T = ()> {
    /// The input as it was given (feed it back in to try again).
    pub input: SyncInput<T>,
    /// How it ended.
    pub result: SyncResult,
}

impl<T> SyncOutcome<T> {
    /// Whether the input was applied.
    pub fn succeeded(&self) -> bool {
        matches!(self.result, SyncResult::Succeeded { .. })
    }

    /// The input, to feed back in.
    pub fn into_input(self) -> SyncInput<T> {
        self.input
    }
}

/// Why a sync stopped before the end of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// [`SyncHandle::cancel`] was called.
    Cancelled,
    /// The deadline ([`SyncBuilder::deadline`]) passed.
    Deadline,
    /// This many inputs in a row failed ([`SyncBuilder::max_consecutive_failures`]).
    TooManyFailures {
        /// The failures in a row.
        consecutive: u32,
    },
}

/// What a sync did, in counts; each input taken is in exactly one of `succeeded`, `failed` and
/// `not_attempted`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SyncReport {
    /// Inputs taken from the stream.
    pub taken: u64,
    /// Inputs applied.
    pub succeeded: u64,
    /// Inputs that failed.
    pub failed: u64,
    /// Of the failed inputs, those the server may have applied (check before resending).
    pub may_have_been_applied: u64,
    /// Inputs never sent because the sync stopped first.
    pub not_attempted: u64,
    /// Answers 429 the sync paced itself down after.
    pub throttled: u64,
    /// From the start to the last outcome.
    pub elapsed: Duration,
    /// Why the sync stopped early, if it did.
    pub stopped: Option<StopReason>,
}

impl SyncReport {
    /// Whether every input taken was applied.
    pub fn is_complete(&self) -> bool {
        self.succeeded == self.taken
    }

    /// Inputs finished (applied or failed) per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            (self.succeeded + self.failed) as f64 / secs
        } else {
            0.0
        }
    }
}

/// Where a running sync stands, for a progress bar or metrics.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SyncProgress {
    /// Inputs taken from the stream so far.
    pub taken: u64,
    /// Inputs finished (applied or failed).
    pub done: u64,
    /// Inputs applied.
    pub succeeded: u64,
    /// Inputs failed.
    pub failed: u64,
    /// Inputs being applied now.
    pub in_flight: usize,
    /// Inputs finished per second over the last few seconds.
    pub rate: f64,
    /// The rate requests are sent at now (`None`: unlimited).
    pub limit: Option<f64>,
    /// Answers 429 so far.
    pub throttled: u64,
    /// Time since the start.
    pub elapsed: Duration,
    /// Time left at the current rate, when the total is known
    /// ([`SyncBuilder::expected_total`]).
    pub eta: Option<Duration>,
}

/// Controls a running sync from elsewhere (another task, a signal handler). Cheap to clone.
#[derive(Clone)]
pub struct SyncHandle {
    cancel: Arc<Cancel>,
    pacer: Pacer,
}

#[derive(Default)]
struct Cancel {
    flag: AtomicBool,
    notify: Notify,
}

impl SyncHandle {
    /// Stops the sync: no new request is sent; those in flight finish and are reported; the
    /// inputs taken but not sent are reported not attempted.
    pub fn cancel(&self) {
        self.cancel.flag.store(true, Ordering::SeqCst);
        self.cancel.notify.notify_waiters();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.flag.load(Ordering::SeqCst)
    }

    /// Changes the rate limit (requests per second) while the sync runs; `None` removes it.
    pub fn set_rate_limit(&self, rate: Option<f64>) {
        self.pacer.set_limit(rate);
    }

    async fn cancelled(&self) {
        loop {
            let notified = self.cancel.notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// How far back [`SyncProgress::rate`] looks.
const PROGRESS_WINDOW: Duration = Duration::from_secs(5);

type ProgressFn<'a> = Box<dyn FnMut(&SyncProgress) + Send + 'a>;

/// Configures a sync; from [`Minimo::sync`].
///
/// A sync over a stream, with a progress line, and a handle that changes its rate while it
/// runs (or cancels it):
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
/// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
/// use futures_util::stream;
/// use minimo_ext::{ContactInput, SyncInput};
/// use std::time::Duration;
///
/// let users = stream::iter((0..20).map(|n| {
///     SyncInput::upsert(ContactInput::with_email(format!("user{n}@example.com")))
/// }));
/// let builder = minimo
///     .sync()
///     .rate_limit(100.0)
///     .concurrency(4)
///     .deadline(Duration::from_secs(60))
///     .expected_total(20)
///     .on_progress(|p| eprint!("\r{}/20 done, {} failed, {:.0}/s", p.done, p.failed, p.rate));
/// let handle = builder.handle();
/// handle.set_rate_limit(Some(200.0)); // raised while it runs, e.g. from an admin endpoint
/// let report = builder.run(users, |_| {}).await;
/// assert!(report.is_complete());
/// assert_eq!(report.succeeded, 20);
/// # Ok(()) }
/// ```
#[must_use]
pub struct SyncBuilder<'a> {
    client: &'a Minimo,
    concurrency: usize,
    window: Option<usize>,
    max_consecutive_failures: u32,
    deadline: Option<Duration>,
    expected_total: Option<u64>,
    progress: Option<ProgressFn<'a>>,
    handle: SyncHandle,
}

impl Minimo {
    /// A bulk sync with this client (see [`crate::sync`]): configure it, then
    /// [`run`](SyncBuilder::run) it over a stream or [`run_iter`](SyncBuilder::run_iter) over
    /// an iterator.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = minimo_fake::FakeServer::builder().api_key("mn-acme-s3cret").start().await?;
    /// # let minimo = minimo_ext::Minimo::builder().api_key("mn-acme-s3cret").base_url(server.base_url()).build()?;
    /// use minimo_ext::{ContactInput, SyncInput, SyncOp, SyncResult};
    ///
    /// let old = minimo.upsert(ContactInput::with_email("old@example.com")).await?;
    /// // A tag of yours (a row number, a user id) comes back with each input's outcome.
    /// let inputs = vec![
    ///     SyncInput::tagged(SyncOp::Upsert(ContactInput::with_email("new@example.com")), 1),
    ///     SyncInput::tagged(SyncOp::Delete(old), 2),
    ///     SyncInput::tagged(SyncOp::DeleteByEmail("never-stored@example.com".into()), 3),
    /// ];
    /// let mut ids = Vec::new();
    /// let report = minimo
    ///     .sync()
    ///     .run_iter(inputs, |outcome| {
    ///         if let SyncResult::Succeeded { id } = outcome.result {
    ///             ids.push((outcome.input.tag, id));
    ///         }
    ///     })
    ///     .await;
    /// assert_eq!(report.succeeded, 3);
    /// ids.sort_by_key(|(tag, _)| *tag);
    /// // The upsert names its contact; a contact already gone counts as deleted, without id.
    /// assert!(matches!(ids[..], [(1, Some(_)), (2, Some(_)), (3, None)]));
    /// # Ok(()) }
    /// ```
    pub fn sync(&self) -> SyncBuilder<'_> {
        SyncBuilder {
            client: self,
            concurrency: 16,
            window: None,
            max_consecutive_failures: 25,
            deadline: None,
            expected_total: None,
            progress: None,
            handle: SyncHandle {
                cancel: Arc::default(),
                pacer: Pacer::new(None, Duration::from_millis(500)),
            },
        }
    }
}

impl<'a> SyncBuilder<'a> {
    /// Requests per second at most: the account's rate limit. Minimo publishes none; without
    /// one the sync sends as fast as [`concurrency`](Self::concurrency) allows and paces
    /// itself after the first 429.
    pub fn rate_limit(self, requests_per_second: f64) -> Self {
        self.handle.pacer.set_limit(Some(requests_per_second));
        self
    }

    /// Inputs applied at once; default 16.
    pub fn concurrency(mut self, inputs: usize) -> Self {
        self.concurrency = inputs.max(1);
        self
    }

    /// Inputs taken from the stream ahead of those running (waiting for their turn on a
    /// contact or for a free slot); default 4 x [`concurrency`](Self::concurrency). It bounds
    /// memory.
    pub fn window(mut self, inputs: usize) -> Self {
        self.window = Some(inputs.max(1));
        self
    }

    /// Stops after this many inputs in a row failed (a revoked key, an outage); default 25.
    pub fn max_consecutive_failures(mut self, failures: u32) -> Self {
        self.max_consecutive_failures = failures.max(1);
        self
    }

    /// Stops sending after this long; what was not sent is reported not attempted.
    pub fn deadline(mut self, after: Duration) -> Self {
        self.deadline = Some(after);
        self
    }

    /// How many inputs there will be, for the ETA in [`SyncProgress`].
    pub fn expected_total(mut self, inputs: u64) -> Self {
        self.expected_total = Some(inputs);
        self
    }

    /// How long everyone waits after a 429 without `Retry-After` (doubling while they keep
    /// coming, up to 10 s); default 500 ms.
    pub fn throttle_backoff(mut self, wait: Duration) -> Self {
        let limit = self.handle.pacer.rate();
        self.handle.pacer = Pacer::new(limit, wait);
        self
    }

    /// Calls `progress` after every input finishes, when one is throttled, and once at the
    /// end with the final counts.
    pub fn on_progress(mut self, progress: impl FnMut(&SyncProgress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// A handle to cancel the sync or change its rate while it runs.
    pub fn handle(&self) -> SyncHandle {
        self.handle.clone()
    }

    /// Runs the sync over an iterator of inputs (see [`run`](Self::run)).
    pub async fn run_iter<T, I, F>(self, inputs: I, on_outcome: F) -> SyncReport
    where
        I: IntoIterator<Item = SyncInput<T>>,
        F: FnMut(SyncOutcome<T>),
    {
        self.run(futures_util::stream::iter(inputs), on_outcome)
            .await
    }

    /// Runs the sync: takes inputs from `inputs` as room allows, applies them, and calls
    /// `on_outcome` once per input taken, as each ends. Pass `&mut stream` to keep the inputs
    /// the sync did not take (after a cancellation, a deadline, or too many failures).
    pub async fn run<T, S, F>(self, inputs: S, mut on_outcome: F) -> SyncReport
    where
        S: Stream<Item = SyncInput<T>>,
        F: FnMut(SyncOutcome<T>),
    {
        let mut driver = Driver::new(self);
        let mut inputs = std::pin::pin!(inputs);
        driver.drive(inputs.as_mut(), &mut on_outcome).await;
        driver.finish(&mut on_outcome)
    }
}

/// An input taken from the stream and not finished.
struct Slot<T> {
    input: SyncInput<T>,
    keys: Vec<Key>,
    running: bool,
}

/// The state of one run.
struct Driver<'a, T> {
    client: Minimo,
    concurrency: usize,
    window_cap: usize,
    max_consecutive_failures: u32,
    deadline: Option<tokio::time::Instant>,
    expected_total: Option<u64>,
    progress: Option<ProgressFn<'a>>,
    handle: SyncHandle,
    window: BTreeMap<u64, Slot<T>>,
    ready: VecDeque<u64>,
    order: Order,
    next_seq: u64,
    report: SyncReport,
    consecutive_failures: u32,
    /// Inputs finished, per slice of the last [`PROGRESS_WINDOW`].
    finished: Recent,
    started: Instant,
    stream_done: bool,
}

type Applied = (u64, Result<Option<ContactId>, Error>);

impl<'a, T> Driver<'a, T> {
    fn new(builder: SyncBuilder<'a>) -> Self {
        // 429 is the sync's to handle, once for every worker (see `pace`).
        let policy = builder
            .client
            .api()
            .inner()
            .retry_policy()
            .clone()
            .retry_rate_limited(false);
        let started = Instant::now();
        Driver {
            client: builder.client.with_retry_policy(policy),
            concurrency: builder.concurrency,
            window_cap: builder.window.unwrap_or(builder.concurrency * 4),
            max_consecutive_failures: builder.max_consecutive_failures,
            deadline: builder.deadline.map(|d| tokio::time::Instant::now() + d),
            expected_total: builder.expected_total,
            progress: builder.progress,
            handle: builder.handle,
            window: BTreeMap::new(),
            ready: VecDeque::new(),
            order: Order::default(),
            next_seq: 0,
            report: SyncReport {
                taken: 0,
                succeeded: 0,
                failed: 0,
                may_have_been_applied: 0,
                not_attempted: 0,
                throttled: 0,
                elapsed: Duration::ZERO,
                stopped: None,
            },
            consecutive_failures: 0,
            finished: Recent::new(PROGRESS_WINDOW, Duration::from_millis(100)),
            started,
            stream_done: false,
        }
    }

    fn stopping(&self) -> bool {
        self.report.stopped.is_some()
    }

    async fn drive<S, F>(&mut self, mut inputs: std::pin::Pin<&mut S>, on_outcome: &mut F)
    where
        S: Stream<Item = SyncInput<T>>,
        F: FnMut(SyncOutcome<T>),
    {
        let mut in_flight = FuturesUnordered::new();
        let handle = self.handle.clone();
        loop {
            // A cancel called from an outcome or progress callback stops the next start too.
            if handle.is_cancelled() && !self.stopping() {
                self.report.stopped = Some(StopReason::Cancelled);
            }
            while !self.stopping() && in_flight.len() < self.concurrency {
                let Some(seq) = self.ready.pop_front() else {
                    break;
                };
                if let Some(slot) = self.window.get_mut(&seq) {
                    slot.running = true;
                    in_flight.push(apply(
                        self.client.clone(),
                        self.handle.pacer.clone(),
                        seq,
                        slot.input.op.clone(),
                    ));
                }
            }
            if in_flight.is_empty()
                && (self.stopping() || (self.stream_done && self.window.is_empty()))
            {
                return;
            }
            let can_take =
                !self.stopping() && !self.stream_done && self.window.len() < self.window_cap;
            let deadline = self.deadline;
            tokio::select! {
                biased;
                () = handle.cancelled(), if !self.stopping() => {
                    self.report.stopped = Some(StopReason::Cancelled);
                }
                () = sleep_until(deadline), if deadline.is_some() && !self.stopping() => {
                    self.report.stopped = Some(StopReason::Deadline);
                }
                Some((seq, result)) = in_flight.next(), if !in_flight.is_empty() => {
                    self.finished(seq, result, on_outcome);
                }
                next = inputs.next(), if can_take => match next {
                    Some(input) => self.take(input),
                    None => self.stream_done = true,
                },
                else => return,
            }
        }
    }

    fn take(&mut self, input: SyncInput<T>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.report.taken += 1;
        let keys = input.op.keys();
        if self.order.enter(seq, &keys) {
            self.ready.push_back(seq);
        }
        self.window.insert(
            seq,
            Slot {
                input,
                keys,
                running: false,
            },
        );
    }

    fn finished<F: FnMut(SyncOutcome<T>)>(
        &mut self,
        seq: u64,
        result: Result<Option<ContactId>, Error>,
        on_outcome: &mut F,
    ) {
        let result = match result {
            // Not processed: it keeps its turn on its contact and goes again when the pause
            // ends.
            Err(error) if error.kind() == ErrorKind::RateLimited => {
                self.report.throttled += 1;
                self.handle.pacer.throttled(error.retry_after());
                if let Some(slot) = self.window.get_mut(&seq) {
                    slot.running = false;
                }
                self.ready.push_front(seq);
                self.notify_progress();
                return;
            }
            Ok(id) => {
                self.report.succeeded += 1;
                self.consecutive_failures = 0;
                SyncResult::Succeeded { id }
            }
            Err(error) => {
                self.report.failed += 1;
                if error.may_have_been_processed() {
                    self.report.may_have_been_applied += 1;
                }
                // Input refused before sending says nothing about the server or the key.
                if error.kind() != ErrorKind::InvalidInput {
                    self.consecutive_failures += 1;
                }
                if self.consecutive_failures >= self.max_consecutive_failures && !self.stopping() {
                    self.report.stopped = Some(StopReason::TooManyFailures {
                        consecutive: self.consecutive_failures,
                    });
                }
                SyncResult::Failed(error)
            }
        };
        let Some(slot) = self.window.remove(&seq) else {
            return;
        };
        for next in self.order.leave(seq, &slot.keys) {
            if let Some(waiting) = self.window.get(&next)
                && !waiting.running
                && self.order.is_first(next, &waiting.keys)
                && !self.ready.contains(&next)
            {
                self.ready.push_back(next);
            }
        }
        self.finished.record(Instant::now());
        self.report.elapsed = self.started.elapsed();
        on_outcome(SyncOutcome {
            input: slot.input,
            result,
        });
        self.notify_progress();
    }

    fn notify_progress(&mut self) {
        let Some(progress) = self.progress.as_mut() else {
            return;
        };
        let elapsed = self.started.elapsed();
        self.finished.forget(Instant::now());
        let done = self.report.succeeded + self.report.failed;
        let (rate, eta) = rate_and_eta(self.finished.total(), elapsed, done, self.expected_total);
        let running = self.window.values().filter(|s| s.running).count();
        progress(&SyncProgress {
            taken: self.report.taken,
            done,
            succeeded: self.report.succeeded,
            failed: self.report.failed,
            in_flight: running,
            rate,
            limit: self.handle.pacer.rate(),
            throttled: self.report.throttled,
            elapsed,
            eta,
        });
    }

    /// Reports what was taken and never sent, and the totals.
    fn finish<F: FnMut(SyncOutcome<T>)>(mut self, on_outcome: &mut F) -> SyncReport {
        for (_, slot) in std::mem::take(&mut self.window) {
            self.report.not_attempted += 1;
            on_outcome(SyncOutcome {
                input: slot.input,
                result: SyncResult::NotAttempted,
            });
        }
        self.report.elapsed = self.started.elapsed();
        self.notify_progress();
        self.report
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Inputs finished per second, from the `finished` within the last [`PROGRESS_WINDOW`] of a
/// sync running for `elapsed`; and the time left at that rate when the total is known.
fn rate_and_eta(
    finished: u64,
    elapsed: Duration,
    done: u64,
    expected_total: Option<u64>,
) -> (f64, Option<Duration>) {
    let window = elapsed.min(PROGRESS_WINDOW).as_secs_f64();
    let rate = if window > 0.0 {
        finished as f64 / window
    } else {
        0.0
    };
    let eta = expected_total.and_then(|total| {
        (rate > 0.0).then(|| Duration::from_secs_f64(total.saturating_sub(done) as f64 / rate))
    });
    (rate, eta)
}

/// Applies one operation, each request paced.
async fn apply(client: Minimo, pacer: Pacer, seq: u64, op: SyncOp) -> Applied {
    let gone = |result: Result<(), Error>, id: ContactId| match result {
        Ok(()) => Ok(Some(id)),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    };
    let result = match op {
        SyncOp::Upsert(input) => paced(&pacer, client.upsert(input)).await.map(Some),
        SyncOp::Delete(id) => gone(paced(&pacer, client.delete(id)).await, id),
        SyncOp::DeleteByEmail(email) => match paced(&pacer, client.get_by_email(&email)).await {
            Ok(None) => Ok(None),
            Ok(Some(contact)) => gone(paced(&pacer, client.delete(contact.id)).await, contact.id),
            Err(error) => Err(error),
        },
    };
    (seq, result)
}

/// Waits for the pacer, sends, and tells the pacer whether the server accepted the request.
async fn paced<R>(pacer: &Pacer, call: impl Future<Output = Result<R, Error>>) -> Result<R, Error> {
    pacer.acquire().await;
    let result = call.await;
    match &result {
        Err(error) if error.kind() == ErrorKind::RateLimited || error.attempts() == 0 => {}
        _ => pacer.accepted(),
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn report(succeeded: u64, failed: u64, elapsed_ms: u64) -> SyncReport {
        SyncReport {
            taken: succeeded + failed,
            succeeded,
            failed,
            may_have_been_applied: 0,
            not_attempted: 0,
            throttled: 0,
            elapsed: Duration::from_millis(elapsed_ms),
            stopped: None,
        }
    }

    #[test]
    fn a_report_is_complete_only_when_every_input_taken_succeeded() {
        assert!(report(5, 0, 1_000).is_complete());
        assert!(!report(5, 1, 1_000).is_complete());
        let mut stopped = report(5, 0, 1_000);
        stopped.taken = 7;
        stopped.not_attempted = 2;
        assert!(!stopped.is_complete());
    }

    #[test]
    fn a_reports_rate_counts_applied_and_failed_inputs_over_its_time() {
        assert_eq!(report(30, 10, 2_000).rate(), 20.0);
        assert_eq!(report(30, 10, 0).rate(), 0.0);
    }

    #[test]
    fn the_progress_rate_is_over_the_recent_window_and_the_eta_over_what_is_left() {
        let secs = Duration::from_secs;
        // Two seconds in: 100 finished is 50 per second; 300 of 400 left is 6 s.
        assert_eq!(
            rate_and_eta(100, secs(2), 100, Some(400)),
            (50.0, Some(secs(6)))
        );
        // Past the window, the rate is over the window only.
        assert_eq!(
            rate_and_eta(100, secs(60), 900, Some(1_000)),
            (20.0, Some(secs(5)))
        );
        // No total, no ETA; nothing finished or no time yet, no rate and no ETA.
        assert_eq!(rate_and_eta(100, secs(2), 100, None), (50.0, None));
        assert_eq!(rate_and_eta(0, secs(2), 0, Some(10)), (0.0, None));
        assert_eq!(rate_and_eta(5, Duration::ZERO, 5, Some(10)), (0.0, None));
        // More done than expected (a total that was too low): nothing left.
        assert_eq!(
            rate_and_eta(10, secs(1), 12, Some(10)),
            (10.0, Some(Duration::ZERO))
        );
    }

    #[tokio::test]
    async fn only_answers_the_server_did_not_throttle_count_as_accepted() {
        let pacer = Pacer::new(None, Duration::from_millis(10));
        let sent = |kind| {
            let mut report = minimo_api::runtime::CallReport::default();
            report.attempts = 1;
            Error::new(kind, "test").with_report(report)
        };
        let outcomes: [(Result<(), Error>, u64); 4] = [
            (Ok(()), 1),
            // Refused before sending: the server saw nothing.
            (Err(Error::new(ErrorKind::InvalidInput, "test")), 0),
            (Err(sent(ErrorKind::RateLimited)), 0),
            // Answered, if not with success: the server did not throttle it.
            (Err(sent(ErrorKind::Server)), 1),
        ];
        for (outcome, counted) in outcomes {
            let before = pacer.accepted_recently();
            let _ = paced(&pacer, async { outcome }).await;
            assert_eq!(pacer.accepted_recently() - before, counted);
        }
    }

    #[test]
    fn the_handle_changes_the_rate_of_the_sync_it_came_from() {
        let minimo = Minimo::builder().api_key("mn-acme-s3cret").build().unwrap();
        let builder = minimo.sync().rate_limit(10.0);
        let handle = builder.handle();
        assert_eq!(builder.handle.pacer.rate(), Some(10.0));
        handle.set_rate_limit(Some(50.0));
        assert_eq!(builder.handle.pacer.rate(), Some(50.0));
        handle.set_rate_limit(None);
        assert_eq!(builder.handle.pacer.rate(), None);
    }
}
