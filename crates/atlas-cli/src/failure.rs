//! Library errors as the command reports them: exit code, one sentence, a hint that names flags.

use std::io::ErrorKind;

use atlas_snapshots::{Error, NotFoundResource};

use crate::config::Source;
use crate::errors::{CliError, Exit, chain, has_io_kind};

/// What the command was talking to, for messages.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The base URL in use.
    pub(crate) base_url: String,
    /// Where it came from.
    pub(crate) base_url_source: Source,
    /// Whether the flex endpoints were used.
    pub(crate) flex: bool,
}

/// The exit code of a library error.
pub(crate) fn exit_code(e: &Error) -> Exit {
    match e {
        Error::NotFound { .. } => Exit::NotFound,
        Error::Unauthorized { .. } | Error::Forbidden { .. } => Exit::Auth,
        Error::InvalidBaseUrl { .. } => Exit::Usage,
        Error::WaitTimeout { .. } => Exit::Network,
        Error::Transport(t) => transport_exit(t),
        _ => Exit::Api,
    }
}

fn transport_exit(t: &atlas_transport::Error) -> Exit {
    use atlas_transport::Error as T;
    match t {
        T::Connect { .. } | T::Tls { .. } | T::Timeout { .. } | T::Io { .. } | T::Proxy { .. } => {
            Exit::Network
        }
        T::AuthRejected { .. } | T::Digest(_) => Exit::Auth,
        T::InsecureCredentials { .. } | T::Config { .. } | T::InvalidRequest { .. } => Exit::Usage,
        T::RetriesExhausted {
            last_status: None, ..
        } => Exit::Network,
        _ => Exit::Api,
    }
}

/// The error as the user sees it.
pub(crate) fn describe(e: &Error, target: &Target) -> CliError {
    let exit = exit_code(e);
    let message = chain(e);
    let from = match &target.base_url_source {
        Source::Default => String::new(),
        s => format!(", from {s}"),
    };
    let hint: Option<String> = match e {
        Error::Gone { .. } => Some(
            "M2/M5 tenant snapshots were retired in January 2026 and those clusters became flex clusters: try again with --flex"
                .to_owned(),
        ),
        Error::NotFound {
            resource: NotFoundResource::Cluster,
            ..
        } if !target.flex => Some(
            "check --cluster-name (case matters); if the cluster is a flex cluster (every M2/M5 cluster became one in 2025-2026), add --flex"
                .to_owned(),
        ),
        Error::NotFound {
            resource: NotFoundResource::Snapshot,
            ..
        } => Some("check --snapshot-id; `atlas-snapshots list` shows the cluster's snapshots".to_owned()),
        Error::NotFound {
            resource: NotFoundResource::Group,
            ..
        } => Some(
            "check --group-id (or MONGODB_ATLAS_PROJECT_ID): the API key must belong to that project"
                .to_owned(),
        ),
        Error::Unauthorized { .. }
        | Error::Transport(atlas_transport::Error::AuthRejected { .. }) => Some(
            "the API key pair was rejected: check MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY (or the profile), and that the key is enabled"
                .to_owned(),
        ),
        Error::Forbidden {
            ip_access_list: true,
            ..
        } => Some(
            "this machine's IP address is not on the API key's IP access list: add it in Atlas (Organization Access Manager > API Keys > Edit Permissions)"
                .to_owned(),
        ),
        Error::WaitTimeout { .. } => Some(
            "the snapshot is still in progress: run `wait` again with a larger --timeout".to_owned(),
        ),
        Error::InvalidBaseUrl { .. } => Some(format!(
            "give --base-url (or MONGODB_ATLAS_BASE_URL) as scheme and host, e.g. https://cloud.mongodb.com (current: {}{from})",
            target.base_url
        )),
        Error::Transport(t) if has_io_kind(t, ErrorKind::ConnectionRefused) => Some(format!(
            "nothing listens at {}{from}: is the base URL right?",
            target.base_url
        )),
        Error::Transport(atlas_transport::Error::Connect { .. }) => Some(format!(
            "could not connect to {}{from}: is the base URL right, and is the network up?",
            target.base_url
        )),
        Error::Transport(atlas_transport::Error::Timeout { .. }) => Some(
            "Atlas did not answer in time: check the network, or raise --timeout".to_owned(),
        ),
        Error::Transport(atlas_transport::Error::Tls { .. }) => Some(format!(
            "the TLS handshake with {} failed: check the host name, or pass the server's CA with --cacert PEM",
            target.base_url
        )),
        Error::Transport(atlas_transport::Error::InsecureCredentials { .. }) => Some(
            "use an https:// base URL: keys are sent over plain http only to loopback addresses".to_owned(),
        ),
        Error::Transport(atlas_transport::Error::Config { .. }) => Some(
            "check --cacert (a PEM file with one or more CERTIFICATE blocks) and the proxy settings".to_owned(),
        ),
        other => other.hint().map(str::to_owned),
    };
    let message = match e {
        Error::Transport(t) if has_io_kind(t, ErrorKind::ConnectionRefused) => {
            format!("connection refused by {}", target.base_url)
        }
        _ => message,
    };
    let err = CliError::new(exit, message);
    match hint {
        Some(h) => err.with_hint(h),
        None => err,
    }
}
