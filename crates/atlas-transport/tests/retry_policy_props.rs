//! Property test over the retry policy: attempts and total delay never exceed their bounds,
//! and each jittered delay stays under its exponential cap.

use std::time::Duration;

use atlas_transport::RetryPolicy;
use proptest::prelude::*;

fn policy() -> impl Strategy<Value = RetryPolicy> {
    (
        0u32..12,
        0u64..5_000,
        0u64..60_000,
        0u64..120_000,
        any::<bool>(),
    )
        .prop_map(|(attempts, initial, max_backoff, total, non_idem)| {
            RetryPolicy::default()
                .max_attempts(attempts)
                .initial_backoff(Duration::from_millis(initial))
                .max_backoff(Duration::from_millis(max_backoff))
                .max_total_delay(Duration::from_millis(total))
                .retry_non_idempotent(non_idem)
        })
}

fn failures() -> impl Strategy<Value = Vec<(Option<u64>, u64)>> {
    prop::collection::vec((prop::option::of(0u64..200_000), any::<u64>()), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn attempts_and_total_delay_stay_within_bounds(policy in policy(), failures in failures()) {
        let mut backoff = policy.backoff();
        let mut total = Duration::ZERO;
        let mut granted = 0u32;
        for (retry_after_ms, random) in failures {
            let retry_after = retry_after_ms.map(Duration::from_millis);
            let before = backoff.attempts();
            match backoff.next_delay(retry_after, random) {
                Some(delay) => {
                    granted += 1;
                    total += delay;
                    match retry_after {
                        Some(ra) => prop_assert_eq!(delay, ra),
                        None => {
                            let exp = (before - 1).min(31);
                            let cap = policy
                                .get_initial_backoff()
                                .saturating_mul(1u32 << exp)
                                .min(policy.get_max_backoff());
                            prop_assert!(delay <= cap, "delay {:?} over cap {:?}", delay, cap);
                        }
                    }
                    prop_assert_eq!(backoff.attempts(), before + 1);
                }
                None => prop_assert_eq!(backoff.attempts(), before),
            }
            prop_assert!(backoff.attempts() <= policy.get_max_attempts());
            prop_assert!(total <= policy.get_max_total_delay());
        }
        prop_assert_eq!(backoff.total_delay(), total);
        prop_assert_eq!(backoff.attempts(), 1 + granted);
        prop_assert!(granted < policy.get_max_attempts().max(1));
    }

    #[test]
    fn no_retries_policy_never_grants_a_delay(failures in failures()) {
        let mut backoff = RetryPolicy::none().backoff();
        for (ra, random) in failures {
            prop_assert_eq!(backoff.next_delay(ra.map(Duration::from_millis), random), None);
        }
        prop_assert_eq!(backoff.attempts(), 1);
    }
}
