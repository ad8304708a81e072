//! A successful verification and the `Authentication-Info` it allows.

use std::fmt;

use crate::absorbed::Absorbed;
use crate::compute;
use crate::hash::{Algorithm, Hex, Qop, nc_hex};
use crate::parse::push_quoted;

/// A successful verification ([`crate::DigestServer::verify`]). `Debug` shows no secret; the H(A1)
/// it keeps for `rspauth` is zeroized on drop.
#[non_exhaustive]
pub struct Verified {
    /// The authenticated username (resolved from the `userhash` if one was sent).
    pub username: String,
    /// The algorithm used.
    pub algorithm: Algorithm,
    /// The qop used (`None`: RFC 2069 form).
    pub qop: Option<Qop>,
    /// The nonce count used.
    pub nc: Option<u32>,
    pub(crate) rsp: RspauthInputs,
    /// Whether the credentials carried an `opaque` parameter (even an empty one).
    pub(crate) opaque_sent: bool,
}

/// What `rspauth` needs: the hash state the verified response ended with up to H(A2) (wiped on
/// drop), `rspauth`'s H(A2) (found with the request's; `None` for `auth-int`, whose H(A2) covers
/// the response body), and cnonce and uri in one buffer.
pub(crate) struct RspauthInputs {
    pub(crate) state: Absorbed,
    pub(crate) ha2: Option<Hex>,
    /// cnonce ‖ uri ‖ nonce.
    pub(crate) buf: String,
    pub(crate) cnonce_len: usize,
    pub(crate) uri_len: usize,
    pub(crate) nextnonce: Option<String>,
}

impl RspauthInputs {
    fn cnonce(&self) -> &str {
        self.buf.get(..self.cnonce_len).unwrap_or_default()
    }

    fn uri(&self) -> &str {
        self.buf
            .get(self.cnonce_len..self.cnonce_len + self.uri_len)
            .unwrap_or_default()
    }

    fn nonce(&self) -> &str {
        self.buf
            .get(self.cnonce_len + self.uri_len..)
            .unwrap_or_default()
    }
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("username", &self.username)
            .field("algorithm", &self.algorithm)
            .field("qop", &self.qop)
            .field("nc", &self.nc)
            .field("nextnonce", &self.rsp.nextnonce.is_some())
            .finish_non_exhaustive()
    }
}

impl Verified {
    /// The nonce the credentials answered (for logs and journals: it is no secret, the server
    /// sent it).
    pub fn nonce(&self) -> &str {
        self.rsp.nonce()
    }

    /// Whether the credentials carried an `opaque` parameter (even an empty one). `verify` has
    /// checked its value against the configuration's [`crate::Opaque`] policy.
    pub fn opaque_sent(&self) -> bool {
        self.opaque_sent
    }

    /// The `Authentication-Info` value to send with the response: `rspauth` (mutual authentication),
    /// the echoed `qop`, `cnonce` and `nc`, and a `nextnonce` when the configuration asks for one.
    /// With qop `auth-int`, `rspauth` covers the response body: this is the value for an empty body,
    /// use [`Verified::authentication_info_for_body`] otherwise.
    ///
    /// Computed on demand (one hash finish from the state `verify` kept, with the H(A2) `verify`
    /// looked up beside the request's): a server that sends no `Authentication-Info` pays no
    /// finish for it.
    pub fn authentication_info(&self) -> String {
        self.authentication_info_for_body(b"")
    }

    /// The `Authentication-Info` value for a response with this body (only differs from
    /// [`Verified::authentication_info`] when qop is `auth-int`, where `rspauth` covers the body).
    pub fn authentication_info_for_body(&self, response_body: &[u8]) -> String {
        let rsp = &self.rsp;
        let ha2 = match &rsp.ha2 {
            Some(h) => *h,
            None => compute::ha2_int(self.algorithm, "", rsp.uri(), response_body),
        };
        let rspauth = compute::finish(&rsp.state, &ha2);
        // What `AuthenticationInfo`'s `Display` writes for these fields (qop, rspauth, cnonce, nc,
        // nextnonce), straight into one allocation.
        let cnonce = rsp.cnonce();
        let nextnonce = rsp.nextnonce.as_deref();
        let mut out = String::with_capacity(
            48 + rspauth.as_bytes().len()
                + 2 * cnonce.len()
                + nextnonce.map_or(0, |n| 16 + 2 * n.len()),
        );
        if let Some(q) = self.qop {
            out.push_str("qop=");
            out.push_str(q.as_str());
            out.push_str(", ");
        }
        out.push_str("rspauth=\"");
        out.push_str(rspauth.as_str());
        out.push('"');
        if self.qop.is_some() {
            out.push_str(", cnonce=");
            push_quoted(&mut out, cnonce);
            if let Some(nc) = self.nc {
                out.push_str(", nc=");
                out.push_str(std::str::from_utf8(&nc_hex(nc)).unwrap_or("00000000"));
            }
        }
        if let Some(n) = nextnonce {
            out.push_str(", nextnonce=");
            push_quoted(&mut out, n);
        }
        out
    }

    /// The `nextnonce` this verification hands out, if any.
    pub fn nextnonce(&self) -> Option<&str> {
        self.rsp.nextnonce.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use crate::header::AuthenticationInfo;
    use crate::{
        Credentials, DigestServer, InMemoryCredentials, NextNonce, Qop, RequestFacts, ServerConfig,
        Stale,
    };

    /// The value written by hand is the one `AuthenticationInfo`'s `Display` writes.
    #[test]
    fn authentication_info_is_what_display_writes() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
        for qop in [Some(Qop::Auth), Some(Qop::AuthInt), None] {
            for next in [NextNonce::Never, NextNonce::Always] {
                let config = ServerConfig::new("r")
                    .with_qop(qop.map(|q| vec![q]).unwrap_or_default())
                    .with_next_nonce(next);
                let server = DigestServer::new(config, [1; 32]);
                let mut users = InMemoryCredentials::new();
                users.insert("u", "p");
                let challenge = server.challenge_for(
                    crate::Algorithm::Md5,
                    server.new_nonce(now),
                    Stale::False,
                );
                let facts = RequestFacts::new("GET", "/x").with_body(b"b");
                let header = challenge
                    .respond(&Credentials::new("u", "p"), &facts, "c\"n\\o", 7)
                    .unwrap();
                let v = server.verify(&header, &facts, now, &users).unwrap();
                let got = v.authentication_info_for_body(b"body");
                let parsed: AuthenticationInfo = got.parse().unwrap();
                let want = AuthenticationInfo {
                    nextnonce: v.nextnonce().map(str::to_owned),
                    qop,
                    rspauth: parsed.rspauth.clone(),
                    cnonce: qop.map(|_| "c\"n\\o".to_owned()),
                    nc: qop.map(|_| 7),
                };
                assert_eq!(got, want.to_string(), "{qop:?} {next:?}");
                assert_eq!(parsed, want);
            }
        }
    }
}
