//! The `mock` command's controls, driven the way a test in another language drives them: curl and
//! Python (standard library) against the real binary, reading where the mock is from `--json` or
//! `--ready-file`. A missing `curl` or `python3` fails the test with its name.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("atlas-snapshots")
}

fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("required tool `{name}` is not installed or not on PATH (CI installs it via .ci/run)")
        })
}

fn python_test(script: &str, extra_env: &[(&str, &str)], args: &[&str]) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let mut cmd = Command::new(tool("python3"));
    cmd.arg(dir.join(script))
        .args(args)
        .env("ATLAS_SNAPSHOTS_BIN", bin())
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn python_drives_a_lifecycle_with_the_mock_clock() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("mock.json");
    let out = python_test(
        "mock_clock_lifecycle.py",
        &[("READY_FILE", ready.to_str().unwrap())],
        &[],
    );
    assert!(out.contains("\"ok\": true"), "{out}");
}

#[test]
fn python_drives_restores_downloads_on_demand_snapshots_and_tokens_with_the_mock_clock() {
    let out = python_test("mock_backups_lifecycle.py", &[], &[]);
    assert!(out.contains("\"ok\": true"), "{out}");
}

#[test]
fn python_abuse_cases_are_bounded_and_counted() {
    // The script asserts on the mock's counters; the RSS figures it prints go into the report.
    // The oversized heads and the long paths with the default limits ...
    let out = python_test("mock_abuse.py", &[("CASES", "oversized,long")], &[]);
    eprintln!("abuse report: {out}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["oversized"]["closed"], 300);
    assert_eq!(v["long_paths"]["journalLen"], 1000);
    // ... and the held heads with a short header read timeout, so that the mock closes them soon.
    let out = python_test(
        "mock_abuse.py",
        &[("CASES", "held")],
        &["--header-read-timeout", "1s"],
    );
    eprintln!("abuse report: {out}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["held"]["headerTimeouts"], 300);
}

/// A mock process that is killed when the test ends, however it ends (a failed assertion too).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `atlas-snapshots mock ARGS` and reads its banner up to its last line; the lines after
/// it arrive on the returned channel (read in the background so the mock never blocks on a pipe).
fn spawn(args: &[&str]) -> (Running, String, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(bin())
        .arg("mock")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("Ctrl-C or SIGTERM") {
            break;
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Running(child), banner, rx)
}

/// curl with `args`; returns (HTTP status of the last answer, headers and body as text).
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new(tool("curl"))
        .args(["--silent", "--show-error", "--include", "--max-time", "60"])
        .args(["--write-out", "\n%{http_code}"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (rest, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), rest.to_owned())
}

fn sigterm(running: &mut Running) -> (i32, String) {
    let child = &mut running.0;
    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status.code().unwrap_or(-1), err)
}

#[test]
fn curl_drives_faults_sunset_and_limits_through_the_ready_file() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let ready_arg = ready.to_str().unwrap();
    let (mut child, banner, _rest) = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--ready-file",
        ready_arg,
        "--clock",
        "manual",
        "--fault",
        "status=503,path=/api/atlas/v2/groups/*/flexClusters/**,limit=1",
        "--rate-limit",
        "2,1,60s",
        "--ip-access-list",
        "127.0.0.1",
        "--key",
        "other:other-secret:5b69d0349b15c62cdfc38b79",
    ]);
    assert!(banner.contains("admin token:"), "{banner}");
    assert!(
        banner.contains("other key:   other (groups 5b69d0349b15c62cdfc38b79)"),
        "{banner}"
    );
    let info = ready_info(&ready);
    let url = info["url"].as_str().unwrap();
    let user = format!(
        "{}:{}",
        info["publicKey"].as_str().unwrap(),
        info["privateKey"].as_str().unwrap()
    );
    let bearer = format!(
        "Authorization: Bearer {}",
        info["adminToken"].as_str().unwrap()
    );
    let flex = info["flex"]["url"].as_str().unwrap();
    let tenant = info["tenant"]["url"].as_str().unwrap();
    let digest = |url: &str, accept: &str| {
        curl(&[
            "--digest",
            "--user",
            &user,
            "--header",
            &format!("Accept: {accept}"),
            url,
        ])
    };
    const FLEX: &str = "application/vnd.atlas.2024-11-13+json";
    // The fault, once, then the answer with its RateLimit headers.
    let (code, text) = digest(flex, FLEX);
    assert_eq!(code, 503, "{text}");
    assert!(
        text.to_lowercase()
            .contains("x-error-code: service_unavailable"),
        "{text}"
    );
    let (code, text) = digest(flex, FLEX);
    assert_eq!(code, 200, "{text}");
    assert!(
        text.to_lowercase().contains("ratelimit-remaining: 0"),
        "{text}"
    );
    // As Atlas: no Authentication-Info on the authenticated answer.
    assert!(
        !text.to_lowercase().contains("authentication-info:"),
        "{text}"
    );
    // The bucket (2, refilled at 1 a minute) is empty: a whole token is 60 s away, on the mock clock.
    let (code, text) = digest(flex, FLEX);
    assert_eq!(code, 429, "{text}");
    assert!(
        text.contains("RATE_LIMITED_TOKEN_BUCKET")
            && text.to_lowercase().contains("retry-after: 60"),
        "{text}"
    );
    let admin = |method: &str, path: &str, body: Option<&str>| {
        let mut args = vec!["--request", method, "--header", bearer.as_str()];
        if let Some(b) = body {
            args.extend(["--header", "Content-Type: application/json", "--data", b]);
        }
        let target = format!("{url}{path}");
        args.push(&target);
        curl(&args)
    };
    let (code, _) = admin("POST", "/__mock/clock/advance", Some(r#"{"seconds": 60}"#));
    assert_eq!(code, 200);
    // The sunset switch at run time.
    let (code, _) = admin("PUT", "/__mock/sunset", Some(r#"{"sunset": true}"#));
    assert_eq!(code, 200);
    let (code, text) = digest(tenant, "application/json");
    assert_eq!(code, 410, "{text}");
    assert!(text.contains("VERSION_GONE"), "{text}");
    // The admin API refuses a web page (Origin), a missing token, and text/plain.
    let (code, _) = curl(&[
        "--header",
        "Origin: http://evil.example",
        "--header",
        &bearer,
        &format!("{url}/__mock/journal"),
    ]);
    assert_eq!(code, 403);
    let (code, _) = curl(&[&format!("{url}/__mock/journal")]);
    assert_eq!(code, 401);
    let (code, _) = curl(&[
        "--header",
        &bearer,
        "--header",
        "Content-Type: text/plain",
        "--data",
        "{}",
        &format!("{url}/__mock/groups"),
    ]);
    assert_eq!(code, 415);
    // Stats need no token: every request so far, and the fault's counter.
    let (code, text) = curl(&[&format!("{url}/__mock/stats")]);
    assert_eq!(code, 200, "{text}");
    let (_, faults) = admin("GET", "/__mock/faults", None);
    assert!(faults.contains("\"fired\" : 1"), "{faults}");
    let (code, err) = sigterm(&mut child);
    assert_eq!(code, 0, "{err}");
    assert!(!ready.exists(), "the ready file is removed on a clean stop");
}

#[test]
fn digest_authentication_info_flag_sends_rspauth() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let (mut child, _banner, _rest) = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--ready-file",
        ready.to_str().unwrap(),
        "--digest-authentication-info",
    ]);
    let info = ready_info(&ready);
    let user = format!(
        "{}:{}",
        info["publicKey"].as_str().unwrap(),
        info["privateKey"].as_str().unwrap()
    );
    let (code, text) = curl(&[
        "--digest",
        "--user",
        &user,
        info["tenant"]["url"].as_str().unwrap(),
    ]);
    assert_eq!(code, 200, "{text}");
    let answer = text.rsplit("HTTP/1.1 ").next().unwrap().to_lowercase();
    assert!(
        answer.contains("authentication-info: qop=auth, rspauth=\""),
        "{text}"
    );
    let (status, _) = sigterm(&mut child);
    assert_eq!(status, 0);
}

#[test]
fn sigterm_drains_within_the_bound_and_says_so() {
    let (mut child, banner, rest) = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--drain-timeout",
        "1s",
        "--header-read-timeout",
        "10m",
    ]);
    let url = banner
        .lines()
        .find_map(|l| l.strip_prefix("atlas-mock listening on "))
        .unwrap()
        .trim()
        .to_owned();
    let addr = url.trim_start_matches("http://").to_owned();
    // A connection stuck in the middle of a request head: the drain cannot finish it, so it is cut
    // when the drain timeout runs out, on every run.
    let mut stuck = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(
        &mut stuck,
        b"GET /api/atlas/v1.0/groups HTTP/1.1\r\nHost: x\r\n",
    )
    .unwrap();
    // Wait until the mock has it (its counters say so: this connection and curl's own).
    let mut open = false;
    for _ in 0..6000 {
        let (_, text) = curl(&[&format!("{url}/__mock/stats")]);
        if text.contains("\"connectionsOpen\" : 2") {
            open = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(open, "the mock never saw the connection");
    let (code, err) = sigterm(&mut child);
    assert_eq!(code, 0, "{err}");
    let said: Vec<String> = rest.iter().collect();
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!(
        said[0],
        "atlas-mock: SIGTERM received, shutting down: draining open connections (at most 1s)"
    );
    // The stuck connection is cut on every run. The last stats poll's connection may still be
    // counted when the signal lands (curl has closed it; the mock has not seen the close yet), and
    // is then drained at once: how many were drained depends on that race, how many were cut
    // does not.
    let drained = said[1]
        .strip_prefix("atlas-mock: stopped (")
        .and_then(|r| r.strip_suffix(" connection(s) drained, 1 cut after the drain timeout)"))
        .and_then(|n| n.parse::<u32>().ok());
    assert!(drained.is_some_and(|n| n <= 1), "{said:?}");
    drop(stuck);
}

#[test]
fn a_data_file_typo_is_a_usage_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.json");
    std::fs::write(
        &data,
        r#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"F","kind":"flex","snapshots":[{"id":"6b0000000000000000000001","mongoDbVersion":"8.0"}]}]}]}"#,
    )
    .unwrap();
    let out = Command::new(bin())
        .args(["mock", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("groups[0].clusters[0].snapshots[0]")
            && err.contains("`mongoDbVersion`")
            && err.contains("did you mean `mongoDBVersion`"),
        "{err}"
    );
    assert!(err.contains("mock-data.schema.json"), "{err}");
    // A bad flag value is a usage error too, naming what is wrong.
    let out = Command::new(bin())
        .args(["mock", "--fault", "status=200"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("400..=599"));
}

#[test]
fn the_banner_shows_the_data_file_s_ids_and_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.json");
    std::fs::write(
        &data,
        r#"{"groups":[{"id":"6a0000000000000000000009","clusters":[{"name":"Flexy","kind":"flex","snapshots":[{"id":"6b0000000000000000000009","status":"COMPLETED"}]}]}],
            "apiKeys":[{"publicKey":"filekey","privateKey":"file-secret"}],
            "clock":{"mode":"stepped","stepMs":500}, "sunset": true}"#,
    )
    .unwrap();
    let (mut child, banner, _rest) =
        spawn(&["--listen", "127.0.0.1:0", "--data", data.to_str().unwrap()]);
    assert!(
        banner.contains(
            "group 6a0000000000000000000009 flex cluster Flexy snapshot 6b0000000000000000000009"
        ),
        "{banner}"
    );
    assert!(!banner.contains("5b69d0349b15c62cdfc38b78"), "{banner}");
    assert!(banner.contains("public key:  filekey"), "{banner}");
    assert!(
        banner.contains("stepped: +500 ms per API request"),
        "{banner}"
    );
    assert!(banner.contains("sunset mode"), "{banner}");
    assert!(
        !banner.contains("M2/M5 tenant endpoint, v1.0"),
        "no tenant data: {banner}"
    );
    let (code, err) = sigterm(&mut child);
    assert_eq!(code, 0, "{err}");
}

/// The ready file's JSON.
fn ready_info(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn curl_downloads_a_cut_archive_and_resumes_it() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let (mut child, _banner, _rest) = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--ready-file",
        ready.to_str().unwrap(),
        "--archive-size",
        "3MiB",
        "--fault",
        "cut-after=1MiB,routes=snapshotArchive,limit=1",
    ]);
    let info = ready_info(&ready);
    let url = info["url"].as_str().unwrap();
    let user = format!(
        "{}:{}",
        info["publicKey"].as_str().unwrap(),
        info["privateKey"].as_str().unwrap()
    );
    let flex = &info["flex"];
    let post = format!(
        "{url}/api/atlas/v2/groups/{}/flexClusters/{}/backup/download",
        flex["groupId"].as_str().unwrap(),
        flex["clusterName"].as_str().unwrap()
    );
    let (code, text) = curl(&[
        "--digest",
        "--user",
        &user,
        "--header",
        "Accept: application/vnd.atlas.2024-11-13+json",
        "--header",
        "Content-Type: application/vnd.atlas.2024-11-13+json",
        "--data",
        &format!(
            "{{\"snapshotId\":\"{}\"}}",
            flex["snapshotId"].as_str().unwrap()
        ),
        &post,
    ]);
    assert_eq!(code, 200, "{text}");
    let body = &text[text.find("\r\n\r\n{").unwrap() + 4..];
    let job: Value = serde_json::from_str(body.trim()).unwrap();
    let link = job["snapshotUrl"].as_str().unwrap();
    let file = dir.path().join("snapshot.tgz");
    let f = file.to_str().unwrap();
    // Cut after 1 MiB (curl: 18, partial file), then resumed with a Range by curl -C -.
    let out = Command::new(tool("curl"))
        .args(["--silent", "--output", f, link])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(18));
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 1 << 20);
    let out = Command::new(tool("curl"))
        .args([
            "--silent",
            "--show-error",
            "--continue-at",
            "-",
            "--output",
            f,
            link,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes.len(), 3 << 20);
    // The same SHA-256 the mock reports, and gzip accepts it.
    let bearer = format!(
        "Authorization: Bearer {}",
        info["adminToken"].as_str().unwrap()
    );
    let (code, text) = curl(&[
        "--header",
        &bearer,
        &format!("{url}/__mock/downloads/{}", job["id"].as_str().unwrap()),
    ]);
    assert_eq!(code, 200, "{text}");
    let sha = {
        let out = Command::new(tool("sha256sum")).arg(&file).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    assert!(text.contains(&sha), "{sha}: {text}");
    let out = Command::new(tool("gzip"))
        .arg("-t")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // curl -r: a byte range, as 206 with Content-Range.
    let (code, text) = curl(&["--range", "100-199", link]);
    assert_eq!(code, 206, "{text}");
    assert!(
        text.to_lowercase()
            .contains("content-range: bytes 100-199/3145728"),
        "{text}"
    );
    let (code, err) = sigterm(&mut child);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn curl_gets_a_token_from_the_printed_line_and_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let (mut child, banner, _rest) = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--ready-file",
        ready.to_str().unwrap(),
        "--service-account",
        "mdb_sa_id_0123456789abcdef01234567:mdb_sa_sk_given::GROUP_READ_ONLY",
        "--token-lifetime",
        "10m",
    ]);
    // The id and secret beside the key pair, in the banner and the ready file.
    assert!(
        banner.contains("client id:     mdb_sa_id_0123456789abcdef01234567"),
        "{banner}"
    );
    assert!(
        banner.contains("client secret: mdb_sa_sk_given"),
        "{banner}"
    );
    let info = ready_info(&ready);
    assert_eq!(info["clientId"], "mdb_sa_id_0123456789abcdef01234567");
    assert_eq!(info["clientSecret"], "mdb_sa_sk_given");
    assert_eq!(
        info["serviceAccounts"][0]["roles"],
        serde_json::json!(["GROUP_READ_ONLY"])
    );
    // The printed curl line, pasted into a shell, gets a token.
    let line = banner
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("curl ") && l.contains("/api/oauth/token"))
        .expect("a token line")
        .to_owned();
    let out = Command::new(tool("sh"))
        .args(["-c", &format!("{line} --silent --show-error")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(token["expires_in"], 600);
    let t = token["access_token"].as_str().unwrap();
    // ... and a real curl uses it, on a flex and a dedicated snapshot.
    for (url, accept) in [
        (
            info["flex"]["url"].as_str().unwrap(),
            "application/vnd.atlas.2024-11-13+json",
        ),
        (
            info["dedicated"]["url"].as_str().unwrap(),
            "application/vnd.atlas.2023-01-01+json",
        ),
    ] {
        let (code, text) = curl(&[
            "--header",
            &format!("Authorization: Bearer {t}"),
            "--header",
            &format!("Accept: {accept}"),
            url,
        ]);
        assert_eq!(code, 200, "{url}: {text}");
    }
    // A read-only account cannot download: Atlas's answer for a missing role.
    let flex = &info["flex"];
    let post = format!(
        "{}/api/atlas/v2/groups/{}/flexClusters/{}/backup/download",
        info["url"].as_str().unwrap(),
        flex["groupId"].as_str().unwrap(),
        flex["clusterName"].as_str().unwrap()
    );
    let (code, text) = curl(&[
        "--header",
        &format!("Authorization: Bearer {t}"),
        "--header",
        "Accept: application/vnd.atlas.2024-11-13+json",
        "--header",
        "Content-Type: application/vnd.atlas.2024-11-13+json",
        "--data",
        "{}",
        &post,
    ]);
    assert_eq!(code, 401, "{text}");
    assert!(text.contains("USER_UNAUTHORIZED"), "{text}");
    let (code, err) = sigterm(&mut child);
    assert_eq!(code, 0, "{err}");
    // The secret given on the command line is warned about, never echoed in logs.
    assert!(err.contains("--service-account"), "{err}");
}
