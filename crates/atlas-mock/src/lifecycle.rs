//! Snapshot lifecycles: a schedule of status changes, evaluated as a pure function of a clock reading.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::MockError;

/// How a lifecycle ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// The snapshot ends `COMPLETED`.
    Completed,
    /// The snapshot ends `FAILED`.
    Failed,
}

/// The status a lifecycle yields at one clock reading.
///
/// Kept apart from `atlas_model::SnapshotStatus` so that the lifecycle stays a closed, total function;
/// [`LifecyclePhase::as_str`] gives the wire value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LifecyclePhase {
    /// Before `t0`: announced but not queued yet (`PENDING`).
    Pending,
    /// From `t0` (`QUEUED`).
    Queued,
    /// From `t1` (`RUNNING`).
    Running,
    /// From `t2` when the outcome is [`Outcome::Completed`] (`COMPLETED`).
    Completed,
    /// From `t2` when the outcome is [`Outcome::Failed`] (`FAILED`).
    Failed,
}

impl LifecyclePhase {
    /// The wire value (`PENDING`, `QUEUED`, `RUNNING`, `COMPLETED`, `FAILED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Queued => "QUEUED",
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }

    /// `true` for `COMPLETED` and `FAILED`.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

/// Where the offsets of a [`Lifecycle`] are measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Anchor {
    /// The moment the server started (the default).
    #[default]
    ServerStart,
    /// The moment the snapshot was created (through [`crate::MockHandle::create_snapshot`] or the
    /// admin route `POST /__mock/snapshots`).
    Creation,
}

/// A schedule: `QUEUED` at `t0`, `RUNNING` at `t1`, then `COMPLETED` or `FAILED` at `t2`
/// (offsets from the [`Anchor`]); `PENDING` before `t0`.
///
/// Invariant (checked by [`Lifecycle::new`]): `t0 <= t1 <= t2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "LifecycleWire", into = "LifecycleWire")]
pub struct Lifecycle {
    queued_at: Duration,
    running_at: Duration,
    done_at: Duration,
    outcome: Outcome,
    anchor: Anchor,
}

impl Lifecycle {
    /// A schedule anchored at the server start; fails unless `queued_at <= running_at <= done_at`.
    pub fn new(
        queued_at: Duration,
        running_at: Duration,
        done_at: Duration,
        outcome: Outcome,
    ) -> Result<Self, MockError> {
        if queued_at > running_at || running_at > done_at {
            return Err(MockError::InvalidConfig(format!(
                "lifecycle offsets must satisfy t0 <= t1 <= t2, got t0={queued_at:?} t1={running_at:?} t2={done_at:?}"
            )));
        }
        Ok(Self {
            queued_at,
            running_at,
            done_at,
            outcome,
            anchor: Anchor::ServerStart,
        })
    }

    /// `COMPLETED` from offset 0 (always valid).
    pub(crate) fn done_at_once() -> Self {
        Self {
            queued_at: Duration::ZERO,
            running_at: Duration::ZERO,
            done_at: Duration::ZERO,
            outcome: Outcome::Completed,
            anchor: Anchor::ServerStart,
        }
    }

    /// The same schedule measured from another [`Anchor`].
    pub fn anchored(mut self, anchor: Anchor) -> Self {
        self.anchor = anchor;
        self
    }

    /// `t0`: from here on the snapshot is `QUEUED`.
    pub fn queued_at(&self) -> Duration {
        self.queued_at
    }

    /// `t1`: from here on the snapshot is `RUNNING`.
    pub fn running_at(&self) -> Duration {
        self.running_at
    }

    /// `t2`: from here on the snapshot has its final status.
    pub fn done_at(&self) -> Duration {
        self.done_at
    }

    /// The final status.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// What the offsets are measured from.
    pub fn anchor(&self) -> Anchor {
        self.anchor
    }

    /// The status at `elapsed` after the anchor. Pure: no clock is read here.
    pub fn phase_at(&self, elapsed: Duration) -> LifecyclePhase {
        if elapsed < self.queued_at {
            LifecyclePhase::Pending
        } else if elapsed < self.running_at {
            LifecyclePhase::Queued
        } else if elapsed < self.done_at {
            LifecyclePhase::Running
        } else {
            match self.outcome {
                Outcome::Completed => LifecyclePhase::Completed,
                Outcome::Failed => LifecyclePhase::Failed,
            }
        }
    }
}

/// JSON form of a lifecycle in data files: offsets in milliseconds.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LifecycleWire {
    queued_after_ms: u64,
    running_after_ms: u64,
    done_after_ms: u64,
    outcome: Outcome,
    #[serde(default)]
    anchor: Anchor,
}

impl TryFrom<LifecycleWire> for Lifecycle {
    type Error = MockError;

    fn try_from(w: LifecycleWire) -> Result<Self, MockError> {
        Ok(Lifecycle::new(
            Duration::from_millis(w.queued_after_ms),
            Duration::from_millis(w.running_after_ms),
            Duration::from_millis(w.done_after_ms),
            w.outcome,
        )?
        .anchored(w.anchor))
    }
}

impl From<Lifecycle> for LifecycleWire {
    fn from(l: Lifecycle) -> Self {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        LifecycleWire {
            queued_after_ms: ms(l.queued_at),
            running_after_ms: ms(l.running_at),
            done_after_ms: ms(l.done_at),
            outcome: l.outcome,
            anchor: l.anchor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unordered_offsets() {
        let s = Duration::from_secs;
        assert!(Lifecycle::new(s(2), s(1), s(3), Outcome::Completed).is_err());
        assert!(Lifecycle::new(s(0), s(4), s(3), Outcome::Completed).is_err());
        assert!(Lifecycle::new(s(1), s(1), s(1), Outcome::Failed).is_ok());
    }

    #[test]
    fn phases_in_order() {
        let s = Duration::from_secs;
        let l = Lifecycle::new(s(1), s(2), s(3), Outcome::Failed).unwrap();
        assert_eq!(l.phase_at(Duration::ZERO), LifecyclePhase::Pending);
        assert_eq!(l.phase_at(s(1)), LifecyclePhase::Queued);
        assert_eq!(l.phase_at(s(2)), LifecyclePhase::Running);
        assert_eq!(l.phase_at(s(3)), LifecyclePhase::Failed);
        assert_eq!(l.phase_at(s(3000)).as_str(), "FAILED");
    }

    #[test]
    fn wire_round_trip() {
        let json = r#"{"queuedAfterMs":0,"runningAfterMs":1000,"doneAfterMs":3000,"outcome":"COMPLETED","anchor":"creation"}"#;
        let l: Lifecycle = serde_json::from_str(json).unwrap();
        assert_eq!(l.anchor(), Anchor::Creation);
        assert_eq!(serde_json::to_string(&l).unwrap(), json);
        let bad = r#"{"queuedAfterMs":5,"runningAfterMs":1,"doneAfterMs":3,"outcome":"FAILED"}"#;
        assert!(serde_json::from_str::<Lifecycle>(bad).is_err());
    }
}
