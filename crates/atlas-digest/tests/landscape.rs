//! One test per bug listed in `digest-landscape.md` ("Bugs users hit in these libraries").

mod common;

use std::sync::Arc;
use std::thread;

use atlas_digest::{
    Algorithm, AuthorizationHeader, Credentials, DigestChallenge, DigestClient, DigestError,
    DigestServer, InMemoryCredentials, Qop, RequestFacts, ServerConfig, Stale, parse_challenges,
};
use common::{authz, request, t0};

fn parsed(v: &str) -> AuthorizationHeader {
    v.parse().unwrap()
}

fn get() -> RequestFacts<'static> {
    RequestFacts::new("GET", "/api/atlas/v1.0/groups")
}

/// requests #2334: concurrent requests on one shared session failed about half the time.
#[test]
fn requests_2334_concurrent_requests_on_one_shared_client_all_succeed() {
    let server = Arc::new(DigestServer::new(
        ServerConfig::new("atlas").with_replay_window(128),
        [1; 32],
    ));
    let mut users = InMemoryCredentials::new();
    users.insert("key", "secret");
    let users = Arc::new(users);
    let client = Arc::new(DigestClient::new(Credentials::new("key", "secret")));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (server, users, client) = (server.clone(), users.clone(), client.clone());
            thread::spawn(move || {
                for _ in 0..25 {
                    request(&client, &server, &*users, &get(), t0()).expect("request failed");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// requests #2408: `qop="auth,auth-int"` hashed as a whole list while `qop=auth` was sent;
/// curl #9264: untrimmed `" auth-int"` did not match.
#[test]
fn requests_2408_and_curl_9264_qop_lists_are_split_and_trimmed() {
    for qop in [
        "auth,auth-int",
        "auth, auth-int",
        " auth-int , auth ",
        "AUTH",
    ] {
        let c: DigestChallenge = format!("Digest realm=\"r\", nonce=\"n\", qop=\"{qop}\"")
            .parse()
            .unwrap();
        assert!(c.offers(Qop::Auth), "{qop}");
        let v = c
            .respond(&Credentials::new("u", "p"), &get(), "c", 1)
            .unwrap();
        assert!(
            v.contains(", qop=auth, ") || v.contains(", qop=auth,"),
            "{v}"
        );
        // The hash used exactly `auth`: equal to the answer to a plain qop="auth" challenge.
        let plain: DigestChallenge = "Digest realm=\"r\", nonce=\"n\", qop=\"auth\""
            .parse()
            .unwrap();
        assert_eq!(
            parsed(&v).response,
            parsed(
                &plain
                    .respond(&Credentials::new("u", "p"), &get(), "c", 1)
                    .unwrap()
            )
            .response
        );
    }
    let c: DigestChallenge = "Digest realm=\"r\", nonce=\"n\", qop=\" auth-int\""
        .parse()
        .unwrap();
    assert_eq!(c.qop, Some(vec![Qop::AuthInt]));
}

/// requests #5692: a challenge offering only auth-int crashed the client.
#[test]
fn requests_5692_auth_int_only_is_a_typed_error_or_works_with_the_body() {
    let server = DigestServer::new(ServerConfig::new("r").with_qop([Qop::AuthInt]), [2; 32]);
    let mut users = InMemoryCredentials::new();
    users.insert("u", "p");
    let client = DigestClient::new(Credentials::new("u", "p"));
    assert!(matches!(
        request(&client, &server, &users, &get(), t0()),
        Err(DigestError::NoSupportedChallenge { .. })
    ));
    let post = RequestFacts::new("POST", "/x").with_body(b"payload");
    let done = request(&client, &server, &users, &post, t0()).unwrap();
    assert_eq!(done.verified.qop, Some(Qop::AuthInt));
}

/// requests #5089, #6102, urllib: non-Latin usernames or passwords fail or go out as `b'...'`.
#[test]
fn requests_5089_6102_non_latin_credentials() {
    let server = DigestServer::new(ServerConfig::new("r"), [3; 32]);
    let mut users = InMemoryCredentials::new();
    users.insert("Дмитрий", "пароль-日本語");
    users.insert("plain", "пароль");
    let client = DigestClient::new(Credentials::new("Дмитрий", "пароль-日本語"));
    let done = request(&client, &server, &users, &get(), t0()).unwrap();
    assert_eq!(done.verified.username, "Дмитрий");
    let mut st = client.start();
    let v = authz(&client, &mut st, &get(), "c").unwrap().unwrap();
    assert!(v.starts_with("Digest username*=UTF-8''%D0%94"), "{v}");
    assert!(!v.contains("b'"));
    // ASCII username, non-ASCII password hashed as UTF-8.
    let client = DigestClient::new(Credentials::new("plain", "пароль"));
    request(&client, &server, &users, &get(), t0()).unwrap();
}

/// CPython bpo-39548: a challenge without qop failed.
#[test]
fn bpo_39548_challenge_without_qop() {
    let client = DigestClient::new(Credentials::new("Mufasa", "CircleOfLife"));
    let mut st = client.start();
    client
        .on_unauthorized(
            &mut st,
            [r#"Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#],
        )
        .unwrap();
    let v = authz(
        &client,
        &mut st,
        &RequestFacts::new("GET", "/dir/index.html"),
        "unused",
    )
    .unwrap()
    .unwrap();
    let h = parsed(&v);
    assert_eq!((h.qop, h.nc, h.cnonce), (None, None, None));
    assert_eq!(h.response, "1949323746fe6a43ef61f9606e7febea");
}

/// CPython gh-53907: after 5 retries every later request failed forever, even with good credentials.
#[test]
fn gh_53907_failures_do_not_poison_later_requests() {
    let server = DigestServer::new(ServerConfig::new("r"), [4; 32]);
    let mut users = InMemoryCredentials::new();
    let client = DigestClient::new(Credentials::new("late", "pw"));
    // The user does not exist yet: many logical requests fail with Rejected...
    for _ in 0..10 {
        assert_eq!(
            request(&client, &server, &users, &get(), t0()).map(|d| d.round_trips),
            Err(DigestError::Rejected)
        );
    }
    // ... and once it exists, the very next request succeeds.
    users.insert("late", "pw");
    assert!(request(&client, &server, &users, &get(), t0()).is_ok());
}

/// needle #328: a nonce containing `+` broke a parser (the Atlas API sends such nonces).
#[test]
fn needle_328_plus_slash_equals_in_nonces() {
    for value in [
        r#"Digest realm="MMS Public API", domain="", nonce="Yh0gW+5tBvWp/X7Hr3qj9bJUK0y1C+Kh", algorithm=MD5, qop="auth", stale=false"#,
        r#"Digest realm="MMS Public API", nonce=Yh0gW+5tBvWp/X7Hr3qj9bJUK0y1C+Kh==, qop=auth"#,
    ] {
        let c: DigestChallenge = value.parse().unwrap();
        assert!(c.nonce.starts_with("Yh0gW+5tBvWp/X7Hr3qj9bJUK0y1C+Kh"));
        let v = c
            .respond(&Credentials::new("u", "p"), &get(), "c", 1)
            .unwrap();
        assert_eq!(parsed(&v).nonce, c.nonce);
    }
    // This crate's own server nonces are base64 with `+` and `/` (unpadded: both formats are a
    // multiple of 3 bytes).
    let server = DigestServer::new(ServerConfig::new("r"), [5; 32]);
    let nonces: String = (0..64)
        .map(|_| {
            server.challenges(t0(), Stale::False)[0]
                .parse::<DigestChallenge>()
                .unwrap()
                .nonce
        })
        .collect();
    assert!(nonces.contains('+') && nonces.contains('/'));
}

/// net-http-digest_auth PR #17: nc starting at 0 was rejected; nc must start at 00000001.
#[test]
fn net_http_digest_auth_17_nc_starts_at_one() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    client
        .on_unauthorized(&mut st, [r#"Digest realm="r", nonce="n", qop=auth"#])
        .unwrap();
    let v = authz(&client, &mut st, &get(), "c").unwrap().unwrap();
    assert!(v.contains("nc=00000001"));
    let c: DigestChallenge = r#"Digest realm="r", nonce="n", qop=auth"#.parse().unwrap();
    assert!(matches!(
        c.respond(&Credentials::new("u", "p"), &get(), "c", 0),
        Err(DigestError::InvalidInput(_))
    ));
}

/// Postman #13756: with several WWW-Authenticate headers the nonce was taken from the wrong challenge.
#[test]
fn postman_13756_nonce_comes_from_the_chosen_challenge() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    client
        .on_unauthorized(
            &mut st,
            [
                r#"Digest realm="r", nonce="md5-nonce", algorithm=MD5, qop=auth, opaque="md5-opaque""#,
                r#"Basic realm="r""#,
                r#"Digest realm="r", nonce="sha-nonce", algorithm=SHA-256, qop=auth, opaque="sha-opaque""#,
            ],
        )
        .unwrap();
    let h = parsed(&authz(&client, &mut st, &get(), "c").unwrap().unwrap());
    assert_eq!(h.algorithm, Algorithm::Sha256);
    assert_eq!(h.nonce, "sha-nonce");
    assert_eq!(h.opaque.as_deref(), Some("sha-opaque"));
    // Parameters never merge across challenges in one value either.
    let cs = parse_challenges([
        r#"Digest realm="a", nonce="1", Digest realm="b", nonce="2", opaque="x""#,
    ])
    .unwrap();
    assert_eq!(cs.len(), 2);
    assert_eq!(cs[0].param("opaque"), None);
    assert_eq!(cs[1].param("nonce"), Some("2"));
}

/// dotnet/runtime #32943: `opaque=""` stopped a parser.
#[test]
fn dotnet_32943_empty_opaque_is_echoed() {
    let c: DigestChallenge = r#"Digest realm="r", nonce="n", opaque="", qop="auth""#
        .parse()
        .unwrap();
    assert_eq!(c.opaque.as_deref(), Some(""));
    let v = c
        .respond(&Credentials::new("u", "p"), &get(), "c", 1)
        .unwrap();
    assert!(v.contains(r#"opaque="""#), "{v}");
}

/// mongodb-kubernetes PR #1437: an unquoted `stale=true` panicked a home-made parser.
#[test]
fn mongodb_kubernetes_1437_unquoted_stale() {
    for (value, stale) in [
        ("stale=true", true),
        ("stale=TRUE", true),
        ("stale=\"true\"", true),
        ("stale=false", false),
        ("stale=", false),
    ] {
        let c: DigestChallenge = format!(r#"Digest realm="r", nonce="n", {value}, qop=auth"#)
            .parse()
            .unwrap();
        assert_eq!(c.stale, stale, "{value}");
    }
}

/// diqwest #1: an absolute URL was sent in `uri=` instead of the request-target.
#[test]
fn diqwest_1_uri_is_the_request_target() {
    let c: DigestChallenge = r#"Digest realm="r", nonce="n", qop=auth"#.parse().unwrap();
    let v = c
        .respond(
            &Credentials::new("u", "p"),
            &RequestFacts::new(
                "GET",
                "/api/atlas/v1.0/groups/1/clusters?pageNum=2&itemsPerPage=100",
            ),
            "c",
            1,
        )
        .unwrap();
    assert_eq!(
        parsed(&v).uri,
        "/api/atlas/v1.0/groups/1/clusters?pageNum=2&itemsPerPage=100"
    );
    // The absolute form is only for requests that go out in absolute form (plain http through a
    // forward proxy, issue 11 defect 7): it is sent exactly as given, never derived from a path.
    let through_proxy = c
        .respond(
            &Credentials::new("u", "p"),
            &RequestFacts::new("GET", "http://cloud.mongodb.com/api/atlas/v1.0/groups"),
            "c",
            1,
        )
        .unwrap();
    assert_eq!(
        parsed(&through_proxy).uri,
        "http://cloud.mongodb.com/api/atlas/v1.0/groups"
    );
    // What is not a request-target at all is refused.
    assert!(matches!(
        c.respond(
            &Credentials::new("u", "p"),
            &RequestFacts::new("GET", "https://key@cloud.mongodb.com/api#top"),
            "c",
            1
        ),
        Err(DigestError::InvalidInput(_))
    ));
}

/// icholy/digest #8: some embedded servers reject credentials unless `response` is last.
#[test]
fn icholy_digest_8_response_is_the_last_parameter() {
    for challenge in [
        r#"Digest realm="r", nonce="n", qop="auth", opaque="o", userhash=true, algorithm=SHA-256"#,
        r#"Digest realm="r", nonce="n""#,
        r#"Digest realm="r", nonce="n", qop="auth-int", algorithm=SHA-512-256-sess"#,
    ] {
        let c: DigestChallenge = challenge.parse().unwrap();
        let v = c
            .respond(&Credentials::new("u", "p"), &get().with_body(b"x"), "c", 1)
            .unwrap();
        let last = v.rsplit(", ").next().unwrap();
        assert!(last.starts_with("response=\""), "{v}");
    }
}

/// RFC 7616 section 3.3: `algorithm` and `stale` must not be quoted; `qop` and `nc` in Authorization are
/// tokens too.
#[test]
fn rfc7616_3_3_unquoted_algorithm_stale_qop_nc() {
    let c: DigestChallenge = r#"Digest realm="r", nonce="n", qop="auth", algorithm="SHA-256""#
        .parse()
        .unwrap();
    assert_eq!(
        c.algorithm,
        Algorithm::Sha256,
        "quoted algorithm from a server is tolerated"
    );
    let v = c
        .respond(&Credentials::new("u", "p"), &get(), "c", 1)
        .unwrap();
    assert!(v.contains(", algorithm=SHA-256, "), "{v}");
    assert!(v.contains(", qop=auth"), "{v}");
    assert!(v.contains(", nc=00000001, "), "{v}");
    assert!(!v.contains("algorithm=\"") && !v.contains("qop=\"") && !v.contains("nc=\""));
    let server = DigestServer::new(ServerConfig::new("r"), [6; 32]);
    for value in server.challenges(t0(), Stale::True) {
        assert!(value.contains(", algorithm=SHA-256,") || value.contains(", algorithm=MD5,"));
        assert!(value.contains(", stale=true") && !value.contains("stale=\""));
        assert!(
            value.contains("qop=\"auth\""),
            "qop in a challenge is a quoted list"
        );
    }
}
