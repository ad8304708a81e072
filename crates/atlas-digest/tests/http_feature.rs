//! The `http` feature: helpers over `HeaderMap` / `HeaderValue` (enabled for tests by a
//! self dev-dependency, so a plain `cargo test` runs these).

mod common;

use atlas_digest::http::{
    AUTHENTICATION_INFO, challenges_from_headers, header_text, to_header_value,
};
use atlas_digest::{
    Credentials, DigestClient, DigestError, DigestServer, InMemoryCredentials, RequestFacts,
    ServerConfig, Stale, VerifyError,
};
use common::{authz, t0};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue};

#[test]
fn a_full_exchange_over_header_maps() {
    let server = DigestServer::new(ServerConfig::new("atlas"), [1; 32]);
    let mut users = InMemoryCredentials::new();
    users.insert("alice", "wonderland");
    let client = DigestClient::new(Credentials::new("alice", "wonderland"));
    let facts = RequestFacts::new("GET", "/x?y=1");

    let mut st = client.start();
    assert_eq!(authz(&client, &mut st, &facts, "c1").unwrap(), None);
    let mut response = HeaderMap::new();
    response.append(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"atlas\""),
    );
    for v in server.challenge_headers(t0(), Stale::False) {
        response.append(WWW_AUTHENTICATE, v);
    }
    assert_eq!(challenges_from_headers(&response).unwrap().len(), 3);
    client.on_unauthorized_headers(&mut st, &response).unwrap();

    let mut request = HeaderMap::new();
    request.insert(
        AUTHORIZATION,
        to_header_value(&authz(&client, &mut st, &facts, "c2").unwrap().unwrap()).unwrap(),
    );
    let verified = server
        .verify_headers(&request, &facts, t0(), &users)
        .unwrap();
    assert_eq!(verified.username, "alice");

    let mut ok = HeaderMap::new();
    ok.insert(
        &AUTHENTICATION_INFO,
        verified.authentication_info_header().unwrap(),
    );
    client.on_response_headers(&st, &ok).unwrap();
    // No Authentication-Info: nothing to check.
    client.on_response_headers(&st, &HeaderMap::new()).unwrap();
    assert_eq!(
        server
            .verify_headers(&HeaderMap::new(), &facts, t0(), &users)
            .map(|v| v.username),
        Err(VerifyError::Missing)
    );
}

#[test]
fn tampered_rspauth_in_headers_is_reported() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    let mut h = HeaderMap::new();
    h.insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Digest realm=\"r\", nonce=\"n\", qop=auth"),
    );
    client.on_unauthorized_headers(&mut st, &h).unwrap();
    authz(&client, &mut st, &RequestFacts::new("GET", "/"), "c")
        .unwrap()
        .unwrap();
    let mut ok = HeaderMap::new();
    ok.insert(
        &AUTHENTICATION_INFO,
        HeaderValue::from_static("rspauth=\"00000000000000000000000000000000\""),
    );
    assert_eq!(
        client.on_response_headers(&st, &ok),
        Err(DigestError::RspauthMismatch)
    );
}

#[test]
fn non_utf8_header_bytes_are_read_as_latin1() {
    let v = HeaderValue::from_bytes(b"Digest realm=\"caf\xe9\", nonce=\"n\"").unwrap();
    assert_eq!(header_text(&v), "Digest realm=\"café\", nonce=\"n\"");
    let mut h = HeaderMap::new();
    h.insert(WWW_AUTHENTICATE, v);
    let cs = challenges_from_headers(&h).unwrap();
    assert_eq!(cs[0].param("realm"), Some("café"));
    assert!(to_header_value("a\nb").is_err());
    assert!(to_header_value("Digest username=\"Jäsøn\"").is_ok());
}
