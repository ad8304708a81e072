//! Foreign clients with a service account: a real `curl` gets a token from the mock (the line the
//! mock prints) and uses it, over HTTP and TLS; Python `requests` does client credentials, uses the
//! token, sees it expire on the mock clock and revokes one. A missing tool fails the test.

mod common;

use std::process::Command;

use anyhow::{Context, Result, bail};
use atlas_mock::{ClockMode, MockAtlas, seed};
use common::*;
use serde_json::Value;

fn sh(line: &str) -> Result<(i32, String)> {
    let out = Command::new(require_tool("sh")?)
        .args(["-c", line])
        .output()
        .context("running sh")?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

async fn curl_gets_and_uses_a_token(tls: bool) -> Result<()> {
    require_tool("curl")?;
    let mock = MockAtlas::builder().tls(tls).start().await?;
    let dir = std::env::temp_dir().join(format!(
        "atlas-mock-curl-oauth-{}-{tls}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    let ca = dir.join("ca.pem");
    if let Some(pem) = mock.ca_pem() {
        std::fs::write(&ca, pem)?;
    }
    // The very line the mock's banner prints.
    let line = mock.curl_token_example(tls.then_some(ca.as_path()));
    let (code, out) = sh(&format!("{line} --silent --show-error"))?;
    assert_eq!(code, 0, "{line}: {out}");
    let v: Value = serde_json::from_str(&out).with_context(|| out.clone())?;
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    let token = v["access_token"].as_str().context("no token")?;
    let mut get = vec![
        "--silent".to_owned(),
        "--show-error".to_owned(),
        "--header".to_owned(),
        format!("Authorization: Bearer {token}"),
        "--header".to_owned(),
        "Accept: application/vnd.atlas.2024-11-13+json".to_owned(),
    ];
    if tls {
        get.extend(["--cacert".to_owned(), ca.display().to_string()]);
    }
    get.push(mock.flex_snapshot_url());
    let out = Command::new(require_tool("curl")?).args(&get).output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["id"], seed::FLEX_SNAPSHOT_ID);
    let api: Vec<_> = mock
        .journal()
        .into_iter()
        .filter(|e| e.path.starts_with("/api/atlas/"))
        .collect();
    assert_eq!(api.len(), 1, "one request, no challenge");
    assert_eq!(api[0].status, 200);
    std::fs::remove_dir_all(&dir)?;
    mock.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_gets_a_token_and_uses_it() -> Result<()> {
    curl_gets_and_uses_a_token(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_gets_a_token_and_uses_it_over_tls() -> Result<()> {
    curl_gets_and_uses_a_token(true).await
}

const PYTHON_OAUTH: &str = r#"
import json, os, sys
try:
    import requests
except ImportError:
    sys.stderr.write("required tool `python3 -m requests` (the Python package `requests`) is not installed\n")
    sys.exit(3)
base, cid, secret = os.environ["BASE"], os.environ["ID"], os.environ["SECRET"]
def token():
    r = requests.post(base + "/api/oauth/token", auth=(cid, secret),
                      data={"grant_type": "client_credentials"}, headers={"Accept": "application/json"})
    return r.status_code, r.json()
code, t = token()
h = {"Authorization": "Bearer " + t["access_token"], "Accept": "application/vnd.atlas.2024-11-13+json"}
first = requests.get(os.environ["URL"], headers=h)
admin = {"Authorization": "Bearer " + os.environ["ADMIN"], "Content-Type": "application/json"}
requests.post(base + "/__mock/clock/advance", json={"seconds": t["expires_in"]}, headers=admin)
expired = requests.get(os.environ["URL"], headers=h)
_, t2 = token()
revoke = requests.post(base + "/api/oauth/revoke", auth=(cid, secret),
                       data={"token": t2["access_token"], "token_type_hint": "access_token"})
after = requests.get(os.environ["URL"], headers={**h, "Authorization": "Bearer " + t2["access_token"]})
bad = requests.post(base + "/api/oauth/token", auth=(cid, "wrong"), data={"grant_type": "client_credentials"})
print(json.dumps({"code": code, "first": first.status_code, "id": first.json().get("id"),
                  "expired": expired.status_code,
                  "challenge": expired.headers.get("WWW-Authenticate"),
                  "revoke": [revoke.status_code, revoke.text], "after": after.status_code,
                  "bad": [bad.status_code, bad.json()]}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_requests_does_client_credentials() -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .start()
        .await?;
    let sa = mock.service_account();
    let out = Command::new(require_tool("python3")?)
        .args(["-c", PYTHON_OAUTH])
        .env("BASE", mock.base_url())
        .env("ID", sa.client_id())
        .env("SECRET", sa.client_secret())
        .env("ADMIN", mock.admin_token())
        .env("URL", mock.flex_snapshot_url())
        .output()?;
    if !out.status.success() {
        bail!("python3 failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["code"], 200);
    assert_eq!(v["first"], 200);
    assert_eq!(v["id"], seed::FLEX_SNAPSHOT_ID);
    assert_eq!(v["expired"], 401);
    assert!(
        v["challenge"]
            .as_str()
            .is_some_and(|c| c.contains("invalid_token")),
        "{v}"
    );
    assert_eq!(v["revoke"], serde_json::json!([200, ""]));
    assert_eq!(v["after"], 401);
    assert_eq!(v["bad"][0], 401);
    assert_eq!(v["bad"][1]["error"], "invalid_client");
    mock.shutdown().await;
    Ok(())
}
