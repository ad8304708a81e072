//! The ids of the seed data set, shared by the demo, the tests and the documentation.
//!
//! [`GROUP_ID`] holds the shared-tier cluster [`CLUSTER_NAME`], the flex cluster
//! [`FLEX_CLUSTER_NAME`] (with two restore jobs) and the dedicated clusters
//! [`DEDICATED_CLUSTER_NAME`] (a replica set) and [`SHARDED_CLUSTER_NAME`] (two shards). Each has 8 snapshots: one per status (`COMPLETED` several times,
//! `FAILED`, `PENDING`, `QUEUED`, `RUNNING`) plus [`LIFECYCLE_SNAPSHOT_ID`], whose status moves with
//! time: `QUEUED` at server start, `RUNNING` after 1 s, `COMPLETED` after 3 s. With `itemsPerPage=2`
//! a list has 4 pages. [`OTHER_GROUP_ID`] is a second group (cluster [`OTHER_CLUSTER_NAME`], one
//! snapshot), handy for keys restricted to one group.

use std::time::Duration;

use atlas_model::{SnapshotStatus, TenantSnapshot};
use chrono::{DateTime, Utc};

use crate::data::{ClusterKind, Dataset, StoredRestoreJob};
use crate::lifecycle::{Lifecycle, Outcome};

/// The seed's group (project) id.
pub const GROUP_ID: &str = "5b69d0349b15c62cdfc38b78";
/// The seed's shared-tier (M2) cluster.
pub const CLUSTER_NAME: &str = "M2AWS";
/// The seed's snapshot: `FAILED`, MongoDB 4.2.7, times exactly as in the Atlas documentation example.
pub const SNAPSHOT_ID: &str = "5cc310ace5dc7ce369814bc8";
/// A flex cluster in [`GROUP_ID`].
pub const FLEX_CLUSTER_NAME: &str = "FlexAWS";
/// A `COMPLETED` snapshot of [`FLEX_CLUSTER_NAME`].
pub const FLEX_SNAPSHOT_ID: &str = "6740a1f2c3d4e5f6a7b8c901";
/// A snapshot present on both [`CLUSTER_NAME`] and [`FLEX_CLUSTER_NAME`] whose status moves:
/// `QUEUED` at server start, `RUNNING` from 1 s, `COMPLETED` from 3 s.
pub const LIFECYCLE_SNAPSHOT_ID: &str = "5cc310ace5dc7ce369814bd0";
/// When [`LIFECYCLE_SNAPSHOT_ID`] becomes `RUNNING`, after server start.
pub const LIFECYCLE_RUNNING_AFTER: Duration = Duration::from_secs(1);
/// When [`LIFECYCLE_SNAPSHOT_ID`] becomes `COMPLETED`, after server start.
pub const LIFECYCLE_DONE_AFTER: Duration = Duration::from_secs(3);
/// A second group, with one cluster and one snapshot.
pub const OTHER_GROUP_ID: &str = "5b69d0349b15c62cdfc38b79";
/// The cluster of [`OTHER_GROUP_ID`].
pub const OTHER_CLUSTER_NAME: &str = "M5GCP";
/// The snapshot of [`OTHER_CLUSTER_NAME`] (`COMPLETED`).
pub const OTHER_SNAPSHOT_ID: &str = "5cc310ace5dc7ce369814be0";
/// Number of snapshots on [`CLUSTER_NAME`] (and on [`FLEX_CLUSTER_NAME`]).
pub const SNAPSHOTS_PER_CLUSTER: usize = 8;
/// A dedicated (M10) replica-set cluster in [`GROUP_ID`], with [`DEDICATED_SNAPSHOTS`] cloud
/// backup snapshots.
pub const DEDICATED_CLUSTER_NAME: &str = "M10AWS";
/// A `completed` scheduled snapshot of [`DEDICATED_CLUSTER_NAME`].
pub const DEDICATED_SNAPSHOT_ID: &str = "6750b1e2d3c4b5a697887901";
/// The `completed` on-demand snapshot of [`DEDICATED_CLUSTER_NAME`] (description "before the
/// migration").
pub const DEDICATED_ON_DEMAND_SNAPSHOT_ID: &str = "6750b1e2d3c4b5a697887903";
/// Snapshots of [`DEDICATED_CLUSTER_NAME`].
pub const DEDICATED_SNAPSHOTS: usize = 3;
/// A dedicated sharded cluster (2 shards, GCP) in [`GROUP_ID`].
pub const SHARDED_CLUSTER_NAME: &str = "M30Sharded";
/// A `completed` snapshot of [`SHARDED_CLUSTER_NAME`] (with `members`).
pub const SHARDED_SNAPSHOT_ID: &str = "6750b1e2d3c4b5a697887a01";
/// The newest of the two restore jobs of [`FLEX_CLUSTER_NAME`] (`COMPLETED`, into `FlexAWS`).
pub const FLEX_RESTORE_JOB_ID: &str = "6751c0ffee0000000000a002";
/// The older restore job of [`FLEX_CLUSTER_NAME`] (`COMPLETED`).
pub const FLEX_OLDER_RESTORE_JOB_ID: &str = "6751c0ffee0000000000a001";
/// Restore jobs of [`FLEX_CLUSTER_NAME`] in the seed.
pub const FLEX_RESTORE_JOBS: usize = 2;
/// The SHA-256 of the archive a download of [`FLEX_SNAPSHOT_ID`] serves with the default settings
/// (1 MiB, seed derived from the id; see the format in the crate README). Pinned by a test.
pub const FLEX_ARCHIVE_SHA256: &str =
    "af93f9e4b09ab134e8d5681fad9547c3dfc9c3883d2693e2278212a87edc5041";

/// The shared-tier snapshots of [`CLUSTER_NAME`] other than the seed and lifecycle ones:
/// (id, status, scheduled, started, finished).
/// (id, status, scheduled, started, finished)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

const TENANT_EXTRA: [Row; 6] = [
    (
        "5cc310ace5dc7ce369814bc9",
        "COMPLETED",
        "2019-04-27T12:00:00Z",
        Some("2019-04-27T12:01:02Z"),
        Some("2019-04-27T12:02:40Z"),
    ),
    (
        "5cc310ace5dc7ce369814bca",
        "COMPLETED",
        "2019-04-28T12:00:00Z",
        Some("2019-04-28T12:00:51Z"),
        Some("2019-04-28T12:02:13Z"),
    ),
    (
        "5cc310ace5dc7ce369814bcb",
        "COMPLETED",
        "2019-04-29T12:00:00Z",
        Some("2019-04-29T12:01:17Z"),
        Some("2019-04-29T12:03:05Z"),
    ),
    (
        "5cc310ace5dc7ce369814bcc",
        "RUNNING",
        "2019-04-30T12:00:00Z",
        Some("2019-04-30T12:00:44Z"),
        None,
    ),
    (
        "5cc310ace5dc7ce369814bcd",
        "QUEUED",
        "2019-05-01T12:00:00Z",
        None,
        None,
    ),
    (
        "5cc310ace5dc7ce369814bce",
        "PENDING",
        "2019-05-02T12:00:00Z",
        None,
        None,
    ),
];

/// The flex snapshots other than the lifecycle one.
const FLEX_EXTRA: [Row; 7] = [
    (
        FLEX_SNAPSHOT_ID,
        "COMPLETED",
        "2024-11-20T08:00:00Z",
        Some("2024-11-20T08:00:21Z"),
        Some("2024-11-20T08:01:09Z"),
    ),
    (
        "6740a1f2c3d4e5f6a7b8c902",
        "COMPLETED",
        "2024-11-21T08:00:00Z",
        Some("2024-11-21T08:00:19Z"),
        Some("2024-11-21T08:01:02Z"),
    ),
    (
        "6740a1f2c3d4e5f6a7b8c903",
        "FAILED",
        "2024-11-22T08:00:00Z",
        Some("2024-11-22T08:00:25Z"),
        Some("2024-11-22T08:00:31Z"),
    ),
    (
        "6740a1f2c3d4e5f6a7b8c904",
        "COMPLETED",
        "2024-11-23T08:00:00Z",
        Some("2024-11-23T08:00:17Z"),
        Some("2024-11-23T08:00:58Z"),
    ),
    (
        "6740a1f2c3d4e5f6a7b8c905",
        "RUNNING",
        "2024-11-24T08:00:00Z",
        Some("2024-11-24T08:00:22Z"),
        None,
    ),
    (
        "6740a1f2c3d4e5f6a7b8c906",
        "QUEUED",
        "2024-11-25T08:00:00Z",
        None,
        None,
    ),
    (
        "6740a1f2c3d4e5f6a7b8c907",
        "PENDING",
        "2024-11-26T08:00:00Z",
        None,
        None,
    ),
];

fn t(s: &str) -> Option<DateTime<Utc>> {
    atlas_model::parse_timestamp(s)
}

fn snap(
    id: &str,
    status: &str,
    version: &str,
    sched: &str,
    start: Option<&str>,
    finish: Option<&str>,
) -> TenantSnapshot {
    TenantSnapshot {
        id: id.parse().ok(),
        status: Some(SnapshotStatus::from(status)),
        mongodb_version: Some(version.to_owned()),
        scheduled_time: t(sched),
        start_time: start.and_then(t),
        finish_time: finish.and_then(t),
        ..TenantSnapshot::default()
    }
}

fn lifecycle() -> Option<Lifecycle> {
    Lifecycle::new(
        Duration::ZERO,
        LIFECYCLE_RUNNING_AFTER,
        LIFECYCLE_DONE_AFTER,
        Outcome::Completed,
    )
    .ok()
}

/// Builds the seed data set. Every value here is a valid constant, so the builder calls cannot fail;
/// should one ever do, the data set is returned as far as it got (and the crate's tests catch it).
pub(crate) fn dataset() -> Dataset {
    build().unwrap_or_default()
}

fn build() -> Result<Dataset, crate::MockError> {
    let mut d = Dataset::empty()
        .with_cluster(GROUP_ID, CLUSTER_NAME, ClusterKind::Tenant)?
        .with_cluster(GROUP_ID, FLEX_CLUSTER_NAME, ClusterKind::Flex)?
        .with_cluster(OTHER_GROUP_ID, OTHER_CLUSTER_NAME, ClusterKind::Tenant)?;
    d = d.with_snapshot(
        GROUP_ID,
        CLUSTER_NAME,
        snap(
            SNAPSHOT_ID,
            "FAILED",
            "4.2.7",
            "2019-04-26T12:00:00Z",
            Some("2019-04-26T14:07:53Z"),
            Some("2019-04-26T14:08:07Z"),
        ),
        None,
    )?;
    for (id, status, sched, start, finish) in TENANT_EXTRA {
        d = d.with_snapshot(
            GROUP_ID,
            CLUSTER_NAME,
            snap(id, status, "4.2.7", sched, start, finish),
            None,
        )?;
    }
    let live = TenantSnapshot {
        id: LIFECYCLE_SNAPSHOT_ID.parse().ok(),
        mongodb_version: Some("8.0.4".to_owned()),
        ..TenantSnapshot::default()
    };
    d = d.with_snapshot(GROUP_ID, CLUSTER_NAME, live.clone(), lifecycle())?;

    for (id, status, sched, start, finish) in FLEX_EXTRA {
        let mut s = snap(id, status, "8.0.4", sched, start, finish);
        if let Some(f) = s.finish_time {
            s.expiration = Some(f + chrono::Duration::days(8));
        }
        d = d.with_snapshot(GROUP_ID, FLEX_CLUSTER_NAME, s, None)?;
    }
    d = d.with_snapshot(GROUP_ID, FLEX_CLUSTER_NAME, live, lifecycle())?;
    let bad = |e: atlas_model::IdError| crate::MockError::Data(e.to_string());
    let flex = d
        .cluster_mut(
            &GROUP_ID.parse().map_err(bad)?,
            &FLEX_CLUSTER_NAME.parse().map_err(bad)?,
        )
        .ok_or_else(|| crate::MockError::Data("seed: no flex cluster".into()))?;
    for (id, snapshot, finished, scheduled, done) in [
        (
            FLEX_OLDER_RESTORE_JOB_ID,
            FLEX_SNAPSHOT_ID,
            "2024-11-20T08:01:09Z",
            "2024-11-21T09:00:00Z",
            "2024-11-21T09:01:02Z",
        ),
        (
            FLEX_RESTORE_JOB_ID,
            "6740a1f2c3d4e5f6a7b8c902",
            "2024-11-21T08:01:02Z",
            "2024-11-22T10:30:00Z",
            "2024-11-22T10:31:11Z",
        ),
    ] {
        flex.restore_jobs.push(StoredRestoreJob::from_json(
            "seed",
            &serde_json::json!({
                "id": id, "snapshotId": snapshot, "deliveryType": "RESTORE",
                "targetDeploymentItemName": FLEX_CLUSTER_NAME, "status": "COMPLETED",
                "snapshotFinishedDate": finished, "restoreScheduledDate": scheduled,
                "restoreFinishedDate": done,
            }),
        )?);
    }

    d = d.with_dedicated_cluster(
        GROUP_ID,
        DEDICATED_CLUSTER_NAME,
        crate::DedicatedCluster::replica_set(),
    )?;
    d = d.with_dedicated_cluster(
        GROUP_ID,
        SHARDED_CLUSTER_NAME,
        crate::DedicatedCluster::sharded(2)?
            .cloud_provider("GCP")
            .mongod_version("7.0.14"),
    )?;
    let cloud = |v: serde_json::Value| crate::data::StoredCloudSnapshot::from_json("seed", &v);
    let (g, m10, m30) = (
        GROUP_ID.parse().map_err(bad)?,
        DEDICATED_CLUSTER_NAME.parse().map_err(bad)?,
        SHARDED_CLUSTER_NAME.parse().map_err(bad)?,
    );
    for v in [
        serde_json::json!({"id": DEDICATED_SNAPSHOT_ID, "status": "completed",
            "createdAt": "2024-12-04T04:12:31Z", "expiresAt": "2024-12-11T04:14:09Z",
            "frequencyType": "daily", "snapshotType": "scheduled", "storageSizeBytes": 1_621_098_496_u64,
            "policyItems": ["5f4f3e2d1c0b0a0908070605"]}),
        serde_json::json!({"id": "6750b1e2d3c4b5a697887902", "status": "completed",
            "createdAt": "2024-12-05T04:12:28Z", "expiresAt": "2024-12-12T04:13:51Z",
            "frequencyType": "daily", "snapshotType": "scheduled", "storageSizeBytes": 1_634_467_840_u64,
            "policyItems": ["5f4f3e2d1c0b0a0908070605"]}),
        serde_json::json!({"id": DEDICATED_ON_DEMAND_SNAPSHOT_ID, "status": "completed",
            "createdAt": "2024-12-05T16:40:02Z", "expiresAt": "2024-12-12T16:40:02Z",
            "description": "before the migration", "frequencyType": "ondemand",
            "snapshotType": "onDemand", "storageSizeBytes": 1_634_500_608_u64}),
    ] {
        d.insert_cloud_snapshot(&g, &m10, cloud(v)?)?;
    }
    for v in [
        serde_json::json!({"id": SHARDED_SNAPSHOT_ID, "status": "completed",
            "createdAt": "2024-12-05T06:00:11Z", "expiresAt": "2024-12-12T06:05:40Z",
            "frequencyType": "daily", "snapshotType": "scheduled", "storageSizeBytes": 8_214_739_968_u64}),
        serde_json::json!({"id": "6750b1e2d3c4b5a697887a02", "status": "failed",
            "createdAt": "2024-12-06T06:00:09Z", "frequencyType": "daily", "snapshotType": "scheduled"}),
    ] {
        d.insert_cloud_snapshot(&g, &m30, cloud(v)?)?;
    }

    d.with_snapshot(
        OTHER_GROUP_ID,
        OTHER_CLUSTER_NAME,
        snap(
            OTHER_SNAPSHOT_ID,
            "COMPLETED",
            "7.0.2",
            "2024-01-10T03:00:00Z",
            Some("2024-01-10T03:00:40Z"),
            Some("2024-01-10T03:02:02Z"),
        ),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_builds_completely() {
        let d = build().unwrap();
        assert_eq!(
            d.snapshot_count(),
            2 * SNAPSHOTS_PER_CLUSTER + 1 + DEDICATED_SNAPSHOTS + 2
        );
        let g = d.group(&GROUP_ID.parse().unwrap()).unwrap();
        let c = g.cluster(&CLUSTER_NAME.parse().unwrap()).unwrap();
        assert_eq!(c.snapshots.len(), SNAPSHOTS_PER_CLUSTER);
        let s = serde_json::to_string(&c.snapshot(&SNAPSHOT_ID.parse().unwrap()).unwrap().snapshot)
            .unwrap();
        assert_eq!(
            s,
            r#"{"finishTime":"2019-04-26T14:08:07Z","id":"5cc310ace5dc7ce369814bc8","mongoDBVersion":"4.2.7","scheduledTime":"2019-04-26T12:00:00Z","startTime":"2019-04-26T14:07:53Z","status":"FAILED"}"#
        );
    }

    #[tokio::test]
    async fn the_flex_archive_is_pinned() {
        let mock = crate::MockAtlas::builder().start().await.unwrap();
        let sha = mock
            .archive_sha256(GROUP_ID, FLEX_CLUSTER_NAME, FLEX_SNAPSHOT_ID)
            .await
            .unwrap();
        assert_eq!(sha, FLEX_ARCHIVE_SHA256);
        mock.shutdown().await;
    }

    #[test]
    fn seed_round_trips_through_json() {
        let d = Dataset::seed();
        let again = Dataset::from_json(d.to_json().to_string().as_bytes()).unwrap();
        assert_eq!(again, d);
    }
}
