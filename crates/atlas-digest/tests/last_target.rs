//! The client's memo of the request-target it authorized last (its validity, escapes and H(A2)):
//! repeated targets, targets that change, targets that need escaping, invalid ones after valid
//! ones, another origin, and a hash function that changes with the challenge. Every header must
//! equal what [`DigestChallenge::respond`] computes from scratch, and every refusal must stay.

use atlas_digest::{
    AuthorizationHeader, Authorize, ClientConfig, Credentials, DigestChallenge, DigestClient,
    DigestError, InvalidInput, RequestFacts, RequestState,
};

const MD5: &str = r#"Digest realm="r", qop="auth", algorithm=MD5, nonce="n1""#;
const SHA: &str = r#"Digest realm="r", qop="auth", algorithm=SHA-256, nonce="n2""#;

fn creds() -> Credentials {
    Credentials::new("u", "p")
}

/// Authorizes `facts` on `st` and checks the header against the from-scratch value for `challenge`.
fn check(
    c: &DigestClient,
    st: &mut RequestState,
    facts: &RequestFacts<'_>,
    cnonce: &str,
    challenge: &str,
) {
    let Authorize::Send { header, lease } = c.authorize(st, facts, cnonce).unwrap() else {
        panic!("a nonce is held: credentials expected");
    };
    let parsed: AuthorizationHeader = header.parse().unwrap();
    assert_eq!(parsed.uri, facts.uri);
    let challenge: DigestChallenge = challenge.parse().unwrap();
    let want = challenge
        .respond(&creds(), facts, cnonce, lease.nc())
        .unwrap();
    assert_eq!(header, want, "{} {}", facts.method, facts.uri);
}

#[test]
fn every_header_equals_the_from_scratch_one_and_refusals_stay() {
    let c =
        DigestClient::for_origin(creds(), ClientConfig::default(), "https://api.example").unwrap();
    let mut st = c.start();
    assert!(matches!(
        c.authorize(&mut st, &RequestFacts::new("GET", "/a"), "c0")
            .unwrap(),
        Authorize::Probe
    ));
    c.on_unauthorized(&mut st, [MD5]).unwrap();
    let get_a = RequestFacts::new("GET", "/a");
    let quoted = RequestFacts::new("GET", r#"/a?q="x"\y"#);
    let sequence = [
        get_a,
        get_a,
        quoted,
        quoted,
        RequestFacts::new("POST", "/a"),
        get_a,
        RequestFacts::new("GET", "/a").with_body(b"b"),
        RequestFacts::new("GET", "/a").with_origin("https://api.example"),
        get_a,
    ];
    for (i, facts) in sequence.iter().enumerate() {
        check(&c, &mut st, facts, &format!("c{i}"), MD5);
        st = c.start();
    }
    // Refused whatever was authorized before: a space, a fragment, a bad method, another origin.
    for (facts, want) in [
        (RequestFacts::new("GET", "/a b"), InvalidInput::Uri),
        (RequestFacts::new("GET", "/a#f"), InvalidInput::Uri),
        (RequestFacts::new("G T", "/a"), InvalidInput::Method),
    ] {
        check(&c, &mut st, &get_a, "again", MD5);
        st = c.start();
        match c.authorize(&mut st, &facts, "x") {
            Err(DigestError::InvalidInput(e)) => assert_eq!(e, want, "{facts:?}"),
            other => panic!("{facts:?}: {other:?}"),
        }
    }
    check(&c, &mut st, &get_a, "again", MD5);
    st = c.start();
    assert!(matches!(
        c.authorize(
            &mut st,
            &RequestFacts::new("GET", "https://other.example/a"),
            "x"
        ),
        Err(DigestError::OriginMismatch { .. })
    ));
    assert!(matches!(
        c.authorize(
            &mut st,
            &RequestFacts::new("GET", "/a").with_origin("https://other.example"),
            "x"
        ),
        Err(DigestError::OriginMismatch { .. })
    ));
    // The server moves to SHA-256: the H(A2) remembered for MD5 is not used for it.
    let mut st = c.start();
    check(&c, &mut st, &get_a, "before", MD5);
    c.on_unauthorized(&mut st, [SHA]).unwrap();
    check(&c, &mut st, &get_a, "after", SHA);
    for i in 0..3 {
        let mut st = c.start();
        check(&c, &mut st, &get_a, &format!("sha{i}"), SHA);
    }
}
