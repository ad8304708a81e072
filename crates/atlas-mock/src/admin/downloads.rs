//! `GET /__mock/downloads`: the links handed out, with their counters; `GET
//! /__mock/downloads/{restoreJobId}` one of them with the SHA-256 of its archive.

use serde_json::{Value, json};

use super::ok;
use crate::server::Shared;
use crate::server::reply::{Reply, api_error};

pub(super) fn list(shared: &Shared, base: &str) -> Reply {
    let now = shared.clock.now();
    let links: Vec<Value> = shared
        .downloads
        .list()
        .iter()
        .map(|l| l.to_json(base, now))
        .collect();
    ok(json!({ "links": links }))
}

pub(super) async fn one(shared: &Shared, base: &str, job: &str) -> Result<Reply, Box<Reply>> {
    let Some(link) = shared
        .downloads
        .list()
        .into_iter()
        .rev()
        .find(|l| l.job_id == job)
    else {
        return Err(Box::new(api_error(
            404,
            "DOWNLOAD_NOT_FOUND",
            format!(
                "No download link for restore job {}.",
                crate::journal::cut(job, 64)
            ),
            vec![],
        )));
    };
    let mut v = link.to_json(base, shared.clock.now());
    v["sha256"] = json!(shared.downloads.sha256(&link.layout).await);
    Ok(ok(v))
}
