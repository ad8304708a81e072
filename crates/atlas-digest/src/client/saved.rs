//! A client's adopted session, saved for another client (another process, a later run):
//! [`SavedSession`] (the protection space, the nonce and the next nc nobody was given), its text
//! form, and [`NcBlock`] (nc values reserved from it for one client).
//!
//! # Never an nc twice
//! A saved session is a nonce plus `next_nc`, the lowest nc that no client was given. A client
//! takes a *block* `[next_nc, next_nc + k)` with [`SavedSession::reserve`], which moves `next_nc`
//! past the block; whoever keeps the saved session (a file, a database row) writes the advanced
//! session back before the block is imported, under its own lock, so two clients never hold
//! overlapping blocks. An imported client sends at most the nc values of its block and then
//! fetches a fresh challenge; it never exports the imported nonce again. Only a nonce this client
//! adopted from the server itself is exported ([`crate::DigestClient::export_session`]), and
//! exporting hands the rest of it over: the exporting client sends no further nc on it.
//!
//! # Text form
//! [`SavedSession::to_text`] / [`SavedSession::from_text`]: UTF-8 lines `key SP value LF`, the
//! first `atlas-digest-session 1`; values are percent-encoded for `%` and control characters.
//! The parser is strict (every key known, none twice, the required ones present, at most
//! [`MAX_SAVED_SESSION_LEN`] bytes) and never panics. No secret is in it: H(A1) is a password equivalent
//! and is computed again from the credentials on import.

use std::fmt;

use crate::error::DigestError;
use crate::hash::{Algorithm, Qop};
use crate::header::DigestChallenge;
use crate::target::Origin;

/// The largest text [`SavedSession::from_text`] reads, in bytes.
pub const MAX_SAVED_SESSION_LEN: usize = 16 * 1024;

/// The first line of the text form.
const MAGIC: &str = "atlas-digest-session 1";

/// One past the largest nc (nc is 32 bits on the wire).
const NC_END: u64 = 1 << 32;

/// An adopted Digest session as another client can take it up: origin, user name, the
/// challenge's protection space (realm, algorithm, qop, opaque, userhash, charset), the nonce,
/// and the next nc that was never sent. Holds no secret: H(A1) is a password equivalent and is
/// computed again from the credentials on import.
///
/// Never an nc twice: [`reserve`](Self::reserve) takes a block `[next_nc, next_nc + k)` and
/// moves `next_nc` past it; whoever keeps the saved session stores the advanced copy, under its
/// own lock, before the block is imported, so two clients never hold overlapping blocks. An
/// imported client sends at most its block and never exports that nonce again; only a nonce a
/// client adopted from the server itself is exported, and exporting hands the rest of it over.
///
/// `Debug` shows only the first characters of the nonce.
#[derive(Clone, PartialEq, Eq)]
pub struct SavedSession {
    pub(crate) origin: Origin,
    pub(crate) username: String,
    pub(crate) challenge: DigestChallenge,
    /// `1..=2^32`; `2^32` means no nc is left.
    pub(crate) next_nc: u64,
}

impl fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SavedSession")
            .field("origin", &self.origin)
            .field("username", &self.username)
            .field("realm", &self.challenge.realm)
            .field("algorithm", &self.challenge.algorithm)
            .field("nonce", &self.nonce_hint())
            .field("next_nc", &self.next_nc)
            .finish_non_exhaustive()
    }
}

impl SavedSession {
    /// The origin the session is bound to.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The user name the session answers for (for Atlas: the public key).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.challenge.realm
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.challenge.algorithm
    }

    /// The nonce.
    pub fn nonce(&self) -> &str {
        &self.challenge.nonce
    }

    /// The first characters of the nonce and its length, for status lines and logs
    /// (`"Zm9v… (32 chars)"`).
    pub fn nonce_hint(&self) -> String {
        let n = &self.challenge.nonce;
        let head: String = n.chars().take(4).collect();
        format!("{head}… ({} chars)", n.chars().count())
    }

    /// The lowest nc no client was given, or `None` when the nonce has no nc left.
    pub fn next_nc(&self) -> Option<u32> {
        u32::try_from(self.next_nc).ok()
    }

    /// Reserves the next `count` nc values (at least one; fewer if the nonce runs out) for one
    /// client and moves [`next_nc`](Self::next_nc) past them. `None` when no nc is left.
    ///
    /// Store `self` (advanced) before the block is imported, under the same lock the session
    /// was read under: that is what keeps two clients' blocks apart.
    pub fn reserve(&mut self, count: u32) -> Option<NcBlock> {
        let (first, end) = block_bounds(self.next_nc, count)?;
        self.next_nc = end;
        Some(NcBlock {
            session: SavedSession {
                next_nc: first,
                ..self.clone()
            },
            end,
        })
    }

    /// The text form: UTF-8 lines `key SP value LF`, the first `atlas-digest-session 1`, then
    /// `origin`, `username`, `realm`, `algorithm`, `qop` (a comma list), `opaque` (when sent),
    /// `userhash` and `charset-utf8` (`0`/`1`), `nonce` and `next-nc`; values are
    /// percent-encoded for `%` and control characters. [`from_text`](Self::from_text) reads it
    /// back.
    pub fn to_text(&self) -> String {
        let c = &self.challenge;
        let mut out = String::with_capacity(256 + c.nonce.len() + c.realm.len());
        out.push_str(MAGIC);
        out.push('\n');
        line(&mut out, "origin", self.origin.as_str());
        line(&mut out, "username", &self.username);
        line(&mut out, "realm", &c.realm);
        line(&mut out, "algorithm", c.algorithm.as_str());
        let qop = c.qop.as_ref().map_or_else(
            || "none".to_owned(),
            |l| l.iter().map(|q| q.as_str()).collect::<Vec<_>>().join(","),
        );
        line(&mut out, "qop", &qop);
        if let Some(o) = &c.opaque {
            line(&mut out, "opaque", o);
        }
        line(&mut out, "userhash", if c.userhash { "1" } else { "0" });
        line(
            &mut out,
            "charset-utf8",
            if c.charset_utf8 { "1" } else { "0" },
        );
        line(&mut out, "nonce", &c.nonce);
        line(&mut out, "next-nc", &self.next_nc.to_string());
        out
    }

    /// Reads the text form. Strict: see [`SessionTextError`] for what is refused.
    pub fn from_text(text: &str) -> Result<SavedSession, SessionTextError> {
        parse(text)
    }
}

/// `[first, end)` of a block of `count` nc values from `next`; `None` when none is left.
pub(crate) fn block_bounds(next: u64, count: u32) -> Option<(u64, u64)> {
    if next == 0 || next >= NC_END {
        return None;
    }
    let end = next.saturating_add(u64::from(count.max(1))).min(NC_END);
    Some((next, end))
}

/// nc values reserved for one client from a [`SavedSession`] ([`SavedSession::reserve`]);
/// import it with [`crate::DigestClient::import_session`].
#[derive(Clone, PartialEq, Eq)]
pub struct NcBlock {
    /// The session, its `next_nc` the block's first nc.
    pub(crate) session: SavedSession,
    /// One past the block's last nc.
    pub(crate) end: u64,
}

impl fmt::Debug for NcBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NcBlock")
            .field("session", &self.session)
            .field("first", &self.session.next_nc)
            .field("end", &self.end)
            .finish()
    }
}

impl NcBlock {
    /// The session the block is of.
    pub fn session(&self) -> &SavedSession {
        &self.session
    }

    /// The first nc of the block.
    pub fn first(&self) -> u32 {
        u32::try_from(self.session.next_nc).unwrap_or(u32::MAX)
    }

    /// The last nc of the block (inclusive).
    pub fn last(&self) -> u32 {
        u32::try_from(self.end - 1).unwrap_or(u32::MAX)
    }
}

/// Why [`crate::DigestClient::import_session`] refused a block.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportError {
    /// The client already holds a nonce, or a request is fetching one: import into a fresh
    /// client, before its first request.
    InUse,
    /// The session is for another user name than the client's credentials.
    Username,
    /// The session is bound to another origin than the client.
    Origin {
        /// The client's origin.
        bound: Origin,
        /// The session's.
        saved: Origin,
    },
    /// The client cannot answer the session's challenge: its configuration refuses it (MD5,
    /// no qop), a `-sess` algorithm, another realm than the one pinned, or a downgrade.
    Unusable(DigestError),
    /// The block holds no nc.
    Empty,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::InUse => f.write_str("the digest client already holds or fetches a nonce"),
            ImportError::Username => {
                f.write_str("the saved digest session is for another user name")
            }
            ImportError::Origin { bound, saved } => write!(
                f,
                "the saved digest session is for {saved}, the client is bound to {bound}"
            ),
            ImportError::Unusable(e) => write!(f, "the saved digest session cannot be used: {e}"),
            ImportError::Empty => f.write_str("the nc block is empty"),
        }
    }
}

impl std::error::Error for ImportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ImportError::Unusable(e) => Some(e),
            _ => None,
        }
    }
}

fn line(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push(' ');
    for ch in value.chars() {
        if ch == '%' || ch.is_control() {
            let mut buf = [0u8; 4];
            for b in ch.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(ch);
        }
    }
    out.push('\n');
}

/// Why a saved session's text was refused ([`SavedSession::from_text`]). Names the line (from 1;
/// 0 for the text as a whole) and never quotes a value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionTextError {
    /// The line, from 1 (0: the text as a whole).
    pub line: usize,
    /// What is wrong.
    pub problem: &'static str,
}

impl fmt::Display for SessionTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "saved digest session: {}", self.problem)
        } else {
            write!(
                f,
                "saved digest session, line {}: {}",
                self.line, self.problem
            )
        }
    }
}

impl std::error::Error for SessionTextError {}

fn bad(line: usize, problem: &'static str) -> SessionTextError {
    SessionTextError { line, problem }
}

fn decode(value: &str, at: usize) -> Result<String, SessionTextError> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| bad(at, "a broken %-escape"))?;
                out.push(hex);
                i += 3;
            }
            b if b < 0x20 || b == 0x7f => return Err(bad(at, "a control character")),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad(at, "an escape that is not UTF-8"))
}

const KEYS: [&str; 10] = [
    "origin",
    "username",
    "realm",
    "algorithm",
    "qop",
    "opaque",
    "userhash",
    "charset-utf8",
    "nonce",
    "next-nc",
];

fn flag(v: &str, at: usize) -> Result<bool, SessionTextError> {
    match v {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(bad(at, "a flag that is not 0 or 1")),
    }
}

fn parse(text: &str) -> Result<SavedSession, SessionTextError> {
    if text.len() > MAX_SAVED_SESSION_LEN {
        return Err(bad(0, "longer than MAX_SAVED_SESSION_LEN"));
    }
    let body = text
        .strip_suffix('\n')
        .ok_or_else(|| bad(0, "does not end with a line feed"))?;
    let mut lines = body.split('\n');
    if lines.next() != Some(MAGIC) {
        return Err(bad(1, "not an atlas-digest-session 1 text"));
    }
    let mut values: [Option<(String, usize)>; KEYS.len()] = Default::default();
    for (i, l) in lines.enumerate() {
        let at = i + 2;
        let (key, raw) = l.split_once(' ').ok_or_else(|| bad(at, "no value"))?;
        let slot = KEYS
            .iter()
            .position(|k| *k == key)
            .ok_or_else(|| bad(at, "an unknown key"))?;
        if values[slot].is_some() {
            return Err(bad(at, "a key given twice"));
        }
        values[slot] = Some((decode(raw, at)?, at));
    }
    let mut take = |k: usize| values[k].take();
    let need = |v: Option<(String, usize)>, what: &'static str| v.ok_or_else(|| bad(0, what));
    let (origin_text, at) = need(take(0), "no origin")?;
    let origin = Origin::parse(&origin_text).ok_or_else(|| bad(at, "not an origin"))?;
    if origin.as_str() != origin_text {
        return Err(bad(at, "an origin that is not normalized"));
    }
    let (username, _) = need(take(1), "no username")?;
    let (realm, _) = need(take(2), "no realm")?;
    let (alg, at) = need(take(3), "no algorithm")?;
    let algorithm = Algorithm::ALL
        .into_iter()
        .find(|a| a.as_str() == alg)
        .ok_or_else(|| bad(at, "an unknown algorithm"))?;
    let (qop_text, at) = need(take(4), "no qop")?;
    let qop = if qop_text == "none" {
        None
    } else {
        let mut list = Vec::new();
        for q in qop_text.split(',') {
            let q = match q {
                "auth" => Qop::Auth,
                "auth-int" => Qop::AuthInt,
                _ => return Err(bad(at, "an unknown qop")),
            };
            if list.contains(&q) {
                return Err(bad(at, "a qop given twice"));
            }
            list.push(q);
        }
        Some(list)
    };
    let opaque = take(5).map(|(o, _)| o);
    let (uh, at) = need(take(6), "no userhash")?;
    let userhash = flag(&uh, at)?;
    let (cs, at) = need(take(7), "no charset-utf8")?;
    let charset_utf8 = flag(&cs, at)?;
    let (nonce, at) = need(take(8), "no nonce")?;
    if nonce.is_empty() {
        return Err(bad(at, "an empty nonce"));
    }
    let (nc, at) = need(take(9), "no next-nc")?;
    if nc.is_empty()
        || !nc.bytes().all(|b| b.is_ascii_digit())
        || nc.len() > 10
        || nc.starts_with('0')
    {
        return Err(bad(at, "a next-nc that is not a number from 1"));
    }
    let next_nc: u64 = nc.parse().map_err(|_| bad(at, "a next-nc out of range"))?;
    if next_nc > NC_END {
        return Err(bad(at, "a next-nc out of range"));
    }
    Ok(SavedSession {
        origin,
        username,
        challenge: DigestChallenge {
            realm,
            domain: None,
            nonce,
            opaque,
            stale: false,
            algorithm,
            qop,
            charset_utf8,
            userhash,
        },
        next_nc,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn sample() -> SavedSession {
        SavedSession {
            origin: Origin::parse("https://cloud.mongodb.com").unwrap(),
            username: "pubkey".into(),
            challenge: DigestChallenge {
                opaque: Some("op%aque\n".into()),
                ..DigestChallenge::new("MMS Public API", "Zm9v+/bar==", Algorithm::Md5)
            },
            next_nc: 17,
        }
    }

    #[test]
    fn text_round_trip_and_debug_hides_the_nonce() {
        let s = sample();
        let t = s.to_text();
        assert!(t.starts_with("atlas-digest-session 1\n"), "{t}");
        assert!(t.contains("opaque op%25aque%0A\n"), "{t}");
        assert_eq!(SavedSession::from_text(&t).unwrap(), s);
        let d = format!("{s:?}");
        assert!(!d.contains("Zm9v+/bar=="), "{d}");
        assert!(d.contains("Zm9v…"), "{d}");
    }

    #[test]
    fn strict_parser_refuses_what_it_does_not_know() {
        let good = sample().to_text();
        let cases: Vec<(String, usize)> = vec![
            (
                good.replace("atlas-digest-session 1", "atlas-digest-session 2"),
                1,
            ),
            (good.replace("next-nc 17", "next-nc 017"), 11),
            (good.replace("next-nc 17", "next-nc 0"), 11),
            (good.replace("next-nc 17", "next-nc 4294967297"), 11),
            (good.replace("next-nc 17", "next-nc -1"), 11),
            (good.replace("algorithm MD5", "algorithm md5"), 5),
            (good.replace("qop auth", "qop auth,auth"), 6),
            (good.replace("qop auth", "qop"), 6),
            (good.replace("userhash 0", "userhash yes"), 8),
            (good.replace("nonce Zm9v+/bar==", "nonce "), 10),
            (
                good.replace(
                    "origin https://cloud.mongodb.com",
                    "origin https://Cloud.mongodb.com:443",
                ),
                2,
            ),
            (good.replace("realm MMS", "realm %G1MMS"), 4),
            (good.replace("realm MMS", "realm %FFMMS"), 4),
            (good.replace("realm MMS", "realm \tMMS"), 4),
            (format!("{good}colour blue\n"), 12),
            (format!("{good}nonce x\n"), 12),
            (good.trim_end().to_owned(), 0),
            (good.replace("username pubkey\n", ""), 0),
            (String::new(), 0),
            ("x".repeat(MAX_SAVED_SESSION_LEN + 1), 0),
        ];
        for (text, line) in cases {
            let e = SavedSession::from_text(&text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(!e.to_string().contains("Zm9v"), "{e}");
        }
        // The largest nc left and none left both read back.
        let last = good.replace("next-nc 17", "next-nc 4294967295");
        assert_eq!(
            SavedSession::from_text(&last).unwrap().next_nc(),
            Some(u32::MAX)
        );
        let none = good.replace("next-nc 17", "next-nc 4294967296");
        let mut s = SavedSession::from_text(&none).unwrap();
        assert_eq!(s.next_nc(), None);
        assert!(s.reserve(1).is_none());
    }

    #[test]
    fn reserving_moves_the_next_nc_past_the_block() {
        let mut s = sample();
        let a = s.reserve(16).unwrap();
        let b = s.reserve(0).unwrap();
        assert_eq!((a.first(), a.last()), (17, 32));
        assert_eq!((b.first(), b.last()), (33, 33));
        assert_eq!(s.next_nc(), Some(34));
        s.next_nc = u64::from(u32::MAX) - 1;
        let c = s.reserve(16).unwrap();
        assert_eq!((c.first(), c.last()), (u32::MAX - 1, u32::MAX));
        assert!(s.reserve(16).is_none());
    }

    fn arb_session() -> impl Strategy<Value = SavedSession> {
        (
            "[ -~\u{80}-\u{10ffff}\t\n%]{0,40}",
            "[!-~]{1,40}",
            proptest::option::of("[ -~\n%]{0,20}"),
            0usize..6,
            proptest::option::of(proptest::sample::subsequence(
                vec![Qop::Auth, Qop::AuthInt],
                0..=2,
            )),
            any::<bool>(),
            any::<bool>(),
            1u64..=NC_END,
        )
            .prop_map(
                |(realm, nonce, opaque, alg, qop, userhash, charset_utf8, next_nc)| SavedSession {
                    origin: Origin::parse("http://127.0.0.1:8080").unwrap(),
                    username: realm.chars().rev().collect(),
                    challenge: DigestChallenge {
                        realm,
                        domain: None,
                        nonce,
                        opaque,
                        stale: false,
                        algorithm: Algorithm::ALL[alg],
                        qop: qop.filter(|l| !l.is_empty()),
                        charset_utf8,
                        userhash,
                    },
                    next_nc,
                },
            )
    }

    proptest! {
        #[test]
        fn any_session_round_trips(s in arb_session()) {
            prop_assert_eq!(SavedSession::from_text(&s.to_text()).unwrap(), s);
        }

        #[test]
        fn the_parser_never_panics(text in "(atlas-digest-session 1\n)?[ -~\n%\u{80}]{0,300}") {
            let _ = SavedSession::from_text(&text);
        }

        #[test]
        fn a_mangled_session_never_panics(s in arb_session(), at in any::<usize>(), byte in any::<u8>()) {
            let mut bytes = s.to_text().into_bytes();
            let i = at % bytes.len();
            bytes[i] = byte;
            if let Ok(text) = String::from_utf8(bytes) {
                let _ = SavedSession::from_text(&text);
            }
        }

        /// Blocks taken one after another from one saved session never overlap, cover the nc
        /// values in order with no gap, stay within 1..=u32::MAX, and none is empty.
        #[test]
        fn blocks_are_disjoint_and_in_order(start in 1u64..=NC_END, counts in proptest::collection::vec(any::<u32>(), 1..20)) {
            let mut s = SavedSession { next_nc: start, ..sample() };
            let mut expected = start;
            for k in counts {
                match s.reserve(k) {
                    Some(b) => {
                        prop_assert_eq!(u64::from(b.first()), expected);
                        prop_assert!(b.first() >= 1 && b.first() <= b.last());
                        prop_assert!(u64::from(b.last()) - u64::from(b.first()) < u64::from(k.max(1)));
                        expected = u64::from(b.last()) + 1;
                        prop_assert_eq!(s.next_nc, expected);
                    }
                    None => {
                        prop_assert_eq!(expected, NC_END);
                        prop_assert_eq!(s.next_nc, NC_END);
                    }
                }
            }
        }
    }
}
