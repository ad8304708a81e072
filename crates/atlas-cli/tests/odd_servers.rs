//! `list` and `wait` against a scripted server that answers what the mock never does: pages
//! that lie about their count, a server that ignores `pageNum`, entries of an unexpected shape,
//! 429 and 5xx sequences, unknown statuses, redirects and huge bodies.

mod common;

use common::scripted::{Reply, Scripted, Seen};
use common::{seed, text};
use predicates::prelude::*;

const LIST_PATH: &str =
    "/api/atlas/v1.0/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/tenant/snapshots";

fn snapshot(n: usize) -> String {
    format!(r#"{{"id":"{n:024x}","status":"COMPLETED"}}"#)
}

fn list_args() -> [&'static str; 4] {
    ["list", "--all", "--cluster-name", seed::CLUSTER_NAME]
}

fn ids_of(stdout: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(stdout).expect("json on stdout");
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn list_all_follows_next_links_past_a_low_total_count() {
    // Three pages linked on the server's own origin, six snapshots, totalCount 2.
    let server = Scripted::start(|seen: &Seen| {
        let page: usize = seen.param("pageNum").map_or(1, |p| p.parse().unwrap());
        let results = [2 * page - 1, 2 * page].map(snapshot).join(",");
        let next = if page < 3 {
            format!(
                r#"{{"rel":"next","href":"http://{}{LIST_PATH}?pageNum={}&itemsPerPage=2"}}"#,
                seen.host,
                page + 1
            )
        } else {
            String::new()
        };
        Reply::json(
            200,
            format!(r#"{{"results":[{results}],"links":[{next}],"totalCount":2}}"#),
        )
    });
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args(list_args())
        .args(["--items-per-page", "2"])
        .assert()
        .code(0);
    let ids = ids_of(&out.get_output().stdout);
    assert_eq!(ids.len(), 6, "{ids:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["totalCount"], 6);
}

#[test]
fn list_all_stops_when_the_server_ignores_page_num_and_says_so() {
    let server = Scripted::start(|_| {
        Reply::json(
            200,
            format!(r#"{{"results":[{},{}]}}"#, snapshot(1), snapshot(2)),
        )
    });
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args(list_args())
        .args(["--items-per-page", "2"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "warning: page 2 repeats the snapshots of page 1",
        ));
    assert_eq!(ids_of(&out.get_output().stdout).len(), 2);
    let lists = server
        .requests()
        .iter()
        .filter(|s| s.path == LIST_PATH)
        .count();
    assert_eq!(lists, 2);
}

/// A page with an entry whose id is not an Atlas id, and values a typed re-encoding changes.
const ODD_PAGE: &str = r#"{"results":[{"id":"000000000000000000000001","status":"completed","startTime":"2026-11-28T09:14:40.120000Z"},{"id":"snap-2","status":"COMPLETED"},{"id":"000000000000000000000003","status":"FAILED"}],"totalCount":3}"#;

#[test]
fn list_keeps_the_page_reports_the_bad_entry_and_prints_values_as_received() {
    let server = Scripted::start(|_| Reply::json(200, ODD_PAGE));
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args(list_args())
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            r#"warning: skipped entry 1 of page 1 (id "snap-2")"#,
        ))
        .stderr(predicate::str::contains("snapshot id"));
    let stdout = text(&out.get_output().stdout);
    assert!(stdout.contains(r#""status":"completed""#), "{stdout}");
    assert!(stdout.contains("09:14:40.120000Z"), "{stdout}");
    // Every entry as Atlas sent it, the one this command could not decode too (it was
    // reported on stderr): JSON output needs no decoding.
    assert_eq!(
        ids_of(&out.get_output().stdout),
        [
            "000000000000000000000001",
            "snap-2",
            "000000000000000000000003"
        ]
    );
    // One page, as a table: the two snapshots, and the warning.
    server
        .cmd(home.path())
        .args(["list", "--cluster-name", seed::CLUSTER_NAME, "-o", "table"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("000000000000000000000003  FAILED"))
        .stdout(predicate::str::contains("page 1: 2 snapshots of 3"))
        .stderr(predicate::str::contains(
            r#"skipped entry 1 of page 1 (id "snap-2")"#,
        ));
    // One page as JSON is the body as sent, bad entry included.
    let out = server
        .cmd(home.path())
        .args(["list", "--cluster-name", seed::CLUSTER_NAME])
        .assert()
        .code(0);
    assert_eq!(out.get_output().stdout, ODD_PAGE.as_bytes());
}

fn one(status: &str) -> String {
    format!(
        r#"{{"id":"{}","status":"{status}","finishTime":"2026-11-28T09:14:40.120000Z"}}"#,
        seed::SNAPSHOT_ID
    )
}

fn wait_args() -> [&'static str; 6] {
    [
        "wait",
        "--cluster-name",
        seed::CLUSTER_NAME,
        "--snapshot-id",
        seed::SNAPSHOT_ID,
        "--interval=1s",
    ]
}

#[test]
fn wait_rides_out_a_500_and_five_503s_and_prints_the_last_body_as_received() {
    let server = Scripted::start(|seen: &Seen| match seen.n {
        0 => Reply::json(200, one("QUEUED")),
        1 => Reply::json(500, r#"{"error":500,"errorCode":"UNEXPECTED_ERROR"}"#),
        2..=6 => Reply::json(503, r#"{"error":503,"errorCode":"SERVICE_UNAVAILABLE"}"#),
        _ => Reply::json(200, one("completed")),
    });
    let home = tempfile::tempdir().unwrap();
    let out = server.cmd(home.path()).args(wait_args()).assert().code(0);
    assert_eq!(out.get_output().stdout, one("completed").as_bytes());
    assert!(server.requests().len() >= 8);
}

#[test]
fn wait_timeout_against_429s_says_no_snapshot_was_seen() {
    let server = Scripted::start(|_| {
        Reply::json(429, r#"{"error":429,"errorCode":"RATE_LIMITED"}"#).header("retry-after", "5")
    });
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args(wait_args())
        .args(["--timeout", "3s"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no poll succeeded"))
        .stderr(predicate::str::contains("still in progress").not());
    let stderr = text(&out.get_output().stderr);
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn wait_timeout_on_an_unknown_status_names_it() {
    let server = Scripted::start(|_| Reply::json(200, one("CANCELLED")));
    let home = tempfile::tempdir().unwrap();
    server
        .cmd(home.path())
        .args(wait_args())
        .args(["--timeout", "2s"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("CANCELLED"))
        .stderr(predicate::str::contains("still in progress").not());
}

#[test]
fn a_redirect_says_where_it_points() {
    let server = Scripted::start(|_| {
        Reply::json(301, "").header("location", "https://cloud.mongodb.com/api/atlas/v1.0/x")
    });
    let home = tempfile::tempdir().unwrap();
    server
        .cmd(home.path())
        .args(common::get_seed_args())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "https://cloud.mongodb.com/api/atlas/v1.0/x",
        ))
        .stderr(predicate::str::contains("--base-url"));
}

#[test]
fn a_body_over_the_limit_gets_a_command_line_hint() {
    let huge = format!(
        r#"{{"id":"{}","x":"{}"}}"#,
        seed::SNAPSHOT_ID,
        "x".repeat(9 << 20)
    );
    let server = Scripted::start(move |_| Reply::json(200, huge.clone()));
    let home = tempfile::tempdir().unwrap();
    server
        .cmd(home.path())
        .args(common::get_seed_args())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("exceeds the limit"))
        .stderr(predicate::str::contains("body_limit").not())
        .stderr(predicate::str::contains("hint:"));
}
