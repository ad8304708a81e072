//! The mock clock: the one time source of everything in the mock that depends on Atlas time.
//!
//! Lifecycles, digest nonce expiry and rate-limit refill all read [`MockClock`]; nothing else in the
//! mock reads the system clock for Atlas time (connection timeouts and injected latency are real
//! delays and use tokio's timer). Later families (OAuth token expiry, download-link expiry, restore
//! and on-demand snapshot lifecycles) read the same clock.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How the mock clock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "mode")]
#[non_exhaustive]
pub enum ClockMode {
    /// Moves with real time, plus every [`MockClock::advance`] (the default). Real time is tokio's
    /// clock, so a paused tokio clock (`tokio::time::pause`, `start_paused`) moves it too.
    #[default]
    RealTime,
    /// Stands still; moves only by [`MockClock::advance`] (from Rust, the admin API or a
    /// [`crate::Fault::ClockAdvance`]). Lifecycles and nonce expiry are then exact.
    Manual,
    /// Stands still between requests and moves forward by `step_ms` when each API request arrives
    /// (before authentication): a client that polls sees a lifecycle progress a fixed amount per poll,
    /// whatever the machine's speed.
    Stepped {
        /// Milliseconds added per API request.
        #[serde(rename = "stepMs")]
        step_ms: u64,
    },
}

/// The mock's clock. Cheap to clone; every clone is the same clock.
///
/// Time is "elapsed since the mock started" plus a fixed wall-clock start
/// ([`MockClock::start`]); it only moves forward.
///
/// ```
/// use std::time::Duration;
/// use atlas_mock::{ClockMode, MockClock};
/// let clock = MockClock::new(ClockMode::Manual);
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!((clock.now() - t0).num_seconds(), 90);
/// assert_eq!(clock.elapsed(), Duration::from_secs(90));
/// ```
#[derive(Debug, Clone)]
pub struct MockClock {
    start_wall: DateTime<Utc>,
    /// `start_wall` as a `SystemTime` (what [`MockClock::system_time_at`] adds to).
    start_system: SystemTime,
    /// How far after the start the calendar still counts: [`FAST_SYSTEM_TIME`], or zero for a
    /// start within that of the calendar's end.
    fast_until: Duration,
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    /// Elapsed time accumulated while not running, plus every advance.
    base: Duration,
    /// When real time started to count (in [`ClockMode::RealTime`]).
    running_since: Option<tokio::time::Instant>,
    /// Per-request step (in [`ClockMode::Stepped`]).
    step: Option<Duration>,
}

/// How far after the start [`MockClock::system_time_at`] adds without the calendar: 100,000
/// years (the calendar ends in year 262,143).
const FAST_SYSTEM_TIME: Duration = Duration::from_secs(100_000 * 366 * 86_400);

/// Cuts a time to whole seconds, as Atlas writes its timestamps.
pub(crate) fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// RFC 3339 with milliseconds (`2026-12-01T10:00:00.250Z`), for the admin API.
pub(crate) fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl MockClock {
    /// A clock starting now (the current wall time, cut to whole seconds) in `mode`.
    pub fn new(mode: ClockMode) -> Self {
        Self::starting_at(whole_seconds(Utc::now()), mode)
    }

    /// A clock whose time 0 is `start` (for reproducible timestamps).
    pub fn starting_at(start: DateTime<Utc>, mode: ClockMode) -> Self {
        let clock = Self {
            start_wall: start,
            start_system: SystemTime::from(start),
            fast_until: chrono::Duration::from_std(FAST_SYSTEM_TIME)
                .ok()
                .and_then(|d| start.checked_add_signed(d))
                .map_or(Duration::ZERO, |_| FAST_SYSTEM_TIME),
            state: Arc::new(Mutex::new(State {
                base: Duration::ZERO,
                running_since: None,
                step: None,
            })),
        };
        clock.set_mode(mode);
        clock
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Time since the mock started, on this clock.
    pub fn elapsed(&self) -> Duration {
        let s = self.lock();
        s.base + s.running_since.map_or(Duration::ZERO, |t| t.elapsed())
    }

    /// The wall time the clock shows (`start + elapsed`).
    pub fn now(&self) -> DateTime<Utc> {
        self.at(self.elapsed())
    }

    /// The wall time at `elapsed` after the start.
    pub fn at(&self, elapsed: Duration) -> DateTime<Utc> {
        chrono::Duration::from_std(elapsed)
            .ok()
            .and_then(|d| self.start_wall.checked_add_signed(d))
            .unwrap_or(self.start_wall)
    }

    /// [`MockClock::now`] as a `SystemTime` (what the digest server is given).
    pub fn system_time(&self) -> SystemTime {
        self.system_time_at(self.elapsed())
    }

    /// [`MockClock::at`] as a `SystemTime`: the start plus `elapsed`, without going through the
    /// calendar (for the first [`FAST_SYSTEM_TIME`] after the start, when the calendar reaches
    /// that far; beyond it, exactly what [`MockClock::at`] gives, its limits included).
    pub(crate) fn system_time_at(&self, elapsed: Duration) -> SystemTime {
        if elapsed <= self.fast_until {
            if let Some(t) = self.start_system.checked_add(elapsed) {
                return t;
            }
        }
        SystemTime::from(self.at(elapsed))
    }

    /// The wall time of elapsed zero.
    pub fn start(&self) -> DateTime<Utc> {
        self.start_wall
    }

    /// Moves the clock forward by `d` (in every mode).
    pub fn advance(&self, d: Duration) {
        let mut s = self.lock();
        s.base = s.base.saturating_add(d);
    }

    /// Switches the mode; the time shown does not jump.
    pub fn set_mode(&self, mode: ClockMode) {
        let mut s = self.lock();
        let now = s.base + s.running_since.map_or(Duration::ZERO, |t| t.elapsed());
        s.base = now;
        s.running_since = None;
        s.step = None;
        match mode {
            ClockMode::RealTime => s.running_since = Some(tokio::time::Instant::now()),
            ClockMode::Manual => {}
            ClockMode::Stepped { step_ms } => s.step = Some(Duration::from_millis(step_ms)),
        }
    }

    /// The current mode.
    pub fn mode(&self) -> ClockMode {
        let s = self.lock();
        match (s.running_since, s.step) {
            (Some(_), _) => ClockMode::RealTime,
            (None, Some(step)) => ClockMode::Stepped {
                step_ms: u64::try_from(step.as_millis()).unwrap_or(u64::MAX),
            },
            (None, None) => ClockMode::Manual,
        }
    }

    /// Called when an API request arrives: moves a stepped clock.
    pub(crate) fn on_request(&self) {
        let mut s = self.lock();
        if let Some(step) = s.step {
            s.base = s.base.saturating_add(step);
        }
    }
}

impl Default for MockClock {
    fn default() -> Self {
        Self::new(ClockMode::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let c = MockClock::new(ClockMode::Manual);
        let a = c.elapsed();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(c.elapsed(), a);
        c.advance(Duration::from_millis(1500));
        assert_eq!(c.elapsed(), a + Duration::from_millis(1500));
        assert_eq!(c.mode(), ClockMode::Manual);
        let clone = c.clone();
        clone.advance(Duration::from_secs(1));
        assert_eq!(c.elapsed(), a + Duration::from_millis(2500));
    }

    #[test]
    fn stepped_clock_moves_per_request() {
        let c = MockClock::new(ClockMode::Stepped { step_ms: 250 });
        c.on_request();
        c.on_request();
        assert_eq!(c.elapsed(), Duration::from_millis(500));
        assert_eq!(c.mode(), ClockMode::Stepped { step_ms: 250 });
    }

    #[tokio::test(start_paused = true)]
    async fn real_time_follows_tokio_and_never_jumps_on_a_mode_switch() {
        let c = MockClock::new(ClockMode::RealTime);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(c.elapsed(), Duration::from_secs(10));
        c.set_mode(ClockMode::Manual);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(c.elapsed(), Duration::from_secs(10));
        c.set_mode(ClockMode::RealTime);
        c.advance(Duration::from_secs(5));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(c.elapsed(), Duration::from_secs(16));
        assert_eq!((c.now() - c.start()).num_seconds(), 16);
    }

    proptest::proptest! {
        /// The shortcut gives the calendar's answer, whatever the start and the elapsed time
        /// (past the calendar's end too).
        #[test]
        fn system_time_at_is_the_calendar_time(
            start_s in -62_000_000_000i64..8_000_000_000_000,
            start_ns in 0u32..1_000_000_000,
            elapsed_s in proptest::prop_oneof![
                0u64..4_000_000_000,
                0u64..(200_000 * 366 * 86_400),
                proptest::num::u64::ANY,
            ],
            elapsed_ns in 0u32..1_000_000_000,
        ) {
            let Some(start) = DateTime::from_timestamp(start_s, start_ns) else {
                return Ok(());
            };
            let c = MockClock::starting_at(start, ClockMode::Manual);
            let e = Duration::new(elapsed_s, elapsed_ns);
            proptest::prop_assert_eq!(c.system_time_at(e), SystemTime::from(c.at(e)));
        }
    }

    #[test]
    fn mode_json_form() {
        let m: ClockMode = serde_json::from_str(r#"{"mode":"stepped","stepMs":1000}"#).unwrap();
        assert_eq!(m, ClockMode::Stepped { step_ms: 1000 });
        let m: ClockMode = serde_json::from_str(r#"{"mode":"manual"}"#).unwrap();
        assert_eq!(m, ClockMode::Manual);
        assert!(serde_json::from_str::<ClockMode>(r#"{"mode":"warp"}"#).is_err());
    }
}
