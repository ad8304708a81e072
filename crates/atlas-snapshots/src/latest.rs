//! [`LatestSnapshot`]: the newest completed snapshot of a cluster.

use atlas_model::TenantSnapshot;

use crate::list::ListSnapshots;
use crate::{AnyKind, ClusterKind, Error, Raw, ServedBy, SnapshotEndpoints, SnapshotItem};

/// A request for the newest completed snapshot of a cluster, from `latest(..)` of
/// [`Snapshots`](crate::Snapshots), [`TenantSnapshots`](crate::TenantSnapshots),
/// [`FlexSnapshots`](crate::FlexSnapshots) or [`DedicatedSnapshots`](crate::DedicatedSnapshots).
///
/// Atlas does not document the order of its lists (they come oldest first), so every page is
/// walked and the snapshots compared: tenant and flex snapshots by `scheduledTime` (then
/// `finishTime`, then id), dedicated ones by `createdAt` (then id); one without the time
/// counts as older than any with one. "Completed" is the [phase](crate::SnapshotPhase):
/// `COMPLETED`, or `completed` on a dedicated cluster. Entries that do not decode are left out
/// (and reported to [`on_warning`](crate::List::on_warning) of the list, as usual).
#[must_use = "a request does nothing until it is sent"]
#[derive(Debug)]
pub struct LatestSnapshot<'a, K: SnapshotEndpoints> {
    list: ListSnapshots<'a, K>,
}

/// The answer of [`LatestSnapshot::send`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Latest<T = TenantSnapshot> {
    /// The snapshot, typed and as Atlas sent it.
    pub snapshot: Raw<T>,
    /// The endpoint that served the first page (so the kind of the cluster).
    pub served_by: Option<ServedBy>,
    /// How many snapshots were listed in all (decoded ones).
    pub listed: u64,
}

impl<'a, K: SnapshotEndpoints> LatestSnapshot<'a, K> {
    pub(crate) fn new(list: ListSnapshots<'a, K>) -> Self {
        LatestSnapshot { list }
    }

    /// Page size of the walk (default 100; at most 500).
    pub fn items_per_page(mut self, n: u32) -> Self {
        self.list = self.list.items_per_page(n);
        self
    }

    /// Walks every page and picks the newest completed snapshot.
    ///
    /// # Errors
    ///
    /// [`Error::NoCompletedSnapshot`] when there is none; any error of the walk.
    pub async fn send(self) -> Result<Latest<K::Snapshot>, Error> {
        let mut pager = self.list.pager();
        let mut best: Option<Raw<K::Snapshot>> = None;
        let mut listed = 0u64;
        while let Some(page) = pager.next_page().await {
            for item in page?.items {
                listed += 1;
                if !item.value().is_completed() {
                    continue;
                }
                let newer = best.as_ref().is_none_or(|b| {
                    item.value().newest_first(b.value()) == std::cmp::Ordering::Less
                });
                if newer {
                    best = Some(item);
                }
            }
        }
        match best {
            Some(snapshot) => Ok(Latest {
                snapshot,
                served_by: pager.served_by.take(),
                listed,
            }),
            None => Err(Error::NoCompletedSnapshot { listed }),
        }
    }
}

impl LatestSnapshot<'_, AnyKind> {
    /// Lists only the endpoints of `kind`: no lookup, no fallback.
    pub fn kind(mut self, kind: ClusterKind) -> Self {
        self.list = self.list.kind(kind);
        self
    }
}
