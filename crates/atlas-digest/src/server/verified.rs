//! A successful verification and the `Authentication-Info` it allows.

use std::fmt;
use std::sync::Arc;

use crate::absorbed::Absorbed;
use crate::compute;
use crate::ha2_cache::Ha2Cache;
use crate::hash::{Algorithm, Qop};
use crate::header::AuthenticationInfo;

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
}

/// What `rspauth` needs: the hash state the verified response ended with up to H(A2) (wiped on
/// drop), the server's H(A2) cache, and cnonce and uri in one buffer.
pub(crate) struct RspauthInputs {
    pub(crate) state: Absorbed,
    pub(crate) ha2: Arc<Ha2Cache>,
    /// cnonce ‖ uri.
    pub(crate) buf: String,
    pub(crate) cnonce_len: usize,
    pub(crate) nextnonce: Option<String>,
}

impl RspauthInputs {
    fn cnonce(&self) -> &str {
        self.buf.get(..self.cnonce_len).unwrap_or_default()
    }

    fn uri(&self) -> &str {
        self.buf.get(self.cnonce_len..).unwrap_or_default()
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
    /// The `Authentication-Info` value to send with the response: `rspauth` (mutual authentication),
    /// the echoed `qop`, `cnonce` and `nc`, and a `nextnonce` when the configuration asks for one.
    /// With qop `auth-int`, `rspauth` covers the response body: this is the value for an empty body,
    /// use [`Verified::authentication_info_for_body`] otherwise.
    ///
    /// Computed on demand (one hash finish from the state `verify` kept, H(A2) from the server's
    /// cache): a server that sends no `Authentication-Info` pays nothing.
    pub fn authentication_info(&self) -> String {
        self.authentication_info_for_body(b"")
    }

    /// The `Authentication-Info` value for a response with this body (only differs from
    /// [`Verified::authentication_info`] when qop is `auth-int`, where `rspauth` covers the body).
    pub fn authentication_info_for_body(&self, response_body: &[u8]) -> String {
        let rsp = &self.rsp;
        let ha2 = compute::ha2(
            &rsp.ha2,
            self.algorithm,
            self.qop,
            "",
            rsp.uri(),
            Some(response_body),
        );
        let rspauth = compute::finish(&rsp.state, &ha2);
        let info = AuthenticationInfo {
            nextnonce: rsp.nextnonce.clone(),
            qop: self.qop,
            rspauth: Some(rspauth.as_str().to_owned()),
            cnonce: self.qop.map(|_| rsp.cnonce().to_owned()),
            nc: self.qop.and(self.nc),
        };
        crate::header::to_string_sized(&info, 200)
    }

    /// The `nextnonce` this verification hands out, if any.
    pub fn nextnonce(&self) -> Option<&str> {
        self.rsp.nextnonce.as_deref()
    }
}
