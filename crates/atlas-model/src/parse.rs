//! JSON entry points and [`ModelError`].

use serde::de::DeserializeOwned;

use crate::{CloudBackupSnapshot, Paginated, RestoreJob, TenantSnapshot};

/// What kind of problem a [`ModelError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelErrorKind {
    /// Not JSON at all (bad syntax).
    Syntax,
    /// The input ended in the middle of a value.
    Eof,
    /// Valid JSON of the wrong shape (a wrong type, a malformed timestamp or id).
    Data,
    /// An I/O error while reading (does not happen with the byte and `&str` entry points).
    Io,
}

/// A body that could not be decoded, with the position serde_json reports (1-based line and
/// column; 0 when no position applies, e.g. when decoding an already parsed value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode {what}: {message} (line {line}, column {column})")]
pub struct ModelError {
    what: &'static str,
    kind: ModelErrorKind,
    line: usize,
    column: usize,
    message: String,
}

impl ModelError {
    fn new(what: &'static str, e: serde_json::Error) -> Self {
        let kind = match e.classify() {
            serde_json::error::Category::Io => ModelErrorKind::Io,
            serde_json::error::Category::Syntax => ModelErrorKind::Syntax,
            serde_json::error::Category::Data => ModelErrorKind::Data,
            serde_json::error::Category::Eof => ModelErrorKind::Eof,
        };
        // serde_json appends " at line L column C" to the message; keep the bare message.
        let mut message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        if message.ends_with(&suffix) {
            message.truncate(message.len() - suffix.len());
        }
        ModelError {
            what,
            kind,
            line: e.line(),
            column: e.column(),
            message,
        }
    }
    /// What was being decoded, e.g. `"snapshot"`.
    pub fn what(&self) -> &'static str {
        self.what
    }
    /// The kind of problem.
    pub fn kind(&self) -> ModelErrorKind {
        self.kind
    }
    /// 1-based line of the problem (0 when unknown).
    pub fn line(&self) -> usize {
        self.line
    }
    /// 1-based column of the problem (0 when unknown).
    pub fn column(&self) -> usize {
        self.column
    }
    /// serde_json's description, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

pub(crate) fn from_slice<T: DeserializeOwned>(
    what: &'static str,
    body: &[u8],
) -> Result<T, ModelError> {
    serde_json::from_slice(body).map_err(|e| ModelError::new(what, e))
}

pub(crate) fn from_value<T: DeserializeOwned>(
    what: &'static str,
    value: serde_json::Value,
) -> Result<T, ModelError> {
    serde_json::from_value(value).map_err(|e| ModelError::new(what, e))
}

/// Decodes one snapshot (`TenantSnapshot` or flex) from a body, as bytes or `&str`.
///
/// ```
/// let err = atlas_model::parse_snapshot(r#"{"startTime": "yesterday"}"#).unwrap_err();
/// assert!(err.to_string().contains("startTime"));
/// assert_eq!(err.line(), 1);
/// ```
pub fn parse_snapshot(body: impl AsRef<[u8]>) -> Result<TenantSnapshot, ModelError> {
    from_slice("snapshot", body.as_ref())
}

/// Decodes one page of snapshots from a list endpoint's body.
pub fn parse_snapshot_page(
    body: impl AsRef<[u8]>,
) -> Result<Paginated<TenantSnapshot>, ModelError> {
    from_slice("snapshot page", body.as_ref())
}

/// Decodes one dedicated cluster's cloud backup snapshot from a body, as bytes or `&str`.
///
/// ```
/// let err = atlas_model::parse_cloud_snapshot(r#"{"storageSizeBytes": -1}"#).unwrap_err();
/// assert_eq!(err.kind(), atlas_model::ModelErrorKind::Data);
/// ```
pub fn parse_cloud_snapshot(body: impl AsRef<[u8]>) -> Result<CloudBackupSnapshot, ModelError> {
    from_slice("cloud backup snapshot", body.as_ref())
}

/// Decodes one page of cloud backup snapshots from a list endpoint's body.
pub fn parse_cloud_snapshot_page(
    body: impl AsRef<[u8]>,
) -> Result<Paginated<CloudBackupSnapshot>, ModelError> {
    from_slice("cloud backup snapshot page", body.as_ref())
}

/// Decodes one restore (or download) job from a body.
pub fn parse_restore_job(body: impl AsRef<[u8]>) -> Result<RestoreJob, ModelError> {
    from_slice("restore job", body.as_ref())
}

/// Decodes one page of restore jobs from a list endpoint's body.
pub fn parse_restore_job_page(body: impl AsRef<[u8]>) -> Result<Paginated<RestoreJob>, ModelError> {
    from_slice("restore job page", body.as_ref())
}

/// Decodes a page of any list endpoint with its entries left as JSON values: the page's own
/// shape (`results` an array, `totalCount` a count, `links`) is checked, the entries are not.
pub fn parse_page_shape(
    body: impl AsRef<[u8]>,
) -> Result<Paginated<serde_json::Value>, ModelError> {
    from_slice("page", body.as_ref())
}
