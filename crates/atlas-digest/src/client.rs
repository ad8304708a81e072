//! The client state machine.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::compute::{self, QopInputs};
use crate::credentials::{Credentials, RequestFacts};
use crate::error::DigestError;
use crate::hash::{Algorithm, Hex, Qop, constant_time_eq_hex, nc_hex};
use crate::header::{AuthenticationInfo, DigestChallenge, needs_extended};
use crate::parse::{
    ParseError, any_byte, encode_ext_value, is_quotable, is_token, parse_challenges_partial,
    push_quoted,
};

/// Client policy knobs. Start from `ClientConfig::default()` and set fields.
///
/// The qop rules are those of [RFC 7616 section 3.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4);
/// RFC 2069 mode is [RFC 2617 section 3.2.2.1](https://www.rfc-editor.org/rfc/rfc2617#section-3.2.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Use `qop=auth-int` at all. Default `true` (only when the body is known, see
    /// [`RequestFacts::body`]). Set `false` when response bodies cannot be handed to
    /// [`DigestClient::on_authentication_info_with_body`] (streaming): challenges offering only
    /// `auth-int` are then unsupported.
    pub allow_auth_int: bool,
    /// Use `qop=auth-int` whenever the server offers it and the request body is known
    /// ([`RequestFacts::body`] is `Some`). Default `false`: `auth-int` is only used when the server offers
    /// nothing else (a challenge offering only `auth-int` is answered when the body is known).
    pub prefer_auth_int: bool,
    /// Answer challenges without `qop` (RFC 2069 compatibility mode: no cnonce, no nc, weaker replay
    /// protection). Default `true`, because old cameras and routers only speak it.
    pub allow_rfc2069: bool,
    /// Accept `MD5` and `MD5-sess` challenges. Default `true` (most deployed servers only offer MD5);
    /// set `false` to refuse them as unsupported. A stronger algorithm is always preferred when offered.
    pub allow_md5: bool,
    /// Fail with [`DigestError::RspauthMissing`] when a successful response carries no `rspauth`
    /// (mutual authentication mandatory). Default `false`: `rspauth` is verified when present.
    pub require_rspauth: bool,
    /// Highest nc used with one nonce. When it is reached the nonce is dropped and the next request goes
    /// out without credentials to obtain a fresh challenge. Default `u32::MAX` (nc is 8 hex digits).
    pub max_nc: u32,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            allow_auth_int: true,
            prefer_auth_int: false,
            allow_rfc2069: true,
            allow_md5: true,
            require_rspauth: false,
            max_nc: u32::MAX,
        }
    }
}

/// Everything derived from one adopted challenge: the precomputed H(A1) base, the pre-rendered constant
/// parts of the `Authorization` value and the nonce count.
pub(crate) struct Session {
    algorithm: Algorithm,
    nonce: String,
    realm: String,
    opaque: Option<String>,
    userhash: bool,
    offers_auth: bool,
    offers_auth_int: bool,
    rfc2069: bool,
    prefer_auth_int: bool,
    ha1_base: Hex,
    /// The constant parts of the `Authorization` value, in one allocation:
    /// `Digest <username>, realm="..", uri=` | `, algorithm=X, nonce=".."` |
    /// `, userhash=true, opaque=".."` (either part optional), split at `uri_at` and `nc_at`.
    rendered: String,
    /// End of `<username>` in `rendered` (it starts after `Digest `).
    username_end: usize,
    uri_at: usize,
    nc_at: usize,
    /// Last nc handed out (0 = none yet).
    nc: AtomicU32,
    max_nc: u32,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("algorithm", &self.algorithm)
            .field("realm", &self.realm)
            .field("nonce", &self.nonce)
            .field("nc", &self.nc.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Why a challenge cannot be answered (used to summarise the offer).
fn usable(c: &DigestChallenge, config: &ClientConfig, body_known: bool) -> bool {
    if !config.allow_md5 && c.algorithm.base() == Algorithm::Md5 {
        return false;
    }
    match &c.qop {
        None => config.allow_rfc2069 && !c.algorithm.is_session(),
        Some(list) => {
            list.contains(&Qop::Auth)
                || (config.allow_auth_int && body_known && list.contains(&Qop::AuthInt))
        }
    }
}

impl Session {
    fn new(
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
        let mut s = Session {
            algorithm: c.algorithm,
            nonce: c.nonce.clone(),
            realm: c.realm.clone(),
            opaque: c.opaque.clone(),
            userhash: c.userhash,
            offers_auth: c.offers(Qop::Auth),
            offers_auth_int: config.allow_auth_int && c.offers(Qop::AuthInt),
            rfc2069: c.qop.is_none(),
            prefer_auth_int: config.prefer_auth_int,
            ha1_base,
            rendered: String::new(),
            username_end: 0,
            uri_at: 0,
            nc_at: 0,
            nc: AtomicU32::new(0),
            max_nc: config.max_nc,
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

    /// The same session with the server's `nextnonce` (nc restarts at 1).
    fn with_nonce(&self, nonce: &str) -> Session {
        let mut s = Session {
            algorithm: self.algorithm,
            nonce: nonce.to_owned(),
            realm: self.realm.clone(),
            opaque: self.opaque.clone(),
            userhash: self.userhash,
            offers_auth: self.offers_auth,
            offers_auth_int: self.offers_auth_int,
            rfc2069: self.rfc2069,
            prefer_auth_int: self.prefer_auth_int,
            ha1_base: self.ha1_base,
            rendered: String::new(),
            username_end: 0,
            uri_at: 0,
            nc_at: 0,
            nc: AtomicU32::new(0),
            max_nc: self.max_nc,
        };
        s.render(self.part("Digest ".len(), self.username_end));
        s
    }

    /// Reserves the next nc atomically; `None` when `max_nc` is reached (the nonce must be dropped).
    fn next_nc(&self) -> Option<u32> {
        let max = self.max_nc;
        self.nc
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                if n >= max { None } else { Some(n + 1) }
            })
            .ok()
            .map(|prev| prev + 1)
    }

    fn choose_qop(&self, body: Option<&[u8]>) -> Result<Option<Qop>, DigestError> {
        if self.rfc2069 {
            return Ok(None);
        }
        if body.is_some() && self.offers_auth_int && (self.prefer_auth_int || !self.offers_auth) {
            return Ok(Some(Qop::AuthInt));
        }
        if self.offers_auth {
            return Ok(Some(Qop::Auth));
        }
        Err(DigestError::BodyRequired)
    }

    /// Computes the `Authorization` value for `req` (already validated) with this `cnonce` and `nc`.
    fn authorize(
        &self,
        req: &RequestFacts<'_>,
        cnonce: &str,
        nc: u32,
    ) -> Result<(String, Option<Qop>), DigestError> {
        let qop = self.choose_qop(req.body)?;
        if qop.is_some() && (cnonce.is_empty() || !is_quotable(cnonce)) {
            return Err(DigestError::InvalidInput(
                "cnonce must be non-empty printable text",
            ));
        }
        let nc8 = nc_hex(nc);
        let ha1 = compute::session_ha1(self.algorithm, &self.ha1_base, &self.nonce, cnonce);
        let inputs = qop.map(|qop| QopInputs {
            qop,
            nc: &nc8,
            cnonce,
        });
        let response = compute::response(
            self.algorithm,
            &ha1,
            &self.nonce,
            inputs,
            req.method,
            req.uri,
            req.body,
        );
        let mut out =
            String::with_capacity(self.rendered.len() + req.uri.len() + cnonce.len() + 64 + 64);
        out.push_str(self.part(0, self.uri_at));
        push_quoted(&mut out, req.uri);
        out.push_str(self.part(self.uri_at, self.nc_at));
        if let Some(q) = qop {
            out.push_str(", nc=");
            // nc8 is ASCII hex.
            out.push_str(std::str::from_utf8(&nc8).unwrap_or("00000000"));
            out.push_str(", cnonce=");
            push_quoted(&mut out, cnonce);
            out.push_str(", qop=");
            out.push_str(q.as_str());
        }
        out.push_str(self.part(self.nc_at, self.rendered.len()));
        out.push_str(", response=\"");
        out.push_str(response.as_str());
        out.push('"');
        Ok((out, qop))
    }

    /// The `rspauth` the server must send for a request authorized with these values.
    fn expected_rspauth(&self, sent: &Sent, response_body: Option<&[u8]>) -> Hex {
        let nc8 = nc_hex(sent.nc);
        let ha1 = compute::session_ha1(self.algorithm, &self.ha1_base, &self.nonce, sent.cnonce());
        let inputs = sent.qop.map(|qop| QopInputs {
            qop,
            nc: &nc8,
            cnonce: sent.cnonce(),
        });
        compute::response(
            self.algorithm,
            &ha1,
            &self.nonce,
            inputs,
            "",
            sent.uri(),
            response_body,
        )
    }
}

fn validate_request(req: &RequestFacts<'_>) -> Result<(), DigestError> {
    if !is_token(req.method) {
        return Err(DigestError::InvalidInput("method must be an HTTP token"));
    }
    let uri = req.uri;
    if uri.is_empty() || any_byte(uri.as_bytes(), |b| (b <= 0x20) | (b == 0x7f)) {
        return Err(DigestError::InvalidInput(
            "uri must be a non-empty request-target without spaces or control characters",
        ));
    }
    if crate::target::classify(uri).is_none() {
        return Err(DigestError::InvalidInput(
            "uri must be a request-target: origin form (/path?query), absolute form \
             (http://host/path, through a forward proxy, without userinfo or fragment), \
             authority form (host:port) or *",
        ));
    }
    Ok(())
}

fn summarise(c: &DigestChallenge) -> String {
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

impl DigestChallenge {
    /// The `Authorization` value answering this challenge with a caller-chosen `cnonce` and `nc`.
    ///
    /// This is the deterministic entry point (test vectors, other state machines): it runs exactly the
    /// code [`DigestClient::authorization`] runs, with the default [`ClientConfig`].
    ///
    /// ```
    /// use atlas_digest::{Credentials, DigestChallenge, RequestFacts};
    ///
    /// let challenge: DigestChallenge = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
    ///     nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""
    ///     .parse()?;
    /// let value = challenge.respond(
    ///     &Credentials::new("Mufasa", "Circle Of Life"),
    ///     &RequestFacts::new("GET", "/dir/index.html"),
    ///     "0a4f113b",
    ///     1,
    /// )?;
    /// assert!(value.ends_with("response=\"6629fae49393a05397450978507c4ef1\""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn respond(
        &self,
        credentials: &Credentials,
        req: &RequestFacts<'_>,
        cnonce: &str,
        nc: u32,
    ) -> Result<String, DigestError> {
        self.respond_with_config(credentials, req, cnonce, nc, &ClientConfig::default())
    }

    /// [`DigestChallenge::respond`] under a given [`ClientConfig`] (qop choice, accepted algorithms).
    pub fn respond_with_config(
        &self,
        credentials: &Credentials,
        req: &RequestFacts<'_>,
        cnonce: &str,
        nc: u32,
        config: &ClientConfig,
    ) -> Result<String, DigestError> {
        if nc == 0 {
            return Err(DigestError::InvalidInput("nc starts at 1"));
        }
        validate_request(req)?;
        let session = Session::new(self, credentials, config)?;
        session.authorize(req, cnonce, nc).map(|(v, _)| v)
    }
}

/// What was sent on the latest attempt of a logical request (to verify `rspauth`).
struct Sent {
    session: Arc<Session>,
    nc: u32,
    qop: Option<Qop>,
    /// The request-target followed by the cnonce, in one allocation.
    uri_cnonce: String,
    uri_len: usize,
    /// The nonce was adopted while handling this same logical request (so a new 401 means rejection).
    after_challenge: bool,
}

impl Sent {
    fn uri(&self) -> &str {
        self.uri_cnonce.get(..self.uri_len).unwrap_or_default()
    }

    fn cnonce(&self) -> &str {
        self.uri_cnonce.get(self.uri_len..).unwrap_or_default()
    }
}

/// Per-logical-request state from [`DigestClient::start`]. `Debug` shows counters only, no secrets.
///
/// A 401 to credentials built from a challenge of this same request is final unless it says `stale=true`
/// ([RFC 7616 section 3.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.3)); a 401 to credentials
/// built from a nonce cached by an earlier request gets one fresh attempt even without `stale` (servers
/// that forget nonces, for example after a restart, answer a plain 401).
///
/// It bounds the attempts: the request without (or with cached) credentials, the answer to a challenge,
/// and one retry after `stale=true`. Any further 401 ends with an error, so no loop is possible.
pub struct RequestState {
    unauthorized: u8,
    stale_retry_used: bool,
    challenged: bool,
    body_known: bool,
    sent: Option<Sent>,
}

impl fmt::Debug for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestState")
            .field("unauthorized", &self.unauthorized)
            .field("stale_retry_used", &self.stale_retry_used)
            .field("challenged", &self.challenged)
            .field("sent_nc", &self.sent.as_ref().map(|s| s.nc))
            .finish()
    }
}

impl RequestState {
    /// The nc of the credentials last produced for this request, if any.
    pub fn nc(&self) -> Option<u32> {
        self.sent.as_ref().map(|s| s.nc)
    }

    /// The qop of the credentials last produced for this request (`None` if none were sent or in
    /// RFC 2069 mode).
    pub fn qop(&self) -> Option<Qop> {
        self.sent.as_ref().and_then(|s| s.qop)
    }

    /// The algorithm of the credentials last produced for this request.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.sent.as_ref().map(|s| s.session.algorithm)
    }
}

/// Most 401 responses one logical request handles (initial, after challenge, after stale).
const MAX_UNAUTHORIZED: u8 = 3;

/// A Digest client for one (origin, credentials) pair; `Send + Sync`, every method takes `&self`.
///
/// Implements the client side of [RFC 7616 section 3](https://www.rfc-editor.org/rfc/rfc7616#section-3):
/// challenge selection (section 3.7), the `Authorization` header (section 3.4), nonce reuse with `nc`,
/// `stale` (section 3.3) and `Authentication-Info` (section 3.5).
///
/// # Order of calls (per logical request)
/// 1. `let mut st = client.start();`
/// 2. `client.authorization(&mut st, &facts, cnonce)?`: `Some(value)` → send it as `Authorization`;
///    `None` → send without credentials (no nonce is held yet).
/// 3. On 401: `client.on_unauthorized(&mut st, www_authenticate_values)`: `Ok(())` → go back to 2 with a
///    fresh cnonce; `Err(e)` → stop and report `e` (wrong credentials, nothing supported, attempts used up).
/// 4. On success: `client.on_authentication_info(&st, value)` if the response has `Authentication-Info`.
///
/// # Threading
/// Share one client via `Arc` across threads and tasks. The adopted challenge sits behind a short
/// internal lock (held only to clone an `Arc`), and the nonce count is an atomic incremented with a
/// compare-and-swap, so concurrent requests never send the same nc with one nonce, whatever the
/// interleaving. When nc would pass [`ClientConfig::max_nc`] (by default when it would overflow 8 hex
/// digits) the nonce is dropped and the next request is sent without credentials to get a fresh
/// challenge. Requests may reach the server out of nc order; servers keep a small window for that
/// (this crate's [`crate::DigestServer`] does).
pub struct DigestClient {
    credentials: Credentials,
    config: ClientConfig,
    current: Mutex<Option<Arc<Session>>>,
}

impl fmt::Debug for DigestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestClient")
            .field("credentials", &self.credentials)
            .field("config", &self.config)
            .field("session", &*self.lock())
            .finish()
    }
}

impl DigestClient {
    /// A client with the default [`ClientConfig`].
    pub fn new(credentials: Credentials) -> Self {
        DigestClient::with_config(credentials, ClientConfig::default())
    }

    /// A client with an explicit configuration.
    pub fn with_config(credentials: Credentials, config: ClientConfig) -> Self {
        DigestClient {
            credentials,
            config,
            current: Mutex::new(None),
        }
    }

    /// The credentials this client answers with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, Option<Arc<Session>>> {
        // A panic while holding this lock cannot leave the Option half-written; keep going.
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True once a challenge was adopted (and not invalidated): requests can be authorized up front,
    /// saving a round trip.
    pub fn has_nonce(&self) -> bool {
        self.lock().is_some()
    }

    /// Forgets the adopted challenge (the next request goes out without credentials).
    pub fn invalidate(&self) {
        *self.lock() = None;
    }

    /// Per-logical-request state; bounds attempts so that no loop is possible.
    pub fn start(&self) -> RequestState {
        RequestState {
            unauthorized: 0,
            stale_retry_used: false,
            challenged: false,
            body_known: false,
            sent: None,
        }
    }

    /// The `Authorization` value to send now (nc reserved atomically), or `Ok(None)` when no nonce is
    /// held yet (send the request without credentials and expect a 401).
    ///
    /// `cnonce` comes from the caller's randomness (for example 16 random bytes in hex or base64); it
    /// must be non-empty printable text and fresh for every call.
    pub fn authorization(
        &self,
        state: &mut RequestState,
        req: &RequestFacts<'_>,
        cnonce: &str,
    ) -> Result<Option<String>, DigestError> {
        state.body_known = req.body.is_some();
        state.sent = None;
        let Some(session) = self.lock().clone() else {
            // Report bad input now rather than after the 401.
            validate_request(req)?;
            return Ok(None);
        };
        // Validate before reserving an nc, so that bad input does not burn one.
        validate_request(req)?;
        let Some(nc) = session.next_nc() else {
            // nc exhausted for this nonce: drop it (unless another request already replaced it).
            let mut cur = self.lock();
            if cur.as_ref().is_some_and(|c| Arc::ptr_eq(c, &session)) {
                *cur = None;
            }
            return Ok(None);
        };
        let (value, qop) = session.authorize(req, cnonce, nc)?;
        state.sent = Some(Sent {
            session,
            nc,
            qop,
            uri_cnonce: {
                let mut s = String::with_capacity(req.uri.len() + cnonce.len());
                s.push_str(req.uri);
                s.push_str(cnonce);
                s
            },
            uri_len: req.uri.len(),
            after_challenge: state.challenged,
        });
        Ok(Some(value))
    }

    /// Feed every `WWW-Authenticate` value of a 401 (or `Proxy-Authenticate` of a 407).
    ///
    /// Picks the strongest Digest challenge this client can answer (SHA-512-256 > SHA-256 > MD5, the
    /// plain variant before `-sess`, the first on ties) and adopts it for every later request.
    /// `Ok(())` = retry now (call [`DigestClient::authorization`] again); `Err` = stop:
    /// [`DigestError::Rejected`] when credentials computed from a challenge of this same request were
    /// refused without `stale=true`, [`DigestError::NoSupportedChallenge`],
    /// [`DigestError::AttemptsExhausted`], or [`DigestError::Malformed`] when no value parsed.
    pub fn on_unauthorized<'h, I: IntoIterator<Item = &'h str>>(
        &self,
        state: &mut RequestState,
        www_authenticate: I,
    ) -> Result<(), DigestError> {
        state.unauthorized = state.unauthorized.saturating_add(1);
        if state.unauthorized > MAX_UNAUTHORIZED {
            return Err(DigestError::AttemptsExhausted);
        }
        let best = self.pick(www_authenticate, state.body_known)?;
        let sent = state.sent.take();
        state.challenged = true;
        let session = Arc::new(Session::new(&best, &self.credentials, &self.config)?);
        match sent {
            // No credentials, or credentials from a nonce cached before this request (it may have
            // expired without the server saying stale): answer this challenge.
            None => {}
            Some(s) if !s.after_challenge => {}
            Some(s) => {
                if best.stale && !state.stale_retry_used {
                    state.stale_retry_used = true;
                } else {
                    let mut cur = self.lock();
                    if cur.as_ref().is_some_and(|c| Arc::ptr_eq(c, &s.session)) {
                        *cur = None;
                    }
                    return Err(if best.stale {
                        DigestError::AttemptsExhausted
                    } else {
                        DigestError::Rejected
                    });
                }
            }
        }
        *self.lock() = Some(session);
        Ok(())
    }

    fn pick<'h, I: IntoIterator<Item = &'h str>>(
        &self,
        values: I,
        body_known: bool,
    ) -> Result<DigestChallenge, DigestError> {
        let mut offered = Vec::new();
        let mut best: Option<DigestChallenge> = None;
        let mut first_error: Option<ParseError> = None;
        let mut parsed_any = false;
        for (i, v) in values.into_iter().enumerate() {
            // Parse each value on its own, keeping what parsed before an error, so that a broken
            // value or a broken vendor challenge does not hide a good Digest challenge.
            let (challenges, error) = parse_challenges_partial(v);
            if let Some(e) = error {
                first_error.get_or_insert(e.with_value_index(i));
            }
            parsed_any |= !challenges.is_empty();
            for c in challenges {
                if !c.is_scheme("Digest") {
                    offered.push(c.scheme.clone());
                    continue;
                }
                let d = match DigestChallenge::from_challenge(&c) {
                    Ok(d) => d,
                    Err(_) => {
                        let alg = c.param("algorithm").unwrap_or("?");
                        offered.push(format!("Digest algorithm={alg}"));
                        continue;
                    }
                };
                if !usable(&d, &self.config, body_known) {
                    offered.push(summarise(&d));
                    continue;
                }
                if best
                    .as_ref()
                    .is_none_or(|b| d.algorithm.strength() > b.algorithm.strength())
                {
                    best = Some(d);
                }
            }
        }
        match (best, first_error) {
            (Some(b), _) => Ok(b),
            (None, Some(e)) if !parsed_any || offered.is_empty() => Err(DigestError::Malformed(e)),
            _ => Err(DigestError::NoSupportedChallenge { offered }),
        }
    }

    /// Feed `Authentication-Info` (or `Proxy-Authentication-Info`) of a successful response: verifies
    /// `rspauth` when present (mismatch = [`DigestError::RspauthMismatch`]) and then adopts `nextnonce`.
    ///
    /// If the request used `qop=auth-int`, `rspauth` covers the response body: use
    /// [`DigestClient::on_authentication_info_with_body`] (this method then returns
    /// [`DigestError::BodyRequired`]).
    pub fn on_authentication_info(
        &self,
        state: &RequestState,
        value: &str,
    ) -> Result<(), DigestError> {
        self.on_authentication_info_with_body(state, value, None)
    }

    /// [`DigestClient::on_authentication_info`] with the response body, needed to verify `rspauth` of
    /// an `auth-int` request.
    pub fn on_authentication_info_with_body(
        &self,
        state: &RequestState,
        value: &str,
        response_body: Option<&[u8]>,
    ) -> Result<(), DigestError> {
        let info: AuthenticationInfo = value.parse()?;
        let Some(sent) = &state.sent else {
            // No credentials went out on this request: nothing to verify, no session to renew.
            return Ok(());
        };
        match &info.rspauth {
            Some(rspauth) => {
                if sent.qop == Some(Qop::AuthInt) && response_body.is_none() {
                    return Err(DigestError::BodyRequired);
                }
                let expected = sent.session.expected_rspauth(sent, response_body);
                if !constant_time_eq_hex(expected.as_bytes(), rspauth.trim().as_bytes()) {
                    return Err(DigestError::RspauthMismatch);
                }
                if info.cnonce.as_deref().is_some_and(|c| c != sent.cnonce())
                    || info.nc.is_some_and(|nc| nc != sent.nc)
                {
                    return Err(DigestError::AuthenticationInfoMismatch);
                }
            }
            None if self.config.require_rspauth => return Err(DigestError::RspauthMissing),
            None => {}
        }
        if let Some(next) = &info.nextnonce {
            if !next.is_empty() && *next != sent.session.nonce {
                let fresh = Arc::new(sent.session.with_nonce(next));
                let mut cur = self.lock();
                // Adopt unless another request already moved to a different challenge.
                if cur.as_ref().is_none_or(|c| Arc::ptr_eq(c, &sent.session)) {
                    *cur = Some(fresh);
                }
            }
        }
        Ok(())
    }

    /// Diagnostic: the `(algorithm, nonce)` currently held, if any.
    pub fn current_nonce(&self) -> Option<(Algorithm, String)> {
        self.lock().as_ref().map(|s| (s.algorithm, s.nonce.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nc_stops_at_u32_max_without_wrapping() {
        let c: DigestChallenge = "Digest realm=\"r\", nonce=\"n\", qop=auth".parse().unwrap();
        let s = Session::new(&c, &Credentials::new("u", "p"), &ClientConfig::default()).unwrap();
        s.nc.store(u32::MAX - 2, Ordering::Relaxed);
        assert_eq!(s.next_nc(), Some(u32::MAX - 1));
        assert_eq!(s.next_nc(), Some(u32::MAX));
        assert_eq!(s.next_nc(), None);
        assert_eq!(s.next_nc(), None);
        let (v, _) = s
            .authorize(&RequestFacts::new("GET", "/"), "c", u32::MAX)
            .unwrap();
        assert!(v.contains("nc=ffffffff"), "{v}");
    }

    #[test]
    fn client_drops_an_exhausted_nonce() {
        let client = DigestClient::new(Credentials::new("u", "p"));
        client
            .on_unauthorized(
                &mut client.start(),
                ["Digest realm=\"r\", nonce=\"n\", qop=auth"],
            )
            .unwrap();
        if let Some(s) = client.lock().as_ref() {
            s.nc.store(u32::MAX, Ordering::Relaxed);
        }
        let mut st = client.start();
        assert_eq!(
            client
                .authorization(&mut st, &RequestFacts::new("GET", "/"), "c")
                .unwrap(),
            None
        );
        assert!(!client.has_nonce());
    }
}
