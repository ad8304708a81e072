//! `wait` in plain-line mode, `demo` offline, `mock` as a child process.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use atlas_mock::seed;
use common::{TestMock, text};
use predicates::prelude::*;

#[test]
fn wait_prints_one_line_per_status_change_and_exits_0_on_completed() {
    let mock = TestMock::start();
    let out = mock
        .cmd()
        .args(["wait", "--cluster-name", seed::CLUSTER_NAME])
        .args([
            "--snapshot-id",
            seed::LIFECYCLE_SNAPSHOT_ID,
            "--interval",
            "1s",
        ])
        .assert()
        .code(0);
    let stderr = text(&out.get_output().stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let statuses: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    // One line per change, in order; on a slow machine the first poll may land after QUEUED (or
    // even RUNNING) is over, so any non-empty tail of the sequence is right.
    let all = ["QUEUED", "RUNNING", "COMPLETED"];
    assert!(!statuses.is_empty() && all.ends_with(&statuses), "{stderr}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains(" after ") && l.contains("(poll ")),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\r'),
        "no spinner when stderr is not a terminal"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["status"], "COMPLETED");
    assert_eq!(v["id"], seed::LIFECYCLE_SNAPSHOT_ID);
}

#[test]
fn wait_on_flex_too() {
    let mock = TestMock::start();
    mock.cmd()
        .args(["wait", "--flex", "--cluster-name", seed::FLEX_CLUSTER_NAME])
        .args(["--snapshot-id", seed::FLEX_SNAPSHOT_ID, "--interval", "1s"])
        .args(["-o", "table"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("STATUS           COMPLETED"));
}

#[test]
fn demo_completes_offline() {
    let home = tempfile::tempdir().unwrap();
    let out = common::bare_cmd(home.path())
        // A proxy that refuses connections: the demo goes to loopback directly, never through it.
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .arg("demo")
        .assert()
        .code(0);
    let stdout = text(&out.get_output().stdout);
    for needle in [
        "\"id\": \"5cc310ace5dc7ce369814bc8\"",
        "\"status\": \"FAILED\"",
        "is FAILED",
        "-> 401  (digest challenge",
        "-> 200  (authorized with HTTP Digest)",
        "2 round trips (1 digest challenge) for 1 request",
        // Which phases the one-second polls land in depends on the machine's load; that
        // polls are reported, and that the wait ends COMPLETED, does not.
        " (poll 1)",
        "=> COMPLETED after",
        "0 digest challenges",
        "Step 3:",
        "POST /api/oauth/token -> 200  (an access token for the service account",
        "-> 200  (authorized with the bearer token)",
        "1 token request and 2 round trips for 2 requests",
        "Done in",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("\x1b["), "no colors when piped");
}

/// Starts `atlas-snapshots mock ARGS` as a child process and reads its banner up to the Ctrl-C
/// line; returns the child, the base URL it printed and the whole banner.
fn spawn_mock(home: &std::path::Path, args: &[&str]) -> (std::process::Child, String, String) {
    let bin = assert_cmd::cargo::cargo_bin("atlas-snapshots");
    let mut child = std::process::Command::new(&bin)
        .arg("mock")
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut base_url = None;
    let mut banner = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if let Some(i) = line.find("://") {
            let start = line[..i].rfind(' ').map_or(0, |s| s + 1);
            base_url
                .get_or_insert_with(|| line[start..].split_whitespace().next().unwrap().to_owned());
        }
        if line.contains("Ctrl-C") {
            break;
        }
    }
    let base_url = base_url.unwrap_or_else(|| panic!("no URL in banner:\n{banner}"));
    (child, base_url, banner)
}

#[test]
fn mock_command_serves_until_stopped_and_get_works_against_it() {
    let home = tempfile::tempdir().unwrap();
    let (mut child, base_url, banner) = spawn_mock(
        home.path(),
        &[
            "--listen",
            "127.0.0.1:0",
            "--public-key",
            "pubmock",
            "--private-key",
            "privmock1",
        ],
    );
    assert!(base_url.starts_with("http://127.0.0.1:"), "{banner}");
    assert!(banner.contains("pubmock"), "{banner}");
    assert!(banner.contains("curl --user"), "{banner}");
    let result = common::bare_cmd(home.path())
        .env("MONGODB_ATLAS_BASE_URL", &base_url)
        .env("MONGODB_ATLAS_PUBLIC_API_KEY", "pubmock")
        .env("MONGODB_ATLAS_PRIVATE_API_KEY", "privmock1")
        .args(common::get_seed_args())
        .args(["--group-id", seed::GROUP_ID])
        .output()
        .unwrap();
    child.kill().unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert!(text(&result.stdout).contains(seed::SNAPSHOT_ID));
    assert!(!status.success());
    assert!(stderr.contains("visible to other users"), "{stderr}");
}

#[test]
fn mock_command_tls_and_sunset_flags_reach_the_server() {
    let home = tempfile::tempdir().unwrap();
    let ca = home.path().join("mock-ca.pem");
    let ca_arg = ca.to_str().unwrap().to_owned();
    let (mut child, base_url, banner) = spawn_mock(
        home.path(),
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-ca-out",
            &ca_arg,
            "--sunset",
        ],
    );
    // Generated keys are printed; read them from the banner.
    let key = |label: &str| {
        banner
            .lines()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no {label} in:\n{banner}"))
    };
    let (public, private) = (key("public key:"), key("private key:"));
    assert!(base_url.starts_with("https://127.0.0.1:"), "{banner}");
    let run = |args: &[&str]| {
        common::bare_cmd(home.path())
            .env("MONGODB_ATLAS_BASE_URL", &base_url)
            .env("MONGODB_ATLAS_PUBLIC_API_KEY", &public)
            .env("MONGODB_ATLAS_PRIVATE_API_KEY", &private)
            .env("MONGODB_ATLAS_PROJECT_ID", seed::GROUP_ID)
            .args(args)
            .arg("--cacert")
            .arg(&ca)
            .output()
            .unwrap()
    };
    // TLS with the written CA works; the tenant endpoint is gone (--sunset), flex is not.
    let mut tenant_args = common::get_seed_args().to_vec();
    tenant_args.extend(["--kind", "tenant"]);
    let tenant = run(&tenant_args);
    let flex = run(&[
        "get",
        "--flex",
        "--cluster-name",
        seed::FLEX_CLUSTER_NAME,
        "--snapshot-id",
        seed::FLEX_SNAPSHOT_ID,
    ]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(tenant.status.code(), Some(1), "{}", text(&tenant.stderr));
    assert!(text(&tenant.stderr).contains("try again with --flex"));
    assert_eq!(flex.status.code(), Some(0), "{}", text(&flex.stderr));
    assert!(text(&flex.stdout).contains(seed::FLEX_SNAPSHOT_ID));
}

#[test]
fn mock_command_reports_a_busy_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let home = tempfile::tempdir().unwrap();
    common::bare_cmd(home.path())
        .args(["mock", "--listen", &addr])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("error: cannot listen on"))
        .stderr(predicate::str::contains("--listen"));
}
