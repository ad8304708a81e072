//! The `mock` command's entry point: banner, generated keys, CA file, and the printed curl line
//! working when pasted into a shell.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use atlas_mock::{MockError, ServeOptions, serve_until};
use common::*;

/// A `Write` the test can read while the server runs.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

async fn banner(
    opts: ServeOptions,
) -> Result<(
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), MockError>>,
    Shared,
)> {
    let out = Shared::default();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut w = out.clone();
    let task = tokio::spawn(async move {
        serve_until(opts, &mut w, async {
            let _ = rx.await;
        })
        .await
    });
    // A bound for a broken mock, not a timing claim.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while !out.text().contains("Ctrl-C") {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "no banner: {}",
            out.text()
        );
        anyhow::ensure!(!task.is_finished(), "server ended early: {}", out.text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((out.text(), tx, task, out))
}

fn pasted(line: &str) -> Result<String> {
    require_tool("curl")?;
    let sh = require_tool("sh")?;
    let out = std::process::Command::new(sh)
        .arg("-c")
        .arg(format!("{line} --silent --show-error"))
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "pasted line failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_curl_line_works_when_pasted() -> Result<()> {
    let (text, stop, task, out) = banner(ServeOptions::new("127.0.0.1:0".parse()?)).await?;
    assert!(
        text.contains("atlas-mock listening on http://127.0.0.1:"),
        "{text}"
    );
    let public = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("public key:"))
        .context("public key")?
        .trim()
        .to_owned();
    assert_eq!(public.len(), 8);
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("curl "))
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    // First the call that works for most users today: a flex snapshot.
    assert!(lines[0].contains("--digest") && lines[0].contains(&public));
    assert!(lines[0].contains("/flexClusters/FlexAWS/"), "{}", lines[0]);
    let response = pasted(&lines[0])?;
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    assert!(response.contains("HTTP/1.1 200 OK"), "{response}");
    assert!(
        response.contains("\"id\" : \"6740a1f2c3d4e5f6a7b8c901\""),
        "{response}"
    );
    // Then a service account's token (the client id and secret are printed beside the keys).
    let client_id = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("client id:"))
        .context("client id")?
        .split_whitespace()
        .next()
        .context("client id value")?
        .to_owned();
    assert!(client_id.starts_with("mdb_sa_id_"), "{text}");
    assert!(text.contains("client secret: mdb_sa_sk_"), "{text}");
    assert!(
        lines[1].contains(&client_id) && lines[1].contains("/api/oauth/token"),
        "{}",
        lines[1]
    );
    let token: serde_json::Value = serde_json::from_str(&pasted(&lines[1])?)?;
    assert_eq!(token["token_type"], "Bearer");
    // Then the seed document's own call, byte for byte.
    let response = pasted(&lines[2])?;
    assert!(response.contains("HTTP/1.1 200 OK"), "{response}");
    assert!(
        response.replace("\r\n", "\n").ends_with(SEED_PRETTY),
        "{response}"
    );
    stop.send(()).ok();
    task.await??;
    assert!(out.text().contains("shutting down"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_ca_out_keys_and_data_file() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("atlas-mock-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ca = dir.join("ca.pem");
    let data = dir.join("data.json");
    std::fs::write(&data, include_str!("fixtures/data.json"))?;
    let mut opts = ServeOptions::new("127.0.0.1:0".parse()?);
    opts.public_key = Some("given".into());
    opts.private_key = Some("given-private".into());
    opts.tls_ca_out = Some(ca.clone());
    opts.data = Some(data);
    let (text, stop, task, _) = banner(opts).await?;
    assert!(text.contains("https://127.0.0.1:"), "{text}");
    assert!(
        text.contains("given-private"),
        "the banner shows the keys to use"
    );
    assert!(std::fs::read_to_string(&ca)?.starts_with("-----BEGIN CERTIFICATE-----"));
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("curl "))
        .context("curl line")?
        .to_owned();
    assert!(line.contains("--cacert"));
    // The banner shows the data file's ids, not the seed's, and its curl line works.
    assert!(
        text.contains(
            "group 6a0000000000000000000001 flex cluster flex-one snapshot 6b0000000000000000000002"
        ),
        "{text}"
    );
    assert!(!text.contains("5b69d0349b15c62cdfc38b78"), "{text}");
    let response = pasted(&line)?;
    // curl negotiates HTTP/2 through ALPN here; digest works the same.
    assert!(
        response.contains("HTTP/2 401") && response.contains("HTTP/2 200"),
        "{response}"
    );
    assert!(response.contains("6b0000000000000000000002"), "{response}");
    stop.send(()).ok();
    task.await??;

    // Half a key pair is a configuration error; so is a missing data file.
    let mut half = ServeOptions::new("127.0.0.1:0".parse()?);
    half.public_key = Some("only".into());
    let r = serve_until(half, &mut Vec::new(), async {}).await;
    assert!(matches!(r, Err(MockError::InvalidConfig(_))));
    let mut missing = ServeOptions::new("127.0.0.1:0".parse()?);
    missing.data = Some(dir.join("nope.json"));
    assert!(matches!(
        serve_until(missing, &mut Vec::new(), async {}).await,
        Err(MockError::ReadFile { .. })
    ));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_line_and_ready_file_carry_the_service_account() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("atlas-mock-serve-sa-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ready = dir.join("ready.json");
    let mut opts = ServeOptions::new("127.0.0.1:0".parse()?);
    opts.announce = atlas_mock::Announce::JsonLines;
    opts.ready_file = Some(ready.clone());
    opts.service_accounts = vec![
        atlas_mock::ServiceAccount::new("mdb_sa_id_aaaaaaaaaaaaaaaaaaaaaaaa", "mdb_sa_sk_one"),
        atlas_mock::ServiceAccount::new("second", "two").roles([atlas_mock::Role::GroupReadOnly]),
    ];
    let out = Shared::default();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut w = out.clone();
    let task = tokio::spawn(async move {
        serve_until(opts, &mut w, async {
            let _ = rx.await;
        })
        .await
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while !out.text().contains('\n') {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "no JSON line");
        anyhow::ensure!(!task.is_finished(), "server ended early: {}", out.text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let line: serde_json::Value = serde_json::from_str(out.text().lines().next().unwrap())?;
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&ready)?)?;
    assert_eq!(line, file);
    assert_eq!(line["clientId"], "mdb_sa_id_aaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(line["clientSecret"], "mdb_sa_sk_one");
    assert_eq!(
        line["serviceAccounts"][1]["roles"],
        serde_json::json!(["GROUP_READ_ONLY"])
    );
    assert!(
        line["tokenUrl"]
            .as_str()
            .unwrap()
            .ends_with("/api/oauth/token")
    );
    tx.send(()).ok();
    task.await??;
    assert!(!ready.exists(), "removed on a clean stop");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
