//! Issue 11, defect 8: leniency that could never verify is gone. Duplicate parameters are refused
//! (RFC 9110 section 11.2), `nc` is exactly 8 hex digits, and over-long input is a typed error.

mod common;

use atlas_digest::{
    AuthenticationInfo, AuthorizationHeader, Credentials, DigestChallenge, DigestClient,
    DigestError, DigestServer, InMemoryCredentials, MAX_HEADER_LEN, ParseErrorKind, RequestFacts,
    ServerConfig, VerifyError, parse_challenges, parse_credentials, parse_param_list,
};
use common::t0;

const GOOD: &str = r#"Digest username="Mufasa", realm="testrealm@host.com", uri="/dir/index.html", algorithm=MD5, nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", nc=00000001, cnonce="0a4f113b", qop=auth, opaque="5ccc069c403ebaf9f0171e9517f40e41", response="6629fae49393a05397450978507c4ef1""#;

fn kind<T: std::fmt::Debug>(r: Result<T, atlas_digest::ParseError>) -> ParseErrorKind {
    r.unwrap_err().kind()
}

#[test]
fn duplicate_parameters_are_refused_in_every_typed_view() {
    assert!(GOOD.parse::<AuthorizationHeader>().is_ok());
    for dup in [
        format!("{GOOD}, realm=\"other\""),
        format!("{GOOD}, REALM=\"testrealm@host.com\""),
        format!("{GOOD}, response=\"00000000000000000000000000000000\""),
        format!("{GOOD}, x=1, X=2"),
    ] {
        let e = dup.parse::<AuthorizationHeader>().unwrap_err();
        assert_eq!(e.kind(), ParseErrorKind::Duplicate, "{dup}");
        assert!(e.to_string().contains("duplicate parameter"), "{e}");
    }
    assert_eq!(
        kind(r#"Digest realm="a", nonce="n", realm="b""#.parse::<DigestChallenge>()),
        ParseErrorKind::Duplicate
    );
    assert_eq!(
        kind(r#"rspauth="ab", nextnonce="x", rspauth="cd""#.parse::<AuthenticationInfo>()),
        ParseErrorKind::Duplicate
    );
    // The generic grammar keeps duplicates (it is a syntax view); only typed views refuse them.
    assert_eq!(
        parse_credentials(r#"Digest a=1, a=2"#)
            .unwrap()
            .params
            .len(),
        2
    );
}

#[test]
fn the_server_refuses_duplicates_as_malformed() {
    let server = DigestServer::new(ServerConfig::new("testrealm@host.com"), [1; 32]);
    let users = InMemoryCredentials::new();
    let dup = format!("{GOOD}, uri=\"/other\"");
    assert!(matches!(
        server.verify(&dup, &RequestFacts::new("GET", "/dir/index.html"), t0(), &users),
        Err(VerifyError::Malformed(e)) if e.kind() == ParseErrorKind::Duplicate
    ));
}

#[test]
fn a_challenge_with_duplicates_is_not_answered() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    let err = client
        .on_unauthorized(
            &mut client.start(),
            [r#"Digest realm="r", nonce="a", nonce="b", qop="auth""#],
        )
        .unwrap_err();
    assert!(
        matches!(err, DigestError::NoSupportedChallenge { .. }),
        "{err:?}"
    );
    // Another, well-formed challenge in the same 401 is used.
    client
        .on_unauthorized(
            &mut client.start(),
            [
                r#"Digest realm="r", nonce="a", nonce="b", qop="auth""#,
                r#"Digest realm="r", nonce="c", qop="auth""#,
            ],
        )
        .unwrap();
    assert_eq!(client.current_nonce().unwrap().1, "c");
}

#[test]
fn nc_is_exactly_eight_hex_digits() {
    for (nc, ok) in [
        ("00000001", Some(1)),
        ("0000000A", Some(10)),
        ("ffffffff", Some(u32::MAX)),
        ("\"00000002\"", Some(2)),
        ("1", None),
        ("0000001", None),
        ("000000001", None),
        ("0000000g", None),
        ("+0000001", None),
        ("\" 0000001\"", None),
        ("", None),
    ] {
        let v = GOOD.replace("nc=00000001", &format!("nc={nc}"));
        let parsed = v.parse::<AuthorizationHeader>().map(|h| h.nc);
        match ok {
            Some(n) => assert_eq!(parsed, Ok(Some(n)), "{nc}"),
            None => assert_eq!(parsed.unwrap_err().kind(), ParseErrorKind::Semantic, "{nc}"),
        }
        let info = format!("rspauth=\"ab\", nc={nc}").parse::<AuthenticationInfo>();
        assert_eq!(info.is_ok(), ok.is_some(), "{nc}");
    }
}

#[test]
fn over_long_input_is_a_typed_error_everywhere() {
    let long = format!(
        "Digest realm=\"{}\", nonce=\"n\"",
        "r".repeat(MAX_HEADER_LEN)
    );
    assert_eq!(
        kind(parse_challenges([long.as_str()])),
        ParseErrorKind::TooLong
    );
    assert_eq!(kind(parse_credentials(&long)), ParseErrorKind::TooLong);
    assert_eq!(kind(parse_param_list(&long)), ParseErrorKind::TooLong);
    assert_eq!(
        kind(long.parse::<DigestChallenge>()),
        ParseErrorKind::TooLong
    );
    assert_eq!(
        kind(long.parse::<AuthorizationHeader>()),
        ParseErrorKind::TooLong
    );
    assert_eq!(
        kind(long.parse::<AuthenticationInfo>()),
        ParseErrorKind::TooLong
    );
    let client = DigestClient::new(Credentials::new("u", "p"));
    assert!(matches!(
        client.on_unauthorized(&mut client.start(), [long.as_str()]),
        Err(DigestError::Malformed(e)) if e.kind() == ParseErrorKind::TooLong
    ));
    // Exactly at the limit is fine.
    let at_limit = format!("a={}", "b".repeat(MAX_HEADER_LEN - 2));
    assert_eq!(at_limit.len(), MAX_HEADER_LEN);
    assert!(parse_param_list(&at_limit).is_ok());
}
