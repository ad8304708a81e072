//! [`TokenProblem`]: why a token could not be had.

use std::fmt;
use std::time::Duration;

/// Why the token endpoint did not give a token (see [`Error::Token`](crate::Error::Token)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenProblem {
    /// `invalid_client` (or a `401`): the client id or secret is wrong, or the client was deleted.
    InvalidClient,
    /// `access_denied`: the server refuses to issue a token to this client, typically because it
    /// holds too many live tokens.
    AccessDenied,
    /// The endpoint kept answering `429` within the retry budget.
    RateLimited {
        /// How long the server asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// Another OAuth error (`invalid_request`, `unauthorized_client`, `invalid_scope` ...).
    Refused {
        /// The OAuth `error` code.
        error: String,
    },
    /// An answer that is not a usable token response (status, JSON or `token_type`).
    BadAnswer,
    /// The revocation endpoint refused to revoke the token.
    RevocationFailed,
    /// The client has no revocation endpoint configured.
    NoRevocationEndpoint,
}

impl TokenProblem {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            TokenProblem::InvalidClient => {
                "check the client id and secret (a secret is shown once, when it is created; \
                 a deleted or expired secret must be replaced)"
            }
            TokenProblem::AccessDenied => {
                "the client holds too many live tokens: reuse tokens (keep a token cache), \
                 revoke unused ones, or wait for them to expire"
            }
            TokenProblem::RateLimited { .. } => {
                "the token endpoint is rate limited: keep tokens between runs instead of asking \
                 for one per process, and try again later"
            }
            TokenProblem::Refused { .. } => "the authorization server refused the client",
            TokenProblem::BadAnswer => {
                "the token endpoint did not answer like an OAuth 2.0 server; check its URL"
            }
            TokenProblem::RevocationFailed => "the token was not revoked; it expires on its own",
            TokenProblem::NoRevocationEndpoint => "configure a revocation endpoint",
        }
    }
}

impl fmt::Display for TokenProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenProblem::InvalidClient => f.write_str("invalid client credentials"),
            TokenProblem::AccessDenied => f.write_str("access denied"),
            TokenProblem::RateLimited {
                retry_after: Some(d),
            } => write!(f, "rate limited (retry after {} s)", d.as_secs()),
            TokenProblem::RateLimited { retry_after: None } => f.write_str("rate limited"),
            TokenProblem::Refused { error } => write!(f, "refused ({error})"),
            TokenProblem::BadAnswer => f.write_str("unexpected answer"),
            TokenProblem::RevocationFailed => f.write_str("revocation refused"),
            TokenProblem::NoRevocationEndpoint => f.write_str("no revocation endpoint"),
        }
    }
}
