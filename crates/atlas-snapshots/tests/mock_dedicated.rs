//! Dedicated clusters against `atlas-mock` over loopback (real digest, the mock's seed with one
//! cluster of each kind): the three-kind lookup and what it remembers, paging, sharded members,
//! take / wait / delete on the mock clock, and the answers for a key without the role.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlas_mock::{ApiKey, ClockMode, Lifecycle, MockAtlas, MockHandle, Outcome, Role, seed};
use atlas_snapshots::{
    AnySnapshot, AtlasClient, CloudSnapshotStatus, ClusterKind, ClusterName, Error, GroupId,
    NotFoundResource, SnapshotId,
};
use futures_util::TryStreamExt;

const READER: (&str, &str) = ("reader", "reader-secret");

fn client_as(mock: &MockHandle, (public, private): (&str, &str)) -> AtlasClient {
    AtlasClient::builder()
        .base_url(mock.base_url())
        .credentials(public, private)
        .build()
        .unwrap()
}

fn client_for(mock: &MockHandle) -> AtlasClient {
    client_as(mock, (mock.public_key(), mock.private_key()))
}

fn group() -> GroupId {
    seed::GROUP_ID.parse().unwrap()
}
fn name(s: &str) -> ClusterName {
    s.parse().unwrap()
}
fn id(s: &str) -> SnapshotId {
    s.parse().unwrap()
}

/// The API paths the mock saw (credentialed or not), in order.
fn paths(mock: &MockHandle) -> Vec<String> {
    mock.journal().into_iter().map(|e| e.path).collect()
}

#[tokio::test]
async fn the_lookup_finds_a_dedicated_cluster_after_tenant_and_flex_and_remembers_it() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let m10 = name(seed::DEDICATED_CLUSTER_NAME);
    let found = client
        .snapshots()
        .get(&group(), &m10, &id(seed::DEDICATED_SNAPSHOT_ID))
        .send_full()
        .await
        .unwrap();
    assert_eq!(found.served_by.kind, Some(ClusterKind::Dedicated));
    let missed: Vec<(ClusterKind, u16, Option<&str>)> = found
        .served_by
        .missed
        .iter()
        .map(|m| (m.kind, m.status.as_u16(), m.error_code.as_deref()))
        .collect();
    assert_eq!(
        missed,
        [
            (ClusterKind::Tenant, 404, Some("CLUSTER_NOT_FOUND")),
            (
                ClusterKind::Flex,
                400,
                Some("CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API")
            ),
        ]
    );
    let AnySnapshot::Dedicated(snap) = &found.value else {
        panic!("{:?}", found.value)
    };
    assert_eq!(snap.status, Some(CloudSnapshotStatus::Completed));
    assert_eq!(snap.storage_size_bytes, Some(1_621_098_496));
    assert_eq!(snap.policy_items, ["5f4f3e2d1c0b0a0908070605"]);

    // Remembered: the next request asks the dedicated endpoint alone.
    let before = mock.journal().len();
    let again = client
        .snapshots()
        .get(&group(), &m10, &id(seed::DEDICATED_ON_DEMAND_SNAPSHOT_ID))
        .send_full()
        .await
        .unwrap();
    assert!(again.served_by.missed.is_empty());
    let asked = &paths(&mock)[before..];
    assert_eq!(
        asked,
        [format!(
            "/api/atlas/v2/groups/{}/clusters/M10AWS/backup/snapshots/{}",
            seed::GROUP_ID,
            seed::DEDICATED_ON_DEMAND_SNAPSHOT_ID
        )]
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn an_unknown_snapshot_of_a_tenant_cluster_is_not_found_on_any_kind() {
    // The cloud backup endpoint answers an M2/M5 cluster with a 400 of its own
    // (`CANNOT_USE_..._CLUSTER_IN_...`): a miss like the other wrong-API answers, so the lookup
    // ends with every kind named rather than with that 400.
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let err = client
        .snapshots()
        .get(
            &group(),
            &name(seed::CLUSTER_NAME),
            &id("0123456789abcdef01234567"),
        )
        .send()
        .await
        .unwrap_err();
    let Error::NotFoundOnAnyEndpoint { lookups } = &err else {
        panic!("{err:?}")
    };
    let kinds: Vec<ClusterKind> = lookups.iter().map(|l| l.kind).collect();
    assert_eq!(kinds, ClusterKind::LOOKUP_ORDER);
    // Forced, the dedicated endpoint's answer is the error.
    let err = client
        .dedicated_snapshots()
        .get(&group(), &name(seed::CLUSTER_NAME), &id(seed::SNAPSHOT_ID))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(
        err.api_error()
            .and_then(|a| a.error_code.as_deref())
            .is_some_and(|c| c.starts_with("CANNOT_USE_")),
        "{err:?}"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn lists_page_through_a_dedicated_cluster_and_sharded_snapshots_carry_members() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let m10 = name(seed::DEDICATED_CLUSTER_NAME);
    let pages: Vec<_> = client
        .dedicated_snapshots()
        .list(&group(), &m10)
        .items_per_page(1)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), seed::DEDICATED_SNAPSHOTS);
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| {
            p.items
                .iter()
                .map(|r| r.value().id.clone().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        ids,
        [
            seed::DEDICATED_SNAPSHOT_ID,
            "6750b1e2d3c4b5a697887902",
            seed::DEDICATED_ON_DEMAND_SNAPSHOT_ID
        ]
    );
    assert!(pages.iter().all(|p| p.rejected.is_empty()));
    let queries: Vec<String> = mock
        .journal()
        .into_iter()
        .filter(|e| e.status == 200)
        .filter_map(|e| e.query)
        .collect();
    for (n, q) in queries.iter().enumerate() {
        assert!(q.contains("itemsPerPage=1"), "{q}");
        assert!(q.contains(&format!("pageNum={}", n + 1)), "{q}");
    }

    // The same list through the lookup, and latest over every page: the newest completed
    // one by createdAt (the on-demand one).
    let any: Vec<AnySnapshot> = client
        .snapshots()
        .list(&group(), &m10)
        .items_per_page(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(any.len(), seed::DEDICATED_SNAPSHOTS);
    assert!(any.iter().all(|s| matches!(s, AnySnapshot::Dedicated(_))));
    let latest = client
        .snapshots()
        .latest(&group(), &m10)
        .send()
        .await
        .unwrap();
    assert_eq!(
        latest
            .snapshot
            .value()
            .id()
            .map(|i| i.to_string())
            .as_deref(),
        Some(seed::DEDICATED_ON_DEMAND_SNAPSHOT_ID)
    );

    let sharded = name(seed::SHARDED_CLUSTER_NAME);
    let s = client
        .dedicated_snapshots()
        .get(&group(), &sharded, &id(seed::SHARDED_SNAPSHOT_ID))
        .send()
        .await
        .unwrap();
    assert_eq!(
        s.members.len(),
        3,
        "two shards and the config server: {s:?}"
    );
    assert_eq!(s.mongod_version.as_deref(), Some("7.0.14"));
    // The newer snapshot failed: latest is the completed one.
    let latest = client
        .dedicated_snapshots()
        .latest(&group(), &sharded)
        .send()
        .await
        .unwrap();
    assert_eq!(
        latest.snapshot.value().id,
        Some(id(seed::SHARDED_SNAPSHOT_ID))
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn take_wait_and_delete_on_the_mock_clock() {
    // The mock clock stands still; the wait's on_change moves it past the phase just seen, so
    // every phase is seen exactly once whatever the machine's speed.
    let lifecycle = Lifecycle::new(
        Duration::ZERO,
        Duration::from_secs(10),
        Duration::from_secs(60),
        Outcome::Completed,
    )
    .unwrap();
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .on_demand_snapshot_lifecycle(lifecycle)
        .start()
        .await
        .unwrap();
    let client = client_for(&mock);
    let m10 = name(seed::DEDICATED_CLUSTER_NAME);
    let taken = client
        .dedicated_snapshots()
        .take(&group(), &m10)
        .description("before the upgrade")
        .retention_days(std::num::NonZeroU32::new(3).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status, Some(CloudSnapshotStatus::Queued));
    assert_eq!(taken.description.as_deref(), Some("before the upgrade"));
    assert_eq!(
        taken.expires_at.unwrap() - taken.created_at.unwrap(),
        chrono::Duration::days(3)
    );
    let new_id = taken.id.clone().unwrap();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let clock = mock.clock().clone();
    let done = client
        .dedicated_snapshots()
        .wait(&group(), &m10, &new_id)
        .interval(Duration::from_secs(1))
        .timeout(Duration::from_secs(120))
        .on_change(move |e| {
            sink.lock().unwrap().push(e.status.clone());
            clock.advance(Duration::from_secs(30));
        })
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(CloudSnapshotStatus::Completed));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            Some(CloudSnapshotStatus::Queued),
            Some(CloudSnapshotStatus::InProgress),
            Some(CloudSnapshotStatus::Completed)
        ]
    );

    // Delete it: 204, then it is gone, and a second delete is a 404 for the snapshot.
    let deleted = client
        .dedicated_snapshots()
        .delete(&group(), &m10, &new_id)
        .send_full()
        .await
        .unwrap();
    assert_eq!(deleted.status, http::StatusCode::NO_CONTENT);
    for e in [
        client
            .dedicated_snapshots()
            .get(&group(), &m10, &new_id)
            .send()
            .await
            .unwrap_err(),
        client
            .dedicated_snapshots()
            .delete(&group(), &m10, &new_id)
            .send()
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(
                e,
                Error::NotFound {
                    resource: NotFoundResource::Snapshot,
                    ..
                }
            ),
            "{e:?}"
        );
    }
    mock.shutdown().await;
}

#[tokio::test]
async fn a_key_without_the_role_is_told_so_and_changes_nothing() {
    let mock = MockAtlas::builder()
        .api_key(ApiKey::new("owner", "owner-secret"))
        .api_key(ApiKey::new(READER.0, READER.1).roles([Role::GroupReadOnly]))
        .start()
        .await
        .unwrap();
    let reader = client_as(&mock, READER);
    let m10 = name(seed::DEDICATED_CLUSTER_NAME);
    // Reading works.
    reader
        .dedicated_snapshots()
        .get(&group(), &m10, &id(seed::DEDICATED_SNAPSHOT_ID))
        .send()
        .await
        .unwrap();
    let errors = [
        reader
            .dedicated_snapshots()
            .take(&group(), &m10)
            .send()
            .await
            .unwrap_err(),
        reader
            .dedicated_snapshots()
            .delete(&group(), &m10, &id(seed::DEDICATED_SNAPSHOT_ID))
            .send()
            .await
            .unwrap_err(),
    ];
    for e in &errors {
        // Atlas's 401 USER_UNAUTHORIZED, without a challenge: the answer, not a digest failure.
        assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
        assert!(e.lacks_role(), "{e:?}");
        assert!(e.to_string().contains("lacks the role"), "{e}");
        assert_eq!(e.status(), Some(http::StatusCode::UNAUTHORIZED));
    }
    // One challenge for the reader's first request, none since.
    assert_eq!(reader.stats().unwrap().challenges, 1);
    let all: Vec<_> = reader
        .dedicated_snapshots()
        .list(&group(), &m10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        seed::DEDICATED_SNAPSHOTS,
        "nothing taken or deleted"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn a_service_account_without_the_role_costs_no_second_token() {
    let mock = MockAtlas::builder()
        .service_account(
            atlas_mock::ServiceAccount::new("mdb_sa_id_reader", "mdb_sa_sk_reader")
                .roles([Role::GroupReadOnly]),
        )
        .start()
        .await
        .unwrap();
    let reader = AtlasClient::builder()
        .base_url(mock.base_url())
        .service_account("mdb_sa_id_reader", "mdb_sa_sk_reader")
        .build()
        .unwrap();
    let m10 = name(seed::DEDICATED_CLUSTER_NAME);
    for _ in 0..3 {
        let e = reader
            .dedicated_snapshots()
            .take(&group(), &m10)
            .send()
            .await
            .unwrap_err();
        assert!(e.lacks_role(), "{e:?}");
        assert_eq!(e.status(), Some(http::StatusCode::UNAUTHORIZED));
    }
    // USER_UNAUTHORIZED is about the role, not the token: one token for the three refusals,
    // and each refusal one request (no retry with a fresh token).
    let s = reader.stats().unwrap();
    assert_eq!(s.token_requests, 1);
    let api = mock
        .journal()
        .iter()
        .filter(|e| e.path.starts_with("/api/atlas/"))
        .count();
    assert_eq!(api, 3);
    assert_eq!(mock.live_tokens("mdb_sa_id_reader"), 1);
    mock.shutdown().await;
}
