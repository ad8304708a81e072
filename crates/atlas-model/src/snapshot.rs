//! [`TenantSnapshot`] (and its alias [`FlexSnapshot`]) and [`Link`].

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::fields::{snapshot_id, timestamp};
use crate::{SnapshotId, SnapshotStatus, format_timestamp};

/// A related resource: `{"href": "...", "rel": "self"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Link {
    /// The URL of the related resource.
    #[serde(default)]
    pub href: String,
    /// The relation, e.g. `self` or `next`.
    #[serde(default)]
    pub rel: String,
}

/// One backup snapshot of a shared-tier (M2/M5) cluster, as the seed endpoint
/// `GET /api/atlas/v1.0/groups/{GROUP-ID}/clusters/{CLUSTER-NAME}/backup/tenant/snapshots/{SNAPSHOT-ID}`
/// and its v2 twin return it.
///
/// The flex endpoint (`/api/atlas/v2/groups/{groupId}/flexClusters/{name}/backup/snapshots/{snapshotId}`)
/// returns the same shape (`FlexBackupSnapshot20241113` has exactly the same properties as
/// `BackupTenantSnapshot`), so one type serves both; [`FlexSnapshot`] is an alias of this type.
///
/// Every field may be absent on the wire (the specification marks none as required): absence, and
/// `null`, decode to `None` or an empty `links`. Fields this type does not know are kept in
/// [`extra`](Self::extra), in their order, so serialising a decoded snapshot loses nothing Atlas sent.
/// Timestamps are re-serialised as RFC 3339 UTC (`2019-04-26T14:08:07Z`).
///
/// ```
/// use atlas_model::{parse_snapshot, SnapshotStatus};
/// let body = br#"{"id":"5cc310ace5dc7ce369814bc8","status":"FAILED","mongoDBVersion":"4.2.7",
///                 "finishTime":"2019-04-26T14:08:07Z","futureField":1}"#;
/// let snap = parse_snapshot(body).unwrap();
/// assert_eq!(snap.status, Some(SnapshotStatus::Failed));
/// assert_eq!(snap.extra["futureField"], 1);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TenantSnapshot {
    /// `id`: the snapshot id.
    pub id: Option<SnapshotId>,
    /// `status`: the workflow phase.
    pub status: Option<SnapshotStatus>,
    /// `mongoDBVersion`: the MongoDB version of the snapshot.
    pub mongodb_version: Option<String>,
    /// `scheduledTime`: when the snapshot is scheduled to be taken.
    pub scheduled_time: Option<DateTime<Utc>>,
    /// `startTime`: when Atlas began taking the snapshot.
    pub start_time: Option<DateTime<Utc>>,
    /// `finishTime`: when Atlas marked the snapshot as finished.
    pub finish_time: Option<DateTime<Utc>>,
    /// `expiration`: when the snapshot's download link stops working.
    pub expiration: Option<DateTime<Utc>>,
    /// `links`: related resources.
    pub links: Vec<Link>,
    /// Every other field Atlas sent, kept verbatim and in order.
    pub extra: Map<String, Value>,
}

/// A flex cluster's snapshot: the same shape as a shared-tier one.
pub type FlexSnapshot = TenantSnapshot;

/// Wire names of the known fields, in the order they are serialised (alphabetical, as Atlas sends them).
const FIELDS: [&str; 8] = [
    "expiration",
    "finishTime",
    "id",
    "links",
    "mongoDBVersion",
    "scheduledTime",
    "startTime",
    "status",
];

impl Serialize for TenantSnapshot {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(t) = &self.expiration {
            map.serialize_entry("expiration", &format_timestamp(t))?;
        }
        if let Some(t) = &self.finish_time {
            map.serialize_entry("finishTime", &format_timestamp(t))?;
        }
        if let Some(id) = &self.id {
            map.serialize_entry("id", id)?;
        }
        if !self.links.is_empty() {
            map.serialize_entry("links", &self.links)?;
        }
        if let Some(v) = &self.mongodb_version {
            map.serialize_entry("mongoDBVersion", v)?;
        }
        if let Some(t) = &self.scheduled_time {
            map.serialize_entry("scheduledTime", &format_timestamp(t))?;
        }
        if let Some(t) = &self.start_time {
            map.serialize_entry("startTime", &format_timestamp(t))?;
        }
        if let Some(s) = &self.status {
            map.serialize_entry("status", s)?;
        }
        for (k, v) in &self.extra {
            if !FIELDS.contains(&k.as_str()) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for TenantSnapshot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SnapshotVisitor)
    }
}

struct SnapshotVisitor;

impl<'de> Visitor<'de> for SnapshotVisitor {
    type Value = TenantSnapshot;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snapshot object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TenantSnapshot, A::Error> {
        let mut snap = TenantSnapshot::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => snap.id = map.next_value_seed(snapshot_id())?,
                "status" => snap.status = map.next_value()?,
                "mongoDBVersion" => snap.mongodb_version = map.next_value()?,
                "scheduledTime" => {
                    snap.scheduled_time = map.next_value_seed(timestamp("scheduledTime"))?
                }
                "startTime" => snap.start_time = map.next_value_seed(timestamp("startTime"))?,
                "finishTime" => snap.finish_time = map.next_value_seed(timestamp("finishTime"))?,
                "expiration" => snap.expiration = map.next_value_seed(timestamp("expiration"))?,
                "links" => snap.links = map.next_value::<Option<Vec<Link>>>()?.unwrap_or_default(),
                _ => {
                    let value: Value = map.next_value()?;
                    snap.extra.insert(key, value);
                }
            }
        }
        Ok(snap)
    }
}
