//! [`MockBuilder`]: configures and starts a mock.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::access::IpAccessList;
use crate::auth::{self, DigestSettings};
use crate::clock::{ClockMode, MockClock, whole_seconds};
use crate::config::MockConfig;
use crate::data::restore::Delivery;
use crate::data::{Dataset, IdGenerator};
use crate::downloads::{DownloadSettings, Downloads, NewLink, layout_for};
use crate::faults::{FaultPlan, FaultState};
use crate::handle::MockHandle;
use crate::journal::{DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_CAPACITY, Journal};
use crate::lifecycle::{Lifecycle, Outcome};
use crate::limits::Limits;
use crate::oauth::{OAuth, OAuthSettings, ServiceAccount};
use crate::ratelimit::{RateLimit, RateLimiter};
use crate::server::{ConnStats, Shared, listener, shown_authority};
use crate::{ApiKey, MockError, random_bytes, tls};

/// Configures and starts a mock. `Debug` redacts the private keys.
#[derive(Debug, Clone)]
pub struct MockBuilder {
    listen: SocketAddr,
    keys: Vec<ApiKey>,
    data: Option<Dataset>,
    sunset: bool,
    tls: bool,
    digest: DigestSettings,
    rate_limit: Option<RateLimit>,
    faults: FaultPlan,
    ip_access_list: Option<IpAccessList>,
    noauth: bool,
    journal_capacity: usize,
    journal_bytes: usize,
    limits: Limits,
    clock_mode: ClockMode,
    clock_start: Option<DateTime<Utc>>,
    admin_token: Option<String>,
    downloads: DownloadSettings,
    restore_lifecycle: Lifecycle,
    service_accounts: Vec<ServiceAccount>,
    oauth: OAuthSettings,
    on_demand_lifecycle: Lifecycle,
}

/// The default on-demand snapshot lifecycle: `queued` for 10 s, `inProgress` until 60 s, then
/// `completed`.
pub(crate) fn default_on_demand_lifecycle() -> Lifecycle {
    let s = std::time::Duration::from_secs;
    Lifecycle::new(s(0), s(10), s(60), Outcome::Completed)
        .unwrap_or_else(|_| Lifecycle::done_at_once())
}

/// The default restore lifecycle: `PENDING` for 10 s, `RUNNING` until 60 s, then `COMPLETED` (the
/// order observed on Atlas, which took about a minute).
pub(crate) fn default_restore_lifecycle() -> Lifecycle {
    let s = std::time::Duration::from_secs;
    // 10 <= 10 <= 60: the fallback is never used.
    Lifecycle::new(s(10), s(10), s(60), Outcome::Completed)
        .unwrap_or_else(|_| Lifecycle::done_at_once())
}

impl Default for MockBuilder {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            keys: Vec::new(),
            data: None,
            sunset: false,
            tls: false,
            digest: DigestSettings::default(),
            rate_limit: None,
            faults: FaultPlan::default(),
            ip_access_list: None,
            noauth: false,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            journal_bytes: DEFAULT_JOURNAL_BYTES,
            limits: Limits::default(),
            clock_mode: ClockMode::default(),
            clock_start: None,
            admin_token: None,
            downloads: DownloadSettings::default(),
            restore_lifecycle: default_restore_lifecycle(),
            service_accounts: Vec::new(),
            oauth: OAuthSettings::default(),
            on_demand_lifecycle: default_on_demand_lifecycle(),
        }
    }
}

impl MockBuilder {
    /// Address to listen on (default `127.0.0.1:0`: a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Adds a key pair. Without any, one pair is generated ([`MockHandle::public_key`] tells it).
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.keys.push(key);
        self
    }

    /// The data to serve (default [`Dataset::seed`]).
    pub fn dataset(mut self, data: Dataset) -> Self {
        self.data = Some(data);
        self
    }

    /// "After sunset" mode: the tenant endpoints answer `410 VERSION_GONE`. Before sunset (the default)
    /// they carry `Deprecation` and `Sunset` headers.
    pub fn sunset(mut self, yes: bool) -> Self {
        self.sunset = yes;
        self
    }

    /// Serve HTTPS with a generated CA and a certificate for `127.0.0.1`, `::1` and `localhost`
    /// ([`MockHandle::ca_pem`]).
    pub fn tls(mut self, yes: bool) -> Self {
        self.tls = yes;
        self
    }

    /// Digest settings: algorithms, qop, nonce lifetime, replay window.
    pub fn digest(mut self, d: DigestSettings) -> Self {
        self.digest = d;
        self
    }

    /// A token bucket per key (off by default).
    pub fn rate_limit(mut self, r: RateLimit) -> Self {
        self.rate_limit = Some(r);
        self
    }

    /// Faults to inject (replaceable at run time: [`MockHandle::set_faults`], `PUT /__mock/faults`).
    pub fn faults(mut self, f: FaultPlan) -> Self {
        self.faults = f;
        self
    }

    /// Only peers in this list get past authentication; others get `403 IP_ADDRESS_NOT_ON_ACCESS_LIST`.
    pub fn ip_access_list(mut self, list: IpAccessList) -> Self {
        self.ip_access_list = Some(list);
        self
    }

    /// Also serve every snapshot route without authentication under `/noauth` (e.g.
    /// `/noauth/api/atlas/v1.0/...`): same answers, for benchmarks that measure everything but digest.
    pub fn unauthenticated_route(mut self, yes: bool) -> Self {
        self.noauth = yes;
        self
    }

    /// How many requests the journal keeps (default [`DEFAULT_JOURNAL_CAPACITY`], 10,000; the oldest go first).
    pub fn journal_capacity(mut self, n: usize) -> Self {
        self.journal_capacity = n;
        self
    }

    /// How many bytes the journal may hold (default [`DEFAULT_JOURNAL_BYTES`], 16 MiB; the oldest
    /// entries go first). Paths, queries and header values in entries are cut, so one entry stays
    /// small whatever a client sends.
    pub fn journal_max_bytes(mut self, n: usize) -> Self {
        self.journal_bytes = n;
        self
    }

    /// Connection and request bounds ([`Limits`]).
    pub fn limits(mut self, l: Limits) -> Self {
        self.limits = l;
        self
    }

    /// How the mock clock moves (default [`ClockMode::RealTime`]).
    pub fn clock(mut self, mode: ClockMode) -> Self {
        self.clock_mode = mode;
        self
    }

    /// The wall time of the mock's time zero (default: the start, in whole seconds).
    pub fn clock_start(mut self, start: DateTime<Utc>) -> Self {
        self.clock_start = Some(start);
        self
    }

    /// A fixed admin token (default: a random one per run, [`MockHandle::admin_token`]).
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Flex downloads: link lifetime (default 4 hours, on the mock clock) and the default archive
    /// size (1 MiB).
    pub fn downloads(mut self, d: DownloadSettings) -> Self {
        self.downloads = d;
        self
    }

    /// The lifecycle of restore jobs started through the API, counted from each job's creation
    /// (default: `PENDING` 10 s, `RUNNING` until 60 s, then `COMPLETED`). With `queued_at` equal
    /// to `running_at` there is no `QUEUED` phase, as observed on Atlas.
    pub fn restore_lifecycle(mut self, l: Lifecycle) -> Self {
        self.restore_lifecycle = l;
        self
    }

    /// Adds a service account (OAuth 2.0 client credentials for `POST /api/oauth/token`). Without
    /// any, one is generated ([`MockHandle::service_account`]). More can be added at run time.
    pub fn service_account(mut self, account: ServiceAccount) -> Self {
        self.service_accounts.push(account);
        self
    }

    /// The token endpoint: token lifetime, live-token limit, rate limit (default: Atlas's 3600 s,
    /// 100, 50 a minute).
    pub fn oauth(mut self, o: OAuthSettings) -> Self {
        self.oauth = o;
        self
    }

    /// The lifecycle of on-demand snapshots of dedicated clusters (`POST .../backup/snapshots`),
    /// counted from each snapshot's creation (default: `queued` 10 s, `inProgress` until 60 s,
    /// then `completed`).
    pub fn on_demand_snapshot_lifecycle(mut self, l: Lifecycle) -> Self {
        self.on_demand_lifecycle = l;
        self
    }

    /// Applies a data file: every setting it has replaces the builder's (its keys are added).
    pub fn config(mut self, c: MockConfig) -> Self {
        if let Some(d) = c.dataset {
            self.data = Some(d);
        }
        self.keys.extend(c.api_keys);
        if let Some(l) = c.ip_access_list {
            self.ip_access_list = Some(l);
        }
        if let Some(r) = c.rate_limit {
            self.rate_limit = Some(r);
        }
        if let Some(f) = c.faults {
            self.faults = f;
        }
        if let Some(d) = c.digest {
            self.digest = d;
        }
        if let Some(n) = c.journal_capacity {
            self.journal_capacity = n;
        }
        if let Some(n) = c.journal_max_bytes {
            self.journal_bytes = n;
        }
        if let Some(l) = c.limits {
            self.limits = l;
        }
        if let Some(m) = c.clock_mode {
            self.clock_mode = m;
        }
        if let Some(s) = c.clock_start {
            self.clock_start = Some(s);
        }
        if let Some(s) = c.sunset {
            self.sunset = s;
        }
        if let Some(n) = c.unauthenticated_route {
            self.noauth = n;
        }
        if let Some(t) = c.admin_token {
            self.admin_token = Some(t);
        }
        if let Some(d) = c.downloads {
            self.downloads = d;
        }
        if let Some(l) = c.restore_lifecycle {
            self.restore_lifecycle = l;
        }
        self.service_accounts.extend(c.service_accounts);
        if let Some(l) = c.on_demand_snapshot_lifecycle {
            self.on_demand_lifecycle = l;
        }
        if let Some(o) = c.oauth {
            self.oauth = o;
        }
        self
    }

    /// Binds, generates what is needed (keys, TLS material, digest secret, admin token) and starts
    /// serving on the current tokio runtime.
    pub async fn start(self) -> Result<MockHandle, MockError> {
        let mut keys = self.keys;
        if keys.is_empty() {
            keys.push(ApiKey::generate());
        }
        for (i, k) in keys.iter().enumerate() {
            if k.public_key().is_empty() || k.private_key().is_empty() {
                return Err(MockError::InvalidConfig(
                    "API keys need a non-empty public and private key".into(),
                ));
            }
            if keys[..i].iter().any(|o| o.public_key() == k.public_key()) {
                return Err(MockError::InvalidConfig(format!(
                    "API key {} given twice",
                    k.public_key()
                )));
            }
        }
        self.limits.check()?;
        let mut accounts = self.service_accounts;
        if accounts.is_empty() {
            accounts.push(ServiceAccount::generate());
        }
        for (i, a) in accounts.iter().enumerate() {
            crate::oauth::check_account(a)?;
            if accounts[..i].iter().any(|o| o.client_id() == a.client_id()) {
                return Err(MockError::InvalidConfig(format!(
                    "service account {} given twice",
                    a.client_id()
                )));
            }
        }
        if self
            .admin_token
            .as_deref()
            .is_some_and(|t| t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(MockError::InvalidConfig(
                "the admin token must be non-empty printable ASCII without spaces".into(),
            ));
        }
        let auth = auth::Auth::new(&self.digest, &keys)?;
        let tls = if self.tls {
            Some(tls::generate()?)
        } else {
            None
        };
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|source| MockError::Bind {
                addr: self.listen,
                source,
            })?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://{}", shown_authority(addr));
        let clock = MockClock::starting_at(
            whole_seconds(self.clock_start.unwrap_or_else(Utc::now)),
            self.clock_mode,
        );
        let admin_token = self.admin_token.unwrap_or_else(|| {
            random_bytes::<16>()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        });
        let downloads = Downloads::new(self.downloads);
        let mut data = self.data.unwrap_or_else(Dataset::seed);
        register_download_jobs(&mut data, &downloads, &clock);
        let shared = Arc::new(Shared {
            data: RwLock::new(data),
            clock,
            keys: keys.clone(),
            auth,
            sunset: AtomicBool::new(self.sunset),
            faults: RwLock::new(Arc::new(FaultState::new(self.faults))),
            limiter: self.rate_limit.map(RateLimiter::new),
            ip_list: self.ip_access_list,
            noauth: self.noauth,
            journal: Journal::new(self.journal_capacity, self.journal_bytes),
            scheme,
            addr,
            limits: self.limits,
            admin_token,
            conns: ConnStats::default(),
            ids: IdGenerator::new(),
            downloads,
            restore_lifecycle: self.restore_lifecycle,
            oauth: OAuth::new(self.oauth, accounts),
            on_demand_lifecycle: self.on_demand_lifecycle,
        });
        let (tx, rx) = watch::channel(false);
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        let task = tokio::spawn(listener::accept_loop(
            listener,
            shared.clone(),
            tls.map(|t| t.acceptor),
            rx,
        ));
        tracing::info!(%base_url, "atlas-mock listening");
        Ok(MockHandle::new(
            base_url,
            addr,
            keys.swap_remove(0),
            ca_pem,
            shared,
            tx,
            task,
        ))
    }
}

/// Hands out the links of the data file's `DOWNLOAD` jobs (valid until their `expirationDate`, or
/// for the link lifetime from the server start).
fn register_download_jobs(data: &mut Dataset, downloads: &Downloads, clock: &MockClock) {
    let start = clock.now();
    let lifetime = chrono::Duration::from_std(downloads.settings.lifetime())
        .unwrap_or(chrono::Duration::hours(4));
    for g in &mut data.groups {
        for c in &mut g.clusters {
            let archives: Vec<_> = c
                .restore_jobs
                .iter()
                .map(|j| c.snapshot(&j.snapshot_id).and_then(|s| s.archive))
                .collect();
            for (j, archive) in c.restore_jobs.iter_mut().zip(archives) {
                if j.delivery != Delivery::Download {
                    continue;
                }
                let Some(layout) = layout_for(
                    &downloads.settings,
                    j.snapshot_id.as_str(),
                    archive.as_ref(),
                ) else {
                    continue;
                };
                let created = j.scheduled.unwrap_or(start);
                let expires = j.expiration.unwrap_or(created + lifetime);
                j.expiration = Some(expires);
                let link = downloads.create(
                    NewLink {
                        group: g.id.clone(),
                        cluster: c.name.clone(),
                        job_id: j.id.clone(),
                        layout,
                        created,
                        expires,
                    },
                    start,
                );
                j.link = Some(link.token.clone());
            }
        }
    }
}
