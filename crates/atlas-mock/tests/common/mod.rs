//! Test client: a plain hyper HTTP/1.1 connection (optionally over TLS) driven by `atlas_digest::DigestClient`.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, anyhow, bail};
use atlas_digest::{Authorize, Credentials, DigestClient, DigestError, RequestFacts};
use atlas_mock::{AuthenticationInfo, MockHandle};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::Value;

/// One answer.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn error_code(&self) -> String {
        self.json()["errorCode"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A keep-alive HTTP/1.1 connection to the mock.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    pub async fn open(mock: &MockHandle) -> Result<Self> {
        let tcp = tokio::net::TcpStream::connect(mock.addr()).await?;
        let host = mock
            .base_url()
            .split("://")
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let sender = match mock.ca_pem() {
            None => {
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
                tokio::spawn(conn);
                sender
            }
            Some(pem) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                    roots.add(cert?)?;
                }
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
                let name = ServerName::try_from("127.0.0.1")?.to_owned();
                let tls = connector
                    .connect(name, tcp)
                    .await
                    .context("TLS handshake")?;
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
                tokio::spawn(conn);
                sender
            }
        };
        Ok(Self { sender, host })
    }

    /// Sends one request; `target` is path and query.
    pub async fn send(
        &mut self,
        method: Method,
        target: &str,
        headers: &[(&str, &str)],
        authz: Option<&str>,
    ) -> Result<Resp> {
        self.send_body(method, target, headers, authz, Bytes::new())
            .await
    }

    /// Sends one request with a body. A `host` in `headers` replaces the mock's own.
    pub async fn send_body(
        &mut self,
        method: Method,
        target: &str,
        headers: &[(&str, &str)],
        authz: Option<&str>,
        body: Bytes,
    ) -> Result<Resp> {
        let mut b = Request::builder().method(method).uri(target);
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            b = b.header("host", &self.host);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        if let Some(a) = authz {
            b = b.header("authorization", a);
        }
        let req = b.body(Full::new(body))?;
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

static CNONCE: AtomicU64 = AtomicU64::new(1);

pub fn cnonce() -> String {
    format!(
        "{:016x}",
        CNONCE
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
    )
}

/// A digest-authenticating client for one key. It checks `Authentication-Info` on every
/// authenticated answer against what the mock is expected to send: none by default (Atlas sends
/// none) except one carrying a `nextnonce`, or one on every answer after
/// [`Client::expect_authentication_info`]; every one sent must verify (`rspauth`).
pub struct Client {
    pub conn: Conn,
    pub digest: Arc<DigestClient>,
    pub info: AuthenticationInfo,
}

impl Client {
    pub async fn new(mock: &MockHandle) -> Result<Self> {
        Self::with_key(mock, mock.public_key(), mock.private_key()).await
    }

    pub async fn with_key(mock: &MockHandle, public: &str, private: &str) -> Result<Self> {
        Ok(Self {
            conn: Conn::open(mock).await?,
            digest: Arc::new(DigestClient::new(Credentials::new(public, private))),
            info: AuthenticationInfo::Omit,
        })
    }

    /// Expects `Authentication-Info` on every authenticated answer (a mock with
    /// `DigestSettings::authentication_info(AuthenticationInfo::Send)`), and verifies its `rspauth`.
    pub fn expect_authentication_info(mut self) -> Self {
        self.info = AuthenticationInfo::Send;
        self
    }

    pub async fn get(&mut self, target: &str) -> Result<Resp> {
        self.get_with(target, &[]).await
    }

    /// GET with digest: answers challenges, checks `Authentication-Info` (see [`Client`]). Returns the final answer (a 401 too,
    /// when the client gives up, e.g. on a wrong password).
    pub async fn get_with(&mut self, target: &str, headers: &[(&str, &str)]) -> Result<Resp> {
        self.request(Method::GET, target, headers, Bytes::new())
            .await
    }

    /// POST a JSON body (`Content-Type` and `Accept` as given in `headers`) with digest.
    pub async fn post_json(
        &mut self,
        target: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Result<Resp> {
        self.request(Method::POST, target, headers, Bytes::from(body.to_string()))
            .await
    }

    /// Any method with digest (a 401 without a challenge is returned as it is).
    pub async fn request(
        &mut self,
        method: Method,
        target: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Resp> {
        let mut state = self.digest.start();
        loop {
            let facts = RequestFacts::new(method.as_str(), target);
            // The lease is held until the answer is in (dropped at the end of this iteration).
            let (authz, _lease) = match self.digest.authorize(&mut state, &facts, &cnonce())? {
                Authorize::Send { header, lease } => (Some(header), Some(lease)),
                Authorize::Probe => (None, None),
                Authorize::Wait(wait) => {
                    wait.await;
                    continue;
                }
            };
            let resp = self
                .conn
                .send_body(
                    method.clone(),
                    target,
                    headers,
                    authz.as_deref(),
                    body.clone(),
                )
                .await?;
            if resp.status == StatusCode::UNAUTHORIZED
                && resp.headers.contains_key("www-authenticate")
            {
                let values = challenges(&resp.headers);
                match self.digest.on_unauthorized(&mut state, values) {
                    Ok(()) => continue,
                    Err(DigestError::Rejected) => return Ok(resp),
                    Err(e) => bail!("digest gave up: {e}"),
                }
            }
            let send = self.info == AuthenticationInfo::Send;
            match resp.header("authentication-info") {
                // With `Omit` the mock still sends one to carry a due nextnonce (its only way).
                Some(info) if send || info.contains("nextnonce=") => {
                    self.digest
                        .on_authentication_info_with_body(&state, info, Some(&resp.body))
                        .map_err(|e| anyhow!("Authentication-Info check failed: {e} ({info})"))?;
                }
                Some(info) if authz.is_some() => bail!(
                    "Authentication-Info without a nextnonce on an authenticated answer, which \
                     Atlas never sends ({}: {info})",
                    resp.status
                ),
                None if send && authz.is_some() => bail!(
                    "no Authentication-Info on an authenticated answer ({})",
                    resp.status
                ),
                _ => {}
            }
            return Ok(resp);
        }
    }
}

/// `DigestClient::authorize` for sequential tests: the header (`None`: probe) and the lease to hold
/// until the answer is in; a wait (never expected one request at a time) is an error.
pub fn authorization(
    digest: &DigestClient,
    state: &mut atlas_digest::RequestState,
    facts: &RequestFacts<'_>,
    cnonce: &str,
) -> Result<(Option<String>, Option<atlas_digest::NcLease>)> {
    match digest.authorize(state, facts, cnonce)? {
        Authorize::Send { header, lease } => Ok((Some(header), Some(lease))),
        Authorize::Probe => Ok((None, None)),
        Authorize::Wait(_) => bail!("told to wait with one request at a time"),
    }
}

pub fn v1_snapshot(group: &str, cluster: &str, id: &str) -> String {
    format!("/api/atlas/v1.0/groups/{group}/clusters/{cluster}/backup/tenant/snapshots/{id}")
}
pub fn v1_list(group: &str, cluster: &str) -> String {
    format!("/api/atlas/v1.0/groups/{group}/clusters/{cluster}/backup/tenant/snapshots")
}
pub fn v2_snapshot(group: &str, cluster: &str, id: &str) -> String {
    format!("/api/atlas/v2/groups/{group}/clusters/{cluster}/backup/tenant/snapshots/{id}")
}
pub fn v2_list(group: &str, cluster: &str) -> String {
    format!("/api/atlas/v2/groups/{group}/clusters/{cluster}/backup/tenant/snapshots")
}
pub fn flex_snapshot(group: &str, name: &str, id: &str) -> String {
    format!("/api/atlas/v2/groups/{group}/flexClusters/{name}/backup/snapshots/{id}")
}
pub fn flex_list(group: &str, name: &str) -> String {
    format!("/api/atlas/v2/groups/{group}/flexClusters/{name}/backup/snapshots")
}

pub fn flex_backup(group: &str, name: &str, rest: &str) -> String {
    format!("/api/atlas/v2/groups/{group}/flexClusters/{name}/backup/{rest}")
}

/// `Accept` and `Content-Type` of the flex POST routes.
pub const FLEX_POST: [(&str, &str); 2] = [
    ("accept", "application/vnd.atlas.2024-11-13+json"),
    ("content-type", "application/vnd.atlas.2024-11-13+json"),
];

/// GETs an absolute URL on the mock without credentials (a pre-signed link), with `headers`.
pub async fn fetch(
    mock: &MockHandle,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<Resp> {
    let target = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .context("not an absolute URL")?;
    Conn::open(mock)
        .await?
        .send(method, target, headers, None)
        .await
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub const V2_TENANT: (&str, &str) = ("accept", "application/vnd.atlas.2023-01-01+json");
pub const V2_FLEX: (&str, &str) = ("accept", "application/vnd.atlas.2024-11-13+json");

/// The seed document's example body, byte for byte as served with `pretty=true`.
pub const SEED_PRETTY: &str = "{\n  \"finishTime\" : \"2019-04-26T14:08:07Z\",\n  \"id\" : \"5cc310ace5dc7ce369814bc8\",\n  \"mongoDBVersion\" : \"4.2.7\",\n  \"scheduledTime\" : \"2019-04-26T12:00:00Z\",\n  \"startTime\" : \"2019-04-26T14:07:53Z\",\n  \"status\" : \"FAILED\"\n}";

/// Looks a tool up on PATH; fails (never skips) with a message naming it.
pub fn require_tool(tool: &str) -> Result<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(tool);
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!("required tool `{tool}` is not installed or not on PATH (CI installs it via .ci/run)")
}

/// An admin request with the mock's token (and `Content-Type: application/json` when there is a
/// body); returns the status and the JSON answer.
pub async fn admin(
    mock: &MockHandle,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<(StatusCode, Value)> {
    let mut c = Conn::open(mock).await?;
    let token = format!("Bearer {}", mock.admin_token());
    let mut headers = vec![("authorization", token.as_str())];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let bytes = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
    let r = c.send_body(method, path, &headers, None, bytes).await?;
    let v = if r.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&r.body)
            .with_context(|| format!("admin answer is not JSON: {}", r.text()))?
    };
    Ok((r.status, v))
}

/// The `WWW-Authenticate` values of an answer (those that are text).
pub fn challenges(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}
