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
    let m =
        object("cluster", &v, &["name", "kind"]).map_err(|e| bad_request("INVALID_CLUSTER", e))?;
    let kind: ClusterKind = match m.get("kind") {
        None => ClusterKind::Tenant,
        Some(k) => serde_json::from_value(k.clone()).map_err(|_| {
            bad_request(
                "INVALID_CLUSTER",
                format!("cluster kind {k} is not \"tenant\" or \"flex\""),
            )
        })?,
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
    Ok(created(
        json!({"groupId": gid.as_str(), "name": name.as_str(), "kind": kind}),
    ))
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
    let (snapshot, lifecycle) =
        snapshot_from_json("snapshot", raw).map_err(|e| bad_request("INVALID_SNAPSHOT", e))?;
    let now = shared.clock.elapsed();
    let stored = StoredSnapshot {
        snapshot,
        lifecycle,
        created: Some(now),
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
