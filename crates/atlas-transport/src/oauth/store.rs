//! The token store seam: [`TokenStore`] and the default [`MemoryTokenStore`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::SystemTime;

use super::AccessToken;

/// Which token: the token endpoint and the client id (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenKey {
    /// The token endpoint URL.
    pub token_url: String,
    /// The client id.
    pub client_id: String,
}

/// A token as a store keeps it. `Debug` redacts the token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredToken {
    /// The token.
    pub access_token: AccessToken,
    /// When it expires (wall clock), or `None` when the server did not say.
    pub expires_at: Option<SystemTime>,
}

impl StoredToken {
    /// A token and its expiry.
    pub fn new(access_token: AccessToken, expires_at: Option<SystemTime>) -> Self {
        StoredToken {
            access_token,
            expires_at,
        }
    }
}

/// A store failed (an unreadable file, a broken lock ...). Its message never holds a token.
#[derive(Debug, thiserror::Error)]
#[error("token store: {message}")]
pub struct StoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A store error with what failed and its cause.
    pub fn new(
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError {
            message: message.into(),
            source,
        }
    }
}

/// A held lock on a key (released when dropped).
pub type StoreLock = Box<dyn Send + Sync>;

/// Where tokens live between requests (and, for a persistent store, between processes).
///
/// The client loads a token before it asks the server for one, saves every token it gets, and
/// clears a token it revoked. A failing `load` counts as no token and a failing `save` as not
/// saved (both are logged, and the request goes on); a failing [`lock`](Self::lock) fails the
/// request.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The token stored for `key`, if any (expired ones included: the client checks).
    fn load(&self, key: &TokenKey) -> Result<Option<StoredToken>, StoreError>;
    /// Stores `token` for `key`, replacing what was there.
    fn save(&self, key: &TokenKey, token: &StoredToken) -> Result<(), StoreError>;
    /// Forgets the token of `key`.
    fn clear(&self, key: &TokenKey) -> Result<(), StoreError>;
    /// Holds `key` exclusively while the client loads, fetches and saves a token, so that
    /// processes sharing the store ask for one token between them. The default holds nothing
    /// (within one client, renewals are already one at a time).
    fn lock<'a>(
        &'a self,
        key: &'a TokenKey,
    ) -> Pin<Box<dyn Future<Output = Result<Option<StoreLock>, StoreError>> + Send + 'a>> {
        let _ = key;
        Box::pin(std::future::ready(Ok(None)))
    }
}

/// Tokens in memory, for the life of the store: the default.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<HashMap<TokenKey, StoredToken>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<TokenKey, StoredToken>> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, key: &TokenKey) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.map().get(key).cloned())
    }

    fn save(&self, key: &TokenKey, token: &StoredToken) -> Result<(), StoreError> {
        self.map().insert(key.clone(), token.clone());
        Ok(())
    }

    fn clear(&self, key: &TokenKey) -> Result<(), StoreError> {
        self.map().remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip_and_debug_redacts() {
        let s = MemoryTokenStore::new();
        let k = TokenKey {
            token_url: "https://a/t".into(),
            client_id: "id".into(),
        };
        assert_eq!(s.load(&k).unwrap(), None);
        let t = StoredToken::new(AccessToken::new("tok-SECRET"), None);
        s.save(&k, &t).unwrap();
        assert_eq!(s.load(&k).unwrap(), Some(t));
        assert!(!format!("{s:?}").contains("SECRET"));
        s.clear(&k).unwrap();
        assert_eq!(s.load(&k).unwrap(), None);
    }
}
