//! The request target and the session table: what the client remembers per origin.
//!
//! [`Target`] is a request's validated URI. [`Origins`] maps an origin (scheme, host, port) to an
//! [`Origin`]: the facts that do not change between requests (is the host loopback?) computed
//! once, and the per-origin session of an authentication kind (for digest: the nonce). Looking an
//! origin up compares the scheme, the port and the host without case (no hashing, no allocation);
//! a client talks to a handful of origins, and the table keeps at most [`MAX_ORIGINS`], forgetting
//! the oldest first.

use std::fmt;
use std::sync::{Arc, RwLock};

use http::Uri;

use crate::error::{Error, redact_uri};

/// The most origins one table remembers; the oldest is forgotten to make room.
pub(crate) const MAX_ORIGINS: usize = 64;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A request's URI, checked: absolute, `http` or `https`, with a host.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    uri: Uri,
    scheme: Scheme,
    port: u16,
    /// Where the host sits in the URI's authority (found once: `Uri::host` re-parses the
    /// authority on every call, and the session table looks the host up on every request).
    host: std::ops::Range<usize>,
}

impl Target {
    pub(crate) fn new(uri: Uri) -> Result<Target, Error> {
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => Scheme::Https,
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::Http,
            Some(_) => return Err(invalid(&uri, "unsupported scheme (only http and https)")),
            None => return Err(invalid(&uri, "the URI must be absolute")),
        };
        let (Some(authority), Some(host)) = (uri.authority(), uri.host()) else {
            return Err(invalid(&uri, "no host"));
        };
        if host.is_empty() {
            return Err(invalid(&uri, "no host"));
        }
        // `Uri::host` is a slice of the authority's text.
        let start = host.as_ptr().addr() - authority.as_str().as_ptr().addr();
        let host = start..start + host.len();
        let port = uri.port_u16().unwrap_or(scheme.default_port());
        Ok(Target {
            uri,
            scheme,
            port,
            host,
        })
    }

    /// Whether this is plain `http://` to a host that is not this machine.
    pub(crate) fn is_remote_plain_http(&self) -> bool {
        self.scheme == Scheme::Http && !is_loopback(self.host())
    }

    pub(crate) fn uri(&self) -> &Uri {
        &self.uri
    }

    pub(crate) fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The port, the scheme's default when the URI names none.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn host(&self) -> &str {
        self.uri
            .authority()
            .and_then(|a| a.as_str().get(self.host.clone()))
            .unwrap_or_default()
    }

    /// The request-target as sent on the request line: path and query.
    pub(crate) fn path_and_query(&self) -> &str {
        self.uri.path_and_query().map_or("/", |pq| pq.as_str())
    }

    /// The URL without user information, for errors (made on demand: errors are rare).
    pub(crate) fn url(&self) -> String {
        redact_uri(&self.uri)
    }
}

fn invalid(uri: &Uri, reason: &str) -> Error {
    Error::InvalidRequest {
        url: redact_uri(uri),
        reason: reason.into(),
    }
}

/// What the client remembers about one origin; `S` is an authentication kind's session.
pub(crate) struct Origin<S> {
    scheme: Scheme,
    /// Lower case.
    host: Box<str>,
    port: u16,
    loopback: bool,
    pub(crate) session: S,
}

impl<S> Origin<S> {
    fn matches(&self, t: &Target) -> bool {
        // The stored host is lower case, and so is almost every target's: compare the bytes
        // (one `memcmp`) before folding case byte by byte.
        let host = t.host();
        self.port == t.port
            && self.scheme == t.scheme
            && self.host.len() == host.len()
            && (self.host.as_bytes() == host.as_bytes() || self.host.eq_ignore_ascii_case(host))
    }

    /// Whether this origin is plain `http://` to a host that is not this machine.
    pub(crate) fn is_remote_plain_http(&self) -> bool {
        self.scheme == Scheme::Http && !self.loopback
    }
}

impl<S: fmt::Debug> fmt::Debug for Origin<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Origin")
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("loopback", &self.loopback)
            .field("session", &self.session)
            .finish()
    }
}

/// The session table: one [`Origin`] per origin a client has talked to.
pub(crate) struct Origins<S> {
    table: RwLock<Vec<Arc<Origin<S>>>>,
}

impl<S> Default for Origins<S> {
    fn default() -> Self {
        Origins {
            table: RwLock::new(Vec::new()),
        }
    }
}

impl<S> fmt::Debug for Origins<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Origins")
            .field("len", &self.read().len())
            .finish()
    }
}

impl<S> Origins<S> {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Origin<S>>>> {
        // The table is only ever pushed to or shifted under the lock: a panic elsewhere cannot
        // leave it half-changed.
        self.table.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The origin of `target`, made with `session()` the first time.
    pub(crate) fn get_or_insert_with(
        &self,
        target: &Target,
        session: impl FnOnce() -> S,
    ) -> Arc<Origin<S>> {
        if let Some(o) = self.read().iter().find(|o| o.matches(target)) {
            return o.clone();
        }
        let mut table = self.table.write().unwrap_or_else(|p| p.into_inner());
        // Another request may have added it between the two locks.
        if let Some(o) = table.iter().find(|o| o.matches(target)) {
            return o.clone();
        }
        if table.len() >= MAX_ORIGINS {
            table.remove(0);
        }
        let host = target.host().to_ascii_lowercase();
        let origin = Arc::new(Origin {
            scheme: target.scheme,
            loopback: is_loopback(&host),
            host: host.into_boxed_str(),
            port: target.port,
            session: session(),
        });
        table.push(origin.clone());
        origin
    }

    /// Every origin in the table.
    pub(crate) fn all(&self) -> Vec<Arc<Origin<S>>> {
        self.read().clone()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.read().len()
    }
}

/// Whether `host` names this machine (credentials may go over plain http to it).
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn target(s: &str) -> Target {
        Target::new(s.parse().unwrap()).unwrap()
    }

    #[test]
    fn origins_normalise_default_ports_and_case() {
        let made = AtomicUsize::new(0);
        let table = Origins::default();
        let get =
            |s: &str| table.get_or_insert_with(&target(s), || made.fetch_add(1, Ordering::SeqCst));
        let a = get("https://Example.COM/x");
        let b = get("https://example.com:443/y?z=1");
        let c = get("http://example.com/y");
        let d = get("HTTPS://example.com:8443/");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!((a.session, c.session, d.session), (0, 1, 2));
        assert_eq!(c.port, 80);
        assert_eq!(&*a.host, "example.com");
        assert!(c.is_remote_plain_http() && !a.is_remote_plain_http());
        assert!(!get("http://127.0.0.1:8080/").is_remote_plain_http());
    }

    #[test]
    fn the_table_is_bounded_and_forgets_the_oldest() {
        let table = Origins::default();
        for i in 0..(MAX_ORIGINS + 10) {
            table.get_or_insert_with(&target(&format!("https://h{i}.example/")), || i);
        }
        assert_eq!(table.len(), MAX_ORIGINS);
        // The newest are kept, the first ten forgotten (and made anew when used again).
        let last = table.get_or_insert_with(&target("https://h73.example/"), || 999);
        assert_eq!(last.session, 73);
        let first = table.get_or_insert_with(&target("https://h0.example/"), || 999);
        assert_eq!(first.session, 999);
    }

    #[test]
    fn targets_are_checked() {
        for (uri, why) in [
            ("/only/a/path", "absolute"),
            ("ftp://example.com/f", "scheme"),
        ] {
            let e = Target::new(uri.parse().unwrap()).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidRequest { reason, .. } if reason.contains(why)),
                "{e:?}"
            );
        }
        let t = target("https://u:p@h.example/a?b=1");
        assert_eq!(t.host(), "h.example");
        assert_eq!(t.path_and_query(), "/a?b=1");
        for (uri, host) in [
            ("http://[::1]:8080/", "[::1]"),
            ("https://h.example:443", "h.example"),
            ("https://@x.example/", "x.example"),
            ("http://127.0.0.1:9/p", "127.0.0.1"),
        ] {
            assert_eq!(target(uri).host(), host, "{uri}");
            assert_eq!(
                target(uri).host(),
                uri.parse::<Uri>().unwrap().host().unwrap()
            );
        }
        assert_eq!(t.url(), "https://h.example/a?b=1");
        assert_eq!(target("http://h.example").path_and_query(), "/");
    }

    proptest::proptest! {
        /// The host found once agrees with `Uri::host` for any URI that parses.
        #[test]
        fn the_cached_host_is_the_uris_host(
            scheme in "(?i)https?",
            user in proptest::option::of("[a-z0-9:%]{0,8}"),
            host in "([a-zA-Z0-9.-]{1,20}|\\[[0-9a-f:]{2,12}\\])",
            port in proptest::option::of(0u16..),
            path in "(/[a-z0-9%?=&]{0,10}){0,3}",
        ) {
            let user = user.map(|u| format!("{u}@")).unwrap_or_default();
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let Ok(uri) = format!("{scheme}://{user}{host}{port}{path}").parse::<Uri>() else {
                return Ok(());
            };
            let expected = uri.host().map(str::to_owned);
            match Target::new(uri) {
                Ok(t) => proptest::prop_assert_eq!(Some(t.host().to_owned()), expected),
                Err(_) => proptest::prop_assert!(expected.is_none_or(|h| h.is_empty())),
            }
        }
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "LOCALHOST",
            "a.localhost",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "example.com",
            "10.0.0.1",
            "localhost.example.com",
            "[::2]",
            "0.0.0.0",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
