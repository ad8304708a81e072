//! Creating groups, clusters and snapshots at run time, with server-chosen ids.

use atlas_model::{ClusterName, GroupId};
use serde_json::{Map, Value, json};

use super::{bad_request, created, json_body};
use crate::data::{ClusterKind, StoredSnapshot, object, snapshot_from_json};
use crate::server::Shared;
use crate::server::reply::{Reply, api_error};

fn id<T: std::str::FromStr<Err = atlas_model::IdError>>(
    what: &str,
    raw: &str,
) -> Result<T, Box<Reply>> {
    let raw = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    raw.parse::<T>()
        .map_err(|e| bad_request("INVALID_ID", format!("{what} {raw:?}: {e}")))
}

pub(super) fn create_group(shared: &Shared, body: &[u8]) -> Result<Reply, Box<Reply>> {
    let v = json_body(body)?;
    let m = object("group", &v, &["id"]).map_err(|e| bad_request("INVALID_GROUP", e))?;
    let gid: GroupId = match m.get("id") {
        Some(Value::String(s)) => id("group id", s)?,
        Some(other) => {
            return Err(bad_request(
                "INVALID_GROUP",
                format!("group id {other} is not a string"),
            ));
        }
        None => id("group id", &shared.ids.next_hex(&shared.clock))?,
    };
    shared
        .data
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .add_group(gid.clone())
        .map_err(|e| {
            Box::new(api_error(
                409,
                "GROUP_ALREADY_EXISTS",
                e.to_string(),
                vec![],
            ))
        })?;
    Ok(created(json!({"id": gid.as_str(), "clusters": []})))
}

pub(super) fn create_cluster(
    shared: &Shared,
    group: &str,
    body: &[u8],
) -> Result<Reply, Box<Reply>> {
    let gid: GroupId = id("group id", group)?;
    let v = json_body(body)?;
    let mut known = vec!["name", "kind"];
    known.extend(crate::data::cloud::CLUSTER_FIELDS);
    let m = object("cluster", &v, &known).map_err(|e| bad_request("INVALID_CLUSTER", e))?;
    let kind: ClusterKind = match m.get("kind") {
        None => ClusterKind::Tenant,
        Some(k) => serde_json::from_value(k.clone()).map_err(|_| {
            bad_request(
                "INVALID_CLUSTER",
                format!("cluster kind {k} is not \"tenant\", \"flex\" or \"dedicated\""),
            )
        })?,
    };
    let spec = match kind {
        ClusterKind::Dedicated => Some(
            crate::data::DedicatedCluster::from_json("cluster", m)
                .map_err(|e| bad_request("INVALID_CLUSTER", e))?,
        ),
        _ => {
            if let Some(k) = crate::data::cloud::CLUSTER_FIELDS
                .iter()
                .find(|k| m.contains_key(**k))
            {
                return Err(bad_request(
                    "INVALID_CLUSTER",
                    format!("{k}: only a cluster of kind \"dedicated\" has it"),
                ));
            }
            None
        }
    };
    let mut data = shared.data.write().unwrap_or_else(|e| e.into_inner());
    let Some(g) = data.group(&gid) else {
        return Err(group_not_found(&gid));
    };
    let name: ClusterName = match m.get("name") {
        Some(Value::String(s)) => id("cluster name", s)?,
        Some(other) => {
            return Err(bad_request(
                "INVALID_CLUSTER",
                format!("cluster name {other} is not a string"),
            ));
        }
        None => {
            // Atlas's default names: Cluster0, Cluster1, ...
            let n = (0..)
                .map(|i| format!("Cluster{i}"))
                .find(|n| !g.clusters.iter().any(|c| c.name.as_str() == n))
                .unwrap_or_default();
            id("cluster name", &n)?
        }
    };
    data.insert_cluster(gid.clone(), name.clone(), kind)
        .map_err(|e| {
            Box::new(api_error(
                409,
                "DUPLICATE_CLUSTER_NAME",
                e.to_string(),
                vec![],
            ))
        })?;
    let mut out = json!({"groupId": gid.as_str(), "name": name.as_str(), "kind": kind});
    if let (Some(spec), Some(c)) = (spec, data.cluster_mut(&gid, &name)) {
        if let Value::Object(o) = &mut out {
            spec.to_json(o);
        }
        c.dedicated = Some(spec);
    }
    Ok(created(out))
}

fn group_not_found(g: &GroupId) -> Box<Reply> {
    Box::new(api_error(
        404,
        "GROUP_NOT_FOUND",
        format!("No group with ID {g} exists."),
        vec![json!(g.as_str())],
    ))
}

/// Adds a snapshot (object form of the data file); a lifecycle without `anchor` counts from now.
pub(super) fn create_snapshot(
    shared: &Shared,
    group: &str,
    cluster: &str,
    body: &[u8],
) -> Result<Reply, Box<Reply>> {
    let gid: GroupId = id("group id", group)?;
    let cname: ClusterName = id("cluster name", cluster)?;
    let Value::Object(mut raw) = json_body(body)? else {
        return Err(bad_request(
            "INVALID_SNAPSHOT",
            "the body must be a snapshot object",
        ));
    };
    if let Some(Value::Object(l)) = raw.get_mut("lifecycle") {
        l.entry("anchor").or_insert_with(|| json!("creation"));
    }
    insert(shared, &gid, &cname, raw)
}

/// The older form: `{"groupId", "clusterName", "snapshot": {...}, "lifecycle": {...}}`.
pub(super) fn create_snapshot_legacy(shared: &Shared, body: &[u8]) -> Result<Reply, Box<Reply>> {
    let v = json_body(body)?;
    let m = object(
        "request",
        &v,
        &["groupId", "clusterName", "snapshot", "lifecycle"],
    )
    .map_err(|e| bad_request("INVALID_SNAPSHOT", e))?;
    let field = |k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let gid: GroupId = id("groupId", &field("groupId"))?;
    let cname: ClusterName = id("clusterName", &field("clusterName"))?;
    let Some(Value::Object(mut raw)) = m.get("snapshot").cloned() else {
        return Err(bad_request(
            "INVALID_SNAPSHOT",
            "snapshot: must be an object",
        ));
    };
    if let Some(l) = m.get("lifecycle") {
        raw.insert("lifecycle".into(), l.clone());
    }
    insert(shared, &gid, &cname, raw)
}

fn insert(
    shared: &Shared,
    gid: &GroupId,
    cname: &ClusterName,
    mut raw: Map<String, Value>,
) -> Result<Reply, Box<Reply>> {
    if !raw.contains_key("id") {
        raw.insert("id".into(), json!(shared.ids.next_hex(&shared.clock)));
    }
    let dedicated = {
        let data = shared.data.read().unwrap_or_else(|e| e.into_inner());
        if !data.has_group(gid) {
            return Err(group_not_found(gid));
        }
        data.group(gid)
            .and_then(|g| g.cluster(cname))
            .is_some_and(|c| c.kind == ClusterKind::Dedicated)
    };
    if dedicated {
        return insert_cloud(shared, gid, cname, &Value::Object(raw))
            .map(created)
            .map_err(|e| bad_request("INVALID_SNAPSHOT", e));
    }
    let input =
        snapshot_from_json("snapshot", raw).map_err(|e| bad_request("INVALID_SNAPSHOT", e))?;
    let now = shared.clock.elapsed();
    let stored = StoredSnapshot {
        snapshot: input.snapshot,
        lifecycle: input.lifecycle,
        created: Some(now),
        archive: input.archive,
    };
    let view = stored.view(&shared.clock, now);
    let mut data = shared.data.write().unwrap_or_else(|e| e.into_inner());
    if !data.has_group(gid) {
        return Err(group_not_found(gid));
    }
    data.insert_snapshot(gid, cname, stored)
        .map_err(|e| bad_request("INVALID_SNAPSHOT", e))?;
    Ok(created(serde_json::to_value(view).unwrap_or_default()))
}

/// Adds a restore job to a flex cluster (the data-file form; id chosen when absent; a lifecycle
/// counts from now unless it says `"anchor": "serverStart"`; a `DOWNLOAD` job gets its link).
pub(super) fn create_restore_job(
    shared: &Shared,
    base: &str,
    group: &str,
    cluster: &str,
    body: &[u8],
) -> Result<Reply, Box<Reply>> {
    let gid: GroupId = id("group id", group)?;
    let cname: ClusterName = id("cluster name", cluster)?;
    let Value::Object(mut raw) = json_body(body)? else {
        return Err(bad_request(
            "INVALID_RESTORE_JOB",
            "the body must be a restore job object",
        ));
    };
    if !raw.contains_key("id") {
        raw.insert("id".into(), json!(shared.ids.next_hex(&shared.clock)));
    }
    if let Some(Value::Object(l)) = raw.get_mut("lifecycle") {
        l.entry("anchor").or_insert_with(|| json!("creation"));
    }
    let v = insert_restore_job(shared, base, &gid, &cname, &Value::Object(raw))
        .map_err(|e| bad_request("INVALID_RESTORE_JOB", e))?;
    Ok(created(v))
}

/// Stores a restore job given in the data-file form (shared by the admin route and the handle);
/// returns the job as served now.
pub(crate) fn insert_restore_job(
    shared: &Shared,
    base: &str,
    gid: &GroupId,
    cname: &ClusterName,
    raw: &Value,
) -> Result<Value, crate::MockError> {
    use crate::data::restore::{Delivery, JobPlace, StoredRestoreJob};
    use crate::downloads::{NewLink, layout_for};
    let err = |m: String| crate::MockError::Data(m);
    let mut job = StoredRestoreJob::from_json("restore job", raw)?;
    let now = shared.clock.elapsed();
    job.created = Some(now);
    let mut data = shared.data.write().unwrap_or_else(|e| e.into_inner());
    let c = data
        .cluster_mut(gid, cname)
        .ok_or_else(|| err(format!("no cluster {cname} in group {gid}")))?;
    if c.kind != ClusterKind::Flex {
        return Err(err(format!(
            "cluster {cname} is not a flex cluster; only flex clusters have restore jobs here"
        )));
    }
    let Some(snapshot) = c.snapshot(&job.snapshot_id) else {
        return Err(err(format!(
            "cluster {cname} has no snapshot {}",
            job.snapshot_id
        )));
    };
    if c.restore_jobs.iter().any(|j| j.id == job.id) {
        return Err(err(format!("restore job {} exists already", job.id)));
    }
    if job.delivery == Delivery::Download {
        let settings = shared.downloads.settings;
        let layout = layout_for(
            &settings,
            job.snapshot_id.as_str(),
            snapshot.archive.as_ref(),
        )
        .ok_or_else(|| err("the snapshot's archive size is out of range".into()))?;
        let wall = shared.clock.at(now);
        let created_at = job.scheduled.unwrap_or(wall);
        let expires = job.expiration.unwrap_or(
            created_at
                + chrono::Duration::from_std(settings.lifetime())
                    .unwrap_or(chrono::Duration::hours(4)),
        );
        job.expiration = Some(expires);
        let link = shared.downloads.create(
            NewLink {
                group: gid.clone(),
                cluster: cname.clone(),
                job_id: job.id.clone(),
                layout,
                created: created_at,
                expires,
            },
            wall,
        );
        job.link = Some(link.token.clone());
    }
    let url = job
        .link
        .as_deref()
        .and_then(|t| shared.downloads.get(t))
        .map(|l| l.url(base));
    let view = job.view(
        &shared.clock,
        now,
        &JobPlace {
            base,
            group: gid,
            cluster: cname,
            snapshot_url: url,
        },
    );
    c.restore_jobs.push(job);
    Ok(view)
}

/// Stores a cloud backup snapshot of a dedicated cluster (data-file form; its lifecycle counts
/// from now unless it says `"anchor": "serverStart"`); returns it as served now.
pub(crate) fn insert_cloud(
    shared: &Shared,
    gid: &GroupId,
    cname: &ClusterName,
    raw: &Value,
) -> Result<Value, crate::MockError> {
    use crate::data::StoredCloudSnapshot;
    let mut s = StoredCloudSnapshot::from_json("snapshot", raw)?;
    let now = shared.clock.elapsed();
    s.created = Some(now);
    let mut data = shared.data.write().unwrap_or_else(|e| e.into_inner());
    let spec = data
        .group(gid)
        .and_then(|g| g.cluster(cname))
        .and_then(|c| c.dedicated.clone())
        .unwrap_or_default();
    let href = format!(
        "{}://{}/api/atlas/v2/groups/{gid}/clusters/{cname}/backup/snapshots/{}",
        shared.scheme,
        crate::server::shown_authority(shared.addr),
        s.id
    );
    let view = s.view(&shared.clock, now, cname.as_str(), &spec, href);
    data.insert_cloud_snapshot(gid, cname, s)?;
    Ok(view)
}
