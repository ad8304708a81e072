//! [`MockHandle`]: a running mock, and [`MockStats`].

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use atlas_model::{ClusterName, GroupId, TenantSnapshot};
use serde::Serialize;
use tokio::sync::watch;

use crate::clock::MockClock;
use crate::data::{ClusterKind, StoredSnapshot};
use crate::faults::{FaultPlan, FaultState};
use crate::journal::JournalEntry;
use crate::lifecycle::Lifecycle;
use crate::server::Shared;
use crate::server::listener::DrainReport;
use crate::{ApiKey, MockError, ratelimit, seed};

/// A running mock. Dropping it stops the server (best effort); [`MockHandle::shutdown`] waits for it.
pub struct MockHandle {
    base_url: String,
    addr: SocketAddr,
    key: ApiKey,
    ca_pem: Option<String>,
    pub(crate) shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<DrainReport>>,
}

impl fmt::Debug for MockHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockHandle")
            .field("base_url", &self.base_url)
            .field("key", &self.key)
            .field("admin_token", &"** redacted **")
            .field("tls", &self.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

/// Sizes of the mock's bounded tables and counters of its connections, for tests that check memory
/// stays bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MockStats {
    /// Requests journaled since start (admin routes excluded).
    pub requests: u64,
    /// Entries in the journal now.
    pub journal_len: usize,
    /// Journal capacity (entries).
    pub journal_capacity: usize,
    /// Bytes the journal holds now (as it counts them: every string plus a fixed cost per entry).
    pub journal_bytes: usize,
    /// The most bytes the journal holds.
    pub journal_max_bytes: usize,
    /// Nonces the digest server tracks now.
    pub digest_nonces: usize,
    /// The most nonces it will track.
    pub digest_nonce_capacity: usize,
    /// Token buckets (one per key seen).
    pub rate_limit_buckets: usize,
    /// Connections open now.
    pub connections_open: usize,
    /// Connections accepted since start (refused ones included).
    pub connections_accepted: u64,
    /// Connections closed at once because `max_connections` were open.
    pub connections_refused: u64,
    /// Connections closed because a request head (or the first request, or a TLS handshake) did not
    /// arrive within the header read timeout.
    pub header_timeouts: u64,
    /// Connections answered `431` and closed because a request head exceeded `max_header_bytes`.
    pub headers_too_large: u64,
    /// Failed TLS handshakes.
    pub tls_failures: u64,
    /// Mock-clock time since start, in milliseconds.
    pub clock_elapsed_ms: u64,
}

pub(crate) fn stats(shared: &Shared) -> MockStats {
    let (digest_nonces, digest_nonce_capacity) = shared.auth.table_sizes();
    let c = &shared.conns;
    MockStats {
        requests: shared.journal.total(),
        journal_len: shared.journal.len(),
        journal_capacity: shared.journal.capacity(),
        journal_bytes: shared.journal.bytes(),
        journal_max_bytes: shared.journal.byte_limit(),
        digest_nonces,
        digest_nonce_capacity,
        rate_limit_buckets: shared
            .limiter
            .as_ref()
            .map_or(0, ratelimit::RateLimiter::len),
        connections_open: c.open.load(Ordering::Relaxed),
        connections_accepted: c.accepted.load(Ordering::Relaxed),
        connections_refused: c.refused.load(Ordering::Relaxed),
        header_timeouts: c.header_timeouts.load(Ordering::Relaxed),
        headers_too_large: c.headers_too_large.load(Ordering::Relaxed),
        tls_failures: c.tls_failures.load(Ordering::Relaxed),
        clock_elapsed_ms: u64::try_from(shared.clock.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// What a shutdown did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Connections open when the shutdown began (they finished their current request).
    pub drained: usize,
    /// Connections still busy when the drain timeout ran out, and cut.
    pub cut: usize,
}

/// Quotes a string for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn parse<T: std::str::FromStr<Err = atlas_model::IdError>>(s: &str) -> Result<T, MockError> {
    s.parse::<T>()
        .map_err(|e| MockError::Data(format!("{e} (value {s:?})")))
}

impl MockHandle {
    pub(crate) fn new(
        base_url: String,
        addr: SocketAddr,
        key: ApiKey,
        ca_pem: Option<String>,
        shared: Arc<Shared>,
        shutdown: watch::Sender<bool>,
        task: tokio::task::JoinHandle<DrainReport>,
    ) -> Self {
        Self {
            base_url,
            addr,
            key,
            ca_pem,
            shared,
            shutdown,
            task: Some(task),
        }
    }

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
        self.key.public_key()
    }

    /// Private key of the first configured (or the generated) key.
    pub fn private_key(&self) -> &str {
        self.key.private_key()
    }

    /// Every key the mock accepts.
    pub fn keys(&self) -> &[ApiKey] {
        &self.shared.keys
    }

    /// The admin token the `/__mock/` routes require (`Authorization: Bearer TOKEN`).
    pub fn admin_token(&self) -> &str {
        &self.shared.admin_token
    }

    /// In TLS mode: the PEM of the CA that signed the server certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The mock clock: lifecycles, nonce expiry and rate-limit refill read it;
    /// [`MockClock::advance`] moves them all.
    pub fn clock(&self) -> &MockClock {
        &self.shared.clock
    }

    /// The URL of the seed snapshot on the v1.0 tenant endpoint (deprecated; sunset in Atlas on
    /// 2026-01-22): the seed document's own call.
    pub fn seed_snapshot_url(&self) -> String {
        format!(
            "{}/api/atlas/v1.0/groups/{}/clusters/{}/backup/tenant/snapshots/{}",
            self.base_url,
            seed::GROUP_ID,
            seed::CLUSTER_NAME,
            seed::SNAPSHOT_ID
        )
    }

    /// The URL of a flex snapshot (the call that works for most users today): the first flex
    /// cluster of the first group and its first snapshot, the seed's
    /// [`seed::FLEX_SNAPSHOT_ID`] by default (and the seed's ids when the data has no flex snapshot).
    pub fn flex_snapshot_url(&self) -> String {
        let (g, c, s) = self.first_flex_snapshot().unwrap_or_else(|| {
            (
                seed::GROUP_ID.to_owned(),
                seed::FLEX_CLUSTER_NAME.to_owned(),
                seed::FLEX_SNAPSHOT_ID.to_owned(),
            )
        });
        format!(
            "{}/api/atlas/v2/groups/{g}/flexClusters/{c}/backup/snapshots/{s}",
            self.base_url
        )
    }

    /// (group, flex cluster, snapshot) of the first flex snapshot in the data, if any.
    pub(crate) fn first_flex_snapshot(&self) -> Option<(String, String, String)> {
        self.first_snapshot(ClusterKind::Flex)
    }

    /// (group, cluster, snapshot) of the first snapshot of a cluster of `kind` in the data.
    pub(crate) fn first_snapshot(&self, kind: ClusterKind) -> Option<(String, String, String)> {
        let data = self.shared.data.read().unwrap_or_else(|e| e.into_inner());
        data.groups.iter().find_map(|g| {
            g.clusters.iter().filter(|c| c.kind == kind).find_map(|c| {
                c.snapshots.first().and_then(|s| {
                    s.id()
                        .map(|id| (g.id.to_string(), c.name.to_string(), id.to_string()))
                })
            })
        })
    }

    /// The journal, oldest first (at most the configured capacity and bytes).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.journal_since(0)
    }

    /// The journal entries with `seq > since`, oldest first.
    pub fn journal_since(&self, since: u64) -> Vec<JournalEntry> {
        self.shared
            .journal
            .since(since)
            .into_iter()
            .map(|e| (*e).clone())
            .collect()
    }

    /// Forgets every journal entry (sequence numbers go on); returns how many there were.
    pub fn clear_journal(&self) -> usize {
        self.shared.journal.clear()
    }

    /// Sizes of the bounded tables and connection counters.
    pub fn stats(&self) -> MockStats {
        stats(&self.shared)
    }

    /// A ready `curl --digest` command line for a flex snapshot ([`MockHandle::flex_snapshot_url`]).
    /// In TLS mode it names the CA file as `atlas-mock-ca.pem`; use
    /// [`MockHandle::curl_example_with_ca`] to name the real one.
    pub fn curl_example(&self) -> String {
        self.curl_line(
            self.ca_pem.is_some().then_some("atlas-mock-ca.pem"),
            &self.flex_snapshot_url(),
            "application/vnd.atlas.2024-11-13+json",
        )
    }

    /// As [`MockHandle::curl_example`], with `--cacert` pointing at `ca_file`.
    pub fn curl_example_with_ca(&self, ca_file: &std::path::Path) -> String {
        self.curl_line(
            Some(&ca_file.display().to_string()),
            &self.flex_snapshot_url(),
            "application/vnd.atlas.2024-11-13+json",
        )
    }

    /// The `curl --digest` line for the seed document's own call (the deprecated v1.0 tenant
    /// endpoint) on the first tenant snapshot of the data (the seed's by default), with
    /// `--cacert ca_file` in TLS mode. `None` when the data has no tenant snapshot.
    pub fn curl_tenant_example(&self, ca_file: Option<&std::path::Path>) -> Option<String> {
        let (g, c, s) = self.first_snapshot(ClusterKind::Tenant)?;
        let url = format!(
            "{}/api/atlas/v1.0/groups/{g}/clusters/{c}/backup/tenant/snapshots/{s}",
            self.base_url
        );
        let ca = ca_file.map(|p| p.display().to_string());
        Some(
            self.curl_line(
                ca.as_deref()
                    .or(self.ca_pem.is_some().then_some("atlas-mock-ca.pem")),
                &url,
                "application/json",
            ),
        )
    }

    fn curl_line(&self, ca: Option<&str>, url: &str, accept: &str) -> String {
        let mut s = format!(
            "curl --user {} --digest --include --header {}",
            shell_quote(&format!("{}:{}", self.public_key(), self.private_key())),
            shell_quote(&format!("Accept: {accept}"))
        );
        if let Some(ca) = ca {
            s.push_str(&format!(" --cacert {}", shell_quote(ca)));
        }
        s.push_str(&format!(" {}", shell_quote(&format!("{url}?pretty=true"))));
        s
    }

    /// Switches "after sunset" mode on or off while running.
    pub fn set_sunset(&self, yes: bool) {
        self.shared.sunset.store(yes, Ordering::Relaxed);
    }

    /// Replaces the fault plan (its counters start from zero).
    pub fn set_faults(&self, plan: FaultPlan) {
        self.shared.set_faults(FaultState::new(plan));
    }

    /// Adds a group; with `None`, the server chooses its id. Returns the id.
    pub fn create_group(&self, id: Option<&str>) -> Result<String, MockError> {
        let id: GroupId = match id {
            Some(s) => parse(s)?,
            None => parse(&self.shared.ids.next_hex(&self.shared.clock))?,
        };
        self.shared
            .data
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .add_group(id.clone())?;
        Ok(id.to_string())
    }

    /// Adds a cluster of `kind` named `name` to an existing group.
    pub fn create_cluster(
        &self,
        group: &str,
        name: &str,
        kind: ClusterKind,
    ) -> Result<(), MockError> {
        let g: GroupId = parse(group)?;
        let c: ClusterName = parse(name)?;
        let mut data = self.shared.data.write().unwrap_or_else(|e| e.into_inner());
        if !data.has_group(&g) {
            return Err(MockError::Data(format!("no group {g}")));
        }
        data.insert_cluster(g, c, kind)
    }

    /// Adds a snapshot now; a lifecycle with [`crate::Anchor::Creation`] counts from this moment on
    /// the mock clock. Without an id the server chooses one. Returns the snapshot as it is served
    /// right now.
    pub fn create_snapshot(
        &self,
        group: &str,
        cluster: &str,
        mut snapshot: TenantSnapshot,
        lifecycle: Option<Lifecycle>,
    ) -> Result<serde_json::Value, MockError> {
        let g: GroupId = parse(group)?;
        let c: ClusterName = parse(cluster)?;
        let shared = &self.shared;
        if snapshot.id.is_none() {
            snapshot.id = Some(parse(&shared.ids.next_hex(&shared.clock))?);
        }
        let now = shared.clock.elapsed();
        let stored = StoredSnapshot {
            snapshot,
            lifecycle,
            created: Some(now),
        };
        let view = stored.view(&shared.clock, now);
        shared
            .data
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert_snapshot(&g, &c, stored)?;
        Ok(serde_json::to_value(view).unwrap_or_default())
    }

    /// Stops accepting, lets open connections finish their current request (at most the drain
    /// timeout, [`crate::Limits::drain_timeout`], 5 s by default), and waits.
    pub async fn shutdown(mut self) -> ShutdownReport {
        let _ = self.shutdown.send(true);
        match self.task.take() {
            Some(task) => match task.await {
                Ok(r) => ShutdownReport {
                    drained: r.open_at_start - r.cut,
                    cut: r.cut,
                },
                Err(_) => ShutdownReport { drained: 0, cut: 0 },
            },
            None => ShutdownReport { drained: 0, cut: 0 },
        }
    }
}

impl Drop for MockHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
