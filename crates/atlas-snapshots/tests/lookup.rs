//! The cluster-kind lookup, `latest()`, restore jobs and rate-limit pacing, on an in-memory
//! executor and a paused clock.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlas_snapshots::{ClusterKind, CreateRestoreJob, Error, RestoreStatus, SnapshotStatus};
use common::{GROUP, Memory, SNAPSHOT, client, fixtures, ids, response, response_with};
use proptest::prelude::*;

const FLEX_IN_CLUSTER: &str = r#"{"detail":"Flex cluster M2AWS cannot be used in the Cluster API.","error":400,"errorCode":"CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API","parameters":["M2AWS"],"reason":"Bad Request"}"#;
const NO_FLEX: &str = r#"{"detail":"No cluster named M2AWS exists in group 5b69d0349b15c62cdfc38b78.","error":404,"errorCode":"CLUSTER_NOT_FOUND","parameters":["M2AWS","5b69d0349b15c62cdfc38b78"],"reason":"Not Found"}"#;
const NO_SNAPSHOT: &str = r#"{"detail":"No snapshot.","error":404,"errorCode":"BACKUP_SNAPSHOT_NOT_FOUND","reason":"Not Found"}"#;

fn is_flex(r: &http::Request<bytes::Bytes>) -> bool {
    r.uri().path().contains("/flexClusters/")
}

#[tokio::test]
async fn a_sunset_tenant_endpoint_falls_back_to_flex_once_and_is_remembered() {
    for tenant_answer in [
        (410, fixtures::E410),
        (400, FLEX_IN_CLUSTER),
        (404, NO_FLEX),
    ] {
        let mem = Memory::with(move |r| {
            Ok(if is_flex(r) {
                response(200, fixtures::FLEX)
            } else {
                response(tenant_answer.0, tenant_answer.1)
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
        assert_eq!(found.served_by.kind, Some(ClusterKind::Flex));
        assert!(
            found.served_by.url.contains("/flexClusters/M2AWS/"),
            "{}",
            found.served_by.url
        );
        assert_eq!(found.served_by.missed.len(), 1);
        assert_eq!(found.served_by.missed[0].kind, ClusterKind::Tenant);
        assert_eq!(found.served_by.missed[0].status.as_u16(), tenant_answer.0);
        assert_eq!(mem.seen().len(), 2);
        assert_eq!(client.known_kind(&g, &c), Some(ClusterKind::Flex));
        // Remembered: the next get, list and wait go straight to flex.
        client.snapshots().get(&g, &c, &s).send().await.unwrap();
        assert_eq!(mem.seen().len(), 3);
        assert!(mem.last().path().contains("/flexClusters/"));
    }
}

#[tokio::test]
async fn a_tenant_answer_is_kept_and_other_errors_do_not_fall_back() {
    let mem = Memory::always(200, fixtures::SEED_V1);
    let client = client(mem.clone());
    let (g, c, s) = ids();
    let found = client
        .snapshots()
        .get(&g, &c, &s)
        .send_full()
        .await
        .unwrap();
    assert_eq!(found.served_by.kind, Some(ClusterKind::Tenant));
    assert!(found.served_by.missed.is_empty());
    assert_eq!(mem.seen().len(), 1);
    assert!(mem.last().path().starts_with("/api/atlas/v1.0/"));

    for (status, body) in [
        (401, fixtures::E401),
        (503, fixtures::E503_HTML),
        (403, "{}"),
    ] {
        let mem = Memory::always(status, body);
        let client = common::client(mem.clone());
        let e = client.snapshots().get(&g, &c, &s).send().await.unwrap_err();
        assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{e:?}");
        assert_eq!(mem.seen().len(), 1, "{status} must not fall back");
    }
}

#[tokio::test]
async fn every_miss_names_every_lookup() {
    let mem = Memory::with(|r| {
        Ok(if is_flex(r) {
            response(404, NO_FLEX)
        } else {
            response(404, NO_SNAPSHOT)
        })
    });
    let client = client(mem.clone());
    let (g, c, s) = ids();
    let e = client.snapshots().get(&g, &c, &s).send().await.unwrap_err();
    let Error::NotFoundOnAnyEndpoint { lookups } = &e else {
        panic!("{e:?}")
    };
    let kinds: Vec<ClusterKind> = lookups.iter().map(|l| l.kind).collect();
    assert_eq!(kinds, ClusterKind::LOOKUP_ORDER);
    let text = e.to_string();
    assert!(text.contains("/backup/tenant/snapshots/"), "{text}");
    assert!(text.contains("/flexClusters/M2AWS/"), "{text}");
    assert!(text.contains("/clusters/M2AWS/backup/snapshots/"), "{text}");
    assert!(
        text.contains("BACKUP_SNAPSHOT_NOT_FOUND") && text.contains("CLUSTER_NOT_FOUND"),
        "{text}"
    );
    assert_eq!(client.known_kind(&g, &c), None);
}

#[tokio::test]
async fn an_explicit_kind_never_falls_back() {
    let mem = Memory::always(410, fixtures::E410);
    let client = client(mem.clone());
    let (g, c, s) = ids();
    let e = client
        .snapshots()
        .get(&g, &c, &s)
        .kind(ClusterKind::Tenant)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Gone { .. }), "{e:?}");
    assert_eq!(mem.seen().len(), 1);
    let mem = Memory::always(404, NO_FLEX);
    let client = common::client(mem.clone());
    let e = client
        .snapshots()
        .list(&g, &c)
        .kind(ClusterKind::Flex)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    assert_eq!(mem.seen().len(), 1);
    assert!(mem.last().path().contains("/flexClusters/"));
}

#[tokio::test]
async fn a_remembered_kind_that_says_wrong_kind_is_looked_up_again() {
    let sunset = Arc::new(Mutex::new(false));
    let s2 = sunset.clone();
    let mem = Memory::with(move |r| {
        Ok(match (is_flex(r), *s2.lock().unwrap()) {
            (false, false) => response(200, fixtures::SEED_V1),
            (false, true) => response(410, fixtures::E410),
            (true, _) => response(200, fixtures::FLEX),
        })
    });
    let client = client(mem.clone());
    let (g, c, s) = ids();
    client.snapshots().get(&g, &c, &s).send().await.unwrap();
    assert_eq!(client.known_kind(&g, &c), Some(ClusterKind::Tenant));
    *sunset.lock().unwrap() = true;
    let found = client
        .snapshots()
        .get(&g, &c, &s)
        .send_full()
        .await
        .unwrap();
    assert_eq!(found.served_by.kind, Some(ClusterKind::Flex));
    assert_eq!(client.known_kind(&g, &c), Some(ClusterKind::Flex));
}

fn snap(id: u32, status: &str, scheduled: Option<&str>) -> String {
    let mut s = format!(r#"{{"id":"{id:024x}","status":"{status}""#);
    if let Some(t) = scheduled {
        s.push_str(&format!(r#","scheduledTime":"{t}""#));
    }
    s.push('}');
    s
}

/// Pages of `per_page` entries with `next` links, served by page number.
fn paged(entries: Vec<String>, per_page: usize) -> Arc<Memory> {
    Memory::with(move |r| {
        if !is_flex(r) {
            return Ok(response(410, fixtures::E410));
        }
        let page: usize = r
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("pageNum=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let chunk: Vec<&String> = entries
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        let more = page * per_page < entries.len();
        let links = if more {
            format!(
                r#"[{{"rel":"next","href":"https://cloud.mongodb.com{}?pageNum={}&itemsPerPage={per_page}"}}]"#,
                r.uri().path(),
                page + 1
            )
        } else {
            "[]".into()
        };
        let body = format!(
            r#"{{"results":[{}],"totalCount":{},"links":{links}}}"#,
            chunk
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(","),
            entries.len()
        );
        Ok(response(200, &body))
    })
}

#[tokio::test]
async fn latest_walks_every_page_and_sorts_by_scheduled_time() {
    let entries = vec![
        snap(1, "COMPLETED", Some("2026-11-24T10:00:00Z")),
        snap(2, "COMPLETED", Some("2026-11-30T10:00:00Z")),
        snap(3, "FAILED", Some("2026-12-01T09:00:00Z")),
        snap(4, "RUNNING", Some("2026-12-01T10:00:00Z")),
        snap(5, "COMPLETED", None),
        snap(6, "COMPLETED", Some("2026-11-28T10:00:00Z")),
    ];
    let mem = paged(entries, 2);
    let client = client(mem.clone());
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
    assert_eq!(latest.served_by.unwrap().kind, Some(ClusterKind::Flex));
    // one tenant miss, then three flex pages.
    assert_eq!(mem.seen().len(), 4);

    let none = paged(vec![snap(1, "RUNNING", None)], 2);
    let client = common::client(none);
    let e = client.snapshots().latest(&g, &c).send().await.unwrap_err();
    assert!(
        matches!(e, Error::NoCompletedSnapshot { listed: 1 }),
        "{e:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn latest_does_not_depend_on_list_order(
        days in proptest::collection::vec((1u32..28, any::<bool>()), 1..12),
        per_page in 1usize..5,
        seed in any::<u64>(),
    ) {
        let mut entries: Vec<(u32, String)> = days.iter().enumerate().map(|(i, (d, done))| {
            let t = format!("2026-11-{d:02}T{:02}:00:00Z", i % 24);
            (i as u32 + 1, snap(i as u32 + 1, if *done { "COMPLETED" } else { "RUNNING" }, Some(&t)))
        }).collect();
        // Expected: the completed entry with the largest (time, id).
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
            let client = common::client(paged(entries.into_iter().map(|e| e.1).collect(), per_page));
            let (g, c, _) = ids();
            client.snapshots().latest(&g, &c).items_per_page(per_page as u32).send().await
        });
        match expected {
            Some(id) => {
                let latest = got.unwrap();
                prop_assert_eq!(latest.snapshot.value().id().unwrap().as_str(), id.as_str());
            }
            None => prop_assert!(matches!(got, Err(Error::NoCompletedSnapshot { .. })), "no completed entry, got a snapshot"),
        }
    }
}

fn job(status: &str, finished: bool) -> String {
    let mut s = format!(
        r#"{{"id":"6740a1f2c3d4e5f6a7b8c9d0","deliveryType":"RESTORE","status":"{status}","targetDeploymentItemName":"FlexRestored""#
    );
    if finished {
        s.push_str(r#","restoreFinishedDate":"2026-12-01T10:01:00Z""#);
    }
    s.push('}');
    s
}

#[tokio::test(start_paused = true)]
async fn a_restore_starts_with_its_body_and_a_wait_sees_each_status_once() {
    let mem = Memory::queue([
        Ok(response(200, &job("PENDING", false))),
        Ok(response(200, &job("PENDING", false))),
        Ok(response(200, &job("RUNNING", false))),
        Ok(response(200, &job("RUNNING", false))),
        Ok(response(200, &job("COMPLETED", true))),
    ]);
    let client = client(mem.clone());
    let (g, c, s) = ids();
    let started = client
        .flex_restore_jobs()
        .start(
            &g,
            &c,
            CreateRestoreJob {
                snapshot_id: s,
                target_deployment_item_name: "FlexRestored".parse().unwrap(),
                target_project_id: Some(GROUP.parse().unwrap()),
            },
        )
        .send()
        .await
        .unwrap();
    let seen = mem.last();
    assert_eq!(seen.method, http::Method::POST);
    assert!(
        seen.path()
            .ends_with("/flexClusters/M2AWS/backup/restoreJobs")
    );
    assert_eq!(
        seen.body,
        format!(
            r#"{{"snapshotId":"{SNAPSHOT}","targetDeploymentItemName":"FlexRestored","targetProjectId":"{GROUP}"}}"#
        )
    );
    let id = started.id.unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let t0 = tokio::time::Instant::now();
    let done = client
        .flex_restore_jobs()
        .wait(&g, &c, &id)
        .interval(Duration::from_secs(10))
        .on_change(move |e| ev.lock().unwrap().push(e.status.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(RestoreStatus::Completed));
    assert!(done.restore_finished_date.is_some());
    assert_eq!(
        *events.lock().unwrap(),
        [
            Some(RestoreStatus::Pending),
            Some(RestoreStatus::Running),
            Some(RestoreStatus::Completed)
        ]
    );
    assert_eq!(t0.elapsed(), Duration::from_secs(30));
    assert!(
        mem.last()
            .path()
            .ends_with("/restoreJobs/6740a1f2c3d4e5f6a7b8c9d0")
    );
}

#[tokio::test(start_paused = true)]
async fn a_restore_wait_times_out_with_what_it_saw() {
    let mem = Memory::always_owned(200, job("CLOSED", false));
    let client = client(mem);
    let (g, c, _) = ids();
    let e = client
        .flex_restore_jobs()
        .wait(&g, &c, &"6740a1f2c3d4e5f6a7b8c9d0".parse().unwrap())
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("waiting for the restore job"), "{text}");
    assert!(
        text.contains("CLOSED, not a status this client knows"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn waits_slow_down_when_rate_limit_remaining_runs_low() {
    let body = common::snapshot_body("RUNNING");
    let done = common::snapshot_body("COMPLETED");
    let mem = Memory::queue([
        Ok(response_with(
            200,
            &body,
            &[("RateLimit-Limit", "1200"), ("RateLimit-Remaining", "1000")],
        )),
        Ok(response_with(
            200,
            &body,
            &[("Ratelimit-Limit", "1200"), ("ratelimit-remaining", "0")],
        )),
        Ok(response_with(
            200,
            &done,
            &[("RateLimit-Limit", "1200"), ("RateLimit-Remaining", "0")],
        )),
    ]);
    let client = client(mem.clone());
    let (g, c, s) = ids();
    let full = client
        .flex_snapshots()
        .wait(&g, &c, &s)
        .interval(Duration::from_secs(1))
        .send_full()
        .await
        .unwrap();
    assert_eq!(full.value.status, Some(SnapshotStatus::Completed));
    assert_eq!(full.rate_limit.remaining, Some(0));
    assert_eq!(full.rate_limit.limit, Some(1200));
    let seen = mem.seen();
    // Plenty left: the interval. None left: 61 requests' worth at 1200 a minute (3.05 s).
    assert_eq!(seen[1].at - seen[0].at, Duration::from_secs(1));
    assert_eq!(seen[2].at - seen[1].at, Duration::from_millis(3050));
}

#[tokio::test]
async fn sunset_and_deprecation_dates_in_atlas_form() {
    let mem = Memory::queue([Ok(response_with(
        200,
        fixtures::SEED_V1,
        &[
            ("Deprecation", "Mon, 5 Aug 2024 00:00:00 GMT"),
            ("Sunset", "Thu, 1 Jul 2027 00:00:00 GMT"),
        ],
    ))]);
    let client = client(mem);
    let (g, c, s) = ids();
    let r = client
        .tenant_snapshots()
        .get(&g, &c, &s)
        .send_full()
        .await
        .unwrap();
    assert_eq!(
        r.sunset_date().unwrap().to_rfc3339(),
        "2027-07-01T00:00:00+00:00"
    );
    assert_eq!(
        r.deprecation_date().unwrap().to_rfc3339(),
        "2024-08-05T00:00:00+00:00"
    );
}
