//! `atlas-mock`: a local MongoDB Atlas that serves the backup snapshot endpoints of shared-tier (M2/M5)
//! and flex clusters, with real HTTP Digest authentication, Atlas-shaped errors, lifecycles, faults and a
//! request journal. Any HTTP client can talk to it: curl, Python, the Atlas Go SDK, our own.
//!
//! Start it inside your tokio runtime; it listens on `127.0.0.1:0` by default:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), atlas_mock::MockError> {
//! use atlas_mock::{MockAtlas, seed};
//!
//! let mock = MockAtlas::builder().start().await?;
//! println!("{}", mock.base_url()); // http://127.0.0.1:PORT
//! println!("{}", mock.curl_example()); // a ready `curl --digest` line for the seed snapshot
//! assert!(mock.journal().is_empty());
//! assert_eq!(seed::CLUSTER_NAME, "M2AWS");
//! mock.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! What it serves (all `GET`):
//!
//! | route | answers with |
//! |---|---|
//! | `/api/atlas/v1.0/groups/{g}/clusters/{c}/backup/tenant/snapshots[/{s}]` | `application/json` |
//! | `/api/atlas/v2/groups/{g}/clusters/{c}/backup/tenant/snapshots[/{s}]` | `application/vnd.atlas.2023-01-01+json` |
//! | `/api/atlas/v2/groups/{g}/flexClusters/{name}/backup/snapshots[/{s}]` | `application/vnd.atlas.2024-11-13+json` |
//! | `/__mock/journal`, `/__mock/stats` (GET), `/__mock/snapshots` (POST) | admin, loopback peers only |
//!
//! The crate README lists every error it answers and the order in which checks run.

mod access;
mod auth;
mod body;
mod data;
mod faults;
mod journal;
mod lifecycle;
mod ratelimit;
mod render;
mod route;
pub mod seed;
mod serve;
mod server;
mod tls;

/// Entry points for this crate's fuzz targets (`fuzz/`). Not part of the supported API.
#[doc(hidden)]
pub mod fuzzing {
    /// Runs the mock's request-target parsing (path matching, ids, query, paging, `Accept`) on
    /// arbitrary input; never panics.
    pub fn request_target(path: &str, query: Option<&str>, accept: &str) -> usize {
        crate::server::fuzz_request_target(path, query, accept)
    }
}

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use atlas_model::{ClusterName, GroupId, TenantSnapshot};
use chrono::Utc;
use serde::Serialize;
use tokio::sync::watch;

pub use access::IpAccessList;
pub use auth::{DigestSettings, REALM};
pub use data::{ClusterKind, Dataset};
pub use faults::{Fault, FaultPlan, FaultRule};
pub use journal::{DEFAULT_JOURNAL_CAPACITY, JournalEntry};
pub use lifecycle::{Anchor, Lifecycle, LifecyclePhase, Outcome};
pub use ratelimit::RateLimit;
pub use route::RouteKind;
pub use serve::{ServeOptions, serve_until, serve_until_ctrl_c};

use crate::server::Shared;

/// Everything that can go wrong setting up or feeding the mock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Generating the certificate or the TLS configuration failed.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// A data set (JSON or built in code) is invalid.
    #[error("invalid data: {0}")]
    Data(String),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A setting is out of range or contradicts another.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The operating system's random source failed.
    #[error("random source failed: {0}")]
    Random(String),
    /// Other I/O (writing the startup banner, waiting for Ctrl-C).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// An API key pair: the public key is the digest username, the private key the password.
///
/// `Debug` never shows the private key.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    public: String,
    private: String,
    groups: Option<Vec<GroupId>>,
    access_list: Option<IpAccessList>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("public", &self.public)
            .field("private", &"** redacted **")
            .field("groups", &self.groups)
            .field("access_list", &self.access_list)
            .finish()
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if getrandom::fill(&mut buf).is_err() {
        // Fallback: mix the clock and a counter. Only keys for a local test server depend on it.
        use std::sync::atomic::AtomicU64;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let mut x = nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32);
        for b in &mut buf {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *b = (z ^ (z >> 31)) as u8;
        }
    }
    buf
}

impl ApiKey {
    /// A key pair with access to every group.
    pub fn new(public: impl Into<String>, private: impl Into<String>) -> Self {
        Self {
            public: public.into(),
            private: private.into(),
            groups: None,
            access_list: None,
        }
    }

    /// Restricts the key to these groups; other groups answer `403`.
    pub fn groups(mut self, ids: impl IntoIterator<Item = GroupId>) -> Self {
        self.groups = Some(ids.into_iter().collect());
        self
    }

    /// Gives the key its own IP access list (as Atlas API keys have), checked after the server-wide one
    /// ([`MockBuilder::ip_access_list`]): peers outside it get `403 IP_ADDRESS_NOT_ON_ACCESS_LIST`.
    pub fn access_list(mut self, list: IpAccessList) -> Self {
        self.access_list = Some(list);
        self
    }

    /// The key's own IP access list, if any.
    pub fn ip_access_list(&self) -> Option<&IpAccessList> {
        self.access_list.as_ref()
    }

    /// A random pair shaped like Atlas's: 8 lower-case letters, and a UUID as the private key.
    pub fn generate() -> Self {
        let r: [u8; 24] = random_bytes();
        let public: String = r[..8].iter().map(|b| char::from(b'a' + b % 26)).collect();
        let mut u = [0u8; 16];
        u.copy_from_slice(&r[8..]);
        u[6] = (u[6] & 0x0f) | 0x40;
        u[8] = (u[8] & 0x3f) | 0x80;
        let hex: String = u.iter().map(|b| format!("{b:02x}")).collect();
        let private = format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        );
        Self::new(public, private)
    }

    /// The public key (digest username).
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The private key (digest password).
    pub fn private_key(&self) -> &str {
        &self.private
    }

    /// The groups the key is restricted to, `None` for all.
    pub fn group_restriction(&self) -> Option<&[GroupId]> {
        self.groups.as_deref()
    }
}

/// Entry point: [`MockAtlas::builder`].
#[derive(Debug)]
pub struct MockAtlas(());

impl MockAtlas {
    /// A builder with the defaults: `127.0.0.1:0`, one generated key, the seed data, plain HTTP,
    /// MD5 digest with `qop=auth` and 300 s nonces, no rate limit, no faults.
    pub fn builder() -> MockBuilder {
        MockBuilder::default()
    }
}

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

    /// Digest settings: algorithms, qop, nonce lifetime.
    pub fn digest(mut self, d: DigestSettings) -> Self {
        self.digest = d;
        self
    }

    /// A token bucket per key (off by default).
    pub fn rate_limit(mut self, r: RateLimit) -> Self {
        self.rate_limit = Some(r);
        self
    }

    /// Faults to inject.
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

    /// Binds, generates what is needed (keys, TLS material, digest secret) and starts serving on the
    /// current tokio runtime.
    pub async fn start(self) -> Result<MockHandle, MockError> {
        let mut keys = self.keys;
        if keys.is_empty() {
            keys.push(ApiKey::generate());
        }
        for (i, k) in keys.iter().enumerate() {
            if k.public.is_empty() || k.private.is_empty() {
                return Err(MockError::InvalidConfig(
                    "API keys need a non-empty public and private key".into(),
                ));
            }
            if keys[..i].iter().any(|o| o.public == k.public) {
                return Err(MockError::InvalidConfig(format!(
                    "API key {} given twice",
                    k.public
                )));
            }
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
        let mut shown = addr;
        if shown.ip().is_unspecified() {
            shown.set_ip(if addr.is_ipv4() {
                [127, 0, 0, 1].into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        let base_url = format!("{scheme}://{shown}");
        let shared = Arc::new(Shared {
            data: RwLock::new(self.data.unwrap_or_else(Dataset::seed)),
            clock: data::Clock {
                start: Instant::now(),
                start_wall: Utc::now(),
            },
            keys: keys.clone(),
            auth,
            sunset: AtomicBool::new(self.sunset),
            faults: faults::FaultState::new(self.faults),
            limiter: self.rate_limit.map(ratelimit::RateLimiter::new),
            ip_list: self.ip_access_list,
            noauth: self.noauth,
            journal: journal::Journal::new(self.journal_capacity),
            scheme,
            addr,
        });
        let (tx, rx) = watch::channel(false);
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        let task = tokio::spawn(server::accept_loop(
            listener,
            shared.clone(),
            tls.map(|t| t.acceptor),
            rx,
        ));
        tracing::info!(%base_url, "atlas-mock listening");
        Ok(MockHandle {
            base_url,
            addr,
            key: keys.swap_remove(0),
            ca_pem,
            shared,
            shutdown: tx,
            task: Some(task),
        })
    }
}

/// A running mock. Dropping it stops the server (best effort); [`MockHandle::shutdown`] waits for it.
pub struct MockHandle {
    base_url: String,
    addr: SocketAddr,
    key: ApiKey,
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for MockHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockHandle")
            .field("base_url", &self.base_url)
            .field("key", &self.key)
            .field("tls", &self.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

/// Sizes of the mock's bounded tables, for tests that check memory stays bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MockStats {
    /// Requests journaled since start (admin routes excluded).
    pub requests: u64,
    /// Entries in the journal now.
    pub journal_len: usize,
    /// Journal capacity.
    pub journal_capacity: usize,
    /// Nonces the digest server tracks now.
    pub digest_nonces: usize,
    /// The most nonces it will track.
    pub digest_nonce_capacity: usize,
    /// Token buckets (one per key seen).
    pub rate_limit_buckets: usize,
}

pub(crate) fn stats(shared: &Shared) -> MockStats {
    let (digest_nonces, digest_nonce_capacity) = shared.auth.table_sizes();
    MockStats {
        requests: shared.journal.total(),
        journal_len: shared.journal.len(),
        journal_capacity: shared.journal.capacity(),
        digest_nonces,
        digest_nonce_capacity,
        rate_limit_buckets: shared
            .limiter
            .as_ref()
            .map_or(0, ratelimit::RateLimiter::len),
    }
}

pub(crate) fn create_snapshot(
    shared: &Shared,
    group: &str,
    cluster: &str,
    snapshot: TenantSnapshot,
    lifecycle: Option<Lifecycle>,
) -> Result<serde_json::Value, MockError> {
    let g: GroupId = group.parse().map_err(|e| MockError::Data(format!("{e}")))?;
    let c: ClusterName = cluster
        .parse()
        .map_err(|e| MockError::Data(format!("{e}")))?;
    let now = Instant::now();
    let stored = data::StoredSnapshot {
        snapshot,
        lifecycle,
        created: Some((now, Utc::now())),
    };
    let view = stored.view(&shared.clock, now);
    shared
        .data
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert_snapshot(&g, &c, stored)?;
    Ok(serde_json::to_value(view).unwrap_or_default())
}

/// Quotes a string for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl MockHandle {
    /// `http://127.0.0.1:PORT` or `https://...`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Public key of the first configured (or the generated) key.
    pub fn public_key(&self) -> &str {
        &self.key.public
    }

    /// Private key of the first configured (or the generated) key.
    pub fn private_key(&self) -> &str {
        &self.key.private
    }

    /// In TLS mode: the PEM of the CA that signed the server certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The URL of the seed snapshot on the v1.0 endpoint.
    pub fn seed_snapshot_url(&self) -> String {
        format!(
            "{}/api/atlas/v1.0/groups/{}/clusters/{}/backup/tenant/snapshots/{}",
            self.base_url,
            seed::GROUP_ID,
            seed::CLUSTER_NAME,
            seed::SNAPSHOT_ID
        )
    }

    /// The journal, oldest first (at most the configured capacity).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.shared.journal.snapshot()
    }

    /// Sizes of the bounded tables.
    pub fn stats(&self) -> MockStats {
        stats(&self.shared)
    }

    /// A ready `curl --digest` command line for the seed snapshot. In TLS mode it names the CA file as
    /// `atlas-mock-ca.pem`; use [`MockHandle::curl_example_with_ca`] to name the real one.
    pub fn curl_example(&self) -> String {
        self.curl_line(self.ca_pem.is_some().then_some("atlas-mock-ca.pem"))
    }

    /// As [`MockHandle::curl_example`], with `--cacert` pointing at `ca_file`.
    pub fn curl_example_with_ca(&self, ca_file: &std::path::Path) -> String {
        self.curl_line(Some(&ca_file.display().to_string()))
    }

    fn curl_line(&self, ca: Option<&str>) -> String {
        let mut s = format!(
            "curl --user {} --digest --include --header 'Accept: application/json'",
            shell_quote(&format!("{}:{}", self.key.public, self.key.private))
        );
        if let Some(ca) = ca {
            s.push_str(&format!(" --cacert {}", shell_quote(ca)));
        }
        s.push_str(&format!(
            " {}",
            shell_quote(&format!("{}?pretty=true", self.seed_snapshot_url()))
        ));
        s
    }

    /// Switches "after sunset" mode on or off while running.
    pub fn set_sunset(&self, yes: bool) {
        self.shared.sunset.store(yes, Ordering::Relaxed);
    }

    /// Adds a snapshot now; a lifecycle with [`Anchor::Creation`] counts from this moment.
    /// Returns the snapshot as it is served right now.
    pub fn create_snapshot(
        &self,
        group: &str,
        cluster: &str,
        snapshot: TenantSnapshot,
        lifecycle: Option<Lifecycle>,
    ) -> Result<serde_json::Value, MockError> {
        create_snapshot(&self.shared, group, cluster, snapshot, lifecycle)
    }

    /// Stops accepting, lets open connections finish their current request (at most 5 s), and waits.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
