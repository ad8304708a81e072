//! Cloud backup snapshots of dedicated clusters: `GET`/`POST
//! /api/atlas/v2/groups/{g}/clusters/{c}/backup/snapshots` (list, take an on-demand snapshot) and
//! `GET`/`DELETE .../backup/snapshots/{id}`, resource version 2023-01-01.
//!
//! Checks in `serve`, in order: version negotiation (`406`), path parameters (`400
//! PATH_PARAM_PARSE_ERROR`), paging, group access (`403`), the role (`401 USER_UNAUTHORIZED`:
//! taking a snapshot needs Project Backup Creator, deleting one Project Backup Manager), the body
//! (`415`, `400 INVALID_JSON`, `400 INVALID_ATTRIBUTE`), then the data: `404 GROUP_NOT_FOUND`,
//! `404 CLUSTER_NOT_FOUND`, `400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API` (a flex cluster),
//! `400 CANNOT_USE_TENANT_CLUSTER_IN_CLOUD_BACKUP_API` (an M2/M5 cluster; the mock's code),
//! `404 BACKUP_SNAPSHOT_NOT_FOUND`. A delete answers `204` with no body (and so no
//! `Content-Length`).

use std::borrow::Cow;

use atlas_model::{ClusterName, GroupId, SnapshotId};
use bytes::Bytes;
use http::{Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use super::body::{invalid_attribute, json_object};
use super::lookup::{
    Api, check_group, check_permission, find_cluster, find_cluster_mut, negotiate, parse_id,
};
use super::snapshots::snapshot_not_found;
use super::{ApiCtx, Endpoint, Family};
use crate::data::cloud::MAX_CLOUD_SNAPSHOTS;
use crate::data::restore::wire_time;
use crate::data::{ClusterData, DedicatedCluster, StoredCloudSnapshot};
use crate::roles::Permission;
use crate::route::RouteKind;
use crate::server::query::{self, Paging};
use crate::server::reply::Reply;

const VERSION: &str = "2023-01-01";
const CONTENT_TYPE: &str = "application/vnd.atlas.2023-01-01+json";

/// The cloud backup snapshot routes.
pub(crate) struct CloudSnapshots;

struct Route<'p> {
    kind: RouteKind,
    group: Cow<'p, str>,
    cluster: Cow<'p, str>,
    snapshot: Option<Cow<'p, str>>,
}

fn decode(seg: &str) -> Cow<'_, str> {
    percent_decode_str(seg).decode_utf8_lossy()
}

impl Family for CloudSnapshots {
    fn route<'p>(&self, path: &'p str) -> Option<Box<dyn Endpoint + 'p>> {
        let rest = path.strip_prefix("/api/atlas/v2/")?;
        let segs: Vec<&str> = rest.split('/').collect();
        if segs.iter().any(|s| s.is_empty()) {
            return None;
        }
        let (kind, g, c, s) = match segs.as_slice() {
            ["groups", g, "clusters", c, "backup", "snapshots"] => {
                (RouteKind::ClusterSnapshots, g, c, None)
            }
            ["groups", g, "clusters", c, "backup", "snapshots", s] => {
                (RouteKind::ClusterSnapshot, g, c, Some(decode(s)))
            }
            _ => return None,
        };
        Some(Box::new(Route {
            kind,
            group: decode(g),
            cluster: decode(c),
            snapshot: s,
        }))
    }
}

impl Endpoint for Route<'_> {
    fn kind(&self) -> RouteKind {
        self.kind
    }

    fn methods(&self) -> &'static [Method] {
        match self.kind {
            RouteKind::ClusterSnapshots => &[Method::GET, Method::HEAD, Method::POST],
            _ => &[Method::GET, Method::HEAD, Method::DELETE],
        }
    }

    fn reads_body(&self) -> bool {
        self.kind == RouteKind::ClusterSnapshots
    }

    fn serve(&self, ctx: &ApiCtx<'_>) -> Reply {
        serve(ctx, self).unwrap_or_else(|e| *e)
    }
}

fn href(ctx: &ApiCtx<'_>, g: &GroupId, c: &ClusterName, id: &SnapshotId) -> String {
    format!(
        "{}/api/atlas/v2/groups/{g}/clusters/{c}/backup/snapshots/{id}",
        ctx.base_url()
    )
}

fn view(ctx: &ApiCtx<'_>, g: &GroupId, c: &ClusterData, s: &StoredCloudSnapshot) -> Value {
    let spec = c.dedicated.clone().unwrap_or_default();
    s.view(
        &ctx.shared.clock,
        ctx.now,
        c.name.as_str(),
        &spec,
        href(ctx, g, &c.name, &s.id),
    )
}

fn serve(ctx: &ApiCtx<'_>, r: &Route<'_>) -> Result<Reply, Box<Reply>> {
    negotiate(ctx, VERSION)?;
    let group: GroupId = parse_id(&r.group, "groupId")?;
    let cluster: ClusterName = parse_id(&r.cluster, "clusterName")?;
    let snapshot: Option<SnapshotId> = match &r.snapshot {
        Some(s) => Some(parse_id(s, "snapshotId")?),
        None => None,
    };
    let method = &ctx.parts.method;
    let paging = if r.kind == RouteKind::ClusterSnapshots && method != Method::POST {
        query::paging(ctx.pairs)?
    } else {
        Paging::default()
    };
    check_group(ctx, &group)?;
    check_permission(
        ctx,
        match *method {
            Method::POST => Permission::TakeSnapshot,
            Method::DELETE => Permission::DeleteSnapshot,
            _ => Permission::Read,
        },
    )?;
    let shared = ctx.shared;
    match (snapshot, method) {
        (None, &Method::POST) => take(ctx, &group, &cluster),
        (Some(id), &Method::DELETE) => {
            let mut data = shared.data.write().unwrap_or_else(|e| e.into_inner());
            let c = find_cluster_mut(&mut data, &group, &cluster, Api::Cloud)?;
            let Some(pos) = c.cloud_snapshots.iter().position(|s| s.id == id) else {
                return Err(snapshot_not_found(&id, &cluster));
            };
            c.cloud_snapshots.remove(pos);
            let mut r = Reply::raw(StatusCode::NO_CONTENT, CONTENT_TYPE, Bytes::new());
            r.no_content = true;
            Ok(r)
        }
        (Some(id), _) => {
            let data = shared.data.read().unwrap_or_else(|e| e.into_inner());
            let c = find_cluster(&data, &group, &cluster, Api::Cloud)?;
            let Some(s) = c.cloud_snapshots.iter().find(|s| s.id == id) else {
                return Err(snapshot_not_found(&id, &cluster));
            };
            Ok(Reply::json(
                StatusCode::OK,
                CONTENT_TYPE,
                view(ctx, &group, c, s),
            ))
        }
        (None, _) => {
            let data = shared.data.read().unwrap_or_else(|e| e.into_inner());
            let c = find_cluster(&data, &group, &cluster, Api::Cloud)?;
            let total = c.cloud_snapshots.len();
            let start = (paging.page_num - 1).saturating_mul(paging.items_per_page);
            let results: Vec<Value> = c
                .cloud_snapshots
                .iter()
                .skip(start)
                .take(paging.items_per_page)
                .map(|s| view(ctx, &group, c, s))
                .collect();
            let links = query::page_links(&ctx.base_url(), ctx.path, ctx.pairs, paging, total);
            let mut body = json!({"links": links, "results": results});
            if paging.include_count {
                body["totalCount"] = json!(total);
            }
            let mut r = Reply::json(StatusCode::OK, CONTENT_TYPE, body);
            r.is_list = true;
            Ok(r)
        }
    }
}

/// `POST .../backup/snapshots {"description"?, "retentionInDays"?}`: an on-demand snapshot, queued
/// now and moving with the on-demand lifecycle.
fn take(ctx: &ApiCtx<'_>, group: &GroupId, cluster: &ClusterName) -> Result<Reply, Box<Reply>> {
    let body = json_object(ctx, &["description", "retentionInDays"])?;
    let description = match body.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= 1000 => Some(s.clone()),
        Some(_) => {
            return Err(invalid_attribute(
                "description",
                "must be a string of at most 1000 characters",
            ));
        }
    };
    let days = match body.get("retentionInDays") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_u64()
            .filter(|d| (1..=36_500).contains(d))
            .ok_or_else(|| {
                invalid_attribute(
                    "retentionInDays",
                    "must be a whole number of days, at least 1",
                )
            })?,
    };
    let shared = ctx.shared;
    let mut data = shared.data.write().unwrap_or_else(|e| e.into_inner());
    let c = find_cluster_mut(&mut data, group, cluster, Api::Cloud)?;
    let now = shared.clock.at(ctx.now);
    let id: SnapshotId = shared
        .ids
        .next_hex(&shared.clock)
        .parse()
        .map_err(|_| Box::new(crate::api::injected_status(500)))?;
    let mut fields = Map::new();
    fields.insert("createdAt".into(), json!(wire_time(now)));
    fields.insert(
        "expiresAt".into(),
        json!(wire_time(
            now + chrono::Duration::days(i64::try_from(days).unwrap_or(1))
        )),
    );
    if let Some(d) = description {
        fields.insert("description".into(), json!(d));
    }
    fields.insert("frequencyType".into(), json!("ondemand"));
    fields.insert("snapshotType".into(), json!("onDemand"));
    let s = StoredCloudSnapshot {
        id,
        fields,
        lifecycle: Some(shared.on_demand_lifecycle.anchored(crate::Anchor::Creation)),
        created: Some(ctx.now),
        extra: Map::new(),
    };
    let spec: DedicatedCluster = c.dedicated.clone().unwrap_or_default();
    let v = s.view(
        &shared.clock,
        ctx.now,
        c.name.as_str(),
        &spec,
        href(ctx, group, cluster, &s.id),
    );
    if c.cloud_snapshots.len() >= MAX_CLOUD_SNAPSHOTS {
        c.cloud_snapshots.remove(0);
    }
    c.cloud_snapshots.push(s);
    Ok(Reply::json(StatusCode::OK, CONTENT_TYPE, v))
}
