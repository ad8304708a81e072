//! The summaries agree with the full parse: [`scan`] on every way a client may write accepted
//! credentials, [`of_verified`] on credentials a real `DigestServer` accepted.

use std::time::{Duration, SystemTime};

use atlas_digest::{
    Algorithm, AuthorizationHeader, Credentials, DigestServer, InMemoryCredentials, Qop,
    RequestFacts, ServerConfig, Stale,
};
use proptest::prelude::*;

use super::*;

#[test]
fn scan_finds_the_nonce_and_the_opaque() {
    let atlas = r#"Digest username="k", realm="MMS Public API", nonce="q2m/7r+X==", uri="/x", response="r", algorithm=MD5, qop=auth, nc=00000001, cnonce="c""#;
    assert_eq!(
        scan(atlas),
        Some(Scanned {
            nonce: Cow::Borrowed("q2m/7r+X=="),
            opaque: false
        })
    );
    // `cnonce` and quoted text that looks like a parameter are not the nonce; escapes resolve.
    let tricky = r#"Digest cnonce="nonce=bad", uri="/a,nonce=\"x\"", NONCE = "n\"1\\", opaque="", username=u, realm=r, response=x"#;
    assert_eq!(
        scan(tricky),
        Some(Scanned {
            nonce: Cow::Owned("n\"1\\".to_owned()),
            opaque: true
        })
    );
    // A bare nonce, odd separators.
    let bare = "digest  username=u,,realm=r ,\tnonce=abc==, uri=/ , response=x,";
    assert_eq!(scan(bare).map(|s| s.nonce), Some(Cow::Borrowed("abc==")));
    // With userhash the username sent is not the one verified: the caller parses fully.
    assert_eq!(
        scan(r#"Digest username="h", userhash=true, nonce="n""#),
        None
    );
    assert_eq!(scan(r#"Digest username="u""#), None, "no nonce");
    assert_eq!(scan(r#"Digest nonce="unterminated"#), None);
}

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

/// One parameter set the parser accepts: the required ones, optional algorithm, qop (with nc and
/// cnonce), opaque and userhash, and unknown extras.
fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        (value(), value(), value(), value(), value()),
        proptest::option::of(prop_oneof![
            Just("MD5"),
            Just("md5-sess"),
            Just("SHA-256"),
            Just("SHA-512-256-sess")
        ]),
        proptest::option::of((
            prop_oneof![Just("auth"), Just("auth-int"), Just("AUTH")],
            1u32..,
            value(),
        )),
        proptest::option::of(value()),
        proptest::option::of(prop_oneof![Just("true"), Just("false")]),
        proptest::sample::subsequence(vec!["xnonce", "nonce2", "charset", "opaque-x", "n"], 0..3),
        proptest::collection::vec(value(), 3),
    )
        .prop_map(
            |((user, realm, nonce, uri, response), alg, qop, opaque, userhash, extras, evs)| {
                let mut p = vec![
                    ("username".to_owned(), user),
                    ("realm".to_owned(), realm),
                    ("nonce".to_owned(), nonce),
                    ("uri".to_owned(), uri),
                    ("response".to_owned(), response),
                ];
                if let Some(a) = alg {
                    p.push(("algorithm".into(), a.into()));
                }
                if let Some((q, nc, cnonce)) = qop {
                    p.push(("qop".into(), q.into()));
                    p.push(("nc".into(), format!("{nc:08x}")));
                    p.push(("cnonce".into(), cnonce));
                }
                if let Some(o) = opaque {
                    p.push(("opaque".into(), o));
                }
                if let Some(u) = userhash {
                    p.push(("userhash".into(), u.into()));
                }
                for (name, v) in extras.into_iter().zip(evs) {
                    p.push((name.into(), v));
                }
                p
            },
        )
}

proptest! {
    /// However accepted credentials are written, the scan finds the nonce and the opaque the full
    /// parse finds (and declines when a userhash parameter came).
    #[test]
    fn scan_agrees_with_the_parser(p in params(), seed in any::<u64>()) {
        let header = render(&p, seed);
        let parsed = header.parse::<AuthorizationHeader>();
        prop_assert!(parsed.is_ok(), "{header:?}: {parsed:?}");
        let h = parsed.unwrap();
        let got = scan(&header);
        if p.iter().any(|(n, _)| n == "userhash") {
            prop_assert_eq!(got, None, "{:?}", header);
        } else {
            prop_assert_eq!(
                got,
                Some(Scanned { nonce: Cow::Borrowed(h.nonce.as_str()), opaque: h.opaque.is_some() }),
                "{:?}", header
            );
        }
    }

    /// The scan never panics and never claims a nonce the parser would not read, whatever the
    /// bytes: when the value parses, the scan agrees (or declines).
    #[test]
    fn scan_of_anything(s in "(Digest )?[a-zA-Z=\", \\\\\t]{0,80}") {
        let got = scan(&s);
        if let Ok(h) = s.parse::<AuthorizationHeader>() {
            if let Some(got) = got {
                prop_assert_eq!(got.nonce.as_ref(), h.nonce.as_str());
                prop_assert_eq!(got.opaque, h.opaque.is_some());
            }
        }
    }

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
        prop_assert_eq!(of_verified(&header, &v), summarize(&header));
        prop_assert_eq!(of_verified(&header, &v).opaque, send_opaque);
    }
}
