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

/// [`request_state`] continuing a prefix the caller owns (one cached for the nonce), in place.
pub(crate) fn request_state_from(prefix: Absorbed, qop: Option<QopInputs<'_>>) -> Absorbed {
    match qop {
        Some(q) => prefix.extend(&[q.nc, q.cnonce.as_bytes(), q.qop.as_str().as_bytes()]),
        None => prefix,
    }
}

/// The request's H(A2) = H(method ":" uri) and its `rspauth`'s H(":" uri), both from one lookup in
/// `cache`; for `auth-int` the request's H(method ":" uri ":" H(body)), computed, and no `rspauth`
/// half (it covers the response body: [`ha2_int`] once that is known).
pub(crate) fn ha2(
    cache: &Ha2Cache,
    algorithm: Algorithm,
    qop: Option<Qop>,
    method: &str,
    uri: &str,
    body: Option<&[u8]>,
) -> (Hex, Option<Hex>) {
    if qop == Some(Qop::AuthInt) {
        (
            ha2_int(algorithm, method, uri, body.unwrap_or_default()),
            None,
        )
    } else {
        let pair = cache.get(algorithm, method, uri);
        (pair.request, Some(pair.rspauth))
    }
}

/// The `auth-int` H(A2): H(method ":" uri ":" H(body)) (an empty method for `rspauth`).
pub(crate) fn ha2_int(algorithm: Algorithm, method: &str, uri: &str, body: &[u8]) -> Hex {
    let hbody = hash_hex(algorithm, &[body]);
    hash_hex(
        algorithm,
        &[method.as_bytes(), uri.as_bytes(), hbody.as_bytes()],
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::absorbed::Absorbed;
    use md5::Md5;
    use proptest::prelude::*;
    use sha2::{Digest, Sha256, Sha512_256};

    /// An independent reference: the message joined with `format!`-style concatenation, hashed by
    /// the RustCrypto crates directly.
    fn naive(algorithm: Algorithm, parts: &[&[u8]]) -> String {
        let joined = parts.join(&b':');
        let digest: Vec<u8> = match algorithm.base() {
            Algorithm::Md5 => Md5::digest(&joined).to_vec(),
            Algorithm::Sha256 => Sha256::digest(&joined).to_vec(),
            _ => Sha512_256::digest(&joined).to_vec(),
        };
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("[ -~]{{0,{max}}}")).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The cached path (H(A2) from a small shared cache, the nonce prefix absorbed once, the
        /// request state finished twice) equals the from-scratch computation and an independent
        /// one, for the response and rspauth, across block boundaries (nonces and cnonces of any
        /// length), every algorithm, qop and -sess; and the cache stays within its bounds.
        #[test]
        fn cached_path_equals_from_scratch(
            alg in proptest::sample::select(Algorithm::ALL.to_vec()),
            qop in prop_oneof![Just(Some(Qop::Auth)), Just(Some(Qop::AuthInt)), Just(None)],
            user in text(20),
            password in text(20),
            nonce in text(140),
            requests in proptest::collection::vec(
                ("[A-Z]{1,8}", 0usize..4, text(40), 1u32..=u32::MAX, proptest::collection::vec(any::<u8>(), 0..70)),
                1..8,
            ),
            uris in proptest::collection::vec(text(150), 4),
        ) {
            let cache = Ha2Cache::new(2);
            let base = ha1_base(alg, &user, "realm", &password);
            prop_assert_eq!(base.as_str(), naive(alg, &[user.as_bytes(), b"realm", password.as_bytes()]));
            let mut prefixes: Vec<(String, Absorbed)> = Vec::new();
            for (method, u, cnonce, nc, body) in &requests {
                let uri = &uris[*u];
                let ha1 = session_ha1(alg, &base, &nonce, cnonce);
                let want_ha1 = if alg.is_session() {
                    naive(alg, &[base.as_bytes(), nonce.as_bytes(), cnonce.as_bytes()])
                } else {
                    base.as_str().to_owned()
                };
                prop_assert_eq!(ha1.as_str(), &want_ha1);
                // One prefix per H(A1), reused by later requests as a session would.
                let at = match prefixes.iter().position(|(h, _)| *h == want_ha1) {
                    Some(at) => at,
                    None => {
                        prefixes.push((want_ha1.clone(), nonce_prefix(alg, &ha1, &nonce)));
                        prefixes.len() - 1
                    }
                };
                let nc8 = crate::hash::nc_hex(*nc);
                let inputs = qop.map(|qop| QopInputs { qop, nc: &nc8, cnonce });
                let state = request_state(&prefixes[at].1, inputs);
                let (request_ha2, rspauth_ha2) = super::ha2(&cache, alg, qop, method, uri, Some(body));
                let rspauth_ha2 = rspauth_ha2
                    .unwrap_or_else(|| ha2_int(alg, "", uri, b"response body"));
                for (m, b, ha2) in [
                    (method.as_str(), body.as_slice(), request_ha2),
                    ("", &b"response body"[..], rspauth_ha2),
                ] {
                    let got = finish(&state, &ha2);
                    let scratch = response(alg, &ha1, &nonce, inputs, m, uri, Some(b));
                    let want_ha2 = if qop == Some(Qop::AuthInt) {
                        let hb = naive(alg, &[b]);
                        naive(alg, &[m.as_bytes(), uri.as_bytes(), hb.as_bytes()])
                    } else {
                        naive(alg, &[m.as_bytes(), uri.as_bytes()])
                    };
                    let want = match qop {
                        Some(q) => naive(alg, &[
                            want_ha1.as_bytes(), nonce.as_bytes(), &nc8, cnonce.as_bytes(),
                            q.as_str().as_bytes(), want_ha2.as_bytes(),
                        ]),
                        None => naive(alg, &[want_ha1.as_bytes(), nonce.as_bytes(), want_ha2.as_bytes()]),
                    };
                    prop_assert_eq!(got.as_str(), &want);
                    prop_assert_eq!(scratch.as_str(), &want);
                }
            }
            let (n, bytes) = cache.held();
            prop_assert!(n <= cache.capacity());
            prop_assert!(bytes <= cache.capacity() * crate::ha2_cache::MAX_INPUT);
        }
    }
}
