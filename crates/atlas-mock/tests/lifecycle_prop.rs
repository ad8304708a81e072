//! proptest: any lifecycle schedule and any clock readings give the right status, monotonically.

use std::time::Duration;

use atlas_mock::{Lifecycle, LifecyclePhase, Outcome};
use proptest::prelude::*;

fn schedule() -> impl Strategy<Value = (u64, u64, u64, bool)> {
    (0u64..100_000, 0u64..100_000, 0u64..100_000, any::<bool>()).prop_map(|(a, b, c, ok)| {
        let mut v = [a, b, c];
        v.sort_unstable();
        (v[0], v[1], v[2], ok)
    })
}

/// The specification, written independently of the implementation.
fn expected(t0: u64, t1: u64, t2: u64, ok: bool, now: u64) -> &'static str {
    if now >= t2 {
        if ok { "COMPLETED" } else { "FAILED" }
    } else if now >= t1 {
        "RUNNING"
    } else if now >= t0 {
        "QUEUED"
    } else {
        "PENDING"
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn status_follows_the_schedule(
        (t0, t1, t2, ok) in schedule(),
        mut readings in proptest::collection::vec(0u64..120_000, 1..40),
    ) {
        let outcome = if ok { Outcome::Completed } else { Outcome::Failed };
        let ms = Duration::from_millis;
        let l = Lifecycle::new(ms(t0), ms(t1), ms(t2), outcome).unwrap();
        for now in &readings {
            prop_assert_eq!(l.phase_at(ms(*now)).as_str(), expected(t0, t1, t2, ok, *now));
        }
        // Sorted readings never see the status go backwards, and terminal stays terminal.
        readings.sort_unstable();
        let phases: Vec<LifecyclePhase> = readings.iter().map(|n| l.phase_at(ms(*n))).collect();
        prop_assert!(phases.windows(2).all(|w| w[0] <= w[1]));
        let first_terminal = phases.iter().position(|p| p.is_terminal());
        if let Some(i) = first_terminal {
            prop_assert!(phases[i..].iter().all(|p| p.is_terminal()));
        }
        // Exactly at each step the new status holds.
        prop_assert_eq!(l.phase_at(ms(t2)).is_terminal(), true);
        if t1 < t2 { prop_assert_eq!(l.phase_at(ms(t1)), LifecyclePhase::Running); }
        if t0 < t1 { prop_assert_eq!(l.phase_at(ms(t0)), LifecyclePhase::Queued); }
    }

    #[test]
    fn unordered_schedules_are_rejected(a in 0u64..1000, b in 0u64..1000, c in 0u64..1000) {
        let ms = Duration::from_millis;
        let r = Lifecycle::new(ms(a), ms(b), ms(c), Outcome::Completed);
        prop_assert_eq!(r.is_ok(), a <= b && b <= c);
    }

    #[test]
    fn json_form_round_trips((t0, t1, t2, ok) in schedule()) {
        let outcome = if ok { Outcome::Completed } else { Outcome::Failed };
        let ms = Duration::from_millis;
        let l = Lifecycle::new(ms(t0), ms(t1), ms(t2), outcome).unwrap();
        let back: Lifecycle = serde_json::from_value(serde_json::to_value(l).unwrap()).unwrap();
        prop_assert_eq!(back, l);
    }
}
