//! Issue 11, defect 4: challenges are ranked by (qop offered, algorithm strength), RFC 2069 form is
//! never used when a usable challenge offers qop, and the strongest challenge a protection space has
//! offered is pinned: a later weaker offer is a typed error unless allowed.

mod common;

use atlas_digest::{
    Algorithm, AuthorizationHeader, ClientConfig, Credentials, DigestClient, DigestError,
    Downgrade, Qop, RequestFacts,
};
use common::authz;

fn facts() -> RequestFacts<'static> {
    RequestFacts::new("GET", "/x")
}

fn adopt(client: &DigestClient, values: &[&str]) -> Result<AuthorizationHeader, DigestError> {
    let mut st = client.start();
    let _ = authz(client, &mut st, &facts(), "c")?;
    client.on_unauthorized(&mut st, values.iter().copied())?;
    Ok(authz(client, &mut st, &facts(), "c")?
        .expect("credentials")
        .parse()
        .unwrap())
}

const MD5_NO_QOP: &str = r#"Digest realm="r", nonce="n1", algorithm=MD5"#;
const MD5_QOP: &str = r#"Digest realm="r", nonce="n2", algorithm=MD5, qop="auth""#;
const SHA_NO_QOP: &str = r#"Digest realm="r", nonce="n3", algorithm=SHA-256"#;
const SHA_QOP: &str = r#"Digest realm="r", nonce="n4", algorithm=SHA-256, qop="auth""#;
const SHA_SESS_QOP: &str = r#"Digest realm="r", nonce="n5", algorithm=SHA-256-sess, qop="auth""#;

#[test]
fn qop_beats_no_qop_whatever_the_order() {
    for values in [[MD5_NO_QOP, MD5_QOP], [MD5_QOP, MD5_NO_QOP]] {
        let h = adopt(&DigestClient::new(Credentials::new("u", "p")), &values).unwrap();
        assert_eq!(
            (h.nonce.as_str(), h.qop),
            ("n2", Some(Qop::Auth)),
            "{values:?}"
        );
    }
    // Even a stronger hash without qop loses to MD5 with qop: RFC 2069 form has no cnonce and nc.
    let h = adopt(
        &DigestClient::new(Credentials::new("u", "p")),
        &[SHA_NO_QOP, MD5_QOP],
    )
    .unwrap();
    assert_eq!((h.algorithm, h.qop), (Algorithm::Md5, Some(Qop::Auth)));
    // Among challenges with qop, the stronger hash wins.
    let h = adopt(
        &DigestClient::new(Credentials::new("u", "p")),
        &[MD5_QOP, SHA_NO_QOP, SHA_QOP],
    )
    .unwrap();
    assert_eq!(h.algorithm, Algorithm::Sha256);
    // Only RFC 2069 offered: answered in that form (allowed by default).
    let h = adopt(
        &DigestClient::new(Credentials::new("u", "p")),
        &[MD5_NO_QOP],
    )
    .unwrap();
    assert_eq!(h.qop, None);
}

#[test]
fn the_strongest_challenge_seen_is_pinned() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    adopt(&client, &[SHA_QOP, MD5_QOP]).unwrap();
    // Later the same protection space offers MD5 only (an attacker stripped SHA-256?).
    let err = adopt(&client, &[MD5_QOP]).unwrap_err();
    assert_eq!(
        err,
        DigestError::Downgrade {
            pinned: "Digest algorithm=SHA-256 qop=auth".into(),
            offered: "Digest algorithm=MD5 qop=auth".into()
        }
    );
    assert!(err.to_string().contains("downgrade refused"), "{err}");
    // ... or no qop at all.
    assert!(matches!(
        adopt(&client, &[SHA_NO_QOP]),
        Err(DigestError::Downgrade { .. })
    ));
    // Moving to the -sess variant of the same hash is no downgrade; a stronger one is fine.
    assert_eq!(
        adopt(&client, &[SHA_SESS_QOP]).unwrap().algorithm,
        Algorithm::Sha256Sess
    );
    // The caller may allow downgrades.
    let lenient = DigestClient::with_config(
        Credentials::new("u", "p"),
        ClientConfig::default().with_downgrade(Downgrade::Allow),
    );
    adopt(&lenient, &[SHA_QOP]).unwrap();
    assert_eq!(
        adopt(&lenient, &[MD5_QOP]).unwrap().algorithm,
        Algorithm::Md5
    );
}

#[test]
fn a_qop_pin_refuses_a_later_rfc2069_challenge() {
    let client = DigestClient::new(Credentials::new("u", "p"));
    adopt(&client, &[MD5_QOP]).unwrap();
    assert!(matches!(
        adopt(&client, &[MD5_NO_QOP]),
        Err(DigestError::Downgrade { .. })
    ));
}
