//! Flex backups end to end against `atlas-mock` (not a scripted server): `download` of the seed's
//! flex snapshot checked against the SHA-256 the mock reports, a transfer the mock cuts (resumed by
//! the command itself, with a `Range` the journal shows), a link that expires before the transfer
//! (exit 4, the hint, no file left), and a restore started and waited for on a stepped mock clock
//! (every poll moves the lifecycle a fixed amount, whatever the machine's speed).

mod common;

use std::path::Path;
use std::time::Duration;

use atlas_mock::{ClockMode, DownloadSettings, Fault, FaultPlan, FaultRule, MockAtlas, RouteKind};
use common::{TestMock, seed, text};
use predicates::prelude::*;

/// The mock's own SHA-256 of the flex seed snapshot's archive.
fn mock_sha256(m: &TestMock) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(m.handle.archive_sha256(
        seed::GROUP_ID,
        seed::FLEX_CLUSTER_NAME,
        seed::FLEX_SNAPSHOT_ID,
    ))
    .expect("the mock knows its archive")
}

/// SHA-256 of a file by `sha256sum`: a reading through no code of ours.
fn sha256sum(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    assert!(out.status.success());
    text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn download_args(out: &Path) -> Vec<String> {
    [
        "download",
        "--cluster-name",
        seed::FLEX_CLUSTER_NAME,
        "--snapshot-id",
        seed::FLEX_SNAPSHOT_ID,
        "--output-file",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([out.display().to_string()])
    .collect()
}

fn mock_with(archive_bytes: u64, faults: Option<FaultPlan>) -> TestMock {
    let mut b = MockAtlas::builder().downloads(
        DownloadSettings::default()
            .archive_size(archive_bytes)
            .expect("a valid archive size"),
    );
    if let Some(plan) = faults {
        b = b.faults(plan);
    }
    TestMock::start_with(b)
}

#[test]
fn download_writes_the_archive_the_mock_serves_and_refuses_to_overwrite_it() {
    let m = mock_with(3 << 20, None);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.tgz");
    m.cmd().args(download_args(&file)).assert().code(0);
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 3 << 20);
    assert_eq!(sha256sum(&file), mock_sha256(&m));
    assert!(!dir.path().join("snap.tgz.part").exists());
    // gzip accepts it: the mock's archive is a real one.
    let gz = std::process::Command::new("gzip")
        .arg("-t")
        .arg(&file)
        .status()
        .unwrap();
    assert!(gz.success());

    // Again: refused without --force, replaced with it.
    m.cmd()
        .args(download_args(&file))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    m.cmd()
        .args(download_args(&file))
        .arg("--force")
        .assert()
        .code(0);
    assert_eq!(sha256sum(&file), mock_sha256(&m));
}

#[test]
fn a_transfer_the_mock_cuts_is_resumed_by_the_command_with_a_range() {
    let cut = FaultRule::new(Fault::CutAfter(1 << 20))
        .unwrap()
        .on([RouteKind::SnapshotArchive])
        .limit(1);
    let m = mock_with(3 << 20, Some(FaultPlan::new(7).rule(cut)));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.tgz");
    let out = m.cmd().args(download_args(&file)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sha256sum(&file), mock_sha256(&m));
    assert!(!dir.path().join("snap.tgz.part").exists());
    // The journal: two reads of the archive, the second from where the first was cut, and
    // neither with Atlas credentials.
    let reads: Vec<_> = m
        .handle
        .journal()
        .into_iter()
        .filter(|e| e.method == "GET" && !e.path.starts_with("/api/"))
        .collect();
    assert_eq!(reads.len(), 2, "{reads:#?}");
    let range = |e: &atlas_mock::JournalEntry| {
        e.request_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("range"))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(range(&reads[0]), None);
    let resumed = range(&reads[1]).expect("the resume sends a Range");
    let from: u64 = resumed
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("Range {resumed:?}"));
    assert!(from > 0 && from <= 1 << 20, "{resumed}");
    assert!(reads.iter().all(|e| !e.had_credentials), "{reads:#?}");
}

#[test]
fn a_link_that_expired_exits_4_with_the_hint_and_leaves_no_file() {
    // The mock clock jumps 5 hours as the link is used: past its 4-hour life.
    let expire = FaultRule::new(Fault::ClockAdvance(Duration::from_secs(5 * 3600)))
        .unwrap()
        .on([RouteKind::SnapshotArchive]);
    let m = mock_with(64 << 10, Some(FaultPlan::new(7).rule(expire)));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.tgz");
    m.cmd()
        .args(download_args(&file))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("4 hours"))
        .stderr(predicate::str::contains("atlas-snapshots download"));
    assert!(!file.exists());
    assert!(!dir.path().join("snap.tgz.part").exists());
}

#[test]
fn a_restore_started_and_waited_for_reaches_completed_on_a_stepped_clock() {
    // 20 s of mock time per API request: the default lifecycle (PENDING 10 s, RUNNING until 60 s)
    // is over after a few polls, however slow the machine.
    let m =
        TestMock::start_with(MockAtlas::builder().clock(ClockMode::Stepped { step_ms: 20_000 }));
    let out = m
        .cmd()
        .args([
            "restores",
            "start",
            "--cluster-name",
            seed::FLEX_CLUSTER_NAME,
            "--snapshot-id",
            seed::FLEX_SNAPSHOT_ID,
            "--target-cluster",
            seed::FLEX_CLUSTER_NAME,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let job: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(job["status"], "PENDING", "{job}");
    let id = job["id"].as_str().unwrap().to_owned();

    let out = m
        .cmd()
        .args([
            "restores",
            "wait",
            "--cluster-name",
            seed::FLEX_CLUSTER_NAME,
            "--restore-job-id",
            &id,
            "--interval",
            "1s",
            "--timeout",
            "5m",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = text(&out.stderr) + &text(&out.stdout);
    let running = lines.find("RUNNING").unwrap_or_else(|| panic!("{lines}"));
    let done = lines
        .rfind("COMPLETED")
        .unwrap_or_else(|| panic!("{lines}"));
    assert!(running < done, "{lines}");

    // And `restores get` shows the finished job with its finish date.
    let out = m
        .cmd()
        .args([
            "restores",
            "get",
            "--cluster-name",
            seed::FLEX_CLUSTER_NAME,
            "--restore-job-id",
            &id,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let job: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(job["status"], "COMPLETED", "{job}");
    assert!(job.get("restoreFinishedDate").is_some(), "{job}");
}
