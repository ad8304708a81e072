//! The digest session store: a new client takes up the nonce an earlier one handed over and
//! sends its first request with credentials (one round trip), clients sharing a store never
//! send one (nonce, nc) twice, and a stale or refused stored nonce costs one fresh challenge.
//! Against a real hyper server on 127.0.0.1 verifying with `atlas_digest::DigestServer`.

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use atlas_transport::digest_session::{DigestSessionStore, MemoryDigestSessionStore};
use atlas_transport::{Client, Error, ProxyConfig, RetryPolicy};
use http::StatusCode;
use support::{DigestApp, TestServer, get, guarded};

const USER: &str = "public-key";
const PASSWORD: &str = "private-key-secret";

fn client(store: &Arc<MemoryDigestSessionStore>, password: &str, block: u32) -> Client {
    Client::builder()
        .credentials(USER, password)
        .proxy(ProxyConfig::none())
        .retry_policy(RetryPolicy::none())
        .digest_session_store(store.clone() as Arc<dyn DigestSessionStore>)
        .digest_session_block(block)
        .build()
        .expect("client")
}

/// (round trips, challenges) of one client's `n` sequential requests.
async fn run(c: &Client, server: &TestServer, n: usize) -> (u64, u64) {
    for i in 0..n {
        let r = c
            .execute(get(&server.url(&format!("/api/atlas/v2/groups/{i}"))))
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
    }
    let s = c.stats();
    (s.round_trips, s.challenges)
}

fn assert_no_pair_twice(app: &DigestApp) {
    let mut pairs = HashSet::new();
    for s in app.seen() {
        if let (Some(n), Some(nc)) = (s.nonce(), s.nc_value()) {
            assert!(pairs.insert((n.clone(), nc)), "({n}, {nc}) was sent twice");
        }
    }
}

#[tokio::test]
async fn the_next_client_skips_the_challenge() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let store = Arc::new(MemoryDigestSessionStore::new());

        let first = client(&store, PASSWORD, 16);
        assert_eq!(run(&first, &server, 2).await, (3, 1));
        drop(first); // hands the nonce over, next nc 3

        let second = client(&store, PASSWORD, 16);
        assert_eq!(
            run(&second, &server, 1).await,
            (1, 0),
            "one round trip, no challenge"
        );
        drop(second); // imported: nothing saved back

        let third = client(&store, PASSWORD, 16);
        assert_eq!(run(&third, &server, 1).await, (1, 0));
        let seen = app.seen();
        let ncs: Vec<u32> = seen.iter().filter_map(|s| s.nc_value()).collect();
        assert_eq!(ncs, [1, 2, 3, 19], "blocks [3, 19) and [19, 35)");
        assert_eq!(app.unauthorized_count(), 1);
        assert_no_pair_twice(&app);
    })
    .await;
}

#[tokio::test]
async fn a_used_up_block_fetches_a_challenge_and_saving_hands_over_at_once() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let store = Arc::new(MemoryDigestSessionStore::new());
        let first = client(&store, PASSWORD, 2);
        run(&first, &server, 1).await;
        assert_eq!(first.save_digest_sessions().unwrap(), 1);
        // Handed over: first's next request fetches a challenge of its own.
        assert_eq!(run(&first, &server, 1).await, (4, 2));

        let second = client(&store, PASSWORD, 2);
        // Two requests on the block, the third pays a challenge.
        assert_eq!(run(&second, &server, 3).await, (4, 1));
        assert_no_pair_twice(&app);
    })
    .await;
}

#[tokio::test]
async fn a_stale_stored_nonce_costs_one_challenge_and_is_replaced() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let store = Arc::new(MemoryDigestSessionStore::new());
        run(&client(&store, PASSWORD, 16), &server, 1).await;
        app.advance(24 * 3600);
        // The stored nonce expired: one stale 401, then the request goes through.
        let second = client(&store, PASSWORD, 16);
        assert_eq!(run(&second, &server, 1).await, (2, 1));
        drop(second); // the fresh nonce replaces the stale one
        let third = client(&store, PASSWORD, 16);
        assert_eq!(run(&third, &server, 1).await, (1, 0));
        assert_no_pair_twice(&app);
    })
    .await;
}

#[tokio::test]
async fn wrong_keys_with_a_stored_nonce_are_still_rejected() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let store = Arc::new(MemoryDigestSessionStore::new());
        run(&client(&store, PASSWORD, 16), &server, 1).await;
        let wrong = client(&store, "not-the-key", 16);
        let e = wrong
            .execute(get(&server.url("/api/atlas/v2/groups/1")))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::AuthRejected { .. }), "{e:?}");
        // The stored nonce, the fresh challenge, refused: two round trips.
        assert_eq!(wrong.stats().round_trips, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_a_store_at_once_never_send_an_nc_twice() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = Arc::new(TestServer::plain(app.handler()).await);
        let store = Arc::new(MemoryDigestSessionStore::new());
        run(&client(&store, PASSWORD, 3), &server, 1).await;
        for _round in 0..4 {
            let mut tasks = Vec::new();
            for _ in 0..6 {
                let (store, server) = (store.clone(), server.clone());
                tasks.push(tokio::spawn(async move {
                    let c = client(&store, PASSWORD, 3);
                    let mut set = tokio::task::JoinSet::new();
                    for i in 0..5 {
                        let c = c.clone();
                        let url = server.url(&format!("/api/atlas/v2/groups/{i}"));
                        set.spawn(async move { c.execute(get(&url)).await.map(|r| r.status()) });
                    }
                    while let Some(r) = set.join_next().await {
                        assert_eq!(r.expect("task").expect("request"), StatusCode::OK);
                    }
                }));
            }
            for t in tasks {
                t.await.expect("task");
            }
        }
        assert_no_pair_twice(&app);
    })
    .await;
}
