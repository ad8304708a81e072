//! RFC test vectors, byte for byte, through the public fixed-cnonce entry point
//! (`DigestChallenge::respond`, which runs the same code as `DigestClient::authorization`) and through
//! the client state machine itself.

mod common;

use atlas_digest::{
    Algorithm, AuthorizationHeader, Credentials, DigestChallenge, DigestClient, Qop, RequestFacts,
    parse_challenges,
};
use common::authz;

fn response_of(value: &str) -> String {
    value.parse::<AuthorizationHeader>().unwrap().response
}

const RFC2617_CHALLENGE: &str = r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

#[test]
fn rfc2617_section_3_5() {
    let c: DigestChallenge = RFC2617_CHALLENGE.parse().unwrap();
    let value = c
        .respond(
            &Credentials::new("Mufasa", "Circle Of Life"),
            &RequestFacts::new("GET", "/dir/index.html"),
            "0a4f113b",
            1,
        )
        .unwrap();
    assert_eq!(
        value,
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", uri=\"/dir/index.html\", \
         algorithm=MD5, nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", nc=00000001, \
         cnonce=\"0a4f113b\", qop=auth, opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", \
         response=\"6629fae49393a05397450978507c4ef1\""
    );
}

#[test]
fn rfc2069_no_qop_errata_749() {
    let c: DigestChallenge = r#"Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#
        .parse()
        .unwrap();
    assert_eq!(c.qop, None);
    let value = c
        .respond(
            &Credentials::new("Mufasa", "CircleOfLife"),
            &RequestFacts::new("GET", "/dir/index.html"),
            "ignored-without-qop",
            1,
        )
        .unwrap();
    assert_eq!(
        value,
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", uri=\"/dir/index.html\", \
         algorithm=MD5, nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", \
         opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", \
         response=\"1949323746fe6a43ef61f9606e7febea\""
    );
}

const RFC7616_SHA256: &str = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
const RFC7616_MD5: &str = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

#[test]
fn rfc7616_section_3_9_1_md5_and_sha256() {
    let creds = Credentials::new("Mufasa", "Circle of Life");
    let facts = RequestFacts::new("GET", "/dir/index.html");
    let md5: DigestChallenge = RFC7616_MD5.parse().unwrap();
    let sha: DigestChallenge = RFC7616_SHA256.parse().unwrap();
    assert_eq!(
        response_of(&md5.respond(&creds, &facts, RFC7616_CNONCE, 1).unwrap()),
        "8ca523f5e9506fed4657c9700eebdbec"
    );
    let sha_value = sha.respond(&creds, &facts, RFC7616_CNONCE, 1).unwrap();
    assert_eq!(
        sha_value,
        "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
         algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, \
         cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, \
         opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\", \
         response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""
    );
}

#[test]
fn rfc7616_section_3_9_1_client_picks_sha256_whatever_the_order() {
    for values in [[RFC7616_SHA256, RFC7616_MD5], [RFC7616_MD5, RFC7616_SHA256]] {
        let client = DigestClient::new(Credentials::new("Mufasa", "Circle of Life"));
        let facts = RequestFacts::new("GET", "/dir/index.html");
        let mut st = client.start();
        assert_eq!(authz(&client, &mut st, &facts, "x").unwrap(), None);
        client.on_unauthorized(&mut st, values).unwrap();
        let v = authz(&client, &mut st, &facts, RFC7616_CNONCE)
            .unwrap()
            .unwrap();
        assert_eq!(
            response_of(&v),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
        assert_eq!(st.algorithm(), Some(Algorithm::Sha256));
        assert_eq!(st.qop(), Some(Qop::Auth));
        assert_eq!(st.nc(), Some(1));
    }
    // Both challenges in a single header value, too.
    let joined = format!("{RFC7616_MD5}, {RFC7616_SHA256}");
    let cs = parse_challenges([joined.as_str()]).unwrap();
    assert_eq!(cs.len(), 2);
}

const RFC7616_SHA512_256: &str = r#"Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true"#;

#[test]
fn rfc7616_section_3_9_2_sha512_256_userhash_errata_4897() {
    let c: DigestChallenge = RFC7616_SHA512_256.parse().unwrap();
    assert!(c.userhash && c.charset_utf8);
    assert_eq!(c.algorithm, Algorithm::Sha512_256);
    let value = c
        .respond(
            &Credentials::new("J\u{e4}s\u{f8}n Doe", "Secret, or not?"),
            &RequestFacts::new("GET", "/doe.json"),
            "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
            1,
        )
        .unwrap();
    assert_eq!(
        value,
        "Digest username=\"793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b\", \
         realm=\"api@example.org\", uri=\"/doe.json\", algorithm=SHA-512-256, \
         nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", nc=00000001, \
         cnonce=\"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v\", qop=auth, userhash=true, \
         opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\", \
         response=\"3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5\""
    );
}

#[test]
fn rfc7616_section_3_9_2_without_userhash_sends_username_star() {
    let mut c: DigestChallenge = RFC7616_SHA512_256.parse().unwrap();
    c.userhash = false;
    let value = c
        .respond(
            &Credentials::new("J\u{e4}s\u{f8}n Doe", "Secret, or not?"),
            &RequestFacts::new("GET", "/doe.json"),
            "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
            1,
        )
        .unwrap();
    assert!(
        value.starts_with("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="),
        "{value}"
    );
    let parsed: AuthorizationHeader = value.parse().unwrap();
    assert_eq!(parsed.username, "J\u{e4}s\u{f8}n Doe");
    assert!(parsed.username_extended);
    // The response does not depend on the username encoding: same as with userhash.
    assert_eq!(
        parsed.response,
        "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"
    );
}
