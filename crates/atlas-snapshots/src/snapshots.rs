//! The endpoint groups ([`Snapshots`], [`TenantSnapshots`], [`FlexSnapshots`]) and the
//! one-snapshot request ([`GetSnapshot`]); lists are in `list.rs`, waits in `wait.rs`, the
//! latest snapshot in `latest.rs`, downloads in `download.rs`.

use std::fmt;
use std::marker::PhantomData;

use atlas_model::{ClusterName, GroupId, SnapshotId};
use http::Uri;

use crate::download::CreateDownloadJob;
use crate::endpoint::{Family, Query, Resource, Target};
use crate::latest::LatestSnapshot;
use crate::list::ListSnapshots;
use crate::lookup::Lookup;
use crate::wait::WaitSnapshot;
use crate::{
    AnyKind, ApiResponse, ApiVersion, AtlasClient, ClusterKind, Error, Flex, SnapshotEndpoints,
    Tenant,
};

/// The snapshots of a cluster of any kind, from [`AtlasClient::snapshots`]; answers are
/// [`AnySnapshot`](crate::AnySnapshot)s, whose variant says which kind answered.
///
/// Without [`kind`](GetSnapshot::kind), a request asks each kind of
/// [`ClusterKind::LOOKUP_ORDER`] in turn, moving on only after an answer that means "not this
/// kind (or not here)":
///
/// | Kind asked | Endpoint | Moves on after |
/// |---|---|---|
/// | tenant | `.../clusters/{c}/backup/tenant/snapshots` (v1.0 by default) | `404`, `410 VERSION_GONE`, `400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API` |
/// | flex | `.../flexClusters/{c}/backup/snapshots` | `404`, `400 CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API` |
/// | dedicated | `.../clusters/{c}/backup/snapshots` | `404`, `400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API` |
///
/// The kind that answers is remembered per cluster for the client's life, so later requests
/// go straight to it (a remembered kind that answers "not this kind" is forgotten and the
/// lookup runs again). [`ApiResponse::served_by`] says which endpoint answered and what missed
/// before it; when every kind misses, [`Error::NotFoundOnAnyEndpoint`] names every lookup. Any
/// other error ends the lookup at once. A forced kind never falls back.
///
/// ```no_run
/// # async fn demo(client: atlas_snapshots::AtlasClient) -> Result<(), atlas_snapshots::Error> {
/// let group = "5b69d0349b15c62cdfc38b78".parse().expect("valid id");
/// let cluster = "Cluster0".parse().expect("valid name");
/// let id = "6740a1f2c3d4e5f6a7b8c9e1".parse().expect("valid id");
/// let found = client.snapshots().get(&group, &cluster, &id).send_full().await?;
/// println!(
///     "{:?} ({:?}) from {} ({:?})",
///     found.value.status_str(),
///     found.value.phase(),
///     found.served_by.url,
///     found.served_by.kind
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Snapshots<'a> {
    client: &'a AtlasClient,
}

impl<'a> Snapshots<'a> {
    pub(crate) fn new(client: &'a AtlasClient) -> Self {
        Snapshots { client }
    }

    /// One snapshot, on whichever endpoint has it.
    pub fn get(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> GetSnapshot<'a, AnyKind> {
        GetSnapshot::with_lookup(
            self.client,
            target(
                Family::Tenant(ApiVersion::V1),
                group_id,
                cluster_name,
                Some(snapshot_id),
            ),
            Lookup::Detect(ApiVersion::V1),
        )
    }

    /// The snapshots of a cluster, one page or all of them; the first page finds the kind.
    pub fn list(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
    ) -> ListSnapshots<'a, AnyKind> {
        ListSnapshots::with_lookup(
            self.client,
            target(Family::Tenant(ApiVersion::V1), group_id, cluster_name, None),
            Lookup::Detect(ApiVersion::V1),
        )
    }

    /// Polls one snapshot until its status is terminal; the first poll finds the kind.
    pub fn wait(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> WaitSnapshot<'a, AnyKind> {
        WaitSnapshot::new(self.get(group_id, cluster_name, snapshot_id))
    }

    /// The newest completed snapshot of a cluster, over every page (by `scheduledTime` for
    /// tenant and flex clusters, `createdAt` for dedicated ones).
    pub fn latest(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
    ) -> LatestSnapshot<'a, AnyKind> {
        LatestSnapshot::new(self.list(group_id, cluster_name))
    }
}

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

    /// The newest `COMPLETED` snapshot, by `scheduledTime`, over every page.
    pub fn latest(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
    ) -> LatestSnapshot<'a, Tenant> {
        LatestSnapshot::new(self.list(group_id, cluster_name))
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

    /// The newest `COMPLETED` snapshot, by `scheduledTime`, over every page.
    pub fn latest(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
    ) -> LatestSnapshot<'a, Flex> {
        LatestSnapshot::new(self.list(group_id, cluster_name))
    }

    /// Asks Atlas for a download link of one snapshot (`POST .../backup/download`
    /// `{"snapshotId"}`): the answer is a restore job with `deliveryType: DOWNLOAD` and a
    /// pre-signed [`snapshot_url`](atlas_model::RestoreJob::snapshot_url), valid for 4 hours;
    /// fetch it with [`AtlasClient::download_archive`]. Needs the Project Backup Export
    /// Operator role.
    pub fn download(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> CreateDownloadJob<'a> {
        CreateDownloadJob::new(
            self.client,
            Target {
                family: Family::Flex,
                group: group_id.clone(),
                cluster: cluster_name.clone(),
                resource: Resource::Download,
            },
            snapshot_id.clone(),
        )
    }
}

pub(crate) fn target(
    family: Family,
    group: &GroupId,
    cluster: &ClusterName,
    snapshot: Option<&SnapshotId>,
) -> Target {
    Target {
        family,
        group: group.clone(),
        cluster: cluster.clone(),
        resource: Resource::Snapshot(snapshot.cloned()),
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
///     .envelope()
///     .send()
///     .await?;
/// println!("{:?}", snapshot.status);
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct GetSnapshot<'a, K: SnapshotEndpoints> {
    client: &'a AtlasClient,
    target: Target,
    query: Query,
    lookup: Lookup,
    kind: PhantomData<K>,
}

impl<K: SnapshotEndpoints> fmt::Debug for GetSnapshot<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetSnapshot")
            .field("target", &self.target)
            .field("query", &self.query)
            .field("lookup", &self.lookup)
            .finish_non_exhaustive()
    }
}

impl<K: SnapshotEndpoints> Clone for GetSnapshot<'_, K> {
    fn clone(&self) -> Self {
        GetSnapshot {
            client: self.client,
            target: self.target.clone(),
            query: self.query,
            lookup: self.lookup,
            kind: PhantomData,
        }
    }
}

impl<'a, K: SnapshotEndpoints> GetSnapshot<'a, K> {
    pub(crate) fn new(client: &'a AtlasClient, target: Target) -> Self {
        let lookup = Lookup::Fixed(target.family);
        GetSnapshot::with_lookup(client, target, lookup)
    }

    fn with_lookup(client: &'a AtlasClient, target: Target, lookup: Lookup) -> Self {
        GetSnapshot {
            client,
            target,
            query: Query::default(),
            lookup,
            kind: PhantomData,
        }
    }

    /// Asks Atlas to pretty-print the body (`pretty=true`); the decoded value is the same, the
    /// raw body in [`ApiResponse::body`] is indented.
    pub fn pretty(mut self) -> Self {
        self.query.pretty = true;
        self
    }

    /// Asks Atlas to wrap the answer (`envelope=true`): the HTTP status is then always `200` and
    /// the real one is inside; it is unwrapped, and an inner error maps to the same [`Error`] as
    /// without the envelope.
    pub fn envelope(mut self) -> Self {
        self.query.envelope = true;
        self
    }

    /// The URL this request goes to (for a request that finds the kind: the first lookup's, or
    /// the remembered kind's).
    ///
    /// # Errors
    ///
    /// None in practice: the base URL and the ids are validated before.
    pub fn uri(&self) -> Result<Uri, Error> {
        self.first_target().uri(self.client.base(), &self.query)
    }

    /// The `Accept` header this request is sent with (first lookup's).
    pub fn accept(&self) -> &'static str {
        self.first_target().family.accept()
    }

    fn first_target(&self) -> Target {
        let family = match self.lookup {
            Lookup::Fixed(f) => f,
            Lookup::Detect(v) => self
                .client
                .known_kind(&self.target.group, &self.target.cluster)
                .map_or(self.target.family, |k| crate::lookup::family(k, v)),
        };
        Target {
            family,
            ..self.target.clone()
        }
    }

    /// Sends the request and decodes the snapshot.
    ///
    /// # Errors
    ///
    /// See [`Error`]: `404` is [`Error::NotFound`] (naming the group, cluster or snapshot when
    /// Atlas says which), `401` [`Error::Unauthorized`], `410` [`Error::Gone`] ...
    pub async fn send(self) -> Result<K::Snapshot, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Sends the request and returns the snapshot with the HTTP status, headers (including
    /// `Deprecation` and `Sunset`) and the body exactly as received.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_full(self) -> Result<ApiResponse<K::Snapshot>, Error> {
        self.client
            .get_found(&self.target, &self.query, self.lookup)
            .await
    }
}

impl<'a, K: SnapshotEndpoints> GetSnapshot<'a, K> {
    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    pub(crate) fn client_ref(&self) -> &'a AtlasClient {
        self.client
    }
}

impl GetSnapshot<'_, Tenant> {
    /// Which API version to call (default [`ApiVersion::V1`], the seed's `/api/atlas/v1.0`).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.target.family = Family::Tenant(version);
        self.lookup = Lookup::Fixed(self.target.family);
        self
    }
}

impl GetSnapshot<'_, AnyKind> {
    /// Which API version the tenant lookup uses (default [`ApiVersion::V1`]).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.lookup = match self.lookup {
            Lookup::Detect(_) => Lookup::Detect(version),
            Lookup::Fixed(Family::Tenant(_)) => Lookup::Fixed(Family::Tenant(version)),
            fixed => fixed,
        };
        if let Family::Tenant(_) = self.target.family {
            self.target.family = Family::Tenant(version);
        }
        self
    }

    /// Asks only the endpoints of `kind`: no lookup, no fallback.
    pub fn kind(mut self, kind: ClusterKind) -> Self {
        let version = self.lookup.tenant_version();
        self.lookup = Lookup::forced(kind, version);
        self.target.family = crate::lookup::family(kind, version);
        self
    }
}
