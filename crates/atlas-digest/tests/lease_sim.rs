//! A deterministic in-memory simulation of N concurrent logical requests (1..=1024) sharing one
//! `DigestClient` against a `DigestServer` with W = 64, under schedules chosen by proptest: which
//! request is authorized, sent, answered or completed next, whether a lease is completed before or
//! after the response is fed, which waits are polled spuriously, and (in some runs) which requests
//! are cancelled at any point, the server's nonce expiring mid-run, or a `nextnonce` on every answer.
//!
//! It asserts, on every schedule:
//! - exactly one challenge for N concurrent first requests (one more per probe that was cancelled);
//! - no request is ever refused for nc ordering (no `Replay`, no `Stale` but after the expiry);
//! - every (nonce, nc) is sent at most once and accepted exactly once;
//! - waiters progress: every request finishes, and the run never stalls with work left (a stall is a
//!   lost wake-up: the simulated executor polls a waiting request only after its waker fired, plus
//!   some spurious polls).

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, SystemTime};

use atlas_digest::{
    Algorithm, AuthorizationHeader, Authorize, Credentials, DigestClient, DigestServer,
    InMemoryCredentials, NcLease, NcWait, NextNonce, RequestFacts, RequestState, ServerConfig,
    Stale, Verified, VerifyError,
};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

/// SplitMix64: the schedule's randomness, seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

enum Answer {
    Ok(Box<Verified>),
    Unauthorized(Vec<String>),
}

enum Phase {
    /// Must call `authorize`.
    Fresh,
    Waiting {
        wait: NcWait,
        flag: Arc<Flag>,
        waker: Waker,
    },
    ToServer {
        header: Option<String>,
        lease: Option<NcLease>,
    },
    ToClient {
        answer: Answer,
        lease: Option<NcLease>,
        probe: bool,
    },
    Done,
}

struct Req {
    state: Option<RequestState>,
    phase: Phase,
    /// Times this request was told to probe and did.
    probes: usize,
}

#[derive(Clone, Copy, Debug)]
struct Plan {
    n: usize,
    seed: u64,
    cancel_percent: u64,
    expire: bool,
    next_nonce: bool,
    alg: Algorithm,
    span: u32,
    /// The client's `max_nc` (`u32::MAX` but in the small-nonce runs).
    max_nc: u32,
}

#[derive(Debug, Default)]
struct Outcome {
    challenges_for_probes: usize,
    cancelled_probes: usize,
    succeeded: usize,
    cancelled: usize,
    stale_after_expiry: usize,
    nonces_used: usize,
    /// The most probes any one request made.
    most_probes_by_one: usize,
}

const LIFETIME_MS: u64 = 1_000;

fn t(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000) + Duration::from_millis(ms)
}

fn run(plan: Plan) -> Result<Outcome, TestCaseError> {
    let mut rng = Rng(plan.seed);
    let server = DigestServer::new(
        ServerConfig::new("sim")
            .with_algorithms([plan.alg])
            .with_replay_window(64)
            .with_nonce_lifetime(Duration::from_millis(LIFETIME_MS))
            .with_max_tracked_nonces(4096)
            .with_next_nonce(if plan.next_nonce {
                NextNonce::Always
            } else {
                NextNonce::Never
            }),
        [7; 32],
    );
    let mut users = InMemoryCredentials::new();
    users.insert("u", "p");
    let client = DigestClient::with_config(
        Credentials::new("u", "p"),
        atlas_digest::ClientConfig::default()
            .with_nc_span(plan.span)
            .with_server_window(64)
            .with_max_nc(plan.max_nc),
    );
    let facts = RequestFacts::new("GET", "/groups/1/clusters/c/backup/snapshots");
    let mut reqs: Vec<Req> = (0..plan.n)
        .map(|_| Req {
            state: Some(client.start()),
            phase: Phase::Fresh,
            probes: 0,
        })
        .collect();
    let mut out = Outcome::default();
    let mut clock = 0u64;
    let mut expired = false;
    let mut sent: HashSet<(String, u32)> = HashSet::new();
    let mut accepted: HashSet<(String, u32)> = HashSet::new();
    let mut nonces: HashSet<String> = HashSet::new();
    let mut cnonce_counter = 0u64;
    // A nonce good for `max_nc` requests costs a probe per `max_nc` requests.
    let budget = (plan.n * 40 + 200) * if plan.max_nc < 8 { 4 } else { 1 };
    let mut steps = 0;
    loop {
        steps += 1;
        prop_assert!(steps < budget, "the simulation did not terminate");
        // Runnable requests: everything but waits whose waker has not fired (and, now and then, a
        // spurious poll of one that has not).
        let runnable: Vec<usize> = reqs
            .iter()
            .enumerate()
            .filter(|(_, r)| match &r.phase {
                Phase::Done => false,
                Phase::Waiting { flag, .. } => flag.0.load(Ordering::SeqCst),
                _ => true,
            })
            .map(|(i, _)| i)
            .collect();
        let open = reqs
            .iter()
            .filter(|r| !matches!(r.phase, Phase::Done))
            .count();
        if open == 0 {
            break;
        }
        let i = if runnable.is_empty() || rng.chance(2) {
            let waiting: Vec<usize> = reqs
                .iter()
                .enumerate()
                .filter(|(_, r)| matches!(r.phase, Phase::Waiting { .. }))
                .map(|(i, _)| i)
                .collect();
            if runnable.is_empty() {
                // Only waits remain and no waker fired: a lost wake-up.
                prop_assert!(
                    false,
                    "stalled with {} open requests, all waiting, none woken (load {:?})",
                    open,
                    client.load()
                );
            }
            waiting
                .get(rng.below(waiting.len().max(1)))
                .copied()
                .unwrap_or(runnable[0])
        } else {
            runnable[rng.below(runnable.len())]
        };
        if plan.expire && !expired && rng.chance(1) {
            clock += LIFETIME_MS + 500;
            expired = true;
        }
        let cancel = plan.cancel_percent > 0 && rng.chance(plan.cancel_percent);
        let r = &mut reqs[i];
        let phase = std::mem::replace(&mut r.phase, Phase::Done);
        if cancel {
            // The request's future is dropped wherever it is: its wait, lease and state go.
            if let Phase::ToServer { header: None, .. } | Phase::ToClient { probe: true, .. } =
                phase
            {
                out.cancelled_probes += 1;
            }
            drop(phase);
            r.state = None;
            out.cancelled += 1;
            continue;
        }
        let Some(state) = r.state.as_mut() else {
            continue;
        };
        r.phase = match phase {
            Phase::Done => Phase::Done,
            Phase::Fresh => {
                cnonce_counter += 1;
                let cnonce = format!(
                    "{:016x}",
                    cnonce_counter.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                );
                match client.authorize(state, &facts, &cnonce) {
                    Ok(Authorize::Send { header, lease }) => {
                        let h: AuthorizationHeader = header.parse().unwrap();
                        prop_assert!(
                            sent.insert((h.nonce.clone(), h.nc.unwrap())),
                            "nc {:?} issued twice",
                            h.nc
                        );
                        nonces.insert(h.nonce);
                        Phase::ToServer {
                            header: Some(header),
                            lease: Some(lease),
                        }
                    }
                    Ok(Authorize::Probe) => Phase::ToServer {
                        header: None,
                        lease: None,
                    },
                    Ok(Authorize::Wait(wait)) => {
                        let flag = Arc::new(Flag(AtomicBool::new(false)));
                        let waker = Waker::from(flag.clone());
                        // Poll once, as an executor does when the future is first awaited.
                        let mut wait = wait;
                        let mut cx = Context::from_waker(&waker);
                        match std::pin::Pin::new(&mut wait).poll(&mut cx) {
                            Poll::Ready(()) => Phase::Fresh,
                            Poll::Pending => Phase::Waiting { wait, flag, waker },
                        }
                    }
                    Err(e) => {
                        prop_assert!(false, "authorize failed: {}", e);
                        Phase::Done
                    }
                }
            }
            Phase::Waiting {
                mut wait,
                flag,
                waker,
            } => {
                flag.0.store(false, Ordering::SeqCst);
                let mut cx = Context::from_waker(&waker);
                match std::pin::Pin::new(&mut wait).poll(&mut cx) {
                    Poll::Ready(()) => Phase::Fresh,
                    Poll::Pending => Phase::Waiting { wait, flag, waker },
                }
            }
            Phase::ToServer { header, lease } => match &header {
                None => {
                    out.challenges_for_probes += 1;
                    r.probes += 1;
                    out.most_probes_by_one = out.most_probes_by_one.max(r.probes);
                    Phase::ToClient {
                        answer: Answer::Unauthorized(server.challenges(t(clock), Stale::False)),
                        lease,
                        probe: true,
                    }
                }
                Some(h) => match server.verify(h, &facts, t(clock), &users) {
                    Ok(v) => {
                        let a: AuthorizationHeader = h.parse().unwrap();
                        prop_assert!(accepted.insert((a.nonce, a.nc.unwrap())));
                        Phase::ToClient {
                            answer: Answer::Ok(Box::new(v)),
                            lease,
                            probe: false,
                        }
                    }
                    Err(VerifyError::Stale) if expired => {
                        out.stale_after_expiry += 1;
                        Phase::ToClient {
                            answer: Answer::Unauthorized(server.challenges(t(clock), Stale::True)),
                            lease,
                            probe: false,
                        }
                    }
                    Err(e) => {
                        prop_assert!(false, "server refused a request: {:?} ({})", e, h);
                        Phase::Done
                    }
                },
            },
            Phase::ToClient {
                answer,
                lease,
                probe: _,
            } => {
                // The transport may release the lease before or after feeding the response.
                let early = rng.chance(50);
                let mut lease = lease;
                if early {
                    drop(lease.take());
                }
                let next = match answer {
                    Answer::Ok(v) => {
                        client
                            .on_authentication_info(state, &v.authentication_info())
                            .map_err(|e| TestCaseError::fail(format!("rspauth: {e}")))?;
                        out.succeeded += 1;
                        Phase::Done
                    }
                    Answer::Unauthorized(values) => {
                        match client.on_unauthorized(state, values.iter().map(String::as_str)) {
                            Ok(()) => Phase::Fresh,
                            Err(e) => {
                                prop_assert!(false, "request failed: {}", e);
                                Phase::Done
                            }
                        }
                    }
                };
                if let Some(l) = lease {
                    l.complete();
                }
                if matches!(next, Phase::Done) {
                    r.state = None;
                }
                next
            }
        };
    }
    out.nonces_used = nonces.len();
    Ok(out)
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        prop_oneof![1usize..=8, 1usize..=100, 1usize..=1024],
        any::<u64>(),
        prop_oneof![3 => Just(0u64), 2 => 1u64..6],
        prop_oneof![3 => Just(false), 1 => Just(true)],
        prop_oneof![3 => Just(false), 1 => Just(true)],
        proptest::sample::select(Algorithm::ALL.to_vec()),
        prop_oneof![Just(32u32), 1u32..=64],
    )
        .prop_map(
            |(n, seed, cancel_percent, expire, next_nonce, alg, span)| Plan {
                n,
                seed,
                cancel_percent,
                expire,
                next_nonce,
                alg,
                span,
                max_nc: u32::MAX,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn concurrent_requests_under_any_schedule(plan in plan()) {
        let out = run(plan)?;
        prop_assert_eq!(out.succeeded + out.cancelled, plan.n, "{:?}", out);
        if plan.cancel_percent == 0 {
            prop_assert_eq!(out.challenges_for_probes, 1, "one challenge for {} first requests", plan.n);
            prop_assert_eq!(out.succeeded, plan.n);
        } else {
            prop_assert!(
                out.challenges_for_probes <= 1 + out.cancelled_probes,
                "{:?}", out
            );
        }
        if plan.expire && !plan.next_nonce {
            // One nonce before the expiry, one after: the stale answers never start a herd of
            // adoptions.
            prop_assert!(out.nonces_used <= 2 + out.cancelled_probes, "{:?}", out);
        }
        if !plan.expire {
            prop_assert_eq!(out.stale_after_expiry, 0);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// A nonce good for only 1..=4 requests (a client `max_nc`): the nonce runs out again and again
    /// under concurrency, and still no request fails, and none probes more than once -- the request
    /// that fetched a challenge sends first on it, so the others cannot use it up before it.
    #[test]
    fn a_nonce_good_for_few_requests_never_starves_a_request(
        n in 1usize..=64,
        seed in any::<u64>(),
        max_nc in 1u32..=4,
        span in prop_oneof![Just(32u32), 1u32..=8],
        next_nonce in any::<bool>(),
    ) {
        let out = run(Plan {
            n,
            seed,
            cancel_percent: 0,
            expire: false,
            next_nonce,
            alg: Algorithm::Md5,
            span,
            max_nc,
        })?;
        prop_assert_eq!(out.succeeded, n, "{:?}", out);
        prop_assert!(out.most_probes_by_one <= 1, "{:?}", out);
    }
}

/// The biggest case, deterministically, with the default span: 1024 first requests, one challenge.
#[test]
fn a_thousand_concurrent_first_requests_cost_one_challenge() {
    for seed in 0..4 {
        let out = run(Plan {
            n: 1024,
            seed,
            cancel_percent: 0,
            expire: false,
            next_nonce: false,
            alg: Algorithm::Md5,
            span: 32,
            max_nc: u32::MAX,
        })
        .unwrap();
        assert_eq!(out.challenges_for_probes, 1);
        assert_eq!(out.succeeded, 1024);
        assert_eq!(out.nonces_used, 1);
    }
}
