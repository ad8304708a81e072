//! Dedicated clusters and their cloud backup snapshots with our own client: the observed shape
//! (replica set and sharded), paging, the on-demand lifecycle on the mock clock, delete (204 with
//! no Content-Length), the wrong-API answers, roles, errors, the admin API, the data file, and
//! curl on the wire.

mod common;

use std::process::Command;
use std::time::Duration;

use anyhow::Result;
use atlas_mock::{
    ApiKey, ClockMode, DedicatedCluster, MockAtlas, MockConfig, MockHandle, Role, seed,
};
use bytes::Bytes;
use common::*;
use http::{Method, StatusCode};
use serde_json::{Value, json};

const G: &str = seed::GROUP_ID;
const V2: (&str, &str) = ("accept", "application/vnd.atlas.2023-01-01+json");
const POST: [(&str, &str); 2] = [
    ("accept", "application/vnd.atlas.2023-01-01+json"),
    ("content-type", "application/vnd.atlas.2023-01-01+json"),
];

fn snaps(cluster: &str) -> String {
    format!("/api/atlas/v2/groups/{G}/clusters/{cluster}/backup/snapshots")
}

fn snap(cluster: &str, id: &str) -> String {
    format!("{}/{id}", snaps(cluster))
}

async fn manual() -> Result<MockHandle> {
    Ok(MockAtlas::builder()
        .clock(ClockMode::Manual)
        .start()
        .await?)
}

#[tokio::test]
async fn replica_set_and_sharded_snapshots_have_the_observed_shape() -> Result<()> {
    let mock = manual().await?;
    let mut c = Client::new(&mock).await?;
    let r = c
        .get_with(
            &snap(seed::DEDICATED_CLUSTER_NAME, seed::DEDICATED_SNAPSHOT_ID),
            &[V2],
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.atlas.2023-01-01+json")
    );
    let v = r.json();
    for field in [
        "cloudProvider",
        "copyRegions",
        "createdAt",
        "expiresAt",
        "frequencyType",
        "id",
        "links",
        "mongodVersion",
        "policyItems",
        "replicaSetName",
        "snapshotType",
        "status",
        "storageSizeBytes",
        "type",
    ] {
        assert!(v.get(field).is_some(), "{field} missing: {v}");
    }
    assert_eq!(v["status"], "completed");
    assert_eq!(v["type"], "replicaSet");
    assert_eq!(v["mongodVersion"], "8.0.4");
    assert!(v.get("mongoDBVersion").is_none());
    assert!(v.get("members").is_none());
    assert_eq!(v["frequencyType"], "daily");
    assert_eq!(v["snapshotType"], "scheduled");
    let href = v["links"][0]["href"].as_str().unwrap();
    assert_eq!(
        href,
        format!(
            "{}{}",
            mock.base_url(),
            snap(seed::DEDICATED_CLUSTER_NAME, seed::DEDICATED_SNAPSHOT_ID)
        )
    );
    let v = c
        .get_with(
            &snap(
                seed::DEDICATED_CLUSTER_NAME,
                seed::DEDICATED_ON_DEMAND_SNAPSHOT_ID,
            ),
            &[V2],
        )
        .await?
        .json();
    assert_eq!(
        (v["frequencyType"].as_str(), v["snapshotType"].as_str()),
        (Some("ondemand"), Some("onDemand"))
    );
    assert_eq!(v["description"], "before the migration");
    // Sharded: members (each shard and the config server), no replicaSetName.
    let v = c
        .get_with(
            &snap(seed::SHARDED_CLUSTER_NAME, seed::SHARDED_SNAPSHOT_ID),
            &[V2],
        )
        .await?
        .json();
    assert_eq!(v["type"], "shardedCluster");
    assert_eq!(v["cloudProvider"], "GCP");
    let members = v["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    for m in members {
        assert_eq!(m["cloudProvider"], "GCP");
        assert_eq!(m["id"].as_str().unwrap().len(), 24);
    }
    assert!(v.get("replicaSetName").is_none());
    // Lists page like every other list, with absolute links.
    let mut target = format!("{}?itemsPerPage=1", snaps(seed::DEDICATED_CLUSTER_NAME));
    let mut ids = Vec::new();
    loop {
        let v = c.get_with(&target, &[V2]).await?.json();
        assert_eq!(v["totalCount"], seed::DEDICATED_SNAPSHOTS);
        ids.extend(
            v["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned()),
        );
        match v["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
        {
            Some(l) => target = l["href"].as_str().unwrap()[mock.base_url().len()..].to_owned(),
            None => break,
        }
    }
    assert_eq!(ids.len(), seed::DEDICATED_SNAPSHOTS);
    assert_eq!(ids[0], seed::DEDICATED_SNAPSHOT_ID);
    // A failed sharded snapshot has no size.
    let v = c
        .get_with(
            &snap(seed::SHARDED_CLUSTER_NAME, "6750b1e2d3c4b5a697887a02"),
            &[V2],
        )
        .await?
        .json();
    assert_eq!(v["status"], "failed");
    assert!(v.get("storageSizeBytes").is_none());
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn on_demand_snapshots_queue_run_complete_and_delete() -> Result<()> {
    let mock = manual().await?;
    let mut c = Client::new(&mock).await?;
    let r = c
        .post_json(
            &snaps(seed::DEDICATED_CLUSTER_NAME),
            &POST,
            &json!({"description": "nightly export", "retentionInDays": 3}),
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "queued");
    assert_eq!(v["description"], "nightly export");
    assert_eq!(v["frequencyType"], "ondemand");
    assert_eq!(v["snapshotType"], "onDemand");
    assert!(v.get("storageSizeBytes").is_none());
    let created = atlas_model::parse_timestamp(v["createdAt"].as_str().unwrap()).unwrap();
    let expires = atlas_model::parse_timestamp(v["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!((expires - created).num_days(), 3);
    let id = v["id"].as_str().unwrap().to_owned();
    let mut seen = vec!["queued".to_owned()];
    for _ in 0..8 {
        mock.clock().advance(Duration::from_secs(10));
        let v = c
            .get_with(&snap(seed::DEDICATED_CLUSTER_NAME, &id), &[V2])
            .await?
            .json();
        let s = v["status"].as_str().unwrap().to_owned();
        assert_eq!(v.get("storageSizeBytes").is_some(), s == "completed", "{v}");
        if seen.last() != Some(&s) {
            seen.push(s);
        }
    }
    assert_eq!(seen, ["queued", "inProgress", "completed"]);
    let list = c
        .get_with(&snaps(seed::DEDICATED_CLUSTER_NAME), &[V2])
        .await?
        .json();
    assert_eq!(list["totalCount"], seed::DEDICATED_SNAPSHOTS + 1);
    // Default retention: one day; an empty body is fine.
    let v = c
        .post_json(&snaps(seed::DEDICATED_CLUSTER_NAME), &POST, &json!({}))
        .await?
        .json();
    let d = |k: &str| atlas_model::parse_timestamp(v[k].as_str().unwrap()).unwrap();
    assert_eq!((d("expiresAt") - d("createdAt")).num_days(), 1);

    // DELETE: 204, no body, no Content-Length, no Content-Type; then 404.
    let r = c
        .request(
            Method::DELETE,
            &snap(seed::DEDICATED_CLUSTER_NAME, &id),
            &[V2],
            Bytes::new(),
        )
        .await?;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());
    assert!(r.header("content-length").is_none(), "{:?}", r.headers);
    assert!(r.header("content-type").is_none(), "{:?}", r.headers);
    let r = c
        .get_with(&snap(seed::DEDICATED_CLUSTER_NAME, &id), &[V2])
        .await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "BACKUP_SNAPSHOT_NOT_FOUND");
    let r = c
        .request(
            Method::DELETE,
            &snap(seed::DEDICATED_CLUSTER_NAME, &id),
            &[V2],
            Bytes::new(),
        )
        .await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_wrong_api_answers_as_atlas_does() -> Result<()> {
    let mock = manual().await?;
    let mut c = Client::new(&mock).await?;
    let flex = seed::FLEX_CLUSTER_NAME;
    // A flex cluster on the cluster (cloud backup) paths, with every method.
    for (method, path) in [
        (Method::GET, snaps(flex)),
        (Method::GET, snap(flex, seed::FLEX_SNAPSHOT_ID)),
        (Method::POST, snaps(flex)),
        (Method::DELETE, snap(flex, seed::FLEX_SNAPSHOT_ID)),
    ] {
        let r = c
            .request(method.clone(), &path, &POST, Bytes::from_static(b"{}"))
            .await?;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{method} {path}");
        let v = r.json();
        assert_eq!(v["errorCode"], "CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API");
        assert_eq!(
            v["detail"],
            format!("Flex cluster {flex} cannot be used in the Cluster API.")
        );
        assert_eq!(v["parameters"], json!([flex]));
    }
    // A dedicated cluster on the flex paths.
    for path in [
        flex_snapshot(G, seed::DEDICATED_CLUSTER_NAME, seed::DEDICATED_SNAPSHOT_ID),
        flex_list(G, seed::DEDICATED_CLUSTER_NAME),
        flex_backup(G, seed::DEDICATED_CLUSTER_NAME, "restoreJobs"),
    ] {
        let r = c.get_with(&path, &[V2_FLEX]).await?;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(r.error_code(), "CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API");
    }
    // ... and on the tenant paths: not found (what the kind lookups pass over).
    for (path, accept) in [
        (
            v1_list(G, seed::DEDICATED_CLUSTER_NAME),
            ("accept", "application/json"),
        ),
        (
            v2_snapshot(G, seed::DEDICATED_CLUSTER_NAME, seed::DEDICATED_SNAPSHOT_ID),
            V2_TENANT,
        ),
    ] {
        let r = c.get_with(&path, &[accept]).await?;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.error_code(), "CLUSTER_NOT_FOUND");
    }
    // An M2/M5 cluster on the cloud backup paths; a missing cluster or group.
    let r = c.get_with(&snaps(seed::CLUSTER_NAME), &[V2]).await?;
    assert_eq!(
        r.error_code(),
        "CANNOT_USE_TENANT_CLUSTER_IN_CLOUD_BACKUP_API"
    );
    let r = c.get_with(&snaps("Nope"), &[V2]).await?;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::NOT_FOUND, "CLUSTER_NOT_FOUND".to_owned())
    );
    let r = c
        .get_with(
            "/api/atlas/v2/groups/ffffffffffffffffffffffff/clusters/X/backup/snapshots",
            &[V2],
        )
        .await?;
    assert_eq!(r.error_code(), "GROUP_NOT_FOUND");
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn roles_and_every_error_of_the_cloud_routes() -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .api_key(ApiKey::new("owner", "s0"))
        .api_key(ApiKey::new("reader", "s1").roles([Role::GroupReadOnly]))
        .api_key(ApiKey::new("creator", "s2").roles([Role::GroupBackupCreator]))
        .api_key(ApiKey::new("manager", "s3").roles([Role::GroupBackupManager]))
        .start()
        .await?;
    let d = seed::DEDICATED_CLUSTER_NAME;
    for (user, pass, may_take, may_delete) in [
        ("reader", "s1", false, false),
        ("creator", "s2", true, false),
        ("manager", "s3", true, true),
    ] {
        let mut c = Client::with_key(&mock, user, pass).await?;
        assert_eq!(
            c.get_with(&snaps(d), &[V2]).await?.status,
            StatusCode::OK,
            "{user}"
        );
        let r = c.post_json(&snaps(d), &POST, &json!({})).await?;
        let expect = if may_take {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(r.status, expect, "{user} take: {}", r.text());
        let id = if may_take {
            r.json()["id"].as_str().unwrap().to_owned()
        } else {
            seed::DEDICATED_SNAPSHOT_ID.to_owned()
        };
        let r = c
            .request(Method::DELETE, &snap(d, &id), &[V2], Bytes::new())
            .await?;
        let expect = if may_delete {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(r.status, expect, "{user} delete: {}", r.text());
        if !may_delete {
            assert_eq!(r.error_code(), "USER_UNAUTHORIZED");
        }
    }
    let mut c = Client::with_key(&mock, "owner", "s0").await?;
    for (body, code) in [
        (json!({"retentionInDays": 0}), "INVALID_ATTRIBUTE"),
        (json!({"retentionInDays": "7"}), "INVALID_ATTRIBUTE"),
        (json!({"retentionInDays": 1.5}), "INVALID_ATTRIBUTE"),
        (json!({"description": 7}), "INVALID_ATTRIBUTE"),
        (json!({"frequencyType": "hourly"}), "INVALID_ATTRIBUTE"),
        (json!([1]), "INVALID_JSON"),
    ] {
        let r = c.post_json(&snaps(d), &POST, &body).await?;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.error_code(), code, "{body}");
    }
    for (path, accept, status, code) in [
        (snap(d, "nothex"), V2, 400, "PATH_PARAM_PARSE_ERROR"),
        (
            snap(d, "ffffffffffffffffffffffff"),
            V2,
            404,
            "BACKUP_SNAPSHOT_NOT_FOUND",
        ),
        (
            snaps(d),
            ("accept", "application/json"),
            406,
            "INVALID_VERSION_DATE",
        ),
        (
            format!("{}?pageNum=0", snaps(d)),
            V2,
            400,
            "INVALID_QUERY_PARAMETER",
        ),
    ] {
        let r = c.get_with(&path, &[accept]).await?;
        assert_eq!(r.status.as_u16(), status, "{path}");
        assert_eq!(r.error_code(), code, "{path}");
    }
    let r = c
        .request(Method::PATCH, &snaps(d), &POST, Bytes::new())
        .await?;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST"));
    // A newer version date is fine (Atlas resolves it to the newest version not after it).
    let r = c
        .get_with(
            &snaps(d),
            &[("accept", "application/vnd.atlas.2025-03-12+json")],
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn admin_data_file_and_handle_make_dedicated_clusters() -> Result<()> {
    let file = br#"{"onDemandSnapshotLifecycle": {"queuedAfterMs": 0, "runningAfterMs": 0, "doneAfterMs": 1000, "outcome": "FAILED"},
        "groups": [{"id": "6a0000000000000000000001", "clusters": [
            {"name": "Big", "kind": "dedicated", "clusterType": "shardedCluster", "shards": 3, "cloudProvider": "AZURE", "mongodVersion": "8.0.1",
             "snapshots": [{"id": "6b0000000000000000000001", "lifecycle": {"queuedAfterMs": 0, "runningAfterMs": 2000, "doneAfterMs": 4000, "outcome": "COMPLETED"}},
                           {"id": "6b0000000000000000000002", "status": "someNewStatus", "extraFields": {"future": 1}}]},
            {"name": "Small", "kind": "dedicated"}]}]}"#;
    let mock = MockAtlas::builder()
        .config(MockConfig::from_json(file)?)
        .clock(ClockMode::Manual)
        .start()
        .await?;
    let g = "6a0000000000000000000001";
    let mut c = Client::new(&mock).await?;
    let path = |cl: &str, rest: &str| {
        format!("/api/atlas/v2/groups/{g}/clusters/{cl}/backup/snapshots{rest}")
    };
    let v = c
        .get_with(&path("Big", "/6b0000000000000000000001"), &[V2])
        .await?
        .json();
    assert_eq!(v["status"], "queued");
    assert_eq!(v["members"].as_array().unwrap().len(), 4);
    assert_eq!(v["cloudProvider"], "AZURE");
    assert_eq!(v["mongodVersion"], "8.0.1");
    mock.clock().advance(Duration::from_secs(4));
    let v = c
        .get_with(&path("Big", "/6b0000000000000000000001"), &[V2])
        .await?
        .json();
    assert_eq!(v["status"], "completed");
    let v = c
        .get_with(&path("Big", "/6b0000000000000000000002"), &[V2])
        .await?
        .json();
    assert_eq!(
        (v["status"].clone(), v["future"].clone()),
        (json!("someNewStatus"), json!(1))
    );
    // The file's on-demand lifecycle ends FAILED.
    let v = c
        .post_json(&path("Small", ""), &POST, &json!({}))
        .await?
        .json();
    assert_eq!(v["status"], "inProgress");
    assert_eq!(v["type"], "replicaSet");
    mock.clock().advance(Duration::from_secs(1));
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(
        c.get_with(&path("Small", &format!("/{id}")), &[V2])
            .await?
            .json()["status"],
        "failed"
    );
    // Admin: a dedicated cluster, a snapshot with a lifecycle counted from now.
    let (s, v) = admin(&mock, Method::POST, &format!("/__mock/groups/{g}/clusters"), Some(json!({"name": "Made", "kind": "dedicated", "clusterType": "shardedCluster", "shards": 2}))).await?;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["clusterType"], "shardedCluster");
    let (s, v) = admin(&mock, Method::POST, &format!("/__mock/groups/{g}/clusters/Made/snapshots"),
        Some(json!({"description": "from admin", "lifecycle": {"queuedAfterMs": 0, "runningAfterMs": 1000, "doneAfterMs": 2000, "outcome": "COMPLETED"}}))).await?;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "queued");
    assert_eq!(v["members"].as_array().unwrap().len(), 3);
    for bad in [
        json!({"name": "X", "kind": "flex", "shards": 2}),
        json!({"name": "X", "kind": "dedicated", "clusterType": "mesh"}),
        json!({"name": "X", "kind": "dedicated", "clusterType": "shardedCluster", "shards": 0}),
    ] {
        let (s, v) = admin(
            &mock,
            Method::POST,
            &format!("/__mock/groups/{g}/clusters"),
            Some(bad),
        )
        .await?;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    let (s, v) = admin(
        &mock,
        Method::POST,
        &format!("/__mock/groups/{g}/clusters/Made/snapshots"),
        Some(json!({"mongoDBVersion": "8"})),
    )
    .await?;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    // The handle, and the data form round trip.
    mock.create_dedicated_cluster(
        g,
        "ByHand",
        DedicatedCluster::replica_set().cloud_provider("GCP"),
    )?;
    let v = mock.create_cloud_snapshot(
        g,
        "ByHand",
        json!({"status": "completed", "storageSizeBytes": 42}),
    )?;
    assert_eq!(v["cloudProvider"], "GCP");
    assert_eq!(v["storageSizeBytes"], 42);
    assert!(
        mock.create_cloud_snapshot(g, "ByHand", json!({"bogus": 1}))
            .is_err()
    );
    let (_, data) = admin(&mock, Method::GET, "/__mock/data", None).await?;
    let again = atlas_mock::Dataset::from_json(data.to_string().as_bytes())?;
    assert!(again.snapshot_count() >= 5);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_service_account_token_works_on_the_cloud_routes() -> Result<()> {
    let mock = manual().await?;
    let sa = mock.service_account();
    let mut conn = Conn::open(&mock).await?;
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", sa.client_id(), sa.client_secret())
        )
    );
    let r = conn
        .send_body(
            Method::POST,
            "/api/oauth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(&basic),
            Bytes::from_static(b"grant_type=client_credentials"),
        )
        .await?;
    let t = r.json()["access_token"].as_str().unwrap().to_owned();
    let r = conn
        .send(
            Method::GET,
            &snaps(seed::DEDICATED_CLUSTER_NAME),
            &[V2],
            Some(&format!("Bearer {t}")),
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    mock.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_takes_and_deletes_a_snapshot() -> Result<()> {
    let curl = require_tool("curl")?;
    let mock = manual().await?;
    let user = format!("{}:{}", mock.public_key(), mock.private_key());
    let url = format!("{}{}", mock.base_url(), snaps(seed::DEDICATED_CLUSTER_NAME));
    let out = Command::new(&curl)
        .args(["--silent", "--show-error", "--digest", "--user", &user])
        .args(["--header", "Accept: application/vnd.atlas.2023-01-01+json"])
        .args([
            "--header",
            "Content-Type: application/vnd.atlas.2023-01-01+json",
        ])
        .args([
            "--data",
            r#"{"description":"from curl","retentionInDays":2}"#,
            &url,
        ])
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["status"], "queued");
    let id = v["id"].as_str().unwrap();
    let out = Command::new(&curl)
        .args([
            "--silent",
            "--show-error",
            "--include",
            "--digest",
            "--user",
            &user,
            "--request",
            "DELETE",
        ])
        .args([
            "--header",
            "Accept: application/vnd.atlas.2023-01-01+json",
            &format!("{url}/{id}"),
        ])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    let last = &text[text.rfind("http/1.1").unwrap()..];
    assert!(last.starts_with("http/1.1 204"), "{text}");
    assert!(!last.contains("content-length"), "{text}");
    mock.shutdown().await;
    Ok(())
}
