//! `get` and `list` through the real binary against a mock started in this process.

mod common;

use atlas_mock::{MockAtlas, seed};
use common::{TestMock, get_seed_args, seed_path, text};
use predicates::prelude::*;

#[test]
fn get_json_when_piped_is_byte_for_byte_what_the_mock_sent() {
    let mock = TestMock::start_with(MockAtlas::builder().unauthenticated_route(true));
    let sent = mock.raw_body(&seed_path());
    assert!(!sent.is_empty());
    let out = mock.cmd().args(get_seed_args()).assert().success();
    let stdout = &out.get_output().stdout;
    assert_eq!(
        stdout,
        &sent,
        "stdout:\n{}\nmock:\n{}",
        text(stdout),
        text(&sent)
    );
    // And it is the seed's snapshot.
    let v: serde_json::Value = serde_json::from_slice(stdout).unwrap();
    assert_eq!(v["id"], seed::SNAPSHOT_ID);
    assert_eq!(v["status"], "FAILED");
}

#[test]
fn get_pretty_and_envelope_are_passed_through_verbatim() {
    let mock = TestMock::start_with(MockAtlas::builder().unauthenticated_route(true));
    let sent = mock.raw_body(&format!("{}?pretty=true", seed_path()));
    let out = mock
        .cmd()
        .args(get_seed_args())
        .arg("--pretty")
        .assert()
        .success();
    assert_eq!(out.get_output().stdout, sent);
    assert!(text(&sent).contains('\n'));

    let out = mock
        .cmd()
        .args(get_seed_args())
        .args(["--envelope", "-o", "json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(v["content"]["id"], seed::SNAPSHOT_ID);
}

#[test]
fn get_table_shows_the_fields() {
    let mock = TestMock::start();
    mock.cmd()
        .args(get_seed_args())
        .args(["-o", "table"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "ID               {}",
            seed::SNAPSHOT_ID
        )))
        .stdout(predicate::str::contains("STATUS           FAILED"))
        .stdout(predicate::str::contains("MONGODB VERSION  4.2.7"))
        .stdout(predicate::str::contains(
            "FINISHED         2019-04-26T14:08:07Z",
        ))
        // Not a terminal: no colors even in a table.
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn get_v2_and_flex() {
    let mock = TestMock::start();
    mock.cmd()
        .args(get_seed_args())
        .args(["--api-version", "v2"])
        .assert()
        .success()
        .stdout(predicate::str::contains(seed::SNAPSHOT_ID));
    let out = mock
        .cmd()
        .args([
            "get",
            "--flex",
            "--cluster-name",
            seed::FLEX_CLUSTER_NAME,
            "--snapshot-id",
            seed::FLEX_SNAPSHOT_ID,
        ])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["id"], seed::FLEX_SNAPSHOT_ID);
    assert_eq!(v["status"], "COMPLETED");
}

#[test]
fn list_one_page_json_is_the_page_as_sent_and_table_has_a_footer() {
    let mock = TestMock::start_with(MockAtlas::builder().unauthenticated_route(true));
    let path = format!(
        "/api/atlas/v1.0/groups/{}/clusters/{}/backup/tenant/snapshots?itemsPerPage=3&pageNum=2",
        seed::GROUP_ID,
        seed::CLUSTER_NAME
    );
    let out = mock
        .cmd()
        .args(["list", "--cluster-name", seed::CLUSTER_NAME])
        .args(["--items-per-page", "3", "--page", "2"])
        .assert()
        .success();
    let stdout = out.get_output().stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 3);
    // The mock's page links name its own host; compare with a fresh raw reading of the same page
    // only where the content is host-independent.
    let raw: serde_json::Value = serde_json::from_slice(&mock.raw_body(&path)).unwrap();
    assert_eq!(v["results"], raw["results"]);
    assert_eq!(v["totalCount"], raw["totalCount"]);

    mock.cmd()
        .args(["list", "--cluster-name", seed::CLUSTER_NAME, "-o", "table"])
        .args(["--items-per-page", "3"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ID  "))
        .stdout(predicate::str::contains(
            "page 1: 3 snapshots of 8 (next: --page 2, or --all for every page)",
        ));
}

#[test]
fn list_all_follows_every_page() {
    let mock = TestMock::start();
    let out = mock
        .cmd()
        .args(["list", "--all", "--items-per-page", "2"])
        .args(["--cluster-name", seed::CLUSTER_NAME])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), seed::SNAPSHOTS_PER_CLUSTER);
    assert_eq!(v["totalCount"], seed::SNAPSHOTS_PER_CLUSTER as u64);
    let ids: std::collections::BTreeSet<&str> =
        results.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), seed::SNAPSHOTS_PER_CLUSTER, "no duplicates");
    // 4 pages were asked for, each after its own request.
    let lists = mock
        .handle
        .journal()
        .iter()
        .filter(|e| e.path.ends_with("/snapshots") && e.status == 200)
        .count();
    assert!(lists >= 4, "{lists} list requests");

    mock.cmd()
        .args(["list", "--all", "--flex", "-o", "table"])
        .args(["--cluster-name", seed::FLEX_CLUSTER_NAME])
        .assert()
        .success()
        .stdout(predicate::str::contains(seed::FLEX_SNAPSHOT_ID))
        .stdout(predicate::str::contains(format!(
            "{} snapshots",
            seed::SNAPSHOTS_PER_CLUSTER
        )));
}

#[test]
fn completions_and_help() {
    let mock = TestMock::start();
    mock.bare_cmd()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("atlas-snapshots"))
        .stdout(predicate::str::contains("--snapshot-id"));
    mock.bare_cmd()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains(
            "6  the snapshot (or restore job) is FAILED",
        ));
    // No --private-key on get: keys never go on the command line.
    mock.bare_cmd()
        .args(get_seed_args())
        .args(["--private-key", "x"])
        .assert()
        .code(2);
}
