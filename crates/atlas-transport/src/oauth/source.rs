//! [`TokenSource`]: the token lifecycle of one client. One token in use; a renewal at a time
//! (single flight within the client, and across processes when the store locks); renewal ahead of
//! expiry; a refused token dropped once.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::exchange::Exchanger;
use super::{AccessToken, ClientCredentials, StoreError, StoredToken, TokenKey, TokenStore};
use crate::error::{Error, redact_uri};

/// The least time a stored token must have left to be used (unless a margin is configured).
const MIN_STORED_MARGIN: Duration = Duration::from_secs(10);

/// The token in use.
#[derive(Debug, Clone)]
struct Live {
    token: AccessToken,
    /// From here on the next request renews it.
    renew_at: Option<Instant>,
    generation: u64,
}

#[derive(Debug, Default)]
struct State {
    current: Option<Live>,
    generation: u64,
    /// The last token the server refused: a store that still holds it is not believed.
    refused: Option<AccessToken>,
}

/// A token handed to one request, with the generation to name it by when it is refused.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub(crate) token: AccessToken,
    pub(crate) generation: u64,
}

/// The token lifecycle of one client.
#[derive(Debug)]
pub(crate) struct TokenSource {
    creds: ClientCredentials,
    key: TokenKey,
    store: Arc<dyn TokenStore>,
    exchanger: Exchanger,
    state: Mutex<State>,
    /// Held by the one task that renews; the others wait for it, then find its token.
    renewal: tokio::sync::Mutex<()>,
    requests: AtomicU64,
}

impl TokenSource {
    pub(crate) fn new(
        creds: ClientCredentials,
        store: Arc<dyn TokenStore>,
        exchanger: Exchanger,
    ) -> Self {
        let key = TokenKey {
            token_url: creds.token_url.to_string(),
            client_id: creds.client_id.clone(),
        };
        TokenSource {
            creds,
            key,
            store,
            exchanger,
            state: Mutex::new(State::default()),
            renewal: tokio::sync::Mutex::new(()),
            requests: AtomicU64::new(0),
        }
    }

    pub(crate) fn credentials(&self) -> &ClientCredentials {
        &self.creds
    }

    /// Token requests sent so far.
    pub(crate) fn token_requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fresh(&self) -> Option<Issued> {
        let st = self.state();
        let live = st.current.as_ref()?;
        if live.renew_at.is_some_and(|at| Instant::now() >= at) {
            return None;
        }
        Some(Issued {
            token: live.token.clone(),
            generation: live.generation,
        })
    }

    /// A token that should be valid: the one in use, one from the store, or a new one.
    pub(crate) async fn get(&self) -> Result<Issued, Error> {
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let _renewing = self.renewal.lock().await;
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let _held = self
            .store
            .lock(&self.key)
            .await
            .map_err(|e| self.store_error(e))?;
        if let Some(t) = self.stored() {
            return Ok(t);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let granted = self.exchanger.fetch(&self.creds).await?;
        let now = Instant::now();
        let renew_at = granted
            .lifetime
            .map(|l| now + l.saturating_sub(self.creds.margin(l)));
        tracing::debug!(
            client_id = %self.creds.client_id,
            expires_in_s = granted.lifetime.map(|l| l.as_secs()),
            "got an access token"
        );
        let stored = StoredToken::new(
            granted.token.clone(),
            granted.lifetime.map(|l| SystemTime::now() + l),
        );
        if let Err(e) = self.store.save(&self.key, &stored) {
            tracing::warn!(error = %e, "could not save the access token; it is used for this run only");
        }
        Ok(self.install(granted.token, renew_at))
    }

    /// A still-fresh token from the store, installed; `None` if there is none, it is the one
    /// the server refused, or it is due for renewal.
    fn stored(&self) -> Option<Issued> {
        let stored = match self.store.load(&self.key) {
            Ok(s) => s?,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the token store; asking for a new token");
                return None;
            }
        };
        {
            // Not the token the server refused, nor the one due for renewal (whose schedule is
            // known better than a stored wall-clock expiry says).
            let st = self.state();
            if st.refused.as_ref() == Some(&stored.access_token)
                || st
                    .current
                    .as_ref()
                    .is_some_and(|l| l.token == stored.access_token)
            {
                return None;
            }
        }
        let renew_at = match stored.expires_at {
            None => None,
            Some(at) => {
                let left = at.duration_since(SystemTime::now()).ok()?;
                // The lifetime is unknown here: at least the smallest default margin.
                let floor = self.creds.renew_before.unwrap_or(MIN_STORED_MARGIN);
                let margin = self.creds.margin(left).max(floor);
                if left <= margin {
                    return None;
                }
                Some(Instant::now() + (left - margin))
            }
        };
        tracing::debug!(client_id = %self.creds.client_id, "reusing a stored access token");
        Some(self.install(stored.access_token, renew_at))
    }

    fn install(&self, token: AccessToken, renew_at: Option<Instant>) -> Issued {
        let mut st = self.state();
        st.generation += 1;
        let generation = st.generation;
        st.current = Some(Live {
            token: token.clone(),
            renew_at,
            generation,
        });
        Issued { token, generation }
    }

    /// The server refused the token of `generation`: stop using it (if it is still the one in
    /// use; a newer one stays).
    pub(crate) fn refused(&self, generation: u64) {
        let mut st = self.state();
        if st
            .current
            .as_ref()
            .is_some_and(|l| l.generation == generation)
        {
            let live = st.current.take();
            st.refused = live.map(|l| l.token);
            tracing::debug!(client_id = %self.creds.client_id, "the access token was refused; dropping it");
        }
    }

    /// The token in use or stored, and its expiry, without asking the server.
    pub(crate) fn known(&self) -> Option<StoredToken> {
        self.store.load(&self.key).ok().flatten().or_else(|| {
            let st = self.state();
            st.current
                .as_ref()
                .map(|l| StoredToken::new(l.token.clone(), None))
        })
    }

    /// Revokes the token in use (or stored) at the server and forgets it. `Ok(false)` when
    /// there was none.
    pub(crate) async fn revoke(&self) -> Result<bool, Error> {
        let _renewing = self.renewal.lock().await;
        let _held = self
            .store
            .lock(&self.key)
            .await
            .map_err(|e| self.store_error(e))?;
        let current = self.state().current.as_ref().map(|l| l.token.clone());
        let stored = self
            .store
            .load(&self.key)
            .ok()
            .flatten()
            .map(|s| s.access_token);
        let mut tokens: Vec<AccessToken> = current.into_iter().chain(stored).collect();
        tokens.dedup();
        if tokens.is_empty() {
            return Ok(false);
        }
        for t in &tokens {
            self.exchanger.revoke(&self.creds, t).await?;
        }
        self.state().current = None;
        self.store
            .clear(&self.key)
            .map_err(|e| self.store_error(e))?;
        Ok(true)
    }

    fn store_error(&self, e: StoreError) -> Error {
        Error::Other {
            url: Some(redact_uri(&self.creds.token_url)),
            message: e.to_string(),
        }
    }
}
