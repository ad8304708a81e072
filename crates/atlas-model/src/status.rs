//! [`SnapshotStatus`]: the snapshot's workflow phase, forward compatible.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The phase of a snapshot's workflow, as Atlas reports it in `status`.
///
/// Atlas documents `COMPLETED`, `FAILED`, `PENDING`, `QUEUED` and `RUNNING`. Any other value is kept
/// in [`SnapshotStatus::Unknown`] exactly as received, so a status Atlas adds later round-trips
/// unchanged instead of failing the parse.
///
/// **Case:** Atlas sends upper case. The documented values are also recognised in any other case
/// (`"completed"` is [`SnapshotStatus::Completed`]), because a status that means "done" must end a
/// wait whatever its spelling; such a value is written back in upper case.
///
/// ```
/// use atlas_model::SnapshotStatus;
/// assert_eq!(SnapshotStatus::from("FAILED"), SnapshotStatus::Failed);
/// assert!(SnapshotStatus::from("completed").is_terminal());
/// let new = SnapshotStatus::from("ARCHIVING");
/// assert_eq!(new.as_str(), "ARCHIVING");
/// assert!(!new.is_terminal());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SnapshotStatus {
    /// `COMPLETED`: the snapshot was taken. Terminal.
    Completed,
    /// `FAILED`: the snapshot failed. Terminal.
    Failed,
    /// `PENDING`: requested, not yet queued.
    Pending,
    /// `QUEUED`: waiting to run.
    Queued,
    /// `RUNNING`: being taken.
    Running,
    /// Any other value, kept verbatim.
    Unknown(String),
}

impl SnapshotStatus {
    /// The wire string (`"COMPLETED"`, ..., or the unknown value as received).
    pub fn as_str(&self) -> &str {
        match self {
            SnapshotStatus::Completed => "COMPLETED",
            SnapshotStatus::Failed => "FAILED",
            SnapshotStatus::Pending => "PENDING",
            SnapshotStatus::Queued => "QUEUED",
            SnapshotStatus::Running => "RUNNING",
            SnapshotStatus::Unknown(s) => s,
        }
    }

    /// Whether the snapshot will not change any more: [`Completed`](Self::Completed) or
    /// [`Failed`](Self::Failed). Unknown values are not terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(self, SnapshotStatus::Completed | SnapshotStatus::Failed)
    }
}

impl From<&str> for SnapshotStatus {
    fn from(s: &str) -> Self {
        const KNOWN: [(&str, SnapshotStatus); 5] = [
            ("COMPLETED", SnapshotStatus::Completed),
            ("FAILED", SnapshotStatus::Failed),
            ("PENDING", SnapshotStatus::Pending),
            ("QUEUED", SnapshotStatus::Queued),
            ("RUNNING", SnapshotStatus::Running),
        ];
        KNOWN
            .into_iter()
            .find(|(wire, _)| wire.eq_ignore_ascii_case(s))
            .map(|(_, status)| status)
            .unwrap_or_else(|| SnapshotStatus::Unknown(s.to_owned()))
    }
}

impl From<String> for SnapshotStatus {
    fn from(s: String) -> Self {
        match SnapshotStatus::from(s.as_str()) {
            SnapshotStatus::Unknown(_) => SnapshotStatus::Unknown(s),
            known => known,
        }
    }
}

impl fmt::Display for SnapshotStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SnapshotStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SnapshotStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SnapshotStatus::from)
    }
}
