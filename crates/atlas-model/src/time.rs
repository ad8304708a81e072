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

/// Parses an HTTP date as Atlas sends it in `Deprecation` and `Sunset` headers.
///
/// Accepted: the IMF-fixdate of RFC 9110 (`Thu, 01 Jul 2027 00:00:00 GMT`), the same with a
/// one-digit day as Atlas writes it (`Mon, 5 Aug 2024 00:00:00 GMT`, which a strict HTTP-date
/// parser rejects), the obsolete RFC 850 (`Thursday, 01-Jul-27 00:00:00 GMT`) and asctime
/// (`Thu Jul  1 00:00:00 2027`) forms, and RFC 9745's structured `Deprecation: @1722816000`
/// (seconds since the epoch). The weekday is not checked; `GMT` or `UTC` is required where the
/// form has a zone.
///
/// ```
/// use atlas_model::parse_http_date;
/// let atlas = parse_http_date("Mon, 5 Aug 2024 00:00:00 GMT").unwrap();
/// assert_eq!(atlas, parse_http_date("Mon, 05 Aug 2024 00:00:00 GMT").unwrap());
/// assert_eq!(atlas, parse_http_date("@1722816000").unwrap());
/// assert!(parse_http_date("next Tuesday").is_none());
/// ```
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(secs) = s.strip_prefix('@') {
        let secs: i64 = secs.parse().ok()?;
        return DateTime::from_timestamp(secs, 0);
    }
    // IMF-fixdate and RFC 850 have a weekday and a comma; drop them.
    if let Some((_, rest)) = s.split_once(',') {
        let rest = rest.trim();
        let rest = rest
            .strip_suffix(" GMT")
            .or_else(|| rest.strip_suffix(" UTC"))?;
        for format in ["%d %b %Y %H:%M:%S", "%d-%b-%y %H:%M:%S"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(rest, format) {
                return Some(t.and_utc());
            }
        }
        return None;
    }
    // asctime: `Thu Jul  1 00:00:00 2027`.
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() == 5 {
        let text = words[1..].join(" ");
        return NaiveDateTime::parse_from_str(&text, "%b %d %H:%M:%S %Y")
            .ok()
            .map(|t| t.and_utc());
    }
    None
}
