//! [`AnySnapshot`]: a snapshot of a cluster of any kind.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use crate::{
    AnySnapshotStatus, CloudBackupSnapshot, FlexSnapshot, SnapshotId, SnapshotPhase, TenantSnapshot,
};

/// A snapshot of a shared-tier (tenant), flex or dedicated cluster: the variant says which
/// endpoints it came from, and so its shape. What every kind has (an id, a status and its
/// [`phase`](Self::phase), when it was taken) is read the same way for all.
///
/// Serialising writes the inner snapshot as it is, without any tag.
///
/// ```
/// use atlas_model::{parse_cloud_snapshot, parse_snapshot, AnySnapshot, SnapshotPhase};
/// let flex = AnySnapshot::Flex(parse_snapshot(r#"{"id":"6740a1f2c3d4e5f6a7b8c901","status":"RUNNING"}"#)?);
/// let dedicated = AnySnapshot::Dedicated(parse_cloud_snapshot(
///     r#"{"id":"6740a1f2c3d4e5f6a7b8c9e1","status":"inProgress"}"#,
/// )?);
/// for s in [&flex, &dedicated] {
///     assert_eq!(s.phase(), Some(SnapshotPhase::Running));
/// }
/// assert_eq!(dedicated.status_str(), Some("inProgress"));
/// # Ok::<(), atlas_model::ModelError>(())
/// ```
// Both shapes are a few hundred bytes; boxing the larger one would make every match on it
// clumsier for a saving that does not matter next to the JSON kept beside each value.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AnySnapshot {
    /// From the shared-tier (M2/M5) tenant endpoints.
    Tenant(TenantSnapshot),
    /// From the flex endpoints (the same shape as a tenant snapshot).
    Flex(FlexSnapshot),
    /// From a dedicated cluster's cloud backup endpoints.
    Dedicated(CloudBackupSnapshot),
}

impl AnySnapshot {
    /// The snapshot id.
    pub fn id(&self) -> Option<&SnapshotId> {
        match self {
            AnySnapshot::Tenant(s) | AnySnapshot::Flex(s) => s.id.as_ref(),
            AnySnapshot::Dedicated(s) => s.id.as_ref(),
        }
    }

    /// The status, typed for its kind.
    pub fn status(&self) -> Option<AnySnapshotStatus> {
        match self {
            AnySnapshot::Tenant(s) | AnySnapshot::Flex(s) => {
                s.status.clone().map(AnySnapshotStatus::Tenant)
            }
            AnySnapshot::Dedicated(s) => s.status.clone().map(AnySnapshotStatus::Cloud),
        }
    }

    /// The status's wire value (`COMPLETED`, `inProgress`, or an unknown one as received).
    pub fn status_str(&self) -> Option<&str> {
        match self {
            AnySnapshot::Tenant(s) | AnySnapshot::Flex(s) => s.status.as_ref().map(|s| s.as_str()),
            AnySnapshot::Dedicated(s) => s.status.as_ref().map(|s| s.as_str()),
        }
    }

    /// The phase of the status, the same for every kind.
    pub fn phase(&self) -> Option<SnapshotPhase> {
        match self {
            AnySnapshot::Tenant(s) | AnySnapshot::Flex(s) => s.status.as_ref().map(|s| s.phase()),
            AnySnapshot::Dedicated(s) => s.status.as_ref().map(|s| s.phase()),
        }
    }

    /// When the snapshot was taken: `scheduledTime` of a tenant or flex snapshot, `createdAt` of
    /// a dedicated one.
    pub fn taken_at(&self) -> Option<DateTime<Utc>> {
        match self {
            AnySnapshot::Tenant(s) | AnySnapshot::Flex(s) => s.scheduled_time,
            AnySnapshot::Dedicated(s) => s.created_at,
        }
    }

    /// The tenant or flex snapshot, if it is one.
    pub fn as_tenant(&self) -> Option<&TenantSnapshot> {
        match self {
            AnySnapshot::Tenant(s) | AnySnapshot::Flex(s) => Some(s),
            AnySnapshot::Dedicated(_) => None,
        }
    }

    /// The dedicated cluster's snapshot, if it is one.
    pub fn as_cloud(&self) -> Option<&CloudBackupSnapshot> {
        match self {
            AnySnapshot::Dedicated(s) => Some(s),
            _ => None,
        }
    }
}

impl Serialize for AnySnapshot {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AnySnapshot::Tenant(s) | AnySnapshot::Flex(s) => s.serialize(serializer),
            AnySnapshot::Dedicated(s) => s.serialize(serializer),
        }
    }
}
