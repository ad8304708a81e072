//! The request journal: what the mock was asked and what it answered, bounded in entries and in bytes.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;

mod compact;

pub(crate) use compact::{AuthRecord, CompactAuth};

/// Default number of entries the journal keeps (older ones are dropped first).
pub const DEFAULT_JOURNAL_CAPACITY: usize = 10_000;
/// Default bound of the journal's size in bytes (16 MiB, room for the 10,000 entries of
/// [`DEFAULT_JOURNAL_CAPACITY`] at about 1.1 KB each; older entries are dropped first).
pub const DEFAULT_JOURNAL_BYTES: usize = 16 * 1024 * 1024;
/// Longest path or query kept in an entry; longer ones are cut and end with a marker
/// (`...[+N bytes]`).
pub const JOURNAL_MAX_TARGET: usize = 1024;
/// Longest header value kept in an entry (cut with the same marker).
pub const JOURNAL_MAX_HEADER_VALUE: usize = 512;
/// Most request (and response) headers kept per entry; the rest are counted in
/// [`JournalEntry::headers_dropped`].
pub const JOURNAL_MAX_HEADERS: usize = 32;

/// What an `Authorization` header said, without its secret parts (no `response`, no `cnonce`):
/// the scheme, and for Digest the username, algorithm, qop, nc, nonce and whether an opaque came.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthSummary {
    /// The scheme as sent (`Digest`, `Basic`, `Bearer`, ...).
    pub scheme: String,
    /// Digest `username` (the public key), if the header parsed as Digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Digest `algorithm` as sent (`MD5` when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// Digest `qop`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qop: Option<String>,
    /// Digest `nc`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nc: Option<u32>,
    /// Digest `nonce` as sent (cut at 256 bytes), so that a test can tell that no (nonce, nc)
    /// pair came twice. A nonce is no secret: the mock sent it in a challenge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Whether an `opaque` was sent.
    pub opaque: bool,
}

/// One request as the mock saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JournalEntry {
    /// Sequence number, from 1, counting every request since start (also the dropped ones).
    pub seq: u64,
    /// When the request arrived, on the mock clock.
    pub received_at: DateTime<Utc>,
    /// Peer address.
    pub peer: SocketAddr,
    /// HTTP method.
    pub method: String,
    /// Path, as sent (percent-encoded); cut at [`JOURNAL_MAX_TARGET`] bytes with a `...[+N bytes]` marker.
    pub path: String,
    /// Raw query string, if any (cut like `path`).
    pub query: Option<String>,
    /// Whether the request carried an `Authorization` header.
    pub had_credentials: bool,
    /// What the `Authorization` header said (scheme; for Digest: username, algorithm, qop, nc).
    pub auth: Option<AuthSummary>,
    /// The public key that authenticated, when digest verification succeeded.
    pub key: Option<String>,
    /// Request headers (lower-case names, in order), without `Authorization` (see `auth`).
    pub request_headers: Vec<(String, String)>,
    /// Status answered (for an enveloped answer: the HTTP status, 200; see `enveloped_status`).
    pub status: u16,
    /// For `envelope=true`: the status inside the envelope.
    pub enveloped_status: Option<u16>,
    /// Response headers (lower-case names, in order).
    pub response_headers: Vec<(String, String)>,
    /// Headers left out of `request_headers` and `response_headers` (beyond [`JOURNAL_MAX_HEADERS`]).
    pub headers_dropped: usize,
    /// The `errorCode` of an Atlas error answer, or why digest verification failed.
    pub error: Option<String>,
    /// The injected fault, if one was applied.
    pub fault: Option<String>,
    /// A verified Digest header's record, turned into `auth` when the journal is read (never set
    /// in an entry handed out).
    #[serde(skip)]
    pub(crate) auth_deferred: Option<CompactAuth>,
}

impl JournalEntry {
    /// The first request header named `name` (any case).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        header(&self.request_headers, name)
    }

    /// The first response header named `name` (any case).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        header(&self.response_headers, name)
    }

    /// Records what the `Authorization` header said.
    pub(crate) fn set_auth(&mut self, record: AuthRecord) {
        match record {
            AuthRecord::Summary(s) => {
                self.auth = Some(s);
                self.auth_deferred = None;
            }
            AuthRecord::Compact(c) => {
                self.auth = None;
                self.auth_deferred = Some(c);
            }
        }
    }

    /// Records what a verified `Authorization` header said and `key`, the key that
    /// authenticated. When the record is compact and its username is the key (no `userhash`, not
    /// cut), the key is not copied now: the journal sets it from the record when it is read.
    pub(crate) fn set_verified(&mut self, record: AuthRecord, key: &str) {
        match record {
            AuthRecord::Compact(mut c) if c.username_is(key) => {
                c.key = true;
                self.key = None;
                self.set_auth(AuthRecord::Compact(c));
            }
            other => {
                self.key = Some(key.to_owned());
                self.set_auth(other);
            }
        }
    }

    /// Whether [`JournalEntry::set_auth`] (or `auth`) recorded the header already.
    pub(crate) fn has_auth(&self) -> bool {
        self.auth.is_some() || self.auth_deferred.is_some()
    }

    /// Turns a deferred record into `auth`.
    fn materialize(&mut self) {
        if let Some(c) = self.auth_deferred.take() {
            let key = c.key;
            let summary = c.into_summary();
            if key {
                self.key.clone_from(&summary.username);
            }
            self.auth = Some(summary);
        }
    }

    /// Approximate memory the entry holds: what the byte bound counts.
    pub(crate) fn cost(&self) -> usize {
        let strings = self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + self.key.as_ref().map_or(0, String::len)
            + self.error.as_ref().map_or(0, String::len)
            + self.fault.as_ref().map_or(0, String::len)
            + self.auth.as_ref().map_or(0, |a| {
                64 + a.scheme.len()
                    + a.username.as_ref().map_or(0, String::len)
                    + a.algorithm.as_ref().map_or(0, String::len)
                    + a.qop.as_ref().map_or(0, String::len)
                    + a.nonce.as_ref().map_or(0, String::len)
            })
            + self.auth_deferred.as_ref().map_or(0, CompactAuth::cost)
            + self
                .request_headers
                .iter()
                .chain(&self.response_headers)
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>();
        std::mem::size_of::<Self>() + 32 + strings
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Cuts `s` to at most `max` bytes (on a character boundary) and appends `...[+N bytes]`.
pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        // The common case: one allocation of the exact size.
        return s.to_owned();
    }
    let mut out = String::with_capacity(max + CUT_MARK_MAX);
    push_cut(&mut out, s, max);
    out
}

/// Longest marker [`cut`] appends (`...[+N bytes]` with a 20-digit N).
pub(crate) const CUT_MARK_MAX: usize = 32;

/// Appends [`cut`]`(s, max)` to `out`.
pub(crate) fn push_cut(out: &mut String, s: &str, max: usize) {
    if s.len() <= max {
        out.push_str(s);
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    use std::fmt::Write as _;
    let _ = write!(out, "{}...[+{} bytes]", &s[..end], s.len() - end);
}

/// A header value as text: borrowed when it is UTF-8 (the usual case, checked with the standard
/// library's fast path), else with U+FFFD for the bad bytes (`String::from_utf8_lossy`).
pub(crate) fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Header pairs for the journal: lower-case names, values cut, at most [`JOURNAL_MAX_HEADERS`];
/// returns the pairs and how many were left out.
pub(crate) fn header_pairs<'a>(
    headers: impl Iterator<Item = (&'a http::HeaderName, &'a http::HeaderValue)>,
) -> (Vec<(String, String)>, usize) {
    let mut out = Vec::new();
    let mut dropped = 0;
    for (k, v) in headers {
        if k == http::header::AUTHORIZATION {
            continue;
        }
        if out.len() >= JOURNAL_MAX_HEADERS {
            dropped += 1;
            continue;
        }
        let v = text(v.as_bytes());
        out.push((k.as_str().to_owned(), cut(&v, JOURNAL_MAX_HEADER_VALUE)));
    }
    (out, dropped)
}

/// Ring buffer of [`JournalEntry`], bounded by a count and by [`JournalEntry::cost`] in bytes.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    byte_limit: usize,
    inner: Mutex<JournalInner>,
}

#[derive(Debug)]
struct JournalInner {
    next_seq: u64,
    bytes: usize,
    entries: VecDeque<(usize, Arc<JournalEntry>)>,
}

impl Journal {
    pub(crate) fn new(capacity: usize, byte_limit: usize) -> Self {
        Self {
            capacity,
            byte_limit,
            inner: Mutex::new(JournalInner {
                next_seq: 1,
                bytes: 0,
                entries: VecDeque::with_capacity(capacity.min(1024)),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, JournalInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the next sequence number (every request gets one, journaled or not).
    pub(crate) fn next_seq(&self) -> u64 {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        seq
    }

    /// Appends an entry (its `seq` from [`Journal::next_seq`]); drops the oldest while over a bound.
    pub(crate) fn push(&self, entry: JournalEntry) {
        let cost = entry.cost();
        let mut inner = self.lock();
        if self.capacity == 0 || cost > self.byte_limit {
            return;
        }
        while inner.entries.len() >= self.capacity || inner.bytes + cost > self.byte_limit {
            match inner.entries.pop_front() {
                Some((c, _)) => inner.bytes -= c,
                None => break,
            }
        }
        inner.bytes += cost;
        // Entries arrive nearly in order; keep the deque sorted by seq for `since`.
        let pos = inner
            .entries
            .iter()
            .rposition(|(_, e)| e.seq < entry.seq)
            .map_or(0, |p| p + 1);
        inner.entries.insert(pos, (cost, Arc::new(entry)));
    }

    /// The entries with `seq > since`, oldest first (shared, not copied).
    /// Deferred auth records are turned into summaries here, once per entry (an entry is only
    /// shared after that, so it is changed in place).
    pub(crate) fn since(&self, since: u64) -> Vec<Arc<JournalEntry>> {
        let mut inner = self.lock();
        let start = inner.entries.partition_point(|(_, e)| e.seq <= since);
        inner
            .entries
            .iter_mut()
            .skip(start)
            .map(|(_, e)| {
                if e.auth_deferred.is_some() {
                    Arc::make_mut(e).materialize();
                }
                e.clone()
            })
            .collect()
    }

    /// Forgets every entry (sequence numbers go on).
    pub(crate) fn clear(&self) -> usize {
        let mut inner = self.lock();
        let n = inner.entries.len();
        inner.entries.clear();
        inner.bytes = 0;
        n
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.lock().bytes
    }

    pub(crate) fn total(&self) -> u64 {
        self.lock().next_seq - 1
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn byte_limit(&self) -> usize {
        self.byte_limit
    }
}

#[cfg(test)]
pub(crate) fn test_entry(path: &str) -> JournalEntry {
    JournalEntry {
        seq: 0,
        received_at: Utc::now(),
        peer: "127.0.0.1:1".parse().unwrap_or_else(|_| unreachable!()),
        method: "GET".into(),
        path: path.into(),
        query: None,
        had_credentials: false,
        auth: None,
        key: None,
        request_headers: Vec::new(),
        status: 200,
        enveloped_status: None,
        response_headers: Vec::new(),
        headers_dropped: 0,
        error: None,
        fault: None,
        auth_deferred: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(j: &Journal, path: &str) {
        let mut e = test_entry(path);
        e.seq = j.next_seq();
        j.push(e);
    }

    #[test]
    fn ring_buffer_keeps_the_newest() {
        let j = Journal::new(3, usize::MAX);
        for i in 0..5 {
            push(&j, &format!("/{i}"));
        }
        let all = j.since(0);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].path, "/2");
        assert_eq!(all[0].seq, 3);
        assert_eq!(all[2].seq, 5);
        assert_eq!(j.total(), 5);
        assert_eq!(j.len(), 3);
        assert_eq!(j.since(4).len(), 1);
        assert_eq!(j.clear(), 3);
        assert_eq!((j.len(), j.bytes(), j.total()), (0, 0, 5));
    }

    #[test]
    fn the_byte_bound_holds_whatever_the_entries() {
        let one = test_entry(&"x".repeat(JOURNAL_MAX_TARGET)).cost();
        let j = Journal::new(usize::MAX, 10 * one);
        for _ in 0..100 {
            push(&j, &"x".repeat(JOURNAL_MAX_TARGET));
            assert!(j.bytes() <= j.byte_limit());
        }
        assert_eq!(j.len(), 10);
        // An entry larger than the whole bound is not kept (and does not empty the journal).
        let mut huge = test_entry("/");
        huge.error = Some("e".repeat(20 * one));
        huge.seq = j.next_seq();
        j.push(huge);
        assert_eq!(j.len(), 10);
    }

    #[test]
    fn out_of_order_pushes_stay_sorted() {
        let j = Journal::new(10, usize::MAX);
        let (a, b) = (j.next_seq(), j.next_seq());
        let mut eb = test_entry("/b");
        eb.seq = b;
        j.push(eb);
        let mut ea = test_entry("/a");
        ea.seq = a;
        j.push(ea);
        let seqs: Vec<u64> = j.since(0).iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2]);
    }

    #[test]
    fn cut_marks_what_it_removed() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("abcdef", 4), "abcd...[+2 bytes]");
        // never splits a character
        assert_eq!(cut("ééé", 3), "é...[+4 bytes]");
    }
}
