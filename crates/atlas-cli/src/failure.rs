//! Library errors as the command reports them: exit code, one sentence, and a hint in the
//! command's own words (flags and environment variables, never library methods).
//!
//! The library's `Display` says what happened without naming any API; its `hint()` speaks of
//! builder methods, so it is never shown here: every hint below is written for this command.

use std::io::ErrorKind;

use atlas_snapshots::oauth::TokenProblem;
use atlas_snapshots::{
    BaseUrlProblem, DownloadProblem, Error, LastSeen, ModelErrorKind, NotFoundResource,
    TransportError,
};

use crate::cli::KindArg;
use crate::config::Source;
use crate::credentials::Method;
use crate::errors::{CliError, Exit, chain, has_io_kind};

/// What the command was talking to, and where each setting came from, for messages.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The base URL in use.
    pub(crate) base_url: String,
    /// Where it came from.
    pub(crate) base_url_source: Source,
    /// Which endpoints the command asked: found by asking, a kind the user forced, or the
    /// only kind the command serves.
    pub(crate) scope: Scope,
    /// Where the public key came from (`None`: made up by the command, as in `demo`).
    pub(crate) public_key_source: Option<Source>,
    /// Where the private key came from.
    pub(crate) private_key_source: Option<Source>,
    /// The project id and where it came from.
    pub(crate) group: Option<(String, Source)>,
    /// The cluster name.
    pub(crate) cluster: Option<String>,
    /// The authentication method (the two sources above are its id's and secret's).
    pub(crate) method: Method,
}

/// Which endpoints a command asks, for hints that name the right flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The kind is found by asking (no `--kind`).
    Lookup,
    /// `--kind K` (or `--flex`).
    Forced(KindArg),
    /// A command that serves one kind only: `download` and `restores` (flex), `take` and
    /// `delete` (dedicated).
    Command {
        /// The command, e.g. `download`.
        name: &'static str,
        /// The kind it serves.
        kind: KindArg,
    },
}

impl Scope {
    /// The kind asked, whoever chose it.
    pub(crate) fn kind(self) -> Option<KindArg> {
        match self {
            Scope::Lookup => None,
            Scope::Forced(k) | Scope::Command { kind: k, .. } => Some(k),
        }
    }
}

impl Target {
    /// Whether the flex endpoints were asked.
    fn flex(&self) -> bool {
        self.scope.kind() == Some(KindArg::Flex)
    }

    /// `, from environment variable X` (nothing for the default).
    fn from(&self) -> String {
        match &self.base_url_source {
            Source::Default => String::new(),
            s => format!(", from {s}"),
        }
    }

    /// `atlas-snapshots list --cluster-name X [--flex | --kind K]`.
    pub(crate) fn list_command(&self) -> String {
        let kind = match self.scope.kind() {
            Some(KindArg::Flex) => " --flex".to_owned(),
            Some(k) => format!(" --kind {}", k.as_str()),
            None => String::new(),
        };
        format!(
            "atlas-snapshots list --cluster-name {}{kind}",
            self.cluster.as_deref().unwrap_or("NAME"),
        )
    }
}

/// The exit code of a library error.
pub(crate) fn exit_code(e: &Error) -> Exit {
    match e {
        Error::NotFound { .. }
        | Error::NotFoundOnAnyEndpoint { .. }
        | Error::NoCompletedSnapshot { .. } => Exit::NotFound,
        Error::LinkExpired { .. } => Exit::Auth,
        Error::Download { problem, .. } => match problem {
            DownloadProblem::Interrupted { .. } | DownloadProblem::Transport(_) => Exit::Network,
            DownloadProblem::Exists { .. } => Exit::Usage,
            DownloadProblem::Status { status, .. } if status.as_u16() == 404 => Exit::NotFound,
            _ => Exit::Api,
        },
        Error::Unauthorized { .. } | Error::Forbidden { .. } => Exit::Auth,
        Error::InvalidBaseUrl { .. } => Exit::Usage,
        Error::WaitTimeout { .. } => Exit::Network,
        Error::Transport(t) => transport_exit(t),
        _ => Exit::Api,
    }
}

fn transport_exit(t: &TransportError) -> Exit {
    use TransportError as T;
    match t {
        T::Connect { .. } | T::Tls { .. } | T::Timeout { .. } | T::Io { .. } | T::Proxy { .. } => {
            Exit::Network
        }
        T::AuthRejected { .. } | T::Digest(_) => Exit::Auth,
        T::Token { problem, .. } => match problem {
            TokenProblem::InvalidClient | TokenProblem::AccessDenied => Exit::Auth,
            TokenProblem::NoRevocationEndpoint => Exit::Usage,
            _ => Exit::Api,
        },
        T::InsecureCredentials { .. } | T::Config { .. } | T::InvalidRequest { .. } => Exit::Usage,
        T::RetriesExhausted {
            last_status: None, ..
        } => Exit::Network,
        _ => Exit::Api,
    }
}

/// The error as the user sees it.
pub(crate) fn describe(e: &Error, target: &Target) -> CliError {
    let err = CliError::new(exit_code(e), message(e, target));
    match hint(e, target) {
        Some(h) => err.with_hint(h),
        None => err,
    }
}

fn message(e: &Error, target: &Target) -> String {
    match e {
        Error::Transport(t) if has_io_kind(t, ErrorKind::ConnectionRefused) => {
            format!("connection refused by {}", target.base_url)
        }
        Error::InvalidBaseUrl {
            url,
            problem: BaseUrlProblem::InsecureHttp,
        } => format!(
            "refusing to send the API key over plain http to {url}{}",
            target.from()
        ),
        Error::InvalidBaseUrl { url, problem } => {
            format!("invalid base URL {url:?}{}: {problem}", target.from())
        }
        _ => chain(e),
    }
}

fn hint(e: &Error, target: &Target) -> Option<String> {
    let base = &target.base_url;
    let from = target.from();
    Some(match e {
        Error::NotFound { resource, .. } => not_found_hint(*resource, target),
        Error::Unauthorized { .. } if e.lacks_role() => role_hint(target),
        Error::Unauthorized { .. } => rejected_keys_hint(target),
        Error::Forbidden {
            ip_access_list: true,
            ..
        } => "this machine's IP address is not on the API key's IP access list: add it in Atlas (Organization Access Manager > API Keys > Edit Permissions)".to_owned(),
        Error::Forbidden { .. } => format!(
            "give the API key at least the Project Read Only role on project {}",
            target.group.as_ref().map_or("(the --group-id)", |(g, _)| g.as_str())
        ),
        Error::RateLimited { retry_after, .. } => match retry_after {
            Some(d) => format!(
                "Atlas limits the requests of each API key: wait {} s and try again",
                d.as_secs().max(1)
            ),
            None => "Atlas limits the requests of each API key: wait a little and try again".to_owned(),
        },
        Error::Gone { .. } => "M2/M5 tenant snapshots were retired in January 2026 and those clusters became flex clusters: try again with --flex".to_owned(),
        Error::InvalidRequest { api } if api.has_code("CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API") => {
            match target.scope {
                Scope::Command { name, .. } => format!(
                    "the cluster is a flex cluster, and `{name}` is for dedicated clusters: flex clusters have no on-demand snapshots (Atlas takes one a day and keeps the last 8, deleting older ones itself)"
                ),
                _ => "the cluster is a flex cluster (every M2/M5 cluster became one in 2025-2026): add --flex, or leave out --kind to find the kind by asking".to_owned(),
            }
        }
        Error::InvalidRequest { api } if api.has_code("CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API") => {
            match target.scope {
                Scope::Command { name, .. } => format!(
                    "the cluster is not a flex cluster, and `{name}` is for flex clusters; a dedicated cluster's snapshots are shown by get, list and wait, taken by take and deleted by delete"
                ),
                _ => "the cluster is not a flex cluster: leave out --flex (the kind is then found by asking), or use --kind dedicated for a dedicated cluster".to_owned(),
            }
        }
        Error::InvalidRequest { api }
            if api
                .error_code
                .as_deref()
                .is_some_and(|c| c.starts_with("CANNOT_USE_")) =>
        {
            match target.scope {
                Scope::Command { name, kind } => format!(
                    "the cluster is not a {} cluster, and `{name}` is for {} clusters only",
                    kind.as_str(),
                    kind.as_str()
                ),
                _ => "the cluster is of another kind than the one asked: leave out --kind (the kind is then found by asking)".to_owned(),
            }
        }
        Error::InvalidRequest { .. } => {
            "Atlas rejected the request; the rejected fields are listed above".to_owned()
        }
        Error::Server { .. } => {
            "Atlas had a server-side problem: try again later, and see https://status.mongodb.com".to_owned()
        }
        Error::Redirect { location, .. } => redirect_hint(location.as_deref(), target),
        Error::Api { .. } => "Atlas refused the request; see the errorCode and detail above".to_owned(),
        Error::UnexpectedBody {
            source: Some(source),
            ..
        } if source.kind() == ModelErrorKind::Data => format!(
            "the answer is JSON but not of the expected shape (the reason above names the field): check the base URL ({base}{from}), or report the field if Atlas changed its format"
        ),
        Error::UnexpectedBody { .. } => format!(
            "the answer was not Atlas JSON: check the base URL ({base}{from}) and any proxy in between"
        ),
        Error::InvalidBaseUrl { problem, .. } => base_url_hint(problem),
        Error::WaitTimeout { last, .. } => match last.as_deref().map(|l| (l, l.status_text())) {
            Some((l, Some(s))) if l.status_is_unknown() => format!(
                "{s} is not a status atlas-snapshots knows ({}): `atlas-snapshots {}` shows it; waiting longer may not help",
                match l {
                    LastSeen::CloudSnapshot(_) => "queued, inProgress, completed, failed",
                    _ => "PENDING, QUEUED, RUNNING, COMPLETED, FAILED",
                },
                if matches!(l, LastSeen::RestoreJob(_)) { "restores get" } else { "get" }
            ),
            Some((l, Some(s))) => format!(
                "the {} is still in progress ({s}): wait again with a larger --timeout (0: no limit)",
                l.what()
            ),
            Some((l, None)) => format!("Atlas sent the {} without a status", l.what()),
            None => format!(
                "no poll got the snapshot (the last error is above): check the network and the base URL ({base}{from}), or raise --timeout (0: no limit)"
            ),
        },
        Error::TooManyPages { .. } => {
            "use a larger --items-per-page (up to 500), or fetch the pages one by one with --page".to_owned()
        }
        Error::NotFoundOnAnyEndpoint { .. } => format!(
            "none of the M2/M5 (tenant), flex and dedicated endpoints know it: check the project id, --cluster-name (case matters) and the snapshot id; `{}` shows the cluster's snapshots",
            target.list_command()
        ),
        Error::NoCompletedSnapshot { .. } => format!(
            "the cluster has no COMPLETED snapshot yet: `{}` shows what there is",
            target.list_command()
        ),
        Error::LinkExpired { .. } => {
            "download links are valid for 4 hours: run `atlas-snapshots download` again, which asks Atlas for a new link".to_owned()
        }
        Error::Download { problem, .. } => match problem {
            DownloadProblem::Interrupted { .. } => "the connection kept breaking: check the network, then run the download again".to_owned(),
            DownloadProblem::Exists { .. } => "pass --force to replace it, or --output-file to write elsewhere".to_owned(),
            DownloadProblem::Write { .. } => "check the destination: free space, permissions, and that its directory exists".to_owned(),
            DownloadProblem::NoLink => "try again in a moment; if it persists, check the snapshot in Atlas".to_owned(),
            _ => "run the download again: it asks Atlas for a new link".to_owned(),
        },
        Error::Transport(t) => return transport_hint(t, target),
        _ => return None,
    })
}

/// The key was accepted but lacks the role: which role the command needs.
fn role_hint(target: &Target) -> String {
    let project = target
        .group
        .as_ref()
        .map_or("(the --group-id)", |(g, _)| g.as_str());
    let role = match target.scope {
        Scope::Command { name: "take", .. } => "Project Backup Creator (or Project Backup Manager)",
        Scope::Command { name: "delete", .. } => "Project Backup Manager",
        Scope::Command {
            name: "download", ..
        } => "Project Backup Export Operator",
        Scope::Command {
            name: "restores", ..
        } => "Project Backup Recovery Operator",
        _ => "Project Read Only",
    };
    format!(
        "the API key was accepted but lacks the role for this: give it {role} on project {project} (Atlas: Project Access Manager > API keys)"
    )
}

fn not_found_hint(resource: NotFoundResource, target: &Target) -> String {
    match resource {
        NotFoundResource::Group => match &target.group {
            Some((g, source)) => format!(
                "check the project id {g} (from {source}): the API key must belong to that project"
            ),
            None => "check --group-id: the API key must belong to that project".to_owned(),
        },
        NotFoundResource::Cluster if target.flex() => "check --cluster-name (case matters): the project has no flex cluster of that name; for another kind, leave out --flex (the kind is then found by asking)".to_owned(),
        NotFoundResource::Cluster if target.scope.kind() == Some(KindArg::Dedicated) => "check --cluster-name (case matters): the project has no dedicated cluster of that name".to_owned(),
        NotFoundResource::Cluster => "check --cluster-name (case matters); if the cluster is a flex cluster (every M2/M5 cluster became one in 2025-2026), add --flex; for a dedicated one, --kind dedicated; or leave out --kind to find the kind by asking".to_owned(),
        NotFoundResource::Snapshot => format!(
            "check --snapshot-id; `{}` shows the cluster's snapshots",
            target.list_command()
        ),
        _ if target.scope != Scope::Lookup && target.scope.kind() != Some(KindArg::Tenant) => {
            "check the project id, --cluster-name and --snapshot-id".to_owned()
        }
        _ => "check the project id, --cluster-name and --snapshot-id; leave out --kind to find the cluster's kind by asking".to_owned(),
    }
}

/// What to do when the token endpoint did not give a token, in the command's words.
fn token_hint(problem: &TokenProblem, target: &Target) -> String {
    let name = |s: &Option<Source>| s.as_ref().map_or_else(|| "?".to_owned(), Source::to_string);
    match problem {
        TokenProblem::InvalidClient => format!(
            "the service account was rejected: check the client id (from {}) and the client secret (from {}), and that the secret has not expired or been deleted in Atlas",
            name(&target.public_key_source),
            name(&target.private_key_source)
        ),
        TokenProblem::AccessDenied => "the service account has 100 live tokens, Atlas's limit: keep the token cache on (no --no-token-cache), run `atlas-snapshots auth revoke` where tokens are cached, or wait for tokens to expire".to_owned(),
        TokenProblem::RateLimited { retry_after } => format!(
            "Atlas allows 50 token requests a minute per client id and address: keep the token cache on (no --no-token-cache) and try again{}",
            retry_after.map(|d| format!(" in {} s", d.as_secs().max(1))).unwrap_or_default()
        ),
        _ => format!(
            "the token endpoint of {} did not give a token: check the base URL{}",
            target.base_url,
            target.from()
        ),
    }
}

fn rejected_keys_hint(target: &Target) -> String {
    let name = |s: &Option<Source>| s.as_ref().map_or_else(|| "?".to_owned(), Source::to_string);
    match target.method {
        Method::ServiceAccount => {
            return format!(
                "Atlas refused the service account's token twice: check that the service account (client id from {}) has access to this project and that this machine's IP address is on its access list",
                name(&target.public_key_source)
            );
        }
        Method::AccessToken => {
            return format!(
                "the access token (from {}) was rejected: it may have expired (tokens last an hour); unset it to use a service account or API key, or get a new one",
                name(&target.public_key_source)
            );
        }
        Method::ApiKey => {}
    }
    match (&target.public_key_source, &target.private_key_source) {
        (None, None) => "the API key pair was rejected".to_owned(),
        (public, private) => format!(
            "the API key pair was rejected: check the public key (from {}) and the private key (from {}), and that the key is enabled in Atlas",
            name(public),
            name(private)
        ),
    }
}

fn redirect_hint(location: Option<&str>, target: &Target) -> String {
    let from = target.from();
    let origin = location.and_then(|l| {
        let uri: atlas_snapshots::http::Uri = l.parse().ok()?;
        Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
    });
    match origin {
        Some(origin) => format!(
            "redirects are not followed (the keys stay with {}{from}): if {origin} is where Atlas is, use --base-url {origin}",
            target.base_url
        ),
        None => format!(
            "redirects are not followed: check the base URL ({}{from}); Atlas is https://cloud.mongodb.com",
            target.base_url
        ),
    }
}

fn base_url_hint(problem: &BaseUrlProblem) -> String {
    match problem {
        BaseUrlProblem::InsecureHttp => {
            "use an https:// base URL: keys go over plain http only to loopback addresses (a local mock)".to_owned()
        }
        BaseUrlProblem::UserInfo => {
            "keys do not go in the URL: use MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY, --public-key and --private-key-file, or a profile".to_owned()
        }
        BaseUrlProblem::ApiPath { suggestion, .. } => format!(
            "give the server only: --base-url {suggestion} (the API path is added to every request)"
        ),
        _ => "give --base-url (or MONGODB_ATLAS_BASE_URL) as scheme and host, e.g. https://cloud.mongodb.com".to_owned(),
    }
}

fn transport_hint(t: &TransportError, target: &Target) -> Option<String> {
    let base = &target.base_url;
    let from = target.from();
    Some(match t {
        _ if has_io_kind(t, ErrorKind::ConnectionRefused) => {
            format!("nothing listens at {base}{from}: is the base URL right?")
        }
        TransportError::AuthRejected { .. } => rejected_keys_hint(target),
        TransportError::Token { problem, .. } => token_hint(problem, target),
        TransportError::Connect { .. } => format!(
            "could not connect to {base}{from}: is the base URL right, and is the network up?"
        ),
        TransportError::Timeout { .. } => {
            "Atlas did not answer in time: check the network, or raise --timeout (0: no limit)".to_owned()
        }
        TransportError::Tls { .. } => format!(
            "the TLS handshake with {base} failed: check the host name, or pass the server's CA with --cacert PEM"
        ),
        TransportError::InsecureCredentials { .. } => {
            "use an https:// base URL: keys go over plain http only to loopback addresses".to_owned()
        }
        TransportError::Config { .. } => {
            "check --cacert (a PEM file with one or more CERTIFICATE blocks) and the proxy settings (HTTPS_PROXY, NO_PROXY)".to_owned()
        }
        TransportError::BodyTooLarge { limit, .. } => format!(
            "no Atlas snapshot answer is that large ({} MiB at most are read): check the base URL ({base}{from}) and any proxy; for a list, use a smaller --items-per-page",
            limit / (1024 * 1024)
        ),
        TransportError::Proxy { .. } => {
            "check the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and the proxy's credentials".to_owned()
        }
        TransportError::Digest(_) => format!(
            "the digest exchange failed: check the base URL ({base}{from}) and that no proxy rewrites the requests"
        ),
        TransportError::RetriesExhausted { .. } => format!(
            "no answer after several attempts: check the network and the base URL ({base}{from})"
        ),
        TransportError::Io { .. } => {
            "the connection broke: check the network and any proxy, then try again".to_owned()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use atlas_snapshots::ApiError;

    fn target(flex: bool) -> Target {
        Target {
            base_url: "https://cloud.mongodb.com".into(),
            base_url_source: Source::Default,
            scope: if flex {
                Scope::Forced(KindArg::Flex)
            } else {
                Scope::Lookup
            },
            public_key_source: Some(Source::Env("MONGODB_ATLAS_PUBLIC_API_KEY")),
            private_key_source: Some(Source::File("/keys/atlas".into())),
            group: Some((
                "5b69d0349b15c62cdfc38b78".into(),
                Source::Flag("--group-id"),
            )),
            cluster: Some("M2AWS".into()),
            method: Method::ApiKey,
        }
    }

    fn api(code: &str) -> Box<ApiError> {
        Box::new(ApiError::new(400, code, "detail"))
    }

    /// Every variant the command can meet, rendered: flags, never library methods.
    #[test]
    fn no_library_words_in_any_message_or_hint() {
        let errors = vec![
            Error::Gone {
                api: api("VERSION_GONE"),
            },
            Error::NotFound {
                resource: NotFoundResource::Cluster,
                api: api("CLUSTER_NOT_FOUND"),
            },
            Error::NotFound {
                resource: NotFoundResource::Unknown,
                api: api("RESOURCE_NOT_FOUND"),
            },
            Error::InvalidRequest {
                api: api("CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API"),
            },
            Error::TooManyPages { limit: 1000 },
            Error::InvalidBaseUrl {
                url: "http://atlas.example.com".into(),
                problem: BaseUrlProblem::InsecureHttp,
            },
            Error::InvalidBaseUrl {
                url: "https://u@h".into(),
                problem: BaseUrlProblem::UserInfo,
            },
            Error::Transport(TransportError::BodyTooLarge {
                url: "https://cloud.mongodb.com/x".into(),
                limit: 8 << 20,
            }),
            Error::Transport(TransportError::InsecureCredentials {
                url: "http://h".into(),
            }),
            Error::Redirect {
                status: atlas_snapshots::http::StatusCode::MOVED_PERMANENTLY,
                location: None,
                api: Box::default(),
            },
        ];
        for flex in [false, true] {
            for e in &errors {
                let c = describe(e, &target(flex));
                let text = format!("{} / {}", c.message, c.hint.clone().unwrap_or_default());
                for word in [
                    "()",
                    "body_limit",
                    "allow_insecure_http",
                    "AtlasClientBuilder",
                    "_snapshots",
                ] {
                    assert!(!text.contains(word), "{word} in {text}");
                }
                assert!(c.hint.is_some(), "{e:?}");
            }
        }
    }

    #[test]
    fn hints_follow_the_endpoints_the_command_asked() {
        let with = |scope: Scope| Target {
            scope,
            ..target(false)
        };
        let flex_in_cluster = Error::InvalidRequest {
            api: api("CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API"),
        };
        let non_flex_in_flex = Error::InvalidRequest {
            api: api("CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API"),
        };
        let hint = |e: &Error, scope| describe(e, &with(scope)).hint.unwrap();
        let take = Scope::Command {
            name: "take",
            kind: KindArg::Dedicated,
        };
        let download = Scope::Command {
            name: "download",
            kind: KindArg::Flex,
        };
        assert!(hint(&flex_in_cluster, take).contains("`take` is for dedicated clusters"));
        assert!(hint(&flex_in_cluster, take).contains("no on-demand snapshots"));
        assert!(hint(&flex_in_cluster, Scope::Forced(KindArg::Dedicated)).contains("add --flex"));
        assert!(hint(&non_flex_in_flex, download).contains("`download` is for flex clusters"));
        assert!(hint(&non_flex_in_flex, Scope::Forced(KindArg::Flex)).contains("--kind dedicated"));
        let no_cluster = Error::NotFound {
            resource: NotFoundResource::Cluster,
            api: api("CLUSTER_NOT_FOUND"),
        };
        assert!(hint(&no_cluster, take).contains("no dedicated cluster of that name"));
        assert_eq!(
            with(Scope::Forced(KindArg::Dedicated)).list_command(),
            "atlas-snapshots list --cluster-name M2AWS --kind dedicated"
        );
        assert_eq!(
            with(Scope::Lookup).list_command(),
            "atlas-snapshots list --cluster-name M2AWS"
        );
        assert_eq!(
            with(Scope::Forced(KindArg::Flex)).list_command(),
            "atlas-snapshots list --cluster-name M2AWS --flex"
        );
        // Whatever the scope, no hint names a library method.
        for scope in [
            Scope::Lookup,
            Scope::Forced(KindArg::Tenant),
            take,
            download,
        ] {
            for e in [&flex_in_cluster, &non_flex_in_flex, &no_cluster] {
                let h = hint(e, scope);
                assert!(!h.contains("()") && !h.contains("_snapshots"), "{h}");
            }
        }
    }

    #[test]
    fn flex_404_does_not_suggest_flex() {
        let e = Error::NotFound {
            resource: NotFoundResource::Cluster,
            api: api("CLUSTER_NOT_FOUND"),
        };
        assert!(
            describe(&e, &target(false))
                .hint
                .unwrap()
                .contains("add --flex")
        );
        let with_flex = describe(&e, &target(true)).hint.unwrap();
        assert!(!with_flex.contains("add --flex"), "{with_flex}");
        let e = Error::NotFound {
            resource: NotFoundResource::Unknown,
            api: api("RESOURCE_NOT_FOUND"),
        };
        assert!(!describe(&e, &target(true)).hint.unwrap().contains("--flex"));
    }

    #[test]
    fn rejected_keys_name_their_sources() {
        let e = Error::Unauthorized {
            api: Box::default(),
        };
        let hint = describe(&e, &target(false)).hint.unwrap();
        assert!(
            hint.contains("environment variable MONGODB_ATLAS_PUBLIC_API_KEY"),
            "{hint}"
        );
        assert!(hint.contains("--private-key-file /keys/atlas"), "{hint}");
        assert!(!hint.contains("MONGODB_ATLAS_PRIVATE_API_KEY"), "{hint}");
    }

    #[test]
    fn redirects_suggest_the_origin_they_point_at() {
        let e = Error::Redirect {
            status: atlas_snapshots::http::StatusCode::MOVED_PERMANENTLY,
            location: Some("https://cloud-gov.mongodb.com/api/atlas/v1.0/x".into()),
            api: Box::default(),
        };
        let c = describe(&e, &target(false));
        assert!(
            c.message
                .contains("to https://cloud-gov.mongodb.com/api/atlas/v1.0/x"),
            "{}",
            c.message
        );
        assert!(
            c.hint
                .unwrap()
                .contains("--base-url https://cloud-gov.mongodb.com")
        );
    }
}
