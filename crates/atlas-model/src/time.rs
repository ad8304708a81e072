//! Timestamp parsing and formatting for the snapshot's date-time fields.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// Parses an Atlas timestamp.
///
/// Accepted: RFC 3339 / ISO 8601 date-times as Atlas and its documentation show them:
/// `2019-04-26T14:08:07Z`, with fractional seconds (`2019-04-26T14:08:07.123Z`), with an explicit
/// offset (`2019-04-26T16:08:07+02:00`, converted to UTC), and without any offset
/// (`2019-04-26T14:08:07`, which Atlas documents as UTC). Anything else is rejected.
///
/// ```
/// use atlas_model::parse_timestamp;
/// let t = parse_timestamp("2019-04-26T16:08:07.5+02:00").unwrap();
/// assert_eq!(atlas_model::format_timestamp(&t), "2019-04-26T14:08:07.500Z");
/// assert!(parse_timestamp("26/04/2019").is_none());
/// ```
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Formats a timestamp the way Atlas does: RFC 3339 in UTC with a `Z`, fractional seconds only
/// when present (`2019-04-26T14:08:07Z`).
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
