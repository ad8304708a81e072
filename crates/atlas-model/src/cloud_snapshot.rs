//! [`CloudBackupSnapshot`]: a dedicated cluster's cloud backup snapshot, its enums
//! ([`CloudSnapshotStatus`], [`FrequencyType`], [`SnapshotType`], [`SnapshotTopology`],
//! [`CloudProvider`]), [`SnapshotMember`] and the on-demand request [`CreateOnDemandSnapshot`].

use std::fmt;
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::fields::{snapshot_id, timestamp};
use crate::wire::wire_enum;
use crate::{Link, SnapshotId, format_timestamp};

wire_enum! {
    /// The phase of a cloud backup snapshot, as Atlas reports it in `status` (lower camel
    /// case, unlike tenant and flex snapshots): `queued`, `inProgress`, `completed`, `failed`.
    /// Any other value is kept in [`Unknown`](Self::Unknown); documented values are recognised
    /// in any case. [`phase`](Self::phase) maps it onto the phases every kind shares.
    ///
    /// ```
    /// use atlas_model::{CloudSnapshotStatus, SnapshotPhase};
    /// assert_eq!(CloudSnapshotStatus::from("inProgress"), CloudSnapshotStatus::InProgress);
    /// assert!(CloudSnapshotStatus::from("COMPLETED").is_terminal());
    /// let new = CloudSnapshotStatus::from("archiving");
    /// assert_eq!((new.as_str(), new.phase()), ("archiving", SnapshotPhase::Other));
    /// ```
    pub enum CloudSnapshotStatus {
        /// `queued`: waiting to run.
        Queued = "queued",
        /// `inProgress`: being taken.
        InProgress = "inProgress",
        /// `completed`: taken. Terminal.
        Completed = "completed",
        /// `failed`: not taken. Terminal.
        Failed = "failed",
    }
}

wire_enum! {
    /// How often the policy item that made a snapshot runs (`frequencyType`): `hourly`,
    /// `daily`, `weekly`, `monthly`, `yearly`, or `ondemand` for a snapshot taken on request.
    ///
    /// ```
    /// use atlas_model::FrequencyType;
    /// assert_eq!(FrequencyType::from("ondemand"), FrequencyType::OnDemand);
    /// assert_eq!(FrequencyType::from("fortnightly").as_str(), "fortnightly");
    /// ```
    pub enum FrequencyType {
        /// `hourly`.
        Hourly = "hourly",
        /// `daily`.
        Daily = "daily",
        /// `weekly`.
        Weekly = "weekly",
        /// `monthly`.
        Monthly = "monthly",
        /// `yearly`.
        Yearly = "yearly",
        /// `ondemand`: taken on request.
        OnDemand = "ondemand",
    }
}

wire_enum! {
    /// What triggered a snapshot (`snapshotType`): `onDemand` or `scheduled`.
    ///
    /// ```
    /// use atlas_model::SnapshotType;
    /// assert_eq!(SnapshotType::from("onDemand"), SnapshotType::OnDemand);
    /// ```
    pub enum SnapshotType {
        /// `onDemand`: asked for (`POST .../backup/snapshots`).
        OnDemand = "onDemand",
        /// `scheduled`: taken by the backup policy.
        Scheduled = "scheduled",
    }
}

wire_enum! {
    /// What a snapshot is of (the wire field `type`): a replica set, or a sharded cluster
    /// (whose snapshot lists its [`members`](CloudBackupSnapshot::members)).
    ///
    /// ```
    /// use atlas_model::SnapshotTopology;
    /// assert_eq!(SnapshotTopology::from("shardedCluster"), SnapshotTopology::ShardedCluster);
    /// ```
    pub enum SnapshotTopology {
        /// `replicaSet`.
        ReplicaSet = "replicaSet",
        /// `shardedCluster`.
        ShardedCluster = "shardedCluster",
    }
}

wire_enum! {
    /// The cloud provider that stores a snapshot (`cloudProvider`): `AWS`, `AZURE`, `GCP`.
    ///
    /// ```
    /// use atlas_model::CloudProvider;
    /// assert_eq!(CloudProvider::from("GCP"), CloudProvider::Gcp);
    /// ```
    pub enum CloudProvider {
        /// `AWS`.
        Aws = "AWS",
        /// `AZURE`.
        Azure = "AZURE",
        /// `GCP`.
        Gcp = "GCP",
    }
}

/// One shard's (or the config server's) part of a sharded cluster's snapshot (`members[]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotMember {
    /// `cloudProvider`: where this part is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_provider: Option<CloudProvider>,
    /// `id`: this part's own snapshot id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<SnapshotId>,
    /// `replicaSetName`: the shard (or config server replica set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_set_name: Option<String>,
    /// Every other field Atlas sent, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One cloud backup snapshot of a dedicated (M10+) cluster, as
/// `GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/snapshots[/{snapshotId}]`
/// (`application/vnd.atlas.2023-01-01+json`) returns it.
///
/// The shape differs from the tenant and flex snapshot ([`TenantSnapshot`](crate::TenantSnapshot)):
/// `createdAt` and `expiresAt` instead of scheduled/start/finish times, `mongodVersion` instead
/// of `mongoDBVersion`, a status in lower camel case, and the size, provider, trigger and
/// frequency of the snapshot. A sharded cluster's snapshot ([`SnapshotTopology::ShardedCluster`])
/// lists its [`members`](Self::members).
///
/// Every field may be absent or `null` (decoded as `None` or empty); fields this type does not
/// know are kept in [`extra`](Self::extra), in order, so re-serialising loses nothing Atlas sent.
/// Timestamps are re-serialised as RFC 3339 UTC.
///
/// ```
/// use atlas_model::{parse_cloud_snapshot, CloudSnapshotStatus, FrequencyType, SnapshotPhase};
/// let body = br#"{"id":"6740a1f2c3d4e5f6a7b8c9e1","status":"inProgress","frequencyType":"ondemand",
///                 "storageSizeBytes":1073741824,"type":"replicaSet","masterKeyUUID":null}"#;
/// let snap = parse_cloud_snapshot(body)?;
/// assert_eq!(snap.status, Some(CloudSnapshotStatus::InProgress));
/// assert_eq!(snap.status.as_ref().map(CloudSnapshotStatus::phase), Some(SnapshotPhase::Running));
/// assert_eq!(snap.frequency_type, Some(FrequencyType::OnDemand));
/// assert_eq!(snap.storage_size_bytes, Some(1 << 30));
/// assert!(snap.extra.contains_key("masterKeyUUID"));
/// # Ok::<(), atlas_model::ModelError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CloudBackupSnapshot {
    /// `id`: the snapshot id.
    pub id: Option<SnapshotId>,
    /// `status`: the workflow phase.
    pub status: Option<CloudSnapshotStatus>,
    /// `createdAt`: when Atlas took (or began taking) the snapshot.
    pub created_at: Option<DateTime<Utc>>,
    /// `expiresAt`: when Atlas deletes the snapshot.
    pub expires_at: Option<DateTime<Utc>>,
    /// `description`: the text given when it was taken on demand.
    pub description: Option<String>,
    /// `frequencyType`: the policy frequency that made it (`ondemand` when asked for).
    pub frequency_type: Option<FrequencyType>,
    /// `snapshotType`: `onDemand` or `scheduled`.
    pub snapshot_type: Option<SnapshotType>,
    /// `mongodVersion`: the MongoDB version of the cluster when it was taken.
    pub mongod_version: Option<String>,
    /// `storageSizeBytes`: how large the snapshot is.
    pub storage_size_bytes: Option<u64>,
    /// `cloudProvider`: where it is stored (replica set snapshots).
    pub cloud_provider: Option<CloudProvider>,
    /// `replicaSetName`: the replica set (replica set snapshots).
    pub replica_set_name: Option<String>,
    /// `type`: a replica set's or a sharded cluster's snapshot.
    pub topology: Option<SnapshotTopology>,
    /// `members`: the parts of a sharded cluster's snapshot.
    pub members: Vec<SnapshotMember>,
    /// `policyItems`: ids of the backup policy items that made it.
    pub policy_items: Vec<String>,
    /// `copyRegions`: the regions it is copied to.
    pub copy_regions: Vec<String>,
    /// `links`: related resources.
    pub links: Vec<Link>,
    /// Every other field Atlas sent, kept verbatim and in order.
    pub extra: Map<String, Value>,
}

/// Wire names of the known fields, in the order they are serialised (alphabetical, as Atlas
/// sends them).
const FIELDS: [&str; 16] = [
    "cloudProvider",
    "copyRegions",
    "createdAt",
    "description",
    "expiresAt",
    "frequencyType",
    "id",
    "links",
    "members",
    "mongodVersion",
    "policyItems",
    "replicaSetName",
    "snapshotType",
    "status",
    "storageSizeBytes",
    "type",
];

impl Serialize for CloudBackupSnapshot {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(v) = &self.cloud_provider {
            map.serialize_entry("cloudProvider", v)?;
        }
        if !self.copy_regions.is_empty() {
            map.serialize_entry("copyRegions", &self.copy_regions)?;
        }
        if let Some(t) = &self.created_at {
            map.serialize_entry("createdAt", &format_timestamp(t))?;
        }
        if let Some(v) = &self.description {
            map.serialize_entry("description", v)?;
        }
        if let Some(t) = &self.expires_at {
            map.serialize_entry("expiresAt", &format_timestamp(t))?;
        }
        if let Some(v) = &self.frequency_type {
            map.serialize_entry("frequencyType", v)?;
        }
        if let Some(v) = &self.id {
            map.serialize_entry("id", v)?;
        }
        if !self.links.is_empty() {
            map.serialize_entry("links", &self.links)?;
        }
        if !self.members.is_empty() {
            map.serialize_entry("members", &self.members)?;
        }
        if let Some(v) = &self.mongod_version {
            map.serialize_entry("mongodVersion", v)?;
        }
        if !self.policy_items.is_empty() {
            map.serialize_entry("policyItems", &self.policy_items)?;
        }
        if let Some(v) = &self.replica_set_name {
            map.serialize_entry("replicaSetName", v)?;
        }
        if let Some(v) = &self.snapshot_type {
            map.serialize_entry("snapshotType", v)?;
        }
        if let Some(v) = &self.status {
            map.serialize_entry("status", v)?;
        }
        if let Some(v) = &self.storage_size_bytes {
            map.serialize_entry("storageSizeBytes", v)?;
        }
        if let Some(v) = &self.topology {
            map.serialize_entry("type", v)?;
        }
        for (k, v) in &self.extra {
            if !FIELDS.contains(&k.as_str()) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for CloudBackupSnapshot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(CloudSnapshotVisitor)
    }
}

struct CloudSnapshotVisitor;

impl<'de> Visitor<'de> for CloudSnapshotVisitor {
    type Value = CloudBackupSnapshot;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cloud backup snapshot object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CloudBackupSnapshot, A::Error> {
        let mut s = CloudBackupSnapshot::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => s.id = map.next_value_seed(snapshot_id())?,
                "status" => s.status = map.next_value()?,
                "createdAt" => s.created_at = map.next_value_seed(timestamp("createdAt"))?,
                "expiresAt" => s.expires_at = map.next_value_seed(timestamp("expiresAt"))?,
                "description" => s.description = map.next_value()?,
                "frequencyType" => s.frequency_type = map.next_value()?,
                "snapshotType" => s.snapshot_type = map.next_value()?,
                "mongodVersion" => s.mongod_version = map.next_value()?,
                "storageSizeBytes" => s.storage_size_bytes = map.next_value()?,
                "cloudProvider" => s.cloud_provider = map.next_value()?,
                "replicaSetName" => s.replica_set_name = map.next_value()?,
                "type" => s.topology = map.next_value()?,
                "members" => {
                    s.members = map
                        .next_value::<Option<Vec<SnapshotMember>>>()?
                        .unwrap_or_default()
                }
                "policyItems" => {
                    s.policy_items = map.next_value::<Option<Vec<String>>>()?.unwrap_or_default()
                }
                "copyRegions" => {
                    s.copy_regions = map.next_value::<Option<Vec<String>>>()?.unwrap_or_default()
                }
                "links" => s.links = map.next_value::<Option<Vec<Link>>>()?.unwrap_or_default(),
                _ => {
                    let value: Value = map.next_value()?;
                    s.extra.insert(key, value);
                }
            }
        }
        Ok(s)
    }
}

/// The body of `POST .../clusters/{clusterName}/backup/snapshots`: take an on-demand snapshot of
/// a dedicated cluster, with an optional description and how many days to keep it (Atlas's
/// default when left out). A retention of zero days cannot be built.
///
/// ```
/// use std::num::NonZeroU32;
/// use atlas_model::CreateOnDemandSnapshot;
/// let body = CreateOnDemandSnapshot {
///     description: Some("before the migration".into()),
///     retention_in_days: NonZeroU32::new(7),
/// };
/// assert_eq!(
///     serde_json::to_string(&body).unwrap(),
///     r#"{"description":"before the migration","retentionInDays":7}"#
/// );
/// assert_eq!(serde_json::to_string(&CreateOnDemandSnapshot::default()).unwrap(), "{}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOnDemandSnapshot {
    /// `description`: why the snapshot was taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `retentionInDays`: how long Atlas keeps it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<NonZeroU32>,
}
