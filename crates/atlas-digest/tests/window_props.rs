//! Property tests of the server's replay window and clock, through the public API: any permutation of
//! nc values within the window is accepted exactly once, any replay is refused, and interleaved (out
//! of order) `now` values never reopen a pruned or evicted nonce.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use atlas_digest::{
    Algorithm, Credentials, DigestServer, InMemoryCredentials, RequestFacts, ServerConfig, Stale,
    VerifyError,
};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000) + Duration::from_millis(ms)
}

fn users() -> InMemoryCredentials {
    let mut u = InMemoryCredentials::new();
    u.insert("u", "p");
    u
}

fn facts() -> RequestFacts<'static> {
    RequestFacts::new("GET", "/x")
}

fn creds(server: &DigestServer, nonce: &str, nc: u32, alg: Algorithm) -> String {
    server
        .challenge_for(alg, nonce.to_owned(), Stale::False)
        .respond(&Credentials::new("u", "p"), &facts(), &format!("c{nc}"), nc)
        .unwrap()
}

#[derive(Clone, Debug)]
enum Op {
    /// Issue a nonce at this time (ms).
    Issue(u64),
    /// Send nc for the nonce with this index (modulo issued) at this time.
    Send {
        nonce: proptest::sample::Index,
        nc: u32,
        at: u64,
    },
    /// Send again a request that was sent before (a captured request), at this time.
    Replay {
        which: proptest::sample::Index,
        at: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0u64..20_000).prop_map(Op::Issue),
        4 => (any::<proptest::sample::Index>(), 1u32..80, 0u64..20_000)
            .prop_map(|(nonce, nc, at)| Op::Send { nonce, nc, at }),
        2 => (any::<proptest::sample::Index>(), 0u64..20_000)
            .prop_map(|(which, at)| Op::Replay { which, at }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Any permutation of the nc values 1..=span (span at most W) is accepted exactly once each, in
    /// whatever order the requests arrive; afterwards every one of them is refused.
    #[test]
    fn any_permutation_within_the_span_is_accepted_exactly_once(
        w in 1u32..=128,
        order in (1usize..=128).prop_flat_map(|n| Just((1..=n as u32).collect::<Vec<_>>()).prop_shuffle()),
        alg in proptest::sample::select(Algorithm::ALL.to_vec()),
    ) {
        let server = DigestServer::new(
            ServerConfig::new("r").with_replay_window(w).with_algorithms([alg]),
            [4; 32],
        );
        let users = users();
        let nonce = server.new_nonce(at(0));
        let span: Vec<u32> = order.into_iter().filter(|&nc| nc <= w).collect();
        let sent: Vec<String> = span.iter().map(|&nc| creds(&server, &nonce, nc, alg)).collect();
        for (a, nc) in sent.iter().zip(&span) {
            prop_assert_eq!(server.verify(a, &facts(), at(0), &users).map(|v| v.nc), Ok(Some(*nc)));
        }
        for a in &sent {
            let again = server.verify(a, &facts(), at(0), &users).map(|v| v.nc);
            prop_assert_eq!(again, Err(VerifyError::Replay));
        }
    }

    /// Over any sequence of issues, sends and replays with `now` values in any order: no (nonce, nc)
    /// is ever accepted twice, no nonce is accepted once the server's clock (the highest `now` seen)
    /// is past its lifetime, and refusals for nc ordering are only ever `Stale` or `Replay`.
    #[test]
    fn interleaved_now_values_never_reopen_a_nonce(
        lifetime_ms in 1u64..8_000,
        max_tracked in 1usize..6,
        w in 1u32..=64,
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let server = DigestServer::new(
            ServerConfig::new("r")
                .with_nonce_lifetime(Duration::from_millis(lifetime_ms))
                .with_max_tracked_nonces(max_tracked)
                .with_replay_window(w)
                .with_algorithms([Algorithm::Md5]),
            [5; 32],
        );
        let users = users();
        let mut clock = 0u64;
        let mut issued: Vec<(String, u64)> = Vec::new();
        let mut sent: Vec<(usize, String)> = Vec::new();
        let mut accepted: HashSet<(usize, u32)> = HashSet::new();
        for op in ops {
            let (index, value, now) = match op {
                Op::Issue(t) => {
                    clock = clock.max(t);
                    issued.push((server.new_nonce(at(t)), clock));
                    continue;
                }
                Op::Send { nonce, nc, at: t } => {
                    if issued.is_empty() {
                        continue;
                    }
                    let i = nonce.index(issued.len());
                    let v = creds(&server, &issued[i].0, nc, Algorithm::Md5);
                    sent.push((i, v.clone()));
                    (i, v, t)
                }
                Op::Replay { which, at: t } => {
                    if sent.is_empty() {
                        continue;
                    }
                    let (i, v) = sent[which.index(sent.len())].clone();
                    (i, v, t)
                }
            };
            clock = clock.max(now);
            match server.verify(&value, &facts(), at(now), &users) {
                Ok(v) => {
                    let nc = v.nc.unwrap();
                    prop_assert!(accepted.insert((index, nc)), "nonce #{} nc {} accepted twice", index, nc);
                    prop_assert!(
                        clock - issued[index].1 <= lifetime_ms,
                        "nonce #{} accepted at clock {} but issued at {}", index, clock, issued[index].1
                    );
                }
                Err(VerifyError::Stale | VerifyError::Replay) => {}
                Err(e) => prop_assert!(false, "unexpected refusal {:?}", e),
            }
            prop_assert!(server.tracked_nonces() <= max_tracked);
        }
    }
}
