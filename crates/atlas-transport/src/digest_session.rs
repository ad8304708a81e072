//! The digest session store seam: HTTP Digest nonces that outlive a client.
//!
//! Without a store, a new [`Client`](crate::Client) pays one extra round trip on its first
//! request to an origin: the `401` that brings the challenge. With a [`DigestSessionStore`]
//! ([`ClientBuilder::digest_session_store`](crate::ClientBuilder::digest_session_store)) the
//! client takes up the session an earlier client left there and sends its first request with
//! credentials at once:
//!
//! - **Before the first request to an origin** the client asks the store to
//!   [`reserve`](DigestSessionStore::reserve) a block of nc values (16 by default,
//!   [`ClientBuilder::digest_session_block`](crate::ClientBuilder::digest_session_block)) of the
//!   stored session; the store moves the stored next nc past the block before it answers, so
//!   clients sharing the store (processes sharing a file) hold disjoint blocks and no nc is sent
//!   twice. The client sends at most its block on that nonce, then fetches a fresh challenge.
//! - **When the client's session with the origin ends** (the client is dropped, or
//!   [`Client::save_digest_sessions`](crate::Client::save_digest_sessions) is called) a nonce
//!   the client fetched itself is [`save`](DigestSessionStore::save)d, handed over with the first
//!   nc it never sent; the client sends nothing more on it. A nonce it imported is never saved
//!   back (the stored copy already counts past its block).
//! - **A stale, expired or refused nonce** costs one fresh challenge, silently, as for a nonce
//!   the client adopted itself; wrong credentials still end in
//!   [`Error::AuthRejected`](crate::Error::AuthRejected).
//!
//! Nothing secret is stored: a [`SavedSession`] holds the protection space, the nonce and the
//! next nc; H(A1) is computed again from the credentials.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

pub use atlas_digest::{NcBlock, SavedSession};

/// Which session: the origin (`scheme://host[:port]`, normalized as
/// [`atlas_digest::Origin`] does) and the digest user name (never the password).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigestSessionKey {
    /// The origin, for example `https://cloud.mongodb.com`.
    pub origin: String,
    /// The user name (for Atlas: the public API key).
    pub username: String,
}

impl DigestSessionKey {
    /// The key a client uses for requests to `url` (any URL of the origin: its path is
    /// ignored) as `username`; `None` when `url` is not an absolute URL with a host.
    pub fn for_url(url: &str, username: impl Into<String>) -> Option<DigestSessionKey> {
        Some(DigestSessionKey {
            origin: atlas_digest::Origin::parse(url)?.as_str().to_owned(),
            username: username.into(),
        })
    }
}

/// The nc values a client reserves from a stored session unless told otherwise.
pub const DEFAULT_DIGEST_SESSION_BLOCK: u32 = 16;

/// A digest session store failed (an unreadable file, a broken lock ...).
#[derive(Debug, thiserror::Error)]
#[error("digest session store: {message}")]
pub struct SessionStoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl SessionStoreError {
    /// A store error with what failed and its cause.
    pub fn new(
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        SessionStoreError {
            message: message.into(),
            source,
        }
    }
}

/// Where digest sessions live between clients (and, for a persistent store, between
/// processes). Both calls are short (a read and a write), made on the request path before the
/// first request to an origin and when a client's session ends; a failure is logged and the
/// client goes on as without a store (it fetches a challenge).
pub trait DigestSessionStore: Send + Sync + fmt::Debug {
    /// Takes `count` nc values of the session stored for `key` (see [`SavedSession::reserve`])
    /// and stores the advanced session before returning the block, atomically with respect to
    /// every other client of the store: two calls never return overlapping blocks of one nonce.
    /// `Ok(None)` when nothing (usable) is stored.
    fn reserve(
        &self,
        key: &DigestSessionKey,
        count: u32,
    ) -> Result<Option<NcBlock>, SessionStoreError>;

    /// Stores a session a client handed over, replacing what is stored for `key`.
    fn save(&self, key: &DigestSessionKey, session: &SavedSession)
    -> Result<(), SessionStoreError>;

    /// Forgets the session of `key`.
    fn clear(&self, key: &DigestSessionKey) -> Result<(), SessionStoreError>;
}

/// Sessions in memory, for the life of the store: clients of one process that share it (one
/// after another, or at once) skip the first challenge.
#[derive(Debug, Default)]
pub struct MemoryDigestSessionStore {
    sessions: Mutex<HashMap<DigestSessionKey, SavedSession>>,
}

impl MemoryDigestSessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<DigestSessionKey, SavedSession>> {
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl DigestSessionStore for MemoryDigestSessionStore {
    fn reserve(
        &self,
        key: &DigestSessionKey,
        count: u32,
    ) -> Result<Option<NcBlock>, SessionStoreError> {
        Ok(self.map().get_mut(key).and_then(|s| s.reserve(count)))
    }

    fn save(
        &self,
        key: &DigestSessionKey,
        session: &SavedSession,
    ) -> Result<(), SessionStoreError> {
        self.map().insert(key.clone(), session.clone());
        Ok(())
    }

    fn clear(&self, key: &DigestSessionKey) -> Result<(), SessionStoreError> {
        self.map().remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_urls_are_the_normalized_origin() {
        let k =
            DigestSessionKey::for_url("HTTPS://Cloud.MongoDB.com:443/api/atlas/v2", "pub").unwrap();
        assert_eq!(k.origin, "https://cloud.mongodb.com");
        assert_eq!(k.username, "pub");
        assert_eq!(
            DigestSessionKey::for_url("http://127.0.0.1:8080", "pub")
                .unwrap()
                .origin,
            "http://127.0.0.1:8080"
        );
        assert_eq!(DigestSessionKey::for_url("not a url", "pub"), None);
    }

    #[test]
    fn the_memory_store_reserves_disjoint_blocks() {
        let s = MemoryDigestSessionStore::new();
        let k = DigestSessionKey::for_url("https://x.example", "u").unwrap();
        assert_eq!(s.reserve(&k, 4).unwrap(), None);
        let saved = SavedSession::from_text(
            "atlas-digest-session 1\norigin https://x.example\nusername u\nrealm r\nalgorithm SHA-256\nqop auth\nuserhash 0\ncharset-utf8 0\nnonce n\nnext-nc 3\n",
        )
        .unwrap();
        s.save(&k, &saved).unwrap();
        let a = s.reserve(&k, 4).unwrap().unwrap();
        let b = s.reserve(&k, 4).unwrap().unwrap();
        assert_eq!((a.first(), a.last(), b.first()), (3, 6, 7));
        s.clear(&k).unwrap();
        assert_eq!(s.reserve(&k, 4).unwrap(), None);
    }
}
