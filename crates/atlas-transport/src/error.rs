//! Typed errors of the executor.

use bytes::Bytes;
use http::{Response, StatusCode, Uri};

/// A boxed error source, as produced by hyper, rustls and the connectors.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Which timeout expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeoutKind {
    /// Establishing the connection (TCP, proxy `CONNECT` and TLS handshake) took too long.
    Connect,
    /// One attempt (sending the request and reading the whole response) took too long.
    Attempt,
    /// The whole logical request, with every retry and back-off, exceeded its deadline.
    Total,
    /// A streamed body ([`BodyStream`](crate::BodyStream)) sent nothing for too long.
    Idle,
}

impl std::fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Attempt => "attempt",
            TimeoutKind::Total => "total",
            TimeoutKind::Idle => "idle",
        })
    }
}

/// Everything that can go wrong while executing a request.
///
/// Every variant that concerns a request carries its URL as a string without secrets: the
/// query is kept, user information (`user:password@`) is stripped.
///
/// Non-retryable HTTP statuses (200, 400, 403, 404, 500 ...) are *not* errors: they are
/// returned as `Ok(response)`. Only a retryable status (429, 502, 503, 504) that persists after
/// the retry budget ([`Error::RetriesExhausted`]) and a rejected `401` ([`Error::AuthRejected`])
/// turn a response into an error; both keep the final response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request cannot be sent as given (relative URL, unsupported scheme, bad header ...).
    #[error("invalid request to {url}: {reason}")]
    InvalidRequest {
        /// The URL without secrets.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The client configuration given to [`ClientBuilder::build`](crate::ClientBuilder::build)
    /// is unusable (unreadable CA file, invalid proxy URL ...).
    #[error("invalid client configuration: {reason}")]
    Config {
        /// What is wrong with it.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The TCP connection could not be established, or broke before a response arrived.
    #[error("connection to {url} failed")]
    Connect {
        /// The URL without secrets.
        url: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The TLS handshake failed (untrusted certificate, wrong host name, protocol mismatch).
    #[error("TLS handshake with {url} failed")]
    Tls {
        /// The URL without secrets.
        url: String,
        /// The underlying error (usually a `rustls::Error`).
        #[source]
        source: BoxError,
    },
    /// A timeout expired.
    #[error("{kind} timeout for {url}")]
    Timeout {
        /// The URL without secrets.
        url: String,
        /// Which timeout.
        kind: TimeoutKind,
    },
    /// The response body is larger than the configured limit.
    #[error("response body from {url} exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The URL without secrets.
        url: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// Credentials would travel over plain `http://` to a host that is not loopback, and the
    /// client was not built with
    /// [`allow_insecure_http(true)`](crate::ClientBuilder::allow_insecure_http).
    #[error("refusing to send credentials over plain http to {url}")]
    InsecureCredentials {
        /// The URL without secrets.
        url: String,
    },
    /// The server answered `401` to our credentials (and the nonce was not stale).
    #[error("authentication rejected by {url}{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    AuthRejected {
        /// The URL without secrets.
        url: String,
        /// The `reason` or `detail` of the server's JSON error body, if any.
        reason: Option<String>,
        /// The final `401` response, body included.
        response: Box<Response<Bytes>>,
    },
    /// A retryable status (429, 502, 503, 504) persisted after the retry budget.
    #[error("{url} still failing after {attempts} attempts{}", last_status.map(|s| format!(" (last status {s})")).unwrap_or_default())]
    RetriesExhausted {
        /// The URL without secrets.
        url: String,
        /// How many attempts were made in all.
        attempts: u32,
        /// The status of the last response.
        last_status: Option<StatusCode>,
        /// The last response, body included, so that the caller can show the server's error.
        response: Option<Box<Response<Bytes>>>,
    },
    /// The proxy could not be reached, refused the tunnel or asked for credentials.
    #[error("proxy {proxy} failed for {url}")]
    Proxy {
        /// The URL without secrets.
        url: String,
        /// The proxy URL without secrets.
        proxy: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// No access token could be had from the OAuth 2.0 token endpoint (or a revocation failed).
    #[error("token endpoint {url}: {problem}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Token {
        /// The token (or revocation) endpoint URL without secrets.
        url: String,
        /// What went wrong; [`TokenProblem::hint`](crate::oauth::TokenProblem::hint) says what to do.
        problem: crate::oauth::TokenProblem,
        /// The endpoint's answer status, if it answered.
        status: Option<StatusCode>,
        /// The server's `error_description`, if any (shortened).
        description: Option<String>,
    },
    /// The digest exchange failed on our side (unsupported challenge, `rspauth` mismatch ...).
    #[error("digest authentication failed")]
    Digest(#[source] atlas_digest::DigestError),
    /// An HTTP protocol or I/O error after the connection was established.
    #[error("I/O error talking to {url}")]
    Io {
        /// The URL without secrets.
        url: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// Anything else (for example the system random generator failing).
    #[error("{message}")]
    Other {
        /// The URL without secrets, if the error concerns a request.
        url: Option<String>,
        /// What happened.
        message: String,
    },
}

impl Error {
    /// The URL (without secrets) the error concerns, if any.
    pub fn url(&self) -> Option<&str> {
        match self {
            Error::InvalidRequest { url, .. }
            | Error::Connect { url, .. }
            | Error::Tls { url, .. }
            | Error::Timeout { url, .. }
            | Error::BodyTooLarge { url, .. }
            | Error::InsecureCredentials { url }
            | Error::AuthRejected { url, .. }
            | Error::RetriesExhausted { url, .. }
            | Error::Proxy { url, .. }
            | Error::Io { url, .. }
            | Error::Token { url, .. } => Some(url),
            Error::Other { url, .. } => url.as_deref(),
            Error::Config { .. } | Error::Digest(_) => None,
        }
    }

    /// The final response kept by [`Error::AuthRejected`] and [`Error::RetriesExhausted`].
    pub fn response(&self) -> Option<&Response<Bytes>> {
        match self {
            Error::AuthRejected { response, .. } => Some(response),
            Error::RetriesExhausted { response, .. } => response.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the kept final response, if any.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::RetriesExhausted { last_status, .. }
            | Error::Token {
                status: last_status,
                ..
            } => *last_status,
            _ => self.response().map(Response::status),
        }
    }

    /// Whether this is a [`Error::Timeout`] of any kind.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }
}

/// Renders a URI without user information; the path and query are kept.
pub(crate) fn redact_uri(uri: &Uri) -> String {
    let mut out = String::new();
    if let Some(scheme) = uri.scheme_str() {
        out.push_str(scheme);
        out.push_str("://");
    }
    if let Some(authority) = uri.authority() {
        let a = authority.as_str();
        out.push_str(a.rsplit_once('@').map_or(a, |(_, host)| host));
    }
    if let Some(pq) = uri.path_and_query() {
        out.push_str(pq.as_str());
    }
    out
}

/// Redacts a URL given as a string (a proxy setting, for example).
pub(crate) fn redact_str(url: &str) -> String {
    match url.parse::<Uri>() {
        Ok(uri) => redact_uri(&uri),
        Err(_) => match url.rsplit_once('@') {
            Some((_, rest)) => format!("** redacted **@{rest}"),
            None => url.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_stripped_query_kept() {
        let uri: Uri = "https://user:secret@example.com:8443/a/b?x=1&y=2"
            .parse()
            .unwrap();
        assert_eq!(redact_uri(&uri), "https://example.com:8443/a/b?x=1&y=2");
        assert_eq!(redact_str("http://u:p@proxy:3128"), "http://proxy:3128/");
        assert!(!redact_str("not a url u:p@x y").contains("u:p"));
    }

    #[test]
    fn display_has_no_trailing_period_and_names_the_url() {
        let e = Error::Timeout {
            url: "https://h/p".into(),
            kind: TimeoutKind::Attempt,
        };
        assert_eq!(e.to_string(), "attempt timeout for https://h/p");
        assert_eq!(e.url(), Some("https://h/p"));
        assert!(e.is_timeout());
    }
}
