//! Restore jobs, deployment names, HTTP dates and rate-limit parameters: fixtures and properties.

use atlas_model::{
    ApiError, DeploymentName, RestoreStatus, format_timestamp, parse_http_date, parse_restore_job,
    parse_restore_job_page,
};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

/// A download job as Atlas returns it from `POST .../backup/download` (fields as in the 2026
/// reference), with a field this crate does not know.
const DOWNLOAD_JOB: &str = r#"{"deliveryType":"DOWNLOAD","expirationDate":"2026-12-01T14:00:00Z","id":"6740a1f2c3d4e5f6a7b8c9d0","instanceName":"FlexAWS","links":[{"href":"https://cloud.mongodb.com/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/flexClusters/FlexAWS/backup/restoreJobs/6740a1f2c3d4e5f6a7b8c9d0","rel":"self"}],"projectId":"5b69d0349b15c62cdfc38b78","restoreScheduledDate":"2026-12-01T10:00:00Z","snapshotFinishedDate":"2026-11-30T10:02:11Z","snapshotId":"6740a1f2c3d4e5f6a7b8c901","snapshotUrl":"https://restore.example.net/FlexAWS.tgz?X-Amz-Signature=deadbeef","status":"PENDING","sizeBytes":1234}"#;

#[test]
fn a_download_job_decodes_and_keeps_what_it_does_not_know() {
    let job = parse_restore_job(DOWNLOAD_JOB).unwrap();
    assert_eq!(job.status, Some(RestoreStatus::Pending));
    assert_eq!(job.instance_name.as_deref(), Some("FlexAWS"));
    assert_eq!(job.links.len(), 1);
    assert_eq!(job.extra["sizeBytes"], 1234);
    assert!(job.restore_finished_date.is_none());
    let url = job.snapshot_url.as_ref().unwrap();
    assert!(!format!("{job:?}").contains("deadbeef"));
    assert!(url.expose().ends_with("deadbeef"));
    // Re-encoding gives back the same JSON (Atlas sends the fields in this order).
    assert_eq!(serde_json::to_string(&job).unwrap(), DOWNLOAD_JOB);
}

#[test]
fn bad_fields_name_themselves_and_pages_decode() {
    let e = parse_restore_job(r#"{"restoreFinishedDate":"soon"}"#).unwrap_err();
    assert!(e.to_string().contains("soon"), "{e}");
    let e = parse_restore_job(r#"{"id":"XYZ"}"#).unwrap_err();
    assert!(e.to_string().contains("restore job id"), "{e}");
    let page = parse_restore_job_page(format!(
        r#"{{"results":[{DOWNLOAD_JOB}],"totalCount":2160,"links":[{{"rel":"next","href":"https://cloud.mongodb.com/x?pageNum=2"}}]}}"#
    ))
    .unwrap();
    assert_eq!(page.total_count, Some(2160));
    assert_eq!(page.results.len(), 1);
}

#[test]
fn rate_limit_parameters_of_both_shapes() {
    let fixture = include_str!("fixtures/error_429_params.json");
    let limit = ApiError::from_body(429, fixture.as_bytes())
        .rate_limit()
        .unwrap();
    assert_eq!(limit.capacity, Some(100));
    assert_eq!(limit.refill_period_secs, Some(60));
    assert_eq!(limit.retry_after_secs, None);
    let other = ApiError::new(429, "SOMETHING_ELSE", "x");
    assert!(other.rate_limit().is_none());
}

#[test]
fn http_dates_in_every_form_atlas_and_the_rfcs_use() {
    let want = Utc.with_ymd_and_hms(2027, 7, 1, 0, 0, 0).unwrap();
    for text in [
        "Thu, 1 Jul 2027 00:00:00 GMT",
        "Thu, 01 Jul 2027 00:00:00 GMT",
        "  Thu, 01 Jul 2027 00:00:00 UTC ",
        "Thursday, 01-Jul-27 00:00:00 GMT",
        "Thu Jul  1 00:00:00 2027",
        "@1814400000",
    ] {
        assert_eq!(parse_http_date(text), Some(want), "{text:?}");
    }
    for bad in [
        "",
        "@",
        "@x",
        "Thu, 32 Jul 2027 00:00:00 GMT",
        "Thu, 1 Jul 2027 00:00:00 CET",
        "2027-07-01",
    ] {
        assert_eq!(parse_http_date(bad), None, "{bad:?}");
    }
}

proptest! {
    #[test]
    fn any_date_reads_back_with_one_or_two_digit_days(secs in 0i64..4_102_444_800) {
        let t = Utc.timestamp_opt(secs, 0).unwrap();
        let fixdate = t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let one_digit = t.format("%a, %-d %b %Y %H:%M:%S GMT").to_string();
        prop_assert_eq!(parse_http_date(&fixdate), Some(t));
        prop_assert_eq!(parse_http_date(&one_digit), Some(t));
        prop_assert_eq!(parse_http_date(&format!("@{secs}")), Some(t));
    }

    #[test]
    fn http_date_parser_never_panics(s in ".{0,40}") {
        let _ = parse_http_date(&s);
    }

    #[test]
    fn deployment_names_match_the_pattern(s in "\\PC{0,70}") {
        let allowed = |c: char| c.is_alphabetic() || c.is_numeric() || "-_.(),:&@+'".contains(c);
        let expected = !s.is_empty() && s.chars().count() <= 64 && s.chars().all(allowed);
        let got = s.parse::<DeploymentName>();
        prop_assert_eq!(got.is_ok(), expected, "{:?}: {:?}", s, got);
        if let Ok(name) = got {
            prop_assert_eq!(name.as_str(), s.as_str());
        }
    }

    #[test]
    fn restore_jobs_round_trip_with_any_status(status in "[A-Za-z_]{1,12}", extra in any::<i64>(),
                                               secs in 0i64..4_102_444_800) {
        let t = format_timestamp(&Utc.timestamp_opt(secs, 0).unwrap());
        let text = format!(r#"{{"restoreFinishedDate":"{t}","status":"{status}","zzz":{extra}}}"#);
        let job = parse_restore_job(&text).unwrap();
        let back = parse_restore_job(serde_json::to_string(&job).unwrap()).unwrap();
        prop_assert_eq!(&back, &job);
        prop_assert_eq!(back.status.unwrap().as_str().to_ascii_uppercase(), status.to_ascii_uppercase());
    }
}
