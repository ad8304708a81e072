//! Token bucket rate limiting, one bucket per API key, refilled on the mock clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::MockError;

/// A token bucket per API key: `capacity` requests at once, `refill_rate` tokens added every
/// `refill_period` (continuously, pro rata), measured on the [mock clock](crate::MockClock).
///
/// Answers that went through the limiter carry `RateLimit-Limit` (the capacity) and
/// `RateLimit-Remaining` (whole tokens left) on the v2 routes, as observed on Atlas (v1.0 answers and
/// the 401 challenges carry none). Requests beyond it are answered `429 RATE_LIMITED_TOKEN_BUCKET`
/// with `Retry-After` (whole seconds, rounded up, at least 1) and `parameters` = [path, retry-after
/// seconds, capacity, refill rate, refill period seconds].
///
/// ```
/// use std::time::Duration;
/// use atlas_mock::RateLimit;
/// let flex = RateLimit::token_bucket(100, 10, Duration::from_secs(1))?; // 10 tokens a second
/// assert_eq!(flex.capacity(), 100);
/// assert_eq!(RateLimit::new(3, 0.5)?.refill_per_second(), 0.5);
/// # Ok::<(), atlas_mock::MockError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RateLimitWire", into = "RateLimitWire")]
pub struct RateLimit {
    capacity: u32,
    refill_rate: f64,
    refill_period: Duration,
}

/// JSON form (data file `rateLimit`): `{"capacity": 100, "refillRate": 10, "refillPeriodSeconds": 1}`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RateLimitWire {
    capacity: u32,
    refill_rate: f64,
    #[serde(default = "one_second")]
    refill_period_seconds: f64,
}

fn one_second() -> f64 {
    1.0
}

impl TryFrom<RateLimitWire> for RateLimit {
    type Error = MockError;
    fn try_from(w: RateLimitWire) -> Result<Self, MockError> {
        let period = Duration::try_from_secs_f64(w.refill_period_seconds).map_err(|_| {
            MockError::InvalidConfig(format!(
                "rate limit refillPeriodSeconds must be positive, got {}",
                w.refill_period_seconds
            ))
        })?;
        RateLimit::with_period(w.capacity, w.refill_rate, period)
    }
}

impl From<RateLimit> for RateLimitWire {
    fn from(r: RateLimit) -> Self {
        RateLimitWire {
            capacity: r.capacity,
            refill_rate: r.refill_rate,
            refill_period_seconds: r.refill_period.as_secs_f64(),
        }
    }
}

impl RateLimit {
    /// A bucket of `capacity` tokens refilled at `refill_per_second`; both must be positive and finite.
    pub fn new(capacity: u32, refill_per_second: f64) -> Result<Self, MockError> {
        Self::with_period(capacity, refill_per_second, Duration::from_secs(1))
    }

    /// Atlas's form: `capacity` tokens, `refill_rate` tokens added every `refill_period`.
    pub fn token_bucket(
        capacity: u32,
        refill_rate: u32,
        refill_period: Duration,
    ) -> Result<Self, MockError> {
        Self::with_period(capacity, f64::from(refill_rate), refill_period)
    }

    fn with_period(capacity: u32, rate: f64, period: Duration) -> Result<Self, MockError> {
        if capacity == 0 || !rate.is_finite() || rate <= 0.0 || period.is_zero() {
            return Err(MockError::InvalidConfig(format!(
                "rate limit needs capacity > 0, a positive finite refill rate and a positive period, got {capacity}, {rate} per {period:?}"
            )));
        }
        Ok(Self {
            capacity,
            refill_rate: rate,
            refill_period: period,
        })
    }

    /// `requests` tokens, all refilled every `minutes` minutes (both at least 1): the token
    /// endpoint's limit.
    pub(crate) fn per_minutes(requests: u32, minutes: u32) -> Self {
        let requests = requests.max(1);
        Self {
            capacity: requests,
            refill_rate: f64::from(requests),
            refill_period: Duration::from_secs(60 * u64::from(minutes.max(1))),
        }
    }

    /// Tokens refilled over `d` (multiplying first, so whole periods give whole tokens exactly).
    pub(crate) fn refill_over(&self, d: Duration) -> f64 {
        d.as_secs_f64() * self.refill_rate / self.refill_period.as_secs_f64()
    }

    /// Tokens in a full bucket.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Tokens added per second.
    pub fn refill_per_second(&self) -> f64 {
        self.refill_rate / self.refill_period.as_secs_f64()
    }

    /// Tokens added per [`RateLimit::refill_period`].
    pub fn refill_rate(&self) -> f64 {
        self.refill_rate
    }

    /// The refill period.
    pub fn refill_period(&self) -> Duration {
        self.refill_period
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    /// Mock-clock time of the last refill.
    last: Duration,
}

/// The limiter's verdict for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Verdict {
    /// Served; whole tokens left after this request.
    Allowed { remaining: u32 },
    /// Refused; the bucket has a token again after this long.
    Limited { retry_after: Duration },
}

/// Buckets keyed by public key. Only configured keys reach the API limiter (it runs after
/// authentication), so its table never holds more entries than there are keys; the token
/// endpoint's limiter, keyed by (IP, client id), is bounded by `max_keys` instead.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    max_keys: Option<usize>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            max_keys: None,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// A limiter that keeps at most `max` buckets: a new key in a full table first drops the
    /// buckets that are full again (forgetting them changes nothing), then the least recently used.
    pub(crate) fn bounded(limit: RateLimit, max: usize) -> Self {
        Self {
            limit,
            max_keys: Some(max.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes a token for `key` at mock-clock time `now`.
    pub(crate) fn take(&self, key: &str, now: Duration) -> Verdict {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let cap = f64::from(self.limit.capacity);
        if let Some(max) = self.max_keys {
            if buckets.len() >= max && !buckets.contains_key(key) {
                let limit = self.limit;
                buckets
                    .retain(|_, b| b.tokens + limit.refill_over(now.saturating_sub(b.last)) < cap);
                while buckets.len() >= max {
                    let Some(oldest) = buckets
                        .iter()
                        .min_by_key(|(_, b)| b.last)
                        .map(|(k, _)| k.clone())
                    else {
                        break;
                    };
                    buckets.remove(&oldest);
                }
            }
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: cap,
            last: now,
        });
        let elapsed = now.saturating_sub(bucket.last);
        bucket.tokens = (bucket.tokens + self.limit.refill_over(elapsed)).min(cap);
        bucket.last = now.max(bucket.last);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Verdict::Allowed {
                remaining: bucket.tokens.floor() as u32,
            }
        } else {
            let missing = 1.0 - bucket.tokens;
            Verdict::Limited {
                // Multiply before dividing: 1 token at 5 per 60 s is exactly 12 s.
                retry_after: Duration::try_from_secs_f64(
                    missing * self.limit.refill_period.as_secs_f64() / self.limit.refill_rate,
                )
                .unwrap_or(Duration::MAX),
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// `Retry-After` in whole seconds: rounded up, at least 1.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_and_refills_on_the_clock_it_is_given() {
        let l = RateLimiter::new(RateLimit::new(2, 1.0).unwrap());
        let t = Duration::from_secs(100);
        assert_eq!(l.take("a", t), Verdict::Allowed { remaining: 1 });
        assert_eq!(l.take("a", t), Verdict::Allowed { remaining: 0 });
        let Verdict::Limited { retry_after } = l.take("a", t) else {
            panic!("third request is limited")
        };
        assert!(retry_after <= Duration::from_secs(1) && retry_after > Duration::ZERO);
        assert_eq!(retry_after_secs(retry_after), 1);
        // another key has its own bucket
        assert!(matches!(l.take("b", t), Verdict::Allowed { .. }));
        let later = t + Duration::from_millis(1000);
        assert!(matches!(l.take("a", later), Verdict::Allowed { .. }));
        assert!(matches!(l.take("a", later), Verdict::Limited { .. }));
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn a_bounded_limiter_forgets_full_buckets_first_then_the_oldest() {
        let l = RateLimiter::bounded(RateLimit::new(2, 1.0).unwrap(), 3);
        let t = Duration::from_secs;
        for k in ["a", "b", "c"] {
            l.take(k, t(0));
        }
        l.take("c", t(0));
        // At 1 s a and b are full again (one token used, one refilled); c is not.
        l.take("d", t(1));
        assert_eq!(l.len(), 2);
        assert!(matches!(
            l.take("c", t(1)),
            Verdict::Allowed { remaining: 0 }
        ));
        for (i, k) in ["e", "f", "g", "h"].into_iter().enumerate() {
            l.take(k, t(1) + Duration::from_millis(i as u64));
            l.take(k, t(1) + Duration::from_millis(i as u64));
            assert!(l.len() <= 3);
        }
    }

    #[test]
    fn periods_and_json() {
        let r = RateLimit::token_bucket(100, 10, Duration::from_secs(60)).unwrap();
        assert!((r.refill_per_second() - 10.0 / 60.0).abs() < 1e-12);
        let j: RateLimit =
            serde_json::from_str(r#"{"capacity":5,"refillRate":2,"refillPeriodSeconds":10}"#)
                .unwrap();
        assert_eq!(j.refill_period(), Duration::from_secs(10));
        assert!(serde_json::from_str::<RateLimit>(r#"{"capacity":0,"refillRate":2}"#).is_err());
        assert!(
            serde_json::from_str::<RateLimit>(r#"{"capacity":1,"refillRate":2,"burst":3}"#)
                .unwrap_err()
                .to_string()
                .contains("burst")
        );
    }

    #[test]
    fn rejects_bad_settings() {
        assert!(RateLimit::new(0, 1.0).is_err());
        assert!(RateLimit::new(1, 0.0).is_err());
        assert!(RateLimit::new(1, f64::NAN).is_err());
        assert!(RateLimit::token_bucket(1, 1, Duration::ZERO).is_err());
    }

    #[test]
    fn a_tiny_refill_rate_does_not_overflow() {
        let l = RateLimiter::new(RateLimit::new(1, 1e-300).unwrap());
        let t = Duration::ZERO;
        assert!(matches!(l.take("a", t), Verdict::Allowed { .. }));
        assert_eq!(
            l.take("a", t),
            Verdict::Limited {
                retry_after: Duration::MAX
            }
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// A bounded limiter never holds more buckets than its bound, whatever the keys and times.
            #[test]
            fn bounded_tables_stay_bounded(
                max in 1usize..20,
                steps in proptest::collection::vec((0u16..200, 0u64..5000), 1..400),
            ) {
                let l = RateLimiter::bounded(RateLimit::new(3, 1.0).unwrap(), max);
                let mut now = 0u64;
                for (key, dt) in steps {
                    now += dt;
                    l.take(&key.to_string(), Duration::from_millis(now));
                    prop_assert!(l.len() <= max);
                }
            }
        }
    }
}
