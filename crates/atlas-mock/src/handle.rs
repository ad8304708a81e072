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
use crate::{ApiKey, DedicatedCluster, MockError, ServiceAccount, ratelimit, seed};

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
    /// Download links kept (at most 10,000).
    pub download_links: usize,
    /// Service accounts.
    pub service_accounts: usize,
    /// Live access tokens (at most 100 per service account by default).
    pub oauth_tokens: usize,
    /// Buckets of the token endpoint's rate limiter (at most 4096).
    pub oauth_rate_buckets: usize,
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
        download_links: shared.downloads.len(),
        service_accounts: shared.oauth.accounts().len(),
        oauth_tokens: shared.oauth.tokens.len(shared.clock.elapsed()),
        oauth_rate_buckets: shared.oauth.buckets(),
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
                let id = if kind == ClusterKind::Dedicated {
                    c.cloud_snapshots.first().map(|s| s.id.to_string())
                } else {
                    c.snapshots
                        .first()
                        .and_then(|s| s.id().map(ToString::to_string))
                };
                id.map(|id| (g.id.to_string(), c.name.to_string(), id))
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

    /// Adds a dedicated cluster (replica set or sharded, see [`DedicatedCluster`]) to an existing
    /// group.
    pub fn create_dedicated_cluster(
        &self,
        group: &str,
        name: &str,
        spec: DedicatedCluster,
    ) -> Result<(), MockError> {
        let g: GroupId = parse(group)?;
        let c: ClusterName = parse(name)?;
        let mut data = self.shared.data.write().unwrap_or_else(|e| e.into_inner());
        if !data.has_group(&g) {
            return Err(MockError::Data(format!("no group {g}")));
        }
        data.insert_cluster(g.clone(), c.clone(), ClusterKind::Dedicated)?;
        if let Some(cl) = data.cluster_mut(&g, &c) {
            cl.dedicated = Some(spec);
        }
        Ok(())
    }

    /// Adds a cloud backup snapshot to a dedicated cluster, in the data-file form (`{"id"?,
    /// "status" | "lifecycle", "description", "createdAt", ...}`; the id is chosen when absent, a
    /// lifecycle counts from now unless it says `"anchor": "serverStart"`). Returns it as served.
    pub fn create_cloud_snapshot(
        &self,
        group: &str,
        cluster: &str,
        snapshot: serde_json::Value,
    ) -> Result<serde_json::Value, MockError> {
        let g: GroupId = parse(group)?;
        let c: ClusterName = parse(cluster)?;
        let serde_json::Value::Object(mut raw) = snapshot else {
            return Err(MockError::Data("a snapshot is a JSON object".into()));
        };
        if !raw.contains_key("id") {
            raw.insert(
                "id".into(),
                self.shared.ids.next_hex(&self.shared.clock).into(),
            );
        }
        if let Some(serde_json::Value::Object(l)) = raw.get_mut("lifecycle") {
            l.entry("anchor").or_insert_with(|| "creation".into());
        }
        crate::admin::data::insert_cloud(&self.shared, &g, &c, &serde_json::Value::Object(raw))
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
            archive: None,
        };
        let view = stored.view(&shared.clock, now);
        shared
            .data
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert_snapshot(&g, &c, stored)?;
        Ok(serde_json::to_value(view).unwrap_or_default())
    }

    /// The first service account (the configured one, or the one generated at start): its client
    /// id and secret get tokens from [`MockHandle::token_url`].
    pub fn service_account(&self) -> ServiceAccount {
        self.shared
            .oauth
            .accounts()
            .first()
            .map(|a| (**a).clone())
            .unwrap_or_else(ServiceAccount::generate)
    }

    /// Every service account.
    pub fn service_accounts(&self) -> Vec<ServiceAccount> {
        self.shared
            .oauth
            .accounts()
            .iter()
            .map(|a| (**a).clone())
            .collect()
    }

    /// Adds a service account while running (its client id must be new).
    pub fn create_service_account(&self, account: ServiceAccount) -> Result<(), MockError> {
        self.shared.oauth.add(account)
    }

    /// `{base}/api/oauth/token`: where service accounts get access tokens.
    pub fn token_url(&self) -> String {
        format!("{}{}", self.base_url, crate::oauth::TOKEN_PATH)
    }

    /// `{base}/api/oauth/revoke`.
    pub fn revoke_url(&self) -> String {
        format!("{}{}", self.base_url, crate::oauth::REVOKE_PATH)
    }

    /// Live access tokens of a service account (on the mock clock).
    pub fn live_tokens(&self, client_id: &str) -> usize {
        self.shared
            .oauth
            .tokens
            .live(client_id, self.shared.clock.elapsed())
    }

    /// Revokes every token of a service account (its next API request answers `401`); returns
    /// how many were live.
    pub fn revoke_tokens(&self, client_id: &str) -> usize {
        self.shared
            .oauth
            .tokens
            .revoke_all(client_id, self.shared.clock.elapsed())
    }

    /// A ready `curl` line that gets an access token for the first service account.
    pub fn curl_token_example(&self, ca_file: Option<&std::path::Path>) -> String {
        let sa = self.service_account();
        let mut s = format!(
            "curl --user {} --data grant_type=client_credentials --header 'Accept: application/json'",
            shell_quote(&format!("{}:{}", sa.client_id(), sa.client_secret()))
        );
        let ca = ca_file.map(|p| p.display().to_string()).or_else(|| {
            self.ca_pem
                .is_some()
                .then(|| "atlas-mock-ca.pem".to_owned())
        });
        if let Some(ca) = ca {
            s.push_str(&format!(" --cacert {}", shell_quote(&ca)));
        }
        s.push_str(&format!(" {}", shell_quote(&self.token_url())));
        s
    }

    /// Adds a restore job to a flex cluster, in the data-file form (`{"snapshotId",
    /// "targetDeploymentItemName", "status" | "lifecycle", "deliveryType": "DOWNLOAD", ...}`; see
    /// the JSON Schema). Without an id the server chooses one; a lifecycle counts from now unless
    /// it says `"anchor": "serverStart"`; a `DOWNLOAD` job gets a link. Returns the job as served.
    pub fn create_restore_job(
        &self,
        group: &str,
        cluster: &str,
        job: serde_json::Value,
    ) -> Result<serde_json::Value, MockError> {
        let g: GroupId = parse(group)?;
        let c: ClusterName = parse(cluster)?;
        let shared = &self.shared;
        let serde_json::Value::Object(mut raw) = job else {
            return Err(MockError::Data("a restore job is a JSON object".into()));
        };
        if !raw.contains_key("id") {
            raw.insert("id".into(), shared.ids.next_hex(&shared.clock).into());
        }
        if let Some(serde_json::Value::Object(l)) = raw.get_mut("lifecycle") {
            l.entry("anchor").or_insert_with(|| "creation".into());
        }
        crate::admin::data::insert_restore_job(
            shared,
            &self.base_url,
            &g,
            &c,
            &serde_json::Value::Object(raw),
        )
    }

    /// The download links handed out, oldest first, with their counters (requests, bytes sent,
    /// completed and cut transfers), as `GET /__mock/downloads` shows them.
    pub fn download_links(&self) -> Vec<serde_json::Value> {
        let now = self.shared.clock.now();
        self.shared
            .downloads
            .list()
            .iter()
            .map(|l| l.to_json(&self.base_url, now))
            .collect()
    }

    /// The SHA-256 (lower-case hex) of the archive a download of this flex snapshot serves
    /// (about two seconds per GiB, off the async threads).
    pub async fn archive_sha256(
        &self,
        group: &str,
        cluster: &str,
        snapshot: &str,
    ) -> Result<String, MockError> {
        let g: GroupId = parse(group)?;
        let c: ClusterName = parse(cluster)?;
        let s: atlas_model::SnapshotId = parse(snapshot)?;
        let layout = {
            let data = self.shared.data.read().unwrap_or_else(|e| e.into_inner());
            let stored = data
                .group(&g)
                .and_then(|g| g.cluster(&c))
                .and_then(|c| c.snapshot(&s))
                .ok_or_else(|| {
                    MockError::Data(format!("no snapshot {s} in cluster {c} of group {g}"))
                })?;
            crate::downloads::layout_for(
                &self.shared.downloads.settings,
                s.as_str(),
                stored.archive.as_ref(),
            )
            .ok_or_else(|| MockError::Data("the snapshot's archive size is out of range".into()))?
        };
        Ok(self.shared.downloads.sha256(&layout).await)
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
