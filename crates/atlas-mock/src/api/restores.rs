//! Flex backups beyond snapshots: `POST .../backup/download` and the restore jobs
//! (`GET`/`POST .../backup/restoreJobs`, `GET .../backup/restoreJobs/{id}`), resource version
//! 2024-11-13.
//!
//! Checks in `serve`, in order: version negotiation (`406`), path parameters (`400
//! PATH_PARAM_PARSE_ERROR`), paging (`400 INVALID_QUERY_PARAMETER`), group access (`403
//! USER_CANNOT_ACCESS_GROUP`), the role (`401 USER_UNAUTHORIZED`: downloads need Project Backup
//! Export Operator, restores Project Backup Recovery Operator, reads any role), the body (`415`,
//! `400 INVALID_JSON`, `400 INVALID_ATTRIBUTE`, `400 MISSING_ATTRIBUTE`), then the data: `404
//! GROUP_NOT_FOUND`, `404 CLUSTER_NOT_FOUND`, `400 CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API`, `404
//! BACKUP_SNAPSHOT_NOT_FOUND`, `400 BACKUP_SNAPSHOT_NOT_COMPLETED` (the mock's code: only a
//! `COMPLETED` snapshot is downloaded or restored), the restore target (`404 GROUP_NOT_FOUND`,
//! `403 USER_CANNOT_ACCESS_GROUP`, `404 CLUSTER_NOT_FOUND`), `404 RESTORE_JOB_NOT_FOUND` (the
//! mock's code).

use std::borrow::Cow;

use atlas_model::{ClusterName, GroupId, SnapshotId, SnapshotStatus};
use http::{Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::body::{invalid_attribute, json_object, optional_str, required_str};
use super::lookup::{
    Api, check_group, check_permission, cluster_not_found, find_cluster, find_cluster_mut,
    group_not_found, negotiate, parse_id,
};
use super::snapshots::snapshot_not_found;
use super::{ApiCtx, Endpoint, Family};
use crate::data::restore::{
    Delivery, JobPlace, MAX_RESTORE_JOBS, StoredRestoreJob, is_object_id, valid_deployment_name,
};
use crate::data::{ClusterData, StoredSnapshot};
use crate::downloads::{NewLink, layout_for};
use crate::roles::Permission;
use crate::route::RouteKind;
use crate::server::query::{self, Paging};
use crate::server::reply::{Reply, boxed_error, invalid_param};

const VERSION: &str = "2024-11-13";
const CONTENT_TYPE: &str = "application/vnd.atlas.2024-11-13+json";

/// The flex download and restore-job routes.
pub(crate) struct FlexRestores;

struct Route<'p> {
    kind: RouteKind,
    group: Cow<'p, str>,
    cluster: Cow<'p, str>,
    job: Option<Cow<'p, str>>,
}

fn decode(seg: &str) -> Cow<'_, str> {
    percent_decode_str(seg).decode_utf8_lossy()
}

impl Family for FlexRestores {
    fn route<'p>(&self, path: &'p str) -> Option<Box<dyn Endpoint + 'p>> {
        let rest = path.strip_prefix("/api/atlas/v2/")?;
        let segs: Vec<&str> = rest.split('/').collect();
        if segs.iter().any(|s| s.is_empty()) {
            return None;
        }
        let (kind, g, c, job) = match segs.as_slice() {
            ["groups", g, "flexClusters", c, "backup", "download"] => {
                (RouteKind::FlexDownload, g, c, None)
            }
            ["groups", g, "flexClusters", c, "backup", "restoreJobs"] => {
                (RouteKind::FlexRestoreJobs, g, c, None)
            }
            ["groups", g, "flexClusters", c, "backup", "restoreJobs", j] => {
                (RouteKind::FlexRestoreJob, g, c, Some(decode(j)))
            }
            _ => return None,
        };
        Some(Box::new(Route {
            kind,
            group: decode(g),
            cluster: decode(c),
            job,
        }))
    }
}

impl Endpoint for Route<'_> {
    fn kind(&self) -> RouteKind {
        self.kind
    }

    fn methods(&self) -> &'static [Method] {
        match self.kind {
            RouteKind::FlexDownload => &[Method::POST],
            RouteKind::FlexRestoreJobs => &[Method::GET, Method::HEAD, Method::POST],
            _ => &[Method::GET, Method::HEAD],
        }
    }

    fn reads_body(&self) -> bool {
        self.kind != RouteKind::FlexRestoreJob
    }

    fn serve(&self, ctx: &ApiCtx<'_>) -> Reply {
        serve(ctx, self).unwrap_or_else(|e| *e)
    }
}

fn serve(ctx: &ApiCtx<'_>, r: &Route<'_>) -> Result<Reply, Box<Reply>> {
    negotiate(ctx, VERSION)?;
    let group: GroupId = parse_id(&r.group, "groupId")?;
    let cluster: ClusterName = parse_id(&r.cluster, "name")?;
    let job = match &r.job {
        Some(j) if is_object_id(j) => Some(j.as_ref()),
        Some(j) => {
            return Err(invalid_param(
                super::lookup::PATH_PARAM_PARSE_ERROR,
                "restoreJobId",
                j,
                "restore job id: must be 24 lower-case hexadecimal digits",
            ));
        }
        None => None,
    };
    let post = ctx.parts.method == Method::POST;
    let paging = if r.kind == RouteKind::FlexRestoreJobs && !post {
        query::paging(ctx.pairs)?
    } else {
        Paging::default()
    };
    check_group(ctx, &group)?;
    check_permission(
        ctx,
        match (r.kind, post) {
            (RouteKind::FlexDownload, _) => Permission::Export,
            (_, true) => Permission::Restore,
            _ => Permission::Read,
        },
    )?;
    match (r.kind, job) {
        (RouteKind::FlexDownload, _) => download(ctx, &group, &cluster),
        (RouteKind::FlexRestoreJobs, _) if post => start_restore(ctx, &group, &cluster),
        (RouteKind::FlexRestoreJobs, _) => list(ctx, &group, &cluster, paging),
        (_, Some(id)) => get(ctx, &group, &cluster, id),
        _ => Err(cluster_not_found(cluster.as_str(), &group)),
    }
}

fn ok(v: Value) -> Reply {
    Reply::json(StatusCode::OK, CONTENT_TYPE, v)
}

/// The snapshot a body names, which must exist and be `COMPLETED`.
fn completed_snapshot<'c>(
    ctx: &ApiCtx<'_>,
    c: &'c ClusterData,
    raw: &str,
) -> Result<&'c StoredSnapshot, Box<Reply>> {
    let id: SnapshotId = raw
        .parse()
        .map_err(|e: atlas_model::IdError| invalid_attribute("snapshotId", &e.to_string()))?;
    let s = c
        .snapshot(&id)
        .ok_or_else(|| snapshot_not_found(&id, &c.name))?;
    let status = s.view(&ctx.shared.clock, ctx.now).status;
    if status != Some(SnapshotStatus::Completed) {
        let shown = status
            .as_ref()
            .map_or("none", SnapshotStatus::as_str)
            .to_owned();
        return Err(boxed_error(
            400,
            "BACKUP_SNAPSHOT_NOT_COMPLETED",
            format!(
                "Snapshot {id} is {shown}; only a COMPLETED snapshot can be downloaded or restored."
            ),
            vec![json!(id.as_str()), json!(shown)],
        ));
    }
    Ok(s)
}

fn place<'a>(
    ctx: &ApiCtx<'_>,
    base: &'a str,
    group: &'a GroupId,
    cluster: &'a ClusterName,
    job: &StoredRestoreJob,
) -> JobPlace<'a> {
    JobPlace {
        base,
        group,
        cluster,
        snapshot_url: job
            .link
            .as_deref()
            .and_then(|t| ctx.shared.downloads.get(t))
            .map(|l| l.url(base)),
    }
}

fn push_job(c: &mut ClusterData, job: StoredRestoreJob) {
    if c.restore_jobs.len() >= MAX_RESTORE_JOBS {
        let excess = c.restore_jobs.len() + 1 - MAX_RESTORE_JOBS;
        c.restore_jobs.drain(..excess);
    }
    c.restore_jobs.push(job);
}

fn download(ctx: &ApiCtx<'_>, group: &GroupId, cluster: &ClusterName) -> Result<Reply, Box<Reply>> {
    let body = json_object(ctx, &["snapshotId"])?;
    let raw = required_str(&body, "snapshotId")?;
    let shared = ctx.shared;
    let mut data = shared.data.write().unwrap_or_else(|e| e.into_inner());
    let c = find_cluster_mut(&mut data, group, cluster, Api::Flex)?;
    let s = completed_snapshot(ctx, c, raw)?;
    let snapshot_id = s
        .id()
        .cloned()
        .ok_or_else(|| snapshot_not_found_raw(raw, cluster))?;
    let finished = s.view(&shared.clock, ctx.now).finish_time;
    let settings = shared.downloads.settings;
    let Some(layout) = layout_for(&settings, snapshot_id.as_str(), s.archive.as_ref()) else {
        return Err(boxed_error(
            500,
            "UNEXPECTED_ERROR",
            "The snapshot's archive size is out of range.",
            vec![],
        ));
    };
    let now = shared.clock.at(ctx.now);
    let expires =
        now + chrono::Duration::from_std(settings.lifetime()).unwrap_or(chrono::Duration::hours(4));
    let id = shared.ids.next_hex(&shared.clock);
    let link = shared.downloads.create(
        NewLink {
            group: group.clone(),
            cluster: cluster.clone(),
            job_id: id.clone(),
            layout,
            created: now,
            expires,
        },
        now,
    );
    let job = StoredRestoreJob {
        id,
        delivery: Delivery::Download,
        snapshot_id,
        snapshot_finished: finished,
        target_deployment: None,
        target_project: None,
        created: Some(ctx.now),
        lifecycle: None,
        status: Some("COMPLETED".into()),
        scheduled: Some(now),
        finished: Some(now),
        expiration: Some(expires),
        link: Some(link.token.clone()),
        extra: Default::default(),
    };
    let base = ctx.base_url();
    let v = job.view(
        &shared.clock,
        ctx.now,
        &place(ctx, &base, group, cluster, &job),
    );
    push_job(c, job);
    Ok(ok(v))
}

fn snapshot_not_found_raw(raw: &str, cluster: &ClusterName) -> Box<Reply> {
    boxed_error(
        404,
        "BACKUP_SNAPSHOT_NOT_FOUND",
        format!("No snapshot with ID {raw} exists for cluster {cluster}."),
        vec![json!(raw), json!(cluster.as_str())],
    )
}

fn start_restore(
    ctx: &ApiCtx<'_>,
    group: &GroupId,
    cluster: &ClusterName,
) -> Result<Reply, Box<Reply>> {
    let body = json_object(
        ctx,
        &["snapshotId", "targetDeploymentItemName", "targetProjectId"],
    )?;
    let raw = required_str(&body, "snapshotId")?;
    let target = required_str(&body, "targetDeploymentItemName")?;
    if !valid_deployment_name(target) {
        return Err(invalid_attribute(
            "targetDeploymentItemName",
            "must be 1 to 64 letters, digits or -_.(),:&@+'",
        ));
    }
    let target_project: Option<GroupId> = optional_str(&body, "targetProjectId")?
        .map(|p| {
            p.parse::<GroupId>()
                .map_err(|e| invalid_attribute("targetProjectId", &e.to_string()))
        })
        .transpose()?;
    let shared = ctx.shared;
    let mut data = shared.data.write().unwrap_or_else(|e| e.into_inner());
    let (snapshot_id, finished) = {
        let c = find_cluster(&data, group, cluster, Api::Flex)?;
        let s = completed_snapshot(ctx, c, raw)?;
        (
            s.id()
                .cloned()
                .ok_or_else(|| snapshot_not_found_raw(raw, cluster))?,
            s.view(&shared.clock, ctx.now).finish_time,
        )
    };
    let to_group = target_project.clone().unwrap_or_else(|| group.clone());
    check_group(ctx, &to_group)?;
    let Some(g) = data.group(&to_group) else {
        return Err(group_not_found(&to_group));
    };
    let exists = target
        .parse::<ClusterName>()
        .ok()
        .is_some_and(|n| g.cluster(&n).is_some());
    if !exists {
        return Err(cluster_not_found(target, &to_group));
    }
    let job = StoredRestoreJob {
        id: shared.ids.next_hex(&shared.clock),
        delivery: Delivery::Restore,
        snapshot_id,
        snapshot_finished: finished,
        target_deployment: Some(target.to_owned()),
        target_project: Some(to_group),
        created: Some(ctx.now),
        lifecycle: Some(shared.restore_lifecycle.anchored(crate::Anchor::Creation)),
        status: None,
        scheduled: None,
        finished: None,
        expiration: None,
        link: None,
        extra: Default::default(),
    };
    let base = ctx.base_url();
    let v = job.view(
        &shared.clock,
        ctx.now,
        &place(ctx, &base, group, cluster, &job),
    );
    let c = find_cluster_mut(&mut data, group, cluster, Api::Flex)?;
    push_job(c, job);
    Ok(ok(v))
}

fn list(
    ctx: &ApiCtx<'_>,
    group: &GroupId,
    cluster: &ClusterName,
    paging: Paging,
) -> Result<Reply, Box<Reply>> {
    let shared = ctx.shared;
    let data = shared.data.read().unwrap_or_else(|e| e.into_inner());
    let c = find_cluster(&data, group, cluster, Api::Flex)?;
    let base = ctx.base_url();
    let total = c.restore_jobs.len();
    let start = (paging.page_num - 1).saturating_mul(paging.items_per_page);
    // Newest first, as observed on Atlas.
    let results: Vec<Value> = c
        .restore_jobs
        .iter()
        .rev()
        .skip(start)
        .take(paging.items_per_page)
        .map(|j| {
            j.view(
                &shared.clock,
                ctx.now,
                &place(ctx, &base, group, cluster, j),
            )
        })
        .collect();
    let links = query::page_links(&base, ctx.path, ctx.pairs, paging, total);
    let mut body = json!({"links": links, "results": results});
    if paging.include_count {
        body["totalCount"] = json!(total);
    }
    let mut r = ok(body);
    r.is_list = true;
    Ok(r)
}

fn get(
    ctx: &ApiCtx<'_>,
    group: &GroupId,
    cluster: &ClusterName,
    id: &str,
) -> Result<Reply, Box<Reply>> {
    let shared = ctx.shared;
    let data = shared.data.read().unwrap_or_else(|e| e.into_inner());
    let c = find_cluster(&data, group, cluster, Api::Flex)?;
    let Some(j) = c.restore_jobs.iter().find(|j| j.id == id) else {
        return Err(boxed_error(
            404,
            "RESTORE_JOB_NOT_FOUND",
            format!("No restore job with ID {id} exists for cluster {cluster}."),
            vec![json!(id), json!(cluster.as_str())],
        ));
    };
    let base = ctx.base_url();
    Ok(ok(j.view(
        &shared.clock,
        ctx.now,
        &place(ctx, &base, group, cluster, j),
    )))
}
