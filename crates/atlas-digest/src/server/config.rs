//! Server policy: [`ServerConfig`] and the enums its builder methods take.

use std::time::Duration;

use crate::hash::{Algorithm, Qop};

/// Largest supported replay window (the window is a 128-bit bitmap per nonce).
pub const MAX_REPLAY_WINDOW: u32 = 128;

/// Default replay window: 64 nc values per nonce, as RFC 4303 section 3.4.3 and RFC 6347
/// section 4.1.2.6 recommend for their anti-replay windows.
pub const DEFAULT_REPLAY_WINDOW: u32 = 64;

/// Server policy, built with [`ServerConfig::new`] and the `with_*` methods; read back with the getters.
///
/// Parameters are those of [RFC 7616 section 3.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.3).
///
/// ```
/// use std::time::Duration;
/// use atlas_digest::{Algorithm, NonceFormat, Opaque, ServerConfig, StaleParam};
///
/// let config = ServerConfig::new("api@example.org")
///     .with_algorithms([Algorithm::Sha256, Algorithm::Md5])
///     .with_nonce_lifetime(Duration::from_secs(120))
///     .with_opaque(Opaque::Omit)
///     .with_stale_param(StaleParam::Always)
///     .with_nonce_format(NonceFormat::Base64x32);
/// assert_eq!(config.replay_window(), 64);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    realm: String,
    domain: Option<String>,
    algorithms: Vec<Algorithm>,
    qop: Vec<Qop>,
    nonce_lifetime: Duration,
    next_nonce: NextNonce,
    userhash: Userhash,
    charset: Charset,
    replay_window: u32,
    max_tracked_nonces: usize,
    nonce_scope: NonceScope,
    opaque: Opaque,
    stale_param: StaleParam,
    nonce_format: NonceFormat,
    qop_param: QopParam,
}

/// When [`crate::DigestServer::verify`] adds a `nextnonce` to `Authentication-Info`, letting the client
/// move to a fresh nonce (nc back to 1) before the current one expires, without a stale round trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextNonce {
    /// Never.
    Never,
    /// On every successful verification.
    Always,
    /// Once the nonce used is at least this old.
    After(Duration),
    /// Once the nonce used is at least half of [`ServerConfig::nonce_lifetime`] old.
    HalfLifetime,
}

/// Whether challenges offer `userhash=true` (RFC 7616 section 3.4.4) and credentials may use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Userhash {
    /// Not offered; credentials with `userhash=true` are refused ([`crate::VerifyError::UserhashNotOffered`]).
    Off,
    /// Offered (`userhash=true` in challenges); the [`crate::CredentialStore`] resolves the hash.
    Offered,
}

/// Whether challenges carry `charset=UTF-8` (RFC 7616 section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Charset {
    /// No `charset` parameter (what servers predating RFC 7616 send, Atlas among them).
    Omit,
    /// `charset=UTF-8`: usernames and passwords are UTF-8; clients may send `username*`.
    Utf8,
}

/// Which nonces this server accepts, given that every nonce carries the tag of the instance that
/// issued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonceScope {
    /// Only nonces of this instance (this [`crate::DigestServer`] value). Nonces of another instance with
    /// the same secret (for example from before a restart) are answered [`crate::VerifyError::Stale`]:
    /// their replay history is unknown here, so accepting them would let a captured request be
    /// replayed once. Costs clients one extra round trip after a restart. The default.
    Instance,
    /// Every nonce issued under the same secret, by any instance (several instances behind a load
    /// balancer without sticky sessions). Each instance keeps its own replay window, so a captured
    /// request can be replayed once against each other instance: only use this when that is acceptable.
    Secret,
}

/// Whether challenges carry an `opaque` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Opaque {
    /// No `opaque` (what Atlas sends). Credentials without `opaque` or with an empty one
    /// (`opaque=""`, which some clients always send) are accepted; a non-empty `opaque` is one this
    /// server never sent and is refused with [`crate::VerifyError::OpaqueMismatch`].
    Omit,
    /// An `opaque` derived from the secret and realm; credentials must echo it exactly. The default.
    Send,
}

/// How the `stale` parameter is rendered in challenges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StaleParam {
    /// Only `stale=true`, after [`crate::VerifyError::Stale`]; nothing otherwise. The default.
    WhenTrue,
    /// Always: `stale=false` or `stale=true` (what Atlas sends).
    Always,
}

/// The shape of the nonces this server issues. Both are self-validating: an issue time (ms), a
/// counter, the instance tag and a truncated HMAC-SHA-256 under the secret, in standard base64
/// (alphabet with `+` and `/`, no padding needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonceFormat {
    /// 36 bytes, 48 base64 characters: 12 bytes of time, counter and tag, then 24 bytes (192 bits) of
    /// MAC. The default.
    Base64x48,
    /// 24 bytes, exactly 32 base64 characters, the shape of Atlas's nonces: 12 bytes of time, counter
    /// and tag, then 12 bytes (96 bits) of MAC. Forging a nonce takes about 2^96 online attempts (each
    /// one a request), and a forged nonce is worth nothing without the password anyway: the MAC only
    /// keeps clients from choosing nonces or dating them.
    Base64x32,
}

/// The name under which challenges announce the qop options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QopParam {
    /// `qop="auth"`, as RFC 7616 says. The default.
    Qop,
    /// `op="auth"`: the literal misspelling in the Atlas documentation's example response. A client
    /// then sees no qop and answers in RFC 2069 form (no `nc`, no `cnonce`, hence no replay window);
    /// in this mode the server accepts such answers, and `qop` answers as well.
    Op,
}

impl ServerConfig {
    /// Defaults for `realm` (see each getter).
    pub fn new(realm: impl Into<String>) -> Self {
        ServerConfig {
            realm: realm.into(),
            domain: None,
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            qop: vec![Qop::Auth],
            nonce_lifetime: Duration::from_secs(300),
            next_nonce: NextNonce::HalfLifetime,
            userhash: Userhash::Off,
            charset: Charset::Utf8,
            replay_window: DEFAULT_REPLAY_WINDOW,
            max_tracked_nonces: 10_000,
            nonce_scope: NonceScope::Instance,
            opaque: Opaque::Send,
            stale_param: StaleParam::WhenTrue,
            nonce_format: NonceFormat::Base64x48,
            qop_param: QopParam::Qop,
        }
    }

    /// The challenge real MongoDB Atlas sends, parameter for parameter:
    /// `Digest realm="MMS Public API", domain="", nonce="<32 base64 characters>", algorithm=MD5,
    /// qop="auth", stale=false` (no `opaque`, no `charset`, no `nextnonce`).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use atlas_digest::{DigestServer, ServerConfig, Stale};
    ///
    /// let server = DigestServer::new(ServerConfig::mongodb_atlas(), [7; 32]);
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let challenge = &server.challenges(now, Stale::False)[0];
    /// let nonce = challenge.split('"').nth(5).unwrap();
    /// assert_eq!(nonce.len(), 32);
    /// assert_eq!(
    ///     challenge.replace(nonce, "N"),
    ///     r#"Digest realm="MMS Public API", domain="", nonce="N", algorithm=MD5, qop="auth", stale=false"#
    /// );
    /// ```
    pub fn mongodb_atlas() -> Self {
        ServerConfig::new("MMS Public API")
            .with_domain("")
            .with_algorithms([Algorithm::Md5])
            .with_qop([Qop::Auth])
            .with_charset(Charset::Omit)
            .with_opaque(Opaque::Omit)
            .with_stale_param(StaleParam::Always)
            .with_nonce_format(NonceFormat::Base64x32)
            .with_next_nonce(NextNonce::Never)
    }

    /// Sets the realm.
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Sets the algorithms offered, one challenge each (duplicates dropped, sorted strongest first).
    pub fn with_algorithms(mut self, algorithms: impl Into<Vec<Algorithm>>) -> Self {
        let mut sorted: Vec<Algorithm> = Vec::new();
        for a in algorithms.into() {
            if !sorted.contains(&a) {
                sorted.push(a);
            }
        }
        sorted.sort_by_key(|a| std::cmp::Reverse(a.strength()));
        self.algorithms = sorted;
        self
    }

    /// Sets the qop values offered. Empty means RFC 2069 mode (no qop, so no nc and no replay window):
    /// only for legacy clients.
    pub fn with_qop(mut self, qop: impl Into<Vec<Qop>>) -> Self {
        let mut list: Vec<Qop> = Vec::new();
        for q in qop.into() {
            if !list.contains(&q) {
                list.push(q);
            }
        }
        self.qop = list;
        self
    }

    /// Sets how long a nonce stays fresh.
    pub fn with_nonce_lifetime(mut self, lifetime: Duration) -> Self {
        self.nonce_lifetime = lifetime;
        self
    }

    /// Sets when a `nextnonce` is sent.
    pub fn with_next_nonce(mut self, next_nonce: NextNonce) -> Self {
        self.next_nonce = next_nonce;
        self
    }

    /// Sets the `domain` sent in challenges (space-separated URIs; `""` renders `domain=""`).
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Sets which nonces are accepted (see [`NonceScope`]).
    pub fn with_nonce_scope(mut self, scope: NonceScope) -> Self {
        self.nonce_scope = scope;
        self
    }

    /// Sets whether `userhash` is offered.
    pub fn with_userhash(mut self, userhash: Userhash) -> Self {
        self.userhash = userhash;
        self
    }

    /// Sets whether `charset=UTF-8` is sent.
    pub fn with_charset(mut self, charset: Charset) -> Self {
        self.charset = charset;
        self
    }

    /// Sets the replay window (clamped to `1..=`[`MAX_REPLAY_WINDOW`]).
    pub fn with_replay_window(mut self, window: u32) -> Self {
        self.replay_window = window.clamp(1, MAX_REPLAY_WINDOW);
        self
    }

    /// Sets the most nonces tracked for replay detection (at least 1).
    pub fn with_max_tracked_nonces(mut self, max: usize) -> Self {
        self.max_tracked_nonces = max.max(1);
        self
    }

    /// Sets whether an `opaque` is sent and required.
    pub fn with_opaque(mut self, opaque: Opaque) -> Self {
        self.opaque = opaque;
        self
    }

    /// Sets how `stale` is rendered.
    pub fn with_stale_param(mut self, stale: StaleParam) -> Self {
        self.stale_param = stale;
        self
    }

    /// Sets the nonce format.
    pub fn with_nonce_format(mut self, format: NonceFormat) -> Self {
        self.nonce_format = format;
        self
    }

    /// Sets the name of the qop parameter in challenges.
    pub fn with_qop_param(mut self, name: QopParam) -> Self {
        self.qop_param = name;
        self
    }

    /// `realm` sent in challenges and required in credentials.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// `domain` sent in challenges, if any. Default none.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// Algorithms offered, strongest first. Default SHA-256 then MD5 (what RFC 7616 section 3.7
    /// recommends for compatibility).
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// qop values offered. Default `[auth]`; empty is RFC 2069 mode.
    pub fn qop(&self) -> &[Qop] {
        &self.qop
    }

    /// How long a nonce stays fresh; older nonces get [`crate::VerifyError::Stale`]. Default 300 s.
    pub fn nonce_lifetime(&self) -> Duration {
        self.nonce_lifetime
    }

    /// When a `nextnonce` is sent. Default [`NextNonce::HalfLifetime`].
    pub fn next_nonce(&self) -> NextNonce {
        self.next_nonce
    }

    /// Whether `userhash` is offered. Default [`Userhash::Off`].
    pub fn userhash(&self) -> Userhash {
        self.userhash
    }

    /// Whether `charset=UTF-8` is sent. Default [`Charset::Utf8`].
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// The replay window W: for each nonce, every nc in `[highest - W + 1, highest]` is accepted once;
    /// older ones are answered [`crate::VerifyError::Stale`]. Default [`DEFAULT_REPLAY_WINDOW`] (64).
    pub fn replay_window(&self) -> u32 {
        self.replay_window
    }

    /// Most nonces tracked for replay detection. When full, the oldest tracked nonce is forgotten and
    /// every nonce at least that old is answered [`crate::VerifyError::Stale`] (never accepted twice).
    /// Default 10 000.
    pub fn max_tracked_nonces(&self) -> usize {
        self.max_tracked_nonces
    }

    /// Which nonces are accepted. Default [`NonceScope::Instance`].
    pub fn nonce_scope(&self) -> NonceScope {
        self.nonce_scope
    }

    /// Whether an `opaque` is sent and required. Default [`Opaque::Send`].
    pub fn opaque(&self) -> Opaque {
        self.opaque
    }

    /// How `stale` is rendered. Default [`StaleParam::WhenTrue`].
    pub fn stale_param(&self) -> StaleParam {
        self.stale_param
    }

    /// The nonce format. Default [`NonceFormat::Base64x48`].
    pub fn nonce_format(&self) -> NonceFormat {
        self.nonce_format
    }

    /// The name of the qop parameter in challenges. Default [`QopParam::Qop`].
    pub fn qop_param(&self) -> QopParam {
        self.qop_param
    }
}
