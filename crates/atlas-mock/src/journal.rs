//! The request journal: a bounded ring buffer of what the mock was asked and what it answered.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Default number of entries the journal keeps (older ones are dropped first).
pub const DEFAULT_JOURNAL_CAPACITY: usize = 10_000;

/// One request as the mock saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JournalEntry {
    /// Sequence number, from 1, counting every request since start (also the dropped ones).
    pub seq: u64,
    /// When the request arrived.
    pub received_at: DateTime<Utc>,
    /// Peer address.
    pub peer: SocketAddr,
    /// HTTP method.
    pub method: String,
    /// Path, as sent (percent-encoded).
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Whether the request carried an `Authorization` header.
    pub had_credentials: bool,
    /// The public key that authenticated, when digest verification succeeded.
    pub key: Option<String>,
    /// Status answered (for an enveloped answer: the HTTP status, 200; see `enveloped_status`).
    pub status: u16,
    /// For `envelope=true`: the status inside the envelope.
    pub enveloped_status: Option<u16>,
    /// The `errorCode` of an Atlas error answer, or why digest verification failed.
    pub error: Option<String>,
    /// The injected fault, if one was applied.
    pub fault: Option<String>,
}

/// Ring buffer of [`JournalEntry`].
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    inner: Mutex<JournalInner>,
}

#[derive(Debug)]
struct JournalInner {
    next_seq: u64,
    entries: VecDeque<JournalEntry>,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(JournalInner {
                next_seq: 1,
                entries: VecDeque::with_capacity(capacity.min(1024)),
            }),
        }
    }

    /// Appends an entry, assigning its sequence number; drops the oldest when full.
    pub(crate) fn push(&self, mut entry: JournalEntry) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        entry.seq = inner.next_seq;
        inner.next_seq += 1;
        if self.capacity == 0 {
            return;
        }
        while inner.entries.len() >= self.capacity {
            inner.entries.pop_front();
        }
        inner.entries.push_back(entry);
    }

    pub(crate) fn snapshot(&self) -> Vec<JournalEntry> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.entries.iter().cloned().collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .len()
    }

    pub(crate) fn total(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .next_seq
            - 1
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> JournalEntry {
        JournalEntry {
            seq: 0,
            received_at: Utc::now(),
            peer: "127.0.0.1:1".parse().unwrap(),
            method: "GET".into(),
            path: path.into(),
            query: None,
            had_credentials: false,
            key: None,
            status: 200,
            enveloped_status: None,
            error: None,
            fault: None,
        }
    }

    #[test]
    fn ring_buffer_keeps_the_newest() {
        let j = Journal::new(3);
        for i in 0..5 {
            j.push(entry(&format!("/{i}")));
        }
        let all = j.snapshot();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].path, "/2");
        assert_eq!(all[0].seq, 3);
        assert_eq!(all[2].seq, 5);
        assert_eq!(j.total(), 5);
        assert_eq!(j.len(), 3);
    }
}
