//! Dedicated clusters: the cloud backup endpoints (get, list, wait, latest, take, delete) and
//! the three-kind lookup, on an in-memory executor and a paused clock.

mod common;

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlas_snapshots::{
    AnySnapshot, AnySnapshotStatus, CloudSnapshotStatus, ClusterKind, DEDICATED_ACCEPT, Error,
    FrequencyType, LastSeen, NotFoundResource, SnapshotPhase, SnapshotTopology,
};
use common::{GROUP, Memory, client, fixtures, response};
use proptest::prelude::*;

const CLUSTER: &str = "Cluster0";
const ID: &str = "6740a1f2c3d4e5f6a7b8c9e1";
const FLEX_IN_CLUSTER: &str = r#"{"detail":"Flex cluster FlexAWS cannot be used in the Cluster API.","error":400,"errorCode":"CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API","parameters":["FlexAWS"],"reason":"Bad Request"}"#;
const NON_FLEX_IN_FLEX: &str = r#"{"detail":"Cluster Cluster0 cannot be used in the Flex API.","error":400,"errorCode":"CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API","parameters":["Cluster0"],"reason":"Bad Request"}"#;
const NO_SNAPSHOT: &str = r#"{"detail":"No snapshot with ID 6740a1f2c3d4e5f6a7b8c9e1 exists.","error":404,"errorCode":"SNAPSHOT_NOT_FOUND","reason":"Not Found"}"#;
const REPLICA_SET: &str = include_str!("../../atlas-model/tests/fixtures/cloud_replica_set.json");
const SHARDED: &str = include_str!("../../atlas-model/tests/fixtures/cloud_sharded.json");

fn ids() -> (
    atlas_snapshots::GroupId,
    atlas_snapshots::ClusterName,
    atlas_snapshots::SnapshotId,
) {
    (
        GROUP.parse().unwrap(),
        CLUSTER.parse().unwrap(),
        ID.parse().unwrap(),
    )
}

fn cloud(id: u32, status: &str, created: Option<&str>) -> String {
    let mut s = format!(r#"{{"id":"{id:024x}","status":"{status}","type":"replicaSet""#);
    if let Some(t) = created {
        s.push_str(&format!(r#","createdAt":"{t}""#));
    }
    s.push('}');
    s
}

/// Which family a request went to.
fn family(r: &http::Request<bytes::Bytes>) -> ClusterKind {
    let p = r.uri().path();
    if p.contains("/flexClusters/") {
        ClusterKind::Flex
    } else if p.contains("/backup/tenant/") {
        ClusterKind::Tenant
    } else {
        ClusterKind::Dedicated
    }
}

/// A project with one dedicated cluster answering `dedicated` on its own endpoint and what
/// Atlas answers on the others: the sunset tenant endpoint (`410`) and the flex endpoint (`400
/// CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API`).
fn dedicated_project(
    dedicated: impl Fn(&http::Request<bytes::Bytes>) -> (u16, String) + Send + Sync + 'static,
) -> Arc<Memory> {
    Memory::with(move |r| {
        Ok(match family(r) {
            ClusterKind::Tenant => response(410, fixtures::E410),
            ClusterKind::Flex => response(400, NON_FLEX_IN_FLEX),
            _ => {
                let (status, body) = dedicated(r);
                response(status, &body)
            }
        })
    })
}

#[tokio::test]
async fn get_asks_the_cloud_backup_endpoint_with_its_media_type() {
    let mem = Memory::always(200, REPLICA_SET);
    let client = client(mem.clone());
    let (g, c, s) = ids();
    let full = client
        .dedicated_snapshots()
        .get(&g, &c, &s)
        .send_full()
        .await
        .unwrap();
    let seen = mem.last();
    assert_eq!(seen.method, http::Method::GET);
    assert_eq!(
        seen.path(),
        "/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/clusters/Cluster0/backup/snapshots/6740a1f2c3d4e5f6a7b8c9e1"
    );
    assert_eq!(seen.accept.as_deref(), Some(DEDICATED_ACCEPT));
    assert_eq!(
        seen.accept.as_deref(),
        Some("application/vnd.atlas.2023-01-01+json")
    );
    assert_eq!(full.served_by.kind, Some(ClusterKind::Dedicated));
    assert_eq!(full.value.status, Some(CloudSnapshotStatus::Completed));
    assert_eq!(full.value.frequency_type, Some(FrequencyType::Daily));
    assert_eq!(full.body, REPLICA_SET.as_bytes());
    // The request says where it goes before it is sent.
    let get = client.dedicated_snapshots().get(&g, &c, &s).pretty();
    assert!(
        get.uri()
            .unwrap()
            .to_string()
            .ends_with("/backup/snapshots/6740a1f2c3d4e5f6a7b8c9e1?pretty=true")
    );
    assert_eq!(get.accept(), DEDICATED_ACCEPT);
}

#[tokio::test]
async fn an_enveloped_dedicated_answer_is_unwrapped_and_mapped() {
    let ok = format!(r#"{{"status":200,"content":{SHARDED}}}"#);
    let mem = Memory::always_owned(200, ok);
    let client = client(mem.clone());
    let (g, c, s) = ids();
    let snap = client
        .dedicated_snapshots()
        .get(&g, &c, &s)
        .envelope()
        .send()
        .await
        .unwrap();
    assert_eq!(snap.topology, Some(SnapshotTopology::ShardedCluster));
    assert_eq!(snap.members.len(), 2);
    assert_eq!(mem.last().query(), Some("envelope=true"));
    let missing = format!(r#"{{"status":404,"content":{NO_SNAPSHOT}}}"#);
    let client = common::client(Memory::always_owned(200, missing));
    let e = client
        .dedicated_snapshots()
        .get(&g, &c, &s)
        .envelope()
        .send()
        .await
        .unwrap_err();
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

#[tokio::test]
async fn the_lookup_finds_a_dedicated_cluster_third_and_remembers_it() {
    for tenant in [(410, fixtures::E410), (404, NO_SNAPSHOT)] {
        let mem = Memory::with(move |r| {
            Ok(match family(r) {
                ClusterKind::Tenant => response(tenant.0, tenant.1),
                ClusterKind::Flex => response(400, NON_FLEX_IN_FLEX),
                _ => response(200, REPLICA_SET),
            })
        });
        let client = client(mem.clone());
        let (g, c, s) = ids();
        let found = client
            .snapshots()
            .get(&g, &c, &s)
            .send_full()
            .await
            .unwrap();
        assert_eq!(found.served_by.kind, Some(ClusterKind::Dedicated));
        let missed: Vec<(ClusterKind, u16)> = found
            .served_by
            .missed
            .iter()
            .map(|m| (m.kind, m.status.as_u16()))
            .collect();
        assert_eq!(
            missed,
            [(ClusterKind::Tenant, tenant.0), (ClusterKind::Flex, 400)]
        );
        assert_eq!(
            found.served_by.missed[1].error_code.as_deref(),
            Some("CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API")
        );
        let AnySnapshot::Dedicated(snap) = &found.value else {
            panic!("{:?}", found.value)
        };
        assert_eq!(snap.storage_size_bytes, Some(2_147_483_648));
        assert_eq!(found.value.phase(), Some(SnapshotPhase::Completed));
        assert_eq!(found.value.status_str(), Some("completed"));
        assert_eq!(mem.seen().len(), 3);
        assert_eq!(client.known_kind(&g, &c), Some(ClusterKind::Dedicated));
        // Remembered: get, list, wait and latest go straight to the dedicated endpoint.
        client.snapshots().get(&g, &c, &s).send().await.unwrap();
        client.snapshots().wait(&g, &c, &s).send().await.unwrap();
        assert_eq!(mem.seen().len(), 5);
        assert!(
            mem.seen()[3..]
                .iter()
                .all(|r| r.path().contains("/clusters/Cluster0/backup/snapshots/"))
        );
    }
}

#[tokio::test]
async fn a_forced_dedicated_kind_asks_once_and_never_falls_back() {
    let mem = Memory::always(404, NO_SNAPSHOT);
    let client = client(mem.clone());
    let (g, c, s) = ids();
    let e = client
        .snapshots()
        .get(&g, &c, &s)
        .kind(ClusterKind::Dedicated)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    assert_eq!(mem.seen().len(), 1);
    assert_eq!(mem.last().accept.as_deref(), Some(DEDICATED_ACCEPT));
    assert!(
        mem.last()
            .path()
            .ends_with("/clusters/Cluster0/backup/snapshots/6740a1f2c3d4e5f6a7b8c9e1")
    );
    // A forced kind overrides a remembered one, and a lookup can be forced back to tenant.
    let page = client
        .snapshots()
        .list(&g, &c)
        .kind(ClusterKind::Dedicated)
        .uri()
        .unwrap();
    assert!(
        page.path().ends_with("/clusters/Cluster0/backup/snapshots"),
        "{page}"
    );
}

#[tokio::test]
async fn a_remembered_dedicated_kind_that_became_flex_is_looked_up_again() {
    let flex = Arc::new(Mutex::new(false));
    let f = flex.clone();
    let mem = Memory::with(move |r| {
        let now_flex = *f.lock().unwrap();
        Ok(match (family(r), now_flex) {
            (ClusterKind::Tenant, _) => response(410, fixtures::E410),
            (ClusterKind::Flex, false) => response(400, NON_FLEX_IN_FLEX),
            (ClusterKind::Flex, true) => response(200, fixtures::FLEX),
            (_, false) => response(200, REPLICA_SET),
            (_, true) => response(400, FLEX_IN_CLUSTER),
        })
    });
    let client = client(mem.clone());
    let (g, c, s) = ids();
    client.snapshots().get(&g, &c, &s).send().await.unwrap();
    assert_eq!(client.known_kind(&g, &c), Some(ClusterKind::Dedicated));
    *flex.lock().unwrap() = true;
    let found = client
        .snapshots()
        .get(&g, &c, &s)
        .send_full()
        .await
        .unwrap();
    assert!(
        matches!(found.value, AnySnapshot::Flex(_)),
        "{:?}",
        found.value
    );
    assert_eq!(client.known_kind(&g, &c), Some(ClusterKind::Flex));
}

#[tokio::test]
async fn a_flex_cluster_on_the_dedicated_endpoint_is_a_miss_and_other_errors_are_not() {
    // Asked directly, the dedicated endpoint's 400 for a flex cluster is an error with a hint.
    let client = client(Memory::always(400, FLEX_IN_CLUSTER));
    let (g, c, s) = ids();
    let e = client
        .dedicated_snapshots()
        .get(&g, &c, &s)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e:?}");
    assert!(
        e.hint().unwrap().contains("flex_snapshots()"),
        "{:?}",
        e.hint()
    );
    // And a dedicated cluster on the flex endpoint says where to go.
    let client = common::client(Memory::always(400, NON_FLEX_IN_FLEX));
    let e = client
        .flex_snapshots()
        .get(&g, &c, &s)
        .send()
        .await
        .unwrap_err();
    assert!(
        e.hint().unwrap().contains("dedicated_snapshots()"),
        "{:?}",
        e.hint()
    );
    // A 403 on the third lookup ends it with that error, not "not found".
    let mem = dedicated_project(|_| {
        (
            403,
            r#"{"error":403,"errorCode":"USER_UNAUTHORIZED"}"#.into(),
        )
    });
    let client = common::client(mem.clone());
    let e = client.snapshots().get(&g, &c, &s).send().await.unwrap_err();
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
    assert_eq!(mem.seen().len(), 3);
    assert_eq!(client.known_kind(&g, &c), None);
}

/// Pages of `per_page` entries with `next` links, on the dedicated endpoint.
fn paged(entries: Vec<String>, per_page: usize) -> Arc<Memory> {
    dedicated_project(move |r| {
        let page: usize = r
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("pageNum=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let chunk: Vec<&str> = entries
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(String::as_str)
            .collect();
        let links = if page * per_page < entries.len() {
            format!(
                r#"[{{"rel":"next","href":"https://cloud.mongodb.com{}?pageNum={}&itemsPerPage={per_page}"}}]"#,
                r.uri().path(),
                page + 1
            )
        } else {
            "[]".into()
        };
        (
            200,
            format!(
                r#"{{"results":[{}],"totalCount":{},"links":{links}}}"#,
                chunk.join(","),
                entries.len()
            ),
        )
    })
}

#[tokio::test]
async fn a_list_found_by_lookup_walks_the_dedicated_pages() {
    let entries: Vec<String> = (1..=5)
        .map(|i| cloud(i, "completed", Some("2026-11-30T09:00:00Z")))
        .chain([r#"{"id":"not-an-id","status":"completed"}"#.to_owned()])
        .collect();
    let mem = paged(entries, 2);
    let client = client(mem.clone());
    let (g, c, _) = ids();
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let w = warnings.clone();
    let pages: Vec<_> = futures_util::TryStreamExt::try_collect(
        client
            .snapshots()
            .list(&g, &c)
            .items_per_page(2)
            .on_warning(move |x| w.lock().unwrap().push(x.to_string()))
            .pages(),
    )
    .await
    .unwrap();
    assert_eq!(pages.len(), 3);
    let items: Vec<&AnySnapshot> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|r| r.value()))
        .collect();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|s| matches!(s, AnySnapshot::Dedicated(_))));
    assert_eq!(pages[2].rejected.len(), 1);
    assert!(warnings.lock().unwrap()[0].contains("not-an-id"));
    // Two misses for the first page, then the pages straight from the dedicated endpoint.
    let seen = mem.seen();
    assert_eq!(seen.len(), 2 + 3);
    assert!(
        seen[2..]
            .iter()
            .all(|r| r.accept.as_deref() == Some(DEDICATED_ACCEPT))
    );
    // The typed list of the dedicated endpoints gives cloud snapshots.
    let client = common::client(paged(vec![cloud(1, "queued", None)], 2));
    let page = client
        .dedicated_snapshots()
        .list(&g, &c)
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.items[0].value().status,
        Some(CloudSnapshotStatus::Queued)
    );
    assert_eq!(page.items[0].json(), cloud(1, "queued", None));
}

#[tokio::test(start_paused = true)]
async fn a_wait_sees_queued_in_progress_completed_once_each() {
    let states = ["queued", "queued", "inProgress", "inProgress", "completed"];
    let n = Arc::new(Mutex::new(0usize));
    let mem = dedicated_project(move |_| {
        let mut i = n.lock().unwrap();
        let s = states[(*i).min(states.len() - 1)];
        *i += 1;
        (200, cloud(1, s, Some("2026-11-30T09:00:00Z")))
    });
    let client = client(mem.clone());
    let (g, c, _) = ids();
    let id = format!("{:024x}", 1).parse().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let t0 = tokio::time::Instant::now();
    let done = client
        .snapshots()
        .wait(&g, &c, &id)
        .interval(Duration::from_secs(10))
        .on_change(move |e| ev.lock().unwrap().push(e.status.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(done.phase(), Some(SnapshotPhase::Completed));
    let cloud_status = |s: CloudSnapshotStatus| Some(AnySnapshotStatus::Cloud(s));
    assert_eq!(
        *events.lock().unwrap(),
        [
            cloud_status(CloudSnapshotStatus::Queued),
            cloud_status(CloudSnapshotStatus::InProgress),
            cloud_status(CloudSnapshotStatus::Completed)
        ]
    );
    assert_eq!(t0.elapsed(), Duration::from_secs(40));
    // Two lookups on the first poll, then five polls of the dedicated endpoint.
    assert_eq!(mem.seen().len(), 7);
}

#[tokio::test(start_paused = true)]
async fn a_failed_snapshot_ends_the_wait_and_an_unknown_status_does_not() {
    let client = client(Memory::always_owned(200, cloud(1, "failed", None)));
    let (g, c, s) = ids();
    let done = client
        .dedicated_snapshots()
        .wait(&g, &c, &s)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(CloudSnapshotStatus::Failed));

    let client = common::client(Memory::always_owned(200, cloud(1, "deleting", None)));
    let e = client
        .dedicated_snapshots()
        .wait(&g, &c, &s)
        .interval(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap_err();
    let Error::WaitTimeout {
        last: Some(last),
        polls,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(matches!(**last, LastSeen::CloudSnapshot(_)), "{last:?}");
    assert_eq!(last.status_text(), Some("deleting"));
    assert!(last.status_is_unknown());
    assert!(*polls >= 6);
    let text = e.to_string();
    assert!(text.contains("waiting for the snapshot"), "{text}");
    assert!(
        text.contains("deleting, not a status this client knows"),
        "{text}"
    );
    assert!(e.hint().unwrap().contains("inProgress"), "{:?}", e.hint());

    // In progress at the deadline: the last status is named as Atlas sent it.
    let client = common::client(Memory::always_owned(200, cloud(1, "inProgress", None)));
    let e = client
        .snapshots()
        .wait(&g, &c, &s)
        .kind(ClusterKind::Dedicated)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("last status inProgress"), "{e}");
}

#[tokio::test]
async fn latest_picks_the_newest_completed_by_created_at() {
    let entries = vec![
        cloud(1, "completed", Some("2026-11-24T10:00:00Z")),
        cloud(2, "completed", Some("2026-11-30T10:00:00Z")),
        cloud(3, "failed", Some("2026-12-01T09:00:00Z")),
        cloud(4, "inProgress", Some("2026-12-01T10:00:00Z")),
        cloud(5, "completed", None),
        cloud(6, "COMPLETED", Some("2026-11-28T10:00:00Z")),
    ];
    let client = client(paged(entries.clone(), 2));
    let (g, c, _) = ids();
    let latest = client
        .snapshots()
        .latest(&g, &c)
        .items_per_page(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        latest.snapshot.value().id().unwrap().as_str(),
        format!("{:024x}", 2)
    );
    assert_eq!(latest.listed, 6);
    assert_eq!(latest.served_by.unwrap().kind, Some(ClusterKind::Dedicated));
    let typed = common::client(paged(entries, 2));
    let latest = typed
        .dedicated_snapshots()
        .latest(&g, &c)
        .send()
        .await
        .unwrap();
    assert_eq!(
        latest.snapshot.value().created_at.unwrap().to_rfc3339(),
        "2026-11-30T10:00:00+00:00"
    );
    assert_eq!(
        latest.snapshot.json(),
        cloud(2, "completed", Some("2026-11-30T10:00:00Z"))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn latest_of_a_dedicated_cluster_does_not_depend_on_list_order(
        days in proptest::collection::vec((1u32..28, any::<bool>()), 1..10),
        per_page in 1usize..4,
        seed in any::<u64>(),
    ) {
        let mut entries: Vec<String> = days.iter().enumerate().map(|(i, (d, done))| {
            let t = format!("2026-11-{d:02}T{:02}:00:00Z", i % 24);
            cloud(i as u32 + 1, if *done { "completed" } else { "inProgress" }, Some(&t))
        }).collect();
        let expected = days.iter().enumerate()
            .filter(|(_, (_, done))| *done)
            .map(|(i, (d, _))| ((*d, i % 24), i as u32 + 1))
            .max()
            .map(|(_, id)| format!("{id:024x}"));
        let mut x = seed | 1;
        for i in (1..entries.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            entries.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let got = rt.block_on(async {
            let client = common::client(paged(entries, per_page));
            let (g, c, _) = ids();
            client.dedicated_snapshots().latest(&g, &c).items_per_page(per_page as u32).send().await
        });
        match expected {
            Some(id) => {
                let latest = got.unwrap();
                prop_assert_eq!(latest.snapshot.value().id.as_ref().unwrap().as_str(), id.as_str());
            }
            None => prop_assert!(matches!(got, Err(Error::NoCompletedSnapshot { .. })), "no completed entry, got a snapshot"),
        }
    }
}

#[tokio::test]
async fn take_posts_the_on_demand_body_and_returns_the_new_snapshot() {
    let queued = cloud(9, "queued", Some("2026-12-01T10:00:00Z"));
    let mem = Memory::always_owned(200, queued.clone());
    let client = client(mem.clone());
    let (g, c, _) = ids();
    let taken = client
        .dedicated_snapshots()
        .take(&g, &c)
        .description("before the \"8.0\" upgrade")
        .retention_days(NonZeroU32::new(7).unwrap())
        .send_full()
        .await
        .unwrap();
    let seen = mem.last();
    assert_eq!(seen.method, http::Method::POST);
    assert_eq!(
        seen.path(),
        "/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/clusters/Cluster0/backup/snapshots"
    );
    assert_eq!(seen.query(), None);
    assert_eq!(seen.accept.as_deref(), Some(DEDICATED_ACCEPT));
    assert_eq!(seen.content_type.as_deref(), Some(DEDICATED_ACCEPT));
    assert_eq!(
        seen.body,
        r#"{"description":"before the \"8.0\" upgrade","retentionInDays":7}"#
    );
    assert_eq!(taken.value.status, Some(CloudSnapshotStatus::Queued));
    assert_eq!(
        taken.value.id.as_ref().unwrap().as_str(),
        format!("{:024x}", 9)
    );
    assert_eq!(taken.body, queued.as_bytes());
    assert_eq!(taken.served_by.kind, Some(ClusterKind::Dedicated));
    // Without options the body is an empty object: Atlas's defaults apply.
    client
        .dedicated_snapshots()
        .take(&g, &c)
        .send()
        .await
        .unwrap();
    assert_eq!(mem.last().body, "{}");
}

#[tokio::test]
async fn take_on_a_flex_cluster_and_without_the_role_are_typed_errors() {
    let (g, c, _) = ids();
    let client = client(Memory::always(400, FLEX_IN_CLUSTER));
    let e = client
        .dedicated_snapshots()
        .take(&g, &c)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest { api } if api.has_code("CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API")),
        "{e:?}"
    );
    let client = common::client(Memory::always(
        403,
        r#"{"error":403,"errorCode":"USER_UNAUTHORIZED","detail":"The currently logged in user does not have the Project Backup Manager role."}"#,
    ));
    let e = client
        .dedicated_snapshots()
        .take(&g, &c)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Forbidden {
                ip_access_list: false,
                ..
            }
        ),
        "{e:?}"
    );
    // A 2xx that is not a snapshot is not taken for one.
    let client = common::client(Memory::always(200, "<html>"));
    let e = client
        .dedicated_snapshots()
        .take(&g, &c)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnexpectedBody { .. }), "{e:?}");
}

#[tokio::test]
async fn delete_sends_a_delete_and_a_204_is_success() {
    let mem = Memory::with(|_| {
        Ok(http::Response::builder()
            .status(204)
            .body(bytes::Bytes::new())
            .unwrap())
    });
    let client = client(mem.clone());
    let (g, c, s) = ids();
    let full = client
        .dedicated_snapshots()
        .delete(&g, &c, &s)
        .send_full()
        .await
        .unwrap();
    assert_eq!(full.status.as_u16(), 204);
    let seen = mem.last();
    assert_eq!(seen.method, http::Method::DELETE);
    assert_eq!(
        seen.path(),
        "/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/clusters/Cluster0/backup/snapshots/6740a1f2c3d4e5f6a7b8c9e1"
    );
    assert_eq!(seen.accept.as_deref(), Some(DEDICATED_ACCEPT));
    assert!(seen.body.is_empty());
    assert_eq!(seen.content_type, None);
    // A 200 with a body is success too; a 404 names the snapshot.
    let client = common::client(Memory::always(200, "{}"));
    client
        .dedicated_snapshots()
        .delete(&g, &c, &s)
        .send()
        .await
        .unwrap();
    let client = common::client(Memory::always(404, NO_SNAPSHOT));
    let e = client
        .dedicated_snapshots()
        .delete(&g, &c, &s)
        .send()
        .await
        .unwrap_err();
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
