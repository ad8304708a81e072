//! Tables for people: snapshots of every kind (the fields each kind has) and restore jobs,
//! as rows under a header or as one field per line.

use atlas_model::{AnySnapshot, CloudBackupSnapshot, RestoreJob, TenantSnapshot, format_timestamp};

use crate::output::{bold, paint_status};

fn time_text(t: Option<&chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(|| "-".to_owned(), format_timestamp)
}

/// A value, or `-` when absent (or empty).
fn text(v: Option<String>) -> String {
    v.filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".to_owned())
}

/// A size for people: `512 B`, `1.5 KiB`, `2.0 GiB`.
pub(crate) fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// One snapshot of any kind, one field per line: the fields its kind has.
pub(crate) fn snapshot_details(s: &AnySnapshot, color: bool) -> String {
    match s {
        AnySnapshot::Dedicated(c) => cloud_details(c, color),
        other => other
            .as_tenant()
            .map_or_else(String::new, |t| tenant_details(t, color)),
    }
}

/// Snapshots as rows under a header, with the columns of their kind (a list holds one kind;
/// should it hold both, each kind gets its own table). Nothing for no snapshots.
pub(crate) fn snapshot_table(snaps: &[AnySnapshot], color: bool) -> String {
    let tenant: Vec<&TenantSnapshot> = snaps.iter().filter_map(AnySnapshot::as_tenant).collect();
    let cloud: Vec<&CloudBackupSnapshot> = snaps.iter().filter_map(AnySnapshot::as_cloud).collect();
    let mut out = String::new();
    if !tenant.is_empty() {
        out.push_str(&tenant_table(&tenant, color));
    }
    if !cloud.is_empty() {
        out.push_str(&cloud_table(&cloud, color));
    }
    out
}

fn extra_rows(
    extra: &serde_json::Map<String, serde_json::Value>,
    rows: &mut Vec<(String, String)>,
) {
    for (k, v) in extra {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        rows.push((k.clone(), text));
    }
}

fn tenant_details(s: &TenantSnapshot, color: bool) -> String {
    let mut rows: Vec<(String, String)> = vec![
        ("ID".into(), text(s.id.as_ref().map(ToString::to_string))),
        (
            "STATUS".into(),
            text(s.status.as_ref().map(ToString::to_string)),
        ),
        ("MONGODB VERSION".into(), text(s.mongodb_version.clone())),
        ("SCHEDULED".into(), time_text(s.scheduled_time.as_ref())),
        ("STARTED".into(), time_text(s.start_time.as_ref())),
        ("FINISHED".into(), time_text(s.finish_time.as_ref())),
    ];
    if let Some(exp) = &s.expiration {
        rows.push(("EXPIRES".into(), format_timestamp(exp)));
    }
    extra_rows(&s.extra, &mut rows);
    details(&rows, color)
}

fn cloud_details(s: &CloudBackupSnapshot, color: bool) -> String {
    let shown = |v: Option<&dyn ToString>| text(v.map(ToString::to_string));
    let mut rows: Vec<(String, String)> = vec![
        ("ID".into(), shown(s.id.as_ref().map(|v| v as _))),
        ("STATUS".into(), shown(s.status.as_ref().map(|v| v as _))),
        (
            "TYPE".into(),
            shown(s.snapshot_type.as_ref().map(|v| v as _)),
        ),
        (
            "FREQUENCY".into(),
            shown(s.frequency_type.as_ref().map(|v| v as _)),
        ),
        (
            "SIZE".into(),
            s.storage_size_bytes.map_or_else(
                || "-".to_owned(),
                |b| format!("{} ({b} bytes)", format_size(b)),
            ),
        ),
        ("CREATED".into(), time_text(s.created_at.as_ref())),
        ("EXPIRES".into(), time_text(s.expires_at.as_ref())),
        ("DESCRIPTION".into(), text(s.description.clone())),
        ("MONGODB VERSION".into(), text(s.mongod_version.clone())),
        (
            "TOPOLOGY".into(),
            shown(s.topology.as_ref().map(|v| v as _)),
        ),
    ];
    if let Some(rs) = &s.replica_set_name {
        rows.push(("REPLICA SET".into(), rs.clone()));
    }
    if let Some(p) = &s.cloud_provider {
        rows.push(("CLOUD PROVIDER".into(), p.to_string()));
    }
    if !s.members.is_empty() {
        let members: Vec<String> = s
            .members
            .iter()
            .map(|m| {
                let name = m.replica_set_name.clone().unwrap_or_else(|| "-".into());
                match &m.id {
                    Some(id) => format!("{name} ({id})"),
                    None => name,
                }
            })
            .collect();
        rows.push(("MEMBERS".into(), members.join(", ")));
    }
    if !s.policy_items.is_empty() {
        rows.push(("POLICY ITEMS".into(), s.policy_items.join(", ")));
    }
    if !s.copy_regions.is_empty() {
        rows.push(("COPY REGIONS".into(), s.copy_regions.join(", ")));
    }
    extra_rows(&s.extra, &mut rows);
    details(&rows, color)
}

fn tenant_table(snaps: &[&TenantSnapshot], color: bool) -> String {
    let header = [
        "ID",
        "STATUS",
        "MONGODB",
        "SCHEDULED",
        "STARTED",
        "FINISHED",
    ];
    let rows: Vec<Vec<String>> = snaps
        .iter()
        .map(|s| {
            vec![
                text(s.id.as_ref().map(ToString::to_string)),
                text(s.status.as_ref().map(ToString::to_string)),
                text(s.mongodb_version.clone()),
                time_text(s.scheduled_time.as_ref()),
                time_text(s.start_time.as_ref()),
                time_text(s.finish_time.as_ref()),
            ]
        })
        .collect();
    table(&header, &rows, color)
}

fn cloud_table(snaps: &[&CloudBackupSnapshot], color: bool) -> String {
    let header = [
        "ID",
        "STATUS",
        "TYPE",
        "FREQUENCY",
        "SIZE",
        "CREATED",
        "EXPIRES",
        "DESCRIPTION",
    ];
    let rows: Vec<Vec<String>> = snaps
        .iter()
        .map(|s| {
            vec![
                text(s.id.as_ref().map(ToString::to_string)),
                text(s.status.as_ref().map(ToString::to_string)),
                text(s.snapshot_type.as_ref().map(ToString::to_string)),
                text(s.frequency_type.as_ref().map(ToString::to_string)),
                s.storage_size_bytes
                    .map_or_else(|| "-".to_owned(), format_size),
                time_text(s.created_at.as_ref()),
                time_text(s.expires_at.as_ref()),
                text(s.description.clone()),
            ]
        })
        .collect();
    table(&header, &rows, color)
}

/// One restore job, one field per line (the link's signature hidden).
pub(crate) fn restore_job_details(j: &RestoreJob, color: bool) -> String {
    let mut rows: Vec<(String, String)> = vec![
        ("ID".into(), text(j.id.as_ref().map(ToString::to_string))),
        (
            "STATUS".into(),
            text(j.status.as_ref().map(ToString::to_string)),
        ),
        (
            "DELIVERY".into(),
            text(j.delivery_type.as_ref().map(ToString::to_string)),
        ),
        (
            "SNAPSHOT".into(),
            text(j.snapshot_id.as_ref().map(ToString::to_string)),
        ),
        ("SOURCE".into(), text(j.instance_name.clone())),
        (
            "TARGET".into(),
            text(
                j.target_deployment_item_name
                    .as_ref()
                    .map(ToString::to_string),
            ),
        ),
        (
            "TARGET PROJECT".into(),
            text(j.target_project_id.as_ref().map(ToString::to_string)),
        ),
        (
            "SCHEDULED".into(),
            time_text(j.restore_scheduled_date.as_ref()),
        ),
        (
            "FINISHED".into(),
            time_text(j.restore_finished_date.as_ref()),
        ),
    ];
    if let Some(url) = &j.snapshot_url {
        rows.push(("LINK".into(), url.to_string()));
    }
    if let Some(exp) = &j.expiration_date {
        rows.push(("EXPIRES".into(), format_timestamp(exp)));
    }
    details(&rows, color)
}

/// Restore jobs as rows, with a header.
pub(crate) fn restore_job_table(jobs: &[RestoreJob], color: bool) -> String {
    let header = ["ID", "STATUS", "DELIVERY", "SNAPSHOT", "TARGET", "FINISHED"];
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                text(j.id.as_ref().map(ToString::to_string)),
                text(j.status.as_ref().map(ToString::to_string)),
                text(j.delivery_type.as_ref().map(ToString::to_string)),
                text(j.snapshot_id.as_ref().map(ToString::to_string)),
                text(
                    j.target_deployment_item_name
                        .as_ref()
                        .map(ToString::to_string),
                ),
                time_text(j.restore_finished_date.as_ref()),
            ]
        })
        .collect();
    table(&header, &rows, color)
}

/// Fields one per line: the name in bold, padded, then the value (`STATUS` painted).
fn details(rows: &[(String, String)], color: bool) -> String {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        let value = if k == "STATUS" {
            paint_status(v, color)
        } else {
            v.clone()
        };
        out.push_str(&bold(k, color));
        out.push_str(&" ".repeat(width - k.chars().count() + 2));
        out.push_str(&value);
        out.push('\n');
    }
    out
}

/// Rows under a bold header, columns padded; the second column painted as a status.
fn table(header: &[&str], rows: &[Vec<String>], color: bool) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String], head: bool| {
        let last = cells.len() - 1;
        for (i, cell) in cells.iter().enumerate() {
            let text = if head {
                bold(cell, color)
            } else if i == 1 {
                paint_status(cell, color)
            } else {
                cell.clone()
            };
            out.push_str(&text);
            if i != last {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push('\n');
    };
    line(
        &header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>(),
        true,
    );
    for row in rows {
        line(row, false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"{"finishTime":"2019-04-26T14:08:07Z","id":"5cc310ace5dc7ce369814bc8","mongoDBVersion":"4.2.7","scheduledTime":"2019-04-26T12:00:00Z","startTime":"2019-04-26T14:07:53Z","status":"FAILED"}"#;
    const REPLICA_SET: &str =
        include_str!("../../atlas-model/tests/fixtures/cloud_replica_set.json");
    const SHARDED: &str = include_str!("../../atlas-model/tests/fixtures/cloud_sharded.json");

    fn tenant() -> AnySnapshot {
        AnySnapshot::Tenant(atlas_model::parse_snapshot(SEED).unwrap())
    }

    fn cloud(body: &str) -> AnySnapshot {
        AnySnapshot::Dedicated(atlas_model::parse_cloud_snapshot(body).unwrap())
    }

    #[test]
    fn tenant_table_and_details() {
        let t = snapshot_table(&[tenant()], false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("ID  "));
        assert!(lines[1].starts_with("5cc310ace5dc7ce369814bc8  FAILED  4.2.7"));
        assert_eq!(lines[0].find("STATUS"), lines[1].find("FAILED"));
        let d = snapshot_details(&tenant(), false);
        assert!(d.contains("STATUS           FAILED\n"), "{d}");
        let colored = snapshot_details(&tenant(), true);
        assert!(colored.contains("\x1b[31mFAILED\x1b[0m"));
    }

    #[test]
    fn a_dedicated_table_has_the_fields_of_cloud_backups() {
        let t = snapshot_table(&[cloud(REPLICA_SET), cloud(SHARDED)], false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        for h in [
            "ID",
            "STATUS",
            "TYPE",
            "FREQUENCY",
            "SIZE",
            "CREATED",
            "EXPIRES",
            "DESCRIPTION",
        ] {
            assert!(lines[0].contains(h), "{h}: {t}");
        }
        assert!(
            !lines[0].contains("SCHEDULED") && !lines[0].contains("MONGODB"),
            "{t}"
        );
        assert!(
            lines[1].starts_with("6740a1f2c3d4e5f6a7b8c9e1  completed   scheduled  daily"),
            "{t}"
        );
        assert!(lines[1].contains("2.0 GiB"), "{t}");
        assert!(lines[1].contains("2026-11-30T09:00:12Z "), "{t}");
        assert!(lines[1].ends_with("2026-12-07T09:03:40Z  -"), "{t}");
        assert!(
            lines[2].contains("inProgress  onDemand   ondemand   0 B"),
            "{t}"
        );
        assert!(lines[2].ends_with("before the 8.0 upgrade"), "{t}");
        assert_eq!(lines[0].find("SIZE"), lines[1].find("2.0 GiB"));
        let colored = snapshot_table(&[cloud(SHARDED)], true);
        assert!(colored.contains("\x1b[33minProgress\x1b[0m"), "{colored:?}");
    }

    #[test]
    fn dedicated_details_show_size_topology_and_members() {
        let d = snapshot_details(&cloud(REPLICA_SET), false);
        for line in [
            "STATUS           completed\n",
            "TYPE             scheduled\n",
            "FREQUENCY        daily\n",
            "SIZE             2.0 GiB (2147483648 bytes)\n",
            "TOPOLOGY         replicaSet\n",
            "REPLICA SET      Cluster0\n",
            "CLOUD PROVIDER   AWS\n",
            "POLICY ITEMS     6740a1f2c3d4e5f6a7b8c9aa\n",
            "DESCRIPTION      -\n",
            "masterKeyUUID    null\n",
        ] {
            assert!(d.contains(line), "{line:?} in\n{d}");
        }
        let d = snapshot_details(&cloud(SHARDED), true);
        assert!(d.contains("\x1b[33minProgress\x1b[0m"), "{d}");
        assert!(
            d.contains("Sharded0-shard-0 (6740a1f2c3d4e5f6a7b8c9f1), Sharded0-config-0 (6740a1f2c3d4e5f6a7b8c9f2)"),
            "{d}"
        );
        assert!(d.contains("shardedCluster"), "{d}");
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(2 << 30), "2.0 GiB");
        assert_eq!(format_size(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn no_snapshots_no_table() {
        assert_eq!(snapshot_table(&[], false), "");
    }
}
