//! The admin API drives everything a test needs: data with server-chosen ids, the mock clock, faults,
//! the sunset switch, and a journal that shows request and response headers.

mod common;

use anyhow::Result;
use atlas_mock::{AuthenticationInfo, ClockMode, DigestSettings, MockAtlas, seed};
use common::*;
use http::{Method, StatusCode};
use serde_json::{Value, json};

const G: &str = seed::GROUP_ID;

#[tokio::test]
async fn create_data_and_drive_a_lifecycle_with_the_clock() -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .start()
        .await?;
    let (s, group) = admin(&mock, Method::POST, "/__mock/groups", Some(json!({}))).await?;
    assert_eq!(s, StatusCode::CREATED, "{group}");
    let g = group["id"].as_str().unwrap().to_owned();
    assert_eq!(g.len(), 24);
    let (s, cluster) = admin(
        &mock,
        Method::POST,
        &format!("/__mock/groups/{g}/clusters"),
        Some(json!({"kind": "flex"})),
    )
    .await?;
    assert_eq!(s, StatusCode::CREATED, "{cluster}");
    assert_eq!(cluster["name"], "Cluster0");
    let (s, snap) = admin(
        &mock,
        Method::POST,
        &format!("/__mock/groups/{g}/clusters/Cluster0/snapshots"),
        Some(json!({
            "mongoDBVersion": "8.0.4",
            "lifecycle": {"queuedAfterMs": 1000, "runningAfterMs": 61_000, "doneAfterMs": 3_600_000, "outcome": "COMPLETED"}
        })),
    )
    .await?;
    assert_eq!(s, StatusCode::CREATED, "{snap}");
    assert_eq!(snap["status"], "PENDING");
    let id = snap["id"].as_str().unwrap().to_owned();
    let mut c = Client::new(&mock).await?;
    let target = flex_snapshot(&g, "Cluster0", &id);
    let mut seen = Vec::new();
    for advance_ms in [0, 1000, 60_000, 3_539_000] {
        let (s, clock) = admin(
            &mock,
            Method::POST,
            "/__mock/clock/advance",
            Some(json!({"ms": advance_ms})),
        )
        .await?;
        assert_eq!(s, StatusCode::OK, "{clock}");
        let v = c.get_with(&target, &[V2_FLEX]).await?.json();
        seen.push(v["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, ["PENDING", "QUEUED", "RUNNING", "COMPLETED"]);
    let (_, clock) = admin(&mock, Method::GET, "/__mock/clock", None).await?;
    assert_eq!(clock["elapsedMs"], 3_600_000);
    assert_eq!(clock["mode"], json!({"mode": "manual"}));
    // The clock's mode can change at run time, and `seconds` works too.
    let (s, _) = admin(
        &mock,
        Method::PUT,
        "/__mock/clock",
        Some(json!({"mode": "realTime"})),
    )
    .await?;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mock.clock().mode(), ClockMode::RealTime);
    let (s, bad) = admin(
        &mock,
        Method::POST,
        "/__mock/clock/advance",
        Some(json!({"minutes": 5})),
    )
    .await?;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        bad["detail"].as_str().unwrap().contains("`minutes`"),
        "{bad}"
    );
    // Duplicates and unknown places are refused with a code.
    let (s, _) = admin(
        &mock,
        Method::POST,
        "/__mock/groups",
        Some(json!({"id": g})),
    )
    .await?;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = admin(
        &mock,
        Method::POST,
        "/__mock/groups/ffffffffffffffffffffffff/clusters",
        Some(json!({})),
    )
    .await?;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = admin(
        &mock,
        Method::POST,
        &format!("/__mock/groups/{g}/clusters/Cluster0/snapshots"),
        Some(json!({"mongoDbVersion": "8"})),
    )
    .await?;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e["detail"].as_str().unwrap().contains("mongoDbVersion"),
        "{e}"
    );
    // GET /__mock/data shows what was created.
    let (_, data) = admin(&mock, Method::GET, "/__mock/data", None).await?;
    let created = data["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == g)
        .unwrap();
    assert_eq!(created["clusters"][0]["snapshots"][0]["id"], id);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn faults_and_sunset_change_at_run_time() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let mut c = Client::new(&mock).await?;
    let target = flex_list(G, seed::FLEX_CLUSTER_NAME);
    let plan = json!({"seed": 1, "rules": [
        {"fault": {"kind": "status", "status": 503}, "path": "/api/atlas/v2/groups/*/flexClusters/**", "limit": 2}
    ]});
    let (s, v) = admin(&mock, Method::PUT, "/__mock/faults", Some(plan)).await?;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(c.get_with(&target, &[V2_FLEX]).await?.status.as_u16());
    }
    assert_eq!(statuses, [503, 503, 200]);
    // The tenant path does not match the pattern.
    let r = c.get(&v1_list(G, seed::CLUSTER_NAME)).await?;
    assert_eq!(r.status, StatusCode::OK);
    let (_, v) = admin(&mock, Method::GET, "/__mock/faults", None).await?;
    // Three requests matched; the fault fired twice, its limit.
    assert_eq!(v["counters"], json!([{"matched": 3, "fired": 2}]));
    assert_eq!(v["plan"]["rules"][0]["limit"], 2);
    let (s, e) = admin(
        &mock,
        Method::PUT,
        "/__mock/faults",
        Some(json!({"rules": [{"fault": {"kind": "status", "status": 200}}]})),
    )
    .await?;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["detail"].as_str().unwrap().contains("400..=599"), "{e}");
    let (s, v) = admin(&mock, Method::DELETE, "/__mock/faults", None).await?;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["plan"]["rules"], json!([]));

    let (s, _) = admin(
        &mock,
        Method::PUT,
        "/__mock/sunset",
        Some(json!({"sunset": true})),
    )
    .await?;
    assert_eq!(s, StatusCode::OK);
    let r = c.get(&v1_list(G, seed::CLUSTER_NAME)).await?;
    assert_eq!(r.status, StatusCode::GONE);
    let (_, v) = admin(&mock, Method::GET, "/__mock/sunset", None).await?;
    assert_eq!(v, json!({"sunset": true}));
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_journal_shows_headers_filters_and_resets() -> Result<()> {
    // With `Authentication-Info` sent, to see that the journal keeps it among the response headers.
    let mock = MockAtlas::builder()
        .digest(DigestSettings::default().authentication_info(AuthenticationInfo::Send))
        .start()
        .await?;
    let mut c = Client::new(&mock).await?.expect_authentication_info();
    c.get_with(
        &flex_list(G, seed::FLEX_CLUSTER_NAME),
        &[V2_FLEX, ("user-agent", "pytest-like/1.0")],
    )
    .await?;
    let (_, j) = admin(&mock, Method::GET, "/__mock/journal", None).await?;
    let j = j.as_array().unwrap();
    assert_eq!(j.len(), 2);
    let header = |e: &Value, list: &str, name: &str| -> Option<String> {
        e[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p[0] == name)
            .map(|p| p[1].as_str().unwrap().to_owned())
    };
    // The challenge, then the authorized request.
    assert_eq!(j[0]["status"], 401);
    assert!(j[0]["auth"].is_null());
    assert!(
        header(&j[0], "responseHeaders", "www-authenticate")
            .unwrap()
            .starts_with("Digest realm=\"MMS Public API\"")
    );
    assert_eq!(j[1]["status"], 200);
    assert_eq!(
        header(&j[1], "requestHeaders", "accept").as_deref(),
        Some("application/vnd.atlas.2024-11-13+json")
    );
    assert_eq!(
        header(&j[1], "requestHeaders", "user-agent").as_deref(),
        Some("pytest-like/1.0")
    );
    assert!(header(&j[1], "requestHeaders", "authorization").is_none());
    assert_eq!(j[1]["auth"]["scheme"], "Digest");
    assert_eq!(j[1]["auth"]["nc"], 1);
    assert_eq!(j[1]["auth"]["algorithm"], "MD5");
    assert_eq!(j[1]["auth"]["qop"], "auth");
    assert_eq!(j[1]["auth"]["username"], mock.public_key());
    assert!(
        header(&j[1], "responseHeaders", "authentication-info")
            .unwrap()
            .contains("rspauth=")
    );
    // since=SEQ gives what came after.
    let first = j[0]["seq"].as_u64().unwrap();
    let (_, later) = admin(
        &mock,
        Method::GET,
        &format!("/__mock/journal?since={first}"),
        None,
    )
    .await?;
    assert_eq!(later.as_array().unwrap().len(), 1);
    let (s, _) = admin(&mock, Method::GET, "/__mock/journal?since=x", None).await?;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Reset.
    let (_, v) = admin(&mock, Method::DELETE, "/__mock/journal", None).await?;
    assert_eq!(v["removed"], 2);
    assert!(mock.journal().is_empty());
    c.get_with(&flex_list(G, seed::FLEX_CLUSTER_NAME), &[V2_FLEX])
        .await?;
    assert_eq!(mock.journal()[0].seq, 3, "sequence numbers go on");
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_web_page_cannot_drive_the_mock() -> Result<()> {
    // The attack: a text/plain POST with a foreign Origin and Host, no token.
    let mock = MockAtlas::builder().start().await?;
    let mut raw = Conn::open(&mock).await?;
    let body = bytes::Bytes::from(
        json!({"groupId": G, "clusterName": seed::CLUSTER_NAME, "snapshot": {"id": "cccccccccccccccccccccccc"}})
            .to_string(),
    );
    for headers in [
        vec![
            ("origin", "http://evil.example"),
            ("host", "evil.example:8080"),
            ("content-type", "text/plain"),
        ],
        vec![
            ("origin", "http://evil.example"),
            ("content-type", "text/plain"),
        ],
        vec![
            ("host", "evil.example:8080"),
            ("content-type", "application/json"),
        ],
        vec![("content-type", "text/plain")],
        vec![("content-type", "application/json")],
    ] {
        let r = raw
            .send_body(
                Method::POST,
                "/__mock/snapshots",
                &headers,
                None,
                body.clone(),
            )
            .await?;
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::UNAUTHORIZED,
            "{headers:?}: {}",
            r.status
        );
        assert!(r.header("x-error-code").unwrap().starts_with("ADMIN_"));
    }
    // Nothing was created; the journal (by DNS rebinding) is refused too.
    let mut c = Client::new(&mock).await?;
    let r = c
        .get(&v1_snapshot(
            G,
            seed::CLUSTER_NAME,
            "cccccccccccccccccccccccc",
        ))
        .await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let token = format!("Bearer {}", mock.admin_token());
    let r = raw
        .send(
            Method::GET,
            "/__mock/journal",
            &[("host", "rebound.example:80"), ("authorization", &token)],
            None,
        )
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.header("x-error-code"), Some("ADMIN_HOST_REFUSED"));
    // localhost with the mock's port is the mock itself.
    let host = format!("localhost:{}", mock.addr().port());
    let r = raw
        .send(
            Method::GET,
            "/__mock/journal",
            &[("host", &host), ("authorization", &token)],
            None,
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    mock.shutdown().await;
    Ok(())
}
