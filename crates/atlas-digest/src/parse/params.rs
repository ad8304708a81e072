//! The one-pass `#auth-param` loop the typed parsers share: each parameter's name as bytes and its
//! value as a span of the input, handed to a [`Sink`] that files it in its own slot. Values are
//! not unescaped here: a sink keeps the span and unescapes only the values it uses.

use super::{ParseError, Parser, bare_end, between, is_tchar, token_end};

/// True if the token `name` is exactly `want` (a compare of known length: a word or two).
#[inline(always)]
pub(super) fn is<const N: usize>(name: &[u8], want: &[u8; N]) -> bool {
    <&[u8; N]>::try_from(name).ok() == Some(want)
}

/// The known parameter the token `name` names (ASCII case ignored), by `lowercase`, the lookup of
/// lowercase names. Names are almost always sent in lowercase, so `name` is tried as it is; only a
/// name with an uppercase letter is lowercased and tried again. Every known name of both headers
/// has at most 9 bytes.
#[inline(always)]
pub(super) fn known<T>(name: &[u8], lowercase: impl Fn(&[u8]) -> Option<T>) -> Option<T> {
    if let Some(f) = lowercase(name) {
        return Some(f);
    }
    if name.len() > 9 || !name.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    let mut lower = [0u8; 9];
    for (d, &c) in lower.iter_mut().zip(name) {
        *d = c.to_ascii_lowercase();
    }
    lowercase(&lower[..name.len()])
}

/// `nc` as exactly 8 hex digits (either case), as `header::parse_nc` reads it, eight bytes at a
/// time (SWAR). With the high bits clear, adding `0x80 - lo` to a byte sets its high bit exactly
/// when it is at least `lo`; a byte is a digit if it is in `0`..=`9`, a letter if with the case
/// bit set it is in `a`..=`f` (only `A`..=`F` and `a`..=`f` give those). A hex digit's value is
/// its low nibble, plus 9 for a letter.
#[inline(always)]
pub(super) fn nc_value(v: &str) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let w = u64::from_be_bytes(*<&[u8; 8]>::try_from(v.as_bytes()).ok()?);
    let at_least = |x: u64, lo: u8| x.wrapping_add(ONES * u64::from(0x80 - lo)) & HIGH;
    let x = w & !HIGH;
    let digit = at_least(x, b'0') & !at_least(x, b'9' + 1);
    let l = x | (ONES * 0x20);
    let letter = at_least(l, b'a') & !at_least(l, b'f' + 1);
    if (digit | letter) & !w & HIGH != HIGH {
        return None;
    }
    // Big-endian: the first digit is the most significant byte; its nibble goes highest.
    let mut n = (w & (ONES * 0x0f)) + (letter >> 7) * 9;
    n = (n | (n >> 4)) & 0x00ff_00ff_00ff_00ff;
    n = (n | (n >> 8)) & 0x0000_ffff_0000_ffff;
    n = (n | (n >> 16)) & 0x0000_0000_ffff_ffff;
    u32::try_from(n).ok()
}

/// Where [`params`] puts each parameter.
pub(super) trait Sink<'a> {
    /// Records the parameter named `name` (a token, at byte `at`), whose value is the text `value`
    /// (a quoted-string's without its quotes) with `escaped` 1 if that text holds escapes. An error
    /// (a duplicate) ends the parse.
    fn put(&mut self, name: &'a [u8], value: (&'a str, u16), at: usize) -> Result<(), ParseError>;
}

/// `#auth-param` from `p`'s position to the end of the input into `sink`: the grammar of
/// `Parser::params_borrowed`, which the oracles use, step for step, with the same errors at the
/// same offsets. The input must not be at its end (the callers check).
#[inline(always)]
pub(super) fn params<'a>(p: &mut Parser<'a>, sink: &mut impl Sink<'a>) -> Result<(), ParseError> {
    let b = p.b;
    let skip_ows = |mut i: usize| {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        i
    };
    loop {
        let at = p.pos;
        let mut eq = token_end(b, at);
        if eq == at {
            return Err(p.err("auth-param name"));
        }
        // A token is ASCII: matched as bytes, never needed as text.
        let name = &b[at..eq];
        if b.get(eq) != Some(&b'=') {
            eq = skip_ows(eq);
            if b.get(eq) != Some(&b'=') {
                p.pos = eq;
                return Err(p.err("`=` after parameter name"));
            }
        }
        p.pos = eq + 1;
        if matches!(b.get(p.pos), Some(b' ' | b'\t')) {
            p.pos = skip_ows(p.pos);
        }
        let value = if b.get(p.pos) == Some(&b'"') {
            let (from, to, escaped) = p.quoted_span()?;
            (between(p.s, from, to), u16::from(escaped))
        } else {
            let start = p.pos;
            p.pos = bare_end(b, start);
            (between(p.s, start, p.pos), 0)
        };
        sink.put(name, value, at)?;
        let mut i = p.pos;
        // The usual separator is exactly `, ` before the next name.
        if b.get(i) == Some(&b',')
            && b.get(i + 1) == Some(&b' ')
            && b.get(i + 2).is_some_and(|&c| is_tchar(c))
        {
            p.pos = i + 2;
            continue;
        }
        i = skip_ows(i);
        if i >= b.len() {
            p.pos = i;
            return Ok(());
        }
        if b[i] != b',' {
            p.pos = i;
            return Err(p.err("`,` between parameters"));
        }
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b',') {
            i += 1;
        }
        p.pos = i;
        if i >= b.len() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The word-at-a-time `nc` is `header::parse_nc` on any text, hex or not.
        #[test]
        fn nc_value_is_parse_nc(v in prop_oneof![
            "[0-9a-fA-F]{8}",
            "[0-9a-fA-FgG/:@`\\x10-\\x19\\x40\\x47\\x60\\x67\\x80-\\xff]{7,9}",
            ".{0,10}",
        ]) {
            prop_assert_eq!(super::nc_value(&v), crate::header::parse_nc(&v), "{:?}", v);
        }
    }

    /// Every byte in every position: only hex digits are read as such.
    #[test]
    fn nc_value_reads_each_byte_alike() {
        for pos in 0..8 {
            for b in 0u8..=0x7f {
                let mut s = *b"00000000";
                s[pos] = b;
                let v = std::str::from_utf8(&s).unwrap();
                assert_eq!(super::nc_value(v), crate::header::parse_nc(v), "{v:?}");
            }
        }
        assert_eq!(super::nc_value("FfFfFfFf"), Some(u32::MAX));
        assert_eq!(super::nc_value("00000001"), Some(1));
        assert_eq!(super::nc_value("0123abcd"), Some(0x0123_abcd));
    }
}
