//! `minimo-fake`: runs the in-memory Minimo contacts fake as a local HTTP server.
//!
//! ```text
//! cargo run -p minimo-fake -- --port 8080 --api-key mn-demo-secret
//! ```

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use minimo_fake::{ApiKey, FakeServer, JournalEntry};

/// A stateful in-memory fake of the Minimo contacts REST API (for development and tests).
///
/// Serves the operations of openapi/minimo-contacts.yaml under /public/v1/. Every company
/// is seeded with the System custom fields FIRST_NAME and LAST_NAME. Requests are logged
/// to stderr with the email masked and only the key's client id.
#[derive(Debug, Parser)]
#[command(name = "minimo-fake", version, about, long_about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,

    /// Port to listen on (0 picks a free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,

    /// API key to accept, `mn-{clientId}-{secret}`; repeat the flag for several keys. Each
    /// distinct client id is one company. Defaults to `mn-demo-secret` when none is given.
    #[arg(long = "api-key", value_name = "KEY")]
    api_keys: Vec<String>,

    /// Per-key rate limit in requests per second (token bucket); off when absent. Over the
    /// limit the answer is 429 `rate_limit_exceeded` with `Retry-After`.
    #[arg(long, value_name = "RPS")]
    rate_limit: Option<f64>,

    /// Bucket size of the rate limit (requests allowed in a burst); defaults to the rate
    /// rounded up. Only meaningful with --rate-limit.
    #[arg(long, value_name = "N", requires = "rate_limit")]
    burst: Option<u32>,

    /// Serve the admin routes under /__fake/ (faults, journal, stats, store, reset, health).
    #[arg(long)]
    admin: bool,

    /// Fixed delay added before every API answer, in milliseconds, like a network between
    /// client and server (admin routes are not delayed).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,

    /// Longest time to receive a request body, in milliseconds; a body not complete by
    /// then is answered 408 `request_timeout` and the connection closed.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    body_timeout_ms: u64,
}

fn log_entry(entry: &JournalEntry) {
    let status = entry
        .status
        .map_or_else(|| "dropped".to_owned(), |s| s.to_string());
    eprintln!(
        "{} {} {} -> {} ({:.1} ms) op={} client={}{}",
        entry.request_id,
        entry.method,
        entry.path,
        status,
        entry.duration.as_secs_f64() * 1000.0,
        entry.operation.as_deref().unwrap_or("-"),
        entry.client_id.as_deref().unwrap_or("-"),
        entry
            .fault
            .as_deref()
            .map(|f| format!(" fault={f}"))
            .unwrap_or_default(),
    );
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let keys = if args.api_keys.is_empty() {
        vec!["mn-demo-secret".to_owned()]
    } else {
        args.api_keys.clone()
    };
    if let Some(rps) = args.rate_limit
        && !(rps.is_finite() && rps > 0.0)
    {
        eprintln!("error: --rate-limit must be a positive number");
        return ExitCode::from(2);
    }
    if args.body_timeout_ms == 0 {
        eprintln!("error: --body-timeout-ms must be positive");
        return ExitCode::from(2);
    }
    let mut builder = FakeServer::builder()
        .bind(SocketAddr::new(args.host, args.port))
        .admin(args.admin)
        .system_fields(true)
        .latency(Duration::from_millis(args.latency_ms))
        .body_timeout(Duration::from_millis(args.body_timeout_ms))
        .on_request(log_entry);
    for key in &keys {
        builder = builder.key(ApiKey::new(key.clone()));
    }
    if let Some(rps) = args.rate_limit {
        let burst = args.burst.unwrap_or_else(|| rps.ceil().max(1.0) as u32);
        builder = builder.rate_limit(rps, burst);
    }
    let server = match builder.start().await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("minimo-fake listening on {}", server.base_url());
    for key in &keys {
        let company = server.company_of_key(key).unwrap_or_default();
        // The key is printed in full on purpose: the user passed it, and needs it to call.
        println!("accepting API key {key} (company {company})");
    }
    if args.admin {
        println!("admin routes under {}/__fake/", server.base_url());
    }
    if let Some(rps) = args.rate_limit {
        println!("rate limit: {rps} requests/s per key");
    }
    if args.latency_ms > 0 {
        println!("latency: {} ms before every API answer", args.latency_ms);
    }
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("shutting down");
    server.shutdown().await;
    ExitCode::SUCCESS
}
