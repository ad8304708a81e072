//! The cluster-kind lookup: which family of endpoints serves a cluster, found by asking, and
//! remembered per cluster for the client's life.

use atlas_model::ApiError;

use crate::client::Body;
use crate::endpoint::{Family, Query, Target};
use crate::error::{FLEX_IN_CLUSTER_API, NON_FLEX_IN_FLEX_API};
use crate::{ApiResponse, ApiVersion, AtlasClient, ClusterKind, Error, Missed};

/// How a request finds its endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// The family is given: no fallback.
    Fixed(Family),
    /// Find the kind: the remembered one, else each kind of [`ClusterKind::LOOKUP_ORDER`] in
    /// turn; tenant lookups use this API version.
    Detect(ApiVersion),
}

impl Lookup {
    /// The API version tenant requests use under this lookup (the default when none applies).
    pub(crate) fn tenant_version(self) -> ApiVersion {
        match self {
            Lookup::Detect(v) | Lookup::Fixed(Family::Tenant(v)) => v,
            Lookup::Fixed(_) => ApiVersion::V1,
        }
    }

    /// The lookup for a forced kind.
    pub(crate) fn forced(kind: ClusterKind, version: ApiVersion) -> Lookup {
        Lookup::Fixed(family(kind, version))
    }
}

/// The family of endpoints of `kind`.
pub(crate) fn family(kind: ClusterKind, version: ApiVersion) -> Family {
    match kind {
        ClusterKind::Tenant => Family::Tenant(version),
        ClusterKind::Flex => Family::Flex,
        ClusterKind::Dedicated => Family::Dedicated,
    }
}

/// A lookup that did not find the resource: the kind tried, its URL and what it answered.
#[derive(Debug)]
#[non_exhaustive]
pub struct MissedLookup {
    /// The kind of cluster tried.
    pub kind: ClusterKind,
    /// The URL asked.
    pub url: String,
    /// What it answered.
    pub error: Error,
}

impl MissedLookup {
    fn summary(&self) -> Missed {
        Missed {
            kind: self.kind,
            url: self.url.clone(),
            status: self.error.status().unwrap_or_default(),
            error_code: self.error.api_error().and_then(|a| a.error_code.clone()),
        }
    }
}

/// The prefix of Atlas's codes for a cluster asked on the API of another kind
/// (`CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API`, `CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API`, and any
/// other such answer, e.g. for an M2/M5 cluster on the cloud backup endpoints).
const WRONG_API_PREFIX: &str = "CANNOT_USE_";

/// Whether `e` is a `400` saying the cluster belongs to another kind's API.
fn says_wrong_api(e: &Error) -> bool {
    matches!(e, Error::InvalidRequest { .. })
        && e.api_error()
            .and_then(|a: &ApiError| a.error_code.as_deref())
            .is_some_and(|c| c.starts_with(WRONG_API_PREFIX))
}

/// Whether `e`, from the endpoints of `kind`, means "not a cluster of this kind (or not
/// here)", so that the next kind is worth asking.
///
/// - tenant: `404`, `410 VERSION_GONE` (the sunset), `400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API`;
/// - flex: `404`, `400 CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API` (a dedicated cluster);
/// - dedicated: `404`, `400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API` (a flex cluster);
/// - any kind: a `400` with another `CANNOT_USE_...` code (the same answer for another pair
///   of kinds, e.g. an M2/M5 cluster on the cloud backup endpoints).
pub(crate) fn is_miss(kind: ClusterKind, e: &Error) -> bool {
    let code = |c: &str| e.api_error().is_some_and(|a: &ApiError| a.has_code(c));
    says_wrong_api(e)
        || match kind {
            ClusterKind::Tenant => {
                matches!(e, Error::NotFound { .. } | Error::Gone { .. })
                    || code(FLEX_IN_CLUSTER_API)
            }
            ClusterKind::Flex => matches!(e, Error::NotFound { .. }) || code(NON_FLEX_IN_FLEX_API),
            ClusterKind::Dedicated => {
                matches!(e, Error::NotFound { .. }) || code(FLEX_IN_CLUSTER_API)
            }
        }
}

/// Whether `e` says the cluster is not of `kind` at all (not merely that something is missing):
/// a remembered kind answered so is forgotten.
pub(crate) fn is_wrong_kind(kind: ClusterKind, e: &Error) -> bool {
    let code = |c: &str| e.api_error().is_some_and(|a: &ApiError| a.has_code(c));
    says_wrong_api(e)
        || match kind {
            ClusterKind::Tenant => matches!(e, Error::Gone { .. }) || code(FLEX_IN_CLUSTER_API),
            ClusterKind::Flex => code(NON_FLEX_IN_FLEX_API),
            ClusterKind::Dedicated => code(FLEX_IN_CLUSTER_API),
        }
}

impl AtlasClient {
    /// One `GET` of `target` with `query`, decoded, on the family `target` names.
    pub(crate) async fn get_decoded<T: Body>(
        &self,
        target: &Target,
        query: &Query,
    ) -> Result<ApiResponse<T>, Error> {
        let uri = target.uri(self.base(), query)?;
        let url = uri.to_string();
        let response = self.fetch(uri, target.family.accept()).await?;
        self.decode(&url, response, query.envelope, Some(target.family.kind()))
    }

    /// A `GET` of `target` found by `lookup`; the answer says which endpoint served it.
    ///
    /// With [`Lookup::Detect`]: the kind remembered for the cluster is asked alone (and
    /// forgotten if it answers that the cluster is not of that kind); else each kind in turn,
    /// moving on only after a miss ([`is_miss`]); the kind that answers is remembered. When
    /// every kind misses, [`Error::NotFoundOnAnyEndpoint`] names every lookup.
    pub(crate) async fn get_found<T: Body>(
        &self,
        target: &Target,
        query: &Query,
        lookup: Lookup,
    ) -> Result<ApiResponse<T>, Error> {
        let version = match lookup {
            Lookup::Fixed(f) => {
                let t = Target {
                    family: f,
                    ..target.clone()
                };
                return self.get_decoded(&t, query).await;
            }
            Lookup::Detect(v) => v,
        };
        let key = (target.group.clone(), target.cluster.clone());
        let remembered = self.kinds().get(&key).copied();
        if let Some(kind) = remembered {
            let t = Target {
                family: family(kind, version),
                ..target.clone()
            };
            match self.get_decoded(&t, query).await {
                Err(e) if is_wrong_kind(kind, &e) => {
                    tracing::debug!(cluster = %target.cluster, %kind, error = %e, "the remembered cluster kind no longer answers; looking again");
                    self.kinds().remove(&key);
                }
                other => return other,
            }
        }
        let mut misses: Vec<MissedLookup> = Vec::new();
        for kind in ClusterKind::LOOKUP_ORDER {
            let t = Target {
                family: family(kind, version),
                ..target.clone()
            };
            let url = t.uri(self.base(), query)?.to_string();
            match self.get_decoded::<T>(&t, query).await {
                Ok(mut response) => {
                    self.kinds().insert(key, kind);
                    if !misses.is_empty() {
                        tracing::debug!(cluster = %target.cluster, %kind, "found after {} miss(es)", misses.len());
                    }
                    response.served_by.missed = misses.iter().map(MissedLookup::summary).collect();
                    return Ok(response);
                }
                Err(error) if is_miss(kind, &error) => {
                    tracing::debug!(%url, %kind, %error, "not found on this kind's endpoint");
                    misses.push(MissedLookup { kind, url, error });
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::NotFoundOnAnyEndpoint { lookups: misses })
    }
}
