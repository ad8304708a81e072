//! Error types (hand-written `Display` and `Error`, so the crate depends on no error-derive crate).

use std::fmt;

use crate::parse::ParseError;
use crate::target::Origin;

/// Client-side errors of [`crate::DigestClient`] and [`crate::DigestChallenge::respond`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestError {
    /// A header could not be parsed (no usable challenge remained, or `Authentication-Info`).
    Malformed(ParseError),
    /// The 401 offered no Digest challenge this client can answer (never falls back to Basic). Lists
    /// what was offered, for example `["Basic", "Digest algorithm=SHA-1"]`.
    NoSupportedChallenge {
        /// The offered challenges, summarised as scheme (and algorithm for Digest).
        offered: Vec<String>,
    },
    /// The server answered 401 again to credentials computed from a challenge of this same request, and
    /// did not say `stale=true`: the username or password is wrong.
    Rejected,
    /// The per-request attempt bound was reached (initial request, answer to a challenge, one stale
    /// retry, one retry on a nonce another request adopted meanwhile); the state machine stops here
    /// instead of looping.
    AttemptsExhausted,
    /// `rspauth` in `Authentication-Info` does not match: the response did not come from a server that
    /// knows the credentials (or was altered).
    RspauthMismatch,
    /// [`crate::Rspauth::Require`] is configured and the server sent no `rspauth`.
    RspauthMissing,
    /// `Authentication-Info` echoed a `cnonce` or `nc` other than the ones sent.
    AuthenticationInfoMismatch,
    /// `qop=auth-int` is needed (the challenge offers nothing else, or `rspauth` covers the response body)
    /// but no body was given.
    BodyRequired,
    /// The request facts or cnonce cannot be sent; the kind says which.
    InvalidInput(InvalidInput),
    /// This protection space offered a stronger challenge before (a stronger hash function, or qop
    /// where none is offered now) and now offers only weaker ones: an active attacker may have
    /// stripped the strong ones. Allow it with [`crate::Downgrade::Allow`].
    Downgrade {
        /// The strongest challenge adopted before, summarised (for example `Digest algorithm=SHA-256 qop=auth`).
        pinned: String,
        /// The best challenge offered now, summarised.
        offered: String,
    },
    /// The client is bound to the realm of the first challenge it adopted; this 401 offers only
    /// challenges of other realms (another protection space: use another client).
    RealmMismatch {
        /// The realm the client is bound to.
        bound: String,
        /// The realms offered.
        offered: Vec<String>,
    },
    /// The request is for another origin than the one the client is bound to: its precomputed
    /// answers are never sent elsewhere (RFC 7616 section 3.3, protection space).
    OriginMismatch {
        /// The origin the client is bound to.
        bound: Origin,
        /// The origin of the request.
        requested: Origin,
    },
}

/// Why request facts or a cnonce cannot be used ([`DigestError::InvalidInput`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidInput {
    /// The method is not an HTTP token.
    Method,
    /// The uri is not a request-target: empty, spaces or control characters, a fragment, userinfo,
    /// or none of the four forms.
    Uri,
    /// The cnonce is empty or holds control characters.
    Cnonce,
    /// nc 0 was asked for; nc starts at 1.
    NcZero,
    /// A header value would hold control characters.
    HeaderValue,
    /// An origin is not `scheme://host[:port]`.
    Origin,
}

impl InvalidInput {
    /// A one-line description.
    pub const fn message(self) -> &'static str {
        match self {
            InvalidInput::Method => "method must be an HTTP token",
            InvalidInput::Uri => {
                "uri must be a request-target: origin form (/path?query), absolute form \
                 (http://host/path, through a forward proxy, without userinfo or fragment), \
                 authority form (host:port) or *"
            }
            InvalidInput::Cnonce => "cnonce must be non-empty printable text",
            InvalidInput::NcZero => "nc starts at 1",
            InvalidInput::HeaderValue => "header value contains control characters",
            InvalidInput::Origin => "origin must be scheme://host[:port]",
        }
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestError::Malformed(e) => write!(f, "malformed authentication header: {e}"),
            DigestError::NoSupportedChallenge { offered } => {
                f.write_str("no supported Digest challenge (offered: ")?;
                if offered.is_empty() {
                    f.write_str("nothing")?;
                }
                for (i, o) in offered.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(o)?;
                }
                f.write_str(")")
            }
            DigestError::Rejected => f.write_str("credentials rejected by the server"),
            DigestError::AttemptsExhausted => {
                f.write_str("authentication attempts exhausted for this request")
            }
            DigestError::RspauthMismatch => {
                f.write_str("server rspauth does not match (mutual authentication failed)")
            }
            DigestError::RspauthMissing => f.write_str("server sent no rspauth"),
            DigestError::AuthenticationInfoMismatch => {
                f.write_str("Authentication-Info echoes a cnonce or nc that was not sent")
            }
            DigestError::BodyRequired => f.write_str("qop=auth-int needs the body"),
            DigestError::InvalidInput(what) => write!(f, "invalid input: {what}"),
            DigestError::Downgrade { pinned, offered } => write!(
                f,
                "downgrade refused: this protection space offered {pinned} before, now only {offered}"
            ),
            DigestError::RealmMismatch { bound, offered } => {
                write!(f, "the client is bound to realm {bound:?}; offered: ")?;
                for (i, r) in offered.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{r:?}")?;
                }
                Ok(())
            }
            DigestError::OriginMismatch { bound, requested } => write!(
                f,
                "the client is bound to {bound}; refusing to authorize a request for {requested}"
            ),
        }
    }
}

impl std::error::Error for DigestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DigestError::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ParseError> for DigestError {
    fn from(e: ParseError) -> Self {
        DigestError::Malformed(e)
    }
}

/// Server-side verification errors ([RFC 7616 section 3.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4)).
/// All of them should be answered with 401 and fresh [`crate::DigestServer::challenges`], passing
/// [`VerifyError::stale`] (`Stale::True` for [`VerifyError::Stale`]).
///
/// Do not reveal which one occurred to the client (in particular `UnknownUser` versus `WrongResponse`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The `Authorization` value is not valid Digest credentials (syntax, missing parameter, ...).
    Malformed(ParseError),
    /// No `Authorization` header (only from the `http` helpers).
    Missing,
    /// The credential store knows no such user (or cannot resolve the `userhash`).
    UnknownUser,
    /// The `response` does not match the stored password or H(A1).
    WrongResponse,
    /// The credentials are right but the nonce is not usable: expired, issued by another instance,
    /// forgotten (evicted or pruned), or the nc is older than the replay window. Answer with
    /// `stale=true` so that the client retries at once with the new nonce.
    Stale,
    /// This (nonce, nc) pair was already used: a replay (or a client that reused an nc).
    Replay,
    /// The `uri` parameter differs from the request-target of the request.
    UriMismatch,
    /// The nonce was not issued by this server (bad MAC, bad encoding, or dated after the server's
    /// clock).
    BadNonce,
    /// The `realm` differs from the configured realm.
    RealmMismatch,
    /// The `opaque` is missing or differs from the one this server sends (or, with
    /// [`crate::Opaque::Omit`], a non-empty `opaque` the server never sent).
    OpaqueMismatch,
    /// The `algorithm` is not one this server offers.
    AlgorithmNotOffered,
    /// The `qop` (or its absence, RFC 2069 mode) is not one this server offers.
    QopNotOffered,
    /// `userhash=true` was sent but this server does not offer userhash.
    UserhashNotOffered,
    /// The store returned an H(A1) for a different hash function or not valid hex.
    StoredSecretMismatch,
    /// `qop=auth-int` was used but [`crate::RequestFacts::body`] is `None`: pass the request body.
    BodyRequired,
}

impl VerifyError {
    /// True when the client should be re-challenged with `stale=true` (its credentials may be fine).
    pub fn is_stale(&self) -> bool {
        matches!(self, VerifyError::Stale)
    }

    /// The `stale` flag for the challenges of the 401 that answers this error:
    /// `server.challenges(now, error.stale())`.
    pub fn stale(&self) -> crate::Stale {
        if self.is_stale() {
            crate::Stale::True
        } else {
            crate::Stale::False
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Malformed(e) => write!(f, "malformed Authorization header: {e}"),
            VerifyError::Missing => f.write_str("no Authorization header"),
            VerifyError::UnknownUser => f.write_str("unknown user"),
            VerifyError::WrongResponse => f.write_str("wrong digest response"),
            VerifyError::Stale => f.write_str("stale nonce"),
            VerifyError::Replay => f.write_str("replayed nonce count"),
            VerifyError::UriMismatch => {
                f.write_str("uri parameter does not match the request-target")
            }
            VerifyError::BadNonce => f.write_str("nonce not issued by this server"),
            VerifyError::RealmMismatch => f.write_str("wrong realm"),
            VerifyError::OpaqueMismatch => f.write_str("wrong opaque"),
            VerifyError::AlgorithmNotOffered => f.write_str("algorithm not offered"),
            VerifyError::QopNotOffered => f.write_str("qop not offered"),
            VerifyError::UserhashNotOffered => f.write_str("userhash not offered"),
            VerifyError::StoredSecretMismatch => {
                f.write_str("stored H(A1) does not fit the algorithm")
            }
            VerifyError::BodyRequired => f.write_str("qop=auth-int needs the request body"),
        }
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VerifyError::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ParseError> for VerifyError {
    fn from(e: ParseError) -> Self {
        VerifyError::Malformed(e)
    }
}
