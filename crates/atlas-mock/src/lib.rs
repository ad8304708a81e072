//! `atlas-mock`: a local MongoDB Atlas that serves the backup snapshot endpoints of flex,
//! dedicated and shared-tier (M2/M5) clusters, flex downloads and restore jobs, and service-account
//! tokens, with real HTTP Digest authentication, Atlas-shaped errors and
//! headers, rate limits, lifecycles on a mock clock, faults and a request journal. Any HTTP client can
//! talk to it: curl, Python, the Atlas Go SDK, our own. Every control is also reachable without Rust:
//! the `atlas-snapshots mock` command, a data file (JSON Schema in `schema/`), and the admin API.
//!
//! Start it inside your tokio runtime; it listens on `127.0.0.1:0` by default:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), atlas_mock::MockError> {
//! use std::time::Duration;
//! use atlas_mock::{ClockMode, MockAtlas, seed};
//!
//! let mock = MockAtlas::builder().clock(ClockMode::Manual).start().await?;
//! println!("{}", mock.base_url()); // http://127.0.0.1:PORT
//! // The call that works for most users today: a flex snapshot (M2/M5 became flex in 2026).
//! println!("{}", mock.flex_snapshot_url());
//! println!("{}", mock.curl_example()); // a ready `curl --digest` line for it
//! assert!(mock.journal().is_empty());
//! mock.clock().advance(Duration::from_secs(3)); // the seed's lifecycle snapshot is COMPLETED now
//! assert_eq!(seed::FLEX_CLUSTER_NAME, "FlexAWS");
//! mock.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! What it serves:
//!
//! | route | answers with |
//! |---|---|
//! | `GET /api/atlas/v2/groups/{g}/flexClusters/{name}/backup/snapshots[/{s}]` | `application/vnd.atlas.2024-11-13+json` |
//! | `POST .../flexClusters/{name}/backup/download`, `GET`/`POST .../backup/restoreJobs`, `GET .../restoreJobs/{id}` | `application/vnd.atlas.2024-11-13+json` |
//! | `GET`/`HEAD` of a download link (`/flex-snapshot-downloads/...`) | `application/gzip`: a generated `.tgz` with `Range` support |
//! | `GET`/`POST /api/atlas/v2/groups/{g}/clusters/{c}/backup/snapshots`, `GET`/`DELETE .../{s}` | `application/vnd.atlas.2023-01-01+json` (dedicated clusters) |
//! | `POST /api/oauth/token`, `POST /api/oauth/revoke` | `application/json` (service accounts; their tokens work on every route) |
//! | `GET /api/atlas/v1.0/groups/{g}/clusters/{c}/backup/tenant/snapshots[/{s}]` | `application/json` (deprecated, sunset 2026-01-22) |
//! | `GET /api/atlas/v2/groups/{g}/clusters/{c}/backup/tenant/snapshots[/{s}]` | `application/vnd.atlas.2023-01-01+json` (deprecated) |
//! | `/__mock/...` | the admin API (loopback peers, admin token; the crate README lists its routes) |
//!
//! The crate README lists every error it answers and the order in which checks run. The code: the
//! HTTP side in `server/` (connections, one request, answers), the Atlas API in `api/` (one file per
//! family of routes), the download links and their archives in `downloads/`, the admin API in
//! `admin/`, and the mock clock in `clock.rs`.

mod access;
mod admin;
mod api;
mod auth;
mod body;
mod builder;
mod clock;
mod config;
mod data;
mod downloads;
mod faults;
mod handle;
mod journal;
mod lifecycle;
mod limits;
mod oauth;
mod principal;
mod ratelimit;
mod render;
mod roles;
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
        crate::api::fuzz_request_target(path, query, accept)
    }

    /// Runs the download links' `Range` parsing and the token endpoint's Basic-credentials decoding
    /// on arbitrary input; never panics. `Err` names a range outside the archive (a bug).
    pub fn download_and_oauth_headers(value: &str, size: u64) -> Result<usize, String> {
        let size = size.max(1);
        let mut n = match crate::downloads::serve::parse_range(value, size) {
            crate::downloads::serve::RangeAsk::Part(s, e) if s < e && e <= size => 2,
            crate::downloads::serve::RangeAsk::Part(s, e) => {
                return Err(format!("range {s}..{e} outside an archive of {size} bytes"));
            }
            crate::downloads::serve::RangeAsk::Whole => 1,
            crate::downloads::serve::RangeAsk::Unsatisfiable => 0,
        };
        if let Ok(v) = http::HeaderValue::from_str(value) {
            let mut parts = http::Request::new(()).into_parts().0;
            parts.headers.insert(http::header::AUTHORIZATION, v);
            n += crate::oauth::basic_credentials(&parts).map_or(0, |(a, b)| a.len() + b.len());
        }
        Ok(n)
    }
}

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use atlas_model::GroupId;

pub use access::IpAccessList;
/// The digest types [`DigestSettings`] takes, re-exported so that users of the mock need no direct
/// dependency on `atlas-digest`.
pub use atlas_digest::{Algorithm, NonceFormat, Opaque, Qop, QopParam};
pub use auth::{AuthenticationInfo, DigestSettings, REALM};
pub use builder::MockBuilder;
pub use clock::{ClockMode, MockClock};
pub use config::MockConfig;
pub use data::{ClusterKind, Dataset, DedicatedCluster, FirstIds};
pub use downloads::DownloadSettings;
pub use downloads::archive::{DEFAULT_ARCHIVE_BYTES, MAX_ARCHIVE_BYTES, MIN_ARCHIVE_BYTES};
pub use faults::{Fault, FaultPlan, FaultRule, PathPattern};
pub use handle::{MockHandle, MockStats, ShutdownReport};
pub use journal::{
    AuthSummary, DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_CAPACITY, JOURNAL_MAX_HEADER_VALUE,
    JOURNAL_MAX_HEADERS, JOURNAL_MAX_TARGET, JournalEntry,
};
pub use lifecycle::{Anchor, Lifecycle, LifecyclePhase, Outcome};
pub use limits::Limits;
pub use oauth::{OAuthSettings, ServiceAccount};
pub use ratelimit::RateLimit;
pub use roles::Role;
pub use route::RouteKind;
pub use serve::{
    Announce, KeyInfo, ReadyInfo, ServeOptions, ServiceAccountInfo, SnapshotRef, serve_until,
    serve_until_signal,
};

pub(crate) use handle::stats;

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
    roles: Option<Vec<Role>>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("public", &self.public)
            .field("private", &"** redacted **")
            .field("groups", &self.groups)
            .field("access_list", &self.access_list)
            .field("roles", &self.roles)
            .finish()
    }
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if getrandom::fill(&mut buf).is_err() {
        // Fallback: mix the clock and a counter. Only keys for a local test server depend on it.
        use std::sync::atomic::{AtomicU64, Ordering};
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
            roles: None,
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

    /// Gives the key Atlas roles (default: none given, which is `GROUP_OWNER`: everything). A key
    /// with `GROUP_READ_ONLY` only reads; downloads need `GROUP_BACKUP_EXPORT_OPERATOR`, restores
    /// `GROUP_BACKUP_RECOVERY_OPERATOR` (or the manager or owner roles). A missing role is
    /// answered `401 USER_UNAUTHORIZED`, as Atlas does.
    pub fn roles(mut self, roles: impl IntoIterator<Item = Role>) -> Self {
        self.roles = Some(roles.into_iter().collect());
        self
    }

    /// The roles the key is restricted to, `None` for all (owner).
    pub fn role_restriction(&self) -> Option<&[Role]> {
        self.roles.as_deref()
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
    /// MD5 digest with `qop=auth` and 300 s nonces, a real-time clock, no rate limit, no faults.
    pub fn builder() -> MockBuilder {
        MockBuilder::default()
    }
}
