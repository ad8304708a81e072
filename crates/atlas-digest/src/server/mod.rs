//! The server side: challenges with self-validating nonces, verification, replay window.

mod challenge;
mod config;
mod nonce;
mod store;
mod tracker;
mod verified;
mod window;

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zeroize::Zeroize;

pub use challenge::Stale;
pub use config::{
    Charset, DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW, NextNonce, NonceFormat, NonceScope, Opaque,
    QopParam, ServerConfig, StaleParam, Userhash,
};
pub use store::{CredentialStore, InMemoryCredentials, StoredSecret};
pub use verified::Verified;

use crate::absorbed::Absorbed;
use crate::compute::{self, QopInputs};
use crate::credentials::RequestFacts;
use crate::error::VerifyError;
use crate::ha2_cache::Ha2Cache;
use crate::hash::{Algorithm, Hex, Qop, base64_encode, constant_time_eq_hex, hmac_sha256, nc_hex};
use crate::header::{AuthorizationRef, DigestChallenge};
use crate::parse::ParseError;
use nonce::NonceCodec;
use tracker::{Ha1Cache, Record, Tracker};
use verified::{Joined, RspauthInputs};

/// A Digest server for one realm; `Send + Sync`, every method takes `&self`.
///
/// Implements the server side of [RFC 7616](https://www.rfc-editor.org/rfc/rfc7616): challenges
/// (section 3.3), verification (section 3.4), `Authentication-Info` (section 3.5), and the nonce and
/// replay advice of sections 5.4 and 5.5.
///
/// # Nonces
/// Self-validating: `base64(issue time ‖ counter ‖ instance tag ‖ HMAC-SHA-256 truncated)` (see
/// [`NonceFormat`] for the two sizes and the MAC strength). Freshness needs no table; only replay
/// detection keeps state, bounded by [`ServerConfig::max_tracked_nonces`].
///
/// # Time
/// The caller passes `now` to every call; the server never reads a clock. Time never goes backwards
/// inside the server: each `now` is raised to the highest seen so far, so calls from threads whose
/// clocks were read in a different order, or a clock stepped back, cannot make an expired nonce
/// fresh again (while the clock is behind, the server's time stands still). Nonces are issued at that
/// time, and a nonce dated after it is refused ([`VerifyError::BadNonce`]).
///
/// # Replay
/// Each nonce in use has a sliding window of [`ServerConfig::replay_window`] nc values (RFC 4303
/// section 3.4.3): any nc in `[highest - W + 1, highest]` is accepted once, a repeat is
/// [`VerifyError::Replay`], an older nc is [`VerifyError::Stale`]. Forgotten nonces (expired, or
/// evicted when the table is full) raise a floor: every untracked nonce at or below it is answered
/// stale, so no nonce is ever accepted twice for the same nc.
pub struct DigestServer {
    config: ServerConfig,
    codec: NonceCodec,
    counter: AtomicU32,
    /// The highest time (ms) seen in any call.
    clock: AtomicU64,
    /// (instance, tag), fixed at the first call that gives a clock.
    instance: OnceLock<(u64, u16)>,
    opaque: String,
    tracker: Mutex<Tracker>,
    /// H(A2) of recent (method, uri) pairs and their `rspauth` twins, bounded.
    ha2: Arc<Ha2Cache>,
}

/// Slots of the server's H(A2) cache (each at most [`crate::ha2_cache::MAX_INPUT`] bytes).
const HA2_SLOTS: usize = 256;

impl fmt::Debug for DigestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestServer")
            .field("config", &self.config)
            .field("secret", &"** redacted **")
            .finish_non_exhaustive()
    }
}

impl Drop for DigestServer {
    fn drop(&mut self) {
        self.codec.secret.zeroize();
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
    pub fn new(config: ServerConfig, secret: [u8; 32]) -> Self {
        let mac = hmac_sha256(
            &secret,
            &[b"atlas-digest opaque v1\0", config.realm().as_bytes()],
        );
        let opaque = base64_encode(&mac[..12]);
        DigestServer {
            codec: NonceCodec {
                secret,
                realm: config.realm().to_owned(),
                format: config.nonce_format(),
            },
            config,
            counter: AtomicU32::new(0),
            clock: AtomicU64::new(0),
            instance: OnceLock::new(),
            opaque,
            tracker: Mutex::new(Tracker::default()),
            ha2: Arc::new(Ha2Cache::new(HA2_SLOTS)),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// `now` in ms, raised to the highest time seen so far (and recorded).
    fn clock(&self, now: SystemTime) -> u64 {
        let t = millis(now);
        self.clock.fetch_max(t, Ordering::AcqRel).max(t)
    }

    /// This instance's (instance, tag); 0 and 0 when every instance's nonces are accepted.
    fn instance(&self, now_ms: u64) -> (u64, u16) {
        if self.config.nonce_scope() == NonceScope::Secret {
            return (0, 0);
        }
        *self.instance.get_or_init(|| {
            let instance = now_ms.max(1);
            (instance, self.codec.tag_of(instance))
        })
    }

    /// A fresh nonce for `now` (see [`NonceFormat`]).
    pub fn new_nonce(&self, now: SystemTime) -> String {
        let time = self.clock(now);
        let (instance, tag) = self.instance(time);
        let counter = self.counter.fetch_add(1, Ordering::Relaxed);
        self.codec.issue(time, counter, instance, tag)
    }

    fn opaque_value(&self) -> &str {
        match self.config.opaque() {
            Opaque::Send => &self.opaque,
            _ => "",
        }
    }

    /// The challenges to send with a 401 for `now`: one per configured algorithm, strongest first (each
    /// a separate `WWW-Authenticate` value), all with the same fresh nonce; [`Stale::True`] after
    /// [`VerifyError::Stale`] (see [`VerifyError::stale`]).
    pub fn challenges(&self, now: SystemTime, stale: Stale) -> Vec<String> {
        let nonce = self.new_nonce(now);
        self.config
            .algorithms()
            .iter()
            .map(|&algorithm| {
                challenge::render(&self.config, self.opaque_value(), algorithm, &nonce, stale)
            })
            .collect()
    }

    /// The typed challenge for one algorithm with a given nonce: what a client reads from the value
    /// [`DigestServer::challenges`] renders (with [`QopParam::Op`] a client sees no qop).
    pub fn challenge_for(
        &self,
        algorithm: Algorithm,
        nonce: String,
        stale: Stale,
    ) -> DigestChallenge {
        challenge::typed(&self.config, self.opaque_value(), algorithm, nonce, stale)
    }

    fn lock(&self) -> MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Verifies an `Authorization` value for the request described by `req` at time `now`.
    ///
    /// Checks, in order: syntax, realm, algorithm, qop, `uri` against `req.uri` (the same resource, in
    /// origin or absolute form, as Apache matches it), opaque, the nonce's shape, the user (resolving
    /// `userhash`), the nonce's MAC and date, the response (constant-time), then -- only for otherwise
    /// correct credentials, as RFC 7616 asks -- the nonce's age and instance ([`VerifyError::Stale`])
    /// and the replay window. On success returns the username and what `Authentication-Info` needs.
    pub fn verify<S: CredentialStore + ?Sized>(
        &self,
        authorization: &str,
        req: &RequestFacts<'_>,
        now: SystemTime,
        store: &S,
    ) -> Result<Verified, VerifyError> {
        let h = AuthorizationRef::parse(authorization)?;
        let cfg = &self.config;
        if h.realm != cfg.realm() {
            return Err(VerifyError::RealmMismatch);
        }
        if !cfg.algorithms().contains(&h.algorithm) {
            return Err(VerifyError::AlgorithmNotOffered);
        }
        if !challenge::accepts_qop(cfg, h.qop) {
            return Err(VerifyError::QopNotOffered);
        }
        if h.qop == Some(Qop::AuthInt) && req.body.is_none() {
            return Err(VerifyError::BodyRequired);
        }
        if !crate::target::same_resource(&h.uri, req.uri) {
            return Err(VerifyError::UriMismatch);
        }
        let opaque_ok = match cfg.opaque() {
            Opaque::Send => h.opaque.as_deref() == Some(self.opaque.as_str()),
            _ => h.opaque.as_deref().is_none_or(str::is_empty),
        };
        if !opaque_ok {
            return Err(VerifyError::OpaqueMismatch);
        }
        if h.nc == Some(0) {
            return Err(VerifyError::Malformed(ParseError::semantic(
                authorization.len(),
                "`nc` of at least 00000001",
            )));
        }
        let raw = self.codec.decode(&h.nonce).ok_or(VerifyError::BadNonce)?;
        let now_ms = self.clock(now);
        let (instance, tag) = self.instance(now_ms);
        // A nonce of another instance cannot be authenticated here: answered stale if the
        // credentials are right, never accepted.
        let foreign = raw.tag() != tag;

        let username = if h.userhash {
            if cfg.userhash() != Userhash::Offered {
                return Err(VerifyError::UserhashNotOffered);
            }
            store
                .resolve_userhash(&h.username, cfg.realm(), h.algorithm)
                .ok_or(VerifyError::UnknownUser)?
        } else {
            h.username.into_owned()
        };
        let secret = store
            .lookup_borrowed(&username, cfg.realm())
            .ok_or(VerifyError::UnknownUser)?;
        let cnonce = h.cnonce.as_deref().unwrap_or_default();
        let mut known = if foreign {
            None
        } else {
            Some(
                self.lock()
                    .lookup(&raw, &username, h.algorithm, &secret, cnonce),
            )
        };
        if let Some(k) = &known {
            if !k.authentic && !self.codec.authentic(&raw, instance) {
                return Err(VerifyError::BadNonce);
            }
            if raw.key().time > now_ms {
                return Err(VerifyError::BadNonce);
            }
        }
        let base = match known.as_ref().and_then(|k| k.base) {
            Some(b) => b,
            None => match &*secret {
                StoredSecret::Password(p) => {
                    compute::ha1_base(h.algorithm, &username, cfg.realm(), p)
                }
                StoredSecret::Ha1 { algorithm, hex } => {
                    if algorithm.base() != h.algorithm.base() {
                        return Err(VerifyError::StoredSecretMismatch);
                    }
                    Hex::parse(hex.trim(), h.algorithm.hex_len())
                        .ok_or(VerifyError::StoredSecretMismatch)?
                }
            },
        };
        let nc8 = nc_hex(h.nc.unwrap_or(0));
        let inputs = h.qop.map(|qop| QopInputs {
            qop,
            nc: &nc8,
            cnonce,
        });
        let (ha2, rspauth_ha2) =
            compute::ha2(&self.ha2, h.algorithm, h.qop, req.method, &h.uri, req.body);
        // The hash state up to H(A2) for an H(A1): the response finishes it with `ha2`, and
        // `rspauth` (in `Verified`) with its own H(A2).
        let state_for = |prefix: &Absorbed| compute::request_state(prefix, inputs);
        let session = known.as_ref().and_then(|k| k.session);
        let mut ha1 = match session {
            Some(s) => s,
            None => compute::session_ha1(h.algorithm, &base, &h.nonce, cnonce),
        };
        // A prefix cached for the nonce is continued in place; a fresh one is also kept for the
        // tracker.
        let mut prefix = None;
        let mut state = match known.as_mut().and_then(|k| k.prefix.take()) {
            Some(cached) => compute::request_state_from(cached, inputs),
            None => {
                let fresh = compute::nonce_prefix(h.algorithm, &ha1, &h.nonce);
                let state = state_for(&fresh);
                prefix = Some(fresh);
                state
            }
        };
        let mut ok = constant_time_eq_hex(
            compute::finish(&state, &ha2).as_bytes(),
            h.response.as_bytes(),
        );
        if !ok && h.algorithm.is_session() {
            // RFC 7616 section 3.4.2 clients keep the H(A1) of the first request on the nonce while
            // sending fresh cnonces.
            if let Some(first) = known.as_ref().and_then(|k| k.first_session) {
                let fresh = compute::nonce_prefix(h.algorithm, &first, &h.nonce);
                state = state_for(&fresh);
                prefix = Some(fresh);
                ok = constant_time_eq_hex(
                    compute::finish(&state, &ha2).as_bytes(),
                    h.response.as_bytes(),
                );
                ha1 = first;
            }
        }
        if !ok {
            return Err(VerifyError::WrongResponse);
        }
        if foreign {
            return Err(VerifyError::Stale);
        }
        let age = Duration::from_millis(now_ms.saturating_sub(raw.key().time));
        if age > cfg.nonce_lifetime() {
            return Err(VerifyError::Stale);
        }
        let lifetime_ms = u64::try_from(cfg.nonce_lifetime().as_millis()).unwrap_or(u64::MAX);
        let record = {
            let mut t = self.lock();
            t.prune(now_ms.saturating_sub(lifetime_ms));
            t.record(
                &raw,
                h.nc,
                cfg.replay_window(),
                cfg.max_tracked_nonces(),
                || Ha1Cache {
                    username: username.clone(),
                    algorithm: h.algorithm,
                    secret: secret.clone().into_owned(),
                    base,
                    session: h.algorithm.is_session().then(|| (cnonce.to_owned(), ha1)),
                    // Called only when no H(A1) is cached for the nonce: nearly always when the
                    // prefix is fresh; if the cached one was evicted meanwhile, absorbed again.
                    prefix: prefix
                        .unwrap_or_else(|| compute::nonce_prefix(h.algorithm, &ha1, &h.nonce)),
                },
            )
        };
        match record {
            Record::Accepted => {}
            Record::Replay => return Err(VerifyError::Replay),
            Record::Stale => return Err(VerifyError::Stale),
        }
        let renew = match cfg.next_nonce() {
            NextNonce::Never => false,
            NextNonce::Always => true,
            NextNonce::After(after) => age >= after,
            NextNonce::HalfLifetime => age >= cfg.nonce_lifetime() / 2,
        };
        let nextnonce = renew.then(|| self.new_nonce(now));
        // The uri is read again only for an `auth-int` `rspauth` (its H(A2) covers the response
        // body); every other `rspauth` has its H(A2) already.
        let rsp_uri = if rspauth_ha2.is_none() { &*h.uri } else { "" };
        let buf = Joined::new([&h.nonce, cnonce, rsp_uri]);
        Ok(Verified {
            username,
            algorithm: h.algorithm,
            qop: h.qop,
            nc: h.nc,
            rsp: RspauthInputs {
                state,
                ha2: rspauth_ha2,
                buf,
                nonce_len: h.nonce.len(),
                cnonce_len: cnonce.len(),
                nextnonce,
            },
            opaque_sent: h.opaque.is_some(),
            userhash_sent: h.userhash,
        })
    }

    /// Number of nonces currently tracked for replay detection (at most
    /// [`ServerConfig::max_tracked_nonces`]).
    pub fn tracked_nonces(&self) -> usize {
        self.lock().len()
    }
}
