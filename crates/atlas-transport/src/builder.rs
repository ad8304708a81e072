//! [`ClientBuilder`]: configuration in, a [`Client`] with its pool, TLS, proxies and
//! authentication out.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use atlas_digest::ClientConfig as DigestConfig;

use crate::auth::bearer::{BearerAuth, BearerSource};
use crate::auth::digest::DigestAuth;
use crate::auth::{Anonymous, Secret};
use crate::client::{Auth, Client, Inner};
use crate::config::{ProxyConfig, RootCertificates, Timeouts};
use crate::connector::{Proxies, tls_config};
use crate::digest_session::{DEFAULT_DIGEST_SESSION_BLOCK, DigestSessionStore};
use crate::error::Error;
use crate::oauth::exchange::Exchanger;
use crate::oauth::source::TokenSource;
use crate::oauth::{AccessToken, ClientCredentials, MemoryTokenStore, TokenStore};
use crate::retry::RetryPolicy;
use crate::stats::Counters;

/// The response body limit used unless [`ClientBuilder::body_limit`] says otherwise: 8 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// The `User-Agent` product token: `atlas-transport/<version>`.
pub const USER_AGENT_PRODUCT: &str = concat!("atlas-transport/", env!("CARGO_PKG_VERSION"));

/// Configures and builds a [`Client`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    credentials: Option<Secret>,
    bearer: Option<BearerChoice>,
    token_store: Option<Arc<dyn TokenStore>>,
    user_agent_suffix: Option<String>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    proxy: ProxyConfig,
    roots: RootCertificates,
    extra_roots: Vec<ExtraRoot>,
    body_limit: Option<usize>,
    allow_insecure_http: bool,
    digest: DigestConfig,
    digest_store: Option<Arc<dyn DigestSessionStore>>,
    digest_block: Option<u32>,
}

/// The bearer kind chosen (the last call among the three authentication methods wins).
#[derive(Debug)]
enum BearerChoice {
    Fixed(AccessToken),
    ClientCredentials(Box<ClientCredentials>),
}

#[derive(Debug)]
enum ExtraRoot {
    File(PathBuf),
    Pem(Vec<u8>),
}

impl ClientBuilder {
    /// Digest credentials (for Atlas: the public and private API key).
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some(Secret {
            username: username.into(),
            password: password.into(),
        });
        self.bearer = None;
        self
    }

    /// OAuth 2.0 client credentials (RFC 6749 section 4.4): the client fetches, caches and
    /// renews a bearer token itself (see [`crate::oauth`]). Replaces digest
    /// [`credentials`](Self::credentials) and a fixed [`bearer_token`](Self::bearer_token).
    pub fn client_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.bearer = Some(BearerChoice::ClientCredentials(Box::new(credentials)));
        self.credentials = None;
        self
    }

    /// A ready access token, sent as `Authorization: Bearer` (RFC 6750) as it is: never
    /// renewed, and a `401` ends the request. Replaces the other authentication methods.
    pub fn bearer_token(mut self, token: AccessToken) -> Self {
        self.bearer = Some(BearerChoice::Fixed(token));
        self.credentials = None;
        self
    }

    /// Where [`client_credentials`](Self::client_credentials) tokens are loaded from and saved
    /// to (default: a new [`MemoryTokenStore`]).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Appended to the `User-Agent`: `atlas-transport/<version> <suffix>`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Connect, attempt and total timeouts (see [`Timeouts`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The retry policy (see [`RetryPolicy`]; [`RetryPolicy::none`] switches retries off).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Proxies (default: [`ProxyConfig::from_env`]).
    pub fn proxy(mut self, proxy: ProxyConfig) -> Self {
        self.proxy = proxy;
        self
    }

    /// The base trust store (default: [`RootCertificates::Webpki`]).
    pub fn root_certificates(mut self, roots: RootCertificates) -> Self {
        self.roots = roots;
        self
    }

    /// Also trust the CA certificates in this PEM file; read by [`ClientBuilder::build`], which
    /// fails if the file is unreadable or holds no certificate.
    pub fn add_root_pem_file(mut self, path: impl AsRef<Path>) -> Self {
        self.extra_roots
            .push(ExtraRoot::File(path.as_ref().to_owned()));
        self
    }

    /// Also trust the CA certificates in this PEM text.
    pub fn add_root_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(ExtraRoot::Pem(pem.into()));
        self
    }

    /// The largest response body accepted, in bytes (default [`DEFAULT_BODY_LIMIT`], 8 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// Allow credentials over plain `http://` to hosts that are not loopback. Off by default:
    /// such requests fail with [`Error::InsecureCredentials`] before anything is sent.
    pub fn allow_insecure_http(mut self, yes: bool) -> Self {
        self.allow_insecure_http = yes;
        self
    }

    /// The HTTP Digest client settings (default: `atlas_digest::ClientConfig::default()`).
    ///
    /// Among them the nc span: requests share an origin's nonce with consecutive nonce counts and
    /// overtake each other on the way to the server, which accepts an nc below the highest it has
    /// seen only within its replay window. The client never has more than
    /// [`ClientConfig::nc_span`](atlas_digest::ClientConfig::nc_span) (default 32) unretired nc
    /// values of one nonce, never more than the server window it is told
    /// ([`with_server_window`](atlas_digest::ClientConfig::with_server_window), default 64);
    /// further requests wait for a slot, in order. Also: refusing MD5, requiring `rspauth`.
    pub fn digest_config(mut self, config: DigestConfig) -> Self {
        self.digest = config;
        self
    }

    /// Where digest sessions are taken up from before the first request to an origin and
    /// handed over to when the client's session ends, so that a new client (a new process,
    /// with a persistent store) skips the first challenge; see [`crate::digest_session`].
    /// Default: none (every client fetches its own challenge).
    pub fn digest_session_store(mut self, store: Arc<dyn DigestSessionStore>) -> Self {
        self.digest_store = Some(store);
        self
    }

    /// How many nc values a client reserves from a stored digest session (default
    /// [`DEFAULT_DIGEST_SESSION_BLOCK`], 16; at least 1). The client sends at most that many
    /// requests on the stored nonce, then fetches a fresh challenge. Smaller blocks keep more
    /// concurrent clients within the server's replay window; larger ones fetch fewer challenges.
    pub fn digest_session_block(mut self, count: u32) -> Self {
        self.digest_block = Some(count.max(1));
        self
    }

    /// Builds the client: loads trust roots, resolves proxies, sets up the connection pool.
    pub fn build(self) -> Result<Client, Error> {
        let mut pems = Vec::with_capacity(self.extra_roots.len());
        for root in self.extra_roots {
            match root {
                ExtraRoot::Pem(p) => pems.push(p),
                ExtraRoot::File(path) => {
                    let pem = std::fs::read(&path).map_err(|e| Error::Config {
                        reason: format!("cannot read CA file {}", path.display()),
                        source: Some(Box::new(e)),
                    })?;
                    pems.push(pem);
                }
            }
        }
        let tls = tls_config(self.roots, &pems)?;
        let proxies = Arc::new(Proxies::new(self.proxy.resolve())?);
        let http = crate::connector::pooled_client(tls, proxies.clone(), self.timeouts.connect);
        let user_agent = crate::connector::user_agent(self.user_agent_suffix.as_deref())?;

        let auth = match (self.bearer, self.credentials) {
            (Some(BearerChoice::Fixed(token)), _) => Auth::Bearer(BearerAuth::new(
                BearerSource::Fixed(token),
                self.allow_insecure_http,
            )),
            (Some(BearerChoice::ClientCredentials(creds)), _) => {
                let exchanger = Exchanger {
                    http: http.clone(),
                    attempt_timeout: self.timeouts.attempt,
                    total_timeout: self.timeouts.total,
                    body_limit: self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
                    retry: self.retry.clone(),
                    user_agent: user_agent.clone(),
                    allow_insecure_http: self.allow_insecure_http,
                };
                let store = self
                    .token_store
                    .unwrap_or_else(|| Arc::new(MemoryTokenStore::new()));
                Auth::Bearer(BearerAuth::new(
                    BearerSource::Managed(Arc::new(TokenSource::new(*creds, store, exchanger))),
                    self.allow_insecure_http,
                ))
            }
            (None, None) => Auth::Anonymous(Anonymous),
            (None, Some(secret)) => Auth::Digest(DigestAuth::new(
                secret,
                self.digest,
                self.allow_insecure_http,
                self.digest_store
                    .map(|s| (s, self.digest_block.unwrap_or(DEFAULT_DIGEST_SESSION_BLOCK))),
            )),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                proxies,
                auth,
                user_agent,
                timeouts: self.timeouts,
                retry: self.retry,
                body_limit: self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
                counters: Counters::default(),
            }),
        })
    }
}
