//! Does an upsert cost the same whatever the number of stored contacts? And how many
//! requests per second does the fake serve with 64 clients, rate limit on?
//!
//! `cargo bench -p minimo-fake --bench upsert_latency` runs, in one process, two fakes:
//! one seeded with 1,000 contacts, one with 100,000. Each round sends the same number of
//! upserts (sequential, one reused HTTP client, each matching a random seeded contact by
//! email, as a sync re-sending its contacts does) to one then the other, alternating which
//! goes first, so drift affects both alike. It prints the median latency per size and the
//! ratio large/small of each round's medians, and their median over the rounds: about 1.0
//! when the cost does not grow with the store (it was well above 10 when every upsert
//! scanned every contact).
//!
//! Then 64 concurrent clients upsert for a few seconds against each fake (throughput and
//! its ratio), and against a fake with a rate limit of 1,000 requests/s (burst 100):
//! answers per second, and how many were 200 and 429.
//!
//! Run without `--bench` (as `cargo test --all-targets` does) it only makes a few requests
//! at a tiny size, as a smoke test: no timing is asserted anywhere.

use std::sync::Arc;
use std::time::{Duration, Instant};

use minimo_fake::{ContactSeed, FakeServer};
use tokio::task::JoinSet;

const KEY: &str = "mn-bench-s3cret";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct Size {
    contacts: usize,
    server: FakeServer,
    url: String,
}

struct Plan {
    small: usize,
    large: usize,
    rounds: usize,
    per_round: usize,
    concurrency: usize,
    load_time: Duration,
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn seeded(contacts: usize) -> Result<Size, BoxError> {
    let server = FakeServer::builder().api_key(KEY).start().await?;
    let company = server.company_of("bench").ok_or("no company")?;
    for i in 0..contacts {
        server.store().insert_contact(
            company,
            ContactSeed::email(format!("seed{i}@example.com"))
                .phone(format!("+39{:09}", 300_000_000 + i))
                .custom_field("plan", "free"),
        );
    }
    let url = format!("{}/public/v1/contacts", server.base_url());
    Ok(Size {
        contacts,
        server,
        url,
    })
}

fn body(contacts: usize) -> serde_json::Value {
    let i = fastrand::usize(..contacts.max(1));
    serde_json::json!({
        "email": format!("Seed{i}@Example.com"),
        "customFields": {"plan": "pro", "address": {"city": "Rome"}},
        "marketingConsent": {"email": true}
    })
}

async fn upsert(client: &reqwest::Client, size: &Size) -> Result<Duration, BoxError> {
    let req = client
        .post(&size.url)
        .bearer_auth(KEY)
        .json(&body(size.contacts));
    let t = Instant::now();
    let resp = req.send().await?;
    let status = resp.status();
    resp.bytes().await?;
    if status != 200 {
        return Err(format!("upsert answered {status}").into());
    }
    Ok(t.elapsed())
}

/// Median latency of `n` sequential upserts, in microseconds.
async fn round(client: &reqwest::Client, size: &Size, n: usize) -> Result<f64, BoxError> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        samples.push(upsert(client, size).await?.as_secs_f64() * 1e6);
    }
    Ok(median(&mut samples))
}

/// Requests answered per second by `concurrency` clients sending upserts for `time`, with
/// the count of each status.
async fn load(
    url: String,
    contacts: usize,
    concurrency: usize,
    time: Duration,
) -> Result<(f64, u64, u64), BoxError> {
    let client = reqwest::Client::builder().no_proxy().build()?;
    let url = Arc::new(url);
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let url = url.clone();
        tasks.spawn(async move {
            let (mut ok, mut limited) = (0_u64, 0_u64);
            while start.elapsed() < time {
                let resp = client
                    .post(url.as_str())
                    .bearer_auth(KEY)
                    .json(&body(contacts))
                    .send()
                    .await?;
                match resp.status().as_u16() {
                    200 => ok += 1,
                    429 => limited += 1,
                    other => return Err(BoxError::from(format!("answered {other}"))),
                }
                resp.bytes().await?;
            }
            Ok::<_, BoxError>((ok, limited))
        });
    }
    let (mut ok, mut limited) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        let (o, l) = done??;
        ok += o;
        limited += l;
    }
    let per_sec = (ok + limited) as f64 / start.elapsed().as_secs_f64();
    Ok((per_sec, ok, limited))
}

async fn run(plan: Plan) -> Result<(), BoxError> {
    let small = seeded(plan.small).await?;
    let large = seeded(plan.large).await?;
    let client = reqwest::Client::builder().no_proxy().build()?;
    // Warm up both (connections, allocator, caches).
    round(&client, &small, plan.per_round).await?;
    round(&client, &large, plan.per_round).await?;
    let (mut small_medians, mut large_medians, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..plan.rounds {
        let (s, l) = if r % 2 == 0 {
            let s = round(&client, &small, plan.per_round).await?;
            (s, round(&client, &large, plan.per_round).await?)
        } else {
            let l = round(&client, &large, plan.per_round).await?;
            (round(&client, &small, plan.per_round).await?, l)
        };
        small_medians.push(s);
        large_medians.push(l);
        ratios.push(l / s.max(1e-9));
        small.server.journal().clear();
        large.server.journal().clear();
    }
    println!(
        "upsert latency, {} rounds of {} sequential upserts per size, interleaved",
        plan.rounds, plan.per_round
    );
    println!(
        "  {:>7} contacts: median of round medians {:>8.1} us",
        small.contacts,
        median(&mut small_medians)
    );
    println!(
        "  {:>7} contacts: median of round medians {:>8.1} us",
        large.contacts,
        median(&mut large_medians)
    );
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "  ratio {}/{}: median {:.2} (rounds: min {:.2}, max {:.2}; target <= 1.2)",
        large.contacts,
        small.contacts,
        median(&mut ratios),
        sorted.first().copied().unwrap_or(0.0),
        sorted.last().copied().unwrap_or(0.0),
    );

    let (small_rps, ..) = load(
        small.url.clone(),
        small.contacts,
        plan.concurrency,
        plan.load_time,
    )
    .await?;
    let (large_rps, ..) = load(
        large.url.clone(),
        large.contacts,
        plan.concurrency,
        plan.load_time,
    )
    .await?;
    println!(
        "throughput, {} concurrent clients for {:?}: {:.0} upserts/s at {} contacts, \
         {:.0} at {} (ratio {:.2})",
        plan.concurrency,
        plan.load_time,
        small_rps,
        small.contacts,
        large_rps,
        large.contacts,
        large_rps / small_rps.max(1e-9)
    );
    println!(
        "  stored now: {} and {} contacts",
        small.server.store().contact_count(),
        large.server.store().contact_count()
    );
    small.server.shutdown().await;
    large.server.shutdown().await;

    let limited = FakeServer::builder()
        .api_key(KEY)
        .rate_limit(1000.0, 100)
        .start()
        .await?;
    let url = format!("{}/public/v1/contacts", limited.base_url());
    let (rps, ok, throttled) = load(url, 1000, plan.concurrency, plan.load_time).await?;
    println!(
        "rate limit 1000/s (burst 100), {} clients for {:?}: {:.0} answers/s \
         ({ok} x 200 = {:.0}/s, {throttled} x 429)",
        plan.concurrency,
        plan.load_time,
        rps,
        ok as f64 / plan.load_time.as_secs_f64()
    );
    let stats = limited.stats();
    println!(
        "  server stats: {} upserts, {} answered 429",
        stats.operation("upsertContact"),
        stats.status(429)
    );
    limited.shutdown().await;
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let bench = std::env::args().any(|a| a == "--bench");
    let plan = if bench {
        Plan {
            small: 1_000,
            large: 100_000,
            rounds: 31,
            per_round: 200,
            concurrency: 64,
            load_time: Duration::from_secs(3),
        }
    } else {
        Plan {
            small: 10,
            large: 100,
            rounds: 3,
            per_round: 3,
            concurrency: 4,
            load_time: Duration::from_millis(100),
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(plan))
}
