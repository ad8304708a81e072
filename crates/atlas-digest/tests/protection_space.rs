//! Issue 11, defects 7 and 9 (client side): absolute-form targets for forward proxies, the client
//! bound to one origin and realm, constant-time credential comparison, and the userhash index.

mod common;

use atlas_digest::{
    Algorithm, CredentialStore, Credentials, DigestClient, DigestError, InMemoryCredentials,
    InvalidInput, RequestFacts,
};
use common::authz;

const CHALLENGE: &str = r#"Digest realm="r", nonce="n", qop="auth""#;

fn adopted(client: &DigestClient, facts: &RequestFacts<'_>) {
    let mut st = client.start();
    assert_eq!(authz(client, &mut st, facts, "c").unwrap(), None);
    client.on_unauthorized(&mut st, [CHALLENGE]).unwrap();
}

#[test]
fn absolute_form_goes_out_as_is_and_binds_the_origin() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    let proxied = RequestFacts::new("GET", "http://api.example/v1/x?y=1");
    adopted(&client, &proxied);
    assert_eq!(
        client.origin().map(|o| o.to_string()).as_deref(),
        Some("http://api.example")
    );
    let v = authz(&client, &mut client.start(), &proxied, "c")
        .unwrap()
        .unwrap();
    assert!(v.contains("uri=\"http://api.example/v1/x?y=1\""), "{v}");
    // The same origin spelled differently is the same origin.
    let same = RequestFacts::new("GET", "HTTP://API.example:80/v1/z");
    assert!(
        authz(&client, &mut client.start(), &same, "c")
            .unwrap()
            .is_some()
    );
    // Origin-form requests state no origin: the caller vouches for them.
    assert!(
        authz(
            &client,
            &mut client.start(),
            &RequestFacts::new("GET", "/v1/x"),
            "c"
        )
        .unwrap()
        .is_some()
    );
}

#[test]
fn a_client_never_authorizes_a_request_for_another_origin() {
    let client = DigestClient::for_origin(
        Credentials::new("u", "p"),
        Default::default(),
        "https://cloud.mongodb.com",
    )
    .unwrap();
    let here = RequestFacts::new("GET", "/api/atlas/v2/groups")
        .with_origin("https://cloud.mongodb.com:443");
    adopted(&client, &here);
    assert!(
        authz(&client, &mut client.start(), &here, "c")
            .unwrap()
            .is_some()
    );
    for elsewhere in [
        RequestFacts::new("GET", "/api/atlas/v2/groups").with_origin("https://evil.example"),
        RequestFacts::new("GET", "/api/atlas/v2/groups").with_origin("http://cloud.mongodb.com"),
        RequestFacts::new("GET", "https://cloud.mongodb.com:8443/api"),
    ] {
        let err = client
            .authorize(&mut client.start(), &elsewhere, "c")
            .unwrap_err();
        assert!(matches!(err, DigestError::OriginMismatch { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("bound to https://cloud.mongodb.com"),
            "{err}"
        );
    }
    assert_eq!(
        client
            .authorize(
                &mut client.start(),
                &RequestFacts::new("GET", "/").with_origin("not an origin"),
                "c"
            )
            .unwrap_err(),
        DigestError::InvalidInput(InvalidInput::Origin)
    );
    assert!(
        DigestClient::for_origin(Credentials::new("u", "p"), Default::default(), "/x").is_err()
    );
}

#[test]
fn a_client_is_bound_to_the_realm_it_adopted() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    adopted(&client, &RequestFacts::new("GET", "/"));
    let mut st = client.start();
    let _ = authz(&client, &mut st, &RequestFacts::new("GET", "/"), "c").unwrap();
    let err = client
        .on_unauthorized(&mut st, [r#"Digest realm="admin", nonce="m", qop="auth""#])
        .unwrap_err();
    assert_eq!(
        err,
        DigestError::RealmMismatch {
            bound: "r".into(),
            offered: vec!["admin".into()]
        }
    );
    // With the bound realm among the offers, that one is used.
    let mut st = client.start();
    let _ = authz(&client, &mut st, &RequestFacts::new("GET", "/"), "c").unwrap();
    client
        .on_unauthorized(
            &mut st,
            [
                r#"Digest realm="admin", nonce="m", qop="auth", algorithm=SHA-256"#,
                r#"Digest realm="r", nonce="k", qop="auth""#,
            ],
        )
        .unwrap();
    assert_eq!(
        client.current_nonce().unwrap(),
        (Algorithm::Md5, "k".into())
    );
}

#[test]
fn credentials_compare_by_value() {
    let a = Credentials::new("u", "secret");
    assert_eq!(a, Credentials::new("u", "secret"));
    assert_ne!(a, Credentials::new("u", "secreT"));
    assert_ne!(a, Credentials::new("v", "secret"));
    assert_ne!(a, Credentials::new("u", "secret2"));
}

#[test]
fn userhash_index_follows_inserts_and_removals() {
    let mut users = InMemoryCredentials::new();
    for i in 0..20_000 {
        users.insert(format!("user{i}"), "pw");
    }
    let hash = |name: &str| {
        // H(username:realm) with SHA-256, computed independently of the crate.
        use sha2::{Digest, Sha256};
        Sha256::digest(format!("{name}:realm").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(
        users
            .resolve_userhash(&hash("user19999"), "realm", Algorithm::Sha256)
            .as_deref(),
        Some("user19999")
    );
    assert_eq!(
        users
            .resolve_userhash(
                &hash("user7").to_ascii_uppercase(),
                "realm",
                Algorithm::Sha256Sess
            )
            .as_deref(),
        Some("user7"),
        "case-insensitive hex, -sess uses the same hash function"
    );
    assert_eq!(
        users.resolve_userhash(&hash("user7"), "other-realm", Algorithm::Sha256),
        None
    );
    users.insert("newcomer", "pw");
    assert_eq!(
        users
            .resolve_userhash(&hash("newcomer"), "realm", Algorithm::Sha256)
            .as_deref(),
        Some("newcomer")
    );
    users.remove("user7");
    assert_eq!(
        users.resolve_userhash(&hash("user7"), "realm", Algorithm::Sha256),
        None
    );
    // A clone answers the same.
    let copy = users.clone();
    assert_eq!(
        copy.resolve_userhash(&hash("user1"), "realm", Algorithm::Sha256)
            .as_deref(),
        Some("user1")
    );
}
