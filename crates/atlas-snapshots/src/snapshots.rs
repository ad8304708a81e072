//! The endpoint groups ([`TenantSnapshots`], [`FlexSnapshots`]) and their requests
//! ([`GetSnapshot`], [`ListSnapshots`]).

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;

use atlas_model::{ClusterName, GroupId, Paginated, SnapshotId, TenantSnapshot};
use futures_core::Stream;
use http::Uri;

use crate::endpoint::{Family, Query, Target};
use crate::wait::WaitSnapshot;
use crate::{ApiResponse, ApiVersion, AtlasClient, Error};

/// Marks requests to the shared-tier (M2/M5) "tenant" endpoints; only these take an
/// [`ApiVersion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenant;

/// Marks requests to the flex cluster endpoints (always API v2, `2024-11-13`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flex;

/// The shared-tier (M2/M5) snapshot endpoints, from [`AtlasClient::tenant_snapshots`].
///
/// - `GET {base}/api/atlas/v1.0/groups/{groupId}/clusters/{clusterName}/backup/tenant/snapshots/{snapshotId}`
///   ([`ApiVersion::V1`], the default: the seed's endpoint);
/// - the same under `/api/atlas/v2` with `Accept: application/vnd.atlas.2023-01-01+json`
///   ([`ApiVersion::V2`]);
/// - without the last segment, the list.
///
/// These endpoints were sunset on 2026-01-22; Atlas answers them with `410 VERSION_GONE`
/// ([`Error::Gone`]). Use [`FlexSnapshots`] for the migrated clusters.
#[derive(Debug, Clone, Copy)]
pub struct TenantSnapshots<'a> {
    client: &'a AtlasClient,
}

/// The flex cluster snapshot endpoints, from [`AtlasClient::flex_snapshots`]:
/// `GET {base}/api/atlas/v2/groups/{groupId}/flexClusters/{name}/backup/snapshots[/{snapshotId}]`
/// with `Accept: application/vnd.atlas.2024-11-13+json`.
#[derive(Debug, Clone, Copy)]
pub struct FlexSnapshots<'a> {
    client: &'a AtlasClient,
}

impl<'a> TenantSnapshots<'a> {
    pub(crate) fn new(client: &'a AtlasClient) -> Self {
        TenantSnapshots { client }
    }

    /// One snapshot of a shared-tier cluster.
    pub fn get(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> GetSnapshot<'a, Tenant> {
        GetSnapshot::new(
            self.client,
            target(
                Family::Tenant(ApiVersion::V1),
                group_id,
                cluster_name,
                Some(snapshot_id),
            ),
        )
    }

    /// The snapshots of a shared-tier cluster, one page or all of them.
    pub fn list(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
    ) -> ListSnapshots<'a, Tenant> {
        ListSnapshots::new(
            self.client,
            target(Family::Tenant(ApiVersion::V1), group_id, cluster_name, None),
        )
    }

    /// Polls one snapshot until its status is terminal (`COMPLETED` or `FAILED`).
    pub fn wait(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> WaitSnapshot<'a, Tenant> {
        WaitSnapshot::new(self.get(group_id, cluster_name, snapshot_id))
    }
}

impl<'a> FlexSnapshots<'a> {
    pub(crate) fn new(client: &'a AtlasClient) -> Self {
        FlexSnapshots { client }
    }

    /// One snapshot of a flex cluster.
    pub fn get(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> GetSnapshot<'a, Flex> {
        GetSnapshot::new(
            self.client,
            target(Family::Flex, group_id, cluster_name, Some(snapshot_id)),
        )
    }

    /// The snapshots of a flex cluster, one page or all of them.
    pub fn list(&self, group_id: &GroupId, cluster_name: &ClusterName) -> ListSnapshots<'a, Flex> {
        ListSnapshots::new(
            self.client,
            target(Family::Flex, group_id, cluster_name, None),
        )
    }

    /// Polls one snapshot until its status is terminal (`COMPLETED` or `FAILED`).
    pub fn wait(
        &self,
        group_id: &GroupId,
        cluster_name: &ClusterName,
        snapshot_id: &SnapshotId,
    ) -> WaitSnapshot<'a, Flex> {
        WaitSnapshot::new(self.get(group_id, cluster_name, snapshot_id))
    }
}

fn target(
    family: Family,
    group: &GroupId,
    cluster: &ClusterName,
    snapshot: Option<&SnapshotId>,
) -> Target {
    Target {
        family,
        group: group.clone(),
        cluster: cluster.clone(),
        snapshot: snapshot.cloned(),
    }
}

/// A request for one snapshot; configure it, then [`send`](Self::send) it.
///
/// ```no_run
/// # async fn demo(client: atlas_snapshots::AtlasClient) -> Result<(), atlas_snapshots::Error> {
/// use atlas_snapshots::ApiVersion;
/// let group = "5b69d0349b15c62cdfc38b78".parse().expect("valid id");
/// let cluster = "M2AWS".parse().expect("valid name");
/// let id = "5cc310ace5dc7ce369814bc8".parse().expect("valid id");
/// let snapshot = client
///     .tenant_snapshots()
///     .get(&group, &cluster, &id)
///     .api_version(ApiVersion::V2)
///     .envelope(true)
///     .send()
///     .await?;
/// println!("{:?}", snapshot.status);
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct GetSnapshot<'a, K> {
    client: &'a AtlasClient,
    target: Target,
    query: Query,
    kind: PhantomData<K>,
}

impl<K> fmt::Debug for GetSnapshot<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetSnapshot")
            .field("target", &self.target)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl<K> Clone for GetSnapshot<'_, K> {
    fn clone(&self) -> Self {
        GetSnapshot {
            client: self.client,
            target: self.target.clone(),
            query: self.query,
            kind: PhantomData,
        }
    }
}

impl<'a, K> GetSnapshot<'a, K> {
    fn new(client: &'a AtlasClient, target: Target) -> Self {
        GetSnapshot {
            client,
            target,
            query: Query::default(),
            kind: PhantomData,
        }
    }

    /// Asks Atlas to pretty-print the body (`pretty=true`); the decoded value is the same, the
    /// raw body in [`ApiResponse::body`] is indented.
    pub fn pretty(mut self, yes: bool) -> Self {
        self.query.pretty = yes;
        self
    }

    /// Asks Atlas to wrap the answer (`envelope=true`): the HTTP status is then always `200` and
    /// the real one is inside; it is unwrapped, and an inner error maps to the same [`Error`] as
    /// without the envelope.
    pub fn envelope(mut self, yes: bool) -> Self {
        self.query.envelope = yes;
        self
    }

    /// The URL this request goes to.
    ///
    /// # Errors
    ///
    /// None in practice: the base URL and the ids are validated before.
    pub fn uri(&self) -> Result<Uri, Error> {
        self.target.uri(self.client.base(), &self.query)
    }

    /// The `Accept` header this request is sent with.
    pub fn accept(&self) -> &'static str {
        self.target.family.accept()
    }

    /// Sends the request and decodes the snapshot.
    ///
    /// # Errors
    ///
    /// See [`Error`]: `404` is [`Error::NotFound`] (naming the group, cluster or snapshot when
    /// Atlas says which), `401` [`Error::Unauthorized`], `410` [`Error::Gone`] ...
    pub async fn send(self) -> Result<TenantSnapshot, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Sends the request and returns the snapshot with the HTTP status, headers (including
    /// `Deprecation` and `Sunset`) and the body exactly as received.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_full(self) -> Result<ApiResponse<TenantSnapshot>, Error> {
        let uri = self.uri()?;
        let url = uri.to_string();
        let response = self.client.fetch(uri, self.accept()).await?;
        self.client.decode(&url, response, self.query.envelope)
    }
}

impl<K> GetSnapshot<'_, K> {
    pub(crate) fn target(&self) -> &Target {
        &self.target
    }
}

impl GetSnapshot<'_, Tenant> {
    /// Which API version to call (default [`ApiVersion::V1`], the seed's `/api/atlas/v1.0`).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.target.family = Family::Tenant(version);
        self
    }
}

/// A request for a list of snapshots: one page with [`send`](Self::send), every page with
/// [`stream`](Self::stream).
///
/// ```no_run
/// # async fn demo(client: atlas_snapshots::AtlasClient) -> Result<(), atlas_snapshots::Error> {
/// use futures_util::TryStreamExt;
/// let group = "5b69d0349b15c62cdfc38b78".parse().expect("valid id");
/// let cluster = "Flex0".parse().expect("valid name");
/// let all: Vec<_> = client
///     .flex_snapshots()
///     .list(&group, &cluster)
///     .items_per_page(100)
///     .stream()
///     .try_collect()
///     .await?;
/// println!("{} snapshots", all.len());
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct ListSnapshots<'a, K> {
    client: &'a AtlasClient,
    target: Target,
    query: Query,
    max_pages: u32,
    kind: PhantomData<K>,
}

impl<K> fmt::Debug for ListSnapshots<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListSnapshots")
            .field("target", &self.target)
            .field("query", &self.query)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl<K> Clone for ListSnapshots<'_, K> {
    fn clone(&self) -> Self {
        ListSnapshots {
            client: self.client,
            target: self.target.clone(),
            query: self.query,
            max_pages: self.max_pages,
            kind: PhantomData,
        }
    }
}

/// The page size [`ListSnapshots::stream`] asks for when none is set (Atlas's default).
pub const DEFAULT_ITEMS_PER_PAGE: u32 = 100;

/// The default bound on the pages [`ListSnapshots::stream`] fetches.
pub const DEFAULT_MAX_PAGES: u32 = 1000;

impl<'a, K> ListSnapshots<'a, K> {
    fn new(client: &'a AtlasClient, target: Target) -> Self {
        ListSnapshots {
            client,
            target,
            query: Query::default(),
            max_pages: DEFAULT_MAX_PAGES,
            kind: PhantomData,
        }
    }

    /// Items per page (`itemsPerPage`; Atlas accepts 1 to 500, default 100).
    pub fn items_per_page(mut self, n: u32) -> Self {
        self.query.items_per_page = Some(n);
        self
    }

    /// The page to fetch (`pageNum`, from 1); for [`stream`](Self::stream), the first page.
    pub fn page_num(mut self, n: u32) -> Self {
        self.query.page_num = Some(n);
        self
    }

    /// Whether Atlas computes `totalCount` (`includeCount`; Atlas's default is `true`).
    pub fn include_count(mut self, yes: bool) -> Self {
        self.query.include_count = Some(yes);
        self
    }

    /// `pretty=true`: an indented raw body.
    pub fn pretty(mut self, yes: bool) -> Self {
        self.query.pretty = yes;
        self
    }

    /// `envelope=true`: see [`GetSnapshot::envelope`].
    pub fn envelope(mut self, yes: bool) -> Self {
        self.query.envelope = yes;
        self
    }

    /// The most pages [`stream`](Self::stream) fetches (default [`DEFAULT_MAX_PAGES`]); past it the
    /// stream ends with [`Error::TooManyPages`].
    pub fn max_pages(mut self, n: u32) -> Self {
        self.max_pages = n;
        self
    }

    /// The URL of the page [`send`](Self::send) fetches.
    ///
    /// # Errors
    ///
    /// None in practice: the base URL and the ids are validated before.
    pub fn uri(&self) -> Result<Uri, Error> {
        self.target.uri(self.client.base(), &self.query)
    }

    /// The `Accept` header this request is sent with.
    pub fn accept(&self) -> &'static str {
        self.target.family.accept()
    }

    /// Fetches one page.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn send(self) -> Result<Paginated<TenantSnapshot>, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Fetches one page, with the HTTP details.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn send_full(self) -> Result<ApiResponse<Paginated<TenantSnapshot>>, Error> {
        let uri = self.uri()?;
        let url = uri.to_string();
        let response = self.client.fetch(uri, self.accept()).await?;
        self.client.decode(&url, response, self.query.envelope)
    }

    /// Every snapshot on every page, starting at [`page_num`](Self::page_num) (default 1).
    ///
    /// After each page the next one is found by following the page's `next` link when it points
    /// at the same scheme, host, port and path (so credentials never go elsewhere), else by page
    /// number (the link's `pageNum`, or the current page plus one). The stream ends after an
    /// empty page, once `totalCount` items were seen, or after a page shorter than
    /// `itemsPerPage` (always sent, default [`DEFAULT_ITEMS_PER_PAGE`]) that has no `next`
    /// link. It ends with [`Error::TooManyPages`] after [`max_pages`](Self::max_pages) pages,
    /// and after the first error.
    ///
    /// The stream owns a clone of the client; it does not borrow this request.
    pub fn stream(self) -> impl Stream<Item = Result<TenantSnapshot, Error>> + Send + use<K> {
        let mut query = self.query;
        let per_page = *query.items_per_page.get_or_insert(DEFAULT_ITEMS_PER_PAGE);
        let state = Pager {
            client: self.client.clone(),
            accept: self.target.family.accept(),
            next: Some(NextPage::Numbered(query.page_num.unwrap_or(1))),
            target: self.target,
            query,
            per_page,
            max_pages: self.max_pages,
            pages: 0,
            seen: 0,
            buffer: VecDeque::new(),
        };
        futures_util::stream::unfold(state, |mut pager| async move {
            let item = pager.next_item().await?;
            Some((item, pager))
        })
    }
}

impl ListSnapshots<'_, Tenant> {
    /// Which API version to call (default [`ApiVersion::V1`]).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.target.family = Family::Tenant(version);
        self
    }
}

/// Where the next page is.
#[derive(Debug)]
enum NextPage {
    Numbered(u32),
    Link { uri: Uri, page: u32 },
}

/// The state of [`ListSnapshots::stream`].
struct Pager {
    client: AtlasClient,
    target: Target,
    accept: &'static str,
    query: Query,
    per_page: u32,
    max_pages: u32,
    pages: u32,
    seen: u64,
    next: Option<NextPage>,
    buffer: VecDeque<TenantSnapshot>,
}

impl Pager {
    async fn next_item(&mut self) -> Option<Result<TenantSnapshot, Error>> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Some(Ok(item));
            }
            let next = self.next.take()?;
            if self.pages >= self.max_pages {
                return Some(Err(Error::TooManyPages {
                    limit: self.max_pages,
                }));
            }
            match self.fetch(next).await {
                Ok(()) => {}
                Err(e) => {
                    self.next = None;
                    return Some(Err(e));
                }
            }
        }
    }

    /// Fetches one page into the buffer and decides where the next one is.
    async fn fetch(&mut self, next: NextPage) -> Result<(), Error> {
        let (uri, page_num) = match next {
            NextPage::Numbered(n) => {
                let query = Query {
                    page_num: Some(n),
                    ..self.query
                };
                (self.target.uri(self.client.base(), &query)?, n)
            }
            NextPage::Link { uri, page } => (uri, page),
        };
        self.pages += 1;
        let url = uri.to_string();
        let response = self.client.fetch(uri.clone(), self.accept).await?;
        let page: Paginated<TenantSnapshot> = self
            .client
            .decode(&url, response, self.query.envelope)?
            .value;
        let count = page.results.len();
        self.seen += count as u64;
        let all_seen = page.total_count.is_some_and(|total| self.seen >= total);
        let short = count < self.per_page as usize;
        self.next = if count == 0 || all_seen || (short && page.next_href().is_none()) {
            None
        } else {
            Some(self.after(&page, &uri, page_num))
        };
        self.buffer.extend(page.results);
        Ok(())
    }

    fn after(&self, page: &Paginated<TenantSnapshot>, current: &Uri, page_num: u32) -> NextPage {
        let following = page_num.saturating_add(1);
        let Some(href) = page.next_href() else {
            return NextPage::Numbered(following);
        };
        let Ok(link) = href.parse::<Uri>() else {
            return NextPage::Numbered(following);
        };
        let linked_page = query_param(&link, "pageNum")
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(following);
        if !self.client.base().same_origin(&link)
            || link.path() != current.path()
            || link == *current
        {
            return NextPage::Numbered(linked_page);
        }
        match self.keep_flags(&link) {
            Some(uri) => NextPage::Link {
                uri,
                page: linked_page,
            },
            None => NextPage::Numbered(linked_page),
        }
    }

    /// The link with our `envelope` and `pretty` flags added when Atlas left them out, so the
    /// page decodes the same way as the first one.
    fn keep_flags(&self, link: &Uri) -> Option<Uri> {
        let mut text = link.to_string();
        for (set, name) in [
            (self.query.envelope, "envelope"),
            (self.query.pretty, "pretty"),
        ] {
            if set && query_param(link, name).is_none() {
                text.push(if text.contains('?') { '&' } else { '?' });
                text.push_str(name);
                text.push_str("=true");
            }
        }
        text.parse().ok()
    }
}

fn query_param<'u>(uri: &'u Uri, name: &str) -> Option<&'u str> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}
