//! A successful verification and the `Authentication-Info` it allows.

use std::fmt;

use zeroize::Zeroize;

use crate::compute::{self, QopInputs};
use crate::hash::{Algorithm, Hex, Qop, nc_hex};
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

/// What `rspauth` needs: H(A1), and nonce, cnonce and uri in one buffer.
pub(crate) struct RspauthInputs {
    pub(crate) ha1: Hex,
    /// nonce ‖ cnonce ‖ uri.
    pub(crate) buf: String,
    pub(crate) nonce_len: usize,
    pub(crate) cnonce_len: usize,
    pub(crate) nextnonce: Option<String>,
}

impl Drop for RspauthInputs {
    fn drop(&mut self) {
        self.ha1.zeroize();
    }
}

impl RspauthInputs {
    fn nonce(&self) -> &str {
        self.buf.get(..self.nonce_len).unwrap_or_default()
    }

    fn cnonce(&self) -> &str {
        self.buf
            .get(self.nonce_len..self.nonce_len + self.cnonce_len)
            .unwrap_or_default()
    }

    fn uri(&self) -> &str {
        self.buf
            .get(self.nonce_len + self.cnonce_len..)
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
    /// The `Authentication-Info` value to send with the response: `rspauth` (mutual authentication),
    /// the echoed `qop`, `cnonce` and `nc`, and a `nextnonce` when the configuration asks for one.
    /// With qop `auth-int`, `rspauth` covers the response body: this is the value for an empty body,
    /// use [`Verified::authentication_info_for_body`] otherwise.
    ///
    /// Computed on demand (two hash calls): a server that sends no `Authentication-Info` pays nothing.
    pub fn authentication_info(&self) -> String {
        self.authentication_info_for_body(b"")
    }

    /// The `Authentication-Info` value for a response with this body (only differs from
    /// [`Verified::authentication_info`] when qop is `auth-int`, where `rspauth` covers the body).
    pub fn authentication_info_for_body(&self, response_body: &[u8]) -> String {
        let rsp = &self.rsp;
        let nc8 = nc_hex(self.nc.unwrap_or(0));
        let inputs = self.qop.map(|qop| QopInputs {
            qop,
            nc: &nc8,
            cnonce: rsp.cnonce(),
        });
        let rspauth = compute::response(
            self.algorithm,
            &rsp.ha1,
            rsp.nonce(),
            inputs,
            "",
            rsp.uri(),
            Some(response_body),
        );
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
