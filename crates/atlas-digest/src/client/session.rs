//! Everything derived from one adopted challenge: H(A1), the pre-rendered constant parts of the
//! `Authorization` value, the qop choice and, for `-sess`, the session cnonce.

use std::fmt;
use std::sync::{Arc, OnceLock};

use zeroize::Zeroize;

use crate::absorbed::Absorbed;
use crate::client::config::{AuthInt, ClientConfig, Md5, Rfc2069};
use crate::compute;
use crate::credentials::{Credentials, RequestFacts};
use crate::error::{DigestError, InvalidInput};
use crate::ha2_cache::{Ha2Cache, Ha2Pair};
use crate::hash::{Algorithm, Hex, Qop, nc_hex};
use crate::header::{DigestChallenge, needs_extended};
use crate::parse::{
    encode_ext_value, is_quotable, push_quoted, push_quoted_counted, quotable_escapes,
    quote_escapes,
};

/// The `-sess` session: the cnonce of the first request on the nonce and the H(A1) it fixes
/// (RFC 7616 section 3.4.2). Every request on the nonce sends that cnonce.
struct SessKey {
    cnonce: String,
    ha1: Hex,
    /// `H(A1) ":" nonce ":"` absorbed, with this key's H(A1).
    prefix: Absorbed,
}

impl Drop for SessKey {
    fn drop(&mut self) {
        self.ha1.zeroize();
    }
}

pub(crate) struct Session {
    pub(crate) algorithm: Algorithm,
    pub(crate) nonce: String,
    pub(crate) realm: String,
    opaque: Option<String>,
    userhash: bool,
    offers_auth: bool,
    offers_auth_int: bool,
    pub(crate) rfc2069: bool,
    auth_int: AuthInt,
    ha1_base: Hex,
    /// `H(A1) ":" nonce ":"` absorbed, with `ha1_base` (unused for `-sess`, whose key has its own).
    prefix: Absorbed,
    sess: OnceLock<SessKey>,
    /// H(A2) of recent requests (and of their `rspauth`), shared by the sessions of one challenge.
    ha2: Arc<Ha2Cache>,
    /// The constant parts of the `Authorization` value, in one allocation:
    /// `Digest <username>, realm="..", uri=` | `, algorithm=X, nonce=".."` |
    /// `, userhash=true, opaque=".."` (either part optional), split at `uri_at` and `nc_at`.
    rendered: String,
    /// End of `<username>` in `rendered` (it starts after `Digest `).
    username_end: usize,
    uri_at: usize,
    nc_at: usize,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.ha1_base.zeroize();
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("algorithm", &self.algorithm)
            .field("realm", &self.realm)
            .field("nonce", &self.nonce)
            .finish_non_exhaustive()
    }
}

/// True if `c` can be answered under `config`, with or without a known body.
pub(crate) fn usable(c: &DigestChallenge, config: &ClientConfig, body_known: bool) -> bool {
    if config.md5() == Md5::Refuse && c.algorithm.base() == Algorithm::Md5 {
        return false;
    }
    match &c.qop {
        None => config.rfc2069() == Rfc2069::Allow && !c.algorithm.is_session(),
        Some(list) => {
            list.contains(&Qop::Auth)
                || (config.auth_int() != AuthInt::Never
                    && body_known
                    && list.contains(&Qop::AuthInt))
        }
    }
}

/// A short description of a challenge for [`DigestError::NoSupportedChallenge`].
pub(crate) fn summarise(c: &DigestChallenge) -> String {
    let mut s = String::from("Digest algorithm=");
    s.push_str(c.algorithm.as_str());
    match &c.qop {
        None => s.push_str(" (no qop)"),
        Some(l) if l.is_empty() => s.push_str(" qop=unknown"),
        Some(l) => {
            s.push_str(" qop=");
            for (i, q) in l.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str(q.as_str());
            }
        }
    }
    s
}

/// What `rspauth` verification needs of one authorized request (its `Authorization` value was
/// appended to the caller's buffer).
pub(crate) struct Authorized<'s> {
    pub(crate) qop: Option<Qop>,
    /// The cnonce actually sent (the session cnonce for `-sess`).
    pub(crate) cnonce_sent: Option<&'s str>,
    /// The hash state up to H(A2) ([`compute::request_state`]), which `rspauth` continues.
    pub(crate) state: Absorbed,
    /// `rspauth`'s H(A2), found with the request's (`None` for `auth-int`: it covers the body).
    pub(crate) rspauth_ha2: Option<Hex>,
    /// The H(A2) pair looked up in the cache for this request, with its hash function (`None`
    /// when the caller knew it, or for `auth-int`).
    pub(crate) looked_up: Option<(Algorithm, Ha2Pair)>,
}

/// Slots of a client's H(A2) cache: a client repeats a few URIs (and each has an `rspauth` twin).
const HA2_SLOTS: usize = 16;

impl Session {
    pub(crate) fn new(
        c: &DigestChallenge,
        credentials: &Credentials,
        config: &ClientConfig,
    ) -> Result<Session, DigestError> {
        if !usable(c, config, true) {
            return Err(DigestError::NoSupportedChallenge {
                offered: vec![summarise(c)],
            });
        }
        let username = credentials.username();
        let mut username_param = String::with_capacity(username.len() + 16);
        if c.userhash {
            username_param.push_str("username=\"");
            username_param.push_str(compute::userhash(c.algorithm, username, &c.realm).as_str());
            username_param.push('"');
        } else if needs_extended(username) && (c.charset_utf8 || !is_quotable(username)) {
            username_param.push_str("username*=");
            encode_ext_value(&mut username_param, username);
        } else {
            // ASCII, or UTF-8 without `charset=UTF-8`: servers that did not announce RFC 7616
            // compare the raw bytes of the quoted string.
            username_param.push_str("username=");
            push_quoted(&mut username_param, username);
        }
        let ha1_base = compute::ha1_base(c.algorithm, username, &c.realm, credentials.password());
        let prefix = compute::nonce_prefix(c.algorithm, &ha1_base, &c.nonce);
        let mut s = Session {
            algorithm: c.algorithm,
            nonce: c.nonce.clone(),
            realm: c.realm.clone(),
            opaque: c.opaque.clone(),
            userhash: c.userhash,
            offers_auth: c.offers(Qop::Auth),
            offers_auth_int: config.auth_int() != AuthInt::Never && c.offers(Qop::AuthInt),
            rfc2069: c.qop.is_none(),
            auth_int: config.auth_int(),
            ha1_base,
            prefix,
            sess: OnceLock::new(),
            ha2: Arc::new(Ha2Cache::new(HA2_SLOTS)),
            rendered: String::new(),
            username_end: 0,
            uri_at: 0,
            nc_at: 0,
        };
        s.render(&username_param);
        Ok(s)
    }

    fn render(&mut self, username_param: &str) {
        let mut r = String::with_capacity(
            username_param.len()
                + self.realm.len()
                + self.nonce.len()
                + self.opaque.as_ref().map_or(0, String::len)
                + 96,
        );
        r.push_str("Digest ");
        r.push_str(username_param);
        self.username_end = r.len();
        r.push_str(", realm=");
        push_quoted(&mut r, &self.realm);
        r.push_str(", uri=");
        self.uri_at = r.len();
        r.push_str(", algorithm=");
        r.push_str(self.algorithm.as_str());
        r.push_str(", nonce=");
        push_quoted(&mut r, &self.nonce);
        self.nc_at = r.len();
        if self.userhash {
            r.push_str(", userhash=true");
        }
        if let Some(o) = &self.opaque {
            r.push_str(", opaque=");
            push_quoted(&mut r, o);
        }
        self.rendered = r;
    }

    fn part(&self, from: usize, to: usize) -> &str {
        // The split points were recorded at ASCII punctuation while rendering.
        self.rendered.get(from..to).unwrap_or_default()
    }

    /// The same session with the server's `nextnonce` (a new `-sess` key is fixed on its first use).
    pub(crate) fn with_nonce(&self, nonce: &str) -> Session {
        let mut s = Session {
            algorithm: self.algorithm,
            nonce: nonce.to_owned(),
            realm: self.realm.clone(),
            opaque: self.opaque.clone(),
            userhash: self.userhash,
            offers_auth: self.offers_auth,
            offers_auth_int: self.offers_auth_int,
            rfc2069: self.rfc2069,
            auth_int: self.auth_int,
            ha1_base: self.ha1_base,
            prefix: compute::nonce_prefix(self.algorithm, &self.ha1_base, nonce),
            sess: OnceLock::new(),
            ha2: self.ha2.clone(),
            rendered: String::new(),
            username_end: 0,
            uri_at: 0,
            nc_at: 0,
        };
        s.render(self.part("Digest ".len(), self.username_end));
        s
    }

    /// The qop for a request with this body; `Err(BodyRequired)` when only `auth-int` is offered and
    /// the body is unknown.
    pub(crate) fn choose_qop(&self, body: Option<&[u8]>) -> Result<Option<Qop>, DigestError> {
        if self.rfc2069 {
            return Ok(None);
        }
        if body.is_some()
            && self.offers_auth_int
            && (self.auth_int == AuthInt::Preferred || !self.offers_auth)
        {
            return Ok(Some(Qop::AuthInt));
        }
        if self.offers_auth {
            return Ok(Some(Qop::Auth));
        }
        Err(DigestError::BodyRequired)
    }

    /// The absorbed `H(A1) ":" nonce ":"` and the cnonce to send: for `-sess` the session's (fixed
    /// by the first request), else those of `H(A1)` itself and the caller's cnonce.
    fn key<'s>(&'s self, cnonce: &'s str) -> (&'s Absorbed, &'s str) {
        if !self.algorithm.is_session() {
            return (&self.prefix, cnonce);
        }
        let k = self.sess.get_or_init(|| {
            let ha1 = compute::session_ha1(self.algorithm, &self.ha1_base, &self.nonce, cnonce);
            SessKey {
                cnonce: cnonce.to_owned(),
                prefix: compute::nonce_prefix(self.algorithm, &ha1, &self.nonce),
                ha1,
            }
        });
        (&k.prefix, k.cnonce.as_str())
    }

    /// Appends the `Authorization` value for `req` to `out` (already validated; `uri_escapes` is
    /// [`quote_escapes`] of its uri, found by the validation) with this `cnonce` and `nc`;
    /// `known_ha2` is the H(A2) pair of its method and uri if the caller knows it (used when its
    /// hash function is this session's, and the qop is not `auth-int`).
    pub(crate) fn authorize<'s>(
        &'s self,
        req: &RequestFacts<'_>,
        uri_escapes: usize,
        known_ha2: Option<&(Algorithm, Ha2Pair)>,
        cnonce: &'s str,
        nc: u32,
        out: &mut String,
    ) -> Result<Authorized<'s>, DigestError> {
        let qop = self.choose_qop(req.body)?;
        let cnonce_escapes = match qop {
            Some(_) if cnonce.is_empty() => None,
            Some(_) => quotable_escapes(cnonce),
            None => Some(0),
        }
        .ok_or(DigestError::InvalidInput(InvalidInput::Cnonce))?;
        let nc8 = nc_hex(nc);
        let (prefix, sent) = if qop.is_some() {
            self.key(cnonce)
        } else {
            (&self.prefix, "")
        };
        // `-sess` sends the session cnonce (checked when its first request was authorized).
        let cnonce_escapes = if std::ptr::eq(sent, cnonce) {
            cnonce_escapes
        } else {
            quote_escapes(sent)
        };
        let cnonce = sent;
        // `H(A1):nonce:nc:cnonce:qop:` ([`compute::request_state`], fixed-size copies).
        let state = match qop {
            Some(q) => prefix.extended_request(&nc8, cnonce.as_bytes(), q),
            None => prefix.clone(),
        };
        let mut looked_up = None;
        let (ha2, rspauth_ha2) = if qop == Some(Qop::AuthInt) {
            // Covers the body: never cached, and `rspauth` covers the response's body instead.
            let body = req.body.unwrap_or_default();
            let ha2 = compute::ha2_int(self.algorithm, req.method, req.uri, body);
            (ha2, None)
        } else {
            let base = self.algorithm.base();
            let pair = match known_ha2 {
                Some((alg, pair)) if *alg == base => *pair,
                _ => {
                    let pair = self.ha2.get(self.algorithm, req.method, req.uri);
                    looked_up = Some((base, pair));
                    pair
                }
            };
            (pair.request, Some(pair.rspauth))
        };
        let response = compute::finish(&state, &ha2);
        // Reserved exactly: an empty buffer then becomes a `Bytes` (and a header value) without a
        // second allocation or a copy (`Bytes::from` a `Vec` whose length is its capacity), and a
        // reused one grows at most once.
        let qop_len = qop.map_or(0, |q| {
            ", nc=".len()
                + nc8.len()
                + ", cnonce=".len()
                + cnonce.len()
                + 2
                + cnonce_escapes
                + ", qop=".len()
                + q.as_str().len()
        });
        let len = self.rendered.len()
            + req.uri.len()
            + 2
            + uri_escapes
            + qop_len
            + ", response=\"".len()
            + response.as_bytes().len()
            + 1;
        out.reserve_exact(len);
        let start = out.len();
        out.push_str(self.part(0, self.uri_at));
        push_quoted_counted(out, req.uri, uri_escapes);
        out.push_str(self.part(self.uri_at, self.nc_at));
        if let Some(q) = qop {
            out.push_str(", nc=");
            // ASCII hex digits, pushed as such: no UTF-8 check of bytes written here.
            for b in nc8 {
                out.push(char::from(b));
            }
            out.push_str(", cnonce=");
            push_quoted_counted(out, cnonce, cnonce_escapes);
            out.push_str(", qop=");
            out.push_str(q.as_str());
        }
        out.push_str(self.part(self.nc_at, self.rendered.len()));
        out.push_str(", response=\"");
        out.push_str(response.as_str());
        out.push('"');
        debug_assert_eq!(
            out.len() - start,
            len,
            "the Authorization value is sized exactly"
        );
        Ok(Authorized {
            qop,
            cnonce_sent: qop.map(|_| cnonce),
            state,
            rspauth_ha2,
            looked_up,
        })
    }

    /// The `rspauth` the server must send for a request authorized with `state`
    /// ([`Authorized::state`]) and this qop and uri: finished with the H(A2) found when the request
    /// was authorized ([`Authorized::rspauth_ha2`]), or for `auth-int` with the response body's.
    pub(crate) fn expected_rspauth(
        &self,
        state: &Absorbed,
        rspauth_ha2: Option<&Hex>,
        uri: &str,
        response_body: Option<&[u8]>,
    ) -> Hex {
        let ha2 = match rspauth_ha2 {
            Some(h) => *h,
            None => compute::ha2_int(self.algorithm, "", uri, response_body.unwrap_or_default()),
        };
        compute::finish(state, &ha2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::AuthorizationHeader;
    use proptest::prelude::*;

    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("[ -~]{{1,{max}}}")).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The `Authorization` value is sized exactly (its buffer becomes a header value without
        /// a second allocation) whatever needs escaping, and parses back to what was sent.
        #[test]
        fn the_authorization_value_is_sized_exactly_and_parses_back(
            uri in text(120),
            cnonce in text(64),
            later_cnonce in text(64),
            nonce in text(80),
            realm in text(20),
            opaque in proptest::option::of(text(20)),
            qop in prop_oneof![Just("auth"), Just("auth-int"), Just("")],
            alg in proptest::sample::select(vec!["MD5", "SHA-256", "SHA-512-256-sess"]),
            userhash in any::<bool>(),
            nc in 1u32..=u32::MAX,
        ) {
            let mut c = String::new();
            c.push_str("Digest realm=");
            push_quoted(&mut c, &realm);
            c.push_str(", nonce=");
            push_quoted(&mut c, &nonce);
            if !qop.is_empty() {
                c.push_str(", qop=\"");
                c.push_str(qop);
                c.push('"');
            }
            c.push_str(", algorithm=");
            c.push_str(alg);
            if let Some(o) = &opaque {
                c.push_str(", opaque=");
                push_quoted(&mut c, o);
            }
            if userhash {
                c.push_str(", userhash=true");
            }
            let challenge: DigestChallenge = c.parse().unwrap();
            let config = ClientConfig::default()
                .with_rfc2069(Rfc2069::Allow)
                .with_md5(Md5::Allow);
            let Ok(session) = Session::new(&challenge, &Credentials::new("user \"q\"", "pw"), &config)
            else {
                // Not answerable under this config (no qop with -sess): nothing to size.
                return Ok(());
            };
            let req = RequestFacts::new("GET", &uri).with_body(b"body");
            let escapes = crate::parse::quote_escapes(&uri);
            // Two requests: with `-sess` the second sends the first one's cnonce, not its own.
            let mut reused = String::from("earlier");
            for cnonce in [&cnonce, &later_cnonce] {
                let mut header = String::new();
                let a = session.authorize(&req, escapes, None, cnonce, nc, &mut header).unwrap();
                prop_assert_eq!(header.len(), header.capacity());
                // Appended to a buffer in use, the same value follows what was there.
                reused.truncate("earlier".len());
                let _ = session.authorize(&req, escapes, None, cnonce, nc, &mut reused).unwrap();
                prop_assert_eq!(&reused["earlier".len()..], header.as_str());
                let parsed: AuthorizationHeader = header.parse().unwrap();
                prop_assert_eq!(&parsed.uri, &uri);
                prop_assert_eq!(parsed.nonce.as_str(), challenge.nonce.as_str());
                if a.qop.is_some() {
                    prop_assert_eq!(parsed.cnonce.as_deref(), a.cnonce_sent);
                }
            }
        }
    }
}
