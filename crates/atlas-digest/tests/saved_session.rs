//! Saving a client's session and taking it up in another client: export hands the nonce over,
//! blocks of nc never overlap, an imported nonce that the server refuses costs one challenge,
//! and no (nonce, nc) pair is ever sent twice, whatever the interleaving of clients.

mod common;

use std::collections::HashSet;

use atlas_digest::{
    Algorithm, AuthorizationHeader, ClientConfig, Credentials, DigestClient, DigestError,
    DigestServer, ImportError, InMemoryCredentials, Md5, NextNonce, RequestFacts, SavedSession,
    ServerConfig,
};
use common::{authz, cnonce, request, t0};
use proptest::prelude::*;

const ORIGIN: &str = "https://cloud.example";

fn users() -> InMemoryCredentials {
    let mut u = InMemoryCredentials::new();
    u.insert("alice", "wonderland");
    u
}

fn server() -> DigestServer {
    DigestServer::new(ServerConfig::new("atlas"), [7; 32])
}

fn client() -> DigestClient {
    client_as("alice", "wonderland")
}

fn client_as(user: &str, password: &str) -> DigestClient {
    DigestClient::for_origin(
        Credentials::new(user, password),
        ClientConfig::default(),
        ORIGIN,
    )
    .unwrap()
}

fn facts() -> RequestFacts<'static> {
    RequestFacts::new("GET", "/api/atlas/v2/groups")
}

fn sent(header: &str) -> (String, u32) {
    let h: AuthorizationHeader = header.parse().unwrap();
    (h.nonce, h.nc.unwrap())
}

#[test]
fn export_hands_over_and_an_import_sends_first_time_within_its_block() {
    let (server, users) = (server(), users());
    let a = client();
    assert_eq!(
        request(&a, &server, &users, &facts(), t0())
            .unwrap()
            .round_trips,
        2
    );
    assert_eq!(
        request(&a, &server, &users, &facts(), t0())
            .unwrap()
            .state
            .nc(),
        Some(2)
    );
    let (_, nonce) = a.current_nonce().unwrap();

    let mut saved = a.export_session().expect("a nonce a fetched itself");
    assert_eq!(saved.next_nc(), Some(3));
    assert_eq!(saved.nonce(), nonce);
    assert_eq!(saved.origin().as_str(), ORIGIN);
    assert_eq!(saved.username(), "alice");
    assert!(!saved.to_text().contains("wonderland"));
    // Handed over: a sends no further nc on it, and exports nothing more.
    assert!(a.export_session().is_none());
    let mut st = a.start();
    assert_eq!(
        authz(&a, &mut st, &facts(), &cnonce()).unwrap(),
        None,
        "a probes"
    );
    drop(st);

    // b takes nc 3..=4 up: its first request is one round trip, on a's nonce.
    let block = saved.reserve(2).unwrap();
    assert_eq!((block.first(), block.last()), (3, 4));
    assert_eq!(saved.next_nc(), Some(5));
    let b = client();
    b.import_session(block).unwrap();
    assert!(b.has_nonce());
    for nc in [3, 4] {
        let done = request(&b, &server, &users, &facts(), t0()).unwrap();
        assert_eq!(done.round_trips, 1);
        assert_eq!(done.verified.nc, Some(nc));
    }
    // b's block is used up: it fetches a fresh challenge (two round trips), never sends nc 5.
    let done = request(&b, &server, &users, &facts(), t0()).unwrap();
    assert_eq!(done.round_trips, 2);
    assert_eq!(done.state.nc(), Some(1));
    assert_ne!(b.current_nonce().unwrap().1, nonce);
    // What b exports is the nonce it fetched, not the one it imported.
    let again = b.export_session().unwrap();
    assert_ne!(again.nonce(), nonce);
    assert_eq!(again.next_nc(), Some(2));
}

#[test]
fn an_imported_session_is_not_exported_again() {
    let (server, users) = (server(), users());
    let a = client();
    request(&a, &server, &users, &facts(), t0()).unwrap();
    let mut saved = a.export_session().unwrap();
    let b = client();
    b.import_session(saved.reserve(8).unwrap()).unwrap();
    request(&b, &server, &users, &facts(), t0()).unwrap();
    assert!(b.export_session().is_none());
}

#[test]
fn a_refused_imported_nonce_costs_one_fresh_challenge_and_wrong_keys_still_fail() {
    let users = users();
    let old = DigestServer::new(ServerConfig::new("atlas"), [1; 32]);
    let a = client();
    request(&a, &old, &users, &facts(), t0()).unwrap();
    let mut saved = a.export_session().unwrap();
    // The server restarted with another secret: the nonce means nothing to it (a plain 401).
    let restarted = DigestServer::new(ServerConfig::new("atlas"), [2; 32]);
    let b = client();
    b.import_session(saved.reserve(4).unwrap()).unwrap();
    let done = request(&b, &restarted, &users, &facts(), t0()).unwrap();
    assert_eq!(
        done.round_trips, 2,
        "the imported nonce, then the fresh challenge"
    );
    assert_eq!(done.state.nc(), Some(1));

    // Expired: stale=true, the same one extra round trip.
    let later = t0() + std::time::Duration::from_secs(24 * 3600);
    let c = client();
    c.import_session(saved.reserve(4).unwrap()).unwrap();
    let done = request(&c, &old, &users, &facts(), later).unwrap();
    assert_eq!(done.round_trips, 2);

    // Wrong private key with a good saved nonce: the imported nonce, the fresh challenge, refused.
    let wrong = client_as("alice", "not-the-password");
    wrong.import_session(saved.reserve(4).unwrap()).unwrap();
    let e = request(&wrong, &old, &users, &facts(), t0()).unwrap_err();
    assert_eq!(e, DigestError::Rejected);
}

#[test]
fn imports_that_cannot_be_taken_up_are_typed_errors() {
    let (server, users) = (server(), users());
    let a = client();
    request(&a, &server, &users, &facts(), t0()).unwrap();
    let mut saved = a.export_session().unwrap();

    assert_eq!(
        client_as("bob", "x").import_session(saved.reserve(1).unwrap()),
        Err(ImportError::Username)
    );
    let elsewhere = DigestClient::for_origin(
        Credentials::new("alice", "wonderland"),
        ClientConfig::default(),
        "https://other.example",
    )
    .unwrap();
    assert!(matches!(
        elsewhere.import_session(saved.reserve(1).unwrap()),
        Err(ImportError::Origin { .. })
    ));
    // A client that holds a nonce already.
    assert_eq!(
        a.import_session(saved.reserve(1).unwrap()),
        Err(ImportError::InUse)
    );
    // MD5 refused by configuration.
    let md5_server = DigestServer::new(
        ServerConfig::new("atlas").with_algorithms([Algorithm::Md5]),
        [3; 32],
    );
    let m = client();
    request(&m, &md5_server, &users, &facts(), t0()).unwrap();
    let mut md5 = m.export_session().unwrap();
    let strict = DigestClient::for_origin(
        Credentials::new("alice", "wonderland"),
        ClientConfig::default().with_md5(Md5::Refuse),
        ORIGIN,
    )
    .unwrap();
    assert!(matches!(
        strict.import_session(md5.reserve(1).unwrap()),
        Err(ImportError::Unusable(
            DigestError::NoSupportedChallenge { .. }
        ))
    ));
    // An unbound client binds to the session's origin.
    let unbound = DigestClient::new(Credentials::new("alice", "wonderland"));
    unbound.import_session(saved.reserve(1).unwrap()).unwrap();
    assert_eq!(unbound.origin().unwrap().as_str(), ORIGIN);
    // The errors say what is wrong without the nonce.
    let e = ImportError::Username.to_string();
    assert!(!e.contains(saved.nonce()), "{e}");
}

#[test]
fn a_handed_over_nonce_repeated_by_the_server_is_not_counted_on() {
    // A server that answers every challenge with the same nonce.
    const SAME: &str = r#"Digest realm="r", qop="auth", algorithm=SHA-256, nonce="same""#;
    let a = client();
    let mut st = a.start();
    assert_eq!(authz(&a, &mut st, &facts(), &cnonce()).unwrap(), None);
    a.on_unauthorized(&mut st, [SAME]).unwrap();
    let h = authz(&a, &mut st, &facts(), &cnonce()).unwrap().unwrap();
    assert_eq!(sent(&h), ("same".to_owned(), 1));
    a.on_success_without_info(&st).unwrap();
    drop(st);
    let saved = a.export_session().unwrap();
    assert_eq!(saved.next_nc(), Some(2));
    // a probes, is offered "same" again, and must not send nc 2 (the saved copy hands it out).
    let mut st = a.start();
    assert_eq!(authz(&a, &mut st, &facts(), &cnonce()).unwrap(), None);
    a.on_unauthorized(&mut st, [SAME]).unwrap();
    match authz(&a, &mut st, &facts(), &cnonce()) {
        Ok(None) | Err(_) => {}
        Ok(Some(h)) => panic!("sent {:?} again on a handed-over nonce", sent(&h)),
    }
}

#[test]
fn a_nextnonce_of_an_imported_session_belongs_to_the_importer() {
    let server = DigestServer::new(
        ServerConfig::new("atlas").with_next_nonce(NextNonce::Always),
        [5; 32],
    );
    let users = users();
    let a = client();
    request(&a, &server, &users, &facts(), t0()).unwrap();
    // a holds the nextnonce now (nc 1 unsent on it); export it.
    let mut saved = a.export_session().unwrap();
    assert_eq!(saved.next_nc(), Some(1));
    let b = client();
    b.import_session(saved.reserve(4).unwrap()).unwrap();
    let done = request(&b, &server, &users, &facts(), t0()).unwrap();
    assert_eq!(done.round_trips, 1);
    // The server's nextnonce was for b alone: b may export it.
    let mine = b.export_session().unwrap();
    assert_ne!(mine.nonce(), saved.nonce());
}

/// One step of the model: which client does what.
#[derive(Debug, Clone)]
enum Step {
    /// Client `i` is replaced by a fresh one that imports a block of `k` from the store.
    Start(usize, u32),
    /// Client `i` sends a request.
    Send(usize),
    /// Client `i` exports its session into the store (replacing what was there).
    Save(usize),
    /// The server forgets every nonce (a restart): the next credentials get a plain 401.
    Restart,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..3, 0u32..6).prop_map(|(i, k)| Step::Start(i, k)),
        (0usize..3).prop_map(Step::Send),
        (0usize..3).prop_map(Step::Send),
        (0usize..3).prop_map(Step::Save),
        Just(Step::Restart),
    ]
}

proptest! {
    /// Three clients share one store (as processes share the cache file) in any order: no
    /// (nonce, nc) pair goes out twice, and every request succeeds.
    #[test]
    fn no_nc_is_ever_sent_twice(steps in proptest::collection::vec(step(), 1..60)) {
        let users = users();
        let mut secret = 1u8;
        let mut server = DigestServer::new(ServerConfig::new("atlas"), [secret; 32]);
        let mut clients: Vec<DigestClient> = (0..3).map(|_| client()).collect();
        let mut store: Option<SavedSession> = None;
        let mut seen: HashSet<(String, u32)> = HashSet::new();
        for s in steps {
            match s {
                Step::Start(i, k) => {
                    clients[i] = client();
                    if let Some(block) = store.as_mut().and_then(|s| s.reserve(k)) {
                        clients[i].import_session(block).unwrap();
                    }
                }
                Step::Send(i) => {
                    let c = &clients[i];
                    let mut st = c.start();
                    let mut trips = 0;
                    loop {
                        trips += 1;
                        prop_assert!(trips <= 4);
                        let Some(h) = authz(c, &mut st, &facts(), &cnonce()).unwrap() else {
                            let ch = server.challenges(t0(), atlas_digest::Stale::False);
                            c.on_unauthorized(&mut st, ch.iter().map(String::as_str)).unwrap();
                            continue;
                        };
                        prop_assert!(seen.insert(sent(&h)), "sent twice: {:?}", sent(&h));
                        match server.verify(&h, &facts(), t0(), &users) {
                            Ok(_) => {
                                c.on_success_without_info(&st).unwrap();
                                break;
                            }
                            Err(e) => {
                                let ch = server.challenges(t0(), e.stale());
                                c.on_unauthorized(&mut st, ch.iter().map(String::as_str)).unwrap();
                            }
                        }
                    }
                }
                Step::Save(i) => {
                    if let Some(s) = clients[i].export_session() {
                        store = Some(s);
                    }
                }
                Step::Restart => {
                    secret = secret.wrapping_add(1);
                    server = DigestServer::new(ServerConfig::new("atlas"), [secret; 32]);
                }
            }
        }
    }
}
