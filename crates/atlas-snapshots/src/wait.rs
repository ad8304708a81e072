//! [`WaitSnapshot`]: poll a snapshot until it is finished.

use std::fmt;
use std::time::Duration;

use atlas_model::{SnapshotStatus, TenantSnapshot};
use tokio::time::Instant;

use crate::snapshots::GetSnapshot;
use crate::{ApiVersion, Error, Tenant};

/// The default time between two polls.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// The default time [`WaitSnapshot::send`] waits in all.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// The default longest pause after repeated `429` answers.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(5 * 60);

/// A change of a snapshot's status seen while waiting, passed to
/// [`WaitSnapshot::on_change`]. The first poll always produces one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WaitEvent {
    /// The new status (`None` when Atlas sent no `status`).
    pub status: Option<SnapshotStatus>,
    /// The snapshot as that poll returned it.
    pub snapshot: TenantSnapshot,
    /// Time since the wait began.
    pub elapsed: Duration,
    /// Polls made so far, this one included (answers `429` count too).
    pub polls: u32,
}

type Callback<'a> = Box<dyn FnMut(&WaitEvent) + Send + 'a>;

/// Polls one snapshot until its status is terminal (`COMPLETED` or `FAILED`), from
/// [`TenantSnapshots::wait`](crate::TenantSnapshots::wait) or
/// [`FlexSnapshots::wait`](crate::FlexSnapshots::wait).
///
/// - Polls every [`interval`](Self::interval) (default 10 s) until [`timeout`](Self::timeout)
///   (default 30 min) has passed since the start; the last poll happens at the deadline.
/// - On `429` ([`Error::RateLimited`]) it pauses for the server's `Retry-After` (at least the
///   interval), or else for twice the previous pause, at most [`max_backoff`](Self::max_backoff);
///   the next successful poll returns to the normal interval.
/// - Any other error ends the wait with that error.
/// - [`on_change`](Self::on_change) is called once per status change, the first poll included:
///   `QUEUED`, `RUNNING`, `COMPLETED` produce exactly three calls, whatever the number of polls.
///
/// It sleeps with [`tokio::time`], so tests can run it on a paused clock.
///
/// ```no_run
/// # async fn demo(client: atlas_snapshots::AtlasClient) -> Result<(), atlas_snapshots::Error> {
/// use std::time::Duration;
/// let group = "5b69d0349b15c62cdfc38b78".parse().expect("valid id");
/// let cluster = "Flex0".parse().expect("valid name");
/// let id = "5cc310ace5dc7ce369814bc8".parse().expect("valid id");
/// let done = client
///     .flex_snapshots()
///     .wait(&group, &cluster, &id)
///     .interval(Duration::from_secs(5))
///     .timeout(Duration::from_secs(600))
///     .on_change(|e| eprintln!("{:?} after {:?}", e.status, e.elapsed))
///     .send()
///     .await?;
/// println!("finished: {:?}", done.status);
/// # Ok(()) }
/// ```
#[must_use = "a wait does nothing until it is sent"]
pub struct WaitSnapshot<'a, K> {
    get: GetSnapshot<'a, K>,
    interval: Duration,
    timeout: Duration,
    max_backoff: Duration,
    on_change: Option<Callback<'a>>,
}

impl<K> fmt::Debug for WaitSnapshot<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitSnapshot")
            .field("get", &self.get)
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("max_backoff", &self.max_backoff)
            .field("on_change", &self.on_change.is_some())
            .finish()
    }
}

impl<'a, K> WaitSnapshot<'a, K> {
    pub(crate) fn new(get: GetSnapshot<'a, K>) -> Self {
        WaitSnapshot {
            get,
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            max_backoff: DEFAULT_MAX_BACKOFF,
            on_change: None,
        }
    }

    /// Time between two polls (default 10 s).
    pub fn interval(mut self, d: Duration) -> Self {
        self.interval = d;
        self
    }

    /// How long to wait in all before [`Error::WaitTimeout`] (default 30 min).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// The longest pause after repeated `429` answers (default 5 min; never below the interval).
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Called once per status change, the first poll included, in order.
    pub fn on_change(mut self, f: impl FnMut(&WaitEvent) + Send + 'a) -> Self {
        self.on_change = Some(Box::new(f));
        self
    }

    /// `envelope=true` on every poll; see [`GetSnapshot::envelope`].
    pub fn envelope(mut self, yes: bool) -> Self {
        self.get = self.get.envelope(yes);
        self
    }

    /// Polls until the snapshot's status is terminal and returns that snapshot.
    ///
    /// # Errors
    ///
    /// [`Error::WaitTimeout`] (with the last snapshot seen) when the timeout passes first; the
    /// first error of a poll other than [`Error::RateLimited`].
    pub async fn send(self) -> Result<TenantSnapshot, Error> {
        let WaitSnapshot {
            get,
            interval,
            timeout,
            max_backoff,
            mut on_change,
        } = self;
        let max_backoff = max_backoff.max(interval);
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        let mut polls: u32 = 0;
        let mut last: Option<TenantSnapshot> = None;
        let mut last_status: Option<Option<SnapshotStatus>> = None;
        let mut pause = interval;
        let target = get.target();
        tracing::debug!(?target, ?interval, ?timeout, "waiting for snapshot");
        loop {
            polls = polls.saturating_add(1);
            match get.clone().send().await {
                Ok(snapshot) => {
                    pause = interval;
                    let status = snapshot.status.clone();
                    if last_status.as_ref() != Some(&status) {
                        last_status = Some(status.clone());
                        if let Some(callback) = on_change.as_mut() {
                            callback(&WaitEvent {
                                status: status.clone(),
                                snapshot: snapshot.clone(),
                                elapsed: start.elapsed(),
                                polls,
                            });
                        }
                    }
                    if status.as_ref().is_some_and(SnapshotStatus::is_terminal) {
                        return Ok(snapshot);
                    }
                    last = Some(snapshot);
                }
                Err(Error::RateLimited { retry_after, .. }) => {
                    pause = match retry_after {
                        Some(d) => d.max(interval),
                        None => pause.saturating_mul(2),
                    }
                    .min(max_backoff);
                    tracing::debug!(?pause, "rate limited while waiting; backing off");
                }
                Err(e) => return Err(e),
            }
            let now = Instant::now();
            let sleep_for = match deadline {
                Some(deadline) if now >= deadline => {
                    return Err(Error::WaitTimeout {
                        elapsed: now.duration_since(start),
                        last: last.map(Box::new),
                    });
                }
                Some(deadline) => pause.min(deadline.duration_since(now)),
                None => pause,
            };
            tokio::time::sleep(sleep_for).await;
        }
    }

    #[cfg(test)]
    fn settings(&self) -> (Duration, Duration, Duration) {
        (self.interval, self.timeout, self.max_backoff)
    }
}

impl WaitSnapshot<'_, Tenant> {
    /// Which API version to poll with (default [`ApiVersion::V1`]).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.get = self.get.api_version(version);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let client = crate::AtlasClient::builder().build().unwrap();
        let g = "5b69d0349b15c62cdfc38b78".parse().unwrap();
        let c = "M2AWS".parse().unwrap();
        let s = "5cc310ace5dc7ce369814bc8".parse().unwrap();
        let w = client.tenant_snapshots().wait(&g, &c, &s);
        assert_eq!(
            w.settings(),
            (DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_MAX_BACKOFF)
        );
    }
}
