//! `minimo fake`: minimo-fake in the foreground, on 127.0.0.1.

use crate::Ctx;
use crate::cli::FakeArgs;
use crate::exit::{Exit, Failure};
use minimo_fake::{FakeServer, JournalEntry};
use serde_json::json;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

pub(crate) async fn run(args: FakeArgs, ctx: &Ctx) -> Result<Exit, Failure> {
    if let Some(rps) = args.rate_limit
        && !(rps.is_finite() && rps > 0.0)
    {
        return Err(Failure::usage("--rate-limit must be a positive number"));
    }
    // A fresh throwaway key per run: it opens nothing but this in-memory server.
    let key = format!("mn-local-{:016x}", fastrand::u64(..));
    let mut builder = FakeServer::builder()
        .api_key(&key)
        .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
        .system_fields(true)
        .latency(Duration::from_millis(args.latency_ms));
    if let Some(rps) = args.rate_limit {
        builder = builder.rate_limit(rps, rps.ceil().max(1.0) as u32);
    }
    if ctx.global.verbose > 0 {
        builder = builder.on_request(log_entry);
    }
    let server = builder.start().await.map_err(|e| {
        Failure::unexpected(format!("cannot start the fake on port {}: {e}", args.port))
    })?;
    // Listening before the URL is printed: whoever reads it may press Ctrl-C at once.
    let mut interrupts = crate::interrupt::Interrupts::listen()?;
    let url = server.base_url();
    if ctx.out.json {
        ctx.out.json(&json!({"url": url, "apiKey": key}));
    } else {
        let mut extras = String::new();
        if let Some(rps) = args.rate_limit {
            extras.push_str(&format!(", rate limit {rps} requests/s"));
        }
        if args.latency_ms > 0 {
            extras.push_str(&format!(", {} ms latency", args.latency_ms));
        }
        // The key is printed on purpose: it is this throwaway server's, and the user needs it.
        ctx.out.text(&format!(
            "minimo fake: an in-memory Minimo on {url}{extras} (Ctrl-C to stop)\n\
             Paste these lines in another terminal:\n\
             export MINIMO_API_URL={url}\n\
             export MINIMO_API_KEY={key}"
        ));
    }
    interrupts.next().await;
    let requests = server.stats().requests();
    server.shutdown().await;
    if !ctx.out.json {
        crate::logging::eprint_line(&format!("minimo fake: stopped after {requests} requests"));
    }
    Ok(Exit::Ok)
}

/// One request per line on stderr (`-v`); the journal holds no key and masks emails.
fn log_entry(entry: &JournalEntry) {
    let status = entry
        .status
        .map_or_else(|| "dropped".to_owned(), |s| s.to_string());
    crate::logging::eprint_line(&format!(
        "{} {} {} -> {} ({:.1} ms)",
        entry.request_id,
        entry.method,
        entry.path,
        status,
        entry.duration.as_secs_f64() * 1000.0,
    ));
}
