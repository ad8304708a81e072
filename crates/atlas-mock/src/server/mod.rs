//! The HTTP side, one job per file:
//!
//! - [`listener`]: the accept loop, the connection cap and the bounded drain on shutdown;
//! - [`conn`]: one connection (plain or TLS, HTTP/1.1 or HTTP/2) with hyper's timer, the header-size
//!   cap and the first-request deadline;
//! - [`handler`]: one request: which surface it is for (`/api/atlas`, the `/noauth` twin, `/__mock`),
//!   the journal entry, and the answer;
//! - [`reply`]: building answers the way Atlas writes them (error bodies, `X-Error-Code`, `pretty`,
//!   `envelope`, `Authentication-Info`);
//! - [`query`]: query strings (boolean flags as Atlas reads them, paging).
//!
//! The Atlas API itself is in [`crate::api`] and the admin routes in [`crate::admin`].

pub(crate) mod conn;
pub(crate) mod handler;
pub(crate) mod listener;
pub(crate) mod query;
pub(crate) mod reply;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use crate::ApiKey;
use crate::access::IpAccessList;
use crate::auth::Auth;
use crate::clock::MockClock;
use crate::data::{Dataset, IdGenerator};
use crate::downloads::Downloads;
use crate::faults::FaultState;
use crate::journal::Journal;
use crate::lifecycle::Lifecycle;
use crate::limits::Limits;
use crate::oauth::OAuth;
use crate::ratelimit::RateLimiter;

/// Everything the request handler needs, shared by all connections.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) data: RwLock<Dataset>,
    pub(crate) clock: MockClock,
    pub(crate) keys: Vec<ApiKey>,
    pub(crate) auth: Auth,
    pub(crate) sunset: AtomicBool,
    /// Replaced as a whole by `PUT /__mock/faults`; requests in flight keep the plan they started with.
    pub(crate) faults: RwLock<Arc<FaultState>>,
    pub(crate) limiter: Option<RateLimiter>,
    pub(crate) ip_list: Option<IpAccessList>,
    pub(crate) noauth: bool,
    pub(crate) journal: Journal,
    pub(crate) scheme: &'static str,
    pub(crate) addr: SocketAddr,
    pub(crate) limits: Limits,
    pub(crate) admin_token: String,
    pub(crate) conns: ConnStats,
    pub(crate) ids: IdGenerator,
    /// Download links and archive CRCs.
    pub(crate) downloads: Downloads,
    /// The lifecycle of restore jobs made through the API (counted from their creation).
    pub(crate) restore_lifecycle: Lifecycle,
    /// Service accounts and their tokens.
    pub(crate) oauth: OAuth,
    /// The lifecycle of on-demand snapshots of dedicated clusters (counted from their creation).
    pub(crate) on_demand_lifecycle: Lifecycle,
}

impl Shared {
    pub(crate) fn faults(&self) -> Arc<FaultState> {
        self.faults
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn set_faults(&self, state: FaultState) {
        *self.faults.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(state);
    }

    pub(crate) fn sunset(&self) -> bool {
        self.sunset.load(Ordering::Relaxed)
    }

    /// The authorities (`host:port`) a request's `Host` may name: the listen address as shown in the
    /// base URL, and `localhost:PORT` when listening on loopback or on every address.
    pub(crate) fn own_authorities(&self) -> Vec<String> {
        let port = self.addr.port();
        let mut out = vec![shown_authority(self.addr)];
        let ip = self.addr.ip();
        if ip.is_loopback() || ip.is_unspecified() {
            out.push(format!("localhost:{port}"));
            out.push(format!("127.0.0.1:{port}"));
            out.push(format!("[::1]:{port}"));
        }
        out
    }
}

/// The address as the base URL shows it: an unspecified address becomes loopback.
pub(crate) fn shown_authority(addr: SocketAddr) -> String {
    let mut shown = addr;
    if shown.ip().is_unspecified() {
        shown.set_ip(if addr.is_ipv4() {
            [127, 0, 0, 1].into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    shown.to_string()
}

/// Counters of the connection layer.
#[derive(Debug, Default)]
pub(crate) struct ConnStats {
    pub(crate) open: AtomicUsize,
    pub(crate) accepted: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) header_timeouts: AtomicU64,
    pub(crate) headers_too_large: AtomicU64,
    pub(crate) tls_failures: AtomicU64,
}

impl ConnStats {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
