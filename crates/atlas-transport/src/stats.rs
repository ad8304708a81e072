//! The client's counters: [`Stats`] for the caller, [`Counters`] behind it.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of a [`Client`](crate::Client), read with [`Client::stats`](crate::Client::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Logical requests started with [`Client::execute`](crate::Client::execute).
    pub requests: u64,
    /// HTTP exchanges actually attempted (each retry and each digest challenge adds one).
    pub round_trips: u64,
    /// `401` responses received with credentials configured: the first challenge per origin,
    /// `stale=true` and rejections.
    pub challenges: u64,
    /// Retries after a retryable status or transport failure (digest re-sends excluded).
    pub retries: u64,
    /// OAuth 2.0 token requests sent (one per token fetched, whatever its retries).
    pub token_requests: u64,
}

/// The live counters, shared by every clone of a client.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) round_trips: AtomicU64,
    pub(crate) challenges: AtomicU64,
    pub(crate) retries: AtomicU64,
}

impl Counters {
    /// Adds one (relaxed: the counters order nothing).
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            round_trips: self.round_trips.load(Ordering::Relaxed),
            challenges: self.challenges.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            token_requests: 0,
        }
    }
}
