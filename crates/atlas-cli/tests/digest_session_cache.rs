//! `--digest-session-cache` against the mock: the second run's `get` is one request, not two;
//! a stale, refused or corrupt cached session costs one challenge and is replaced; processes
//! at once never send a (nonce, nc) pair twice (read from the mock's journal); the file is 0600
//! and holds no secret; `auth status` shows it without the whole nonce; bad keys still exit 4.

mod common;

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use common::{TestMock, seed, text};

fn flex_get() -> [&'static str; 7] {
    [
        "get",
        "--flex",
        "--cluster-name",
        seed::FLEX_CLUSTER_NAME,
        "--snapshot-id",
        seed::FLEX_SNAPSHOT_ID,
        "--digest-session-cache",
    ]
}

/// Journal entries since `since`: (had credentials, status).
fn requests_since(mock: &TestMock, since: u64) -> Vec<(bool, u16)> {
    mock.handle
        .journal_since(since)
        .iter()
        .map(|e| (e.had_credentials, e.status))
        .collect()
}

fn last_seq(mock: &TestMock) -> u64 {
    mock.handle.journal().last().map_or(0, |e| e.seq)
}

fn session_files(mock: &TestMock) -> Vec<PathBuf> {
    mock.cache_files("digest", "session")
}

fn assert_no_pair_twice(mock: &TestMock) {
    let mut pairs = HashSet::new();
    for e in mock.handle.journal() {
        if let Some(a) = &e.auth {
            if let (Some(n), Some(nc)) = (&a.nonce, a.nc) {
                assert!(
                    pairs.insert((n.clone(), nc)),
                    "({n}, {nc}) reached the mock twice"
                );
            }
        }
    }
}

fn get(mock: &TestMock) -> Command {
    let mut c = mock.cmd();
    c.args(flex_get());
    c
}

#[test]
fn the_second_run_sends_one_request_and_the_file_is_private() {
    let mock = TestMock::start();
    let seq = last_seq(&mock);
    get(&mock).assert().success();
    assert_eq!(requests_since(&mock, seq), [(false, 401), (true, 200)]);

    let files = session_files(&mock);
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert_eq!(
        std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(file.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    let cached = std::fs::read_to_string(file).unwrap();
    assert!(!cached.contains(mock.handle.private_key()), "{cached}");
    assert!(cached.contains("next-nc 2\n"), "{cached}");

    for _ in 0..3 {
        let seq = last_seq(&mock);
        let out = get(&mock).assert().success();
        let o = out.get_output();
        assert!(text(&o.stdout).contains(seed::FLEX_SNAPSHOT_ID));
        assert!(text(&o.stderr).is_empty(), "{}", text(&o.stderr));
        assert_eq!(requests_since(&mock, seq), [(true, 200)], "one round trip");
    }
    // No temporary file left; the lock file beside the session file.
    let names: Vec<String> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");

    // Without the flag: two requests, the file untouched.
    let before = std::fs::read(file).unwrap();
    let seq = last_seq(&mock);
    mock.cmd().args(&flex_get()[..6]).assert().success();
    assert_eq!(requests_since(&mock, seq).len(), 2);
    assert_eq!(std::fs::read(file).unwrap(), before);
    assert_no_pair_twice(&mock);
}

#[test]
fn a_stale_cached_nonce_falls_back_silently_and_is_replaced() {
    let mock = TestMock::start();
    get(&mock).assert().success();
    let file = session_files(&mock).remove(0);
    let old = std::fs::read_to_string(&file).unwrap();
    mock.handle.clock().advance(Duration::from_secs(48 * 3600));
    let seq = last_seq(&mock);
    let out = get(&mock).assert().success();
    assert!(text(&out.get_output().stderr).is_empty(), "silently");
    assert_eq!(
        requests_since(&mock, seq),
        [(true, 401), (true, 200)],
        "the cached nonce, then the fresh challenge"
    );
    let new = std::fs::read_to_string(&file).unwrap();
    let nonce = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("nonce "))
            .map(str::to_owned)
    };
    assert_ne!(nonce(&old), nonce(&new), "the new nonce is cached");
    let seq = last_seq(&mock);
    get(&mock).assert().success();
    assert_eq!(requests_since(&mock, seq), [(true, 200)]);
    assert_no_pair_twice(&mock);
}

#[test]
fn a_corrupt_or_foreign_file_is_ignored_and_replaced() {
    let mock = TestMock::start();
    get(&mock).assert().success();
    let file = session_files(&mock).remove(0);
    let good = std::fs::read_to_string(&file).unwrap();
    for junk in [
        "\u{0}\u{1}garbage".to_owned(),
        good.replace("next-nc", "next-nc-x"),
        good.replace("username ", "username someone-else"),
        String::new(),
    ] {
        std::fs::write(&file, &junk).unwrap();
        let seq = last_seq(&mock);
        let out = get(&mock).assert().success();
        assert!(text(&out.get_output().stderr).is_empty());
        assert_eq!(requests_since(&mock, seq), [(false, 401), (true, 200)]);
        let now = std::fs::read_to_string(&file).unwrap();
        assert!(
            now.starts_with("atlas-digest-session 1\n"),
            "replaced: {now:?}"
        );
    }
    assert_no_pair_twice(&mock);
}

#[test]
fn wrong_keys_with_a_cached_session_still_exit_4() {
    let mock = TestMock::start();
    get(&mock).assert().success();
    let seq = last_seq(&mock);
    let out = get(&mock)
        .env(
            "MONGODB_ATLAS_PRIVATE_API_KEY",
            "00000000-0000-0000-0000-000000000000",
        )
        .assert()
        .code(4);
    assert!(text(&out.get_output().stderr).contains("key"));
    // The cached nonce, the fresh challenge, refused.
    assert_eq!(requests_since(&mock, seq), [(true, 401), (true, 401)]);
}

#[test]
fn processes_at_once_never_send_an_nc_twice() {
    let mock = TestMock::start();
    get(&mock).assert().success();
    for _round in 0..3 {
        let children: Vec<_> = (0..6)
            .map(|_| {
                let mut c =
                    std::process::Command::new(assert_cmd::cargo::cargo_bin("atlas-snapshots"));
                c.env_clear()
                    .env("HOME", mock.config_home.path())
                    .env("XDG_CONFIG_HOME", mock.config_home.path())
                    .env("MONGODB_ATLAS_BASE_URL", mock.handle.base_url())
                    .env("MONGODB_ATLAS_PROJECT_ID", seed::GROUP_ID)
                    .env("MONGODB_ATLAS_PUBLIC_API_KEY", mock.handle.public_key())
                    .env("MONGODB_ATLAS_PRIVATE_API_KEY", mock.handle.private_key())
                    .args(flex_get())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped());
                c.spawn().unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
    }
    assert_no_pair_twice(&mock);
    // Each run costs at most one challenge: its cached block, when another run's higher nc
    // pushed it out of the mock's replay window, is answered stale and it fetches a fresh one
    // (how often depends on the schedule, so only the bound is asserted).
    let journal = mock.handle.journal();
    let challenges = journal.iter().filter(|e| e.status == 401).count();
    assert!(challenges <= 1 + 18, "{challenges} challenges");
    assert!(journal.len() <= 2 + 18 * 2, "{} requests", journal.len());
}

#[test]
fn auth_status_shows_the_cached_session_but_not_the_nonce() {
    let mock = TestMock::start();
    let status = |flag: bool| {
        let mut c = mock.cmd();
        c.args(["auth", "status", "-o", "table"]);
        if flag {
            c.arg("--digest-session-cache");
        }
        text(&c.assert().success().get_output().stdout)
    };
    let s = status(false);
    assert!(s.contains("digest session cache: off"), "{s}");
    let s = status(true);
    assert!(s.contains("none cached"), "{s}");
    get(&mock).assert().success();
    let s = status(true);
    assert!(
        s.contains("cached: MD5 nonce") && s.contains("next nc 2"),
        "{s}"
    );
    let file = session_files(&mock).remove(0);
    let cached = std::fs::read_to_string(&file).unwrap();
    let nonce = cached
        .lines()
        .find_map(|l| l.strip_prefix("nonce "))
        .unwrap();
    assert!(!s.contains(nonce), "{s}");
    assert!(s.contains(&file.display().to_string()), "{s}");
    // Status reserves nothing.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), cached);
}
