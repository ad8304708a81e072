//! The executor: [`Client`], the [`Executor`] trait, and what a client holds.
//!
//! Reading order for the request path: [`Client::execute`] here, then `request.rs` (the attempt
//! loop), `auth/` (credentials per attempt), `attempt.rs` (one exchange), `retry.rs` (the policy).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::header::HeaderValue;
use http::{Request, Response};
use http_body_util::Full;
use hyper_util::client::legacy::Client as HyperClient;
use tokio::time::Instant;
use tracing::{Instrument, field};

use crate::auth::Anonymous;
use crate::auth::bearer::{BearerAuth, BearerSource};
use crate::auth::digest::DigestAuth;
use crate::builder::ClientBuilder;
use crate::config::Timeouts;
use crate::connector::Proxies;
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::stats::{Counters, Stats};

pub(crate) use crate::connector::Connector;

/// Something that executes an HTTP request and returns the response with its body collected.
///
/// [`Client`] is the real one. Code that only needs to send requests (such as `atlas-snapshots`)
/// should take an `Executor` so that its tests can use an in-memory implementation.
pub trait Executor: Send + Sync + fmt::Debug {
    /// Sends `request` (absolute URI, body as bytes) and returns the response.
    fn execute(
        &self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, Error>> + Send + '_>>;
}

impl<T: Executor + ?Sized> Executor for Arc<T> {
    fn execute(
        &self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, Error>> + Send + '_>> {
        (**self).execute(request)
    }
}

/// The HTTP executor: pooled connections (HTTP/1.1 and HTTP/2), rustls TLS, proxies, retries,
/// timeouts, and HTTP Digest in one round trip per request once the first challenge is known.
///
/// Cheap to clone (an `Arc` inside); clones share the pool, the digest sessions and the
/// [`Stats`]. Redirects are *not* followed: a `3xx` is returned as it is, so credentials can
/// never be replayed to another origin.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// Everything a client holds, shared by its clones.
pub(crate) struct Inner {
    pub(crate) http: HyperClient<Connector, Full<Bytes>>,
    pub(crate) proxies: Arc<Proxies>,
    pub(crate) auth: Auth,
    pub(crate) user_agent: HeaderValue,
    pub(crate) timeouts: Timeouts,
    pub(crate) retry: RetryPolicy,
    pub(crate) body_limit: usize,
    pub(crate) counters: Counters,
}

/// The authentication kind of a client (see `auth/`); a new kind is a new variant.
#[derive(Debug)]
pub(crate) enum Auth {
    Anonymous(Anonymous),
    Digest(DigestAuth),
    Bearer(BearerAuth),
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Client");
        match &i.auth {
            Auth::Anonymous(_) => d.field("credentials", &None::<()>),
            Auth::Digest(a) => d.field("credentials", a.secret()),
            Auth::Bearer(b) => match &b.source {
                BearerSource::Fixed(t) => d.field("access_token", t),
                BearerSource::Managed(s) => d.field("client_credentials", s.credentials()),
            },
        };
        d.field("user_agent", &i.user_agent)
            .field("timeouts", &i.timeouts)
            .field("retry", &i.retry)
            .field("proxies", &i.proxies)
            .field("body_limit", &i.body_limit)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Executor for Client {
    fn execute(
        &self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, Error>> + Send + '_>> {
        Box::pin(Client::execute(self, request))
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        let mut stats = self.inner.counters.snapshot();
        if let Some(source) = self.token_source() {
            stats.token_requests = source.token_requests();
        }
        stats
    }

    fn token_source(&self) -> Option<&crate::oauth::source::TokenSource> {
        match &self.inner.auth {
            Auth::Bearer(BearerAuth {
                source: BearerSource::Managed(s),
                ..
            }) => Some(s),
            _ => None,
        }
    }

    /// Revokes the client's OAuth 2.0 access token (the one in use, and the one in the token
    /// store) at the revocation endpoint, and forgets it; the next request fetches a new one.
    ///
    /// Returns `Ok(false)` when there was no token to revoke, or the client does not use client
    /// credentials.
    ///
    /// # Errors
    ///
    /// [`Error::Token`] when the endpoint refuses (or none is configured:
    /// [`TokenProblem::NoRevocationEndpoint`](crate::oauth::TokenProblem::NoRevocationEndpoint)),
    /// a transport error when it cannot be reached.
    pub async fn revoke_token(&self) -> Result<bool, Error> {
        match self.token_source() {
            Some(s) => s.revoke().await,
            None => Ok(false),
        }
    }

    /// The OAuth 2.0 token the client would use (from its store, else the one in use), without
    /// asking the server; `None` for a client without client credentials, or before any token.
    pub fn known_token(&self) -> Option<crate::oauth::StoredToken> {
        self.token_source().and_then(|s| s.known())
    }

    /// Hands the digest session of every origin this client fetched itself over to its
    /// [`digest_session_store`](crate::ClientBuilder::digest_session_store) now, instead of when
    /// the client is dropped; the number saved. The next request to such an origin fetches a
    /// fresh challenge (the handed-over nonce is no longer this client's). `Ok(0)` without a
    /// store or digest credentials.
    ///
    /// # Errors
    /// The store's, for the first session it could not save.
    pub fn save_digest_sessions(&self) -> Result<usize, crate::digest_session::SessionStoreError> {
        match &self.inner.auth {
            Auth::Digest(d) => d.save_sessions(),
            _ => Ok(0),
        }
    }

    /// Sends `request` and returns the response with its body collected.
    ///
    /// The URI must be absolute (`https://host/path?query`). See the crate documentation for
    /// what is retried and which statuses become errors.
    ///
    /// Dropping the returned future cancels the request at once and releases everything it
    /// holds (its connection, and its digest nonce count or place in the queue for one).
    pub async fn execute(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        Counters::bump(&self.inner.counters.requests);
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            path = request.uri().path(),
            status = field::Empty,
            attempts = field::Empty,
            challenged = field::Empty,
            elapsed_ms = field::Empty,
        );
        let started = Instant::now();
        let run = async {
            match &self.inner.auth {
                Auth::Anonymous(a) => self.run(a, request, &span).await,
                Auth::Digest(d) => self.run(d, request, &span).await,
                Auth::Bearer(b) => self.run(b, request, &span).await,
            }
        };
        let result = run.instrument(span.clone()).await;
        span.record("elapsed_ms", elapsed_ms(started));
        match &result {
            Ok(r) => {
                span.record("status", r.status().as_u16());
            }
            Err(e) => {
                if let Some(s) = e.status() {
                    span.record("status", s.as_u16());
                }
                tracing::debug!(parent: &span, error = %e, "request failed");
            }
        }
        result
    }
}

pub(crate) fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProxyConfig;

    #[test]
    fn client_is_cheap_to_share() {
        fn shareable<T: Send + Sync + Clone + fmt::Debug + 'static>() {}
        shareable::<Client>();
        fn executor<T: Executor + 'static>() {}
        executor::<Client>();
        executor::<Arc<dyn Executor>>();
    }

    #[test]
    fn debug_never_shows_the_password() {
        // Building needs no runtime.
        let c = Client::builder()
            .credentials("public-key", "very-private-key")
            .proxy(ProxyConfig::none())
            .build()
            .unwrap();
        let s = format!("{c:?}");
        assert!(s.contains("public-key"));
        assert!(!s.contains("very-private-key"), "{s}");
    }
}
