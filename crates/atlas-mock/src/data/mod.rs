//! The data the mock serves: groups, clusters (shared-tier or flex) and their snapshots, and the
//! restore jobs of flex clusters ([`restore`]).

pub(crate) mod cloud;
pub(crate) mod restore;

use std::path::Path;
use std::time::Duration;

use atlas_model::{ClusterName, GroupId, SnapshotId, SnapshotStatus, TenantSnapshot};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::MockError;
use crate::clock::{MockClock, whole_seconds};
use crate::downloads::ArchiveOverride;
use crate::lifecycle::{Anchor, Lifecycle};
pub use cloud::DedicatedCluster;
pub(crate) use cloud::StoredCloudSnapshot;
pub(crate) use restore::StoredRestoreJob;

/// Which kind of cluster, and so which endpoints serve its snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ClusterKind {
    /// A shared-tier (M2/M5) cluster: served by the tenant endpoints (v1.0 and v2) only.
    #[default]
    Tenant,
    /// A flex cluster (also what every M2/M5 cluster became in 2025-2026): served by the flex
    /// endpoints. The tenant endpoints answer for it the way Atlas does for a migrated cluster:
    /// v2 `400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API`, v1.0 `404 CLUSTER_NOT_FOUND` (and
    /// `410 VERSION_GONE` in sunset mode, like every tenant path).
    Flex,
    /// A dedicated (M10+) cluster: its cloud backup snapshots are served by
    /// `/api/atlas/v2/groups/{g}/clusters/{c}/backup/snapshots`. The flex paths answer for it
    /// `400 CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API`, the tenant paths `404 CLUSTER_NOT_FOUND`.
    Dedicated,
}

/// One stored snapshot, with an optional lifecycle.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredSnapshot {
    pub(crate) snapshot: TenantSnapshot,
    pub(crate) lifecycle: Option<Lifecycle>,
    /// Mock-clock time of creation (for [`Anchor::Creation`]); `None` for data given at start.
    pub(crate) created: Option<Duration>,
    /// The snapshot's own archive size and seed (flex downloads).
    pub(crate) archive: Option<ArchiveOverride>,
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
    /// Restore and download jobs (flex clusters), oldest first; lists answer newest first.
    pub(crate) restore_jobs: Vec<StoredRestoreJob>,
    /// Topology and snapshot defaults (dedicated clusters).
    pub(crate) dedicated: Option<DedicatedCluster>,
    /// Cloud backup snapshots (dedicated clusters), oldest first.
    pub(crate) cloud_snapshots: Vec<StoredCloudSnapshot>,
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
/// [`Dataset::seed`]. The JSON form (the `groups` part of the mock's data file, see
/// [`crate::MockConfig`] and the JSON Schema `schema/mock-data.schema.json`):
///
/// ```json
/// { "groups": [ { "id": "5b69d0349b15c62cdfc38b78", "clusters": [
///     { "name": "FlexAWS", "kind": "flex", "snapshots": [
///         { "id": "6740a1f2c3d4e5f6a7b8c901", "status": "COMPLETED", "mongoDBVersion": "8.0.4",
///           "scheduledTime": "2024-11-20T08:00:00Z", "startTime": "2024-11-20T08:00:21Z",
///           "finishTime": "2024-11-20T08:01:09Z", "expiration": "2024-11-28T08:01:09Z" },
///         { "id": "5cc310ace5dc7ce369814bd0", "mongoDBVersion": "8.0.4",
///           "lifecycle": { "queuedAfterMs": 0, "runningAfterMs": 1000, "doneAfterMs": 3000,
///                          "outcome": "COMPLETED", "anchor": "serverStart" } } ] } ] } ] }
/// ```
///
/// A snapshot object holds the Atlas wire fields (`id`, `status`, `mongoDBVersion`, `scheduledTime`,
/// `startTime`, `finishTime`, `expiration`, `links`), an optional `lifecycle`, and an optional
/// `extraFields` object whose members are served as further fields (to test that a client keeps
/// fields it does not know). Any other field is an error that names it: a typo such as
/// `mongoDbVersion` never goes unnoticed. `kind` is `tenant` (default), `flex` or `dedicated` (then
/// `clusterType`, `shards`, `cloudProvider` and `mongodVersion` describe the cluster and its
/// `snapshots` are cloud backup snapshots, see [`DedicatedCluster`]).
///
/// ```
/// use atlas_mock::{ClusterKind, Dataset};
/// let data = Dataset::from_json(br#"{"groups":[{"id":"5b69d0349b15c62cdfc38b78",
///     "clusters":[{"name":"Flex0","kind":"flex","snapshots":[{"id":"6a0000000000000000000001","status":"COMPLETED"}]}]}]}"#)?;
/// assert_eq!(data.snapshot_count(), 1);
/// let typo = Dataset::from_json(br#"{"groups":[{"id":"5b69d0349b15c62cdfc38b78",
///     "clusters":[{"name":"C","snapshots":[{"id":"6a0000000000000000000001","mongoDbVersion":"8.0"}]}]}]}"#);
/// assert!(typo.unwrap_err().to_string().contains("mongoDbVersion"));
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

/// Wire names a snapshot object may carry in a data file (besides `lifecycle` and `extraFields`).
pub(crate) const SNAPSHOT_FIELDS: [&str; 8] = [
    "expiration",
    "finishTime",
    "id",
    "links",
    "mongoDBVersion",
    "scheduledTime",
    "startTime",
    "status",
];

/// An error naming `field` at `at`, with a suggestion when only the case differs.
pub(crate) fn unknown_field(at: &str, field: &str, known: &[&str]) -> MockError {
    let hint = known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(field))
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    MockError::Data(format!(
        "{at}: unknown field `{field}`{hint}; expected one of {}",
        known
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// A snapshot object of a data file or an admin request, read.
pub(crate) struct SnapshotInput {
    pub(crate) snapshot: TenantSnapshot,
    pub(crate) lifecycle: Option<Lifecycle>,
    pub(crate) archive: Option<ArchiveOverride>,
}

/// Reads one snapshot object of a data file or an admin request (`at` names it in errors).
pub(crate) fn snapshot_from_json(
    at: &str,
    mut raw: Map<String, Value>,
) -> Result<SnapshotInput, MockError> {
    let known: Vec<&str> = SNAPSHOT_FIELDS
        .iter()
        .copied()
        .chain(["lifecycle", "extraFields", "archive"])
        .collect();
    if let Some(bad) = raw.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(unknown_field(at, bad, &known));
    }
    let lifecycle = match raw.remove("lifecycle") {
        Some(v) => Some(
            serde_json::from_value::<Lifecycle>(v)
                .map_err(|e| MockError::Data(format!("{at}.lifecycle: {e}")))?,
        ),
        None => None,
    };
    let archive = match raw.remove("archive") {
        Some(v) => {
            let a: ArchiveOverride = serde_json::from_value(v)
                .map_err(|e| MockError::Data(format!("{at}.archive: {e}")))?;
            if let Some(n) = a.size_bytes {
                crate::downloads::check_size(n)
                    .map_err(|e| MockError::Data(format!("{at}.archive.sizeBytes: {e}")))?;
            }
            Some(a)
        }
        None => None,
    };
    let extra = match raw.remove("extraFields") {
        None => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(MockError::Data(format!(
                "{at}.extraFields: must be an object"
            )));
        }
    };
    if let Some(clash) = extra.keys().find(|k| known.contains(&k.as_str())) {
        return Err(MockError::Data(format!(
            "{at}.extraFields: `{clash}` is a known field; set it directly"
        )));
    }
    if let Some(Value::Array(links)) = raw.get("links") {
        for (i, l) in links.iter().enumerate() {
            let m = object(&format!("{at}.links[{i}]"), l, &["href", "rel"])?;
            if m.values().any(|v| !v.is_string()) {
                return Err(MockError::Data(format!(
                    "{at}.links[{i}]: href and rel are strings"
                )));
            }
        }
    }
    // Typed fields must have their type: a string status, RFC 3339 times.
    for (k, v) in &raw {
        let ok = match k.as_str() {
            "links" => v.is_array(),
            "scheduledTime" | "startTime" | "finishTime" | "expiration" => v
                .as_str()
                .is_some_and(|s| atlas_model::parse_timestamp(s).is_some()),
            _ => v.is_string(),
        };
        if !ok {
            return Err(MockError::Data(format!(
                "{at}.{k}: {v} is not a valid value (times are RFC 3339 strings such as 2024-11-20T08:00:00Z)"
            )));
        }
    }
    let mut snapshot: TenantSnapshot = serde_json::from_value(Value::Object(raw))
        .map_err(|e| MockError::Data(format!("{at}: {e}")))?;
    snapshot.extra.extend(extra);
    Ok(SnapshotInput {
        snapshot,
        lifecycle,
        archive,
    })
}

/// Reads the members of an object, naming unknown ones.
pub(crate) fn object<'a>(
    at: &str,
    v: &'a Value,
    known: &[&str],
) -> Result<&'a Map<String, Value>, MockError> {
    let Value::Object(m) = v else {
        return Err(MockError::Data(format!("{at}: must be an object")));
    };
    if let Some(bad) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(unknown_field(at, bad, known));
    }
    Ok(m)
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
        self.insert_cluster(id, name, kind)?;
        Ok(self)
    }

    pub(crate) fn insert_cluster(
        &mut self,
        group: GroupId,
        name: ClusterName,
        kind: ClusterKind,
    ) -> Result<(), MockError> {
        let g = self.group_entry(group);
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
            restore_jobs: Vec::new(),
            dedicated: (kind == ClusterKind::Dedicated).then(DedicatedCluster::default),
            cloud_snapshots: Vec::new(),
        });
        Ok(())
    }

    /// Adds a dedicated cluster to a group (creating the group if needed).
    pub fn with_dedicated_cluster(
        mut self,
        group: &str,
        cluster: &str,
        spec: DedicatedCluster,
    ) -> Result<Self, MockError> {
        let id: GroupId = parse(group)?;
        let name: ClusterName = parse(cluster)?;
        self.insert_cluster(id.clone(), name.clone(), ClusterKind::Dedicated)?;
        if let Some(c) = self.cluster_mut(&id, &name) {
            c.dedicated = Some(spec);
        }
        Ok(self)
    }

    /// Adds a cloud backup snapshot to a dedicated cluster (the JSON object form of the data file).
    pub(crate) fn insert_cloud_snapshot(
        &mut self,
        group: &GroupId,
        cluster: &ClusterName,
        s: StoredCloudSnapshot,
    ) -> Result<(), MockError> {
        let c = self
            .cluster_mut(group, cluster)
            .ok_or_else(|| MockError::Data(format!("no cluster {cluster} in group {group}")))?;
        if c.kind != ClusterKind::Dedicated {
            return Err(MockError::Data(format!(
                "cluster {cluster} is not a dedicated cluster"
            )));
        }
        if c.cloud_snapshots.iter().any(|x| x.id == s.id) {
            return Err(MockError::Data(format!(
                "snapshot {} appears twice in cluster {cluster}",
                s.id
            )));
        }
        if c.cloud_snapshots.len() >= cloud::MAX_CLOUD_SNAPSHOTS {
            c.cloud_snapshots.remove(0);
        }
        c.cloud_snapshots.push(s);
        Ok(())
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
                archive: None,
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
        if c.kind == ClusterKind::Dedicated {
            return Err(MockError::Data(format!(
                "cluster {cluster} is a dedicated cluster: its snapshots are cloud backup snapshots (create_cloud_snapshot, or the data file's cloudSnapshot form)"
            )));
        }
        if c.snapshots.iter().any(|s| s.id() == Some(&id)) {
            return Err(MockError::Data(format!(
                "snapshot {id} appears twice in cluster {cluster}"
            )));
        }
        c.snapshots.push(stored);
        Ok(())
    }

    /// Reads the JSON form (see the type's documentation): an object with `groups` (and optionally
    /// `$schema`). A file with mock settings too (`apiKeys`, `faults`, ...) is read by
    /// [`crate::MockConfig::from_json`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, MockError> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| MockError::Data(format!("data file: {e}")))?;
        let m = v
            .as_object()
            .ok_or_else(|| MockError::Data("data file: must be a JSON object".into()))?;
        if let Some(setting) = m
            .keys()
            .find(|k| crate::config::SETTINGS.contains(&k.as_str()))
        {
            return Err(MockError::Data(format!(
                "data file: `{setting}` is a mock setting, not data; read the file with MockConfig::from_json (the mock command's --data does)"
            )));
        }
        object("data file", &v, &["$schema", "groups"])?;
        Self::from_groups(m.get("groups"))
    }

    /// Reads the `groups` array of a data file.
    pub(crate) fn from_groups(groups: Option<&Value>) -> Result<Self, MockError> {
        let mut data = Dataset::empty();
        let Some(groups) = groups else {
            return Ok(data);
        };
        let groups = groups
            .as_array()
            .ok_or_else(|| MockError::Data("groups: must be an array".into()))?;
        for (gi, g) in groups.iter().enumerate() {
            let at = format!("groups[{gi}]");
            let gm = object(&at, g, &["id", "clusters"])?;
            let gid: GroupId = gm
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| MockError::Data(format!("{at}.id: a group needs an id (string)")))
                .and_then(|s| parse(s).map_err(|e| MockError::Data(format!("{at}.id: {e}"))))?;
            if data.groups.iter().any(|x| x.id == gid) {
                return Err(MockError::Data(format!("{at}: group {gid} appears twice")));
            }
            data.group_entry(gid.clone());
            let clusters = match gm.get("clusters") {
                None => &Vec::new(),
                Some(Value::Array(a)) => a,
                Some(_) => return Err(MockError::Data(format!("{at}.clusters: must be an array"))),
            };
            for (ci, c) in clusters.iter().enumerate() {
                let at = format!("{at}.clusters[{ci}]");
                let mut known = vec!["name", "kind", "snapshots", "restoreJobs"];
                known.extend(cloud::CLUSTER_FIELDS);
                let cm = object(&at, c, &known)?;
                let name: ClusterName = cm
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        MockError::Data(format!("{at}.name: a cluster needs a name (string)"))
                    })
                    .and_then(|s| {
                        parse(s).map_err(|e| MockError::Data(format!("{at}.name: {e}")))
                    })?;
                let kind: ClusterKind = match cm.get("kind") {
                    None => ClusterKind::Tenant,
                    Some(k) => serde_json::from_value(k.clone()).map_err(|_| {
                        MockError::Data(format!(
                            "{at}.kind: {k} is not a cluster kind; expected \"tenant\", \"flex\" or \"dedicated\""
                        ))
                    })?,
                };
                data.insert_cluster(gid.clone(), name.clone(), kind)
                    .map_err(|e| MockError::Data(format!("{at}: {e}")))?;
                if kind == ClusterKind::Dedicated {
                    let spec = DedicatedCluster::from_json(&at, cm)?;
                    if let Some(c) = data.cluster_mut(&gid, &name) {
                        c.dedicated = Some(spec);
                    }
                } else if let Some(k) = cloud::CLUSTER_FIELDS.iter().find(|k| cm.contains_key(**k))
                {
                    return Err(MockError::Data(format!(
                        "{at}.{k}: only a cluster of kind \"dedicated\" has it"
                    )));
                }
                let snapshots = match cm.get("snapshots") {
                    None => &Vec::new(),
                    Some(Value::Array(a)) => a,
                    Some(_) => {
                        return Err(MockError::Data(format!("{at}.snapshots: must be an array")));
                    }
                };
                for (si, s) in snapshots.iter().enumerate() {
                    let at = format!("{at}.snapshots[{si}]");
                    if kind == ClusterKind::Dedicated {
                        let snap = StoredCloudSnapshot::from_json(&at, s)?;
                        data.insert_cloud_snapshot(&gid, &name, snap)
                            .map_err(|e| MockError::Data(format!("{at}: {e}")))?;
                        continue;
                    }
                    let Value::Object(raw) = s else {
                        return Err(MockError::Data(format!("{at}: must be an object")));
                    };
                    let input = snapshot_from_json(&at, raw.clone())?;
                    data.insert_snapshot(
                        &gid,
                        &name,
                        StoredSnapshot {
                            snapshot: input.snapshot,
                            lifecycle: input.lifecycle,
                            created: None,
                            archive: input.archive,
                        },
                    )
                    .map_err(|e| MockError::Data(format!("{at}: {e}")))?;
                }
                let jobs = match cm.get("restoreJobs") {
                    None => &Vec::new(),
                    Some(Value::Array(a)) => a,
                    Some(_) => {
                        return Err(MockError::Data(format!(
                            "{at}.restoreJobs: must be an array"
                        )));
                    }
                };
                if !jobs.is_empty() && kind != ClusterKind::Flex {
                    return Err(MockError::Data(format!(
                        "{at}.restoreJobs: only flex clusters have restore jobs here"
                    )));
                }
                for (ji, j) in jobs.iter().enumerate() {
                    let at = format!("{at}.restoreJobs[{ji}]");
                    let job = StoredRestoreJob::from_json(&at, j)?;
                    let c = data
                        .cluster_mut(&gid, &name)
                        .ok_or_else(|| MockError::Data(format!("{at}: no cluster")))?;
                    if c.snapshot(&job.snapshot_id).is_none() {
                        return Err(MockError::Data(format!(
                            "{at}.snapshotId: cluster {name} has no snapshot {}",
                            job.snapshot_id
                        )));
                    }
                    if c.restore_jobs.iter().any(|x| x.id == job.id) {
                        return Err(MockError::Data(format!(
                            "{at}: restore job {} appears twice",
                            job.id
                        )));
                    }
                    c.restore_jobs.push(job);
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
                        let snaps: Vec<Value> = if c.kind == ClusterKind::Dedicated {
                            c.cloud_snapshots
                                .iter()
                                .map(StoredCloudSnapshot::to_json)
                                .collect()
                        } else {
                            c.snapshots.iter().map(StoredSnapshot::to_json).collect()
                        };
                        let mut v =
                            serde_json::json!({"name": c.name, "kind": c.kind, "snapshots": snaps});
                        if let (Some(d), Value::Object(m)) = (&c.dedicated, &mut v) {
                            d.to_json(m);
                        }
                        if !c.restore_jobs.is_empty() {
                            v["restoreJobs"] = c
                                .restore_jobs
                                .iter()
                                .map(StoredRestoreJob::to_json)
                                .collect();
                        }
                        v
                    })
                    .collect();
                serde_json::json!({"id": g.id, "clusters": clusters})
            })
            .collect();
        serde_json::json!({ "groups": groups })
    }

    /// Number of snapshots over all clusters (cloud backup snapshots of dedicated clusters too).
    pub fn snapshot_count(&self) -> usize {
        self.groups
            .iter()
            .flat_map(|g| &g.clusters)
            .map(|c| c.snapshots.len() + c.cloud_snapshots.len())
            .sum()
    }

    /// The first group, its first cluster, and that cluster's first snapshot, plus the first flex
    /// cluster of that group (what the `mock` command's banner shows).
    pub fn first_ids(&self) -> FirstIds {
        let g = self.groups.first();
        let c = g.and_then(|g| g.clusters.first());
        FirstIds {
            group: g.map(|g| g.id.to_string()),
            cluster: c.map(|c| (c.name.to_string(), c.kind)),
            snapshot: c
                .and_then(|c| c.snapshots.first())
                .and_then(|s| s.id().map(ToString::to_string)),
            flex_cluster: g
                .and_then(|g| g.clusters.iter().find(|c| c.kind == ClusterKind::Flex))
                .map(|c| c.name.to_string()),
        }
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

    pub(crate) fn has_group(&self, id: &GroupId) -> bool {
        self.group(id).is_some()
    }

    pub(crate) fn add_group(&mut self, id: GroupId) -> Result<(), MockError> {
        if self.has_group(&id) {
            return Err(MockError::Data(format!("group {id} exists already")));
        }
        self.group_entry(id);
        Ok(())
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

/// The ids [`Dataset::first_ids`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FirstIds {
    /// The first group's id.
    pub group: Option<String>,
    /// The first cluster of that group, and its kind.
    pub cluster: Option<(String, ClusterKind)>,
    /// That cluster's first snapshot.
    pub snapshot: Option<String>,
    /// The first flex cluster of the first group.
    pub flex_cluster: Option<String>,
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

fn add(clock: &MockClock, at: Duration) -> chrono::DateTime<chrono::Utc> {
    whole_seconds(clock.at(at))
}

impl StoredSnapshot {
    /// The snapshot as served at mock-clock time `now`: with a lifecycle, its status and times follow
    /// the schedule. Computed times are in whole seconds, as Atlas writes them.
    pub(crate) fn view(&self, clock: &MockClock, now: Duration) -> TenantSnapshot {
        let mut s = self.snapshot.clone();
        let Some(l) = self.lifecycle else { return s };
        let anchor = match (l.anchor(), self.created) {
            (Anchor::Creation, Some(t)) => t,
            _ => Duration::ZERO,
        };
        let phase = l.phase_at(now.saturating_sub(anchor));
        s.status = Some(SnapshotStatus::from(phase.as_str()));
        if s.scheduled_time.is_none() {
            s.scheduled_time = Some(add(clock, anchor + l.queued_at()));
        }
        s.start_time =
            (phase >= crate::LifecyclePhase::Running).then(|| add(clock, anchor + l.running_at()));
        s.finish_time = phase
            .is_terminal()
            .then(|| add(clock, anchor + l.done_at()));
        s
    }

    /// The data-file form of this snapshot.
    fn to_json(&self) -> Value {
        let mut known = self.snapshot.clone();
        let extra = std::mem::take(&mut known.extra);
        let mut v = serde_json::to_value(&known).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            if let Some(l) = self.lifecycle {
                m.insert(
                    "lifecycle".into(),
                    serde_json::to_value(l).unwrap_or(Value::Null),
                );
            }
            if !extra.is_empty() {
                m.insert("extraFields".into(), Value::Object(extra));
            }
            if let Some(a) = self.archive {
                m.insert(
                    "archive".into(),
                    serde_json::to_value(a).unwrap_or(Value::Null),
                );
            }
        }
        v
    }
}

/// Server-chosen ids: 24 lower-case hex digits like Atlas's ObjectIds (4 bytes of mock-clock seconds,
/// 5 random bytes per run, a 3-byte counter).
#[derive(Debug)]
pub(crate) struct IdGenerator {
    random: [u8; 5],
    counter: std::sync::atomic::AtomicU32,
}

impl IdGenerator {
    pub(crate) fn new() -> Self {
        let r: [u8; 8] = crate::random_bytes();
        let mut random = [0u8; 5];
        random.copy_from_slice(&r[..5]);
        Self {
            random,
            counter: std::sync::atomic::AtomicU32::new(u32::from_be_bytes([0, r[5], r[6], r[7]])),
        }
    }

    pub(crate) fn next_hex(&self, clock: &MockClock) -> String {
        let secs = u32::try_from(clock.now().timestamp().max(0)).unwrap_or(u32::MAX);
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            & 0x00ff_ffff;
        let mut bytes = Vec::with_capacity(12);
        bytes.extend_from_slice(&secs.to_be_bytes());
        bytes.extend_from_slice(&self.random);
        bytes.extend_from_slice(&n.to_be_bytes()[1..]);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_named_with_their_place() {
        let bad = |json: &str| Dataset::from_json(json.as_bytes()).unwrap_err().to_string();
        let e = bad(
            r#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"A","snapshots":[{"id":"6b0000000000000000000001","mongoDbVersion":"8"}]}]}]}"#,
        );
        assert!(
            e.contains("groups[0].clusters[0].snapshots[0]")
                && e.contains("`mongoDbVersion`")
                && e.contains("did you mean `mongoDBVersion`"),
            "{e}"
        );
        let e = bad(r#"{"groups":[{"id":"6a0000000000000000000001","clsters":[]}]}"#);
        assert!(e.contains("groups[0]") && e.contains("`clsters`"), "{e}");
        let e = bad(r#"{"groups":[],"apiKeys":[]}"#);
        assert!(e.contains("MockConfig"), "{e}");
        let e = bad(
            r#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"A","kind":"serverless"}]}]}"#,
        );
        assert!(e.contains("kind") && e.contains("serverless"), "{e}");
        let e = bad(
            r#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"A","kind":"flex","shards":2}]}]}"#,
        );
        assert!(e.contains("shards") && e.contains("dedicated"), "{e}");
        let e = bad(
            r#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"A","snapshots":[{"id":"6b0000000000000000000001","finishTime":"yesterday"}]}]}]}"#,
        );
        assert!(e.contains("finishTime") && e.contains("RFC 3339"), "{e}");
    }

    #[test]
    fn extra_fields_are_served_and_round_trip() {
        let d = Dataset::from_json(
            br#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"A","snapshots":[{"id":"6b0000000000000000000001","extraFields":{"futureField":{"x":1}}}]}]}]}"#,
        )
        .unwrap();
        let s = &d.groups[0].clusters[0].snapshots[0].snapshot;
        assert_eq!(s.extra["futureField"]["x"], 1);
        let again = Dataset::from_json(d.to_json().to_string().as_bytes()).unwrap();
        assert_eq!(again, d);
        assert!(
            Dataset::from_json(
                br#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"A","snapshots":[{"id":"6b0000000000000000000001","extraFields":{"status":"X"}}]}]}]}"#,
            )
            .is_err()
        );
    }

    #[test]
    fn lifecycle_times_are_whole_seconds() {
        let clock = MockClock::starting_at(
            chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            crate::ClockMode::Manual,
        );
        let ms = Duration::from_millis;
        let s = StoredSnapshot {
            snapshot: TenantSnapshot::default(),
            lifecycle: Some(
                Lifecycle::new(ms(250), ms(1750), ms(2999), crate::Outcome::Completed).unwrap(),
            ),
            created: None,
            archive: None,
        };
        let v = s.view(&clock, ms(3000));
        for t in [v.scheduled_time, v.start_time, v.finish_time] {
            assert_eq!(t.unwrap().timestamp_subsec_nanos(), 0);
        }
        assert_eq!(v.start_time.unwrap().timestamp(), 1_700_000_001);
    }

    #[test]
    fn generated_ids_are_object_ids() {
        let g = IdGenerator::new();
        let clock = MockClock::default();
        let a = g.next_hex(&clock);
        let b = g.next_hex(&clock);
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert!(id.parse::<SnapshotId>().is_ok(), "{id}");
            assert!(id.parse::<GroupId>().is_ok(), "{id}");
        }
    }
}
