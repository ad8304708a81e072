//! The server's clock and replay defences: `now` out of order, clocks stepping back, nonces from the
//! future, the sliding window, the floor below which forgotten nonces stay forgotten, and the
//! per-nonce caches (MAC check, H(A1)) never outliving a changed secret.

use std::time::{Duration, SystemTime};

use atlas_digest::{
    Algorithm, AuthorizationHeader, Credentials, DigestServer, InMemoryCredentials, NonceScope,
    RequestFacts, ServerConfig, Stale, VerifyError,
};

const SECRET: [u8; 32] = [21; 32];

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn at(ms: u64) -> SystemTime {
    t0() + Duration::from_millis(ms)
}

fn users() -> InMemoryCredentials {
    let mut u = InMemoryCredentials::new();
    u.insert("alice", "wonderland");
    u
}

fn facts() -> RequestFacts<'static> {
    RequestFacts::new("GET", "/groups/1")
}

/// Credentials over `nonce` with `nc` (a fresh cnonce per nc).
fn creds(server: &DigestServer, nonce: &str, nc: u32) -> String {
    server
        .challenge_for(Algorithm::Sha256, nonce.to_owned(), Stale::False)
        .respond(
            &Credentials::new("alice", "wonderland"),
            &facts(),
            &format!("cn{nc}"),
            nc,
        )
        .unwrap()
}

fn verify(server: &DigestServer, a: &str, now: SystemTime) -> Result<Option<u32>, VerifyError> {
    server.verify(a, &facts(), now, &users()).map(|v| v.nc)
}

/// Issue 11, defect 1: a request stamped 300.5 s prunes nonce N; a replay of N stamped 299.9 s (a
/// worker thread that read its clock earlier) used to be accepted again.
#[test]
fn a_replay_stamped_earlier_than_the_pruning_request_is_not_accepted() {
    let server = DigestServer::new(
        ServerConfig::new("atlas").with_nonce_lifetime(Duration::from_secs(300)),
        SECRET,
    );
    let n = server.new_nonce(at(0));
    let captured = creds(&server, &n, 1);
    assert_eq!(verify(&server, &captured, at(0)), Ok(Some(1)));
    // Another nonce's first use at 300.5 s prunes N (expired by then).
    let m = server.new_nonce(at(300_400));
    assert_eq!(
        verify(&server, &creds(&server, &m, 1), at(300_500)),
        Ok(Some(1))
    );
    // The replay, stamped 299.9 s.
    assert_eq!(
        verify(&server, &captured, at(299_900)),
        Err(VerifyError::Stale)
    );
}

/// The same with a clock that steps back by an hour: time inside the server stands still instead.
#[test]
fn a_clock_stepping_back_reopens_nothing() {
    let server = DigestServer::new(
        ServerConfig::new("atlas").with_nonce_lifetime(Duration::from_secs(60)),
        SECRET,
    );
    let n = server.new_nonce(at(0));
    let captured = creds(&server, &n, 1);
    assert_eq!(verify(&server, &captured, at(0)), Ok(Some(1)));
    assert_eq!(
        verify(&server, &creds(&server, &n, 2), at(61_000)),
        Err(VerifyError::Stale)
    );
    // One hour back.
    let back = at(61_000) - Duration::from_secs(3600);
    assert_eq!(verify(&server, &captured, back), Err(VerifyError::Stale));
    assert_eq!(
        verify(&server, &creds(&server, &n, 3), back),
        Err(VerifyError::Stale)
    );
    // Nonces issued while the clock is behind are dated at the highest time seen, so they work and
    // are replay-protected as usual.
    let fresh = server.new_nonce(back);
    let a = creds(&server, &fresh, 1);
    assert_eq!(verify(&server, &a, back), Ok(Some(1)));
    assert_eq!(verify(&server, &a, back), Err(VerifyError::Replay));
}

/// A nonce dated after the server's clock is not one it issued: `BadNonce`, as documented.
#[test]
fn nonces_from_the_future_are_bad() {
    let lenient = || {
        DigestServer::new(
            ServerConfig::new("atlas").with_nonce_scope(NonceScope::Secret),
            SECRET,
        )
    };
    let ahead = lenient();
    let behind = lenient();
    behind.challenges(at(0), Stale::False);
    let n = ahead.new_nonce(at(5_000));
    assert_eq!(
        verify(&behind, &creds(&ahead, &n, 1), at(4_999)),
        Err(VerifyError::BadNonce)
    );
    // Once the clock has caught up, the nonce is good.
    assert_eq!(
        verify(&behind, &creds(&ahead, &n, 1), at(5_000)),
        Ok(Some(1))
    );
}

/// Issue 11, defect 2: the default window is 64; anything older is stale, never a hard failure.
#[test]
fn default_window_is_64_and_older_ncs_are_stale() {
    let server = DigestServer::new(ServerConfig::new("atlas"), SECRET);
    assert_eq!(server.config().replay_window(), 64);
    let n = server.new_nonce(at(0));
    assert_eq!(
        verify(&server, &creds(&server, &n, 100), at(0)),
        Ok(Some(100))
    );
    assert_eq!(
        verify(&server, &creds(&server, &n, 37), at(0)),
        Ok(Some(37))
    );
    assert_eq!(
        verify(&server, &creds(&server, &n, 36), at(0)),
        Err(VerifyError::Stale)
    );
    assert_eq!(
        verify(&server, &creds(&server, &n, 37), at(0)),
        Err(VerifyError::Replay)
    );
    for nc in 38..100 {
        assert_eq!(
            verify(&server, &creds(&server, &n, nc), at(0)),
            Ok(Some(nc))
        );
    }
}

#[test]
fn nc_zero_is_malformed() {
    let server = DigestServer::new(ServerConfig::new("atlas"), SECRET);
    let n = server.new_nonce(at(0));
    let mut h: AuthorizationHeader = creds(&server, &n, 1).parse().unwrap();
    h.nc = Some(0);
    assert!(matches!(
        verify(&server, &h.to_string(), at(0)),
        Err(VerifyError::Malformed(_))
    ));
}

/// The H(A1) cached for a nonce is tied to the secret it came from: a changed password takes effect
/// at once on nonces already in use, and the old password stops working.
#[test]
fn a_changed_password_is_noticed_on_a_nonce_in_use() {
    let server = DigestServer::new(ServerConfig::new("atlas"), SECRET);
    let n = server.new_nonce(at(0));
    let mut store = users();
    assert_eq!(
        server
            .verify(&creds(&server, &n, 1), &facts(), at(0), &store)
            .map(|v| v.nc),
        Ok(Some(1))
    );
    store.insert("alice", "new password");
    assert_eq!(
        server
            .verify(&creds(&server, &n, 2), &facts(), at(0), &store)
            .map(|v| v.nc),
        Err(VerifyError::WrongResponse)
    );
    let with_new = server
        .challenge_for(Algorithm::Sha256, n.clone(), Stale::False)
        .respond(&Credentials::new("alice", "new password"), &facts(), "x", 3)
        .unwrap();
    assert_eq!(
        server
            .verify(&with_new, &facts(), at(0), &store)
            .map(|v| v.nc),
        Ok(Some(3))
    );
    store.remove("alice");
    assert_eq!(
        server
            .verify(&creds(&server, &n, 4), &facts(), at(0), &store)
            .map(|v| v.nc),
        Err(VerifyError::UnknownUser)
    );
}

/// The cached MAC check covers the nonce's every byte: a tracked nonce with one byte changed is not
/// taken for the tracked one.
#[test]
fn the_mac_cache_is_keyed_by_the_whole_nonce() {
    let server = DigestServer::new(ServerConfig::new("atlas"), SECRET);
    let n = server.new_nonce(at(0));
    assert_eq!(verify(&server, &creds(&server, &n, 1), at(0)), Ok(Some(1)));
    let last = n.len() - 1;
    for c in ['A', 'B', '+', '/'] {
        let mut t = n.clone();
        t.replace_range(last.., &c.to_string());
        if t == n {
            continue;
        }
        assert_eq!(
            verify(&server, &creds(&server, &t, 2), at(0)),
            Err(VerifyError::BadNonce),
            "{t}"
        );
    }
}
