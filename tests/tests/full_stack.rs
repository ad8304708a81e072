//! The whole stack at once: `AtlasClient` -> `atlas-transport` -> `atlas-digest` (client side) over
//! loopback to `atlas-mock` -> `atlas-digest` (server side), for every digest configuration the
//! mock can offer, and under concurrency. The journal of the mock is the witness.

use std::sync::Arc;

use atlas_digest::{Algorithm, Qop};
use atlas_mock::{DigestSettings, MockAtlas, MockHandle, seed};
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

async fn get_twice_and_check(settings: DigestSettings, label: &str) {
    let mock = MockAtlas::builder().digest(settings).start().await.unwrap();
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
        get_twice_and_check(settings, label).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_share_one_challenge_and_all_succeed() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let ids = Arc::new(ids());
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (client, ids) = (client.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            client
                .tenant_snapshots()
                .get(&ids.0, &ids.1, &ids.2)
                .send()
                .await
        }));
    }
    for t in tasks {
        t.await
            .unwrap()
            .expect("every concurrent first request succeeds");
    }
    let stats = client.stats().unwrap();
    assert_eq!(
        stats.challenges, 1,
        "one challenge for 64 concurrent first requests"
    );
    assert_eq!(journal_counts(&mock), (1, 64));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_state_under_64_in_flight_costs_one_round_trip_per_request() {
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
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (client, ids) = (client.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..20 {
                client
                    .tenant_snapshots()
                    .get(&ids.0, &ids.1, &ids.2)
                    .send()
                    .await?;
            }
            Ok::<_, atlas_snapshots::Error>(())
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("every request succeeds");
    }
    let stats = client.stats().unwrap();
    assert_eq!(stats.requests, 1 + 64 * 20);
    assert_eq!(
        (stats.round_trips, stats.challenges),
        (2 + 64 * 20, 1),
        "nonce reuse with out-of-order nc must be accepted by the server"
    );
    assert_eq!(journal_counts(&mock), (1, 1 + 64 * 20));
    mock.shutdown().await;
}
