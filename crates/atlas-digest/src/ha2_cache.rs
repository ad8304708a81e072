//! [`Ha2Cache`]: `H(A2) = H(method ":" uri)` does not depend on the nonce, so it is kept in a small,
//! bounded cache (the client repeats its URIs), together with `rspauth`'s `H(":" uri)` (the same
//! function with an empty method): one lookup per request yields both ([`Ha2Pair`]). Each key has
//! two candidate slots (from two parts of its hash): it is looked for in both and goes into a free
//! one, else replaces its second, so two hot keys that share one slot do not evict each other.
//! `qop=auth-int`'s H(A2) covers the body and is never cached.
//!
//! Thread-safe without contention on the hot path: each slot has its own lock, taken with
//! `try_lock`; a request that finds its slot busy hashes without the cache instead of waiting.
//! Memory is bounded: a fixed number of slots, each holding one input of at most [`MAX_INPUT`]
//! bytes (longer inputs are hashed every time), whatever the URIs a peer sends.

use std::fmt;
use std::sync::Mutex;

use crate::hash::{Algorithm, Hex, hash_hex};

/// The longest `method ":" uri` kept in a slot.
pub(crate) const MAX_INPUT: usize = 1024;

/// The H(A2) of a request and that of its `rspauth` (`H(":" uri)`).
#[derive(Clone, Copy)]
pub(crate) struct Ha2Pair {
    pub(crate) request: Hex,
    pub(crate) rspauth: Hex,
}

#[derive(Default)]
struct Slot {
    /// The hash function (`Algorithm::base`), `None` while empty.
    algorithm: Option<Algorithm>,
    /// `method ":" uri`, exactly the bytes of the request's H(A2).
    input: String,
    /// Where the method ends in `input` (the rspauth half hashes what follows it).
    method_len: usize,
    pair: Option<Ha2Pair>,
}

impl Slot {
    fn holds(&self, algorithm: Algorithm, method: &str, uri: &str) -> Option<Ha2Pair> {
        let m = method.len();
        let i = self.input.as_bytes();
        let hit = self.algorithm == Some(algorithm)
            && self.method_len == m
            && i.len() == m + 1 + uri.len()
            && &i[..m] == method.as_bytes()
            && &i[m + 1..] == uri.as_bytes();
        if hit { self.pair } else { None }
    }
}

/// A bounded cache of `H(method ":" uri)` per hash function.
pub(crate) struct Ha2Cache {
    slots: Box<[Mutex<Slot>]>,
}

impl fmt::Debug for Ha2Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ha2Cache")
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

/// Slot index: a multiply mix over 8-byte words in four independent lanes, so the multiplies
/// overlap (not a defence against chosen collisions, which only cost cache misses: the slot count
/// bounds memory whatever the inputs). Every load is a whole word: the tail of the URI is its last
/// 8 bytes (overlapping the previous word), a short method or URI is folded in byte by byte.
fn mix(algorithm: Algorithm, method: &[u8], uri: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    #[inline(always)]
    fn word8(w: &[u8]) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&w[..8]);
        u64::from_le_bytes(b)
    }
    #[inline(always)]
    fn short(w: &[u8]) -> u64 {
        w.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    }
    #[inline(always)]
    fn step(lane: &mut u64, w: u64) {
        *lane = (*lane ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut lanes = [
        u64::from(algorithm.strength()),
        method.len() as u64,
        uri.len() as u64,
        0x243f_6a88_85a3_08d3,
    ];
    if method.len() >= 8 {
        for w in method.chunks_exact(8) {
            step(&mut lanes[3], word8(w));
        }
        step(&mut lanes[3], word8(&method[method.len() - 8..]));
    } else {
        step(&mut lanes[3], short(method));
    }
    if uri.len() >= 8 {
        let mut quads = uri.chunks_exact(32);
        for q in &mut quads {
            for (lane, w) in lanes.iter_mut().zip(q.chunks_exact(8)) {
                step(lane, word8(w));
            }
        }
        for (lane, w) in lanes.iter_mut().zip(quads.remainder().chunks_exact(8)) {
            step(lane, word8(w));
        }
        step(&mut lanes[0], word8(&uri[uri.len() - 8..]));
    } else {
        step(&mut lanes[0], short(uri));
    }
    let h =
        (lanes[0] ^ lanes[1].rotate_left(16) ^ lanes[2].rotate_left(32) ^ lanes[3].rotate_left(48))
            .wrapping_mul(K);
    h ^ (h >> 31)
}

impl Ha2Cache {
    /// A cache of `slots` entries (rounded up to a power of two, at least 1).
    pub(crate) fn new(slots: usize) -> Ha2Cache {
        let n = slots.max(1).next_power_of_two();
        Ha2Cache {
            slots: (0..n).map(|_| Mutex::default()).collect(),
        }
    }

    /// `H(method ":" uri)` and `H(":" uri)` with `algorithm`'s hash function, from the cache or
    /// computed (and kept).
    pub(crate) fn get(&self, algorithm: Algorithm, method: &str, uri: &str) -> Ha2Pair {
        let algorithm = algorithm.base();
        let compute = || Ha2Pair {
            request: hash_hex(algorithm, &[method.as_bytes(), uri.as_bytes()]),
            rspauth: hash_hex(algorithm, &[b"", uri.as_bytes()]),
        };
        if method.len() + 1 + uri.len() > MAX_INPUT {
            return compute();
        }
        let h = mix(algorithm, method.as_bytes(), uri.as_bytes());
        let mask = self.slots.len() - 1;
        let first = (h as usize) & mask;
        // Another slot than `first` (when there are two or more).
        let second = (first + 1 + ((h >> 32) as usize) % mask.max(1)) & mask;
        // A busy slot (another request on it) or a poisoned one is skipped, never waited on.
        let mut free = None;
        for at in [first, second] {
            if let Ok(slot) = self.slots[at].try_lock() {
                if let Some(hit) = slot.holds(algorithm, method, uri) {
                    return hit;
                }
                if slot.algorithm.is_none() && free.is_none() {
                    free = Some(at);
                }
            }
            if first == second {
                break;
            }
        }
        let value = compute();
        if let Ok(mut slot) = self.slots[free.unwrap_or(second)].try_lock() {
            slot.algorithm = Some(algorithm);
            slot.input.clear();
            slot.input.push_str(method);
            slot.input.push(':');
            slot.input.push_str(uri);
            slot.method_len = method.len();
            slot.pair = Some(value);
        }
        value
    }

    /// Number of slots.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// (Entries held, bytes of input held.)
    #[cfg(test)]
    pub(crate) fn held(&self) -> (usize, usize) {
        self.slots
            .iter()
            .filter_map(|s| s.lock().ok())
            .filter(|s| s.algorithm.is_some())
            .fold((0, 0), |(n, b), s| (n + 1, b + s.input.capacity()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_misses_and_bounds() {
        let c = Ha2Cache::new(5);
        assert_eq!(c.capacity(), 8);
        for alg in Algorithm::ALL {
            for i in 0..100 {
                let uri = format!("/r/{i}");
                for method in ["GET", ""] {
                    let want = hash_hex(alg, &[method.as_bytes(), uri.as_bytes()]);
                    let rsp = hash_hex(alg, &[b"", uri.as_bytes()]);
                    // Twice: once computed, once (usually) from the cache; always the same value.
                    for _ in 0..2 {
                        let got = c.get(alg, method, &uri);
                        assert_eq!(got.request.as_str(), want.as_str());
                        assert_eq!(got.rspauth.as_str(), rsp.as_str());
                    }
                }
            }
        }
        let (n, bytes) = c.held();
        assert!(
            n <= 8 && bytes <= 8 * MAX_INPUT,
            "{n} entries, {bytes} bytes"
        );
        // Same joined bytes, same H(A2), but not the same rspauth half: ("a:b", "c") and
        // ("a", "b:c") are two keys.
        let (x, y) = (
            c.get(Algorithm::Md5, "a:b", "c"),
            c.get(Algorithm::Md5, "a", "b:c"),
        );
        assert_eq!(x.request.as_str(), y.request.as_str());
        assert_eq!(
            x.rspauth.as_str(),
            hash_hex(Algorithm::Md5, &[b"", b"c"]).as_str()
        );
        assert_eq!(
            y.rspauth.as_str(),
            hash_hex(Algorithm::Md5, &[b"", b"b:c"]).as_str()
        );
        // Long inputs are never kept.
        let long = "x".repeat(MAX_INPUT);
        let c = Ha2Cache::new(1);
        let want = hash_hex(Algorithm::Sha256, &[b"GET", long.as_bytes()]);
        assert_eq!(
            c.get(Algorithm::Sha256, "GET", &long).request.as_str(),
            want.as_str()
        );
        assert_eq!(c.held(), (0, 0));
    }

    #[test]
    fn two_keys_that_share_a_slot_both_stay() {
        // Two methods on one URI, in caches of 2 to 16 slots: after both are looked up once both
        // are held (each key's two slots differ, so the second key always finds one).
        for slots in [2usize, 4, 16] {
            for i in 0..200 {
                let uri =
                    format!("/api/atlas/v1.0/groups/{i:024x}/clusters/c0/backup/tenant/snapshots");
                let c = Ha2Cache::new(slots);
                c.get(Algorithm::Md5, "GET", &uri);
                c.get(Algorithm::Md5, "POST", &uri);
                let before = c.held();
                // Hits change nothing.
                c.get(Algorithm::Md5, "GET", &uri);
                c.get(Algorithm::Md5, "POST", &uri);
                assert_eq!(c.held(), before);
                assert_eq!(before.0, 2, "{slots} slots, uri {i}");
            }
        }
    }

    /// Threads hammering a few keys in a cache smaller than the key set: on every interleaving each
    /// lookup returns exactly the from-scratch value, and the cache stays within its slots.
    #[test]
    fn concurrent_lookups_always_return_the_right_value() {
        let c = std::sync::Arc::new(Ha2Cache::new(4));
        let keys: Vec<(Algorithm, &str, String)> = (0..6)
            .flat_map(|i| {
                [
                    (Algorithm::Md5, "GET", format!("/k/{i}")),
                    (Algorithm::Sha256, "", format!("/k/{i}")),
                ]
            })
            .collect();
        let keys = std::sync::Arc::new(keys);
        let threads: Vec<_> = (0..6)
            .map(|t| {
                let (c, keys) = (c.clone(), keys.clone());
                std::thread::spawn(move || {
                    for i in 0..3000 {
                        let (alg, m, u) = &keys[(i * 7 + t) % keys.len()];
                        let want = hash_hex(*alg, &[m.as_bytes(), u.as_bytes()]);
                        assert_eq!(c.get(*alg, m, u).request.as_str(), want.as_str());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (n, _) = c.held();
        assert!(n <= c.capacity());
    }

    #[test]
    fn a_busy_slot_is_bypassed_not_waited_on() {
        let c = Ha2Cache::new(1);
        let _held = c.slots[0].lock().unwrap();
        let want = hash_hex(Algorithm::Md5, &[b"GET", b"/x"]);
        assert_eq!(
            c.get(Algorithm::Md5, "GET", "/x").request.as_str(),
            want.as_str()
        );
    }
}
