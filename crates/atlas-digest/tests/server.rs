//! The server: nonces, verification failures, replay window, bounded memory, stale, stored H(A1).

mod common;

use std::time::Duration;

use atlas_digest::{
    Algorithm, AuthenticationInfo, AuthorizationHeader, Charset, ClientConfig, CredentialStore,
    Credentials, DigestChallenge, DigestClient, DigestServer, InMemoryCredentials, NonceScope, Qop,
    RequestFacts, ServerConfig, Stale, StoredSecret, Userhash, VerifyError, parse_challenges,
};
use common::{authz, request, t0};

const SECRET: [u8; 32] = [9; 32];

fn users() -> InMemoryCredentials {
    let mut u = InMemoryCredentials::new();
    u.insert("alice", "wonderland");
    u
}

fn facts() -> RequestFacts<'static> {
    RequestFacts::new(
        "GET",
        "/api/atlas/v1.0/groups/5e2211c17a3e5a48f5497de3?pretty=true",
    )
}

/// The challenge the server offers for `alg`, answered with `nc` and `cnonce` (deterministic).
fn answer(
    server: &DigestServer,
    alg: Algorithm,
    user: &str,
    pass: &str,
    nc: u32,
    cnonce: &str,
) -> String {
    let nonce = server.new_nonce(t0());
    let c = server.challenge_for(alg, nonce, Stale::False);
    c.respond(&Credentials::new(user, pass), &facts(), cnonce, nc)
        .unwrap()
}

fn with_nonce(server: &DigestServer, nonce: &str, nc: u32, cnonce: &str) -> String {
    let c = server.challenge_for(Algorithm::Sha256, nonce.to_owned(), Stale::False);
    c.respond(
        &Credentials::new("alice", "wonderland"),
        &facts(),
        cnonce,
        nc,
    )
    .unwrap()
}

#[test]
fn challenges_one_per_algorithm_strongest_first() {
    let server = DigestServer::new(
        ServerConfig::new("atlas")
            .with_algorithms([
                Algorithm::Md5,
                Algorithm::Sha512_256,
                Algorithm::Sha256,
                Algorithm::Md5,
            ])
            .with_qop([Qop::Auth, Qop::AuthInt])
            .with_userhash(Userhash::Offered)
            .with_domain("/api"),
        SECRET,
    );
    let values = server.challenges(t0(), Stale::False);
    assert_eq!(values.len(), 3);
    let parsed: Vec<DigestChallenge> = values.iter().map(|v| v.parse().unwrap()).collect();
    let algs: Vec<Algorithm> = parsed.iter().map(|c| c.algorithm).collect();
    assert_eq!(
        algs,
        [Algorithm::Sha512_256, Algorithm::Sha256, Algorithm::Md5]
    );
    for c in &parsed {
        assert_eq!(c.realm, "atlas");
        assert_eq!(c.qop.as_deref(), Some(&[Qop::Auth, Qop::AuthInt][..]));
        assert!(c.userhash && c.charset_utf8 && !c.stale);
        assert_eq!(c.domain.as_deref(), Some("/api"));
        assert!(c.opaque.is_some());
    }
    assert!(
        values[0].contains("algorithm=SHA-512-256,"),
        "{}",
        values[0]
    );
    let stale = server.challenges(t0(), Stale::True);
    assert!(stale.iter().all(|v| v.ends_with(", stale=true")));
    // Every value parses as a list too, and nonces differ between calls.
    assert_eq!(
        parse_challenges(values.iter().map(String::as_str))
            .unwrap()
            .len(),
        3
    );
    let again: DigestChallenge = server.challenges(t0(), Stale::False)[0].parse().unwrap();
    assert_ne!(again.nonce, parsed[0].nonce);
}

#[test]
fn authentication_info_carries_rspauth_qop_nc_cnonce() {
    let server = DigestServer::new(ServerConfig::new("atlas"), SECRET);
    let a = answer(&server, Algorithm::Sha256, "alice", "wonderland", 7, "abc");
    let v = server.verify(&a, &facts(), t0(), &users()).unwrap();
    assert_eq!(v.username, "alice");
    assert_eq!(
        (v.algorithm, v.qop, v.nc),
        (Algorithm::Sha256, Some(Qop::Auth), Some(7))
    );
    let info: AuthenticationInfo = v.authentication_info().parse().unwrap();
    assert_eq!(info.qop, Some(Qop::Auth));
    assert_eq!(info.nc, Some(7));
    assert_eq!(info.cnonce.as_deref(), Some("abc"));
    assert_eq!(info.rspauth.as_ref().map(String::len), Some(64));
    assert_eq!(info.nextnonce, None, "fresh nonce: no nextnonce yet");
}

#[test]
fn each_failure_has_its_own_error() {
    let server = DigestServer::new(ServerConfig::new("atlas"), SECRET);
    let users = users();
    let ok = answer(&server, Algorithm::Sha256, "alice", "wonderland", 1, "c");
    let verify = |a: &str| server.verify(a, &facts(), t0(), &users).map(|v| v.username);
    assert_eq!(verify(&ok), Ok("alice".to_owned()));

    assert_eq!(
        verify(&answer(
            &server,
            Algorithm::Sha256,
            "alice",
            "wrong",
            1,
            "c"
        )),
        Err(VerifyError::WrongResponse)
    );
    assert_eq!(
        verify(&answer(
            &server,
            Algorithm::Sha256,
            "bob",
            "wonderland",
            1,
            "c"
        )),
        Err(VerifyError::UnknownUser)
    );
    assert_eq!(
        verify(&answer(
            &server,
            Algorithm::Sha512_256,
            "alice",
            "wonderland",
            1,
            "c"
        )),
        Err(VerifyError::AlgorithmNotOffered)
    );
    assert!(matches!(
        verify("Digest username=\"alice\""),
        Err(VerifyError::Malformed(_))
    ));
    assert!(matches!(
        verify("Basic YWxpY2U6d29uZGVybGFuZA=="),
        Err(VerifyError::Malformed(_))
    ));
    assert!(matches!(verify(""), Err(VerifyError::Malformed(_))));

    let mut h: AuthorizationHeader = ok.parse().unwrap();
    let edit = |f: &dyn Fn(&mut AuthorizationHeader)| {
        let mut h2 = h.clone();
        f(&mut h2);
        verify(&h2.to_string())
    };
    assert_eq!(
        edit(&|h| h.realm = "other".into()),
        Err(VerifyError::RealmMismatch)
    );
    assert_eq!(
        edit(&|h| h.uri = "/api/other".into()),
        Err(VerifyError::UriMismatch)
    );
    assert_eq!(edit(&|h| h.opaque = None), Err(VerifyError::OpaqueMismatch));
    assert_eq!(
        edit(&|h| h.opaque = Some("x".into())),
        Err(VerifyError::OpaqueMismatch)
    );
    assert_eq!(
        edit(&|h| h.qop = Some(Qop::AuthInt)),
        Err(VerifyError::QopNotOffered)
    );
    assert_eq!(
        edit(&|h| {
            h.qop = None;
            h.nc = None;
            h.cnonce = None;
        }),
        Err(VerifyError::QopNotOffered)
    );
    assert_eq!(
        edit(&|h| h.userhash = true),
        Err(VerifyError::UserhashNotOffered)
    );
    assert_eq!(
        edit(&|h| h.nonce = "AAAA".into()),
        Err(VerifyError::BadNonce)
    );
    assert_eq!(
        edit(&|h| h.nonce = "not base64!".into()),
        Err(VerifyError::BadNonce)
    );
    // A nonce of another server (other secret) is never accepted: its tag is not this instance's, so
    // it cannot be authenticated here; right credentials over it are answered stale (the client
    // retries at once with a nonce of ours), wrong ones (here: computed over another nonce) are wrong.
    let other = DigestServer::new(ServerConfig::new("atlas"), [8; 32]);
    let foreign = other.new_nonce(t0());
    assert_eq!(
        edit(&|h| h.nonce = foreign.clone()),
        Err(VerifyError::WrongResponse)
    );
    let over_foreign = with_nonce(&server, &foreign, 1, "c");
    assert_eq!(verify(&over_foreign), Err(VerifyError::Stale));
    // A nonce that carries this instance's tag but a wrong MAC is not ours.
    let mut forged = server.new_nonce(t0()).into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_eq!(
        verify(&with_nonce(&server, &forged, 1, "c")),
        Err(VerifyError::BadNonce)
    );
    // Tampering with the nonce's time breaks its MAC.
    let mut raw = h.nonce.clone().into_bytes();
    raw[3] = if raw[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(raw).unwrap();
    assert_eq!(
        edit(&|h| h.nonce = tampered.clone()),
        Err(VerifyError::BadNonce)
    );
    // The request facts must match what was signed.
    assert_eq!(
        server
            .verify(&ok, &RequestFacts::new("GET", "/api/other"), t0(), &users)
            .map(|v| v.username),
        Err(VerifyError::UriMismatch)
    );
    h.response = "0".repeat(64);
    assert_eq!(verify(&h.to_string()), Err(VerifyError::WrongResponse));
    let post = server.verify(&ok, &RequestFacts::new("POST", facts().uri), t0(), &users);
    assert_eq!(post.map(|v| v.username), Err(VerifyError::WrongResponse));
}

#[test]
fn replay_window_accepts_out_of_order_once_and_rejects_replays() {
    let server = DigestServer::new(ServerConfig::new("atlas").with_replay_window(4), SECRET);
    let users = users();
    let nonce = server.new_nonce(t0());
    let verify = |nc: u32| {
        server
            .verify(
                &with_nonce(&server, &nonce, nc, &format!("c{nc}")),
                &facts(),
                t0(),
                &users,
            )
            .map(|v| v.nc)
    };
    assert_eq!(verify(1), Ok(Some(1)));
    assert_eq!(verify(1), Err(VerifyError::Replay));
    assert_eq!(verify(5), Ok(Some(5)));
    // 2, 3 and 4 overtook by 5: accepted once each.
    assert_eq!(verify(3), Ok(Some(3)));
    assert_eq!(verify(2), Ok(Some(2)));
    assert_eq!(verify(3), Err(VerifyError::Replay));
    assert_eq!(verify(5), Err(VerifyError::Replay));
    // Jump ahead: 9 - 4 + 1 = 6 is at the window edge, 5 and below are too old: stale (the client
    // retries with a fresh nonce), never accepted and never a hard failure.
    assert_eq!(verify(9), Ok(Some(9)));
    assert_eq!(verify(5), Err(VerifyError::Stale));
    assert_eq!(verify(4), Err(VerifyError::Stale));
    assert_eq!(verify(6), Ok(Some(6)));
    assert_eq!(verify(6), Err(VerifyError::Replay));
    assert_eq!(verify(1000), Ok(Some(1000)));
    assert_eq!(verify(999), Ok(Some(999)));
    assert_eq!(verify(9), Err(VerifyError::Stale));
    // The same request again (captured and replayed byte for byte) is rejected.
    let captured = with_nonce(&server, &nonce, 1001, "x");
    assert!(server.verify(&captured, &facts(), t0(), &users).is_ok());
    assert_eq!(
        server
            .verify(&captured, &facts(), t0(), &users)
            .map(|v| v.nc),
        Err(VerifyError::Replay)
    );
}

#[test]
fn replay_memory_is_bounded_and_evicted_nonces_are_never_accepted_twice() {
    let server = DigestServer::new(
        ServerConfig::new("atlas").with_max_tracked_nonces(4),
        SECRET,
    );
    let users = users();
    let mut captured = Vec::new();
    for i in 0..20 {
        let nonce = server.new_nonce(t0() + Duration::from_millis(i));
        let a = with_nonce(&server, &nonce, 1, "c");
        assert!(
            server
                .verify(&a, &facts(), t0() + Duration::from_secs(1), &users)
                .is_ok()
        );
        captured.push(a);
        assert!(server.tracked_nonces() <= 4);
    }
    assert_eq!(server.tracked_nonces(), 4);
    // Replaying any of them fails: the tracked ones as replays, the evicted ones as stale.
    for (i, a) in captured.iter().enumerate() {
        let err = server
            .verify(a, &facts(), t0() + Duration::from_secs(1), &users)
            .map(|v| v.username)
            .unwrap_err();
        if i < 16 {
            assert_eq!(err, VerifyError::Stale, "evicted #{i}");
        } else {
            assert_eq!(err, VerifyError::Replay, "tracked #{i}");
        }
    }
}

#[test]
fn expired_nonces_are_stale_only_for_correct_credentials() {
    let server = DigestServer::new(
        ServerConfig::new("atlas").with_nonce_lifetime(Duration::from_secs(60)),
        SECRET,
    );
    let users = users();
    let good = answer(&server, Algorithm::Sha256, "alice", "wonderland", 1, "c");
    let bad = answer(&server, Algorithm::Sha256, "alice", "nope", 1, "c");
    assert!(
        server
            .verify(&good, &facts(), t0() + Duration::from_secs(60), &users)
            .is_ok()
    );
    let later = t0() + Duration::from_secs(61);
    let good2 = with_nonce(
        &server,
        &good.parse::<AuthorizationHeader>().unwrap().nonce,
        2,
        "c",
    );
    let err = server
        .verify(&good2, &facts(), later, &users)
        .map(|v| v.username)
        .unwrap_err();
    assert!(err.is_stale());
    assert_eq!(
        server
            .verify(&bad, &facts(), later, &users)
            .map(|v| v.username),
        Err(VerifyError::WrongResponse)
    );
}

#[test]
fn a_client_recovers_from_expiry_through_stale() {
    let server = DigestServer::new(
        ServerConfig::new("atlas")
            .with_nonce_lifetime(Duration::from_secs(60))
            .with_next_nonce(atlas_digest::NextNonce::Never),
        SECRET,
    );
    let users = users();
    let client = DigestClient::new(Credentials::new("alice", "wonderland"));
    request(&client, &server, &users, &facts(), t0()).unwrap();
    let r = request(
        &client,
        &server,
        &users,
        &facts(),
        t0() + Duration::from_secs(120),
    )
    .unwrap();
    assert_eq!(r.round_trips, 2, "stale, then the new nonce");
    assert_eq!(r.state.nc(), Some(1));
}

#[test]
fn nonces_from_before_a_restart_are_stale() {
    let users = users();
    let old = DigestServer::new(ServerConfig::new("atlas"), SECRET);
    let a = answer(&old, Algorithm::Sha256, "alice", "wonderland", 1, "c");
    assert!(old.verify(&a, &facts(), t0(), &users).is_ok());
    // Same secret, new process: the captured request cannot be replayed.
    let new = DigestServer::new(ServerConfig::new("atlas"), SECRET);
    let later = t0() + Duration::from_secs(5);
    new.challenges(later, Stale::False);
    assert_eq!(
        new.verify(&a, &facts(), later, &users).map(|v| v.username),
        Err(VerifyError::Stale)
    );
    // Servers that accept every instance's nonces accept each other's.
    let lenient = || {
        DigestServer::new(
            ServerConfig::new("atlas").with_nonce_scope(NonceScope::Secret),
            SECRET,
        )
    };
    let first = lenient();
    let a = answer(&first, Algorithm::Sha256, "alice", "wonderland", 1, "c");
    let second = lenient();
    second.challenges(later, Stale::False);
    assert!(second.verify(&a, &facts(), later, &users).is_ok());
    // ... but not those of a strict instance, nor the other way round (stale: retry at once).
    let b = answer(&new, Algorithm::Sha256, "alice", "wonderland", 1, "c");
    assert_eq!(
        second
            .verify(&b, &facts(), later, &users)
            .map(|v| v.username),
        Err(VerifyError::Stale)
    );
    let c = answer(&second, Algorithm::Sha256, "alice", "wonderland", 2, "c");
    assert_eq!(
        new.verify(&c, &facts(), later, &users).map(|v| v.username),
        Err(VerifyError::Stale)
    );
}

#[test]
fn stored_ha1_htdigest_style() {
    // htdigest stores MD5(user:realm:password).
    let server = DigestServer::new(
        ServerConfig::new("testrealm@host.com")
            .with_algorithms([Algorithm::Md5, Algorithm::Md5Sess]),
        SECRET,
    );
    let mut store = InMemoryCredentials::new();
    // MD5("Mufasa:testrealm@host.com:Circle Of Life"), from RFC 2617 section 3.5's computation.
    store.insert_ha1("Mufasa", Algorithm::Md5, "939E7578ED9E3C518A452ACEE763BCE9");
    let client = DigestClient::new(Credentials::new("Mufasa", "Circle Of Life"));
    let facts = RequestFacts::new("GET", "/dir/index.html");
    for alg in [Algorithm::Md5, Algorithm::Md5Sess] {
        let c = server.challenge_for(alg, server.new_nonce(t0()), Stale::False);
        let a = c
            .respond(client.credentials(), &facts, "0a4f113b", 1)
            .unwrap();
        assert_eq!(
            server.verify(&a, &facts, t0(), &store).unwrap().username,
            "Mufasa"
        );
    }
    // An MD5 H(A1) cannot serve a SHA-256 request; garbage hex is reported too.
    let sha = DigestServer::new(ServerConfig::new("testrealm@host.com"), SECRET);
    let c = sha.challenge_for(Algorithm::Sha256, sha.new_nonce(t0()), Stale::False);
    let a = c.respond(client.credentials(), &facts, "x", 1).unwrap();
    assert_eq!(
        sha.verify(&a, &facts, t0(), &store).map(|v| v.username),
        Err(VerifyError::StoredSecretMismatch)
    );
    let mut bad = InMemoryCredentials::new();
    bad.insert_ha1("Mufasa", Algorithm::Sha256, "zz");
    assert_eq!(
        sha.verify(&a, &facts, t0(), &bad).map(|v| v.username),
        Err(VerifyError::StoredSecretMismatch)
    );
}

#[test]
fn userhash_is_resolved_by_the_store() {
    let server = DigestServer::new(
        ServerConfig::new("api@example.org").with_userhash(Userhash::Offered),
        SECRET,
    );
    let mut users = InMemoryCredentials::new();
    users.insert("J\u{e4}s\u{f8}n Doe", "Secret, or not?");
    users.insert("alice", "x");
    let client = DigestClient::new(Credentials::new("J\u{e4}s\u{f8}n Doe", "Secret, or not?"));
    let done = request(&client, &server, &users, &facts(), t0()).unwrap();
    assert_eq!(done.verified.username, "J\u{e4}s\u{f8}n Doe");

    // A store without userhash support answers UnknownUser.
    struct Plain(InMemoryCredentials);
    impl CredentialStore for Plain {
        fn lookup(&self, username: &str, realm: &str) -> Option<StoredSecret> {
            self.0.lookup(username, realm)
        }
    }
    let mut st = client.start();
    let a = authz(&client, &mut st, &facts(), "c").unwrap().unwrap();
    assert!(a.contains("userhash=true"));
    assert!(!a.contains("J\u{e4}s"));
    assert_eq!(
        server
            .verify(&a, &facts(), t0(), &Plain(users))
            .map(|v| v.username),
        Err(VerifyError::UnknownUser)
    );
}

#[test]
fn rfc2069_mode_server() {
    let server = DigestServer::new(
        ServerConfig::new("legacy")
            .with_qop(Vec::new())
            .with_algorithms([Algorithm::Md5]),
        SECRET,
    );
    let c: DigestChallenge = server.challenges(t0(), Stale::False)[0].parse().unwrap();
    assert_eq!(c.qop, None);
    let client = DigestClient::new(Credentials::new("alice", "wonderland"));
    let done = request(&client, &server, &users(), &facts(), t0()).unwrap();
    assert_eq!(done.verified.qop, None);
    assert_eq!(done.verified.nc, None);
    let info: AuthenticationInfo = done.verified.authentication_info().parse().unwrap();
    assert!(info.rspauth.is_some() && info.nc.is_none() && info.cnonce.is_none());
    // qop from a client is refused when only RFC 2069 is offered.
    let rfc7616 = server.challenge_for(Algorithm::Md5, server.new_nonce(t0()), Stale::False);
    let mut with_qop = rfc7616.clone();
    with_qop.qop = Some(vec![Qop::Auth]);
    let a = with_qop
        .respond(&Credentials::new("alice", "wonderland"), &facts(), "c", 1)
        .unwrap();
    assert_eq!(
        server
            .verify(&a, &facts(), t0(), &users())
            .map(|v| v.username),
        Err(VerifyError::QopNotOffered)
    );
}

#[test]
fn auth_int_without_the_body_is_a_typed_error() {
    let server = DigestServer::new(ServerConfig::new("atlas").with_qop([Qop::AuthInt]), SECRET);
    let c = server.challenge_for(Algorithm::Sha256, server.new_nonce(t0()), Stale::False);
    let body = RequestFacts::new("POST", "/x").with_body(b"abc");
    let a = c
        .respond(&Credentials::new("alice", "wonderland"), &body, "c", 1)
        .unwrap();
    assert_eq!(
        server
            .verify(&a, &RequestFacts::new("POST", "/x"), t0(), &users())
            .map(|v| v.username),
        Err(VerifyError::BodyRequired)
    );
    assert!(server.verify(&a, &body, t0(), &users()).is_ok());
}

#[test]
fn non_ascii_credentials_without_charset_use_raw_utf8() {
    // A server that does not announce charset=UTF-8: the client sends the UTF-8 username in the quoted
    // string (what non-RFC-7616 servers compare), and this server accepts it.
    let server = DigestServer::new(
        ServerConfig::new("atlas").with_charset(Charset::Omit),
        SECRET,
    );
    let mut users = InMemoryCredentials::new();
    users.insert("Дмитрий", "пароль");
    let client = DigestClient::with_config(
        Credentials::new("Дмитрий", "пароль"),
        ClientConfig::default(),
    );
    let done = request(&client, &server, &users, &facts(), t0()).unwrap();
    assert_eq!(done.verified.username, "Дмитрий");
    let mut st = client.start();
    let a = authz(&client, &mut st, &facts(), "c").unwrap().unwrap();
    assert!(a.starts_with("Digest username=\"Дмитрий\""), "{a}");
}

#[test]
fn replay_tracking_survives_a_clock_that_steps_back() {
    // Eviction order follows the issue counter, not the wall clock: after the clock steps back, new
    // nonces are still accepted once and rejected when replayed.
    let server = DigestServer::new(
        ServerConfig::new("atlas").with_max_tracked_nonces(2),
        SECRET,
    );
    let users = users();
    let later = t0() + Duration::from_secs(100);
    for i in 0..3 {
        let nonce = server.new_nonce(later + Duration::from_millis(i));
        let a = with_nonce(&server, &nonce, 1, "c");
        assert!(server.verify(&a, &facts(), later, &users).is_ok());
    }
    for i in 0..3 {
        let nonce = server.new_nonce(t0() + Duration::from_secs(99) + Duration::from_millis(i));
        let a = with_nonce(&server, &nonce, 1, "c");
        let now = t0() + Duration::from_secs(100);
        assert!(server.verify(&a, &facts(), now, &users).is_ok(), "#{i}");
        assert_eq!(
            server.verify(&a, &facts(), now, &users).map(|v| v.username),
            Err(VerifyError::Replay)
        );
    }
}

#[test]
fn verified_says_which_nonce_and_whether_an_opaque_came() {
    for opaque in [atlas_digest::Opaque::Send, atlas_digest::Opaque::Omit] {
        let server = DigestServer::new(
            ServerConfig::new("atlas")
                .with_algorithms([Algorithm::Sha256])
                .with_opaque(opaque),
            SECRET,
        );
        let nonce = server.new_nonce(t0());
        let header = with_nonce(&server, &nonce, 1, "c0ffee");
        let v = server
            .verify(&header, &facts(), t0(), &users())
            .expect("verifies");
        assert_eq!(v.nonce(), nonce);
        let sent = header.parse::<AuthorizationHeader>().unwrap().opaque;
        assert_eq!(v.opaque_sent(), sent.is_some(), "{header}");
        assert_eq!(
            v.opaque_sent(),
            opaque == atlas_digest::Opaque::Send,
            "{header}"
        );
        // The rspauth inputs sharing the buffer are untouched.
        let info: AuthenticationInfo = v.authentication_info().parse().unwrap();
        assert_eq!(info.cnonce.as_deref(), Some("c0ffee"));
    }
}
