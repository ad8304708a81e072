//! Streaming responses without credentials: [`StreamingClient`], the [`StreamExecutor`] seam and
//! [`BodyStream`].
//!
//! [`Client`](crate::Client) collects every body under a limit, which suits the Admin API's JSON.
//! A backup archive is gigabytes, and it is fetched from a pre-signed URL on an object store that
//! must never see the API key. [`StreamingClient`] is for that: it hands the body over chunk by
//! chunk as it arrives, and it holds no credentials at all (it has nowhere to keep them), so no
//! request it sends can carry them. It shares the connection stack of `Client`: rustls, proxies,
//! the connect timeout.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::header::{AUTHORIZATION, COOKIE, HeaderValue, PROXY_AUTHORIZATION, USER_AGENT};
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as HyperClient;

use crate::config::{ProxyConfig, RootCertificates};
use crate::connector::{ConnectTimeout, Proxies, ProxyFailure, tls_config};
use crate::error::{BoxError, Error, TimeoutKind, redact_uri};
use crate::origin::is_loopback;

/// The URL for messages: user information removed, the query replaced by `?** redacted **`.
fn without_query(uri: &Uri) -> String {
    let text = redact_uri(uri);
    match text.split_once('?') {
        Some((base, _)) => format!("{base}?** redacted **"),
        None => text,
    }
}

use crate::connector::Connector;

/// Opens a request and returns the response as soon as its head has arrived, the body still to
/// be read from the [`BodyStream`].
///
/// [`StreamingClient`] is the real one; tests can answer from memory (see
/// [`BodyStream::from_stream`]). An implementation must not add credentials of any kind.
pub trait StreamExecutor: Send + Sync + fmt::Debug {
    /// Sends `request` (absolute URI, no body) and returns the response head with the body
    /// unread.
    fn open(
        &self,
        request: Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<BodyStream>, Error>> + Send + '_>>;
}

impl<T: StreamExecutor + ?Sized> StreamExecutor for Arc<T> {
    fn open(
        &self,
        request: Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<BodyStream>, Error>> + Send + '_>> {
        (**self).open(request)
    }
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>;

enum Source {
    Hyper {
        body: hyper::body::Incoming,
        idle: Option<Duration>,
        url: String,
    },
    Chunks(ChunkStream),
}

/// A response body read chunk by chunk with [`next_chunk`](Self::next_chunk).
///
/// From [`StreamingClient`] each chunk is what the connection delivered (nothing is collected),
/// and a wait longer than the idle timeout for the next chunk is [`Error::Timeout`] with
/// [`TimeoutKind::Idle`]. A connection that breaks before the end of the body is [`Error::Io`].
pub struct BodyStream {
    source: Source,
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.source {
            Source::Hyper { .. } => "connection",
            Source::Chunks(_) => "stream",
        };
        f.debug_struct("BodyStream").field("source", &kind).finish()
    }
}

impl BodyStream {
    /// A body from any stream of chunks: for tests and custom executors.
    pub fn from_stream(stream: impl Stream<Item = Result<Bytes, Error>> + Send + 'static) -> Self {
        BodyStream {
            source: Source::Chunks(Box::pin(stream)),
        }
    }

    /// A body of one chunk (none when `bytes` is empty).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let mut once = (!bytes.is_empty()).then_some(bytes);
        BodyStream::from_stream(PollFnStream(move || once.take().map(Ok)))
    }

    /// The next chunk; `None` at the end of the body.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the connection breaks (for example before `Content-Length` bytes
    /// arrived), [`Error::Timeout`] ([`TimeoutKind::Idle`]) when no byte came for the idle
    /// timeout; after an error the stream should not be read again.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, Error>> {
        match &mut self.source {
            Source::Chunks(s) => std::future::poll_fn(|cx| s.as_mut().poll_next(cx)).await,
            Source::Hyper { body, idle, url } => loop {
                let frame = match idle {
                    None => body.frame().await,
                    Some(d) => match tokio::time::timeout(*d, body.frame()).await {
                        Ok(f) => f,
                        Err(_) => {
                            return Some(Err(Error::Timeout {
                                url: url.clone(),
                                kind: TimeoutKind::Idle,
                            }));
                        }
                    },
                };
                match frame {
                    None => return None,
                    Some(Err(e)) => {
                        return Some(Err(Error::Io {
                            url: url.clone(),
                            source: Box::new(e),
                        }));
                    }
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) if data.is_empty() => continue,
                        Ok(data) => return Some(Ok(data)),
                        // Trailers: nothing to deliver.
                        Err(_) => continue,
                    },
                }
            },
        }
    }
}

/// A stream from a closure that is never pending.
struct PollFnStream<F>(F);

impl<F: FnMut() -> Option<Result<Bytes, Error>> + Unpin> Stream for PollFnStream<F> {
    type Item = Result<Bytes, Error>;
    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready((self.0)())
    }
}

/// The timeouts of a streamed request. `None` means no limit; there is no total limit, since a
/// large body takes as long as it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamTimeouts {
    /// Establishing the connection: TCP, proxy `CONNECT`, TLS (default 10 s).
    pub connect: Option<Duration>,
    /// From sending the request to the response head (default 30 s).
    pub response: Option<Duration>,
    /// The longest wait for the next chunk of the body (default 60 s).
    pub idle: Option<Duration>,
}

impl Default for StreamTimeouts {
    fn default() -> Self {
        StreamTimeouts {
            connect: Some(Duration::from_secs(10)),
            response: Some(Duration::from_secs(30)),
            idle: Some(Duration::from_secs(60)),
        }
    }
}

/// Configures a [`StreamingClient`]. There is deliberately no way to give it credentials.
#[derive(Debug, Default)]
pub struct StreamingClientBuilder {
    user_agent_suffix: Option<String>,
    timeouts: StreamTimeouts,
    proxy: ProxyConfig,
    roots: RootCertificates,
    extra_pem_files: Vec<PathBuf>,
    extra_pems: Vec<Vec<u8>>,
    insecure_http: bool,
}

impl StreamingClientBuilder {
    /// Appended to the `User-Agent`: `atlas-transport/<version> <suffix>`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Connect, response and idle timeouts.
    pub fn timeouts(mut self, timeouts: StreamTimeouts) -> Self {
        self.timeouts = timeouts;
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

    /// Also trust the CA certificates in this PEM file (read by [`build`](Self::build)).
    pub fn add_root_pem_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.extra_pem_files.push(path.into());
        self
    }

    /// Also trust the CA certificates in this PEM text.
    pub fn add_root_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_pems.push(pem.into());
        self
    }

    /// Allows plain `http://` to hosts that are not loopback. Off by default: what is
    /// downloaded (a database backup) and the URL (a pre-signed link) would cross the network
    /// in the clear, so such requests fail with [`Error::InvalidRequest`].
    pub fn allow_insecure_http(mut self) -> Self {
        self.insecure_http = true;
        self
    }

    /// Builds the client: trust roots, proxies, the connection pool.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an unreadable PEM file, no certificate in it, or a bad proxy URL.
    pub fn build(self) -> Result<StreamingClient, Error> {
        let mut pems = self.extra_pems;
        for path in &self.extra_pem_files {
            pems.push(std::fs::read(path).map_err(|e| Error::Config {
                reason: format!("cannot read CA file {}", path.display()),
                source: Some(Box::new(e)),
            })?);
        }
        let tls = tls_config(self.roots, &pems)?;
        let proxies = Arc::new(Proxies::new(self.proxy.resolve())?);
        let http = crate::connector::pooled_client(tls, proxies.clone(), self.timeouts.connect);
        let user_agent = crate::connector::user_agent(self.user_agent_suffix.as_deref())?;
        Ok(StreamingClient {
            inner: Arc::new(StreamingInner {
                http,
                proxies,
                user_agent,
                timeouts: self.timeouts,
                insecure_http: self.insecure_http,
            }),
        })
    }
}

/// An HTTP client that streams response bodies and never sends credentials: it holds none, and
/// it refuses a request that carries `Authorization`, `Proxy-Authorization` or `Cookie`. The
/// URLs in its errors and logs have their query replaced by `?** redacted **` (a pre-signed
/// URL's query is its signature).
///
/// For pre-signed URLs (object-store downloads). Redirects are not followed (a `3xx` is returned
/// as it is). Cheap to clone; clones share the connection pool.
///
/// ```no_run
/// # async fn run() -> Result<(), atlas_transport::Error> {
/// use atlas_transport::StreamingClient;
/// let client = StreamingClient::builder().build()?;
/// let request = http::Request::get("https://bucket.example/archive.tgz?X-Amz-Signature=...")
///     .body(())
///     .expect("valid request");
/// let mut response = client.open(request).await?;
/// let mut total = 0;
/// while let Some(chunk) = response.body_mut().next_chunk().await {
///     total += chunk?.len();
/// }
/// println!("{total} bytes");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct StreamingClient {
    inner: Arc<StreamingInner>,
}

struct StreamingInner {
    http: HyperClient<Connector, Empty<Bytes>>,
    proxies: Arc<Proxies>,
    user_agent: HeaderValue,
    timeouts: StreamTimeouts,
    insecure_http: bool,
}

impl fmt::Debug for StreamingClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingClient")
            .field("user_agent", &self.inner.user_agent)
            .field("timeouts", &self.inner.timeouts)
            .field("proxies", &self.inner.proxies)
            .field("insecure_http", &self.inner.insecure_http)
            .finish_non_exhaustive()
    }
}

impl StreamExecutor for StreamingClient {
    fn open(
        &self,
        request: Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<BodyStream>, Error>> + Send + '_>> {
        Box::pin(StreamingClient::open(self, request))
    }
}

impl StreamingClient {
    /// Starts configuring a client.
    pub fn builder() -> StreamingClientBuilder {
        StreamingClientBuilder::default()
    }

    /// Sends `request` and returns the response once its head has arrived; read the body with
    /// [`BodyStream::next_chunk`]. Any status is `Ok`: the caller decides what it means.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a relative URL, a scheme other than `http`/`https`, a
    /// credential header, or plain `http` to a host that is not loopback (unless allowed);
    /// [`Error::Connect`], [`Error::Tls`], [`Error::Proxy`], [`Error::Timeout`] and
    /// [`Error::Io`] when no response head arrives.
    pub async fn open(&self, request: Request<()>) -> Result<Response<BodyStream>, Error> {
        let inner = &*self.inner;
        let (parts, ()) = request.into_parts();
        let uri: Uri = parts.uri;
        // The query of a pre-signed URL is its signature: errors and logs never show it.
        let url = without_query(&uri);
        let invalid = |reason: &str| Error::InvalidRequest {
            url: url.clone(),
            reason: reason.to_owned(),
        };
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") => {
                let host = uri.host().unwrap_or_default();
                if !inner.insecure_http && !is_loopback(host) {
                    return Err(invalid(
                        "plain http to a host that is not loopback would expose the download and its link; use https",
                    ));
                }
            }
            Some(_) => return Err(invalid("unsupported scheme (only http and https)")),
            None => return Err(invalid("the URI must be absolute")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(invalid("no host"));
        }
        for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE] {
            if parts.headers.contains_key(&name) {
                return Err(invalid(&format!(
                    "a streamed request never carries credentials, and this one has {name}"
                )));
            }
        }
        let mut req = Request::new(Empty::<Bytes>::new());
        *req.method_mut() = if parts.method == Method::HEAD {
            Method::HEAD
        } else {
            Method::GET
        };
        *req.uri_mut() = uri.clone();
        *req.headers_mut() = parts.headers;
        if !req.headers().contains_key(USER_AGENT) {
            req.headers_mut()
                .insert(USER_AGENT, inner.user_agent.clone());
        }
        tracing::debug!(%url, "opening a streamed request");
        let send = inner.http.request(req);
        let response = match inner.timeouts.response {
            None => send.await,
            Some(d) => tokio::time::timeout(d, send)
                .await
                .map_err(|_| Error::Timeout {
                    url: url.clone(),
                    kind: TimeoutKind::Attempt,
                })?,
        }
        .map_err(|e| classify(&url, e))?;
        let (parts, body) = response.into_parts();
        Ok(Response::from_parts(
            parts,
            BodyStream {
                source: Source::Hyper {
                    body,
                    idle: inner.timeouts.idle,
                    url,
                },
            },
        ))
    }
}

/// Maps a hyper-util client error to the typed error by looking through its causes.
fn classify(url: &str, err: hyper_util::client::legacy::Error) -> Error {
    let url = url.to_owned();
    let is_connect = err.is_connect();
    let mut timeout = false;
    let mut proxy: Option<String> = None;
    let mut tls = false;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    let mut depth = 0;
    while let Some(e) = current {
        depth += 1;
        if depth > 32 {
            break;
        }
        let inner: Option<&(dyn std::error::Error + 'static)> = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|b| b as &(dyn std::error::Error + 'static));
        for e in std::iter::once(e).chain(inner) {
            if e.is::<ConnectTimeout>() {
                timeout = true;
            } else if let Some(p) = e.downcast_ref::<ProxyFailure>() {
                proxy.get_or_insert_with(|| p.proxy.clone());
            } else if e.is::<rustls::Error>() {
                tls = true;
            }
        }
        current = e.source();
    }
    let source: BoxError = Box::new(err);
    if timeout {
        Error::Timeout {
            url,
            kind: TimeoutKind::Connect,
        }
    } else if let Some(proxy) = proxy {
        Error::Proxy { url, proxy, source }
    } else if tls {
        Error::Tls { url, source }
    } else if is_connect {
        Error::Connect { url, source }
    } else {
        Error::Io { url, source }
    }
}
