//! [`Envelope`] (`envelope=true`) and [`Paginated`] (list endpoints).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{ApiError, Link, ModelError};

/// The body Atlas sends when a request carries `envelope=true`: the HTTP status is always `200`
/// and the real one is inside.
///
/// ```
/// use atlas_model::{Envelope, EnvelopeError, TenantSnapshot};
/// let ok = Envelope::parse(br#"{"status":200,"content":{"id":"5cc310ace5dc7ce369814bc8"}}"#).unwrap();
/// let snap: TenantSnapshot = ok.into_result().unwrap();
/// assert!(snap.id.is_some());
///
/// let missing = Envelope::parse(br#"{"status":404,"content":{"error":404,"errorCode":"RESOURCE_NOT_FOUND"}}"#).unwrap();
/// match missing.into_result::<TenantSnapshot>() {
///     Err(EnvelopeError::Api { status: 404, error }) => assert!(error.has_code("RESOURCE_NOT_FOUND")),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T = Value> {
    /// The HTTP status Atlas would have answered without the envelope.
    pub status: u16,
    /// The body Atlas would have answered without the envelope.
    pub content: T,
}

/// Why an envelope did not yield its content.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The inner status was not 2xx; `error` is the inner body read as an [`ApiError`].
    #[error("enveloped status {status}: {error}")]
    Api {
        /// The inner HTTP status.
        status: u16,
        /// The inner error body.
        error: Box<ApiError>,
    },
    /// The inner status was 2xx but the content did not decode.
    #[error(transparent)]
    Decode(ModelError),
}

impl Envelope<Value> {
    /// Parses an enveloped body, leaving the content undecoded.
    pub fn parse(body: impl AsRef<[u8]>) -> Result<Self, ModelError> {
        crate::parse::from_slice("envelope", body.as_ref())
    }

    /// The content decoded as `T` when the inner status is 2xx, else the inner [`ApiError`].
    pub fn into_result<T: DeserializeOwned>(self) -> Result<T, EnvelopeError> {
        if (200..300).contains(&self.status) {
            crate::parse::from_value("envelope content", self.content)
                .map_err(EnvelopeError::Decode)
        } else {
            Err(EnvelopeError::Api {
                status: self.status,
                error: Box::new(ApiError::from_value(self.status, &self.content)),
            })
        }
    }
}

/// One page of a list endpoint: `{"results": [...], "totalCount": N, "links": [...]}`.
///
/// `totalCount` is absent when the request set `includeCount=false`. Unknown fields are kept in
/// [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "T: Deserialize<'de>", serialize = "T: Serialize"))]
pub struct Paginated<T> {
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    /// The total number of items, when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    /// Related pages (`self`, `next`, `previous`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<T> Default for Paginated<T> {
    fn default() -> Self {
        Paginated {
            results: Vec::new(),
            total_count: None,
            links: Vec::new(),
            extra: Map::new(),
        }
    }
}

impl<T> Paginated<T> {
    /// The `href` of the link with `rel` `next`, if any: the following page.
    pub fn next_href(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.rel == "next")
            .map(|l| l.href.as_str())
    }
}
