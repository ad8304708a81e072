//! [`ClientCredentials`] and [`AccessToken`]: what a client authenticates with.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{Response, Uri};

use crate::error::{Error, redact_uri};

/// Reads from a token endpoint's `429` answer how long to wait before asking again (for
/// example from a JSON body's parameters); the longer of this and `Retry-After` is waited.
pub type RateLimitWait = fn(&Response<Bytes>) -> Option<Duration>;

/// Tells, from a `401` to a request with a managed token, that the answer is not about the token
/// (the caller lacks a role for the request, say): then the request ends with that answer as it
/// is, the token is kept, and no new one is fetched. Without a hook every such `401` gets one
/// retry with a fresh token.
pub type KeepsToken = fn(&Response<Bytes>) -> bool;

/// An access token. Its value never shows in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a token value.
    pub fn new(value: impl Into<String>) -> Self {
        AccessToken(value.into())
    }

    /// The token value, to send or to store. Handle with care.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(** redacted **)")
    }
}

/// An OAuth 2.0 client (id and secret) and the URLs of its authorization server.
///
/// `Debug` shows the client id and URLs, never the secret.
#[derive(Clone)]
pub struct ClientCredentials {
    pub(crate) token_url: Uri,
    pub(crate) revoke_url: Option<Uri>,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) renew_before: Option<Duration>,
    pub(crate) rate_limit_wait: Option<RateLimitWait>,
    pub(crate) keeps_token: Option<KeepsToken>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &redact_uri(&self.token_url))
            .field("revoke_url", &self.revoke_url.as_ref().map(redact_uri))
            .field("client_id", &self.client_id)
            .field("client_secret", &"** redacted **")
            .field("renew_before", &self.renew_before)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// A client id and secret for the token endpoint at `token_url` (absolute `https://`, or
    /// `http://` to loopback).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `token_url` is not an absolute http(s) URL with a host.
    pub fn new(
        token_url: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, Error> {
        Ok(ClientCredentials {
            token_url: parse_url(token_url, "token")?,
            revoke_url: None,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            renew_before: None,
            rate_limit_wait: None,
            keeps_token: None,
        })
    }

    /// The token revocation endpoint (RFC 7009), used by
    /// [`Client::revoke_token`](crate::Client::revoke_token).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `url` is not an absolute http(s) URL with a host.
    pub fn revoke_url(mut self, url: &str) -> Result<Self, Error> {
        self.revoke_url = Some(parse_url(url, "revocation")?);
        Ok(self)
    }

    /// Renew a token this long before it expires (default: a tenth of its lifetime, at least
    /// 10 s and at most 5 min; never more than half the lifetime).
    pub fn renew_before(mut self, margin: Duration) -> Self {
        self.renew_before = Some(margin);
        self
    }

    /// How to read a `429`'s body for a wait (see [`RateLimitWait`]).
    pub fn rate_limit_wait(mut self, hook: RateLimitWait) -> Self {
        self.rate_limit_wait = Some(hook);
        self
    }

    /// Which `401`s say nothing about the token (see [`KeepsToken`]): such an answer is
    /// returned as it is instead of costing a token request and a retry.
    pub fn keeps_token(mut self, hook: KeepsToken) -> Self {
        self.keeps_token = Some(hook);
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &Uri {
        &self.token_url
    }

    /// The margin for a token of `lifetime`.
    pub(crate) fn margin(&self, lifetime: Duration) -> Duration {
        let m = self.renew_before.unwrap_or_else(|| {
            (lifetime / 10).clamp(Duration::from_secs(10), Duration::from_secs(300))
        });
        m.min(lifetime / 2)
    }
}

fn parse_url(url: &str, which: &str) -> Result<Uri, Error> {
    let bad = |reason: &str| Error::Config {
        reason: format!("the {which} endpoint URL {reason}"),
        source: None,
    };
    let uri: Uri = url.trim().parse().map_err(|_| bad("is not a URL"))?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("http") => {}
        _ => return Err(bad("must start with https:// or http://")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret_or_a_token() {
        let c = ClientCredentials::new(
            "https://auth.example/oauth/token",
            "mdb_sa_id_1",
            "mdb_sa_sk_SECRET",
        )
        .unwrap();
        let d = format!("{c:?}");
        assert!(d.contains("mdb_sa_id_1") && !d.contains("SECRET"), "{d}");
        let t = format!("{:?}", AccessToken::new("eyJ.TOKEN.x"));
        assert!(!t.contains("TOKEN"), "{t}");
    }

    #[test]
    fn margins_follow_the_lifetime() {
        let c = ClientCredentials::new("https://a/t", "i", "s").unwrap();
        assert_eq!(
            c.margin(Duration::from_secs(3600)),
            Duration::from_secs(300)
        );
        assert_eq!(c.margin(Duration::from_secs(600)), Duration::from_secs(60));
        assert_eq!(c.margin(Duration::from_secs(60)), Duration::from_secs(10));
        assert_eq!(c.margin(Duration::from_secs(8)), Duration::from_secs(4));
        let c = c.renew_before(Duration::from_secs(600));
        assert_eq!(
            c.margin(Duration::from_secs(3600)),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn urls_are_checked() {
        assert!(ClientCredentials::new("ftp://a/t", "i", "s").is_err());
        assert!(ClientCredentials::new("/relative", "i", "s").is_err());
        let e = ClientCredentials::new("https://a/t", "i", "s")
            .unwrap()
            .revoke_url("nope nope")
            .unwrap_err();
        assert!(e.to_string().contains("revocation"), "{e}");
    }
}
