//! Get, list and wait for MongoDB Atlas backup snapshots of shared-tier (M2/M5, "tenant"), flex
//! and dedicated clusters, take and delete a dedicated cluster's snapshots, with typed results
//! and typed errors.
//!
//! # Quick start
//!
//! Build one [`AtlasClient`] with your programmatic API key (the public key is the HTTP digest
//! user name, the private key the password), then ask for a snapshot. This example runs against
//! [`atlas_mock`](https://docs.rs/atlas-mock), a local Atlas look-alike, so it needs no account;
//! against Atlas itself leave the base URL out.
//!
//! ```
//! use atlas_mock::{MockAtlas, seed};
//! use atlas_snapshots::{AtlasClient, SnapshotStatus};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = MockAtlas::builder().start().await?;
//!
//! let client = AtlasClient::builder()
//!     .base_url(mock.base_url())                          // default: https://cloud.mongodb.com
//!     .credentials(mock.public_key(), mock.private_key())
//!     .build()?;
//!
//! let group = seed::GROUP_ID.parse()?;
//! let cluster = seed::CLUSTER_NAME.parse()?;
//! let snapshot_id = seed::SNAPSHOT_ID.parse()?;
//!
//! // GET /api/atlas/v1.0/groups/{GROUP-ID}/clusters/{CLUSTER-NAME}/backup/tenant/snapshots/{SNAPSHOT-ID}
//! let snapshot = client
//!     .tenant_snapshots()
//!     .get(&group, &cluster, &snapshot_id)
//!     .send()
//!     .await?;
//!
//! assert_eq!(snapshot.status, Some(SnapshotStatus::Failed));
//! assert_eq!(snapshot.mongodb_version.as_deref(), Some("4.2.7"));
//! # mock.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Ids are validated types ([`GroupId`], [`ClusterName`], [`SnapshotId`], from `atlas-model`):
//! parsing `"M2A/WS"` as a cluster name fails with a message saying which character at which
//! position is wrong, so a path can never be bent by its input.
//!
//! Every request has [`pretty`](GetSnapshot::pretty) and [`envelope`](GetSnapshot::envelope)
//! switches (sent as `pretty=true` and `envelope=true` only when set), `send()` for the decoded
//! value and `send_full()` for an [`ApiResponse`] with the status, the headers and the body exactly
//! as received.
//!
//! # Typed values and the JSON as received
//!
//! Decoded values are typed: statuses are [`SnapshotStatus`] (any case Atlas sends becomes the
//! documented value), timestamps are `chrono` values, ids are validated. Re-encoding a typed
//! snapshot therefore writes `COMPLETED` for a `"completed"` Atlas sent, and `.120Z` for
//! `.120000Z`. Whatever must show exactly what Atlas said uses the raw side instead, which is
//! kept everywhere next to the typed one:
//!
//! | What | Typed | As received |
//! |---|---|---|
//! | one snapshot ([`GetSnapshot::send_full`]) | [`ApiResponse::value`] | [`ApiResponse::body`] |
//! | a wait's last poll ([`WaitSnapshot::send_full`]) | [`ApiResponse::value`] | [`ApiResponse::body`] |
//! | one page ([`ListSnapshots::send_full`]) | [`SnapshotPage`] | [`ApiResponse::body`] |
//! | each entry of a page | [`Raw::value`] | [`Raw::json`], [`SnapshotPage::entries_json`] |
//! | an entry that did not decode | - | [`RejectedEntry::json`] |
//!
//! # Choosing the API
//!
//! | Clusters | Call | Path | `Accept` |
//! |---|---|---|---|
//! | M2/M5, legacy API | `tenant_snapshots()` (default [`ApiVersion::V1`]) | `/api/atlas/v1.0/groups/{g}/clusters/{c}/backup/tenant/snapshots[/{id}]` | `application/json` |
//! | M2/M5, versioned API | `tenant_snapshots()...api_version(ApiVersion::V2)` | `/api/atlas/v2/groups/{g}/clusters/{c}/backup/tenant/snapshots[/{id}]` | `application/vnd.atlas.2023-01-01+json` |
//! | Flex | `flex_snapshots()` | `/api/atlas/v2/groups/{g}/flexClusters/{c}/backup/snapshots[/{id}]` | `application/vnd.atlas.2024-11-13+json` |
//! | Dedicated (M10+) | `dedicated_snapshots()` | `/api/atlas/v2/groups/{g}/clusters/{c}/backup/snapshots[/{id}]` | `application/vnd.atlas.2023-01-01+json` |
//! | Any of these | `snapshots()`: finds the kind (tenant, flex, dedicated), remembers it | one of the above | one of the above |
//!
//! Each returns its kind's snapshot type: [`TenantSnapshot`] (tenant and flex),
//! [`CloudBackupSnapshot`] (dedicated: its own shape, with `createdAt`, `storageSizeBytes`,
//! `frequencyType`, a status in lower camel case), or [`AnySnapshot`] from `snapshots()`, whose
//! variant says which kind answered. What every kind shares is read the same way:
//! [`SnapshotPhase`] (queued, running, completed, failed, other) from any status, the wire value
//! from `as_str()`.
//!
//! **The January 2026 sunset.** Atlas deprecated the shared-tier (M2/M5) snapshot endpoints and
//! sunset them on 2026-01-22, when M2 and M5 clusters became flex clusters. A project that still
//! answers the tenant endpoints keeps working with [`tenant_snapshots`](AtlasClient::tenant_snapshots);
//! one that does not answers `410 Gone` (`VERSION_GONE`), which this crate reports as
//! [`Error::Gone`] with a hint to use [`flex_snapshots`](AtlasClient::flex_snapshots). The same
//! snapshot ids and the same [`TenantSnapshot`] type ([`FlexSnapshot`] is an alias) work on both,
//! so migrating is a change of one method call. When Atlas sends `Deprecation` or `Sunset`
//! headers they appear in [`ApiResponse::deprecation`] and [`ApiResponse::sunset`] and are logged
//! once per client with `tracing::warn!`.
//!
//! # Dedicated clusters: taking and deleting snapshots
//!
//! Only dedicated clusters take snapshots on request:
//! [`DedicatedSnapshots::take`] (`POST`, with a description and a retention in days) answers the
//! new snapshot, usually `queued`; [`wait`](DedicatedSnapshots::wait) for it with its id (it goes
//! `queued`, `inProgress`, `completed`). [`DedicatedSnapshots::delete`] removes one (`DELETE`,
//! `204`). A flex cluster on these endpoints is [`Error::InvalidRequest`] with
//! `CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API`: flex clusters have no on-demand snapshots.
//!
//! # Listing
//!
//! [`ListSnapshots::send`] fetches one page ([`items_per_page`](List::items_per_page),
//! [`page_num`](List::page_num), [`without_total_count`](List::without_total_count));
//! [`ListSnapshots::pages`] walks every page and [`ListSnapshots::stream`] yields the snapshots of
//! every page one by one.
//!
//! - Each entry of a page is decoded on its own: one that does not decode (an id of a shape this
//!   crate does not know, a malformed timestamp) is a [`RejectedEntry`] with its index and the
//!   reason, and the page's other entries are kept.
//! - A `next` link on the base URL's origin is followed whatever `totalCount` says (Atlas
//!   documents the count as an estimate); the count only ends a walk when there is no link. A
//!   link to another origin is never followed (credentials stay put): page numbers are used.
//! - A page with exactly the ids of the page before it ends the walk: a server that ignores
//!   `pageNum` costs two requests, not a thousand.
//! - [`on_warning`](ListSnapshots::on_warning) hears of each of these ([`ListWarning`]); they are
//!   also logged with `tracing::warn!`.
//!
//! # Errors and what to do about them
//!
//! Every call returns [`Error`]; each variant is something a caller can act on, and
//! [`Error::hint`] says what in one sentence, in this crate's terms (builder methods); its
//! `Display` says what happened without naming any API, so a program of yours can add advice in
//! its own words (the `atlas-snapshots` command names its flags). The [`ApiError`] Atlas sent (`errorCode`, `detail`,
//! `parameters`) is kept in every variant that had one ([`Error::api_error`]).
//!
//! | Error | Cause | What to do |
//! |---|---|---|
//! | [`Error::NotFound`] | `404`; `resource` says group, cluster or snapshot when Atlas says | check that id; a flex cluster is not found under `tenant_snapshots()` |
//! | [`Error::Unauthorized`] | `401`: wrong or disabled keys | check the public and private key |
//! | [`Error::Forbidden`] | `403`; `ip_access_list` for `IP_ADDRESS_NOT_ON_ACCESS_LIST` | add your IP to the **API key's own** access list, or give the key the Project Read Only role |
//! | [`Error::RateLimited`] | `429` after the transport's retries | wait `retry_after`, then retry |
//! | [`Error::Gone`] | `410 VERSION_GONE`: tenant endpoints retired in January 2026 | use `flex_snapshots()` |
//! | [`Error::InvalidRequest`] | `400`, with `badRequestDetail` | fix the listed fields |
//! | [`Error::Server`] | `5xx` (HTML pages kept as raw text) | retry later |
//! | [`Error::Redirect`] | a `3xx` (redirects are not followed); `location` says where to | check the base URL |
//! | [`Error::Api`] | any other status | see `errorCode` and `detail` |
//! | [`Error::UnexpectedBody`] | a `2xx` that is not snapshot JSON; carries an excerpt | check the base URL and proxies |
//! | [`Error::InvalidBaseUrl`] | [`build`](AtlasClientBuilder::build): `problem` ([`BaseUrlProblem`]) says what is wrong, e.g. the API path in it | fix the base URL |
//! | [`Error::WaitTimeout`] | the wait's timeout passed; says what was seen (last snapshot, last error) | wait longer, or look at the last error |
//! | [`Error::TooManyPages`] | a walk reached [`max_pages`](ListSnapshots::max_pages) | larger pages, or a higher limit |
//! | [`Error::Transport`] | connection, TLS, timeouts, proxy, digest | check the network and settings |
//!
//! With `envelope=true` the HTTP status is always `200`; the status inside is unwrapped and
//! mapped exactly as it would be without the envelope.
//!
//! ```
//! # fn show(e: atlas_snapshots::Error) {
//! use atlas_snapshots::{Error, NotFoundResource};
//! match &e {
//!     Error::NotFound { resource: NotFoundResource::Snapshot, .. } => eprintln!("no such snapshot"),
//!     Error::Gone { .. } => eprintln!("tenant endpoints are gone; retrying with flex"),
//!     other => eprintln!("{other}"),
//! }
//! if let Some(hint) = e.hint() {
//!     eprintln!("hint: {hint}");
//! }
//! # }
//! ```
//!
//! # Waiting for a snapshot
//!
//! [`TenantSnapshots::wait`], [`FlexSnapshots::wait`], [`DedicatedSnapshots::wait`] and
//! [`Snapshots::wait`] poll until the status's [`SnapshotPhase`] is completed or failed
//! (`COMPLETED`/`FAILED`, or `completed`/`failed` on a dedicated cluster) and return that
//! snapshot. The poll [`interval`](WaitSnapshot::interval) defaults to
//! 10 s (at least [`MIN_INTERVAL`], 1 s), the [`timeout`](WaitSnapshot::timeout) to 30 min.
//!
//! - The timeout bounds the whole wait: each poll and each pause is cut to the time left.
//! - A transient error ([`Error::is_transient`]: `429`, `5xx`, connection failures) does not end
//!   the wait: it pauses at least the server's `Retry-After`, then backs off longer with jitter,
//!   as Atlas asks; any other error ends the wait.
//! - [`on_change`](WaitSnapshot::on_change) sees each status change once;
//!   [`on_poll`](WaitSnapshot::on_poll) sees every poll, for a display that moves.
//! - Running out of time is [`Error::WaitTimeout`], which says what was seen: the last snapshot
//!   (in progress, or a status this crate does not know), the last poll's error, or that no poll
//!   succeeded.
//!
//! Sleeping uses `tokio::time`, so a test can run a wait on a paused clock.
//!
//! # Testing code that uses this crate
//!
//! [`AtlasClientBuilder::executor`] takes any [`Executor`]: an in-memory one answers canned
//! responses without a network, and `tokio`'s paused clock makes waits instant. Everything it
//! needs is re-exported here (`Executor`, [`TransportError`], the [`http`] and [`bytes`] crates),
//! so `atlas-transport` need not be a dependency of yours.
//!
//! ```
//! use std::{future::Future, pin::Pin, sync::Arc};
//! use atlas_snapshots::bytes::Bytes;
//! use atlas_snapshots::http::{Request, Response};
//! use atlas_snapshots::{AtlasClient, Executor, SnapshotStatus, TransportError as Error};
//!
//! /// Answers every request with one snapshot.
//! #[derive(Debug)]
//! struct Canned(&'static str);
//!
//! impl Executor for Canned {
//!     fn execute(
//!         &self,
//!         _request: Request<Bytes>,
//!     ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, Error>> + Send + '_>> {
//!         let body = Bytes::from_static(self.0.as_bytes());
//!         Box::pin(async move { Ok(Response::new(body)) })
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = AtlasClient::builder()
//!     .executor(Arc::new(Canned(r#"{"id":"5cc310ace5dc7ce369814bc8","status":"COMPLETED"}"#)))
//!     .build()?;
//! let (group, cluster, id) = ("5b69d0349b15c62cdfc38b78".parse()?, "Flex0".parse()?, "5cc310ace5dc7ce369814bc8".parse()?);
//! let done = client.flex_snapshots().wait(&group, &cluster, &id).send().await?;
//! assert_eq!(done.status, Some(SnapshotStatus::Completed));
//! assert!(client.stats().is_none()); // no transport counters with a custom executor
//! # Ok(())
//! # }
//! ```
//!
//! # Transport
//!
//! Requests go through [`atlas_transport`]: rustls, connection pooling, HTTP digest in one round
//! trip once a nonce is known, retries of `429`/`502`/`503`/`504` and of connection failures,
//! proxies from the environment. Its settings pass through [`AtlasClientBuilder`]; redirects are
//! not followed. [`AtlasClientBuilder::executor`] replaces it, for tests or a custom stack.

mod backoff;
mod client;
mod dedicated;
mod download;
mod endpoint;
mod error;
mod file_writer;
mod kinds;
mod latest;
mod list;
mod lookup;
mod pacing;
mod page;
mod raw;
mod response;
mod restores;
mod service_account;
mod snapshots;
mod wait;

pub use atlas_model::{
    AnySnapshot, AnySnapshotStatus, ApiError, BadRequestDetail, CloudBackupSnapshot, CloudProvider,
    CloudSnapshotStatus, ClusterName, CreateOnDemandSnapshot, CreateRestoreJob, DeliveryType,
    DeploymentName, FieldViolation, FlexSnapshot, FrequencyType, GroupId, IdError, IdKind,
    IdProblem, Link, ModelError, ModelErrorKind, RateLimitParameters, RestoreJob, RestoreJobId,
    RestoreStatus, SnapshotId, SnapshotMember, SnapshotPhase, SnapshotStatus, SnapshotTopology,
    SnapshotType, SnapshotUrl, TenantSnapshot,
};
/// API key (HTTP Digest) sessions kept between clients: the store seam
/// ([`digest_session::DigestSessionStore`], [`digest_session::MemoryDigestSessionStore`]) and
/// what it keeps ([`digest_session::SavedSession`], [`digest_session::NcBlock`]).
pub use atlas_transport::digest_session;
/// OAuth 2.0 for service accounts: the token store seam ([`oauth::TokenStore`],
/// [`oauth::MemoryTokenStore`]), tokens and their failures ([`oauth::TokenProblem`]).
pub use atlas_transport::oauth;
pub use atlas_transport::{
    BodyStream, Error as TransportError, Executor, ProxyConfig, RetryPolicy, RootCertificates,
    Stats, StreamExecutor, StreamTimeouts, TimeoutKind, Timeouts,
};
/// The `bytes` crate, whose [`Bytes`](bytes::Bytes) carries bodies ([`ApiResponse::body`], an
/// [`Executor`]'s requests and responses).
pub use bytes;
pub use client::{AtlasClient, AtlasClientBuilder, DEFAULT_BASE_URL};
pub use dedicated::{DedicatedSnapshots, DeleteSnapshot, TakeSnapshot};
pub use download::{
    ArchiveDownload, CreateDownloadJob, DEFAULT_DOWNLOAD_RETRIES, DownloadProblem,
    DownloadProgress, DownloadSummary, Overwrite,
};
pub use endpoint::{ApiVersion, BaseUrlProblem, ClusterKind, DEDICATED_ACCEPT, FLEX_ACCEPT};
pub use error::{Error, NotFoundResource};
pub use file_writer::FileWrites;
/// The `http` crate, whose types appear in this API ([`http::StatusCode`], [`http::HeaderMap`],
/// an [`Executor`]'s `Request` and `Response`).
pub use http;
pub use kinds::{AnyKind, Dedicated, Flex, SnapshotEndpoints, SnapshotItem, Tenant};
pub use latest::{Latest, LatestSnapshot};
pub use list::{
    DEFAULT_ITEMS_PER_PAGE, DEFAULT_MAX_PAGES, List, ListRestoreJobs, ListSnapshots, ListWarning,
};
pub use lookup::MissedLookup;
pub use page::{
    AnySnapshotPage, CloudSnapshotPage, Page, PageItem, RejectedEntry, RestoreJobPage, SnapshotPage,
};
pub use raw::Raw;
pub use response::{ApiResponse, Missed, RateLimit, ServedBy};
pub use restores::{FlexRestoreJobs, GetRestoreJob, StartRestoreJob};
pub use snapshots::{FlexSnapshots, GetSnapshot, Snapshots, TenantSnapshots};
pub use wait::{
    DEFAULT_INTERVAL, DEFAULT_MAX_BACKOFF, DEFAULT_TIMEOUT, LastSeen, MIN_INTERVAL, PollOutcome,
    WaitEvent, WaitPoll, WaitRestoreJob, WaitSnapshot, Watched,
};
