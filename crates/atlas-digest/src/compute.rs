//! The Digest computations ([RFC 7616 section 3.4.1](https://www.rfc-editor.org/rfc/rfc7616#section-3.4.1)),
//! shared by the client, the fixed-cnonce entry point and the server.
//!
//! ```text
//! A1       = username ":" realm ":" password                (plain)
//! H(A1)    = H( H(username ":" realm ":" password) ":" nonce ":" cnonce )   (-sess)
//! A2       = method ":" request-uri                         (qop=auth or none)
//! A2       = method ":" request-uri ":" H(entity-body)      (qop=auth-int)
//! response = H( H(A1) ":" nonce ":" nc ":" cnonce ":" qop ":" H(A2) )
//! response = H( H(A1) ":" nonce ":" H(A2) )                 (RFC 2069, no qop)
//! rspauth  = the same with an empty method in A2            (RFC 7616 section 3.5)
//! ```

use crate::hash::{Algorithm, Hex, Qop, hash_hex};

/// H(username ":" realm ":" password), the H(A1) of the plain algorithms.
pub(crate) fn ha1_base(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> Hex {
    hash_hex(
        algorithm,
        &[username.as_bytes(), realm.as_bytes(), password.as_bytes()],
    )
}

/// The H(A1) to use for one request: `ha1_base` itself, or for `-sess` `H(ha1_base:nonce:cnonce)`.
///
/// This crate computes the `-sess` key with the cnonce of each request (what curl and Python requests do
/// and what servers that recompute per request expect), rather than freezing the first cnonce.
pub(crate) fn session_ha1(algorithm: Algorithm, base: &Hex, nonce: &str, cnonce: &str) -> Hex {
    if algorithm.is_session() {
        hash_hex(
            algorithm,
            &[base.as_bytes(), nonce.as_bytes(), cnonce.as_bytes()],
        )
    } else {
        *base
    }
}

/// The qop-dependent inputs of the response.
#[derive(Clone, Copy)]
pub(crate) struct QopInputs<'a> {
    pub(crate) qop: Qop,
    pub(crate) nc: &'a [u8; 8],
    pub(crate) cnonce: &'a str,
}

/// `response` (or, with an empty `method`, `rspauth`).
pub(crate) fn response(
    algorithm: Algorithm,
    ha1: &Hex,
    nonce: &str,
    qop: Option<QopInputs<'_>>,
    method: &str,
    uri: &str,
    body: Option<&[u8]>,
) -> Hex {
    let ha2 = if let Some(QopInputs {
        qop: Qop::AuthInt, ..
    }) = qop
    {
        let hbody = hash_hex(algorithm, &[body.unwrap_or_default()]);
        hash_hex(
            algorithm,
            &[method.as_bytes(), uri.as_bytes(), hbody.as_bytes()],
        )
    } else {
        hash_hex(algorithm, &[method.as_bytes(), uri.as_bytes()])
    };
    match qop {
        Some(q) => hash_hex(
            algorithm,
            &[
                ha1.as_bytes(),
                nonce.as_bytes(),
                q.nc,
                q.cnonce.as_bytes(),
                q.qop.as_str().as_bytes(),
                ha2.as_bytes(),
            ],
        ),
        None => hash_hex(
            algorithm,
            &[ha1.as_bytes(), nonce.as_bytes(), ha2.as_bytes()],
        ),
    }
}

/// `H(username ":" realm)`, the `userhash` form of the username (RFC 7616 section 3.4.4).
pub(crate) fn userhash(algorithm: Algorithm, username: &str, realm: &str) -> Hex {
    hash_hex(algorithm, &[username.as_bytes(), realm.as_bytes()])
}
