//! The crate against vectors it did not compute: `tests/vectors/digest-vectors.txt`, written by
//! `tests/vectors/generate.py` (Python's hashlib, from the RFC text). Every algorithm x qop (auth,
//! auth-int, none) x userhash x charset, for an ASCII and a non-ASCII user, checked byte for byte:
//! - the client's `Authorization` value (fixed-cnonce entry point, and the state machine for nc 1);
//! - the client's acceptance of the expected `rspauth` (and refusal of a changed one);
//! - the server's verification of the expected `Authorization` and its `Authentication-Info` value.
//!
//! A mutation that is symmetric between our client and server (for example swapping nonce and
//! cnonce in the `-sess` H(A1), or putting the method into the `rspauth` A2) passes every
//! client-against-own-server test but fails these.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use atlas_digest::{
    Algorithm, Authorize, Charset, Credentials, DigestChallenge, DigestClient, DigestError,
    DigestServer, InMemoryCredentials, NextNonce, Opaque, Qop, RequestFacts, ServerConfig,
    Userhash,
};

const DATA: &str = include_str!("vectors/digest-vectors.txt");
const SECRET: [u8; 32] = [0x5a; 32];

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

struct Case {
    fields: HashMap<String, String>,
}

impl Case {
    fn get(&self, key: &str) -> &str {
        self.fields
            .get(key)
            .unwrap_or_else(|| panic!("case {:?} has no {key}", self.fields.get("case")))
    }

    fn flag(&self, key: &str) -> bool {
        self.get(key) == "true"
    }

    fn hex(&self, key: &str) -> Vec<u8> {
        let s = self.get(key);
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn name(&self) -> String {
        format!(
            "case {} ({} qop={} userhash={} charset={} user={})",
            self.get("case"),
            self.get("algorithm"),
            self.get("qop"),
            self.get("userhash"),
            self.get("charset"),
            self.get("username")
        )
    }
}

/// (header fields, cases).
fn load() -> (HashMap<String, String>, Vec<Case>) {
    let mut header = HashMap::new();
    let mut cases = Vec::new();
    let mut current: Option<HashMap<String, String>> = None;
    for line in DATA.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if let Some(fields) = current.take() {
                cases.push(Case { fields });
            }
            continue;
        }
        let (k, v) = line.split_once('=').expect("key=value");
        if k == "case" {
            current = Some(HashMap::new());
        }
        match &mut current {
            Some(fields) => {
                fields.insert(k.to_owned(), v.to_owned());
            }
            None => {
                header.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    if let Some(fields) = current.take() {
        cases.push(Case { fields });
    }
    (header, cases)
}

fn qop_of(case: &Case) -> Option<Qop> {
    match case.get("qop") {
        "auth" => Some(Qop::Auth),
        "auth-int" => Some(Qop::AuthInt),
        _ => None,
    }
}

fn server_for(case: &Case, realm: &str) -> DigestServer {
    let alg: Algorithm = case.get("algorithm").parse().unwrap();
    DigestServer::new(
        ServerConfig::new(realm)
            .with_algorithms([alg])
            .with_qop(qop_of(case).map(|q| vec![q]).unwrap_or_default())
            .with_userhash(if case.flag("userhash") {
                Userhash::Offered
            } else {
                Userhash::Off
            })
            .with_charset(if case.flag("charset") {
                Charset::Utf8
            } else {
                Charset::Omit
            })
            .with_opaque(Opaque::Send)
            .with_next_nonce(NextNonce::Never),
        SECRET,
    )
}

#[test]
fn the_file_covers_the_whole_matrix() {
    let (_, cases) = load();
    assert_eq!(cases.len(), 120);
    let mut combos = std::collections::HashSet::new();
    for c in &cases {
        combos.insert((
            c.get("algorithm").to_owned(),
            c.get("qop").to_owned(),
            c.flag("userhash"),
            c.flag("charset"),
            c.get("username").is_ascii(),
        ));
    }
    // 6 algorithms x (auth, auth-int) + 3 plain algorithms x none; x userhash x charset x 2 users.
    assert_eq!(combos.len(), (6 * 2 + 3) * 2 * 2 * 2);
}

#[test]
fn the_generator_inputs_are_what_the_server_issues() {
    let (header, _) = load();
    let realm = &header["realm"];
    let server = DigestServer::new(ServerConfig::new(realm.as_str()), SECRET);
    let nonce = server.new_nonce(now());
    assert_eq!(nonce, header["nonce"]);
    let c = server.challenge_for(Algorithm::Md5, nonce, atlas_digest::Stale::False);
    assert_eq!(c.opaque.as_deref(), Some(header["opaque"].as_str()));
}

#[test]
fn client_authorization_byte_for_byte() {
    let (_, cases) = load();
    for case in &cases {
        let challenge: DigestChallenge = case.get("challenge").parse().unwrap();
        let body = case.hex("body");
        let mut facts = RequestFacts::new(case.get("method"), case.get("uri"));
        if qop_of(case) == Some(Qop::AuthInt) {
            facts = facts.with_body(&body);
        }
        let nc = u32::from_str_radix(case.get("nc"), 16).unwrap();
        let creds = Credentials::new(case.get("username"), case.get("password"));
        let value = challenge
            .respond(&creds, &facts, case.get("cnonce"), nc)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name()));
        assert_eq!(value, case.get("authorization"), "{}", case.name());
    }
}

#[test]
fn client_state_machine_and_rspauth_byte_for_byte() {
    let (_, cases) = load();
    let mut checked = 0;
    for case in cases.iter().filter(|c| c.get("nc") == "00000001") {
        let body = case.hex("body");
        let response_body = case.hex("response_body");
        let mut facts = RequestFacts::new(case.get("method"), case.get("uri"));
        if qop_of(case) == Some(Qop::AuthInt) {
            facts = facts.with_body(&body);
        }
        let client =
            DigestClient::new(Credentials::new(case.get("username"), case.get("password")));
        let mut st = client.start();
        assert!(matches!(
            client.authorize(&mut st, &facts, "unused").unwrap(),
            Authorize::Probe
        ));
        client
            .on_unauthorized(&mut st, [case.get("challenge")])
            .unwrap_or_else(|e| panic!("{}: {e}", case.name()));
        let Authorize::Send { header, lease } = client
            .authorize(&mut st, &facts, case.get("cnonce"))
            .unwrap()
        else {
            panic!("{}: no credentials", case.name())
        };
        assert_eq!(header, case.get("authorization"), "{}", case.name());
        client
            .on_authentication_info_with_body(
                &st,
                case.get("authentication_info"),
                Some(&response_body),
            )
            .unwrap_or_else(|e| panic!("{}: expected rspauth refused: {e}", case.name()));
        // One hex digit off: refused.
        let rspauth = case.get("rspauth");
        let flipped = format!(
            "{}{}",
            if rspauth.starts_with('0') { '1' } else { '0' },
            &rspauth[1..]
        );
        let tampered = case.get("authentication_info").replace(rspauth, &flipped);
        assert_eq!(
            client.on_authentication_info_with_body(&st, &tampered, Some(&response_body)),
            Err(DigestError::RspauthMismatch),
            "{}",
            case.name()
        );
        drop(lease);
        checked += 1;
    }
    assert_eq!(checked, 60);
}

#[test]
fn server_verification_and_authentication_info_byte_for_byte() {
    let (header, cases) = load();
    for case in &cases {
        let server = server_for(case, &header["realm"]);
        let mut users = InMemoryCredentials::new();
        users.insert(case.get("username"), case.get("password"));
        users.insert("someone else", "x");
        let body = case.hex("body");
        let mut facts = RequestFacts::new(case.get("method"), case.get("uri"));
        if qop_of(case) == Some(Qop::AuthInt) {
            facts = facts.with_body(&body);
        }
        let v = server
            .verify(case.get("authorization"), &facts, now(), &users)
            .unwrap_or_else(|e| panic!("{}: {e:?}", case.name()));
        assert_eq!(v.username, case.get("username"), "{}", case.name());
        assert_eq!(
            v.authentication_info_for_body(&case.hex("response_body")),
            case.get("authentication_info"),
            "{}",
            case.name()
        );
    }
}
