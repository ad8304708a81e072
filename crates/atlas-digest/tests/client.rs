//! The client state machine: nonce reuse, stale, rejection, attempt bounds, nc overflow, mutual auth.

mod common;

use std::time::Duration;

use atlas_digest::{
    Algorithm, AuthInt, AuthenticationInfo, AuthorizationHeader, ClientConfig, Credentials,
    DigestClient, DigestError, DigestServer, InMemoryCredentials, Md5, NextNonce, Qop,
    RequestFacts, RequestState, Rfc2069, Rspauth, ServerConfig,
};
use common::{authz, cnonce, request, t0};

fn users() -> InMemoryCredentials {
    let mut u = InMemoryCredentials::new();
    u.insert("alice", "wonderland");
    u
}

fn server() -> DigestServer {
    DigestServer::new(ServerConfig::new("atlas"), [1; 32])
}

const CHALLENGE: &str =
    r#"Digest realm="r", qop="auth", algorithm=SHA-256, nonce="n1", opaque="o""#;
const CHALLENGE2: &str =
    r#"Digest realm="r", qop="auth", algorithm=SHA-256, nonce="n2", opaque="o""#;
const STALE2: &str =
    r#"Digest realm="r", qop="auth", algorithm=SHA-256, nonce="n2", opaque="o", stale=true"#;
const STALE3: &str =
    r#"Digest realm="r", qop="auth", algorithm=SHA-256, nonce="n3", opaque="o", stale=TRUE"#;

fn facts() -> RequestFacts<'static> {
    RequestFacts::new("GET", "/api/atlas/v1.0/groups?pretty=true")
}

fn parsed(v: &str) -> AuthorizationHeader {
    v.parse().unwrap()
}

#[test]
fn types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<DigestClient>();
    send_sync::<DigestServer>();
    send::<RequestState>();
}

#[test]
fn steady_state_costs_one_round_trip_and_nc_increments() {
    let (client, server, users) = (
        DigestClient::new(Credentials::new("alice", "wonderland")),
        server(),
        users(),
    );
    assert!(!client.has_nonce());
    let first = request(&client, &server, &users, &facts(), t0()).unwrap();
    assert_eq!(first.round_trips, 2);
    assert_eq!(first.state.nc(), Some(1));
    assert!(client.has_nonce());
    for expected_nc in 2..=5 {
        let next = request(&client, &server, &users, &facts(), t0()).unwrap();
        assert_eq!(next.round_trips, 1);
        assert_eq!(next.state.nc(), Some(expected_nc));
        assert_eq!(next.verified.nc, Some(expected_nc));
    }
}

#[test]
fn nc_is_eight_lowercase_hex_digits_starting_at_one() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    client.on_unauthorized(&mut st, [CHALLENGE]).unwrap();
    let v = authz(&client, &mut st, &facts(), "c").unwrap().unwrap();
    assert!(v.contains(", nc=00000001, "), "{v}");
    for _ in 0..9 {
        let mut st = client.start();
        authz(&client, &mut st, &facts(), "c").unwrap();
    }
    let mut st = client.start();
    let v = authz(&client, &mut st, &facts(), "c").unwrap().unwrap();
    assert!(v.contains(", nc=0000000b, "), "{v}");
}

#[test]
fn stale_true_retries_once_then_stops() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    assert_eq!(authz(&client, &mut st, &facts(), "a").unwrap(), None);
    client.on_unauthorized(&mut st, [CHALLENGE]).unwrap();
    assert!(authz(&client, &mut st, &facts(), "b").unwrap().is_some());
    // Fresh credentials answered with stale=true: one retry with the new nonce.
    client.on_unauthorized(&mut st, [STALE2]).unwrap();
    let v = authz(&client, &mut st, &facts(), "c").unwrap().unwrap();
    assert_eq!(parsed(&v).nonce, "n2");
    assert_eq!(parsed(&v).nc, Some(1));
    // A second stale answer ends the request.
    assert_eq!(
        client.on_unauthorized(&mut st, [STALE3]),
        Err(DigestError::AttemptsExhausted)
    );
}

#[test]
fn a_401_after_fresh_credentials_without_stale_is_rejected() {
    let client = DigestClient::new(Credentials::new("u", "wrong"));
    let mut st = client.start();
    authz(&client, &mut st, &facts(), "a").unwrap();
    client.on_unauthorized(&mut st, [CHALLENGE]).unwrap();
    authz(&client, &mut st, &facts(), "b").unwrap().unwrap();
    assert_eq!(
        client.on_unauthorized(&mut st, [CHALLENGE2]),
        Err(DigestError::Rejected)
    );
    // The rejected nonce is not kept for later requests.
    assert!(!client.has_nonce());
}

#[test]
fn a_401_to_a_cached_nonce_gets_one_fresh_attempt_even_without_stale() {
    // Servers that forget nonces (restart) answer a plain 401; the credentials may still be right.
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    authz(&client, &mut st, &facts(), "a").unwrap();
    client.on_unauthorized(&mut st, [CHALLENGE]).unwrap();
    authz(&client, &mut st, &facts(), "b").unwrap().unwrap();

    let mut st = client.start();
    let v = authz(&client, &mut st, &facts(), "c").unwrap().unwrap();
    assert_eq!(parsed(&v).nc, Some(2));
    client.on_unauthorized(&mut st, [CHALLENGE2]).unwrap();
    let v = authz(&client, &mut st, &facts(), "d").unwrap().unwrap();
    assert_eq!((parsed(&v).nonce.as_str(), parsed(&v).nc), ("n2", Some(1)));
    assert_eq!(
        client.on_unauthorized(&mut st, [CHALLENGE]),
        Err(DigestError::Rejected)
    );
}

#[test]
fn attempts_are_bounded_whatever_the_server_says() {
    // A hostile server: every answer is a 401 with a new nonce and stale=true.
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    let mut sent = 0;
    let result = loop {
        if authz(&client, &mut st, &facts(), &cnonce())
            .unwrap()
            .is_some()
        {
            sent += 1;
        }
        let challenge = format!(r#"Digest realm="r", qop=auth, nonce="n{sent}", stale=true"#);
        if let Err(e) = client.on_unauthorized(&mut st, [challenge.as_str()]) {
            break e;
        }
        assert!(sent < 10, "loop not bounded");
    };
    assert_eq!(result, DigestError::AttemptsExhausted);
    assert_eq!(sent, 2, "initial, after challenge, after one stale");
}

#[test]
fn nc_exhaustion_drops_the_nonce_and_asks_for_a_fresh_challenge() {
    let config = ClientConfig::default().with_max_nc(2);
    let (client, server, users) = (
        DigestClient::with_config(Credentials::new("alice", "wonderland"), config),
        server(),
        users(),
    );
    assert_eq!(
        request(&client, &server, &users, &facts(), t0())
            .unwrap()
            .round_trips,
        2
    );
    assert_eq!(
        request(&client, &server, &users, &facts(), t0())
            .unwrap()
            .state
            .nc(),
        Some(2)
    );
    // nc 3 would pass max_nc: the request goes without credentials, gets a new nonce, nc restarts at 1.
    let third = request(&client, &server, &users, &facts(), t0()).unwrap();
    assert_eq!(third.round_trips, 2);
    assert_eq!(third.state.nc(), Some(1));
}

#[test]
fn rspauth_is_verified_and_a_mismatch_is_an_error() {
    let (client, server, users) = (
        DigestClient::new(Credentials::new("alice", "wonderland")),
        server(),
        users(),
    );
    request(&client, &server, &users, &facts(), t0()).unwrap();
    let mut st = client.start();
    let a = authz(&client, &mut st, &facts(), "cn").unwrap().unwrap();
    let v = server.verify(&a, &facts(), t0(), &users).unwrap();
    let mut info: AuthenticationInfo = v.authentication_info().parse().unwrap();
    assert!(info.rspauth.is_some());
    client
        .on_authentication_info(&st, &v.authentication_info())
        .unwrap();

    // Flip one hex digit of rspauth.
    let good = info.rspauth.clone().unwrap();
    let flipped: String = good
        .char_indices()
        .map(|(i, c)| {
            if i == 5 {
                if c == '0' { '1' } else { '0' }
            } else {
                c
            }
        })
        .collect();
    info.rspauth = Some(flipped);
    assert_eq!(
        client.on_authentication_info(&st, &info.to_string()),
        Err(DigestError::RspauthMismatch)
    );
    // rspauth computed for another uri (a replayed Authentication-Info) fails too.
    let mut other = client.start();
    authz(
        &client,
        &mut other,
        &RequestFacts::new("GET", "/other"),
        "cn2",
    )
    .unwrap();
    assert_eq!(
        client.on_authentication_info(&other, &v.authentication_info()),
        Err(DigestError::RspauthMismatch)
    );
    // Uppercase hex from a server is accepted.
    info.rspauth = Some(good.to_ascii_uppercase());
    client
        .on_authentication_info(&st, &info.to_string())
        .unwrap();
    // An echoed cnonce that differs is reported.
    info.rspauth = Some(good);
    info.cnonce = Some("not-mine".into());
    assert_eq!(
        client.on_authentication_info(&st, &info.to_string()),
        Err(DigestError::AuthenticationInfoMismatch)
    );
}

#[test]
fn require_rspauth() {
    let config = ClientConfig::default().with_rspauth(Rspauth::Require);
    let client = DigestClient::with_config(Credentials::new("u", "p"), config);
    let mut st = client.start();
    client.on_unauthorized(&mut st, [CHALLENGE]).unwrap();
    authz(&client, &mut st, &facts(), "c").unwrap().unwrap();
    assert_eq!(
        client.on_authentication_info(&st, "nextnonce=\"x\""),
        Err(DigestError::RspauthMissing)
    );
    assert!(matches!(
        client.on_authentication_info(&st, "rspauth=\"unterminated"),
        Err(DigestError::Malformed(_))
    ));
}

#[test]
fn nextnonce_is_adopted_and_nc_restarts() {
    let server = DigestServer::new(
        ServerConfig::new("atlas").with_next_nonce(NextNonce::Always),
        [2; 32],
    );
    let (client, users) = (
        DigestClient::new(Credentials::new("alice", "wonderland")),
        users(),
    );
    let first = request(&client, &server, &users, &facts(), t0()).unwrap();
    let info: AuthenticationInfo = first.verified.authentication_info().parse().unwrap();
    let next = info.nextnonce.unwrap();
    assert_eq!(client.current_nonce().unwrap().1, next);
    let second = request(&client, &server, &users, &facts(), t0()).unwrap();
    assert_eq!(second.round_trips, 1);
    assert_eq!(second.state.nc(), Some(1));
}

#[test]
fn nextnonce_rolls_over_before_expiry_so_no_stale_round_trip() {
    let server = DigestServer::new(
        ServerConfig::new("atlas").with_nonce_lifetime(Duration::from_secs(60)),
        [3; 32],
    );
    let (client, users) = (
        DigestClient::new(Credentials::new("alice", "wonderland")),
        users(),
    );
    let mut now = t0();
    request(&client, &server, &users, &facts(), now).unwrap();
    for _ in 0..20 {
        now += Duration::from_secs(20);
        let r = request(&client, &server, &users, &facts(), now).unwrap();
        assert_eq!(r.round_trips, 1, "nextnonce at half-life avoids stale");
    }
}

#[test]
fn auth_int_only_challenge_needs_the_body() {
    let only_int = r#"Digest realm="r", qop="auth-int", nonce="n", algorithm=MD5"#;
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    authz(&client, &mut st, &facts(), "c").unwrap();
    assert!(matches!(
        client.on_unauthorized(&mut st, [only_int]),
        Err(DigestError::NoSupportedChallenge { .. })
    ));
    let mut st = client.start();
    let post = RequestFacts::new("POST", "/x").with_body(b"{\"a\":1}");
    authz(&client, &mut st, &post, "c").unwrap();
    client.on_unauthorized(&mut st, [only_int]).unwrap();
    let v = authz(&client, &mut st, &post, "c").unwrap().unwrap();
    assert_eq!(parsed(&v).qop, Some(Qop::AuthInt));
    // A later request of this client without a body cannot use that challenge: it goes without
    // credentials for a fresh challenge (issue 11, defect 6) instead of failing with BodyRequired
    // until invalidate(); here the server offers auth-int only again, a typed error for this
    // request alone, and the session stays for requests with a body.
    let mut st = client.start();
    assert_eq!(authz(&client, &mut st, &facts(), "c"), Ok(None));
    assert!(matches!(
        client.on_unauthorized(&mut st, [only_int]),
        Err(DigestError::NoSupportedChallenge { .. })
    ));
    assert!(client.has_nonce());
    let mut st = client.start();
    assert!(authz(&client, &mut st, &post, "c").unwrap().is_some());
    // If the fresh challenge offers auth, the bodiless request adopts it and goes on.
    let mut st = client.start();
    assert_eq!(authz(&client, &mut st, &facts(), "c"), Ok(None));
    client
        .on_unauthorized(
            &mut st,
            [r#"Digest realm="r", qop="auth", nonce="n2", algorithm=MD5"#],
        )
        .unwrap();
    assert!(authz(&client, &mut st, &facts(), "c").unwrap().is_some());
}

#[test]
fn auth_int_round_trip_with_the_server_and_rspauth_over_the_response_body() {
    let server = DigestServer::new(ServerConfig::new("atlas").with_qop([Qop::AuthInt]), [4; 32]);
    let users = users();
    let client = DigestClient::new(Credentials::new("alice", "wonderland"));
    let post = RequestFacts::new("POST", "/groups").with_body(b"{\"name\":\"x\"}");
    let done = request(&client, &server, &users, &post, t0()).unwrap();
    assert_eq!(done.verified.qop, Some(Qop::AuthInt));
    // rspauth covers the response body.
    let mut st = client.start();
    let a = authz(&client, &mut st, &post, "cn").unwrap().unwrap();
    let v = server.verify(&a, &post, t0(), &users).unwrap();
    let info = v.authentication_info_for_body(b"{\"id\":1}");
    client
        .on_authentication_info_with_body(&st, &info, Some(b"{\"id\":1}"))
        .unwrap();
    assert_eq!(
        client.on_authentication_info_with_body(&st, &info, Some(b"{\"id\":2}")),
        Err(DigestError::RspauthMismatch)
    );
    assert_eq!(
        client.on_authentication_info(&st, &info),
        Err(DigestError::BodyRequired)
    );
    // A tampered body fails verification on the server.
    let mut st = client.start();
    let a = authz(&client, &mut st, &post, "cn2").unwrap().unwrap();
    let tampered = RequestFacts::new("POST", "/groups").with_body(b"{\"name\":\"y\"}");
    assert!(server.verify(&a, &tampered, t0(), &users).is_err());
}

#[test]
fn prefer_auth_int_when_configured() {
    let both = r#"Digest realm="r", qop="auth,auth-int", nonce="n""#;
    let config = ClientConfig::default().with_auth_int(AuthInt::Preferred);
    let client = DigestClient::with_config(Credentials::new("u", "p"), config);
    let mut st = client.start();
    client.on_unauthorized(&mut st, [both]).unwrap();
    let body = RequestFacts::new("PUT", "/x").with_body(b"");
    let v = authz(&client, &mut st, &body, "c").unwrap().unwrap();
    assert_eq!(parsed(&v).qop, Some(Qop::AuthInt));
    let v = authz(&client, &mut st, &facts(), "c").unwrap().unwrap();
    assert_eq!(parsed(&v).qop, Some(Qop::Auth));
    // Default: auth even when the body is known.
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    client.on_unauthorized(&mut st, [both]).unwrap();
    let v = authz(&client, &mut st, &body, "c").unwrap().unwrap();
    assert_eq!(parsed(&v).qop, Some(Qop::Auth));
}

#[test]
fn auth_int_can_be_disabled() {
    let config = ClientConfig::default().with_auth_int(AuthInt::Never);
    let client = DigestClient::with_config(Credentials::new("u", "p"), config);
    let body = RequestFacts::new("POST", "/x").with_body(b"b");
    let mut st = client.start();
    authz(&client, &mut st, &body, "c").unwrap();
    assert!(matches!(
        client.on_unauthorized(&mut st, [r#"Digest realm="r", qop="auth-int", nonce="n""#]),
        Err(DigestError::NoSupportedChallenge { .. })
    ));
    let mut st = client.start();
    authz(&client, &mut st, &body, "c").unwrap();
    client
        .on_unauthorized(
            &mut st,
            [r#"Digest realm="r", qop="auth-int,auth", nonce="n""#],
        )
        .unwrap();
    let v = authz(&client, &mut st, &body, "c").unwrap().unwrap();
    assert_eq!(parsed(&v).qop, Some(Qop::Auth));
}

#[test]
fn never_falls_back_to_basic_and_lists_what_was_offered() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    let err = client
        .on_unauthorized(
            &mut st,
            [
                r#"Basic realm="r""#,
                r#"Digest realm="r", nonce="n", algorithm=SHA-1, qop=auth"#,
                r#"Digest realm="r", nonce="n", qop="auth-conf""#,
            ],
        )
        .unwrap_err();
    assert_eq!(
        err,
        DigestError::NoSupportedChallenge {
            offered: vec![
                "Basic".into(),
                "Digest algorithm=SHA-1".into(),
                "Digest algorithm=MD5 qop=unknown".into()
            ]
        }
    );
    assert!(err.to_string().contains("Basic"));
    assert!(!client.has_nonce());
    assert!(matches!(
        client.on_unauthorized(&mut client.start(), std::iter::empty::<&str>()),
        Err(DigestError::NoSupportedChallenge { .. })
    ));
}

#[test]
fn md5_can_be_refused() {
    let config = ClientConfig::default().with_md5(Md5::Refuse);
    let client = DigestClient::with_config(Credentials::new("u", "p"), config);
    let mut st = client.start();
    assert!(matches!(
        client.on_unauthorized(&mut st, [r#"Digest realm="r", nonce="n", qop=auth"#]),
        Err(DigestError::NoSupportedChallenge { .. })
    ));
    let mut st = client.start();
    client
        .on_unauthorized(
            &mut st,
            [r#"Digest realm="r", nonce="n", qop=auth, algorithm=MD5-sess, Digest realm="r", nonce="m", qop=auth, algorithm=SHA-256-sess"#],
        )
        .unwrap();
    assert_eq!(
        client.current_nonce(),
        Some((Algorithm::Sha256Sess, "m".into()))
    );
}

#[test]
fn rfc2069_mode_can_be_refused() {
    let config = ClientConfig::default().with_rfc2069(Rfc2069::Refuse);
    let client = DigestClient::with_config(Credentials::new("u", "p"), config);
    assert!(matches!(
        client.on_unauthorized(&mut client.start(), [r#"Digest realm="r", nonce="n""#]),
        Err(DigestError::NoSupportedChallenge { .. })
    ));
}

#[test]
fn malformed_values_are_skipped_when_another_value_is_usable() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    client
        .on_unauthorized(&mut st, ["Vendor \"broken", CHALLENGE])
        .unwrap();
    assert!(client.has_nonce());
    // Within one value, challenges before the broken one are kept.
    let client2 = DigestClient::new(Credentials::new("u", "p"));
    let joined = format!("{CHALLENGE2}, Vendor \"broken");
    client2
        .on_unauthorized(&mut client2.start(), [joined.as_str()])
        .unwrap();
    assert_eq!(client2.current_nonce().unwrap().1, "n2");
    let err = client
        .on_unauthorized(&mut client.start(), ["Digest realm=\"unterminated"])
        .unwrap_err();
    match err {
        DigestError::Malformed(e) => assert_eq!(e.offset(), 26),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn invalid_request_facts_and_cnonce_are_typed_errors() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    client.on_unauthorized(&mut st, [CHALLENGE]).unwrap();
    for facts in [
        RequestFacts::new("GET", "https://user@cloud.mongodb.com/api/atlas/v1.0"),
        RequestFacts::new("GET", "relative/path"),
        RequestFacts::new("GET", "/path#fragment"),
        RequestFacts::new("GET", ""),
        RequestFacts::new("GET", "/a b"),
        RequestFacts::new("GE T", "/"),
        RequestFacts::new("", "/"),
    ] {
        assert!(matches!(
            authz(&client, &mut st, &facts, "c"),
            Err(DigestError::InvalidInput(_))
        ));
    }
    assert!(matches!(
        authz(&client, &mut st, &facts(), ""),
        Err(DigestError::InvalidInput(_))
    ));
    assert!(matches!(
        authz(&client, &mut st, &facts(), "a\nb"),
        Err(DigestError::InvalidInput(_))
    ));
    // `*` and authority-form are request-targets too.
    authz(&client, &mut st, &RequestFacts::new("OPTIONS", "*"), "c")
        .unwrap()
        .unwrap();
    authz(
        &client,
        &mut st,
        &RequestFacts::new("CONNECT", "example.org:443"),
        "c",
    )
    .unwrap()
    .unwrap();
}

#[test]
fn invalidate_forgets_the_nonce() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    client
        .on_unauthorized(&mut client.start(), [CHALLENGE])
        .unwrap();
    assert!(client.has_nonce());
    client.invalidate();
    assert!(!client.has_nonce());
    assert_eq!(
        authz(&client, &mut client.start(), &facts(), "c").unwrap(),
        None
    );
}

#[test]
fn sess_algorithms_round_trip_with_the_server() {
    for alg in Algorithm::ALL {
        let server = DigestServer::new(ServerConfig::new("atlas").with_algorithms([alg]), [5; 32]);
        let client = DigestClient::new(Credentials::new("alice", "wonderland"));
        let done = request(&client, &server, &users(), &facts(), t0()).unwrap();
        assert_eq!(done.verified.algorithm, alg);
        assert_eq!(done.state.algorithm(), Some(alg));
        let again = request(&client, &server, &users(), &facts(), t0()).unwrap();
        assert_eq!(again.round_trips, 1);
    }
}
