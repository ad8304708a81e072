//! The endpoint groups ([`TenantSnapshots`], [`FlexSnapshots`]) and the one-snapshot request
//! ([`GetSnapshot`]); lists are in `list.rs`, waits in `wait.rs`.

use std::fmt;
use std::marker::PhantomData;

use atlas_model::{ClusterName, GroupId, SnapshotId, TenantSnapshot};
use http::Uri;

use crate::endpoint::{Family, Query, Target};
use crate::list::ListSnapshots;
use crate::wait::WaitSnapshot;
use crate::{ApiResponse, ApiVersion, AtlasClient, Error};

/// Marks requests to the shared-tier (M2/M5) "tenant" endpoints; only these take an
/// [`ApiVersion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenant;

/// Marks requests to the flex cluster endpoints (always API v2, `2024-11-13`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flex;

/// The shared-tier (M2/M5) snapshot endpoints, from [`AtlasClient::tenant_snapshots`].
///
/// - `GET {base}/api/atlas/v1.0/groups/{groupId}/clusters/{clusterName}/backup/tenant/snapshots/{snapshotId}`
///   ([`ApiVersion::V1`], the default: the seed's endpoint);
/// - the same under `/api/atlas/v2` with `Accept: application/vnd.atlas.2023-01-01+json`
///   ([`ApiVersion::V2`]);
/// - without the last segment, the list.
///
/// These endpoints were sunset on 2026-01-22; Atlas answers them with `410 VERSION_GONE`
/// ([`Error::Gone`]). Use [`FlexSnapshots`] for the migrated clusters.
#[derive(Debug, Clone, Copy)]
pub struct TenantSnapshots<'a> {
    client: &'a AtlasClient,
}

/// The flex cluster snapshot endpoints, from [`AtlasClient::flex_snapshots`]:
/// `GET {base}/api/atlas/v2/groups/{groupId}/flexClusters/{name}/backup/snapshots[/{snapshotId}]`
/// with `Accept: application/vnd.atlas.2024-11-13+json`.
#[derive(Debug, Clone, Copy)]
pub struct FlexSnapshots<'a> {
    client: &'a AtlasClient,
}

impl<'a> TenantSnapshots<'a> {
    pub(crate) fn new(client: &'a AtlasClient) -> Self {
        TenantSnapshots { client }
    }

    /// One snapshot of a shared-tier cluster.
    pub fn get(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> GetSnapshot<'a, Tenant> {
        GetSnapshot::new(
            self.client,
            target(
                Family::Tenant(ApiVersion::V1),
                group_id,
                cluster_name,
                Some(snapshot_id),
            ),
        )
    }

    /// The snapshots of a shared-tier cluster, one page or all of them.
    pub fn list(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
    ) -> ListSnapshots<'a, Tenant> {
        ListSnapshots::new(
            self.client,
            target(Family::Tenant(ApiVersion::V1), group_id, cluster_name, None),
        )
    }

    /// Polls one snapshot until its status is terminal (`COMPLETED` or `FAILED`).
    pub fn wait(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> WaitSnapshot<'a, Tenant> {
        WaitSnapshot::new(self.get(group_id, cluster_name, snapshot_id))
    }
}

impl<'a> FlexSnapshots<'a> {
    pub(crate) fn new(client: &'a AtlasClient) -> Self {
        FlexSnapshots { client }
    }

    /// One snapshot of a flex cluster.
    pub fn get(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> GetSnapshot<'a, Flex> {
        GetSnapshot::new(
            self.client,
            target(Family::Flex, group_id, cluster_name, Some(snapshot_id)),
        )
    }

    /// The snapshots of a flex cluster, one page or all of them.
    pub fn list(&self, group_id: &GroupId, cluster_name: &ClusterName) -> ListSnapshots<'a, Flex> {
        ListSnapshots::new(
            self.client,
            target(Family::Flex, group_id, cluster_name, None),
        )
    }

    /// Polls one snapshot until its status is terminal (`COMPLETED` or `FAILED`).
    pub fn wait(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> WaitSnapshot<'a, Flex> {
        WaitSnapshot::new(self.get(group_id, cluster_name, snapshot_id))
    }
}

fn target(
    family: Family,
    group: &GroupId,
    cluster: &ClusterName,
    snapshot: Option<&SnapshotId>,
) -> Target {
    Target {
        family,
        group: group.clone(),
        cluster: cluster.clone(),
        snapshot: snapshot.cloned(),
    }
}

/// A request for one snapshot; configure it, then [`send`](Self::send) it.
///
/// ```no_run
/// # async fn demo(client: atlas_snapshots::AtlasClient) -> Result<(), atlas_snapshots::Error> {
/// use atlas_snapshots::ApiVersion;
/// let group = "5b69d0349b15c62cdfc38b78".parse().expect("valid id");
/// let cluster = "M2AWS".parse().expect("valid name");
/// let id = "5cc310ace5dc7ce369814bc8".parse().expect("valid id");
/// let snapshot = client
///     .tenant_snapshots()
///     .get(&group, &cluster, &id)
///     .api_version(ApiVersion::V2)
///     .envelope(true)
///     .send()
///     .await?;
/// println!("{:?}", snapshot.status);
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct GetSnapshot<'a, K> {
    client: &'a AtlasClient,
    target: Target,
    query: Query,
    kind: PhantomData<K>,
}

impl<K> fmt::Debug for GetSnapshot<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetSnapshot")
            .field("target", &self.target)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl<K> Clone for GetSnapshot<'_, K> {
    fn clone(&self) -> Self {
        GetSnapshot {
            client: self.client,
            target: self.target.clone(),
            query: self.query,
            kind: PhantomData,
        }
    }
}

impl<'a, K> GetSnapshot<'a, K> {
    fn new(client: &'a AtlasClient, target: Target) -> Self {
        GetSnapshot {
            client,
            target,
            query: Query::default(),
            kind: PhantomData,
        }
    }

    /// Asks Atlas to pretty-print the body (`pretty=true`); the decoded value is the same, the
    /// raw body in [`ApiResponse::body`] is indented.
    pub fn pretty(mut self, yes: bool) -> Self {
        self.query.pretty = yes;
        self
    }

    /// Asks Atlas to wrap the answer (`envelope=true`): the HTTP status is then always `200` and
    /// the real one is inside; it is unwrapped, and an inner error maps to the same [`Error`] as
    /// without the envelope.
    pub fn envelope(mut self, yes: bool) -> Self {
        self.query.envelope = yes;
        self
    }

    /// The URL this request goes to.
    ///
    /// # Errors
    ///
    /// None in practice: the base URL and the ids are validated before.
    pub fn uri(&self) -> Result<Uri, Error> {
        self.target.uri(self.client.base(), &self.query)
    }

    /// The `Accept` header this request is sent with.
    pub fn accept(&self) -> &'static str {
        self.target.family.accept()
    }

    /// Sends the request and decodes the snapshot.
    ///
    /// # Errors
    ///
    /// See [`Error`]: `404` is [`Error::NotFound`] (naming the group, cluster or snapshot when
    /// Atlas says which), `401` [`Error::Unauthorized`], `410` [`Error::Gone`] ...
    pub async fn send(self) -> Result<TenantSnapshot, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Sends the request and returns the snapshot with the HTTP status, headers (including
    /// `Deprecation` and `Sunset`) and the body exactly as received.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_full(self) -> Result<ApiResponse<TenantSnapshot>, Error> {
        let uri = self.uri()?;
        let url = uri.to_string();
        let response = self.client.fetch(uri, self.accept()).await?;
        self.client.decode(&url, response, self.query.envelope)
    }
}

impl<K> GetSnapshot<'_, K> {
    pub(crate) fn target(&self) -> &Target {
        &self.target
    }
}

impl GetSnapshot<'_, Tenant> {
    /// Which API version to call (default [`ApiVersion::V1`], the seed's `/api/atlas/v1.0`).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.target.family = Family::Tenant(version);
        self
    }
}
