//! The controls of the authentication-cost method: what "authenticated minus floor, paired"
//! gives for a client that authenticates with nothing (the method's own error) and for one that
//! does only the work any Digest client must do per request (the floor under the targets).
//!
//! Both run as `atlas-bench-transport --paired`, on one CPU with the server, against the floor
//! URL for both kinds, so that the server does the same for both but read the extra header:
//! - [`Control::NoAuth`] (`--no-auth`): the first kind sends nothing either.
//! - [`Control::FixedAuth`] (`--fixed-auth`): the first kind adds an `Authorization` of the shape
//!   and length ours sends, its response hashed per request from a prepared state (two MD5
//!   compressions, as ours), nc and cnonce from a counter: no nc lease, no session, no cnonce
//!   generator, none of our header code.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::procs::{self, Auth, Mock, Placement, Sample, pinned};
use super::stats::Spread;

/// A control run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// Both kinds are the floor.
    NoAuth,
    /// The first kind carries a fixed-shape `Authorization`, hashed per request.
    FixedAuth,
}

impl Control {
    pub(crate) const ALL: [Control; 2] = [Control::NoAuth, Control::FixedAuth];

    fn flag(self) -> &'static str {
        match self {
            Control::NoAuth => "--no-auth",
            Control::FixedAuth => "--fixed-auth",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Control::NoAuth => {
                "no authentication in either kind (`--no-auth`): the method's own error"
            }
            Control::FixedAuth => {
                "a fixed-shape `Authorization` hashed per request (`--fixed-auth`): the work any Digest client does"
            }
        }
    }

    /// The paired program for this control: `count` requests per kind at `in_flight`, the
    /// client on the server's CPU.
    pub(crate) fn command(
        self,
        release: &Path,
        mock: &Mock,
        count: u64,
        in_flight: u64,
    ) -> Command {
        let floor = procs::seed_url(&mock.base, Auth::Floor);
        let mut cmd = pinned(
            Placement::OneCpu.client_cpu(),
            release.join("atlas-bench-transport"),
        );
        cmd.arg(self.flag());
        super::paired_args(&mut cmd, mock, &floor, &floor, count, in_flight);
        cmd
    }
}

/// The control runs of a bench run: (control, in flight) with the first kind's and the floor's
/// sample, one per round.
#[derive(Debug, Default)]
pub(crate) struct Controls {
    pub(crate) runs: Vec<((Control, u64), (Sample, Sample))>,
}

/// One row's figures: client and server cost per request (first kind minus floor), in µs.
type Costs = (Option<Spread>, Option<Spread>);

impl Controls {
    /// Client and server cost of `control` at `in_flight`, per round.
    fn costs(&self, control: Control, in_flight: u64) -> Costs {
        let runs = || {
            self.runs
                .iter()
                .filter(move |(k, _)| *k == (control, in_flight))
                .map(|(_, s)| s)
        };
        (
            Spread::of(runs().filter_map(|(a, f)| Some(a.client_us()? - f.client_us()?))),
            Spread::of(runs().map(|(a, f)| a.server_us() - f.server_us())),
        )
    }

    /// The section: each control beside our digest client's figures (`digest`, by in flight:
    /// 1, then 64).
    pub(crate) fn render(&self, s: &mut String, digest: [Costs; 2]) {
        if self.runs.is_empty() {
            return;
        }
        s.push_str(
            "\n## Controls of the authentication cost\n\nThe authentication cost above is a difference of two CPU times that vary by several µs between rounds. Two controls run the same way (paired, one CPU, in each round), with both kinds sent to the floor route: one whose first kind sends no authentication either (the method's error: ideally zero), and one whose first kind sends an `Authorization` of the shape and length ours sends, its `response` hashed per request from a prepared state (two MD5 compressions, as ours) with nc and cnonce from a counter: the client work any Digest client must do, without ours. The server does no digest work for either, but the mock's journal still summarises an `Authorization` it is sent (a parse), so the server figure of the second is not the cost of a verification. Microseconds per request, first kind minus floor; median (lowest-highest) over the rounds.\n\n| first kind | in flight | client cost | server cost |\n|---|---|---|---|\n",
        );
        let show = |v: &Option<Spread>| v.as_ref().map_or("-".to_owned(), |m| m.show(2));
        for (i, n) in [1u64, 64].into_iter().enumerate() {
            let (c, v) = &digest[i];
            let _ = writeln!(
                s,
                "| our digest client (the cost above) | {n} | {} | {} |",
                show(c),
                show(v)
            );
            for control in Control::ALL {
                let (c, v) = self.costs(control, n);
                let _ = writeln!(
                    s,
                    "| {} | {n} | {} | {} |",
                    control.label(),
                    show(&c),
                    show(&v)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(client_s: f64, server_s: f64) -> Sample {
        Sample {
            requests: 1_000,
            failed: 0,
            wall_s: 1.0,
            client_cpu_s: Some(client_s),
            server_cpu_s: server_s,
            round_trips: 1_000.0,
            challenges: Some(0),
        }
    }

    #[test]
    fn costs_are_first_kind_minus_floor_per_round() {
        let mut c = Controls::default();
        for (a, f) in [(0.030, 0.029), (0.031, 0.028), (0.020, 0.021)] {
            c.runs.push((
                (Control::FixedAuth, 1),
                (sample(a, a + 0.001), sample(f, f)),
            ));
        }
        c.runs
            .push(((Control::NoAuth, 1), (sample(0.5, 0.5), sample(0.5, 0.5))));
        let (client, server) = c.costs(Control::FixedAuth, 1);
        let client = client.expect("three rounds");
        // 1, 3 and -1 µs per request: median 1.
        assert!((client.median - 1.0).abs() < 1e-9, "{client:?}");
        assert!((client.min + 1.0).abs() < 1e-9 && (client.max - 3.0).abs() < 1e-9);
        assert_eq!(server.expect("three rounds").n, 3);
        assert!(c.costs(Control::FixedAuth, 64).0.is_none());
        let mut text = String::new();
        c.render(&mut text, [(None, None), (None, None)]);
        assert!(text.contains("| our digest client (the cost above) | 1 | - | - |"));
        assert!(
            text.contains(
                "`--fixed-auth`): the work any Digest client does | 1 | 1.00 (-1.00-3.00)"
            ),
            "{text}"
        );
    }
}
