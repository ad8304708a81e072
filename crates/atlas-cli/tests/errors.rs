//! Exit codes, error sentences and hints.

mod common;

use atlas_mock::{ApiKey, Fault, FaultPlan, FaultRule, IpAccessList, MockAtlas, seed};
use common::{TestMock, get_seed_args};
use predicates::prelude::*;

#[test]
fn ok_is_0() {
    TestMock::start()
        .cmd()
        .args(get_seed_args())
        .assert()
        .code(0);
}

#[test]
fn not_found_is_3_with_a_hint() {
    let mock = TestMock::start();
    // Without a kind every kind's endpoint is asked, and each is named.
    mock.cmd()
        .args(["get", "--cluster-name", seed::CLUSTER_NAME])
        .args(["--snapshot-id", "0123456789abcdef01234567"])
        .assert()
        .code(3)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::starts_with(
            "error: not found under any cluster kind: tenant lookup",
        ))
        .stderr(predicate::str::contains("; flex lookup"))
        .stderr(predicate::str::contains(
            "/backup/tenant/snapshots/0123456789abcdef01234567",
        ))
        .stderr(predicate::str::contains(
            "/flexClusters/M2AWS/backup/snapshots/",
        ))
        .stderr(predicate::str::contains("; dedicated lookup"))
        .stderr(predicate::str::contains(
            "/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/snapshots/0123456789abcdef01234567",
        ))
        .stderr(predicate::str::contains(
            "hint: none of the M2/M5 (tenant), flex and dedicated endpoints know it",
        ));
    mock.cmd()
        .args([
            "get",
            "--kind",
            "tenant",
            "--cluster-name",
            seed::CLUSTER_NAME,
        ])
        .args(["--snapshot-id", "0123456789abcdef01234567"])
        .assert()
        .code(3)
        .stderr(predicate::str::starts_with("error: snapshot not found"))
        .stderr(predicate::str::contains("hint: check --snapshot-id"));
    mock.cmd()
        .args(["get", "--kind", "tenant", "--cluster-name", "NoSuchCluster"])
        .args(["--snapshot-id", seed::SNAPSHOT_ID])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("cluster not found"))
        .stderr(predicate::str::contains("add --flex"));
}

#[test]
fn bad_key_is_4_with_a_hint_and_the_key_is_never_printed() {
    let mock = TestMock::start();
    mock.cmd()
        .env("MONGODB_ATLAS_PRIVATE_API_KEY", "wrong-private-key-123")
        .args(get_seed_args())
        .arg("-vv")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("error: unauthorized"))
        .stderr(predicate::str::contains(
            "hint: the API key pair was rejected: check the public key (from environment variable MONGODB_ATLAS_PUBLIC_API_KEY) and the private key (from environment variable MONGODB_ATLAS_PRIVATE_API_KEY)",
        ))
        .stderr(predicate::str::contains("wrong-private-key-123").not());
}

#[test]
fn ip_access_list_is_4_with_its_hint() {
    let list = IpAccessList::new().allow("192.0.2.0/24").unwrap();
    let mock = TestMock::start_with(MockAtlas::builder().ip_access_list(list));
    mock.cmd()
        .args(get_seed_args())
        .assert()
        .code(4)
        .stderr(predicate::str::contains("IP access list"));
}

#[test]
fn key_restricted_to_another_group_is_4() {
    let key = ApiKey::new("restrictedpub", "restrictedpriv")
        .groups([seed::OTHER_GROUP_ID.parse().unwrap()]);
    let mock = TestMock::start_with(MockAtlas::builder().api_key(key));
    mock.cmd()
        .env("MONGODB_ATLAS_PUBLIC_API_KEY", "restrictedpub")
        .env("MONGODB_ATLAS_PRIVATE_API_KEY", "restrictedpriv")
        .args(get_seed_args())
        .assert()
        .code(4)
        .stderr(predicate::str::contains("error: forbidden"));
}

#[test]
fn other_api_error_is_1() {
    let plan = FaultPlan::new(7).rule(FaultRule::new(Fault::Status(500)).unwrap());
    let mock = TestMock::start_with(MockAtlas::builder().faults(plan));
    mock.cmd()
        .args(get_seed_args())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error: Atlas server error 500"))
        .stderr(predicate::str::contains("hint:"));
}

#[test]
fn sunset_410_is_1_and_says_try_flex() {
    let mock = TestMock::start_with(MockAtlas::builder().sunset(true));
    mock.cmd()
        .args(get_seed_args())
        .args(["--kind", "tenant"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error: gone"))
        .stderr(predicate::str::contains("VERSION_GONE"))
        .stderr(predicate::str::contains(
            "hint: M2/M5 tenant snapshots were retired in January 2026",
        ))
        .stderr(predicate::str::contains("try again with --flex"));
    // And --flex works after the sunset, and so does no flag at all (410, then flex).
    mock.cmd()
        .args(["get", "--flex", "--cluster-name", seed::FLEX_CLUSTER_NAME])
        .args(["--snapshot-id", seed::FLEX_SNAPSHOT_ID])
        .assert()
        .code(0);
    mock.cmd()
        .args(["get", "--cluster-name", seed::FLEX_CLUSTER_NAME])
        .args(["--snapshot-id", seed::FLEX_SNAPSHOT_ID, "-v"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(seed::FLEX_SNAPSHOT_ID));
}

#[test]
fn usage_errors_are_2() {
    let mock = TestMock::start();
    // clap: missing required flag.
    mock.cmd()
        .args(["get", "--cluster-name", seed::CLUSTER_NAME])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--snapshot-id"));
    // A malformed id, caught before any request.
    mock.cmd()
        .args(["get", "--cluster-name", seed::CLUSTER_NAME])
        .args(["--snapshot-id", "5CC310"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: invalid --snapshot-id: snapshot id",
        ))
        .stderr(predicate::str::contains("hint: a snapshot id is 24"));
    mock.cmd()
        .args(["get", "--cluster-name", "M2/AWS"])
        .args(["--snapshot-id", seed::SNAPSHOT_ID])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid --cluster-name"));
    // No project id anywhere.
    mock.cmd()
        .env_remove("MONGODB_ATLAS_PROJECT_ID")
        .args(get_seed_args())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: no project id"))
        .stderr(predicate::str::contains("MONGODB_ATLAS_PROJECT_ID"));
    // No private key and stdin is not a terminal: no prompt, a clear message.
    mock.cmd()
        .env_remove("MONGODB_ATLAS_PRIVATE_API_KEY")
        .args(get_seed_args())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: no private API key"))
        .stderr(predicate::str::contains("--private-key-file"));
    // A bad duration.
    mock.cmd()
        .args(get_seed_args())
        .args(["--timeout", "10"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no unit"));
    // Plain http to a host that is not loopback would expose the key.
    mock.cmd()
        .args(get_seed_args())
        .args(["--base-url", "http://atlas.example.com"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plain http"));
}

#[test]
fn connection_refused_is_5_and_asks_about_the_base_url() {
    // A port that was just free: bind, note, release.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mock = TestMock::start();
    let url = format!("http://127.0.0.1:{port}");
    mock.cmd()
        .env("MONGODB_ATLAS_BASE_URL", &url)
        .args(get_seed_args())
        .assert()
        .code(5)
        .stderr(predicate::str::contains(format!(
            "error: connection refused by {url}"
        )))
        .stderr(predicate::str::contains(
            "environment variable MONGODB_ATLAS_BASE_URL: is the base URL right?",
        ));
}

#[test]
fn timeout_is_5() {
    let plan = FaultPlan::new(1)
        .rule(FaultRule::new(Fault::Latency(std::time::Duration::from_secs(20))).unwrap());
    let mock = TestMock::start_with(MockAtlas::builder().faults(plan));
    mock.cmd()
        .args(get_seed_args())
        .args(["--timeout", "300ms"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("timeout"));
}

#[test]
fn wait_on_a_failed_snapshot_is_6() {
    let mock = TestMock::start();
    mock.cmd()
        .args(["wait", "--cluster-name", seed::CLUSTER_NAME])
        .args(["--snapshot-id", seed::SNAPSHOT_ID, "--interval", "1s"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("FAILED after"))
        .stderr(predicate::str::contains(format!(
            "error: snapshot {} FAILED",
            seed::SNAPSHOT_ID
        )));
}

#[test]
fn wait_timeout_is_5() {
    let mock = TestMock::start();
    // A QUEUED snapshot that never moves.
    mock.cmd()
        .args(["wait", "--cluster-name", seed::CLUSTER_NAME])
        .args(["--snapshot-id", "5cc310ace5dc7ce369814bcd"])
        .args(["--interval", "1s", "--timeout", "1500ms"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("QUEUED"))
        .stderr(predicate::str::contains("error: timed out"))
        .stderr(predicate::str::contains("--timeout"));
}

#[test]
fn tls_with_cacert_works_and_without_it_is_5_with_a_hint() {
    let mock = TestMock::start_with(MockAtlas::builder().tls(true));
    assert!(mock.handle.base_url().starts_with("https://"));
    let ca = mock.config_home.path().join("ca.pem");
    std::fs::write(&ca, mock.handle.ca_pem().unwrap()).unwrap();
    mock.cmd()
        .args(get_seed_args())
        .arg("--cacert")
        .arg(&ca)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(seed::SNAPSHOT_ID));
    mock.cmd()
        .args(get_seed_args())
        .assert()
        .code(5)
        .stderr(predicate::str::contains("TLS"))
        .stderr(predicate::str::contains("--cacert"));
    mock.cmd()
        .args(get_seed_args())
        .args(["--cacert", "/nonexistent/ca.pem"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--cacert /nonexistent/ca.pem"));
}

#[test]
fn cli_messages_name_flags_not_library_methods() {
    // 410 after the sunset.
    let mock = TestMock::start_with(MockAtlas::builder().sunset(true));
    mock.cmd()
        .args(get_seed_args())
        .args(["--kind", "tenant"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--flex"))
        .stderr(predicate::str::contains("flex_snapshots").not());
    // Plain http to a remote host.
    mock.cmd()
        .args(get_seed_args())
        .args(["--base-url", "http://atlas.example.com"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("allow_insecure_http").not())
        .stderr(predicate::str::contains("https://"));
    // A 404 of a flex cluster, with --flex given, does not suggest adding --flex.
    mock.cmd()
        .args(["get", "--flex", "--cluster-name", "NoSuchCluster"])
        .args(["--snapshot-id", seed::SNAPSHOT_ID])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("add --flex").not())
        .stderr(predicate::str::contains("flex_snapshots").not())
        .stderr(predicate::str::contains("hint: check --cluster-name"));
}

#[test]
fn a_base_url_with_the_api_path_is_refused_with_the_right_one() {
    let mock = TestMock::start();
    let base = mock.handle.base_url().to_owned();
    mock.cmd()
        .args(get_seed_args())
        .args(["--base-url", &format!("{base}/api/atlas/v2")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/api/atlas/v2"))
        .stderr(predicate::str::contains(format!("--base-url {base}")));
}

#[test]
fn interval_and_timeout_zero_and_decimals() {
    let mock = TestMock::start();
    // A floor of one second.
    mock.cmd()
        .args(["wait", "--cluster-name", seed::CLUSTER_NAME])
        .args(["--snapshot-id", seed::SNAPSHOT_ID, "--interval", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least 1s"));
    // Zero means no limit, for every command.
    mock.cmd()
        .args(get_seed_args())
        .args(["--timeout", "0"])
        .assert()
        .code(0);
    mock.cmd()
        .args(["wait", "--cluster-name", seed::CLUSTER_NAME])
        .args(["--snapshot-id", seed::SNAPSHOT_ID, "--timeout", "0"])
        .assert()
        .code(6);
    // Decimals.
    mock.cmd()
        .args(get_seed_args())
        .args(["--timeout", "1.5s"])
        .assert()
        .code(0);
}
