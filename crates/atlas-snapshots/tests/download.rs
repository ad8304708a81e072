//! Downloads against a real object store on loopback: the archive arrives whole, with no
//! credentials sent to the link's host, cut transfers resume, expired links are typed errors,
//! and a file is complete or absent.

mod common;

use std::sync::{Arc, Mutex};

use atlas_snapshots::{
    AtlasClient, DownloadProblem, Error, FileWrites, Overwrite, RestoreJob, SnapshotUrl,
};
use common::object_store::{ObjectStore, StoreConfig, archive};
use common::{Memory, ids, response};

/// A client whose API answers are the download job pointing at `store`, with credentials set:
/// they must never reach the store.
fn client_for(store: &ObjectStore) -> (AtlasClient, Arc<Memory>) {
    let job = format!(
        r#"{{"deliveryType":"DOWNLOAD","id":"6740a1f2c3d4e5f6a7b8c9d0","snapshotId":"5cc310ace5dc7ce369814bc8","snapshotUrl":"{}","status":"PENDING"}}"#,
        store.url()
    );
    let mem = Memory::with(move |_| Ok(response(200, &job)));
    let client = AtlasClient::builder()
        .base_url(format!("http://{}", store.addr))
        .credentials("public-key", "private-key")
        .executor(mem.clone())
        .build()
        .unwrap();
    (client, mem)
}

async fn job_url(client: &AtlasClient) -> SnapshotUrl {
    let (g, c, s) = ids();
    let job: RestoreJob = client
        .flex_snapshots()
        .download(&g, &c, &s)
        .send()
        .await
        .unwrap();
    job.snapshot_url.unwrap()
}

fn assert_no_credentials(store: &ObjectStore) {
    for h in store.requests() {
        for name in ["authorization", "proxy-authorization", "cookie"] {
            assert!(!h.contains_key(name), "{name} reached the object store");
        }
    }
}

#[tokio::test]
async fn the_download_job_is_a_post_with_the_snapshot_id() {
    let store = ObjectStore::start(archive(10), StoreConfig::default()).await;
    let (client, mem) = client_for(&store);
    let _ = job_url(&client).await;
    let seen = mem.last();
    assert_eq!(seen.method, http::Method::POST);
    assert_eq!(
        seen.path(),
        "/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/flexClusters/M2AWS/backup/download"
    );
    assert_eq!(seen.body, r#"{"snapshotId":"5cc310ace5dc7ce369814bc8"}"#);
    assert_eq!(
        seen.content_type.as_deref(),
        Some("application/vnd.atlas.2024-11-13+json")
    );
    assert_eq!(
        seen.accept.as_deref(),
        Some("application/vnd.atlas.2024-11-13+json")
    );
}

#[tokio::test]
async fn a_whole_archive_to_a_writer_with_progress() {
    let data = archive(3 << 20);
    let store = ObjectStore::start(data.clone(), StoreConfig::default()).await;
    let (client, _) = client_for(&store);
    let url = job_url(&client).await;
    let progress = Arc::new(Mutex::new(Vec::new()));
    let p = progress.clone();
    let mut out = Vec::new();
    let done = client
        .download_archive(&url)
        .on_progress(move |e| p.lock().unwrap().push((e.received, e.total)))
        .to_writer(&mut out)
        .await
        .unwrap();
    assert_eq!(out, data);
    assert_eq!((done.bytes, done.resumes), (data.len() as u64, 0));
    let progress = progress.lock().unwrap();
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(
        *progress.last().unwrap(),
        (data.len() as u64, Some(data.len() as u64))
    );
    assert_no_credentials(&store);
}

/// An object store serving `data` that cuts the first two transfers after 700,000 bytes.
async fn cut_twice(data: &[u8]) -> ObjectStore {
    ObjectStore::start(
        data.to_vec(),
        StoreConfig {
            cut_after: Some(700_000),
            cuts: 2,
            ..StoreConfig::default()
        },
    )
    .await
}

#[tokio::test]
async fn a_cut_transfer_resumes_with_range_and_the_file_is_whole() {
    let data = archive(2 << 20);
    let store = cut_twice(&data).await;
    let (client, _) = client_for(&store);
    let url = job_url(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.tgz");
    let done = client
        .download_archive(&url)
        .to_file(&path, Overwrite::Refuse)
        .await
        .unwrap();
    assert_eq!(done.resumes, 2);
    assert_eq!(std::fs::read(&path).unwrap(), data);
    assert!(!dir.path().join("snap.tgz.part").exists());
    let ranges: Vec<Option<String>> = store
        .requests()
        .iter()
        .map(|h| h.get("range").map(|v| v.to_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        ranges,
        [
            None,
            Some("bytes=700000-".into()),
            Some("bytes=1400000-".into())
        ]
    );
    for h in &store.requests()[1..] {
        assert_eq!(h["if-range"], "\"abc123\"");
    }
    assert_no_credentials(&store);

    // The file exists now: refused without overwrite, before anything is fetched.
    let before = store.requests().len();
    let err = client
        .download_archive(&url)
        .to_file(&path, Overwrite::Refuse)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Download {
                problem: DownloadProblem::Exists { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(store.requests().len(), before);
    client
        .download_archive(&url)
        .to_file(&path, Overwrite::Replace)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data);
}

#[tokio::test]
async fn inline_writes_resume_and_leave_the_same_whole_file() {
    let data = archive(2 << 20);
    let store = cut_twice(&data).await;
    let (client, _) = client_for(&store);
    let url = job_url(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.tgz");
    let done = client
        .download_archive(&url)
        .file_writes(FileWrites::Inline)
        .to_file(&path, Overwrite::Refuse)
        .await
        .unwrap();
    assert_eq!(done.resumes, 2);
    assert_eq!(done.bytes, data.len() as u64);
    assert_eq!(std::fs::read(&path).unwrap(), data);
    assert!(!dir.path().join("snap.tgz.part").exists());
    assert_eq!(store.requests().len(), 3);
}

#[tokio::test]
async fn a_server_that_ignores_range_is_skipped_forward() {
    let data = archive(1 << 20);
    let store = ObjectStore::start(
        data.clone(),
        StoreConfig {
            cut_after: Some(300_000),
            cuts: 1,
            ignore_range: true,
            ..StoreConfig::default()
        },
    )
    .await;
    let (client, _) = client_for(&store);
    let url = job_url(&client).await;
    let mut out = Vec::new();
    let done = client
        .download_archive(&url)
        .to_writer(&mut out)
        .await
        .unwrap();
    assert_eq!(done.resumes, 1);
    assert_eq!(out, data);
}

#[tokio::test]
async fn an_expired_link_is_a_typed_error_and_leaves_no_file() {
    let store = ObjectStore::start(
        archive(100),
        StoreConfig {
            expired: true,
            ..StoreConfig::default()
        },
    )
    .await;
    let (client, _) = client_for(&store);
    let url = job_url(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.tgz");
    let err = client
        .download_archive(&url)
        .to_file(&path, Overwrite::Refuse)
        .await
        .unwrap_err();
    let Error::LinkExpired {
        status,
        code,
        message,
        url: shown,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status.as_u16(), 403);
    assert_eq!(code.as_deref(), Some("AccessDenied"));
    assert_eq!(message.as_deref(), Some("Request has expired"));
    assert!(!shown.contains("s3cr3tsig"), "{shown}");
    assert!(!err.to_string().contains("s3cr3tsig"));
    assert!(err.hint().unwrap().contains("new link"));
    assert!(!path.exists());
    assert!(!dir.path().join("snap.tgz.part").exists());
    // Exactly one request: a refused link is not retried.
    assert_eq!(store.requests().len(), 1);
}

#[tokio::test]
async fn a_transfer_that_keeps_breaking_gives_up_and_removes_the_part_file() {
    let store = ObjectStore::start(
        archive(1 << 20),
        StoreConfig {
            cut_after: Some(0),
            cuts: usize::MAX,
            ..StoreConfig::default()
        },
    )
    .await;
    let (client, _) = client_for(&store);
    let url = job_url(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.tgz");
    // Real time (the store is a real server): two pauses of at most 0.5 s and 1 s.
    let err = client
        .download_archive(&url)
        .max_retries(2)
        .to_file(&path, Overwrite::Refuse)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Download {
                problem: DownloadProblem::Interrupted {
                    attempts: 3,
                    received: 0,
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(store.requests().len(), 3);
    assert!(!path.exists());
    assert!(!dir.path().join("snap.tgz.part").exists());
}
