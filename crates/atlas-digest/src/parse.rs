//! The RFC 7235 / RFC 9110 authentication header grammar: challenges, credentials and auth-param lists.
//!
//! ```text
//! WWW-Authenticate = 1#challenge                         ; RFC 9110 section 11.6.1
//! challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param       = token BWS "=" BWS ( token / quoted-string )
//! token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! Tolerated quirks: empty list elements and trailing commas, whitespace around `=`, unknown
//! parameters, unquoted values containing `/`, `=`, `:` and other visible characters (`nonce=abc+/=`,
//! `uri=/a/b`), empty unquoted values (`opaque=`). Duplicate parameters are kept by the generic
//! [`Challenge`] view and refused by the typed Digest views (RFC 9110 section 11.2). Values longer
//! than [`MAX_HEADER_LEN`] are refused before parsing.

#[cfg(test)]
use std::borrow::Cow;
use std::fmt;

mod authentication_info;
mod authorization;
#[cfg(test)]
mod oracle;
mod params;

pub(crate) use authentication_info::parse_authentication_info;
pub(crate) use authorization::parse_authorization;

/// The longest header value the parsers accept (bytes), like Apache's default `LimitRequestFieldSize`.
/// Longer input is [`ParseErrorKind::TooLong`] before any parsing.
pub const MAX_HEADER_LEN: usize = 8192;

/// What kind of problem a [`ParseError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The RFC 9110 grammar was violated ([`ParseError::expected`] says what was expected where).
    Syntax,
    /// The syntax is fine but a required parameter is missing or a value is unusable.
    Semantic,
    /// A parameter occurs twice in one challenge or credentials (RFC 9110 section 11.2 forbids it).
    Duplicate,
    /// The value is longer than [`MAX_HEADER_LEN`].
    TooLong,
}

/// A syntax error in an authentication header, with the byte offset where parsing stopped.
///
/// `Display` says what was expected and where, for example
/// ``expected `=` after parameter name at byte 14 (found ',')``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    offset: usize,
    expected: &'static str,
    found: Option<char>,
    value_index: usize,
    kind: ParseErrorKind,
}

impl ParseError {
    pub(crate) fn new(input: &str, offset: usize, expected: &'static str) -> ParseError {
        let offset = offset.min(input.len());
        let found = input.get(offset..).and_then(|s| s.chars().next());
        ParseError {
            offset,
            expected,
            found,
            value_index: 0,
            kind: ParseErrorKind::Syntax,
        }
    }

    /// A well-formed header that lacks a required parameter or has an unusable value (`expected` says
    /// which); `offset` is where the header ends.
    pub(crate) fn semantic(offset: usize, expected: &'static str) -> ParseError {
        ParseError {
            offset,
            expected,
            found: None,
            value_index: 0,
            kind: ParseErrorKind::Semantic,
        }
    }

    /// A parameter named twice; `offset` is where the second occurrence starts.
    pub(crate) fn duplicate(offset: usize) -> ParseError {
        ParseError {
            offset,
            expected: "each parameter at most once",
            found: None,
            value_index: 0,
            kind: ParseErrorKind::Duplicate,
        }
    }

    /// Input longer than [`MAX_HEADER_LEN`].
    pub(crate) fn too_long(len: usize) -> ParseError {
        ParseError {
            offset: len,
            expected: "a header value of at most 8192 bytes",
            found: None,
            value_index: 0,
            kind: ParseErrorKind::TooLong,
        }
    }

    pub(crate) fn with_value_index(mut self, index: usize) -> ParseError {
        self.value_index = index;
        self
    }

    /// Byte offset in the header value where the error was detected.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What the parser expected at [`ParseError::offset`].
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// The character found at the offset, `None` at the end of the input.
    pub fn found(&self) -> Option<char> {
        self.found
    }

    /// Index of the header value (among several fed together, for example several `WWW-Authenticate`
    /// fields) in which the error occurred; 0 for a single value.
    pub fn value_index(&self) -> usize {
        self.value_index
    }

    /// The kind of problem.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }
}

/// [`ParseErrorKind::TooLong`] if `input` exceeds [`MAX_HEADER_LEN`].
pub(crate) fn check_len(input: &str) -> Result<(), ParseError> {
    if input.len() > MAX_HEADER_LEN {
        Err(ParseError::too_long(input.len()))
    } else {
        Ok(())
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ParseErrorKind::Syntax => {
                write!(f, "expected {} at byte {}", self.expected, self.offset)?;
                match self.found {
                    Some(c) => write!(f, " (found {c:?})")?,
                    None => f.write_str(" (found end of input)")?,
                }
            }
            ParseErrorKind::Duplicate => write!(
                f,
                "duplicate parameter at byte {} (RFC 9110 allows each once)",
                self.offset
            )?,
            ParseErrorKind::TooLong => write!(
                f,
                "header value of {} bytes exceeds the limit of {MAX_HEADER_LEN}",
                self.offset
            )?,
            _ => write!(
                f,
                "expected {} (header ends at byte {})",
                self.expected, self.offset
            )?,
        }
        if self.value_index > 0 {
            write!(f, " in header value #{}", self.value_index + 1)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// One challenge of any scheme (`Digest`, `Basic`, `Bearer`, `Negotiate`, ...) as parsed from
/// `WWW-Authenticate` / `Proxy-Authenticate`
/// ([RFC 9110 section 11.6.1](https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1), formerly RFC 7235).
///
/// Values are unescaped. `Display` formats a challenge that parses back to an equal value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The auth-scheme as sent (compare with [`Challenge::is_scheme`], which ignores case).
    pub scheme: String,
    /// The token68 form (`Negotiate YII...`), exclusive with `params`.
    pub token68: Option<String>,
    /// Parameters in order, names as sent, values unescaped. Duplicates are kept.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A challenge with no parameters.
    pub fn new(scheme: impl Into<String>) -> Challenge {
        Challenge {
            scheme: scheme.into(),
            token68: None,
            params: Vec::new(),
        }
    }

    /// True if the scheme equals `scheme`, ignoring ASCII case.
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// The first parameter named `name` (ignoring ASCII case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parameters a Digest peer expects as bare tokens (RFC 7616 section 3.3 forbids quoting `algorithm` and
/// `stale`; `charset` and `userhash` are shown unquoted in its examples).
fn prefers_token(name: &str) -> bool {
    ["algorithm", "stale", "charset", "userhash"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(t) = &self.token68 {
            f.write_str(" ")?;
            return f.write_str(t);
        }
        for (i, (name, value)) in self.params.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            f.write_str(name)?;
            f.write_str("=")?;
            if prefers_token(name) && is_token(value) {
                f.write_str(value)?;
            } else {
                write_quoted(f, value)?;
            }
        }
        Ok(())
    }
}

/// Formats several challenges as one header value (`, `-separated), the inverse of [`parse_challenges`].
pub fn format_challenges(challenges: &[Challenge]) -> String {
    let mut out = String::new();
    for (i, c) in challenges.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        use fmt::Write;
        let _ = write!(out, "{c}");
    }
    out
}

/// Parses every challenge in every given `WWW-Authenticate` (or `Proxy-Authenticate`) value, in order
/// ([RFC 9110 section 11.6.1](https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1)).
///
/// Several challenges may share one value and several values may be given (HTTP allows both, and
/// servers mix `Basic`, `Bearer`, `Negotiate` and several `Digest` challenges). On error the
/// [`ParseError::value_index`] says which value failed.
pub fn parse_challenges<'h, I>(values: I) -> Result<Vec<Challenge>, ParseError>
where
    I: IntoIterator<Item = &'h str>,
{
    let mut out = Vec::new();
    for (i, v) in values.into_iter().enumerate() {
        check_len(v)
            .and_then(|()| parse_challenge_list(v, &mut out))
            .map_err(|e| e.with_value_index(i))?;
    }
    Ok(out)
}

/// Parses one credentials value (`Authorization` / `Proxy-Authorization`): scheme plus token68 or params
/// ([RFC 9110 section 11.4](https://www.rfc-editor.org/rfc/rfc9110#section-11.4)).
pub fn parse_credentials(input: &str) -> Result<Challenge, ParseError> {
    check_len(input)?;
    let mut p = Parser::new(input);
    p.skip_ows();
    let scheme = p.token("auth-scheme")?;
    let mut c = Challenge::new(scheme);
    let had_sp = p.skip_sp();
    p.skip_ows();
    if p.eof() {
        return Ok(c);
    }
    if !had_sp {
        return Err(p.err("space after auth-scheme"));
    }
    if let Some(t) = p.try_token68() {
        c.token68 = Some(t.to_owned());
        p.skip_ows();
        return if p.eof() {
            Ok(c)
        } else {
            Err(p.err("end of header after token68"))
        };
    }
    p.params(&mut c.params)?;
    if !p.eof() {
        return Err(p.err("auth-param"));
    }
    Ok(c)
}

/// Parses a bare `#auth-param` list (`Authentication-Info`, `Proxy-Authentication-Info`;
/// [RFC 9110 section 11.6.3](https://www.rfc-editor.org/rfc/rfc9110#section-11.6.3)).
pub fn parse_param_list(input: &str) -> Result<Vec<(String, String)>, ParseError> {
    check_len(input)?;
    let mut p = Parser::new(input);
    let mut out = Vec::new();
    p.skip_ows_commas();
    if p.eof() {
        return Ok(out);
    }
    p.params(&mut out)?;
    if !p.eof() {
        return Err(p.err("auth-param"));
    }
    Ok(out)
}

/// Parses one value, keeping the challenges completed before a syntax error (the client uses them:
/// a broken vendor challenge after a good Digest one must not hide it).
pub(crate) fn parse_challenges_partial(input: &str) -> (Vec<Challenge>, Option<ParseError>) {
    let mut out = Vec::new();
    if let Err(e) = check_len(input) {
        return (out, Some(e));
    }
    let err = parse_challenge_list(input, &mut out).err();
    (out, err)
}

/// Calls `f` with each parameter of a credentials value of `scheme` (`Digest a=b, c="d"`), in one
/// pass and without allocating unless a quoted value holds escapes. `f` also gets the parameter's
/// byte offset (it answers whether it knew the name). Errors: length, syntax, another scheme,
/// token68. (The server parses `Authorization` with [`parse_authorization`]; this generic path is
/// its oracle in tests.)
#[cfg(test)]
pub(crate) fn for_each_credential_param<'a>(
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

#[cfg(test)]
fn scheme_expected(scheme: &'static str) -> &'static str {
    if scheme.eq_ignore_ascii_case("Digest") {
        "the `Digest` scheme"
    } else {
        "the expected auth-scheme"
    }
}

/// Calls `f` with each parameter of a bare `#auth-param` list (`Authentication-Info`), borrowing:
/// the generic path, kept as the oracle of the typed parser.
#[cfg(test)]
pub(crate) fn for_each_list_param<'a>(
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

fn parse_challenge_list(input: &str, out: &mut Vec<Challenge>) -> Result<(), ParseError> {
    let mut p = Parser::new(input);
    loop {
        p.skip_ows_commas();
        if p.eof() {
            return Ok(());
        }
        let scheme = p.token("auth-scheme")?;
        let mut c = Challenge::new(scheme);
        let had_sp = p.skip_sp();
        p.skip_ows();
        if p.eof() || p.peek() == Some(b',') {
            out.push(c);
            continue;
        }
        if !had_sp {
            return Err(p.err("space or comma after auth-scheme"));
        }
        if let Some(t) = p.try_token68() {
            c.token68 = Some(t.to_owned());
            out.push(c);
            continue;
        }
        p.params(&mut c.params)?;
        out.push(c);
    }
}

/// Byte classes, one lookup per byte instead of a search through a list of punctuation.
const TCHAR: u8 = 1;
const TOKEN68: u8 = 2;
const BARE: u8 = 4;
const ATTR: u8 = 8;
/// Ends a run of plain quoted-string text: `"`, `\`, or a control character other than HTAB.
const QUOTE_STOP: u8 = 16;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        let alnum = c.is_ascii_alphanumeric();
        let mut class = 0;
        if alnum
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
        if alnum || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/') {
            class |= TOKEN68;
        }
        // Lenient unquoted value characters: any visible ASCII or non-ASCII except `,`, `"`, `\`.
        if (c > 0x20 && c != 0x7f && c != b',' && c != b'"' && c != b'\\') || c >= 0x80 {
            class |= BARE;
        }
        if alnum
            || matches!(
                c,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            )
        {
            class |= ATTR;
        }
        if c == b'"' || c == b'\\' || (c < 0x20 && c != b'\t') || c == 0x7f {
            class |= QUOTE_STOP;
        }
        t[b] = class;
        b += 1;
    }
    t
};

#[inline]
fn class(b: u8, class: u8) -> bool {
    CLASSES[usize::from(b)] & class != 0
}

/// `tchar` of RFC 9110 section 5.6.2.
pub(crate) fn is_tchar(b: u8) -> bool {
    class(b, TCHAR)
}

/// True if `s` is a non-empty `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

fn is_token68_char(b: u8) -> bool {
    class(b, TOKEN68)
}

/// Lenient unquoted value characters: any visible ASCII or non-ASCII except `,`, `"` and `\`.
fn is_bare_value_char(b: u8) -> bool {
    class(b, BARE)
}

/// True for a byte that ends plain quoted-string text (see [`QUOTE_STOP`]). Branch-free: the
/// minimum of the three XORs is zero exactly for `"`, `\` and DEL, a form the compiler keeps as
/// byte-wise vector compares (a chain of `==` becomes a jump table instead).
#[inline(always)]
fn is_quote_stop(b: u8) -> bool {
    ((b ^ b'"').min(b ^ b'\\').min(b ^ 0x7f) == 0) | ((b < 0x20) & (b != b'\t'))
}

/// The index of the first byte at or after `from` that ends plain quoted text (see [`QUOTE_STOP`]),
/// or `b.len()`. Tests 16 bytes at a time (a fixed-length fold the compiler turns into a few
/// vector compares and one branch), then finds the byte in the chunk that has one with a SWAR test
/// of its two words ([`first_flagged`]); an HTAB found first is stepped over byte by byte.
#[inline(always)]
fn quote_stop(b: &[u8], from: usize) -> usize {
    let mut at = from;
    if let Some(rest) = b.get(from..) {
        for c in rest.chunks_exact(16).filter_map(<[u8]>::first_chunk::<16>) {
            if c.iter()
                .fold(0u8, |acc, &x| acc | u8::from(is_quote_stop(x)))
                != 0
            {
                at += first_flagged(c);
                if b.get(at) != Some(&b'\t') {
                    return at;
                }
                at += 1;
                break;
            }
            at += 16;
        }
    }
    while at < b.len() && !class(b[at], QUOTE_STOP) {
        at += 1;
    }
    at
}

/// The index in `c` of the first byte equal to `"`, `\` or DEL, or below 0x20 (HTAB included), 16
/// if none. SWAR per word: borrows only run upwards, so the lowest flagged byte is exact.
#[inline(always)]
fn first_flagged(c: &[u8; 16]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let flags = |word: &[u8; 8]| {
        let w = u64::from_le_bytes(*word);
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | zero(w ^ (ONES * 0x7f))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
    };
    let (lo, hi) = c.split_at(8);
    let lo = flags(lo.first_chunk::<8>().unwrap_or(&[b'a'; 8]));
    if lo != 0 {
        return (lo.trailing_zeros() / 8) as usize;
    }
    let hi = flags(hi.first_chunk::<8>().unwrap_or(&[b'a'; 8]));
    8 + (hi.trailing_zeros() / 8) as usize
}

/// The end of the token starting at `i`: the first byte at or after `i` that is not a `tchar`.
/// Parameter names are nearly always lowercase ASCII letters, so runs of those are skipped eight
/// bytes at a time (SWAR: with the high bits cleared, adding `0x80 - 0x61` sets a byte's high bit
/// exactly when it is at least `a`, adding `0x80 - 0x7b` when it is past `z`; no carry crosses a
/// byte); any other tchar continues byte by byte.
#[inline(always)]
fn token_end(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = b.get(i..i + 8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let w = u64::from_le_bytes(bytes);
        let x = w & !HIGH;
        let lower = x.wrapping_add(ONES * (0x80 - 0x61)) & !x.wrapping_add(ONES * (0x80 - 0x7b));
        let other = !(lower & !w) & HIGH;
        if other != 0 {
            i += (other.trailing_zeros() / 8) as usize;
            // Nearly always the name ends at its `=`: no tchar to continue with.
            if b[i] == b'=' {
                return i;
            }
            break;
        }
        i += 8;
    }
    while i < b.len() && is_tchar(b[i]) {
        i += 1;
    }
    i
}

/// The end of the unquoted value starting at `i`: the first byte at or after `i` that is not
/// [`is_bare_value_char`]. Eight bytes at a time (SWAR): a byte is flagged if it is `,`, `"`, `\`
/// or DEL (a zero after XOR with it) or below 0x21 with its high bit clear; borrows only run
/// upwards, so the lowest flagged byte is exact. The last bytes (fewer than eight) go one by one.
#[inline(always)]
pub(crate) fn bare_end(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = b.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*word);
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        let stop = zero(w ^ (ONES * u64::from(b',')))
            | zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | zero(w ^ (ONES * 0x7f))
            | (w.wrapping_sub(ONES * 0x21) & !w & HIGH);
        if stop != 0 {
            return i + (stop.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && is_bare_value_char(b[i]) {
        i += 1;
    }
    i
}

/// The value of a quoted-string's text that holds escapes (checked by [`Parser::quoted_span`]):
/// each `\` dropped, the character after it kept as it is.
#[cold]
pub(crate) fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// `&s[from..to]` for bounds the caller found at ASCII bytes (so on character boundaries; empty
/// if not): two `split_at_checked`, which the compiler keeps inline where `&s[..]` on a hot path
/// became a call.
#[inline(always)]
pub(crate) fn between(s: &str, from: usize, to: usize) -> &str {
    s.split_at_checked(to)
        .and_then(|(head, _)| head.split_at_checked(from))
        .map_or("", |(_, v)| v)
}

/// True if any byte of `s` satisfies `pred`. Branch-free within each 16-byte chunk (a fold over a
/// fixed length, which the compiler vectorizes), one branch per chunk; the tail is the last 16
/// bytes again (overlapping the previous chunk) rather than a byte-by-byte loop, which would cost
/// more than all the chunks of a typical header value.
#[inline]
pub(crate) fn any_byte(s: &[u8], pred: impl Fn(u8) -> bool) -> bool {
    let any = |c: &[u8]| c.iter().fold(0u8, |acc, &b| acc | u8::from(pred(b))) != 0;
    if s.len() < 16 {
        return any(s);
    }
    for c in s.chunks_exact(16) {
        if any(c) {
            return true;
        }
    }
    any(&s[s.len() - 16..])
}

/// True if `s` can be written inside a quoted-string (after escaping `"` and `\`): no control
/// characters other than HTAB.
pub(crate) fn is_quotable(s: &str) -> bool {
    !any_byte(s.as_bytes(), |b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

/// Writes `value` as a quoted-string, escaping `"` and `\`.
pub(crate) fn write_quoted<W: fmt::Write>(out: &mut W, value: &str) -> fmt::Result {
    out.write_char('"')?;
    let mut start = 0;
    for (i, b) in value.bytes().enumerate() {
        if b == b'"' || b == b'\\' {
            out.write_str(&value[start..i])?;
            out.write_char('\\')?;
            start = i;
        }
    }
    out.write_str(&value[start..])?;
    out.write_char('"')
}

/// How many bytes of `value` a quoted-string escapes (`"` and `\`); 0 after one vectorized scan
/// when there are none (the usual case).
pub(crate) fn quote_escapes(value: &str) -> usize {
    // `min` of the XORs is zero exactly for `"` and `\`: branch-free, so it stays vectorized.
    let escaped = |b: u8| (b ^ b'"').min(b ^ b'\\') == 0;
    if any_byte(value.as_bytes(), escaped) {
        value.bytes().filter(|&b| escaped(b)).count()
    } else {
        0
    }
}

/// `None` if `s` cannot be written inside a quoted-string ([`is_quotable`]), else how many bytes
/// quoting escapes ([`quote_escapes`]): one vectorized scan when there is nothing to escape.
pub(crate) fn quotable_escapes(s: &str) -> Option<usize> {
    let control = |b: u8| (b < 0x20 && b != b'\t') || b == 0x7f;
    let escaped = |b: u8| (b ^ b'"').min(b ^ b'\\') == 0;
    if !any_byte(s.as_bytes(), |b| control(b) | escaped(b)) {
        return Some(0);
    }
    is_quotable(s).then(|| quote_escapes(s))
}

/// Appends `value` as a quoted-string to a `String`.
pub(crate) fn push_quoted(out: &mut String, value: &str) {
    push_quoted_counted(out, value, quote_escapes(value));
}

/// [`push_quoted`] with `escapes` = [`quote_escapes`]`(value)` already known (no second scan).
pub(crate) fn push_quoted_counted(out: &mut String, value: &str, escapes: usize) {
    out.push('"');
    if escapes > 0 {
        for c in value.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    } else {
        out.push_str(value);
    }
    out.push('"');
}

/// RFC 8187 (formerly 5987) `attr-char`: characters that need no percent-encoding in an ext-value.
fn is_attr_char(b: u8) -> bool {
    class(b, ATTR)
}

/// Encodes `value` as an RFC 8187 ext-value `UTF-8''...` (used for `username*`).
pub(crate) fn encode_ext_value(out: &mut String, value: &str) {
    out.push_str("UTF-8''");
    for b in value.bytes() {
        if is_attr_char(b) {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// Decodes an RFC 8187 ext-value (`charset'lang'pct-encoded`): UTF-8 (strictly) or ISO-8859-1.
pub(crate) fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?;
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let mut bytes = Vec::with_capacity(encoded.len());
    let raw = encoded.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%' {
            let hi = hex_val(*raw.get(i + 1)?)?;
            let lo = hex_val(*raw.get(i + 2)?)?;
            bytes.push(hi << 4 | lo);
            i += 3;
        } else if is_attr_char(b) {
            bytes.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    if charset.eq_ignore_ascii_case("UTF-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("ISO-8859-1") {
        Some(bytes.into_iter().map(char::from).collect())
    } else {
        None
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
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
        self.pos = token_end(self.b, start);
        if self.pos == start {
            return Err(self.err(expected));
        }
        Ok(&self.s[start..self.pos])
    }

    /// Is the next list element an auth-param (`token BWS "="`) rather than a new challenge?
    fn looks_like_param(&self) -> bool {
        let mut i = self.pos;
        let start = i;
        while self.b.get(i).copied().is_some_and(is_tchar) {
            i += 1;
        }
        if i == start {
            return false;
        }
        while matches!(self.b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        self.b.get(i) == Some(&b'=')
    }

    /// Accepts a token68 if the challenge ends right after it (end of input, or a comma followed by
    /// something that is not an auth-param). Otherwise leaves the position unchanged.
    fn try_token68(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let mut i = start;
        while self.b.get(i).copied().is_some_and(is_token68_char) {
            i += 1;
        }
        if i == start {
            return None;
        }
        while self.b.get(i) == Some(&b'=') {
            i += 1;
        }
        let end = i;
        while matches!(self.b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let ok = match self.b.get(i) {
            None => true,
            Some(b',') => {
                let mut j = i;
                while matches!(self.b.get(j), Some(b' ' | b'\t' | b',')) {
                    j += 1;
                }
                let probe = Parser {
                    s: self.s,
                    b: self.b,
                    pos: j,
                };
                probe.eof() || !probe.looks_like_param()
            }
            Some(_) => false,
        };
        if ok {
            self.pos = i;
            Some(&self.s[start..end])
        } else {
            None
        }
    }

    /// A quoted-string with escapes, unescaped; plain runs between escapes are copied whole.
    fn quoted_string(&mut self) -> Result<String, ParseError> {
        // Caller checked the opening quote.
        self.pos += 1;
        let mut out = String::new();
        loop {
            let seg = self.pos;
            self.pos = quote_stop(self.b, seg);
            match self.peek() {
                None => return Err(self.err("closing `\"` of quoted-string")),
                Some(b'"') => {
                    out.push_str(&self.s[seg..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.s[seg..self.pos]);
                    self.pos += 1;
                    match self.peek() {
                        Some(c) if c == b'\t' || (0x20..0x7f).contains(&c) => {
                            out.push(char::from(c));
                            self.pos += 1;
                        }
                        // obs-text: keep the (multi-byte) character itself.
                        Some(c) if c >= 0x80 => {}
                        _ => return Err(self.err("escaped character after `\\`")),
                    }
                }
                Some(_) => return Err(self.err("qdtext")),
            }
        }
    }

    /// A quoted-string, borrowed from the input unless it holds escapes.
    #[cfg(test)]
    #[inline(always)]
    fn quoted_cow(&mut self) -> Result<Cow<'a, str>, ParseError> {
        let (from, to, escaped) = self.quoted_span()?;
        let text = between(self.s, from, to);
        Ok(if escaped {
            Cow::Owned(unescape(text))
        } else {
            Cow::Borrowed(text)
        })
    }

    /// A quoted-string as the span of its text in the input (after the opening quote, before the
    /// closing one) and whether it holds escapes (then [`unescape`] gives its value): the checks
    /// and errors of [`Parser::quoted_cow`], without building a value.
    #[inline(always)]
    fn quoted_span(&mut self) -> Result<(usize, usize, bool), ParseError> {
        let open = self.pos;
        let i = quote_stop(self.b, open + 1);
        match self.b.get(i) {
            None => {
                self.pos = i;
                Err(self.err("closing `\"` of quoted-string"))
            }
            Some(b'"') => {
                self.pos = i + 1;
                Ok((open + 1, i, false))
            }
            Some(b'\\') => {
                self.pos = i;
                self.escaped_rest().map(|close| (open + 1, close, true))
            }
            Some(_) => {
                self.pos = i;
                Err(self.err("qdtext"))
            }
        }
    }

    /// The rest of a quoted-string from an escape at `self.pos`, checked as
    /// [`Parser::quoted_string`] checks it; the index of the closing quote (the position is left
    /// after it).
    #[cold]
    fn escaped_rest(&mut self) -> Result<usize, ParseError> {
        loop {
            match self.peek() {
                None => return Err(self.err("closing `\"` of quoted-string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(self.pos - 1);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c) if c == b'\t' || (0x20..0x7f).contains(&c) => self.pos += 1,
                        // obs-text: the (multi-byte) character itself is the value.
                        Some(c) if c >= 0x80 => {}
                        _ => return Err(self.err("escaped character after `\\`")),
                    }
                }
                Some(_) => return Err(self.err("qdtext")),
            }
            self.pos = quote_stop(self.b, self.pos);
        }
    }

    /// `#auth-param` to the end of the input, borrowing; the caller checked the scheme. A credentials
    /// value or a bare list holds no second challenge, so each element must be a parameter.
    ///
    #[cfg(test)]
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
            let mut eq = token_end(b, at);
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
                Cow::Borrowed(between(self.s, start, j))
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

    fn bare_value(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_bare_value_char) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// `#auth-param` after a scheme (or at the start of an Authentication-Info value). Stops at the end
    /// of input or before the scheme of the next challenge.
    fn params(&mut self, out: &mut Vec<(String, String)>) -> Result<(), ParseError> {
        loop {
            let name = self.token("auth-param name")?;
            self.skip_ows();
            if self.peek() != Some(b'=') {
                return Err(self.err("`=` after parameter name"));
            }
            self.pos += 1;
            self.skip_ows();
            let value = if self.peek() == Some(b'"') {
                self.quoted_string()?
            } else {
                self.bare_value().to_owned()
            };
            out.push((name.to_owned(), value));
            self.skip_ows();
            if self.eof() {
                return Ok(());
            }
            if self.peek() != Some(b',') {
                return Err(self.err("`,` between parameters"));
            }
            self.skip_ows_commas();
            if self.eof() || !self.looks_like_param() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Vec<Challenge> {
        parse_challenges([s]).unwrap()
    }

    #[test]
    fn mixed_schemes_in_one_value() {
        let cs = one(
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", Negotiate YIIabc+/==, Bearer"#,
        );
        assert_eq!(cs.len(), 4);
        assert_eq!(cs[0].scheme, "Newauth");
        assert_eq!(cs[0].param("TITLE"), Some(r#"Login to "apps""#));
        assert_eq!(cs[0].param("type"), Some("1"));
        assert_eq!(cs[1].param("realm"), Some("simple"));
        assert_eq!(cs[2].token68.as_deref(), Some("YIIabc+/=="));
        assert!(cs[3].is_scheme("bearer"));
        assert!(cs[3].params.is_empty());
    }

    #[test]
    fn quirks() {
        let cs = one(
            "digest  REALM = \"r\" ,, nonce=abc+/=, opaque=\"\", stale=TRUE, qop=\"auth, auth-int\",",
        );
        assert_eq!(cs.len(), 1);
        let c = &cs[0];
        assert!(c.is_scheme("Digest"));
        assert_eq!(c.param("realm"), Some("r"));
        assert_eq!(c.param("nonce"), Some("abc+/="));
        assert_eq!(c.param("opaque"), Some(""));
        assert_eq!(c.param("stale"), Some("TRUE"));
        assert_eq!(c.param("qop"), Some("auth, auth-int"));
    }

    #[test]
    fn errors_carry_offsets() {
        let e = parse_challenges(["Digest realm=\"x"]).unwrap_err();
        assert_eq!(e.offset(), 15);
        assert_eq!(e.found(), None);
        let e = parse_challenges(["Basic realm=\"a\"", "Digest realm \"x\""]).unwrap_err();
        assert_eq!(e.value_index(), 1);
        assert_eq!(e.offset(), 13);
        assert_eq!(
            e.to_string(),
            "expected `=` after parameter name at byte 13 (found '\"') in header value #2"
        );
        assert!(parse_challenges(["=x"]).is_err());
        assert!(parse_challenges(["Digest realm=\"a\u{1}\""]).is_err());
    }

    #[test]
    fn ext_value() {
        let mut s = String::new();
        encode_ext_value(&mut s, "Jäsøn Doe");
        assert_eq!(s, "UTF-8''J%C3%A4s%C3%B8n%20Doe");
        assert_eq!(decode_ext_value(&s).as_deref(), Some("Jäsøn Doe"));
        assert_eq!(
            decode_ext_value("iso-8859-1'en'J%E4s").as_deref(),
            Some("Jäs")
        );
        assert_eq!(decode_ext_value("UTF-8''%FF"), None);
        assert_eq!(decode_ext_value("UTF-8''%F"), None);
        assert_eq!(decode_ext_value("KOI8-R''abc"), None);
    }

    /// The word-at-a-time end of an unquoted value is the bytewise one, for every byte at every
    /// position of the first words and of the bytewise tail.
    #[test]
    fn bare_end_agrees_with_the_bytewise_scan() {
        for len in 0..20 {
            for at in 0..len {
                for stop in 0u8..=0xff {
                    let mut v = vec![b'x'; len];
                    v[at] = stop;
                    for from in 0..=at {
                        let expected = (from..len)
                            .find(|&i| !is_bare_value_char(v[i]))
                            .unwrap_or(len);
                        assert_eq!(bare_end(&v, from), expected, "len {len} at {at} {stop:#x}");
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// A quoted-string's span and [`unescape`] give what [`Parser::quoted_string`] gives: the
        /// same value, the same end, or the same error.
        #[test]
        fn quoted_span_and_unescape_are_quoted_string(
            body in "[a-z \t\"\\\\\u{0}-\u{1f}\u{7f}\u{e9}\u{65e5}]{0,40}",
        ) {
            let input = format!("\"{body}");
            let mut old = Parser::new(&input);
            let want = old.quoted_string().map(|v| (v, old.pos));
            let mut new = Parser::new(&input);
            let got = new.quoted_span().map(|(from, to, escaped)| {
                let text = &input[from..to];
                proptest::prop_assert_eq!(escaped, text.contains('\\'));
                let v = if escaped { unescape(text) } else { text.to_owned() };
                Ok((v, new.pos))
            });
            match (want, got) {
                (Ok(w), Ok(g)) => proptest::prop_assert_eq!(w, g?),
                (Err(w), Err(g)) => proptest::prop_assert_eq!(w, g),
                (w, g) => proptest::prop_assert!(false, "{:?} vs {:?}", w, g.map(|_| ())),
            }
        }
    }

    /// The word-at-a-time scan finds the first stop byte at every position of a word, steps over
    /// HTAB, and agrees with the bytewise definition.
    #[test]
    fn quote_stop_agrees_with_the_bytewise_scan() {
        for len in 0..40 {
            for at in 0..len {
                for stop in [b'"', b'\\', 0x00, 0x1f, 0x7f, b'\t', 0x80, b' '] {
                    let mut v = vec![b'x'; len];
                    v[at] = stop;
                    let expected = (0..len).find(|&i| class(v[i], QUOTE_STOP)).unwrap_or(len);
                    assert_eq!(
                        quote_stop(&v, 0),
                        expected,
                        "len {len} at {at} byte {stop:#x}"
                    );
                }
            }
        }
        let parsed = |s: &str| {
            let mut got = Vec::new();
            for_each_list_param(s, |n, v, _| {
                got.push((n.to_owned(), v.into_owned()));
                Ok(true)
            })
            .map(|()| got)
        };
        assert_eq!(
            parsed("a=\"tab\there and a longer tail\", b=\"x\\\"y\"").unwrap(),
            [
                ("a".to_owned(), "tab\there and a longer tail".to_owned()),
                ("b".to_owned(), "x\"y".to_owned())
            ]
        );
        assert!(parsed("a=\"long enough to need a word \u{1} here\"").is_err());
        assert!(parsed("a=\"unterminated and long enough").is_err());
        assert!(parsed("a=1 b=2").is_err());
        assert!(parsed("a =1,b= \"2\",, c=3 ,").is_ok());
    }

    type Collected = Result<Vec<(String, String, usize)>, ParseError>;

    fn collect(
        run: impl FnOnce(
            &mut dyn FnMut(&str, Cow<'_, str>, usize) -> Result<bool, ParseError>,
        ) -> Result<(), ParseError>,
    ) -> Collected {
        let mut got = Vec::new();
        run(&mut |n, v, at| {
            got.push((n.to_owned(), v.into_owned(), at));
            Ok(true)
        })
        .map(|()| got)
    }

    /// The new parser and the old one (kept in `oracle`) on one input: the same parameters (names,
    /// unescaped values, offsets) or the same error, for both entry points; and a value without
    /// escapes is borrowed.
    fn agree(input: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        use proptest::prop_assert_eq;
        let new = collect(|f| for_each_list_param(input, f));
        let old = collect(|f| oracle::for_each_list_param(input, f));
        prop_assert_eq!(new, old, "list {:?}", input);
        let new = collect(|f| for_each_credential_param(input, "Digest", f));
        let old = collect(|f| oracle::for_each_credential_param(input, "Digest", f));
        prop_assert_eq!(new, old, "credentials {:?}", input);
        let mut borrowed_ok = true;
        let _ = for_each_list_param(input, |_, v, at| {
            let escaped = input[at..].split_once('=').is_some_and(|(_, rest)| {
                rest.trim_start_matches([' ', '\t']).starts_with('"')
                    && rest.trim_start_matches([' ', '\t'])[1..]
                        .split('"')
                        .next()
                        .is_some_and(|q| q.contains('\\'))
            });
            if !escaped && matches!(v, Cow::Owned(_)) {
                borrowed_ok = false;
            }
            Ok(true)
        });
        proptest::prop_assert!(
            borrowed_ok,
            "a value without escapes was copied: {:?}",
            input
        );
        Ok(())
    }

    /// Structured inputs: parameter lists with every separator, quoting and escape form, plus
    /// arbitrary junk between them, so that both parsers get deep into the grammar.
    fn structured() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let name = prop_oneof![
            Just("username".to_owned()),
            Just("username*".to_owned()),
            Just("nc".to_owned()),
            Just("NoNcE".to_owned()),
            Just("algorithm".to_owned()),
            "[a-zA-Z0-9!#$%&'*+.^_`|~-]{0,12}",
        ];
        let value = prop_oneof![
            "[a-zA-Z0-9/+=:._-]{0,20}",
            "\"[ -~\t\u{e9}\u{65e5}]{0,40}\"",
            "\"[a-z\t\u{0}-\u{1f}\u{7f}]{0,40}\"",
            "\"([a-z0-9 ]{0,6}\\\\[ -~\u{e9}\u{1}]){0,4}[a-z]{0,4}\"",
            "\"[a-z0-9]{0,30}",
            "[\u{0}-\u{7f}\u{e9}]{0,6}",
        ];
        let sep = prop_oneof![
            Just(", ".to_owned()),
            Just(",".to_owned()),
            Just(" , ,\t".to_owned()),
            Just(" ".to_owned()),
            "[ ,\t;=\"]{0,3}",
        ];
        let eq = prop_oneof![
            Just("=".to_owned()),
            Just(" = ".to_owned()),
            Just("\t=".to_owned()),
            "[ =]{0,2}"
        ];
        (
            prop_oneof![
                Just("Digest ".to_owned()),
                Just("".to_owned()),
                "[A-Za-z ,]{0,8}"
            ],
            proptest::collection::vec((name, eq, value, sep), 0..8),
        )
            .prop_map(|(head, params)| {
                let mut s = head;
                for (n, e, v, sep) in params {
                    s.push_str(&n);
                    s.push_str(&e);
                    s.push_str(&v);
                    s.push_str(&sep);
                }
                s
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        #[test]
        fn byte_scanning_parser_agrees_with_the_old_one_on_structured_input(input in structured()) {
            agree(&input)?;
        }

        #[test]
        fn byte_scanning_parser_agrees_with_the_old_one_on_arbitrary_input(
            input in "[a-zA-Z0-9 \t,=\"\\\\*#\u{0}-\u{1f}\u{7f}\u{80}-\u{ff}\u{65e5}-]{0,64}",
        ) {
            agree(&input)?;
        }

        #[test]
        fn byte_scanning_parser_agrees_with_the_old_one_on_any_string(input in ".{0,80}") {
            agree(&input)?;
        }
    }

    /// Scans across the 16-byte chunks and 8-byte words at every alignment: a stop byte (or a
    /// non-lowercase name byte) at each position of a long value is found exactly where the old
    /// parser finds it.
    #[test]
    fn chunk_boundaries_agree_with_the_old_parser() {
        for len in 0..40 {
            for at in 0..=len {
                for stop in [
                    "\"", "\\", "\u{0}", "\u{1}", "\u{1f}", "\u{7f}", "\t", "\u{e9}", " ", "Z",
                    "*", "=", ",",
                ] {
                    let mut v = "x".repeat(len);
                    v.insert_str(at, stop);
                    agree(&format!("a=\"{v}\", b=1")).unwrap();
                    agree(&format!("{v}=\"{v}\"")).unwrap();
                    agree(&format!("Digest {v}={v}, {v}\"")).unwrap();
                }
            }
        }
    }

    #[test]
    fn credentials_and_param_lists() {
        let c = parse_credentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!(c.token68.as_deref(), Some("QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        assert!(parse_credentials("Digest a=1 b").is_err());
        let p = parse_param_list("qop=auth, rspauth=\"ab\", ").unwrap();
        assert_eq!(p.len(), 2);
        assert!(parse_param_list("").unwrap().is_empty());
    }
}
