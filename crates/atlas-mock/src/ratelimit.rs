//! Token bucket rate limiting, one bucket per API key.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::MockError;

/// A token bucket per API key: `capacity` requests at once, refilled at `refill_per_second`.
///
/// Requests beyond it are answered `429 RATE_LIMITED` with `Retry-After` (whole seconds, rounded up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    capacity: u32,
    refill_per_second: f64,
}

impl RateLimit {
    /// A bucket of `capacity` tokens refilled at `refill_per_second`; both must be positive and finite.
    pub fn new(capacity: u32, refill_per_second: f64) -> Result<Self, MockError> {
        if capacity == 0 || !refill_per_second.is_finite() || refill_per_second <= 0.0 {
            return Err(MockError::InvalidConfig(format!(
                "rate limit needs capacity > 0 and a positive finite refill rate, got {capacity} and {refill_per_second}"
            )));
        }
        Ok(Self {
            capacity,
            refill_per_second,
        })
    }

    /// Tokens in a full bucket.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Tokens added per second.
    pub fn refill_per_second(&self) -> f64 {
        self.refill_per_second
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Buckets keyed by public key. Only configured keys reach the limiter (it runs after authentication),
/// so the table never holds more entries than there are keys.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key` at `now`; `Err(wait)` tells how long until one is available.
    pub(crate) fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let cap = f64::from(self.limit.capacity);
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: cap,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.limit.refill_per_second).min(cap);
        bucket.last = now.max(bucket.last);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.tokens;
            Err(
                Duration::try_from_secs_f64(missing / self.limit.refill_per_second)
                    .unwrap_or(Duration::MAX),
            )
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_and_refills() {
        let l = RateLimiter::new(RateLimit::new(2, 1.0).unwrap());
        let t = Instant::now();
        assert!(l.take("a", t).is_ok());
        assert!(l.take("a", t).is_ok());
        let wait = l.take("a", t).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        // another key has its own bucket
        assert!(l.take("b", t).is_ok());
        assert!(l.take("a", t + Duration::from_millis(1000)).is_ok());
        assert!(l.take("a", t + Duration::from_millis(1000)).is_err());
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn rejects_bad_settings() {
        assert!(RateLimit::new(0, 1.0).is_err());
        assert!(RateLimit::new(1, 0.0).is_err());
        assert!(RateLimit::new(1, f64::NAN).is_err());
    }

    #[test]
    fn a_tiny_refill_rate_does_not_overflow() {
        let l = RateLimiter::new(RateLimit::new(1, 1e-300).unwrap());
        let t = Instant::now();
        assert!(l.take("a", t).is_ok());
        assert_eq!(l.take("a", t), Err(Duration::MAX));
    }
}
