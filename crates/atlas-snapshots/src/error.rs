//! [`Error`]: every way a call can fail, in variants a caller can act on.

use std::fmt;
use std::time::{Duration, SystemTime};

use atlas_model::{ApiError, ModelError, RateLimitParameters};
use http::{HeaderMap, StatusCode};

use crate::download::DownloadProblem;
use crate::endpoint::BaseUrlProblem;
use crate::{LastSeen, MissedLookup};

/// Which resource a `404` is about, as far as Atlas's error body says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotFoundResource {
    /// The project (group) does not exist, or the API key cannot see it.
    Group,
    /// The cluster (or flex cluster) does not exist in the project.
    Cluster,
    /// The snapshot does not exist in the cluster.
    Snapshot,
    /// The body did not say which.
    Unknown,
}

impl NotFoundResource {
    /// Reads the resource from an error body: first the `errorCode`
    /// (`GROUP_NOT_FOUND`, `CLUSTER_NOT_FOUND`, `BACKUP_SNAPSHOT_NOT_FOUND`, ...), then, for a
    /// generic code such as `RESOURCE_NOT_FOUND`, the words of `detail`.
    pub fn from_api_error(api: &ApiError) -> Self {
        fn classify(text: &str) -> Option<NotFoundResource> {
            let t = text.to_ascii_lowercase();
            if t.contains("snapshot") || t.contains("backup") {
                Some(NotFoundResource::Snapshot)
            } else if t.contains("cluster") {
                Some(NotFoundResource::Cluster)
            } else if t.contains("group") || t.contains("project") {
                Some(NotFoundResource::Group)
            } else {
                None
            }
        }
        api.error_code
            .as_deref()
            .and_then(classify)
            .or_else(|| api.detail.as_deref().and_then(classify))
            .unwrap_or(NotFoundResource::Unknown)
    }

    /// The resource in words: `project (group)`, `cluster`, `snapshot` or `resource`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotFoundResource::Group => "project (group)",
            NotFoundResource::Cluster => "cluster",
            NotFoundResource::Snapshot => "snapshot",
            NotFoundResource::Unknown => "resource",
        }
    }
}

impl fmt::Display for NotFoundResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong when talking to Atlas.
///
/// Every variant built from an Atlas answer keeps Atlas's [`ApiError`] (`errorCode`, `detail`,
/// `parameters`, or the raw text of a non-JSON body); [`Error::api_error`] returns it whatever the
/// variant. [`Error::hint`] says what to do about it, in one sentence.
///
/// | Variant | When |
/// |---|---|
/// | [`NotFound`](Error::NotFound) | `404`: wrong project, cluster or snapshot id (see `resource`) |
/// | [`Unauthorized`](Error::Unauthorized) | `401`: the API keys were rejected, or lack the role (`USER_UNAUTHORIZED`) |
/// | [`Forbidden`](Error::Forbidden) | `403`: the key lacks a role, or the caller's IP is not on the key's access list |
/// | [`RateLimited`](Error::RateLimited) | `429` after the transport's retries |
/// | [`Gone`](Error::Gone) | `410` (`VERSION_GONE`): the tenant endpoints were sunset in January 2026 |
/// | [`InvalidRequest`](Error::InvalidRequest) | `400`, usually with `badRequestDetail` |
/// | [`Server`](Error::Server) | `5xx` (after the transport's retries for 502/503/504) |
/// | [`Redirect`](Error::Redirect) | a `3xx`: redirects are not followed; `location` says where it points |
/// | [`Api`](Error::Api) | any other non-2xx status (`406`, `409` ...) |
/// | [`UnexpectedBody`](Error::UnexpectedBody) | a `2xx` whose body is not the expected JSON |
/// | [`InvalidBaseUrl`](Error::InvalidBaseUrl) | [`AtlasClientBuilder::build`](crate::AtlasClientBuilder::build) |
/// | [`WaitTimeout`](Error::WaitTimeout) | [`WaitSnapshot::send`](crate::WaitSnapshot::send) ran out of time |
/// | [`TooManyPages`](Error::TooManyPages) | [`ListSnapshots::stream`](crate::ListSnapshots::stream) reached its page limit |
/// | [`Transport`](Error::Transport) | connection, TLS, timeout, proxy, digest problems |
///
/// An enveloped answer (`envelope=true`) maps to the same variant as the plain one: an inner `404`
/// is [`Error::NotFound`] although the HTTP status was `200`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `404 Not Found`.
    #[error("{resource} not found: {api}")]
    NotFound {
        /// Which resource, as far as the body says.
        resource: NotFoundResource,
        /// Atlas's error body.
        api: Box<ApiError>,
    },
    /// `401 Unauthorized`: the public/private key pair was rejected, or (`errorCode`
    /// `USER_UNAUTHORIZED`, with no digest challenge) the key was accepted but lacks the role the
    /// request needs ([`Error::lacks_role`]).
    #[error("{}: {api}", if api.has_code(USER_UNAUTHORIZED) { "unauthorized, the API key lacks the role for this request" } else { "unauthorized, the API key was rejected" })]
    Unauthorized {
        /// Atlas's error body.
        api: Box<ApiError>,
    },
    /// `403 Forbidden`.
    #[error("{}: {api}", if *ip_access_list { "forbidden, this IP address is not on the API key's access list" } else { "forbidden" })]
    Forbidden {
        /// Whether Atlas said `IP_ADDRESS_NOT_ON_ACCESS_LIST`: the API key has its own IP access
        /// list, and the caller's address is not on it.
        ip_access_list: bool,
        /// Atlas's error body.
        api: Box<ApiError>,
    },
    /// `429 Too Many Requests`, still failing after the transport's retries.
    #[error("rate limited{}: {api}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
        /// The body's `parameters`, decoded (retry seconds, capacity, refill), when Atlas sent
        /// them in a shape it documents.
        parameters: Option<RateLimitParameters>,
        /// Atlas's error body.
        api: Box<ApiError>,
    },
    /// `410 Gone` (`VERSION_GONE`): the endpoint was sunset. The M2/M5 tenant snapshot endpoints
    /// were retired in January 2026; use [`AtlasClient::flex_snapshots`](crate::AtlasClient::flex_snapshots).
    #[error(
        "gone, the M2/M5 tenant snapshot endpoints were retired in January 2026 and those clusters became flex clusters: {api}"
    )]
    Gone {
        /// Atlas's error body.
        api: Box<ApiError>,
    },
    /// `400 Bad Request`; [`ApiError::bad_request_detail`] lists the rejected fields.
    #[error("invalid request: {api}{}", DisplayViolations(api))]
    InvalidRequest {
        /// Atlas's error body.
        api: Box<ApiError>,
    },
    /// A `5xx` server error.
    #[error("Atlas server error {status}: {api}")]
    Server {
        /// The HTTP status (or the enveloped one).
        status: StatusCode,
        /// Atlas's error body, or the raw text of an HTML error page.
        api: Box<ApiError>,
    },
    /// A `3xx`: the server redirects elsewhere. Redirects are not followed (credentials stay
    /// with the base URL's origin).
    #[error("redirected (HTTP {status}){}, not followed", DisplayLocation(location.as_deref()))]
    Redirect {
        /// The HTTP status.
        status: StatusCode,
        /// The `Location` header, when there is one (control characters and user information
        /// removed, at most 300 characters).
        location: Option<String>,
        /// The body, read as an error.
        api: Box<ApiError>,
    },
    /// Any other non-2xx status.
    #[error("unexpected HTTP status {status}: {api}")]
    Api {
        /// The HTTP status (or the enveloped one).
        status: StatusCode,
        /// Atlas's error body.
        api: Box<ApiError>,
    },
    /// A successful status whose body is not what the endpoint returns.
    #[error("unexpected response body (HTTP {status}): {excerpt:?}")]
    UnexpectedBody {
        /// The HTTP status (or the enveloped one).
        status: StatusCode,
        /// The start of the body, whitespace collapsed.
        excerpt: String,
        /// Why it did not decode.
        #[source]
        source: Option<ModelError>,
    },
    /// The base URL given to the builder is unusable.
    #[error("invalid base URL {url:?}: {problem}")]
    InvalidBaseUrl {
        /// The URL as given (user information redacted).
        url: String,
        /// What is wrong with it.
        problem: BaseUrlProblem,
    },
    /// A wait ([`WaitSnapshot`](crate::WaitSnapshot), [`WaitRestoreJob`](crate::WaitRestoreJob))
    /// reached its timeout before a terminal status. Says what was seen: the last snapshot or
    /// job (and so its last status, in progress or unknown to this crate), the error of the
    /// last poll when it failed, or that no poll succeeded at all.
    #[error("timed out after {} waiting for the {}{}", DisplayDuration(*elapsed), last.as_deref().map_or("snapshot", LastSeen::what), DisplaySeen { polls: *polls, last: last.as_deref(), last_error: last_error.as_deref() })]
    #[non_exhaustive]
    WaitTimeout {
        /// How long the wait lasted.
        elapsed: Duration,
        /// How many polls were made (failed ones included).
        polls: u32,
        /// The last snapshot (or job) seen, if any poll succeeded.
        last: Option<Box<LastSeen>>,
        /// The error of the last poll, when it failed (a transient error, or no answer before
        /// the deadline).
        last_error: Option<Box<Error>>,
    },
    /// A list stream fetched its maximum number of pages without reaching the end.
    #[error("stopped after {limit} pages without reaching the last page")]
    TooManyPages {
        /// The limit that was reached.
        limit: u32,
    },
    /// A lookup that finds the cluster's kind itself ([`AtlasClient::snapshots`](crate::AtlasClient::snapshots))
    /// missed on every kind's endpoint: each lookup, its URL and its answer, in order.
    #[error("not found under any cluster kind: {}", DisplayLookups(lookups))]
    NotFoundOnAnyEndpoint {
        /// The lookups, in the order they were made (tenant, then flex, then dedicated).
        lookups: Vec<MissedLookup>,
    },
    /// [`latest`](crate::Snapshots::latest) found no `COMPLETED` snapshot.
    #[error("no COMPLETED snapshot among the {listed} listed")]
    NoCompletedSnapshot {
        /// How many snapshots the cluster's list held (decoded ones).
        listed: u64,
    },
    /// The object store refused the pre-signed download link (`403`, or `400`/`401`/`410`,
    /// usually with an XML body such as `<Code>AccessDenied</Code><Message>Request has
    /// expired</Message>`): download links are valid for 4 hours. Ask for a new one.
    #[error("the download link was refused (HTTP {status}{}{}): pre-signed links expire 4 hours after they are made", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    LinkExpired {
        /// The object store's status.
        status: StatusCode,
        /// The XML body's `Code`, e.g. `AccessDenied`.
        code: Option<String>,
        /// The XML body's `Message`, e.g. `Request has expired`.
        message: Option<String>,
        /// The link, its query (the signature) redacted.
        url: String,
    },
    /// Downloading an archive failed; `problem` says how.
    #[error("download from {url} failed: {problem}")]
    Download {
        /// The link, its query (the signature) redacted, or the file.
        url: String,
        /// What went wrong.
        problem: DownloadProblem,
    },
    /// The request did not get an answer from Atlas: connection, TLS, timeout, proxy or digest
    /// problems (see [`atlas_transport::Error`]).
    #[error(transparent)]
    Transport(atlas_transport::Error),
}

struct DisplayViolations<'a>(&'a ApiError);

impl fmt::Display for DisplayViolations<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(detail) = &self.0.bad_request_detail {
            for v in &detail.fields {
                write!(f, "; {}: {}", v.field, v.description)?;
            }
        }
        Ok(())
    }
}

struct DisplayLookups<'a>(&'a [MissedLookup]);

impl fmt::Display for DisplayLookups<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{} lookup {} answered {}", l.kind, l.url, l.error)?;
        }
        Ok(())
    }
}

struct DisplayLocation<'a>(Option<&'a str>);

impl fmt::Display for DisplayLocation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(l) => write!(f, " to {l}"),
            None => f.write_str(" without a Location header"),
        }
    }
}

/// A duration for messages: `400 ms`, `8 s`, `2.5 s`, `30 min`.
struct DisplayDuration(Duration);

impl fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d < Duration::from_secs(1) {
            write!(f, "{} ms", d.as_millis())
        } else if d.subsec_millis() != 0 && d < Duration::from_secs(60) {
            write!(f, "{:.1} s", d.as_secs_f64())
        } else if d.as_secs() % 60 == 0 {
            write!(f, "{} min", d.as_secs() / 60)
        } else {
            write!(f, "{} s", d.as_secs())
        }
    }
}

/// What a wait saw, for [`Error::WaitTimeout`].
struct DisplaySeen<'a> {
    polls: u32,
    last: Option<&'a LastSeen>,
    last_error: Option<&'a Error>,
}

impl fmt::Display for DisplaySeen<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let polls = match self.polls {
            1 => "1 poll".to_owned(),
            n => format!("{n} polls"),
        };
        match self.last {
            Some(last) => match last.status_text() {
                Some(s) if last.status_is_unknown() => write!(
                    f,
                    " (last status {s}, not a status this client knows; {polls})"
                )?,
                Some(status) => write!(f, " (last status {status}; {polls})")?,
                None => write!(f, " (the {} came without a status; {polls})", last.what())?,
            },
            None if self.polls == 0 => f.write_str(" (no poll was made)")?,
            None => write!(f, " (no poll succeeded in {polls})")?,
        }
        if let Some(e) = self.last_error {
            write!(f, "; the last poll failed: {e}")?;
        }
        Ok(())
    }
}

impl Error {
    /// Atlas's error body, when the error came from an Atlas answer.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::NotFound { api, .. }
            | Error::Unauthorized { api }
            | Error::Forbidden { api, .. }
            | Error::RateLimited { api, .. }
            | Error::Gone { api }
            | Error::InvalidRequest { api }
            | Error::Server { api, .. }
            | Error::Redirect { api, .. }
            | Error::Api { api, .. } => Some(api),
            _ => None,
        }
    }

    /// Whether Atlas accepted the credentials but the key lacks the role the request needs:
    /// `401 USER_UNAUTHORIZED` (Atlas's answer, observed) or a `403` that is not about the IP
    /// access list.
    pub fn lacks_role(&self) -> bool {
        match self {
            Error::Unauthorized { api } => api.has_code(USER_UNAUTHORIZED),
            Error::Forbidden { ip_access_list, .. } => !ip_access_list,
            _ => false,
        }
    }

    /// The HTTP status behind the error (the enveloped one for `envelope=true`), if any; for
    /// [`Error::NotFoundOnAnyEndpoint`], the last lookup's.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::NotFoundOnAnyEndpoint { lookups } => {
                lookups.last().and_then(|l| l.error.status())
            }
            Error::LinkExpired { status, .. } => Some(*status),
            Error::NotFound { .. } => Some(StatusCode::NOT_FOUND),
            Error::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED),
            Error::Forbidden { .. } => Some(StatusCode::FORBIDDEN),
            Error::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::Gone { api } => Some(
                api.error
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(StatusCode::GONE),
            ),
            Error::InvalidRequest { .. } => Some(StatusCode::BAD_REQUEST),
            Error::Server { status, .. }
            | Error::Redirect { status, .. }
            | Error::Api { status, .. }
            | Error::UnexpectedBody { status, .. } => Some(*status),
            Error::Transport(e) => e.status(),
            _ => None,
        }
    }

    /// What to do about the error, in one sentence, for a command-line tool or a log.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::NotFound { resource, .. } => match resource {
                NotFoundResource::Group => {
                    "check the project (group) id: it is the 24-hex-digit id in the Atlas UI's project settings, and the API key must belong to that project"
                }
                NotFoundResource::Cluster => {
                    "check the cluster name (case matters); snapshots() finds the kind itself, else a flex cluster is reached with flex_snapshots(), a dedicated one with dedicated_snapshots(), a shared M2/M5 one with tenant_snapshots()"
                }
                NotFoundResource::Snapshot => {
                    "check the snapshot id; list the cluster's snapshots to see which ids exist"
                }
                NotFoundResource::Unknown => {
                    "check the project id, the cluster name and the snapshot id, and the kind of the cluster (shared-tier, flex or dedicated)"
                }
            },
            Error::Unauthorized { api } if api.has_code(USER_UNAUTHORIZED) => {
                "give the API key the role the request needs in this project: Project Read Only to read, Project Backup Creator (or Manager) to take on-demand snapshots, Project Backup Manager to delete them"
            }
            Error::Unauthorized { .. } => {
                "check the API public and private keys (HTTP digest: public key as user name, private key as password) and that the key is enabled"
            }
            Error::Forbidden {
                ip_access_list: true,
                ..
            } => {
                "add this machine's public IP address to the API key's own access list (Organization Access Manager > API Keys > Edit Permissions), or call from an allowed address"
            }
            Error::Forbidden { .. } => {
                "give the API key at least the Project Read Only role on this project"
            }
            Error::RateLimited { .. } => {
                "slow down: wait for the Retry-After delay, then try again; Atlas limits requests per API key and endpoint"
            }
            Error::NotFoundOnAnyEndpoint { .. } => {
                "check the project id, the cluster name and the snapshot id: none of the tenant, flex and dedicated endpoints know them"
            }
            Error::NoCompletedSnapshot { .. } => {
                "the cluster has no finished snapshot yet: list its snapshots, or wait for the next scheduled one"
            }
            Error::LinkExpired { .. } => {
                "ask for a new link with FlexSnapshots::download() and download again: links are valid for 4 hours"
            }
            Error::Download { problem, .. } => problem.hint(),
            Error::Gone { .. } => {
                "M2/M5 tenant snapshot endpoints were retired in January 2026; migrated clusters are flex clusters: use flex_snapshots()"
            }
            Error::InvalidRequest { api } if api.has_code(FLEX_IN_CLUSTER_API) => {
                "this is a flex cluster, which the cluster endpoints (tenant and dedicated) refuse: use flex_snapshots() (flex clusters have no on-demand snapshots)"
            }
            Error::InvalidRequest { api } if api.has_code(NON_FLEX_IN_FLEX_API) => {
                "this is not a flex cluster: use dedicated_snapshots() for a dedicated cluster, tenant_snapshots() for a shared-tier M2/M5 one, or snapshots() to find the kind"
            }
            Error::InvalidRequest { .. } => {
                "fix the request: the error's badRequestDetail lists the rejected fields"
            }
            Error::Server { .. } => {
                "Atlas had a server-side problem; try again later and check https://status.mongodb.com"
            }
            Error::Redirect { .. } => {
                "redirects are not followed: if the Location is the right server, use it as the base URL (Atlas is https://cloud.mongodb.com)"
            }
            Error::Api { .. } => "Atlas refused the request; see errorCode and detail in the error",
            Error::UnexpectedBody {
                source: Some(source),
                ..
            } if source.kind() == atlas_model::ModelErrorKind::Data => {
                "the answer is JSON but not of the expected shape (the reason says which field): check the base URL, or report the field if Atlas changed its format"
            }
            Error::UnexpectedBody { .. } => {
                "the answer was not Atlas JSON: check the base URL and any proxy in between"
            }
            Error::InvalidBaseUrl { problem, .. } => match problem {
                BaseUrlProblem::InsecureHttp => {
                    "use https, or allow_insecure_http() if plain http is really intended"
                }
                BaseUrlProblem::UserInfo => {
                    "give the keys with AtlasClientBuilder::credentials, not in the URL"
                }
                BaseUrlProblem::ApiPath { .. } => {
                    "give only the server (and a prefix, if any), e.g. https://cloud.mongodb.com: the API path is added per request"
                }
                _ => {
                    "give a base URL such as https://cloud.mongodb.com (scheme and host, no query)"
                }
            },
            Error::WaitTimeout {
                last: Some(last), ..
            } => match last.status_text() {
                Some(_) if last.status_is_unknown() => {
                    "the last status is not one this client knows (PENDING, QUEUED, RUNNING, COMPLETED, FAILED; queued, inProgress, completed, failed on dedicated clusters): look at it with get() or in Atlas; waiting longer may not help"
                }
                Some(_) => {
                    "it is still in progress: wait longer (a larger timeout) or check it later"
                }
                None => "Atlas sent it without a status: look at it with get() or in Atlas",
            },
            Error::WaitTimeout { .. } => {
                "no poll got the snapshot before the timeout: see the last error, check the network and the base URL, or allow more time"
            }
            Error::TooManyPages { .. } => {
                "raise the page limit or itemsPerPage, or fetch pages one by one with page_num"
            }
            Error::Transport(e) => match e {
                atlas_transport::Error::Timeout { .. } => {
                    "Atlas did not answer in time: check the network or raise the timeouts"
                }
                atlas_transport::Error::Tls { .. } => {
                    "the TLS handshake failed: check the base URL's host name and any extra root certificate"
                }
                atlas_transport::Error::InsecureCredentials { .. } => {
                    "use https, or allow_insecure_http() if plain http is really intended"
                }
                atlas_transport::Error::Proxy { .. } => {
                    "check the proxy settings (HTTPS_PROXY, NO_PROXY) and the proxy's credentials"
                }
                atlas_transport::Error::Connect { .. } => {
                    "could not connect: check the base URL, DNS and the network"
                }
                atlas_transport::Error::Config { .. } => {
                    "check the client settings: the extra root certificate files and the proxy URL"
                }
                atlas_transport::Error::BodyTooLarge { .. } => {
                    "the answer is larger than the body limit: raise body_limit, or ask for smaller pages"
                }
                atlas_transport::Error::Digest(_) => {
                    "the digest exchange failed: check the base URL and that no proxy rewrites the requests"
                }
                atlas_transport::Error::Token { problem, .. } => problem.hint(),
                _ => return None,
            },
        })
    }

    /// Whether waiting and asking again may help: rate limiting (`429`), server errors (`5xx`
    /// except `501` and `505`), and transport failures that can pass (connection failures,
    /// timeouts, I/O errors, retries used up without an answer). Configuration, TLS, proxy,
    /// digest and body-limit errors are not transient: asking again gives the same answer.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::RateLimited { .. } => true,
            Error::Server { status, .. } => !matches!(status.as_u16(), 501 | 505),
            Error::Transport(t) => matches!(
                t,
                atlas_transport::Error::Connect { .. }
                    | atlas_transport::Error::Timeout { .. }
                    | atlas_transport::Error::Io { .. }
                    | atlas_transport::Error::RetriesExhausted { .. }
            ),
            _ => false,
        }
    }

    /// How long the server asked to wait before asking again: `Retry-After` of a `429`, else
    /// the retry seconds of its `parameters`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited {
                retry_after,
                parameters,
                ..
            } => retry_after.or_else(|| {
                parameters
                    .as_ref()?
                    .retry_after_secs
                    .map(Duration::from_secs)
            }),
            _ => None,
        }
    }
}

impl From<atlas_transport::Error> for Error {
    /// Keeps transport failures as [`Error::Transport`]. Transport errors that carry an Atlas
    /// answer (a rejected `401`, or the last response after the retries) are mapped by the
    /// client to the same variant as a plain answer; see [`Error`].
    fn from(e: atlas_transport::Error) -> Self {
        Error::Transport(e)
    }
}

/// Maps a non-2xx status and its error body to the variant a caller acts on.
pub(crate) fn from_status(status: StatusCode, headers: &HeaderMap, api: ApiError) -> Error {
    let api = Box::new(api);
    match status.as_u16() {
        400 => Error::InvalidRequest { api },
        401 => Error::Unauthorized { api },
        403 => Error::Forbidden {
            ip_access_list: is_access_list_code(&api),
            api,
        },
        404 => Error::NotFound {
            resource: NotFoundResource::from_api_error(&api),
            api,
        },
        410 => Error::Gone { api },
        429 => Error::RateLimited {
            retry_after: atlas_transport::retry_after(headers, SystemTime::now()),
            parameters: api.rate_limit(),
            api,
        },
        _ if api.has_code("VERSION_GONE") => Error::Gone { api },
        300..=399 => Error::Redirect {
            status,
            location: headers
                .get(http::header::LOCATION)
                .map(|v| location_text(v.as_bytes())),
            api,
        },
        500..=599 => Error::Server { status, api },
        _ => Error::Api { status, api },
    }
}

/// `401` without a challenge: the key was accepted but lacks the role (observed on Atlas).
pub(crate) const USER_UNAUTHORIZED: &str = "USER_UNAUTHORIZED";

/// `400` for a flex cluster on a cluster (tenant) path.
pub(crate) const FLEX_IN_CLUSTER_API: &str = "CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API";
/// `400` for a cluster that is not flex on a flex path.
pub(crate) const NON_FLEX_IN_FLEX_API: &str = "CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API";

/// A `Location` header for messages: printable, user information removed, at most 300
/// characters.
fn location_text(value: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(value)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let text = crate::endpoint::redact_userinfo(text.trim());
    let mut out: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        out.push_str("...");
    }
    out
}

fn is_access_list_code(api: &ApiError) -> bool {
    api.error_code
        .as_deref()
        .is_some_and(|c| c.contains("ACCESS_LIST") || c.contains("WHITELIST"))
}

/// The start of a body for error messages: at most `limit` characters, whitespace collapsed.
pub(crate) fn excerpt(body: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(limit * 4)]);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = collapsed.chars().take(limit).collect();
    if collapsed.chars().count() > limit {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_short_and_on_one_line() {
        assert_eq!(
            excerpt(b"  <html>\n <body>x</body>", 100),
            "<html> <body>x</body>"
        );
        assert_eq!(excerpt(b"abcdef", 3), "abc...");
        assert_eq!(excerpt("é€ü".as_bytes(), 2), "é€...");
    }

    #[test]
    fn not_found_resource_from_code_then_detail() {
        let r = |code: Option<&str>, detail: Option<&str>| {
            NotFoundResource::from_api_error(&ApiError {
                error_code: code.map(str::to_owned),
                detail: detail.map(str::to_owned),
                ..ApiError::default()
            })
        };
        assert_eq!(r(Some("GROUP_NOT_FOUND"), None), NotFoundResource::Group);
        assert_eq!(
            r(Some("CLUSTER_NOT_FOUND"), None),
            NotFoundResource::Cluster
        );
        assert_eq!(
            r(Some("FLEX_CLUSTER_NOT_FOUND"), None),
            NotFoundResource::Cluster
        );
        assert_eq!(
            r(Some("BACKUP_SNAPSHOT_NOT_FOUND"), None),
            NotFoundResource::Snapshot
        );
        assert_eq!(
            r(
                Some("RESOURCE_NOT_FOUND"),
                Some("No cluster named Foo exists in group 5b69d0349b15c62cdfc38b78.")
            ),
            NotFoundResource::Cluster
        );
        assert_eq!(
            r(Some("RESOURCE_NOT_FOUND"), Some("No project with that id.")),
            NotFoundResource::Group
        );
        assert_eq!(
            r(Some("RESOURCE_NOT_FOUND"), None),
            NotFoundResource::Unknown
        );
        assert_eq!(r(None, None), NotFoundResource::Unknown);
    }
}
