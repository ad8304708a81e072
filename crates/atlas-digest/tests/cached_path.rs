//! The per-request caches (H(A2), the absorbed `H(A1):nonce:` prefix, the request state kept for
//! `rspauth`) against an independent from-scratch computation, through the public API: a client
//! and a server exchange a sequence of requests over a small pool of URIs (so the caches hit, miss
//! and evict), and every `response` and `rspauth` on the wire is recomputed here from the header's
//! own fields and the password with the RustCrypto hashes directly.

mod common;

use atlas_digest::{
    Algorithm, AuthenticationInfo, AuthorizationHeader, Credentials, DigestClient, DigestServer,
    InMemoryCredentials, NextNonce, Qop, RequestFacts, ServerConfig, Stale, Userhash,
};
use common::{authz, cnonce, t0};
use md5::Md5;
use proptest::prelude::*;
use sha2::{Digest, Sha256, Sha512_256};

fn naive(algorithm: Algorithm, parts: &[&[u8]]) -> String {
    let joined = parts.join(&b':');
    let digest: Vec<u8> = match algorithm.base() {
        Algorithm::Md5 => Md5::digest(&joined).to_vec(),
        Algorithm::Sha256 => Sha256::digest(&joined).to_vec(),
        _ => Sha512_256::digest(&joined).to_vec(),
    };
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `response` (`method` = the request's) or `rspauth` (`method` empty) for the values `h` carries.
fn expected(
    h: &AuthorizationHeader,
    username: &str,
    password: &str,
    method: &str,
    body: &[u8],
) -> String {
    let alg = h.algorithm;
    let nonce = h.nonce.as_bytes();
    let mut ha1 = naive(
        alg,
        &[username.as_bytes(), h.realm.as_bytes(), password.as_bytes()],
    );
    if alg.is_session() {
        let c = h.cnonce.as_deref().unwrap_or_default();
        ha1 = naive(alg, &[ha1.as_bytes(), nonce, c.as_bytes()]);
    }
    let ha2 = if h.qop == Some(Qop::AuthInt) {
        let hb = naive(alg, &[body]);
        naive(alg, &[method.as_bytes(), h.uri.as_bytes(), hb.as_bytes()])
    } else {
        naive(alg, &[method.as_bytes(), h.uri.as_bytes()])
    };
    match h.qop {
        Some(q) => {
            let nc = format!("{:08x}", h.nc.unwrap_or(0));
            let c = h.cnonce.as_deref().unwrap_or_default();
            naive(
                alg,
                &[
                    ha1.as_bytes(),
                    nonce,
                    nc.as_bytes(),
                    c.as_bytes(),
                    q.as_str().as_bytes(),
                    ha2.as_bytes(),
                ],
            )
        }
        None => naive(alg, &[ha1.as_bytes(), nonce, ha2.as_bytes()]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_response_and_rspauth_equals_the_from_scratch_value(
        alg in proptest::sample::select(Algorithm::ALL.to_vec()),
        qop in prop_oneof![Just(Some(Qop::Auth)), Just(Some(Qop::AuthInt)), Just(None)],
        userhash in any::<bool>(),
        renew in any::<bool>(),
        username in "[ -~]{1,12}",
        password in "[ -~]{0,16}",
        uris in proptest::collection::vec("/[!-\"$-~]{0,120}", 1..24),
        sequence in proptest::collection::vec(
            (0usize..24, proptest::sample::select(vec!["GET", "POST", "DELETE"])),
            2..24,
        ),
        body in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let alg = if qop.is_none() { alg.base() } else { alg };
        let config = ServerConfig::new("cache@example.org")
            .with_algorithms([alg])
            .with_qop(qop.map(|q| vec![q]).unwrap_or_default())
            .with_userhash(if userhash { Userhash::Offered } else { Userhash::Off })
            .with_next_nonce(if renew { NextNonce::Always } else { NextNonce::Never });
        let server = DigestServer::new(config, [7; 32]);
        let mut users = InMemoryCredentials::new();
        users.insert(username.clone(), password.clone());
        let client = DigestClient::new(Credentials::new(username.clone(), password.clone()));
        for (i, method) in &sequence {
            let uri = &uris[i % uris.len()];
            let mut facts = RequestFacts::new(method, uri);
            if qop == Some(Qop::AuthInt) {
                facts = facts.with_body(&body);
            }
            let mut st = client.start();
            let mut trips = 0;
            loop {
                trips += 1;
                prop_assert!(trips <= 3, "request {method} {uri} looped");
                let Some(header) = authz(&client, &mut st, &facts, &cnonce()).unwrap() else {
                    let c = server.challenges(t0(), Stale::False);
                    client.on_unauthorized(&mut st, c.iter().map(String::as_str)).unwrap();
                    continue;
                };
                let h: AuthorizationHeader = header.parse().unwrap();
                prop_assert_eq!(&h.response, &expected(&h, &username, &password, method, &body));
                let verified = match server.verify(&header, &facts, t0(), &users) {
                    Ok(v) => v,
                    Err(e) => {
                        let c = server.challenges(t0(), e.stale());
                        client.on_unauthorized(&mut st, c.iter().map(String::as_str)).unwrap();
                        continue;
                    }
                };
                let response_body = b"{\"ok\":true}";
                let info = verified.authentication_info_for_body(response_body);
                let parsed: AuthenticationInfo = info.parse().unwrap();
                let want = expected(&h, &username, &password, "", response_body);
                prop_assert_eq!(parsed.rspauth.as_deref(), Some(want.as_str()));
                let body_seen = (qop == Some(Qop::AuthInt)).then_some(&response_body[..]);
                client.on_authentication_info_with_body(&st, &info, body_seen).unwrap();
                break;
            }
        }
    }
}
