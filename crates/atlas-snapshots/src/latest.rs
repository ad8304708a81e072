//! [`LatestSnapshot`]: the newest `COMPLETED` snapshot of a cluster.

use std::cmp::Ordering;

use atlas_model::{SnapshotStatus, TenantSnapshot};

use crate::list::ListSnapshots;
use crate::{AnyKind, ClusterKind, Error, Raw, ServedBy};

/// A request for the newest `COMPLETED` snapshot of a cluster, from `latest(..)` of
/// [`Snapshots`](crate::Snapshots), [`TenantSnapshots`](crate::TenantSnapshots) or
/// [`FlexSnapshots`](crate::FlexSnapshots).
///
/// Atlas does not document the order of its lists (they come oldest first), so every page is
/// walked and the snapshots compared by `scheduledTime` (then `finishTime`, then id); one
/// without a `scheduledTime` counts as older than any with one. Entries that do not decode are
/// left out (and reported to [`on_warning`](ListSnapshots::on_warning) of the list, as usual).
#[must_use = "a request does nothing until it is sent"]
#[derive(Debug)]
pub struct LatestSnapshot<'a, K> {
    list: ListSnapshots<'a, K>,
}

/// The answer of [`LatestSnapshot::send`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Latest {
    /// The snapshot, typed and as Atlas sent it.
    pub snapshot: Raw<TenantSnapshot>,
    /// The endpoint that served the first page (so the kind of the cluster).
    pub served_by: Option<ServedBy>,
    /// How many snapshots were listed in all (decoded ones).
    pub listed: u64,
}

impl<'a, K> LatestSnapshot<'a, K> {
    pub(crate) fn new(list: ListSnapshots<'a, K>) -> Self {
        LatestSnapshot { list }
    }

    /// Page size of the walk (default 100; at most 500).
    pub fn items_per_page(mut self, n: u32) -> Self {
        self.list = self.list.items_per_page(n);
        self
    }

    /// Walks every page and picks the newest `COMPLETED` snapshot.
    ///
    /// # Errors
    ///
    /// [`Error::NoCompletedSnapshot`] when there is none; any error of the walk.
    pub async fn send(self) -> Result<Latest, Error> {
        let mut pager = self.list.pager();
        let mut best: Option<Raw<TenantSnapshot>> = None;
        let mut listed = 0u64;
        while let Some(page) = pager.next_page().await {
            for item in page?.items {
                listed += 1;
                if item.value().status != Some(SnapshotStatus::Completed) {
                    continue;
                }
                let newer = best
                    .as_ref()
                    .is_none_or(|b| newest_first(item.value(), b.value()) == Ordering::Less);
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

/// Orders the newer snapshot first: by `scheduledTime`, then `finishTime`, then id, a missing
/// time counting as older than any.
pub(crate) fn newest_first(a: &TenantSnapshot, b: &TenantSnapshot) -> Ordering {
    b.scheduled_time
        .cmp(&a.scheduled_time)
        .then(b.finish_time.cmp(&a.finish_time))
        .then(b.id.cmp(&a.id))
}
