//! Typed views of the three Digest headers, with parsing and formatting that round-trip.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::hash::{Algorithm, Qop};
#[cfg(test)]
use crate::parse::for_each_list_param;
use crate::parse::{
    Challenge, ParseError, encode_ext_value, is_quotable, parse_credentials, write_quoted,
};

/// A `Digest` challenge ([RFC 7616 section 3.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.3)).
///
/// Parse one from a [`Challenge`] with [`DigestChallenge::from_challenge`] or from a single-challenge
/// header value with [`str::parse`]; `Display` formats a value that parses back to an equal one
/// (`algorithm`, `stale`, `charset` and `userhash` unquoted, `qop` quoted as the RFC requires).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DigestChallenge {
    /// `realm` (empty when the server omitted it).
    pub realm: String,
    /// `domain`: space-separated URIs of the protection space, if sent.
    pub domain: Option<String>,
    /// `nonce`.
    pub nonce: String,
    /// `opaque`, echoed unchanged by the client.
    pub opaque: Option<String>,
    /// `stale=true`: the previous nonce expired but the credentials were fine; retry with this nonce.
    pub stale: bool,
    /// `algorithm` (`MD5` when absent).
    pub algorithm: Algorithm,
    /// `qop` options: `None` when absent (RFC 2069 mode); values this crate does not know are dropped, so
    /// `Some(vec![])` means "only unknown qop values offered".
    pub qop: Option<Vec<Qop>>,
    /// `charset=UTF-8` was sent.
    pub charset_utf8: bool,
    /// `userhash=true` was sent: the client should send `H(username:realm)` instead of the username.
    pub userhash: bool,
}

impl DigestChallenge {
    /// A challenge with the given realm, nonce and algorithm, qop `auth`, nothing else.
    pub fn new(
        realm: impl Into<String>,
        nonce: impl Into<String>,
        algorithm: Algorithm,
    ) -> DigestChallenge {
        DigestChallenge {
            realm: realm.into(),
            domain: None,
            nonce: nonce.into(),
            opaque: None,
            stale: false,
            algorithm,
            qop: Some(vec![Qop::Auth]),
            charset_utf8: false,
            userhash: false,
        }
    }

    /// The typed view of a generic challenge. Fails if the scheme is not `Digest`, `nonce` is missing,
    /// or `algorithm` names an algorithm this crate does not implement (the error's
    /// [`ParseError::expected`] says which; the offset is 0 because a parsed challenge keeps no positions).
    pub fn from_challenge(c: &Challenge) -> Result<DigestChallenge, ParseError> {
        let semantic = |what: &'static str| ParseError::semantic(0, what);
        if !c.is_scheme("Digest") {
            return Err(semantic("the `Digest` scheme"));
        }
        check_no_duplicates(&c.params)?;
        let nonce = c
            .param("nonce")
            .ok_or_else(|| semantic("a `nonce` parameter"))?;
        let algorithm = match c.param("algorithm") {
            None => Algorithm::Md5,
            Some(a) => a
                .trim()
                .parse()
                .map_err(|_| semantic("a supported `algorithm`"))?,
        };
        let flag = |name: &str| {
            c.param(name)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        Ok(DigestChallenge {
            realm: c.param("realm").unwrap_or_default().to_owned(),
            domain: c.param("domain").map(str::to_owned),
            nonce: nonce.to_owned(),
            opaque: c.param("opaque").map(str::to_owned),
            stale: flag("stale"),
            algorithm,
            qop: c.param("qop").map(parse_qop_list),
            charset_utf8: c
                .param("charset")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("UTF-8")),
            userhash: flag("userhash"),
        })
    }

    /// True if `qop` offers `q`.
    pub fn offers(&self, q: Qop) -> bool {
        self.qop.as_ref().is_some_and(|l| l.contains(&q))
    }
}

/// Splits a quoted qop list (`"auth, auth-int"`, `"auth,auth-int"`, `" auth-int"`), trimming each item and
/// dropping unknown values.
pub(crate) fn parse_qop_list(v: &str) -> Vec<Qop> {
    let mut out = Vec::new();
    for item in v.split(',') {
        if let Ok(q) = item.trim().parse::<Qop>() {
            if !out.contains(&q) {
                out.push(q);
            }
        }
    }
    out
}

impl FromStr for DigestChallenge {
    type Err = ParseError;

    /// Parses a header value holding exactly one `Digest` challenge (for several, use
    /// [`crate::parse_challenges`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let c = parse_credentials(s)?;
        DigestChallenge::from_challenge(&c).map_err(|e| match e.kind() {
            crate::parse::ParseErrorKind::Semantic => ParseError::semantic(s.len(), e.expected()),
            _ => e,
        })
    }
}

impl fmt::Display for DigestChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest realm=")?;
        write_quoted(f, &self.realm)?;
        if let Some(d) = &self.domain {
            f.write_str(", domain=")?;
            write_quoted(f, d)?;
        }
        if let Some(q) = &self.qop {
            f.write_str(", qop=\"")?;
            for (i, q) in q.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(q.as_str())?;
            }
            f.write_str("\"")?;
        }
        write!(f, ", algorithm={}, nonce=", self.algorithm)?;
        write_quoted(f, &self.nonce)?;
        if let Some(o) = &self.opaque {
            f.write_str(", opaque=")?;
            write_quoted(f, o)?;
        }
        if self.charset_utf8 {
            f.write_str(", charset=UTF-8")?;
        }
        if self.userhash {
            f.write_str(", userhash=true")?;
        }
        if self.stale {
            f.write_str(", stale=true")?;
        }
        Ok(())
    }
}

/// A parsed `Digest` `Authorization` value
/// ([RFC 7616 section 3.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4)).
///
/// `Display` writes the parameters in the order this crate's client sends them, `response` last
/// (some embedded servers insist on it), `algorithm`, `qop` and `nc` unquoted (section 3.3).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationHeader {
    /// The username, decoded from `username*` when that form was used. With `userhash` it is the hex
    /// `H(username:realm)`.
    pub username: String,
    /// The username was (or is to be) sent as `username*` (RFC 8187 ext-value). Formatting also uses
    /// `username*` whenever the username cannot go in a quoted-string or is not ASCII.
    pub username_extended: bool,
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `uri`: the request-target as sent.
    pub uri: String,
    /// `response`.
    pub response: String,
    /// `algorithm` (`MD5` when absent).
    pub algorithm: Algorithm,
    /// `cnonce` (required with qop).
    pub cnonce: Option<String>,
    /// `opaque`, echoed.
    pub opaque: Option<String>,
    /// `qop` chosen by the client; `None` in RFC 2069 mode.
    pub qop: Option<Qop>,
    /// `nc` (required with qop).
    pub nc: Option<u32>,
    /// `userhash=true`.
    pub userhash: bool,
}

impl AuthorizationHeader {
    /// A value with the required parameters; `algorithm` MD5, no qop (RFC 2069 form), nothing else.
    /// Set the public fields for the rest.
    pub fn new(
        username: impl Into<String>,
        realm: impl Into<String>,
        nonce: impl Into<String>,
        uri: impl Into<String>,
        response: impl Into<String>,
    ) -> AuthorizationHeader {
        AuthorizationHeader {
            username: username.into(),
            username_extended: false,
            realm: realm.into(),
            nonce: nonce.into(),
            uri: uri.into(),
            response: response.into(),
            algorithm: Algorithm::Md5,
            cnonce: None,
            opaque: None,
            qop: None,
            nc: None,
            userhash: false,
        }
    }
}

impl fmt::Debug for AuthorizationHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationHeader")
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("nonce", &self.nonce)
            .field("uri", &self.uri)
            .field("response", &"** redacted **")
            .field("algorithm", &self.algorithm)
            .field("cnonce", &self.cnonce)
            .field("opaque", &self.opaque)
            .field("qop", &self.qop)
            .field("nc", &self.nc)
            .field("userhash", &self.userhash)
            .finish()
    }
}

/// True if the username must go as `username*`.
pub(crate) fn needs_extended(username: &str) -> bool {
    !username.is_ascii() || !is_quotable(username)
}

/// `nc`: exactly 8 hex digits (RFC 7616 section 3.4: `nc-value = 8LHEX`; uppercase accepted).
/// Byte by byte: the oracle of the parsers' word-at-a-time `nc` (`parse::params::nc_value`).
#[cfg(test)]
pub(crate) fn parse_nc(v: &str) -> Option<u32> {
    let b: &[u8; 8] = v.as_bytes().try_into().ok()?;
    let mut n = 0u32;
    let mut bad = false;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => {
                bad = true;
                0
            }
        };
        n = (n << 4) | u32::from(d);
    }
    (!bad).then_some(n)
}

/// Tracks the parameters seen in one header so that duplicates are refused (case-insensitively).
/// `lookup` maps a lowercase name to its slot among the known ones (the oracles' duplicate check).
#[cfg(test)]
struct Seen<'a, F> {
    lookup: F,
    mask: u32,
    others: Vec<&'a str>,
}

#[cfg(test)]
impl<'a, F: Fn(&[u8]) -> Option<usize>> Seen<'a, F> {
    fn new(lookup: F) -> Self {
        Seen {
            lookup,
            mask: 0,
            others: Vec::new(),
        }
    }

    /// The slot of `name` among the known names (or `None`), after checking it is not a duplicate.
    #[inline]
    fn see(&mut self, name: &'a str, at: usize) -> Result<Option<usize>, ParseError> {
        let n = name.as_bytes();
        // Names are almost always sent in lowercase: try them as they are first.
        let slot = if let Some(i) = (self.lookup)(n) {
            Some(i)
        } else if n.len() <= 16 && n.iter().any(u8::is_ascii_uppercase) {
            let mut lower = [0u8; 16];
            for (d, &c) in lower.iter_mut().zip(n) {
                *d = c.to_ascii_lowercase();
            }
            (self.lookup)(&lower[..n.len()])
        } else {
            None
        };
        if let Some(i) = slot {
            let bit = 1u32 << i;
            if self.mask & bit != 0 {
                return Err(ParseError::duplicate(at));
            }
            self.mask |= bit;
            return Ok(Some(i));
        }
        if self.others.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            return Err(ParseError::duplicate(at));
        }
        self.others.push(name);
        Ok(None)
    }
}

/// Refuses a generic challenge that names a parameter twice (RFC 9110 section 11.2).
pub(crate) fn check_no_duplicates(params: &[(String, String)]) -> Result<(), ParseError> {
    for (i, (name, _)) in params.iter().enumerate() {
        if params[..i]
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            return Err(ParseError::duplicate(0));
        }
    }
    Ok(())
}

/// A parsed `Digest` `Authorization` value borrowing from the input (values with escapes, and a
/// decoded `username*`, are owned). The server verifies from this view: one pass, no allocation for
/// ordinary headers.
pub(crate) struct AuthorizationRef<'a> {
    pub(crate) username: Cow<'a, str>,
    pub(crate) username_extended: bool,
    pub(crate) realm: Cow<'a, str>,
    pub(crate) nonce: Cow<'a, str>,
    pub(crate) uri: Cow<'a, str>,
    pub(crate) response: Cow<'a, str>,
    pub(crate) algorithm: Algorithm,
    pub(crate) cnonce: Option<Cow<'a, str>>,
    pub(crate) opaque: Option<Cow<'a, str>>,
    pub(crate) qop: Option<Qop>,
    pub(crate) nc: Option<u32>,
    pub(crate) userhash: bool,
}

/// `slot` if `name` is exactly `want` (a compare of known length, a word or two).
#[cfg(test)]
#[inline(always)]
fn exactly<const N: usize>(name: &[u8], want: &[u8; N], slot: usize) -> Option<usize> {
    (<&[u8; N]>::try_from(name).ok() == Some(want)).then_some(slot)
}

/// Slots of the `Authorization` parameters (lowercase name -> index): the length and first byte
/// pick the one candidate, a single compare confirms it (the oracle's table; the server's parser
/// matches names itself).
#[cfg(test)]
#[inline(always)]
fn authorization_slot(name: &[u8]) -> Option<usize> {
    match (name.len(), *name.first()?) {
        (2, b'n') => exactly(name, b"nc", 10),
        (3, b'u') => exactly(name, b"uri", 4),
        (3, b'q') => exactly(name, b"qop", 9),
        (5, b'r') => exactly(name, b"realm", 2),
        (5, b'n') => exactly(name, b"nonce", 3),
        (6, b'c') => exactly(name, b"cnonce", 7),
        (6, b'o') => exactly(name, b"opaque", 8),
        (8, b'r') => exactly(name, b"response", 5),
        (8, b'u') if name.get(4) == Some(&b'h') => exactly(name, b"userhash", 11),
        (8, b'u') => exactly(name, b"username", 0),
        (9, b'u') => exactly(name, b"username*", 1),
        (9, b'a') => exactly(name, b"algorithm", 6),
        _ => None,
    }
}

/// Slots of the `Authentication-Info` parameters (the length picks the candidate; the oracle's
/// table, the client's parser matches names itself).
#[cfg(test)]
#[inline(always)]
fn authentication_info_slot(name: &[u8]) -> Option<usize> {
    match name.len() {
        9 => exactly(name, b"nextnonce", 0),
        3 => exactly(name, b"qop", 1),
        7 => exactly(name, b"rspauth", 2),
        6 => exactly(name, b"cnonce", 3),
        2 => exactly(name, b"nc", 4),
        _ => None,
    }
}

impl<'a> AuthorizationRef<'a> {
    /// Parses a `Digest` credentials value. Missing `username`/`username*`, `realm`, `nonce`, `uri` or
    /// `response`, an unsupported algorithm, an `nc` that is not 8 hex digits, a malformed
    /// `username*`, both `username` and `username*`, a duplicate parameter, or qop without `nc` and
    /// `cnonce` are errors.
    ///
    /// The typed one-pass parser of [`crate::parse`]; [`AuthorizationRef::parse_generic`] is the
    /// generic path it replaced, kept as its oracle in tests.
    #[inline]
    pub(crate) fn parse(s: &'a str) -> Result<AuthorizationRef<'a>, ParseError> {
        crate::parse::parse_authorization(s)
    }

    /// The generic path: every parameter through `for_each_credential_param` and a name table,
    /// then the same checks. The oracle of [`AuthorizationRef::parse`].
    #[cfg(test)]
    pub(crate) fn parse_generic(s: &'a str) -> Result<AuthorizationRef<'a>, ParseError> {
        let semantic = |what: &'static str| ParseError::semantic(s.len(), what);
        let mut seen = Seen::new(authorization_slot);
        let mut v: [Option<Cow<'a, str>>; 12] = Default::default();
        crate::parse::for_each_credential_param(s, "Digest", |name, value, at| {
            Ok(match seen.see(name, at)? {
                Some(i) => {
                    v[i] = Some(value);
                    true
                }
                None => false,
            })
        })?;
        let [
            username,
            username_ext,
            realm,
            nonce,
            uri,
            response,
            algorithm,
            cnonce,
            opaque,
            qop,
            nc,
            userhash,
        ] = v;
        let (username, username_extended) = match (username, username_ext) {
            (Some(_), Some(_)) => {
                return Err(semantic("only one of `username` and `username*`"));
            }
            (Some(u), None) => (u, false),
            (None, Some(ext)) => (
                Cow::Owned(
                    crate::parse::decode_ext_value(ext.trim())
                        .ok_or_else(|| semantic("a valid RFC 8187 `username*` value"))?,
                ),
                true,
            ),
            (None, None) => return Err(semantic("a `username` parameter")),
        };
        let algorithm = match algorithm {
            None => Algorithm::Md5,
            Some(a) => {
                Algorithm::from_wire(&a).ok_or_else(|| semantic("a supported `algorithm`"))?
            }
        };
        let qop = match qop {
            None => None,
            Some(q) => Some(Qop::from_wire(&q).ok_or_else(|| semantic("`qop` auth or auth-int"))?),
        };
        let nc = match nc {
            None => None,
            Some(v) => Some(parse_nc(&v).ok_or_else(|| semantic("`nc` as 8 hex digits"))?),
        };
        if qop.is_some() && (nc.is_none() || cnonce.is_none()) {
            return Err(semantic("`nc` and `cnonce` with `qop`"));
        }
        Ok(AuthorizationRef {
            username,
            username_extended,
            realm: realm.ok_or_else(|| semantic("a `realm` parameter"))?,
            nonce: nonce.ok_or_else(|| semantic("a `nonce` parameter"))?,
            uri: uri.ok_or_else(|| semantic("a `uri` parameter"))?,
            response: response.ok_or_else(|| semantic("a `response` parameter"))?,
            algorithm,
            cnonce,
            opaque,
            qop,
            nc,
            userhash: userhash.is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        })
    }
}

impl FromStr for AuthorizationHeader {
    type Err = ParseError;

    /// Parses a `Digest` credentials value. Missing `username`/`username*`, `realm`, `nonce`, `uri` or
    /// `response`, an unsupported algorithm, an `nc` that is not exactly 8 hex digits, a malformed
    /// `username*`, both `username` and `username*`, a duplicate parameter, a value longer than
    /// [`crate::MAX_HEADER_LEN`], or qop without `nc` and `cnonce` are errors.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let r = AuthorizationRef::parse(s)?;
        Ok(AuthorizationHeader {
            username: r.username.into_owned(),
            username_extended: r.username_extended,
            realm: r.realm.into_owned(),
            nonce: r.nonce.into_owned(),
            uri: r.uri.into_owned(),
            response: r.response.into_owned(),
            algorithm: r.algorithm,
            cnonce: r.cnonce.map(Cow::into_owned),
            opaque: r.opaque.map(Cow::into_owned),
            qop: r.qop,
            nc: r.nc,
            userhash: r.userhash,
        })
    }
}

impl fmt::Display for AuthorizationHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest ")?;
        if self.username_extended || needs_extended(&self.username) {
            let mut s = String::with_capacity(self.username.len() * 3 + 7);
            encode_ext_value(&mut s, &self.username);
            write!(f, "username*={s}")?;
        } else {
            f.write_str("username=")?;
            write_quoted(f, &self.username)?;
        }
        f.write_str(", realm=")?;
        write_quoted(f, &self.realm)?;
        f.write_str(", uri=")?;
        write_quoted(f, &self.uri)?;
        write!(f, ", algorithm={}, nonce=", self.algorithm)?;
        write_quoted(f, &self.nonce)?;
        if let Some(nc) = self.nc {
            write!(f, ", nc={nc:08x}")?;
        }
        if let Some(c) = &self.cnonce {
            f.write_str(", cnonce=")?;
            write_quoted(f, c)?;
        }
        if let Some(q) = self.qop {
            write!(f, ", qop={q}")?;
        }
        if self.userhash {
            f.write_str(", userhash=true")?;
        }
        if let Some(o) = &self.opaque {
            f.write_str(", opaque=")?;
            write_quoted(f, o)?;
        }
        f.write_str(", response=")?;
        write_quoted(f, &self.response)
    }
}

/// A parsed `Authentication-Info` value
/// ([RFC 7616 section 3.5](https://www.rfc-editor.org/rfc/rfc7616#section-3.5)): mutual
/// authentication (`rspauth`) and the next nonce to use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthenticationInfo {
    /// `nextnonce`: use this nonce (with nc restarting at 1) for the next request.
    pub nextnonce: Option<String>,
    /// `qop` echoed from the request.
    pub qop: Option<Qop>,
    /// `rspauth`: proves the server knows the credentials too.
    pub rspauth: Option<String>,
    /// `cnonce` echoed from the request.
    pub cnonce: Option<String>,
    /// `nc` echoed from the request.
    pub nc: Option<u32>,
}

impl AuthenticationInfo {
    /// An empty value (no parameters).
    pub fn new() -> AuthenticationInfo {
        AuthenticationInfo::default()
    }
}

impl FromStr for AuthenticationInfo {
    type Err = ParseError;

    /// Parses the parameter list; unknown parameters are ignored; a malformed `nc` or `qop`, or a
    /// duplicate parameter, is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let r = AuthenticationInfoRef::parse(s)?;
        Ok(AuthenticationInfo {
            nextnonce: r.nextnonce.map(Cow::into_owned),
            qop: r.qop,
            rspauth: r.rspauth.map(Cow::into_owned),
            cnonce: r.cnonce.map(Cow::into_owned),
            nc: r.nc,
        })
    }
}

/// A parsed `Authentication-Info` borrowing from the input (the client checks `rspauth` from this).
pub(crate) struct AuthenticationInfoRef<'a> {
    pub(crate) nextnonce: Option<Cow<'a, str>>,
    pub(crate) qop: Option<Qop>,
    pub(crate) rspauth: Option<Cow<'a, str>>,
    pub(crate) cnonce: Option<Cow<'a, str>>,
    pub(crate) nc: Option<u32>,
}

impl<'a> AuthenticationInfoRef<'a> {
    /// Parses an `Authentication-Info` value: unknown parameters are ignored; a malformed `nc` or
    /// `qop`, or a duplicate parameter, is an error.
    ///
    /// The typed one-pass parser of [`crate::parse`]; [`AuthenticationInfoRef::parse_generic`] is
    /// the generic path it replaced, kept as its oracle in tests.
    #[inline]
    pub(crate) fn parse(s: &'a str) -> Result<AuthenticationInfoRef<'a>, ParseError> {
        crate::parse::parse_authentication_info(s)
    }

    /// The generic path: every parameter through `for_each_list_param` and a name table, then the
    /// same checks. The oracle of [`AuthenticationInfoRef::parse`].
    #[cfg(test)]
    pub(crate) fn parse_generic(s: &'a str) -> Result<AuthenticationInfoRef<'a>, ParseError> {
        let semantic = |what: &'static str| ParseError::semantic(s.len(), what);
        let mut seen = Seen::new(authentication_info_slot);
        let mut v: [Option<Cow<'a, str>>; 5] = Default::default();
        for_each_list_param(s, |name, value, at| {
            Ok(match seen.see(name, at)? {
                Some(i) => {
                    v[i] = Some(value);
                    true
                }
                None => false,
            })
        })?;
        let [nextnonce, qop, rspauth, cnonce, nc] = v;
        let qop = match qop {
            None => None,
            Some(q) => Some(Qop::from_wire(&q).ok_or_else(|| semantic("`qop` auth or auth-int"))?),
        };
        let nc = match nc {
            None => None,
            Some(v) => Some(parse_nc(&v).ok_or_else(|| semantic("`nc` as 8 hex digits"))?),
        };
        Ok(AuthenticationInfoRef {
            nextnonce,
            qop,
            rspauth,
            cnonce,
            nc,
        })
    }
}

impl fmt::Display for AuthenticationInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let mut next = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            let s = sep;
            sep = ", ";
            f.write_str(s)
        };
        if let Some(q) = self.qop {
            next(f)?;
            write!(f, "qop={q}")?;
        }
        if let Some(r) = &self.rspauth {
            next(f)?;
            f.write_str("rspauth=")?;
            write_quoted(f, r)?;
        }
        if let Some(c) = &self.cnonce {
            next(f)?;
            f.write_str("cnonce=")?;
            write_quoted(f, c)?;
        }
        if let Some(nc) = self.nc {
            next(f)?;
            write!(f, "nc={nc:08x}")?;
        }
        if let Some(n) = &self.nextnonce {
            next(f)?;
            f.write_str("nextnonce=")?;
            write_quoted(f, n)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// The previous slot lookups (a `match` on the whole name), the oracle of the faster ones.
    mod oracle {
        /// Slots of the `Authorization` parameters (lowercase name -> index).
        pub(super) fn authorization_slot(name: &[u8]) -> Option<usize> {
            Some(match name {
                b"username" => 0,
                b"username*" => 1,
                b"realm" => 2,
                b"nonce" => 3,
                b"uri" => 4,
                b"response" => 5,
                b"algorithm" => 6,
                b"cnonce" => 7,
                b"opaque" => 8,
                b"qop" => 9,
                b"nc" => 10,
                b"userhash" => 11,
                _ => return None,
            })
        }

        /// Slots of the `Authentication-Info` parameters.
        pub(super) fn authentication_info_slot(name: &[u8]) -> Option<usize> {
            Some(match name {
                b"nextnonce" => 0,
                b"qop" => 1,
                b"rspauth" => 2,
                b"cnonce" => 3,
                b"nc" => 4,
                _ => return None,
            })
        }
    }

    /// Every known name, and every name one byte away from one (replaced, dropped or added), gets
    /// the same slot from both lookups.
    #[test]
    fn slot_lookups_agree_with_the_old_match() {
        let known = [
            "username",
            "username*",
            "realm",
            "nonce",
            "uri",
            "response",
            "algorithm",
            "cnonce",
            "opaque",
            "qop",
            "nc",
            "userhash",
            "nextnonce",
            "rspauth",
        ];
        let mut names: Vec<Vec<u8>> = vec![Vec::new()];
        for k in known {
            let k = k.as_bytes();
            names.push(k.to_vec());
            for i in 0..=k.len() {
                for c in (b'a'..=b'z').chain([b'*', b'-', b'A', b'H', b'0']) {
                    let mut v = k.to_vec();
                    v.insert(i, c);
                    names.push(v);
                    if i < k.len() {
                        let mut v = k.to_vec();
                        v[i] = c;
                        names.push(v);
                    }
                }
                let mut v = k.to_vec();
                if i < k.len() {
                    v.remove(i);
                    names.push(v);
                }
            }
        }
        for n in &names {
            assert_eq!(
                super::authorization_slot(n),
                oracle::authorization_slot(n),
                "{:?}",
                String::from_utf8_lossy(n)
            );
            assert_eq!(
                super::authentication_info_slot(n),
                oracle::authentication_info_slot(n),
                "{:?}",
                String::from_utf8_lossy(n)
            );
        }
    }
}
