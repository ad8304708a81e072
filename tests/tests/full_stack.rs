//! The whole stack at once: `AtlasClient` -> `atlas-transport` -> `atlas-digest` (client side) over
//! loopback to `atlas-mock` -> `atlas-digest` (server side), for every digest configuration the
//! mock can offer, and under concurrency. The journal of the mock is the witness.

use std::sync::Arc;

use atlas_digest::{Algorithm, Qop};
use atlas_mock::{AuthenticationInfo, DigestSettings, MockAtlas, MockHandle, seed};
use atlas_model::{ClusterName, GroupId, SnapshotId, SnapshotStatus};
use atlas_snapshots::AtlasClient;

fn ids() -> (GroupId, ClusterName, SnapshotId) {
    (
        seed::GROUP_ID.parse().unwrap(),
        seed::CLUSTER_NAME.parse().unwrap(),
        seed::SNAPSHOT_ID.parse().unwrap(),
    )
}

fn client_for(mock: &MockHandle) -> AtlasClient {
    AtlasClient::builder()
        .base_url(mock.base_url())
        .credentials(mock.public_key(), mock.private_key())
        .build()
        .unwrap()
}

/// (401 answers, 200 answers) in the mock's journal.
fn journal_counts(mock: &MockHandle) -> (usize, usize) {
    let journal = mock.journal();
    (
        journal.iter().filter(|e| e.status == 401).count(),
        journal.iter().filter(|e| e.status == 200).count(),
    )
}

/// Two gets with `settings`, the mock sending `Authentication-Info` as `info` says: our client
/// works either way (Atlas sends none; when sent, the transport verifies its `rspauth`).
async fn get_twice_and_check(settings: DigestSettings, info: AuthenticationInfo, label: &str) {
    let mock = MockAtlas::builder()
        .digest(settings.authentication_info(info))
        .start()
        .await
        .unwrap();
    let client = client_for(&mock);
    let (g, c, s) = ids();
    for _ in 0..2 {
        let snap = client
            .tenant_snapshots()
            .get(&g, &c, &s)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(snap.status, Some(SnapshotStatus::Failed), "{label}");
    }
    let stats = client.stats().unwrap();
    assert_eq!(
        (stats.round_trips, stats.challenges),
        (3, 1),
        "{label}: the first get pays one challenge, the second none"
    );
    assert_eq!(journal_counts(&mock), (1, 2), "{label}");
    let sent: Vec<bool> = mock
        .journal()
        .iter()
        .filter(|e| e.status == 200)
        .map(|e| e.response_header("authentication-info").is_some())
        .collect();
    let want = info == AuthenticationInfo::Send;
    assert_eq!(sent, vec![want, want], "{label}: {info:?}");
    mock.shutdown().await;
}

#[tokio::test]
async fn every_algorithm_qop_and_userhash_the_mock_offers() {
    let cases: Vec<(DigestSettings, &str)> = vec![
        (DigestSettings::default(), "MD5 auth (Atlas)"),
        (
            DigestSettings::default().algorithms([Algorithm::Md5Sess]),
            "MD5-sess",
        ),
        (
            DigestSettings::default().algorithms([Algorithm::Sha256]),
            "SHA-256",
        ),
        (
            DigestSettings::default().algorithms([Algorithm::Sha256Sess]),
            "SHA-256-sess",
        ),
        (
            DigestSettings::default().algorithms([Algorithm::Sha512_256, Algorithm::Md5]),
            "SHA-512-256 beside MD5",
        ),
        (
            DigestSettings::default()
                .algorithms([Algorithm::Sha512_256Sess])
                .userhash(true),
            "SHA-512-256-sess with userhash",
        ),
        (
            DigestSettings::default().qop([Qop::Auth, Qop::AuthInt]),
            "auth and auth-int offered",
        ),
        (DigestSettings::default().qop([]), "RFC 2069 (no qop)"),
    ];
    for (settings, label) in cases {
        for info in [AuthenticationInfo::Omit, AuthenticationInfo::Send] {
            get_twice_and_check(settings.clone(), info, label).await;
        }
    }
}

/// `n` gets at once on a fresh client against a fresh mock: every one succeeds, and the mock
/// answered exactly one 401 (the one request that went out without credentials). Holds on every
/// schedule: the digest client lets exactly one request probe and keeps the others' nonce counts
/// within the mock's replay window.
async fn first_requests(n: usize) {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let ids = Arc::new(ids());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (client, ids) = (client.clone(), ids.clone());
        tasks.spawn(async move {
            client
                .tenant_snapshots()
                .get(&ids.0, &ids.1, &ids.2)
                .send()
                .await
        });
    }
    while let Some(t) = tasks.join_next().await {
        t.unwrap().expect("every concurrent first request succeeds");
    }
    let stats = client.stats().unwrap();
    assert_eq!(
        (stats.requests, stats.round_trips, stats.challenges),
        (n as u64, n as u64 + 1, 1),
        "one challenge for {n} concurrent first requests"
    );
    assert_eq!(journal_counts(&mock), (1, n));
    assert!(
        mock.journal()
            .iter()
            .all(|e| e.status == 200 || !e.had_credentials)
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_share_one_challenge_and_all_succeed() {
    for n in [1, 2, 16, 64, 256, 1024] {
        first_requests(n).await;
    }
}

/// After one warm-up get, `in_flight` tasks send `each` gets back to back: not one more
/// challenge, one round trip per request.
async fn steady_state(in_flight: usize, each: usize) {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let (g, c, s) = ids();
    client
        .tenant_snapshots()
        .get(&g, &c, &s)
        .send()
        .await
        .unwrap();
    let ids = Arc::new((g, c, s));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let (client, ids) = (client.clone(), ids.clone());
        tasks.spawn(async move {
            for _ in 0..each {
                client
                    .tenant_snapshots()
                    .get(&ids.0, &ids.1, &ids.2)
                    .send()
                    .await?;
            }
            Ok::<_, atlas_snapshots::Error>(())
        });
    }
    while let Some(t) = tasks.join_next().await {
        t.unwrap().expect("every request succeeds");
    }
    let total = (in_flight * each) as u64;
    let stats = client.stats().unwrap();
    assert_eq!(stats.requests, 1 + total);
    assert_eq!(
        (stats.round_trips, stats.challenges),
        (2 + total, 1),
        "{in_flight} in flight: nonce reuse with out-of-order nc is accepted, no extra challenge"
    );
    assert_eq!(journal_counts(&mock), (1, 1 + total as usize));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_state_at_1_16_64_and_256_in_flight_costs_one_round_trip_per_request() {
    for (in_flight, each) in [(1, 40), (16, 20), (64, 20), (256, 5)] {
        steady_state(in_flight, each).await;
    }
}
