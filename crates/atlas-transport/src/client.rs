//! The executor: [`Client`], its builder, and the request path.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use atlas_digest::{Credentials, DigestClient, DigestError, RequestFacts, RequestState};
use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CONTENT_LENGTH, HeaderValue, PROXY_AUTHORIZATION, USER_AGENT, WWW_AUTHENTICATE,
};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::Instant;
use tracing::{Instrument, field};

use crate::config::{ProxyConfig, RootCertificates, Timeouts};
use crate::connector::{
    ConnectTimeout, Proxies, ProxyConnector, ProxyFailure, TimeoutConnector, is_loopback,
    tls_config,
};
use crate::error::{Error, TimeoutKind, redact_uri};
use crate::retry::{RetryPolicy, is_retryable_status, retry_after};

type Connector = TimeoutConnector<HttpsConnector<ProxyConnector>>;

/// The response body limit used unless [`ClientBuilder::body_limit`] says otherwise: 8 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Requests with credentials in flight at once per origin unless
/// [`ClientBuilder::digest_in_flight_limit`] says otherwise.
pub const DEFAULT_DIGEST_IN_FLIGHT: usize = 32;

/// The `User-Agent` product token: `atlas-transport/<version>`.
pub const USER_AGENT_PRODUCT: &str = concat!("atlas-transport/", env!("CARGO_PKG_VERSION"));

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

/// Counters of a [`Client`], read with [`Client::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Logical requests started with [`Client::execute`].
    pub requests: u64,
    /// HTTP exchanges actually attempted (each retry and each digest challenge adds one).
    pub round_trips: u64,
    /// `401` responses received with credentials configured: the first challenge per origin,
    /// `stale=true` and rejections.
    pub challenges: u64,
    /// Retries after a retryable status or transport failure (digest re-sends excluded).
    pub retries: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    round_trips: AtomicU64,
    challenges: AtomicU64,
    retries: AtomicU64,
}

impl Counters {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The user's credentials; the password never shows in `Debug`.
#[derive(Clone)]
struct Secret {
    username: String,
    password: String,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"** redacted **")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct OriginKey {
    scheme: String,
    host: String,
    port: u16,
}

impl OriginKey {
    fn of(uri: &Uri) -> Option<OriginKey> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        Some(OriginKey {
            host: uri.host()?.to_ascii_lowercase(),
            scheme,
            port,
        })
    }
}

/// One digest session per origin: the shared nonce state, and a lock held by the one request
/// that goes out without credentials to fetch the first challenge while the others wait.
struct Session {
    digest: DigestClient,
    probe: tokio::sync::Mutex<()>,
    /// Bounds the requests in flight on this origin's nonce (see
    /// [`ClientBuilder::digest_in_flight_limit`]).
    in_flight: tokio::sync::Semaphore,
    /// The server has accepted these credentials at least once.
    accepted: AtomicBool,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("has_nonce", &self.digest.has_nonce())
            .finish()
    }
}

/// Configures and builds a [`Client`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    credentials: Option<Secret>,
    user_agent_suffix: Option<String>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    proxy: ProxyConfig,
    roots: RootCertificates,
    extra_roots: Vec<ExtraRoot>,
    body_limit: Option<usize>,
    allow_insecure_http: bool,
    digest_in_flight: Option<usize>,
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

    /// The most requests with credentials in flight at once per origin (default
    /// [`DEFAULT_DIGEST_IN_FLIGHT`], 32; at least 1); further requests wait for a slot.
    ///
    /// Requests share the origin's nonce with consecutive nonce counts, and they overtake each
    /// other on the way to the server. Servers accept an nc below the highest seen only within a
    /// replay window (32 in `atlas-digest`'s `DigestServer` by default, 128 at most) and answer
    /// `401` beyond it, so more requests in flight than the window cost extra round trips.
    pub fn digest_in_flight_limit(mut self, limit: usize) -> Self {
        self.digest_in_flight = Some(limit);
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
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(ProxyConnector::new(proxies.clone()));
        let connector = TimeoutConnector::new(https, self.timeouts.connect);
        let http = HyperClient::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);

        let ua = match &self.user_agent_suffix {
            Some(s) if !s.trim().is_empty() => format!("{USER_AGENT_PRODUCT} {}", s.trim()),
            _ => USER_AGENT_PRODUCT.to_owned(),
        };
        let user_agent = HeaderValue::from_str(&ua).map_err(|e| Error::Config {
            reason: "the user agent suffix is not a valid header value".into(),
            source: Some(Box::new(e)),
        })?;

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                proxies,
                credentials: self.credentials,
                sessions: Mutex::new(HashMap::new()),
                user_agent,
                timeouts: self.timeouts,
                retry: self.retry,
                body_limit: self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
                allow_insecure_http: self.allow_insecure_http,
                digest_in_flight: self
                    .digest_in_flight
                    .unwrap_or(DEFAULT_DIGEST_IN_FLIGHT)
                    .clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
                counters: Counters::default(),
            }),
        })
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
    inner: Arc<Inner>,
}

struct Inner {
    http: HyperClient<Connector, Full<Bytes>>,
    proxies: Arc<Proxies>,
    credentials: Option<Secret>,
    sessions: Mutex<HashMap<OriginKey, Arc<Session>>>,
    user_agent: HeaderValue,
    timeouts: Timeouts,
    retry: RetryPolicy,
    body_limit: usize,
    allow_insecure_http: bool,
    digest_in_flight: usize,
    counters: Counters,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("credentials", &i.credentials)
            .field("user_agent", &i.user_agent)
            .field("timeouts", &i.timeouts)
            .field("retry", &i.retry)
            .field("proxies", &i.proxies)
            .field("body_limit", &i.body_limit)
            .field("allow_insecure_http", &i.allow_insecure_http)
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

/// Outcome of one attempt, before the retry logic looks at it.
type AttemptResult = Result<Response<Bytes>, Error>;

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        let c = &self.inner.counters;
        Stats {
            requests: c.requests.load(Ordering::Relaxed),
            round_trips: c.round_trips.load(Ordering::Relaxed),
            challenges: c.challenges.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
        }
    }

    /// Sends `request` and returns the response with its body collected.
    ///
    /// The URI must be absolute (`https://host/path?query`). See the crate documentation for
    /// what is retried and which statuses become errors.
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
        let result = self.run(request, &span).instrument(span.clone()).await;
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

    fn session_for(&self, key: OriginKey, secret: &Secret) -> Arc<Session> {
        let mut sessions = self
            .inner
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        sessions
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Session {
                    digest: DigestClient::new(Credentials::new(
                        secret.username.clone(),
                        secret.password.clone(),
                    )),
                    probe: tokio::sync::Mutex::new(()),
                    in_flight: tokio::sync::Semaphore::new(self.inner.digest_in_flight),
                    accepted: AtomicBool::new(false),
                })
            })
            .clone()
    }

    async fn run(
        &self,
        request: Request<Bytes>,
        span: &tracing::Span,
    ) -> Result<Response<Bytes>, Error> {
        let inner = &*self.inner;
        let (parts, body) = request.into_parts();
        let uri = parts.uri;
        let url = redact_uri(&uri);
        let invalid = |reason: &str| Error::InvalidRequest {
            url: url.clone(),
            reason: reason.into(),
        };
        let key = match uri.scheme_str() {
            Some("http" | "https") => OriginKey::of(&uri).ok_or_else(|| invalid("no host"))?,
            Some(_) => return Err(invalid("unsupported scheme (only http and https)")),
            None => return Err(invalid("the URI must be absolute")),
        };
        let target = uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();

        let session = match &inner.credentials {
            Some(secret) => {
                if key.scheme == "http" && !inner.allow_insecure_http && !is_loopback(&key.host) {
                    return Err(Error::InsecureCredentials { url });
                }
                Some(self.session_for(key, secret))
            }
            None => None,
        };
        let mut state: Option<RequestState> = session.as_ref().map(|s| s.digest.start());

        let mut headers = parts.headers;
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, inner.user_agent.clone());
        }
        if uri.scheme_str() == Some("http") && !headers.contains_key(PROXY_AUTHORIZATION) {
            if let Some(auth) = inner.proxies.route(&uri).and_then(|r| r.auth) {
                headers.insert(PROXY_AUTHORIZATION, auth);
            }
        }

        let deadline = inner.timeouts.total.map(|t| Instant::now() + t);
        let method = parts.method;
        let mut backoff = inner.retry.backoff();
        let mut round_trip = 0u32;
        let mut retried_on_newer_nonce = false;
        let mut second_chance_used = false;

        loop {
            round_trip += 1;
            // Digest: at most `digest_in_flight` requests share the nonce at once.
            let permit = match &session {
                Some(s) => Some(
                    within(deadline, s.in_flight.acquire(), &url)
                        .await?
                        .map_err(|_| Error::Other {
                            url: Some(url.clone()),
                            message: "client shut down".into(),
                        })?,
                ),
                None => None,
            };
            // Digest: with no nonce yet, one request fetches the challenge, the others wait.
            let mut probe_guard = None;
            if let Some(s) = &session {
                if !s.digest.has_nonce() {
                    let guard = within(deadline, s.probe.lock(), &url).await?;
                    if !s.digest.has_nonce() {
                        probe_guard = Some(guard);
                    }
                }
            }
            let authorization = match (&session, state.as_mut()) {
                (Some(s), Some(st)) => {
                    let facts = RequestFacts {
                        method: method.as_str(),
                        uri: &target,
                        body: Some(&body),
                    };
                    s.digest
                        .authorization(st, &facts, &cnonce(&url)?)
                        .map_err(Error::Digest)?
                }
                _ => None,
            };

            let mut req = Request::new(Full::new(body.clone()));
            *req.method_mut() = method.clone();
            *req.uri_mut() = uri.clone();
            *req.headers_mut() = headers.clone();
            if let Some(a) = &authorization {
                let mut v = HeaderValue::from_str(a).map_err(|_| Error::Other {
                    url: Some(url.clone()),
                    message: "invalid Authorization value".into(),
                })?;
                v.set_sensitive(true);
                req.headers_mut().insert(AUTHORIZATION, v);
            }

            let attempt_span = tracing::debug_span!(
                "attempt",
                attempt = round_trip,
                authorized = authorization.is_some(),
                status = field::Empty,
                elapsed_ms = field::Empty,
            );
            let t0 = Instant::now();
            let result: AttemptResult = self
                .attempt(req, &url, deadline)
                .instrument(attempt_span.clone())
                .await;
            Counters::bump(&inner.counters.round_trips);
            drop(permit);
            attempt_span.record("elapsed_ms", elapsed_ms(t0));
            if let Ok(r) = &result {
                attempt_span.record("status", r.status().as_u16());
            }
            span.record("attempts", round_trip);

            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    drop(probe_guard);
                    let before_send = matches!(
                        e,
                        Error::Connect { .. }
                            | Error::Timeout {
                                kind: TimeoutKind::Connect,
                                ..
                            }
                    );
                    let transient = before_send
                        || matches!(
                            e,
                            Error::Io { .. }
                                | Error::Timeout {
                                    kind: TimeoutKind::Attempt,
                                    ..
                                }
                        );
                    if transient && inner.retry.retries_failure(&method, before_send) {
                        if let Some(delay) = self.next_delay(&mut backoff, None, deadline) {
                            tracing::debug!(error = %e, delay_ms = delay.as_millis() as u64, "retrying after failure");
                            Counters::bump(&inner.counters.retries);
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                    }
                    return Err(e);
                }
            };
            let status = response.status();

            if status == StatusCode::UNAUTHORIZED {
                if let (Some(s), Some(st)) = (&session, state.as_mut()) {
                    Counters::bump(&inner.counters.challenges);
                    span.record("challenged", true);
                    // Credentials from a nonce that another request has already replaced (it
                    // was rejected as stale or as overtaken in flight): retry once with the
                    // current nonce instead of replacing it yet again, so that a burst of such
                    // rejections does not churn through one fresh nonce per request.
                    if !retried_on_newer_nonce {
                        if let Some(sent) = authorization.as_deref().and_then(sent_nonce) {
                            if s.digest.current_nonce().is_some_and(|(_, now)| now != sent) {
                                retried_on_newer_nonce = true;
                                drop(probe_guard);
                                continue;
                            }
                        }
                    }
                    let challenges = response
                        .headers()
                        .get_all(WWW_AUTHENTICATE)
                        .iter()
                        .filter_map(|v| v.to_str().ok());
                    let adopted = s.digest.on_unauthorized(st, challenges);
                    drop(probe_guard);
                    match adopted {
                        Ok(()) => continue,
                        Err(e) if authorization.is_none() => return Err(Error::Digest(e)),
                        // These credentials worked on this origin before: a refusal now is more
                        // likely a request overtaken beyond the server's replay window than a
                        // wrong password. Start over once with a fresh challenge.
                        Err(DigestError::Rejected | DigestError::AttemptsExhausted)
                            if !second_chance_used && s.accepted.load(Ordering::Relaxed) =>
                        {
                            second_chance_used = true;
                            *st = s.digest.start();
                            continue;
                        }
                        Err(e) => {
                            tracing::debug!(error = %e, "credentials rejected");
                            return Err(Error::AuthRejected {
                                url,
                                reason: api_error_reason(response.body()),
                                response: Box::new(response),
                            });
                        }
                    }
                }
            }
            drop(probe_guard);

            // With retries switched off a retryable status is an ordinary response.
            if is_retryable_status(status)
                && inner.retry.get_max_attempts() > 1
                && inner.retry.retries_status(&method, status)
            {
                let wait = retry_after(response.headers(), SystemTime::now());
                if let Some(delay) = self.next_delay(&mut backoff, wait, deadline) {
                    tracing::debug!(%status, delay_ms = delay.as_millis() as u64, "retrying after status");
                    Counters::bump(&inner.counters.retries);
                    tokio::time::sleep(delay).await;
                    continue;
                }
                return Err(Error::RetriesExhausted {
                    url,
                    attempts: backoff.attempts(),
                    last_status: Some(status),
                    response: Some(Box::new(response)),
                });
            }

            if let (Some(s), Some(st), Some(_)) = (&session, state.as_ref(), &authorization) {
                for info in response.headers().get_all("authentication-info") {
                    let value = info.to_str().map_err(|_| Error::Other {
                        url: Some(url.clone()),
                        message: "Authentication-Info is not valid text".into(),
                    })?;
                    s.digest
                        .on_authentication_info_with_body(st, value, Some(response.body()))
                        .map_err(Error::Digest)?;
                }
                s.accepted.store(true, Ordering::Relaxed);
            }
            return Ok(response);
        }
    }

    /// The next back-off delay, or `None` if the policy or the total deadline forbids a retry.
    fn next_delay(
        &self,
        backoff: &mut crate::retry::Backoff,
        retry_after: Option<Duration>,
        deadline: Option<Instant>,
    ) -> Option<Duration> {
        let mut probe = backoff.clone();
        let delay = probe.next_delay(retry_after, random_u64())?;
        if let Some(d) = deadline {
            if Instant::now() + delay >= d {
                return None;
            }
        }
        *backoff = probe;
        Some(delay)
    }

    /// One exchange: send, receive the head, collect the body; bounded by the attempt timeout
    /// and the total deadline.
    async fn attempt(
        &self,
        req: Request<Full<Bytes>>,
        url: &str,
        deadline: Option<Instant>,
    ) -> AttemptResult {
        let inner = &*self.inner;
        let attempt_deadline = inner.timeouts.attempt.map(|t| Instant::now() + t);
        let bound = match (attempt_deadline, deadline) {
            (Some(a), Some(t)) if t <= a => Some((t, TimeoutKind::Total)),
            (Some(a), _) => Some((a, TimeoutKind::Attempt)),
            (None, Some(t)) => Some((t, TimeoutKind::Total)),
            (None, None) => None,
        };
        let head = req.method() == http::Method::HEAD;
        let exchange = async {
            let response = inner
                .http
                .request(req)
                .await
                .map_err(|e| classify(url, e))?;
            collect(response, head, inner.body_limit, url).await
        };
        match bound {
            None => exchange.await,
            Some((at, kind)) => match tokio::time::timeout_at(at, exchange).await {
                Ok(r) => r,
                Err(_) => Err(Error::Timeout {
                    url: url.to_owned(),
                    kind,
                }),
            },
        }
    }
}

async fn within<F: Future>(
    deadline: Option<Instant>,
    fut: F,
    url: &str,
) -> Result<F::Output, Error> {
    match deadline {
        None => Ok(fut.await),
        Some(d) => tokio::time::timeout_at(d, fut)
            .await
            .map_err(|_| Error::Timeout {
                url: url.to_owned(),
                kind: TimeoutKind::Total,
            }),
    }
}

async fn collect(
    response: Response<hyper::body::Incoming>,
    head: bool,
    limit: usize,
    url: &str,
) -> AttemptResult {
    let too_large = || Error::BodyTooLarge {
        url: url.to_owned(),
        limit,
    };
    // A declared length over the limit fails before any of the body is read; HEAD, 204 and 304
    // responses declare a length without carrying a body.
    let status = response.status().as_u16();
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|_| !head && status != 204 && status != 304);
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let (parts, body) = response.into_parts();
    let collected = Limited::new(body, limit).collect().await.map_err(|e| {
        if e.is::<LengthLimitError>() {
            too_large()
        } else {
            Error::Io {
                url: url.to_owned(),
                source: e,
            }
        }
    })?;
    Ok(Response::from_parts(parts, collected.to_bytes()))
}

/// Maps a hyper-util client error to our typed error by looking through its causes.
fn classify(url: &str, err: hyper_util::client::legacy::Error) -> Error {
    let url = url.to_owned();
    let is_connect = err.is_connect();
    let mut timeout = false;
    let mut proxy: Option<String> = None;
    let mut tls: Option<rustls::Error> = None;
    visit_causes(&err, &mut |e| {
        if e.is::<ConnectTimeout>() {
            timeout = true;
        } else if let Some(p) = e.downcast_ref::<ProxyFailure>() {
            proxy.get_or_insert_with(|| p.proxy.clone());
        } else if let Some(t) = e.downcast_ref::<rustls::Error>() {
            tls.get_or_insert_with(|| t.clone());
        }
    });
    if timeout {
        return Error::Timeout {
            url,
            kind: TimeoutKind::Connect,
        };
    }
    if let Some(proxy) = proxy {
        return Error::Proxy {
            url,
            proxy,
            source: Box::new(err),
        };
    }
    if let Some(t) = tls {
        return Error::Tls {
            url,
            source: Box::new(t),
        };
    }
    if is_connect {
        Error::Connect {
            url,
            source: Box::new(err),
        }
    } else {
        Error::Io {
            url,
            source: Box::new(err),
        }
    }
}

/// Calls `f` on `err` and each of its causes, looking inside `io::Error` wrappers too
/// (`io::Error::source` skips the wrapped error itself).
fn visit_causes(
    err: &(dyn std::error::Error + 'static),
    f: &mut dyn FnMut(&(dyn std::error::Error + 'static)),
) {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut depth = 0;
    while let Some(e) = current {
        depth += 1;
        if depth > 32 {
            break;
        }
        f(e);
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(wrapped) = io.get_ref() {
                visit_causes(wrapped, f);
            }
        }
        current = e.source();
    }
}

/// The nonce of an `Authorization` value we produced.
fn sent_nonce(authorization: &str) -> Option<String> {
    let credentials = atlas_digest::parse_credentials(authorization).ok()?;
    credentials.param("nonce").map(str::to_owned)
}

/// `reason` and `detail` of an Atlas API error body (`"Unauthorized: detail"` when both).
fn api_error_reason(body: &Bytes) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = |k: &str| {
        value
            .get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    match (text("reason"), text("detail")) {
        (Some(r), Some(d)) if r != d => Some(format!("{r}: {d}")),
        (Some(r), _) => Some(r.to_owned()),
        (None, Some(d)) => Some(d.to_owned()),
        (None, None) => None,
    }
}

/// A client nonce: 16 random bytes from the operating system, hex encoded.
fn cnonce(url: &str) -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Other {
        url: Some(url.to_owned()),
        message: format!("system random generator failed: {e}"),
    })?;
    // Hex by table into one buffer: this runs once per authorized request, and a `format!` per
    // byte cost about 10,000 instructions (callgrind), more than the digest's own hashing.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    Ok(out)
}

/// Randomness for back-off jitter; a failing generator degrades to no jitter, not an error.
fn random_u64() -> u64 {
    getrandom::u64().unwrap_or(u64::MAX)
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_cheap_to_share() {
        fn shareable<T: Send + Sync + Clone + fmt::Debug + 'static>() {}
        shareable::<Client>();
        fn executor<T: Executor + 'static>() {}
        executor::<Client>();
        executor::<Arc<dyn Executor>>();
    }

    #[test]
    fn reason_from_atlas_error_body() {
        let body = Bytes::from_static(
            br#"{"detail":"You are not authorized for this resource.","error":401,"errorCode":"NOT_AUTHORIZED","reason":"Unauthorized"}"#,
        );
        assert_eq!(
            api_error_reason(&body).as_deref(),
            Some("Unauthorized: You are not authorized for this resource.")
        );
        assert_eq!(api_error_reason(&Bytes::from_static(b"<html>")), None);
        assert_eq!(
            api_error_reason(&Bytes::from_static(br#"{"reason":"Nope"}"#)).as_deref(),
            Some("Nope")
        );
    }

    #[test]
    fn cnonce_is_32_hex_digits_and_varies() {
        let a = cnonce("u").unwrap();
        let b = cnonce("u").unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        assert_ne!(a, b);
    }

    #[test]
    fn origin_keys_normalise_default_ports_and_case() {
        let a = OriginKey::of(&"https://Example.COM/x".parse().unwrap()).unwrap();
        let b = OriginKey::of(&"https://example.com:443/y".parse().unwrap()).unwrap();
        let c = OriginKey::of(&"http://example.com/y".parse().unwrap()).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(c.port, 80);
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = Client::builder()
            .credentials("public-key", "very-private-key")
            .proxy(ProxyConfig::none())
            .build();
        // Building needs no runtime.
        let c = c.unwrap();
        let s = format!("{c:?}");
        assert!(s.contains("public-key"));
        assert!(!s.contains("very-private-key"), "{s}");
    }
}
