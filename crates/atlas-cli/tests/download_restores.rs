//! `download` and `restores` as a user runs them, against a scripted loopback server that plays
//! both Atlas and the object store: a cut transfer, an expired link, an existing file, stdout,
//! and restore lifecycles with their exit codes.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::scripted::{Reply, Scripted, Seen};
use common::{seed, text};
use predicates::prelude::*;

const SNAP: &str = "6740a1f2c3d4e5f6a7b8c901";
const JOB: &str = "6740a1f2c3d4e5f6a7b8c9d0";

fn archive(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i.wrapping_mul(31) % 251) as u8).collect()
}

/// Atlas's download answer with a link on the same server, and an object store behind it.
fn store(data: Vec<u8>, cut_first: Option<usize>, expired: bool) -> Scripted {
    let gets = Arc::new(AtomicUsize::new(0));
    let base: Arc<std::sync::Mutex<String>> = Arc::default();
    let b = base.clone();
    let server = Scripted::start(move |seen: &Seen| {
        if seen.path.ends_with("/backup/download") {
            let url = format!(
                "http://{}/store/{SNAP}.tgz?X-Amz-Signature=s3cr3tsig",
                seen.host
            );
            *b.lock().unwrap() = url.clone();
            return Reply::json(
                200,
                format!(
                    r#"{{"deliveryType":"DOWNLOAD","id":"{JOB}","snapshotId":"{SNAP}","snapshotUrl":"{url}","status":"PENDING"}}"#
                ),
            );
        }
        if seen.path.starts_with("/store/") {
            if expired {
                return Reply::bytes(403, b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>".to_vec())
                    .header("content-type", "application/xml");
            }
            let n = gets.fetch_add(1, Ordering::SeqCst);
            let from: usize = seen
                .range
                .as_deref()
                .and_then(|r| r.strip_prefix("bytes="))
                .and_then(|r| r.strip_suffix('-'))
                .and_then(|r| r.parse().ok())
                .unwrap_or(0);
            let mut reply = if from > 0 {
                Reply::bytes(206, data[from..].to_vec()).header(
                    "content-range",
                    &format!("bytes {from}-{}/{}", data.len() - 1, data.len()),
                )
            } else {
                Reply::bytes(200, data.clone())
            };
            reply = reply.header("etag", "\"e1\"");
            if n == 0 {
                reply.cut_after = cut_first;
            }
            return reply;
        }
        Reply::json(404, r#"{"error":404,"errorCode":"RESOURCE_NOT_FOUND"}"#)
    });
    let _ = base;
    server
}

fn download_args(cluster: &str) -> Vec<String> {
    ["download", "--cluster-name", cluster, "--snapshot-id", SNAP]
        .map(str::to_owned)
        .to_vec()
}

#[test]
fn a_cut_transfer_is_resumed_and_the_file_is_whole() {
    let data = archive(3 << 20);
    let server = store(data.clone(), Some(1 << 20), false);
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.tgz");
    server
        .cmd(home.path())
        .args(download_args(seed::FLEX_CLUSTER_NAME))
        .arg("--output-file")
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty())
        // Not a terminal: no progress bar.
        .stderr(predicate::str::is_empty());
    assert_eq!(std::fs::read(&out).unwrap(), data);
    assert!(!dir.path().join("snap.tgz.part").exists());
    let store_requests: Vec<Seen> = server
        .requests()
        .into_iter()
        .filter(|s| s.path.starts_with("/store/"))
        .collect();
    assert_eq!(store_requests.len(), 2);
    assert_eq!(store_requests[0].range, None);
    assert_eq!(store_requests[1].range.as_deref(), Some("bytes=1048576-"));
    assert!(store_requests.iter().all(|s| !s.had_credentials));
    let post = server
        .requests()
        .into_iter()
        .find(|s| s.path.ends_with("/backup/download"))
        .unwrap();
    assert_eq!(post.method, "POST");

    // The file is there now: refused without --force, before asking Atlas anything.
    let before = server.requests().len();
    server
        .cmd(home.path())
        .args(download_args(seed::FLEX_CLUSTER_NAME))
        .arg("--output-file")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(server.requests().len(), before);
    server
        .cmd(home.path())
        .args(download_args(seed::FLEX_CLUSTER_NAME))
        .arg("--output-file")
        .arg(&out)
        .arg("--force")
        .assert()
        .code(0);
    assert_eq!(std::fs::read(&out).unwrap(), data);
}

#[test]
fn to_stdout_and_the_default_file_name() {
    let data = archive(200_000);
    let server = store(data.clone(), None, false);
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args(download_args(seed::FLEX_CLUSTER_NAME))
        .args(["--output-file", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout, data);
    let dir = tempfile::tempdir().unwrap();
    server
        .cmd(home.path())
        .current_dir(dir.path())
        .args(download_args(seed::FLEX_CLUSTER_NAME))
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read(dir.path().join(format!("{SNAP}.tgz"))).unwrap(),
        data
    );
}

#[test]
fn an_expired_link_exits_4_says_so_and_leaves_nothing() {
    let server = store(archive(10), None, true);
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.tgz");
    server
        .cmd(home.path())
        .args(download_args(seed::FLEX_CLUSTER_NAME))
        .arg("--output-file")
        .arg(&out)
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "the download link was refused (HTTP 403 Forbidden AccessDenied: Request has expired)",
        ))
        .stderr(predicate::str::contains(
            "hint: download links are valid for 4 hours: run `atlas-snapshots download` again",
        ))
        .stderr(predicate::str::contains("s3cr3tsig").not());
    assert!(!out.exists());
    assert!(!dir.path().join("snap.tgz.part").exists());
}

#[test]
fn download_usage_errors() {
    let server = store(archive(10), None, false);
    let home = tempfile::tempdir().unwrap();
    server
        .cmd(home.path())
        .args(["download", "--cluster-name", "F"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--latest"));
    server
        .cmd(home.path())
        .args([
            "download",
            "--cluster-name",
            "F",
            "--snapshot-id",
            SNAP,
            "--latest",
        ])
        .assert()
        .code(2);
    server
        .cmd(home.path())
        .args([
            "download",
            "--kind",
            "tenant",
            "--cluster-name",
            "F",
            "--snapshot-id",
            SNAP,
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("flex"));
    assert!(server.requests().is_empty());
}

fn job(status: &str) -> String {
    let finished = if status == "COMPLETED" {
        r#","restoreFinishedDate":"2026-12-01T10:01:00Z""#
    } else {
        ""
    };
    format!(
        r#"{{"deliveryType":"RESTORE","id":"{JOB}","snapshotId":"{SNAP}","status":"{status}","targetDeploymentItemName":"FlexRestored"{finished}}}"#
    )
}

/// Restore jobs: POST answers PENDING, then GETs walk `statuses` (the last one repeats).
fn restores(statuses: &'static [&'static str]) -> Scripted {
    let polls = Arc::new(AtomicUsize::new(0));
    Scripted::start(move |seen: &Seen| {
        if seen.method == "POST" && seen.path.ends_with("/backup/restoreJobs") {
            return Reply::json(200, job("PENDING"));
        }
        if seen.path.ends_with(&format!("/backup/restoreJobs/{JOB}")) {
            let n = polls.fetch_add(1, Ordering::SeqCst).min(statuses.len() - 1);
            return Reply::json(200, job(statuses[n]));
        }
        if seen.path.ends_with("/backup/restoreJobs") {
            return Reply::json(
                200,
                format!(
                    r#"{{"results":[{},{}],"totalCount":2,"links":[]}}"#,
                    job("COMPLETED"),
                    job("RUNNING")
                ),
            );
        }
        Reply::json(404, r#"{"error":404,"errorCode":"RESOURCE_NOT_FOUND"}"#)
    })
}

#[test]
fn restores_start_wait_list_get() {
    let server = restores(&["RUNNING", "RUNNING", "COMPLETED"]);
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args([
            "restores",
            "start",
            "--cluster-name",
            "FlexAWS",
            "--snapshot-id",
            SNAP,
        ])
        .args(["--target-cluster", "FlexRestored"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), job("PENDING"));
    let out = server
        .cmd(home.path())
        .args([
            "restores",
            "wait",
            "--cluster-name",
            "FlexAWS",
            "--restore-job-id",
            JOB,
        ])
        .args(["--interval", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("RUNNING") && lines[1].contains("COMPLETED"),
        "{err}"
    );
    assert_eq!(text(&out.stdout), job("COMPLETED"));
    server
        .cmd(home.path())
        .args([
            "restores",
            "list",
            "--cluster-name",
            "FlexAWS",
            "-o",
            "table",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("COMPLETED"))
        .stdout(predicate::str::contains("page 1: 2 restore jobs of 2"));
    server
        .cmd(home.path())
        .args([
            "restores",
            "get",
            "--cluster-name",
            "FlexAWS",
            "--restore-job-id",
            JOB,
            "-o",
            "table",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("TARGET"));
    server
        .cmd(home.path())
        .args([
            "restores",
            "get",
            "--cluster-name",
            "FlexAWS",
            "--restore-job-id",
            "nope",
        ])
        .assert()
        .code(2);
    server
        .cmd(home.path())
        .args([
            "restores",
            "start",
            "--cluster-name",
            "FlexAWS",
            "--snapshot-id",
            SNAP,
        ])
        .args(["--target-cluster", "bad/name"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--target-cluster"));
}

#[test]
fn a_failed_restore_exits_6_and_a_stuck_one_5() {
    let server = restores(&["FAILED"]);
    let home = tempfile::tempdir().unwrap();
    server
        .cmd(home.path())
        .args([
            "restores",
            "wait",
            "--cluster-name",
            "FlexAWS",
            "--restore-job-id",
            JOB,
        ])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("FAILED"));
    let stuck = restores(&["RUNNING"]);
    stuck
        .cmd(home.path())
        .args([
            "restores",
            "wait",
            "--cluster-name",
            "FlexAWS",
            "--restore-job-id",
            JOB,
        ])
        .args(["--interval", "1s", "--timeout", "2s"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("restore job"));
}
