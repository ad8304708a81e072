//! The command with a service account against the mock: tokens outlive a process (the file
//! cache: one token for many runs, 0600, replaced atomically, one token for many processes at
//! once), `auth status` / `auth revoke`, the precedence warning, exit 4 for bad client
//! credentials.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use assert_cmd::Command;
use atlas_mock::{MockAtlas, OAuthSettings};
use common::{TestMock, seed, text};

fn flex_get() -> [&'static str; 6] {
    [
        "get",
        "--flex",
        "--cluster-name",
        seed::FLEX_CLUSTER_NAME,
        "--snapshot-id",
        seed::FLEX_SNAPSHOT_ID,
    ]
}

/// The binary with base URL, project id and the mock's service account in the environment.
fn sa_cmd(mock: &TestMock) -> Command {
    let sa = mock.handle.service_account();
    let mut c = mock.bare_cmd();
    c.env("MONGODB_ATLAS_BASE_URL", mock.handle.base_url())
        .env("MONGODB_ATLAS_PROJECT_ID", seed::GROUP_ID)
        .env("MONGODB_ATLAS_CLIENT_ID", sa.client_id())
        .env("MONGODB_ATLAS_CLIENT_SECRET", sa.client_secret());
    c
}

fn token_requests(mock: &TestMock) -> usize {
    mock.handle
        .journal()
        .iter()
        .filter(|e| e.path == "/api/oauth/token")
        .count()
}

/// The cache files (not locks) under `$HOME/.cache/atlas-snapshots/tokens`.
fn cache_files(mock: &TestMock) -> Vec<PathBuf> {
    mock.cache_files("tokens", "json")
}

#[test]
fn two_runs_in_a_row_ask_for_one_token_and_the_cache_is_private() {
    let mock = TestMock::start();
    let secret = mock.handle.service_account().client_secret().to_owned();
    for _ in 0..2 {
        let out = sa_cmd(&mock).args(flex_get()).assert().success();
        let o = out.get_output();
        assert!(text(&o.stdout).contains(seed::FLEX_SNAPSHOT_ID));
        assert!(!text(&o.stderr).contains("warning"), "{}", text(&o.stderr));
    }
    assert_eq!(token_requests(&mock), 1);
    let files = cache_files(&mock);
    assert_eq!(files.len(), 1, "{files:?}");
    let meta = std::fs::metadata(&files[0]).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let dir = files[0].parent().unwrap();
    assert_eq!(
        std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let cached = std::fs::read_to_string(&files[0]).unwrap();
    assert!(!cached.contains(&secret), "the secret is never cached");
    // No temporary file left beside it.
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");

    // --no-token-cache: a token per run, the file untouched.
    let before = std::fs::read(&files[0]).unwrap();
    sa_cmd(&mock)
        .args(flex_get())
        .arg("--no-token-cache")
        .assert()
        .success();
    assert_eq!(token_requests(&mock), 2);
    assert_eq!(std::fs::read(&files[0]).unwrap(), before);
}

#[test]
fn a_refused_cached_token_is_replaced_atomically() {
    let mock = TestMock::start();
    sa_cmd(&mock).args(flex_get()).assert().success();
    let file = cache_files(&mock).remove(0);
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(&file).unwrap().ino();
    let old = std::fs::read_to_string(&file).unwrap();
    // Atlas forgets the token: the next run gets one 401, a new token, and a new file (a new
    // inode under the same name: written beside it and renamed, never rewritten in place).
    mock.handle
        .revoke_tokens(mock.handle.service_account().client_id());
    sa_cmd(&mock).args(flex_get()).assert().success();
    assert_eq!(token_requests(&mock), 2);
    let new = std::fs::read_to_string(&file).unwrap();
    assert_ne!(old, new);
    assert_ne!(std::fs::metadata(&file).unwrap().ino(), inode);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn many_processes_at_once_ask_for_one_token() {
    let mock = TestMock::start();
    let children: Vec<_> = (0..12)
        .map(|_| {
            let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("atlas-snapshots"));
            let sa = mock.handle.service_account();
            c.env_clear()
                .env("HOME", mock.config_home.path())
                .env("XDG_CONFIG_HOME", mock.config_home.path())
                .env("MONGODB_ATLAS_BASE_URL", mock.handle.base_url())
                .env("MONGODB_ATLAS_PROJECT_ID", seed::GROUP_ID)
                .env("MONGODB_ATLAS_CLIENT_ID", sa.client_id())
                .env("MONGODB_ATLAS_CLIENT_SECRET", sa.client_secret())
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
    assert_eq!(
        token_requests(&mock),
        1,
        "the lock made them share one token"
    );
    assert_eq!(
        mock.handle
            .live_tokens(mock.handle.service_account().client_id()),
        1
    );
}

#[test]
fn auth_status_and_revoke() {
    let mock = TestMock::start();
    let sa = mock.handle.service_account();
    let out = sa_cmd(&mock).args(["auth", "status"]).assert().success();
    let s = text(&out.get_output().stdout);
    assert!(
        s.contains("service account") && s.contains(sa.client_id()),
        "{s}"
    );
    assert!(
        s.contains("environment variable MONGODB_ATLAS_CLIENT_SECRET"),
        "{s}"
    );
    assert!(s.contains("none cached"), "{s}");
    assert!(!s.contains(sa.client_secret()), "{s}");
    sa_cmd(&mock).args(flex_get()).assert().success();
    let out = sa_cmd(&mock)
        .args(["auth", "status", "-o", "json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["method"], "service account");
    assert!(
        v["token"].as_str().unwrap().starts_with("valid until"),
        "{v}"
    );
    assert!(!v.to_string().contains(sa.client_secret()));
    assert_eq!(token_requests(&mock), 1, "status asks nothing");

    let out = sa_cmd(&mock).args(["auth", "revoke"]).assert().success();
    assert!(text(&out.get_output().stdout).contains("revoked"));
    assert_eq!(mock.handle.live_tokens(sa.client_id()), 0);
    assert!(cache_files(&mock).is_empty());
    let out = sa_cmd(&mock).args(["auth", "revoke"]).assert().success();
    assert!(text(&out.get_output().stdout).contains("no cached token"));
    // Revoke needs a service account.
    mock.cmd().args(["auth", "revoke"]).assert().code(2);
    let out = mock.cmd().args(["auth", "status"]).assert().success();
    assert!(text(&out.get_output().stdout).contains("API key"));
}

#[test]
fn precedence_warns_once_and_bad_client_credentials_exit_4() {
    let mock = TestMock::start();
    let out = sa_cmd(&mock)
        .env("MONGODB_ATLAS_PUBLIC_API_KEY", mock.handle.public_key())
        .env("MONGODB_ATLAS_PRIVATE_API_KEY", mock.handle.private_key())
        .args(flex_get())
        .assert()
        .success();
    let err = text(&out.get_output().stderr);
    assert_eq!(
        err.lines().filter(|l| l.contains("warning")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("using the service account"), "{err}");
    assert!(
        mock.handle
            .journal()
            .iter()
            .any(|e| e.path == "/api/oauth/token"),
        "the service account was used"
    );

    // (Without the cache: the token cached above would serve this run, whatever the secret.)
    let out = sa_cmd(&mock)
        .env("MONGODB_ATLAS_CLIENT_SECRET", "mdb_sa_sk_not-the-secret")
        .args(flex_get())
        .arg("--no-token-cache")
        .assert()
        .code(4);
    let err = text(&out.get_output().stderr);
    assert!(
        err.contains("client id") && err.contains("MONGODB_ATLAS_CLIENT_SECRET"),
        "{err}"
    );
    assert!(!err.contains("not-the-secret"), "{err}");

    // An access token beats both, and is used as it is.
    let out = sa_cmd(&mock)
        .env("MONGODB_ATLAS_ACCESS_TOKEN", "eyJ.not-a-real.token")
        .args(flex_get())
        .assert()
        .code(4);
    let err = text(&out.get_output().stderr);
    assert!(err.contains("using the access token"), "{err}");
    assert!(err.contains("access token"), "{err}");
    assert!(!err.contains("not-a-real"), "{err}");
}

#[test]
fn the_live_token_limit_exits_4_with_a_hint() {
    let mock = TestMock::start_with(
        MockAtlas::builder().oauth(OAuthSettings::default().max_live_tokens(1).unwrap()),
    );
    sa_cmd(&mock)
        .args(flex_get())
        .arg("--no-token-cache")
        .assert()
        .success();
    let out = sa_cmd(&mock)
        .args(flex_get())
        .arg("--no-token-cache")
        .assert()
        .code(4);
    let err = text(&out.get_output().stderr);
    assert!(
        err.contains("100 live tokens") || err.contains("live tokens"),
        "{err}"
    );
}
