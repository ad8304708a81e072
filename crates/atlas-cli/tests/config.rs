//! Flags beat environment beat the Atlas CLI profile (in a temporary XDG_CONFIG_HOME).

mod common;

use atlas_mock::seed;
use common::{TestMock, get_seed_args};
use predicates::prelude::*;

fn profile(name: &str, public: &str, private: &str, project: &str, url: &str) -> String {
    format!(
        "[{name}]\n  public_api_key = \"{public}\"\n  private_api_key = \"{private}\"\n  project_id = \"{project}\"\n  ops_manager_url = \"{url}/\"\n  service = \"cloud\"\n"
    )
}

#[test]
fn the_default_profile_alone_is_enough() {
    let mock = TestMock::start();
    let h = &mock.handle;
    mock.write_config(&format!(
        "telemetry_enabled = false\n{}",
        profile(
            "default",
            h.public_key(),
            h.private_key(),
            seed::GROUP_ID,
            h.base_url()
        )
    ));
    mock.bare_cmd()
        .args(get_seed_args())
        .assert()
        .success()
        .stdout(predicate::str::contains(seed::SNAPSHOT_ID));
}

#[test]
fn a_named_profile_and_a_missing_one() {
    let mock = TestMock::start();
    let h = &mock.handle;
    mock.write_config(&format!(
        "{}{}",
        profile(
            "default",
            "nobody",
            "nothing",
            "000000000000000000000000",
            "http://127.0.0.1:9"
        ),
        profile(
            "work",
            h.public_key(),
            h.private_key(),
            seed::GROUP_ID,
            h.base_url()
        )
    ));
    mock.bare_cmd()
        .args(get_seed_args())
        .args(["--profile", "work"])
        .assert()
        .success();
    mock.bare_cmd()
        .args(get_seed_args())
        .args(["--profile", "play"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no profile \"play\" in "))
        .stderr(predicate::str::contains("(profiles: default, work)"));
}

#[test]
fn environment_beats_profile() {
    let mock = TestMock::start();
    // The profile has a wrong private key, a wrong project and a dead URL; the environment has
    // the right ones, and wins.
    mock.write_config(&profile(
        "default",
        mock.handle.public_key(),
        "wrong-private",
        "000000000000000000000000",
        "http://127.0.0.1:9",
    ));
    mock.cmd().args(get_seed_args()).assert().success();
    // Without the environment's private key the profile's wrong one is used: 401.
    mock.cmd()
        .env_remove("MONGODB_ATLAS_PRIVATE_API_KEY")
        .args(get_seed_args())
        .assert()
        .code(4);
    // Without the environment's project id the profile's is used: 404 for that project.
    mock.cmd()
        .env_remove("MONGODB_ATLAS_PROJECT_ID")
        .args(get_seed_args())
        .assert()
        .code(3);
}

#[test]
fn flags_beat_environment() {
    let mock = TestMock::start();
    // Environment points to a dead URL and a wrong project; flags fix both.
    mock.cmd()
        .env("MONGODB_ATLAS_BASE_URL", "http://127.0.0.1:9")
        .env("MONGODB_ATLAS_PROJECT_ID", "000000000000000000000000")
        .args(get_seed_args())
        .args([
            "--base-url",
            mock.handle.base_url(),
            "--group-id",
            seed::GROUP_ID,
        ])
        .assert()
        .success();
    // --public-key beats the environment's.
    mock.cmd()
        .args(get_seed_args())
        .args(["--public-key", "someoneelse"])
        .assert()
        .code(4);
}

#[test]
fn ops_manager_url_is_the_atlas_cli_name_of_the_base_url() {
    let mock = TestMock::start();
    mock.cmd()
        .env_remove("MONGODB_ATLAS_BASE_URL")
        .env(
            "MONGODB_ATLAS_OPS_MANAGER_URL",
            format!("{}/", mock.handle.base_url()),
        )
        .args(get_seed_args())
        .assert()
        .success();
    // MONGODB_ATLAS_BASE_URL wins over it.
    mock.cmd()
        .env("MONGODB_ATLAS_OPS_MANAGER_URL", "http://127.0.0.1:9")
        .args(get_seed_args())
        .assert()
        .success();
}

#[test]
fn private_key_file_beats_environment() {
    let mock = TestMock::start();
    let file = mock.config_home.path().join("key.txt");
    std::fs::write(&file, format!("{}\n", mock.handle.private_key())).unwrap();
    mock.cmd()
        .env("MONGODB_ATLAS_PRIVATE_API_KEY", "wrong-private")
        .args(get_seed_args())
        .arg("--private-key-file")
        .arg(&file)
        .assert()
        .success();
    mock.cmd()
        .args(get_seed_args())
        .args(["--private-key-file", "/nonexistent/key"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read the private key file"));
}

#[test]
fn verbose_logs_go_to_stderr_with_the_private_key_redacted() {
    let mock = TestMock::start();
    let out = mock
        .cmd()
        .args(get_seed_args())
        .arg("-vv")
        .assert()
        .success();
    let stderr = common::text(&out.get_output().stderr);
    assert!(stderr.contains("resolved configuration"), "{stderr}");
    assert!(
        stderr.contains("environment variable MONGODB_ATLAS_PRIVATE_API_KEY"),
        "{stderr}"
    );
    assert!(!stderr.contains(mock.handle.private_key()), "{stderr}");
    // stdout is still exactly the JSON.
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["id"], seed::SNAPSHOT_ID);
}

#[test]
fn keys_are_trimmed_and_stripped_the_same_way_from_every_source() {
    let mock = TestMock::start();
    let key = mock.handle.private_key().to_owned();
    // A trailing newline from a secret manager.
    mock.cmd()
        .env("MONGODB_ATLAS_PRIVATE_API_KEY", format!("{key}\n"))
        .args(get_seed_args())
        .assert()
        .success();
    // A key file with a UTF-8 byte order mark, and one whose first line is blank.
    for content in [format!("\u{feff}{key}\n"), format!("\n  \n{key}\r\n")] {
        let file = mock.config_home.path().join("key.txt");
        std::fs::write(&file, content).unwrap();
        mock.cmd()
            .env_remove("MONGODB_ATLAS_PRIVATE_API_KEY")
            .args(get_seed_args())
            .arg("--private-key-file")
            .arg(&file)
            .assert()
            .success();
    }
    // A file with nothing in it is still called empty.
    let file = mock.config_home.path().join("blank.txt");
    std::fs::write(&file, "\u{feff}\n \n").unwrap();
    mock.cmd()
        .args(get_seed_args())
        .arg("--private-key-file")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is empty"));
}

#[test]
fn private_key_file_dash_reads_standard_input() {
    let mock = TestMock::start();
    mock.cmd()
        .env_remove("MONGODB_ATLAS_PRIVATE_API_KEY")
        .args(get_seed_args())
        .args(["--private-key-file", "-"])
        .write_stdin(format!("{}\n", mock.handle.private_key()))
        .assert()
        .success()
        .stdout(predicate::str::contains(seed::SNAPSHOT_ID));
}

#[test]
fn the_401_hint_names_where_the_key_came_from() {
    let mock = TestMock::start();
    let file = mock.config_home.path().join("wrong.txt");
    std::fs::write(&file, "wrong-private-key\n").unwrap();
    let out = mock
        .cmd()
        .env_remove("MONGODB_ATLAS_PRIVATE_API_KEY")
        .args(get_seed_args())
        .arg("--private-key-file")
        .arg(&file)
        .assert()
        .code(4);
    let stderr = common::text(&out.get_output().stderr);
    assert!(
        stderr.contains(&format!("--private-key-file {}", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("MONGODB_ATLAS_PUBLIC_API_KEY"), "{stderr}");
    assert!(
        !stderr.contains("MONGODB_ATLAS_PRIVATE_API_KEY"),
        "{stderr}"
    );
}

#[test]
fn a_broken_config_file_is_read_only_when_a_value_is_needed_from_it() {
    let mock = TestMock::start();
    mock.write_config("[default]\n  public_api_key = \"unterminated\n");
    // Every value from the environment: the file is never read.
    mock.cmd().args(get_seed_args()).assert().success();
    // A value needed from it: the error says where the file is broken.
    mock.cmd()
        .env_remove("MONGODB_ATLAS_PUBLIC_API_KEY")
        .args(get_seed_args())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("config.toml"))
        .stderr(predicate::str::contains("line 2, column"));
}

#[test]
fn atlas_cli_spellings_and_a_positional_snapshot_id() {
    let mock = TestMock::start();
    mock.cmd()
        .env_remove("MONGODB_ATLAS_PROJECT_ID")
        .args(["get", seed::SNAPSHOT_ID])
        .args([
            "--clusterName",
            seed::CLUSTER_NAME,
            "--projectId",
            seed::GROUP_ID,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(seed::SNAPSHOT_ID));
    mock.cmd()
        .args([
            "wait",
            seed::SNAPSHOT_ID,
            "--clusterName",
            seed::CLUSTER_NAME,
        ])
        .assert()
        .code(6);
    // One id, not two.
    mock.cmd()
        .args(["get", seed::SNAPSHOT_ID, "--snapshot-id", seed::SNAPSHOT_ID])
        .args(["--cluster-name", seed::CLUSTER_NAME])
        .assert()
        .code(2);
}
