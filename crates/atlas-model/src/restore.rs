//! [`RestoreJob`] (a flex cluster's restore or download job), its [`RestoreStatus`],
//! [`DeliveryType`] and the pre-signed [`SnapshotUrl`].

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{DeploymentName, GroupId, Link, RestoreJobId, SnapshotId};

/// The phase of a restore (or download) job, as Atlas reports it in `status`.
///
/// Atlas documents `PENDING`, `QUEUED`, `RUNNING`, `FAILED` and `COMPLETED` (a `CLOSED` is
/// mentioned too); any other value, `CLOSED` included, is kept in [`RestoreStatus::Unknown`]
/// exactly as received. Like [`SnapshotStatus`](crate::SnapshotStatus), documented values are
/// recognised in any case.
///
/// ```
/// use atlas_model::RestoreStatus;
/// assert!(RestoreStatus::from("completed").is_terminal());
/// assert_eq!(RestoreStatus::from("CLOSED").as_str(), "CLOSED");
/// assert!(!RestoreStatus::from("CLOSED").is_terminal());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RestoreStatus {
    /// `PENDING`: accepted, not started.
    Pending,
    /// `QUEUED`: waiting to run.
    Queued,
    /// `RUNNING`: in progress.
    Running,
    /// `COMPLETED`: done. Terminal.
    Completed,
    /// `FAILED`: did not succeed. Terminal.
    Failed,
    /// Any other value, kept verbatim.
    Unknown(String),
}

impl RestoreStatus {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            RestoreStatus::Pending => "PENDING",
            RestoreStatus::Queued => "QUEUED",
            RestoreStatus::Running => "RUNNING",
            RestoreStatus::Completed => "COMPLETED",
            RestoreStatus::Failed => "FAILED",
            RestoreStatus::Unknown(s) => s,
        }
    }

    /// Whether the job will not change any more: [`Completed`](Self::Completed) or
    /// [`Failed`](Self::Failed). Unknown values are not terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(self, RestoreStatus::Completed | RestoreStatus::Failed)
    }
}

impl From<&str> for RestoreStatus {
    fn from(s: &str) -> Self {
        const KNOWN: [(&str, RestoreStatus); 5] = [
            ("PENDING", RestoreStatus::Pending),
            ("QUEUED", RestoreStatus::Queued),
            ("RUNNING", RestoreStatus::Running),
            ("COMPLETED", RestoreStatus::Completed),
            ("FAILED", RestoreStatus::Failed),
        ];
        KNOWN
            .into_iter()
            .find(|(wire, _)| wire.eq_ignore_ascii_case(s))
            .map(|(_, status)| status)
            .unwrap_or_else(|| RestoreStatus::Unknown(s.to_owned()))
    }
}

impl fmt::Display for RestoreStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RestoreStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RestoreStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| RestoreStatus::from(s.as_str()))
    }
}

/// How a job delivers the snapshot: restored into a cluster, or as a file to download.
///
/// ```
/// use atlas_model::DeliveryType;
/// assert_eq!(DeliveryType::from("DOWNLOAD"), DeliveryType::Download);
/// assert_eq!(DeliveryType::from("POINT_IN_TIME").as_str(), "POINT_IN_TIME");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryType {
    /// `RESTORE`: into a cluster (`targetDeploymentItemName`).
    Restore,
    /// `DOWNLOAD`: an archive at [`RestoreJob::snapshot_url`].
    Download,
    /// Any other value, kept verbatim.
    Unknown(String),
}

impl DeliveryType {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            DeliveryType::Restore => "RESTORE",
            DeliveryType::Download => "DOWNLOAD",
            DeliveryType::Unknown(s) => s,
        }
    }
}

impl From<&str> for DeliveryType {
    fn from(s: &str) -> Self {
        if s.eq_ignore_ascii_case("RESTORE") {
            DeliveryType::Restore
        } else if s.eq_ignore_ascii_case("DOWNLOAD") {
            DeliveryType::Download
        } else {
            DeliveryType::Unknown(s.to_owned())
        }
    }
}

impl fmt::Display for DeliveryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DeliveryType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DeliveryType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| DeliveryType::from(s.as_str()))
    }
}

/// The pre-signed URL of a download job (`snapshotUrl`): anyone holding it can fetch the archive
/// until it expires (4 hours), so it is a secret.
///
/// `Debug` and `Display` show the scheme, host and path but not the query, where object stores
/// put the signature (`X-Amz-Signature=...`); [`expose`](Self::expose) gives the whole URL.
///
/// ```
/// use atlas_model::SnapshotUrl;
/// let url = SnapshotUrl::new("https://bucket.s3.amazonaws.com/a.tgz?X-Amz-Signature=abc");
/// assert_eq!(url.to_string(), "https://bucket.s3.amazonaws.com/a.tgz?** redacted **");
/// assert!(!format!("{url:?}").contains("abc"));
/// assert!(url.expose().ends_with("=abc"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SnapshotUrl(String);

impl SnapshotUrl {
    /// Wraps a URL as received.
    pub fn new(url: impl Into<String>) -> Self {
        SnapshotUrl(url.into())
    }

    /// The whole URL, signature included: give it only to the HTTP client that fetches it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without its query (and without user information): safe for messages and logs.
    pub fn redacted(&self) -> String {
        let (base, query) = match self.0.split_once(['?', '#']) {
            Some((base, _)) => (base, true),
            None => (self.0.as_str(), false),
        };
        let base = match base.split_once("://") {
            Some((scheme, rest)) => {
                let end = rest.find('/').unwrap_or(rest.len());
                match rest[..end].rfind('@') {
                    Some(at) => format!("{scheme}://** redacted **@{}", &rest[at + 1..]),
                    None => base.to_owned(),
                }
            }
            None => base.to_owned(),
        };
        if query {
            format!("{base}?** redacted **")
        } else {
            base
        }
    }
}

impl fmt::Debug for SnapshotUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SnapshotUrl({:?})", self.redacted())
    }
}

impl fmt::Display for SnapshotUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// One restore job of a flex cluster (`FlexBackupRestoreJob20241113`), as the restore-job
/// endpoints and the download endpoint return it.
///
/// Every field is optional (fields appear as the job progresses: `restoreFinishedDate` only once
/// it is `COMPLETED`); unknown fields are kept in [`extra`](Self::extra), so re-serialising loses
/// nothing Atlas sent. Timestamps are re-serialised as RFC 3339 UTC.
///
/// ```
/// use atlas_model::{parse_restore_job, DeliveryType, RestoreStatus};
/// let job = parse_restore_job(br#"{"id":"6740a1f2c3d4e5f6a7b8c9d0","deliveryType":"DOWNLOAD",
///     "status":"COMPLETED","snapshotUrl":"https://example.com/x.tgz?sig=1","newField":true}"#)?;
/// assert_eq!(job.delivery_type, Some(DeliveryType::Download));
/// assert_eq!(job.status, Some(RestoreStatus::Completed));
/// assert_eq!(job.extra["newField"], true);
/// # Ok::<(), atlas_model::ModelError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreJob {
    /// `deliveryType`: `RESTORE` or `DOWNLOAD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_type: Option<DeliveryType>,
    /// `expirationDate`: when the download link (or the job) expires.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<DateTime<Utc>>,
    /// `id`: the job id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RestoreJobId>,
    /// `instanceName`: the flex cluster the snapshot comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// `links`: related resources.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "links"
    )]
    pub links: Vec<Link>,
    /// `projectId`: the project of the source cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<GroupId>,
    /// `restoreFinishedDate`: when the job finished (present once it has).
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub restore_finished_date: Option<DateTime<Utc>>,
    /// `restoreScheduledDate`: when the job was scheduled.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub restore_scheduled_date: Option<DateTime<Utc>>,
    /// `snapshotFinishedDate`: when the restored snapshot was taken.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub snapshot_finished_date: Option<DateTime<Utc>>,
    /// `snapshotId`: the snapshot restored or downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<SnapshotId>,
    /// `snapshotUrl`: the pre-signed URL of the archive (download jobs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_url: Option<SnapshotUrl>,
    /// `status`: the job's phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RestoreStatus>,
    /// `targetDeploymentItemName`: the cluster restored into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_deployment_item_name: Option<DeploymentName>,
    /// `targetProjectId`: the project of the target cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_project_id: Option<GroupId>,
    /// Every other field Atlas sent, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn links<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Link>, D::Error> {
    Ok(Option::<Vec<Link>>::deserialize(d)?.unwrap_or_default())
}

/// Optional timestamps read with [`parse_timestamp`](crate::parse_timestamp) (so an offset-less
/// time is UTC, as Atlas documents) and written with [`format_timestamp`](crate::format_timestamp).
mod opt_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&crate::format_timestamp(t)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => crate::parse_timestamp(&s).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format_args!(
                    "{s:?} is not an ISO 8601 date-time such as 2019-04-26T14:08:07Z"
                ))
            }),
        }
    }
}

/// The body of `POST .../backup/restoreJobs`: which snapshot goes to which cluster.
///
/// ```
/// use atlas_model::CreateRestoreJob;
/// let body = CreateRestoreJob {
///     snapshot_id: "6740a1f2c3d4e5f6a7b8c901".parse()?,
///     target_deployment_item_name: "FlexRestored".parse()?,
///     target_project_id: None,
/// };
/// assert_eq!(
///     serde_json::to_string(&body).unwrap(),
///     r#"{"snapshotId":"6740a1f2c3d4e5f6a7b8c901","targetDeploymentItemName":"FlexRestored"}"#
/// );
/// # Ok::<(), atlas_model::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRestoreJob {
    /// The snapshot to restore.
    pub snapshot_id: SnapshotId,
    /// The cluster to restore into.
    pub target_deployment_item_name: DeploymentName,
    /// The project of that cluster, when it is not the source cluster's project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_project_id: Option<GroupId>,
}

/// The body of `POST .../backup/download`: `{"snapshotId": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDownload {
    /// The snapshot to download.
    pub snapshot_id: SnapshotId,
}
