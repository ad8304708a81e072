//! [`AtlasClient`] and its builder; the request/response core every endpoint shares.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use atlas_model::{ClusterName, Envelope, GroupId, ModelError};
use atlas_transport::{
    Executor, ProxyConfig, RetryPolicy, RootCertificates, StreamExecutor, StreamTimeouts, Timeouts,
};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Uri};
use serde_json::value::RawValue;

use crate::endpoint::{BaseUrl, BaseUrlProblem, Query, Target};
use crate::error::{excerpt, from_status};
use crate::pacing::Pacer;
use crate::page::{Page, PageItem, Shape, parse_page};
use crate::service_account::{AccessToken, Bearer, StoredToken, TokenStore};
use crate::{
    ApiResponse, ClusterKind, DedicatedSnapshots, Error, FlexRestoreJobs, FlexSnapshots, ServedBy,
    Snapshots, TenantSnapshots,
};
use atlas_transport::digest_session::DigestSessionStore;

/// The default base URL: Atlas itself.
pub const DEFAULT_BASE_URL: &str = "https://cloud.mongodb.com";

/// How much of an unexpected body an error message quotes, in characters.
const EXCERPT_CHARS: usize = 200;

/// A client for the Atlas backup snapshot endpoints.
///
/// Cheap to clone (an [`Arc`] inside) and to share between tasks: every clone uses the same
/// connection pool and digest session. Build one with [`AtlasClient::builder`], then go through
/// [`snapshots`](Self::snapshots) (any cluster: the kind is found by asking),
/// [`tenant_snapshots`](Self::tenant_snapshots) (shared-tier M2/M5 clusters),
/// [`flex_snapshots`](Self::flex_snapshots) (flex clusters) or
/// [`dedicated_snapshots`](Self::dedicated_snapshots) (dedicated clusters).
///
/// `Debug` shows the base URL and the public key, never the private key.
#[derive(Clone)]
pub struct AtlasClient {
    inner: Arc<Inner>,
}

struct Inner {
    base: BaseUrl,
    executor: Arc<dyn Executor>,
    streams: Arc<dyn StreamExecutor>,
    transport: Option<atlas_transport::Client>,
    public_key: Option<String>,
    warned_deprecation: AtomicBool,
    warned_sunset: AtomicBool,
    /// The kind each cluster turned out to be, for the client's life.
    kinds: Mutex<HashMap<(GroupId, ClusterName), ClusterKind>>,
    pacer: Pacer,
}

impl fmt::Debug for AtlasClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtlasClient")
            .field("base_url", &self.inner.base.as_str())
            .field("public_key", &self.inner.public_key)
            .field("executor", &self.inner.executor)
            .finish_non_exhaustive()
    }
}

impl AtlasClient {
    /// A builder with the defaults: base URL `https://cloud.mongodb.com`, no credentials, the
    /// transport's default timeouts, retry policy and proxy settings (from the environment).
    pub fn builder() -> AtlasClientBuilder {
        AtlasClientBuilder::default()
    }

    /// The shared-tier (M2/M5, "tenant") snapshot endpoints.
    ///
    /// Atlas retired them in January 2026 (they answer `410 VERSION_GONE`, [`Error::Gone`]);
    /// clusters were migrated to flex clusters, reached through [`flex_snapshots`](Self::flex_snapshots).
    pub fn tenant_snapshots(&self) -> TenantSnapshots<'_> {
        TenantSnapshots::new(self)
    }

    /// The flex cluster snapshot endpoints (`/api/atlas/v2/groups/{groupId}/flexClusters/...`),
    /// downloads included.
    pub fn flex_snapshots(&self) -> FlexSnapshots<'_> {
        FlexSnapshots::new(self)
    }

    /// The cloud backup snapshots of dedicated (M10+) clusters
    /// (`/api/atlas/v2/groups/{groupId}/clusters/{name}/backup/snapshots`): get, list, wait,
    /// latest, and the dedicated-only take (an on-demand snapshot) and delete.
    pub fn dedicated_snapshots(&self) -> DedicatedSnapshots<'_> {
        DedicatedSnapshots::new(self)
    }

    /// Snapshots of a cluster of any kind: each request finds the kind itself (the tenant
    /// endpoint first, then the flex one, then the dedicated one) unless told with `.kind(..)`,
    /// and the kind found is remembered per cluster for the life of this client. Answers are
    /// [`AnySnapshot`](crate::AnySnapshot)s. See [`Snapshots`].
    pub fn snapshots(&self) -> Snapshots<'_> {
        Snapshots::new(self)
    }

    /// The restore jobs of flex clusters: start, list, get, wait.
    pub fn flex_restore_jobs(&self) -> FlexRestoreJobs<'_> {
        FlexRestoreJobs::new(self)
    }

    /// The kind a cluster was found to be by an earlier lookup of this client, if any.
    pub fn known_kind(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
    ) -> Option<ClusterKind> {
        self.kinds()
            .get(&(group_id.clone(), cluster_name.clone()))
            .copied()
    }

    pub(crate) fn kinds(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(GroupId, ClusterName), ClusterKind>> {
        self.inner
            .kinds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn streams(&self) -> &dyn StreamExecutor {
        &*self.inner.streams
    }

    pub(crate) fn pacer(&self) -> &Pacer {
        &self.inner.pacer
    }

    /// Revokes the service account's access token at `{base}/api/oauth/revoke` (the one in use
    /// and the one in the token store) and forgets it. `Ok(false)` when there was no token, or
    /// the client does not use a service account.
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] with [`atlas_transport::Error::Token`] when Atlas refuses, or a
    /// transport failure.
    pub async fn revoke_token(&self) -> Result<bool, Error> {
        match &self.inner.transport {
            Some(t) => Ok(t.revoke_token().await?),
            None => Ok(false),
        }
    }

    /// The service account token this client would use (from its token store, else the one in
    /// use), without asking Atlas; `None` without a service account or before the first token.
    pub fn known_token(&self) -> Option<StoredToken> {
        self.inner.transport.as_ref()?.known_token()
    }

    /// Hands the API key's digest session over to the
    /// [`digest_session_store`](AtlasClientBuilder::digest_session_store) now rather than when the
    /// client is dropped (see [`atlas_transport::Client::save_digest_sessions`]); the number of
    /// sessions saved (0 without a store, an API key or the built-in transport).
    ///
    /// # Errors
    /// The store's failure.
    pub fn save_digest_sessions(&self) -> Result<usize, crate::digest_session::SessionStoreError> {
        match &self.inner.transport {
            Some(t) => t.save_digest_sessions(),
            None => Ok(0),
        }
    }

    /// The transport's counters (requests, round trips, digest challenges, retries), or `None`
    /// when the client was built with a custom [`executor`](AtlasClientBuilder::executor).
    pub fn stats(&self) -> Option<atlas_transport::Stats> {
        self.inner
            .transport
            .as_ref()
            .map(atlas_transport::Client::stats)
    }

    /// The base URL in use, without a trailing slash, e.g. `https://cloud.mongodb.com`.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    pub(crate) fn base(&self) -> &BaseUrl {
        &self.inner.base
    }

    /// Sends one `GET` and returns the HTTP answer, whatever its status.
    ///
    /// Transport errors that carry an Atlas answer are turned back into that answer so that the
    /// status mapping treats them like any other: a rejected `401` (`AuthRejected`) and the last
    /// response after the retries (`RetriesExhausted`).
    pub(crate) async fn fetch(&self, uri: Uri, accept: &str) -> Result<Response<Bytes>, Error> {
        self.send(Method::GET, uri, accept, None).await
    }

    /// Sends one request (`body`: JSON, sent with `Content-Type` equal to `accept`, as Atlas's
    /// versioned API wants) and returns the HTTP answer, whatever its status; see
    /// [`fetch`](Self::fetch).
    pub(crate) async fn send(
        &self,
        method: Method,
        uri: Uri,
        accept: &str,
        body: Option<Bytes>,
    ) -> Result<Response<Bytes>, Error> {
        let url = uri.to_string();
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(http::header::ACCEPT, accept);
        if body.is_some() {
            builder = builder.header(http::header::CONTENT_TYPE, accept);
        }
        let request = builder.body(body.unwrap_or_default()).map_err(|e| {
            Error::Transport(atlas_transport::Error::InvalidRequest {
                url: url.clone(),
                reason: e.to_string(),
            })
        })?;
        tracing::debug!(%url, accept, %method, "request");
        let response = match self.inner.executor.execute(request).await {
            Ok(response) => response,
            Err(atlas_transport::Error::AuthRejected { response, .. }) => *response,
            Err(atlas_transport::Error::RetriesExhausted {
                response: Some(response),
                ..
            }) => *response,
            Err(e) => return Err(Error::Transport(e)),
        };
        self.inner.pacer.observe(&response);
        Ok(response)
    }

    /// Turns an answer into a decoded value or the typed error, unwrapping an envelope.
    pub(crate) fn decode<T: Body>(
        &self,
        url: &str,
        response: Response<Bytes>,
        envelope: bool,
        kind: Option<ClusterKind>,
    ) -> Result<ApiResponse<T>, Error> {
        let (parts, body) = response.into_parts();
        self.warn_deprecation(url, &parts.headers);
        let status = parts.status;
        if !status.is_success() {
            let api = atlas_model::ApiError::from_body(status.as_u16(), &body);
            return Err(from_status(status, &parts.headers, api));
        }
        let value = if envelope {
            decode_envelope::<T>(&body, &parts.headers, kind)?
        } else {
            T::parse(&body, Shape::Plain, kind).map_err(|e| unexpected(status, &body, e))?
        };
        let served_by = ServedBy {
            kind,
            url: url.to_owned(),
            missed: Vec::new(),
        };
        Ok(ApiResponse::new(
            value,
            status,
            body,
            parts.headers,
            served_by,
        ))
    }

    /// Sends `method` to `target` with a JSON `body` (`None`: no body), with the family's media
    /// type as `Accept` and `Content-Type`, and decodes the answer.
    pub(crate) async fn send_to<T: Body>(
        &self,
        method: Method,
        target: &Target,
        body: Option<Bytes>,
    ) -> Result<ApiResponse<T>, Error> {
        let uri = target.uri(self.base(), &Query::default())?;
        let url = uri.to_string();
        let response = self.send(method, uri, target.family.accept(), body).await?;
        self.decode(&url, response, false, Some(target.family.kind()))
    }

    fn warn_deprecation(&self, url: &str, headers: &http::HeaderMap) {
        let header = |name: &str| {
            headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        if let Some(deprecation) = header("deprecation") {
            if !self.inner.warned_deprecation.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    %url,
                    %deprecation,
                    "Atlas marks this endpoint as deprecated (Deprecation header); \
                     shared-tier snapshots are replaced by flex snapshots"
                );
            }
        }
        if let Some(sunset) = header("sunset") {
            if !self.inner.warned_sunset.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    %url,
                    %sunset,
                    "Atlas will remove this endpoint after the Sunset date; \
                     use the flex snapshot endpoints"
                );
            }
        }
    }
}

/// A body an endpoint returns: one snapshot or restore job, one page, or nothing.
pub(crate) trait Body: Sized {
    /// How a flat envelope (`{"status": 200, ...fields...}`, without `content`) is read, if
    /// this body can come in one.
    const FLAT_ENVELOPE: Option<Shape>;
    /// Decodes the body (the envelope's `content` for `envelope=true`) that the endpoints of
    /// `kind` sent.
    fn parse(
        body: &[u8],
        shape: Shape,
        kind: Option<ClusterKind>,
    ) -> Result<Self, Option<ModelError>>;
}

impl<T: PageItem> Body for T {
    const FLAT_ENVELOPE: Option<Shape> = None;
    fn parse(body: &[u8], _: Shape, kind: Option<ClusterKind>) -> Result<Self, Option<ModelError>> {
        T::decode(body, kind).map_err(Some)
    }
}

impl<T: PageItem> Body for Page<T> {
    /// List endpoints of the v1.0 API may put the page's fields next to `status`.
    const FLAT_ENVELOPE: Option<Shape> = Some(Shape::FlatEnvelope);
    fn parse(
        body: &[u8],
        shape: Shape,
        kind: Option<ClusterKind>,
    ) -> Result<Self, Option<ModelError>> {
        parse_page(body, shape, kind)
    }
}

/// No content (`204` to a `DELETE`): whatever body came is ignored.
impl Body for () {
    const FLAT_ENVELOPE: Option<Shape> = None;
    fn parse(_: &[u8], _: Shape, _: Option<ClusterKind>) -> Result<Self, Option<ModelError>> {
        Ok(())
    }
}

fn unexpected(status: StatusCode, body: &[u8], source: Option<ModelError>) -> Error {
    Error::UnexpectedBody {
        status,
        excerpt: excerpt(body, EXCERPT_CHARS),
        source,
    }
}

/// An `envelope=true` body, its content left as the text Atlas sent.
#[derive(serde::Deserialize)]
struct WireEnvelope<'a> {
    status: u16,
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
}

/// Unwraps `{"status": N, "content": ...}`; a body that allows it may instead put its fields
/// next to `status` (`{"status": 200, "results": [...], ...}`).
fn decode_envelope<T: Body>(
    body: &[u8],
    headers: &http::HeaderMap,
    kind: Option<ClusterKind>,
) -> Result<T, Error> {
    let Ok(envelope) = serde_json::from_slice::<WireEnvelope<'_>>(body) else {
        return Err(unexpected(
            StatusCode::OK,
            body,
            Envelope::parse(body).err(),
        ));
    };
    let Ok(inner_status) = StatusCode::from_u16(envelope.status) else {
        return Err(unexpected(StatusCode::OK, body, None));
    };
    let content = match (envelope.content, T::FLAT_ENVELOPE) {
        (Some(content), _) => content.get().as_bytes(),
        (None, Some(_)) => body,
        (None, None) => return Err(unexpected(inner_status, body, None)),
    };
    if !inner_status.is_success() {
        let api = atlas_model::ApiError::from_body(inner_status.as_u16(), content);
        return Err(from_status(inner_status, headers, api));
    }
    let shape = match envelope.content {
        Some(_) => Shape::Plain,
        None => T::FLAT_ENVELOPE.unwrap_or(Shape::Plain),
    };
    T::parse(content, shape, kind).map_err(|e| unexpected(inner_status, body, e))
}

/// Configuration for an [`AtlasClient`]; see [`AtlasClient::builder`].
///
/// Transport settings (timeouts, retries, proxy, trust roots) are passed to
/// [`atlas_transport::ClientBuilder`]; they are ignored when a custom
/// [`executor`](Self::executor) is given. `Debug` never shows the private key.
pub struct AtlasClientBuilder {
    base_url: String,
    credentials: Option<(String, String)>,
    bearer: Option<Bearer>,
    token_store: Option<Arc<dyn TokenStore>>,
    digest_store: Option<Arc<dyn DigestSessionStore>>,
    user_agent_suffix: Option<String>,
    timeouts: Option<Timeouts>,
    retry_policy: Option<RetryPolicy>,
    proxy: Option<ProxyConfig>,
    root_certificates: Option<RootCertificates>,
    root_pem_files: Vec<PathBuf>,
    root_pems: Vec<Vec<u8>>,
    body_limit: Option<usize>,
    allow_insecure_http: bool,
    executor: Option<Arc<dyn Executor>>,
    stream_executor: Option<Arc<dyn StreamExecutor>>,
    stream_timeouts: Option<StreamTimeouts>,
}

impl Default for AtlasClientBuilder {
    fn default() -> Self {
        AtlasClientBuilder {
            base_url: DEFAULT_BASE_URL.to_owned(),
            credentials: None,
            bearer: None,
            token_store: None,
            digest_store: None,
            user_agent_suffix: None,
            timeouts: None,
            retry_policy: None,
            proxy: None,
            root_certificates: None,
            root_pem_files: Vec::new(),
            root_pems: Vec::new(),
            body_limit: None,
            allow_insecure_http: false,
            executor: None,
            stream_executor: None,
            stream_timeouts: None,
        }
    }
}

impl fmt::Debug for AtlasClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtlasClientBuilder")
            .field("base_url", &self.base_url)
            .field(
                "credentials",
                &self
                    .credentials
                    .as_ref()
                    .map(|(public, _)| (public, "** redacted **")),
            )
            .field("bearer", &self.bearer)
            .field("token_store", &self.token_store)
            .field("digest_store", &self.digest_store)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("timeouts", &self.timeouts)
            .field("retry_policy", &self.retry_policy)
            .field("proxy", &self.proxy)
            .field("root_certificates", &self.root_certificates)
            .field("root_pem_files", &self.root_pem_files)
            .field("root_pems", &self.root_pems.len())
            .field("body_limit", &self.body_limit)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("executor", &self.executor)
            .field("stream_executor", &self.stream_executor)
            .field("stream_timeouts", &self.stream_timeouts)
            .finish()
    }
}

impl AtlasClientBuilder {
    /// The base URL (default `https://cloud.mongodb.com`): scheme, host, optional port and path
    /// prefix. Checked by [`build`](Self::build).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The programmatic API key: public key (the digest user name) and private key (the
    /// password).
    pub fn credentials(
        mut self,
        public_key: impl Into<String>,
        private_key: impl Into<String>,
    ) -> Self {
        self.credentials = Some((public_key.into(), private_key.into()));
        self.bearer = None;
        self
    }

    /// A service account (OAuth 2.0 client credentials): the client asks
    /// `{base}/api/oauth/token` for a bearer token on first use, renews it ahead of expiry,
    /// and [`AtlasClient::revoke_token`] revokes it at `{base}/api/oauth/revoke`. Replaces an API
    /// key or access token given before. See [`atlas_transport::oauth`] for the lifecycle.
    pub fn service_account(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.bearer = Some(Bearer::ServiceAccount {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        });
        self.credentials = None;
        self
    }

    /// A ready access token (e.g. from `MONGODB_ATLAS_ACCESS_TOKEN`), sent as it is and never
    /// renewed. Replaces an API key or service account given before.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(Bearer::Token(AccessToken::new(token)));
        self.credentials = None;
        self
    }

    /// Where service account tokens are kept (default: in memory, for the client's life); a
    /// persistent store lets tokens outlive the process.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Where API key (digest) sessions are kept between clients (default: none). With a
    /// persistent store, a new process takes up the nonce the last one handed over and its first
    /// request costs one round trip instead of two; see [`crate::digest_session`] for how no nc
    /// is ever sent twice.
    pub fn digest_session_store(mut self, store: Arc<dyn DigestSessionStore>) -> Self {
        self.digest_store = Some(store);
        self
    }

    /// Appended to the `User-Agent`, e.g. `my-backup-tool/1.2`.
    pub fn user_agent_suffix(mut self, s: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(s.into());
        self
    }

    /// Connect, per-attempt and total timeouts of each request.
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts = Some(t);
        self
    }

    /// How the transport retries 429, 502, 503, 504 and connection failures.
    pub fn retry_policy(mut self, p: RetryPolicy) -> Self {
        self.retry_policy = Some(p);
        self
    }

    /// Proxy settings (default: from `HTTPS_PROXY`, `NO_PROXY` ...).
    pub fn proxy(mut self, p: ProxyConfig) -> Self {
        self.proxy = Some(p);
        self
    }

    /// Which trust anchors verify Atlas's certificate (default: the compiled-in Mozilla roots).
    pub fn root_certificates(mut self, r: RootCertificates) -> Self {
        self.root_certificates = Some(r);
        self
    }

    /// An extra trusted root certificate from a PEM file (a TLS-inspecting proxy, a test
    /// server). A missing or bad file is reported by [`build`](Self::build).
    pub fn add_root_pem_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.root_pem_files.push(path.as_ref().to_owned());
        self
    }

    /// An extra trusted root certificate, PEM encoded.
    pub fn add_root_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_pems.push(pem.into());
        self
    }

    /// The largest response body accepted (the transport's default is 8 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// Allows credentials over plain `http://` to a host that is not loopback (and downloads
    /// from plain `http://` links). Off by default: [`build`](Self::build) refuses such a base
    /// URL.
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_insecure_http = true;
        self
    }

    /// Fetches archives (see [`ArchiveDownload`](crate::ArchiveDownload)) through `e` instead of
    /// a new [`atlas_transport::StreamingClient`]: for tests or a custom stack. Whatever `e` is,
    /// it must not add credentials: pre-signed links need none.
    pub fn stream_executor(mut self, e: Arc<dyn StreamExecutor>) -> Self {
        self.stream_executor = Some(e);
        self
    }

    /// Connect, response and idle timeouts of archive downloads (default
    /// [`StreamTimeouts::default`]: 10 s, 30 s, 60 s; no total limit).
    pub fn download_timeouts(mut self, t: StreamTimeouts) -> Self {
        self.stream_timeouts = Some(t);
        self
    }

    /// Sends requests through `e` instead of a new [`atlas_transport::Client`]: for tests (an
    /// in-memory executor) or a custom stack. Credentials and transport settings given to this
    /// builder are then not used; `e` is responsible for authentication.
    pub fn executor(mut self, e: Arc<dyn Executor>) -> Self {
        self.executor = Some(e);
        self
    }

    /// Checks the base URL and builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] for a URL that is not `http(s)://host[:port][/prefix]`, or that
    /// would send credentials over plain `http` to a non-loopback host without
    /// [`allow_insecure_http`](Self::allow_insecure_http); [`Error::Transport`] when the
    /// transport cannot be built (an unreadable PEM file, a bad proxy URL).
    pub fn build(self) -> Result<AtlasClient, Error> {
        let base = BaseUrl::parse(&self.base_url)?;
        let public_key = self.credentials.as_ref().map(|(p, _)| p.clone());
        let ua = match &self.user_agent_suffix {
            Some(s) => format!("atlas-snapshots/{} {s}", env!("CARGO_PKG_VERSION")),
            None => format!("atlas-snapshots/{}", env!("CARGO_PKG_VERSION")),
        };
        let streams: Arc<dyn StreamExecutor> = match self.stream_executor {
            Some(e) => e,
            None => {
                let mut b = atlas_transport::StreamingClient::builder()
                    .user_agent_suffix(ua.clone())
                    .timeouts(self.stream_timeouts.unwrap_or_default());
                if let Some(p) = self.proxy.clone() {
                    b = b.proxy(p);
                }
                if let Some(r) = self.root_certificates {
                    b = b.root_certificates(r);
                }
                for path in &self.root_pem_files {
                    b = b.add_root_pem_file(path.clone());
                }
                for pem in &self.root_pems {
                    b = b.add_root_pem(pem.clone());
                }
                if self.allow_insecure_http {
                    b = b.allow_insecure_http();
                }
                Arc::new(b.build()?)
            }
        };
        let (executor, transport): (Arc<dyn Executor>, _) = match self.executor {
            Some(e) => (e, None),
            None => {
                if (self.credentials.is_some() || self.bearer.is_some())
                    && base.is_plain_http()
                    && !base.is_loopback()
                    && !self.allow_insecure_http
                {
                    return Err(Error::InvalidBaseUrl {
                        url: base.as_str().to_owned(),
                        problem: BaseUrlProblem::InsecureHttp,
                    });
                }
                let mut b = atlas_transport::Client::builder();
                if let Some((public, private)) = self.credentials {
                    b = b.credentials(public, private);
                    if let Some(store) = self.digest_store {
                        b = b.digest_session_store(store);
                    }
                }
                match self.bearer {
                    Some(Bearer::Token(t)) => b = b.bearer_token(t),
                    Some(Bearer::ServiceAccount {
                        client_id,
                        client_secret,
                    }) => {
                        b = b.client_credentials(crate::service_account::atlas_client_credentials(
                            &base,
                            client_id,
                            client_secret,
                        )?);
                        if let Some(store) = self.token_store {
                            b = b.token_store(store);
                        }
                    }
                    None => {}
                }
                b = b.user_agent_suffix(ua);
                if let Some(t) = self.timeouts {
                    b = b.timeouts(t);
                }
                if let Some(p) = self.retry_policy {
                    b = b.retry_policy(p);
                }
                if let Some(p) = self.proxy {
                    b = b.proxy(p);
                }
                if let Some(r) = self.root_certificates {
                    b = b.root_certificates(r);
                }
                for path in self.root_pem_files {
                    b = b.add_root_pem_file(path);
                }
                for pem in self.root_pems {
                    b = b.add_root_pem(pem);
                }
                if let Some(limit) = self.body_limit {
                    b = b.body_limit(limit);
                }
                b = b.allow_insecure_http(self.allow_insecure_http);
                let client = b.build()?;
                (Arc::new(client.clone()), Some(client))
            }
        };
        Ok(AtlasClient {
            inner: Arc::new(Inner {
                base,
                executor,
                streams,
                transport,
                public_key,
                warned_deprecation: AtomicBool::new(false),
                warned_sunset: AtomicBool::new(false),
                kinds: Mutex::new(HashMap::new()),
                pacer: Pacer::default(),
            }),
        })
    }
}
