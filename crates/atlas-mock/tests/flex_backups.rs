//! Flex downloads and restore jobs with our own client (atlas-digest + plain hyper): the pre-signed
//! link (Range, If-Range, 416, HEAD, expiry on the mock clock, refused credentials, a cut transfer
//! and its resume), restore lifecycles on the mock clock, paging, roles, and every error.

mod common;

use std::time::Duration;

use anyhow::Result;
use atlas_mock::{
    ApiKey, ClockMode, DownloadSettings, Fault, FaultPlan, FaultRule, MockAtlas, MockConfig,
    MockHandle, Role, RouteKind, seed,
};
use common::*;
use http::{Method, StatusCode};
use serde_json::{Value, json};

const G: &str = seed::GROUP_ID;
const F: &str = seed::FLEX_CLUSTER_NAME;

async fn manual() -> Result<MockHandle> {
    Ok(MockAtlas::builder()
        .clock(ClockMode::Manual)
        .start()
        .await?)
}

async fn download_job(c: &mut Client, snapshot: &str) -> Result<Value> {
    let r = c
        .post_json(
            &flex_backup(G, F, "download"),
            &FLEX_POST,
            &json!({ "snapshotId": snapshot }),
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.atlas.2024-11-13+json")
    );
    Ok(r.json())
}

#[tokio::test]
async fn a_download_link_serves_the_pinned_archive_with_ranges() -> Result<()> {
    let mock = manual().await?;
    let mut c = Client::new(&mock).await?;
    let job = download_job(&mut c, seed::FLEX_SNAPSHOT_ID).await?;
    assert_eq!(job["deliveryType"], "DOWNLOAD");
    assert_eq!(job["status"], "COMPLETED");
    assert_eq!(job["snapshotId"], seed::FLEX_SNAPSHOT_ID);
    assert_eq!(job["instanceName"], F);
    assert_eq!(job["projectId"], G);
    // The link expires 4 hours after it is handed out.
    let sched =
        atlas_model::parse_timestamp(job["restoreScheduledDate"].as_str().unwrap()).unwrap();
    let exp = atlas_model::parse_timestamp(job["expirationDate"].as_str().unwrap()).unwrap();
    assert_eq!((exp - sched).num_seconds(), 4 * 3600);
    let url = job["snapshotUrl"].as_str().unwrap().to_owned();
    assert!(url.starts_with(mock.base_url()), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");

    // The whole archive, without credentials.
    let full = fetch(&mock, Method::GET, &url, &[]).await?;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.body.len() as u64, atlas_mock::DEFAULT_ARCHIVE_BYTES);
    assert_eq!(full.header("content-length"), Some("1048576"));
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    assert_eq!(full.header("content-type"), Some("application/gzip"));
    assert_eq!(sha256_hex(&full.body), seed::FLEX_ARCHIVE_SHA256);
    assert_eq!(&full.body[..3], &[0x1f, 0x8b, 0x08]);
    let etag = full.header("etag").unwrap().to_owned();
    let last_modified = full.header("last-modified").unwrap().to_owned();
    // The same SHA-256 the handle computes.
    assert_eq!(
        mock.archive_sha256(G, F, seed::FLEX_SNAPSHOT_ID).await?,
        seed::FLEX_ARCHIVE_SHA256
    );

    // Ranges: open-ended, bounded, suffix; each matches the bytes of the whole.
    for (range, start, end) in [
        ("bytes=1000-", 1000usize, 1_048_576usize),
        ("bytes=5-9", 5, 10),
        ("bytes=-8", 1_048_568, 1_048_576),
        ("bytes=1048000-99999999", 1_048_000, 1_048_576),
    ] {
        let r = fetch(&mock, Method::GET, &url, &[("range", range)]).await?;
        assert_eq!(r.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes {start}-{}/1048576", end - 1).as_str()),
            "{range}"
        );
        assert_eq!(&r.body[..], &full.body[start..end], "{range}");
    }
    // Beyond the end: 416 with the size.
    let r = fetch(&mock, Method::GET, &url, &[("range", "bytes=1048576-")]).await?;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.header("content-range"), Some("bytes */1048576"));
    assert!(
        r.text().contains("<Code>InvalidRange</Code>"),
        "{}",
        r.text()
    );
    // Several ranges, or a malformed one: the whole archive.
    for range in ["bytes=0-1,5-6", "bytes=x-"] {
        let r = fetch(&mock, Method::GET, &url, &[("range", range)]).await?;
        assert_eq!(r.status, StatusCode::OK, "{range}");
        assert_eq!(r.body.len(), 1_048_576);
    }
    // If-Range: the ETag or the date keeps the range; another validator gets everything.
    let r = fetch(
        &mock,
        Method::GET,
        &url,
        &[("range", "bytes=10-"), ("if-range", &etag)],
    )
    .await?;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    let r = fetch(
        &mock,
        Method::GET,
        &url,
        &[("range", "bytes=10-"), ("if-range", &last_modified)],
    )
    .await?;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    let r = fetch(
        &mock,
        Method::GET,
        &url,
        &[("range", "bytes=10-"), ("if-range", "\"other\"")],
    )
    .await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.len(), 1_048_576);
    // HEAD: the headers, no body.
    let r = fetch(&mock, Method::HEAD, &url, &[]).await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-length"), Some("1048576"));
    assert!(r.body.is_empty());
    // Other methods: 405.
    let r = fetch(&mock, Method::PUT, &url, &[]).await?;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));

    // The journal shows no credentials went to the link; the counters saw every transfer.
    let archive: Vec<_> = mock
        .journal()
        .into_iter()
        .filter(|e| e.path.starts_with("/flex-snapshot-downloads/"))
        .collect();
    assert!(archive.len() >= 10);
    assert!(archive.iter().all(|e| !e.had_credentials));
    let links = mock.download_links();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["snapshotId"], seed::FLEX_SNAPSHOT_ID);
    assert!(links[0]["completedTransfers"].as_u64().unwrap() >= 8);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_link_refuses_credentials_tampering_and_expires_on_the_mock_clock() -> Result<()> {
    let mock = manual().await?;
    let mut c = Client::new(&mock).await?;
    let job = download_job(&mut c, seed::FLEX_SNAPSHOT_ID).await?;
    let url = job["snapshotUrl"].as_str().unwrap().to_owned();

    // Atlas credentials sent to the link: refused, as S3 does.
    let r = fetch(
        &mock,
        Method::GET,
        &url,
        &[("authorization", "Digest username=\"x\"")],
    )
    .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text().contains("<Code>InvalidArgument</Code>"),
        "{}",
        r.text()
    );
    assert_eq!(r.header("content-type"), Some("application/xml"));
    // A changed signature, a changed file name, an unknown token.
    let tampered = format!("{}0", url);
    let r = fetch(&mock, Method::GET, &tampered, &[]).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("SignatureDoesNotMatch"), "{}", r.text());
    let renamed = url.replace(".tgz?", ".tar?");
    let r = fetch(&mock, Method::GET, &renamed, &[]).await?;
    assert!(r.text().contains("SignatureDoesNotMatch"), "{}", r.text());
    let r = fetch(
        &mock,
        Method::GET,
        &format!(
            "{}/flex-snapshot-downloads/00000000000000000000000000000000/x.tgz",
            mock.base_url()
        ),
        &[],
    )
    .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.text().contains("<Code>AccessDenied</Code>"),
        "{}",
        r.text()
    );

    // Just before the 4 hours: fine. At 4 hours: expired, as an object store says it.
    mock.clock().advance(Duration::from_secs(4 * 3600 - 1));
    let r = fetch(&mock, Method::GET, &url, &[("range", "bytes=0-0")]).await?;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    mock.clock().advance(Duration::from_secs(1));
    let r = fetch(&mock, Method::GET, &url, &[]).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let text = r.text();
    assert!(text.starts_with("<?xml"), "{text}");
    assert!(
        text.contains("<Code>AccessDenied</Code><Message>Request has expired</Message>"),
        "{text}"
    );
    assert!(
        text.contains("<X-Amz-Expires>14400</X-Amz-Expires>"),
        "{text}"
    );
    // The job still shows its (expired) link; a new POST hands out a fresh one.
    let fresh = download_job(&mut c, seed::FLEX_SNAPSHOT_ID).await?;
    assert_ne!(fresh["snapshotUrl"], job["snapshotUrl"]);
    let r = fetch(
        &mock,
        Method::GET,
        fresh["snapshotUrl"].as_str().unwrap(),
        &[],
    )
    .await?;
    assert_eq!(r.status, StatusCode::OK);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_cut_transfer_resumes_to_the_same_archive() -> Result<()> {
    let plan = FaultPlan::new(1).rule(
        FaultRule::new(Fault::CutAfter(300_000))?
            .on([RouteKind::SnapshotArchive])
            .limit(2),
    );
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .faults(plan)
        .start()
        .await?;
    let mut c = Client::new(&mock).await?;
    let job = download_job(&mut c, seed::FLEX_SNAPSHOT_ID).await?;
    let url = job["snapshotUrl"].as_str().unwrap().to_owned();
    let target = url.split_once(mock.base_url()).unwrap().1.to_owned();

    // The first transfer breaks after 300,000 bytes (Content-Length announced the whole).
    let mut got = Vec::new();
    let cut = raw_get(&mock, &target, None).await?;
    assert_eq!(cut.0, 200);
    assert_eq!(cut.1, 1_048_576);
    assert_eq!(cut.2.len(), 300_000);
    got.extend_from_slice(&cut.2);
    // The resume is cut too, 300,000 bytes after where it resumed (the CRC is computed for it).
    let second = raw_get(&mock, &target, Some(got.len())).await?;
    assert_eq!(second.0, 206);
    assert_eq!(second.2.len(), 300_000);
    got.extend_from_slice(&second.2);
    // The fault's limit is reached: the rest arrives.
    let last = raw_get(&mock, &target, Some(got.len())).await?;
    assert_eq!(last.0, 206);
    got.extend_from_slice(&last.2);
    assert_eq!(got.len(), 1_048_576);
    assert_eq!(sha256_hex(&got), seed::FLEX_ARCHIVE_SHA256);
    let link = &mock.download_links()[0];
    assert_eq!(link["cutTransfers"], 2);
    assert_eq!(link["completedTransfers"], 1);
    assert_eq!(link["bytesSent"], 1_048_576);
    let faults: Vec<_> = mock.journal().into_iter().filter_map(|e| e.fault).collect();
    assert_eq!(faults, ["cutAfter:300000", "cutAfter:300000"]);
    mock.shutdown().await;
    Ok(())
}

/// A GET that keeps what arrived before the connection broke: (status, Content-Length, bytes).
async fn raw_get(
    mock: &MockHandle,
    target: &str,
    from: Option<usize>,
) -> Result<(u16, u64, Vec<u8>)> {
    use http_body_util::BodyExt;
    let tcp = tokio::net::TcpStream::connect(mock.addr()).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let mut b = http::Request::builder()
        .uri(target)
        .header("host", mock.base_url().split("://").nth(1).unwrap());
    if let Some(n) = from {
        b = b.header("range", format!("bytes={n}-"));
    }
    let resp = sender
        .send_request(b.body(http_body_util::Full::new(bytes::Bytes::new()))?)
        .await?;
    let status = resp.status().as_u16();
    let len = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = resp.into_body();
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => {
                if let Some(d) = f.data_ref() {
                    out.extend_from_slice(d);
                }
            }
            Err(_) => break,
        }
    }
    Ok((status, len, out))
}

#[tokio::test]
async fn huge_archives_cost_nothing_until_sent() -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .downloads(DownloadSettings::default().archive_size(64 << 30)?)
        .start()
        .await?;
    let mut c = Client::new(&mock).await?;
    let job = download_job(&mut c, seed::FLEX_SNAPSHOT_ID).await?;
    let url = job["snapshotUrl"].as_str().unwrap();
    let r = fetch(&mock, Method::HEAD, url, &[]).await?;
    assert_eq!(r.header("content-length"), Some("68719476736"));
    let r = fetch(&mock, Method::GET, url, &[("range", "bytes=0-1023")]).await?;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body.len(), 1024);
    assert_eq!(r.header("content-range"), Some("bytes 0-1023/68719476736"));
    assert!(DownloadSettings::default().archive_size(100).is_err());
    assert!(
        DownloadSettings::default()
            .archive_size((1 << 40) + 1)
            .is_err()
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn restore_jobs_move_pending_running_completed_on_the_mock_clock() -> Result<()> {
    let mock = manual().await?;
    let mut c = Client::new(&mock).await?;
    let r = c
        .post_json(
            &flex_backup(G, F, "restoreJobs"),
            &FLEX_POST,
            &json!({"snapshotId": seed::FLEX_SNAPSHOT_ID, "targetDeploymentItemName": F}),
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let job = r.json();
    assert_eq!(job["status"], "PENDING");
    assert_eq!(job["deliveryType"], "RESTORE");
    assert_eq!(job["targetDeploymentItemName"], F);
    assert_eq!(job["targetProjectId"], G);
    assert_eq!(job["snapshotFinishedDate"], "2024-11-20T08:01:09Z");
    assert!(job.get("restoreFinishedDate").is_none());
    assert!(job.get("snapshotUrl").is_none());
    let id = job["id"].as_str().unwrap().to_owned();
    let get = flex_backup(G, F, &format!("restoreJobs/{id}"));
    let status = |v: &Value| v["status"].as_str().unwrap().to_owned();
    let mut seen = vec![status(&job)];
    for _ in 0..7 {
        mock.clock().advance(Duration::from_secs(10));
        let v = c.get_with(&get, &[V2_FLEX]).await?.json();
        assert_eq!(
            v.get("restoreFinishedDate").is_some(),
            v["status"] == "COMPLETED",
            "{v}"
        );
        if seen.last() != Some(&status(&v)) {
            seen.push(status(&v));
        }
    }
    assert_eq!(seen, ["PENDING", "RUNNING", "COMPLETED"]);
    let done = c.get_with(&get, &[V2_FLEX]).await?.json();
    let sched =
        atlas_model::parse_timestamp(done["restoreScheduledDate"].as_str().unwrap()).unwrap();
    let fin = atlas_model::parse_timestamp(done["restoreFinishedDate"].as_str().unwrap()).unwrap();
    assert_eq!((fin - sched).num_seconds(), 60);

    // The list: newest first, paged, with totalCount and absolute links.
    let mut target = format!("{}?itemsPerPage=1", flex_backup(G, F, "restoreJobs"));
    let mut ids = Vec::new();
    loop {
        let v = c.get_with(&target, &[V2_FLEX]).await?.json();
        assert_eq!(v["totalCount"], seed::FLEX_RESTORE_JOBS + 1);
        ids.extend(
            v["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| j["id"].as_str().unwrap().to_owned()),
        );
        match v["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
        {
            Some(l) => {
                let href = l["href"].as_str().unwrap();
                assert!(href.starts_with(mock.base_url()));
                target = href[mock.base_url().len()..].to_owned();
            }
            None => break,
        }
    }
    assert_eq!(
        ids,
        [
            id.as_str(),
            seed::FLEX_RESTORE_JOB_ID,
            seed::FLEX_OLDER_RESTORE_JOB_ID
        ]
    );
    let v = c
        .get_with(
            &format!("{}?includeCount=false", flex_backup(G, F, "restoreJobs")),
            &[V2_FLEX],
        )
        .await?
        .json();
    assert!(v.get("totalCount").is_none());
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn roles_decide_who_downloads_and_who_restores() -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .api_key(ApiKey::new("owner", "s1"))
        .api_key(ApiKey::new("reader", "s2").roles([Role::GroupReadOnly]))
        .api_key(ApiKey::new("exporter", "s3").roles([Role::GroupBackupExportOperator]))
        .api_key(ApiKey::new("recoverer", "s4").roles([Role::GroupBackupRecoveryOperator]))
        .start()
        .await?;
    let download = json!({"snapshotId": seed::FLEX_SNAPSHOT_ID});
    let restore = json!({"snapshotId": seed::FLEX_SNAPSHOT_ID, "targetDeploymentItemName": F});
    for (user, pass, may_download, may_restore) in [
        ("owner", "s1", true, true),
        ("reader", "s2", false, false),
        ("exporter", "s3", true, false),
        ("recoverer", "s4", false, true),
    ] {
        let mut c = Client::with_key(&mock, user, pass).await?;
        let r = c
            .get_with(&flex_backup(G, F, "restoreJobs"), &[V2_FLEX])
            .await?;
        assert_eq!(r.status, StatusCode::OK, "{user} reads");
        for (path, body, allowed) in [
            ("download", &download, may_download),
            ("restoreJobs", &restore, may_restore),
        ] {
            let r = c
                .post_json(&flex_backup(G, F, path), &FLEX_POST, body)
                .await?;
            if allowed {
                assert_eq!(r.status, StatusCode::OK, "{user} {path}: {}", r.text());
            } else {
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{user} {path}");
                assert_eq!(r.error_code(), "USER_UNAUTHORIZED");
                assert_eq!(r.header("x-error-code"), Some("USER_UNAUTHORIZED"));
                assert!(r.header("www-authenticate").is_none());
                assert_eq!(
                    r.json()["detail"],
                    "Current user is not authorized to perform this action."
                );
            }
        }
    }
    mock.shutdown().await;
    Ok(())
}

/// (path, headers, body, status, errorCode)
type Case<'a> = (String, Vec<(&'a str, &'a str)>, Value, u16, &'a str);

#[tokio::test]
async fn every_error_of_the_flex_backup_routes() -> Result<()> {
    let mock = manual().await?;
    let mut c = Client::new(&mock).await?;
    let post = |path: &str| flex_backup(G, F, path);
    let cases: Vec<Case<'_>> = vec![
        (
            post("download"),
            FLEX_POST.to_vec(),
            json!({}),
            400,
            "MISSING_ATTRIBUTE",
        ),
        (
            post("download"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": 7}),
            400,
            "INVALID_ATTRIBUTE",
        ),
        (
            post("download"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": "nope"}),
            400,
            "INVALID_ATTRIBUTE",
        ),
        (
            post("download"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": seed::FLEX_SNAPSHOT_ID, "x": 1}),
            400,
            "INVALID_ATTRIBUTE",
        ),
        (
            post("download"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": "ffffffffffffffffffffffff"}),
            404,
            "BACKUP_SNAPSHOT_NOT_FOUND",
        ),
        (
            post("download"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": "6740a1f2c3d4e5f6a7b8c903"}),
            400,
            "BACKUP_SNAPSHOT_NOT_COMPLETED",
        ),
        (
            post("download"),
            vec![V2_FLEX, ("content-type", "text/plain")],
            json!({}),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            post("download"),
            vec![
                ("accept", "application/json"),
                ("content-type", "application/json"),
            ],
            json!({}),
            406,
            "INVALID_VERSION_DATE",
        ),
        (
            post("restoreJobs"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": seed::FLEX_SNAPSHOT_ID}),
            400,
            "MISSING_ATTRIBUTE",
        ),
        (
            post("restoreJobs"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": seed::FLEX_SNAPSHOT_ID, "targetDeploymentItemName": "a b"}),
            400,
            "INVALID_ATTRIBUTE",
        ),
        (
            post("restoreJobs"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": seed::FLEX_SNAPSHOT_ID, "targetDeploymentItemName": "Nope"}),
            404,
            "CLUSTER_NOT_FOUND",
        ),
        (
            post("restoreJobs"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": seed::FLEX_SNAPSHOT_ID, "targetDeploymentItemName": "M5GCP", "targetProjectId": "bad"}),
            400,
            "INVALID_ATTRIBUTE",
        ),
        (
            post("restoreJobs"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": seed::FLEX_SNAPSHOT_ID, "targetDeploymentItemName": "M5GCP", "targetProjectId": "ffffffffffffffffffffffff"}),
            404,
            "GROUP_NOT_FOUND",
        ),
        (
            flex_backup(G, seed::CLUSTER_NAME, "download"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": seed::SNAPSHOT_ID}),
            400,
            "CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API",
        ),
        (
            flex_backup(G, "Missing", "download"),
            FLEX_POST.to_vec(),
            json!({"snapshotId": seed::SNAPSHOT_ID}),
            404,
            "CLUSTER_NOT_FOUND",
        ),
        (
            flex_backup("ffffffffffffffffffffffff", F, "restoreJobs"),
            FLEX_POST.to_vec(),
            json!({}),
            400,
            "MISSING_ATTRIBUTE",
        ),
    ];
    for (path, headers, body, status, code) in cases {
        let r = c.post_json(&path, &headers, &body).await?;
        assert_eq!(r.status.as_u16(), status, "{path} {body}: {}", r.text());
        assert_eq!(r.error_code(), code, "{path} {body}");
    }
    // A restore into another project's cluster works.
    let r = c
        .post_json(
            &post("restoreJobs"),
            &FLEX_POST,
            &json!({"snapshotId": seed::FLEX_SNAPSHOT_ID, "targetDeploymentItemName": seed::OTHER_CLUSTER_NAME, "targetProjectId": seed::OTHER_GROUP_ID}),
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["targetProjectId"], seed::OTHER_GROUP_ID);
    // Malformed JSON.
    let r = c
        .request(
            Method::POST,
            &post("download"),
            &FLEX_POST,
            bytes::Bytes::from_static(b"{nope"),
        )
        .await?;
    assert_eq!(r.error_code(), "INVALID_JSON");
    // GET errors: a bad job id, an unknown one, a GET on download, paging.
    for (path, status, code) in [
        (post("restoreJobs/nothex"), 400, "PATH_PARAM_PARSE_ERROR"),
        (
            post("restoreJobs/ffffffffffffffffffffffff"),
            404,
            "RESTORE_JOB_NOT_FOUND",
        ),
        (post("download"), 405, "METHOD_NOT_ALLOWED"),
        (
            format!("{}?itemsPerPage=501", post("restoreJobs")),
            400,
            "INVALID_QUERY_PARAMETER",
        ),
        (
            flex_backup("ffffffffffffffffffffffff", F, "restoreJobs"),
            404,
            "GROUP_NOT_FOUND",
        ),
    ] {
        let r = c.get_with(&path, &[V2_FLEX]).await?;
        assert_eq!(r.status.as_u16(), status, "{path}: {}", r.text());
        assert_eq!(r.error_code(), code, "{path}");
    }
    let r = c.get_with(&post("download"), &[V2_FLEX]).await?;
    assert_eq!(r.header("allow"), Some("POST"));
    // A seed restore job, as served.
    let v = c
        .get_with(
            &post(&format!("restoreJobs/{}", seed::FLEX_RESTORE_JOB_ID)),
            &[V2_FLEX],
        )
        .await?
        .json();
    assert_eq!(v["status"], "COMPLETED");
    assert_eq!(v["restoreFinishedDate"], "2024-11-22T10:31:11Z");
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn admin_and_data_file_restore_jobs() -> Result<()> {
    let file = br#"{"downloads": {"linkLifetimeSeconds": 60, "archiveSizeBytes": 4096},
        "restoreLifecycle": {"queuedAfterMs": 0, "runningAfterMs": 1000, "doneAfterMs": 2000, "outcome": "FAILED"},
        "groups": [{"id": "6a0000000000000000000001", "clusters": [{"name": "Flex0", "kind": "flex",
            "snapshots": [
                {"id": "6b0000000000000000000001", "status": "COMPLETED", "archive": {"sizeBytes": 3000, "seed": 9}},
                {"id": "6b0000000000000000000002", "status": "COMPLETED"}],
            "restoreJobs": [
                {"id": "6c0000000000000000000001", "snapshotId": "6b0000000000000000000001",
                 "deliveryType": "DOWNLOAD", "restoreScheduledDate": "2026-12-01T00:00:00Z"},
                {"id": "6c0000000000000000000002", "snapshotId": "6b0000000000000000000002",
                 "targetDeploymentItemName": "Flex0", "status": "CLOSED", "extraFields": {"future": true}}]}]}]}"#;
    let mock = MockAtlas::builder()
        .config(MockConfig::from_json(file)?)
        .clock(ClockMode::Manual)
        .clock_start("2026-12-01T00:00:00Z".parse()?)
        .start()
        .await?;
    let g = "6a0000000000000000000001";
    let mut c = Client::new(&mock).await?;
    // The data file's download job has a working link of 3000 bytes, valid for 60 s.
    let v = c
        .get_with(
            &flex_backup(g, "Flex0", "restoreJobs/6c0000000000000000000001"),
            &[V2_FLEX],
        )
        .await?
        .json();
    assert_eq!(v["expirationDate"], "2026-12-01T00:01:00Z");
    let url = v["snapshotUrl"].as_str().unwrap().to_owned();
    let r = fetch(&mock, Method::GET, &url, &[]).await?;
    assert_eq!(r.body.len(), 3000);
    assert_eq!(
        sha256_hex(&r.body),
        mock.archive_sha256(g, "Flex0", "6b0000000000000000000001")
            .await?
    );
    // Unknown statuses and extra fields are served as given.
    let v = c
        .get_with(
            &flex_backup(g, "Flex0", "restoreJobs/6c0000000000000000000002"),
            &[V2_FLEX],
        )
        .await?
        .json();
    assert_eq!(v["status"], "CLOSED");
    assert_eq!(v["future"], true);
    // The default size of the file applies to the other snapshot; the restore lifecycle ends FAILED.
    let job = download_job_in(&mut c, g, "6b0000000000000000000002").await?;
    let r = fetch(
        &mock,
        Method::HEAD,
        job["snapshotUrl"].as_str().unwrap(),
        &[],
    )
    .await?;
    assert_eq!(r.header("content-length"), Some("4096"));
    let r = c
        .post_json(
            &flex_backup(g, "Flex0", "restoreJobs"),
            &FLEX_POST,
            &json!({"snapshotId": "6b0000000000000000000002", "targetDeploymentItemName": "Flex0"}),
        )
        .await?;
    assert_eq!(r.json()["status"], "QUEUED");
    mock.clock().advance(Duration::from_secs(2));
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let v = c
        .get_with(
            &flex_backup(g, "Flex0", &format!("restoreJobs/{id}")),
            &[V2_FLEX],
        )
        .await?
        .json();
    assert_eq!(v["status"], "FAILED");
    assert!(v.get("restoreFinishedDate").is_some());

    // The admin API: a job with its own lifecycle, a download job, the links and a SHA-256.
    let (s, v) = admin(
        &mock,
        Method::POST,
        &format!("/__mock/groups/{g}/clusters/Flex0/restoreJobs"),
        Some(json!({"snapshotId": "6b0000000000000000000001", "targetDeploymentItemName": "Flex0",
            "lifecycle": {"queuedAfterMs": 0, "runningAfterMs": 0, "doneAfterMs": 5000, "outcome": "COMPLETED"}})),
    )
    .await?;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "RUNNING");
    let (s, v) = admin(
        &mock,
        Method::POST,
        &format!("/__mock/groups/{g}/clusters/Flex0/restoreJobs"),
        Some(json!({"snapshotId": "6b0000000000000000000001", "deliveryType": "DOWNLOAD"})),
    )
    .await?;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let job_id = v["id"].as_str().unwrap().to_owned();
    assert!(
        v["snapshotUrl"]
            .as_str()
            .unwrap()
            .contains("/flex-snapshot-downloads/")
    );
    let (s, v) = admin(&mock, Method::GET, "/__mock/downloads", None).await?;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["links"].as_array().unwrap().len(), 3);
    let (s, v) = admin(
        &mock,
        Method::GET,
        &format!("/__mock/downloads/{job_id}"),
        None,
    )
    .await?;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["sha256"],
        mock.archive_sha256(g, "Flex0", "6b0000000000000000000001")
            .await?
    );
    assert_eq!(v["sizeBytes"], 3000);
    for bad in [
        json!({"snapshotId": "6b000000000000000000000f", "targetDeploymentItemName": "Flex0"}),
        json!({"snapshotId": "6b0000000000000000000001", "targetDeploymentItemName": "Flex0", "staus": "X"}),
    ] {
        let (s, v) = admin(
            &mock,
            Method::POST,
            &format!("/__mock/groups/{g}/clusters/Flex0/restoreJobs"),
            Some(bad),
        )
        .await?;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    // The handle does the same.
    let v = mock.create_restore_job(
        g,
        "Flex0",
        json!({"snapshotId": "6b0000000000000000000002", "targetDeploymentItemName": "Flex0"}),
    )?;
    assert_eq!(v["status"], "COMPLETED");
    // And the data file refuses what it cannot serve.
    for (bad, needle) in [
        (
            r#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"T","restoreJobs":[{"id":"6c0000000000000000000001","snapshotId":"6b0000000000000000000001","targetDeploymentItemName":"T"}]}]}]}"#,
            "only flex clusters",
        ),
        (
            r#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"F","kind":"flex","restoreJobs":[{"id":"6c0000000000000000000001","snapshotId":"6b0000000000000000000001","targetDeploymentItemName":"F"}]}]}]}"#,
            "has no snapshot",
        ),
        (
            r#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"F","kind":"flex","snapshots":[{"id":"6b0000000000000000000001","archive":{"sizeBytes":10}}]}]}]}"#,
            "archive.sizeBytes",
        ),
        (r#"{"downloads":{"archiveSizeBytes":1}}"#, "archive size"),
        (r#"{"downloads":{"linkLifetime":1}}"#, "linkLifetime"),
        (
            r#"{"restoreLifecycle":{"queuedAfterMs":5,"runningAfterMs":1,"doneAfterMs":2,"outcome":"COMPLETED"}}"#,
            "restoreLifecycle",
        ),
    ] {
        let e = MockConfig::from_json(bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{bad}: {e}");
    }
    mock.shutdown().await;
    Ok(())
}

async fn download_job_in(c: &mut Client, g: &str, snapshot: &str) -> Result<Value> {
    let r = c
        .post_json(
            &flex_backup(g, "Flex0", "download"),
            &FLEX_POST,
            &json!({"snapshotId": snapshot}),
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    Ok(r.json())
}

/// Reads one HTTP/1.1 answer with a `Content-Length` body; `None` at end of stream.
async fn read_answer(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Result<Option<String>> {
    use tokio::io::AsyncReadExt;
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let mut chunk = [0u8; 4096];
                let n = s.read(&mut chunk).await?;
                anyhow::ensure!(n > 0, "closed in a body");
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..end + 4 + len);
            return Ok(Some(head));
        }
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn a_post_answered_before_its_body_is_read_keeps_the_connection_open() -> Result<()> {
    // The digest challenge of a POST comes before the body is needed; the connection must stay
    // usable for the authenticated retry (Python `requests` resends on it), whatever the timing.
    use tokio::io::AsyncWriteExt;
    let mock = manual().await?;
    let mut s = tokio::net::TcpStream::connect(mock.addr()).await?;
    let body = format!("{{\"snapshotId\":\"{}\"}}", seed::FLEX_SNAPSHOT_ID);
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nAccept: application/vnd.atlas.2024-11-13+json\r\n\
         Content-Type: application/vnd.atlas.2024-11-13+json\r\nContent-Length: {}\r\n\r\n",
        flex_backup(G, F, "download"),
        mock.addr(),
        body.len()
    );
    let mut buf = Vec::new();
    // The head and the body in two writes, as urllib3 sends them: the mock may see the head
    // alone, answer it, and must still read the body rather than close.
    for _ in 0..20 {
        s.write_all(head.as_bytes()).await?;
        s.flush().await?;
        s.write_all(body.as_bytes()).await?;
        let head = read_answer(&mut s, &mut buf).await?.expect("an answer");
        assert!(head.starts_with("HTTP/1.1 401"), "{head}");
        assert!(
            !head.to_ascii_lowercase().contains("connection: close"),
            "{head}"
        );
    }
    // A body above the drain bound is not read: that connection is closed after the answer.
    let big = "x".repeat(100 * 1024);
    let post = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{big}",
        flex_backup(G, F, "download"),
        mock.addr(),
        big.len()
    );
    let mut s = tokio::net::TcpStream::connect(mock.addr()).await?;
    let _ = s.write_all(post.as_bytes()).await;
    let mut buf = Vec::new();
    let head = read_answer(&mut s, &mut buf).await?.expect("an answer");
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    mock.shutdown().await;
    Ok(())
}
