//! Digest authentication, the way Atlas does it, on top of `atlas_digest::DigestServer`.

use std::time::{Duration, SystemTime};

use atlas_digest::{
    Algorithm, Charset, DigestServer, InMemoryCredentials, NextNonce, Qop, RequestFacts,
    ServerConfig, Stale, Userhash, Verified,
};

use crate::{ApiKey, MockError};

/// The realm Atlas uses.
pub const REALM: &str = "MMS Public API";

/// Digest settings. The default is what Atlas sends: realm `MMS Public API`, `MD5`, `qop="auth"`,
/// nonces valid 300 s, no `nextnonce`, no userhash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSettings {
    algorithms: Vec<Algorithm>,
    qop: Vec<Qop>,
    nonce_lifetime: Duration,
    next_nonce_after: Option<Duration>,
    userhash: bool,
    replay_window: u32,
    max_tracked_nonces: usize,
}

impl Default for DigestSettings {
    fn default() -> Self {
        Self {
            algorithms: vec![Algorithm::Md5],
            qop: vec![Qop::Auth],
            nonce_lifetime: Duration::from_secs(300),
            next_nonce_after: None,
            userhash: false,
            replay_window: 32,
            max_tracked_nonces: 10_000,
        }
    }
}

impl DigestSettings {
    /// Algorithms offered, one challenge each (strongest first on the wire). Must not be empty.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// qop values offered (default `auth`; empty = RFC 2069 mode without nc).
    pub fn qop(mut self, qop: impl IntoIterator<Item = Qop>) -> Self {
        self.qop = qop.into_iter().collect();
        self
    }

    /// How long a nonce is accepted; older ones are answered `401` with `stale=true`.
    pub fn nonce_lifetime(mut self, d: Duration) -> Self {
        self.nonce_lifetime = d;
        self
    }

    /// Send `nextnonce` in `Authentication-Info` once a nonce is this old (Atlas does not; default `None`).
    pub fn next_nonce_after(mut self, d: Option<Duration>) -> Self {
        self.next_nonce_after = d;
        self
    }

    /// Offer `userhash=true` (RFC 7616).
    pub fn userhash(mut self, yes: bool) -> Self {
        self.userhash = yes;
        self
    }

    /// How far below the highest nc seen an nc is still accepted once (requests overtaking each other).
    pub fn replay_window(mut self, n: u32) -> Self {
        self.replay_window = n;
        self
    }

    /// Bound of the nonce (replay) table; when full, the oldest nonce is forgotten and answered stale.
    pub fn max_tracked_nonces(mut self, n: usize) -> Self {
        self.max_tracked_nonces = n;
        self
    }

    /// The configured nonce lifetime.
    pub fn lifetime(&self) -> Duration {
        self.nonce_lifetime
    }
}

/// What verification concluded.
#[derive(Debug)]
pub(crate) enum AuthOutcome {
    Ok(Box<Verified>),
    Fail { stale: bool, reason: String },
}

/// The digest server plus the key table.
#[derive(Debug)]
pub(crate) struct Auth {
    server: DigestServer,
    store: InMemoryCredentials,
}

impl Auth {
    pub(crate) fn new(settings: &DigestSettings, keys: &[ApiKey]) -> Result<Self, MockError> {
        if settings.algorithms.is_empty() {
            return Err(MockError::InvalidConfig(
                "digest needs at least one algorithm".into(),
            ));
        }
        if settings.nonce_lifetime.is_zero() {
            return Err(MockError::InvalidConfig(
                "digest nonce lifetime must be positive".into(),
            ));
        }
        // Atlas sends `domain=""` and no charset.
        let config = ServerConfig::new(REALM)
            .with_algorithms(settings.algorithms.clone())
            .with_qop(settings.qop.clone())
            .with_nonce_lifetime(settings.nonce_lifetime)
            .with_next_nonce(match settings.next_nonce_after {
                None => NextNonce::Never,
                Some(d) => NextNonce::After(d),
            })
            .with_domain("")
            .with_userhash(if settings.userhash {
                Userhash::Offered
            } else {
                Userhash::Off
            })
            .with_charset(Charset::Omit)
            .with_replay_window(settings.replay_window)
            .with_max_tracked_nonces(settings.max_tracked_nonces);
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| MockError::Random(e.to_string()))?;
        let mut store = InMemoryCredentials::new();
        for k in keys {
            store.insert(k.public_key(), k.private_key());
        }
        Ok(Self {
            server: DigestServer::new(config, secret),
            store,
        })
    }

    /// `WWW-Authenticate` values. Like Atlas, they always carry `stale` (`stale=false` too).
    pub(crate) fn challenges(&self, stale: bool) -> Vec<String> {
        let flag = if stale { Stale::True } else { Stale::False };
        let mut out = self.server.challenges(SystemTime::now(), flag);
        for c in &mut out {
            if !c.contains("stale=") {
                c.push_str(if stale {
                    ", stale=true"
                } else {
                    ", stale=false"
                });
            }
        }
        out
    }

    pub(crate) fn verify(
        &self,
        authorization: &str,
        method: &str,
        uri: &str,
        body: &[u8],
    ) -> AuthOutcome {
        let facts = RequestFacts::new(method, uri).with_body(body);
        match self
            .server
            .verify(authorization, &facts, SystemTime::now(), &self.store)
        {
            Ok(v) => AuthOutcome::Ok(Box::new(v)),
            Err(e) => AuthOutcome::Fail {
                stale: e.is_stale(),
                reason: format!("digest: {e}"),
            },
        }
    }

    /// (nonces tracked now, most that will be tracked).
    pub(crate) fn table_sizes(&self) -> (usize, usize) {
        (
            self.server.tracked_nonces(),
            self.server.config().max_tracked_nonces(),
        )
    }
}
