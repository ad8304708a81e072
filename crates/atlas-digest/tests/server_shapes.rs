//! The challenge shapes a server can take (what real Atlas sends, the quirk of its documentation) and
//! how verification follows them: opaque on or off, `domain=""`, `stale=false`, 32-character nonces,
//! `op="auth"`; `uri` in absolute form (forward proxies); `-sess` under the three cnonce habits.

use std::time::{Duration, SystemTime};

use atlas_digest::{
    Algorithm, AuthorizationHeader, Charset, Credentials, DigestChallenge, DigestServer,
    InMemoryCredentials, NonceFormat, Opaque, Qop, QopParam, RequestFacts, ServerConfig, Stale,
    StaleParam, VerifyError, parse_challenges,
};

const SECRET: [u8; 32] = [33; 32];

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn keys() -> InMemoryCredentials {
    let mut u = InMemoryCredentials::new();
    u.insert("PUBLICKEY", "private-key-uuid");
    u
}

const TARGET: &str = "/api/atlas/v1.0/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/tenant/snapshots/5cc310ace5dc7ce369814bc8";

fn get() -> RequestFacts<'static> {
    RequestFacts::new("GET", TARGET)
}

fn nonce_of(value: &str) -> String {
    parse_challenges([value]).unwrap()[0]
        .param("nonce")
        .unwrap()
        .to_owned()
}

#[test]
fn atlas_challenge_byte_for_byte() {
    let server = DigestServer::new(ServerConfig::mongodb_atlas(), SECRET);
    for _ in 0..200 {
        let values = server.challenges(now(), Stale::False);
        assert_eq!(values.len(), 1);
        let nonce = nonce_of(&values[0]);
        assert_eq!(nonce.len(), 32);
        assert!(
            nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        );
        assert_eq!(
            values[0],
            format!(
                "Digest realm=\"MMS Public API\", domain=\"\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\", stale=false"
            )
        );
    }
    let stale = &server.challenges(now(), Stale::True)[0];
    assert!(stale.ends_with(", qop=\"auth\", stale=true"), "{stale}");
}

#[test]
fn each_shape_setting_on_its_own() {
    let base = || ServerConfig::new("r").with_algorithms([Algorithm::Md5]);
    let render = |c: ServerConfig| {
        let s = DigestServer::new(c, SECRET);
        let v = s.challenges(now(), Stale::False).remove(0);
        let n = nonce_of(&v);
        v.replace(&n, "N")
    };
    let default = render(base());
    assert!(default.contains(", opaque=\""), "{default}");
    assert!(default.ends_with(", charset=UTF-8"), "{default}");
    assert!(!default.contains("stale") && !default.contains("domain"));
    assert_eq!(nonce_of(&base_challenge(base())).len(), 48);
    assert!(!render(base().with_opaque(Opaque::Omit)).contains("opaque"));
    assert!(render(base().with_domain("")).contains(", domain=\"\", "));
    assert!(
        render(base().with_stale_param(StaleParam::Always)).ends_with(", stale=false"),
        "{}",
        render(base().with_stale_param(StaleParam::Always))
    );
    assert_eq!(
        nonce_of(&base_challenge(
            base().with_nonce_format(NonceFormat::Base64x32)
        ))
        .len(),
        32
    );
    let op = render(
        base()
            .with_qop_param(QopParam::Op)
            .with_charset(Charset::Omit),
    );
    assert!(op.contains(", op=\"auth\""), "{op}");
    assert!(!op.contains("qop"), "{op}");
}

fn base_challenge(c: ServerConfig) -> String {
    DigestServer::new(c, SECRET)
        .challenges(now(), Stale::False)
        .remove(0)
}

/// What `challenge_for` says is what a client reads from `challenges`.
#[test]
fn the_typed_challenge_is_what_clients_parse() {
    for config in [
        ServerConfig::mongodb_atlas(),
        ServerConfig::new("r"),
        ServerConfig::mongodb_atlas().with_qop_param(QopParam::Op),
        ServerConfig::new("r")
            .with_qop([Qop::Auth, Qop::AuthInt])
            .with_userhash(atlas_digest::Userhash::Offered),
    ] {
        let server = DigestServer::new(config, SECRET);
        for stale in [Stale::False, Stale::True] {
            for value in server.challenges(now(), stale) {
                let parsed: DigestChallenge = value.parse().unwrap();
                let typed = server.challenge_for(parsed.algorithm, parsed.nonce.clone(), stale);
                assert_eq!(parsed, typed, "{value}");
            }
        }
    }
}

fn answer(server: &DigestServer, facts: &RequestFacts<'_>, cnonce: &str, nc: u32) -> String {
    let value = server.challenges(now(), Stale::False).remove(0);
    let c: DigestChallenge = value.parse().unwrap();
    c.respond(
        &Credentials::new("PUBLICKEY", "private-key-uuid"),
        facts,
        cnonce,
        nc,
    )
    .unwrap()
}

#[test]
fn atlas_shape_verifies_without_opaque() {
    let server = DigestServer::new(ServerConfig::mongodb_atlas(), SECRET);
    let a = answer(&server, &get(), "0a4f113b", 1);
    assert!(!a.contains("opaque"), "{a}");
    let v = server.verify(&a, &get(), now(), &keys()).unwrap();
    assert_eq!(v.username, "PUBLICKEY");
    assert_eq!(v.nextnonce(), None);
}

/// With `Opaque::Omit`, credentials without `opaque` or with an empty one pass; an `opaque` the
/// server never sent does not.
#[test]
fn opaque_off_accepts_none_or_empty_and_refuses_anything_else() {
    let server = DigestServer::new(ServerConfig::mongodb_atlas(), SECRET);
    let a = answer(&server, &get(), "c1", 1);
    let mut h: AuthorizationHeader = a.parse().unwrap();
    h.opaque = Some(String::new());
    h.nc = Some(2);
    let with_empty = server
        .challenge_for(Algorithm::Md5, h.nonce.clone(), Stale::False)
        .respond(
            &Credentials::new("PUBLICKEY", "private-key-uuid"),
            &get(),
            "c2",
            2,
        )
        .unwrap()
        .replace(", response=", ", opaque=\"\", response=");
    assert!(server.verify(&with_empty, &get(), now(), &keys()).is_ok());
    let forged = with_empty.replace("opaque=\"\"", "opaque=\"abc\"");
    assert_eq!(
        server
            .verify(&forged, &get(), now(), &keys())
            .map(|v| v.username),
        Err(VerifyError::OpaqueMismatch)
    );
    // With Opaque::Send, the opaque is required.
    let strict = DigestServer::new(ServerConfig::new("MMS Public API"), SECRET);
    let b = answer(&strict, &get(), "c", 1);
    let h: AuthorizationHeader = b.parse().unwrap();
    assert!(h.opaque.is_some());
    let mut without = h.clone();
    without.opaque = None;
    assert_eq!(
        strict
            .verify(&without.to_string(), &get(), now(), &keys())
            .map(|v| v.username),
        Err(VerifyError::OpaqueMismatch)
    );
}

/// The seed document's `op="auth"`: a client sees no qop and answers in RFC 2069 form, which the
/// server accepts in this mode (and qop answers too); in the normal mode it does not.
#[test]
fn op_quirk_mode_accepts_rfc2069_answers() {
    let server = DigestServer::new(
        ServerConfig::mongodb_atlas().with_qop_param(QopParam::Op),
        SECRET,
    );
    let value = server.challenges(now(), Stale::False).remove(0);
    assert!(value.contains(", op=\"auth\", "), "{value}");
    let c: DigestChallenge = value.parse().unwrap();
    assert_eq!(c.qop, None);
    let a = c
        .respond(
            &Credentials::new("PUBLICKEY", "private-key-uuid"),
            &get(),
            "ignored",
            1,
        )
        .unwrap();
    let h: AuthorizationHeader = a.parse().unwrap();
    assert_eq!((h.qop, h.nc, h.cnonce.as_deref()), (None, None, None));
    let v = server.verify(&a, &get(), now(), &keys()).unwrap();
    assert_eq!((v.qop, v.nc), (None, None));
    // A qop=auth answer over the same nonce is accepted too.
    let mut typed = c.clone();
    typed.qop = Some(vec![Qop::Auth]);
    let q = typed
        .respond(
            &Credentials::new("PUBLICKEY", "private-key-uuid"),
            &get(),
            "cn",
            1,
        )
        .unwrap();
    assert_eq!(
        server.verify(&q, &get(), now(), &keys()).unwrap().qop,
        Some(Qop::Auth)
    );
    // The normal Atlas shape refuses the RFC 2069 form.
    let normal = DigestServer::new(ServerConfig::mongodb_atlas(), SECRET);
    let c2 = normal.challenge_for(Algorithm::Md5, normal.new_nonce(now()), Stale::False);
    let mut legacy = c2.clone();
    legacy.qop = None;
    let a2 = legacy
        .respond(
            &Credentials::new("PUBLICKEY", "private-key-uuid"),
            &get(),
            "x",
            1,
        )
        .unwrap();
    assert_eq!(
        normal
            .verify(&a2, &get(), now(), &keys())
            .map(|v| v.username),
        Err(VerifyError::QopNotOffered)
    );
}

/// Issue 11, defect 7 (server side): `uri` in absolute form is matched against an origin-form
/// request-target (and back) by resource, as Apache does.
#[test]
fn absolute_form_uri_matches_the_same_resource() {
    let server = DigestServer::new(ServerConfig::mongodb_atlas(), SECRET);
    let abs = format!("http://cloud.mongodb.com{TARGET}");
    let through_proxy = RequestFacts::new("GET", &abs);
    let a = answer(&server, &through_proxy, "c", 1);
    assert!(a.contains(&format!("uri=\"{abs}\"")), "{a}");
    // The proxy forwarded it in origin form.
    assert_eq!(
        server
            .verify(&a, &get(), now(), &keys())
            .map(|v| v.username),
        Ok("PUBLICKEY".to_owned())
    );
    // Or kept the absolute form.
    let b = answer(&server, &through_proxy, "d", 1);
    assert!(server.verify(&b, &through_proxy, now(), &keys()).is_ok());
    // Another resource, or another host named on both sides, does not match.
    let c = answer(&server, &through_proxy, "e", 1);
    assert_eq!(
        server
            .verify(
                &c,
                &RequestFacts::new("GET", "/api/atlas/v1.0/other"),
                now(),
                &keys()
            )
            .map(|v| v.username),
        Err(VerifyError::UriMismatch)
    );
    let d = answer(&server, &through_proxy, "f", 1);
    let elsewhere = format!("http://evil.example{TARGET}");
    assert_eq!(
        server
            .verify(&d, &RequestFacts::new("GET", &elsewhere), now(), &keys())
            .map(|v| v.username),
        Err(VerifyError::UriMismatch)
    );
}

/// `-sess`: the server accepts the three habits clients have -- a fixed session cnonce (this
/// crate's client, RFC 7616 section 3.4.2 read strictly), a fresh cnonce per request with H(A1)
/// recomputed (curl, Python requests), and a fresh cnonce per request with H(A1) kept from the first.
#[test]
fn sess_accepts_each_cnonce_habit() {
    use md5::{Digest, Md5};
    let hex = |b: &[u8]| -> String {
        let d = Md5::digest(b);
        d.iter().map(|x| format!("{x:02x}")).collect()
    };
    let server = DigestServer::new(
        ServerConfig::new("r")
            .with_algorithms([Algorithm::Md5Sess])
            .with_opaque(Opaque::Omit),
        SECRET,
    );
    let mut users = InMemoryCredentials::new();
    users.insert("u", "p");
    let facts = RequestFacts::new("GET", "/x");
    let ha2 = hex(b"GET:/x");
    let base = hex(b"u:r:p");
    let header = |nonce: &str, nc: u32, cnonce: &str, ha1: &str| {
        let resp = hex(format!("{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}").as_bytes());
        format!(
            "Digest username=\"u\", realm=\"r\", uri=\"/x\", algorithm=MD5-sess, nonce=\"{nonce}\", \
             nc={nc:08x}, cnonce=\"{cnonce}\", qop=auth, response=\"{resp}\""
        )
    };
    let check = |a: &str| server.verify(a, &facts, now(), &users).map(|v| v.nc);
    // Fixed cnonce.
    let n = server.new_nonce(now());
    let ha1 = hex(format!("{base}:{n}:c1").as_bytes());
    for nc in 1..=3 {
        assert_eq!(check(&header(&n, nc, "c1", &ha1)), Ok(Some(nc)));
    }
    // Fresh cnonce, H(A1) recomputed each time.
    let n = server.new_nonce(now());
    for nc in 1..=3 {
        let c = format!("k{nc}");
        let ha1 = hex(format!("{base}:{n}:{c}").as_bytes());
        assert_eq!(check(&header(&n, nc, &c, &ha1)), Ok(Some(nc)));
    }
    // Fresh cnonce, H(A1) of the first request kept.
    let n = server.new_nonce(now());
    let first = hex(format!("{base}:{n}:s1").as_bytes());
    for nc in 1..=3 {
        assert_eq!(
            check(&header(&n, nc, &format!("s{nc}"), &first)),
            Ok(Some(nc))
        );
    }
    // A wrong H(A1) is still wrong.
    let n = server.new_nonce(now());
    let wrong = hex(format!("{base}:{n}:zz").as_bytes());
    assert_eq!(
        check(&header(&n, 1, "c", &wrong)),
        Err(VerifyError::WrongResponse)
    );
}
