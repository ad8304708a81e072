//! The typed `Authentication-Info` parser the client checks `rspauth` with: one pass over the
//! parameter list that files each known parameter in its own slot (the loop of
//! [`super::params`]), unescaping only the values that hold escapes.
//!
//! It accepts and refuses exactly what the generic path does (`for_each_list_param` feeding a name
//! table, kept as the oracle in tests), with the same errors at the same offsets.

use std::borrow::Cow;

use super::params::{Sink, is, known, nc_value, params};
use super::{ParseError, Parser, check_len, unescape};
use crate::hash::Qop;
use crate::header::AuthenticationInfoRef;

/// The known parameters, each with its bit in [`Slots::seen`].
#[derive(Clone, Copy)]
enum Field {
    Nextnonce = 0,
    Qop,
    Rspauth,
    Cnonce,
    Nc,
}

/// The known parameter a lowercase name is: its length picks the one candidate, a single compare
/// confirms it.
#[inline(always)]
fn lowercase_field(name: &[u8]) -> Option<Field> {
    let f = match name.len() {
        2 if is(name, b"nc") => Field::Nc,
        3 if is(name, b"qop") => Field::Qop,
        6 if is(name, b"cnonce") => Field::Cnonce,
        7 if is(name, b"rspauth") => Field::Rspauth,
        9 if is(name, b"nextnonce") => Field::Nextnonce,
        _ => return None,
    };
    Some(f)
}

/// The known parameters as parsed (spans of the input), which were seen, and which hold escapes.
#[derive(Default)]
struct Slots<'a> {
    seen: u8,
    escaped: u8,
    values: [Option<&'a str>; 5],
    /// Names of unknown parameters seen so far (their duplicates are refused too); never
    /// allocated for the headers servers send.
    others: Vec<&'a [u8]>,
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
        let bit = 1u8 << f as u8;
        if self.seen & bit != 0 {
            return Err(ParseError::duplicate(at));
        }
        self.seen |= bit;
        // `escaped` is 0 or 1.
        self.escaped |= u8::from(escaped != 0) << f as u8;
        self.values[f as usize] = Some(value);
        Ok(())
    }
}

impl<'a> Slots<'a> {
    /// The value of parameter `f`, if it was sent: borrowed, or unescaped if it has escapes.
    #[inline(always)]
    fn text(&self, f: Field) -> Option<Cow<'a, str>> {
        let v = self.values[f as usize]?;
        Some(if self.escaped & (1u8 << f as u8) == 0 {
            Cow::Borrowed(v)
        } else {
            Cow::Owned(unescape(v))
        })
    }
}

/// Parses an `Authentication-Info` value into its typed view (see
/// [`AuthenticationInfoRef::parse`]).
pub(crate) fn parse_authentication_info(s: &str) -> Result<AuthenticationInfoRef<'_>, ParseError> {
    check_len(s)?;
    let mut slots = Slots::default();
    let mut p = Parser::new(s);
    p.skip_ows_commas();
    if !p.eof() {
        params(&mut p, &mut slots)?;
    }
    let semantic = |what: &'static str| ParseError::semantic(s.len(), what);
    let qop = match slots.text(Field::Qop) {
        None => None,
        Some(q) => Some(Qop::from_wire(&q).ok_or_else(|| semantic("`qop` auth or auth-int"))?),
    };
    let nc = match slots.text(Field::Nc) {
        None => None,
        Some(v) => Some(nc_value(&v).ok_or_else(|| semantic("`nc` as 8 hex digits"))?),
    };
    Ok(AuthenticationInfoRef {
        nextnonce: slots.text(Field::Nextnonce),
        qop,
        rspauth: slots.text(Field::Rspauth),
        cnonce: slots.text(Field::Cnonce),
        nc,
    })
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use crate::hash::Qop;
    use crate::header::AuthenticationInfoRef;

    /// A comparable picture of a parse: each value, and whether it was borrowed (an escape-free
    /// value must not be copied).
    #[derive(Debug, PartialEq)]
    struct View {
        text: Vec<Option<(String, bool)>>,
        qop: Option<Qop>,
        nc: Option<u32>,
    }

    #[expect(clippy::ptr_arg, reason = "whether the value is borrowed is the point")]
    fn cow(c: &Cow<'_, str>) -> (String, bool) {
        (c.to_string(), matches!(c, Cow::Borrowed(_)))
    }

    fn view(r: &AuthenticationInfoRef<'_>) -> View {
        View {
            text: vec![
                r.nextnonce.as_ref().map(cow),
                r.rspauth.as_ref().map(cow),
                r.cnonce.as_ref().map(cow),
            ],
            qop: r.qop,
            nc: r.nc,
        }
    }

    /// The typed parser and the generic one give the same header or the same error.
    fn agree(input: &str) -> Result<(), TestCaseError> {
        let new = AuthenticationInfoRef::parse(input).map(|r| view(&r));
        let old = AuthenticationInfoRef::parse_generic(input).map(|r| view(&r));
        prop_assert_eq!(new, old, "input {:?}", input);
        Ok(())
    }

    #[test]
    fn known_headers_agree_with_the_generic_parser() {
        for input in [
            "",
            " , ,",
            "qop=auth, rspauth=\"0123456789abcdef0123456789abcdef\", cnonce=\"abc\", nc=00000001",
            "nextnonce=\"n2\"",
            "NextNonce=\"n2\", QOP=auth-int, RSPAUTH=\"x\", CNonce=\"c\", NC=0000000A",
            "rspauth=\"a\\\"b\", cnonce=\"c\\\\d\"",
            "qop=auth, qop=auth",
            "QOP=auth, qop=auth",
            "x=1, X=2",
            "x=1, y=2, qop=auth",
            "qop=authx",
            "nc=1",
            "nc=0000000g",
            "rspauth",
            "rspauth=\"open",
            "rspauth = \"a\" ,, cnonce= b ,",
            "rspauth=\"a\" cnonce=\"b\"",
            "=a",
            "a=b,",
            ",a=b",
        ] {
            agree(input).unwrap();
        }
        let long = format!("nextnonce=\"{}\"", "a".repeat(super::super::MAX_HEADER_LEN));
        agree(&long).unwrap();
    }

    proptest! {
        /// Valid-looking headers in any order and case, with duplicates, unknown parameters and
        /// escapes.
        #[test]
        fn parameter_lists_agree_with_the_generic_parser(
            params in proptest::collection::vec(
                (
                    prop_oneof![
                        Just("nextnonce"), Just("qop"), Just("rspauth"), Just("cnonce"),
                        Just("nc"), Just("NC"), Just("Qop"), Just("RspAuth"), Just("other"),
                        Just("Other"), Just("nextnoncex"),
                    ],
                    prop_oneof![
                        "\"([ !#-\\[\\]-~\u{e9}]|\\\\[ -~]){0,24}\"",
                        "[0-9a-fA-F]{7,9}",
                        Just("auth".to_owned()),
                        Just("\"auth-int\"".to_owned()),
                        "[!-~]{0,6}",
                    ],
                    prop_oneof![Just(", "), Just(","), Just(" , "), Just(",, "), Just(" ")],
                ),
                0..7,
            ),
            lead in prop_oneof![Just(""), Just(" "), Just(", ")],
        ) {
            let mut s = lead.to_owned();
            for (name, value, sep) in &params {
                s.push_str(name);
                s.push('=');
                s.push_str(value);
                s.push_str(sep);
            }
            agree(&s)?;
        }

        /// Arbitrary text: the same answer, never a panic.
        #[test]
        fn any_text_agrees_with_the_generic_parser(s in "[ -~\t\u{e9}]{0,80}") {
            agree(&s)?;
        }
    }
}
