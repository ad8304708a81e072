//! Property test of the nc lease through the whole transport: any number of concurrent requests,
//! any of them dropped while in flight or waiting (with or without a nonce yet), and the queue
//! never wedges, no lease leaks, one challenge serves everyone.
//!
//! The server's gate holds arriving requests, so the test knows what is in flight without
//! sleeping; the invariants are counts that hold on every schedule.

mod support;

use atlas_transport::{Client, ProxyConfig, RetryPolicy};
use proptest::prelude::*;
use support::{DigestApp, TestServer, get, guarded};

const USER: &str = "public-key";
const PASSWORD: &str = "private-key-secret";
const SPAN: usize = atlas_digest::DEFAULT_NC_SPAN as usize;

fn client() -> Client {
    Client::builder()
        .credentials(USER, PASSWORD)
        .proxy(ProxyConfig::none())
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

async fn scenario(warm: bool, drop_mask: Vec<bool>) {
    let app = DigestApp::new(USER, PASSWORD);
    let server = TestServer::plain(app.handler()).await;
    let client = client();
    let mut completed = 0u64;
    if warm {
        client
            .execute(get(&server.url("/warm")))
            .await
            .expect("warm-up");
        completed += 1;
    }
    let n = drop_mask.len();
    app.close_gate();
    let mut handles = Vec::new();
    for i in 0..n {
        let client = client.clone();
        let url = server.url(&format!("/p/{i}"));
        handles.push(tokio::spawn(async move { client.execute(get(&url)).await }));
    }
    // With a nonce, a full span (or all of them) reaches the server; without, only the probe.
    app.held(if warm { n.min(SPAN) } else { 1 }).await;
    let mut kept = Vec::new();
    for (h, dropped) in handles.into_iter().zip(&drop_mask) {
        if *dropped {
            h.abort();
            assert!(h.await.expect_err("aborted").is_cancelled());
        } else {
            kept.push(h);
        }
    }
    app.open_gate();
    for h in kept {
        assert_eq!(h.await.expect("task").expect("request").status(), 200);
        completed += 1;
    }

    // The queue is not wedged and no lease leaked: once a nonce is held, a full span of new
    // requests reaches the server at once.
    client
        .execute(get(&server.url("/again")))
        .await
        .expect("after the drops");
    completed += 1;
    let before = app.held_now();
    app.close_gate();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..SPAN + 8 {
        let client = client.clone();
        let url = server.url(&format!("/leak/{i}"));
        set.spawn(async move { client.execute(get(&url)).await.map(|r| r.status()) });
    }
    app.held(before + SPAN).await;
    app.open_gate();
    while let Some(r) = set.join_next().await {
        assert_eq!(r.expect("task").expect("request"), 200);
        completed += 1;
    }

    let s = client.stats();
    assert_eq!(s.challenges, 1, "one challenge whatever was dropped");
    assert_eq!(
        s.round_trips,
        completed + 1,
        "one round trip per completed request, plus the one probe"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
    ))]

    #[test]
    fn dropping_any_requests_never_wedges_the_queue(
        warm in any::<bool>(),
        drop_mask in prop::collection::vec(any::<bool>(), 1..80),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(guarded(scenario(warm, drop_mask)));
    }
}
