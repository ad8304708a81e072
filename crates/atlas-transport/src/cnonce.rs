//! Client nonces: 24 random bytes, hex encoded (48 characters), from a ChaCha12 generator seeded
//! once per thread from the operating system (ChaCha12 is what `rand`'s `StdRng` uses: 12 rounds
//! keep a wide security margin, and cost 3/5 of ChaCha20's per request).
//!
//! A cnonce only has to be unpredictable and never repeat; a system call per request (what
//! `getrandom` costs) is not needed for that. Each thread seeds its own generator with 32 bytes
//! of OS randomness the first time it makes a cnonce, then draws from it ten cnonces' bytes at a
//! time (each byte handed out once): no lock, no system call, no allocation per request.

use std::cell::RefCell;

use rand_chacha::ChaCha12Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// Random bytes drawn per refill of a thread's pool: ten cnonces' worth, in one `fill_bytes`.
const POOL: usize = 10 * (CNONCE_LEN / 2);

/// A thread's generator and the random bytes drawn ahead from it (each handed out once).
struct Pool {
    rng: ChaCha12Rng,
    bytes: [u8; POOL],
    /// Bytes of `bytes` handed out (`POOL`: refill before the next cnonce).
    used: usize,
}

thread_local! {
    static RNG: RefCell<Option<Pool>> = const { RefCell::new(None) };
}

/// The cnonce length in hex digits (192 random bits). 48 rather than 32 for the hashing: the part of
/// the response that the response and `rspauth` share, `H(A1):nonce:nc:cnonce:qop:`, is then 129
/// bytes with MD5 and Atlas's 32-character nonces (and 128-151 for nonces of 31-54 characters),
/// just past two 64-byte blocks, so each of the two hashes ends in one block after the shared
/// state instead of two (3 MD5 blocks per request with `rspauth`, not 4). Without `rspauth`
/// (real Atlas sends no `Authentication-Info`) both lengths cost 2 blocks.
pub(crate) const CNONCE_LEN: usize = 48;

/// The two lower-case hex digits of every byte: one load per byte instead of two lookups.
static HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 0x0f]];
        i += 1;
    }
    t
};

/// A client nonce: [`CNONCE_LEN`] lower-case hex digits, on the stack, word-aligned so that the
/// UTF-8 check of [`Cnonce::as_str`] runs a word at a time from the first byte (unaligned, it
/// starts byte by byte: about 100 instructions instead of 60).
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub(crate) struct Cnonce([u8; CNONCE_LEN]);

impl Cnonce {
    /// A fresh cnonce; fails only if the operating system cannot seed this thread's generator.
    /// Its bytes come from the thread's pool (refilled ten cnonces at a time), written as hex
    /// straight from there.
    pub(crate) fn new() -> Result<Cnonce, getrandom::Error> {
        with_pool(|p| {
            if p.used + CNONCE_LEN / 2 > POOL {
                p.rng.fill_bytes(&mut p.bytes);
                p.used = 0;
            }
            let mut out = [0u8; CNONCE_LEN];
            let bytes = p
                .bytes
                .get(p.used..p.used + CNONCE_LEN / 2)
                .unwrap_or_default();
            for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
                pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
            }
            p.used += CNONCE_LEN / 2;
            Cnonce(out)
        })
    }

    /// The hex text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII hex digits were written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The hex text: a cnonce is no secret (it is sent in the clear).
impl std::fmt::Debug for Cnonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Cnonce").field(&self.as_str()).finish()
    }
}

/// Runs `f` on this thread's pool, seeding its generator first if needed.
fn with_pool<T>(f: impl FnOnce(&mut Pool) -> T) -> Result<T, getrandom::Error> {
    RNG.with(|cell| {
        let mut pool = cell.borrow_mut();
        let pool = match &mut *pool {
            Some(p) => p,
            None => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed)?;
                pool.insert(Pool {
                    rng: ChaCha12Rng::from_seed(seed),
                    bytes: [0; POOL],
                    used: POOL,
                })
            }
        };
        Ok(f(pool))
    })
}

/// Fills `out` from this thread's generator, seeding it first if needed.
pub(crate) fn fill(out: &mut [u8]) -> Result<(), getrandom::Error> {
    with_pool(|p| p.rng.fill_bytes(out))
}

/// A uniformly random `u64` (back-off jitter); a failing generator degrades to no jitter.
pub(crate) fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    match fill(&mut b) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => u64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn cnonces_are_48_hex_digits_and_never_repeat() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let c = Cnonce::new().unwrap();
            assert_eq!(c.as_str().len(), CNONCE_LEN);
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            );
            assert!(seen.insert(c.as_str().to_owned()));
        }
    }

    #[test]
    fn threads_draw_from_different_streams() {
        let other = std::thread::spawn(|| Cnonce::new().unwrap().as_str().to_owned())
            .join()
            .unwrap();
        let here = Cnonce::new().unwrap();
        assert_ne!(other, here.as_str());
        assert_ne!(random_u64(), random_u64());
    }
}
