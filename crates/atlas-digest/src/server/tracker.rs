//! Per-nonce state with bounded memory: the replay window, the cached MAC check and the cached H(A1),
//! and the floor below which every untracked nonce is answered stale.

use std::collections::BTreeMap;

use zeroize::Zeroize;

use crate::absorbed::Absorbed;
use crate::hash::{Algorithm, Hex, constant_time_eq};
use crate::server::nonce::{NonceKey, RawNonce};
use crate::server::store::StoredSecret;
use crate::server::window::{Verdict, Window};

/// What the tracker says about recording an nc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Record {
    Accepted,
    Replay,
    /// Too old for the window, or the nonce was forgotten (pruned or evicted): answer stale.
    Stale,
}

/// H(A1) computed for one user on one nonce, with the secret it was computed from (so that a changed
/// password or H(A1) in the store is noticed at once).
pub(crate) struct Ha1Cache {
    pub(crate) username: String,
    pub(crate) algorithm: Algorithm,
    pub(crate) secret: StoredSecret,
    /// H(username:realm:password).
    pub(crate) base: Hex,
    /// For `-sess`: the cnonce of the first request on the nonce and the session H(A1) it gave.
    pub(crate) session: Option<(String, Hex)>,
    /// `H(A1) ":" nonce ":"` absorbed with the H(A1) in use (`base`, or for `-sess` the session's).
    /// The nonce's text is canonical (whole base64 groups, no padding), so the tracked bytes stand
    /// for exactly one nonce string.
    pub(crate) prefix: Absorbed,
}

impl Drop for Ha1Cache {
    fn drop(&mut self) {
        self.base.zeroize();
        if let Some((c, h)) = &mut self.session {
            c.zeroize();
            h.zeroize();
        }
    }
}

struct Entry {
    raw: RawNonce,
    window: Option<Window>,
    ha1: Option<Box<Ha1Cache>>,
}

/// What a lookup found for a nonce.
pub(crate) struct Known {
    /// The nonce is tracked with exactly these bytes: its MAC was checked when it was first tracked.
    pub(crate) authentic: bool,
    /// The cached H(A1) base and session H(A1) (when `cnonce` matched the cached one), if the cached
    /// user, algorithm and secret are the ones of this request.
    pub(crate) base: Option<Hex>,
    pub(crate) session: Option<Hex>,
    /// The absorbed `H(A1) ":" nonce ":"` of `base` (plain algorithms) or `session` (`-sess`).
    pub(crate) prefix: Option<Absorbed>,
    /// For `-sess`: the session H(A1) cached for another cnonce (RFC 7616 clients that keep H(A1) but
    /// vary the cnonce).
    pub(crate) first_session: Option<Hex>,
}

#[derive(Default)]
pub(crate) struct Tracker {
    nonces: BTreeMap<NonceKey, Entry>,
    /// Every nonce at or below this key that is not tracked was pruned or evicted: answer stale.
    floor: Option<NonceKey>,
}

impl Tracker {
    pub(crate) fn len(&self) -> usize {
        self.nonces.len()
    }

    fn raise_floor(&mut self, key: NonceKey) {
        self.floor = Some(self.floor.map_or(key, |f| f.max(key)));
    }

    /// True if an untracked nonce with this key must be answered stale.
    pub(crate) fn below_floor(&self, key: NonceKey) -> bool {
        self.floor.is_some_and(|f| key <= f)
    }

    /// Forgets nonces issued before `cutoff_ms` (they are expired), raising the floor past them.
    pub(crate) fn prune(&mut self, cutoff_ms: u64) {
        while let Some((&key, _)) = self.nonces.first_key_value() {
            if key.time >= cutoff_ms {
                break;
            }
            self.nonces.pop_first();
            self.raise_floor(key);
        }
    }

    /// What is cached for this nonce and user.
    pub(crate) fn lookup(
        &self,
        raw: &RawNonce,
        username: &str,
        algorithm: Algorithm,
        secret: &StoredSecret,
        cnonce: &str,
    ) -> Known {
        let mut known = Known {
            authentic: false,
            base: None,
            session: None,
            prefix: None,
            first_session: None,
        };
        let Some(e) = self.nonces.get(&raw.key()) else {
            return known;
        };
        known.authentic = constant_time_eq(e.raw.as_slice(), raw.as_slice());
        if !known.authentic {
            return known;
        }
        if let Some(c) = &e.ha1 {
            if c.algorithm == algorithm && c.username == username && c.secret.ct_eq(secret) {
                known.base = Some(c.base);
                match &c.session {
                    Some((first, h)) if first == cnonce => {
                        known.session = Some(*h);
                        known.prefix = Some(c.prefix.clone());
                    }
                    Some((_, h)) => known.first_session = Some(*h),
                    None => known.prefix = Some(c.prefix.clone()),
                }
            }
        }
        known
    }

    /// Records `nc` (or, for RFC 2069 credentials, `None`) for an authenticated nonce, tracking it if
    /// new (evicting the oldest beyond `max`), and caches `ha1` if none is cached yet.
    pub(crate) fn record(
        &mut self,
        raw: &RawNonce,
        nc: Option<u32>,
        window: u32,
        max: usize,
        ha1: impl FnOnce() -> Ha1Cache,
    ) -> Record {
        let key = raw.key();
        if let Some(e) = self.nonces.get_mut(&key) {
            let verdict = match (nc, &mut e.window) {
                (Some(nc), Some(w)) => match w.check(nc, window) {
                    Verdict::Accepted => Record::Accepted,
                    Verdict::Replay => Record::Replay,
                    Verdict::TooOld => Record::Stale,
                },
                (Some(nc), None) => {
                    e.window = Some(Window::starting_at(nc));
                    Record::Accepted
                }
                (None, _) => Record::Accepted,
            };
            if verdict == Record::Accepted && e.ha1.is_none() {
                e.ha1 = Some(Box::new(ha1()));
            }
            return verdict;
        }
        if self.below_floor(key) {
            return Record::Stale;
        }
        self.nonces.insert(
            key,
            Entry {
                raw: *raw,
                window: nc.map(Window::starting_at),
                ha1: Some(Box::new(ha1())),
            },
        );
        while self.nonces.len() > max {
            if let Some((evicted, _)) = self.nonces.pop_first() {
                self.raise_floor(evicted);
            }
        }
        if self.below_floor(key) {
            // The new entry itself was the oldest and got evicted.
            return Record::Stale;
        }
        Record::Accepted
    }
}
