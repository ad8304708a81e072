//! Digest authentication, the way Atlas does it, on top of `atlas_digest::DigestServer`: the
//! settings (`settings.rs`), the verification of one request with its body decision (here), and
//! what the journal keeps of the header (`summary.rs`).
//!
//! A request's `Authorization` value is parsed once on the path that succeeds: by
//! `DigestServer::verify`, whose [`Verified`] also gives the journal's summary (nonce and whether
//! an opaque came included). The body decision needs no parse there: an answer that needs the
//! body (qop `auth-int`) cannot verify without it. A refused request is parsed once more, for both
//! the summary and the body decision.

mod settings;
mod summary;

use std::time::SystemTime;

use atlas_digest::{
    AuthorizationHeader, DigestServer, InMemoryCredentials, Qop, RequestFacts, Stale, Verified,
    VerifyError,
};

pub use settings::{AuthenticationInfo, DigestSettings};
pub(crate) use summary::summarize;

use crate::journal::{AuthRecord, JournalEntry};
use crate::{ApiKey, MockError};

/// The realm Atlas uses.
pub const REALM: &str = "MMS Public API";

/// Why a request did not authenticate: the `stale` flag of the new challenge, and the journal's
/// `error`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) stale: Stale,
    pub(crate) reason: String,
}

impl Failure {
    fn of(e: &VerifyError) -> Self {
        Failure {
            stale: e.stale(),
            reason: format!("digest: {e}"),
        }
    }
}

/// What the first look at a request's credentials concluded.
#[derive(Debug)]
pub(crate) enum Check<'k> {
    /// Authenticated; no body was needed.
    Ok(Authenticated<'k>),
    /// Refused.
    Fail(Failure),
    /// A `qop=auth-int` answer from a known key, whose hash covers the body: read the body, then
    /// answer `then` if the credentials already failed for a reason the body cannot change, or
    /// call [`Auth::verify_with_body`].
    NeedsBody { then: Option<Failure> },
}

/// An authenticated request (its key is in the journal entry already): the API key it
/// authenticated as, and the verification kept (boxed: the reply moves around) only when the
/// answer sends `Authentication-Info` (Atlas sends none), so that the ~300 bytes of a
/// [`Verified`] are not moved along the request path for nothing.
#[derive(Debug)]
pub(crate) struct Authenticated<'k> {
    /// The key among the mock's keys (always found: the credential store holds exactly those).
    pub(crate) key: Option<&'k ApiKey>,
    /// What `Authentication-Info` needs, when it is sent.
    pub(crate) verified: Option<Box<Verified>>,
}

/// The digest server plus the key table.
#[derive(Debug)]
pub(crate) struct Auth {
    server: DigestServer,
    store: InMemoryCredentials,
    info: AuthenticationInfo,
}

impl Auth {
    pub(crate) fn new(settings: &DigestSettings, keys: &[ApiKey]) -> Result<Self, MockError> {
        let config = settings.server_config()?;
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| MockError::Random(e.to_string()))?;
        let mut store = InMemoryCredentials::new();
        for k in keys {
            store.insert(k.public_key(), k.private_key());
        }
        Ok(Self {
            server: DigestServer::new(config, secret),
            store,
            info: settings.sends_authentication_info(),
        })
    }

    /// Whether the answer to `v` carries `Authentication-Info` (see
    /// [`Auth::authentication_info`]): when not, the reply need not keep `v`.
    fn sends_info(&self, v: &Verified) -> bool {
        self.info == AuthenticationInfo::Send || v.nextnonce().is_some()
    }

    /// The `Authentication-Info` value for an answer to `v` with `body`, if one is sent: always
    /// with [`AuthenticationInfo::Send`]; with [`AuthenticationInfo::Omit`] (Atlas) only to carry
    /// a due `nextnonce`, which has no other way to the client.
    pub(crate) fn authentication_info(&self, v: &Verified, body: &[u8]) -> Option<String> {
        if !self.sends_info(v) {
            return None;
        }
        Some(if v.qop == Some(Qop::AuthInt) {
            v.authentication_info_for_body(body)
        } else {
            v.authentication_info()
        })
    }

    /// `WWW-Authenticate` values for mock-clock time `now`. Like Atlas, they always carry `stale`
    /// (`stale=false` too).
    pub(crate) fn challenges(&self, stale: Stale, now: SystemTime) -> Vec<String> {
        self.server.challenges(now, stale)
    }

    /// Checks `authorization` for a request (`method`, `uri`) at mock-clock time `now`, before its
    /// body is read, and records what the header said in `entry`. Only a Digest `qop=auth-int`
    /// answer from one of `keys` asks for the body ([`Check::NeedsBody`]); every other request is
    /// authenticated (or refused) here.
    pub(crate) fn check<'k>(
        &self,
        authorization: &str,
        (method, uri): (&str, &str),
        now: SystemTime,
        keys: &'k [ApiKey],
        entry: &mut JournalEntry,
    ) -> Check<'k> {
        let facts = RequestFacts::new(method, uri);
        let result = self.server.verify(authorization, &facts, now, &self.store);
        // Matched by reference: the ~300 bytes of a `Verified` are moved (into a box) only when
        // the answer keeps them.
        let e = match result {
            Ok(ref v) => {
                entry.set_verified(summary::of_verified(authorization, v), &v.username);
                let key = keys.iter().find(|k| k.public_key() == v.username);
                let verified = if self.sends_info(v) {
                    result.ok().map(Box::new)
                } else {
                    None
                };
                return Check::Ok(Authenticated { key, verified });
            }
            Err(e) => e,
        };
        // Refused (or waiting for the body): one full parse for the summary and the body decision.
        let parsed = authorization.parse::<AuthorizationHeader>().ok();
        entry.set_auth(AuthRecord::Summary(summary::of_parsed(
            authorization,
            parsed.as_ref(),
        )));
        let needs_body = parsed.is_some_and(|h| {
            h.qop == Some(Qop::AuthInt) && keys.iter().any(|k| k.public_key() == h.username)
        });
        // Without a body, an auth-int answer fails either with `BodyRequired` or, earlier, for a
        // reason of its own (realm, algorithm, qop), which the body does not change.
        match (needs_body, e) {
            (true, VerifyError::BodyRequired) => Check::NeedsBody { then: None },
            (true, e) => Check::NeedsBody {
                then: Some(Failure::of(&e)),
            },
            (false, e) => Check::Fail(Failure::of(&e)),
        }
    }

    /// Verifies `authorization` with the request `body` (after [`Check::NeedsBody`], which
    /// recorded the header's summary), and records the key that authenticated in `entry`.
    pub(crate) fn verify_with_body<'k>(
        &self,
        authorization: &str,
        (method, uri): (&str, &str),
        (body, now): (&[u8], SystemTime),
        keys: &'k [ApiKey],
        entry: &mut JournalEntry,
    ) -> Result<Authenticated<'k>, Failure> {
        let facts = RequestFacts::new(method, uri).with_body(body);
        let mut v = self
            .server
            .verify(authorization, &facts, now, &self.store)
            .map_err(|e| Failure::of(&e))?;
        let key = keys.iter().find(|k| k.public_key() == v.username);
        entry.key = Some(std::mem::take(&mut v.username));
        Ok(Authenticated {
            key,
            verified: self.sends_info(&v).then(|| Box::new(v)),
        })
    }

    /// (nonces tracked now, most that will be tracked).
    pub(crate) fn table_sizes(&self) -> (usize, usize) {
        (
            self.server.tracked_nonces(),
            self.server.config().max_tracked_nonces(),
        )
    }
}
