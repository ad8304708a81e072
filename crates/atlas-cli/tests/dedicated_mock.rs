//! Every dedicated-cluster command against `atlas-mock` (in this process, real digest), as a user
//! with one cluster of each kind in a project tries them: the seed's M2AWS (shared tier),
//! FlexAWS (flex), M10AWS (dedicated replica set) and M30Sharded (dedicated, two shards).
//!
//! The mock clock is stepped (it moves one second per API request and stands still otherwise),
//! so what a wait sees depends on the requests made, never on the machine's speed.

mod common;

use std::time::Duration;

use atlas_mock::{ApiKey, ClockMode, Lifecycle, MockAtlas, Outcome, Role};
use common::{TestMock, seed, text};
use predicates::prelude::*;
use serde_json::Value;

const M10: &str = seed::DEDICATED_CLUSTER_NAME;
const SHARDED: &str = seed::SHARDED_CLUSTER_NAME;
const READER: (&str, &str) = ("reader", "reader-secret");
const CREATOR: (&str, &str) = ("creator", "creator-secret");

/// The seed, an owner key (the default one), a read-only key and a backup-creator key; a
/// stepped clock; on-demand snapshots `queued` for 1.5 s, `inProgress` until 2.5 s.
fn mock() -> TestMock {
    let ms = Duration::from_millis;
    TestMock::start_with(
        MockAtlas::builder()
            .api_key(ApiKey::new("owner", "owner-secret"))
            .api_key(ApiKey::new(READER.0, READER.1).roles([Role::GroupReadOnly]))
            .api_key(ApiKey::new(CREATOR.0, CREATOR.1).roles([Role::GroupBackupCreator]))
            .clock(ClockMode::Stepped { step_ms: 1000 })
            .on_demand_snapshot_lifecycle(
                Lifecycle::new(Duration::ZERO, ms(1500), ms(2500), Outcome::Completed).unwrap(),
            ),
    )
}

/// The command as `key` (public, private).
fn cmd_as(mock: &TestMock, (public, private): (&str, &str)) -> assert_cmd::Command {
    let mut c = mock.cmd();
    c.env("MONGODB_ATLAS_PUBLIC_API_KEY", public)
        .env("MONGODB_ATLAS_PRIVATE_API_KEY", private);
    c
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

/// The (method, path) of every request the mock saw since `from`, answered with credentials.
fn asked(mock: &TestMock, from: usize) -> Vec<(String, String)> {
    mock.handle.journal()[from..]
        .iter()
        .filter(|e| e.had_credentials)
        .map(|e| (e.method.clone(), e.path.clone()))
        .collect()
}

/// The statuses of `wait`'s progress lines (`TIME STATUS after ... (poll N)`), in order.
fn wait_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains(" after ") && l.contains("(poll "))
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .collect()
}

fn cloud_path(cluster: &str) -> String {
    format!(
        "/api/atlas/v2/groups/{}/clusters/{cluster}/backup/snapshots",
        seed::GROUP_ID
    )
}

#[test]
fn get_works_the_same_on_every_kind_of_cluster() {
    let mock = mock();
    for (cluster, id, status) in [
        (seed::CLUSTER_NAME, seed::SNAPSHOT_ID, "FAILED"),
        (seed::FLEX_CLUSTER_NAME, seed::FLEX_SNAPSHOT_ID, "COMPLETED"),
        (M10, seed::DEDICATED_SNAPSHOT_ID, "completed"),
        (SHARDED, seed::SHARDED_SNAPSHOT_ID, "completed"),
    ] {
        let out = mock
            .cmd()
            .args(["get", "--cluster-name", cluster, "--snapshot-id", id])
            .assert()
            .code(0);
        let v = json(&out.get_output().stdout);
        assert_eq!(
            (v["id"].as_str(), v["status"].as_str()),
            (Some(id), Some(status))
        );
    }
    // The dedicated cluster was found third: tenant, flex, then its cloud backup endpoint.
    let from = mock.handle.journal().len();
    mock.cmd()
        .args(["get", "--cluster-name", M10, "--snapshot-id"])
        .arg(seed::DEDICATED_SNAPSHOT_ID)
        .assert()
        .code(0);
    let paths: Vec<String> = asked(&mock, from).into_iter().map(|(_, p)| p).collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert!(paths[0].contains("/backup/tenant/snapshots/"), "{paths:?}");
    assert!(paths[1].contains("/flexClusters/M10AWS/"), "{paths:?}");
    assert_eq!(
        paths[2],
        format!("{}/{}", cloud_path(M10), seed::DEDICATED_SNAPSHOT_ID)
    );
    // --kind dedicated asks that endpoint alone.
    let from = mock.handle.journal().len();
    mock.cmd()
        .args(["get", "--kind", "dedicated", "--cluster-name", M10])
        .args(["--snapshot-id", seed::DEDICATED_SNAPSHOT_ID])
        .assert()
        .code(0);
    assert_eq!(
        asked(&mock, from),
        [(
            "GET".to_owned(),
            format!("{}/{}", cloud_path(M10), seed::DEDICATED_SNAPSHOT_ID)
        )]
    );
    // An unknown id: every kind is named, exit 3.
    mock.cmd()
        .args(["get", "--cluster-name", M10, "--snapshot-id"])
        .arg("0123456789abcdef01234567")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("not found under any cluster kind"))
        .stderr(predicate::str::contains("BACKUP_SNAPSHOT_NOT_FOUND"));
}

#[test]
fn get_latest_and_tables_show_the_fields_of_the_kind() {
    let mock = mock();
    // The newest completed by createdAt: the on-demand one (M10AWS); the completed one, not the
    // newer failed one (M30Sharded).
    for (cluster, latest) in [
        (M10, seed::DEDICATED_ON_DEMAND_SNAPSHOT_ID),
        (SHARDED, seed::SHARDED_SNAPSHOT_ID),
    ] {
        let out = mock
            .cmd()
            .args(["get", "--latest", "--cluster-name", cluster])
            .assert()
            .code(0);
        assert_eq!(json(&out.get_output().stdout)["id"], latest, "{cluster}");
    }
    mock.cmd()
        .args(["get", "--latest", "--cluster-name", M10, "-o", "table"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("TYPE             onDemand\n"))
        .stdout(predicate::str::contains("FREQUENCY        ondemand\n"))
        .stdout(predicate::str::contains(
            "SIZE             1.5 GiB (1634500608 bytes)\n",
        ))
        .stdout(predicate::str::contains(
            "DESCRIPTION      before the migration\n",
        ))
        .stdout(predicate::str::contains("SCHEDULED").not());
    mock.cmd()
        .args([
            "get",
            "--cluster-name",
            SHARDED,
            "-o",
            "table",
            "--snapshot-id",
        ])
        .arg(seed::SHARDED_SNAPSHOT_ID)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "TOPOLOGY         shardedCluster\n",
        ))
        .stdout(predicate::str::contains("CLOUD PROVIDER   GCP\n"))
        .stdout(predicate::str::contains("m30sharded-shard-1 ("))
        .stdout(predicate::str::contains("m30sharded-config-0 ("));
}

#[test]
fn list_pages_a_dedicated_cluster() {
    let mock = mock();
    let from = mock.handle.journal().len();
    let out = mock
        .cmd()
        .args([
            "list",
            "--cluster-name",
            M10,
            "--all",
            "--items-per-page",
            "1",
        ])
        .assert()
        .code(0);
    let v = json(&out.get_output().stdout);
    let ids: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            seed::DEDICATED_SNAPSHOT_ID,
            "6750b1e2d3c4b5a697887902",
            seed::DEDICATED_ON_DEMAND_SNAPSHOT_ID
        ]
    );
    assert_eq!(v["totalCount"], 3);
    let pages: Vec<String> = mock.handle.journal()[from..]
        .iter()
        .filter(|e| e.path == cloud_path(M10) && e.status == 200)
        .map(|e| e.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    for (n, q) in pages.iter().enumerate() {
        assert!(q.contains("itemsPerPage=1"), "{q}");
        assert!(q.contains(&format!("pageNum={}", n + 1)), "{q}");
    }
    // One page by number; the table has the dedicated columns.
    mock.cmd()
        .args(["list", "--cluster-name", M10, "--items-per-page", "2"])
        .args(["--page", "2", "-o", "table"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::is_match(
                "^ID +STATUS +TYPE +FREQUENCY +SIZE +CREATED +EXPIRES +DESCRIPTION\n",
            )
            .unwrap(),
        )
        .stdout(predicate::str::contains(
            seed::DEDICATED_ON_DEMAND_SNAPSHOT_ID,
        ))
        .stdout(predicate::str::contains("before the migration"))
        .stdout(predicate::str::contains(seed::DEDICATED_SNAPSHOT_ID).not());
}

#[test]
fn take_wait_sees_every_phase_once() {
    let mock = mock();
    let out = mock
        .cmd()
        .args(["take", "--cluster-name", M10, "--description", "before 8.0"])
        .args(["--wait", "--interval", "1s"])
        .assert()
        .code(0);
    let stderr = text(&out.get_output().stderr);
    assert!(stderr.contains("(queued)"), "{stderr}");
    assert_eq!(
        wait_lines(&stderr),
        ["queued", "inProgress", "completed"],
        "{stderr}"
    );
    let v = json(&out.get_output().stdout);
    assert_eq!(v["status"], "completed");
    assert_eq!(v["description"], "before 8.0");
    assert_eq!(v["snapshotType"], "onDemand");
}

#[test]
fn take_then_wait_get_list_and_delete() {
    let mock = mock();
    let from = mock.handle.journal().len();
    let out = mock
        .cmd()
        .args([
            "take",
            "--cluster-name",
            M10,
            "--description",
            "before the upgrade",
        ])
        .args(["--retention-days", "3"])
        .assert()
        .code(0);
    let taken = json(&out.get_output().stdout);
    let id = taken["id"].as_str().unwrap().to_owned();
    assert_eq!(taken["status"], "queued");
    let created = atlas_model::parse_timestamp(taken["createdAt"].as_str().unwrap()).unwrap();
    let expires = atlas_model::parse_timestamp(taken["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, chrono::Duration::days(3));
    let stderr = text(&out.get_output().stderr);
    assert!(
        stderr.contains(&format!("took snapshot {id} of cluster M10AWS (queued)")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "atlas-snapshots wait --cluster-name M10AWS --snapshot-id {id}"
        )),
        "{stderr}"
    );
    // One POST, with credentials, to the cloud backup endpoint.
    assert_eq!(asked(&mock, from), [("POST".to_owned(), cloud_path(M10))]);

    // The command the take printed: each change once, in order, ending completed.
    let out = mock
        .cmd()
        .args(["wait", "--cluster-name", M10, "--snapshot-id", &id])
        .args(["--interval", "1s"])
        .assert()
        .code(0);
    let lines = wait_lines(&text(&out.get_output().stderr));
    let all = ["queued", "inProgress", "completed"].map(String::from);
    assert!(!lines.is_empty() && all.ends_with(&lines), "{lines:?}");
    assert_eq!(json(&out.get_output().stdout)["status"], "completed");

    let listed = mock
        .cmd()
        .args(["list", "--cluster-name", M10, "--all"])
        .assert()
        .code(0);
    let v = json(&listed.get_output().stdout);
    assert_eq!(v["results"].as_array().unwrap().len(), 4);

    // Delete it (--yes off a terminal), then it is gone.
    mock.cmd()
        .args([
            "delete",
            "--yes",
            "--cluster-name",
            M10,
            "--snapshot-id",
            &id,
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(format!(
            "deleted snapshot {id} of cluster M10AWS"
        )));
    for args in [
        vec!["get", "--cluster-name", M10, "--snapshot-id", &id],
        vec![
            "delete",
            "--yes",
            "--cluster-name",
            M10,
            "--snapshot-id",
            &id,
        ],
    ] {
        mock.cmd()
            .args(&args)
            .assert()
            .code(3)
            .stderr(predicate::str::contains("BACKUP_SNAPSHOT_NOT_FOUND"));
    }
}

#[test]
fn a_failed_dedicated_snapshot_ends_the_wait_with_6() {
    let mock = mock();
    mock.cmd()
        .args(["wait", "--cluster-name", SHARDED])
        .args(["--snapshot-id", "6750b1e2d3c4b5a697887a02"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains(
            "error: snapshot 6750b1e2d3c4b5a697887a02 failed",
        ));
}

#[test]
fn take_and_delete_refuse_other_kinds_of_cluster_with_the_reason() {
    let mock = mock();
    for cluster in [seed::FLEX_CLUSTER_NAME, seed::CLUSTER_NAME] {
        for args in [
            vec!["take", "--cluster-name", cluster],
            vec![
                "delete",
                "--yes",
                "--cluster-name",
                cluster,
                "--snapshot-id",
                seed::FLEX_SNAPSHOT_ID,
            ],
        ] {
            let out = mock.cmd().args(&args).assert().code(1);
            let stderr = text(&out.get_output().stderr);
            let hint = stderr
                .lines()
                .find(|l| l.starts_with("hint: "))
                .unwrap_or_default();
            assert!(
                hint.contains("flex cluster") || hint.contains("not a dedicated cluster"),
                "{args:?}: {stderr}"
            );
            assert!(
                hint.contains(&format!("`{}`", args[0])),
                "{args:?}: {stderr}"
            );
        }
    }
    // Forcing the wrong kind on a get says to leave the kind out.
    mock.cmd()
        .args(["get", "--latest", "--kind", "dedicated", "--cluster-name"])
        .arg(seed::CLUSTER_NAME)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("hint: ").and(predicate::str::contains("--kind")));
    // Nothing was taken or deleted anywhere.
    assert!(
        mock.handle
            .journal()
            .iter()
            .all(|e| e.status >= 400 || (e.method != "POST" && e.method != "DELETE")),
    );
}

#[test]
fn a_key_without_the_role_is_told_which_role_and_nothing_changes() {
    let mock = mock();
    let out = cmd_as(&mock, READER)
        .args(["take", "--cluster-name", M10])
        .assert()
        .code(4);
    let stderr = text(&out.get_output().stderr);
    assert!(stderr.contains("lacks the role"), "{stderr}");
    assert!(
        stderr.contains("hint: the API key was accepted but lacks the role for this: give it Project Backup Creator (or Project Backup Manager) on project 5b69d0349b15c62cdfc38b78"),
        "{stderr}"
    );
    assert!(!stderr.contains("digest"), "{stderr}");
    // A backup creator may take, not delete.
    cmd_as(&mock, CREATOR)
        .args(["take", "--cluster-name", M10])
        .assert()
        .code(0);
    cmd_as(&mock, CREATOR)
        .args(["delete", "--yes", "--cluster-name", M10, "--snapshot-id"])
        .arg(seed::DEDICATED_SNAPSHOT_ID)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("give it Project Backup Manager"));
    // Reading works with either, and the scheduled snapshot is still there.
    cmd_as(&mock, READER)
        .args(["get", "--cluster-name", M10, "--snapshot-id"])
        .arg(seed::DEDICATED_SNAPSHOT_ID)
        .assert()
        .code(0);
}

#[test]
fn delete_without_yes_off_a_terminal_sends_nothing() {
    let mock = mock();
    let from = mock.handle.journal().len();
    mock.cmd()
        .args(["delete", "--cluster-name", M10, "--snapshot-id"])
        .arg(seed::DEDICATED_SNAPSHOT_ID)
        .write_stdin("y\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("standard input is not a terminal"))
        .stderr(predicate::str::contains("hint: pass --yes"));
    assert!(mock.handle.journal()[from..].is_empty());
}

/// `delete` on a pseudo-terminal, answering `answer`.
fn delete_on_a_terminal(mock: &TestMock, id: &str, answer: &str) -> (Option<i32>, String) {
    let mut c = common::pty::on_pty(
        &mock.cmd(),
        &["delete", "--cluster-name", M10, "--snapshot-id", id],
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
    let mock = mock();
    let id = seed::DEDICATED_ON_DEMAND_SNAPSHOT_ID;
    let deletes = |m: &TestMock| {
        m.handle
            .journal()
            .iter()
            .filter(|e| e.method == "DELETE" && e.had_credentials)
            .count()
    };
    let (code, screen) = delete_on_a_terminal(&mock, id, "n");
    assert_eq!(code, Some(1), "{screen}");
    assert!(
        screen.contains(&format!(
            "Delete snapshot {id} of cluster M10AWS (completed, onDemand, 1.5 GiB, created 2024-12-05T16:40:02Z, \"before the migration\")? [y/N] "
        )),
        "{screen:?}"
    );
    assert!(screen.contains("not deleted"), "{screen:?}");
    assert_eq!(deletes(&mock), 0);

    let (code, screen) = delete_on_a_terminal(&mock, id, "y");
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains(&format!("deleted snapshot {id}")),
        "{screen:?}"
    );
    assert_eq!(deletes(&mock), 1);
    mock.cmd()
        .args(["list", "--cluster-name", M10, "-o", "table"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(id).not())
        .stdout(predicate::str::contains(seed::DEDICATED_SNAPSHOT_ID));
}
