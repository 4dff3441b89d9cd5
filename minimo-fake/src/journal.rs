//! The request journal.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// How many entries the journal keeps; older ones are dropped.
pub const JOURNAL_CAPACITY: usize = 10_000;

/// One request the fake answered (or dropped). It never holds an API key (only the client
/// id) nor an email (the email segment of a path is replaced by `{email}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// The `x-request-id` the response carried.
    pub request_id: String,
    /// Operation id (`upsertContact`...), `None` for unknown routes.
    pub operation: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path without query, with the email masked: `/public/v1/contacts/by-email/{email}`.
    pub path: String,
    /// Client id of the key used, when the key was valid.
    pub client_id: Option<String>,
    /// Status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// When the request arrived.
    pub started_at: SystemTime,
    /// Time until the response head was ready.
    pub duration: Duration,
    /// The fault applied, described as by [`crate::Fault::describe`].
    pub fault: Option<String>,
}

impl JournalEntry {
    /// The entry as `GET /__fake/journal` renders it.
    pub fn to_json(&self) -> Value {
        json!({
            "requestId": self.request_id,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "clientId": self.client_id,
            "status": self.status,
            "startedAtMs": self.started_at.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0),
            "durationMs": self.duration.as_secs_f64() * 1000.0,
            "fault": self.fault,
        })
    }
}

/// The journal of a running server. Cloning gives another handle to the same journal.
#[derive(Clone, Default)]
pub struct Journal {
    entries: Arc<Mutex<VecDeque<JournalEntry>>>,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal").field("len", &self.len()).finish()
    }
}

impl Journal {
    fn lock(&self) -> MutexGuard<'_, VecDeque<JournalEntry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn record(&self, entry: JournalEntry) {
        let mut entries = self.lock();
        while entries.len() >= JOURNAL_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.lock().iter().cloned().collect()
    }

    /// Entries of one operation id, oldest first.
    pub fn for_operation(&self, operation: &str) -> Vec<JournalEntry> {
        self.lock()
            .iter()
            .filter(|e| e.operation.as_deref() == Some(operation))
            .cloned()
            .collect()
    }

    /// The newest entry.
    pub fn last(&self) -> Option<JournalEntry> {
        self.lock().back().cloned()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the journal is empty.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Removes every entry.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> JournalEntry {
        JournalEntry {
            request_id: format!("req-{n}"),
            operation: Some("upsertContact".to_owned()),
            method: "POST".to_owned(),
            path: "/public/v1/contacts".to_owned(),
            client_id: Some("acme".to_owned()),
            status: Some(200),
            started_at: UNIX_EPOCH,
            duration: Duration::ZERO,
            fault: None,
        }
    }

    // `record` is crate-private, so this is a unit test. It pins which entries a full
    // journal keeps; the ring buffer (no shifting of 10 000 entries per record) is a matter
    // of the data structure, not of a timed assertion.
    #[test]
    fn a_full_journal_drops_its_oldest_entry() {
        let journal = Journal::default();
        let total = JOURNAL_CAPACITY * 5;
        for n in 0..total {
            journal.record(entry(n));
        }
        assert_eq!(journal.len(), JOURNAL_CAPACITY);
        let entries = journal.entries();
        assert_eq!(
            entries.first().map(|e| e.request_id.as_str()),
            Some(format!("req-{}", total - JOURNAL_CAPACITY).as_str())
        );
        assert_eq!(
            journal.last().map(|e| e.request_id),
            Some(format!("req-{}", total - 1))
        );
    }
}
