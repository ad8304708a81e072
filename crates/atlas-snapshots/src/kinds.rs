//! The families of snapshot endpoints as types: the markers [`Tenant`], [`Flex`], [`Dedicated`]
//! and [`AnyKind`], the snapshot type each returns ([`SnapshotEndpoints`]), and what every
//! snapshot type offers to waits and `latest()` ([`SnapshotItem`]).

use std::cmp::Ordering;

use atlas_model::{AnySnapshot, CloudBackupSnapshot, FlexSnapshot, TenantSnapshot};

use crate::page::PageItem;
use crate::wait::Watched;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Tenant {}
    impl Sealed for super::Flex {}
    impl Sealed for super::Dedicated {}
    impl Sealed for super::AnyKind {}
    impl Sealed for atlas_model::TenantSnapshot {}
    impl Sealed for atlas_model::CloudBackupSnapshot {}
    impl Sealed for atlas_model::AnySnapshot {}
}

/// Marks requests to the shared-tier (M2/M5) "tenant" endpoints; only these take an
/// [`ApiVersion`](crate::ApiVersion).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenant;

/// Marks requests to the flex cluster endpoints (always API v2, `2024-11-13`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flex;

/// Marks requests to a dedicated cluster's cloud backup endpoints (API v2, `2023-01-01`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dedicated;

/// Marks requests that find the cluster's kind themselves ([`AtlasClient::snapshots`](crate::AtlasClient::snapshots));
/// they take [`kind`](crate::GetSnapshot::kind) to force one and
/// [`api_version`](crate::GetSnapshot::api_version) for the tenant lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnyKind;

/// A family of snapshot endpoints and the snapshot type it returns: what `K` in
/// [`GetSnapshot<'_, K>`](crate::GetSnapshot), [`ListSnapshots<'_, K>`](crate::ListSnapshots),
/// [`WaitSnapshot<'_, K>`](crate::WaitSnapshot) and [`LatestSnapshot<'_, K>`](crate::LatestSnapshot)
/// decides. Sealed.
///
/// | `K` | [`Snapshot`](Self::Snapshot) |
/// |---|---|
/// | [`Tenant`], [`Flex`] | [`TenantSnapshot`] (alias [`FlexSnapshot`]) |
/// | [`Dedicated`] | [`CloudBackupSnapshot`] |
/// | [`AnyKind`] | [`AnySnapshot`]: the variant says which kind answered |
pub trait SnapshotEndpoints: sealed::Sealed + Send + Sync + 'static {
    /// The snapshot these endpoints return.
    type Snapshot: SnapshotItem;
}

impl SnapshotEndpoints for Tenant {
    type Snapshot = TenantSnapshot;
}

impl SnapshotEndpoints for Flex {
    type Snapshot = FlexSnapshot;
}

impl SnapshotEndpoints for Dedicated {
    type Snapshot = CloudBackupSnapshot;
}

impl SnapshotEndpoints for AnyKind {
    type Snapshot = AnySnapshot;
}

/// A snapshot type: [`TenantSnapshot`] (tenant and flex), [`CloudBackupSnapshot`] (dedicated)
/// or [`AnySnapshot`]; something a list holds ([`PageItem`]), a wait watches ([`Watched`]) and
/// `latest()` orders. Sealed.
pub trait SnapshotItem: sealed::Sealed + PageItem + Watched {
    /// Whether the snapshot is complete (its phase is `Completed`).
    #[doc(hidden)]
    fn is_completed(&self) -> bool;
    /// Orders the newer snapshot first.
    #[doc(hidden)]
    fn newest_first(&self, other: &Self) -> Ordering;
}

impl SnapshotItem for TenantSnapshot {
    fn is_completed(&self) -> bool {
        self.status == Some(atlas_model::SnapshotStatus::Completed)
    }
    /// By `scheduledTime`, then `finishTime`, then id; a missing time counts as older than any.
    fn newest_first(&self, other: &Self) -> Ordering {
        other
            .scheduled_time
            .cmp(&self.scheduled_time)
            .then(other.finish_time.cmp(&self.finish_time))
            .then(other.id.cmp(&self.id))
    }
}

impl SnapshotItem for CloudBackupSnapshot {
    fn is_completed(&self) -> bool {
        self.status == Some(atlas_model::CloudSnapshotStatus::Completed)
    }
    /// By `createdAt`, then id; a missing time counts as older than any.
    fn newest_first(&self, other: &Self) -> Ordering {
        other
            .created_at
            .cmp(&self.created_at)
            .then(other.id.cmp(&self.id))
    }
}

impl SnapshotItem for AnySnapshot {
    fn is_completed(&self) -> bool {
        self.phase() == Some(atlas_model::SnapshotPhase::Completed)
    }
    /// Within a kind, as that kind orders; across kinds (never in one list), by the time taken.
    fn newest_first(&self, other: &Self) -> Ordering {
        match (self, other) {
            (AnySnapshot::Dedicated(a), AnySnapshot::Dedicated(b)) => a.newest_first(b),
            _ => match (self.as_tenant(), other.as_tenant()) {
                (Some(a), Some(b)) => a.newest_first(b),
                _ => other
                    .taken_at()
                    .cmp(&self.taken_at())
                    .then(other.id().cmp(&self.id())),
            },
        }
    }
}
