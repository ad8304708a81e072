//! `GET /__mock/journal[?since=SEQ]`: the journal as a JSON array, streamed a few entries at a time
//! (the entries are shared with the journal, not copied; each chunk is rendered when sent).

use std::sync::Arc;

use bytes::Bytes;

use super::AdminAnswer;
use crate::body::MockBody;
use crate::journal::JournalEntry;
use crate::server::Shared;
use crate::server::query::{last, query_pairs};
use crate::server::reply::invalid_param;

/// Entries per chunk.
const PER_CHUNK: usize = 64;

pub(super) fn stream(shared: &Shared, query: Option<&str>) -> AdminAnswer {
    let pairs = query_pairs(query);
    let since = match last(&pairs, "since") {
        None => 0,
        Some(v) => match v.parse::<u64>() {
            Ok(n) => n,
            Err(_) => {
                return AdminAnswer::Reply(*invalid_param(
                    "INVALID_QUERY_PARAMETER",
                    "since",
                    v,
                    "must be a sequence number (a non-negative integer)",
                ));
            }
        },
    };
    AdminAnswer::Stream(MockBody::chunks(Chunks {
        entries: shared.journal.since(since),
        next: 0,
        done: false,
    }))
}

struct Chunks {
    entries: Vec<Arc<JournalEntry>>,
    next: usize,
    done: bool,
}

impl Iterator for Chunks {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        let mut out = Vec::with_capacity(PER_CHUNK * 512);
        if self.next == 0 {
            out.extend_from_slice(b"[");
        }
        let end = (self.next + PER_CHUNK).min(self.entries.len());
        for i in self.next..end {
            out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            // Serialising plain data into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut out, &*self.entries[i]);
        }
        self.next = end;
        if self.next == self.entries.len() {
            out.extend_from_slice(b"\n]\n");
            self.done = true;
            self.entries = Vec::new();
        }
        Some(Bytes::from(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(entries: Vec<Arc<JournalEntry>>) -> String {
        let chunks = Chunks {
            entries,
            next: 0,
            done: false,
        };
        chunks
            .map(|b| String::from_utf8(b.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn chunks_make_one_json_array() {
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&collect(vec![])).unwrap(),
            serde_json::json!([])
        );
        let entries: Vec<Arc<JournalEntry>> = (0..200)
            .map(|i| {
                let mut e = crate::journal::test_entry(&format!("/{i}"));
                e.seq = i + 1;
                Arc::new(e)
            })
            .collect();
        let v: serde_json::Value = serde_json::from_str(&collect(entries)).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 200);
        assert_eq!(v[199]["path"], "/199");
        assert_eq!(v[0]["seq"], 1);
    }
}
