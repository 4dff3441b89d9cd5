//! Ctrl-C, listened for from the moment [`Interrupts::listen`] returns.
//!
//! `tokio::signal::ctrl_c()` registers its handler only when first polled; a SIGINT arriving
//! before that would kill the process with no summary and no failed-rows file. On Unix the
//! handler is registered at once instead.

use crate::exit::Failure;

/// A stream of Ctrl-C presses.
pub(crate) struct Interrupts {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupts {
    /// Starts listening (SIGINT no longer ends the process by itself).
    pub(crate) fn listen() -> Result<Interrupts, Failure> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signal = signal(SignalKind::interrupt())
                .map_err(|e| Failure::unexpected(format!("cannot listen for Ctrl-C: {e}")))?;
            Ok(Interrupts { signal })
        }
        #[cfg(not(unix))]
        {
            Ok(Interrupts {})
        }
    }

    /// Waits for the next Ctrl-C.
    pub(crate) async fn next(&mut self) {
        #[cfg(unix)]
        {
            if self.signal.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
