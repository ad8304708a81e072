//! Medians and spreads of the per-round figures.

/// The median and the extremes of a set of figures from the rounds of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spread {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) n: usize,
}

impl Spread {
    /// `None` for no figures; NaN figures are left out.
    pub(crate) fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }

    /// `median (min-max)` with `decimals` digits.
    pub(crate) fn show(&self, decimals: usize) -> String {
        format!(
            "{:.d$} ({:.d$}-{:.d$})",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

/// How a measured median compares with a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The median meets the target, and so does every round.
    Met,
    /// The median meets the target, some rounds do not.
    MetByMedian,
    /// The median misses the target.
    Missed,
}

impl Verdict {
    /// Judges `s` against `target`; `at_least` says which side is good.
    pub(crate) fn judge(s: &Spread, target: f64, direction: Direction) -> Verdict {
        let good = |x: f64| match direction {
            Direction::AtLeast => x >= target,
            Direction::AtMost => x <= target,
        };
        let worst = match direction {
            Direction::AtLeast => s.min,
            Direction::AtMost => s.max,
        };
        match (good(s.median), good(worst)) {
            (true, true) => Verdict::Met,
            (true, false) => Verdict::MetByMedian,
            (false, _) => Verdict::Missed,
        }
    }

    pub(crate) fn word(self) -> &'static str {
        match self {
            Verdict::Met => "met (every round)",
            Verdict::MetByMedian => "met by the median, not by every round",
            Verdict::Missed => "**missed**",
        }
    }
}

/// Which side of a target is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    AtLeast,
    AtMost,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_spreads_and_verdicts() {
        let s = Spread::of([3.0, 1.0, 2.0, f64::NAN]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.n), (2.0, 1.0, 3.0, 3));
        assert_eq!(Spread::of([1.0, 2.0, 4.0, 10.0]).unwrap().median, 3.0);
        assert!(Spread::of([]).is_none());
        assert_eq!(s.show(1), "2.0 (1.0-3.0)");
        assert_eq!(Verdict::judge(&s, 1.0, Direction::AtLeast), Verdict::Met);
        assert_eq!(
            Verdict::judge(&s, 1.5, Direction::AtLeast),
            Verdict::MetByMedian
        );
        assert_eq!(Verdict::judge(&s, 2.5, Direction::AtLeast), Verdict::Missed);
        assert_eq!(
            Verdict::judge(&s, 2.0, Direction::AtMost),
            Verdict::MetByMedian
        );
        // A miss by a hair is a miss.
        assert_eq!(
            Verdict::judge(&s, 1.999, Direction::AtMost),
            Verdict::Missed
        );
    }
}
