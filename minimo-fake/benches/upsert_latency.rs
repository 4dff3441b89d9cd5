//! Latency of an upsert through the fake on loopback, against a baseline answered by the
//! same server, with one reused HTTP client.
//!
//! `cargo bench -p minimo-fake --bench upsert_latency` measures for about three seconds
//! and prints p50/p90/p99 of:
//! - `upsert`: `POST /public/v1/contacts` (auth, JSON parsing, validation, matching among
//!   200 contacts, deep merge, journal);
//! - `baseline 404`: `GET /nope`, an unknown route answered 404 by the same pipeline
//!   (request id, journal) without auth or a handler;
//! - `baseline health`: `GET /__fake/health`, the admin route (no journal);
//!
//! and the ratio of the upsert's p50 to the 404 baseline's p50. Requests of the three kinds
//! are interleaved so that drift affects them alike. Run without `--bench` (as `cargo test
//! --all-targets` does), it only makes a few requests as a smoke test.

use std::time::{Duration, Instant};

use minimo_fake::FakeServer;

const KEY: &str = "mn-bench-s3cret";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn report(name: &str, samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    let p50 = percentile(samples, 0.5);
    println!(
        "{name:<16} n={:<6} p50={:>8.1} us  p90={:>8.1} us  p99={:>8.1} us",
        samples.len(),
        us(p50),
        us(percentile(samples, 0.9)),
        us(percentile(samples, 0.99)),
    );
    p50
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bench = std::env::args().any(|a| a == "--bench");
    let (warmup, budget, max_rounds) = if bench {
        (300, Duration::from_secs(3), 20_000)
    } else {
        (5, Duration::from_millis(200), 20)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = FakeServer::builder().api_key(KEY).start().await?;
        let client = reqwest::Client::builder().no_proxy().build()?;
        let upsert_url = format!("{}/public/v1/contacts", server.base_url());
        let nope_url = format!("{}/nope", server.base_url());
        let health_url = format!("{}/__fake/health", server.base_url());
        let body = |i: usize| {
            serde_json::json!({
                "email": format!("bench{}@example.com", i % 200),
                "customFields": {"plan": "pro", "seq": i, "address": {"city": "Rome"}},
                "marketingConsent": {"email": true}
            })
        };
        let upsert = |i: usize| {
            let req = client.post(&upsert_url).bearer_auth(KEY).json(&body(i));
            async move {
                let t = Instant::now();
                let resp = req.send().await?;
                let ok = resp.status() == 200;
                resp.bytes().await?;
                if !ok {
                    return Err("upsert failed".into());
                }
                Ok::<Duration, Box<dyn std::error::Error>>(t.elapsed())
            }
        };
        let get = |url: String, expected: u16| {
            let req = client.get(url);
            async move {
                let t = Instant::now();
                let resp = req.send().await?;
                let ok = resp.status() == expected;
                resp.bytes().await?;
                if !ok {
                    return Err("baseline failed".into());
                }
                Ok::<Duration, Box<dyn std::error::Error>>(t.elapsed())
            }
        };
        for i in 0..warmup {
            upsert(i).await?;
            get(nope_url.clone(), 404).await?;
            get(health_url.clone(), 200).await?;
        }
        server.journal().clear();
        let (mut ups, mut nopes, mut healths) = (Vec::new(), Vec::new(), Vec::new());
        let start = Instant::now();
        let mut i = 0;
        while start.elapsed() < budget && i < max_rounds {
            ups.push(upsert(i).await?);
            nopes.push(get(nope_url.clone(), 404).await?);
            healths.push(get(health_url.clone(), 200).await?);
            i += 1;
            if server.journal().len() > 5_000 {
                server.journal().clear();
            }
        }
        println!(
            "upsert latency through minimo-fake on loopback ({} rounds in {:.1} s)",
            i,
            start.elapsed().as_secs_f64()
        );
        let up50 = report("upsert", &mut ups);
        let nope50 = report("baseline 404", &mut nopes);
        let health50 = report("baseline health", &mut healths);
        println!(
            "ratio upsert p50 / 404 p50    = {:.2}",
            up50.as_secs_f64() / nope50.as_secs_f64().max(1e-9)
        );
        println!(
            "ratio upsert p50 / health p50 = {:.2}",
            up50.as_secs_f64() / health50.as_secs_f64().max(1e-9)
        );
        server.shutdown().await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
