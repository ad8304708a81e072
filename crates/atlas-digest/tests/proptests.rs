//! Property tests: client/server agreement over the whole configuration space, nc uniqueness under
//! concurrency, parser robustness, and format-then-parse identity.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;

use atlas_digest::{
    Algorithm, AuthenticationInfo, AuthorizationHeader, Authorize, Challenge, Charset,
    ClientConfig, Credentials, DigestChallenge, DigestClient, DigestServer, InMemoryCredentials,
    Qop, RequestFacts, ServerConfig, Userhash, format_challenges, parse_challenges,
    parse_credentials, parse_param_list,
};
use common::{authz, cnonce, request, t0};
use proptest::prelude::*;

/// 128 cases by default (the suite stays fast); `PROPTEST_CASES=10000` for a deeper run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    proptest::sample::select(Algorithm::ALL.to_vec())
}

/// Text that may go in a quoted-string (no control characters but HTAB), including `"`, `\` and
/// non-ASCII.
fn quotable(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[^\\x00-\\x08\\x0a-\\x1f\\x7f]{{0,{max}}}")).unwrap()
}

fn token(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9!#$%&'*+.^_`|~-]{{1,{max}}}")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Client and server of this crate agree for every algorithm x qop x userhash x charset, with
    /// arbitrary (non-ASCII, control characters, quotes, colons) usernames and passwords, arbitrary
    /// request-targets and bodies.
    #[test]
    fn client_and_server_agree(
        alg in algorithm(),
        qop in prop_oneof![Just(Some(Qop::Auth)), Just(Some(Qop::AuthInt)), Just(None)],
        userhash in any::<bool>(),
        charset in any::<bool>(),
        realm in quotable(12),
        username in "(?s).{0,12}",
        password in "(?s).{0,16}",
        uri in "/[^#\\s\\x00-\\x1f\\x7f]{0,24}",
        method in "[A-Z]{1,7}",
        body in proptest::collection::vec(any::<u8>(), 0..48),
        give_body in any::<bool>(),
        secret in any::<[u8; 32]>(),
    ) {
        // RFC 2069 mode has no cnonce, so no -sess.
        let alg = if qop.is_none() { alg.base() } else { alg };
        let config = ServerConfig::new(realm)
            .with_algorithms([alg])
            .with_qop(qop.map(|q| vec![q]).unwrap_or_default())
            .with_userhash(if userhash { Userhash::Offered } else { Userhash::Off })
            .with_charset(if charset { Charset::Utf8 } else { Charset::Omit });
        let server = DigestServer::new(config, secret);
        let mut users = InMemoryCredentials::new();
        users.insert(username.clone(), password.clone());
        users.insert(format!("{username}x"), "other");
        let client = DigestClient::new(Credentials::new(username.clone(), password));
        let mut facts = RequestFacts::new(&method, &uri);
        if give_body || qop == Some(Qop::AuthInt) {
            facts = facts.with_body(&body);
        }
        let done = request(&client, &server, &users, &facts, t0()).unwrap();
        prop_assert_eq!(&done.verified.username, &username);
        prop_assert_eq!(done.verified.algorithm, alg);
        prop_assert_eq!(done.verified.qop, qop);
        prop_assert_eq!(done.round_trips, 2);
        let again = request(&client, &server, &users, &facts, t0()).unwrap();
        prop_assert_eq!(again.round_trips, 1);
        if qop.is_some() {
            prop_assert_eq!(again.verified.nc, Some(2));
        }
    }

    /// Over any interleaving of requests from many threads sharing one client, no (nonce, nc) pair is
    /// ever produced twice, nc stays in 1..=max_nc, and each thread sees nc strictly increase per nonce.
    #[test]
    fn nc_is_unique_and_increasing_across_threads(
        threads in 2usize..6,
        per_thread in 1usize..40,
        max_nc in prop_oneof![Just(u32::MAX), 3u32..20],
    ) {
        let config = ClientConfig::default().with_max_nc(max_nc);
        let client = Arc::new(DigestClient::with_config(Credentials::new("u", "p"), config));
        let nonces = Arc::new(AtomicU32::new(0));
        let facts = RequestFacts::new("GET", "/x");
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (client, nonces) = (client.clone(), nonces.clone());
                thread::spawn(move || {
                    let mut seen: Vec<(String, u32)> = Vec::new();
                    for _ in 0..per_thread {
                        let mut st = client.start();
                        loop {
                            match client.authorize(&mut st, &facts, &cnonce()).unwrap() {
                                Authorize::Send { header, lease } => {
                                    let h: AuthorizationHeader = header.parse().unwrap();
                                    seen.push((h.nonce, h.nc.unwrap()));
                                    drop(lease);
                                    break;
                                }
                                Authorize::Probe => {
                                    let n = nonces.fetch_add(1, Ordering::Relaxed);
                                    let c = format!("Digest realm=\"r\", qop=auth, nonce=\"n{n}\"");
                                    client.on_unauthorized(&mut st, [c.as_str()]).unwrap();
                                }
                                Authorize::Wait(w) => w.wait_blocking(),
                            }
                        }
                    }
                    seen
                })
            })
            .collect();
        let mut all = HashSet::new();
        let mut total = 0usize;
        for h in handles {
            let seen = h.join().unwrap();
            for w in seen.windows(2) {
                if w[0].0 == w[1].0 {
                    prop_assert!(w[1].1 > w[0].1, "nc went backwards in one thread: {:?}", w);
                }
            }
            for (nonce, nc) in seen {
                prop_assert!((1..=max_nc).contains(&nc));
                prop_assert!(all.insert((nonce, nc)), "duplicate nc");
                total += 1;
            }
        }
        prop_assert_eq!(total, threads * per_thread);
        if max_nc == u32::MAX && nonces.load(Ordering::Relaxed) == 1 {
            let ncs: HashSet<u32> = all.iter().map(|(_, nc)| *nc).collect();
            prop_assert_eq!(ncs, (1..=total as u32).collect::<HashSet<_>>());
        }
    }

    /// No parser and no entry point panics on arbitrary bytes.
    #[test]
    fn parsers_never_panic_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    /// Nor on header-shaped noise, which reaches deeper into the grammar.
    #[test]
    fn parsers_never_panic_on_header_noise(s in "[A-Za-z0-9 ,=\"\\\\/+*\t:-]{0,120}") {
        exercise(&s);
        exercise(&format!("Digest {s}"));
    }

    /// Any challenge list formats to a value that parses back to the same list.
    #[test]
    fn challenges_format_then_parse_is_identity(list in proptest::collection::vec(challenge(), 1..4)) {
        let text = format_challenges(&list);
        prop_assert_eq!(parse_challenges([text.as_str()]).unwrap(), list);
    }

    /// And parse-format-parse is stable for anything that parses.
    #[test]
    fn parse_format_parse_is_stable(s in "[A-Za-z0-9 ,=\"\\\\/+]{0,80}") {
        if let Ok(list) = parse_challenges([s.as_str()]) {
            let again = parse_challenges([format_challenges(&list).as_str()]).unwrap();
            prop_assert_eq!(again, list);
        }
    }

    #[test]
    fn digest_challenge_format_then_parse_is_identity(
        realm in quotable(12),
        nonce in quotable(20),
        opaque in proptest::option::of(quotable(10)),
        domain in proptest::option::of(quotable(10)),
        alg in algorithm(),
        qop in prop_oneof![
            Just(None),
            Just(Some(vec![])),
            Just(Some(vec![Qop::Auth])),
            Just(Some(vec![Qop::AuthInt])),
            Just(Some(vec![Qop::Auth, Qop::AuthInt])),
            Just(Some(vec![Qop::AuthInt, Qop::Auth])),
        ],
        stale in any::<bool>(),
        charset in any::<bool>(),
        userhash in any::<bool>(),
    ) {
        let mut c = DigestChallenge::new(realm, nonce, alg);
        c.opaque = opaque;
        c.domain = domain;
        c.qop = qop;
        c.stale = stale;
        c.charset_utf8 = charset;
        c.userhash = userhash;
        prop_assert_eq!(c.to_string().parse::<DigestChallenge>().unwrap(), c);
    }

    #[test]
    fn authorization_format_then_parse_is_identity(
        username in "(?s).{0,12}",
        extended in any::<bool>(),
        realm in quotable(12),
        nonce in quotable(20),
        uri in quotable(20),
        response in "[0-9a-f]{32,64}",
        alg in algorithm(),
        qop in proptest::option::of(prop_oneof![Just(Qop::Auth), Just(Qop::AuthInt)]),
        nc in 1u32..,
        cnonce in quotable(16),
        opaque in proptest::option::of(quotable(10)),
        userhash in any::<bool>(),
    ) {
        let mut h = AuthorizationHeader::new(username, realm, nonce, uri, response);
        h.username_extended = extended;
        h.algorithm = alg;
        h.qop = qop;
        h.nc = qop.map(|_| nc);
        h.cnonce = qop.map(|_| cnonce);
        h.opaque = opaque;
        h.userhash = userhash;
        let back: AuthorizationHeader = h.to_string().parse().unwrap();
        // `username*` is used when asked for or when the username needs it.
        let needs = !h.username.is_ascii()
            || h.username.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f);
        h.username_extended = h.username_extended || needs;
        prop_assert_eq!(back, h);
    }

    #[test]
    fn authentication_info_format_then_parse_is_identity(
        nextnonce in proptest::option::of(quotable(20)),
        qop in proptest::option::of(prop_oneof![Just(Qop::Auth), Just(Qop::AuthInt)]),
        rspauth in proptest::option::of("[0-9a-f]{32}"),
        cnonce in proptest::option::of(quotable(16)),
        nc in proptest::option::of(any::<u32>()),
    ) {
        let mut i = AuthenticationInfo::new();
        i.nextnonce = nextnonce;
        i.qop = qop;
        i.rspauth = rspauth;
        i.cnonce = cnonce;
        i.nc = nc;
        prop_assert_eq!(i.to_string().parse::<AuthenticationInfo>().unwrap(), i);
    }
}

fn challenge() -> impl Strategy<Value = Challenge> {
    let token68 = proptest::string::string_regex("[A-Za-z0-9._~+/-]{1,12}={0,2}").unwrap();
    let params = proptest::collection::vec((token(8), quotable(10)), 0..4);
    (
        token(8),
        prop_oneof![token68.prop_map(Some), Just(None)],
        params,
    )
        .prop_map(|(scheme, token68, params)| {
            let mut c = Challenge::new(scheme);
            if token68.is_some() {
                c.token68 = token68;
            } else {
                c.params = params;
            }
            c
        })
}

fn exercise(s: &str) {
    let _ = parse_challenges([s, s]);
    let _ = parse_credentials(s);
    let _ = parse_param_list(s);
    let _ = s.parse::<DigestChallenge>();
    let _ = s.parse::<AuthorizationHeader>();
    let _ = s.parse::<AuthenticationInfo>();
    let _ = s.parse::<Algorithm>();
    let _ = s.parse::<Qop>();
    let client = DigestClient::new(Credentials::new("u", "p"));
    let mut st = client.start();
    let _ = authz(&client, &mut st, &RequestFacts::new("GET", "/"), "c");
    let _ = client.on_unauthorized(&mut st, [s]);
    let _ = authz(&client, &mut st, &RequestFacts::new("GET", s), s);
    let _ = client.on_authentication_info(&st, s);
    let server = DigestServer::new(ServerConfig::new("r"), [0; 32]);
    let users = InMemoryCredentials::new();
    let _ = server.verify(s, &RequestFacts::new("GET", s), t0(), &users);
}
