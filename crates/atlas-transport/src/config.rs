//! Configuration values: timeouts, proxies, trust roots.

use std::fmt;
use std::time::Duration;

use crate::error::redact_str;

/// The three timeouts of a request. `None` means no limit.
///
/// ```
/// use std::time::Duration;
/// use atlas_transport::Timeouts;
///
/// let t = Timeouts { attempt: Some(Duration::from_secs(5)), ..Timeouts::default() };
/// assert_eq!(t.connect, Some(Duration::from_secs(10)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a connection: TCP, proxy `CONNECT` and TLS handshake (default 10 s).
    pub connect: Option<Duration>,
    /// One attempt: from sending the request to the last byte of the response body,
    /// connection included (default 30 s).
    pub attempt: Option<Duration>,
    /// The whole logical request: every attempt, digest challenge and back-off (default 120 s).
    pub total: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Some(Duration::from_secs(10)),
            attempt: Some(Duration::from_secs(30)),
            total: Some(Duration::from_secs(120)),
        }
    }
}

impl Timeouts {
    /// No timeout at all.
    pub fn none() -> Self {
        Timeouts {
            connect: None,
            attempt: None,
            total: None,
        }
    }
}

/// Which trust anchors verify server certificates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RootCertificates {
    /// The Mozilla roots compiled into `webpki-roots` (the default): the same everywhere.
    #[default]
    Webpki,
    /// The operating system's trust store, loaded through `rustls-native-certs` when the
    /// client is built.
    Native,
}

/// Where requests go through a proxy.
///
/// The default, [`ProxyConfig::from_env`], reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
/// `NO_PROXY` (or their lower-case forms) when the client is built, like curl.
/// `https://` requests are tunnelled with `CONNECT`; `http://` requests are sent to the proxy in
/// absolute form. Only `http://` proxy URLs are supported (not TLS to the proxy, not SOCKS).
/// Proxy credentials come from the proxy URL's user information or from
/// [`ProxyConfig::credentials`], and are sent as `Proxy-Authorization: Basic`.
///
/// ```
/// use atlas_transport::ProxyConfig;
///
/// let p = ProxyConfig::none()
///     .https("http://proxy.internal:3128")
///     .no_proxy("localhost,127.0.0.1,.internal")
///     .credentials("alice", "s3cret");
/// assert!(!format!("{p:?}").contains("s3cret"));
/// ```
#[derive(Clone, Default)]
pub struct ProxyConfig {
    source: ProxySource,
}

#[derive(Clone, Default)]
enum ProxySource {
    /// Resolved from the process environment when the client is built.
    #[default]
    Env,
    Values(ProxyValues),
}

#[derive(Clone, Default)]
pub(crate) struct ProxyValues {
    pub(crate) http: Option<String>,
    pub(crate) https: Option<String>,
    pub(crate) no_proxy: Option<String>,
    pub(crate) credentials: Option<(String, String)>,
}

impl ProxyConfig {
    /// Proxies from the environment (the default), read when the client is built.
    ///
    /// `HTTPS_PROXY`/`https_proxy` for `https://` URLs, `HTTP_PROXY`/`http_proxy` for
    /// `http://` URLs, `ALL_PROXY`/`all_proxy` for both when the specific one is unset, and
    /// `NO_PROXY`/`no_proxy` (comma-separated host names, domain suffixes, IP addresses or
    /// networks, or `*`) for exceptions. When `REQUEST_METHOD` is set (a CGI environment,
    /// where `HTTP_PROXY` can be injected by a client header) no proxy is used.
    pub fn from_env() -> Self {
        ProxyConfig {
            source: ProxySource::Env,
        }
    }

    /// Proxies from a lookup function with the semantics of [`ProxyConfig::from_env`]; the
    /// function is called with variable names such as `"HTTPS_PROXY"` and `"https_proxy"`.
    ///
    /// Tests use it to simulate an environment without touching the real one.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        ProxyConfig {
            source: ProxySource::Values(ProxyValues::from_lookup(lookup)),
        }
    }

    /// No proxy at all, whatever the environment says.
    pub fn none() -> Self {
        ProxyConfig {
            source: ProxySource::Values(ProxyValues::default()),
        }
    }

    fn with(self, change: impl FnOnce(&mut ProxyValues)) -> Self {
        let mut values = self.resolve();
        change(&mut values);
        ProxyConfig {
            source: ProxySource::Values(values),
        }
    }

    /// The proxy for `http://` URLs, for example `http://proxy:3128`.
    pub fn http(self, url: impl Into<String>) -> Self {
        self.with(|v| v.http = Some(url.into()))
    }

    /// The proxy for `https://` URLs (tunnelled with `CONNECT`).
    pub fn https(self, url: impl Into<String>) -> Self {
        self.with(|v| v.https = Some(url.into()))
    }

    /// The same proxy for both schemes.
    pub fn all(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.http(url.clone()).https(url)
    }

    /// Hosts that bypass the proxy, in `NO_PROXY` syntax.
    pub fn no_proxy(self, list: impl Into<String>) -> Self {
        self.with(|v| v.no_proxy = Some(list.into()))
    }

    /// Basic credentials for the proxy; they take precedence over user information in the
    /// proxy URL.
    pub fn credentials(self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.with(|v| v.credentials = Some((username.into(), password.into())))
    }

    /// The values in effect, reading the environment now if needed.
    pub(crate) fn resolve(&self) -> ProxyValues {
        match &self.source {
            ProxySource::Env => ProxyValues::from_lookup(env_lookup),
            ProxySource::Values(v) => v.clone(),
        }
    }
}

fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl ProxyValues {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| lookup(n).filter(|v| !v.trim().is_empty()))
        };
        if lookup("REQUEST_METHOD").is_some() {
            return ProxyValues::default();
        }
        let all = first(&["ALL_PROXY", "all_proxy"]);
        ProxyValues {
            http: first(&["HTTP_PROXY", "http_proxy"]).or_else(|| all.clone()),
            https: first(&["HTTPS_PROXY", "https_proxy"]).or(all),
            no_proxy: first(&["NO_PROXY", "no_proxy"]),
            credentials: None,
        }
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            ProxySource::Env => f.write_str("ProxyConfig::from_env()"),
            ProxySource::Values(v) => v.fmt(f),
        }
    }
}

impl fmt::Debug for ProxyValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("http", &self.http.as_deref().map(redact_str))
            .field("https", &self.https.as_deref().map(redact_str))
            .field("no_proxy", &self.no_proxy)
            .field(
                "credentials",
                &self
                    .credentials
                    .as_ref()
                    .map(|(u, _)| (u, "** redacted **")),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn upper_case_wins_lower_case_falls_back_all_proxy_fills_in() {
        let v = ProxyConfig::from_lookup(env(&[
            ("HTTPS_PROXY", "http://up:1"),
            ("https_proxy", "http://low:1"),
            ("all_proxy", "http://all:1"),
            ("no_proxy", "localhost"),
        ]))
        .resolve();
        assert_eq!(v.https.as_deref(), Some("http://up:1"));
        assert_eq!(v.http.as_deref(), Some("http://all:1"));
        assert_eq!(v.no_proxy.as_deref(), Some("localhost"));
    }

    #[test]
    fn cgi_environment_disables_proxies() {
        let v = ProxyConfig::from_lookup(env(&[
            ("HTTP_PROXY", "http://evil:1"),
            ("REQUEST_METHOD", "GET"),
        ]))
        .resolve();
        assert!(v.http.is_none() && v.https.is_none());
    }

    #[test]
    fn empty_values_are_unset() {
        let v =
            ProxyConfig::from_lookup(env(&[("HTTPS_PROXY", " "), ("https_proxy", "http://p:1")]))
                .resolve();
        assert_eq!(v.https.as_deref(), Some("http://p:1"));
    }

    #[test]
    fn debug_redacts_secrets() {
        let p = ProxyConfig::none()
            .all("http://bob:hunter2@proxy:3128")
            .credentials("al", "pw123");
        let s = format!("{p:?}");
        assert!(!s.contains("hunter2") && !s.contains("pw123"), "{s}");
        assert!(s.contains("proxy:3128"));
    }
}
