//! [`ApiResponse`]: a decoded value with everything else Atlas sent, including which endpoint
//! served it ([`ServedBy`]) and the rate-limit headers ([`RateLimit`]).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, StatusCode};

use crate::ClusterKind;

/// Atlas's rate-limit headers on one answer: `RateLimit-Limit` and `RateLimit-Remaining`
/// (header names in any case). Often absent (on `401`s, on the v1.0 API): then both are `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// `RateLimit-Limit`: the requests allowed in the window (observed 1200 on flex backup
    /// endpoints).
    pub limit: Option<u64>,
    /// `RateLimit-Remaining`: the requests left.
    pub remaining: Option<u64>,
}

impl RateLimit {
    /// Reads the two headers; a value that is not a number counts as absent.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        RateLimit {
            limit: number("ratelimit-limit"),
            remaining: number("ratelimit-remaining"),
        }
    }
}

/// A lookup that did not find the resource before another one did (see [`ServedBy::missed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Missed {
    /// The kind of cluster that was tried.
    pub kind: ClusterKind,
    /// The URL asked.
    pub url: String,
    /// What it answered.
    pub status: StatusCode,
    /// The `errorCode` it sent, if any.
    pub error_code: Option<String>,
}

/// Which endpoint answered: the kind of cluster it is for, and its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServedBy {
    /// The kind of cluster whose endpoint answered (`None` for a URL that is not about a
    /// cluster's snapshots).
    pub kind: Option<ClusterKind>,
    /// The URL of the request that got this answer.
    pub url: String,
    /// Lookups tried before, that did not find it (a tenant `404`/`410` before the flex
    /// endpoint answered); empty when the first endpoint answered or the kind was known.
    pub missed: Vec<Missed>,
}

/// A decoded answer together with the HTTP details, from the `send_full` methods.
///
/// ```
/// # use atlas_snapshots::ApiResponse;
/// fn warn_if_deprecated<T>(r: &ApiResponse<T>) {
///     if let Some(sunset) = r.sunset_date() {
///         eprintln!("{} stops working on {sunset}", r.served_by.url);
///     }
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiResponse<T> {
    /// The decoded value.
    pub value: T,
    /// The HTTP status (always `200` for `envelope=true`).
    pub status: StatusCode,
    /// The body exactly as received (the envelope included for `envelope=true`; pretty printed
    /// for `pretty=true`).
    pub body: Bytes,
    /// The `Deprecation` header, when Atlas marks the endpoint as deprecated.
    pub deprecation: Option<String>,
    /// The `Sunset` header: the date after which the endpoint stops working.
    pub sunset: Option<String>,
    /// `RateLimit-Limit` and `RateLimit-Remaining`.
    pub rate_limit: RateLimit,
    /// Which endpoint answered, and the lookups that missed before it.
    pub served_by: ServedBy,
    /// Every response header.
    pub headers: HeaderMap,
}

impl<T> ApiResponse<T> {
    pub(crate) fn new(
        value: T,
        status: StatusCode,
        body: Bytes,
        headers: HeaderMap,
        served_by: ServedBy,
    ) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        };
        ApiResponse {
            deprecation: text("deprecation"),
            sunset: text("sunset"),
            rate_limit: RateLimit::from_headers(&headers),
            value,
            status,
            body,
            served_by,
            headers,
        }
    }

    /// The `Sunset` date, read in the standard form or Atlas's one-digit-day form
    /// (`Thu, 1 Jul 2027 00:00:00 GMT`); `None` when absent or unreadable.
    pub fn sunset_date(&self) -> Option<DateTime<Utc>> {
        self.sunset
            .as_deref()
            .and_then(atlas_model::parse_http_date)
    }

    /// The `Deprecation` date (HTTP date in either form, or RFC 9745's `@seconds`).
    pub fn deprecation_date(&self) -> Option<DateTime<Utc>> {
        self.deprecation
            .as_deref()
            .and_then(atlas_model::parse_http_date)
    }

    /// Replaces the value, keeping the HTTP details.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ApiResponse<U> {
        ApiResponse {
            value: f(self.value),
            status: self.status,
            body: self.body,
            deprecation: self.deprecation,
            sunset: self.sunset,
            rate_limit: self.rate_limit,
            served_by: self.served_by,
            headers: self.headers,
        }
    }

    /// The value, dropping the HTTP details.
    pub fn into_value(self) -> T {
        self.value
    }
}
