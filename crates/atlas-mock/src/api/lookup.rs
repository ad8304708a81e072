//! Checks the backup routes share: path ids, version negotiation, group access, roles, and finding
//! the cluster, with the answers Atlas gives for a cluster of the wrong kind.

use atlas_model::{ClusterName, GroupId};
use serde_json::json;

use super::ApiCtx;
use super::version::accepts_version_in;
use crate::data::{ClusterData, ClusterKind, Dataset};
use crate::roles::Permission;
use crate::server::reply::{Reply, boxed_error, invalid_param};

/// Code of a malformed path parameter, as observed on Atlas.
pub(crate) const PATH_PARAM_PARSE_ERROR: &str = "PATH_PARAM_PARSE_ERROR";

/// Parses a path id, or answers `400 PATH_PARAM_PARSE_ERROR` naming `field`.
pub(crate) fn parse_id<T: std::str::FromStr<Err = atlas_model::IdError>>(
    raw: &str,
    field: &str,
) -> Result<T, Box<Reply>> {
    raw.parse::<T>()
        .map_err(|e| invalid_param(PATH_PARAM_PARSE_ERROR, field, raw, &e.to_string()))
}

/// `406 INVALID_VERSION_DATE` unless `Accept` names a version date not before `version`.
pub(crate) fn negotiate(ctx: &ApiCtx<'_>, version: &str) -> Result<(), Box<Reply>> {
    if accepts_version_in(&ctx.parts.headers, version) {
        Ok(())
    } else {
        Err(boxed_error(
            406,
            "INVALID_VERSION_DATE",
            "Invalid accept header or version date.",
            vec![],
        ))
    }
}

/// `403 USER_CANNOT_ACCESS_GROUP` when the caller is restricted to other groups.
pub(crate) fn check_group(ctx: &ApiCtx<'_>, group: &GroupId) -> Result<(), Box<Reply>> {
    match ctx.principal {
        Some(p) if !p.can_access(group) => Err(boxed_error(
            403,
            "USER_CANNOT_ACCESS_GROUP",
            format!("The {} is not allowed to access group {group}.", p.what()),
            vec![json!(group.as_str())],
        )),
        _ => Ok(()),
    }
}

/// Atlas's answer to a caller without the role: `401 USER_UNAUTHORIZED` (no challenge).
pub(crate) fn check_permission(ctx: &ApiCtx<'_>, p: Permission) -> Result<(), Box<Reply>> {
    match ctx.principal {
        Some(who) if !who.allows(p) => Err(boxed_error(
            401,
            "USER_UNAUTHORIZED",
            "Current user is not authorized to perform this action.",
            vec![],
        )),
        _ => Ok(()),
    }
}

/// Which API a path belongs to (what kind of cluster it serves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `/api/atlas/v1.0/.../backup/tenant/...`
    TenantV1,
    /// `/api/atlas/v2/.../clusters/{c}/backup/tenant/...` (the v2 cluster API)
    TenantV2,
    /// `/api/atlas/v2/.../flexClusters/{name}/...`
    Flex,
    /// `/api/atlas/v2/.../clusters/{c}/backup/snapshots...` (cloud backups of dedicated clusters)
    Cloud,
}

pub(crate) fn group_not_found(group: &GroupId) -> Box<Reply> {
    boxed_error(
        404,
        "GROUP_NOT_FOUND",
        format!("No group with ID {group} exists."),
        vec![json!(group.as_str())],
    )
}

pub(crate) fn cluster_not_found(cluster: &str, group: &GroupId) -> Box<Reply> {
    boxed_error(
        404,
        "CLUSTER_NOT_FOUND",
        format!("No cluster named {cluster} exists in group {group}."),
        vec![json!(cluster), json!(group.as_str())],
    )
}

/// The answer for a cluster of `kind` on a path of `api`, `None` when the path serves it.
pub(crate) fn wrong_kind(
    api: Api,
    kind: ClusterKind,
    cluster: &ClusterName,
    group: &GroupId,
) -> Option<Box<Reply>> {
    match (api, kind) {
        (Api::TenantV1 | Api::TenantV2, ClusterKind::Tenant)
        | (Api::Flex, ClusterKind::Flex)
        | (Api::Cloud, ClusterKind::Dedicated) => None,
        // A flex (or migrated) cluster on the v2 cluster API, as Atlas answers it.
        (Api::TenantV2 | Api::Cloud, ClusterKind::Flex) => Some(boxed_error(
            400,
            "CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API",
            format!("Flex cluster {cluster} cannot be used in the Cluster API."),
            vec![json!(cluster.as_str())],
        )),
        // ... and on the sunset v1.0 tenant paths: not found.
        (Api::TenantV1, ClusterKind::Flex) => Some(cluster_not_found(cluster.as_str(), group)),
        // A dedicated cluster has no tenant snapshots (the mock's answer: Atlas documents none;
        // a 404 the cluster-kind lookups pass over).
        (Api::TenantV1 | Api::TenantV2, ClusterKind::Dedicated) => {
            Some(cluster_not_found(cluster.as_str(), group))
        }
        // An M2/M5 cluster on the cloud backup paths (the mock's code).
        (Api::Cloud, ClusterKind::Tenant) => Some(boxed_error(
            400,
            "CANNOT_USE_TENANT_CLUSTER_IN_CLOUD_BACKUP_API",
            format!(
                "Cluster {cluster} is a shared-tier (M2/M5) cluster; its snapshots are under /backup/tenant/snapshots."
            ),
            vec![json!(cluster.as_str())],
        )),
        (Api::Flex, ClusterKind::Tenant | ClusterKind::Dedicated) => Some(boxed_error(
            400,
            "CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API",
            format!(
                "Cluster {cluster} is not a flex cluster and cannot be used in the Flex Cluster API."
            ),
            vec![json!(cluster.as_str())],
        )),
    }
}

/// The cluster a path names, or the answer for a missing group or cluster or a cluster of another
/// kind.
pub(crate) fn find_cluster<'d>(
    data: &'d Dataset,
    group: &GroupId,
    cluster: &ClusterName,
    api: Api,
) -> Result<&'d ClusterData, Box<Reply>> {
    let g = data.group(group).ok_or_else(|| group_not_found(group))?;
    let c = g
        .cluster(cluster)
        .ok_or_else(|| cluster_not_found(cluster.as_str(), group))?;
    match wrong_kind(api, c.kind, cluster, group) {
        Some(r) => Err(r),
        None => Ok(c),
    }
}

/// [`find_cluster`], for changing it.
pub(crate) fn find_cluster_mut<'d>(
    data: &'d mut Dataset,
    group: &GroupId,
    cluster: &ClusterName,
    api: Api,
) -> Result<&'d mut ClusterData, Box<Reply>> {
    find_cluster(data, group, cluster, api)?;
    data.cluster_mut(group, cluster)
        .ok_or_else(|| cluster_not_found(cluster.as_str(), group))
}
