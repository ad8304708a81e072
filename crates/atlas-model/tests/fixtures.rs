//! Every recorded body decoded and checked field by field.

use atlas_model::{
    ApiError, ClusterName, Envelope, EnvelopeError, GroupId, Link, ModelErrorKind, SnapshotId,
    SnapshotStatus, TenantSnapshot, parse_snapshot, parse_snapshot_page,
};
use chrono::{DateTime, TimeZone, Utc};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn seed_snapshot() -> TenantSnapshot {
    TenantSnapshot {
        id: Some("5cc310ace5dc7ce369814bc8".parse().unwrap()),
        status: Some(SnapshotStatus::Failed),
        mongodb_version: Some("4.2.7".into()),
        scheduled_time: Some(utc(2019, 4, 26, 12, 0, 0)),
        start_time: Some(utc(2019, 4, 26, 14, 7, 53)),
        finish_time: Some(utc(2019, 4, 26, 14, 8, 7)),
        ..TenantSnapshot::default()
    }
}

#[test]
fn seed_example_response() {
    let snap = parse_snapshot(include_str!("fixtures/seed_v1.json")).unwrap();
    assert_eq!(snap, seed_snapshot());
    assert_eq!(snap.expiration, None);
    assert!(snap.links.is_empty());
    assert!(snap.extra.is_empty());
}

#[test]
fn seed_reserialises_as_atlas_sends_it() {
    let snap = parse_snapshot(include_str!("fixtures/seed_v1.json")).unwrap();
    let compact: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/seed_v1.json")).unwrap();
    assert_eq!(serde_json::to_value(&snap).unwrap(), compact);
    assert_eq!(
        serde_json::to_string(&snap).unwrap(),
        r#"{"finishTime":"2019-04-26T14:08:07Z","id":"5cc310ace5dc7ce369814bc8","mongoDBVersion":"4.2.7","scheduledTime":"2019-04-26T12:00:00Z","startTime":"2019-04-26T14:07:53Z","status":"FAILED"}"#
    );
}

#[test]
fn v2_flex_with_expiration_links_offsets_and_unknown_fields() {
    let body = include_str!("fixtures/v2_flex_links.json");
    let snap = parse_snapshot(body).unwrap();
    assert_eq!(
        snap.id.as_ref().unwrap().as_str(),
        "32b6e34b3d91647abb20e7b8"
    );
    assert_eq!(snap.status, Some(SnapshotStatus::Completed));
    assert_eq!(snap.mongodb_version.as_deref(), Some("8.0.4"));
    assert_eq!(
        snap.expiration,
        Some(utc(2026, 12, 28, 9, 15, 2) + chrono::Duration::milliseconds(123))
    );
    assert_eq!(snap.finish_time, Some(utc(2026, 11, 28, 9, 15, 2)));
    assert_eq!(snap.scheduled_time, Some(utc(2026, 11, 28, 9, 0, 0)));
    // +01:00 converted to UTC, fractional seconds kept.
    assert_eq!(
        snap.start_time,
        Some(utc(2026, 11, 28, 9, 14, 40) + chrono::Duration::milliseconds(500))
    );
    assert_eq!(snap.links.len(), 2);
    assert_eq!(snap.links[0].rel, "self");
    assert!(
        snap.links[0]
            .href
            .ends_with("/backup/snapshots/32b6e34b3d91647abb20e7b8")
    );
    assert_eq!(snap.links[1].rel, "http://cloud.mongodb.com/cluster");
    let keys: Vec<&str> = snap.extra.keys().map(String::as_str).collect();
    assert_eq!(keys, ["restoreJobs", "sizeBytes"]);
    assert_eq!(snap.extra["sizeBytes"], 123456789);

    // Nothing is lost: re-serialising and parsing again gives the same snapshot and the same keys.
    let again = serde_json::to_string(&snap).unwrap();
    assert_eq!(parse_snapshot(&again).unwrap(), snap);
    let original: serde_json::Map<String, serde_json::Value> = serde_json::from_str(body).unwrap();
    let reserialised: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&again).unwrap();
    let mut a: Vec<_> = original.keys().collect();
    let mut b: Vec<_> = reserialised.keys().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(reserialised["startTime"], "2026-11-28T09:14:40.500Z");
}

#[test]
fn absent_and_null_fields_are_none() {
    assert_eq!(parse_snapshot("{}").unwrap(), TenantSnapshot::default());
    let nulls = r#"{"id":null,"status":null,"mongoDBVersion":null,"scheduledTime":null,
        "startTime":null,"finishTime":null,"expiration":null,"links":null}"#;
    assert_eq!(parse_snapshot(nulls).unwrap(), TenantSnapshot::default());
}

#[test]
fn malformed_timestamp_names_the_field_and_position() {
    let err = parse_snapshot(
        "{\n  \"id\": \"5cc310ace5dc7ce369814bc8\",\n  \"finishTime\": \"2019-13-45T99:00:00Z\"\n}",
    )
    .unwrap_err();
    assert_eq!(err.kind(), ModelErrorKind::Data);
    assert!(err.message().contains("finishTime"), "{err}");
    assert_eq!(err.line(), 3);
    assert!(err.column() > 0);
}

#[test]
fn malformed_id_and_wrong_types_are_typed_errors() {
    let err = parse_snapshot(r#"{"id":"5CC310ACE5DC7CE369814BC8"}"#).unwrap_err();
    assert!(err.message().contains("field `id`"), "{err}");
    assert!(err.message().contains("snapshot id"), "{err}");
    assert_eq!(err.column(), 32, "the position points at the end of the id");
    let err = parse_snapshot(r#"{"status": 3}"#).unwrap_err();
    assert_eq!(
        (err.kind(), err.column()),
        (ModelErrorKind::Data, 12),
        "{err}"
    );
    let err = parse_snapshot(r#"{"links": {"href": "x"}}"#).unwrap_err();
    assert_eq!(err.kind(), ModelErrorKind::Data, "{err}");
    let err = parse_snapshot(r#"{"id": "5cc310ace5dc7ce369814bc8""#).unwrap_err();
    assert_eq!(err.kind(), ModelErrorKind::Eof);
    let err = parse_snapshot("[1,2]").unwrap_err();
    assert_eq!(err.kind(), ModelErrorKind::Data);
    let err = parse_snapshot("<html>").unwrap_err();
    assert_eq!(err.kind(), ModelErrorKind::Syntax);
    assert_eq!((err.line(), err.column()), (1, 1));
}

#[test]
fn envelope_ok_unwraps_to_the_snapshot() {
    let env = Envelope::parse(include_str!("fixtures/envelope_ok.json")).unwrap();
    assert_eq!(env.status, 200);
    let snap: TenantSnapshot = env.into_result().unwrap();
    assert_eq!(snap, seed_snapshot());
}

#[test]
fn envelope_with_inner_404_yields_the_api_error() {
    let env = Envelope::parse(include_str!("fixtures/envelope_404.json")).unwrap();
    match env.into_result::<TenantSnapshot>() {
        Err(EnvelopeError::Api { status, error }) => {
            assert_eq!(status, 404);
            assert_eq!(error.error, Some(404));
            assert!(error.has_code("BACKUP_SNAPSHOT_NOT_FOUND"));
            assert_eq!(error.reason.as_deref(), Some("Not Found"));
            assert_eq!(error.parameters.len(), 2);
            assert_eq!(error.parameters[1], "M2AWS");
        }
        other => panic!("expected an inner API error, got {other:?}"),
    }
}

#[test]
fn envelope_with_bad_content_is_a_decode_error() {
    let env = Envelope::parse(r#"{"status":200,"content":{"finishTime":"soon"}}"#).unwrap();
    match env.into_result::<TenantSnapshot>() {
        Err(EnvelopeError::Decode(e)) => assert!(e.message().contains("finishTime")),
        other => panic!("{other:?}"),
    }
    assert!(Envelope::parse(r#"{"content":{}}"#).is_err());
}

#[test]
fn error_404_group_not_found() {
    let e = ApiError::from_body(404, include_bytes!("fixtures/error_404.json"));
    assert_eq!(e.error, Some(404));
    assert_eq!(e.error_code.as_deref(), Some("GROUP_NOT_FOUND"));
    assert_eq!(
        e.detail.as_deref(),
        Some("No group with ID 5b69d0349b15c62cdfc38b79 exists.")
    );
    assert_eq!(e.reason.as_deref(), Some("Not Found"));
    assert_eq!(
        e.parameters,
        vec![serde_json::json!("5b69d0349b15c62cdfc38b79")]
    );
    assert_eq!(e.bad_request_detail, None);
    assert_eq!(e.raw, None);
    assert_eq!(
        e.to_string(),
        "404 GROUP_NOT_FOUND: No group with ID 5b69d0349b15c62cdfc38b79 exists."
    );
}

#[test]
fn error_401_without_error_code() {
    let e = ApiError::from_body(401, include_bytes!("fixtures/error_401_no_code.json"));
    assert_eq!(e.error, Some(401));
    assert_eq!(e.error_code, None);
    assert_eq!(e.reason.as_deref(), Some("Unauthorized"));
    assert_eq!(
        e.detail.as_deref(),
        Some("You are not authorized for this resource.")
    );
    assert!(e.parameters.is_empty());
}

#[test]
fn error_429_with_mixed_type_parameters() {
    let e = ApiError::from_body(429, include_bytes!("fixtures/error_429_params.json"));
    assert!(e.has_code("RATE_LIMITED"));
    assert_eq!(e.parameters.len(), 6);
    assert_eq!(e.parameters[1], 100);
    assert_eq!(e.parameters[3]["window"], "minute");
    assert!(e.parameters[4].is_null());
    assert_eq!(e.parameters[5], true);
}

#[test]
fn error_410_version_gone() {
    let e = ApiError::from_body(410, include_bytes!("fixtures/error_410_version_gone.json"));
    assert!(e.has_code("VERSION_GONE"));
    assert_eq!(e.error, Some(410));
    assert!(e.detail.unwrap().contains("flex"));
}

#[test]
fn error_400_with_bad_request_detail() {
    let e = ApiError::from_body(400, include_bytes!("fixtures/error_400_bad_request.json"));
    let detail = e.bad_request_detail.unwrap();
    assert_eq!(detail.fields.len(), 1);
    assert_eq!(detail.fields[0].field, "snapshotId");
    assert_eq!(detail.fields[0].description, "must match ^([a-f0-9]{24})$");
}

#[test]
fn html_503_is_kept_as_raw_text() {
    let e = ApiError::from_body(503, include_bytes!("fixtures/error_503.html"));
    assert_eq!(e.error, Some(503));
    assert_eq!(e.error_code, None);
    assert_eq!(e.reason.as_deref(), Some("Service Unavailable"));
    assert!(e.raw.as_deref().unwrap().starts_with("<!DOCTYPE html>"));
    assert!(
        e.to_string()
            .starts_with("503 Service Unavailable: <!DOCTYPE html>")
    );
    // Empty, binary and huge bodies never fail either.
    assert_eq!(ApiError::from_body(502, b"").raw.as_deref(), Some(""));
    assert!(ApiError::from_body(500, &[0xff, 0xfe, 0x00]).raw.is_some());
    let huge = vec![b'x'; 100_000];
    assert_eq!(
        ApiError::from_body(500, &huge).raw.unwrap().len(),
        ApiError::RAW_LIMIT
    );
    // JSON that is not an error object is kept raw too.
    assert!(ApiError::from_body(500, b"[1,2,3]").raw.is_some());
    assert!(
        ApiError::from_body(500, br#"{"unrelated":true}"#)
            .raw
            .is_some()
    );
}

#[test]
fn api_error_new_fills_reason() {
    let e = ApiError::new(404, "RESOURCE_NOT_FOUND", "gone fishing");
    assert_eq!(e.reason.as_deref(), Some("Not Found"));
    let round: ApiError = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
    assert_eq!(round, e);
}

#[test]
fn first_page_of_a_list() {
    let page = parse_snapshot_page(include_str!("fixtures/page_1.json")).unwrap();
    assert_eq!(page.total_count, Some(5));
    assert_eq!(page.results.len(), 2);
    assert_eq!(page.results[0].status, Some(SnapshotStatus::Failed));
    assert_eq!(page.results[1].status, Some(SnapshotStatus::Completed));
    assert!(page.next_href().unwrap().contains("pageNum=2"));
    let empty = parse_snapshot_page("{}").unwrap();
    assert!(empty.results.is_empty());
    assert_eq!(empty.next_href(), None);
    assert_eq!(
        empty.links,
        Vec::<Link>::new(),
        "absent links decode as an empty list"
    );
}

#[test]
fn id_errors_say_what_and_where() {
    let e = "M2A/WS".parse::<ClusterName>().unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cluster name: character '/' at 3 is not allowed"),
        "{e}"
    );
    let e = "-M2".parse::<ClusterName>().unwrap_err();
    assert!(e.to_string().contains("at 0"), "{e}");
    let e = "".parse::<ClusterName>().unwrap_err();
    assert_eq!(e.to_string(), "cluster name: must not be empty");
    let long = "a".repeat(65);
    assert!(
        long.parse::<ClusterName>()
            .unwrap_err()
            .to_string()
            .contains("at most 64")
    );
    assert!("a".repeat(64).parse::<ClusterName>().is_ok());
    let e = "5b69d0349b15c62cdfc38b7".parse::<GroupId>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "group id: must be exactly 24 lower-case hexadecimal characters, found 23 characters"
    );
    let e = "5b69d0349b15c62cdfc38b7G"
        .parse::<SnapshotId>()
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("snapshot id: character 'G' at 23"),
        "{e}"
    );
    for evil in [
        "..", "a/b", "a?b", "a%2F", "a b", "a\tb", "ü", "a.b", "a\nb",
    ] {
        assert!(evil.parse::<ClusterName>().is_err(), "{evil:?} accepted");
    }
}

#[test]
fn status_case_and_unknown_values() {
    assert_eq!(SnapshotStatus::from("completed"), SnapshotStatus::Completed);
    assert_eq!(SnapshotStatus::from("Running"), SnapshotStatus::Running);
    let s: SnapshotStatus = serde_json::from_str(r#""completed""#).unwrap();
    assert_eq!(serde_json::to_string(&s).unwrap(), r#""COMPLETED""#);
    let unknown: SnapshotStatus = serde_json::from_str(r#""ARCHIVED""#).unwrap();
    assert_eq!(unknown, SnapshotStatus::Unknown("ARCHIVED".into()));
    assert_eq!(serde_json::to_string(&unknown).unwrap(), r#""ARCHIVED""#);
    assert!(!unknown.is_terminal());
    for (s, terminal) in [
        ("COMPLETED", true),
        ("FAILED", true),
        ("PENDING", false),
        ("QUEUED", false),
        ("RUNNING", false),
    ] {
        let status = SnapshotStatus::from(s);
        assert_eq!(status.as_str(), s);
        assert_eq!(status.is_terminal(), terminal);
        assert!(!matches!(status, SnapshotStatus::Unknown(_)));
    }
}
