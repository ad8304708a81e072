//! Dedicated clusters from the command line, against a scripted loopback Atlas with one
//! dedicated cluster (`Cluster0`) and one flex cluster (`FlexAWS`) whose tenant endpoints are
//! sunset: the exact requests `get`, `list`, `wait`, `take` and `delete` send, their output and
//! their exit codes, and `delete`'s question on a pseudo-terminal.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::scripted::{Reply, Scripted, Seen};
use common::{seed, text};
use predicates::prelude::*;

const DEDICATED: &str = "Cluster0";
const OLD: &str = "6740a1f2c3d4e5f6a7b8c9e0";
const NEWEST: &str = "6740a1f2c3d4e5f6a7b8c9e1";
const BROKEN: &str = "6740a1f2c3d4e5f6a7b8c9e2";
const MOVING: &str = "6740a1f2c3d4e5f6a7b8c9e3";
const MEDIA: &str = "application/vnd.atlas.2023-01-01+json";

struct Snap {
    /// The statuses it goes through, one per GET of it; the last one stays.
    states: Vec<&'static str>,
    gets: usize,
    created: &'static str,
    kind: &'static str,
    description: String,
    size: u64,
}

impl Snap {
    fn json(&self, id: &str) -> String {
        let status = self.states[self.gets.min(self.states.len() - 1)];
        format!(
            r#"{{"createdAt":"{}","description":{},"expiresAt":"2026-12-31T00:00:00Z","frequencyType":"{}","id":"{id}","mongodVersion":"8.0.4","snapshotType":"{}","status":"{status}","storageSizeBytes":{},"type":"replicaSet"}}"#,
            self.created,
            serde_json::to_string(&self.description).unwrap(),
            if self.kind == "onDemand" {
                "ondemand"
            } else {
                "daily"
            },
            self.kind,
            self.size,
        )
    }
}

fn snap(states: &[&'static str], created: &'static str, kind: &'static str, size: u64) -> Snap {
    Snap {
        states: states.to_vec(),
        gets: 0,
        created,
        kind,
        description: String::new(),
        size,
    }
}

/// The scripted project.
fn atlas() -> Scripted {
    let snaps: Arc<Mutex<BTreeMap<String, Snap>>> = Arc::new(Mutex::new(BTreeMap::from([
        (
            OLD.to_owned(),
            snap(&["completed"], "2026-11-29T09:00:00Z", "scheduled", 2 << 30),
        ),
        (
            NEWEST.to_owned(),
            snap(&["completed"], "2026-11-30T09:00:00Z", "scheduled", 3 << 30),
        ),
        (
            BROKEN.to_owned(),
            snap(&["failed"], "2026-11-30T10:00:00Z", "onDemand", 0),
        ),
        (
            MOVING.to_owned(),
            snap(
                &["queued", "inProgress", "completed"],
                "2026-12-01T09:00:00Z",
                "onDemand",
                1 << 20,
            ),
        ),
    ])));
    let next = Arc::new(Mutex::new(0x10u32));
    Scripted::start(move |seen: &Seen| {
        let group = format!("/groups/{}/", seed::GROUP_ID);
        if !seen.path.contains(&group) {
            return Reply::json(404, r#"{"error":404,"errorCode":"GROUP_NOT_FOUND"}"#);
        }
        if seen.path.contains("/backup/tenant/") {
            return Reply::json(
                410,
                r#"{"detail":"This version is gone.","error":410,"errorCode":"VERSION_GONE","reason":"Gone"}"#,
            );
        }
        if seen.path.contains("/flexClusters/Cluster0/") {
            return Reply::json(
                400,
                r#"{"detail":"Cluster Cluster0 cannot be used in the Flex API.","error":400,"errorCode":"CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API","parameters":["Cluster0"],"reason":"Bad Request"}"#,
            );
        }
        if seen.path.contains("/clusters/FlexAWS/") {
            return Reply::json(
                400,
                r#"{"detail":"Flex cluster FlexAWS cannot be used in the Cluster API.","error":400,"errorCode":"CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API","parameters":["FlexAWS"],"reason":"Bad Request"}"#,
            );
        }
        let Some(rest) = seen
            .path
            .split("/clusters/Cluster0/backup/snapshots")
            .nth(1)
        else {
            return Reply::json(404, r#"{"error":404,"errorCode":"CLUSTER_NOT_FOUND"}"#);
        };
        let mut snaps = snaps.lock().unwrap();
        match (seen.method.as_str(), rest.trim_start_matches('/')) {
            ("GET", "") => {
                let results: Vec<String> = snaps.iter().map(|(id, s)| s.json(id)).collect();
                Reply::json(
                    200,
                    format!(
                        r#"{{"links":[],"results":[{}],"totalCount":{}}}"#,
                        results.join(","),
                        results.len()
                    ),
                )
            }
            ("POST", "") => {
                let body: serde_json::Value =
                    serde_json::from_slice(&seen.body).unwrap_or_default();
                let description = body["description"].as_str().unwrap_or_default().to_owned();
                let states: &[&'static str] = if description == "doomed" {
                    &["queued", "failed"]
                } else {
                    &["queued", "inProgress", "completed"]
                };
                let mut n = next.lock().unwrap();
                *n += 1;
                let id = format!("6740a1f2c3d4e5f6a7b8{:04x}", *n);
                let mut s = snap(states, "2026-12-01T12:00:00Z", "onDemand", 0);
                s.description = description;
                let json = s.json(&id);
                snaps.insert(id, s);
                Reply::json(200, json)
            }
            ("GET", id) => match snaps.get_mut(id) {
                Some(s) => {
                    let json = s.json(id);
                    s.gets += 1;
                    Reply::json(200, json)
                }
                None => Reply::json(
                    404,
                    format!(
                        r#"{{"detail":"No snapshot with ID {id} exists.","error":404,"errorCode":"SNAPSHOT_NOT_FOUND","reason":"Not Found"}}"#
                    ),
                ),
            },
            ("DELETE", id) => match snaps.remove(id) {
                Some(_) => Reply::bytes(204, Vec::new()),
                None => Reply::json(
                    404,
                    format!(
                        r#"{{"error":404,"errorCode":"SNAPSHOT_NOT_FOUND","detail":"No snapshot with ID {id} exists."}}"#
                    ),
                ),
            },
            _ => Reply::json(405, r#"{"error":405}"#),
        }
    })
}

fn dedicated_requests(server: &Scripted) -> Vec<Seen> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/clusters/Cluster0/backup/snapshots"))
        .collect()
}

#[test]
fn get_finds_the_dedicated_cluster_and_prints_what_atlas_sent() {
    let server = atlas();
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args(["get", "--cluster-name", DEDICATED, "--snapshot-id", NEWEST])
        .assert()
        .code(0);
    let expected = snap(&["completed"], "2026-11-30T09:00:00Z", "scheduled", 3 << 30).json(NEWEST);
    assert_eq!(text(&out.get_output().stdout), expected);
    // Tenant (sunset), flex (not a flex cluster), then the dedicated endpoint, with its media type.
    let seen = server.requests();
    let kinds: Vec<&str> = seen
        .iter()
        .map(|r| {
            if r.path.contains("/backup/tenant/") {
                "tenant"
            } else if r.path.contains("/flexClusters/") {
                "flex"
            } else {
                "dedicated"
            }
        })
        .collect();
    assert_eq!(kinds, ["tenant", "flex", "dedicated"]);
    let last = seen.last().unwrap();
    assert_eq!(
        last.path,
        format!(
            "/api/atlas/v2/groups/{}/clusters/Cluster0/backup/snapshots/{NEWEST}",
            seed::GROUP_ID
        )
    );
    assert_eq!(last.accept.as_deref(), Some(MEDIA));

    // --kind dedicated asks that endpoint alone; the table shows the fields of the kind.
    let server = atlas();
    server
        .cmd(home.path())
        .args([
            "get",
            "--kind",
            "dedicated",
            "--cluster-name",
            DEDICATED,
            "--snapshot-id",
            NEWEST,
            "-o",
            "table",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("STATUS           completed\n"))
        .stdout(predicate::str::contains(
            "SIZE             3.0 GiB (3221225472 bytes)\n",
        ))
        .stdout(predicate::str::contains("FREQUENCY        daily\n"))
        .stdout(predicate::str::contains("TYPE             scheduled\n"))
        .stdout(predicate::str::contains("TOPOLOGY         replicaSet\n"))
        .stdout(predicate::str::contains("SCHEDULED").not());
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn get_latest_and_list_show_the_dedicated_fields() {
    let server = atlas();
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args(["get", "--latest", "--cluster-name", DEDICATED])
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        v["id"], NEWEST,
        "the newest completed one, not the later failed or moving ones"
    );

    let out = server
        .cmd(home.path())
        .args(["list", "--cluster-name", DEDICATED, "-o", "table"])
        .assert()
        .code(0);
    let table = text(&out.get_output().stdout);
    let lines: Vec<&str> = table.lines().collect();
    let words = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        words(lines[0]),
        [
            "ID",
            "STATUS",
            "TYPE",
            "FREQUENCY",
            "SIZE",
            "CREATED",
            "EXPIRES",
            "DESCRIPTION"
        ],
        "{table}"
    );
    assert_eq!(
        words(lines[1]),
        [
            OLD,
            "completed",
            "scheduled",
            "daily",
            "2.0",
            "GiB",
            "2026-11-29T09:00:00Z",
            "2026-12-31T00:00:00Z",
            "-"
        ],
        "{table}"
    );
    assert_eq!(
        words(lines[3])[..4],
        [BROKEN, "failed", "onDemand", "ondemand"],
        "{table}"
    );
    assert_eq!(lines[0].find("SIZE"), lines[1].find("2.0 GiB"), "{table}");
    assert_eq!(lines.last(), Some(&"page 1: 4 snapshots of 4"), "{table}");

    let out = server
        .cmd(home.path())
        .args(["list", "--all", "--cluster-name", DEDICATED])
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["totalCount"], 4);
    assert_eq!(v["results"][0]["storageSizeBytes"], 2u64 << 30);
}

#[test]
fn wait_follows_a_dedicated_snapshot_to_completed() {
    let server = atlas();
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args([
            "wait",
            "--cluster-name",
            DEDICATED,
            "--snapshot-id",
            MOVING,
            "--interval",
            "1s",
        ])
        .assert()
        .code(0);
    let err = text(&out.get_output().stderr);
    for status in [" queued after ", " inProgress after ", " completed after "] {
        assert!(err.contains(status), "{status:?} in {err}");
    }
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["status"], "completed");
    server
        .cmd(home.path())
        .args(["wait", "--cluster-name", DEDICATED, "--snapshot-id", BROKEN])
        .assert()
        .code(6)
        .stderr(predicate::str::contains(format!(
            "error: snapshot {BROKEN} failed"
        )));
}

#[test]
fn take_posts_the_request_and_prints_the_new_snapshot() {
    let server = atlas();
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args([
            "take",
            "--cluster-name",
            DEDICATED,
            "--description",
            "before the \"8.0\" upgrade",
            "--retention-days",
            "7",
        ])
        .assert()
        .code(0);
    let posts: Vec<Seen> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "{:?}", server.requests());
    let post = &posts[0];
    assert_eq!(
        post.path,
        format!(
            "/api/atlas/v2/groups/{}/clusters/Cluster0/backup/snapshots",
            seed::GROUP_ID
        )
    );
    assert_eq!(post.accept.as_deref(), Some(MEDIA));
    assert_eq!(post.content_type.as_deref(), Some(MEDIA));
    assert_eq!(
        text(&post.body),
        r#"{"description":"before the \"8.0\" upgrade","retentionInDays":7}"#
    );
    // No lookup: take is for dedicated clusters only.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path.contains("/clusters/Cluster0/backup/snapshots"))
    );
    let stdout = text(&out.get_output().stdout);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "queued");
    let id = v["id"].as_str().unwrap().to_owned();
    let err = text(&out.get_output().stderr);
    assert!(
        err.contains(&format!("took snapshot {id} of cluster Cluster0 (queued)")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "atlas-snapshots wait --cluster-name Cluster0 --snapshot-id {id}"
        )),
        "{err}"
    );
    // Without options the body is empty: Atlas's defaults.
    server
        .cmd(home.path())
        .args(["take", "--cluster-name", DEDICATED])
        .assert()
        .code(0);
    let last_post = server
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .unwrap();
    assert_eq!(text(&last_post.body), "{}");
}

#[test]
fn take_wait_follows_the_new_snapshot_and_exits_like_wait() {
    let server = atlas();
    let home = tempfile::tempdir().unwrap();
    let out = server
        .cmd(home.path())
        .args([
            "take",
            "--cluster-name",
            DEDICATED,
            "--wait",
            "--interval",
            "1s",
        ])
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["status"], "completed", "stdout is the last poll's answer");
    let err = text(&out.get_output().stderr);
    assert!(err.contains(" inProgress after "), "{err}");
    let polls = dedicated_requests(&server)
        .into_iter()
        .filter(|r| r.method == "GET")
        .count();
    assert!(polls >= 3, "{polls}");
    server
        .cmd(home.path())
        .args([
            "take",
            "--cluster-name",
            DEDICATED,
            "--description",
            "doomed",
            "--wait",
            "--interval",
            "1s",
        ])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("failed"));
}

#[test]
fn take_and_delete_on_a_flex_cluster_say_why_not() {
    let server = atlas();
    let home = tempfile::tempdir().unwrap();
    server
        .cmd(home.path())
        .args(["take", "--cluster-name", "FlexAWS"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API",
        ))
        .stderr(predicate::str::contains(
            "flex clusters have no on-demand snapshots",
        ));
    server
        .cmd(home.path())
        .args([
            "delete",
            "--yes",
            "--cluster-name",
            "FlexAWS",
            "--snapshot-id",
            NEWEST,
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "`delete` is for dedicated clusters",
        ));
}

#[test]
fn delete_needs_yes_off_a_terminal_and_sends_nothing_without_it() {
    let server = atlas();
    let home = tempfile::tempdir().unwrap();
    server
        .cmd(home.path())
        .args(["delete", "--cluster-name", DEDICATED, "--snapshot-id", OLD])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "refusing to delete snapshot {OLD} without confirmation"
        )))
        .stderr(predicate::str::contains("hint: pass --yes"));
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    server
        .cmd(home.path())
        .args([
            "delete",
            "--yes",
            "--cluster-name",
            DEDICATED,
            "--snapshot-id",
            OLD,
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!(
            "deleted snapshot {OLD} of cluster Cluster0"
        )));
    let deletes: Vec<Seen> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1);
    assert_eq!(
        deletes[0].path,
        format!(
            "/api/atlas/v2/groups/{}/clusters/Cluster0/backup/snapshots/{OLD}",
            seed::GROUP_ID
        )
    );
    assert_eq!(deletes[0].accept.as_deref(), Some(MEDIA));
    assert!(deletes[0].body.is_empty());
    // Gone now: get and a second delete are not found.
    server
        .cmd(home.path())
        .args([
            "get",
            "--kind",
            "dedicated",
            "--cluster-name",
            DEDICATED,
            "--snapshot-id",
            OLD,
        ])
        .assert()
        .code(3);
    server
        .cmd(home.path())
        .args(["delete", "-y", "--cluster-name", DEDICATED, OLD])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("snapshot not found"));
}

/// `delete` on a pseudo-terminal, answering `answer` to its question.
fn delete_on_a_terminal(
    server: &Scripted,
    home: &std::path::Path,
    id: &str,
    answer: &str,
) -> (Option<i32>, String) {
    let mut c = common::pty::on_pty(
        &server.cmd(home),
        &["delete", "--cluster-name", DEDICATED, "--snapshot-id", id],
    );
    c.env("PTY_ANSWER", answer)
        .env("PTY_PROMPT", "[y/N] ")
        .env("PTY_WAIT_NO_ECHO", "0");
    let out = c.output().expect("python3 runs");
    (
        out.status.code(),
        common::pty::strip_ansi(&text(&out.stdout)),
    )
}

#[test]
fn delete_on_a_terminal_shows_the_snapshot_and_asks() {
    let server = atlas();
    let home = tempfile::tempdir().unwrap();
    let (code, screen) = delete_on_a_terminal(&server, home.path(), NEWEST, "n");
    assert_eq!(code, Some(1), "{screen}");
    assert!(
        screen.contains(&format!(
            "Delete snapshot {NEWEST} of cluster Cluster0 (completed, scheduled, 3.0 GiB, created 2026-11-30T09:00:00Z)? [y/N] "
        )),
        "{screen:?}"
    );
    assert!(
        screen.contains(&format!("snapshot {NEWEST} not deleted")),
        "{screen:?}"
    );
    assert!(
        server.requests().iter().all(|r| r.method != "DELETE"),
        "{:?}",
        server.requests()
    );

    let (code, screen) = delete_on_a_terminal(&server, home.path(), NEWEST, "yes");
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains(&format!("deleted snapshot {NEWEST}")),
        "{screen:?}"
    );
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.method == "DELETE")
            .count(),
        1
    );

    // An unknown snapshot is not found before any question.
    let (code, screen) = delete_on_a_terminal(&server, home.path(), NEWEST, "y");
    assert_eq!(code, Some(3), "{screen}");
    assert!(!screen.contains("[y/N]"), "{screen:?}");
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.method == "DELETE")
            .count(),
        1
    );
}
