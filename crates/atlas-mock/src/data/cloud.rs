//! Dedicated (M10+) clusters and their cloud backup snapshots, in the shape Atlas serves them:
//! `cloudProvider`, `copyRegions`, `createdAt`, `description`, `expiresAt`, `frequencyType`, `id`,
//! `links`, `mongodVersion`, `policyItems`, `replicaSetName` (replica sets) or `members` (sharded
//! clusters), `snapshotType`, `status` (`queued`, `inProgress`, `completed`, `failed`),
//! `storageSizeBytes` (once completed) and `type` (`replicaSet`, `shardedCluster`).
//!
//! A snapshot of a data file sets any of those fields; what it leaves out comes from its cluster
//! (`type`, `cloudProvider`, `mongodVersion`, `replicaSetName` or `members`, empty `copyRegions` and
//! `policyItems`, a scheduled daily snapshot). With a `lifecycle` its status moves `queued` ->
//! `inProgress` -> `completed` (or `failed`) on the mock clock; on-demand snapshots taken through
//! the API do so from their creation.

use std::time::Duration;

use atlas_model::SnapshotId;
use serde_json::{Map, Value, json};

use super::object;
use super::restore::wire_time;
use crate::MockError;
use crate::clock::MockClock;
use crate::lifecycle::{Anchor, Lifecycle, LifecyclePhase};

/// Most cloud snapshots kept per cluster; beyond it the oldest are dropped (as retention would).
pub(crate) const MAX_CLOUD_SNAPSHOTS: usize = 10_000;

/// A dedicated cluster's topology and defaults for its snapshots. Build one with
/// [`DedicatedCluster::replica_set`] or [`DedicatedCluster::sharded`].
///
/// JSON form (a cluster of a data file with `"kind": "dedicated"`): `"clusterType": "replicaSet"
/// | "shardedCluster"`, `"shards": N` (sharded; default 2), `"cloudProvider": "AWS"`,
/// `"mongodVersion": "8.0.4"`.
///
/// ```
/// use atlas_mock::{Dataset, DedicatedCluster};
/// let data = Dataset::empty()
///     .with_group("5b69d0349b15c62cdfc38b78")?
///     .with_dedicated_cluster("5b69d0349b15c62cdfc38b78", "Cluster0", DedicatedCluster::sharded(3)?.cloud_provider("GCP"))?;
/// # Ok::<(), atlas_mock::MockError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedicatedCluster {
    pub(crate) shards: Option<u32>,
    pub(crate) cloud_provider: String,
    pub(crate) mongod_version: String,
}

impl Default for DedicatedCluster {
    fn default() -> Self {
        Self::replica_set()
    }
}

impl DedicatedCluster {
    /// A replica set (snapshots of `type` `replicaSet`, with a `replicaSetName`), on AWS, 8.0.4.
    pub fn replica_set() -> Self {
        Self {
            shards: None,
            cloud_provider: "AWS".into(),
            mongod_version: "8.0.4".into(),
        }
    }

    /// A sharded cluster of `shards` shards, 1 to 70 (snapshots of `type` `shardedCluster`, with
    /// `members`: one per shard and the config server).
    pub fn sharded(shards: u32) -> Result<Self, MockError> {
        if !(1..=70).contains(&shards) {
            return Err(MockError::InvalidConfig(format!(
                "a sharded cluster has 1 to 70 shards, got {shards}"
            )));
        }
        Ok(Self {
            shards: Some(shards),
            ..Self::replica_set()
        })
    }

    /// The cloud provider snapshots name (default `AWS`).
    pub fn cloud_provider(mut self, p: impl Into<String>) -> Self {
        self.cloud_provider = p.into();
        self
    }

    /// The MongoDB version snapshots name (default `8.0.4`).
    pub fn mongod_version(mut self, v: impl Into<String>) -> Self {
        self.mongod_version = v.into();
        self
    }

    fn kind(&self) -> &'static str {
        if self.shards.is_some() {
            "shardedCluster"
        } else {
            "replicaSet"
        }
    }

    /// Reads the cluster members of a data file's cluster object.
    pub(crate) fn from_json(at: &str, m: &Map<String, Value>) -> Result<Self, MockError> {
        let string = |k: &str| -> Result<Option<String>, MockError> {
            match m.get(k) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(MockError::Data(format!("{at}.{k}: must be a string"))),
            }
        };
        let mut d = match string("clusterType")?.as_deref() {
            None | Some("replicaSet") => {
                if m.contains_key("shards") {
                    return Err(MockError::Data(format!(
                        "{at}.shards: only a clusterType \"shardedCluster\" has shards"
                    )));
                }
                DedicatedCluster::replica_set()
            }
            Some("shardedCluster") => {
                let n = match m.get("shards") {
                    None => 2,
                    Some(v) => v
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| {
                            MockError::Data(format!("{at}.shards: must be an integer"))
                        })?,
                };
                DedicatedCluster::sharded(n)
                    .map_err(|e| MockError::Data(format!("{at}.shards: {e}")))?
            }
            Some(other) => {
                return Err(MockError::Data(format!(
                    "{at}.clusterType: {other:?} is not \"replicaSet\" or \"shardedCluster\""
                )));
            }
        };
        if let Some(p) = string("cloudProvider")? {
            d.cloud_provider = p;
        }
        if let Some(v) = string("mongodVersion")? {
            d.mongod_version = v;
        }
        Ok(d)
    }

    /// The data-file members of this cluster.
    pub(crate) fn to_json(&self, out: &mut Map<String, Value>) {
        out.insert("clusterType".into(), json!(self.kind()));
        if let Some(n) = self.shards {
            out.insert("shards".into(), json!(n));
        }
        out.insert("cloudProvider".into(), json!(self.cloud_provider));
        out.insert("mongodVersion".into(), json!(self.mongod_version));
    }
}

/// The cluster members of a dedicated cluster in a data file.
pub(crate) const CLUSTER_FIELDS: [&str; 4] =
    ["clusterType", "shards", "cloudProvider", "mongodVersion"];

/// Wire fields a cloud snapshot of a data file may set.
const FIELDS: [&str; 15] = [
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
];

/// One cloud backup snapshot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredCloudSnapshot {
    pub(crate) id: SnapshotId,
    /// Wire fields as given (and extra fields), without `id`, `status` when a lifecycle sets it.
    pub(crate) fields: Map<String, Value>,
    pub(crate) lifecycle: Option<Lifecycle>,
    /// Mock-clock time of creation; `None` for data given at start.
    pub(crate) created: Option<Duration>,
    /// Further fields served as they are (`extraFields`; kept apart for the data-file form).
    pub(crate) extra: Map<String, Value>,
}

/// The wire status of a lifecycle phase.
fn cloud_status(p: LifecyclePhase) -> &'static str {
    match p {
        LifecyclePhase::Pending | LifecyclePhase::Queued => "queued",
        LifecyclePhase::Running => "inProgress",
        LifecyclePhase::Completed => "completed",
        LifecyclePhase::Failed => "failed",
    }
}

/// A stable 24-hex id derived from a snapshot id and a member number.
fn member_id(snapshot: &str, i: u32) -> String {
    let h = crate::downloads::archive::fnv1a64(&format!("{snapshot}/{i}"));
    let g = crate::downloads::archive::fnv1a64(&format!("{i}/{snapshot}"));
    format!("{h:016x}{:08x}", g as u32)
}

impl StoredCloudSnapshot {
    /// Reads a snapshot object of a data file or an admin request.
    pub(crate) fn from_json(at: &str, v: &Value) -> Result<Self, MockError> {
        let known: Vec<&str> = FIELDS
            .iter()
            .copied()
            .chain(["lifecycle", "extraFields"])
            .collect();
        let m = object(at, v, &known)?;
        let bad = |k: &str, why: &str| MockError::Data(format!("{at}.{k}: {why}"));
        let id: SnapshotId = m
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("id", "a snapshot needs an id (string)"))?
            .parse()
            .map_err(|e: atlas_model::IdError| bad("id", &e.to_string()))?;
        let mut fields = Map::new();
        for (k, v) in m {
            let ok = match k.as_str() {
                "id" | "lifecycle" | "extraFields" => continue,
                "createdAt" | "expiresAt" => v
                    .as_str()
                    .is_some_and(|s| atlas_model::parse_timestamp(s).is_some()),
                "storageSizeBytes" => v.is_u64(),
                "copyRegions" | "policyItems" => {
                    v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                }
                "members" => v.as_array().is_some_and(|a| {
                    a.iter().all(|x| {
                        x.as_object().is_some_and(|o| {
                            o.keys().all(|k| {
                                ["cloudProvider", "id", "replicaSetName"].contains(&k.as_str())
                            }) && o.values().all(Value::is_string)
                        })
                    })
                }),
                "links" => v.as_array().is_some_and(|a| {
                    a.iter().all(|l| {
                        l.as_object().is_some_and(|o| {
                            o.keys().all(|k| k == "href" || k == "rel")
                                && o.values().all(Value::is_string)
                        })
                    })
                }),
                _ => v.is_string(),
            };
            if !ok {
                return Err(bad(
                    k,
                    &format!(
                        "{v} is not a valid value (times are RFC 3339 strings, storageSizeBytes an integer, members objects with cloudProvider, id, replicaSetName)"
                    ),
                ));
            }
            fields.insert(k.clone(), v.clone());
        }
        let lifecycle = m
            .get("lifecycle")
            .map(|l| {
                serde_json::from_value::<Lifecycle>(l.clone())
                    .map_err(|e| MockError::Data(format!("{at}.lifecycle: {e}")))
            })
            .transpose()?;
        if lifecycle.is_some() && fields.contains_key("status") {
            return Err(bad("status", "give a status or a lifecycle, not both"));
        }
        let extra = match m.get("extraFields") {
            None => Map::new(),
            Some(Value::Object(x)) => x.clone(),
            Some(_) => return Err(bad("extraFields", "must be an object")),
        };
        if let Some(k) = extra
            .keys()
            .find(|k| FIELDS.contains(&k.as_str()) || *k == "type")
        {
            return Err(bad(
                "extraFields",
                &format!("`{k}` is a known field; set it directly"),
            ));
        }
        Ok(Self {
            id,
            fields,
            lifecycle,
            created: None,
            extra,
        })
    }

    fn anchor(&self) -> Duration {
        match (self.lifecycle.map(|l| l.anchor()), self.created) {
            (Some(Anchor::ServerStart), _) | (_, None) => Duration::ZERO,
            (_, Some(t)) => t,
        }
    }

    /// The status at mock-clock time `now`.
    pub(crate) fn status_at(&self, now: Duration) -> String {
        match self.lifecycle {
            Some(l) => cloud_status(l.phase_at(now.saturating_sub(self.anchor()))).to_owned(),
            None => self
                .fields
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("completed")
                .to_owned(),
        }
    }

    /// The snapshot as served at mock-clock time `now`.
    pub(crate) fn view(
        &self,
        clock: &MockClock,
        now: Duration,
        cluster_name: &str,
        cluster: &DedicatedCluster,
        self_href: String,
    ) -> Value {
        let mut m = self.extra.clone();
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone());
        }
        let status = self.status_at(now);
        m.insert("id".into(), json!(self.id.as_str()));
        m.insert("status".into(), json!(status));
        let put = |m: &mut Map<String, Value>, k: &str, v: Value| {
            m.entry(k.to_owned()).or_insert(v);
        };
        put(
            &mut m,
            "createdAt",
            json!(wire_time(clock.at(self.anchor()))),
        );
        put(&mut m, "cloudProvider", json!(cluster.cloud_provider));
        put(&mut m, "mongodVersion", json!(cluster.mongod_version));
        put(&mut m, "frequencyType", json!("daily"));
        put(&mut m, "snapshotType", json!("scheduled"));
        put(&mut m, "copyRegions", json!([]));
        put(&mut m, "policyItems", json!([]));
        m.insert("type".into(), json!(cluster.kind()));
        let rs = cluster_name.to_ascii_lowercase();
        match cluster.shards {
            None => put(&mut m, "replicaSetName", json!(format!("{rs}-shard-0"))),
            Some(n) => {
                let members: Vec<Value> = (0..n)
                    .map(|i| format!("{rs}-shard-{i}"))
                    .chain(std::iter::once(format!("{rs}-config-0")))
                    .enumerate()
                    .map(|(i, name)| {
                        json!({
                            "cloudProvider": cluster.cloud_provider,
                            "id": member_id(self.id.as_str(), i as u32),
                            "replicaSetName": name,
                        })
                    })
                    .collect();
                put(&mut m, "members", Value::Array(members));
            }
        }
        if status == "completed" {
            put(&mut m, "storageSizeBytes", json!(1_621_098_496_u64));
        }
        put(
            &mut m,
            "links",
            json!([{ "href": self_href, "rel": "self" }]),
        );
        Value::Object(m)
    }

    /// The data-file form.
    pub(crate) fn to_json(&self) -> Value {
        let mut m = self.fields.clone();
        m.insert("id".into(), json!(self.id.as_str()));
        if let Some(l) = self.lifecycle {
            m.insert(
                "lifecycle".into(),
                serde_json::to_value(l).unwrap_or_default(),
            );
        }
        if !self.extra.is_empty() {
            m.insert("extraFields".into(), Value::Object(self.extra.clone()));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_cluster_and_fields_win() {
        let clock = MockClock::starting_at(
            chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            crate::ClockMode::Manual,
        );
        let s = StoredCloudSnapshot::from_json(
            "s",
            &json!({"id": "6b0000000000000000000001", "description": "x", "storageSizeBytes": 5}),
        )
        .unwrap();
        let rs = s.view(
            &clock,
            Duration::ZERO,
            "M10AWS",
            &DedicatedCluster::replica_set(),
            "h".into(),
        );
        assert_eq!(rs["type"], "replicaSet");
        assert_eq!(rs["replicaSetName"], "m10aws-shard-0");
        assert_eq!(rs["status"], "completed");
        assert_eq!(rs["storageSizeBytes"], 5);
        assert!(rs.get("members").is_none());
        let sh = s.view(
            &clock,
            Duration::ZERO,
            "Big",
            &DedicatedCluster::sharded(2).unwrap(),
            "h".into(),
        );
        assert_eq!(sh["type"], "shardedCluster");
        let members = sh["members"].as_array().unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(members[2]["replicaSetName"], "big-config-0");
        assert!(
            members
                .iter()
                .all(|m| m["id"].as_str().unwrap().len() == 24)
        );
        assert!(sh.get("replicaSetName").is_none());
        let again = StoredCloudSnapshot::from_json("s", &s.to_json()).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn lifecycles_use_the_lower_camel_case_statuses() {
        let ms = Duration::from_millis;
        let l = Lifecycle::new(ms(0), ms(10), ms(20), crate::Outcome::Completed).unwrap();
        let mut s = StoredCloudSnapshot::from_json("s", &json!({"id": "6b0000000000000000000001"}))
            .unwrap();
        s.lifecycle = Some(l.anchored(Anchor::Creation));
        s.created = Some(ms(100));
        assert_eq!(s.status_at(ms(105)), "queued");
        assert_eq!(s.status_at(ms(115)), "inProgress");
        assert_eq!(s.status_at(ms(120)), "completed");
    }

    #[test]
    fn bad_snapshots_are_named() {
        for (v, needle) in [
            (
                json!({"id": "6b0000000000000000000001", "mongoDBVersion": "8"}),
                "mongoDBVersion",
            ),
            (
                json!({"id": "6b0000000000000000000001", "createdAt": "then"}),
                "createdAt",
            ),
            (
                json!({"id": "6b0000000000000000000001", "storageSizeBytes": "1"}),
                "storageSizeBytes",
            ),
            (
                json!({"id": "6b0000000000000000000001", "members": [{"x": "1"}]}),
                "members",
            ),
            (json!({"id": "nope"}), "id"),
            (
                json!({"id": "6b0000000000000000000001", "extraFields": {"status": "x"}}),
                "extraFields",
            ),
        ] {
            let e = StoredCloudSnapshot::from_json("s", &v)
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{v}: {e}");
        }
    }
}
