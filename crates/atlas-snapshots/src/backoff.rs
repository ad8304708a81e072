//! How long a wait pauses after a transient failure, and the random numbers for its jitter.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// The pause after the `failures`-th transient failure in a row (from 1), following Atlas's
/// advice for `429`: wait at least `Retry-After`, then back off longer, with jitter.
///
/// - floor: the larger of `interval` and `retry_after`;
/// - plus a random extra between zero and `interval * 2^(failures - 1)`, at most `max_backoff`;
/// - the whole pause at most `max_backoff`, unless the floor itself is longer (a `Retry-After`
///   is never cut short).
///
/// `random` picks the extra uniformly; any `u64` is fine.
pub(crate) fn pause_after_failure(
    interval: Duration,
    max_backoff: Duration,
    retry_after: Option<Duration>,
    failures: u32,
    random: u64,
) -> Duration {
    let floor = interval.max(retry_after.unwrap_or(Duration::ZERO));
    let exp = failures.saturating_sub(1).min(31);
    let spread = interval.saturating_mul(1u32 << exp).min(max_backoff);
    let spread_nanos = u64::try_from(spread.as_nanos()).unwrap_or(u64::MAX);
    let extra = match spread_nanos.checked_add(1) {
        Some(m) => random % m,
        None => random,
    };
    floor
        .saturating_add(Duration::from_nanos(extra))
        .min(max_backoff.max(floor))
}

/// A small random number generator for jitter (SplitMix64), seeded from the standard library's
/// per-process random hash keys: no dependency, and two processes do not back off in step.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new() -> Self {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(0x9e37_79b9_7f4a_7c15);
        Jitter(h.finish())
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn grows_with_failures_and_respects_retry_after() {
        let max = Duration::from_secs(300);
        // random 0: exactly the floor.
        assert_eq!(pause_after_failure(10 * S, max, None, 1, 0), 10 * S);
        assert_eq!(pause_after_failure(10 * S, max, Some(30 * S), 1, 0), 30 * S);
        // random u64::MAX on a spread of 2^n intervals.
        let top = |n| pause_after_failure(10 * S, max, None, n, u64::MAX);
        assert!(top(1) <= 20 * S && top(3) <= 50 * S);
        // Capped by max_backoff, except for a longer Retry-After.
        assert!(pause_after_failure(10 * S, 60 * S, None, 20, u64::MAX) <= 60 * S);
        assert_eq!(
            pause_after_failure(10 * S, 60 * S, Some(600 * S), 20, u64::MAX),
            600 * S
        );
    }

    #[test]
    fn jitter_is_not_constant() {
        let mut j = Jitter::new();
        let values: std::collections::BTreeSet<u64> = (0..16).map(|_| j.next_u64()).collect();
        assert_eq!(values.len(), 16);
    }

    proptest! {
        #[test]
        fn pause_bounds(
            interval_ms in 1_000u64..120_000,
            max_ms in 0u64..600_000,
            retry_after_s in prop::option::of(0u64..3_600),
            failures in 1u32..80,
            random in any::<u64>(),
        ) {
            let interval = Duration::from_millis(interval_ms);
            let max = Duration::from_millis(max_ms).max(interval);
            let retry_after = retry_after_s.map(Duration::from_secs);
            let floor = interval.max(retry_after.unwrap_or_default());
            let p = pause_after_failure(interval, max, retry_after, failures, random);
            prop_assert!(p >= floor);
            prop_assert!(p <= max.max(floor));
        }
    }
}
