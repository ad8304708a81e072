//! Request building: API versions, paths, query strings and `Accept` headers.
//!
//! Everything here is pure: it turns validated ids and options into an [`http::Uri`] and a media
//! type. Path segments come only from [`GroupId`], [`ClusterName`] and [`SnapshotId`], and are
//! percent-encoded anyway, so no input can change the shape of a path.

use std::fmt::{self, Write as _};

use atlas_model::{ClusterName, GroupId, RestoreJobId, SnapshotId};
use http::Uri;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;

/// Which version of the Atlas Administration API the tenant (M2/M5) endpoints are called with.
///
/// | Version | Path prefix | `Accept` |
/// |---|---|---|
/// | [`ApiVersion::V1`] (default) | `/api/atlas/v1.0` | `application/json` |
/// | [`ApiVersion::V2`] | `/api/atlas/v2` | `application/vnd.atlas.2023-01-01+json` |
///
/// Flex endpoints always use `/api/atlas/v2` with `application/vnd.atlas.2024-11-13+json`; they
/// take no version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiVersion {
    /// The legacy v1.0 API the seed documents: `/api/atlas/v1.0`, `Accept: application/json`.
    #[default]
    V1,
    /// The versioned v2 API: `/api/atlas/v2`, `Accept: application/vnd.atlas.2023-01-01+json`.
    V2,
}

impl ApiVersion {
    /// The path prefix, e.g. `/api/atlas/v1.0`.
    pub fn path_prefix(self) -> &'static str {
        match self {
            ApiVersion::V1 => V1_PREFIX,
            ApiVersion::V2 => V2_PREFIX,
        }
    }

    /// The `Accept` media type the tenant endpoints are called with in this version.
    pub fn tenant_accept(self) -> &'static str {
        match self {
            ApiVersion::V1 => "application/json",
            ApiVersion::V2 => TENANT_V2_ACCEPT,
        }
    }
}

const V1_PREFIX: &str = "/api/atlas/v1.0";
const V2_PREFIX: &str = "/api/atlas/v2";
const TENANT_V2_ACCEPT: &str = "application/vnd.atlas.2023-01-01+json";
/// The `Accept` media type of the flex snapshot endpoints.
pub const FLEX_ACCEPT: &str = "application/vnd.atlas.2024-11-13+json";
/// The `Accept` (and, on `POST`, `Content-Type`) media type of the dedicated clusters' cloud
/// backup snapshot endpoints.
pub const DEDICATED_ACCEPT: &str = "application/vnd.atlas.2023-01-01+json";

/// Characters left as they are in a path segment: the RFC 3986 unreserved set.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The kind of cluster, which decides the family of endpoints a snapshot is found under.
///
/// | Kind | Endpoints | Snapshot type |
/// |---|---|---|
/// | [`ClusterKind::Tenant`] | `.../clusters/{name}/backup/tenant/snapshots` (M2/M5, sunset in January 2026) | [`TenantSnapshot`](crate::TenantSnapshot) |
/// | [`ClusterKind::Flex`] | `.../flexClusters/{name}/backup/snapshots` | [`FlexSnapshot`](crate::FlexSnapshot) |
/// | [`ClusterKind::Dedicated`] | `.../clusters/{name}/backup/snapshots` (M10+, cloud backups) | [`CloudBackupSnapshot`](crate::CloudBackupSnapshot) |
///
/// [`AtlasClient::snapshots`](crate::AtlasClient::snapshots) finds the kind itself (tenant,
/// then flex, then dedicated: [`LOOKUP_ORDER`](Self::LOOKUP_ORDER)) and remembers it per
/// cluster; `.kind(..)` on its requests forces one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClusterKind {
    /// A shared-tier M2/M5 cluster, on the tenant endpoints.
    Tenant,
    /// A flex cluster.
    Flex,
    /// A dedicated (M10 and up) cluster, on the cloud backup endpoints.
    Dedicated,
}

impl ClusterKind {
    /// The kinds in the order a lookup tries them.
    pub const LOOKUP_ORDER: [ClusterKind; 3] = [
        ClusterKind::Tenant,
        ClusterKind::Flex,
        ClusterKind::Dedicated,
    ];

    /// `tenant`, `flex` or `dedicated`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterKind::Tenant => "tenant",
            ClusterKind::Flex => "flex",
            ClusterKind::Dedicated => "dedicated",
        }
    }
}

impl fmt::Display for ClusterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which family of endpoints a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Tenant(ApiVersion),
    Flex,
    Dedicated,
}

impl Family {
    pub(crate) fn kind(self) -> ClusterKind {
        match self {
            Family::Tenant(_) => ClusterKind::Tenant,
            Family::Flex => ClusterKind::Flex,
            Family::Dedicated => ClusterKind::Dedicated,
        }
    }

    pub(crate) fn accept(self) -> &'static str {
        match self {
            Family::Tenant(v) => v.tenant_accept(),
            Family::Flex => FLEX_ACCEPT,
            Family::Dedicated => DEDICATED_ACCEPT,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Family::Tenant(v) => v.path_prefix(),
            Family::Flex | Family::Dedicated => V2_PREFIX,
        }
    }
}

/// The query parameters a request may carry; each is sent only when set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Query {
    pub(crate) pretty: bool,
    pub(crate) envelope: bool,
    pub(crate) items_per_page: Option<u32>,
    pub(crate) page_num: Option<u32>,
    pub(crate) include_count: Option<bool>,
}

impl Query {
    fn render(&self) -> String {
        let mut out = String::new();
        let mut add = |name: &str, value: &dyn std::fmt::Display| {
            out.push(if out.is_empty() { '?' } else { '&' });
            // Writing to a String cannot fail.
            let _ = write!(out, "{name}={value}");
        };
        if self.pretty {
            add("pretty", &true);
        }
        if self.envelope {
            add("envelope", &true);
        }
        if let Some(n) = self.items_per_page {
            add("itemsPerPage", &n);
        }
        if let Some(n) = self.page_num {
            add("pageNum", &n);
        }
        if let Some(b) = self.include_count {
            add("includeCount", &b);
        }
        out
    }
}

/// A validated base URL: `http` or `https`, a host, an optional path prefix, no user information,
/// query or fragment. Kept without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    text: String,
    scheme: String,
    authority: String,
    host: String,
}

impl BaseUrl {
    pub(crate) fn parse(url: &str) -> Result<Self, Error> {
        let bad = |problem: BaseUrlProblem| Error::InvalidBaseUrl {
            url: redact_userinfo(url),
            problem,
        };
        let trimmed = url.trim();
        if trimmed.is_empty() {
            return Err(bad(BaseUrlProblem::Empty));
        }
        if trimmed.contains('#') {
            return Err(bad(BaseUrlProblem::Fragment));
        }
        let uri: Uri = trimmed
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(BaseUrlProblem::Malformed(e.to_string())))?;
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => "https",
            Some(s) if s.eq_ignore_ascii_case("http") => "http",
            Some(other) => return Err(bad(BaseUrlProblem::Scheme(other.to_owned()))),
            None => return Err(bad(BaseUrlProblem::NoScheme)),
        };
        let authority = uri.authority().ok_or_else(|| bad(BaseUrlProblem::NoHost))?;
        if authority.as_str().contains('@') {
            return Err(bad(BaseUrlProblem::UserInfo));
        }
        if authority.host().is_empty() {
            return Err(bad(BaseUrlProblem::NoHost));
        }
        if uri.query().is_some() {
            return Err(bad(BaseUrlProblem::Query));
        }
        let path = uri.path().trim_end_matches('/');
        let authority = authority.as_str().to_ascii_lowercase();
        if let Some(at) = api_path_start(path) {
            return Err(bad(BaseUrlProblem::ApiPath {
                path: path[at..].to_owned(),
                suggestion: format!("{scheme}://{authority}{}", &path[..at]),
            }));
        }
        Ok(BaseUrl {
            text: format!("{scheme}://{authority}{path}"),
            scheme: scheme.to_owned(),
            host: uri.host().unwrap_or_default().to_ascii_lowercase(),
            authority,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn is_plain_http(&self) -> bool {
        self.scheme == "http"
    }

    /// Whether the host is `localhost` or a loopback address.
    pub(crate) fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// Whether `uri` points at the same scheme, host and port as this base URL.
    pub(crate) fn same_origin(&self, uri: &Uri) -> bool {
        uri.scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(&self.scheme))
            && uri
                .authority()
                .is_some_and(|a| a.as_str().eq_ignore_ascii_case(&self.authority))
    }
}

/// Where the Administration API's own path (`/api/atlas`, any case) starts in `path`, if it is
/// there: a base URL copied from an endpoint's documentation (`.../api/atlas/v2`) would get the
/// path twice.
fn api_path_start(path: &str) -> Option<usize> {
    let lower = path.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("/api/atlas") {
        let at = from + i;
        let end = at + "/api/atlas".len();
        if lower[end..].is_empty() || lower[end..].starts_with('/') {
            return Some(at);
        }
        from = end;
    }
    None
}

/// What is wrong with a base URL, in [`Error::InvalidBaseUrl`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaseUrlProblem {
    /// Nothing was given.
    Empty,
    /// Not a URL at all (the parser's reason).
    Malformed(String),
    /// No scheme: `cloud.mongodb.com` instead of `https://cloud.mongodb.com`.
    NoScheme,
    /// A scheme other than `https` or `http`.
    Scheme(String),
    /// No host.
    NoHost,
    /// User information (`user:password@`): credentials do not go in the URL.
    UserInfo,
    /// A query string.
    Query,
    /// A fragment.
    Fragment,
    /// The path holds the API's own path (`/api/atlas/...`), which every request adds.
    ApiPath {
        /// The part that should not be there, e.g. `/api/atlas/v2`.
        path: String,
        /// The base URL without it, e.g. `https://cloud.mongodb.com`.
        suggestion: String,
    },
    /// Plain `http://` to a host that is not loopback, with credentials, without the opt-in.
    InsecureHttp,
}

impl fmt::Display for BaseUrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaseUrlProblem::Empty => f.write_str("the URL is empty"),
            BaseUrlProblem::Malformed(why) => write!(f, "not a valid URL ({why})"),
            BaseUrlProblem::NoScheme => {
                f.write_str("the URL needs a scheme and a host, e.g. https://cloud.mongodb.com")
            }
            BaseUrlProblem::Scheme(s) => write!(f, "the scheme must be https or http, not {s:?}"),
            BaseUrlProblem::NoHost => f.write_str("the URL has no host"),
            BaseUrlProblem::UserInfo => f.write_str("credentials do not belong in the URL"),
            BaseUrlProblem::Query => f.write_str("a base URL cannot have a query string ('?')"),
            BaseUrlProblem::Fragment => f.write_str("a base URL cannot have a fragment ('#')"),
            BaseUrlProblem::ApiPath { path, suggestion } => write!(
                f,
                "it includes the API path {path}, which is added to every request; the base URL is {suggestion}"
            ),
            BaseUrlProblem::InsecureHttp => {
                f.write_str("plain http would expose the API key to the network")
            }
        }
    }
}

pub(crate) fn redact_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://** redacted **@{}", &rest[at + 1..]),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// What below `/backup` a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resource {
    /// `snapshots[/{id}]` (`None`: the list, or the `POST` that takes one).
    Snapshot(Option<SnapshotId>),
    /// `restoreJobs[/{id}]` (flex only).
    RestoreJob(Option<RestoreJobId>),
    /// `download` (flex only).
    Download,
}

/// The resource a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) family: Family,
    pub(crate) group: GroupId,
    pub(crate) cluster: ClusterName,
    pub(crate) resource: Resource,
}

impl Target {
    /// The path below the base URL, e.g.
    /// `/api/atlas/v1.0/groups/{g}/clusters/{c}/backup/tenant/snapshots/{s}`.
    pub(crate) fn path(&self) -> String {
        let seg = |s: &str| utf8_percent_encode(s, SEGMENT).to_string();
        let mut path = String::from(self.family.prefix());
        path.push_str("/groups/");
        path.push_str(&seg(self.group.as_str()));
        match self.family {
            Family::Tenant(_) => {
                path.push_str("/clusters/");
                path.push_str(&seg(self.cluster.as_str()));
                path.push_str("/backup/tenant/");
            }
            Family::Flex => {
                path.push_str("/flexClusters/");
                path.push_str(&seg(self.cluster.as_str()));
                path.push_str("/backup/");
            }
            Family::Dedicated => {
                path.push_str("/clusters/");
                path.push_str(&seg(self.cluster.as_str()));
                path.push_str("/backup/");
            }
        }
        let (name, id) = match &self.resource {
            Resource::Snapshot(id) => ("snapshots", id.as_ref().map(SnapshotId::as_str)),
            Resource::RestoreJob(id) => ("restoreJobs", id.as_ref().map(RestoreJobId::as_str)),
            Resource::Download => ("download", None),
        };
        path.push_str(name);
        if let Some(id) = id {
            path.push('/');
            path.push_str(&seg(id));
        }
        path
    }

    /// The full URI for this target with `query`.
    pub(crate) fn uri(&self, base: &BaseUrl, query: &Query) -> Result<Uri, Error> {
        let text = format!("{}{}{}", base.as_str(), self.path(), query.render());
        // Cannot fail for a validated base and validated ids; kept typed all the same.
        text.parse()
            .map_err(|e: http::uri::InvalidUri| Error::InvalidBaseUrl {
                url: base.as_str().to_owned(),
                problem: BaseUrlProblem::Malformed(format!(
                    "cannot build a request URL from it: {e}"
                )),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(family: Family, snapshot: bool) -> Target {
        Target {
            family,
            group: "5b69d0349b15c62cdfc38b78".parse().unwrap(),
            cluster: "M2AWS".parse().unwrap(),
            resource: Resource::Snapshot(
                snapshot.then(|| "5cc310ace5dc7ce369814bc8".parse().unwrap()),
            ),
        }
    }

    #[test]
    fn restore_job_and_download_paths() {
        let mut t = target(Family::Flex, false);
        t.resource = Resource::RestoreJob(Some("6740a1f2c3d4e5f6a7b8c9d0".parse().unwrap()));
        assert_eq!(
            t.path(),
            "/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/flexClusters/M2AWS/backup/restoreJobs/6740a1f2c3d4e5f6a7b8c9d0"
        );
        t.resource = Resource::Download;
        assert!(t.path().ends_with("/flexClusters/M2AWS/backup/download"));
    }

    #[test]
    fn seed_path_is_exactly_the_documented_one() {
        let base = BaseUrl::parse("https://cloud.mongodb.com/").unwrap();
        let uri = target(Family::Tenant(ApiVersion::V1), true)
            .uri(&base, &Query::default())
            .unwrap();
        assert_eq!(
            uri.to_string(),
            "https://cloud.mongodb.com/api/atlas/v1.0/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/tenant/snapshots/5cc310ace5dc7ce369814bc8"
        );
    }

    #[test]
    fn query_parameters_only_when_set_in_a_fixed_order() {
        assert_eq!(Query::default().render(), "");
        let q = Query {
            pretty: true,
            envelope: true,
            items_per_page: Some(2),
            page_num: Some(3),
            include_count: Some(false),
        };
        assert_eq!(
            q.render(),
            "?pretty=true&envelope=true&itemsPerPage=2&pageNum=3&includeCount=false"
        );
    }

    #[test]
    fn dedicated_paths_and_media_type() {
        let t = target(Family::Dedicated, true);
        assert_eq!(
            t.path(),
            "/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/snapshots/5cc310ace5dc7ce369814bc8"
        );
        assert_eq!(
            target(Family::Dedicated, false).path(),
            "/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/snapshots"
        );
        assert_eq!(
            Family::Dedicated.accept(),
            "application/vnd.atlas.2023-01-01+json"
        );
        assert_eq!(Family::Dedicated.kind(), ClusterKind::Dedicated);
        assert_eq!(ClusterKind::Dedicated.to_string(), "dedicated");
    }

    #[test]
    fn flex_list_path() {
        let t = target(Family::Flex, false);
        assert_eq!(
            t.path(),
            "/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/flexClusters/M2AWS/backup/snapshots"
        );
    }

    #[test]
    fn base_url_validation() {
        for (bad, why) in [
            ("", "empty"),
            ("cloud.mongodb.com", "scheme"),
            ("ftp://cloud.mongodb.com", "scheme"),
            ("https://user:pw@cloud.mongodb.com", "credentials"),
            ("https://cloud.mongodb.com/?x=1", "query"),
            ("https://cloud.mongodb.com/#top", "fragment"),
            ("https://exa mple.com", "valid"),
            (
                "https://cloud.mongodb.com/api/atlas/v2",
                "API path /api/atlas/v2",
            ),
            (
                "https://cloud.mongodb.com/API/Atlas/v1.0/",
                "the base URL is https://cloud.mongodb.com",
            ),
            (
                "https://om.example/prefix/api/atlas",
                "the base URL is https://om.example/prefix",
            ),
            (
                "https://cloud.mongodb.com/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78",
                "API path /api/atlas/v2/groups",
            ),
        ] {
            let err = BaseUrl::parse(bad).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(why), "{bad:?}: {text}");
            assert!(!text.contains("pw@"), "{text}");
        }
        let b = BaseUrl::parse("HTTP://LocalHost:8080/prefix/").unwrap();
        assert_eq!(b.as_str(), "http://localhost:8080/prefix");
        assert!(b.is_loopback() && b.is_plain_http());
        assert!(BaseUrl::parse("http://[::1]:1").unwrap().is_loopback());
        assert!(!BaseUrl::parse("http://10.0.0.1").unwrap().is_loopback());
        // Only the API's own path is refused, not paths that merely look alike.
        for ok in [
            "https://h/apis/atlas",
            "https://h/api/atlasx",
            "https://h/my/api",
        ] {
            assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn same_origin_compares_scheme_host_and_port() {
        let b = BaseUrl::parse("https://cloud.mongodb.com").unwrap();
        let yes: Uri = "https://cloud.mongodb.com/api?pageNum=2".parse().unwrap();
        let other_host: Uri = "https://evil.example/api".parse().unwrap();
        let other_port: Uri = "https://cloud.mongodb.com:444/api".parse().unwrap();
        let other_scheme: Uri = "http://cloud.mongodb.com/api".parse().unwrap();
        assert!(b.same_origin(&yes));
        assert!(!b.same_origin(&other_host));
        assert!(!b.same_origin(&other_port));
        assert!(!b.same_origin(&other_scheme));
    }
}
