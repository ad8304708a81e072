//! The previous byte-at-a-time parser of borrowed auth-param lists, kept verbatim as the oracle the
//! faster one in the parent module is tested against (same results, same errors, same offsets).

use std::borrow::Cow;

use super::{
    ParseError, QUOTE_STOP, check_len, class, is_bare_value_char, is_tchar, scheme_expected,
};

/// The index of the first byte at or after `from` that ends plain quoted text (see [`QUOTE_STOP`]),
/// or `b.len()`. Scans a 64-bit word at a time (SWAR: bytes equal to `"`, `\` or 0x7f, or below
/// 0x20; borrows only run upwards, so the lowest flagged byte is exactly the first match; HTAB,
/// allowed, is stepped over), then bytewise in the last partial word.
fn quote_stop(b: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    #[inline]
    fn has_zero(w: u64) -> u64 {
        w.wrapping_sub(ONES) & !w & HIGH
    }
    let mut i = from;
    while let Some(word) = b.get(i..i + 8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let w = u64::from_le_bytes(bytes);
        let hit = has_zero(w ^ (ONES * u64::from(b'"')))
            | has_zero(w ^ (ONES * u64::from(b'\\')))
            | has_zero(w ^ (ONES * 0x7f))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if hit == 0 {
            i += 8;
            continue;
        }
        let at = i + (hit.trailing_zeros() / 8) as usize;
        if b[at] != b'\t' {
            return at;
        }
        i = at + 1;
    }
    while i < b.len() && !class(b[i], QUOTE_STOP) {
        i += 1;
    }
    i
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Parser<'a> {
        Parser {
            s,
            b: s.as_bytes(),
            pos: 0,
        }
    }

    fn eof(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn err(&self, expected: &'static str) -> ParseError {
        ParseError::new(self.s, self.pos, expected)
    }

    fn skip_sp(&mut self) -> bool {
        let start = self.pos;
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
        self.pos > start
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn skip_ows_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }

    fn token(&mut self, expected: &'static str) -> Result<&'a str, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.err(expected));
        }
        Ok(&self.s[start..self.pos])
    }

    fn quoted_string(&mut self) -> Result<String, ParseError> {
        // Caller checked the opening quote.
        self.pos += 1;
        let mut out = String::new();
        let mut seg = self.pos;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err("closing `\"` of quoted-string"));
            };
            match b {
                b'"' => {
                    out.push_str(&self.s[seg..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.s[seg..self.pos]);
                    self.pos += 1;
                    match self.peek() {
                        Some(c) if c == b'\t' || (0x20..0x7f).contains(&c) => {
                            out.push(char::from(c));
                            self.pos += 1;
                            seg = self.pos;
                        }
                        // obs-text: keep the (multi-byte) character itself.
                        Some(c) if c >= 0x80 => seg = self.pos,
                        _ => return Err(self.err("escaped character after `\\`")),
                    }
                }
                b'\t' => self.pos += 1,
                c if c < 0x20 || c == 0x7f => return Err(self.err("qdtext")),
                _ => self.pos += 1,
            }
        }
    }

    /// A quoted-string, borrowed from the input unless it holds escapes.
    fn quoted_cow(&mut self) -> Result<Cow<'a, str>, ParseError> {
        let open = self.pos;
        let i = quote_stop(self.b, open + 1);
        match self.b.get(i) {
            None => {
                self.pos = i;
                Err(self.err("closing `\"` of quoted-string"))
            }
            Some(b'"') => {
                self.pos = i + 1;
                Ok(Cow::Borrowed(&self.s[open + 1..i]))
            }
            // An escape: take the general path from the opening quote.
            Some(b'\\') => self.quoted_string().map(Cow::Owned),
            Some(_) => {
                self.pos = i;
                Err(self.err("qdtext"))
            }
        }
    }

    /// `#auth-param` to the end of the input, borrowing; the caller checked the scheme. A credentials
    /// value or a bare list holds no second challenge, so each element must be a parameter.
    ///
    fn params_borrowed(
        &mut self,
        f: &mut impl FnMut(&'a str, Cow<'a, str>, usize) -> Result<bool, ParseError>,
    ) -> Result<(), ParseError> {
        let b = self.b;
        let skip_ows = |mut i: usize| {
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            i
        };
        loop {
            let at = self.pos;
            let mut eq = at;
            while eq < b.len() && is_tchar(b[eq]) {
                eq += 1;
            }
            if eq == at {
                return Err(self.err("auth-param name"));
            }
            let name = &self.s[at..eq];
            if b.get(eq) != Some(&b'=') {
                // `name = value` (BWS around `=`) is rare: only then look for spaces.
                eq = skip_ows(eq);
                if b.get(eq) != Some(&b'=') {
                    self.pos = eq;
                    return Err(self.err("`=` after parameter name"));
                }
            }
            self.pos = eq + 1;
            if matches!(b.get(self.pos), Some(b' ' | b'\t')) {
                self.pos = skip_ows(self.pos);
            }
            let value = if b.get(self.pos) == Some(&b'"') {
                self.quoted_cow()?
            } else {
                let start = self.pos;
                let mut j = start;
                while j < b.len() && is_bare_value_char(b[j]) {
                    j += 1;
                }
                self.pos = j;
                Cow::Borrowed(&self.s[start..j])
            };
            f(name, value, at)?;
            let mut i = self.pos;
            // The usual separator is exactly `, ` before the next name.
            if b.get(i) == Some(&b',')
                && b.get(i + 1) == Some(&b' ')
                && b.get(i + 2).is_some_and(|&c| is_tchar(c))
            {
                self.pos = i + 2;
                continue;
            }
            i = skip_ows(i);
            if i >= b.len() {
                self.pos = i;
                return Ok(());
            }
            if b[i] != b',' {
                self.pos = i;
                return Err(self.err("`,` between parameters"));
            }
            while i < b.len() && matches!(b[i], b' ' | b'\t' | b',') {
                i += 1;
            }
            self.pos = i;
            if i >= b.len() {
                return Ok(());
            }
        }
    }
}

pub(super) fn for_each_credential_param<'a>(
    input: &'a str,
    scheme: &'static str,
    mut f: impl FnMut(&'a str, Cow<'a, str>, usize) -> Result<bool, ParseError>,
) -> Result<(), ParseError> {
    check_len(input)?;
    let mut p = Parser::new(input);
    p.skip_ows();
    let start = p.pos;
    let name = p.token("auth-scheme")?;
    if !name.eq_ignore_ascii_case(scheme) {
        return Err(ParseError::new(input, start, scheme_expected(scheme)));
    }
    let had_sp = p.skip_sp();
    p.skip_ows();
    if p.eof() {
        return Ok(());
    }
    if !had_sp {
        return Err(p.err("space after auth-scheme"));
    }
    p.params_borrowed(&mut f)
}

pub(super) fn for_each_list_param<'a>(
    input: &'a str,
    mut f: impl FnMut(&'a str, Cow<'a, str>, usize) -> Result<bool, ParseError>,
) -> Result<(), ParseError> {
    check_len(input)?;
    let mut p = Parser::new(input);
    p.skip_ows_commas();
    if p.eof() {
        return Ok(());
    }
    p.params_borrowed(&mut f)
}
