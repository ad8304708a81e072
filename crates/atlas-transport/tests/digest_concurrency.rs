//! Digest under concurrency, against a real hyper server on 127.0.0.1 verifying with
//! `atlas_digest::DigestServer` (default replay window 64; the client's default nc span 32).
//!
//! Every assertion is an invariant that holds on every schedule: counts the protocol fixes
//! (exactly one challenge, exactly one extra round trip per stale answer), never "should be done
//! by now". Where a test needs to know which requests are in flight, the server's gate holds them
//! on arrival and the test awaits the count (a watch channel, no polling, no sleep).

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use atlas_transport::{Client, ProxyConfig, RetryPolicy, Stats};
use http::StatusCode;
use support::{DigestApp, Seen, TestServer, get, guarded};
use tokio::task::JoinSet;

const USER: &str = "public-key";
const PASSWORD: &str = "private-key-secret";
/// `atlas_digest::DEFAULT_NC_SPAN`: the most unretired nc values of one nonce.
const SPAN: usize = atlas_digest::DEFAULT_NC_SPAN as usize;

fn client_for(server: &TestServer) -> Client {
    let mut b = Client::builder()
        .credentials(USER, PASSWORD)
        .proxy(ProxyConfig::none())
        .retry_policy(RetryPolicy::none());
    if server.ca.is_some() {
        b = b.add_root_pem(server.ca_pem());
    }
    b.build().expect("client")
}

/// Starts `n` requests at once on `client` (as tasks) and returns their join set.
fn spawn_requests(client: &Client, server: &TestServer, n: usize, tag: &str) -> JoinSet<u16> {
    let mut set = JoinSet::new();
    for i in 0..n {
        let client = client.clone();
        let url = server.url(&format!("/{tag}/{i}"));
        set.spawn(async move {
            let r = client.execute(get(&url)).await.expect("request");
            r.status().as_u16()
        });
    }
    set
}

async fn all_ok(mut set: JoinSet<u16>) -> usize {
    let mut n = 0;
    while let Some(r) = set.join_next().await {
        assert_eq!(r.expect("task"), 200);
        n += 1;
    }
    n
}

/// What the server saw: no (nonce, nc) twice, and when an nc arrived, no nc of its nonce at or
/// beyond `nc + SPAN` had arrived before it (the lease: nc k is issued only once every nc up to
/// `k - SPAN` was answered). Returns the worst reordering seen.
fn check_nc_discipline(seen: &[Seen]) -> u32 {
    check_nc_discipline_except(seen, |_| false)
}

/// [`check_nc_discipline`], with the requests for which `abandoned` holds exempt from the
/// ordering bound (never from uniqueness): a request dropped by its caller retires its nc at
/// once, as it must, but the server may still hold it (at the gate) and verify it later, after
/// higher ncs that the retired lease let through. (`seen` is in the order the server finished
/// verifying, which for the others is before their answer, hence before their nc is retired.)
fn check_nc_discipline_except(seen: &[Seen], abandoned: impl Fn(&Seen) -> bool) -> u32 {
    let mut pairs = HashSet::new();
    let mut highest: HashMap<String, u32> = HashMap::new();
    let mut worst = 0;
    for s in seen.iter().filter(|s| s.authorization.is_some()) {
        let (nonce, nc) = (s.nonce().expect("nonce"), s.nc_value().expect("nc"));
        assert!(
            pairs.insert((nonce.clone(), nc)),
            "nc {nc} sent twice on one nonce"
        );
        let h = highest.entry(nonce).or_default();
        if !abandoned(s) {
            let behind = h.saturating_sub(nc);
            assert!(
                (behind as usize) < SPAN,
                "nc {nc} ({} {}) arrived {behind} behind the highest: the span is {SPAN}",
                s.method,
                s.path
            );
            worst = worst.max(behind);
        }
        *h = (*h).max(nc);
    }
    worst
}

/// `n` concurrent first requests on a fresh client: one probe, one challenge, every other
/// request authorized up front, all succeed.
async fn first_requests(n: usize, tls: bool) {
    let app = DigestApp::new(USER, PASSWORD);
    let server = if tls {
        TestServer::tls(app.handler()).await
    } else {
        TestServer::plain(app.handler()).await
    };
    let client = client_for(&server);
    assert_eq!(
        all_ok(spawn_requests(&client, &server, n, "first")).await,
        n
    );
    let s = client.stats();
    assert_eq!(
        (s.requests, s.round_trips, s.challenges, s.retries),
        (n as u64, n as u64 + 1, 1, 0),
        "{n} concurrent first requests: one challenge, one round trip each after it"
    );
    let seen = app.seen();
    assert_eq!(seen.iter().filter(|s| s.authorization.is_none()).count(), 1);
    assert_eq!(seen.iter().filter(|s| s.status == 401).count(), 1);
    check_nc_discipline(&seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_challenge_for_1_to_64_concurrent_first_requests() {
    guarded(async {
        for n in [1, 2, 3, 31, 32, 33, 64] {
            first_requests(n, false).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_challenge_for_256_concurrent_first_requests_over_tls() {
    guarded(first_requests(256, true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_challenge_for_1024_concurrent_first_requests() {
    guarded(first_requests(1024, false)).await;
}

/// After one warm-up request, `in_flight` tasks send `each` requests back to back.
async fn steady_state(in_flight: usize, each: usize) -> Stats {
    let app = DigestApp::new(USER, PASSWORD);
    let server = TestServer::plain(app.handler()).await;
    let client = client_for(&server);
    client
        .execute(get(&server.url("/warm")))
        .await
        .expect("warm-up");
    let mut set = JoinSet::new();
    for t in 0..in_flight {
        let client = client.clone();
        let urls: Vec<String> = (0..each)
            .map(|i| server.url(&format!("/steady/{t}/{i}")))
            .collect();
        set.spawn(async move {
            for url in urls {
                let r = client.execute(get(&url)).await.expect("request");
                assert_eq!(r.status(), StatusCode::OK);
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("task");
    }
    let total = (in_flight * each) as u64;
    let s = client.stats();
    assert_eq!(s.requests, total + 1);
    assert_eq!(
        (s.round_trips, s.challenges),
        (total + 2, 1),
        "{in_flight} in flight: no challenge after the first, one round trip per request"
    );
    let seen = app.seen();
    assert!(
        seen.iter()
            .all(|s| s.status == 200 || s.authorization.is_none()),
        "no request with credentials was refused"
    );
    check_nc_discipline(&seen);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_state_at_1_16_64_and_256_in_flight_costs_no_extra_challenge() {
    guarded(async {
        for (in_flight, each) in [(1, 50), (16, 20), (64, 10), (256, 4)] {
            steady_state(in_flight, each).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_nonce_costs_each_request_that_got_it_one_round_trip_and_the_waiters_nothing() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let client = client_for(&server);
        client
            .execute(get(&server.url("/warm")))
            .await
            .expect("warm-up");
        let warm_nonce = app.seen()[1].nonce().expect("nonce");

        // 100 requests: exactly SPAN of them get an nc and reach the server, where the gate holds
        // them; the others wait in the client for a slot.
        app.close_gate();
        let set = spawn_requests(&client, &server, 100, "stale");
        app.held(SPAN).await;
        // Every nonce issued so far is now expired: the held requests will be answered stale.
        app.advance(7 * 24 * 3600);
        app.open_gate();
        assert_eq!(all_ok(set).await, 100);

        let s = client.stats();
        assert_eq!(
            s.round_trips,
            2 + 100 + SPAN as u64,
            "one extra round trip for each request that was answered stale, none for the waiters"
        );
        assert_eq!(s.challenges, 1 + SPAN as u64);
        let seen = app.seen();
        let stale: Vec<&Seen> = seen.iter().filter(|s| s.status == 401).skip(1).collect();
        assert_eq!(stale.len(), SPAN);
        assert!(
            stale
                .iter()
                .all(|s| s.nonce().as_deref() == Some(warm_nonce.as_str())
                    && s.verify_error.as_deref() == Some("Stale")),
            "{stale:?}"
        );
        // One new nonce adopted, not one per stale answer: every success after the warm-up used
        // the same nonce.
        let after: HashSet<String> = seen
            .iter()
            .skip(2)
            .filter(|s| s.status == 200)
            .filter_map(Seen::nonce)
            .collect();
        assert_eq!(after.len(), 1, "{after:?}");
        assert!(!after.contains(&warm_nonce));
        check_nc_discipline(&seen);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_probe_hands_the_probe_to_the_next_request() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let client = client_for(&server);
        app.close_gate();
        // The first request probes and is held at the server; nine more wait for its challenge.
        let probe = {
            let client = client.clone();
            let url = server.url("/probe");
            tokio::spawn(async move { client.execute(get(&url)).await })
        };
        app.held(1).await;
        let set = spawn_requests(&client, &server, 9, "after-probe");
        // Whatever they have done so far, the nine cannot have reached the server: they wait
        // for the probe's challenge.
        assert_eq!(app.held_now(), 1);
        // Cancel the probe: the next waiting request probes in its place.
        probe.abort();
        assert!(probe.await.expect_err("aborted").is_cancelled());
        app.held(2).await;
        app.open_gate();
        assert_eq!(all_ok(set).await, 9);
        let s = client.stats();
        assert_eq!(s.challenges, 1, "the new probe's challenge serves all nine");
        assert_eq!(
            s.round_trips, 10,
            "one probe and nine authorized requests answered"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_requests_in_flight_or_waiting_never_wedges_the_queue() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let client = client_for(&server);
        client
            .execute(get(&server.url("/warm")))
            .await
            .expect("warm-up");

        app.close_gate();
        let mut handles = Vec::new();
        for i in 0..100 {
            let client = client.clone();
            let url = server.url(&format!("/drop/{i}"));
            handles.push(tokio::spawn(async move { client.execute(get(&url)).await }));
        }
        // SPAN requests hold an nc at the server; the rest wait for a slot.
        app.held(SPAN).await;
        // Drop every third request, wherever it is: in flight with a lease, or waiting.
        let mut kept = Vec::new();
        for (i, h) in handles.into_iter().enumerate() {
            if i % 3 == 0 {
                h.abort();
                assert!(h.await.expect_err("aborted").is_cancelled());
            } else {
                kept.push(h);
            }
        }
        app.open_gate();
        for h in kept {
            assert_eq!(h.await.expect("task").expect("request").status(), 200);
        }

        // No lease leaked: with the gate closed again, a full span of new requests reaches the
        // server at once (a leaked lease would keep one of them waiting, and this would hang).
        let held_before = app.held_now();
        app.close_gate();
        let set = spawn_requests(&client, &server, 2 * SPAN, "after");
        app.held(held_before + SPAN).await;
        app.open_gate();
        assert_eq!(all_ok(set).await, 2 * SPAN);
        assert_eq!(
            client.stats().challenges,
            1,
            "no request needed a new challenge"
        );
        // Every request kept obeys the span. An aborted one held at the gate is verified when the
        // gate opens, after its nc was retired: behind by up to the span or more (seen once in
        // a stress run: 32).
        check_nc_discipline_except(&app.seen(), |s| {
            s.path
                .strip_prefix("/drop/")
                .and_then(|i| i.parse::<usize>().ok())
                .is_some_and(|i| i % 3 == 0)
        });
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_server_window_is_respected_when_the_client_is_told() {
    guarded(async {
        // A server that tolerates only 8 requests overtaking each other, and a client told so.
        let config = atlas_digest::ServerConfig::new("MMS Public API").with_replay_window(8);
        let app = DigestApp::with_config(USER, PASSWORD, config);
        let server = TestServer::plain(app.handler()).await;
        let client = Client::builder()
            .credentials(USER, PASSWORD)
            .proxy(ProxyConfig::none())
            .retry_policy(RetryPolicy::none())
            .digest_config(atlas_digest::ClientConfig::default().with_server_window(8))
            .build()
            .expect("client");
        let client = Arc::new(client);
        client
            .execute(get(&server.url("/warm")))
            .await
            .expect("warm-up");
        app.close_gate();
        let set = spawn_requests(&client, &server, 64, "small");
        // The span follows the window: 8 at the server, not 32.
        app.held(8).await;
        app.open_gate();
        assert_eq!(all_ok(set).await, 64);
        let s = client.stats();
        assert_eq!((s.round_trips, s.challenges), (66, 1));
        assert!(
            app.seen()
                .iter()
                .all(|s| s.status == 200 || s.authorization.is_none())
        );
    })
    .await;
}
