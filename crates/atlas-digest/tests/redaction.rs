//! Secrets never appear in `Debug` (and the types holding them have no `Display`).

mod common;

use atlas_digest::{
    Algorithm, AuthorizationHeader, Credentials, DigestClient, DigestServer, InMemoryCredentials,
    RequestFacts, ServerConfig, StoredSecret,
};
use common::{request, t0};

const PASSWORD: &str = "hunter2-p4ssw0rd";
const HA1: &str = "939e7578ed9e3c518a452acee763bce9";

fn assert_clean(text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "secret {s:?} leaked in {text}");
        assert!(
            !text.to_ascii_lowercase().contains(&s.to_ascii_lowercase()),
            "secret {s:?} leaked (case-insensitively) in {text}"
        );
    }
}

#[test]
fn credentials_debug_shows_username_only() {
    let c = Credentials::new("alice", PASSWORD);
    let d = format!("{c:?} {c:#?}");
    assert!(d.contains("alice"));
    assert!(d.contains("redacted"));
    assert_clean(&d, &[PASSWORD]);
}

#[test]
fn stored_secrets_and_stores_are_redacted() {
    let p = StoredSecret::Password(PASSWORD.into());
    let h = StoredSecret::Ha1 {
        algorithm: Algorithm::Md5,
        hex: HA1.into(),
    };
    let mut store = InMemoryCredentials::new();
    store.insert("alice", PASSWORD);
    store.insert_ha1("Mufasa", Algorithm::Md5, HA1);
    let d = format!("{p:?} {h:?} {store:?} {store:#?}");
    assert!(d.contains("Mufasa") && d.contains("alice"));
    assert_clean(&d, &[PASSWORD, HA1]);
}

#[test]
fn client_server_state_and_results_are_redacted() {
    let secret = [0xab; 32];
    let server = DigestServer::new(ServerConfig::new("atlas"), secret);
    let mut store = InMemoryCredentials::new();
    store.insert("alice", PASSWORD);
    let client = DigestClient::new(Credentials::new("alice", PASSWORD));
    let facts = RequestFacts::new("GET", "/x");
    let done = request(&client, &server, &store, &facts, t0()).unwrap();

    // H(A1) of the adopted challenge must not leak either.
    let ha1 = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!("alice:atlas:{PASSWORD}").as_bytes());
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let d = format!(
        "{client:?} {client:#?} {:?} {:?} {server:?} {server:#?}",
        done.state, done.verified
    );
    assert_clean(&d, &[PASSWORD, "abababab", "171, 171", &ha1, &ha1[..16]]);
    assert!(d.contains("alice"));
}

#[test]
fn parsed_authorization_debug_hides_the_response() {
    let h: AuthorizationHeader =
        r#"Digest username="u", realm="r", nonce="n", uri="/", response="6629fae49393a05397450978507c4ef1""#
            .parse()
            .unwrap();
    let d = format!("{h:?}");
    assert_clean(&d, &["6629fae49393a05397450978507c4ef1"]);
    // Display is the wire format, which does carry the response (it is not a secret by itself).
    assert!(h.to_string().contains("6629fae49393a05397450978507c4ef1"));
}
