//! Fault injection, per route or path pattern, deterministic from a seed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::MockError;
use crate::route::RouteKind;

/// What to do to a request chosen by a [`FaultRule`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Wait this long (real time) before answering (the answer itself is unchanged; combines with
    /// other faults).
    Latency(Duration),
    /// Move the [mock clock](crate::MockClock) forward by this much when the request arrives, before
    /// authentication: the request "takes" that long in Atlas time (its nonce can expire, lifecycles
    /// move), without any real waiting. Combines with other faults.
    ClockAdvance(Duration),
    /// Answer with this status (400..=599) and an Atlas-shaped `ApiError` body
    /// (`500` gives `UNEXPECTED_ERROR`, like Atlas).
    Status(u16),
    /// Answer `503` with an HTML page, as a load balancer in front of Atlas does.
    ServiceUnavailableHtml,
    /// Close the connection without answering.
    DropConnection,
    /// Announce the full `Content-Length`, send half of the body, then close the connection.
    TruncateBody,
    /// Announce the full `Content-Length`, send the first `n` bytes of the body, then close the
    /// connection: a transfer cut after `n` bytes (on a download, counted from the first byte of
    /// this answer, so a resumed transfer is cut `n` bytes after where it resumed).
    CutAfter(u64),
}

impl Fault {
    /// Short name used in the journal.
    pub fn label(&self) -> String {
        match self {
            Fault::Latency(d) => format!("latency:{}ms", d.as_millis()),
            Fault::ClockAdvance(d) => format!("clock:+{}ms", d.as_millis()),
            Fault::Status(s) => format!("status:{s}"),
            Fault::ServiceUnavailableHtml => "html503".to_owned(),
            Fault::DropConnection => "drop".to_owned(),
            Fault::TruncateBody => "truncate".to_owned(),
            Fault::CutAfter(n) => format!("cutAfter:{n}"),
        }
    }

    /// Faults decided when the request arrives (before authentication).
    fn on_arrival(&self) -> bool {
        matches!(self, Fault::Latency(_) | Fault::ClockAdvance(_))
    }
}

/// A path pattern: `*` matches any run of characters inside one path segment, `**` any run of
/// characters including `/`; everything else matches itself. The whole path must match (the query is
/// not part of it).
///
/// ```
/// use atlas_mock::PathPattern;
/// let p = PathPattern::new("/api/atlas/v2/groups/*/flexClusters/**")?;
/// assert!(p.matches("/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/flexClusters/F/backup/snapshots"));
/// assert!(!p.matches("/api/atlas/v2/groups/a/b/flexClusters/F"));
/// # Ok::<(), atlas_mock::MockError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    source: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    /// `*`
    Segment,
    /// `**`
    Any,
}

/// Longest accepted pattern.
const MAX_PATTERN: usize = 512;

impl PathPattern {
    /// Parses a pattern; it must start with `/` and be at most 512 bytes.
    pub fn new(pattern: &str) -> Result<Self, MockError> {
        if !pattern.starts_with('/') || pattern.len() > MAX_PATTERN {
            return Err(MockError::InvalidConfig(format!(
                "fault path pattern {pattern:?} must start with / and be at most {MAX_PATTERN} bytes"
            )));
        }
        let mut tokens = Vec::new();
        let mut lit = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '*' {
                if !lit.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut lit)));
                }
                if chars.peek() == Some(&'*') {
                    chars.next();
                    tokens.push(Token::Any);
                } else {
                    tokens.push(Token::Segment);
                }
            } else {
                lit.push(c);
            }
        }
        if !lit.is_empty() {
            tokens.push(Token::Literal(lit));
        }
        Ok(Self {
            source: pattern.to_owned(),
            tokens,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the whole `path` matches. Linear in `path` per token (no backtracking blow-up).
    pub fn matches(&self, path: &str) -> bool {
        let s = path.as_bytes();
        // reach[i]: the tokens so far can match s[..i].
        let mut reach = vec![false; s.len() + 1];
        reach[0] = true;
        for t in &self.tokens {
            let mut next = vec![false; s.len() + 1];
            match t {
                Token::Literal(l) => {
                    let l = l.as_bytes();
                    for i in 0..=s.len() {
                        if reach[i] && s[i..].starts_with(l) {
                            next[i + l.len()] = true;
                        }
                    }
                }
                Token::Segment | Token::Any => {
                    let mut open = false;
                    for i in 0..=s.len() {
                        if reach[i] {
                            open = true;
                        }
                        next[i] = open;
                        if open && matches!(t, Token::Segment) && s.get(i) == Some(&b'/') {
                            open = false;
                        }
                    }
                }
            }
            reach = next;
            if !reach.contains(&true) {
                return false;
            }
        }
        reach[s.len()]
    }
}

/// One rule: on the matching routes (and paths), apply `fault` to a `rate` fraction of requests,
/// at most `limit` times.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    routes: Option<Vec<RouteKind>>,
    path: Option<PathPattern>,
    fault: Fault,
    rate: f64,
    skip: u64,
    limit: Option<u64>,
}

impl FaultRule {
    /// A rule applying `fault` to every request of every API route (rate 1, no limit).
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
            path: None,
            fault,
            rate: 1.0,
            skip: 0,
            limit: None,
        })
    }

    /// Restricts the rule to these routes (default: all API routes).
    pub fn on(mut self, routes: impl IntoIterator<Item = RouteKind>) -> Self {
        self.routes = Some(routes.into_iter().collect());
        self
    }

    /// Restricts the rule to request paths matching `pattern` (see [`PathPattern`]).
    pub fn path(mut self, pattern: PathPattern) -> Self {
        self.path = Some(pattern);
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

    fn matches(&self, route: RouteKind, path: &str) -> bool {
        self.routes.as_ref().is_none_or(|r| r.contains(&route))
            && self.path.as_ref().is_none_or(|p| p.matches(path))
    }
}

/// A set of [`FaultRule`]s and the seed that makes their choices reproducible.
///
/// [`Fault::Latency`] and [`Fault::ClockAdvance`] apply when a request for a matching route arrives,
/// before digest verification (as real network or server delay would: a nonce can expire during it,
/// and the digest challenges are delayed and counted too). Every other fault applies to authenticated
/// requests only (after digest verification, before the data lookup), so that a client's digest
/// handshake is not what gets counted. For the same seed and the same order of requests the same
/// requests are hit.
///
/// The JSON form (data file `faults`, admin `PUT /__mock/faults`):
///
/// ```json
/// { "seed": 7, "rules": [
///     { "fault": { "kind": "status", "status": 503 }, "path": "/api/atlas/v2/**", "limit": 2 },
///     { "fault": { "kind": "latency", "ms": 200 }, "routes": ["flexGet"], "rate": 0.5 },
///     { "fault": { "kind": "clockAdvance", "ms": 600000 }, "skip": 1, "limit": 1 },
///     { "fault": { "kind": "html503" } }, { "fault": { "kind": "drop" } }, { "fault": { "kind": "truncate" } },
///     { "fault": { "kind": "cutAfter", "bytes": 262144 }, "routes": ["snapshotArchive"], "limit": 1 } ] }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "PlanWire", into = "PlanWire")]
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

/// JSON form of a plan.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlanWire {
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    rules: Vec<RuleWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RuleWire {
    fault: FaultWire,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    routes: Option<Vec<RouteKind>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default = "one")]
    rate: f64,
    #[serde(default)]
    skip: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit: Option<u64>,
}

fn one() -> f64 {
    1.0
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", deny_unknown_fields)]
enum FaultWire {
    Latency { ms: u64 },
    ClockAdvance { ms: u64 },
    Status { status: u16 },
    // Struct variants (not unit ones), so that unknown members are refused for them too.
    Html503 {},
    Drop {},
    Truncate {},
    CutAfter { bytes: u64 },
}

impl TryFrom<PlanWire> for FaultPlan {
    type Error = MockError;

    fn try_from(w: PlanWire) -> Result<Self, MockError> {
        let mut plan = FaultPlan::new(w.seed);
        for (i, r) in w.rules.into_iter().enumerate() {
            let at = |e: MockError| MockError::InvalidConfig(format!("fault rule #{i}: {e}"));
            let fault = match r.fault {
                FaultWire::Latency { ms } => Fault::Latency(Duration::from_millis(ms)),
                FaultWire::ClockAdvance { ms } => Fault::ClockAdvance(Duration::from_millis(ms)),
                FaultWire::Status { status } => Fault::Status(status),
                FaultWire::Html503 {} => Fault::ServiceUnavailableHtml,
                FaultWire::Drop {} => Fault::DropConnection,
                FaultWire::Truncate {} => Fault::TruncateBody,
                FaultWire::CutAfter { bytes } => Fault::CutAfter(bytes),
            };
            let mut rule = FaultRule::new(fault)
                .map_err(at)?
                .rate(r.rate)
                .map_err(at)?;
            rule = rule.skip(r.skip);
            if let Some(routes) = r.routes {
                rule = rule.on(routes);
            }
            if let Some(p) = r.path {
                rule = rule.path(PathPattern::new(&p).map_err(at)?);
            }
            if let Some(l) = r.limit {
                rule = rule.limit(l);
            }
            plan = plan.rule(rule);
        }
        Ok(plan)
    }
}

impl From<FaultPlan> for PlanWire {
    fn from(p: FaultPlan) -> Self {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        PlanWire {
            seed: p.seed,
            rules: p
                .rules
                .into_iter()
                .map(|r| RuleWire {
                    fault: match r.fault {
                        Fault::Latency(d) => FaultWire::Latency { ms: ms(d) },
                        Fault::ClockAdvance(d) => FaultWire::ClockAdvance { ms: ms(d) },
                        Fault::Status(status) => FaultWire::Status { status },
                        Fault::ServiceUnavailableHtml => FaultWire::Html503 {},
                        Fault::DropConnection => FaultWire::Drop {},
                        Fault::TruncateBody => FaultWire::Truncate {},
                        Fault::CutAfter(bytes) => FaultWire::CutAfter { bytes },
                    },
                    routes: r.routes,
                    path: r.path.map(|p| p.source),
                    rate: r.rate,
                    skip: r.skip,
                    limit: r.limit,
                })
                .collect(),
        }
    }
}

/// What the fault plan decided for one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) latency: Duration,
    pub(crate) clock_advance: Duration,
    pub(crate) fault: Option<Fault>,
    pub(crate) labels: Vec<String>,
}

/// When faults are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// When a request for the route arrives, before authentication: latency and clock advances.
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

/// Counters of one rule, for `GET /__mock/faults`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RuleCounters {
    pub(crate) matched: u64,
    pub(crate) fired: u64,
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

    pub(crate) fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    pub(crate) fn counters(&self) -> Vec<RuleCounters> {
        self.seen
            .iter()
            .zip(&self.fired)
            .map(|(s, f)| RuleCounters {
                matched: s.load(Ordering::Relaxed),
                fired: f.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Decides the faults of one stage: [`Stage::Arrival`] looks at the latency and clock rules only,
    /// [`Stage::Authenticated`] at the others.
    pub(crate) fn decide(&self, route: RouteKind, path: &str, stage: Stage) -> Decision {
        let mut d = Decision::default();
        for (i, rule) in self.plan.rules.iter().enumerate() {
            if rule.fault.on_arrival() != (stage == Stage::Arrival)
                || d.fault.is_some()
                || !rule.matches(route, path)
            {
                continue;
            }
            let ordinal = self.seen[i].fetch_add(1, Ordering::Relaxed);
            if ordinal < rule.skip || !chosen(self.plan.seed, i as u64, ordinal, rule.rate) {
                continue;
            }
            if let Some(limit) = rule.limit {
                // Count a firing only if it happens: `fired` never exceeds the limit.
                let taken = self.fired[i].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| {
                    (f < limit).then_some(f + 1)
                });
                if taken.is_err() {
                    continue;
                }
            } else {
                self.fired[i].fetch_add(1, Ordering::Relaxed);
            }
            d.labels.push(rule.fault.label());
            match &rule.fault {
                Fault::Latency(l) => d.latency += *l,
                Fault::ClockAdvance(l) => d.clock_advance += *l,
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

    const P: &str = "/p";

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
        let run = |s: &FaultState| -> Vec<bool> {
            (0..200)
                .map(|_| {
                    s.decide(RouteKind::TenantV1Get, P, Stage::Authenticated)
                        .fault
                        .is_some()
                })
                .collect()
        };
        let sa = run(&a);
        assert_eq!(sa, run(&b));
        let hits = sa.iter().filter(|x| **x).count();
        assert!((30..=90).contains(&hits), "rate 0.3 of 200 gave {hits}");
        assert_eq!(a.counters()[0].matched, 200);
        assert_eq!(a.counters()[0].fired as usize, hits);
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
        let auth = |k| s.decide(k, P, Stage::Authenticated).fault;
        assert_eq!(auth(RouteKind::TenantV1Get), None);
        assert_eq!(auth(RouteKind::FlexGet), None);
        assert_eq!(
            auth(RouteKind::FlexGet),
            Some(Fault::ServiceUnavailableHtml)
        );
        let third = s.decide(RouteKind::FlexGet, P, Stage::Authenticated);
        assert_eq!(third.fault, Some(Fault::ServiceUnavailableHtml));
        assert_eq!(third.latency, Duration::ZERO);
        let arrival = s.decide(RouteKind::FlexGet, P, Stage::Arrival);
        assert_eq!(
            (arrival.latency, arrival.fault),
            (Duration::from_millis(5), None)
        );
        assert_eq!(auth(RouteKind::FlexGet), None);
        // fired never passes the limit, matched counts every matching request.
        assert_eq!(
            s.counters()[1],
            RuleCounters {
                matched: 4,
                fired: 2
            }
        );
    }

    #[test]
    fn path_patterns() {
        let p = |s: &str| PathPattern::new(s).unwrap();
        assert!(p("/a/*/c").matches("/a/b/c"));
        assert!(p("/a/*/c").matches("/a//c"));
        assert!(!p("/a/*/c").matches("/a/b/x/c"));
        assert!(p("/a/**").matches("/a/b/x/c"));
        assert!(p("/a/**/c").matches("/a/b/x/c"));
        assert!(p("/a/b*").matches("/a/bcd"));
        assert!(!p("/a/b*").matches("/a/b/d"));
        assert!(p("/exact").matches("/exact"));
        assert!(!p("/exact").matches("/exactly"));
        assert!(p("/**").matches(&"/x".repeat(30_000)));
        assert!(PathPattern::new("no-slash").is_err());
        assert!(PathPattern::new(&format!("/{}", "a".repeat(600))).is_err());
        let s = FaultState::new(
            FaultPlan::new(0).rule(
                FaultRule::new(Fault::DropConnection)
                    .unwrap()
                    .path(p("/api/atlas/v2/**")),
            ),
        );
        assert_eq!(
            s.decide(
                RouteKind::FlexGet,
                "/api/atlas/v1.0/x",
                Stage::Authenticated
            )
            .fault,
            None
        );
        assert_eq!(
            s.decide(RouteKind::FlexGet, "/api/atlas/v2/x", Stage::Authenticated)
                .fault,
            Some(Fault::DropConnection)
        );
    }

    #[test]
    fn json_form_round_trips_and_names_bad_rules() {
        let json = r#"{"seed":7,"rules":[
            {"fault":{"kind":"status","status":503},"path":"/api/atlas/v2/**","limit":2},
            {"fault":{"kind":"latency","ms":200},"routes":["flexGet"],"rate":0.5},
            {"fault":{"kind":"clockAdvance","ms":600000},"skip":1,"limit":1},
            {"fault":{"kind":"html503"}},{"fault":{"kind":"drop"}},{"fault":{"kind":"truncate"}}]}"#;
        let plan: FaultPlan = serde_json::from_str(json).unwrap();
        assert_eq!(plan.seed(), 7);
        assert_eq!(plan.rules().len(), 6);
        assert_eq!(
            plan.rules()[2].fault(),
            &Fault::ClockAdvance(Duration::from_secs(600))
        );
        let again: FaultPlan =
            serde_json::from_value(serde_json::to_value(&plan).unwrap()).unwrap();
        assert_eq!(again, plan);
        for bad in [
            r#"{"rules":[{"fault":{"kind":"status","status":200}}]}"#,
            r#"{"rules":[{"fault":{"kind":"drop"},"rate":2}]}"#,
            r#"{"rules":[{"fault":{"kind":"drop"},"path":"x"}]}"#,
            r#"{"rules":[{"fault":{"kind":"drop"},"limt":1}]}"#,
            r#"{"rules":[{"fault":{"kind":"teleport"}}]}"#,
        ] {
            let e = serde_json::from_str::<FaultPlan>(bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains("rule #0") || e.contains("unknown"), "{bad}: {e}");
        }
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
