//! [`WaitSnapshot`] and [`WaitRestoreJob`]: poll until finished, on one engine.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use atlas_model::{
    AnySnapshot, AnySnapshotStatus, CloudBackupSnapshot, CloudSnapshotStatus, RestoreJob,
    RestoreStatus, SnapshotStatus, TenantSnapshot,
};
use tokio::time::Instant;

use crate::backoff::{Jitter, pause_after_failure};
use crate::restores::GetRestoreJob;
use crate::snapshots::GetSnapshot;
use crate::{AnyKind, ApiResponse, ApiVersion, ClusterKind, Error, SnapshotEndpoints, Tenant};

/// The default time between two polls.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// The shortest time between two polls: a shorter [`WaitSnapshot::interval`] is raised to it.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The default time [`WaitSnapshot::send`] waits in all.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// The default longest pause after repeated transient failures.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(5 * 60);

mod sealed {
    pub trait Sealed {}
    impl Sealed for atlas_model::TenantSnapshot {}
    impl Sealed for atlas_model::CloudBackupSnapshot {}
    impl Sealed for atlas_model::AnySnapshot {}
    impl Sealed for atlas_model::RestoreJob {}
}

/// What a wait can watch: a [`TenantSnapshot`], a [`CloudBackupSnapshot`], an [`AnySnapshot`]
/// or a [`RestoreJob`]. Sealed.
pub trait Watched: sealed::Sealed + Clone + fmt::Debug + Send + Sync + 'static {
    /// The status type (`SnapshotStatus`, `CloudSnapshotStatus`, `AnySnapshotStatus`,
    /// `RestoreStatus`).
    type Status: Clone + PartialEq + fmt::Debug + fmt::Display + Send + Sync;
    /// The status, if Atlas sent one.
    fn status(&self) -> Option<Self::Status>;
    /// Whether the status will not change any more.
    fn is_done(status: &Self::Status) -> bool;
    /// What it was as a [`LastSeen`], for [`Error::WaitTimeout`].
    #[doc(hidden)]
    fn last_seen(self) -> LastSeen;
}

impl Watched for TenantSnapshot {
    type Status = SnapshotStatus;
    fn status(&self) -> Option<SnapshotStatus> {
        self.status.clone()
    }
    fn is_done(status: &SnapshotStatus) -> bool {
        status.is_terminal()
    }
    fn last_seen(self) -> LastSeen {
        LastSeen::Snapshot(self)
    }
}

impl Watched for CloudBackupSnapshot {
    type Status = CloudSnapshotStatus;
    fn status(&self) -> Option<CloudSnapshotStatus> {
        self.status.clone()
    }
    fn is_done(status: &CloudSnapshotStatus) -> bool {
        status.is_terminal()
    }
    fn last_seen(self) -> LastSeen {
        LastSeen::CloudSnapshot(self)
    }
}

impl Watched for AnySnapshot {
    type Status = AnySnapshotStatus;
    fn status(&self) -> Option<AnySnapshotStatus> {
        AnySnapshot::status(self)
    }
    fn is_done(status: &AnySnapshotStatus) -> bool {
        status.is_terminal()
    }
    fn last_seen(self) -> LastSeen {
        match self {
            AnySnapshot::Dedicated(s) => LastSeen::CloudSnapshot(s),
            AnySnapshot::Tenant(s) | AnySnapshot::Flex(s) => LastSeen::Snapshot(s),
            // A kind added later is reported through the shape it shares with tenants.
            other => LastSeen::Snapshot(other.as_tenant().cloned().unwrap_or_default()),
        }
    }
}

impl Watched for RestoreJob {
    type Status = RestoreStatus;
    fn status(&self) -> Option<RestoreStatus> {
        self.status.clone()
    }
    fn is_done(status: &RestoreStatus) -> bool {
        status.is_terminal()
    }
    fn last_seen(self) -> LastSeen {
        LastSeen::RestoreJob(self)
    }
}

/// The last value a wait saw before its timeout, in [`Error::WaitTimeout`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LastSeen {
    /// A tenant or flex snapshot.
    Snapshot(TenantSnapshot),
    /// A dedicated cluster's cloud backup snapshot.
    CloudSnapshot(CloudBackupSnapshot),
    /// A restore job.
    RestoreJob(RestoreJob),
}

impl LastSeen {
    /// The status as Atlas sent it, if any.
    pub fn status_text(&self) -> Option<&str> {
        match self {
            LastSeen::Snapshot(s) => s.status.as_ref().map(SnapshotStatus::as_str),
            LastSeen::CloudSnapshot(s) => s.status.as_ref().map(CloudSnapshotStatus::as_str),
            LastSeen::RestoreJob(j) => j.status.as_ref().map(RestoreStatus::as_str),
        }
    }

    /// Whether the status is one this crate does not know.
    pub fn status_is_unknown(&self) -> bool {
        match self {
            LastSeen::Snapshot(s) => matches!(s.status, Some(SnapshotStatus::Unknown(_))),
            LastSeen::CloudSnapshot(s) => {
                matches!(s.status, Some(CloudSnapshotStatus::Unknown(_)))
            }
            LastSeen::RestoreJob(j) => matches!(j.status, Some(RestoreStatus::Unknown(_))),
        }
    }

    /// `snapshot` or `restore job`.
    pub fn what(&self) -> &'static str {
        match self {
            LastSeen::Snapshot(_) | LastSeen::CloudSnapshot(_) => "snapshot",
            LastSeen::RestoreJob(_) => "restore job",
        }
    }
}

/// A change of status seen while waiting, passed to `on_change`. The first successful poll
/// always produces one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WaitEvent<T: Watched = TenantSnapshot> {
    /// The new status (`None` when Atlas sent no `status`).
    pub status: Option<T::Status>,
    /// The snapshot (or restore job) as that poll returned it.
    pub value: T,
    /// Time since the wait began.
    pub elapsed: Duration,
    /// Polls made so far, this one included (failed ones too).
    pub polls: u32,
}

/// One poll of a wait, passed to `on_poll` after every poll.
#[derive(Debug)]
#[non_exhaustive]
pub struct WaitPoll<'e, T = TenantSnapshot> {
    /// Polls made so far, this one included.
    pub polls: u32,
    /// Time since the wait began, when this poll ended.
    pub elapsed: Duration,
    /// What the poll got.
    pub outcome: PollOutcome<'e, T>,
    /// When the next poll is due, from now; `None` when the wait ends after this poll (a
    /// terminal status, or the timeout comes first).
    pub next_poll_in: Option<Duration>,
}

/// What one poll got; see [`WaitPoll`].
#[derive(Debug)]
#[non_exhaustive]
pub enum PollOutcome<'e, T = TenantSnapshot> {
    /// The snapshot (or restore job).
    Value(&'e T),
    /// A transient error ([`Error::is_transient`]): the wait backs off and polls again.
    Retrying(&'e Error),
}

type ChangeCallback<'a, T> = Box<dyn FnMut(&WaitEvent<T>) + Send + 'a>;
type PollCallback<'a, T> = Box<dyn FnMut(&WaitPoll<'_, T>) + Send + 'a>;

/// The settings and callbacks every wait has.
struct Settings<'a, T: Watched> {
    interval: Duration,
    timeout: Option<Duration>,
    max_backoff: Duration,
    on_change: Option<ChangeCallback<'a, T>>,
    on_poll: Option<PollCallback<'a, T>>,
}

impl<T: Watched> Settings<'_, T> {
    fn new() -> Self {
        Settings {
            interval: DEFAULT_INTERVAL,
            timeout: Some(DEFAULT_TIMEOUT),
            max_backoff: DEFAULT_MAX_BACKOFF,
            on_change: None,
            on_poll: None,
        }
    }
}

impl<T: Watched> fmt::Debug for Settings<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("max_backoff", &self.max_backoff)
            .field("on_change", &self.on_change.is_some())
            .field("on_poll", &self.on_poll.is_some())
            .finish()
    }
}

macro_rules! wait_settings {
    ($t:ty) => {
        /// Time between two polls (default 10 s); shorter than [`MIN_INTERVAL`] (1 s) counts
        /// as 1 s, so that a wait cannot flood Atlas (which limits requests per API key).
        pub fn interval(mut self, d: Duration) -> Self {
            self.settings.interval = d.max(MIN_INTERVAL);
            self
        }

        /// The most the whole wait may take (default 30 min), polls and pauses included; then
        /// [`Error::WaitTimeout`]. `Duration::ZERO` ends the wait at once, without a poll; for
        /// no limit, use [`no_timeout`](Self::no_timeout).
        pub fn timeout(mut self, d: Duration) -> Self {
            self.settings.timeout = Some(d);
            self
        }

        /// Waits without a time limit, until a terminal status or an error that is not
        /// transient.
        pub fn no_timeout(mut self) -> Self {
            self.settings.timeout = None;
            self
        }

        /// The longest pause after repeated transient failures (default 5 min; never below
        /// the interval). A longer `Retry-After` from the server is still honoured.
        pub fn max_backoff(mut self, d: Duration) -> Self {
            self.settings.max_backoff = d;
            self
        }

        /// Called once per status change, the first poll included, in order.
        pub fn on_change(mut self, f: impl FnMut(&WaitEvent<$t>) + Send + 'a) -> Self {
            self.settings.on_change = Some(Box::new(f));
            self
        }

        /// Called after every poll, failed ones included, with what it got and when the next
        /// one is due: for a progress display that moves on every poll.
        pub fn on_poll(mut self, f: impl FnMut(&WaitPoll<'_, $t>) + Send + 'a) -> Self {
            self.settings.on_poll = Some(Box::new(f));
            self
        }
    };
}

/// Polls one snapshot until its status is terminal (its [phase](crate::SnapshotPhase) is
/// completed or failed: `COMPLETED`/`FAILED` for tenant and flex snapshots,
/// `completed`/`failed` for dedicated ones), from
/// [`TenantSnapshots::wait`](crate::TenantSnapshots::wait),
/// [`FlexSnapshots::wait`](crate::FlexSnapshots::wait),
/// [`DedicatedSnapshots::wait`](crate::DedicatedSnapshots::wait) or
/// [`Snapshots::wait`](crate::Snapshots::wait) (which finds the cluster's kind on the first
/// poll).
///
/// - Polls every [`interval`](Self::interval) (default 10 s, at least [`MIN_INTERVAL`]).
/// - [`timeout`](Self::timeout) (default 30 min) is a bound on the whole wait: each poll, and
///   each pause between polls, is cut to the time left, so the wait returns
///   [`Error::WaitTimeout`] no later than the timeout, whatever the server does.
/// - A transient error ([`Error::is_transient`]: `429`, `5xx`, connection failures and
///   timeouts) does not end the wait: it pauses at least the server's `Retry-After` and the
///   interval, plus a random extra that doubles with each failure in a row (at most
///   [`max_backoff`](Self::max_backoff)), then polls again. The next successful poll returns to
///   the normal interval. Any other error ends the wait with that error.
/// - When `RateLimit-Remaining` runs low, the pause grows so that the wait does not run into
///   a `429`.
/// - [`on_change`](Self::on_change) is called once per status change, the first poll included:
///   `QUEUED`, `RUNNING`, `COMPLETED` produce exactly three calls, whatever the number of polls;
///   [`on_poll`](Self::on_poll) after every poll, failed ones included, for a progress display.
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
pub struct WaitSnapshot<'a, K: SnapshotEndpoints> {
    get: GetSnapshot<'a, K>,
    settings: Settings<'a, K::Snapshot>,
}

impl<K: SnapshotEndpoints> fmt::Debug for WaitSnapshot<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitSnapshot")
            .field("get", &self.get)
            .field("settings", &self.settings)
            .finish()
    }
}

impl<'a, K: SnapshotEndpoints> WaitSnapshot<'a, K> {
    pub(crate) fn new(get: GetSnapshot<'a, K>) -> Self {
        WaitSnapshot {
            get,
            settings: Settings::new(),
        }
    }

    wait_settings!(K::Snapshot);

    /// `envelope=true` on every poll; see [`GetSnapshot::envelope`].
    pub fn envelope(mut self) -> Self {
        self.get = self.get.envelope();
        self
    }

    /// Polls until the snapshot's status is terminal and returns that snapshot.
    ///
    /// # Errors
    ///
    /// [`Error::WaitTimeout`] (with what was seen) when the timeout passes first; the first
    /// error of a poll that is not [transient](Error::is_transient).
    pub async fn send(self) -> Result<K::Snapshot, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Like [`send`](Self::send), with the HTTP details of the last poll: its status, headers,
    /// the endpoint that answered and the body exactly as received.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_full(self) -> Result<ApiResponse<K::Snapshot>, Error> {
        let WaitSnapshot { get, settings } = self;
        tracing::debug!(target = ?get.target(), ?settings, "waiting for snapshot");
        let client = get.client_ref().clone();
        let url = get.uri().map(|u| u.to_string()).unwrap_or_default();
        run(settings, &client, url, || get.clone().send_full()).await
    }

    #[cfg(test)]
    fn settings(&self) -> (Duration, Option<Duration>, Duration) {
        (
            self.settings.interval,
            self.settings.timeout,
            self.settings.max_backoff,
        )
    }
}

impl WaitSnapshot<'_, Tenant> {
    /// Which API version to poll with (default [`ApiVersion::V1`]).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.get = self.get.api_version(version);
        self
    }
}

impl WaitSnapshot<'_, AnyKind> {
    /// Which API version the tenant lookup uses (default [`ApiVersion::V1`]).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.get = self.get.api_version(version);
        self
    }

    /// Polls only the endpoints of `kind`: no lookup, no fallback.
    pub fn kind(mut self, kind: ClusterKind) -> Self {
        self.get = self.get.kind(kind);
        self
    }
}

/// Polls one restore job until its status is terminal (`COMPLETED` or `FAILED`), from
/// [`FlexRestoreJobs::wait`](crate::FlexRestoreJobs::wait); it behaves as [`WaitSnapshot`]
/// does (interval, timeout, transient errors, rate limits, callbacks).
#[must_use = "a wait does nothing until it is sent"]
pub struct WaitRestoreJob<'a> {
    get: GetRestoreJob<'a>,
    settings: Settings<'a, RestoreJob>,
}

impl fmt::Debug for WaitRestoreJob<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitRestoreJob")
            .field("get", &self.get)
            .field("settings", &self.settings)
            .finish()
    }
}

impl<'a> WaitRestoreJob<'a> {
    pub(crate) fn new(get: GetRestoreJob<'a>) -> Self {
        WaitRestoreJob {
            get,
            settings: Settings::new(),
        }
    }

    wait_settings!(RestoreJob);

    /// Polls until the job's status is terminal and returns that job.
    ///
    /// # Errors
    ///
    /// [`Error::WaitTimeout`] when the timeout passes first; the first error of a poll that is
    /// not [transient](Error::is_transient).
    pub async fn send(self) -> Result<RestoreJob, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Like [`send`](Self::send), with the HTTP details of the last poll.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_full(self) -> Result<ApiResponse<RestoreJob>, Error> {
        let WaitRestoreJob { get, settings } = self;
        let client = get.client_ref().clone();
        let url = get.uri().map(|u| u.to_string()).unwrap_or_default();
        run(settings, &client, url, || get.clone().send_full()).await
    }
}

/// The wait itself: polls with `poll` until a terminal status, the timeout, or an error that is
/// not transient.
async fn run<T, F, Fut>(
    settings: Settings<'_, T>,
    client: &crate::AtlasClient,
    url: String,
    mut poll: F,
) -> Result<ApiResponse<T>, Error>
where
    T: Watched,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<ApiResponse<T>, Error>>,
{
    let Settings {
        interval,
        timeout,
        max_backoff,
        mut on_change,
        mut on_poll,
    } = settings;
    let max_backoff = max_backoff.max(interval);
    let start = Instant::now();
    let deadline = timeout.and_then(|t| start.checked_add(t));
    let left = |now: Instant| deadline.map(|d| d.saturating_duration_since(now));
    let mut seen = Seen::<T>::default();
    let mut last_status: Option<Option<T::Status>> = None;
    let mut failures: u32 = 0;
    let mut jitter = Jitter::new();
    loop {
        if left(Instant::now()) == Some(Duration::ZERO) {
            return Err(seen.timed_out(start.elapsed()));
        }
        seen.polls = seen.polls.saturating_add(1);
        let attempt = poll();
        let result = match left(Instant::now()) {
            Some(budget) => match tokio::time::timeout(budget, attempt).await {
                Ok(result) => result,
                Err(_) => {
                    seen.error = Some(poll_cut_short(&url));
                    return Err(seen.timed_out(start.elapsed()));
                }
            },
            None => attempt.await,
        };
        let elapsed = start.elapsed();
        let pause = match result {
            Ok(response) => {
                failures = 0;
                seen.error = None;
                let value = &response.value;
                let status = value.status();
                if last_status.as_ref() != Some(&status) {
                    last_status = Some(status.clone());
                    if let Some(callback) = on_change.as_mut() {
                        callback(&WaitEvent {
                            status: status.clone(),
                            value: value.clone(),
                            elapsed,
                            polls: seen.polls,
                        });
                    }
                }
                let done = status.as_ref().is_some_and(T::is_done);
                let pace = client.pacer().pause().unwrap_or_default();
                let next = (!done).then_some(interval.max(pace));
                if let Some(callback) = on_poll.as_mut() {
                    callback(&WaitPoll {
                        polls: seen.polls,
                        elapsed,
                        outcome: PollOutcome::Value(value),
                        next_poll_in: next.filter(|p| left(Instant::now()).is_none_or(|l| *p < l)),
                    });
                }
                if done {
                    return Ok(response);
                }
                seen.last = Some(response.value);
                interval.max(pace)
            }
            Err(e) if e.is_transient() => {
                failures = failures.saturating_add(1);
                let pause = pause_after_failure(
                    interval,
                    max_backoff,
                    e.retry_after(),
                    failures,
                    jitter.next_u64(),
                );
                tracing::debug!(error = %e, ?pause, failures, "transient error while waiting; backing off");
                if let Some(callback) = on_poll.as_mut() {
                    callback(&WaitPoll {
                        polls: seen.polls,
                        elapsed,
                        outcome: PollOutcome::Retrying(&e),
                        next_poll_in: Some(pause)
                            .filter(|p| left(Instant::now()).is_none_or(|l| *p < l)),
                    });
                }
                seen.error = Some(Box::new(e));
                pause
            }
            Err(e) => return Err(e),
        };
        let sleep_for = match left(Instant::now()) {
            Some(l) => pause.min(l),
            None => pause,
        };
        tokio::time::sleep(sleep_for).await;
    }
}

/// What a wait has seen so far, for [`Error::WaitTimeout`].
struct Seen<T> {
    polls: u32,
    last: Option<T>,
    error: Option<Box<Error>>,
}

impl<T> Default for Seen<T> {
    fn default() -> Self {
        Seen {
            polls: 0,
            last: None,
            error: None,
        }
    }
}

impl<T: Watched> Seen<T> {
    fn timed_out(self, elapsed: Duration) -> Error {
        Error::WaitTimeout {
            elapsed,
            polls: self.polls,
            last: self.last.map(|v| Box::new(v.last_seen())),
            last_error: self.error,
        }
    }
}

/// The error of a poll that the deadline cut short.
fn poll_cut_short(url: &str) -> Box<Error> {
    Box::new(Error::Transport(atlas_transport::Error::Timeout {
        url: url.to_owned(),
        kind: atlas_transport::TimeoutKind::Total,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_the_interval_floor() {
        let client = crate::AtlasClient::builder().build().unwrap();
        let g = "5b69d0349b15c62cdfc38b78".parse().unwrap();
        let c = "M2AWS".parse().unwrap();
        let s = "5cc310ace5dc7ce369814bc8".parse().unwrap();
        let w = client.tenant_snapshots().wait(&g, &c, &s);
        assert_eq!(
            w.settings(),
            (DEFAULT_INTERVAL, Some(DEFAULT_TIMEOUT), DEFAULT_MAX_BACKOFF)
        );
        let w = w.interval(Duration::ZERO).no_timeout();
        assert_eq!(w.settings().0, MIN_INTERVAL);
        assert_eq!(w.settings().1, None);
    }
}
