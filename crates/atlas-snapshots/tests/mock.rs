//! Against `atlas-mock` over loopback: real digest, paging, lifecycles, sunset and errors.

mod common;

use common::Flags;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlas_mock::{
    Anchor, ApiKey, IpAccessList, Lifecycle, MockAtlas, MockHandle, Outcome, RateLimit, seed,
};
use atlas_snapshots::{
    ApiVersion, AtlasClient, ClusterName, Error, GroupId, NotFoundResource, SnapshotId,
    SnapshotStatus, TenantSnapshot,
};
use futures_util::TryStreamExt;

fn client_for(mock: &MockHandle) -> AtlasClient {
    AtlasClient::builder()
        .base_url(mock.base_url())
        .credentials(mock.public_key(), mock.private_key())
        .build()
        .unwrap()
}

fn group() -> GroupId {
    seed::GROUP_ID.parse().unwrap()
}
fn cluster() -> ClusterName {
    seed::CLUSTER_NAME.parse().unwrap()
}
fn flex_cluster() -> ClusterName {
    seed::FLEX_CLUSTER_NAME.parse().unwrap()
}
fn seed_id() -> SnapshotId {
    seed::SNAPSHOT_ID.parse().unwrap()
}

#[tokio::test]
async fn get_with_digest_costs_two_round_trips_then_one() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let full = client
        .tenant_snapshots()
        .get(&group(), &cluster(), &seed_id())
        .send_full()
        .await
        .unwrap();
    let snap = &full.value;
    assert_eq!(snap.id, Some(seed_id()));
    assert_eq!(snap.status, Some(SnapshotStatus::Failed));
    assert_eq!(snap.mongodb_version.as_deref(), Some("4.2.7"));
    assert_eq!(
        snap.finish_time.unwrap().to_rfc3339(),
        "2019-04-26T14:08:07+00:00"
    );
    // Before the sunset, the tenant endpoints carry Deprecation and Sunset headers.
    assert!(full.deprecation.is_some());
    assert!(full.sunset.is_some());
    let stats = client.stats().unwrap();
    assert_eq!(
        (stats.requests, stats.round_trips, stats.challenges),
        (1, 2, 1)
    );

    let again = client
        .tenant_snapshots()
        .get(&group(), &cluster(), &seed_id())
        .send()
        .await
        .unwrap();
    assert_eq!(&again, snap);
    let stats = client.stats().unwrap();
    assert_eq!(
        (stats.requests, stats.round_trips, stats.challenges),
        (2, 3, 1)
    );

    let journal = mock.journal();
    assert_eq!(journal.len(), 3);
    assert!(!journal[0].had_credentials);
    assert_eq!(journal[0].status, 401);
    assert_eq!(journal[1].status, 200);
    assert_eq!(journal[2].status, 200);
    assert_eq!(journal[2].key.as_deref(), Some(mock.public_key()));
    assert_eq!(
        journal[2].path,
        format!(
            "/api/atlas/v1.0/groups/{}/clusters/{}/backup/tenant/snapshots/{}",
            seed::GROUP_ID,
            seed::CLUSTER_NAME,
            seed::SNAPSHOT_ID
        )
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn every_api_version_with_pretty_and_envelope() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    for version in [ApiVersion::V1, ApiVersion::V2] {
        for pretty in [false, true] {
            for envelope in [false, true] {
                let full = client
                    .tenant_snapshots()
                    .get(&group(), &cluster(), &seed_id())
                    .api_version(version)
                    .flags(pretty, envelope)
                    .send_full()
                    .await
                    .unwrap();
                assert_eq!(full.value.status, Some(SnapshotStatus::Failed));
                let body = String::from_utf8(full.body.to_vec()).unwrap();
                assert_eq!(body.contains('\n'), pretty, "{body}");
                assert_eq!(body.contains("\"content\""), envelope, "{body}");
            }
        }
    }
    mock.shutdown().await;
}

#[tokio::test]
async fn flex_get_and_list() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let id: SnapshotId = seed::FLEX_SNAPSHOT_ID.parse().unwrap();
    let snap = client
        .flex_snapshots()
        .get(&group(), &flex_cluster(), &id)
        .send()
        .await
        .unwrap();
    assert_eq!(snap.id, Some(id));
    assert_eq!(snap.status, Some(SnapshotStatus::Completed));
    let all: Vec<TenantSnapshot> = client
        .flex_snapshots()
        .list(&group(), &flex_cluster())
        .items_per_page(3)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), seed::SNAPSHOTS_PER_CLUSTER);
    let last = mock.journal().pop().unwrap();
    assert!(last.path.contains("/flexClusters/"), "{}", last.path);
    mock.shutdown().await;
}

#[tokio::test]
async fn list_streams_across_four_pages() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let first = client
        .tenant_snapshots()
        .list(&group(), &cluster())
        .items_per_page(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.total_count, Some(seed::SNAPSHOTS_PER_CLUSTER as u64));

    let before = mock.journal().len();
    let all: Vec<TenantSnapshot> = client
        .tenant_snapshots()
        .list(&group(), &cluster())
        .items_per_page(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), seed::SNAPSHOTS_PER_CLUSTER);
    let mut ids: Vec<_> = all.iter().map(|s| s.id.clone().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), seed::SNAPSHOTS_PER_CLUSTER, "no duplicates");
    assert!(ids.contains(&seed_id()));
    let pages: Vec<_> = mock.journal()[before..]
        .iter()
        .map(|e| (e.status, e.query.clone().unwrap_or_default()))
        .collect();
    assert_eq!(pages.len(), 4, "{pages:?}");
    for (n, (status, query)) in pages.iter().enumerate() {
        assert_eq!(*status, 200);
        assert!(query.contains(&format!("pageNum={}", n + 1)), "{query}");
    }
    mock.shutdown().await;
}

#[tokio::test]
async fn wait_through_queued_running_completed() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    // Warm up: the digest nonce is known, so each poll below is one round trip.
    client
        .tenant_snapshots()
        .get(&group(), &cluster(), &seed_id())
        .send()
        .await
        .unwrap();
    // A fresh snapshot whose lifecycle starts now: QUEUED for 1 s, RUNNING for 1 s, then
    // COMPLETED. The wait polls every second (the floor), on the real clock of a real server.
    let id: SnapshotId = "5cc310ace5dc7ce3698100aa".parse().unwrap();
    let lifecycle = Lifecycle::new(
        Duration::ZERO,
        Duration::from_secs(1),
        Duration::from_secs(2),
        Outcome::Completed,
    )
    .unwrap()
    .anchored(Anchor::Creation);
    mock.create_snapshot(
        seed::GROUP_ID,
        seed::CLUSTER_NAME,
        TenantSnapshot {
            id: Some(id.clone()),
            mongodb_version: Some("8.0.4".into()),
            ..TenantSnapshot::default()
        },
        Some(lifecycle),
    )
    .unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let done = client
        .tenant_snapshots()
        .wait(&group(), &cluster(), &id)
        .interval(Duration::from_secs(1))
        .timeout(Duration::from_secs(60))
        .on_change(move |e| sink.lock().unwrap().push(e.status.clone().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(SnapshotStatus::Completed));
    assert_eq!(done.id, Some(id));
    // Which phases a poll lands in depends on the machine's load; what holds on every schedule:
    // each change once, in lifecycle order, ending with COMPLETED.
    let events = events.lock().unwrap().clone();
    let order = [
        SnapshotStatus::Queued,
        SnapshotStatus::Running,
        SnapshotStatus::Completed,
    ];
    assert!(
        !events.is_empty() && order.ends_with(&events[events.len() - 1..]),
        "{events:?}"
    );
    let mut positions = events
        .iter()
        .map(|e| order.iter().position(|o| o == e).unwrap());
    let mut prev = positions.next().unwrap();
    for p in positions {
        assert!(p > prev, "{events:?}");
        prev = p;
    }
    mock.shutdown().await;
}

#[tokio::test]
async fn sunset_mode_is_gone_with_the_flex_hint_and_flex_still_works() {
    let mock = MockAtlas::builder().sunset(true).start().await.unwrap();
    let client = client_for(&mock);
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let err = client
            .tenant_snapshots()
            .get(&group(), &cluster(), &seed_id())
            .api_version(version)
            .send()
            .await
            .unwrap_err();
        let Error::Gone { api } = &err else {
            panic!("{err:?}")
        };
        assert!(api.has_code("VERSION_GONE"));
        assert!(err.hint().unwrap().contains("flex_snapshots()"));
        assert!(err.to_string().contains("January 2026"));
    }
    // The envelope says the same thing.
    let err = client
        .tenant_snapshots()
        .get(&group(), &cluster(), &seed_id())
        .envelope()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Gone { .. }), "{err:?}");
    let flex = client
        .flex_snapshots()
        .get(
            &group(),
            &flex_cluster(),
            &seed::FLEX_SNAPSHOT_ID.parse().unwrap(),
        )
        .send_full()
        .await
        .unwrap();
    assert_eq!(flex.deprecation, None);
    mock.shutdown().await;
}

#[tokio::test]
async fn wrong_key_is_unauthorized() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = AtlasClient::builder()
        .base_url(mock.base_url())
        .credentials(mock.public_key(), "not-the-private-key")
        .build()
        .unwrap();
    let err = client
        .tenant_snapshots()
        .get(&group(), &cluster(), &seed_id())
        .send()
        .await
        .unwrap_err();
    let Error::Unauthorized { api } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.error, Some(401));
    assert!(err.hint().unwrap().contains("keys"));
    mock.shutdown().await;
}

#[tokio::test]
async fn not_found_names_group_cluster_and_snapshot() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let missing_group: GroupId = "5b69d0349b15c62cdfc38b7f".parse().unwrap();
    let missing_cluster: ClusterName = "NoSuchCluster".parse().unwrap();
    let missing_snapshot: SnapshotId = "5cc310ace5dc7ce369814fff".parse().unwrap();
    let cases = [
        (missing_group, cluster(), seed_id(), NotFoundResource::Group),
        (
            group(),
            missing_cluster,
            seed_id(),
            NotFoundResource::Cluster,
        ),
        (
            group(),
            cluster(),
            missing_snapshot,
            NotFoundResource::Snapshot,
        ),
    ];
    for (g, c, s, expected) in cases {
        for envelope in [false, true] {
            let err = client
                .tenant_snapshots()
                .get(&g, &c, &s)
                .flags(false, envelope)
                .send()
                .await
                .unwrap_err();
            let Error::NotFound { resource, api } = &err else {
                panic!("{err:?}")
            };
            assert_eq!(*resource, expected, "{api:?}");
            assert!(api.detail.is_some());
        }
    }
    // A shared-tier cluster is not a flex cluster: Atlas (and the mock) answer 400
    // CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API.
    let err = client
        .flex_snapshots()
        .get(&group(), &cluster(), &seed_id())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidRequest { api } if api.has_code("CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API")
        ),
        "{err:?}"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn api_key_access_list_is_recognised() {
    let mock = MockAtlas::builder()
        .ip_access_list(IpAccessList::new().allow("192.0.2.0/24").unwrap())
        .start()
        .await
        .unwrap();
    let err = client_for(&mock)
        .tenant_snapshots()
        .get(&group(), &cluster(), &seed_id())
        .send()
        .await
        .unwrap_err();
    let Error::Forbidden { ip_access_list, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(*ip_access_list);
    mock.shutdown().await;
}

#[tokio::test]
async fn rate_limit_carries_retry_after() {
    let mock = MockAtlas::builder()
        .api_key(ApiKey::new("limited-public", "limited-private"))
        .rate_limit(RateLimit::new(2, 0.01).unwrap())
        .start()
        .await
        .unwrap();
    let client = AtlasClient::builder()
        .base_url(mock.base_url())
        .credentials("limited-public", "limited-private")
        .retry_policy(atlas_transport::RetryPolicy::none())
        .build()
        .unwrap();
    let get = || {
        client
            .tenant_snapshots()
            .get(&group(), &cluster(), &seed_id())
    };
    get().send().await.unwrap();
    get().send().await.unwrap();
    let err = get().send().await.unwrap_err();
    let Error::RateLimited {
        retry_after, api, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(retry_after.is_some_and(|d| d >= Duration::from_secs(1)));
    // Atlas's code for the API's token bucket (RATE_LIMITED is the OAuth token endpoint's).
    assert!(api.has_code("RATE_LIMITED_TOKEN_BUCKET"), "{api:?}");
    mock.shutdown().await;
}

#[tokio::test]
async fn over_tls_with_the_mock_ca() {
    let mock = MockAtlas::builder().tls(true).start().await.unwrap();
    assert!(mock.base_url().starts_with("https://"));
    let client = AtlasClient::builder()
        .base_url(mock.base_url())
        .credentials(mock.public_key(), mock.private_key())
        .add_root_pem(mock.ca_pem().unwrap().as_bytes().to_vec())
        .build()
        .unwrap();
    let snap = client
        .tenant_snapshots()
        .get(&group(), &cluster(), &seed_id())
        .send()
        .await
        .unwrap();
    assert_eq!(snap.status, Some(SnapshotStatus::Failed));
    mock.shutdown().await;
}
