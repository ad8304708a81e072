//! Fault injection, per route, deterministic from a seed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::MockError;
use crate::route::RouteKind;

/// What to do to a request chosen by a [`FaultRule`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Wait this long before answering (the answer itself is unchanged; combines with other faults).
    Latency(Duration),
    /// Answer with this status (400..=599) and an Atlas-shaped `ApiError` body
    /// (`500` gives `UNEXPECTED_ERROR`, like Atlas).
    Status(u16),
    /// Answer `503` with an HTML page, as a load balancer in front of Atlas does.
    ServiceUnavailableHtml,
    /// Close the connection without answering.
    DropConnection,
    /// Announce the full `Content-Length`, send half of the body, then close the connection.
    TruncateBody,
}

impl Fault {
    /// Short name used in the journal.
    pub fn label(&self) -> String {
        match self {
            Fault::Latency(d) => format!("latency:{}ms", d.as_millis()),
            Fault::Status(s) => format!("status:{s}"),
            Fault::ServiceUnavailableHtml => "html503".to_owned(),
            Fault::DropConnection => "drop".to_owned(),
            Fault::TruncateBody => "truncate".to_owned(),
        }
    }
}

/// One rule: on the matching routes, apply `fault` to a `rate` fraction of requests, at most `limit` times.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    routes: Option<Vec<RouteKind>>,
    fault: Fault,
    rate: f64,
    skip: u64,
    limit: Option<u64>,
}

impl FaultRule {
    /// A rule applying `fault` to every request of every snapshot route (rate 1, no limit).
    pub fn new(fault: Fault) -> Result<Self, MockError> {
        if let Fault::Status(s) = fault {
            if !(400..=599).contains(&s) {
                return Err(MockError::InvalidConfig(format!(
                    "fault status must be in 400..=599, got {s}"
                )));
            }
        }
        Ok(Self {
            routes: None,
            fault,
            rate: 1.0,
            skip: 0,
            limit: None,
        })
    }

    /// Restricts the rule to these routes (default: all snapshot routes).
    pub fn on(mut self, routes: impl IntoIterator<Item = RouteKind>) -> Self {
        self.routes = Some(routes.into_iter().collect());
        self
    }

    /// Fraction of matching requests hit, `0.0..=1.0` (decided by a seeded hash of the request's ordinal).
    pub fn rate(mut self, rate: f64) -> Result<Self, MockError> {
        if !(0.0..=1.0).contains(&rate) {
            return Err(MockError::InvalidConfig(format!(
                "fault rate must be in 0..=1, got {rate}"
            )));
        }
        self.rate = rate;
        Ok(self)
    }

    /// Leaves the first `n` matching requests alone.
    pub fn skip(mut self, n: u64) -> Self {
        self.skip = n;
        self
    }

    /// Applies the fault at most `n` times (e.g. "the first two requests get a 503, then it recovers").
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// The fault this rule applies.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    fn matches(&self, route: RouteKind) -> bool {
        self.routes.as_ref().is_none_or(|r| r.contains(&route))
    }
}

/// A set of [`FaultRule`]s and the seed that makes their choices reproducible.
///
/// [`Fault::Latency`] applies when a request for a matching route arrives, before digest verification
/// (as real network or server delay would: a nonce can expire during it, and the digest challenges are
/// delayed and counted too). Every other fault applies to authenticated requests only (after digest
/// verification, before the data lookup), so that a client's digest handshake is not what gets
/// counted. For the same seed and the same order of requests the same requests are hit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultPlan {
    seed: u64,
    rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// An empty plan with this seed.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            rules: Vec::new(),
        }
    }

    /// Adds a rule. Rules are tried in order: latencies add up, the first other fault that fires wins.
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }
}

/// What the fault plan decided for one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) latency: Duration,
    pub(crate) fault: Option<Fault>,
    pub(crate) labels: Vec<String>,
}

/// When faults are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// When a request for the route arrives, before authentication: latency.
    Arrival,
    /// After successful authentication: status, HTML 503, dropped connection, truncated body.
    Authenticated,
}

/// A plan plus its counters.
#[derive(Debug)]
pub(crate) struct FaultState {
    plan: FaultPlan,
    seen: Vec<AtomicU64>,
    fired: Vec<AtomicU64>,
}

impl FaultState {
    pub(crate) fn new(plan: FaultPlan) -> Self {
        let n = plan.rules.len();
        Self {
            plan,
            seen: (0..n).map(|_| AtomicU64::new(0)).collect(),
            fired: (0..n).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Decides the faults of one stage: [`Stage::Arrival`] looks at the latency rules only,
    /// [`Stage::Authenticated`] at the others.
    pub(crate) fn decide(&self, route: RouteKind, stage: Stage) -> Decision {
        let mut d = Decision::default();
        for (i, rule) in self.plan.rules.iter().enumerate() {
            let is_latency = matches!(rule.fault, Fault::Latency(_));
            if !rule.matches(route) || is_latency != (stage == Stage::Arrival) || d.fault.is_some()
            {
                continue;
            }
            let ordinal = self.seen[i].fetch_add(1, Ordering::Relaxed);
            if ordinal < rule.skip || !chosen(self.plan.seed, i as u64, ordinal, rule.rate) {
                continue;
            }
            if let Some(limit) = rule.limit {
                let fired = self.fired[i].fetch_add(1, Ordering::Relaxed);
                if fired >= limit {
                    continue;
                }
            }
            d.labels.push(rule.fault.label());
            match &rule.fault {
                Fault::Latency(l) => d.latency += *l,
                other => d.fault = Some(other.clone()),
            }
        }
        d
    }
}

/// SplitMix64: a small, well-mixed hash for reproducible choices.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn chosen(seed: u64, rule: u64, ordinal: u64, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    if rate <= 0.0 {
        return false;
    }
    let h =
        splitmix64(seed ^ splitmix64(rule.wrapping_mul(0x1000_0000_01B3) ^ splitmix64(ordinal)));
    // 53 random bits -> [0, 1)
    let unit = (h >> 11) as f64 / (1u64 << 53) as f64;
    unit < rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_for_a_seed() {
        let plan = || {
            FaultPlan::new(42).rule(
                FaultRule::new(Fault::Status(500))
                    .unwrap()
                    .rate(0.3)
                    .unwrap(),
            )
        };
        let a = FaultState::new(plan());
        let b = FaultState::new(plan());
        let sa: Vec<bool> = (0..200)
            .map(|_| {
                a.decide(RouteKind::TenantV1Get, Stage::Authenticated)
                    .fault
                    .is_some()
            })
            .collect();
        let sb: Vec<bool> = (0..200)
            .map(|_| {
                b.decide(RouteKind::TenantV1Get, Stage::Authenticated)
                    .fault
                    .is_some()
            })
            .collect();
        assert_eq!(sa, sb);
        let hits = sa.iter().filter(|x| **x).count();
        assert!((30..=90).contains(&hits), "rate 0.3 of 200 gave {hits}");
    }

    #[test]
    fn skip_limit_and_routes() {
        let s = FaultState::new(
            FaultPlan::new(1)
                .rule(FaultRule::new(Fault::Latency(Duration::from_millis(5))).unwrap())
                .rule(
                    FaultRule::new(Fault::ServiceUnavailableHtml)
                        .unwrap()
                        .on([RouteKind::FlexGet])
                        .skip(1)
                        .limit(2),
                ),
        );
        assert_eq!(
            s.decide(RouteKind::TenantV1Get, Stage::Authenticated).fault,
            None
        );
        assert_eq!(
            s.decide(RouteKind::FlexGet, Stage::Authenticated).fault,
            None
        );
        assert_eq!(
            s.decide(RouteKind::FlexGet, Stage::Authenticated).fault,
            Some(Fault::ServiceUnavailableHtml)
        );
        let third = s.decide(RouteKind::FlexGet, Stage::Authenticated);
        assert_eq!(third.fault, Some(Fault::ServiceUnavailableHtml));
        assert_eq!(third.latency, Duration::ZERO);
        let arrival = s.decide(RouteKind::FlexGet, Stage::Arrival);
        assert_eq!(
            (arrival.latency, arrival.fault),
            (Duration::from_millis(5), None)
        );
        assert_eq!(
            s.decide(RouteKind::FlexGet, Stage::Authenticated).fault,
            None
        );
    }

    #[test]
    fn rejects_bad_rules() {
        assert!(FaultRule::new(Fault::Status(200)).is_err());
        assert!(
            FaultRule::new(Fault::DropConnection)
                .unwrap()
                .rate(1.5)
                .is_err()
        );
    }
}
