//! What the journal records of an `Authorization` header ([`AuthSummary`]): the scheme, and for
//! Digest the username, algorithm, qop, nc, nonce and whether an opaque came back. Never the
//! response hash or the cnonce.
//!
//! Three ways to the same summary: [`summarize`] parses the header; [`of_parsed`] takes a parse
//! already made; [`of_verified`] takes what `DigestServer::verify` returned for the header, plus
//! a borrowed scan for the nonce and the opaque (which `Verified` does not carry), so the
//! request that authenticates parses its header once.

use std::borrow::Cow;

use atlas_digest::{AuthorizationHeader, Verified};

use crate::journal::{AuthSummary, cut};

/// Longest scheme kept.
const MAX_SCHEME: usize = 32;
/// Longest username or nonce kept.
const MAX_VALUE: usize = 256;

/// The summary of any `Authorization` value (parsing it as Digest when its scheme says so).
pub(crate) fn summarize(authorization: &str) -> AuthSummary {
    let parsed = if is_digest(authorization) {
        authorization.parse::<AuthorizationHeader>().ok()
    } else {
        None
    };
    of_parsed(authorization, parsed.as_ref())
}

/// The summary of `authorization`, given its parse as Digest (`None`: it did not parse).
pub(crate) fn of_parsed(authorization: &str, parsed: Option<&AuthorizationHeader>) -> AuthSummary {
    let mut out = AuthSummary {
        scheme: scheme(authorization),
        ..AuthSummary::default()
    };
    if let Some(h) = parsed.filter(|_| is_digest(authorization)) {
        out.username = Some(cut(&h.username, MAX_VALUE));
        out.algorithm = Some(h.algorithm.as_str().to_owned());
        out.qop = h.qop.map(|q| q.as_str().to_owned());
        out.nc = h.nc;
        out.nonce = Some(cut(&h.nonce, MAX_VALUE));
        out.opaque = h.opaque.is_some();
    }
    out
}

/// The summary of an `authorization` value that `DigestServer::verify` accepted, from what it
/// returned: algorithm, qop and nc as parsed, the username (which is the one sent unless a
/// `userhash` came, then the header is parsed again), nonce and opaque from [`scan`].
pub(crate) fn of_verified(authorization: &str, v: &Verified) -> AuthSummary {
    let Some(seen) = scan(authorization) else {
        return summarize(authorization);
    };
    let out = AuthSummary {
        scheme: scheme(authorization),
        username: Some(cut(&v.username, MAX_VALUE)),
        algorithm: Some(v.algorithm.as_str().to_owned()),
        qop: v.qop.map(|q| q.as_str().to_owned()),
        nc: v.nc,
        nonce: Some(cut(&seen.nonce, MAX_VALUE)),
        opaque: seen.opaque,
    };
    // The crate's own tests (every digest request of every test server) check the shortcut
    // against the full parse.
    #[cfg(test)]
    assert_eq!(out, summarize(authorization), "{authorization:?}");
    out
}

/// The scheme as sent: the first word, cut at [`MAX_SCHEME`] bytes.
fn scheme(authorization: &str) -> String {
    authorization
        .split_whitespace()
        .next()
        .map(|s| cut(s, MAX_SCHEME))
        .unwrap_or_default()
}

fn is_digest(authorization: &str) -> bool {
    authorization
        .split_whitespace()
        .next()
        .is_some_and(|s| s.eq_ignore_ascii_case("digest"))
}

/// What [`scan`] finds.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Scanned<'a> {
    /// The `nonce` value (unquoted, escapes resolved).
    pub(super) nonce: Cow<'a, str>,
    /// Whether an `opaque` parameter came (even empty).
    pub(super) opaque: bool,
}

/// The nonce and the presence of an opaque in a Digest credentials value that parses (what
/// `DigestServer::verify` accepted): one pass over the bytes of the parameters, borrowing unless
/// the nonce holds escapes. `None` when the value carries a `userhash` parameter (the username
/// sent is then not the one verified) or does not have the expected shape (then the caller parses
/// it fully).
pub(super) fn scan(authorization: &str) -> Option<Scanned<'_>> {
    let b = authorization.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i < n && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    // The scheme.
    while i < n && is_tchar(b[i]) {
        i += 1;
    }
    let mut nonce = None;
    let mut opaque = false;
    loop {
        while i < n && matches!(b[i], b' ' | b'\t' | b',') {
            i += 1;
        }
        if i >= n {
            break;
        }
        let start = i;
        while i < n && is_tchar(b[i]) {
            i += 1;
        }
        let name = &b[start..i];
        if name.is_empty() {
            return None;
        }
        while i < n && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        if i >= n || b[i] != b'=' {
            return None;
        }
        i += 1;
        while i < n && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        let value = if i < n && b[i] == b'"' {
            let open = i + 1;
            i = quote_or_escape(b, open);
            if i >= n {
                return None;
            }
            if b[i] == b'\\' {
                // Escapes: the general path (rare).
                let (v, end) = unescape(authorization, open)?;
                i = end;
                Value::Owned(v)
            } else {
                i += 1;
                Value::Range(open, i - 1)
            }
        } else {
            let start = i;
            while i < n && is_bare_value_char(b[i]) {
                i += 1;
            }
            Value::Range(start, i)
        };
        match name.len() {
            5 if name.eq_ignore_ascii_case(b"nonce") => nonce = Some(value),
            6 if name.eq_ignore_ascii_case(b"opaque") => opaque = true,
            8 if name.eq_ignore_ascii_case(b"userhash") => return None,
            _ => {}
        }
    }
    let nonce = match nonce? {
        Value::Range(a, z) => Cow::Borrowed(authorization.get(a..z)?),
        Value::Owned(s) => Cow::Owned(s),
    };
    Some(Scanned { nonce, opaque })
}

/// A parameter value: where it is in the input, or (with escapes) its text.
enum Value {
    Range(usize, usize),
    Owned(String),
}

/// The quoted-string whose text starts at `from` (after the opening quote) and holds escapes: its
/// value and the index after the closing quote. An escape gives the escaped character (`\` before
/// a non-ASCII character is dropped, the character kept, as the digest parser reads it).
fn unescape(s: &str, from: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut seg = from;
    let mut i = quote_or_escape(b, from);
    loop {
        out.push_str(s.get(seg..i)?);
        match *b.get(i)? {
            b'"' => return Some((out, i + 1)),
            _ => {
                // A backslash.
                let c = *b.get(i + 1)?;
                if c.is_ascii() {
                    out.push(char::from(c));
                    seg = i + 2;
                } else {
                    seg = i + 1;
                }
                i = quote_or_escape(b, seg);
            }
        }
    }
}

/// The index of the first `"` or `\` at or after `from` (or `b.len()`): eight bytes at a time
/// (SWAR: a byte equal to either sets its high bit; borrows only run upwards, so the lowest flagged
/// byte is exactly the first match), then bytewise in the last partial word.
fn quote_or_escape(b: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut i = from;
    while let Some(word) = b.get(i..i + 8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let w = u64::from_le_bytes(bytes);
        let hit =
            zero_byte(w ^ (ONES * u64::from(b'"'))) | zero_byte(w ^ (ONES * u64::from(b'\\')));
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i] != b'"' && b[i] != b'\\' {
        i += 1;
    }
    i
}

/// Byte classes, one lookup per byte.
const TCHAR: u8 = 1;
const BARE: u8 = 2;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut class = 0;
        // `tchar` of RFC 9110 section 5.6.2.
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            )
        {
            class |= TCHAR;
        }
        // Unquoted parameter value characters as the digest parser reads them: any visible
        // ASCII or non-ASCII byte except `,`, `"` and `\`.
        if (c > 0x20 && c != 0x7f && c != b',' && c != b'"' && c != b'\\') || c >= 0x80 {
            class |= BARE;
        }
        t[i] = class;
        i += 1;
    }
    t
};

fn is_tchar(c: u8) -> bool {
    CLASSES[usize::from(c)] & TCHAR != 0
}

fn is_bare_value_char(c: u8) -> bool {
    CLASSES[usize::from(c)] & BARE != 0
}

#[cfg(test)]
mod tests;
