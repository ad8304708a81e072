//! Foreign clients on the flex download and restore routes: curl (digest POST, `-r` ranges, a cut
//! transfer resumed with `-C -`), `gzip -t`/`tar` on what it saved, and Python (`requests` for the
//! API, `urllib` for the link, `hashlib` and `tarfile` on the archive, the documented generator
//! rebuilt from scratch). A missing tool fails the test with its name.

mod common;

use std::process::Command;

use anyhow::{Context, Result, bail};
use atlas_mock::{ClockMode, Fault, FaultPlan, FaultRule, MockAtlas, MockHandle, RouteKind, seed};
use common::*;
use serde_json::Value;

fn user(mock: &MockHandle) -> String {
    format!("{}:{}", mock.public_key(), mock.private_key())
}

/// curl with `args`; returns (exit code, stdout, stderr).
fn curl(args: &[&str]) -> Result<(i32, Vec<u8>, String)> {
    let tool = require_tool("curl")?;
    let out = Command::new(tool)
        .args(["--silent", "--show-error"])
        .args(args)
        .output()
        .context("running curl")?;
    Ok((
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn download_url(mock: &MockHandle) -> Result<String> {
    let url = format!(
        "{}{}",
        mock.base_url(),
        flex_backup(seed::GROUP_ID, seed::FLEX_CLUSTER_NAME, "download")
    );
    let (code, out, err) = curl(&[
        "--digest",
        "--user",
        &user(mock),
        "--header",
        "Accept: application/vnd.atlas.2024-11-13+json",
        "--header",
        "Content-Type: application/vnd.atlas.2024-11-13+json",
        "--data",
        &format!("{{\"snapshotId\":\"{}\"}}", seed::FLEX_SNAPSHOT_ID),
        &url,
    ])?;
    if code != 0 {
        bail!("curl POST download failed ({code}): {err}");
    }
    let v: Value = serde_json::from_slice(&out)?;
    Ok(v["snapshotUrl"]
        .as_str()
        .context("no snapshotUrl")?
        .to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_downloads_ranges_and_resumes_a_cut_transfer() -> Result<()> {
    let plan = FaultPlan::new(3).rule(
        FaultRule::new(Fault::CutAfter(400_000))?
            .on([RouteKind::SnapshotArchive])
            .limit(1),
    );
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .faults(plan)
        .start()
        .await?;
    let url = download_url(&mock)?;
    let dir = std::env::temp_dir().join(format!("atlas-mock-curl-dl-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("snapshot.tgz");
    let f = file.display().to_string();

    // The first transfer is cut: curl says so (18: partial file) and keeps what it got.
    let (code, _, err) = curl(&["--output", &f, &url])?;
    assert_eq!(code, 18, "curl should report a partial transfer: {err}");
    assert_eq!(std::fs::metadata(&file)?.len(), 400_000);
    // `-C -` resumes with a Range from the file's size; the archive is whole and checks out.
    let (code, _, err) = curl(&["--continue-at", "-", "--output", &f, &url])?;
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&file)?;
    assert_eq!(bytes.len() as u64, atlas_mock::DEFAULT_ARCHIVE_BYTES);
    assert_eq!(sha256_hex(&bytes), seed::FLEX_ARCHIVE_SHA256);
    let resumed = mock
        .journal()
        .into_iter()
        .rfind(|e| e.path.starts_with("/flex-snapshot-downloads/"))
        .context("no archive request")?;
    assert_eq!(resumed.request_header("range"), Some("bytes=400000-"));
    assert_eq!(resumed.status, 206);
    // gzip and tar accept it.
    for (tool, args) in [
        ("gzip", vec!["-t", f.as_str()]),
        ("tar", vec!["-tzf", f.as_str()]),
    ] {
        let out = Command::new(require_tool(tool)?).args(&args).output()?;
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if tool == "tar" {
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                format!("restore-{}/snapshot.bin", seed::FLEX_SNAPSHOT_ID)
            );
        }
    }
    // curl -r: a byte range, and 416 beyond the end.
    let (code, part, err) = curl(&["--range", "1000-1999", &url])?;
    assert_eq!(code, 0, "{err}");
    assert_eq!(&part[..], &bytes[1000..2000]);
    let (_, out, _) = curl(&["--range", "2000000-", "--write-out", "\n%{http_code}", &url])?;
    let text = String::from_utf8_lossy(&out);
    assert!(text.ends_with("\n416"), "{text}");
    assert!(text.contains("<Code>InvalidRange</Code>"), "{text}");
    // curl sending the digest credentials to the link (a misuse): refused.
    let (_, out, _) = curl(&[
        "--user",
        &user(&mock),
        "--basic",
        "--write-out",
        "\n%{http_code}",
        &url,
    ])?;
    let text = String::from_utf8_lossy(&out);
    assert!(text.ends_with("\n400"), "{text}");
    std::fs::remove_dir_all(&dir)?;
    mock.shutdown().await;
    Ok(())
}

const PYTHON_DOWNLOAD: &str = r#"
import hashlib, io, json, os, sys, tarfile, urllib.error, urllib.request
try:
    import requests
    from requests.auth import HTTPDigestAuth
except ImportError:
    sys.stderr.write("required tool `python3 -m requests` (the Python package `requests`) is not installed\n")
    sys.exit(3)
V = "application/vnd.atlas.2024-11-13+json"
auth = HTTPDigestAuth(os.environ["PUB"], os.environ["PRIV"])
api = os.environ["API"]
job = requests.post(api + "/download", json={"snapshotId": os.environ["SNAP"]}, auth=auth,
                    headers={"Accept": V, "Content-Type": V}).json()
url = job["snapshotUrl"]
# The link with the standard library only, in two ranged halves.
def get(rng):
    req = urllib.request.Request(url, headers={"Range": rng} if rng else {})
    with urllib.request.urlopen(req) as r:
        return r.status, r.headers.get("Content-Range"), r.read()
s1, cr1, a = get("bytes=0-499999")
s2, cr2, b = get("bytes=500000-")
data = a + b
# The documented generator, rebuilt: the tar member's bytes are SplitMix64 words of the seed.
M = (1 << 64) - 1
def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
seed = 0xcbf29ce484222325
for ch in os.environ["SNAP"].encode():
    seed = ((seed ^ ch) * 0x100000001b3) & M
member = tarfile.open(fileobj=io.BytesIO(data)).getmembers()[0]
content = tarfile.open(fileobj=io.BytesIO(data)).extractfile(member).read()
words = len(content) // 8
expected = b"".join(mix((seed + (w + 1) * 0x9E3779B97F4A7C15) & M).to_bytes(8, "little") for w in range(words))
# An expired link after the mock clock moves 4 hours.
admin = {"Authorization": "Bearer " + os.environ["ADMIN"], "Content-Type": "application/json"}
requests.post(os.environ["BASE"] + "/__mock/clock/advance", json={"seconds": 4 * 3600}, headers=admin)
try:
    get(None)
    expired = None
except urllib.error.HTTPError as e:
    expired = [e.code, e.headers.get("Content-Type"), e.read().decode()]
print(json.dumps({"statuses": [s1, s2], "ranges": [cr1, cr2], "sha256": hashlib.sha256(data).hexdigest(),
                  "member": member.name, "size": member.size, "generator": content == expected,
                  "expired": expired}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_downloads_and_rebuilds_the_archive() -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .start()
        .await?;
    let tool = require_tool("python3")?;
    let out = Command::new(tool)
        .args(["-c", PYTHON_DOWNLOAD])
        .env("PUB", mock.public_key())
        .env("PRIV", mock.private_key())
        .env("ADMIN", mock.admin_token())
        .env("BASE", mock.base_url())
        .env("SNAP", seed::FLEX_SNAPSHOT_ID)
        .env(
            "API",
            format!(
                "{}/api/atlas/v2/groups/{}/flexClusters/{}/backup",
                mock.base_url(),
                seed::GROUP_ID,
                seed::FLEX_CLUSTER_NAME
            ),
        )
        .output()?;
    if !out.status.success() {
        bail!("python3 failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["statuses"], serde_json::json!([206, 206]));
    assert_eq!(
        v["ranges"],
        serde_json::json!(["bytes 0-499999/1048576", "bytes 500000-1048575/1048576"])
    );
    assert_eq!(v["sha256"], seed::FLEX_ARCHIVE_SHA256);
    assert_eq!(
        v["member"],
        format!("restore-{}/snapshot.bin", seed::FLEX_SNAPSHOT_ID)
    );
    assert_eq!(v["generator"], true);
    assert_eq!(v["expired"][0], 403);
    assert_eq!(v["expired"][1], "application/xml");
    assert!(
        v["expired"][2]
            .as_str()
            .is_some_and(|s| s.contains("Request has expired")),
        "{v}"
    );
    mock.shutdown().await;
    Ok(())
}
