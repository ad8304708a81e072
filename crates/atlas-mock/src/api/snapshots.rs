//! The snapshot routes of shared-tier (tenant, v1.0 and v2) and flex clusters.
//!
//! Checks in `serve`, in order: version negotiation (v2: `406 INVALID_VERSION_DATE`), sunset mode
//! (tenant routes: `410 VERSION_GONE`), path parameters (`400 PATH_PARAM_PARSE_ERROR`), paging
//! parameters (`400 INVALID_QUERY_PARAMETER`), a caller restricted to other groups
//! (`403 USER_CANNOT_ACCESS_GROUP`) or without a role (`401 USER_UNAUTHORIZED`), then the data:
//! `404 GROUP_NOT_FOUND`, `404 CLUSTER_NOT_FOUND`, the cluster-kind answers of a migrated cluster
//! (see [`crate::ClusterKind`]), and `404 BACKUP_SNAPSHOT_NOT_FOUND`.

use atlas_model::{ClusterName, GroupId, SnapshotId};
use http::StatusCode;
use http::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::lookup::{Api, check_group, check_permission, find_cluster, negotiate, parse_id};
use super::version::accepts_version_in;
use super::{ApiCtx, Endpoint, Family};
use crate::roles::Permission;
use crate::route::{self, Matched, RouteKind};
use crate::server::Shared;
use crate::server::query::{self, Paging};
use crate::server::reply::{JSON, Reply, boxed_error};

/// `Deprecation` of the tenant endpoints, as Atlas writes dates (see `atlas_http_date`):
/// 2024-11-13, the day the flex replacement (resource version 2024-11-13) appeared. A constant,
/// not formatted per request; the tests check it against the formatter.
const TENANT_DEPRECATED: &str = "Wed, 13 Nov 2024 00:00:00 GMT";
/// `Sunset` of the tenant endpoints (OpenAPI `x-sunset: 2026-01-22`), written the same way.
const TENANT_SUNSET: &str = "Thu, 22 Jan 2026 00:00:00 GMT";

/// The tenant and flex snapshot routes.
pub(crate) struct Snapshots;

impl Family for Snapshots {
    fn route<'p>(&self, path: &'p str) -> Option<Box<dyn Endpoint + 'p>> {
        route::match_path(path).map(|m| Box::new(SnapshotRoute(m)) as Box<dyn Endpoint + 'p>)
    }
}

struct SnapshotRoute<'p>(Matched<'p>);

impl Endpoint for SnapshotRoute<'_> {
    fn kind(&self) -> RouteKind {
        self.0.kind
    }

    fn rate_limit_headers(&self) -> bool {
        self.0.kind.is_v2()
    }

    fn headers(&self, shared: &Shared) -> Vec<(HeaderName, HeaderValue)> {
        // Validated once, at compile time: a clone of a static value copies two words.
        static DEPRECATION: HeaderValue = HeaderValue::from_static(TENANT_DEPRECATED);
        static SUNSET: HeaderValue = HeaderValue::from_static(TENANT_SUNSET);
        if self.0.kind.is_tenant() && !shared.sunset() {
            vec![
                (HeaderName::from_static("deprecation"), DEPRECATION.clone()),
                (HeaderName::from_static("sunset"), SUNSET.clone()),
            ]
        } else {
            Vec::new()
        }
    }

    fn serve(&self, ctx: &ApiCtx<'_>) -> Reply {
        serve(ctx, &self.0).unwrap_or_else(|e| *e)
    }
}

fn content_type(ctx: &ApiCtx<'_>, kind: RouteKind) -> Result<&'static str, Box<Reply>> {
    let Some(version) = kind.resource_version() else {
        return Ok(JSON);
    };
    negotiate(ctx, version)?;
    Ok(if kind.is_tenant() {
        "application/vnd.atlas.2023-01-01+json"
    } else {
        "application/vnd.atlas.2024-11-13+json"
    })
}

/// The answer; `Err` is an error answer that ended the checks.
fn serve(ctx: &ApiCtx<'_>, m: &Matched<'_>) -> Result<Reply, Box<Reply>> {
    let shared = ctx.shared;
    let content_type = content_type(ctx, m.kind)?;
    if m.kind.is_tenant() && shared.sunset() {
        return Err(boxed_error(
            410,
            "VERSION_GONE",
            "The shared-tier (M2/M5) snapshot endpoints were sunset on 2026-01-22. Use the flex snapshot endpoints instead: GET /api/atlas/v2/groups/{groupId}/flexClusters/{name}/backup/snapshots[/{snapshotId}] with Accept: application/vnd.atlas.2024-11-13+json.",
            vec![json!(crate::journal::cut(ctx.path, 256))],
        ));
    }
    let group: GroupId = parse_id(&m.group, "groupId")?;
    let cluster_field = if m.kind.is_tenant() {
        "clusterName"
    } else {
        "name"
    };
    let cluster: ClusterName = parse_id(&m.cluster, cluster_field)?;
    let snapshot: Option<SnapshotId> = match &m.snapshot {
        Some(s) => Some(parse_id(s, "snapshotId")?),
        None => None,
    };
    let paging = if m.kind.is_list() {
        query::paging(ctx.pairs)?
    } else {
        Paging::default()
    };
    check_group(ctx, &group)?;
    check_permission(ctx, Permission::Read)?;
    let api = match m.kind {
        RouteKind::TenantV1Get | RouteKind::TenantV1List => Api::TenantV1,
        RouteKind::TenantV2Get | RouteKind::TenantV2List => Api::TenantV2,
        _ => Api::Flex,
    };
    let data = shared.data.read().unwrap_or_else(|e| e.into_inner());
    let c = find_cluster(&data, &group, &cluster, api)?;
    if let Some(id) = snapshot {
        let Some(s) = c.snapshot(&id) else {
            return Err(snapshot_not_found(&id, &cluster));
        };
        return Ok(Reply::json(
            StatusCode::OK,
            content_type,
            snapshot_json(s, ctx),
        ));
    }
    let total = c.snapshots.len();
    let start = (paging.page_num - 1).saturating_mul(paging.items_per_page);
    let results: Vec<Value> = c
        .snapshots
        .iter()
        .skip(start)
        .take(paging.items_per_page)
        .map(|s| snapshot_json(s, ctx))
        .collect();
    let links = query::page_links(&ctx.base_url(), ctx.path, ctx.pairs, paging, total);
    let mut body = json!({"links": links, "results": results});
    if paging.include_count {
        body["totalCount"] = json!(total);
    }
    let mut r = Reply::json(StatusCode::OK, content_type, body);
    r.is_list = true;
    Ok(r)
}

/// `404 BACKUP_SNAPSHOT_NOT_FOUND` (the mock's code; Atlas documents none).
pub(crate) fn snapshot_not_found(id: &SnapshotId, cluster: &ClusterName) -> Box<Reply> {
    boxed_error(
        404,
        "BACKUP_SNAPSHOT_NOT_FOUND",
        format!("No snapshot with ID {id} exists for cluster {cluster}."),
        vec![json!(id.as_str()), json!(cluster.as_str())],
    )
}

fn snapshot_json(s: &crate::data::StoredSnapshot, ctx: &ApiCtx<'_>) -> Value {
    serde_json::to_value(s.view(&ctx.shared.clock, ctx.now)).unwrap_or_else(|_| json!({}))
}

/// The request-target parsing on its own, for the fuzz target: path matching of every family with percent-decoding,
/// id validation, query pairs and flags, paging parameters, the next-page link, and `Accept`
/// version negotiation. Returns a number derived from every result so none of the work is
/// optimised away.
pub(crate) fn fuzz_request_target(path: &str, query: Option<&str>, accept: &str) -> usize {
    let pairs = query::query_pairs(query);
    let (flags, err) = query::flags(&pairs);
    let mut n =
        usize::from(flags.pretty) + usize::from(flags.envelope) + usize::from(err.is_some());
    match query::paging(&pairs) {
        Ok(p) => {
            n += p.items_per_page + p.page_num + usize::from(p.include_count);
            n += query::page_href(
                "http://127.0.0.1:1",
                path,
                &pairs,
                p.page_num + 1,
                p.items_per_page,
            )
            .len();
        }
        Err(reply) => n += usize::from(reply.status.as_u16()),
    }
    // Every family's path matching (snapshots, flex restores and downloads, cloud snapshots).
    n += super::FAMILIES
        .iter()
        .filter_map(|f| f.route(path))
        .map(|e| e.methods().len() + usize::from(e.reads_body()))
        .sum::<usize>();
    if let Some(m) = route::match_path(path) {
        n += parse_id::<GroupId>(&m.group, "groupId").map_or(1, |g| g.as_str().len());
        n += parse_id::<ClusterName>(&m.cluster, "clusterName").map_or(1, |c| c.as_str().len());
        if let Some(s) = &m.snapshot {
            n += parse_id::<SnapshotId>(s, "snapshotId").map_or(1, |s| s.as_str().len());
        }
        if let (Some(version), Ok(value)) = (
            m.kind.resource_version(),
            http::HeaderValue::from_str(accept),
        ) {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::ACCEPT, value);
            n += usize::from(accepts_version_in(&headers, version));
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::{TENANT_DEPRECATED, TENANT_SUNSET};
    use crate::server::reply::atlas_http_date;

    #[test]
    fn the_deprecation_dates_are_what_the_formatter_writes() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            TENANT_DEPRECATED,
            atlas_http_date(t("2024-11-13T00:00:00Z"))
        );
        assert_eq!(TENANT_SUNSET, atlas_http_date(t("2026-01-22T00:00:00Z")));
    }
}
