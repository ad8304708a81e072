//! Algorithms, qop values, hashing into stack buffers, hex, constant-time equality,
//! HMAC-SHA-256 and base64 (all by hand, so that the crate only depends on RustCrypto hashes).

use std::fmt;
use std::str::FromStr;

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

/// A Digest `algorithm` value ([RFC 7616 section 3.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.3),
/// registry in [section 6.1](https://www.rfc-editor.org/rfc/rfc7616#section-6.1)).
///
/// Names are matched case-insensitively by [`FromStr`]; [`Algorithm::as_str`] gives the registered spelling.
/// When a challenge has no `algorithm` parameter, `MD5` is assumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5` (RFC 2617). Broken as a hash; see the crate's security considerations.
    Md5,
    /// `MD5-sess`: H(A1) additionally keyed by the server nonce and client nonce.
    Md5Sess,
    /// `SHA-256` (RFC 7616).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256`: the FIPS 180-4 SHA-512/256 function (RFC 7616, errata 4897).
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
}

impl Algorithm {
    /// Every algorithm, strongest first (the order a client prefers them in).
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Sha512_256,
        Algorithm::Sha512_256Sess,
        Algorithm::Sha256,
        Algorithm::Sha256Sess,
        Algorithm::Md5,
        Algorithm::Md5Sess,
    ];

    /// The wire name, as registered: `MD5`, `MD5-sess`, `SHA-256`, `SHA-256-sess`, `SHA-512-256`,
    /// `SHA-512-256-sess`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// True for the `-sess` variants, whose H(A1) also covers the nonce and cnonce.
    pub const fn is_session(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// The same hash function without `-sess` (for example `SHA-256` for `SHA-256-sess`).
    pub const fn base(self) -> Algorithm {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => Algorithm::Md5,
            Algorithm::Sha256 | Algorithm::Sha256Sess => Algorithm::Sha256,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => Algorithm::Sha512_256,
        }
    }

    /// Length in hex characters of a hash (32 for MD5, 64 otherwise).
    pub const fn hex_len(self) -> usize {
        match self.base() {
            Algorithm::Md5 => 32,
            _ => 64,
        }
    }

    /// Preference rank: higher is stronger. SHA-512-256 > SHA-256 > MD5; within one hash function the
    /// plain variant ranks just above `-sess` (the `-sess` H(A1) rules are implemented inconsistently by
    /// servers, and both give the same protection against an attacker who does not know the password).
    pub const fn strength(self) -> u8 {
        match self {
            Algorithm::Sha512_256 => 6,
            Algorithm::Sha512_256Sess => 5,
            Algorithm::Sha256 => 4,
            Algorithm::Sha256Sess => 3,
            Algorithm::Md5 => 2,
            Algorithm::Md5Sess => 1,
        }
    }
}

impl Algorithm {
    /// Parses a wire value: the registered spelling at once, else case-insensitively and trimmed.
    pub(crate) fn from_wire(s: &str) -> Option<Algorithm> {
        match s {
            "MD5" => Some(Algorithm::Md5),
            "SHA-256" => Some(Algorithm::Sha256),
            "SHA-512-256" => Some(Algorithm::Sha512_256),
            _ => s.trim().parse().ok(),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`Algorithm::from_str`] and [`Qop::from_str`]: the value is not one this crate implements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownValueError {
    kind: &'static str,
    value: String,
}

impl UnknownValueError {
    /// The value that was not recognised.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for UnknownValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unsupported {} {:?}", self.kind, self.value)
    }
}

impl std::error::Error for UnknownValueError {}

impl FromStr for Algorithm {
    type Err = UnknownValueError;

    /// Case-insensitive: `sha-256`, `SHA-256` and `Sha-256` are the same algorithm.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownValueError {
                kind: "algorithm",
                value: s.to_owned(),
            })
    }
}

/// A quality of protection ([RFC 7616 section 3.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.3)).
///
/// No qop at all is the RFC 2069 compatibility mode, represented as `Option<Qop>::None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: authentication of method and request-target.
    Auth,
    /// `auth-int`: `auth` plus integrity of the request body (and, for `rspauth`, the response body).
    AuthInt,
}

impl Qop {
    /// The wire name: `auth` or `auth-int`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

impl Qop {
    /// Parses a wire value: `auth` / `auth-int` at once, else case-insensitively and trimmed.
    pub(crate) fn from_wire(s: &str) -> Option<Qop> {
        match s {
            "auth" => Some(Qop::Auth),
            "auth-int" => Some(Qop::AuthInt),
            _ => s.trim().parse().ok(),
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Qop {
    type Err = UnknownValueError;

    /// Case-insensitive; surrounding whitespace is not accepted here (list splitting trims it).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auth") {
            Ok(Qop::Auth)
        } else if s.eq_ignore_ascii_case("auth-int") {
            Ok(Qop::AuthInt)
        } else {
            Err(UnknownValueError {
                kind: "qop",
                value: s.to_owned(),
            })
        }
    }
}

/// A lowercase hex digest held on the stack (at most 64 characters). Word-aligned: the UTF-8
/// check of [`Hex::as_str`] then runs a word at a time from the first byte (from a misaligned
/// stack slot it starts byte by byte: 117 instructions a call instead of 66, measured).
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub(crate) struct Hex {
    buf: [u8; 64],
    len: u8,
}

impl Hex {
    /// A value whose first `len` bytes of `buf` are lowercase hex digits.
    pub(crate) fn from_parts(buf: [u8; 64], len: usize) -> Hex {
        Hex {
            buf,
            len: len.min(64) as u8,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written into `buf`.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// Parses a stored hex H(A1) (either case) of the expected length.
    pub(crate) fn parse(s: &str, len: usize) -> Option<Hex> {
        if s.len() != len || len > 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut buf = [0u8; 64];
        for (d, b) in buf.iter_mut().zip(s.bytes()) {
            *d = b.to_ascii_lowercase();
        }
        Some(Hex {
            buf,
            len: len as u8,
        })
    }
}

impl zeroize::Zeroize for Hex {
    fn zeroize(&mut self) {
        self.buf.zeroize();
    }
}

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hex values here are H(A1) or responses: never print them.
        f.write_str("Hex(** redacted **)")
    }
}

/// Writes `bytes` as lowercase hex into `out` (which must be twice as long).
///
/// Arithmetic instead of a table lookup, so that the loop vectorizes.
#[inline]
pub(crate) fn hex_into(bytes: &[u8], out: &mut [u8]) {
    #[inline(always)]
    fn digit(n: u8) -> u8 {
        // n in 0..16: '0'..'9' then 'a'..'f' (b'a' - b'0' - 10 = 39).
        n + b'0' + (u8::from(n > 9) * 39)
    }
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = digit(b >> 4);
        pair[1] = digit(b & 0x0f);
    }
}

/// Formats a nonce count as the 8 lowercase hex digits the protocol uses (`00000001`).
///
/// In one 64-bit word: the nibbles are spread one per byte (most significant in the highest),
/// then each becomes its digit at once (`+ 6` carries into bit 4 exactly for 10..=15, which get
/// the 39 between `'9' + 1` and `'a'`); no byte overflows, so no carry crosses bytes.
pub(crate) fn nc_hex(nc: u32) -> [u8; 8] {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let x = u64::from(nc);
    let mut s = ((x & 0xffff_0000) << 16) | (x & 0xffff);
    s = ((s & 0x0000_ff00_0000_ff00) << 8) | (s & 0x0000_00ff_0000_00ff);
    s = ((s & 0x00f0_00f0_00f0_00f0) << 4) | (s & 0x000f_000f_000f_000f);
    let letters = ((s + ONES * 6) >> 4) & ONES;
    (s + ONES * u64::from(b'0') + letters * 39).to_be_bytes()
}

/// H(p1:p2:...) as lowercase hex.
///
/// Dispatches once to a function monomorphized per hash (no enum state moved around). Short inputs
/// (the usual case) are joined in a stack buffer and fed in one call: many tiny updates cost more in
/// block-buffer bookkeeping than the compression itself for MD5.
pub(crate) fn hash_hex(algorithm: Algorithm, parts: &[&[u8]]) -> Hex {
    match algorithm.base() {
        Algorithm::Md5 => hash_parts::<Md5>(parts),
        Algorithm::Sha256 => hash_parts::<Sha256>(parts),
        _ => hash_parts::<Sha512_256>(parts),
    }
}

fn hash_parts<D: Digest>(parts: &[&[u8]]) -> Hex {
    let mut h = D::new();
    let mut joined = [0u8; 320];
    let total = parts.iter().map(|p| p.len()).sum::<usize>() + parts.len().saturating_sub(1);
    if total <= joined.len() {
        let mut at = 0;
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                joined[at] = b':';
                at += 1;
            }
            joined[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        h.update(&joined[..at]);
    } else {
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                h.update(b":");
            }
            h.update(part);
        }
    }
    let digest = h.finalize();
    let mut buf = [0u8; 64];
    let len = (digest.len() * 2).min(64);
    hex_into(&digest, &mut buf[..len]);
    Hex::from_parts(buf, len)
}

/// Constant-time equality of two byte strings.
///
/// Lengths are not secret (every digest of one algorithm has the same length), so unequal lengths
/// return `false` at once. For equal lengths every byte pair is XORed and the results ORed together
/// (a fold with no early exit and no data-dependent branch); the accumulator goes through
/// [`std::hint::black_box`] so that the optimizer cannot turn the loop back into an early-exit compare.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Eight bytes at a time, then the last few: the difference of every byte is folded in, with
    // no branch on the data.
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = wa
        .remainder()
        .iter()
        .zip(wb.remainder())
        .fold(0u64, |acc, (x, y)| acc | u64::from(x ^ y));
    let word = |c: &[u8]| c.first_chunk::<8>().map_or(0, |w| u64::from_ne_bytes(*w));
    let diff = wa
        .zip(wb)
        .fold(tail, |acc, (x, y)| acc | (word(x) ^ word(y)));
    std::hint::black_box(diff) == 0
}

/// Constant-time equality of hex strings, ignoring ASCII case (servers may send uppercase hex).
/// One branch-free pass: the difference and whether `b` holds anything but hex digits.
/// The digests' lengths (MD5's 32 digits, SHA-256's 64) take a fixed-length pass, which the
/// compiler unrolls into vector operations; any other length the same pass over slices.
pub(crate) fn constant_time_eq_hex(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let acc = if let (Ok(a), Ok(b)) = (<&[u8; 32]>::try_from(a), <&[u8; 32]>::try_from(b)) {
        hex_diff(a, b)
    } else if let (Ok(a), Ok(b)) = (<&[u8; 64]>::try_from(a), <&[u8; 64]>::try_from(b)) {
        hex_diff(a, b)
    } else {
        hex_diff(a, b)
    };
    std::hint::black_box(acc) == 0
}

/// Zero exactly when `a` and `b` (of equal length) are the same hex digits up to ASCII case and
/// `b` holds only hex digits; every byte is visited, with no branch on the data.
#[inline(always)]
fn hex_diff<'a>(a: impl IntoIterator<Item = &'a u8>, b: impl IntoIterator<Item = &'a u8>) -> u8 {
    // `| 0x20` lowercases ASCII letters and leaves digits unchanged.
    let (diff, bad) = a
        .into_iter()
        .zip(b)
        .fold((0u8, 0u8), |(diff, bad), (x, y)| {
            let l = y | 0x20;
            let hex = u8::from(y.is_ascii_digit() | (b'a'..=b'f').contains(&l));
            (diff | ((x | 0x20) ^ l), bad | (hex ^ 1))
        });
    diff | bad
}

/// HMAC-SHA-256 (RFC 2104) of `parts` (concatenated) under a 32-byte key.
pub(crate) fn hmac_sha256(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let mut inner = Sha256::new();
    inner.update(ipad);
    for p in parts {
        inner.update(p);
    }
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(opad);
    outer.update(inner);
    outer.finalize().into()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (nonces deliberately contain `+`, `/` and `=`, as real servers' do).
pub(crate) fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let idx = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, &ix) in idx.iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(B64[ix as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decoding table: the 6-bit value of each base64 character, or `0xff`.
pub(crate) const B64_DECODE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 64 {
        t[B64[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Decodes standard base64 (padded, or unpadded when the length needs no padding) into `out`;
/// returns the number of bytes written, `None` on any deviation or if `out` is too short.
/// Table lookups, no allocation.
/// (Tests only: the server decodes its nonces with the whole-group decoder of `server::nonce`,
/// checked against this.)
#[cfg(test)]
pub(crate) fn base64_decode_into(input: &[u8], out: &mut [u8]) -> Option<usize> {
    if input.len() % 4 != 0 {
        return None;
    }
    let pad = input
        .iter()
        .rev()
        .take(2)
        .take_while(|&&c| c == b'=')
        .count();
    let body = &input[..input.len() - pad];
    let n = body.len() / 4 * 3 + [0, 0, 1, 2][body.len() % 4];
    if n > out.len() || (pad > 0 && body.len() % 4 == 0) {
        return None;
    }
    let mut bad = 0u8;
    let mut at = 0;
    let full = body.len() / 4 * 4;
    let (whole, rest) = body.split_at(full);
    for (group, dst) in whole.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let v = [
            B64_DECODE[usize::from(group[0])],
            B64_DECODE[usize::from(group[1])],
            B64_DECODE[usize::from(group[2])],
            B64_DECODE[usize::from(group[3])],
        ];
        bad |= v[0] | v[1] | v[2] | v[3];
        let n = (u32::from(v[0] & 0x3f) << 18)
            | (u32::from(v[1] & 0x3f) << 12)
            | (u32::from(v[2] & 0x3f) << 6)
            | u32::from(v[3] & 0x3f);
        dst.copy_from_slice(&n.to_be_bytes()[1..]);
        at += 3;
    }
    bad &= 0x80;
    if !rest.is_empty() {
        let mut acc = 0u32;
        for &c in rest {
            let v = B64_DECODE[usize::from(c)];
            bad |= v & 0x80;
            acc = (acc << 6) | u32::from(v & 0x3f);
        }
        acc <<= 6 * (4 - rest.len() as u32);
        let bytes = acc.to_be_bytes();
        let take = rest.len() - 1;
        out[at..at + take].copy_from_slice(&bytes[1..=take]);
        at += take;
    }
    (bad == 0).then_some(at)
}

/// Decodes standard padded base64 into a `Vec` (see [`base64_decode_into`]).
#[cfg(test)]
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = vec![0u8; s.len() / 4 * 3];
    let n = base64_decode_into(s.as_bytes(), &mut out)?;
    out.truncate(n);
    Some(out)
}

#[cfg(test)]
mod tests {
    /// The word-at-a-time `nc_hex` writes what formatting with `{:08x}` writes.
    #[test]
    fn nc_hex_is_lowercase_eight_digits() {
        let mut n = 0u32;
        let check = |nc: u32| assert_eq!(super::nc_hex(nc), *format!("{nc:08x}").as_bytes());
        for nc in [
            0,
            1,
            9,
            10,
            15,
            16,
            0xa5a5_5a5a,
            0x0f0f_f0f0,
            u32::MAX,
            u32::MAX - 1,
        ] {
            check(nc);
        }
        for _ in 0..100_000 {
            // An LCG walk over the whole range, plus every value below 2^16.
            n = n.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            check(n);
        }
        for nc in 0..=0xffff {
            check(nc);
        }
    }

    use super::*;

    #[test]
    fn algorithm_names_round_trip_case_insensitively() {
        for a in Algorithm::ALL {
            assert_eq!(a.as_str().parse::<Algorithm>(), Ok(a));
            assert_eq!(a.as_str().to_ascii_lowercase().parse::<Algorithm>(), Ok(a));
            assert_eq!(a.as_str().to_ascii_uppercase().parse::<Algorithm>(), Ok(a));
        }
        assert!("SHA-1".parse::<Algorithm>().is_err());
        assert!("sha-256-SESS".parse::<Algorithm>().unwrap().is_session());
    }

    #[test]
    fn known_digests() {
        assert_eq!(
            hash_hex(Algorithm::Md5, &[b"abc"]).as_str(),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hash_hex(Algorithm::Sha256, &[b"abc"]).as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // FIPS 180-4 example for SHA-512/256.
        assert_eq!(
            hash_hex(Algorithm::Sha512_256Sess, &[b"abc"]).as_str(),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
        );
    }

    /// The word-at-a-time compare is `==` for every length around the word size and a single-bit
    /// difference at every position (in the words and in the tail).
    #[test]
    fn constant_time_eq_sees_every_byte() {
        for len in 0..41 {
            let a: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert!(constant_time_eq(&a, &a.clone()), "len {len}");
            for i in 0..len {
                for bit in [0x01, 0x80] {
                    let mut b = a.clone();
                    b[i] ^= bit;
                    assert!(!constant_time_eq(&a, &b), "len {len} byte {i} bit {bit:#x}");
                }
            }
        }
    }

    #[test]
    fn constant_time_eq_behaves_like_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq_hex(b"abcdef01", b"ABCDEF01"));
        assert!(!constant_time_eq_hex(b"abcdef01", b"abcdef02"));
        assert!(!constant_time_eq_hex(b"ab", b"AB\x00"));
    }

    proptest::proptest! {
        /// At the digests' lengths (fixed-length pass) and any other: equal exactly when `b` is
        /// all hex digits and equals `a` up to ASCII case.
        #[test]
        fn constant_time_eq_hex_is_case_insensitive_hex_equality(
            a in proptest::collection::vec(proptest::num::u8::ANY, 0..70),
            len in proptest::prop_oneof![proptest::strategy::Just(32usize), proptest::strategy::Just(64), 0usize..70],
            same in proptest::bool::ANY,
            flip in proptest::option::of((0usize..70, proptest::num::u8::ANY)),
            upper in proptest::bool::ANY,
        ) {
            let hex = b"0123456789abcdef";
            let a: Vec<u8> = (0..len).map(|i| hex[usize::from(a.get(i).copied().unwrap_or(0) % 16)]).collect();
            let mut b = if same { a.clone() } else { a.iter().rev().copied().collect() };
            if upper {
                b.make_ascii_uppercase();
            }
            if let Some((i, c)) = flip {
                if let Some(x) = b.get_mut(i) {
                    *x = c;
                }
            }
            let want = b.iter().all(u8::is_ascii_hexdigit) && a.eq_ignore_ascii_case(&b);
            proptest::prop_assert_eq!(constant_time_eq_hex(&a, &b), want);
        }
    }

    #[test]
    fn hmac_rfc4231_case_2_shape() {
        // RFC 4231 test case 1 uses a 20-byte key; pad it to our 32-byte key type by construction:
        // HMAC zero-pads keys shorter than the block, so a 20-byte key equals the same key + 12 zeros.
        let mut key = [0u8; 32];
        key[..20].copy_from_slice(&[0x0b; 20]);
        let mac = hmac_sha256(&key, &[b"Hi ", b"There"]);
        let mut hex = [0u8; 64];
        hex_into(&mac, &mut hex);
        assert_eq!(
            std::str::from_utf8(&hex).unwrap(),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn base64_round_trip() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let enc = base64_encode(&data);
            assert_eq!(base64_decode(&enc), Some(data));
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_decode("Zm8"), None);
        assert_eq!(base64_decode("Z=8="), None);
        assert_eq!(base64_decode("Zm8=Zm8="), None);
    }
}
