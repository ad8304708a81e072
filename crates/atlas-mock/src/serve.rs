//! What the `atlas-snapshots mock` command runs: start from [`ServeOptions`], tell the world where the
//! mock is (a banner, or one JSON line, and optionally a ready file), serve until a signal, drain.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::access::IpAccessList;
use crate::clock::ClockMode;
use crate::config::MockConfig;
use crate::data::ClusterKind;
use crate::downloads::DownloadSettings;
use crate::faults::FaultPlan;
use crate::lifecycle::Lifecycle;
use crate::limits::Limits;
use crate::oauth::{OAuthSettings, ServiceAccount};
use crate::ratelimit::RateLimit;
use crate::{ApiKey, DigestSettings, MockAtlas, MockError, MockHandle, ShutdownReport};

/// How the `mock` command announces itself on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Announce {
    /// A banner for people: keys, admin token, ids, ready `curl` lines.
    #[default]
    Banner,
    /// One JSON line ([`ReadyInfo`]) when ready, and one (`{"event": "stopped", ...}`) when stopped.
    JsonLines,
}

/// Options of the `mock` command (the CLI maps its flags onto this; no clap here). A data file
/// (`data`) is applied first; every option given here then wins over it.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Public key; generated when absent (then the private key is generated too).
    pub public_key: Option<String>,
    /// Private key; required when `public_key` is given.
    pub private_key: Option<String>,
    /// More keys (each may be restricted to groups or have its own access list).
    pub extra_keys: Vec<ApiKey>,
    /// A data file ([`MockConfig`]: the data set and any settings); the seed data when absent.
    pub data: Option<PathBuf>,
    /// Serve HTTPS and write the CA certificate (PEM) here.
    pub tls_ca_out: Option<PathBuf>,
    /// "After sunset" mode: the tenant endpoints answer `410 VERSION_GONE` (`false` leaves the data
    /// file's setting).
    pub sunset: bool,
    /// Also serve the routes without authentication under `/noauth` (`false` leaves the data file's
    /// setting).
    pub unauthenticated_route: bool,
    /// Digest settings (algorithms, qop, nonce lifetime, replay window).
    pub digest: Option<DigestSettings>,
    /// Server-wide IP access list.
    pub ip_access_list: Option<IpAccessList>,
    /// Rate limit per key.
    pub rate_limit: Option<RateLimit>,
    /// Fault plan.
    pub faults: Option<FaultPlan>,
    /// Journal capacity in entries.
    pub journal_capacity: Option<usize>,
    /// Journal capacity in bytes.
    pub journal_max_bytes: Option<usize>,
    /// Connection and request bounds (drain timeout included).
    pub limits: Option<Limits>,
    /// The mock clock's mode.
    pub clock: Option<ClockMode>,
    /// A fixed admin token (generated otherwise).
    pub admin_token: Option<String>,
    /// Write [`ReadyInfo`] as JSON to this file once the mock listens (atomically, mode 0600; removed
    /// on a clean stop).
    pub ready_file: Option<PathBuf>,
    /// Banner or JSON lines on standard output.
    pub announce: Announce,
    /// More service accounts (the first one is the banner's; the data file's come first, else one
    /// is generated when none is given).
    pub service_accounts: Vec<ServiceAccount>,
    /// Token lifetime, live-token limit, the token endpoint's rate limit.
    pub oauth: Option<OAuthSettings>,
    /// Link lifetime and default archive size of flex downloads.
    pub downloads: Option<DownloadSettings>,
    /// The lifecycle of restore jobs started through the API.
    pub restore_lifecycle: Option<Lifecycle>,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("public_key", &self.public_key)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "** redacted **"),
            )
            .field("extra_keys", &self.extra_keys)
            .field("data", &self.data)
            .field("tls_ca_out", &self.tls_ca_out)
            .field("sunset", &self.sunset)
            .field("unauthenticated_route", &self.unauthenticated_route)
            .field("digest", &self.digest)
            .field("ip_access_list", &self.ip_access_list)
            .field("rate_limit", &self.rate_limit)
            .field("faults", &self.faults)
            .field("journal_capacity", &self.journal_capacity)
            .field("journal_max_bytes", &self.journal_max_bytes)
            .field("limits", &self.limits)
            .field("clock", &self.clock)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "** redacted **"),
            )
            .field("ready_file", &self.ready_file)
            .field("announce", &self.announce)
            .field("service_accounts", &self.service_accounts)
            .field("oauth", &self.oauth)
            .field("downloads", &self.downloads)
            .field("restore_lifecycle", &self.restore_lifecycle)
            .finish()
    }
}

impl ServeOptions {
    /// Defaults for `listen`: generated keys, seed data, plain HTTP, before sunset.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            public_key: None,
            private_key: None,
            extra_keys: Vec::new(),
            data: None,
            tls_ca_out: None,
            sunset: false,
            unauthenticated_route: false,
            digest: None,
            ip_access_list: None,
            rate_limit: None,
            faults: None,
            journal_capacity: None,
            journal_max_bytes: None,
            limits: None,
            clock: None,
            admin_token: None,
            ready_file: None,
            announce: Announce::Banner,
            service_accounts: Vec::new(),
            oauth: None,
            downloads: None,
            restore_lifecycle: None,
        }
    }
}

/// Where a snapshot of the data is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SnapshotRef {
    /// Group (project) id.
    pub group_id: String,
    /// Cluster name.
    pub cluster_name: String,
    /// Snapshot id.
    pub snapshot_id: String,
    /// Its URL on the mock.
    pub url: String,
}

/// One key the mock accepts, as the ready file shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct KeyInfo {
    /// Public key (digest username).
    pub public_key: String,
    /// Private key (digest password).
    pub private_key: String,
    /// The groups the key is restricted to (`null`: all).
    pub groups: Option<Vec<String>>,
}

/// One service account the mock accepts, as the ready file shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ServiceAccountInfo {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// The groups the account is restricted to (`null`: all).
    pub groups: Option<Vec<String>>,
    /// Its roles (`null`: owner).
    pub roles: Option<Vec<String>>,
}

/// What a test needs to use a started mock: written to `--ready-file` and, with `--json`, printed as
/// one line on standard output. It holds secrets (keys, admin token): the file is created 0600.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReadyInfo {
    /// The base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// The first key's public key.
    pub public_key: String,
    /// The first key's private key.
    pub private_key: String,
    /// Every key.
    pub keys: Vec<KeyInfo>,
    /// The token of the `/__mock/` admin routes (`Authorization: Bearer TOKEN`).
    pub admin_token: String,
    /// The CA certificate file, in TLS mode.
    pub ca_path: Option<PathBuf>,
    /// The process id of the mock.
    pub pid: u32,
    /// The first flex snapshot of the data.
    pub flex: Option<SnapshotRef>,
    /// The first tenant (M2/M5) snapshot of the data.
    pub tenant: Option<SnapshotRef>,
    /// The first cloud backup snapshot of a dedicated cluster of the data.
    pub dedicated: Option<SnapshotRef>,
    /// The mock clock's mode.
    pub clock: ClockMode,
    /// The first service account's client id.
    pub client_id: String,
    /// The first service account's client secret.
    pub client_secret: String,
    /// Every service account.
    pub service_accounts: Vec<ServiceAccountInfo>,
    /// Where service accounts get tokens (`{url}/api/oauth/token`).
    pub token_url: String,
}

impl ReadyInfo {
    fn of(h: &MockHandle, opts: &ServeOptions) -> Self {
        let snap = |kind: ClusterKind| {
            h.first_snapshot(kind).map(|(g, c, s)| SnapshotRef {
                url: match kind {
                    ClusterKind::Flex => format!(
                        "{}/api/atlas/v2/groups/{g}/flexClusters/{c}/backup/snapshots/{s}",
                        h.base_url()
                    ),
                    ClusterKind::Tenant => format!(
                        "{}/api/atlas/v1.0/groups/{g}/clusters/{c}/backup/tenant/snapshots/{s}",
                        h.base_url()
                    ),
                    ClusterKind::Dedicated => format!(
                        "{}/api/atlas/v2/groups/{g}/clusters/{c}/backup/snapshots/{s}",
                        h.base_url()
                    ),
                },
                group_id: g,
                cluster_name: c,
                snapshot_id: s,
            })
        };
        ReadyInfo {
            url: h.base_url().to_owned(),
            public_key: h.public_key().to_owned(),
            private_key: h.private_key().to_owned(),
            keys: h
                .keys()
                .iter()
                .map(|k| KeyInfo {
                    public_key: k.public_key().to_owned(),
                    private_key: k.private_key().to_owned(),
                    groups: k
                        .group_restriction()
                        .map(|g| g.iter().map(ToString::to_string).collect()),
                })
                .collect(),
            admin_token: h.admin_token().to_owned(),
            ca_path: opts.tls_ca_out.clone(),
            pid: std::process::id(),
            flex: snap(ClusterKind::Flex),
            tenant: snap(ClusterKind::Tenant),
            dedicated: snap(ClusterKind::Dedicated),
            clock: h.clock().mode(),
            client_id: h.service_account().client_id().to_owned(),
            client_secret: h.service_account().client_secret().to_owned(),
            service_accounts: h
                .service_accounts()
                .iter()
                .map(|a| ServiceAccountInfo {
                    client_id: a.client_id().to_owned(),
                    client_secret: a.client_secret().to_owned(),
                    groups: a
                        .group_restriction()
                        .map(|g| g.iter().map(ToString::to_string).collect()),
                    roles: a
                        .role_restriction()
                        .map(|r| r.iter().map(ToString::to_string).collect()),
                })
                .collect(),
            token_url: h.token_url(),
        }
    }
}

/// Why the mock stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Asked,
    Signal(&'static str),
}

/// Starts the mock from `opts`, writes what a user needs to `out`, and runs until `shutdown` resolves.
pub async fn serve_until<F: std::future::Future<Output = ()>>(
    opts: ServeOptions,
    out: &mut impl Write,
    shutdown: F,
) -> Result<(), MockError> {
    run(opts, out, async {
        shutdown.await;
        Stop::Asked
    })
    .await
}

/// Starts the mock from `opts`, announces it on `out`, and serves until Ctrl-C (SIGINT) or SIGTERM;
/// then drains (bounded by [`Limits::drain_timeout`]) and says so. The signal handlers are installed
/// before the mock announces itself, so a signal sent as soon as the announcement is read is never
/// the default one (which would kill the process without a drain).
pub async fn serve_until_signal(opts: ServeOptions, out: &mut impl Write) -> Result<(), MockError> {
    let signals = Signals::install()?;
    run(opts, out, signals.wait()).await
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Result<Self, MockError> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn wait(mut self) -> Stop {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Stop::Signal("SIGINT"),
            Some(()) = self.terminate.recv() => Stop::Signal("SIGTERM"),
            else => std::future::pending().await,
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Result<Self, MockError> {
        Ok(Self)
    }

    async fn wait(self) -> Stop {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Stop::Signal("Ctrl-C"),
            Err(_) => std::future::pending().await,
        }
    }
}

async fn run(
    opts: ServeOptions,
    out: &mut impl Write,
    stop: impl std::future::Future<Output = Stop>,
) -> Result<(), MockError> {
    let handle = start(&opts).await?;
    let info = ReadyInfo::of(&handle, &opts);
    if let Some(path) = &opts.ready_file {
        write_private_atomically(path, &serde_json::to_vec_pretty(&info).unwrap_or_default())?;
    }
    match opts.announce {
        Announce::Banner => write_banner(&handle, &opts, &info, out)?,
        Announce::JsonLines => {
            writeln!(out, "{}", serde_json::to_string(&info).unwrap_or_default())?;
            out.flush()?;
        }
    }
    let why = stop.await;
    let drain = handle.shared.limits.drain_timeout;
    if opts.announce == Announce::Banner {
        match why {
            Stop::Signal(name) => writeln!(
                out,
                "atlas-mock: {name} received, shutting down: draining open connections (at most {drain:?})"
            )?,
            Stop::Asked => writeln!(
                out,
                "atlas-mock: shutting down: draining open connections (at most {drain:?})"
            )?,
        }
        out.flush()?;
    }
    let report = handle.shutdown().await;
    if let Some(path) = &opts.ready_file {
        let _ = std::fs::remove_file(path);
    }
    match opts.announce {
        Announce::Banner => writeln!(
            out,
            "atlas-mock: stopped ({} connection(s) drained, {} cut after the drain timeout)",
            report.drained, report.cut
        )?,
        Announce::JsonLines => writeln!(out, "{}", stop_line(why, report))?,
    }
    out.flush()?;
    Ok(())
}

fn stop_line(why: Stop, r: ShutdownReport) -> serde_json::Value {
    serde_json::json!({
        "event": "stopped",
        "signal": match why { Stop::Signal(s) => Some(s), Stop::Asked => None },
        "drained": r.drained,
        "cut": r.cut,
    })
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees a half-written file; 0600 on Unix.
fn write_private_atomically(path: &Path, bytes: &[u8]) -> Result<(), MockError> {
    let err = |source| MockError::WriteFile {
        path: path.to_owned(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ready".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let result = (|| {
        let mut f = o.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

async fn start(opts: &ServeOptions) -> Result<MockHandle, MockError> {
    let mut b = MockAtlas::builder();
    let mut file_keys = Vec::new();
    if let Some(path) = &opts.data {
        let mut config = MockConfig::from_file(path)?;
        file_keys = std::mem::take(&mut config.api_keys);
        b = b.config(config);
    }
    for a in &opts.service_accounts {
        b = b.service_account(a.clone());
    }
    if let Some(o) = opts.oauth {
        b = b.oauth(o);
    }
    if let Some(d) = opts.downloads {
        b = b.downloads(d);
    }
    if let Some(l) = opts.restore_lifecycle {
        b = b.restore_lifecycle(l);
    }
    b = b.listen(opts.listen).tls(opts.tls_ca_out.is_some());
    if opts.sunset {
        b = b.sunset(true);
    }
    if opts.unauthenticated_route {
        b = b.unauthenticated_route(true);
    }
    // The first key is the one the banner and the curl lines use: --public-key, else the data
    // file's first, else a generated one (also when only extra keys are given).
    match (&opts.public_key, &opts.private_key) {
        (Some(p), Some(k)) => b = b.api_key(ApiKey::new(p, k)),
        (None, None) if file_keys.is_empty() && !opts.extra_keys.is_empty() => {
            b = b.api_key(ApiKey::generate());
        }
        (None, None) => {}
        _ => {
            return Err(MockError::InvalidConfig(
                "give both the public and the private key, or neither (then a pair is generated)"
                    .into(),
            ));
        }
    }
    for k in file_keys {
        b = b.api_key(k);
    }
    for k in &opts.extra_keys {
        b = b.api_key(k.clone());
    }
    if let Some(d) = &opts.digest {
        b = b.digest(d.clone());
    }
    if let Some(l) = &opts.ip_access_list {
        b = b.ip_access_list(l.clone());
    }
    if let Some(r) = opts.rate_limit {
        b = b.rate_limit(r);
    }
    if let Some(f) = &opts.faults {
        b = b.faults(f.clone());
    }
    if let Some(n) = opts.journal_capacity {
        b = b.journal_capacity(n);
    }
    if let Some(n) = opts.journal_max_bytes {
        b = b.journal_max_bytes(n);
    }
    if let Some(l) = opts.limits {
        b = b.limits(l);
    }
    if let Some(c) = opts.clock {
        b = b.clock(c);
    }
    if let Some(t) = &opts.admin_token {
        b = b.admin_token(t.clone());
    }
    let handle = b.start().await?;
    if let (Some(path), Some(pem)) = (&opts.tls_ca_out, handle.ca_pem()) {
        std::fs::write(path, pem).map_err(|source| MockError::WriteFile {
            path: path.clone(),
            source,
        })?;
    }
    Ok(handle)
}

fn clock_words(mode: ClockMode) -> String {
    match mode {
        ClockMode::RealTime => "real time (advance it: POST /__mock/clock/advance)".into(),
        ClockMode::Manual => "manual: stands still until POST /__mock/clock/advance".into(),
        ClockMode::Stepped { step_ms } => format!("stepped: +{step_ms} ms per API request"),
    }
}

fn write_banner(
    h: &MockHandle,
    opts: &ServeOptions,
    info: &ReadyInfo,
    out: &mut impl Write,
) -> Result<(), MockError> {
    writeln!(out, "atlas-mock listening on {}", h.base_url())?;
    writeln!(out, "  public key:  {}", h.public_key())?;
    writeln!(out, "  private key: {}", h.private_key())?;
    for k in info.keys.iter().skip(1) {
        let scope = k.groups.as_ref().map_or_else(
            || "all groups".to_owned(),
            |g| format!("groups {}", g.join(", ")),
        );
        writeln!(out, "  other key:   {} ({scope})", k.public_key)?;
    }
    writeln!(out, "  client id:     {} (service account)", info.client_id)?;
    writeln!(out, "  client secret: {}", info.client_secret)?;
    for a in info.service_accounts.iter().skip(1) {
        writeln!(out, "  other service account: {}", a.client_id)?;
    }
    writeln!(
        out,
        "  admin token: {} (for /__mock/*: Authorization: Bearer TOKEN)",
        h.admin_token()
    )?;
    if let Some(path) = &opts.tls_ca_out {
        writeln!(out, "  CA certificate written to {}", path.display())?;
    }
    if let Some(path) = &opts.ready_file {
        writeln!(out, "  ready file:  {}", path.display())?;
    }
    if h.shared.sunset() {
        writeln!(
            out,
            "  sunset mode: the tenant endpoints answer 410 VERSION_GONE"
        )?;
    }
    writeln!(out, "  clock:       {}", clock_words(h.clock().mode()))?;
    if let Some(f) = &info.flex {
        writeln!(
            out,
            "  flex:        group {} flex cluster {} snapshot {}",
            f.group_id, f.cluster_name, f.snapshot_id
        )?;
    }
    if let Some(t) = &info.tenant {
        writeln!(
            out,
            "  M2/M5:       group {} cluster {} snapshot {} (tenant endpoints, deprecated)",
            t.group_id, t.cluster_name, t.snapshot_id
        )?;
    }
    if let Some(d) = &info.dedicated {
        writeln!(
            out,
            "  dedicated:   group {} cluster {} snapshot {} (cloud backup snapshots)",
            d.group_id, d.cluster_name, d.snapshot_id
        )?;
    }
    if info.flex.is_some() {
        writeln!(out, "try (a flex snapshot: what M2/M5 clusters are today):")?;
        let line = match &opts.tls_ca_out {
            Some(p) => h.curl_example_with_ca(p),
            None => h.curl_example(),
        };
        writeln!(out, "  {line}")?;
    }
    writeln!(
        out,
        "a service account's access token (then: curl --header \"Authorization: Bearer TOKEN\" ...):"
    )?;
    writeln!(
        out,
        "  {}",
        h.curl_token_example(opts.tls_ca_out.as_deref())
    )?;
    if let Some(line) = h.curl_tenant_example(opts.tls_ca_out.as_deref()) {
        writeln!(
            out,
            "the seed document's call (M2/M5 tenant endpoint, v1.0):"
        )?;
        writeln!(out, "  {line}")?;
    }
    writeln!(out, "Ctrl-C or SIGTERM to stop")?;
    out.flush()?;
    Ok(())
}
