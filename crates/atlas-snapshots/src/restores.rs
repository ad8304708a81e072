//! [`FlexRestoreJobs`]: start, list, get and wait for a flex cluster's restore jobs.

use std::fmt;

use atlas_model::{ClusterName, CreateRestoreJob, GroupId, RestoreJob, RestoreJobId};
use bytes::Bytes;
use http::{Method, Uri};

use crate::endpoint::{Family, Query, Resource, Target};
use crate::list::ListRestoreJobs;
use crate::wait::WaitRestoreJob;
use crate::{ApiResponse, AtlasClient, Error};

/// The restore jobs of flex clusters, from [`AtlasClient::flex_restore_jobs`]:
/// `.../flexClusters/{name}/backup/restoreJobs[/{id}]` with
/// `application/vnd.atlas.2024-11-13+json`.
///
/// Starting a restore needs the Project Backup Recovery Operator role; Atlas answers `403`
/// ([`Error::Forbidden`]) otherwise.
///
/// ```no_run
/// # async fn demo(client: atlas_snapshots::AtlasClient) -> Result<(), Box<dyn std::error::Error>> {
/// use atlas_snapshots::CreateRestoreJob;
/// let group = "5b69d0349b15c62cdfc38b78".parse()?;
/// let cluster = "FlexAWS".parse()?;
/// let job = client
///     .flex_restore_jobs()
///     .start(&group, &cluster, CreateRestoreJob {
///         snapshot_id: "6740a1f2c3d4e5f6a7b8c901".parse()?,
///         target_deployment_item_name: "FlexRestored".parse()?,
///         target_project_id: None,
///     })
///     .send()
///     .await?;
/// let id = job.id.expect("Atlas names the job");
/// let done = client.flex_restore_jobs().wait(&group, &cluster, &id).send().await?;
/// println!("{:?}", done.status);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FlexRestoreJobs<'a> {
    client: &'a AtlasClient,
}

fn target(group: &GroupId, cluster: &ClusterName, id: Option<&RestoreJobId>) -> Target {
    Target {
        family: Family::Flex,
        group: group.clone(),
        cluster: cluster.clone(),
        resource: Resource::RestoreJob(id.cloned()),
    }
}

impl<'a> FlexRestoreJobs<'a> {
    pub(crate) fn new(client: &'a AtlasClient) -> Self {
        FlexRestoreJobs { client }
    }

    /// Starts restoring a snapshot into a cluster (`POST .../restoreJobs`).
    pub fn start(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        job: CreateRestoreJob,
    ) -> StartRestoreJob<'a> {
        StartRestoreJob {
            client: self.client,
            target: target(group_id, cluster_name, None),
            body: job,
        }
    }

    /// One restore job.
    pub fn get(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        id: &RestoreJobId,
    ) -> GetRestoreJob<'a> {
        GetRestoreJob {
            client: self.client,
            target: target(group_id, cluster_name, Some(id)),
            query: Query::default(),
        }
    }

    /// The restore jobs of a cluster (Atlas lists them newest first), one page or all.
    pub fn list(&self, group_id: &GroupId, cluster_name: &ClusterName) -> ListRestoreJobs<'a> {
        ListRestoreJobs::new(self.client, target(group_id, cluster_name, None))
    }

    /// Polls one restore job until it is `COMPLETED` or `FAILED`.
    pub fn wait(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        id: &RestoreJobId,
    ) -> WaitRestoreJob<'a> {
        WaitRestoreJob::new(self.get(group_id, cluster_name, id))
    }
}

/// A request for one restore job; [`send`](Self::send) it.
#[must_use = "a request does nothing until it is sent"]
#[derive(Clone)]
pub struct GetRestoreJob<'a> {
    client: &'a AtlasClient,
    target: Target,
    query: Query,
}

impl fmt::Debug for GetRestoreJob<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetRestoreJob")
            .field("target", &self.target)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl<'a> GetRestoreJob<'a> {
    /// `pretty=true`: an indented raw body.
    pub fn pretty(mut self) -> Self {
        self.query.pretty = true;
        self
    }

    /// `envelope=true`: see [`GetSnapshot::envelope`](crate::GetSnapshot::envelope).
    pub fn envelope(mut self) -> Self {
        self.query.envelope = true;
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

    /// Sends the request and decodes the job.
    ///
    /// # Errors
    ///
    /// See [`Error`]: an unknown job is [`Error::NotFound`].
    pub async fn send(self) -> Result<RestoreJob, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Like [`send`](Self::send), with the HTTP details and the body as received.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_full(self) -> Result<ApiResponse<RestoreJob>, Error> {
        self.client.get_decoded(&self.target, &self.query).await
    }

    pub(crate) fn client_ref(&self) -> &'a AtlasClient {
        self.client
    }
}

/// A request that starts a restore job; [`send`](Self::send) it.
#[must_use = "a request does nothing until it is sent"]
#[derive(Debug, Clone)]
pub struct StartRestoreJob<'a> {
    client: &'a AtlasClient,
    target: Target,
    body: CreateRestoreJob,
}

impl StartRestoreJob<'_> {
    /// Sends the request; the answer is the new job (usually `PENDING`).
    ///
    /// # Errors
    ///
    /// See [`Error`]: a key without the Project Backup Recovery Operator role is
    /// [`Error::Forbidden`]; a bad target is [`Error::InvalidRequest`].
    pub async fn send(self) -> Result<RestoreJob, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Like [`send`](Self::send), with the HTTP details and the body as received.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_full(self) -> Result<ApiResponse<RestoreJob>, Error> {
        let body = serde_json::to_vec(&self.body).map_err(|e| {
            Error::Transport(atlas_transport::Error::Other {
                url: None,
                message: format!("cannot encode the request body: {e}"),
            })
        })?;
        post_json(self.client, &self.target, Bytes::from(body)).await
    }
}

/// `POST`s a JSON body to `target` and decodes the answer as a job.
pub(crate) async fn post_json(
    client: &AtlasClient,
    target: &Target,
    body: Bytes,
) -> Result<ApiResponse<RestoreJob>, Error> {
    client.send_to(Method::POST, target, Some(body)).await
}
