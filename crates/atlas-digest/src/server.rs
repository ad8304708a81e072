//! The server side: challenges with self-validating nonces, verification, replay window.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::compute::{self, QopInputs};
use crate::credentials::RequestFacts;
use crate::error::VerifyError;
use crate::hash::{
    Algorithm, Hex, Qop, base64_decode, base64_encode, constant_time_eq, constant_time_eq_hex,
    hmac_sha256, nc_hex,
};
use crate::header::{AuthenticationInfo, AuthorizationHeader, DigestChallenge, to_string_sized};

/// Largest supported replay window (the window is a 128-bit bitmap per nonce).
pub const MAX_REPLAY_WINDOW: u32 = 128;

/// Server policy. `ServerConfig::new(realm)` gives the defaults; set fields or use the `with_*` methods.
///
/// Parameters are those of [RFC 7616 section 3.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// `realm` sent in challenges and required in credentials.
    pub realm: String,
    /// `domain` sent in challenges (space-separated URIs), if any.
    pub domain: Option<String>,
    /// Algorithms offered, one challenge each; [`DigestServer::challenges`] sorts them strongest first.
    /// Default: SHA-256 then MD5 (what RFC 7616 section 3.7 recommends for compatibility).
    pub algorithms: Vec<Algorithm>,
    /// qop values offered. Default `[auth]`. Empty means RFC 2069 mode (no qop, so no nc and no replay
    /// window): only for legacy clients.
    pub qop: Vec<Qop>,
    /// How long a nonce stays fresh; older nonces get [`VerifyError::Stale`]. Default 300 s.
    pub nonce_lifetime: Duration,
    /// When to send a `nextnonce` in `Authentication-Info`. Default [`NextNonce::HalfLifetime`].
    pub next_nonce: NextNonce,
    /// Send `userhash=true` and accept hashed usernames. Default `false`.
    pub userhash: bool,
    /// Send `charset=UTF-8` (usernames and passwords are UTF-8; allows `username*`). Default `true`.
    pub charset_utf8: bool,
    /// nc values up to this far below the highest nc seen for a nonce are accepted once each (requests
    /// that overtake each other). Capped at [`MAX_REPLAY_WINDOW`]. Default 32.
    pub replay_window: u32,
    /// Most nonces tracked for replay detection. When full, the oldest tracked nonce is forgotten and
    /// every nonce at least that old is answered [`VerifyError::Stale`] (never accepted twice).
    /// Default 10 000 (about 1 MB).
    pub max_tracked_nonces: usize,
    /// Answer [`VerifyError::Stale`] to nonces issued by another instance with the same secret (for
    /// example before a restart). Each nonce carries the instance's tag (the time of its first
    /// `challenges` or `verify` call); the replay history of other instances is unknown here, so
    /// accepting their nonces would let a captured request be replayed once. Costs clients one extra
    /// round trip after a restart. Default `true`; turn it off only if replays across instances are
    /// acceptable (for example several instances behind a load balancer without sticky sessions).
    pub reject_nonces_before_start: bool,
}

/// When [`DigestServer::verify`] adds a `nextnonce` to `Authentication-Info`, letting the client move to
/// a fresh nonce (nc back to 1) before the current one expires, without a stale round trip.
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

impl ServerConfig {
    /// Defaults for `realm` (see each field).
    pub fn new(realm: impl Into<String>) -> Self {
        ServerConfig {
            realm: realm.into(),
            domain: None,
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            qop: vec![Qop::Auth],
            nonce_lifetime: Duration::from_secs(300),
            next_nonce: NextNonce::HalfLifetime,
            userhash: false,
            charset_utf8: true,
            replay_window: 32,
            max_tracked_nonces: 10_000,
            reject_nonces_before_start: true,
        }
    }

    /// Sets [`ServerConfig::algorithms`].
    pub fn with_algorithms(mut self, algorithms: impl Into<Vec<Algorithm>>) -> Self {
        self.algorithms = algorithms.into();
        self
    }

    /// Sets [`ServerConfig::qop`].
    pub fn with_qop(mut self, qop: impl Into<Vec<Qop>>) -> Self {
        self.qop = qop.into();
        self
    }

    /// Sets [`ServerConfig::nonce_lifetime`].
    pub fn with_nonce_lifetime(mut self, lifetime: Duration) -> Self {
        self.nonce_lifetime = lifetime;
        self
    }

    /// Sets [`ServerConfig::next_nonce`].
    pub fn with_next_nonce(mut self, next_nonce: NextNonce) -> Self {
        self.next_nonce = next_nonce;
        self
    }

    /// Sets [`ServerConfig::domain`].
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Sets [`ServerConfig::reject_nonces_before_start`].
    pub fn with_reject_nonces_before_start(mut self, reject: bool) -> Self {
        self.reject_nonces_before_start = reject;
        self
    }

    /// Sets [`ServerConfig::userhash`].
    pub fn with_userhash(mut self, userhash: bool) -> Self {
        self.userhash = userhash;
        self
    }

    /// Sets [`ServerConfig::charset_utf8`].
    pub fn with_charset_utf8(mut self, utf8: bool) -> Self {
        self.charset_utf8 = utf8;
        self
    }

    /// Sets [`ServerConfig::replay_window`].
    pub fn with_replay_window(mut self, window: u32) -> Self {
        self.replay_window = window;
        self
    }

    /// Sets [`ServerConfig::max_tracked_nonces`].
    pub fn with_max_tracked_nonces(mut self, max: usize) -> Self {
        self.max_tracked_nonces = max;
        self
    }
}

/// What a [`CredentialStore`] knows about a user.
#[derive(Clone, PartialEq, Eq)]
pub enum StoredSecret {
    /// The plain password (works with every algorithm).
    Password(String),
    /// A precomputed `H(username:realm:password)` in hex (the format of Apache's
    /// [htdigest](https://httpd.apache.org/docs/current/programs/htdigest.html) files). Works only for the hash
    /// function of `algorithm` (and its `-sess` variant).
    Ha1 {
        /// The algorithm the hash was computed with.
        algorithm: Algorithm,
        /// The hex digest.
        hex: String,
    },
}

impl fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoredSecret::Password(_) => f.write_str("Password(** redacted **)"),
            StoredSecret::Ha1 { algorithm, .. } => f
                .debug_struct("Ha1")
                .field("algorithm", algorithm)
                .field("hex", &"** redacted **")
                .finish(),
        }
    }
}

/// Where the server looks users up.
pub trait CredentialStore {
    /// The secret of `username` in `realm`, or `None` if unknown.
    fn lookup(&self, username: &str, realm: &str) -> Option<StoredSecret>;

    /// The username whose `H(username:realm)` (hex, computed with `algorithm`) equals `userhash`
    /// ([RFC 7616 section 3.4.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4.4)).
    /// The default knows none (userhash unsupported by this store).
    fn resolve_userhash(
        &self,
        userhash: &str,
        realm: &str,
        algorithm: Algorithm,
    ) -> Option<String> {
        let _ = (userhash, realm, algorithm);
        None
    }
}

/// A `HashMap`-based [`CredentialStore`] for one realm (the realm argument of lookups is ignored).
/// `Debug` lists usernames only.
#[derive(Clone, Default)]
pub struct InMemoryCredentials {
    users: HashMap<String, StoredSecret>,
}

impl fmt::Debug for InMemoryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.users.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("InMemoryCredentials")
            .field("users", &names)
            .finish()
    }
}

impl InMemoryCredentials {
    /// An empty store.
    pub fn new() -> Self {
        InMemoryCredentials::default()
    }

    /// Adds or replaces a user with a plain password.
    pub fn insert(&mut self, username: impl Into<String>, password: impl Into<String>) {
        self.users
            .insert(username.into(), StoredSecret::Password(password.into()));
    }

    /// Adds or replaces a user with a stored H(A1).
    pub fn insert_ha1(
        &mut self,
        username: impl Into<String>,
        algorithm: Algorithm,
        hex: impl Into<String>,
    ) {
        self.users.insert(
            username.into(),
            StoredSecret::Ha1 {
                algorithm,
                hex: hex.into(),
            },
        );
    }

    /// Removes a user; true if it existed.
    pub fn remove(&mut self, username: &str) -> bool {
        self.users.remove(username).is_some()
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// True if there are no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

impl CredentialStore for InMemoryCredentials {
    fn lookup(&self, username: &str, _realm: &str) -> Option<StoredSecret> {
        self.users.get(username).cloned()
    }

    /// Linear scan hashing every username (fine for small stores; index by hash in a real database).
    fn resolve_userhash(
        &self,
        userhash: &str,
        realm: &str,
        algorithm: Algorithm,
    ) -> Option<String> {
        self.users
            .keys()
            .find(|name| {
                let h = compute::userhash(algorithm, name, realm);
                constant_time_eq_hex(h.as_bytes(), userhash.as_bytes())
            })
            .cloned()
    }
}

/// A successful verification.
#[non_exhaustive]
pub struct Verified {
    /// The authenticated username (resolved from the `userhash` if one was sent).
    pub username: String,
    /// The `Authentication-Info` value to send with the response (`rspauth` for an empty response body
    /// when qop is `auth-int`: use [`Verified::authentication_info_for_body`] otherwise).
    pub authentication_info: String,
    /// The algorithm used.
    pub algorithm: Algorithm,
    /// The qop used (`None`: RFC 2069 mode).
    pub qop: Option<Qop>,
    /// The nonce count used.
    pub nc: Option<u32>,
    rsp: RspauthInputs,
}

struct RspauthInputs {
    ha1: Hex,
    nonce: String,
    cnonce: String,
    uri: String,
    nextnonce: Option<String>,
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("username", &self.username)
            .field("algorithm", &self.algorithm)
            .field("qop", &self.qop)
            .field("nc", &self.nc)
            .finish_non_exhaustive()
    }
}

impl Verified {
    /// The `Authentication-Info` value for a response with this body (only differs from
    /// [`Verified::authentication_info`] when qop is `auth-int`, where `rspauth` covers the body).
    pub fn authentication_info_for_body(&self, response_body: &[u8]) -> String {
        authentication_info(self.algorithm, self.qop, self.nc, &self.rsp, response_body)
    }
}

fn authentication_info(
    algorithm: Algorithm,
    qop: Option<Qop>,
    nc: Option<u32>,
    rsp: &RspauthInputs,
    response_body: &[u8],
) -> String {
    let nc8 = nc_hex(nc.unwrap_or(0));
    let inputs = qop.map(|qop| QopInputs {
        qop,
        nc: &nc8,
        cnonce: &rsp.cnonce,
    });
    let rspauth = compute::response(
        algorithm,
        &rsp.ha1,
        &rsp.nonce,
        inputs,
        "",
        &rsp.uri,
        Some(response_body),
    );
    let info = AuthenticationInfo {
        nextnonce: rsp.nextnonce.clone(),
        qop,
        rspauth: Some(rspauth.as_str().to_owned()),
        cnonce: qop.map(|_| rsp.cnonce.clone()),
        nc: qop.and(nc),
    };
    to_string_sized(&info, 200)
}

/// Replay state of one nonce: highest nc seen and a bitmap of the nc values below it already used.
#[derive(Clone, Copy)]
struct Window {
    max: u32,
    /// Bit `i` set: nc `max - i` was used.
    bits: u128,
}

#[derive(Default)]
struct Tracker {
    /// Keyed by (issue counter, issue time in ms): ordered oldest first for eviction.
    nonces: BTreeMap<(u64, u64), Window>,
    /// Every nonce at or below this key that is not tracked was evicted: answer stale.
    floor: Option<(u64, u64)>,
}

/// A Digest server for one realm; `Send + Sync`, every method takes `&self`.
///
/// Implements the server side of [RFC 7616](https://www.rfc-editor.org/rfc/rfc7616): challenges
/// (section 3.3), verification (section 3.4), `Authentication-Info` (section 3.5), and the nonce and
/// replay advice of section 5.4 and 5.5.
///
/// Nonces are self-validating: `base64(issue-time ‖ counter ‖ instance ‖ HMAC-SHA-256(secret, realm ‖
/// time ‖ counter ‖ instance)[..16])`. Freshness needs no table; only replay detection keeps state, bounded by
/// [`ServerConfig::max_tracked_nonces`].
pub struct DigestServer {
    config: ServerConfig,
    secret: [u8; 32],
    counter: AtomicU64,
    opaque: String,
    tracker: Mutex<Tracker>,
    /// Time (ms) of the first call that gave a clock; `u64::MAX` until then.
    started: AtomicU64,
}

impl fmt::Debug for DigestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestServer")
            .field("config", &self.config)
            .field("secret", &"** redacted **")
            .finish_non_exhaustive()
    }
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl DigestServer {
    /// A server with `config` and a 32-byte `secret` (from the caller's randomness; keep it private; a
    /// new secret invalidates every outstanding nonce).
    pub fn new(mut config: ServerConfig, secret: [u8; 32]) -> Self {
        config.replay_window = config.replay_window.clamp(1, MAX_REPLAY_WINDOW);
        config.max_tracked_nonces = config.max_tracked_nonces.max(1);
        let mut algorithms: Vec<Algorithm> = Vec::with_capacity(config.algorithms.len());
        for a in &config.algorithms {
            if !algorithms.contains(a) {
                algorithms.push(*a);
            }
        }
        algorithms.sort_by_key(|a| std::cmp::Reverse(a.strength()));
        config.algorithms = algorithms;
        let mac = hmac_sha256(
            &secret,
            &[b"atlas-digest opaque v1\0", config.realm.as_bytes()],
        );
        let opaque = base64_encode(&mac[..12]);
        DigestServer {
            config,
            secret,
            counter: AtomicU64::new(0),
            opaque,
            tracker: Mutex::new(Tracker::default()),
            started: AtomicU64::new(u64::MAX),
        }
    }

    /// The configuration (algorithms sorted strongest first, window clamped).
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    fn nonce_mac(&self, time: u64, counter: u64, instance: u64) -> [u8; 32] {
        hmac_sha256(
            &self.secret,
            &[
                b"atlas-digest nonce v2\0",
                self.config.realm.as_bytes(),
                b"\0",
                &time.to_be_bytes(),
                &counter.to_be_bytes(),
                &instance.to_be_bytes(),
            ],
        )
    }

    /// The instance tag: the time (ms) of the first call that gave a clock, recorded once.
    fn start_time(&self, now_ms: u64) -> u64 {
        match self
            .started
            .compare_exchange(u64::MAX, now_ms, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => now_ms,
            Err(existing) => existing,
        }
    }

    /// A fresh nonce for `now`: `base64(time ‖ counter ‖ instance ‖ HMAC[..16])`.
    pub fn new_nonce(&self, now: SystemTime) -> String {
        let time = millis(now);
        let instance = self.start_time(time);
        let counter = self.counter.fetch_add(1, Ordering::Relaxed);
        let mac = self.nonce_mac(time, counter, instance);
        let mut raw = [0u8; 40];
        raw[..8].copy_from_slice(&time.to_be_bytes());
        raw[8..16].copy_from_slice(&counter.to_be_bytes());
        raw[16..24].copy_from_slice(&instance.to_be_bytes());
        raw[24..].copy_from_slice(&mac[..16]);
        base64_encode(&raw)
    }

    /// Checks a nonce's MAC; returns its (time, counter, instance).
    fn open_nonce(&self, nonce: &str) -> Result<(u64, u64, u64), VerifyError> {
        let raw = base64_decode(nonce).ok_or(VerifyError::BadNonce)?;
        if raw.len() != 40 {
            return Err(VerifyError::BadNonce);
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&raw[i..i + 8]);
            u64::from_be_bytes(w)
        };
        let (time, counter, instance) = (word(0), word(8), word(16));
        let mac = self.nonce_mac(time, counter, instance);
        if !constant_time_eq(&mac[..16], &raw[24..]) {
            return Err(VerifyError::BadNonce);
        }
        Ok((time, counter, instance))
    }

    /// The challenges to send with a 401 for `now`: one per configured algorithm, strongest first (each
    /// a separate `WWW-Authenticate` value), all with the same fresh nonce; `stale=true` when asked
    /// (after [`VerifyError::Stale`]).
    pub fn challenges(&self, now: SystemTime, stale: bool) -> Vec<String> {
        let nonce = self.new_nonce(now);
        self.config
            .algorithms
            .iter()
            .map(|&algorithm| {
                let c = self.challenge_for(algorithm, nonce.clone(), stale);
                to_string_sized(&c, 160 + self.config.realm.len())
            })
            .collect()
    }

    /// The typed challenge for one algorithm with a given nonce.
    pub fn challenge_for(
        &self,
        algorithm: Algorithm,
        nonce: String,
        stale: bool,
    ) -> DigestChallenge {
        DigestChallenge {
            realm: self.config.realm.clone(),
            domain: self.config.domain.clone(),
            nonce,
            opaque: Some(self.opaque.clone()),
            stale,
            algorithm,
            qop: if self.config.qop.is_empty() {
                None
            } else {
                Some(self.config.qop.clone())
            },
            charset_utf8: self.config.charset_utf8,
            userhash: self.config.userhash,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Verifies an `Authorization` value for the request described by `req` at time `now`.
    ///
    /// Checks, in order: syntax, realm, algorithm, qop, `uri` equals `req.uri`, opaque, nonce MAC, the
    /// user (resolving `userhash`), the response (constant-time), nonce age ([`VerifyError::Stale`] only
    /// for otherwise correct credentials, as RFC 7616 asks), then the replay window. On success returns
    /// the username and the `Authentication-Info` value to send.
    pub fn verify<S: CredentialStore + ?Sized>(
        &self,
        authorization: &str,
        req: &RequestFacts<'_>,
        now: SystemTime,
        store: &S,
    ) -> Result<Verified, VerifyError> {
        let h: AuthorizationHeader = authorization.parse()?;
        let cfg = &self.config;
        if h.realm != cfg.realm {
            return Err(VerifyError::RealmMismatch);
        }
        if !cfg.algorithms.contains(&h.algorithm) {
            return Err(VerifyError::AlgorithmNotOffered);
        }
        match h.qop {
            None if !cfg.qop.is_empty() => return Err(VerifyError::QopNotOffered),
            Some(q) if !cfg.qop.contains(&q) => return Err(VerifyError::QopNotOffered),
            _ => {}
        }
        if h.qop == Some(Qop::AuthInt) && req.body.is_none() {
            return Err(VerifyError::BodyRequired);
        }
        if h.uri != req.uri {
            return Err(VerifyError::UriMismatch);
        }
        if h.opaque.as_deref() != Some(self.opaque.as_str()) {
            return Err(VerifyError::OpaqueMismatch);
        }
        let key = self.open_nonce(&h.nonce)?;
        let username = if h.userhash {
            if !cfg.userhash {
                return Err(VerifyError::UserhashNotOffered);
            }
            store
                .resolve_userhash(&h.username, &cfg.realm, h.algorithm)
                .ok_or(VerifyError::UnknownUser)?
        } else {
            h.username.clone()
        };
        let secret = store
            .lookup(&username, &cfg.realm)
            .ok_or(VerifyError::UnknownUser)?;
        let base = match &secret {
            StoredSecret::Password(p) => compute::ha1_base(h.algorithm, &username, &cfg.realm, p),
            StoredSecret::Ha1 { algorithm, hex } => {
                if algorithm.base() != h.algorithm.base() {
                    return Err(VerifyError::StoredSecretMismatch);
                }
                Hex::parse(hex.trim(), h.algorithm.hex_len())
                    .ok_or(VerifyError::StoredSecretMismatch)?
            }
        };
        let cnonce = h.cnonce.as_deref().unwrap_or_default();
        let ha1 = compute::session_ha1(h.algorithm, &base, &h.nonce, cnonce);
        let nc8 = nc_hex(h.nc.unwrap_or(0));
        let inputs = h.qop.map(|qop| QopInputs {
            qop,
            nc: &nc8,
            cnonce,
        });
        let expected = compute::response(
            h.algorithm,
            &ha1,
            &h.nonce,
            inputs,
            req.method,
            &h.uri,
            req.body,
        );
        if !constant_time_eq_hex(expected.as_bytes(), h.response.as_bytes()) {
            return Err(VerifyError::WrongResponse);
        }
        let now_ms = millis(now);
        let started = self.start_time(now_ms);
        let age = Duration::from_millis(now_ms.saturating_sub(key.0));
        if age > cfg.nonce_lifetime || (cfg.reject_nonces_before_start && key.2 != started) {
            return Err(VerifyError::Stale);
        }
        if let Some(nc) = h.nc {
            // Order by the issue counter (monotonic in this instance, unlike a wall clock).
            self.record((key.1, key.0), nc, now_ms)?;
        }
        let renew = match cfg.next_nonce {
            NextNonce::Never => false,
            NextNonce::Always => true,
            NextNonce::After(after) => age >= after,
            NextNonce::HalfLifetime => age >= cfg.nonce_lifetime / 2,
        };
        let nextnonce = renew.then(|| self.new_nonce(now));
        let rsp = RspauthInputs {
            ha1,
            nonce: h.nonce,
            cnonce: h.cnonce.unwrap_or_default(),
            uri: h.uri,
            nextnonce,
        };
        let authentication_info = authentication_info(h.algorithm, h.qop, h.nc, &rsp, b"");
        Ok(Verified {
            username,
            authentication_info,
            algorithm: h.algorithm,
            qop: h.qop,
            nc: h.nc,
            rsp,
        })
    }

    /// Records (nonce, nc) in the replay window; errors on a replay or an evicted nonce.
    /// `key` is (issue counter, issue time in ms).
    fn record(&self, key: (u64, u64), nc: u32, now_ms: u64) -> Result<(), VerifyError> {
        if nc == 0 {
            return Err(VerifyError::Replay);
        }
        let window = self.config.replay_window;
        let mut t = self.lock();
        if let Some(w) = t.nonces.get_mut(&key) {
            if nc > w.max {
                let shift = nc - w.max;
                w.bits = if shift >= 128 { 0 } else { w.bits << shift };
                w.bits |= 1;
                w.max = nc;
                return Ok(());
            }
            let d = w.max - nc;
            if d >= window || w.bits & (1u128 << d) != 0 {
                return Err(VerifyError::Replay);
            }
            w.bits |= 1u128 << d;
            return Ok(());
        }
        if t.floor.is_some_and(|f| key <= f) {
            return Err(VerifyError::Stale);
        }
        // Forget nonces that expired: they are answered stale before reaching the tracker.
        let lifetime_ms = u64::try_from(self.config.nonce_lifetime.as_millis()).unwrap_or(u64::MAX);
        let cutoff = now_ms.saturating_sub(lifetime_ms);
        while let Some((&(_, time), _)) = t.nonces.first_key_value() {
            if time >= cutoff {
                break;
            }
            t.nonces.pop_first();
        }
        t.nonces.insert(key, Window { max: nc, bits: 1 });
        while t.nonces.len() > self.config.max_tracked_nonces {
            if let Some((evicted, _)) = t.nonces.pop_first() {
                t.floor = Some(t.floor.map_or(evicted, |f| f.max(evicted)));
            }
        }
        if t.floor.is_some_and(|f| key <= f) {
            // The new entry itself was the oldest and got evicted.
            return Err(VerifyError::Stale);
        }
        Ok(())
    }

    /// Number of nonces currently tracked for replay detection (at most
    /// [`ServerConfig::max_tracked_nonces`]).
    pub fn tracked_nonces(&self) -> usize {
        self.lock().nonces.len()
    }
}
