//! The `fake-scale` scenario: does an upsert into `minimo-fake` cost the same whatever the
//! number of stored contacts? (It was well above 10 times slower at 100,000 when every upsert
//! scanned every contact.) This is the one home of that measurement, formerly
//! `cargo bench -p minimo-fake --bench upsert_latency`.
//!
//! Two fakes run side by side, one seeded with a hundredth of `store_contacts`, one with all
//! of them (each contact with an email, a phone and a custom field). Each of `rounds` rounds
//! sends to each fake, in an order that alternates from round to round, `calls` upserts one
//! at a time, each timed, then `calls` upserts with `in_flight` at once on one task. Every
//! upsert matches a seeded contact by email (spelled in mixed case, spread over the whole
//! store), as a sync re-sending its contacts does, and updates its custom fields and consent.
//! The client is a plain reqwest client, the cheapest there is, so the fake's cost shows.
//! A round's figures are the large store's median latency over the small store's, and its
//! throughput over the small store's; the report gives their medians over rounds. One
//! unmeasured batch per store and mode comes first, and at the end neither store may hold
//! a contact more than it was seeded with.

use crate::Config;
use crate::calls::BATCH_TIMEOUT;
use crate::clients::API_KEY;
use crate::fake::FakeHost;
use crate::measure::median;
use minimo_fake::{ContactSeed, FakeServer};
use std::cell::Cell;
use std::fmt::Write;
use std::time::{Duration, Instant};

/// Contacts in the small store: a hundredth of `store_contacts`, at least one.
pub fn small_store(config: &Config) -> usize {
    (config.store_contacts / 100).max(1)
}

/// One store size's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Contacts stored.
    pub contacts: usize,
    /// Latency of one upsert, one at a time: the median of each round's median, µs.
    pub latency_us: f64,
    /// Each round's median latency over the small store's, median over rounds.
    pub latency_ratio: f64,
    /// Upserts per second with `in_flight` at once, median over rounds.
    pub per_second: f64,
    /// Each round's upserts per second over the small store's, median over rounds.
    pub throughput_ratio: f64,
}

/// Everything one run of the scenario measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The size of the run.
    pub config: Config,
    /// The small store, then the large one.
    pub rows: Vec<Row>,
}

/// A seeded fake and where to send its upserts.
struct Store {
    contacts: usize,
    host: FakeHost,
    url: String,
}

impl Store {
    fn seeded(contacts: usize) -> Result<Store, String> {
        let host = FakeHost::start(FakeServer::builder())?;
        for i in 0..contacts {
            host.server().store().insert_contact(
                host.company(),
                ContactSeed::email(format!("seed{i}@example.com"))
                    .phone(format!("+39{:09}", 300_000_000 + i))
                    .custom_field("plan", "free"),
            );
        }
        let url = format!("{}/public/v1/contacts", host.base_url());
        Ok(Store {
            contacts,
            host,
            url,
        })
    }

    /// The body of the `n`th upsert: a seeded contact picked by a multiplicative hash of
    /// `n`, so successive upserts land all over the store.
    fn body(&self, n: u64) -> serde_json::Value {
        let i = n.wrapping_mul(2_654_435_761) % self.contacts as u64;
        serde_json::json!({
            "email": format!("Seed{i}@Example.com"),
            "customFields": {"plan": "pro", "address": {"city": "Rome"}},
            "marketingConsent": {"email": true}
        })
    }
}

/// The client side: one reqwest client, its runtime, and a counter picking contacts.
struct Sender {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    sent: Cell<u64>,
}

impl Sender {
    async fn upsert(&self, store: &Store) -> Result<(), String> {
        let n = self.sent.get();
        self.sent.set(n + 1);
        let response = self
            .client
            .post(&store.url)
            .bearer_auth(API_KEY)
            .json(&store.body(n))
            .send()
            .await
            .map_err(|e| format!("upsert: {e}"))?;
        let status = response.status();
        response
            .bytes()
            .await
            .map_err(|e| format!("upsert answer: {e}"))?;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("an upsert was answered {status}"))
        }
    }

    /// `calls` upserts one at a time: the median latency, µs.
    fn sequential(&self, store: &Store, calls: usize) -> Result<f64, String> {
        self.bounded(async {
            let mut latencies = Vec::with_capacity(calls);
            for _ in 0..calls {
                let started = Instant::now();
                self.upsert(store).await?;
                latencies.push(started.elapsed().as_secs_f64() * 1e6);
            }
            Ok(median(latencies))
        })
    }

    /// `calls` upserts, `in_flight` at once on this one task: upserts per second.
    fn in_flight(&self, store: &Store, calls: usize, in_flight: usize) -> Result<f64, String> {
        self.bounded(async {
            let taken = Cell::new(0);
            let worker = || async {
                while taken.get() < calls {
                    taken.set(taken.get() + 1);
                    self.upsert(store).await?;
                }
                Ok::<(), String>(())
            };
            let started = Instant::now();
            futures_util::future::try_join_all((0..in_flight.min(calls)).map(|_| worker())).await?;
            Ok(calls as f64 / started.elapsed().as_secs_f64())
        })
    }

    fn bounded(
        &self,
        batch: impl std::future::Future<Output = Result<f64, String>>,
    ) -> Result<f64, String> {
        self.runtime.block_on(async {
            tokio::time::timeout(BATCH_TIMEOUT, batch)
                .await
                .map_err(|_| format!("a batch took more than {BATCH_TIMEOUT:?}"))?
        })
    }
}

/// One round's figures for one store: median latency (µs) and upserts per second.
type Figures = (f64, f64);

/// Runs the scenario: seeds both stores, measures, checks the stores, stops the fakes.
pub fn run(config: &Config) -> Result<Outcome, String> {
    eprintln!("fake-scale: seeding...");
    let stores = [
        Store::seeded(small_store(config))?,
        Store::seeded(config.store_contacts)?,
    ];
    let sender = Sender {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build the client runtime: {e}"))?,
        client: reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| format!("reqwest client: {e}"))?,
        sent: Cell::new(0),
    };
    let measure = |store: &Store| -> Result<Figures, String> {
        Ok((
            sender.sequential(store, config.calls)?,
            sender.in_flight(store, config.calls, config.in_flight)?,
        ))
    };
    for store in &stores {
        measure(store)?;
    }
    let mut rounds: Vec<[Figures; 2]> = Vec::with_capacity(config.rounds);
    let started = Instant::now();
    for round in 0..config.rounds {
        let (small, large) = if round % 2 == 0 {
            let small = measure(&stores[0])?;
            (small, measure(&stores[1])?)
        } else {
            let large = measure(&stores[1])?;
            (measure(&stores[0])?, large)
        };
        rounds.push([small, large]);
        if started.elapsed() > Duration::from_secs(5) && (round + 1) % 20 == 0 {
            eprintln!("fake-scale: round {} of {} done", round + 1, config.rounds);
        }
    }
    for store in &stores {
        let stored = store.host.server().store().contact_count();
        if stored != store.contacts {
            return Err(format!(
                "the store seeded with {} contacts holds {stored} after the upserts: \
                 an upsert did not match its contact by email",
                store.contacts
            ));
        }
    }
    let rows = stores
        .iter()
        .enumerate()
        .map(|(which, store)| {
            let figure = |f: fn(&Figures) -> f64| {
                median(rounds.iter().map(|round| f(&round[which])).collect())
            };
            let ratio = |f: fn(&Figures) -> f64| {
                median(
                    rounds
                        .iter()
                        .map(|round| f(&round[which]) / f(&round[0]))
                        .collect(),
                )
            };
            Row {
                contacts: store.contacts,
                latency_us: figure(|f| f.0),
                latency_ratio: ratio(|f| f.0),
                per_second: figure(|f| f.1),
                throughput_ratio: ratio(|f| f.1),
            }
        })
        .collect();
    Ok(Outcome {
        config: config.clone(),
        rows,
    })
}

impl Outcome {
    /// The report as Markdown, ready to paste into BENCHMARKS.md.
    pub fn to_markdown(&self) -> String {
        let Config {
            rounds,
            calls,
            in_flight,
            ..
        } = self.config;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "`fake-scale`: {rounds} interleaved rounds; per round and store, {calls} upserts one at \
             a time, then {calls} with {in_flight} in flight, each matching a stored contact by \
             email; raw reqwest client\n"
        );
        let _ = writeln!(
            out,
            "| stored contacts | upsert latency, µs | ÷ small store's | {in_flight} in flight: upserts/s | ÷ small store's |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|");
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {:.1} | {:.3} | {:.0} | {:.3} |",
                row.contacts,
                row.latency_us,
                row.latency_ratio,
                row.per_second,
                row.throughput_ratio,
            );
        }
        let _ = writeln!(
            out,
            "\n- upsert latency: one upsert at a time, from sending to the end of the answer; the \
             median of each round's median (absolute: moves with the machine)\n\
             - ÷ small store's: each round's figure over the small store's in the same round, \
             median over rounds (target: latency <= 1.2 for the large store)\n\
             - upserts/s: a batch's upserts over its wall time, median over rounds"
        );
        out
    }
}
