//! Property tests: round trips, and no input panics a parser.

use atlas_model::{
    ApiError, ClusterName, Envelope, GroupId, Link, SnapshotId, SnapshotStatus, TenantSnapshot,
    parse_snapshot, parse_snapshot_page,
};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn hex24() -> impl Strategy<Value = String> {
    "[a-f0-9]{24}"
}

fn timestamp() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    // Any second from 1970 to 2100, with millisecond precision half of the time.
    proptest::option::of(
        (0i64..4_102_444_800, prop_oneof![Just(0u32), 0u32..1000])
            .prop_map(|(secs, ms)| Utc.timestamp_opt(secs, ms * 1_000_000).unwrap()),
    )
}

fn status() -> impl Strategy<Value = Option<SnapshotStatus>> {
    proptest::option::of(prop_oneof![
        Just(SnapshotStatus::Completed),
        Just(SnapshotStatus::Failed),
        Just(SnapshotStatus::Pending),
        Just(SnapshotStatus::Queued),
        Just(SnapshotStatus::Running),
        "[A-Z_]{1,12}".prop_map(|s| SnapshotStatus::from(s.as_str())),
    ])
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

prop_compose! {
    fn snapshot()(
        id in proptest::option::of(hex24()),
        status in status(),
        mongodb_version in proptest::option::of("[0-9]\\.[0-9]\\.[0-9]{1,2}"),
        scheduled_time in timestamp(),
        start_time in timestamp(),
        finish_time in timestamp(),
        expiration in timestamp(),
        links in proptest::collection::vec((".{0,20}", "[a-z]{0,8}"), 0..3),
        extra in proptest::collection::btree_map("x[A-Za-z]{0,8}", json_value(), 0..3),
    ) -> TenantSnapshot {
        TenantSnapshot {
            id: id.map(|s| s.parse().unwrap()),
            status,
            mongodb_version,
            scheduled_time,
            start_time,
            finish_time,
            expiration,
            links: links.into_iter().map(|(href, rel)| Link { href, rel }).collect(),
            extra: extra.into_iter().collect::<Map<String, Value>>(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_snapshot_round_trips(snap in snapshot()) {
        let json = serde_json::to_vec(&snap).unwrap();
        prop_assert_eq!(parse_snapshot(&json).unwrap(), snap.clone());
        let pretty = serde_json::to_string_pretty(&snap).unwrap();
        prop_assert_eq!(parse_snapshot(&pretty).unwrap(), snap);
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        let text = value.to_string();
        let _ = parse_snapshot(&text);
        let _ = parse_snapshot_page(&text);
        let _ = Envelope::parse(&text).map(|e| e.into_result::<TenantSnapshot>());
        let _ = ApiError::from_body(500, text.as_bytes());
        let _ = ApiError::from_value(500, &value);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_snapshot(&bytes);
        let _ = parse_snapshot_page(&bytes);
        let _ = Envelope::parse(&bytes);
        let e = ApiError::from_body(503, &bytes);
        prop_assert_eq!(e.error.is_some(), true);
        let _ = e.to_string();
    }

    #[test]
    fn snapshot_shaped_json_with_arbitrary_values_never_panics(
        values in proptest::collection::vec(json_value(), 8)
    ) {
        let keys = ["id", "status", "mongoDBVersion", "scheduledTime", "startTime",
                    "finishTime", "expiration", "links"];
        let obj: Map<String, Value> = keys.iter().map(|k| k.to_string()).zip(values).collect();
        let _ = parse_snapshot(Value::Object(obj).to_string());
    }

    #[test]
    fn valid_hex_ids_round_trip(s in hex24()) {
        let g: GroupId = s.parse().unwrap();
        prop_assert_eq!(g.as_str(), s.as_str());
        let id: SnapshotId = serde_json::from_value(Value::String(s.clone())).unwrap();
        prop_assert_eq!(serde_json::to_value(&id).unwrap(), Value::String(s));
    }

    #[test]
    fn other_strings_are_not_hex_ids(s in ".{0,30}") {
        let valid = s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        prop_assert_eq!(s.parse::<GroupId>().is_ok(), valid);
        prop_assert_eq!(s.parse::<SnapshotId>().is_ok(), valid);
    }

    #[test]
    fn valid_cluster_names_round_trip(s in "[a-zA-Z0-9][a-zA-Z0-9-]{0,63}") {
        let name: ClusterName = s.parse().unwrap();
        prop_assert_eq!(name.to_string(), s);
    }

    #[test]
    fn cluster_names_never_carry_path_syntax(s in ".{0,80}") {
        if let Ok(name) = s.parse::<ClusterName>() {
            let n = name.as_str();
            prop_assert!(!n.is_empty() && n.len() <= 64);
            prop_assert!(n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            prop_assert!(!n.starts_with('-'));
        }
    }

    #[test]
    fn status_strings_round_trip(s in ".{0,16}") {
        let status = SnapshotStatus::from(s.as_str());
        if matches!(status, SnapshotStatus::Unknown(_)) {
            prop_assert_eq!(status.as_str(), s.as_str());
        } else {
            prop_assert!(status.as_str().eq_ignore_ascii_case(&s));
        }
    }
}
