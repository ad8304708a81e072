//! The typed `Authorization` parser the server verifies with: one pass over a `Digest` credentials
//! value that writes each known parameter straight into its own slot of [`AuthorizationRef`],
//! matching names by length and bytes (no generic parameter table, no callback per parameter).
//!
//! It accepts and refuses exactly what the generic path does (`for_each_credential_param` feeding
//! a name table, kept as the oracle in tests), with the same errors at the same offsets: syntax
//! errors where the grammar breaks, a duplicate at the second occurrence's name (after its value
//! parsed), and the semantic checks after the whole value parsed, in the same order.

use std::borrow::Cow;

use super::params::{Sink, is, known, nc_value, params};
use super::{ParseError, Parser, check_len, decode_ext_value, unescape};
use crate::hash::{Algorithm, Qop};
use crate::header::AuthorizationRef;

/// True if the token `t` is `Digest` in any case: one compare of its six bytes with the case bit
/// set (for a letter, `b | 0x20` is its lowercase form, and only the letter's two cases give it).
#[inline(always)]
fn is_digest(t: &[u8]) -> bool {
    let Ok(&[a, b, c, d, e, f]) = <&[u8; 6]>::try_from(t) else {
        return false;
    };
    u64::from_le_bytes([a, b, c, d, e, f, 0, 0]) | 0x2020_2020_2020
        == u64::from_le_bytes(*b"digest\0\0")
}

/// The known parameters, each with its bit in [`Slots::seen`].
#[derive(Clone, Copy)]
enum Field {
    Username = 0,
    UsernameExt,
    Realm,
    Nonce,
    Uri,
    Response,
    Algorithm,
    Cnonce,
    Opaque,
    Qop,
    Nc,
    Userhash,
}

/// The known parameter a lowercase name is.
#[inline(always)]
fn lowercase_field(name: &[u8]) -> Option<Field> {
    let f = match (name.len(), *name.first()?) {
        (2, b'n') if is(name, b"nc") => Field::Nc,
        (3, b'u') if is(name, b"uri") => Field::Uri,
        (3, b'q') if is(name, b"qop") => Field::Qop,
        (5, b'r') if is(name, b"realm") => Field::Realm,
        (5, b'n') if is(name, b"nonce") => Field::Nonce,
        (6, b'c') if is(name, b"cnonce") => Field::Cnonce,
        (6, b'o') if is(name, b"opaque") => Field::Opaque,
        (8, b'r') if is(name, b"response") => Field::Response,
        (8, b'u') if name[4] == b'h' && is(name, b"userhash") => Field::Userhash,
        (8, b'u') if is(name, b"username") => Field::Username,
        (9, b'u') if is(name, b"username*") => Field::UsernameExt,
        (9, b'a') if is(name, b"algorithm") => Field::Algorithm,
        _ => return None,
    };
    Some(f)
}

/// The known parameters as parsed, each as the text of its value in the input (a quoted-string's
/// without the quotes; checked after the pass), which were seen, and which hold escapes.
#[derive(Default)]
struct Slots<'a> {
    seen: u16,
    /// Values that are quoted-strings with escapes (their text is unescaped in `finish`).
    escaped: u16,
    values: [Option<&'a str>; 12],
    /// Names of unknown parameters seen so far (duplicates of those are refused too); empty, and so
    /// never allocated, for the headers real clients send.
    others: Vec<&'a [u8]>,
}

impl<'a> Slots<'a> {
    /// The value of parameter `f`, if it was sent: borrowed, or unescaped if it has escapes.
    #[inline(always)]
    fn text(&self, f: Field) -> Option<Cow<'a, str>> {
        let v = self.values[f as usize]?;
        Some(if self.escaped & (1u16 << f as u16) == 0 {
            Cow::Borrowed(v)
        } else {
            Cow::Owned(unescape(v))
        })
    }

    /// The typed header from the values in `s`, or the first semantic error in the generic path's
    /// order.
    fn finish(self, s: &'a str) -> Result<AuthorizationRef<'a>, ParseError> {
        let semantic = |what: &'static str| ParseError::semantic(s.len(), what);
        let text = |f: Field| self.text(f);
        let (username, username_extended) = match (text(Field::Username), text(Field::UsernameExt))
        {
            (Some(_), Some(_)) => {
                return Err(semantic("only one of `username` and `username*`"));
            }
            (Some(u), None) => (u, false),
            (None, Some(ext)) => (
                Cow::Owned(
                    decode_ext_value(ext.trim())
                        .ok_or_else(|| semantic("a valid RFC 8187 `username*` value"))?,
                ),
                true,
            ),
            (None, None) => return Err(semantic("a `username` parameter")),
        };
        let algorithm = match text(Field::Algorithm) {
            None => Algorithm::Md5,
            Some(a) => {
                Algorithm::from_wire(&a).ok_or_else(|| semantic("a supported `algorithm`"))?
            }
        };
        let qop = match text(Field::Qop) {
            None => None,
            Some(q) => Some(Qop::from_wire(&q).ok_or_else(|| semantic("`qop` auth or auth-int"))?),
        };
        let nc = match text(Field::Nc) {
            None => None,
            Some(v) => Some(nc_value(&v).ok_or_else(|| semantic("`nc` as 8 hex digits"))?),
        };
        let cnonce = text(Field::Cnonce);
        if qop.is_some() && (nc.is_none() || cnonce.is_none()) {
            return Err(semantic("`nc` and `cnonce` with `qop`"));
        }
        Ok(AuthorizationRef {
            username,
            username_extended,
            realm: text(Field::Realm).ok_or_else(|| semantic("a `realm` parameter"))?,
            nonce: text(Field::Nonce).ok_or_else(|| semantic("a `nonce` parameter"))?,
            uri: text(Field::Uri).ok_or_else(|| semantic("a `uri` parameter"))?,
            response: text(Field::Response).ok_or_else(|| semantic("a `response` parameter"))?,
            algorithm,
            cnonce,
            opaque: text(Field::Opaque),
            qop,
            nc,
            userhash: text(Field::Userhash).is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        })
    }
}

impl<'a> Sink<'a> for Slots<'a> {
    /// Refuses a second occurrence of any parameter, known or not.
    #[inline(always)]
    fn put(
        &mut self,
        name: &'a [u8],
        (value, escaped): (&'a str, u16),
        at: usize,
    ) -> Result<(), ParseError> {
        let Some(f) = known(name, lowercase_field) else {
            if self.others.iter().any(|o| o.eq_ignore_ascii_case(name)) {
                return Err(ParseError::duplicate(at));
            }
            self.others.push(name);
            return Ok(());
        };
        let bit = 1u16 << f as u16;
        if self.seen & bit != 0 {
            return Err(ParseError::duplicate(at));
        }
        self.seen |= bit;
        self.escaped |= escaped << f as u16;
        self.values[f as usize] = Some(value);
        Ok(())
    }
}

/// Parses a `Digest` credentials value into its typed view (see [`AuthorizationRef::parse`]).
pub(crate) fn parse_authorization(s: &str) -> Result<AuthorizationRef<'_>, ParseError> {
    check_len(s)?;
    let mut slots = Slots::default();
    let mut p = Parser::new(s);
    p.skip_ows();
    let start = p.pos;
    let scheme = p.token("auth-scheme")?;
    if !is_digest(scheme.as_bytes()) {
        return Err(ParseError::new(s, start, "the `Digest` scheme"));
    }
    let had_sp = p.skip_sp();
    p.skip_ows();
    if !p.eof() {
        if !had_sp {
            return Err(p.err("space after auth-scheme"));
        }
        params(&mut p, &mut slots)?;
    }
    slots.finish(s)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use crate::hash::{Algorithm, Qop};
    use crate::header::AuthorizationRef;

    /// A comparable picture of a parse: every field, and for each value whether it was borrowed
    /// (an escape-free value must not be copied).
    #[derive(Debug, PartialEq)]
    struct View {
        text: Vec<Option<(String, bool)>>,
        username_extended: bool,
        algorithm: Algorithm,
        qop: Option<Qop>,
        nc: Option<u32>,
        userhash: bool,
    }

    #[expect(clippy::ptr_arg, reason = "whether the value is borrowed is the point")]
    fn cow(c: &Cow<'_, str>) -> (String, bool) {
        (c.to_string(), matches!(c, Cow::Borrowed(_)))
    }

    fn view(r: &AuthorizationRef<'_>) -> View {
        View {
            text: vec![
                Some(cow(&r.username)),
                Some(cow(&r.realm)),
                Some(cow(&r.nonce)),
                Some(cow(&r.uri)),
                Some(cow(&r.response)),
                r.cnonce.as_ref().map(cow),
                r.opaque.as_ref().map(cow),
            ],
            username_extended: r.username_extended,
            algorithm: r.algorithm,
            qop: r.qop,
            nc: r.nc,
            userhash: r.userhash,
        }
    }

    /// The typed parser and the generic one give the same header or the same error (kind, offset,
    /// expectation, character found).
    fn agree(input: &str) -> Result<(), TestCaseError> {
        let new = AuthorizationRef::parse(input).map(|r| view(&r));
        let old = AuthorizationRef::parse_generic(input).map(|r| view(&r));
        prop_assert_eq!(new, old, "input {:?}", input);
        Ok(())
    }

    /// A header's parameters (name as sent, value as sent) in a random order, mostly valid, and
    /// whether the header they make must parse.
    fn valid_params() -> impl Strategy<Value = (Vec<(String, String)>, bool)> {
        let hex = |n: usize| proptest::string::string_regex(&format!("[0-9a-f]{{{n}}}")).unwrap();
        let quoted = "\"([ !#-\\[\\]-~\u{e9}]|\\\\[ -~]){0,24}\"";
        (
            prop_oneof![
                quoted.prop_map(|v| ("username".to_owned(), v)),
                "([a-zA-Z0-9]|%[2-7][0-9A-F]){0,12}"
                    .prop_map(|v| ("username*".to_owned(), format!("UTF-8''{v}"))),
            ],
            quoted,
            prop_oneof!["\"[A-Za-z0-9+/=]{32}\"", "[A-Za-z0-9+/=]{1,48}"],
            prop_oneof!["\"/[a-z0-9/?=&%.]{0,120}\"", "/[a-z0-9/]{0,40}"],
            hex(32).prop_map(|h| format!("\"{h}\"")),
            proptest::option::of(prop_oneof![
                Just("MD5"),
                Just("MD5-sess"),
                Just("SHA-256"),
                Just("\"SHA-512-256\""),
                Just("sha-256-SESS"),
                Just("MD6"),
            ]),
            proptest::option::of((
                prop_oneof![
                    Just("auth"),
                    Just("\"auth\""),
                    Just("auth-int"),
                    Just("authx")
                ],
                prop_oneof![hex(8), "[0-9A-Fa-f]{7,9}", Just("00000000".to_owned())],
                hex(16).prop_map(|c| format!("\"{c}\"")),
            )),
            proptest::option::of("\"[A-Za-z0-9+/=]{0,16}\""),
            proptest::option::of(prop_oneof![Just("true"), Just("FALSE"), Just("\" true \"")]),
            proptest::collection::vec(0usize..16, 16),
        )
            .prop_map(
                |(user, realm, nonce, uri, response, alg, qop, opaque, uh, order)| {
                    let valid = alg.is_none_or(|a| a != "MD6")
                        && qop.as_ref().is_none_or(|(q, nc, _)| {
                            *q != "authx"
                                && nc.len() == 8
                                && nc.bytes().all(|b| b.is_ascii_hexdigit())
                        });
                    let mut p = vec![
                        user,
                        ("realm".to_owned(), realm),
                        ("nonce".to_owned(), nonce),
                        ("uri".to_owned(), uri),
                        ("response".to_owned(), response),
                    ];
                    if let Some(a) = alg {
                        p.push(("algorithm".to_owned(), a.to_owned()));
                    }
                    if let Some((q, nc, cnonce)) = qop {
                        p.push(("qop".to_owned(), q.to_owned()));
                        p.push(("nc".to_owned(), nc));
                        p.push(("cnonce".to_owned(), cnonce));
                    }
                    if let Some(o) = opaque {
                        p.push(("opaque".to_owned(), o));
                    }
                    if let Some(u) = uh {
                        p.push(("userhash".to_owned(), u.to_owned()));
                    }
                    // A permutation from the random keys (stable sort by key).
                    let mut keyed: Vec<_> = p.into_iter().zip(order).map(|(p, k)| (k, p)).collect();
                    keyed.sort_by_key(|(k, _)| *k);
                    (keyed.into_iter().map(|(_, p)| p).collect(), valid)
                },
            )
    }

    /// One edit of a valid header.
    #[derive(Clone, Debug)]
    enum Mutation {
        /// Remove the character at this position (modulo the length).
        Delete(usize),
        /// Insert a character at this position.
        Insert(usize, char),
        /// Swap the case of the character at this position.
        Case(usize),
        /// Repeat parameter `i` (modulo the count), with its name in another case when `upper`.
        Repeat(usize, bool),
        /// Drop parameter `i`.
        Drop(usize),
        /// Add an unknown parameter (or a second copy of one) at the end.
        Unknown(String),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        let interesting = prop_oneof![
            Just('"'),
            Just('\\'),
            Just(','),
            Just('='),
            Just(' '),
            Just('\t'),
            Just('*'),
            Just('\u{1}'),
            Just('\u{7f}'),
            Just('\u{e9}'),
            any::<char>(),
        ];
        prop_oneof![
            any::<usize>().prop_map(Mutation::Delete),
            (any::<usize>(), interesting).prop_map(|(i, c)| Mutation::Insert(i, c)),
            any::<usize>().prop_map(Mutation::Case),
            (any::<usize>(), any::<bool>()).prop_map(|(i, u)| Mutation::Repeat(i, u)),
            any::<usize>().prop_map(Mutation::Drop),
            "[a-zA-Z*-]{1,9}".prop_map(Mutation::Unknown),
        ]
    }

    fn render(head: &str, params: &[(String, String)], sep: &str) -> String {
        let mut s = head.to_owned();
        for (i, (n, v)) in params.iter().enumerate() {
            if i > 0 {
                s.push_str(sep);
            }
            s.push_str(n);
            s.push('=');
            s.push_str(v);
        }
        s
    }

    fn mutated(
        mut params: Vec<(String, String)>,
        head: &str,
        sep: &str,
        edits: &[Mutation],
    ) -> String {
        // Parameter-level edits first, then character-level ones on the rendered text.
        for m in edits {
            match m {
                Mutation::Repeat(i, upper) if !params.is_empty() => {
                    let (n, v) = params[i % params.len()].clone();
                    let n = if *upper { n.to_ascii_uppercase() } else { n };
                    params.push((n, v));
                }
                Mutation::Drop(i) if !params.is_empty() => {
                    params.remove(i % params.len());
                }
                Mutation::Unknown(n) => params.push((n.clone(), "x".to_owned())),
                _ => {}
            }
        }
        let mut chars: Vec<char> = render(head, &params, sep).chars().collect();
        for m in edits {
            let n = chars.len().max(1);
            match *m {
                Mutation::Delete(i) if !chars.is_empty() => {
                    chars.remove(i % n);
                }
                Mutation::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
                Mutation::Case(i) if !chars.is_empty() => {
                    let c = &mut chars[i % n];
                    *c = if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    };
                }
                _ => {}
            }
        }
        chars.into_iter().collect()
    }

    #[test]
    fn the_usual_headers_parse_alike_and_borrow() {
        let curl = "Digest username=\"bench\", realm=\"MMS Public API\", \
            nonce=\"A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p+\", uri=\"/api/atlas/v1.0/groups/x\", \
            cnonce=\"NjE2MjEx\", nc=00000001, qop=auth, response=\"0123456789abcdef0123456789abcdef\", \
            algorithm=MD5, opaque=\"\"";
        agree(curl).unwrap();
        let r = AuthorizationRef::parse(curl).unwrap();
        assert!(matches!(r.uri, Cow::Borrowed("/api/atlas/v1.0/groups/x")));
        assert_eq!(r.nc, Some(1));
        for bad in [
            "",
            "Digest",
            "Basic abc",
            "Digest username=\"a\", USERNAME=\"b\"",
            "Digest x=1, X=2",
            "Digest username*=UTF-8''a, username=\"a\"",
            "Digestusername=\"a\"",
            "Digest username=\"a\" realm=\"b\"",
            "Digest username=\"a\", realm=\"b",
        ] {
            agree(bad).unwrap();
            assert!(AuthorizationRef::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn typed_parser_agrees_on_valid_headers(
            (params, valid) in valid_params(),
            head in prop_oneof![Just("Digest "), Just("digest  "), Just(" DIGEST \t")],
            sep in prop_oneof![Just(", "), Just(","), Just(" ,\t, "), Just(" , ")],
        ) {
            let header = render(head, &params, sep);
            agree(&header)?;
            let parsed = AuthorizationRef::parse(&header);
            prop_assert_eq!(parsed.is_ok(), valid, "{:?}: {:?}", header, parsed.err());
        }

        #[test]
        fn typed_parser_agrees_on_mutated_valid_headers(
            (params, _) in valid_params(),
            head in prop_oneof![Just("Digest "), Just("digest  "), Just("Basic ")],
            sep in prop_oneof![Just(", "), Just(","), Just(" ,\t, ")],
            edits in proptest::collection::vec(mutation(), 1..5),
        ) {
            agree(&mutated(params, head, sep, &edits))?;
        }

        #[test]
        fn typed_parser_agrees_on_arbitrary_input(
            head in prop_oneof![Just(""), Just("Digest "), Just("Digest")],
            tail in "[a-zA-Z0-9 \t,=\"\\\\*#%'\u{0}-\u{1f}\u{7f}\u{80}-\u{ff}-]{0,64}",
        ) {
            agree(&format!("{head}{tail}"))?;
        }

        #[test]
        fn typed_parser_agrees_on_any_string(input in ".{0,96}") {
            agree(&input)?;
            agree(&format!("Digest {input}"))?;
        }
    }

    /// Past the length limit both refuse before parsing.
    #[test]
    fn over_long_values_are_refused_alike() {
        let long = format!("Digest username=\"{}\"", "a".repeat(crate::MAX_HEADER_LEN));
        agree(&long).unwrap();
        assert_eq!(
            AuthorizationRef::parse(&long).err().map(|e| e.kind()),
            Some(crate::ParseErrorKind::TooLong)
        );
    }
}
