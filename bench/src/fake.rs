//! A `minimo-fake` server for the scenarios that need a real one (the sync, the fake's own
//! scale), hosted on a tokio runtime of its own with one worker thread: on our 2-core
//! machines the fake gets one core and the client, on the scenario's thread, the other.
//! It listens on 127.0.0.1 only and stops when its [`FakeHost`] is dropped.

use crate::clients::API_KEY;
use minimo_fake::{CompanyId, FakeServer, FakeServerBuilder};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The client id of [`API_KEY`]: the fake's company 1.
const CLIENT_ID: &str = "bench";

/// A running fake that accepts [`API_KEY`]; dropping it stops the server and its runtime.
#[derive(Debug)]
pub struct FakeHost {
    server: FakeServer,
    /// `None` only while being dropped.
    runtime: Option<tokio::runtime::Runtime>,
    company: CompanyId,
}

impl FakeHost {
    /// Starts `builder` (to which the key and a 127.0.0.1 address are added) on a runtime of
    /// its own.
    pub fn start(builder: FakeServerBuilder) -> Result<FakeHost, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("minimo-fake")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build the fake's runtime: {e}"))?;
        let server = runtime
            .block_on(
                builder
                    .api_key(API_KEY)
                    .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                    .start(),
            )
            .map_err(|e| format!("cannot start minimo-fake: {e}"))?;
        let company = server
            .company_of(CLIENT_ID)
            .ok_or("minimo-fake has no company for the bench key")?;
        Ok(FakeHost {
            server,
            runtime: Some(runtime),
            company,
        })
    }

    /// The server (its store, statistics, controls).
    pub fn server(&self) -> &FakeServer {
        &self.server
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server().base_url()
    }

    /// The company of [`API_KEY`], whose contacts the clients write.
    pub fn company(&self) -> CompanyId {
        self.company
    }
}

impl Drop for FakeHost {
    /// Stops the runtime, which ends the accept loop and every connection task (the listener
    /// closes with them); the server's handle is dropped after.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}
