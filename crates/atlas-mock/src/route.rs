//! Route names (for fault rules) and path matching for the snapshot routes.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use percent_encoding::percent_decode_str;

/// The routes the mock serves, as fault rules name them (JSON form: `tenantV1Get`, `flexList`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum RouteKind {
    /// `GET /api/atlas/v1.0/groups/{g}/clusters/{c}/backup/tenant/snapshots/{s}`
    TenantV1Get,
    /// `GET /api/atlas/v1.0/groups/{g}/clusters/{c}/backup/tenant/snapshots`
    TenantV1List,
    /// `GET /api/atlas/v2/groups/{g}/clusters/{c}/backup/tenant/snapshots/{s}`
    TenantV2Get,
    /// `GET /api/atlas/v2/groups/{g}/clusters/{c}/backup/tenant/snapshots`
    TenantV2List,
    /// `GET /api/atlas/v2/groups/{g}/flexClusters/{name}/backup/snapshots/{s}`
    FlexGet,
    /// `GET /api/atlas/v2/groups/{g}/flexClusters/{name}/backup/snapshots`
    FlexList,
    /// `POST /api/atlas/v2/groups/{g}/flexClusters/{name}/backup/download`
    FlexDownload,
    /// `GET` (list) and `POST` (create) `/api/atlas/v2/groups/{g}/flexClusters/{name}/backup/restoreJobs`
    FlexRestoreJobs,
    /// `GET /api/atlas/v2/groups/{g}/flexClusters/{name}/backup/restoreJobs/{id}`
    FlexRestoreJob,
    /// `GET`/`HEAD` of a pre-signed download link (`/flex-snapshot-downloads/...`, the object store)
    SnapshotArchive,
    /// `GET` (list) and `POST` (take an on-demand snapshot)
    /// `/api/atlas/v2/groups/{g}/clusters/{c}/backup/snapshots` (dedicated clusters)
    ClusterSnapshots,
    /// `GET`, `DELETE /api/atlas/v2/groups/{g}/clusters/{c}/backup/snapshots/{id}`
    ClusterSnapshot,
    /// `POST /api/oauth/token` (service accounts)
    OauthToken,
    /// `POST /api/oauth/revoke`
    OauthRevoke,
}

impl RouteKind {
    /// Every route.
    pub const ALL: [RouteKind; 14] = [
        RouteKind::TenantV1Get,
        RouteKind::TenantV1List,
        RouteKind::TenantV2Get,
        RouteKind::TenantV2List,
        RouteKind::FlexGet,
        RouteKind::FlexList,
        RouteKind::FlexDownload,
        RouteKind::FlexRestoreJobs,
        RouteKind::FlexRestoreJob,
        RouteKind::SnapshotArchive,
        RouteKind::ClusterSnapshots,
        RouteKind::ClusterSnapshot,
        RouteKind::OauthToken,
        RouteKind::OauthRevoke,
    ];

    /// The deprecated tenant (M2/M5 shared-tier) routes, v1.0 and v2.
    pub fn is_tenant(self) -> bool {
        matches!(
            self,
            RouteKind::TenantV1Get
                | RouteKind::TenantV1List
                | RouteKind::TenantV2Get
                | RouteKind::TenantV2List
        )
    }

    /// The list routes (paged).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            RouteKind::TenantV1List
                | RouteKind::TenantV2List
                | RouteKind::FlexList
                | RouteKind::FlexRestoreJobs
                | RouteKind::ClusterSnapshots
        )
    }

    /// The versioned (`/api/atlas/v2`) routes, which need an `Accept` header naming a resource version.
    pub fn is_v2(self) -> bool {
        self.resource_version().is_some()
    }

    /// The resource version (`YYYY-MM-DD`) of a v2 route, `None` for v1.0 and the object store.
    pub fn resource_version(self) -> Option<&'static str> {
        match self {
            RouteKind::TenantV1Get
            | RouteKind::TenantV1List
            | RouteKind::SnapshotArchive
            | RouteKind::OauthToken
            | RouteKind::OauthRevoke => None,
            RouteKind::TenantV2Get
            | RouteKind::TenantV2List
            | RouteKind::ClusterSnapshots
            | RouteKind::ClusterSnapshot => Some("2023-01-01"),
            RouteKind::FlexGet
            | RouteKind::FlexList
            | RouteKind::FlexDownload
            | RouteKind::FlexRestoreJobs
            | RouteKind::FlexRestoreJob => Some("2024-11-13"),
        }
    }

    /// The name fault rules and the journal use (`flexGet`, `snapshotArchive`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::TenantV1Get => "tenantV1Get",
            RouteKind::TenantV1List => "tenantV1List",
            RouteKind::TenantV2Get => "tenantV2Get",
            RouteKind::TenantV2List => "tenantV2List",
            RouteKind::FlexGet => "flexGet",
            RouteKind::FlexList => "flexList",
            RouteKind::FlexDownload => "flexDownload",
            RouteKind::FlexRestoreJobs => "flexRestoreJobs",
            RouteKind::FlexRestoreJob => "flexRestoreJob",
            RouteKind::SnapshotArchive => "snapshotArchive",
            RouteKind::ClusterSnapshots => "clusterSnapshots",
            RouteKind::ClusterSnapshot => "clusterSnapshot",
            RouteKind::OauthToken => "oauthToken",
            RouteKind::OauthRevoke => "oauthRevoke",
        }
    }
}

/// A matched snapshot route with its (percent-decoded, not yet validated) path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Matched<'a> {
    pub(crate) kind: RouteKind,
    pub(crate) group: Cow<'a, str>,
    pub(crate) cluster: Cow<'a, str>,
    pub(crate) snapshot: Option<Cow<'a, str>>,
}

fn decode(seg: &str) -> Cow<'_, str> {
    percent_decode_str(seg).decode_utf8_lossy()
}

/// Matches a path below `/api/atlas`. `None` when it is not one of the snapshot routes.
pub(crate) fn match_path(path: &str) -> Option<Matched<'_>> {
    let rest = path.strip_prefix("/api/atlas/")?;
    let segs: Vec<&str> = rest.split('/').collect();
    if segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    let (v2, tail) = match *segs.first()? {
        "v1.0" => (false, &segs[1..]),
        "v2" => (true, &segs[1..]),
        _ => return None,
    };
    // groups/{g}/clusters/{c}/backup/tenant/snapshots[/{s}]
    // groups/{g}/flexClusters/{n}/backup/snapshots[/{s}]   (v2 only)
    match tail {
        [
            "groups",
            g,
            "clusters",
            c,
            "backup",
            "tenant",
            "snapshots",
            rest @ ..,
        ] if rest.len() <= 1 => {
            let get = rest.len() == 1;
            let kind = match (v2, get) {
                (false, true) => RouteKind::TenantV1Get,
                (false, false) => RouteKind::TenantV1List,
                (true, true) => RouteKind::TenantV2Get,
                (true, false) => RouteKind::TenantV2List,
            };
            Some(Matched {
                kind,
                group: decode(g),
                cluster: decode(c),
                snapshot: rest.first().map(|s| decode(s)),
            })
        }
        [
            "groups",
            g,
            "flexClusters",
            n,
            "backup",
            "snapshots",
            rest @ ..,
        ] if v2 && rest.len() <= 1 => {
            let kind = if rest.is_empty() {
                RouteKind::FlexList
            } else {
                RouteKind::FlexGet
            };
            Some(Matched {
                kind,
                group: decode(g),
                cluster: decode(n),
                snapshot: rest.first().map(|s| decode(s)),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_every_route() {
        let g = "5b69d0349b15c62cdfc38b78";
        let cases = [
            (
                format!("/api/atlas/v1.0/groups/{g}/clusters/M2AWS/backup/tenant/snapshots/abc"),
                RouteKind::TenantV1Get,
            ),
            (
                format!("/api/atlas/v1.0/groups/{g}/clusters/M2AWS/backup/tenant/snapshots"),
                RouteKind::TenantV1List,
            ),
            (
                format!("/api/atlas/v2/groups/{g}/clusters/M2AWS/backup/tenant/snapshots/abc"),
                RouteKind::TenantV2Get,
            ),
            (
                format!("/api/atlas/v2/groups/{g}/clusters/M2AWS/backup/tenant/snapshots"),
                RouteKind::TenantV2List,
            ),
            (
                format!("/api/atlas/v2/groups/{g}/flexClusters/f1/backup/snapshots/abc"),
                RouteKind::FlexGet,
            ),
            (
                format!("/api/atlas/v2/groups/{g}/flexClusters/f1/backup/snapshots"),
                RouteKind::FlexList,
            ),
        ];
        for (p, k) in cases {
            let m = match_path(&p).unwrap_or_else(|| panic!("{p}"));
            assert_eq!(m.kind, k);
            assert_eq!(m.group, g);
        }
    }

    #[test]
    fn rejects_others() {
        for p in [
            "/api/atlas/v1.0/groups/x/flexClusters/f/backup/snapshots",
            "/api/atlas/v3/groups/x/clusters/c/backup/tenant/snapshots",
            "/api/atlas/v1.0/groups/x/clusters/c/backup/tenant/snapshots/a/b",
            "/api/atlas/v1.0/groups/x/clusters/c/backup/tenant/snapshots/",
            "/api/atlas/v1.0/groups//clusters/c/backup/tenant/snapshots",
            "/other",
        ] {
            assert!(match_path(p).is_none(), "{p}");
        }
    }

    #[test]
    fn names_are_the_json_form() {
        for k in RouteKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    #[test]
    fn decodes_segments() {
        let m =
            match_path("/api/atlas/v1.0/groups/a%20b/clusters/c/backup/tenant/snapshots").unwrap();
        assert_eq!(m.group, "a b");
    }
}
