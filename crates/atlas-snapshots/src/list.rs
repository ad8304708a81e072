//! [`List`] ([`ListSnapshots`], [`ListRestoreJobs`]): one page or every page of a list, and
//! the [`ListWarning`]s a walk over the pages can produce.

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use atlas_model::RestoreJob;
use futures_core::Stream;
use http::Uri;

use crate::endpoint::{Family, Query, Target, redact_userinfo};
use crate::lookup::Lookup;
use crate::page::{Page, PageItem, RejectedEntry};
use crate::{
    AnyKind, ApiResponse, ApiVersion, AtlasClient, ClusterKind, Error, Flex, SnapshotEndpoints,
    Tenant,
};

/// The page size [`ListSnapshots::stream`] and [`ListSnapshots::pages`] ask for when none is
/// set (Atlas's default).
pub const DEFAULT_ITEMS_PER_PAGE: u32 = 100;

/// The default bound on the pages [`ListSnapshots::stream`] fetches.
pub const DEFAULT_MAX_PAGES: u32 = 1000;

/// Something odd about a list that did not stop it, passed to [`ListSnapshots::on_warning`]
/// (and logged with `tracing::warn!`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ListWarning {
    /// An entry of a page did not decode; the page's other entries were kept. The entry is also
    /// in [`Page::rejected`](crate::Page::rejected).
    Rejected(RejectedEntry),
    /// A page had exactly the ids of the page before it: the server ignores the page number, so
    /// the walk stopped there instead of collecting the same snapshots again.
    RepeatedPage {
        /// The repeated page's number.
        page_num: u32,
        /// The URL it was fetched from.
        url: String,
    },
    /// A `next` link pointed at another origin or endpoint than the one listed; it was not
    /// followed (credentials stay with the base URL's origin) and the walk went on by page
    /// number. Reported once per walk.
    NextLinkNotFollowed {
        /// The page that carried the link.
        page_num: u32,
        /// The link (user information removed).
        href: String,
    },
}

impl fmt::Display for ListWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListWarning::Rejected(entry) => write!(f, "skipped {entry}"),
            ListWarning::RepeatedPage { page_num, .. } => write!(
                f,
                "page {page_num} repeats the snapshots of page {}: the server ignores the page number; stopped there",
                page_num.saturating_sub(1)
            ),
            ListWarning::NextLinkNotFollowed { page_num, href } => write!(
                f,
                "the next link of page {page_num} points elsewhere ({href}); not followed, continuing by page number"
            ),
        }
    }
}

type WarningSink = Arc<dyn Fn(&ListWarning) + Send + Sync>;

/// A request for a list of snapshots of the endpoints `K` ([`SnapshotEndpoints`]): of
/// [`TenantSnapshot`](crate::TenantSnapshot)s for [`Tenant`] and [`Flex`],
/// [`CloudBackupSnapshot`](crate::CloudBackupSnapshot)s for [`Dedicated`](crate::Dedicated),
/// [`AnySnapshot`](crate::AnySnapshot)s for [`AnyKind`].
pub type ListSnapshots<'a, K> = List<'a, K, <K as SnapshotEndpoints>::Snapshot>;

/// A request for a list of a flex cluster's restore jobs (Atlas sends them newest first).
pub type ListRestoreJobs<'a> = List<'a, Flex, RestoreJob>;

/// A request for a list (of snapshots, or of restore jobs): one page with
/// [`send`](Self::send), every page with [`pages`](Self::pages), every entry of every page with
/// [`stream`](Self::stream).
///
/// Walks slow down when Atlas's `RateLimit-Remaining` runs low (a pause before the next page)
/// instead of running into a `429`.
///
/// Each entry of a page is decoded on its own: an entry that does not decode is reported (in
/// [`Page::rejected`](crate::Page::rejected) and to [`on_warning`](Self::on_warning)) and the others are kept.
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
///     .on_warning(|w| eprintln!("warning: {w}"))
///     .stream()
///     .try_collect()
///     .await?;
/// println!("{} snapshots", all.len());
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct List<'a, K, T> {
    client: &'a AtlasClient,
    target: Target,
    query: Query,
    lookup: Lookup,
    max_pages: u32,
    on_warning: Option<WarningSink>,
    kind: PhantomData<(K, T)>,
}

impl<K, T> fmt::Debug for List<'_, K, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("List")
            .field("target", &self.target)
            .field("query", &self.query)
            .field("lookup", &self.lookup)
            .field("max_pages", &self.max_pages)
            .field("on_warning", &self.on_warning.is_some())
            .finish_non_exhaustive()
    }
}

impl<K, T> Clone for List<'_, K, T> {
    fn clone(&self) -> Self {
        List {
            client: self.client,
            target: self.target.clone(),
            query: self.query,
            lookup: self.lookup,
            max_pages: self.max_pages,
            on_warning: self.on_warning.clone(),
            kind: PhantomData,
        }
    }
}

impl<'a, K, T: PageItem> List<'a, K, T> {
    pub(crate) fn new(client: &'a AtlasClient, target: Target) -> Self {
        let lookup = Lookup::Fixed(target.family);
        List::with_lookup(client, target, lookup)
    }

    pub(crate) fn with_lookup(client: &'a AtlasClient, target: Target, lookup: Lookup) -> Self {
        List {
            client,
            target,
            query: Query::default(),
            lookup,
            max_pages: DEFAULT_MAX_PAGES,
            on_warning: None,
            kind: PhantomData,
        }
    }

    /// Items per page (`itemsPerPage`; Atlas accepts 1 to 500, default 100).
    pub fn items_per_page(mut self, n: u32) -> Self {
        self.query.items_per_page = Some(n);
        self
    }

    /// The page to fetch (`pageNum`, from 1); for [`stream`](Self::stream) and
    /// [`pages`](Self::pages), the first page.
    pub fn page_num(mut self, n: u32) -> Self {
        self.query.page_num = Some(n);
        self
    }

    /// `includeCount=true`: Atlas computes `totalCount` (its default when the parameter is
    /// left out).
    pub fn with_total_count(mut self) -> Self {
        self.query.include_count = Some(true);
        self
    }

    /// `includeCount=false`: Atlas skips `totalCount`, which is cheaper for it; walks then end
    /// on a short or empty page.
    pub fn without_total_count(mut self) -> Self {
        self.query.include_count = Some(false);
        self
    }

    /// `pretty=true`: an indented raw body.
    pub fn pretty(mut self) -> Self {
        self.query.pretty = true;
        self
    }

    /// `envelope=true`: see [`GetSnapshot::envelope`](crate::GetSnapshot::envelope).
    pub fn envelope(mut self) -> Self {
        self.query.envelope = true;
        self
    }

    /// The most pages [`stream`](Self::stream) and [`pages`](Self::pages) fetch (default
    /// [`DEFAULT_MAX_PAGES`]); past it they end with [`Error::TooManyPages`].
    pub fn max_pages(mut self, n: u32) -> Self {
        self.max_pages = n;
        self
    }

    /// Called with every [`ListWarning`], in order: rejected entries (of [`send`](Self::send)
    /// too), a page that repeats the previous one, a `next` link that was not followed. Each
    /// warning is also logged with `tracing::warn!`.
    pub fn on_warning(mut self, f: impl Fn(&ListWarning) + Send + Sync + 'static) -> Self {
        self.on_warning = Some(Arc::new(f));
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

    /// The `Accept` header this request is sent with (the first lookup's).
    pub fn accept(&self) -> &'static str {
        self.target.family.accept()
    }

    /// Fetches one page.
    ///
    /// # Errors
    ///
    /// See [`Error`]. An entry that does not decode is not an error: it is in
    /// [`Page::rejected`](crate::Page::rejected).
    pub async fn send(self) -> Result<Page<T>, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Fetches one page, with the HTTP details and the body exactly as received.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn send_full(self) -> Result<ApiResponse<Page<T>>, Error> {
        let page_num = self.query.page_num.unwrap_or(1);
        let response = self
            .client
            .get_found::<Page<T>>(&self.target, &self.query, self.lookup)
            .await?
            .map(|p| p.numbered(page_num));
        let sink = Warnings(self.on_warning);
        for r in &response.value.rejected {
            sink.warn(ListWarning::Rejected(r.clone()));
        }
        Ok(response)
    }

    /// Every page, starting at [`page_num`](Self::page_num) (default 1).
    ///
    /// After each page the next one is found by following the page's `next` link when it
    /// points at the same scheme, host, port and path (so credentials never go elsewhere), else
    /// by page number (the link's `pageNum`, or the current page plus one). A `next` link
    /// always means there is more, whatever `totalCount` says (Atlas documents the count as an
    /// estimate). Without a link, the walk ends after an empty page, once `totalCount` entries
    /// were seen, or after a page shorter than `itemsPerPage` (always sent, default
    /// [`DEFAULT_ITEMS_PER_PAGE`]). A page with exactly the ids of the page before it ends the
    /// walk with [`ListWarning::RepeatedPage`] and is not yielded: a server that ignores
    /// `pageNum` costs two requests, not [`max_pages`](Self::max_pages). The stream ends with
    /// [`Error::TooManyPages`] after `max_pages` pages, and after the first error.
    ///
    /// The stream owns a clone of the client; it does not borrow this request.
    pub fn pages(self) -> impl Stream<Item = Result<Page<T>, Error>> + Send + use<K, T> {
        futures_util::stream::unfold(self.pager(), |mut pager| async move {
            let page = pager.next_page().await?;
            Some((page, pager))
        })
    }

    /// Every snapshot on every page, walked as [`pages`](Self::pages) does, typed. The JSON of
    /// each snapshot as received is in the pages' [`Raw`](crate::Raw) values.
    ///
    /// The stream owns a clone of the client; it does not borrow this request.
    pub fn stream(self) -> impl Stream<Item = Result<T, Error>> + Send + use<K, T> {
        let state = (self.pager(), VecDeque::<T>::new());
        futures_util::stream::unfold(state, |(mut pager, mut buffer)| async move {
            loop {
                if let Some(item) = buffer.pop_front() {
                    return Some((Ok(item), (pager, buffer)));
                }
                match pager.next_page().await? {
                    Ok(page) => buffer.extend(page.into_values()),
                    Err(e) => return Some((Err(e), (pager, buffer))),
                }
            }
        })
    }

    pub(crate) fn pager(self) -> Pager<T> {
        let mut query = self.query;
        let per_page = *query.items_per_page.get_or_insert(DEFAULT_ITEMS_PER_PAGE);
        Pager {
            client: self.client.clone(),
            lookup: self.lookup,
            served_by: None,
            kind: PhantomData,
            next: Some(NextPage::Numbered(query.page_num.unwrap_or(1))),
            target: self.target,
            query,
            per_page,
            max_pages: self.max_pages,
            pages: 0,
            seen: 0,
            previous: None,
            warned_link: false,
            warnings: Warnings(self.on_warning),
        }
    }
}

impl<T> List<'_, Tenant, T> {
    /// Which API version to call (default [`ApiVersion::V1`]).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.target.family = Family::Tenant(version);
        self.lookup = Lookup::Fixed(self.target.family);
        self
    }
}

impl<T> List<'_, AnyKind, T> {
    /// Which API version the tenant lookup uses (default [`ApiVersion::V1`]).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.lookup = match self.lookup {
            Lookup::Detect(_) => Lookup::Detect(version),
            Lookup::Fixed(Family::Tenant(_)) => Lookup::Fixed(Family::Tenant(version)),
            fixed => fixed,
        };
        if let Family::Tenant(_) = self.target.family {
            self.target.family = Family::Tenant(version);
        }
        self
    }

    /// Lists only the endpoints of `kind`: no lookup, no fallback.
    pub fn kind(mut self, kind: ClusterKind) -> Self {
        let version = self.lookup.tenant_version();
        self.lookup = Lookup::forced(kind, version);
        self.target.family = crate::lookup::family(kind, version);
        self
    }
}

/// Where warnings go: the caller's callback, if any, and the log.
#[derive(Clone)]
struct Warnings(Option<WarningSink>);

impl Warnings {
    fn warn(&self, warning: ListWarning) {
        tracing::warn!(%warning, "listing snapshots");
        if let Some(f) = &self.0 {
            f(&warning);
        }
    }
}

/// Where the next page is.
#[derive(Debug)]
enum NextPage {
    Numbered(u32),
    Link { uri: Uri, page: u32 },
}

/// The state of a walk over the pages.
pub(crate) struct Pager<T> {
    client: AtlasClient,
    target: Target,
    lookup: Lookup,
    /// The endpoint that served the first page (the kind found).
    pub(crate) served_by: Option<crate::ServedBy>,
    kind: PhantomData<T>,
    query: Query,
    per_page: u32,
    max_pages: u32,
    pages: u32,
    seen: u64,
    next: Option<NextPage>,
    /// The identity of the last page yielded.
    previous: Option<Vec<String>>,
    warned_link: bool,
    warnings: Warnings,
}

impl<T: PageItem> Pager<T> {
    /// The next page, `None` at the end; after an error, `None` for ever.
    pub(crate) async fn next_page(&mut self) -> Option<Result<Page<T>, Error>> {
        let next = self.next.take()?;
        if self.pages >= self.max_pages {
            return Some(Err(Error::TooManyPages {
                limit: self.max_pages,
            }));
        }
        match self.fetch(next).await {
            Ok(page) => page.map(Ok),
            Err(e) => {
                self.next = None;
                Some(Err(e))
            }
        }
    }

    /// Fetches one page and decides where the next one is; `None` when the page repeats the
    /// previous one.
    async fn fetch(&mut self, next: NextPage) -> Result<Option<Page<T>>, Error> {
        if self.pages > 0 {
            if let Some(pause) = self.client.pacer().pause() {
                tracing::debug!(
                    ?pause,
                    "RateLimit-Remaining is low; pausing before the next page"
                );
                tokio::time::sleep(pause).await;
            }
        }
        let (response, page_num) = match next {
            NextPage::Numbered(n) => {
                let query = Query {
                    page_num: Some(n),
                    ..self.query
                };
                self.pages += 1;
                let response = self
                    .client
                    .get_found::<Page<T>>(&self.target, &query, self.lookup)
                    .await?;
                (response, n)
            }
            NextPage::Link { uri, page } => {
                self.pages += 1;
                let url = uri.to_string();
                let raw = self.client.fetch(uri, self.target.family.accept()).await?;
                let response = self.client.decode::<Page<T>>(
                    &url,
                    raw,
                    self.query.envelope,
                    Some(self.target.family.kind()),
                )?;
                (response, page)
            }
        };
        // The first page found the endpoint; the others go straight to it.
        if let Some(kind) = response.served_by.kind {
            if let Lookup::Detect(v) = self.lookup {
                self.target.family = crate::lookup::family(kind, v);
                self.lookup = Lookup::Fixed(self.target.family);
            }
        }
        let uri: Uri = response
            .served_by
            .url
            .parse()
            .map_err(|e: http::uri::InvalidUri| {
                Error::Transport(atlas_transport::Error::InvalidRequest {
                    url: response.served_by.url.clone(),
                    reason: e.to_string(),
                })
            })?;
        let url = response.served_by.url.clone();
        if self.served_by.is_none() {
            self.served_by = Some(response.served_by.clone());
        }
        let page = response.value.numbered(page_num);

        let identity = page.identity();
        if !identity.is_empty() && self.previous.as_ref() == Some(&identity) {
            self.warnings
                .warn(ListWarning::RepeatedPage { page_num, url });
            return Ok(None);
        }
        self.previous = Some(identity);

        let count = page.entry_count();
        self.seen = self.seen.saturating_add(count as u64);
        self.next = if count == 0 {
            None
        } else if let Some(href) = page.next_href() {
            Some(self.after(href, &uri, page_num))
        } else if page.total_count.is_some_and(|total| self.seen >= total)
            || count < self.per_page as usize
        {
            None
        } else {
            Some(NextPage::Numbered(page_num.saturating_add(1)))
        };
        for r in &page.rejected {
            self.warnings.warn(ListWarning::Rejected(r.clone()));
        }
        Ok(Some(page))
    }

    /// The page a `next` link leads to: the link itself when it stays on this endpoint, else
    /// the page number.
    fn after(&mut self, href: &str, current: &Uri, page_num: u32) -> NextPage {
        let following = page_num.saturating_add(1);
        let Ok(link) = href.parse::<Uri>() else {
            self.link_not_followed(href, page_num);
            return NextPage::Numbered(following);
        };
        let linked_page = query_param(&link, "pageNum")
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(following);
        if link == *current {
            return NextPage::Numbered(linked_page);
        }
        if !self.client.base().same_origin(&link) || link.path() != current.path() {
            self.link_not_followed(href, page_num);
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

    fn link_not_followed(&mut self, href: &str, page_num: u32) {
        tracing::debug!(
            href = %redact_userinfo(href),
            page_num,
            "the next link is not on the base URL's origin and endpoint; not followed, continuing by pageNum"
        );
        if !std::mem::replace(&mut self.warned_link, true) {
            self.warnings.warn(ListWarning::NextLinkNotFollowed {
                page_num,
                href: redact_userinfo(href),
            });
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
