//! Flex snapshot downloads: the pre-signed links that `POST .../backup/download` hands out, and the
//! object-store surface that serves them (on the mock itself, as a stand-in for Atlas's bucket).
//!
//! - [`archive`]: the deterministic `.tgz`, generated on demand at any offset;
//! - [`serve`]: the object store: `GET`/`HEAD` with `Range` and `If-Range`, S3-style XML errors
//!   (an expired link is `403 AccessDenied` "Request has expired"), faults;
//! - this file: the settings, the link table (bounded) and the CRC cache.
//!
//! A link's URL is `{base}/flex-snapshot-downloads/{token}/restore-{snapshotId}.tgz?X-Amz-...` with
//! a random 128-bit token and a random 256-bit `X-Amz-Signature`: unguessable, and valid only as
//! handed out (a changed query is `403 SignatureDoesNotMatch`). It needs no Atlas credentials and
//! refuses any (`400 InvalidArgument`, as S3 does for a pre-signed URL that also carries an
//! `Authorization` header). Links expire on the mock clock.

pub(crate) mod archive;
mod crc32;
pub(crate) mod serve;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlas_model::{ClusterName, GroupId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::MockError;
use archive::{ArchiveSpec, DEFAULT_ARCHIVE_BYTES, Layout, MAX_ARCHIVE_BYTES, MIN_ARCHIVE_BYTES};

/// Path prefix of the download links.
pub(crate) const PREFIX: &str = "/flex-snapshot-downloads/";
/// Most links kept (expired ones go first, then the oldest).
pub(crate) const MAX_LINKS: usize = 10_000;
/// Most archive CRCs remembered.
const MAX_CRCS: usize = 256;

/// How flex downloads behave. JSON form (data file `downloads`):
/// `{"linkLifetimeSeconds": 14400, "archiveSizeBytes": 1048576}`.
///
/// ```
/// use std::time::Duration;
/// use atlas_mock::DownloadSettings;
/// let d = DownloadSettings::default().archive_size(1 << 30)?.link_lifetime(Duration::from_secs(60));
/// assert_eq!(d.archive_bytes(), 1 << 30);
/// # Ok::<(), atlas_mock::MockError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DownloadWire", into = "DownloadWire")]
pub struct DownloadSettings {
    link_lifetime: Duration,
    archive_size: u64,
}

impl Default for DownloadSettings {
    /// Atlas's 4-hour links, 1 MiB archives.
    fn default() -> Self {
        Self {
            link_lifetime: Duration::from_secs(4 * 3600),
            archive_size: DEFAULT_ARCHIVE_BYTES,
        }
    }
}

impl DownloadSettings {
    /// How long a link works after it is handed out, on the mock clock (default 4 hours, as Atlas).
    pub fn link_lifetime(mut self, d: Duration) -> Self {
        self.link_lifetime = d;
        self
    }

    /// The size of every archive whose snapshot does not set its own (default 1 MiB), from 2 KiB
    /// to 1 TiB. Archives are generated as they are sent: any size costs no memory.
    pub fn archive_size(mut self, bytes: u64) -> Result<Self, MockError> {
        check_size(bytes)?;
        self.archive_size = bytes;
        Ok(self)
    }

    /// The configured link lifetime.
    pub fn lifetime(&self) -> Duration {
        self.link_lifetime
    }

    /// The configured default archive size.
    pub fn archive_bytes(&self) -> u64 {
        self.archive_size
    }
}

pub(crate) fn check_size(bytes: u64) -> Result<(), MockError> {
    if (MIN_ARCHIVE_BYTES..=MAX_ARCHIVE_BYTES).contains(&bytes) {
        Ok(())
    } else {
        Err(MockError::InvalidConfig(format!(
            "an archive size must be from {MIN_ARCHIVE_BYTES} bytes to {MAX_ARCHIVE_BYTES} (1 TiB), got {bytes}"
        )))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DownloadWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    link_lifetime_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    archive_size_bytes: Option<u64>,
}

impl TryFrom<DownloadWire> for DownloadSettings {
    type Error = MockError;
    fn try_from(w: DownloadWire) -> Result<Self, MockError> {
        let mut d = DownloadSettings::default();
        if let Some(s) = w.link_lifetime_seconds {
            d.link_lifetime = Duration::try_from_secs_f64(s)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    MockError::InvalidConfig(format!(
                        "downloads.linkLifetimeSeconds must be positive, got {s}"
                    ))
                })?;
        }
        if let Some(n) = w.archive_size_bytes {
            d = d.archive_size(n)?;
        }
        Ok(d)
    }
}

impl From<DownloadSettings> for DownloadWire {
    fn from(d: DownloadSettings) -> Self {
        DownloadWire {
            link_lifetime_seconds: Some(d.link_lifetime.as_secs_f64()),
            archive_size_bytes: Some(d.archive_size),
        }
    }
}

/// Counters of one link, for tests (`GET /__mock/downloads`).
#[derive(Debug, Default)]
pub(crate) struct LinkStats {
    /// Requests for the link (every answer, errors included).
    pub(crate) requests: AtomicU64,
    /// Archive bytes sent in bodies.
    pub(crate) bytes_sent: AtomicU64,
    /// Bodies that reached their end.
    pub(crate) completed: AtomicU64,
    /// Bodies cut by a fault.
    pub(crate) cut: AtomicU64,
}

impl LinkStats {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// One handed-out link.
#[derive(Debug)]
pub(crate) struct Link {
    pub(crate) token: String,
    pub(crate) signature: String,
    pub(crate) group: GroupId,
    pub(crate) cluster: ClusterName,
    pub(crate) job_id: String,
    pub(crate) layout: Arc<Layout>,
    pub(crate) created: DateTime<Utc>,
    pub(crate) expires: DateTime<Utc>,
    pub(crate) stats: LinkStats,
}

impl Link {
    /// The file name in the URL.
    pub(crate) fn file_name(&self) -> String {
        format!("restore-{}.tgz", self.layout.spec.snapshot_id)
    }

    /// The pre-signed URL on `base` (`scheme://host` as the client addressed the mock).
    pub(crate) fn url(&self, base: &str) -> String {
        let secs = (self.expires - self.created).num_seconds().max(0);
        format!(
            "{base}{PREFIX}{}/{}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ATLASMOCK%2F{}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date={}&X-Amz-Expires={secs}&X-Amz-SignedHeaders=host&X-Amz-Signature={}",
            self.token,
            self.file_name(),
            self.created.format("%Y%m%d"),
            self.created.format("%Y%m%dT%H%M%SZ"),
            self.signature
        )
    }

    /// The admin view.
    pub(crate) fn to_json(&self, base: &str, now: DateTime<Utc>) -> serde_json::Value {
        let s = &self.stats;
        serde_json::json!({
            "restoreJobId": self.job_id,
            "groupId": self.group.as_str(),
            "clusterName": self.cluster.as_str(),
            "snapshotId": self.layout.spec.snapshot_id,
            "url": self.url(base),
            "createdAt": crate::clock::format_time(self.created),
            "expiresAt": crate::clock::format_time(self.expires),
            "expired": now >= self.expires,
            "sizeBytes": self.layout.size(),
            "seed": self.layout.spec.seed,
            "etag": self.layout.etag(),
            "requests": s.requests.load(Ordering::Relaxed),
            "bytesSent": s.bytes_sent.load(Ordering::Relaxed),
            "completedTransfers": s.completed.load(Ordering::Relaxed),
            "cutTransfers": s.cut.load(Ordering::Relaxed),
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Default)]
struct LinkTable {
    by_token: HashMap<String, Arc<Link>>,
    order: VecDeque<String>,
}

/// The links handed out and the CRCs of the archives served.
#[derive(Debug)]
pub(crate) struct Downloads {
    pub(crate) settings: DownloadSettings,
    links: Mutex<LinkTable>,
    crcs: Mutex<HashMap<ArchiveSpec, Arc<tokio::sync::OnceCell<u32>>>>,
}

/// What a new link is for.
#[derive(Debug, Clone)]
pub(crate) struct NewLink {
    pub(crate) group: GroupId,
    pub(crate) cluster: ClusterName,
    pub(crate) job_id: String,
    pub(crate) layout: Arc<Layout>,
    pub(crate) created: DateTime<Utc>,
    pub(crate) expires: DateTime<Utc>,
}

impl Downloads {
    pub(crate) fn new(settings: DownloadSettings) -> Self {
        Self {
            settings,
            links: Mutex::new(LinkTable::default()),
            crcs: Mutex::new(HashMap::new()),
        }
    }

    /// Hands out a link; at most [`MAX_LINKS`] are kept (expired ones are dropped first, then the
    /// oldest). Returns its token.
    pub(crate) fn create(&self, new: NewLink, now: DateTime<Utc>) -> Arc<Link> {
        let link = Arc::new(Link {
            token: hex(&crate::random_bytes::<16>()),
            signature: hex(&crate::random_bytes::<32>()),
            group: new.group,
            cluster: new.cluster,
            job_id: new.job_id,
            layout: new.layout,
            created: new.created,
            expires: new.expires,
            stats: LinkStats::default(),
        });
        let mut t = self.links.lock().unwrap_or_else(|e| e.into_inner());
        if t.by_token.len() >= MAX_LINKS {
            let LinkTable { by_token, order } = &mut *t;
            order.retain(|k| by_token.get(k).is_some_and(|l| l.expires > now));
            by_token.retain(|_, l| l.expires > now);
            while by_token.len() >= MAX_LINKS {
                match order.pop_front() {
                    Some(k) => {
                        by_token.remove(&k);
                    }
                    None => break,
                }
            }
        }
        t.order.push_back(link.token.clone());
        t.by_token.insert(link.token.clone(), link.clone());
        link
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<Link>> {
        self.links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .by_token
            .get(token)
            .cloned()
    }

    /// Every link kept, oldest first.
    pub(crate) fn list(&self) -> Vec<Arc<Link>> {
        let t = self.links.lock().unwrap_or_else(|e| e.into_inner());
        t.order
            .iter()
            .filter_map(|k| t.by_token.get(k).cloned())
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .by_token
            .len()
    }

    fn cell(&self, spec: &ArchiveSpec) -> Arc<tokio::sync::OnceCell<u32>> {
        let mut m = self.crcs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = m.get(spec) {
            return c.clone();
        }
        if m.len() >= MAX_CRCS {
            m.clear();
        }
        let c = Arc::new(tokio::sync::OnceCell::new());
        m.insert(spec.clone(), c.clone());
        c
    }

    /// The archive's CRC if it is known, and the cell a transfer that computes it stores it in.
    pub(crate) fn crc_slot(
        &self,
        layout: &Layout,
    ) -> (Option<u32>, Arc<tokio::sync::OnceCell<u32>>) {
        let c = self.cell(&layout.spec);
        (c.get().copied(), c)
    }

    /// The archive's CRC, computed once (off the async threads) when nobody knows it yet.
    pub(crate) async fn crc(&self, layout: &Arc<Layout>) -> u32 {
        let c = self.cell(&layout.spec);
        let l = layout.clone();
        *c.get_or_init(|| async move {
            let compute = l.clone();
            tokio::task::spawn_blocking(move || compute.compute_crc())
                .await
                .unwrap_or_else(|_| l.compute_crc())
        })
        .await
    }

    /// The SHA-256 of an archive (about two seconds per GiB, off the async threads).
    pub(crate) async fn sha256(&self, layout: &Arc<Layout>) -> String {
        let crc = self.crc(layout).await;
        let l = layout.clone();
        tokio::task::spawn_blocking(move || l.sha256(crc))
            .await
            .unwrap_or_default()
    }
}

/// The archive of a snapshot: its own size and seed when the data sets them, else the default size
/// and a seed derived from the snapshot id (so archives differ per snapshot and never per run).
pub(crate) fn layout_for(
    settings: &DownloadSettings,
    snapshot_id: &str,
    archive: Option<&ArchiveOverride>,
) -> Option<Arc<Layout>> {
    Layout::new(ArchiveSpec {
        size: archive
            .and_then(|a| a.size_bytes)
            .unwrap_or(settings.archive_size),
        seed: archive
            .and_then(|a| a.seed)
            .unwrap_or_else(|| archive::fnv1a64(snapshot_id)),
        snapshot_id: snapshot_id.to_owned(),
    })
}

/// A snapshot's own archive settings (data file: a snapshot's `archive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ArchiveOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) size_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) seed: Option<u64>,
}
