//! [`RateLimitParameters`]: what a `429` body says about Atlas's rate limit.

use serde_json::Value;

use crate::ApiError;

/// The `parameters` of an Atlas `429`, decoded.
///
/// Atlas sends two shapes:
///
/// - `RATE_LIMITED_TOKEN_BUCKET` (the API endpoints): `[path, retry-after seconds, capacity,
///   refill rate, refill period seconds]`;
/// - `RATE_LIMITED` (the token endpoint, older endpoints): `[path, requests, minutes]`, "limited
///   to N requests every M minutes", read as a bucket of N refilled with N per M minutes.
///
/// Each field is `None` when its parameter is missing or not a non-negative number.
///
/// ```
/// use atlas_model::ApiError;
/// let body = br#"{"error":429,"errorCode":"RATE_LIMITED_TOKEN_BUCKET","parameters":["/api/atlas/v2/groups/x",7,100,10,60]}"#;
/// let limit = ApiError::from_body(429, body).rate_limit().unwrap();
/// assert_eq!(limit.retry_after_secs, Some(7));
/// assert_eq!((limit.capacity, limit.refill_rate, limit.refill_period_secs), (Some(100), Some(10), Some(60)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimitParameters {
    /// The limited resource (a path).
    pub resource: Option<String>,
    /// How long to wait before asking again, in seconds (token bucket only).
    pub retry_after_secs: Option<u64>,
    /// How many requests the bucket holds.
    pub capacity: Option<u64>,
    /// How many requests come back per refill period.
    pub refill_rate: Option<u64>,
    /// The refill period, in seconds.
    pub refill_period_secs: Option<u64>,
}

impl ApiError {
    /// The rate limit described by a `429`'s `parameters`, for the codes `RATE_LIMITED_TOKEN_BUCKET`
    /// and `RATE_LIMITED`; `None` for other codes.
    pub fn rate_limit(&self) -> Option<RateLimitParameters> {
        let p = &self.parameters;
        let num = |i: usize| p.get(i).and_then(Value::as_u64);
        let resource = p.first().and_then(Value::as_str).map(str::to_owned);
        match self.error_code.as_deref()? {
            "RATE_LIMITED_TOKEN_BUCKET" => Some(RateLimitParameters {
                resource,
                retry_after_secs: num(1),
                capacity: num(2),
                refill_rate: num(3),
                refill_period_secs: num(4),
            }),
            "RATE_LIMITED" => Some(RateLimitParameters {
                resource,
                retry_after_secs: None,
                capacity: num(1),
                refill_rate: num(1),
                refill_period_secs: num(2).and_then(|m| m.checked_mul(60)),
            }),
            _ => None,
        }
    }
}
