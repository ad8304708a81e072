//! The flex client (downloads, restore jobs) against `atlas-mock`'s flex backup routes over
//! loopback: the contract the scripted-server tests assume, checked against the mock that follows
//! Atlas (roles, link expiry on the mock clock, cut transfers, lifecycles, paging order).

use std::time::Duration;

use atlas_mock::{
    ApiKey, ClockMode, Fault, FaultPlan, FaultRule, Lifecycle, MockAtlas, MockHandle, Outcome,
    Role, RouteKind, seed,
};
use atlas_snapshots::{
    AtlasClient, ClusterName, CreateRestoreJob, DeliveryType, Error, GroupId, Overwrite,
    RestoreStatus, SnapshotId,
};
use futures_util::TryStreamExt;

fn client(mock: &MockHandle, public: &str, private: &str) -> AtlasClient {
    AtlasClient::builder()
        .base_url(mock.base_url())
        .credentials(public, private)
        .build()
        .unwrap()
}

fn group() -> GroupId {
    seed::GROUP_ID.parse().unwrap()
}
fn flex() -> ClusterName {
    seed::FLEX_CLUSTER_NAME.parse().unwrap()
}
fn snapshot() -> SnapshotId {
    seed::FLEX_SNAPSHOT_ID.parse().unwrap()
}

/// The SHA-256 of a file, by coreutils' `sha256sum` (no hashing crate in this package).
fn sha256_of(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_cut_download_resumes_to_the_known_archive_and_an_expired_link_is_typed() {
    // The first transfer of every link is cut after 300,000 bytes; the resume (a Range request)
    // is not, so the client needs exactly one resume whatever the scheduling.
    let plan = FaultPlan::new(1).rule(
        FaultRule::new(Fault::CutAfter(300_000))
            .unwrap()
            .on([RouteKind::SnapshotArchive])
            .limit(1),
    );
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .faults(plan)
        .start()
        .await
        .unwrap();
    let client = client(&mock, mock.public_key(), mock.private_key());
    let job = client
        .flex_snapshots()
        .download(&group(), &flex(), &snapshot())
        .send()
        .await
        .unwrap();
    assert_eq!(job.delivery_type, Some(DeliveryType::Download));
    let url = job.snapshot_url.clone().expect("a download job has a link");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.tgz");
    let done = client
        .download_archive(&url)
        .to_file(&file, Overwrite::Refuse)
        .await
        .unwrap();
    assert_eq!(done.resumes, 1, "{done:?}");
    assert_eq!(done.bytes, std::fs::metadata(&file).unwrap().len());
    assert_eq!(sha256_of(&file), seed::FLEX_ARCHIVE_SHA256);
    assert_eq!(
        mock.archive_sha256(
            seed::GROUP_ID,
            seed::FLEX_CLUSTER_NAME,
            seed::FLEX_SNAPSHOT_ID
        )
        .await
        .unwrap(),
        seed::FLEX_ARCHIVE_SHA256
    );
    let links = mock.download_links();
    let link = links.last().unwrap();
    assert_eq!(link["cutTransfers"], 1, "{link}");
    assert_eq!(link["completedTransfers"], 1, "{link}");

    // Four hours later on the mock clock the link answers as an object store does: 403 + XML,
    // which the client reports as an expired link, leaving no file behind.
    mock.clock().advance(Duration::from_secs(4 * 3600));
    let late = dir.path().join("late.tgz");
    let err = client
        .download_archive(&url)
        .to_file(&late, Overwrite::Refuse)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::LinkExpired { status, code, .. }
            if status.as_u16() == 403 && code.as_deref() == Some("AccessDenied")),
        "{err:?}"
    );
    assert!(!late.exists());
    assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1);
    mock.shutdown().await;
}

#[tokio::test]
async fn a_restore_job_is_started_waited_for_and_listed_newest_first() {
    // Each API request moves the mock clock 20 s: the wait sees PENDING (10 s), RUNNING (until
    // 60 s), COMPLETED after a few polls, however slowly the machine runs.
    let mock = MockAtlas::builder()
        .clock(ClockMode::Stepped { step_ms: 20_000 })
        .start()
        .await
        .unwrap();
    let client = client(&mock, mock.public_key(), mock.private_key());
    let started = client
        .flex_restore_jobs()
        .start(
            &group(),
            &flex(),
            CreateRestoreJob {
                snapshot_id: snapshot(),
                target_deployment_item_name: seed::FLEX_CLUSTER_NAME.parse().unwrap(),
                target_project_id: None,
            },
        )
        .send()
        .await
        .unwrap();
    assert_eq!(started.status, Some(RestoreStatus::Pending));
    assert_eq!(started.restore_finished_date, None);
    let id = started.id.clone().unwrap();
    let done = client
        .flex_restore_jobs()
        .wait(&group(), &flex(), &id)
        .interval(Duration::from_secs(1))
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(RestoreStatus::Completed));
    let finished = done.restore_finished_date.expect("set once completed");
    assert!(finished >= done.restore_scheduled_date.unwrap(), "{done:?}");

    // Newest first, across pages of one: the new job, then the seed's two.
    let all: Vec<_> = client
        .flex_restore_jobs()
        .list(&group(), &flex())
        .items_per_page(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = all
        .iter()
        .map(|j| j.id.clone().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            id.to_string(),
            seed::FLEX_RESTORE_JOB_ID.to_owned(),
            seed::FLEX_OLDER_RESTORE_JOB_ID.to_owned()
        ]
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn keys_with_the_backup_roles_read_download_and_restore() {
    // The roles the mock checks (Atlas's): reading needs Project Read Only, downloads Project
    // Backup Export Operator, restores Project Backup Recovery Operator. What a key without them
    // gets is atlas-mock's own test (tests/flex_backups.rs).
    let reader = ApiKey::new("reader", "reader-secret").roles(vec![Role::GroupReadOnly]);
    let exporter =
        ApiKey::new("exporter", "exporter-secret").roles(vec![Role::GroupBackupExportOperator]);
    let restorer =
        ApiKey::new("restorer", "restorer-secret").roles(vec![Role::GroupBackupRecoveryOperator]);
    let mock = MockAtlas::builder()
        .api_key(reader)
        .api_key(exporter)
        .api_key(restorer)
        .restore_lifecycle(
            Lifecycle::new(
                Duration::ZERO,
                Duration::from_secs(10),
                Duration::from_secs(60),
                Outcome::Completed,
            )
            .unwrap(),
        )
        .start()
        .await
        .unwrap();
    let page = client(&mock, "reader", "reader-secret")
        .flex_restore_jobs()
        .list(&group(), &flex())
        .send()
        .await
        .unwrap();
    assert_eq!(page.items.len(), seed::FLEX_RESTORE_JOBS);
    let job = client(&mock, "exporter", "exporter-secret")
        .flex_snapshots()
        .download(&group(), &flex(), &snapshot())
        .send()
        .await
        .unwrap();
    assert!(job.snapshot_url.is_some(), "{job:?}");
    let job = client(&mock, "restorer", "restorer-secret")
        .flex_restore_jobs()
        .start(
            &group(),
            &flex(),
            CreateRestoreJob {
                snapshot_id: snapshot(),
                target_deployment_item_name: seed::FLEX_CLUSTER_NAME.parse().unwrap(),
                target_project_id: None,
            },
        )
        .send()
        .await
        .unwrap();
    assert_eq!(job.delivery_type, Some(DeliveryType::Restore));
    mock.shutdown().await;
}
