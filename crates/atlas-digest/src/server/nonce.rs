//! Self-validating nonces: layout, issuing and opening.
//!
//! ```text
//! raw   = time (6 bytes, ms since the epoch, big-endian) ‖ counter (4) ‖ tag (2) ‖ MAC (12 or 24)
//! MAC   = HMAC-SHA-256(secret, "atlas-digest nonce v3" 0 ‖ realm 0 ‖ time ‖ counter ‖ tag ‖ instance)
//! nonce = base64(raw)      (32 or 48 characters, alphabet with `+` and `/`, no padding)
//! ```
//!
//! `instance` is the 64-bit instance value (the time of the server's first clocked call, or 0 when
//! every instance sharing the secret is accepted); `tag` is 16 bits derived from it. Only the tag
//! travels: a nonce whose tag is not this instance's cannot be authenticated here and is answered
//! stale; a nonce whose tag collides with this instance's but that another instance issued fails
//! the MAC (the full instance is in it) and is refused. Either way it is never accepted.

use crate::hash::{B64_DECODE, base64_encode, hmac_sha256};
use crate::server::config::NonceFormat;

/// Bytes before the MAC.
const HEADER: usize = 12;
/// Longest raw nonce.
pub(crate) const MAX_RAW: usize = HEADER + 24;

/// The identity and issue order of a nonce: (issue time in ms, counter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NonceKey {
    pub(crate) time: u64,
    pub(crate) counter: u32,
}

/// A decoded nonce (not yet authenticated).
#[derive(Clone, Copy)]
pub(crate) struct RawNonce {
    pub(crate) bytes: [u8; MAX_RAW],
    pub(crate) len: usize,
}

impl RawNonce {
    pub(crate) fn key(&self) -> NonceKey {
        let b = &self.bytes;
        let time = u64::from_be_bytes([0, 0, b[0], b[1], b[2], b[3], b[4], b[5]]);
        let counter = u32::from_be_bytes([b[6], b[7], b[8], b[9]]);
        NonceKey { time, counter }
    }

    pub(crate) fn tag(&self) -> u16 {
        u16::from_be_bytes([self.bytes[10], self.bytes[11]])
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn mac(&self) -> &[u8] {
        &self.bytes[HEADER..self.len]
    }
}

pub(crate) fn mac_len(format: NonceFormat) -> usize {
    match format {
        NonceFormat::Base64x32 => 12,
        _ => 24,
    }
}

/// The keyed parts of nonce creation and checking.
pub(crate) struct NonceCodec {
    pub(crate) secret: [u8; 32],
    pub(crate) realm: String,
    pub(crate) format: NonceFormat,
}

impl NonceCodec {
    fn mac(&self, header: &[u8], instance: u64) -> [u8; 32] {
        hmac_sha256(
            &self.secret,
            &[
                b"atlas-digest nonce v3\0",
                self.realm.as_bytes(),
                b"\0",
                header,
                &instance.to_be_bytes(),
            ],
        )
    }

    /// The 16-bit tag that travels in nonces of `instance`.
    pub(crate) fn tag_of(&self, instance: u64) -> u16 {
        if instance == 0 {
            return 0;
        }
        let m = hmac_sha256(
            &self.secret,
            &[b"atlas-digest instance tag\0", &instance.to_be_bytes()],
        );
        u16::from_be_bytes([m[0], m[1]])
    }

    /// A nonce issued at `time` (ms) with `counter`, for `instance` (whose tag is `tag`).
    pub(crate) fn issue(&self, time: u64, counter: u32, instance: u64, tag: u16) -> String {
        let mut raw = [0u8; MAX_RAW];
        raw[..6].copy_from_slice(&time.to_be_bytes()[2..]);
        raw[6..10].copy_from_slice(&counter.to_be_bytes());
        raw[10..12].copy_from_slice(&tag.to_be_bytes());
        let len = HEADER + mac_len(self.format);
        let mac = self.mac(&raw[..HEADER], instance);
        raw[HEADER..len].copy_from_slice(&mac[..len - HEADER]);
        base64_encode(&raw[..len])
    }

    /// Decodes a nonce of this server's format (`None`: not one of ours in shape).
    pub(crate) fn decode(&self, nonce: &str) -> Option<RawNonce> {
        let len = HEADER + mac_len(self.format);
        if nonce.len() != len / 3 * 4 {
            return None;
        }
        let mut bytes = [0u8; MAX_RAW];
        decode_groups(nonce.as_bytes(), &mut bytes[..len]).then_some(RawNonce { bytes, len })
    }

    /// True if the MAC of `raw` is right for `instance` (constant time).
    pub(crate) fn authentic(&self, raw: &RawNonce, instance: u64) -> bool {
        let mac = self.mac(&raw.bytes[..HEADER], instance);
        crate::hash::constant_time_eq(&mac[..raw.len - HEADER], raw.mac())
    }
}

/// Decodes base64 made of whole groups only (`input` is `out.len() / 3 * 4` characters, no `=`: the
/// shape of every nonce we issue) into `out`; false if any character is outside the alphabet
/// (`=` included). What the general `base64_decode_into` gives for such input, without its padding
/// logic: a nonce of the right length with padding decodes to fewer bytes there and is refused.
#[inline]
fn decode_groups(input: &[u8], out: &mut [u8]) -> bool {
    let mut bad = 0u8;
    for (g, d) in input.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let v = |i: usize| B64_DECODE[usize::from(g[i])];
        let (a, b, c, e) = (v(0), v(1), v(2), v(3));
        bad |= a | b | c | e;
        let n = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(e);
        d[0] = (n >> 16) as u8;
        d[1] = (n >> 8) as u8;
        d[2] = n as u8;
    }
    // Valid characters decode to 0..=63; only the 0xff of an invalid one sets the high bit.
    bad & 0x80 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(format: NonceFormat) -> NonceCodec {
        NonceCodec {
            secret: [3; 32],
            realm: "r".into(),
            format,
        }
    }

    #[test]
    fn layout_and_round_trip() {
        for (format, chars) in [(NonceFormat::Base64x32, 32), (NonceFormat::Base64x48, 48)] {
            let c = codec(format);
            let tag = c.tag_of(77);
            let n = c.issue(1_700_000_000_123, 0xdead_beef, 77, tag);
            assert_eq!(n.len(), chars);
            assert!(!n.contains('='));
            let raw = c.decode(&n).unwrap();
            assert_eq!(
                raw.key(),
                NonceKey {
                    time: 1_700_000_000_123,
                    counter: 0xdead_beef
                }
            );
            assert_eq!(raw.tag(), tag);
            assert!(c.authentic(&raw, 77));
            assert!(!c.authentic(&raw, 78), "the full instance is in the MAC");
            // Every single-bit change is detected.
            for i in 0..raw.len {
                for bit in 0..8 {
                    let mut t = raw;
                    t.bytes[i] ^= 1 << bit;
                    assert!(!c.authentic(&t, 77), "byte {i} bit {bit}");
                }
            }
            // The other format's nonces are not ours.
            let other = codec(if chars == 32 {
                NonceFormat::Base64x48
            } else {
                NonceFormat::Base64x32
            });
            assert!(c.decode(&other.issue(1, 1, 77, tag)).is_none());
        }
    }

    /// The whole-group decoder accepts and decodes exactly what the general one does for input
    /// of a nonce's length: same bytes, or both refuse (padding, characters outside the alphabet).
    #[test]
    fn whole_group_decoding_agrees_with_the_general_decoder() {
        use proptest::prelude::*;
        let general = |s: &[u8], len: usize| {
            let mut out = [0u8; MAX_RAW];
            crate::hash::base64_decode_into(s, &mut out)
                .filter(|&n| n == len)
                .map(|_| out[..len].to_vec())
        };
        let ours = |s: &[u8], len: usize| {
            let mut out = [0u8; MAX_RAW];
            decode_groups(s, &mut out[..len]).then(|| out[..len].to_vec())
        };
        let mut runner = proptest::test_runner::TestRunner::default();
        for chars in [32usize, 48] {
            let len = chars / 4 * 3;
            let text =
                proptest::string::string_regex(&format!("[A-Za-z0-9+/]{{{chars}}}")).unwrap();
            let edits = proptest::collection::vec(
                (
                    0..chars,
                    prop_oneof![
                        Just(b'='),
                        Just(b'-'),
                        Just(b'_'),
                        Just(0u8),
                        Just(0x80u8),
                        Just(0xffu8),
                        any::<u8>()
                    ],
                ),
                0..3,
            );
            runner
                .run(&(text, edits), |(t, edits)| {
                    let mut b = t.into_bytes();
                    for (at, c) in edits {
                        b[at] = c;
                    }
                    prop_assert_eq!(ours(&b, len), general(&b, len));
                    Ok(())
                })
                .unwrap();
            // Trailing padding in place of the last characters: refused by both.
            let mut b = vec![b'A'; chars];
            b[chars - 1] = b'=';
            assert_eq!(ours(&b, len), None);
            b[chars - 2] = b'=';
            assert_eq!(ours(&b, len), general(&b, len));
        }
    }

    #[test]
    fn the_alphabet_has_plus_and_slash() {
        let c = codec(NonceFormat::Base64x32);
        let mut seen_plus = false;
        let mut seen_slash = false;
        for i in 0..2000 {
            let n = c.issue(i, i as u32, 1, 2);
            seen_plus |= n.contains('+');
            seen_slash |= n.contains('/');
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
            );
        }
        assert!(seen_plus && seen_slash);
    }
}
