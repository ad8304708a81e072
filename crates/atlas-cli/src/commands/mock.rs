//! `mock`: a local Atlas in the foreground until Ctrl-C or SIGTERM, with every control of the
//! library on the command line (and in a data file).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use atlas_mock::{
    Algorithm, Announce, ApiKey, AuthenticationInfo, ClockMode, DigestSettings, DownloadSettings,
    Fault, FaultPlan, FaultRule, IpAccessList, Limits, MockError, OAuthSettings, Opaque,
    PathPattern, Qop, QopParam, RateLimit, Role, RouteKind, ServeOptions, ServiceAccount,
};
use clap::Args;

use crate::duration::parse_duration;
use crate::errors::{CliError, Exit};
use crate::logging;
use crate::output::{Ui, bold};

/// `mock`. The flags are boxed: they would make every `Command` as large as they are.
#[derive(Debug, Args)]
#[command(after_help = MOCK_HELP)]
pub(crate) struct MockArgs {
    #[command(flatten)]
    flags: Box<MockFlags>,
}

/// The flags of `mock`.
#[derive(Debug, Args)]
pub(crate) struct MockFlags {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// Public key the mock accepts [default: generated and printed].
    #[arg(long, value_name = "KEY", requires = "private_key")]
    pub(crate) public_key: Option<String>,
    /// Private key the mock accepts (a fake local key; flags are visible in `ps`).
    #[arg(long, value_name = "KEY", requires = "public_key")]
    pub(crate) private_key: Option<String>,
    /// Another key, optionally restricted to groups and roles:
    /// PUBLIC:PRIVATE[:GROUP,GROUP...[:ROLE,ROLE...]] (repeatable; empty groups mean all, e.g.
    /// ro:secret::GROUP_READ_ONLY).
    #[arg(long = "key", value_name = "PUBLIC:PRIVATE[:GROUPS[:ROLES]]", value_parser = parse_key)]
    pub(crate) keys: Vec<KeySpec>,
    /// A service account (OAuth client credentials for /api/oauth/token), optionally restricted:
    /// CLIENT_ID:SECRET[:GROUPS[:ROLES]] (repeatable) [default: one generated and printed].
    #[arg(long = "service-account", value_name = "ID:SECRET[:GROUPS[:ROLES]]", value_parser = parse_service_account)]
    pub(crate) service_accounts: Vec<AccountSpec>,
    /// How long access tokens live (expires_in, on the mock clock) [default: 1h, as Atlas].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) token_lifetime: Option<Duration>,
    /// Most live tokens per service account [default: 100, as Atlas].
    #[arg(long, value_name = "N")]
    pub(crate) max_live_tokens: Option<usize>,
    /// The token endpoint's limit per (IP, client id): REQUESTS,MINUTES [default: 50,1, as Atlas].
    #[arg(long, value_name = "REQUESTS,MINUTES", value_parser = parse_token_rate)]
    pub(crate) token_rate_limit: Option<(u32, u32)>,
    /// Size of the flex download archives (e.g. 64MiB, 1GiB; 2KiB to 1TiB) [default: 1MiB].
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub(crate) archive_size: Option<u64>,
    /// How long a download link works (on the mock clock) [default: 4h, as Atlas].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) download_link_lifetime: Option<Duration>,
    /// Data file (JSON: the data set and any settings; schema in atlas-mock's schema/) instead of
    /// the seed. Flags given here win over the file.
    #[arg(long, value_name = "FILE")]
    pub(crate) data: Option<PathBuf>,
    /// Serve HTTPS with a generated certificate and write its CA certificate (PEM) here.
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_ca_out: Option<PathBuf>,
    /// Answer the M2/M5 (tenant) endpoints with 410 VERSION_GONE, as Atlas does after the sunset.
    #[arg(long)]
    pub(crate) sunset: bool,
    /// Also serve every route without authentication under /noauth (for benchmarks).
    #[arg(long)]
    pub(crate) noauth_route: bool,
    /// Allow only these peers (address or CIDR; repeatable). 0.0.0.0/0 and ::/0 mean anywhere.
    #[arg(long, value_name = "CIDR")]
    pub(crate) ip_access_list: Vec<String>,
    /// A token bucket per key: CAPACITY,REFILL_RATE[,PERIOD], e.g. 100,10,1s (Atlas's 429 parameters).
    #[arg(long, value_name = "CAPACITY,RATE[,PERIOD]", value_parser = parse_rate_limit)]
    pub(crate) rate_limit: Option<RateLimit>,
    /// Inject a fault (repeatable), e.g. status=503,path=/api/atlas/v2/**,limit=2 (see below).
    #[arg(long = "fault", value_name = "SPEC", value_parser = parse_fault)]
    pub(crate) faults: Vec<FaultRule>,
    /// Seed of the fault rules' rate choices.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) fault_seed: u64,
    /// Digest algorithm offered (repeatable): MD5 (default), MD5-sess, SHA-256, SHA-256-sess,
    /// SHA-512-256, SHA-512-256-sess.
    #[arg(long = "digest-algorithm", value_name = "ALG", value_parser = parse_algorithm)]
    pub(crate) digest_algorithms: Vec<Algorithm>,
    /// qop offered (repeatable): auth (default), auth-int, or none (RFC 2069 answers).
    #[arg(long = "digest-qop", value_name = "QOP", value_parser = parse_qop)]
    pub(crate) digest_qop: Vec<Option<Qop>>,
    /// How long a nonce is accepted (on the mock clock), e.g. 300s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) nonce_lifetime: Option<Duration>,
    /// How far below the highest nc an nc is still accepted once (1..=128; default 64).
    #[arg(long, value_name = "N")]
    pub(crate) replay_window: Option<u32>,
    /// Send an opaque in challenges and require it back (Atlas sends none).
    #[arg(long)]
    pub(crate) digest_opaque: bool,
    /// Challenge with the seed document's literal op="auth" instead of qop="auth".
    #[arg(long)]
    pub(crate) digest_op_quirk: bool,
    /// Send Authentication-Info (rspauth) on authenticated answers (Atlas sends none).
    #[arg(long)]
    pub(crate) digest_authentication_info: bool,
    /// Most journal entries kept (default 10000).
    #[arg(long, value_name = "N")]
    pub(crate) journal_capacity: Option<usize>,
    /// Most journal bytes kept (default 16777216).
    #[arg(long, value_name = "BYTES")]
    pub(crate) journal_max_bytes: Option<usize>,
    /// Most connections at once; more are accepted and closed (default 1024).
    #[arg(long, value_name = "N")]
    pub(crate) max_connections: Option<usize>,
    /// Time a client has to send a request head, and the idle limit of a connection (default 10s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) header_read_timeout: Option<Duration>,
    /// Largest request head; beyond it 431 (default 65536, at least 8192).
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_header_bytes: Option<usize>,
    /// How long a stop waits for busy connections before cutting them (default 5s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) drain_timeout: Option<Duration>,
    /// The mock clock: realtime (default), manual (moves only by POST /__mock/clock/advance), or
    /// stepped:DURATION (moves that much per API request).
    #[arg(long, value_name = "MODE", value_parser = parse_clock)]
    pub(crate) clock: Option<ClockMode>,
    /// A fixed admin token (visible in `ps`; default: generated and printed).
    #[arg(long, value_name = "TOKEN")]
    pub(crate) admin_token: Option<String>,
    /// Once listening, write the URL, keys, admin token and CA path here as JSON (atomically,
    /// mode 0600; removed on a clean stop).
    #[arg(long, value_name = "PATH")]
    pub(crate) ready_file: Option<PathBuf>,
    /// Print one JSON line (the ready file's content) instead of the banner, and one when stopped.
    #[arg(long)]
    pub(crate) json: bool,
}

const MOCK_HELP: &str = "\
Fault specs (--fault): a kind, then key=value items, comma-separated:
  status=503 | latency=200ms | clock-advance=10m | html503 | drop | truncate | cut-after=BYTES
  path=PATTERN   only paths matching (* within a segment, ** across segments)
  routes=A+B     only these routes (tenantV1Get, tenantV1List, tenantV2Get, tenantV2List, flexGet,
                 flexList, flexDownload, flexRestoreJobs, flexRestoreJob, snapshotArchive (the
                 download links), clusterSnapshots, clusterSnapshot, oauthToken, oauthRevoke)
  rate=0.5       a fraction of the matching requests   skip=N   leave the first N alone
  limit=N        at most N times (for N requests)
  e.g. --fault status=503,path=/api/atlas/v2/**,limit=2 --fault latency=1s,routes=flexGet,rate=0.2
       --fault cut-after=1MiB,routes=snapshotArchive,limit=1   (the first download is cut, the resume works)

Admin API (loopback, Authorization: Bearer ADMIN_TOKEN; see atlas-mock's README):
  GET|DELETE /__mock/journal[?since=SEQ]   GET /__mock/stats   GET|PUT /__mock/clock
  POST /__mock/clock/advance {\"seconds\": N}   GET|PUT|DELETE /__mock/faults   GET|PUT /__mock/sunset
  POST /__mock/groups, /__mock/groups/G/clusters, /__mock/groups/G/clusters/C/snapshots,
  /__mock/groups/G/clusters/C/restoreJobs   GET /__mock/downloads[/JOB]
  GET|POST /__mock/serviceAccounts   DELETE /__mock/serviceAccounts/ID/tokens";

/// A `--key` value.
#[derive(Clone)]
pub(crate) struct KeySpec(ApiKey);

impl std::fmt::Debug for KeySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A `--service-account` value.
#[derive(Clone)]
pub(crate) struct AccountSpec(ServiceAccount);

impl std::fmt::Debug for AccountSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// `A:B[:GROUPS[:ROLES]]` split into its parts (groups and roles parsed; empty groups: all).
type Credential<'a> = (
    &'a str,
    &'a str,
    Option<Vec<atlas_model::GroupId>>,
    Option<Vec<Role>>,
);

fn parse_credential<'a>(s: &'a str, what: &str) -> Result<Credential<'a>, String> {
    let mut parts = s.splitn(4, ':');
    let (Some(a), Some(b)) = (parts.next(), parts.next()) else {
        return Err(format!("expected {what}[:GROUP,GROUP...[:ROLE,ROLE...]]"));
    };
    if a.is_empty() || b.is_empty() {
        return Err(format!("both parts of {what} must be non-empty"));
    }
    let groups = match parts.next() {
        None | Some("") => None,
        Some(groups) => Some(
            groups
                .split(',')
                .map(|g| g.parse().map_err(|e| format!("{e}")))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let roles = match parts.next() {
        None => None,
        Some(roles) => Some(
            roles
                .split(',')
                .map(|r| r.trim().parse::<Role>().map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok((a, b, groups, roles))
}

fn parse_key(s: &str) -> Result<KeySpec, String> {
    let (public, private, groups, roles) = parse_credential(s, "PUBLIC:PRIVATE")?;
    let mut key = ApiKey::new(public, private);
    if let Some(g) = groups {
        key = key.groups(g);
    }
    if let Some(r) = roles {
        key = key.roles(r);
    }
    Ok(KeySpec(key))
}

fn parse_service_account(s: &str) -> Result<AccountSpec, String> {
    let (id, secret, groups, roles) = parse_credential(s, "CLIENT_ID:SECRET")?;
    let mut a = ServiceAccount::new(id, secret);
    if let Some(g) = groups {
        a = a.groups(g);
    }
    if let Some(r) = roles {
        a = a.roles(r);
    }
    Ok(AccountSpec(a))
}

fn parse_token_rate(s: &str) -> Result<(u32, u32), String> {
    let (r, m) = s
        .split_once(',')
        .ok_or_else(|| "expected REQUESTS,MINUTES, e.g. 50,1".to_owned())?;
    let n = |v: &str, what: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{what} {v:?} is not a whole number above 0"))
    };
    Ok((n(r, "requests")?, n(m, "minutes")?))
}

/// A byte size: a number with an optional unit, `B`, `KiB`, `MiB`, `GiB`, `TiB` (or `K`, `M`, `G`,
/// `T`, powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!("{s:?} is not a size (e.g. 1048576, 64MiB, 1GiB)"));
    }
    let n: u64 = t[..digits]
        .parse()
        .map_err(|_| format!("{s:?}: number too large"))?;
    let shift = match t[digits..].trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        "T" | "TiB" => 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (B, KiB, MiB, GiB, TiB)"
            ));
        }
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{s:?}: too large"))
}

fn parse_rate_limit(s: &str) -> Result<RateLimit, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let (cap, rate, period) = match parts.as_slice() {
        [c, r] => (*c, *r, "1s"),
        [c, r, p] => (*c, *r, *p),
        _ => return Err("expected CAPACITY,REFILL_RATE[,PERIOD], e.g. 100,10,1s".into()),
    };
    let cap: u32 = cap
        .parse()
        .map_err(|_| format!("capacity {cap:?} is not a whole number"))?;
    let rate: u32 = rate
        .parse()
        .map_err(|_| format!("refill rate {rate:?} is not a whole number"))?;
    let period = parse_duration(period)?;
    RateLimit::token_bucket(cap, rate, period).map_err(|e| e.to_string())
}

fn parse_fault(s: &str) -> Result<FaultRule, String> {
    let mut items = s.split(',').map(str::trim);
    let kind = items.next().unwrap_or_default();
    let (name, arg) = kind.split_once('=').unwrap_or((kind, ""));
    let need = |what: &str| {
        if arg.is_empty() {
            Err(format!("{name} needs a value, e.g. {name}={what}"))
        } else {
            Ok(arg)
        }
    };
    let fault = match name {
        "status" => Fault::Status(
            need("503")?
                .parse()
                .map_err(|_| format!("status {arg:?} is not a number"))?,
        ),
        "latency" => Fault::Latency(parse_duration(need("200ms")?)?),
        "clock-advance" => Fault::ClockAdvance(parse_duration(need("10m")?)?),
        "cut-after" => Fault::CutAfter(parse_size(need("1MiB")?)?),
        "html503" | "drop" | "truncate" if !arg.is_empty() => {
            return Err(format!("{name} takes no value"));
        }
        "html503" => Fault::ServiceUnavailableHtml,
        "drop" => Fault::DropConnection,
        "truncate" => Fault::TruncateBody,
        other => {
            return Err(format!(
                "unknown fault {other:?}; one of status=N, latency=D, clock-advance=D, html503, drop, truncate, cut-after=BYTES"
            ));
        }
    };
    let mut rule = FaultRule::new(fault).map_err(|e| e.to_string())?;
    for item in items {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?}: expected key=value"))?;
        rule = match k {
            "path" => rule.path(PathPattern::new(v).map_err(|e| e.to_string())?),
            "routes" => {
                let routes = v
                    .split('+')
                    .map(|r| {
                        serde_json::from_value::<RouteKind>(serde_json::Value::String(r.into()))
                            .map_err(|_| format!("unknown route {r:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                rule.on(routes)
            }
            "rate" => rule
                .rate(
                    v.parse()
                        .map_err(|_| format!("rate {v:?} is not a number"))?,
                )
                .map_err(|e| e.to_string())?,
            "skip" => rule.skip(
                v.parse()
                    .map_err(|_| format!("skip {v:?} is not a count"))?,
            ),
            "limit" => rule.limit(
                v.parse()
                    .map_err(|_| format!("limit {v:?} is not a count"))?,
            ),
            other => {
                return Err(format!(
                    "unknown fault setting {other:?}; one of path, routes, rate, skip, limit"
                ));
            }
        };
    }
    Ok(rule)
}

fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    s.parse().map_err(|_| {
        format!(
            "{s:?} is not MD5, MD5-sess, SHA-256, SHA-256-sess, SHA-512-256 or SHA-512-256-sess"
        )
    })
}

fn parse_qop(s: &str) -> Result<Option<Qop>, String> {
    if s == "none" {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| format!("{s:?} is not auth, auth-int or none"))
}

fn parse_clock(s: &str) -> Result<ClockMode, String> {
    match s {
        "realtime" | "real-time" => Ok(ClockMode::RealTime),
        "manual" => Ok(ClockMode::Manual),
        _ => match s.strip_prefix("stepped:") {
            Some(d) => Ok(ClockMode::Stepped {
                step_ms: u64::try_from(parse_duration(d)?.as_millis()).unwrap_or(u64::MAX),
            }),
            None => Err("expected realtime, manual or stepped:DURATION (e.g. stepped:1s)".into()),
        },
    }
}

/// The options for the library, from the flags.
fn options(args: MockFlags) -> Result<ServeOptions, MockError> {
    let mut opts = ServeOptions::new(args.listen);
    opts.public_key = args.public_key;
    opts.private_key = args.private_key;
    opts.extra_keys = args.keys.into_iter().map(|k| k.0).collect();
    opts.data = args.data;
    opts.tls_ca_out = args.tls_ca_out;
    opts.sunset = args.sunset;
    opts.unauthenticated_route = args.noauth_route;
    opts.rate_limit = args.rate_limit;
    if !args.faults.is_empty() {
        opts.faults = Some(
            args.faults
                .into_iter()
                .fold(FaultPlan::new(args.fault_seed), FaultPlan::rule),
        );
    }
    let digest_flags = !args.digest_algorithms.is_empty()
        || !args.digest_qop.is_empty()
        || args.nonce_lifetime.is_some()
        || args.replay_window.is_some()
        || args.digest_opaque
        || args.digest_op_quirk
        || args.digest_authentication_info;
    if digest_flags {
        let mut d = DigestSettings::default();
        if !args.digest_algorithms.is_empty() {
            d = d.algorithms(args.digest_algorithms);
        }
        if !args.digest_qop.is_empty() {
            d = d.qop(args.digest_qop.into_iter().flatten());
        }
        if let Some(l) = args.nonce_lifetime {
            d = d.nonce_lifetime(l);
        }
        if let Some(w) = args.replay_window {
            d = d.replay_window(w);
        }
        if args.digest_opaque {
            d = d.opaque(Opaque::Send);
        }
        if args.digest_op_quirk {
            d = d.qop_param(QopParam::Op);
        }
        if args.digest_authentication_info {
            d = d.authentication_info(AuthenticationInfo::Send);
        }
        opts.digest = Some(d);
    }
    opts.journal_capacity = args.journal_capacity;
    opts.journal_max_bytes = args.journal_max_bytes;
    let limit_flags = args.max_connections.is_some()
        || args.header_read_timeout.is_some()
        || args.max_header_bytes.is_some()
        || args.drain_timeout.is_some();
    if limit_flags {
        let mut l = Limits::default();
        if let Some(n) = args.max_connections {
            l = l.with_max_connections(n);
        }
        if let Some(d) = args.header_read_timeout {
            l = l.with_header_read_timeout(d);
        }
        if let Some(n) = args.max_header_bytes {
            l = l.with_max_header_bytes(n);
        }
        if let Some(d) = args.drain_timeout {
            l = l.with_drain_timeout(d);
        }
        opts.limits = Some(l);
    }
    opts.clock = args.clock;
    opts.admin_token = args.admin_token;
    opts.ready_file = args.ready_file;
    if args.json {
        opts.announce = Announce::JsonLines;
    }
    opts.service_accounts = args.service_accounts.into_iter().map(|a| a.0).collect();
    if args.token_lifetime.is_some()
        || args.max_live_tokens.is_some()
        || args.token_rate_limit.is_some()
    {
        let mut o = OAuthSettings::default();
        if let Some(d) = args.token_lifetime {
            o = o.token_lifetime(d)?;
        }
        if let Some(n) = args.max_live_tokens {
            o = o.max_live_tokens(n)?;
        }
        if let Some((r, m)) = args.token_rate_limit {
            o = o.token_rate_limit(r, m)?;
        }
        opts.oauth = Some(o);
    }
    if args.archive_size.is_some() || args.download_link_lifetime.is_some() {
        let mut d = DownloadSettings::default();
        if let Some(n) = args.archive_size {
            d = d.archive_size(n)?;
        }
        if let Some(l) = args.download_link_lifetime {
            d = d.link_lifetime(l);
        }
        opts.downloads = Some(d);
    }
    Ok(opts)
}

pub(super) async fn run(args: MockArgs, ui: Ui) -> Result<Exit, CliError> {
    let args = *args.flags;
    let mut visible = Vec::new();
    if let Some(private) = &args.private_key {
        logging::register_secret(private);
        visible.push("--private-key");
    }
    for k in &args.keys {
        logging::register_secret(k.0.private_key());
        visible.push("--key");
    }
    for a in &args.service_accounts {
        logging::register_secret(a.0.client_secret());
        visible.push("--service-account");
    }
    if let Some(t) = &args.admin_token {
        logging::register_secret(t);
        visible.push("--admin-token");
    }
    visible.dedup();
    if !visible.is_empty() {
        eprintln!(
            "{} {} visible to other users of this machine (ps, /proc); fine for a fake local key, never pass a real Atlas key on the command line",
            bold("warning:", ui.color_err()),
            visible.join(", ")
        );
    }
    let mut ip_list = None;
    for cidr in &args.ip_access_list {
        ip_list = Some(
            ip_list
                .unwrap_or_else(IpAccessList::new)
                .allow(cidr)
                .map_err(|e| describe(&e))?,
        );
    }
    let opts = {
        let mut o = options(args).map_err(|e| describe(&e))?;
        o.ip_access_list = ip_list;
        o
    };
    tracing::debug!(?opts, "mock options");
    let mut out = std::io::stdout();
    atlas_mock::serve_until_signal(opts, &mut out)
        .await
        .map_err(|e| describe(&e))?;
    Ok(Exit::Ok)
}

fn describe(e: &MockError) -> CliError {
    let message = crate::errors::chain(e);
    match e {
        MockError::Bind { addr, .. } => CliError::new(Exit::Network, message).with_hint(format!(
            "is another program listening on {addr}? choose another address with --listen, e.g. --listen 127.0.0.1:0"
        )),
        MockError::Data(_) | MockError::ReadFile { .. } => CliError::usage(message).with_hint(
            "--data takes the mock's JSON data file; its JSON Schema is crates/atlas-mock/schema/mock-data.schema.json",
        ),
        MockError::InvalidConfig(_) => CliError::usage(message),
        _ => CliError::new(Exit::Api, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs() {
        assert!(parse_fault("status=503,path=/api/atlas/v2/**,limit=2").is_ok());
        assert!(parse_fault("latency=200ms,routes=flexGet+tenantV1Get,rate=0.5,skip=1").is_ok());
        assert!(parse_fault("clock-advance=10m").is_ok());
        assert!(parse_fault("drop").is_ok());
        assert!(matches!(
            parse_fault("cut-after=1MiB,routes=snapshotArchive,limit=1")
                .unwrap()
                .fault(),
            Fault::CutAfter(1_048_576)
        ));
        for bad in [
            "status=200",
            "status",
            "drop=1",
            "teleport",
            "status=503,limt=2",
            "status=503,path=nope",
            "status=503,routes=flexPut",
            "status=503,rate=2",
            "cut-after",
            "cut-after=lots",
        ] {
            assert!(parse_fault(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_values() {
        assert!(parse_rate_limit("100,10,1s").is_ok());
        assert!(parse_rate_limit("100,10").is_ok());
        assert!(parse_rate_limit("0,10").is_err());
        assert!(parse_rate_limit("100").is_err());
        assert_eq!(parse_clock("manual"), Ok(ClockMode::Manual));
        assert_eq!(
            parse_clock("stepped:250ms"),
            Ok(ClockMode::Stepped { step_ms: 250 })
        );
        assert!(parse_clock("warp").is_err());
        assert!(parse_key("a:b:5b69d0349b15c62cdfc38b78").is_ok());
        assert!(parse_key("a:b:nothex").is_err());
        let k = parse_key("ro:s::GROUP_READ_ONLY").unwrap().0;
        assert_eq!(k.group_restriction(), None);
        assert_eq!(k.role_restriction(), Some(&[Role::GroupReadOnly][..]));
        assert!(parse_key("ro:s::GROUP_ADMIN").is_err());
        let a = parse_service_account("mdb_sa_id_x:mdb_sa_sk_y:5b69d0349b15c62cdfc38b78")
            .unwrap()
            .0;
        assert_eq!(a.client_secret(), "mdb_sa_sk_y");
        assert!(a.group_restriction().is_some());
        assert!(parse_service_account("id").is_err());
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("1.5GiB").is_err());
        assert!(parse_size("1PiB").is_err());
        assert_eq!(parse_token_rate("50,1"), Ok((50, 1)));
        assert!(parse_token_rate("0,1").is_err());
        assert!(parse_key("a").is_err());
        assert_eq!(parse_qop("none"), Ok(None));
        assert!(parse_algorithm("MD4").is_err());
    }
}
