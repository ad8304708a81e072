//! The data the mock serves: groups, clusters (shared-tier or flex) and their snapshots.

use std::path::Path;
use std::time::Duration;

use atlas_model::{ClusterName, GroupId, SnapshotId, SnapshotStatus, TenantSnapshot};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::MockError;
use crate::lifecycle::{Anchor, Lifecycle};

/// Which kind of cluster, and so which endpoints serve its snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ClusterKind {
    /// A shared-tier (M2/M5) cluster: served by the tenant endpoints (v1.0 and v2) only.
    #[default]
    Tenant,
    /// A flex cluster: served by the flex endpoints, and by the tenant endpoints until sunset (as Atlas does
    /// for flex clusters and migrated M2/M5 clusters).
    Flex,
}

/// One stored snapshot, with an optional lifecycle.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredSnapshot {
    pub(crate) snapshot: TenantSnapshot,
    pub(crate) lifecycle: Option<Lifecycle>,
    /// Wall-clock and monotonic time of creation (for [`Anchor::Creation`]); `None` for data given at start.
    pub(crate) created: Option<(std::time::Instant, DateTime<Utc>)>,
}

impl StoredSnapshot {
    pub(crate) fn id(&self) -> Option<&SnapshotId> {
        self.snapshot.id.as_ref()
    }
}

/// One cluster with its snapshots, in the order they were added (the order lists answer in).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClusterData {
    pub(crate) name: ClusterName,
    pub(crate) kind: ClusterKind,
    pub(crate) snapshots: Vec<StoredSnapshot>,
}

/// One group (project) with its clusters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupData {
    pub(crate) id: GroupId,
    pub(crate) clusters: Vec<ClusterData>,
}

/// Groups, clusters and snapshots.
///
/// Build one in code ([`Dataset::with_group`], [`Dataset::with_cluster`], [`Dataset::with_snapshot`]),
/// load one from JSON ([`Dataset::from_json`], [`Dataset::from_file`]), or start from
/// [`Dataset::seed`]. The JSON form:
///
/// ```json
/// { "groups": [ { "id": "5b69d0349b15c62cdfc38b78", "clusters": [
///     { "name": "M2AWS", "kind": "tenant", "snapshots": [
///         { "id": "5cc310ace5dc7ce369814bc8", "status": "FAILED", "mongoDBVersion": "4.2.7",
///           "scheduledTime": "2019-04-26T12:00:00Z", "startTime": "2019-04-26T14:07:53Z",
///           "finishTime": "2019-04-26T14:08:07Z" },
///         { "id": "5cc310ace5dc7ce369814bd0", "mongoDBVersion": "8.0.4",
///           "lifecycle": { "queuedAfterMs": 0, "runningAfterMs": 1000, "doneAfterMs": 3000,
///                          "outcome": "COMPLETED", "anchor": "serverStart" } } ] } ] } ] }
/// ```
///
/// A snapshot object holds the Atlas wire fields (unknown ones are served back as given) plus an
/// optional `lifecycle`; `kind` is `tenant` (default) or `flex`.
///
/// ```
/// use atlas_mock::{ClusterKind, Dataset};
/// let data = Dataset::from_json(br#"{"groups":[{"id":"5b69d0349b15c62cdfc38b78",
///     "clusters":[{"name":"Flex0","kind":"flex","snapshots":[{"id":"6a0000000000000000000001","status":"COMPLETED"}]}]}]}"#)?;
/// assert_eq!(data.snapshot_count(), 1);
/// # Ok::<(), atlas_mock::MockError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    pub(crate) groups: Vec<GroupData>,
}

fn parse<T: std::str::FromStr<Err = atlas_model::IdError>>(s: &str) -> Result<T, MockError> {
    s.parse::<T>()
        .map_err(|e| MockError::Data(format!("{e} (value {s:?})")))
}

impl Dataset {
    /// No groups at all.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The seed data set (see [`crate::seed`]).
    pub fn seed() -> Self {
        crate::seed::dataset()
    }

    /// Adds a group (no-op if it exists).
    pub fn with_group(mut self, group: &str) -> Result<Self, MockError> {
        let id: GroupId = parse(group)?;
        self.group_entry(id);
        Ok(self)
    }

    /// Adds a cluster to a group (creating the group if needed); fails if the group already has a
    /// cluster of that name.
    pub fn with_cluster(
        mut self,
        group: &str,
        cluster: &str,
        kind: ClusterKind,
    ) -> Result<Self, MockError> {
        let id: GroupId = parse(group)?;
        let name: ClusterName = parse(cluster)?;
        let g = self.group_entry(id);
        if g.clusters.iter().any(|c| c.name == name) {
            return Err(MockError::Data(format!(
                "cluster {name} appears twice in group {}",
                g.id
            )));
        }
        g.clusters.push(ClusterData {
            name,
            kind,
            snapshots: Vec::new(),
        });
        Ok(self)
    }

    /// Adds a snapshot to an existing cluster. The snapshot needs an `id`, unique within the cluster.
    /// With a lifecycle, `status`, `startTime` and `finishTime` are computed from it when served
    /// (and `scheduledTime` too when absent).
    pub fn with_snapshot(
        mut self,
        group: &str,
        cluster: &str,
        snapshot: TenantSnapshot,
        lifecycle: Option<Lifecycle>,
    ) -> Result<Self, MockError> {
        let g: GroupId = parse(group)?;
        let c: ClusterName = parse(cluster)?;
        self.insert_snapshot(
            &g,
            &c,
            StoredSnapshot {
                snapshot,
                lifecycle,
                created: None,
            },
        )?;
        Ok(self)
    }

    pub(crate) fn insert_snapshot(
        &mut self,
        group: &GroupId,
        cluster: &ClusterName,
        stored: StoredSnapshot,
    ) -> Result<(), MockError> {
        let Some(id) = stored.id().cloned() else {
            return Err(MockError::Data("a snapshot needs an id".to_owned()));
        };
        let c = self
            .cluster_mut(group, cluster)
            .ok_or_else(|| MockError::Data(format!("no cluster {cluster} in group {group}")))?;
        if c.snapshots.iter().any(|s| s.id() == Some(&id)) {
            return Err(MockError::Data(format!(
                "snapshot {id} appears twice in cluster {cluster}"
            )));
        }
        c.snapshots.push(stored);
        Ok(())
    }

    /// Reads the JSON form (see the type's documentation).
    pub fn from_json(bytes: &[u8]) -> Result<Self, MockError> {
        let file: DataFile = serde_json::from_slice(bytes)
            .map_err(|e| MockError::Data(format!("data file: {e}")))?;
        let mut data = Dataset::empty();
        for g in file.groups {
            let gid: GroupId = parse(&g.id)?;
            if data.groups.iter().any(|x| x.id == gid) {
                return Err(MockError::Data(format!("group {gid} appears twice")));
            }
            data.group_entry(gid.clone());
            for c in g.clusters {
                data = data.with_cluster(gid.as_str(), &c.name, c.kind)?;
                let cname: ClusterName = parse(&c.name)?;
                for (i, mut raw) in c.snapshots.into_iter().enumerate() {
                    let lifecycle = match raw.remove("lifecycle") {
                        Some(v) => Some(serde_json::from_value::<Lifecycle>(v).map_err(|e| {
                            MockError::Data(format!(
                                "group {gid} cluster {cname} snapshot #{i}: lifecycle: {e}"
                            ))
                        })?),
                        None => None,
                    };
                    let snapshot: TenantSnapshot = serde_json::from_value(Value::Object(raw))
                        .map_err(|e| {
                            MockError::Data(format!(
                                "group {gid} cluster {cname} snapshot #{i}: {e}"
                            ))
                        })?;
                    data.insert_snapshot(
                        &gid,
                        &cname,
                        StoredSnapshot {
                            snapshot,
                            lifecycle,
                            created: None,
                        },
                    )
                    .map_err(|e| {
                        MockError::Data(format!("group {gid} cluster {cname} snapshot #{i}: {e}"))
                    })?;
                }
            }
        }
        Ok(data)
    }

    /// Reads the JSON form from a file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, MockError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| MockError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&bytes)
    }

    /// The JSON form (round-trips through [`Dataset::from_json`]).
    pub fn to_json(&self) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| {
                let clusters: Vec<Value> = g
                    .clusters
                    .iter()
                    .map(|c| {
                        let snaps: Vec<Value> = c
                            .snapshots
                            .iter()
                            .map(|s| {
                                let mut v =
                                    serde_json::to_value(&s.snapshot).unwrap_or(Value::Null);
                                if let (Value::Object(m), Some(l)) = (&mut v, s.lifecycle) {
                                    m.insert(
                                        "lifecycle".into(),
                                        serde_json::to_value(l).unwrap_or(Value::Null),
                                    );
                                }
                                v
                            })
                            .collect();
                        serde_json::json!({"name": c.name, "kind": c.kind, "snapshots": snaps})
                    })
                    .collect();
                serde_json::json!({"id": g.id, "clusters": clusters})
            })
            .collect();
        serde_json::json!({ "groups": groups })
    }

    /// Number of snapshots over all clusters.
    pub fn snapshot_count(&self) -> usize {
        self.groups
            .iter()
            .flat_map(|g| &g.clusters)
            .map(|c| c.snapshots.len())
            .sum()
    }

    fn group_entry(&mut self, id: GroupId) -> &mut GroupData {
        let pos = match self.groups.iter().position(|g| g.id == id) {
            Some(p) => p,
            None => {
                self.groups.push(GroupData {
                    id,
                    clusters: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        &mut self.groups[pos]
    }

    pub(crate) fn group(&self, id: &GroupId) -> Option<&GroupData> {
        self.groups.iter().find(|g| &g.id == id)
    }

    pub(crate) fn cluster_mut(
        &mut self,
        group: &GroupId,
        name: &ClusterName,
    ) -> Option<&mut ClusterData> {
        self.groups
            .iter_mut()
            .find(|g| &g.id == group)?
            .clusters
            .iter_mut()
            .find(|c| &c.name == name)
    }
}

impl GroupData {
    pub(crate) fn cluster(&self, name: &ClusterName) -> Option<&ClusterData> {
        self.clusters.iter().find(|c| &c.name == name)
    }
}

impl ClusterData {
    pub(crate) fn snapshot(&self, id: &SnapshotId) -> Option<&StoredSnapshot> {
        self.snapshots.iter().find(|s| s.id() == Some(id))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataFile {
    groups: Vec<GroupFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    id: String,
    #[serde(default)]
    clusters: Vec<ClusterFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterFile {
    name: String,
    #[serde(default)]
    kind: ClusterKind,
    #[serde(default)]
    snapshots: Vec<Map<String, Value>>,
}

/// The clock the server reads: where "server start" is, and what time it is now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    pub(crate) start: std::time::Instant,
    pub(crate) start_wall: DateTime<Utc>,
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

fn add(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(t)
}

impl StoredSnapshot {
    /// The snapshot as served at `now`: with a lifecycle, its status and times follow the schedule.
    pub(crate) fn view(&self, clock: &Clock, now: std::time::Instant) -> TenantSnapshot {
        let mut s = self.snapshot.clone();
        let Some(l) = self.lifecycle else { return s };
        let (anchor, anchor_wall) = match (l.anchor(), self.created) {
            (Anchor::Creation, Some((i, w))) => (i, w),
            _ => (clock.start, clock.start_wall),
        };
        let anchor_wall = whole_seconds(anchor_wall);
        let phase = l.phase_at(now.saturating_duration_since(anchor));
        s.status = Some(SnapshotStatus::from(phase.as_str()));
        if s.scheduled_time.is_none() {
            s.scheduled_time = Some(add(anchor_wall, l.queued_at()));
        }
        s.start_time =
            (phase >= crate::LifecyclePhase::Running).then(|| add(anchor_wall, l.running_at()));
        s.finish_time = phase.is_terminal().then(|| add(anchor_wall, l.done_at()));
        s
    }
}
