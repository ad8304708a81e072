//! Foreign clients against the mock: curl, Python's urllib digest handler, Python requests.
//! A missing tool fails the test with a message naming it (CI installs them).

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use atlas_mock::{
    AuthenticationInfo, ClockMode, DigestSettings, Fault, FaultPlan, FaultRule, MockAtlas,
    MockHandle, RouteKind, seed,
};
use common::*;
use serde_json::Value;

fn run(cmd: &mut Command) -> Result<Output> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    Ok(out)
}

/// Runs curl with `args`, returns (body, HTTP status of the last response).
fn curl(args: &[&str]) -> Result<(String, u16)> {
    let tool = require_tool("curl")?;
    let out = run(Command::new(tool)
        .args(["--silent", "--show-error", "--write-out", "\n%{http_code}"])
        .args(args))?;
    if !out.status.success() {
        bail!(
            "curl failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8(out.stdout)?;
    let (body, code) = text.rsplit_once('\n').context("no status line")?;
    Ok((body.to_owned(), code.trim().parse()?))
}

fn user(mock: &MockHandle) -> String {
    format!("{}:{}", mock.public_key(), mock.private_key())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_digest() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let url = mock.seed_snapshot_url();
    let u = user(&mock);

    let (body, code) = curl(&["--digest", "--user", &u, &format!("{url}?pretty=true")])?;
    assert_eq!(code, 200);
    assert_eq!(body, SEED_PRETTY);

    let (body, code) = curl(&["--digest", "--user", &u, &url])?;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body)?;
    assert_eq!(v["status"], "FAILED");
    assert_eq!(v["mongoDBVersion"], "4.2.7");

    let (body, code) = curl(&["--digest", "--user", &u, &format!("{url}?envelope=true")])?;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body)?;
    assert_eq!(v["status"], 200);
    assert_eq!(v["content"]["id"], seed::SNAPSHOT_ID);

    let missing = format!(
        "{}/api/atlas/v1.0/groups/{}/clusters/M2AWS/backup/tenant/snapshots/ffffffffffffffffffffffff?envelope=true",
        mock.base_url(),
        seed::GROUP_ID
    );
    let (body, code) = curl(&["--digest", "--user", &u, &missing])?;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body)?;
    assert_eq!(v["status"], 404);

    let v2 = format!(
        "{}/api/atlas/v2/groups/{}/clusters/M2AWS/backup/tenant/snapshots?itemsPerPage=2",
        mock.base_url(),
        seed::GROUP_ID
    );
    let (body, code) = curl(&[
        "--digest",
        "--user",
        &u,
        "--header",
        "Accept: application/vnd.atlas.2023-01-01+json",
        &v2,
    ])?;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body)?;
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    let (_, code) = curl(&["--digest", "--user", &u, &v2])?;
    assert_eq!(code, 406);

    let wrong = format!("{}:wrong-password", mock.public_key());
    let (body, code) = curl(&["--digest", "--user", &wrong, &url])?;
    assert_eq!(code, 401);
    assert_eq!(serde_json::from_str::<Value>(&body)?["error"], 401);

    // Two credentialed requests with the wrong password were refused, none with the right one.
    let j = mock.journal();
    assert!(j.iter().any(|e| e.status == 401 && e.had_credentials));
    mock.shutdown().await;
    Ok(())
}

/// The header block of each answer curl saw (`--dump-header -`), in order, names lower-cased.
fn curl_header_blocks(args: &[&str]) -> Result<Vec<Vec<(String, String)>>> {
    let tool = require_tool("curl")?;
    let out = run(Command::new(tool)
        .args([
            "--silent",
            "--show-error",
            "--dump-header",
            "-",
            "--output",
            "/dev/null",
        ])
        .args(args))?;
    if !out.status.success() {
        bail!(
            "curl failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8(out.stdout)?;
    Ok(text
        .split("\r\n\r\n")
        .filter(|b| b.starts_with("HTTP/"))
        .map(|b| {
            b.lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect()
        })
        .collect())
}

/// curl's `--digest` answer from the default mock carries no `Authentication-Info` (Atlas sends
/// none); with `AuthenticationInfo::Send` it does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_digest_gets_no_authentication_info_by_default() -> Result<()> {
    for info in [AuthenticationInfo::Omit, AuthenticationInfo::Send] {
        let mock = MockAtlas::builder()
            .digest(DigestSettings::default().authentication_info(info))
            .start()
            .await?;
        let u = user(&mock);
        let blocks = curl_header_blocks(&["--digest", "--user", &u, &mock.seed_snapshot_url()])?;
        assert_eq!(
            blocks.len(),
            2,
            "the challenge, then the answer: {blocks:?}"
        );
        let names =
            |b: &Vec<(String, String)>| b.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        assert!(names(&blocks[0]).contains(&"www-authenticate".to_owned()));
        let answer = &blocks[1];
        let auth_info = answer.iter().find(|(k, _)| k == "authentication-info");
        match info {
            AuthenticationInfo::Omit => {
                assert_eq!(auth_info, None, "{answer:?}");
                // Headers the seed document's 200 shows too.
                for h in ["content-type", "content-length", "date"] {
                    assert!(names(answer).contains(&h.to_owned()), "{h}: {answer:?}");
                }
            }
            AuthenticationInfo::Send => {
                assert!(
                    auth_info.is_some_and(|(_, v)| v.contains("rspauth=\"")),
                    "{answer:?}"
                );
            }
        }
        assert_eq!(mock.journal().iter().filter(|e| e.status == 200).count(), 1);
        mock.shutdown().await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_recovers_from_a_stale_nonce() -> Result<()> {
    // A manual clock, and a fault that moves it 10 minutes forward when curl's credentialed request
    // arrives (before verification): its nonce (300 s) is then stale, exactly, on every run. curl
    // answers the new challenge.
    let plan = FaultPlan::new(1).rule(
        FaultRule::new(Fault::ClockAdvance(Duration::from_secs(600)))?
            .on([RouteKind::TenantV1Get])
            .skip(1)
            .limit(1),
    );
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .faults(plan)
        .start()
        .await?;
    let (body, code) = curl(&[
        "--digest",
        "--user",
        &user(&mock),
        &mock.seed_snapshot_url(),
    ])?;
    assert_eq!(code, 200, "{body}");
    let j = mock.journal();
    let statuses: Vec<(u16, bool)> = j.iter().map(|e| (e.status, e.had_credentials)).collect();
    assert_eq!(statuses, [(401, false), (401, true), (200, true)], "{j:#?}");
    assert!(
        j[1].error
            .as_deref()
            .is_some_and(|e| e.to_lowercase().contains("stale")),
        "{:?}",
        j[1]
    );
    assert!(
        j[1].response_header("www-authenticate")
            .is_some_and(|c| c.contains("stale=true")),
        "{:?}",
        j[1]
    );
    assert_eq!(j[1].fault.as_deref(), Some("clock:+600000ms"));
    mock.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_over_tls_with_the_ca_file() -> Result<()> {
    let mock = MockAtlas::builder().tls(true).start().await?;
    let dir = std::env::temp_dir().join(format!("atlas-mock-curl-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, mock.ca_pem().unwrap())?;
    let (body, code) = curl(&[
        "--digest",
        "--user",
        &user(&mock),
        "--cacert",
        ca.to_str().unwrap(),
        &format!("{}?pretty=true", mock.seed_snapshot_url()),
    ])?;
    assert_eq!(code, 200);
    assert_eq!(body, SEED_PRETTY);
    // also by name: the certificate covers localhost
    let by_name = mock.seed_snapshot_url().replace("127.0.0.1", "localhost");
    let (_, code) = curl(&[
        "--digest",
        "--user",
        &user(&mock),
        "--cacert",
        ca.to_str().unwrap(),
        &by_name,
    ])?;
    assert_eq!(code, 200);
    // and without the CA curl refuses
    let tool = require_tool("curl")?;
    let out = run(Command::new(tool).args([
        "--silent",
        "--digest",
        "--user",
        &user(&mock),
        &mock.seed_snapshot_url(),
    ]))?;
    assert!(!out.status.success());
    std::fs::remove_dir_all(&dir)?;
    mock.shutdown().await;
    Ok(())
}

const URLLIB: &str = r#"
import json, os, urllib.request, urllib.error
mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
mgr.add_password(None, os.environ["BASE"], os.environ["PUB"], os.environ["PRIV"])
opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(mgr))
out = []
for url, accept in json.loads(os.environ["REQS"]):
    req = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with opener.open(req) as r:
            out.append({"status": r.status, "body": json.load(r), "ctype": r.headers["Content-Type"]})
    except urllib.error.HTTPError as e:
        out.append({"status": e.code, "body": json.load(e), "ctype": e.headers["Content-Type"]})
print(json.dumps(out))
"#;

fn python(script: &str, env: &[(&str, String)]) -> Result<Value> {
    let tool = require_tool("python3")?;
    let mut cmd = Command::new(tool);
    cmd.arg("-c").arg(script);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(&mut cmd)?;
    if !out.status.success() {
        bail!(
            "python3 failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_urllib_digest_handler() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let base = mock.base_url().to_owned();
    let reqs = serde_json::json!([
        [mock.seed_snapshot_url(), "application/json"],
        [
            format!("{base}{}", v2_list(seed::GROUP_ID, seed::CLUSTER_NAME)),
            "application/vnd.atlas.2023-01-01+json"
        ],
        [
            format!(
                "{base}{}",
                flex_snapshot(
                    seed::GROUP_ID,
                    seed::FLEX_CLUSTER_NAME,
                    seed::FLEX_SNAPSHOT_ID
                )
            ),
            "application/vnd.atlas.2024-11-13+json"
        ],
        [
            format!(
                "{base}{}",
                v1_snapshot(
                    seed::GROUP_ID,
                    seed::CLUSTER_NAME,
                    "ffffffffffffffffffffffff"
                )
            ),
            "application/json"
        ],
    ]);
    let out = python(
        URLLIB,
        &[
            ("BASE", base.clone()),
            ("PUB", mock.public_key().to_owned()),
            ("PRIV", mock.private_key().to_owned()),
            ("REQS", reqs.to_string()),
        ],
    )?;
    assert_eq!(out[0]["status"], 200);
    assert_eq!(out[0]["body"]["status"], "FAILED");
    assert_eq!(out[0]["ctype"], "application/json");
    assert_eq!(out[1]["status"], 200);
    assert_eq!(out[1]["body"]["totalCount"], seed::SNAPSHOTS_PER_CLUSTER);
    assert_eq!(out[1]["ctype"], "application/vnd.atlas.2023-01-01+json");
    assert_eq!(out[2]["status"], 200);
    assert_eq!(out[2]["body"]["id"], seed::FLEX_SNAPSHOT_ID);
    assert_eq!(out[3]["status"], 404);
    assert_eq!(out[3]["body"]["errorCode"], "BACKUP_SNAPSHOT_NOT_FOUND");
    // urllib authenticates every request from scratch (no nonce reuse): one challenge each.
    let j = mock.journal();
    assert_eq!(
        j.iter()
            .filter(|e| e.status == 401 && !e.had_credentials)
            .count(),
        4
    );
    assert!(
        j.iter()
            .filter(|e| e.had_credentials)
            .all(|e| e.key.as_deref() == Some(mock.public_key()))
    );
    mock.shutdown().await;
    Ok(())
}

const REQUESTS_SESSION: &str = r#"
import json, os, sys
try:
    import requests
    from requests.auth import HTTPDigestAuth
except ImportError:
    sys.stderr.write("required tool `python3 -m requests` (the Python package `requests`) is not installed\n")
    sys.exit(3)
s = requests.Session()
s.auth = HTTPDigestAuth(os.environ["PUB"], os.environ["PRIV"])
verify = os.environ.get("CA") or True
codes = []
for i in range(int(os.environ["N"])):
    r = s.get(os.environ["URL"], verify=verify)
    codes.append(r.status_code)
    last = r.json()
print(json.dumps({"codes": codes, "last": last, "auth_info": r.headers.get("Authentication-Info")}))
"#;

/// Python requests, `n` gets on one session, with the mock sending `Authentication-Info` as
/// `info` says (requests ignores it either way).
async fn requests_session(tls: bool, info: AuthenticationInfo) -> Result<()> {
    let mock = MockAtlas::builder()
        .tls(tls)
        .digest(DigestSettings::default().authentication_info(info))
        .start()
        .await?;
    let dir = std::env::temp_dir().join(format!(
        "atlas-mock-requests-{}-{tls}-{info:?}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    let ca = dir.join("ca.pem");
    if let Some(pem) = mock.ca_pem() {
        std::fs::write(&ca, pem)?;
    }
    let n = 50;
    let out = python(
        REQUESTS_SESSION,
        &[
            ("URL", mock.seed_snapshot_url()),
            ("PUB", mock.public_key().to_owned()),
            ("PRIV", mock.private_key().to_owned()),
            ("N", n.to_string()),
            (
                "CA",
                if tls {
                    ca.display().to_string()
                } else {
                    String::new()
                },
            ),
        ],
    )?;
    let codes = out["codes"].as_array().unwrap();
    assert_eq!(codes.len(), n);
    assert!(codes.iter().all(|c| c == 200), "{codes:?}");
    assert_eq!(out["last"]["id"], seed::SNAPSHOT_ID);
    match info {
        AuthenticationInfo::Omit => assert!(out["auth_info"].is_null(), "{out}"),
        AuthenticationInfo::Send => assert!(
            out["auth_info"]
                .as_str()
                .is_some_and(|a| a.contains("rspauth")),
            "{out}"
        ),
    }
    // Nonce reuse accepted: one challenge, then every request authorized up front with nc + 1.
    let j = mock.journal();
    assert_eq!(j.iter().filter(|e| e.status == 401).count(), 1, "{j:#?}");
    assert_eq!(j.iter().filter(|e| e.status == 200).count(), n);
    assert_eq!(mock.stats().digest_nonces, 1);
    std::fs::remove_dir_all(&dir)?;
    mock.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_requests_session_reuses_the_nonce() -> Result<()> {
    requests_session(false, AuthenticationInfo::Omit).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_requests_session_with_authentication_info() -> Result<()> {
    requests_session(false, AuthenticationInfo::Send).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_requests_session_over_tls() -> Result<()> {
    requests_session(true, AuthenticationInfo::Omit).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_and_requests_with_sha256_offered_first() -> Result<()> {
    use atlas_digest::Algorithm;
    let mock = MockAtlas::builder()
        .digest(DigestSettings::default().algorithms([Algorithm::Md5, Algorithm::Sha256]))
        .start()
        .await?;
    // Both challenges are sent, SHA-256 first; curl and requests answer the first one.
    let tool = require_tool("curl")?;
    let out = run(Command::new(tool).args([
        "--silent",
        "--show-error",
        "--verbose",
        "--digest",
        "--user",
        &user(&mock),
        &mock.seed_snapshot_url(),
    ]))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("algorithm=SHA-256"), "{stderr}");
    assert!(stderr.contains("HTTP/1.1 200"), "{stderr}");
    let body: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(body["id"], seed::SNAPSHOT_ID);
    let out = python(
        REQUESTS_SESSION,
        &[
            ("URL", mock.seed_snapshot_url()),
            ("PUB", mock.public_key().to_owned()),
            ("PRIV", mock.private_key().to_owned()),
            ("N", "3".to_owned()),
            ("CA", String::new()),
        ],
    )?;
    assert_eq!(out["codes"], serde_json::json!([200, 200, 200]));
    mock.shutdown().await;
    Ok(())
}
