//! Connectors: proxies (CONNECT tunnels and forward proxies), TLS and the connect timeout.
//!
//! The stack handed to hyper-util's pooled client is
//! `TimeoutConnector<HttpsConnector<ProxyConnector>>`: the proxy layer yields a TCP stream to
//! the origin (directly, through a `CONNECT` tunnel, or to a forward proxy), hyper-rustls adds
//! TLS for `https://` origins, and the outer layer bounds the whole by the connect timeout.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Uri};
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::config::{ProxyValues, RootCertificates};
use crate::error::{BoxError, Error, redact_str, redact_uri};

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// The proxy decision for one destination.
#[derive(Clone)]
pub(crate) struct Route {
    pub(crate) proxy: Uri,
    pub(crate) auth: Option<HeaderValue>,
}

/// Resolved proxy rules.
pub(crate) struct Proxies {
    matcher: Option<Matcher>,
    auth_override: Option<HeaderValue>,
}

impl std::fmt::Debug for Proxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxies")
            .field("matcher", &self.matcher)
            .field(
                "credentials",
                &self.auth_override.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

impl Proxies {
    pub(crate) fn new(values: ProxyValues) -> Result<Self, Error> {
        for url in [&values.http, &values.https].into_iter().flatten() {
            validate_proxy_url(url)?;
        }
        let auth_override = values.credentials.as_ref().map(|(u, p)| basic_auth(u, p));
        let matcher = if values.http.is_none() && values.https.is_none() {
            None
        } else {
            let mut b = Matcher::builder();
            if let Some(h) = &values.http {
                b = b.http(h.as_str());
            }
            if let Some(h) = &values.https {
                b = b.https(h.as_str());
            }
            if let Some(n) = &values.no_proxy {
                b = b.no(n.as_str());
            }
            Some(b.build())
        };
        Ok(Proxies {
            matcher,
            auth_override,
        })
    }

    /// The proxy to use for `dst`, if any.
    pub(crate) fn route(&self, dst: &Uri) -> Option<Route> {
        let intercept = self.matcher.as_ref()?.intercept(dst)?;
        let auth = self
            .auth_override
            .clone()
            .or_else(|| intercept.basic_auth().cloned());
        Some(Route {
            proxy: intercept.uri().clone(),
            auth,
        })
    }
}

fn validate_proxy_url(url: &str) -> Result<(), Error> {
    let invalid = |why: &str| Error::Config {
        reason: format!("invalid proxy URL {}: {why}", redact_str(url)),
        source: None,
    };
    let uri: Uri = url.trim().parse().map_err(|_| invalid("not a URL"))?;
    match uri.scheme_str() {
        None | Some("http") => {}
        Some(other) => return Err(invalid(&format!("unsupported proxy scheme {other}"))),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(())
}

fn basic_auth(user: &str, password: &str) -> HeaderValue {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    // Base64 output is always a valid header value.
    let mut v = HeaderValue::from_str(&format!("Basic {token}"))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    v.set_sensitive(true);
    v
}

/// A failure while going through a proxy; `proxy` is already redacted.
#[derive(Debug, thiserror::Error)]
#[error("proxy {proxy}: {source}")]
pub(crate) struct ProxyFailure {
    pub(crate) proxy: String,
    #[source]
    pub(crate) source: BoxError,
}

/// The connect timeout expired.
#[derive(Debug, thiserror::Error)]
#[error("connect timeout")]
pub(crate) struct ConnectTimeout;

/// Opens TCP streams to the origin, directly or through a proxy.
#[derive(Clone, Debug)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    proxies: Arc<Proxies>,
}

impl ProxyConnector {
    pub(crate) fn new(proxies: Arc<Proxies>) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(60)));
        ProxyConnector { http, proxies }
    }
}

impl Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    type Future = BoxFuture<ProxyStream>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let Some(route) = self.proxies.route(&dst) else {
            let fut = self.http.call(dst);
            return Box::pin(async move {
                Ok(ProxyStream {
                    inner: fut.await?,
                    proxied: false,
                })
            });
        };
        let proxy_name = redact_uri(&route.proxy);
        let fail = move |source: BoxError| -> BoxError {
            Box::new(ProxyFailure {
                proxy: proxy_name.clone(),
                source,
            })
        };
        if route.proxy.scheme_str() != Some("http") {
            return Box::pin(async move { Err(fail("unsupported proxy scheme".into())) });
        }
        if dst.scheme_str() == Some("https") {
            let mut tunnel = Tunnel::new(route.proxy, self.http.clone());
            if let Some(auth) = route.auth {
                tunnel = tunnel.with_auth(auth);
            }
            let fut = tunnel.call(dst);
            Box::pin(async move {
                match fut.await {
                    Ok(io) => Ok(ProxyStream {
                        inner: io,
                        proxied: false,
                    }),
                    Err(e) => Err(fail(Box::new(e))),
                }
            })
        } else {
            // Forward proxy: connect to the proxy, hyper sends the request in absolute form.
            let fut = self.http.call(route.proxy);
            Box::pin(async move {
                match fut.await {
                    Ok(io) => Ok(ProxyStream {
                        inner: io,
                        proxied: true,
                    }),
                    Err(e) => Err(fail(Box::new(e))),
                }
            })
        }
    }
}

/// A TCP stream that remembers whether it leads to a forward proxy.
#[derive(Debug)]
pub(crate) struct ProxyStream {
    inner: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        self.inner.connected().proxy(self.proxied)
    }
}

impl Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}

/// Bounds the inner connector (TCP + proxy + TLS) by the connect timeout.
#[derive(Clone, Debug)]
pub(crate) struct TimeoutConnector<C> {
    inner: C,
    timeout: Option<Duration>,
}

impl<C> TimeoutConnector<C> {
    pub(crate) fn new(inner: C, timeout: Option<Duration>) -> Self {
        TimeoutConnector { inner, timeout }
    }
}

impl<C> Service<Uri> for TimeoutConnector<C>
where
    C: Service<Uri>,
    C::Future: Send + 'static,
    C::Response: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = BoxFuture<C::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let fut = self.inner.call(dst);
        let timeout = self.timeout;
        Box::pin(async move {
            match timeout {
                None => fut.await.map_err(Into::into),
                Some(d) => match tokio::time::timeout(d, fut).await {
                    Ok(r) => r.map_err(Into::into),
                    Err(_) => Err(Box::new(ConnectTimeout) as BoxError),
                },
            }
        })
    }
}

/// Builds the rustls client configuration: ring provider, chosen roots plus extra PEM roots.
pub(crate) fn tls_config(
    roots: RootCertificates,
    extra_pems: &[Vec<u8>],
) -> Result<rustls::ClientConfig, Error> {
    let mut store = RootCertStore::empty();
    match roots {
        RootCertificates::Webpki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        RootCertificates::Native => {
            let loaded = rustls_native_certs::load_native_certs();
            let (added, _ignored) = store.add_parsable_certificates(loaded.certs);
            if added == 0 {
                let detail = loaded
                    .errors
                    .first()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                return Err(Error::Config {
                    reason: format!("no usable certificate in the system trust store {detail}")
                        .trim_end()
                        .to_owned(),
                    source: None,
                });
            }
        }
    }
    for pem in extra_pems {
        let mut found = 0usize;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| Error::Config {
                reason: "invalid PEM certificate".into(),
                source: Some(Box::new(e)),
            })?;
            store.add(cert).map_err(|e| Error::Config {
                reason: "unusable CA certificate".into(),
                source: Some(Box::new(e)),
            })?;
            found += 1;
        }
        if found == 0 {
            return Err(Error::Config {
                reason: "no certificate found in the PEM data".into(),
                source: None,
            });
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config {
            reason: "TLS setup".into(),
            source: Some(Box::new(e)),
        })?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(config)
}

/// The connection stack both clients use: timeout, then rustls (HTTP/1.1 and h2 by ALPN), then
/// direct TCP or a proxy.
pub(crate) type Connector = TimeoutConnector<hyper_rustls::HttpsConnector<ProxyConnector>>;

/// The pooled hyper client over [`Connector`], shared by `Client` and `StreamingClient` so the
/// two never drift apart (same TLS, proxies, connect timeout and pool settings).
pub(crate) fn pooled_client<B>(
    tls: rustls::ClientConfig,
    proxies: Arc<Proxies>,
    connect_timeout: Option<Duration>,
) -> hyper_util::client::legacy::Client<Connector, B>
where
    B: hyper::body::Body + Send,
    B::Data: Send,
{
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(ProxyConnector::new(proxies));
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .timer(hyper_util::rt::TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(TimeoutConnector::new(https, connect_timeout))
}

/// `User-Agent`: the product token, then the caller's suffix (if any, trimmed).
pub(crate) fn user_agent(suffix: Option<&str>) -> Result<HeaderValue, Error> {
    let ua = match suffix.map(str::trim) {
        Some(s) if !s.is_empty() => format!("{} {s}", crate::builder::USER_AGENT_PRODUCT),
        _ => crate::builder::USER_AGENT_PRODUCT.to_owned(),
    };
    HeaderValue::from_str(&ua).map_err(|e| Error::Config {
        reason: "the user agent suffix is not a valid header value".into(),
        source: Some(Box::new(e)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_validated_and_routed() {
        let bad = ProxyValues {
            https: Some("socks5://p:1".into()),
            ..ProxyValues::default()
        };
        assert!(matches!(Proxies::new(bad), Err(Error::Config { .. })));
        let ok = ProxyValues {
            https: Some("http://u:p@proxy:3128".into()),
            no_proxy: Some("internal.example".into()),
            ..ProxyValues::default()
        };
        let p = Proxies::new(ok).unwrap();
        let r = p
            .route(&"https://api.example.com/x".parse().unwrap())
            .unwrap();
        assert_eq!(r.proxy.host(), Some("proxy"));
        assert_eq!(r.auth.unwrap(), "Basic dTpw");
        assert!(
            p.route(&"https://db.internal.example/x".parse().unwrap())
                .is_none()
        );
        assert!(
            p.route(&"http://api.example.com/x".parse().unwrap())
                .is_none()
        );
    }

    #[test]
    fn explicit_credentials_override_userinfo() {
        let v = ProxyValues {
            http: Some("http://u:p@proxy:3128".into()),
            credentials: Some(("alice".into(), "pw".into())),
            ..ProxyValues::default()
        };
        let r = Proxies::new(v)
            .unwrap()
            .route(&"http://a.example/".parse().unwrap())
            .unwrap();
        assert_eq!(r.auth.unwrap(), "Basic YWxpY2U6cHc=");
    }

    #[test]
    fn pem_without_certificate_is_a_config_error() {
        let e = tls_config(RootCertificates::Webpki, &[b"nothing here".to_vec()]).unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e:?}");
    }
}
