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

//!
//! The per-request path does not hash from scratch: H(A2) comes from a [`Ha2Cache`], the blocks of
//! `H(A1) ":" nonce ":"` are absorbed once per nonce ([`nonce_prefix`]), and the state after
//! `nc ":" cnonce ":" qop ":"` ([`request_state`]) is finished twice, with H(A2) for the response and
//! with `rspauth`'s H(A2). [`response`] is the from-scratch form, kept as the reference in tests.

use crate::absorbed::Absorbed;
use crate::ha2_cache::Ha2Cache;
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

/// The state after `H(A1) ":" nonce ":"`, which every response and `rspauth` on the nonce continues.
pub(crate) fn nonce_prefix(algorithm: Algorithm, ha1: &Hex, nonce: &str) -> Absorbed {
    Absorbed::new(algorithm, &[ha1.as_bytes(), nonce.as_bytes()])
}

/// The state after `H(A1) ":" nonce ":" nc ":" cnonce ":" qop ":"` (RFC 2069, no qop: the nonce
/// prefix itself): the response and `rspauth` of one request differ only in the H(A2) that follows.
pub(crate) fn request_state(prefix: &Absorbed, qop: Option<QopInputs<'_>>) -> Absorbed {
    match qop {
        Some(q) => prefix.extended(&[q.nc, q.cnonce.as_bytes(), q.qop.as_str().as_bytes()]),
        None => prefix.clone(),
    }
}

/// H(A2) = H(method ":" uri), from `cache`; for `auth-int` H(method ":" uri ":" H(body)), computed.
pub(crate) fn ha2(
    cache: &Ha2Cache,
    algorithm: Algorithm,
    qop: Option<Qop>,
    method: &str,
    uri: &str,
    body: Option<&[u8]>,
) -> Hex {
    if qop == Some(Qop::AuthInt) {
        let hbody = hash_hex(algorithm, &[body.unwrap_or_default()]);
        hash_hex(
            algorithm,
            &[method.as_bytes(), uri.as_bytes(), hbody.as_bytes()],
        )
    } else {
        cache.get(algorithm, method, uri)
    }
}

/// The response (or `rspauth`) from a [`request_state`] and the H(A2) that ends it.
pub(crate) fn finish(state: &Absorbed, ha2: &Hex) -> Hex {
    state.finish(&[ha2.as_bytes()])
}

/// `response` (or, with an empty `method`, `rspauth`), from scratch: the reference the cached path
/// is tested against.
#[cfg(test)]
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
