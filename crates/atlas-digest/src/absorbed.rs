//! A hash function's state after absorbing a prefix ([`Absorbed`]): the messages a request hashes
//! begin alike (`H(A1) ":" nonce ":"` for every request on a nonce, then `nc ":" cnonce ":" qop ":"`
//! for both the response and `rspauth`), so the blocks of the common prefix are compressed once and
//! the state is cloned for each message that continues it.

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

use crate::hash::{Algorithm, Hex, Qop, hex_into};

/// A hash state with some input absorbed (whole blocks compressed, the rest buffered).
///
/// The state is as secret as the H(A1) it absorbed (with it anyone can finish a response for the
/// nonce), so it is wiped on drop: overwritten with a fresh state, the write kept through
/// [`std::hint::black_box`] (the crate forbids `unsafe`, and the RustCrypto 0.10 hashers do not
/// implement `Zeroize`). `Debug` shows the algorithm only.
///
/// SHA-512/256's state (with its 128-byte block buffer) is boxed so that the common MD5 and
/// SHA-256 states, moved and copied on every request, stay about 100 bytes.
#[derive(Clone)]
pub(crate) enum Absorbed {
    Md5(Md5),
    Sha256(Sha256),
    Sha512_256(Box<Sha512_256>),
}

impl std::fmt::Debug for Absorbed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Absorbed::Md5(_) => "MD5",
            Absorbed::Sha256(_) => "SHA-256",
            Absorbed::Sha512_256(_) => "SHA-512-256",
        };
        write!(f, "Absorbed({name}, ** redacted **)")
    }
}

impl Drop for Absorbed {
    fn drop(&mut self) {
        match self {
            Absorbed::Md5(h) => *h = Md5::new(),
            Absorbed::Sha256(h) => *h = Sha256::new(),
            Absorbed::Sha512_256(h) => **h = Sha512_256::new(),
        }
        std::hint::black_box(&*self);
    }
}

/// The longest input joined on the stack before one `update` (longer inputs are fed part by part).
/// Per request the joined parts are `nc ":" cnonce ":" qop ":"` (a 32-character cnonce: 47 bytes).
const JOIN: usize = 128;

/// Feeds `p1 ":" p2 ":" ... pn` (and a final `":"` if `trailing`) in one `update` when it fits the
/// stack buffer: many tiny updates cost more in block-buffer bookkeeping than MD5's compression.
#[inline]
fn absorb<D: Digest>(h: &mut D, parts: &[&[u8]], trailing: bool) {
    let total = parts.iter().map(|p| p.len()).sum::<usize>() + parts.len();
    if let ([one], false) = (parts, trailing) {
        // One part (H(A2) at the end of a response): nothing to join.
        h.update(one);
    } else if total <= JOIN {
        let mut joined = [0u8; JOIN];
        let mut at = 0;
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                joined[at] = b':';
                at += 1;
            }
            joined[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        if trailing && !parts.is_empty() {
            joined[at] = b':';
            at += 1;
        }
        h.update(&joined[..at]);
    } else {
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                h.update(b":");
            }
            h.update(part);
        }
        if trailing && !parts.is_empty() {
            h.update(b":");
        }
    }
}

#[inline]
fn finish<D: Digest + Clone>(h: &D, parts: &[&[u8]]) -> Hex {
    let mut h = h.clone();
    absorb(&mut h, parts, false);
    let digest = h.finalize();
    let mut buf = [0u8; 64];
    let len = (digest.len() * 2).min(64);
    hex_into(&digest, &mut buf[..len]);
    Hex::from_parts(buf, len)
}

impl Absorbed {
    /// A state that absorbed `p1 ":" ... pn ":"` (each part followed by a colon).
    pub(crate) fn new(algorithm: Algorithm, parts: &[&[u8]]) -> Absorbed {
        match algorithm.base() {
            Algorithm::Md5 => {
                let mut h = Md5::new();
                absorb(&mut h, parts, true);
                Absorbed::Md5(h)
            }
            Algorithm::Sha256 => {
                let mut h = Sha256::new();
                absorb(&mut h, parts, true);
                Absorbed::Sha256(h)
            }
            _ => {
                let mut h = Box::new(Sha512_256::new());
                absorb(&mut *h, parts, true);
                Absorbed::Sha512_256(h)
            }
        }
    }

    /// A copy of this state that also absorbed `p1 ":" ... pn ":"`.
    pub(crate) fn extended(&self, parts: &[&[u8]]) -> Absorbed {
        let mut next = self.clone();
        match &mut next {
            Absorbed::Md5(h) => absorb(h, parts, true),
            Absorbed::Sha256(h) => absorb(h, parts, true),
            Absorbed::Sha512_256(h) => absorb(&mut **h, parts, true),
        }
        next
    }

    /// [`Absorbed::extended`] with `nc ":" cnonce ":" qop ":"`, the part every request adds: the
    /// fixed-length parts moved into one stack buffer with fixed-size copies (one variable copy,
    /// the cnonce's, instead of three), hashed in one update.
    pub(crate) fn extended_request(&self, nc: &[u8; 8], cnonce: &[u8], qop: Qop) -> Absorbed {
        const QOP_MAX: usize = "auth-int:".len();
        let end = nc.len() + 1 + cnonce.len();
        if end + 1 + QOP_MAX > JOIN {
            return self.extended(&[nc, cnonce, qop.as_str().as_bytes()]);
        }
        let mut joined = [0u8; JOIN];
        joined[..8].copy_from_slice(nc);
        joined[8] = b':';
        joined[9..end].copy_from_slice(cnonce);
        joined[end] = b':';
        let at = match qop {
            Qop::Auth => {
                joined[end + 1..end + 6].copy_from_slice(b"auth:");
                end + 6
            }
            Qop::AuthInt => {
                joined[end + 1..end + 10].copy_from_slice(b"auth-int:");
                end + 10
            }
        };
        let mut next = self.clone();
        let input = &joined[..at];
        match &mut next {
            Absorbed::Md5(h) => h.update(input),
            Absorbed::Sha256(h) => h.update(input),
            Absorbed::Sha512_256(h) => h.update(input),
        }
        next
    }

    /// This state, having also absorbed `p1 ":" ... pn ":"`: [`Absorbed::extended`] without the
    /// copy, for a state the caller owns.
    pub(crate) fn extend(mut self, parts: &[&[u8]]) -> Absorbed {
        match &mut self {
            Absorbed::Md5(h) => absorb(h, parts, true),
            Absorbed::Sha256(h) => absorb(h, parts, true),
            Absorbed::Sha512_256(h) => absorb(&mut **h, parts, true),
        }
        self
    }

    /// The hex digest of everything absorbed followed by `p1 ":" ... pn` (this state is unchanged).
    pub(crate) fn finish(&self, parts: &[&[u8]]) -> Hex {
        match self {
            Absorbed::Md5(h) => finish(h, parts),
            Absorbed::Sha256(h) => finish(h, parts),
            Absorbed::Sha512_256(h) => finish(&**h, parts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::hash_hex;

    #[test]
    fn prefix_then_finish_equals_one_hash() {
        let long = [b'x'; 400];
        for algorithm in Algorithm::ALL {
            for split in [0usize, 1, 55, 63, 64, 65, 127, 128, 200] {
                let a = &long[..split];
                let b: &[u8] = b"tail";
                let whole = hash_hex(algorithm, &[a, b"mid", b]);
                let state = Absorbed::new(algorithm, &[a]);
                assert_eq!(
                    state.extended(&[b"mid"]).finish(&[b]).as_str(),
                    whole.as_str(),
                    "{algorithm} split {split}"
                );
                assert_eq!(
                    state.clone().extend(&[b"mid"]).finish(&[b]).as_str(),
                    whole.as_str(),
                    "{algorithm} split {split}"
                );
                // Finishing leaves the state as it was.
                assert_eq!(
                    state.finish(&[b"mid", b]).as_str(),
                    whole.as_str(),
                    "{algorithm} split {split}"
                );
            }
            // Parts longer than the stack buffer go part by part.
            let big = [b'y'; JOIN + 5];
            assert_eq!(
                Absorbed::new(algorithm, &[&big]).finish(&[&big]).as_str(),
                hash_hex(algorithm, &[&big, &big]).as_str()
            );
        }
    }

    #[test]
    fn the_request_part_equals_its_parts_joined() {
        let long = "c".repeat(JOIN);
        for algorithm in Algorithm::ALL {
            let state = Absorbed::new(algorithm, &[b"ha1", b"nonce"]);
            for cnonce in [
                "",
                "0a4f113b",
                &long[..48],
                &long[..100],
                &long[..110],
                &long,
            ] {
                for qop in [Qop::Auth, Qop::AuthInt] {
                    let parts: [&[u8]; 3] =
                        [b"0000002a", cnonce.as_bytes(), qop.as_str().as_bytes()];
                    assert_eq!(
                        state
                            .extended_request(b"0000002a", cnonce.as_bytes(), qop)
                            .finish(&[b"ha2"])
                            .as_str(),
                        state.extended(&parts).finish(&[b"ha2"]).as_str(),
                        "{algorithm} {} {qop:?}",
                        cnonce.len()
                    );
                }
            }
        }
    }

    #[test]
    fn debug_redacts() {
        let s = format!("{:?}", Absorbed::new(Algorithm::Md5, &[b"secret"]));
        assert_eq!(s, "Absorbed(MD5, ** redacted **)");
    }
}
