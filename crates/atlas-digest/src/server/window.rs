//! The per-nonce anti-replay window: a sliding bitmap, as in
//! [RFC 4303 section 3.4.3](https://www.rfc-editor.org/rfc/rfc4303#section-3.4.3) (IPsec ESP) and
//! [RFC 6347 section 4.1.2.6](https://www.rfc-editor.org/rfc/rfc6347#section-4.1.2.6) (DTLS).
//!
//! With `W` the window size and `highest` the largest nc accepted so far, an nc is
//! - above `highest`: accepted; the window slides so that it becomes `highest`;
//! - in `[highest - W + 1, highest]`: accepted if its bit is clear (then set), else a replay;
//! - below: too old to tell, answered stale (the client retries with a fresh nonce) -- never accepted,
//!   never a hard failure.
//!
//! Memory: one `u32` and one `u128` (W at most 128).

/// What the window says about one nc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Accepted,
    Replay,
    TooOld,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    highest: u32,
    /// Bit `i` set: nc `highest - i` was accepted.
    bits: u128,
}

impl Window {
    /// The window after accepting `nc` first (nc at least 1).
    pub(crate) fn starting_at(nc: u32) -> Window {
        Window {
            highest: nc,
            bits: 1,
        }
    }

    /// Checks `nc` against a window of size `w` (1..=128) and records it when accepted.
    pub(crate) fn check(&mut self, nc: u32, w: u32) -> Verdict {
        if nc > self.highest {
            let shift = nc - self.highest;
            self.bits = if shift >= 128 { 0 } else { self.bits << shift };
            self.bits |= 1;
            self.highest = nc;
            return Verdict::Accepted;
        }
        let d = self.highest - nc;
        if d >= w {
            return Verdict::TooOld;
        }
        let bit = 1u128 << d;
        if self.bits & bit != 0 {
            return Verdict::Replay;
        }
        self.bits |= bit;
        Verdict::Accepted
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    /// The obvious model: a set of every nc accepted, and the highest.
    fn model(seen: &mut HashSet<u32>, highest: &mut u32, nc: u32, w: u32) -> Verdict {
        if nc > *highest {
            *highest = nc;
            seen.insert(nc);
            return Verdict::Accepted;
        }
        if *highest - nc >= w {
            return Verdict::TooOld;
        }
        if seen.insert(nc) {
            Verdict::Accepted
        } else {
            Verdict::Replay
        }
    }

    #[test]
    fn edges() {
        let mut win = Window::starting_at(1);
        assert_eq!(win.check(1, 64), Verdict::Replay);
        assert_eq!(win.check(64, 64), Verdict::Accepted);
        assert_eq!(
            win.check(1, 64),
            Verdict::Replay,
            "1 is at the edge: still known"
        );
        assert_eq!(win.check(65, 64), Verdict::Accepted);
        assert_eq!(win.check(1, 64), Verdict::TooOld);
        assert_eq!(win.check(2, 64), Verdict::Accepted);
        assert_eq!(win.check(u32::MAX, 64), Verdict::Accepted);
        assert_eq!(win.check(65, 64), Verdict::TooOld);
        assert_eq!(win.check(u32::MAX - 63, 64), Verdict::Accepted);
        assert_eq!(win.check(u32::MAX - 64, 64), Verdict::TooOld);
        let mut w128 = Window::starting_at(200);
        assert_eq!(w128.check(73, 128), Verdict::Accepted);
        assert_eq!(w128.check(72, 128), Verdict::TooOld);
        assert_eq!(w128.check(73, 128), Verdict::Replay);
    }

    proptest! {
        /// The bitmap agrees with the set model on any sequence, for any window size.
        #[test]
        fn bitmap_agrees_with_the_set_model(
            w in 1u32..=128,
            first in 1u32..400,
            seq in proptest::collection::vec(1u32..600, 0..300),
        ) {
            let mut win = Window::starting_at(first);
            let mut seen = HashSet::from([first]);
            let mut highest = first;
            for nc in seq {
                let expected = model(&mut seen, &mut highest, nc, w);
                prop_assert_eq!(win.check(nc, w), expected, "nc {}", nc);
            }
        }

        /// Any permutation of nc values within a span of at most W is accepted exactly once each, and
        /// every replay after that is refused.
        #[test]
        fn any_permutation_within_the_window_is_accepted_once(
            w in 1u32..=128,
            base in 0u32..1000,
            perm in (1usize..=128).prop_flat_map(|n| Just((1..=n as u32).collect::<Vec<_>>()).prop_shuffle()),
            replays in proptest::collection::vec(any::<proptest::sample::Index>(), 1..20),
        ) {
            let span: Vec<u32> = perm.iter().copied().filter(|&i| i <= w).map(|i| base + i).collect();
            prop_assume!(!span.is_empty());
            let mut win = Window::starting_at(span[0]);
            for &nc in &span[1..] {
                prop_assert_eq!(win.check(nc, w), Verdict::Accepted, "nc {}", nc);
            }
            for r in replays {
                let nc = span[r.index(span.len())];
                prop_assert_eq!(win.check(nc, w), Verdict::Replay);
            }
        }
    }
}
