//! Shared test servers: a hyper server on 127.0.0.1 (plain or TLS with a generated CA), a
//! digest-protected application built on `atlas_digest::DigestServer`, a server that accepts
//! and never answers, and a small CONNECT / forward proxy.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

mod digest_app;
pub mod logs;
pub mod oauth_app;
#[allow(unused_imports)]
pub use digest_app::{DigestApp, Seen, param};

pub type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;
pub type Handler = Arc<dyn Fn(Request<Bytes>) -> BoxFut<Response<Bytes>> + Send + Sync>;

/// Wraps an async closure as a [`Handler`].
pub fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(Request<Bytes>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Bytes>> + Send + 'static,
{
    Arc::new(move |req| Box::pin(f(req)))
}

pub fn response(status: u16, body: impl Into<Bytes>) -> Response<Bytes> {
    let mut r = Response::new(body.into());
    *r.status_mut() = StatusCode::from_u16(status).expect("valid status");
    r
}

/// A test certificate authority and a leaf certificate for `localhost` and `127.0.0.1`.
pub struct TestCa {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

impl TestCa {
    pub fn new() -> TestCa {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "atlas-transport test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("ca key"))
            .expect("ca cert");
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("leaf params")
            .signed_by(&leaf_key, &ca)
            .expect("leaf cert");
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
            .expect("server cert");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        TestCa {
            ca_pem: ca.pem(),
            server_config: Arc::new(config),
        }
    }
}

/// A hyper server (HTTP/1.1 and HTTP/2) on an ephemeral port of 127.0.0.1.
pub struct TestServer {
    pub addr: SocketAddr,
    pub ca: Option<TestCa>,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
    /// The most requests served on one connection (above 1 proves keep-alive reuse).
    pub max_requests_per_connection: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub async fn plain(h: Handler) -> TestServer {
        Self::start(h, None).await
    }

    pub async fn tls(h: Handler) -> TestServer {
        Self::start(h, Some(TestCa::new())).await
    }

    async fn start(h: Handler, ca: Option<TestCa>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let acceptor = ca
            .as_ref()
            .map(|c| tokio_rustls::TlsAcceptor::from(c.server_config.clone()));
        let count = connections.clone();
        let max_reuse = Arc::new(AtomicUsize::new(0));
        let reuse = max_reuse.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let h = h.clone();
                let acceptor = acceptor.clone();
                let reuse = reuse.clone();
                tokio::spawn(async move {
                    match acceptor {
                        None => serve(TokioIo::new(stream), h, reuse).await,
                        Some(a) => {
                            if let Ok(tls) = a.accept(stream).await {
                                serve(TokioIo::new(tls), h, reuse).await;
                            }
                        }
                    }
                });
            }
        });
        TestServer {
            addr,
            ca,
            connections,
            max_requests_per_connection: max_reuse,
            task,
        }
    }

    /// `http://127.0.0.1:port/path` or `https://localhost:port/path`.
    pub fn url(&self, path: &str) -> String {
        match self.ca {
            None => format!("http://127.0.0.1:{}{path}", self.addr.port()),
            Some(_) => format!("https://localhost:{}{path}", self.addr.port()),
        }
    }

    pub fn ca_pem(&self) -> String {
        self.ca.as_ref().expect("a TLS server").ca_pem.clone()
    }
}

async fn serve<I>(io: I, h: Handler, max_reuse: Arc<AtomicUsize>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let served = Arc::new(AtomicUsize::new(0));
    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
        let h = h.clone();
        let n = served.fetch_add(1, Ordering::SeqCst) + 1;
        max_reuse.fetch_max(n, Ordering::SeqCst);
        async move {
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            let resp = h(Request::from_parts(parts, body)).await;
            Ok::<_, Infallible>(resp.map(Full::new))
        }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(io, service)
        .await;
}

/// A server that accepts connections and never answers.
pub async fn hanging_server() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    (addr, task)
}

/// A port of 127.0.0.1 that refuses connections: a socket bound to it that never listens. Keep
/// the socket alive as long as the port is used.
pub fn refusing_port() -> (u16, tokio::net::TcpSocket) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind");
    let port = socket.local_addr().expect("addr").port();
    (port, socket)
}

/// Builds a GET request with an empty body.
pub fn get(url: &str) -> Request<Bytes> {
    Request::get(url).body(Bytes::new()).expect("request")
}

/// Runs a test body with a time limit of its own, so that a bug cannot hang the suite.
pub async fn guarded<F: Future>(fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), fut)
        .await
        .expect("test took over 60 s")
}

// ---------------------------------------------------------------------------------------------
// Proxy

/// A small HTTP proxy on loopback: `CONNECT host:port` tunnels, absolute-form requests are
/// relayed to their origin. Optionally requires a `Proxy-Authorization` value (407 otherwise).
pub struct TestProxy {
    pub addr: SocketAddr,
    /// `CONNECT` tunnels opened.
    pub connects: Arc<AtomicUsize>,
    /// Absolute-form (forward) connections relayed.
    pub forwards: Arc<AtomicUsize>,
    /// The `Proxy-Authorization` values received, one per proxied connection.
    pub auth_seen: Arc<Mutex<Vec<Option<String>>>>,
    task: JoinHandle<()>,
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestProxy {
    pub async fn start(required_auth: Option<String>) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connects = Arc::new(AtomicUsize::new(0));
        let forwards = Arc::new(AtomicUsize::new(0));
        let auth_seen = Arc::new(Mutex::new(Vec::new()));
        let (c, f, a) = (connects.clone(), forwards.clone(), auth_seen.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (c, f, a, req) = (c.clone(), f.clone(), a.clone(), required_auth.clone());
                tokio::spawn(async move {
                    let _ = proxy_connection(stream, c, f, a, req).await;
                });
            }
        });
        TestProxy {
            addr,
            connects,
            forwards,
            auth_seen,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn proxy_connection(
    mut client: TcpStream,
    connects: Arc<AtomicUsize>,
    forwards: Arc<AtomicUsize>,
    auth_seen: Arc<Mutex<Vec<Option<String>>>>,
    required_auth: Option<String>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let auth = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, v)| v.trim().to_owned());
    auth_seen.lock().expect("lock").push(auth.clone());
    if let Some(required) = &required_auth {
        if auth.as_deref() != Some(required.as_str()) {
            client
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
                .await?;
            return Ok(());
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    if method == "CONNECT" {
        connects.fetch_add(1, Ordering::SeqCst);
        let mut upstream = TcpStream::connect(target).await?;
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        upstream.write_all(&buf[head_end..]).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    } else {
        forwards.fetch_add(1, Ordering::SeqCst);
        let uri: http::Uri = target.parse().map_err(std::io::Error::other)?;
        let authority = uri
            .authority()
            .ok_or_else(|| std::io::Error::other("not absolute"))?;
        let host_port = match authority.port_u16() {
            Some(_) => authority.as_str().to_owned(),
            None => format!("{}:80", authority.host()),
        };
        let mut upstream = TcpStream::connect(host_port).await?;
        upstream.write_all(&buf).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    }
    Ok(())
}
