//! Cloud backup snapshots of dedicated clusters, the phase every kind shares, and
//! `AnySnapshot`: fixtures field by field, and properties.

use std::num::NonZeroU32;

use atlas_model::{
    AnySnapshot, AnySnapshotStatus, CloudBackupSnapshot, CloudProvider, CloudSnapshotStatus,
    CreateOnDemandSnapshot, FrequencyType, Link, ModelErrorKind, RestoreStatus, SnapshotMember,
    SnapshotPhase, SnapshotStatus, SnapshotTopology, SnapshotType, TenantSnapshot,
    parse_cloud_snapshot, parse_cloud_snapshot_page, parse_snapshot,
};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

const REPLICA_SET: &str = include_str!("fixtures/cloud_replica_set.json");
const SHARDED: &str = include_str!("fixtures/cloud_sharded.json");

#[test]
fn a_replica_set_snapshot_field_by_field() {
    let s = parse_cloud_snapshot(REPLICA_SET).unwrap();
    assert_eq!(s.id.as_ref().unwrap().as_str(), "6740a1f2c3d4e5f6a7b8c9e1");
    assert_eq!(s.status, Some(CloudSnapshotStatus::Completed));
    assert_eq!(s.created_at, Some(utc(2026, 11, 30, 9, 0, 12)));
    assert_eq!(s.expires_at, Some(utc(2026, 12, 7, 9, 3, 40)));
    assert_eq!(s.description.as_deref(), Some(""));
    assert_eq!(s.frequency_type, Some(FrequencyType::Daily));
    assert_eq!(s.snapshot_type, Some(SnapshotType::Scheduled));
    assert_eq!(s.mongod_version.as_deref(), Some("8.0.4"));
    assert_eq!(s.storage_size_bytes, Some(2_147_483_648));
    assert_eq!(s.cloud_provider, Some(CloudProvider::Aws));
    assert_eq!(s.replica_set_name.as_deref(), Some("Cluster0"));
    assert_eq!(s.topology, Some(SnapshotTopology::ReplicaSet));
    assert!(s.members.is_empty() && s.copy_regions.is_empty());
    assert_eq!(s.policy_items, ["6740a1f2c3d4e5f6a7b8c9aa"]);
    assert_eq!(s.links.len(), 1);
    assert_eq!(s.links[0].rel, "self");
    // The field this crate does not know is kept, null and all.
    assert_eq!(s.extra.len(), 1);
    assert_eq!(s.extra["masterKeyUUID"], Value::Null);
}

#[test]
fn a_sharded_snapshot_carries_its_members() {
    let s = parse_cloud_snapshot(SHARDED).unwrap();
    assert_eq!(s.topology, Some(SnapshotTopology::ShardedCluster));
    assert_eq!(s.status, Some(CloudSnapshotStatus::InProgress));
    assert_eq!(s.frequency_type, Some(FrequencyType::OnDemand));
    assert_eq!(s.snapshot_type, Some(SnapshotType::OnDemand));
    assert_eq!(
        s.created_at,
        Some(utc(2026, 11, 30, 12, 30, 0) + chrono::Duration::milliseconds(250))
    );
    assert_eq!(s.members.len(), 2);
    assert_eq!(
        s.members[0].replica_set_name.as_deref(),
        Some("Sharded0-shard-0")
    );
    assert_eq!(s.members[1].cloud_provider, Some(CloudProvider::Aws));
    assert_eq!(s.members[1].extra["diskGiB"], 10);
    assert_eq!(s.cloud_provider, None);
    let keys: Vec<&str> = s.extra.keys().map(String::as_str).collect();
    assert_eq!(keys, ["snapshotIds"]);
    // Re-encoding writes the same JSON, in the same order (empty lists aside).
    let again: Value = serde_json::to_value(&s).unwrap();
    let mut sent: Value = serde_json::from_str(SHARDED).unwrap();
    for empty in ["links", "policyItems"] {
        sent.as_object_mut().unwrap().remove(empty);
    }
    assert_eq!(again, sent);
    assert_eq!(parse_cloud_snapshot(again.to_string()).unwrap(), s);
}

#[test]
fn nulls_and_absences_decode_as_nothing() {
    let s = parse_cloud_snapshot(
        r#"{"id":null,"status":null,"createdAt":null,"members":null,"policyItems":null,"copyRegions":null,"links":null,"storageSizeBytes":null,"type":null}"#,
    )
    .unwrap();
    assert_eq!(s, CloudBackupSnapshot::default());
    assert_eq!(parse_cloud_snapshot("{}").unwrap(), s);
    assert_eq!(serde_json::to_string(&s).unwrap(), "{}");
}

#[test]
fn bad_values_name_their_field_and_position() {
    for (body, field) in [
        (r#"{"createdAt": "yesterday"}"#, "createdAt"),
        (r#"{"expiresAt": "2026-13-01T00:00:00Z"}"#, "expiresAt"),
        (r#"{"id": "Cluster0"}"#, "snapshot id"),
        (r#"{"storageSizeBytes": "big"}"#, "u64"),
        (r#"{"members": [{"id": 7}]}"#, "string"),
    ] {
        let e = parse_cloud_snapshot(body).unwrap_err();
        assert_eq!(e.kind(), ModelErrorKind::Data, "{body}");
        assert!(e.to_string().contains(field), "{body}: {e}");
        assert_eq!(e.line(), 1);
        assert!(
            e.to_string()
                .starts_with("cannot decode cloud backup snapshot"),
            "{e}"
        );
    }
    assert_eq!(
        parse_cloud_snapshot("{").unwrap_err().kind(),
        ModelErrorKind::Eof
    );
}

#[test]
fn unknown_enum_values_are_kept_and_written_back_as_sent() {
    let body = r#"{"cloudProvider":"OCI","frequencyType":"fortnightly","snapshotType":"fallback","status":"archiving","type":"serverless"}"#;
    let s = parse_cloud_snapshot(body).unwrap();
    assert_eq!(s.cloud_provider, Some(CloudProvider::Unknown("OCI".into())));
    assert_eq!(
        s.status.as_ref().map(CloudSnapshotStatus::phase),
        Some(SnapshotPhase::Other)
    );
    assert!(!s.status.as_ref().unwrap().is_terminal());
    assert_eq!(serde_json::to_string(&s).unwrap(), body);
    // Documented values in another case are recognised and written in Atlas's spelling.
    let s = parse_cloud_snapshot(r#"{"status":"INPROGRESS","type":"REPLICASET"}"#).unwrap();
    assert_eq!(s.status, Some(CloudSnapshotStatus::InProgress));
    assert_eq!(
        serde_json::to_string(&s).unwrap(),
        r#"{"status":"inProgress","type":"replicaSet"}"#
    );
}

#[test]
fn pages_of_cloud_snapshots() {
    let page = parse_cloud_snapshot_page(include_str!("fixtures/cloud_page.json")).unwrap();
    assert_eq!(page.total_count, Some(3));
    assert_eq!(page.results.len(), 2);
    assert_eq!(page.results[1].status, Some(CloudSnapshotStatus::Queued));
    assert!(page.next_href().unwrap().contains("pageNum=2"));
}

#[test]
fn one_phase_for_every_kind() {
    use SnapshotPhase::*;
    let tenant = [
        ("PENDING", Queued),
        ("QUEUED", Queued),
        ("RUNNING", Running),
        ("COMPLETED", Completed),
        ("FAILED", Failed),
        ("ARCHIVED", Other),
    ];
    for (wire, phase) in tenant {
        assert_eq!(SnapshotStatus::from(wire).phase(), phase, "{wire}");
        assert_eq!(RestoreStatus::from(wire).phase(), phase, "{wire}");
    }
    let cloud = [
        ("queued", Queued),
        ("inProgress", Running),
        ("completed", Completed),
        ("failed", Failed),
        ("deleting", Other),
    ];
    for (wire, phase) in cloud {
        let s = CloudSnapshotStatus::from(wire);
        assert_eq!(s.phase(), phase, "{wire}");
        assert_eq!(s.as_str(), wire);
        assert_eq!(s.is_terminal(), phase.is_terminal());
        let any = AnySnapshotStatus::from(s);
        assert_eq!((any.phase(), any.as_str()), (phase, wire));
        assert_eq!(any.to_string(), wire);
    }
    assert!(Completed.is_terminal() && Failed.is_terminal());
    assert!(!Queued.is_terminal() && !Running.is_terminal() && !Other.is_terminal());
    assert_eq!(Running.to_string(), "running");
}

#[test]
fn any_snapshot_reads_every_kind_alike_and_serialises_the_inner_one() {
    let flex = parse_snapshot(r#"{"id":"6740a1f2c3d4e5f6a7b8c901","status":"QUEUED","scheduledTime":"2026-11-30T09:00:00Z"}"#).unwrap();
    let cloud = parse_cloud_snapshot(REPLICA_SET).unwrap();
    let a = AnySnapshot::Flex(flex.clone());
    let b = AnySnapshot::Dedicated(cloud.clone());
    assert_eq!(a.phase(), Some(SnapshotPhase::Queued));
    assert_eq!(b.phase(), Some(SnapshotPhase::Completed));
    assert_eq!(a.status_str(), Some("QUEUED"));
    assert_eq!(
        b.status(),
        Some(AnySnapshotStatus::Cloud(CloudSnapshotStatus::Completed))
    );
    assert_eq!(a.taken_at(), Some(utc(2026, 11, 30, 9, 0, 0)));
    assert_eq!(b.taken_at(), cloud.created_at);
    assert_eq!(a.id(), flex.id.as_ref());
    assert_eq!(b.as_cloud(), Some(&cloud));
    assert_eq!(a.as_tenant(), Some(&flex));
    assert!(b.as_tenant().is_none() && a.as_cloud().is_none());
    assert_eq!(
        serde_json::to_value(&a).unwrap(),
        serde_json::to_value(&flex).unwrap()
    );
    assert_eq!(
        serde_json::to_value(&b).unwrap(),
        serde_json::to_value(&cloud).unwrap()
    );
    assert_eq!(AnySnapshot::Tenant(TenantSnapshot::default()).phase(), None);
}

#[test]
fn the_on_demand_body() {
    let body = CreateOnDemandSnapshot {
        description: Some("nightly \"manual\"".into()),
        retention_in_days: NonZeroU32::new(30),
    };
    assert_eq!(
        serde_json::to_string(&body).unwrap(),
        r#"{"description":"nightly \"manual\"","retentionInDays":30}"#
    );
    let only_days = CreateOnDemandSnapshot {
        retention_in_days: NonZeroU32::new(1),
        ..CreateOnDemandSnapshot::default()
    };
    assert_eq!(
        serde_json::to_string(&only_days).unwrap(),
        r#"{"retentionInDays":1}"#
    );
}

fn timestamp() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    proptest::option::of(
        (0i64..4_102_444_800, prop_oneof![Just(0u32), 0u32..1000])
            .prop_map(|(secs, ms)| Utc.timestamp_opt(secs, ms * 1_000_000).unwrap()),
    )
}

fn wire<T: From<String> + std::fmt::Debug>(
    known: &'static [&'static str],
) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(prop_oneof![
        proptest::sample::select(known).prop_map(str::to_owned),
        "[a-zA-Z]{1,12}",
    ])
    .prop_map(|s| s.map(T::from))
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn id() -> impl Strategy<Value = Option<atlas_model::SnapshotId>> {
    proptest::option::of("[a-f0-9]{24}".prop_map(|s| s.parse().unwrap()))
}

fn member() -> impl Strategy<Value = SnapshotMember> {
    (
        wire::<CloudProvider>(&["AWS", "AZURE", "GCP"]),
        id(),
        proptest::option::of("[A-Za-z0-9-]{1,20}"),
        proptest::collection::btree_map("x[a-z]{0,6}", leaf(), 0..2),
    )
        .prop_map(
            |(cloud_provider, id, replica_set_name, extra)| SnapshotMember {
                cloud_provider,
                id,
                replica_set_name,
                extra: extra.into_iter().collect(),
            },
        )
}

prop_compose! {
    fn cloud_snapshot()(
        id in id(),
        status in wire::<CloudSnapshotStatus>(&["queued", "inProgress", "completed", "failed"]),
        created_at in timestamp(),
        expires_at in timestamp(),
        description in proptest::option::of(".{0,20}"),
        frequency_type in wire::<FrequencyType>(&["hourly", "daily", "weekly", "monthly", "yearly", "ondemand"]),
        snapshot_type in wire::<SnapshotType>(&["onDemand", "scheduled"]),
        mongod_version in proptest::option::of("[0-9]\\.[0-9]\\.[0-9]{1,2}"),
        storage_size_bytes in proptest::option::of(any::<u64>()),
        cloud_provider in wire::<CloudProvider>(&["AWS", "AZURE", "GCP"]),
        replica_set_name in proptest::option::of("[A-Za-z0-9-]{1,20}"),
        topology in wire::<SnapshotTopology>(&["replicaSet", "shardedCluster"]),
        members in proptest::collection::vec(member(), 0..3),
        policy_items in proptest::collection::vec("[a-f0-9]{24}", 0..2),
        copy_regions in proptest::collection::vec("[A-Z_0-9]{1,12}", 0..2),
        links in proptest::collection::vec((".{0,20}", "[a-z]{0,8}"), 0..2),
        extra in proptest::collection::btree_map("x[A-Za-z]{0,8}", leaf(), 0..3),
    ) -> CloudBackupSnapshot {
        CloudBackupSnapshot {
            id, status, created_at, expires_at, description, frequency_type, snapshot_type,
            mongod_version, storage_size_bytes, cloud_provider, replica_set_name, topology,
            members, policy_items, copy_regions,
            links: links.into_iter().map(|(href, rel)| Link { href, rel }).collect(),
            extra: extra.into_iter().collect::<Map<String, Value>>(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn cloud_snapshots_round_trip(snap in cloud_snapshot()) {
        let json = serde_json::to_vec(&snap).unwrap();
        prop_assert_eq!(parse_cloud_snapshot(&json).unwrap(), snap.clone());
        let pretty = serde_json::to_string_pretty(&snap).unwrap();
        prop_assert_eq!(parse_cloud_snapshot(&pretty).unwrap(), snap);
    }

    #[test]
    fn cloud_shaped_json_with_arbitrary_values_never_panics(
        values in proptest::collection::vec(leaf().prop_recursive(2, 12, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                proptest::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        }), 16)
    ) {
        let keys = ["id", "status", "createdAt", "expiresAt", "description", "frequencyType",
                    "snapshotType", "mongodVersion", "storageSizeBytes", "cloudProvider",
                    "replicaSetName", "type", "members", "policyItems", "copyRegions", "links"];
        let obj: Map<String, Value> = keys.iter().map(|k| k.to_string()).zip(values).collect();
        let text = Value::Object(obj).to_string();
        if let Ok(s) = parse_cloud_snapshot(&text) {
            // Whatever decodes re-encodes to something that decodes to the same value.
            let again = serde_json::to_vec(&s).unwrap();
            prop_assert_eq!(parse_cloud_snapshot(&again).unwrap(), s);
        }
        let _ = parse_cloud_snapshot_page(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_cloud_parsers(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_cloud_snapshot(&bytes);
        let _ = parse_cloud_snapshot_page(&bytes);
    }

    #[test]
    fn cloud_status_strings_round_trip(s in ".{0,16}") {
        let status = CloudSnapshotStatus::from(s.as_str());
        if matches!(status, CloudSnapshotStatus::Unknown(_)) {
            prop_assert_eq!(status.as_str(), s.as_str());
            prop_assert_eq!(status.phase(), SnapshotPhase::Other);
        } else {
            prop_assert!(status.as_str().eq_ignore_ascii_case(&s));
        }
        prop_assert_eq!(CloudSnapshotStatus::from(s.clone()), status);
    }
}
