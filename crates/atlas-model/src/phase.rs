//! [`SnapshotPhase`]: one view of a status across cluster kinds, and [`AnySnapshotStatus`],
//! the status of a snapshot of any kind.

use std::fmt;

use crate::{CloudSnapshotStatus, RestoreStatus, SnapshotStatus};

/// What a status means, whatever the kind of cluster and however Atlas spells it there: tenant
/// and flex snapshots say `QUEUED`, `RUNNING`, `COMPLETED`; dedicated clusters' cloud backup
/// snapshots say `queued`, `inProgress`, `completed`. Waits and tables use the phase; the value
/// Atlas sent stays in the status itself (`as_str()`).
///
/// | Phase | Tenant / flex ([`SnapshotStatus`]) | Dedicated ([`CloudSnapshotStatus`]) | Restore jobs |
/// |---|---|---|---|
/// | [`Queued`](Self::Queued) | `PENDING`, `QUEUED` | `queued` | `PENDING`, `QUEUED` |
/// | [`Running`](Self::Running) | `RUNNING` | `inProgress` | `RUNNING` |
/// | [`Completed`](Self::Completed) | `COMPLETED` | `completed` | `COMPLETED` |
/// | [`Failed`](Self::Failed) | `FAILED` | `failed` | `FAILED` |
/// | [`Other`](Self::Other) | anything else | anything else | anything else |
///
/// ```
/// use atlas_model::{CloudSnapshotStatus, SnapshotPhase, SnapshotStatus};
/// assert_eq!(SnapshotStatus::Running.phase(), SnapshotPhase::Running);
/// assert_eq!(CloudSnapshotStatus::from("inProgress").phase(), SnapshotPhase::Running);
/// assert!(CloudSnapshotStatus::from("completed").phase().is_terminal());
/// assert_eq!(SnapshotStatus::from("ARCHIVING").phase(), SnapshotPhase::Other);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SnapshotPhase {
    /// Asked for, not started.
    Queued,
    /// Being taken.
    Running,
    /// Taken. Terminal.
    Completed,
    /// Not taken. Terminal.
    Failed,
    /// A status this crate does not know: not terminal.
    Other,
}

impl SnapshotPhase {
    /// `queued`, `running`, `completed`, `failed` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotPhase::Queued => "queued",
            SnapshotPhase::Running => "running",
            SnapshotPhase::Completed => "completed",
            SnapshotPhase::Failed => "failed",
            SnapshotPhase::Other => "other",
        }
    }

    /// Whether the status will not change any more: [`Completed`](Self::Completed) or
    /// [`Failed`](Self::Failed).
    pub fn is_terminal(self) -> bool {
        matches!(self, SnapshotPhase::Completed | SnapshotPhase::Failed)
    }
}

impl fmt::Display for SnapshotPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl SnapshotStatus {
    /// The phase of this status: `PENDING` and `QUEUED` are [`SnapshotPhase::Queued`].
    pub fn phase(&self) -> SnapshotPhase {
        match self {
            SnapshotStatus::Pending | SnapshotStatus::Queued => SnapshotPhase::Queued,
            SnapshotStatus::Running => SnapshotPhase::Running,
            SnapshotStatus::Completed => SnapshotPhase::Completed,
            SnapshotStatus::Failed => SnapshotPhase::Failed,
            SnapshotStatus::Unknown(_) => SnapshotPhase::Other,
        }
    }
}

impl CloudSnapshotStatus {
    /// The phase of this status: `inProgress` is [`SnapshotPhase::Running`].
    pub fn phase(&self) -> SnapshotPhase {
        match self {
            CloudSnapshotStatus::Queued => SnapshotPhase::Queued,
            CloudSnapshotStatus::InProgress => SnapshotPhase::Running,
            CloudSnapshotStatus::Completed => SnapshotPhase::Completed,
            CloudSnapshotStatus::Failed => SnapshotPhase::Failed,
            CloudSnapshotStatus::Unknown(_) => SnapshotPhase::Other,
        }
    }

    /// Whether the snapshot will not change any more: `completed` or `failed`.
    pub fn is_terminal(&self) -> bool {
        self.phase().is_terminal()
    }
}

impl RestoreStatus {
    /// The phase of this status, in the words of snapshots: `PENDING` and `QUEUED` are
    /// [`SnapshotPhase::Queued`].
    pub fn phase(&self) -> SnapshotPhase {
        match self {
            RestoreStatus::Pending | RestoreStatus::Queued => SnapshotPhase::Queued,
            RestoreStatus::Running => SnapshotPhase::Running,
            RestoreStatus::Completed => SnapshotPhase::Completed,
            RestoreStatus::Failed => SnapshotPhase::Failed,
            RestoreStatus::Unknown(_) => SnapshotPhase::Other,
        }
    }
}

/// The status of a snapshot of any kind of cluster: the kind's own status, typed, with one
/// [`phase`](Self::phase) across kinds and the wire value in [`as_str`](Self::as_str).
///
/// ```
/// use atlas_model::{AnySnapshotStatus, CloudSnapshotStatus, SnapshotPhase, SnapshotStatus};
/// let flex = AnySnapshotStatus::from(SnapshotStatus::Running);
/// let dedicated = AnySnapshotStatus::from(CloudSnapshotStatus::InProgress);
/// assert_eq!(flex.phase(), dedicated.phase());
/// assert_eq!((flex.as_str(), dedicated.as_str()), ("RUNNING", "inProgress"));
/// assert_eq!(dedicated.phase(), SnapshotPhase::Running);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnySnapshotStatus {
    /// A tenant or flex snapshot's status.
    Tenant(SnapshotStatus),
    /// A dedicated cluster's cloud backup snapshot status.
    Cloud(CloudSnapshotStatus),
}

impl AnySnapshotStatus {
    /// The phase, the same for every kind.
    pub fn phase(&self) -> SnapshotPhase {
        match self {
            AnySnapshotStatus::Tenant(s) => s.phase(),
            AnySnapshotStatus::Cloud(s) => s.phase(),
        }
    }

    /// The wire value (`RUNNING`, `inProgress`, or an unknown value as received).
    pub fn as_str(&self) -> &str {
        match self {
            AnySnapshotStatus::Tenant(s) => s.as_str(),
            AnySnapshotStatus::Cloud(s) => s.as_str(),
        }
    }

    /// Whether the snapshot will not change any more.
    pub fn is_terminal(&self) -> bool {
        self.phase().is_terminal()
    }
}

impl From<SnapshotStatus> for AnySnapshotStatus {
    fn from(s: SnapshotStatus) -> Self {
        AnySnapshotStatus::Tenant(s)
    }
}

impl From<CloudSnapshotStatus> for AnySnapshotStatus {
    fn from(s: CloudSnapshotStatus) -> Self {
        AnySnapshotStatus::Cloud(s)
    }
}

impl fmt::Display for AnySnapshotStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
