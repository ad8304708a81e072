//! [`DedicatedSnapshots`]: the cloud backup snapshots of dedicated clusters, with the two
//! operations only they have: [`TakeSnapshot`] (an on-demand snapshot) and [`DeleteSnapshot`].

use std::num::NonZeroU32;

use atlas_model::{CloudBackupSnapshot, ClusterName, CreateOnDemandSnapshot, GroupId, SnapshotId};
use bytes::Bytes;
use http::{Method, Uri};

use crate::endpoint::{Family, Query, Target};
use crate::latest::LatestSnapshot;
use crate::list::ListSnapshots;
use crate::snapshots::{GetSnapshot, target};
use crate::wait::WaitSnapshot;
use crate::{ApiResponse, AtlasClient, Dedicated, Error};

/// A dedicated (M10+) cluster's cloud backup snapshots, from
/// [`AtlasClient::dedicated_snapshots`]:
/// `{base}/api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/snapshots[/{snapshotId}]`
/// with `application/vnd.atlas.2023-01-01+json`.
///
/// Get, list, wait and latest behave as they do for the other kinds and return
/// [`CloudBackupSnapshot`]s; [`take`](Self::take) asks for an on-demand snapshot (`POST`) and
/// [`delete`](Self::delete) removes one (`DELETE`, `204`). Taking needs the Project Backup
/// Creator (or Manager) role, deleting Project Backup Manager; Atlas answers a key without it
/// `401 USER_UNAUTHORIZED` ([`Error::lacks_role`]).
///
/// ```no_run
/// # async fn demo(client: atlas_snapshots::AtlasClient) -> Result<(), Box<dyn std::error::Error>> {
/// use std::num::NonZeroU32;
/// let group = "5b69d0349b15c62cdfc38b78".parse()?;
/// let cluster = "Cluster0".parse()?;
/// let taken = client
///     .dedicated_snapshots()
///     .take(&group, &cluster)
///     .description("before the 8.0 upgrade")
///     .retention_days(NonZeroU32::new(7).expect("not zero"))
///     .send()
///     .await?;
/// let id = taken.id.expect("Atlas names the snapshot");
/// let done = client.dedicated_snapshots().wait(&group, &cluster, &id).send().await?;
/// println!("{:?} ({:?} bytes)", done.status, done.storage_size_bytes);
/// client.dedicated_snapshots().delete(&group, &cluster, &id).send().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DedicatedSnapshots<'a> {
    client: &'a AtlasClient,
}

impl<'a> DedicatedSnapshots<'a> {
    pub(crate) fn new(client: &'a AtlasClient) -> Self {
        DedicatedSnapshots { client }
    }

    /// One snapshot of a dedicated cluster.
    pub fn get(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> GetSnapshot<'a, Dedicated> {
        GetSnapshot::new(
            self.client,
            target(Family::Dedicated, group_id, cluster_name, Some(snapshot_id)),
        )
    }

    /// The snapshots of a dedicated cluster, one page or all of them.
    pub fn list(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
    ) -> ListSnapshots<'a, Dedicated> {
        ListSnapshots::new(
            self.client,
            target(Family::Dedicated, group_id, cluster_name, None),
        )
    }

    /// Polls one snapshot until it is `completed` or `failed`.
    pub fn wait(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> WaitSnapshot<'a, Dedicated> {
        WaitSnapshot::new(self.get(group_id, cluster_name, snapshot_id))
    }

    /// The newest `completed` snapshot, by `createdAt`, over every page.
    pub fn latest(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
    ) -> LatestSnapshot<'a, Dedicated> {
        LatestSnapshot::new(self.list(group_id, cluster_name))
    }

    /// Takes an on-demand snapshot (`POST .../backup/snapshots`, with
    /// [`description`](TakeSnapshot::description) and
    /// [`retention_days`](TakeSnapshot::retention_days) when set). The answer is the new
    /// snapshot, usually `queued`; [`wait`](Self::wait) for it with its id.
    pub fn take(&self, group_id: &GroupId, cluster_name: &ClusterName) -> TakeSnapshot<'a> {
        TakeSnapshot {
            client: self.client,
            target: target(Family::Dedicated, group_id, cluster_name, None),
            body: CreateOnDemandSnapshot::default(),
        }
    }

    /// Deletes one snapshot (`DELETE .../backup/snapshots/{snapshotId}`, answered `204`).
    pub fn delete(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> DeleteSnapshot<'a> {
        DeleteSnapshot {
            client: self.client,
            target: target(Family::Dedicated, group_id, cluster_name, Some(snapshot_id)),
        }
    }
}

/// A request that takes an on-demand snapshot of a dedicated cluster; configure it, then
/// [`send`](Self::send) it.
///
/// The transport does not retry a `POST` once it may have reached Atlas (a `5xx`, a connection
/// broken mid-request: a retry could take two snapshots) unless
/// [`RetryPolicy::retry_non_idempotent`](crate::RetryPolicy::retry_non_idempotent) says so; a
/// `429` is retried, since Atlas did not act on it.
#[must_use = "a request does nothing until it is sent"]
#[derive(Debug, Clone)]
pub struct TakeSnapshot<'a> {
    client: &'a AtlasClient,
    target: Target,
    body: CreateOnDemandSnapshot,
}

impl TakeSnapshot<'_> {
    /// Why the snapshot is taken (`description`).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.body.description = Some(text.into());
        self
    }

    /// How many days Atlas keeps it (`retentionInDays`; Atlas's default when not set).
    pub fn retention_days(mut self, days: NonZeroU32) -> Self {
        self.body.retention_in_days = Some(days);
        self
    }

    /// The body this request sends.
    pub fn body(&self) -> &CreateOnDemandSnapshot {
        &self.body
    }

    /// The URL this request goes to.
    ///
    /// # Errors
    ///
    /// None in practice: the base URL and the ids are validated before.
    pub fn uri(&self) -> Result<Uri, Error> {
        self.target.uri(self.client.base(), &Query::default())
    }

    /// Sends the request; the answer is the new snapshot.
    ///
    /// # Errors
    ///
    /// See [`Error`]: a flex cluster (which has no on-demand snapshots) is
    /// [`Error::InvalidRequest`] with `CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API`; a key without the
    /// role is [`Error::Unauthorized`] with [`Error::lacks_role`]; an unknown cluster is
    /// [`Error::NotFound`].
    pub async fn send(self) -> Result<CloudBackupSnapshot, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Like [`send`](Self::send), with the HTTP details and the body as received.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_full(self) -> Result<ApiResponse<CloudBackupSnapshot>, Error> {
        let body = serde_json::to_vec(&self.body).map_err(|e| {
            Error::Transport(atlas_transport::Error::Other {
                url: None,
                message: format!("cannot encode the request body: {e}"),
            })
        })?;
        self.client
            .send_to(Method::POST, &self.target, Some(Bytes::from(body)))
            .await
    }
}

/// A request that deletes one snapshot of a dedicated cluster; [`send`](Self::send) it.
#[must_use = "a request does nothing until it is sent"]
#[derive(Debug, Clone)]
pub struct DeleteSnapshot<'a> {
    client: &'a AtlasClient,
    target: Target,
}

impl DeleteSnapshot<'_> {
    /// The URL this request goes to.
    ///
    /// # Errors
    ///
    /// None in practice: the base URL and the ids are validated before.
    pub fn uri(&self) -> Result<Uri, Error> {
        self.target.uri(self.client.base(), &Query::default())
    }

    /// Sends the request; `Ok` once Atlas accepted it (`204`, or any `2xx`).
    ///
    /// # Errors
    ///
    /// See [`Error`]: an unknown snapshot is [`Error::NotFound`]; a key without the role is
    /// [`Error::Unauthorized`] with [`Error::lacks_role`].
    pub async fn send(self) -> Result<(), Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Like [`send`](Self::send), with the HTTP status and headers.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_full(self) -> Result<ApiResponse<()>, Error> {
        self.client
            .send_to(Method::DELETE, &self.target, None)
            .await
    }
}
