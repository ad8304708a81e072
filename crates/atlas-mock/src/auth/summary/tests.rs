//! The summaries agree with the full parse: [`of_verified`] on credentials a real `DigestServer`
//! accepted, written every way a client may write them.

use std::time::{Duration, SystemTime};

use atlas_digest::{
    Algorithm, AuthorizationHeader, Credentials, DigestServer, InMemoryCredentials, Qop,
    RequestFacts, ServerConfig, Stale,
};
use proptest::prelude::*;

use super::*;

#[test]
fn other_schemes_keep_only_the_scheme() {
    for (value, scheme) in [
        ("Basic dXNlcjpwYXNz", "Basic"),
        ("Bearer abc.def", "Bearer"),
        ("", ""),
        ("   ", ""),
        ("Digest", "Digest"),
        ("Digest username=", "Digest"),
    ] {
        let s = summarize(value);
        assert_eq!(
            s,
            AuthSummary {
                scheme: scheme.to_owned(),
                ..AuthSummary::default()
            },
            "{value:?}"
        );
    }
    let long = "X".repeat(40);
    assert_eq!(summarize(&long).scheme, cut(&long, MAX_SCHEME));
}

/// A tiny deterministic generator for the formatting choices (splitmix64).
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}

/// `params` as a Digest credentials value written in one of the many ways the parser accepts:
/// any order, any case of names and scheme, token or quoted values (escaping more than needed),
/// spaces around `=`, odd separators.
/// An unquoted parameter value character as the digest parser reads it: any visible ASCII or
/// non-ASCII byte except `,`, `"` and `\`.
fn is_bare_value_char(c: u8) -> bool {
    (c > b' ' && c != 0x7f && c != b',' && c != b'"' && c != b'\\') || c >= 0x80
}

fn render(params: &[(String, String)], seed: u64) -> String {
    let mut c = Choices(seed);
    let mut order: Vec<usize> = (0..params.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (c.next() % (i as u64 + 1)) as usize);
    }
    let mut out = String::new();
    out.push_str(c.pick(&["", " ", "\t "]));
    out.push_str(c.pick(&["Digest", "digest", "DIGEST", "dIgEsT"]));
    out.push_str(c.pick(&[" ", "  ", " \t"]));
    for (n, &i) in order.iter().enumerate() {
        let (name, value) = &params[i];
        if n > 0 {
            out.push_str(c.pick(&[", ", ",", " ,", ",\t", " , , ", ",,"]));
        }
        for ch in name.chars() {
            out.push(if c.one_in(4) {
                ch.to_ascii_uppercase()
            } else {
                ch
            });
        }
        out.push_str(c.pick(&["", "", " ", "\t"]));
        out.push('=');
        out.push_str(c.pick(&["", "", " "]));
        let bare_ok = value.bytes().all(is_bare_value_char);
        if bare_ok && c.one_in(2) {
            out.push_str(value);
        } else {
            out.push('"');
            for ch in value.chars() {
                if ch == '"' || ch == '\\' || c.one_in(8) {
                    out.push('\\');
                }
                out.push(ch);
            }
            out.push('"');
        }
    }
    out.push_str(c.pick(&["", "", " ", ",", ", ", "\t"]));
    out
}

/// Parameter values: plain, or with what a quoted-string may hold (quotes, backslashes, commas,
/// spaces, `=`, text that looks like another parameter, non-ASCII).
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9+/=]{0,48}",
        proptest::collection::vec(
            prop_oneof![
                Just("\"".to_owned()),
                Just("\\".to_owned()),
                Just(",".to_owned()),
                Just(" ".to_owned()),
                Just("\t".to_owned()),
                Just("=".to_owned()),
                Just("nonce=\"x\"".to_owned()),
                Just("é".to_owned()),
                Just("雪".to_owned()),
                "[a-z0-9]{1,6}",
            ],
            0..8
        )
        .prop_map(|v| v.concat()),
    ]
}

proptest! {
    /// Credentials a real `DigestServer` accepted, written any way: the summary from the
    /// verification is the one from the full parse.
    #[test]
    fn verified_summaries_are_parsed_summaries(
        alg in prop_oneof![Just(Algorithm::Md5), Just(Algorithm::Sha256Sess), Just(Algorithm::Sha512_256)],
        qop in prop_oneof![Just(None), Just(Some(Qop::Auth)), Just(Some(Qop::AuthInt))],
        send_opaque in any::<bool>(),
        user in prop_oneof!["[a-z0-9]{1,12}", "[a-z]{1,4}[\"\\\\ ,][a-z]{1,4}"],
        nc in 1u32..1000,
        cnonce in "[a-zA-Z0-9]{8,16}",
        extra in proptest::option::of(value()),
        seed in any::<u64>(),
    ) {
        // RFC 2069 answers (no qop) have no session variant.
        let alg = match (alg, qop) {
            (Algorithm::Sha256Sess, None) => Algorithm::Sha256,
            (a, _) => a,
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let config = ServerConfig::new("MMS Public API")
            .with_algorithms(vec![alg])
            .with_qop(qop.map(|q| vec![q]).unwrap_or_default())
            .with_opaque(if send_opaque { atlas_digest::Opaque::Send } else { atlas_digest::Opaque::Omit });
        let server = DigestServer::new(config, [7; 32]);
        let mut users = InMemoryCredentials::new();
        users.insert(user.clone(), "secret");
        let challenge = server.challenge_for(alg, server.new_nonce(now), Stale::False);
        let facts = RequestFacts::new("GET", "/api/atlas/v1.0/x?y=1").with_body(b"");
        let sent = challenge
            .respond(&Credentials::new(user.clone(), "secret"), &facts, &cnonce, nc)
            .unwrap();
        // The same values, written another way.
        let h: AuthorizationHeader = sent.parse().unwrap();
        let mut p = vec![
            ("username".to_owned(), h.username.clone()),
            ("realm".to_owned(), h.realm.clone()),
            ("nonce".to_owned(), h.nonce.clone()),
            ("uri".to_owned(), h.uri.clone()),
            ("response".to_owned(), h.response.clone()),
            ("algorithm".to_owned(), h.algorithm.to_string()),
        ];
        if let Some(q) = h.qop {
            p.push(("qop".into(), q.to_string()));
            p.push(("nc".into(), format!("{:08x}", h.nc.unwrap_or(1))));
            p.push(("cnonce".into(), h.cnonce.clone().unwrap_or_default()));
        }
        if let Some(o) = &h.opaque {
            p.push(("opaque".into(), o.clone()));
        }
        if let Some(v) = extra {
            p.push(("charset".into(), v));
        }
        let header = render(&p, seed);
        let v = server.verify(&header, &facts, now, &users);
        prop_assert!(v.is_ok(), "{header:?}: {v:?}");
        let v = v.unwrap();
        // The compact record materializes to exactly what the full parse gives.
        prop_assert_eq!(of_verified(&header, &v).into_summary(), summarize(&header));
        prop_assert_eq!(of_verified(&header, &v).into_summary().opaque, send_opaque);
    }
}

/// Credentials that name the user by its `userhash`: the record keeps the hash that was sent
/// (what the full parse gives), not the user it resolved to.
#[test]
fn userhash_credentials_keep_the_hash_sent() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);
    let config = ServerConfig::new("MMS Public API").with_userhash(atlas_digest::Userhash::Offered);
    let server = DigestServer::new(config, [9; 32]);
    let mut users = InMemoryCredentials::new();
    users.insert("alice", "secret");
    let challenge = server.challenge_for(Algorithm::Md5, server.new_nonce(now), Stale::False);
    let facts = RequestFacts::new("GET", "/api/atlas/v1.0/x");
    let sent = challenge
        .respond(
            &Credentials::new("alice", "secret"),
            &facts,
            "0a4f113b9c2d7e61",
            1,
        )
        .unwrap();
    let v = server.verify(&sent, &facts, now, &users).unwrap();
    assert!(v.userhash_sent());
    assert_eq!(v.username, "alice");
    let summary = of_verified(&sent, &v).into_summary();
    assert_eq!(summary, summarize(&sent));
    assert_ne!(summary.username.as_deref(), Some("alice"));
}

proptest! {
    /// The byte-wise first word is `split_whitespace`'s, on any text.
    #[test]
    fn first_word_is_split_whitespace(
        head in prop_oneof![
            Just(""),
            Just("Digest"),
            Just("dIgEsT"),
            Just("Digest\u{85}"),
            Just("Digesd"),
            Just("Dig\u{e9}st"),
            Just("Digest\u{0}"),
        ],
        s in "[ \t\n\u{b}\u{c}\r\u{85}\u{a0}\u{3000}]{0,3}[a-zA-Z\u{e9}\u{85}\u{a0}\t ,=\"]{0,12}"
    ) {
        for s in [s.clone(), format!("{head}{s}")] {
            prop_assert_eq!(first_word(&s), s.split_whitespace().next().unwrap_or_default());
        }
    }
}
