//! Request counters that, unlike the journal's ring of [`crate::JOURNAL_CAPACITY`]
//! entries, never forget: totals per operation and per status since the start (or the
//! last reset).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use serde_json::{Value, json};

use crate::operation::OPERATION_IDS;

/// The operation name counted for requests no operation answers (unknown routes, wrong
/// methods, malformed requests).
const UNROUTED: &str = "-";

/// Live counters: one small map guarded by a mutex, keyed by static strings and numbers,
/// so recording a request allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    counts: Mutex<HashMap<(&'static str, u16), u64>>,
}

impl Counters {
    /// Counts one request of `operation` (an operation id, `None` when no operation
    /// answered it) answered with `status` (`None`: the connection was dropped).
    pub(crate) fn record(&self, operation: Option<&str>, status: Option<u16>) {
        let operation = operation
            .and_then(|op| OPERATION_IDS.iter().find(|id| **id == op).copied())
            .unwrap_or(UNROUTED);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts.entry((operation, status.unwrap_or(0))).or_insert(0) += 1;
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        Stats {
            counts: counts
                .iter()
                .map(|((op, status), n)| {
                    let op = (*op != UNROUTED).then(|| (*op).to_owned());
                    ((op, (*status != 0).then_some(*status)), *n)
                })
                .collect(),
        }
    }

    pub(crate) fn clear(&self) {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A snapshot of the request counters ([`crate::FakeServer::stats`]): every request the
/// API answered or dropped since the start or the last reset, whatever the journal still
/// holds. Admin routes are not counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Count per (operation id, status): `None` as operation for requests no operation
    /// answered (unknown routes, wrong methods, malformed requests), `None` as status for
    /// dropped connections.
    pub counts: BTreeMap<(Option<String>, Option<u16>), u64>,
}

impl Stats {
    /// Every request counted.
    pub fn requests(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Requests of one operation id (`upsertContact`...), whatever their answer.
    pub fn operation(&self, operation: &str) -> u64 {
        self.sum(|op, _| op == Some(operation))
    }

    /// Requests answered with this status, whatever their operation.
    pub fn status(&self, status: u16) -> u64 {
        self.sum(|_, s| s == Some(status))
    }

    /// Requests of one operation answered with one status (`upsertContact`, 200: the
    /// upserts that went through).
    pub fn count(&self, operation: &str, status: u16) -> u64 {
        self.sum(|op, s| op == Some(operation) && s == Some(status))
    }

    /// Requests whose connection was dropped (a drop-connection fault).
    pub fn dropped(&self) -> u64 {
        self.sum(|_, s| s.is_none())
    }

    fn sum(&self, pred: impl Fn(Option<&str>, Option<u16>) -> bool) -> u64 {
        self.counts
            .iter()
            .filter(|((op, status), _)| pred(op.as_deref(), *status))
            .map(|(_, n)| n)
            .sum()
    }

    /// The counters as `GET /__fake/stats` renders them:
    /// `{"requests": N, "byOperation": {...}, "byStatus": {...}, "counts": [{"operation",
    /// "status", "count"}]}` (`"-"` for no operation, `"dropped"` for no status).
    pub fn to_json(&self) -> Value {
        let mut by_operation: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
        let mut counts = Vec::new();
        for ((op, status), n) in &self.counts {
            let op = op.clone().unwrap_or_else(|| UNROUTED.to_owned());
            let status = status.map_or_else(|| "dropped".to_owned(), |s| s.to_string());
            *by_operation.entry(op.clone()).or_insert(0) += n;
            *by_status.entry(status.clone()).or_insert(0) += n;
            counts.push(json!({ "operation": op, "status": status, "count": n }));
        }
        json!({
            "requests": self.requests(),
            "byOperation": by_operation,
            "byStatus": by_status,
            "counts": counts,
        })
    }
}
