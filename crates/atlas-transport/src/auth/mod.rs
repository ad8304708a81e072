//! Authentication: how a request proves who sends it.
//!
//! The request path (`request.rs`) knows one interface: an [`Authenticator`] (one per client,
//! shared by every request) starts an [`AuthRequest`] per logical request, which is asked for the
//! credentials of each attempt and told how each attempt ended. HTTP Digest ([`digest`]) is one
//! kind; [`Anonymous`] sends no credentials. Another kind (a bearer token from OAuth 2.0 client
//! credentials, say) is a new module with its own pair of types beside these, and a variant in
//! the client's `Auth`; the request path does not change. [`bearer`] is that second kind (a
//! fixed token, or one managed by the OAuth 2.0 token source in `oauth/source.rs`).
//!
//! A request's state is dropped when the request ends in any way, cancellation included: an
//! [`AuthRequest`] releases what it holds (a digest nc lease, a place in a queue) in `Drop`.

pub(crate) mod bearer;
pub(crate) mod digest;
mod header_buf;

use std::fmt;
use std::future::Future;

use bytes::Bytes;
use http::{HeaderValue, Response};

use crate::error::Error;
use crate::origin::Target;

/// The facts of one attempt an authenticator may sign.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttemptFacts<'a> {
    pub(crate) method: &'a str,
    /// The request-target: path and query.
    pub(crate) path_and_query: &'a str,
    pub(crate) body: &'a [u8],
}

/// How a request that was answered goes on, as its authentication sees it.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// The answer stands (whatever its status); the retry policy and the caller take it from here.
    Accept(Response<Bytes>),
    /// Send the request again at once with new credentials (a challenge was adopted, a nonce
    /// went stale). Not a retry in the sense of the retry policy.
    Resend,
}

/// An authentication kind: one value per client.
pub(crate) trait Authenticator: Send + Sync + fmt::Debug {
    /// The state of one logical request.
    type Request<'a>: AuthRequest + 'a
    where
        Self: 'a;

    /// Whether requests carry credentials (a `401` then counts as a challenge in the stats).
    const CREDENTIALED: bool;

    /// Starts a logical request to `target`. Fails, before anything is sent, for what must not
    /// be sent (credentials over plain `http://` to a host that is not loopback).
    fn begin<'a>(&'a self, target: &Target) -> Result<Self::Request<'a>, Error>;
}

/// What [`AuthRequest::credentials_now`] found.
#[derive(Debug)]
pub(crate) enum Ready {
    /// The credentials of the next attempt (`None`: send it without).
    Now(Option<HeaderValue>),
    /// They need a wait: ask [`AuthRequest::credentials`], bounded by the total deadline.
    Later,
}

/// The authentication of one logical request.
pub(crate) trait AuthRequest: Send {
    /// The credentials of the next attempt when they are at hand without waiting (the usual case:
    /// a static key pair with a nonce held), else [`Ready::Later`]. The request path asks this
    /// first, so that the common case builds, moves and polls no future and no timer; what it
    /// starts (a digest wait) is what [`AuthRequest::credentials`] then waits for.
    fn credentials_now(
        &mut self,
        _facts: &AttemptFacts<'_>,
        _target: &Target,
    ) -> Result<Ready, Error> {
        Ok(Ready::Later)
    }

    /// The `Authorization` value for the next attempt, or `None` to send it without. May wait
    /// (for a digest nc slot, or for another request's first challenge); the caller bounds the
    /// wait by the total deadline, and dropping the future gives up the wait.
    fn credentials(
        &mut self,
        facts: &AttemptFacts<'_>,
        target: &Target,
    ) -> impl Future<Output = Result<Option<HeaderValue>, Error>> + Send;

    /// The attempt was answered (any status).
    fn on_response(&mut self, response: Response<Bytes>, target: &Target)
    -> Result<Verdict, Error>;

    /// The attempt ended without an answer (a transport failure or a timeout).
    fn on_failure(&mut self);
}

/// No credentials at all.
#[derive(Debug, Default)]
pub(crate) struct Anonymous;

impl Authenticator for Anonymous {
    type Request<'a> = Anonymous;
    const CREDENTIALED: bool = false;

    fn begin(&self, _target: &Target) -> Result<Anonymous, Error> {
        Ok(Anonymous)
    }
}

impl AuthRequest for Anonymous {
    fn credentials_now(&mut self, _: &AttemptFacts<'_>, _: &Target) -> Result<Ready, Error> {
        Ok(Ready::Now(None))
    }

    async fn credentials(
        &mut self,
        _facts: &AttemptFacts<'_>,
        _target: &Target,
    ) -> Result<Option<HeaderValue>, Error> {
        Ok(None)
    }

    fn on_response(&mut self, response: Response<Bytes>, _: &Target) -> Result<Verdict, Error> {
        Ok(Verdict::Accept(response))
    }

    fn on_failure(&mut self) {}
}

/// A user name and a password; the password never shows in `Debug`.
#[derive(Clone)]
pub(crate) struct Secret {
    pub(crate) username: String,
    pub(crate) password: String,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"** redacted **")
            .finish()
    }
}

/// `reason` and `detail` of an Atlas API error body (`"Unauthorized: detail"` when both).
pub(crate) fn api_error_reason(body: &Bytes) -> Option<String> {
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

/// The error for a `401` that ends a request.
pub(crate) fn rejected(response: Response<Bytes>, target: &Target) -> Error {
    Error::AuthRejected {
        url: target.url(),
        reason: api_error_reason(response.body()),
        response: Box::new(response),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn secrets_are_redacted() {
        let s = Secret {
            username: "pub".into(),
            password: "very-private".into(),
        };
        let d = format!("{s:?}");
        assert!(d.contains("pub") && !d.contains("very-private"), "{d}");
    }
}
