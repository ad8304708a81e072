//! Typed resources of the MongoDB Atlas backup snapshot endpoints, for shared-tier (M2/M5), flex
//! and dedicated clusters. Pure data: no IO, no HTTP types, no async runtime.
//!
//! - [`TenantSnapshot`] (alias [`FlexSnapshot`]): one snapshot; unknown fields are kept.
//! - [`SnapshotStatus`]: the workflow phase, forward compatible (`Unknown(String)`).
//! - [`CloudBackupSnapshot`]: a dedicated cluster's cloud backup snapshot (its own shape:
//!   [`CloudSnapshotStatus`] in lower camel case, [`FrequencyType`], [`SnapshotType`],
//!   [`SnapshotTopology`], [`CloudProvider`], sharded [`SnapshotMember`]s);
//!   [`CreateOnDemandSnapshot`]: the body that takes one.
//! - [`SnapshotPhase`]: one view of every kind's status (queued, running, completed, failed,
//!   other); [`AnySnapshot`] and [`AnySnapshotStatus`]: a snapshot of any kind.
//! - [`GroupId`], [`SnapshotId`], [`ClusterName`]: identifiers validated at construction, safe in URL paths.
//! - [`ApiError`]: Atlas's error body, tolerant of partial and non-JSON bodies.
//! - [`RestoreJob`] ([`RestoreStatus`], [`DeliveryType`], [`SnapshotUrl`]): a flex cluster's restore
//!   or download job; [`CreateRestoreJob`] and [`CreateDownload`]: the bodies that start one.
//! - [`Envelope`]: bodies of `envelope=true` requests; [`Paginated`]: list pages.
//! - [`RateLimitParameters`] from a `429` ([`ApiError::rate_limit`]), [`parse_http_date`] for
//!   `Deprecation` and `Sunset` in Atlas's one-digit-day form.
//! - [`parse_snapshot`], [`parse_snapshot_page`], [`parse_cloud_snapshot`],
//!   [`parse_cloud_snapshot_page`], [`Envelope::parse`], [`ApiError::from_body`]:
//!   entry points taking bytes or `&str`, with errors ([`ModelError`]) that carry line and column.
//!
//! ```
//! use atlas_model::{parse_snapshot, SnapshotStatus};
//!
//! // The seed's example response.
//! let body = r#"{
//!   "finishTime" : "2019-04-26T14:08:07Z",
//!   "id" : "5cc310ace5dc7ce369814bc8",
//!   "mongoDBVersion" : "4.2.7",
//!   "scheduledTime" : "2019-04-26T12:00:00Z",
//!   "startTime" : "2019-04-26T14:07:53Z",
//!   "status" : "FAILED"
//! }"#;
//! let snapshot = parse_snapshot(body)?;
//! assert_eq!(snapshot.status, Some(SnapshotStatus::Failed));
//! assert!(snapshot.status.as_ref().is_some_and(SnapshotStatus::is_terminal));
//! assert_eq!(snapshot.mongodb_version.as_deref(), Some("4.2.7"));
//! # Ok::<(), atlas_model::ModelError>(())
//! ```

mod any;
mod api_error;
mod cloud_snapshot;
mod envelope;
mod fields;
mod ids;
mod parse;
mod phase;
mod ratelimit;
mod restore;
mod snapshot;
mod status;
mod time;
mod wire;

pub use any::AnySnapshot;
pub use api_error::{ApiError, BadRequestDetail, FieldViolation};
pub use cloud_snapshot::{
    CloudBackupSnapshot, CloudProvider, CloudSnapshotStatus, CreateOnDemandSnapshot, FrequencyType,
    SnapshotMember, SnapshotTopology, SnapshotType,
};
pub use envelope::{Envelope, EnvelopeError, Paginated};
pub use ids::{
    CLUSTER_NAME_MAX_LEN, ClusterName, DEPLOYMENT_NAME_MAX_LEN, DeploymentName, GroupId, IdError,
    IdKind, IdProblem, RestoreJobId, SnapshotId,
};
pub use parse::{
    ModelError, ModelErrorKind, parse_cloud_snapshot, parse_cloud_snapshot_page, parse_page_shape,
    parse_restore_job, parse_restore_job_page, parse_snapshot, parse_snapshot_page,
};
pub use phase::{AnySnapshotStatus, SnapshotPhase};
pub use ratelimit::RateLimitParameters;
pub use restore::{
    CreateDownload, CreateRestoreJob, DeliveryType, RestoreJob, RestoreStatus, SnapshotUrl,
};
pub use snapshot::{FlexSnapshot, Link, TenantSnapshot};
pub use status::SnapshotStatus;
pub use time::{format_timestamp, parse_http_date, parse_timestamp};
