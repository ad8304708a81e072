//! [`Pacer`]: slows walks and waits down when `RateLimit-Remaining` runs low, so that they do
//! not run into a `429`.

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::Response;

use crate::RateLimit;

/// The longest pause the pacer asks for at once.
pub(crate) const MAX_PACE: Duration = Duration::from_secs(60);

/// The window Atlas's limits are counted over when nothing else says (its documented limits are
/// per minute).
const WINDOW: Duration = Duration::from_secs(60);

/// The last rate-limit headers this client saw (Atlas counts per API key, so one view per client).
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    last: Mutex<RateLimit>,
}

impl Pacer {
    /// Remembers the headers of an answer that has them.
    pub(crate) fn observe(&self, response: &Response<Bytes>) {
        let seen = RateLimit::from_headers(response.headers());
        if seen.remaining.is_some() {
            *self
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = seen;
        }
    }

    /// How long to pause before the next request of a walk or a wait: `None` while plenty is
    /// left; see [`pace_for`].
    pub(crate) fn pause(&self) -> Option<Duration> {
        pace_for(
            *self
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// The pause for what the headers said.
///
/// Nothing while more than a twentieth of the limit (at least 2) is left. Below that, the time
/// for the bucket to give back what is missing up to that mark, at `limit` requests per minute
/// (100 per minute when the limit is unknown), at most [`MAX_PACE`]: the lower the remaining
/// count, the longer the pause, and `0` remaining pauses longest.
pub(crate) fn pace_for(seen: RateLimit) -> Option<Duration> {
    let remaining = seen.remaining?;
    let limit = seen.limit.filter(|l| *l > 0).unwrap_or(100);
    let low = (limit / 20).max(2);
    if remaining > low {
        return None;
    }
    let missing = u32::try_from(low - remaining + 1).unwrap_or(u32::MAX);
    let per_token = WINDOW / u32::try_from(limit).unwrap_or(u32::MAX);
    Some(per_token.saturating_mul(missing).min(MAX_PACE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seen(limit: Option<u64>, remaining: Option<u64>) -> RateLimit {
        RateLimit { limit, remaining }
    }

    #[test]
    fn nothing_while_plenty_is_left() {
        assert_eq!(pace_for(seen(Some(1200), Some(1199))), None);
        assert_eq!(pace_for(seen(Some(1200), Some(61))), None);
        assert_eq!(pace_for(seen(None, None)), None);
        assert_eq!(pace_for(seen(Some(1200), None)), None);
        // 1200 per minute: 50 ms a request; 60 left is the mark, so 0 left waits 61 of them.
        assert_eq!(
            pace_for(seen(Some(1200), Some(60))),
            Some(Duration::from_millis(50))
        );
        assert_eq!(
            pace_for(seen(Some(1200), Some(0))),
            Some(Duration::from_millis(3050))
        );
        assert_eq!(
            pace_for(seen(None, Some(0))),
            Some(Duration::from_millis(3600))
        );
    }

    proptest! {
        #[test]
        fn fewer_left_never_pauses_less(limit in 1u64..20_000, a in 0u64..20_000, b in 0u64..20_000) {
            let (lo, hi) = (a.min(b), a.max(b));
            let p_lo = pace_for(seen(Some(limit), Some(lo))).unwrap_or_default();
            let p_hi = pace_for(seen(Some(limit), Some(hi))).unwrap_or_default();
            prop_assert!(p_lo >= p_hi);
            prop_assert!(p_lo <= MAX_PACE);
        }
    }
}
