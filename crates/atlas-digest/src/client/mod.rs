//! The client: [`DigestClient`], its per-request [`RequestState`], and what [`DigestClient::authorize`]
//! answers ([`Authorize`]: send with a lease, probe, or wait).

mod config;
mod lease;
mod memo;
mod pick;
mod saved;
mod session;

use std::fmt;
use std::sync::Arc;

pub use config::{AuthInt, ClientConfig, DEFAULT_NC_SPAN, Downgrade, Md5, Rfc2069, Rspauth};
pub use lease::{NcLease, NcWait};
pub use saved::{ImportError, MAX_SAVED_SESSION_LEN, NcBlock, SavedSession, SessionTextError};

use crate::absorbed::Absorbed;
use crate::credentials::{Credentials, RequestFacts};
use crate::error::{DigestError, InvalidInput};
use crate::hash::{Algorithm, Hex, Qop, constant_time_eq_hex};
use crate::header::{AuthenticationInfoRef, DigestChallenge};
use crate::parse::is_token;
use crate::target::{self, Origin, Target};
use lease::{Shared, Slot};
use memo::{Known, LastTarget};
use session::Session;

/// Checks the method and request-target; returns the target's form and how many of its bytes a
/// quoted-string escapes (one pass over the target).
fn validate_request<'r>(req: &RequestFacts<'r>) -> Result<(Target<'r>, usize), DigestError> {
    if !is_token(req.method) {
        return Err(DigestError::InvalidInput(InvalidInput::Method));
    }
    target::check_for_quoting(req.uri).ok_or(DigestError::InvalidInput(InvalidInput::Uri))
}

/// The origin a request states: [`RequestFacts::origin`], else the absolute-form target's.
fn request_origin(
    req: &RequestFacts<'_>,
    target: Target<'_>,
) -> Result<Option<Origin>, DigestError> {
    if let Some(o) = req.origin {
        return Origin::parse(o)
            .map(Some)
            .ok_or(DigestError::InvalidInput(InvalidInput::Origin));
    }
    Ok(match target {
        Target::Absolute {
            scheme, authority, ..
        } => Some(Origin::from_parts(scheme, authority)),
        _ => None,
    })
}

impl DigestChallenge {
    /// The `Authorization` value answering this challenge with a caller-chosen `cnonce` and `nc`.
    ///
    /// This is the deterministic entry point (test vectors, other state machines): it runs exactly the
    /// code [`DigestClient::authorize`] runs, with the default [`ClientConfig`]. For `-sess`, `cnonce`
    /// is the session cnonce (the one of the first request on the nonce, RFC 7616 section 3.4.2).
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
            return Err(DigestError::InvalidInput(InvalidInput::NcZero));
        }
        let (_, uri_escapes) = validate_request(req)?;
        let session = Session::new(self, credentials, config)?;
        let mut header = String::new();
        session.authorize(req, uri_escapes, None, cnonce, nc, &mut header)?;
        Ok(header)
    }
}

/// What was sent on the latest attempt of a logical request (to verify `rspauth`).
struct Sent {
    session: Arc<Session>,
    epoch: u64,
    nc: u32,
    qop: Option<Qop>,
    /// The cnonce sent, compared with the one `Authentication-Info` echoes.
    cnonce: Echo,
    /// The request-target, kept for `auth-int` only (whose `rspauth` H(A2) is computed from it
    /// and the response body; the others have `rspauth_ha2`).
    uri: Option<String>,
    /// The hash state up to H(A2): `rspauth` is one finish away.
    state: Absorbed,
    /// `rspauth`'s H(A2) (`None` for `auth-int`, whose `rspauth` covers the response body).
    rspauth_ha2: Option<Hex>,
}

/// A short copy of a string kept inline (no allocation per request for the usual cnonce of at
/// most 64 bytes), else on the heap.
enum Echo {
    Inline { buf: [u8; 64], len: u8 },
    Heap(String),
}

impl Echo {
    fn new(s: &str) -> Echo {
        let b = s.as_bytes();
        match u8::try_from(b.len()) {
            Ok(len) if b.len() <= 64 => {
                let mut buf = [0u8; 64];
                buf[..b.len()].copy_from_slice(b);
                Echo::Inline { buf, len }
            }
            _ => Echo::Heap(s.to_owned()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Echo::Inline { buf, len } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Echo::Heap(s) => s.as_bytes(),
        }
    }
}

/// What to do with a request now ([`DigestClient::authorize`]).
#[must_use = "the request must be sent as told, or the wait awaited"]
#[derive(Debug)]
pub enum Authorize {
    /// Send the request with `header` as `Authorization` (or `Proxy-Authorization`); hold `lease`
    /// for the whole attempt (until the response is in, or the attempt is given up).
    Send {
        /// The `Authorization` value.
        header: String,
        /// The nc of this attempt; dropping or completing it retires the nc.
        lease: NcLease,
    },
    /// Send the request without credentials: no nonce is held yet and this request is the one that
    /// fetches the first challenge (the others wait for it), or the held challenge cannot serve this
    /// request (it offers only `auth-int` and the body is unknown). Feed the 401 to
    /// [`DigestClient::on_unauthorized`].
    Probe,
    /// Wait, then call [`DigestClient::authorize`] again with the same state: the nc span is full, or
    /// another request is fetching the first challenge.
    Wait(NcWait),
}

/// What to do with a request now ([`DigestClient::authorize_into`]): [`Authorize`], with the
/// `Authorization` value appended to the caller's buffer.
#[must_use = "the request must be sent as told, or the wait awaited"]
#[derive(Debug)]
pub enum AuthorizeInto {
    /// Send the request with the value appended to the buffer as `Authorization` (or
    /// `Proxy-Authorization`); hold the lease for the whole attempt (see [`Authorize::Send`]).
    Send(NcLease),
    /// Send the request without credentials ([`Authorize::Probe`]).
    Probe,
    /// Wait, then authorize again with the same state ([`Authorize::Wait`]).
    Wait(NcWait),
}

/// Per-logical-request state from [`DigestClient::start`]. `Debug` shows counters only, no secrets.
///
/// A 401 to credentials built from a challenge this request adopted is final unless it says
/// `stale=true` ([RFC 7616 section 3.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.3)); a 401 to
/// credentials built from a nonce adopted by an earlier request gets one fresh attempt even without
/// `stale` (servers that forget nonces, for example after a restart, answer a plain 401); a 401 to
/// credentials from a nonce that another request has replaced meanwhile is retried on the newest
/// nonce without adopting anything. The request that adopts a challenge (its probe's, or a stale
/// answer's) is issued the nonce's first nc and sends first on it; a probe answered after another
/// request adopted a different nonce meanwhile adopts its own challenge.
///
/// It bounds the attempts (at most four 401s per logical request), so no loop is possible. Dropping it
/// gives up its place in the queue and, if it was probing for the first challenge, lets the next
/// waiter probe.
pub struct RequestState {
    shared: Arc<Shared>,
    id: u64,
    ticket: Option<u64>,
    /// This state may hold the probe role (set when told to probe; cleared when it is released).
    probing: bool,
    unauthorized: u8,
    stale_retry_used: bool,
    body_known: bool,
    /// The session generation the last attempt used (`None`: none was held).
    seen_epoch: Option<u64>,
    /// The session generation this request adopted itself, if any.
    adopted_epoch: Option<u64>,
    sent: Option<Sent>,
    /// The nc issued to this request when it adopted a challenge, not yet sent.
    reserved: Option<Reserved>,
}

/// An nc issued at adoption to the adopting request (it sends first on the nonce it fetched).
struct Reserved {
    session: Arc<Session>,
    epoch: u64,
    nc: u32,
}

impl fmt::Debug for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestState")
            .field("unauthorized", &self.unauthorized)
            .field("stale_retry_used", &self.stale_retry_used)
            .field("waiting", &self.ticket.is_some())
            .field("sent_nc", &self.sent.as_ref().map(|s| s.nc))
            .finish()
    }
}

impl Drop for RequestState {
    fn drop(&mut self) {
        // Only a state that waits in the queue, may be probing or holds an unsent nc has anything
        // to give up.
        if self.ticket.is_some() || self.probing || self.reserved.is_some() {
            let mut g = self.shared.lock();
            if let Some(r) = self.reserved.take() {
                g.unissue(r.epoch, r.nc);
            }
            g.abandon(self.id, self.ticket);
        }
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

    /// True if credentials went out on the last attempt.
    pub fn sent_credentials(&self) -> bool {
        self.sent.is_some()
    }
}

/// Most 401 responses one logical request handles: the probe's (or a cached nonce's), the answer to
/// a challenge, one `stale=true` retry and one retry on a nonce another request adopted meanwhile.
const MAX_UNAUTHORIZED: u8 = 4;

/// A Digest client for one origin and one set of credentials; `Send + Sync`, every method takes
/// `&self`. Share it via `Arc`.
///
/// Implements the client side of [RFC 7616 section 3](https://www.rfc-editor.org/rfc/rfc7616#section-3):
/// challenge selection (section 3.7), the `Authorization` header (section 3.4), nonce reuse with `nc`,
/// `stale` (section 3.3) and `Authentication-Info` (section 3.5).
///
/// # Order of calls (per logical request)
/// 1. `let mut st = client.start();`
/// 2. `client.authorize(&mut st, &facts, cnonce)?` ([`Authorize`]):
///    - `Send { header, lease }`: send with `Authorization: header`, keep `lease` until the response;
///    - `Probe`: send without credentials (expect a 401);
///    - `Wait(w)`: `w.await` (or [`NcWait::wait_blocking`]), then go back to 2.
/// 3. On 401: `client.on_unauthorized(&mut st, www_authenticate_values)`: `Ok(())` → go back to 2 with
///    a fresh cnonce; `Err(e)` → stop and report `e` (wrong credentials, nothing supported, attempts
///    used up, downgrade).
/// 4. On success: `client.on_authentication_info(&st, value)` if the response has
///    `Authentication-Info` (verifies `rspauth`, adopts `nextnonce`); then drop the lease.
///
/// # Concurrency: one challenge, a bounded nc span
/// - **Single flight.** While no nonce is held, exactly one request probes; every other concurrent
///   first request waits for its challenge, so N concurrent first requests cost one challenge. If
///   the probe ends without one (its state is dropped, or its future is cancelled), the next waiter
///   probes; the queue never sticks.
/// - **nc lease.** Each credentialed attempt holds a lease on its nc. The client never has more than
///   [`ClientConfig::nc_span`] (default 32, never above [`ClientConfig::server_window`], default 64)
///   unretired nc values of one nonce, so requests that overtake each other stay inside the server's
///   replay window; the next request waits instead.
/// - **Stale.** A `stale=true` 401 costs the request that got it one round trip; the new nonce is
///   adopted once, and every waiter uses it. Requests in flight on the old nonce that then get a 401
///   retry on the newest nonce without another challenge.
/// - **FIFO.** Waiters are served in the order they were told to wait; no wake-up is lost when a
///   waiter gives up.
///
/// When nc would pass [`ClientConfig::max_nc`] the nonce is dropped and the next request probes.
///
/// # Protection space
/// The client is bound to one origin (given with [`DigestClient::for_origin`], or the first one a
/// request states through [`RequestFacts::origin`] or an absolute-form target) and to the realm of
/// the first challenge it adopts: a request for another origin is
/// [`DigestError::OriginMismatch`], a 401 offering only other realms [`DigestError::RealmMismatch`].
/// It pins the strongest challenge seen ([`DigestError::Downgrade`]).
pub struct DigestClient {
    credentials: Credentials,
    config: ClientConfig,
    shared: Arc<Shared>,
    /// The request-target authorized last, found valid, and its H(A2).
    last: LastTarget,
}

impl fmt::Debug for DigestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.shared.lock();
        let (unretired, waiting) = g.load();
        f.debug_struct("DigestClient")
            .field("credentials", &self.credentials)
            .field("config", &self.config)
            .field("origin", &g.origin)
            .field("session", &g.current.as_ref().map(|b| &b.session))
            .field("unretired", &unretired)
            .field("waiting", &waiting)
            .finish()
    }
}

impl DigestClient {
    /// A client with the default [`ClientConfig`], bound to the first origin a request states.
    pub fn new(credentials: Credentials) -> Self {
        DigestClient::with_config(credentials, ClientConfig::default())
    }

    /// A client with an explicit configuration.
    pub fn with_config(credentials: Credentials, config: ClientConfig) -> Self {
        let shared = Arc::new(Shared::new(config.nc_span(), config.max_nc()));
        DigestClient {
            credentials,
            config,
            shared,
            last: LastTarget::default(),
        }
    }

    /// A client bound to `origin` (`scheme://host[:port]`) from the start.
    pub fn for_origin(
        credentials: Credentials,
        config: ClientConfig,
        origin: &str,
    ) -> Result<Self, DigestError> {
        let origin =
            Origin::parse(origin).ok_or(DigestError::InvalidInput(InvalidInput::Origin))?;
        let client = DigestClient::with_config(credentials, config);
        client.shared.lock().origin = Some(origin);
        Ok(client)
    }

    /// The credentials this client answers with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The origin this client is bound to, if bound yet.
    pub fn origin(&self) -> Option<Origin> {
        self.shared.lock().origin.clone()
    }

    /// True once a challenge was adopted (and not invalidated): requests can be authorized up front,
    /// saving a round trip.
    pub fn has_nonce(&self) -> bool {
        self.shared.lock().current.is_some()
    }

    /// Forgets the adopted challenge (the next request probes). The protection space stays bound.
    pub fn invalidate(&self) {
        self.shared.lock().drop_session(None);
    }

    /// Diagnostic: the `(algorithm, nonce)` currently held, if any.
    pub fn current_nonce(&self) -> Option<(Algorithm, String)> {
        self.shared
            .lock()
            .current
            .as_ref()
            .map(|b| (b.session.algorithm, b.session.nonce.clone()))
    }

    /// Hands the adopted session over to another client (a later run, another process): the
    /// protection space, the nonce and the first nc this client never issued. From then on this
    /// client issues no nc on that nonce (requests in flight keep theirs; the next request
    /// fetches a fresh challenge), so whoever takes the session up may use every nc from
    /// [`SavedSession::next_nc`] on.
    ///
    /// `None` when there is nothing this client may hand over: no nonce, a nonce it imported
    /// itself ([`import_session`](Self::import_session): the saved copy already counts past
    /// this client's block), no nc left, no bound origin, no qop (RFC 2069 has no nc), or a
    /// `-sess` algorithm (its H(A1) is fixed by the cnonce of the first request on the nonce,
    /// which another client cannot share).
    pub fn export_session(&self) -> Option<SavedSession> {
        let mut g = self.shared.lock();
        let origin = g.origin.clone()?;
        let book = g.current.as_ref()?;
        let exportable = !book.session.algorithm.is_session()
            && book
                .challenge
                .as_ref()
                .is_some_and(|c| c.qop.as_ref().is_some_and(|l| !l.is_empty()));
        if !exportable {
            return None;
        }
        let (challenge, next_nc) = g.hand_over()?;
        Some(SavedSession {
            origin,
            username: self.credentials.username().to_owned(),
            challenge,
            next_nc,
        })
    }

    /// Takes up a block of nc values of a session another client handed over
    /// ([`SavedSession::reserve`]), so the next request authorizes up front instead of fetching
    /// a challenge: H(A1) is computed again from this client's credentials. The client sends at
    /// most the block's nc values on that nonce and then fetches a fresh challenge; a stale or
    /// refused nonce costs one fresh challenge, as for a nonce this client adopted itself.
    ///
    /// # Errors
    /// [`ImportError`]: the client already holds a nonce or is fetching one, the session is for
    /// another user or origin (an unbound client binds to the session's origin), it cannot be
    /// answered under this client's configuration (MD5 refused, no qop, a `-sess` algorithm,
    /// a weaker challenge than one pinned, another realm), or the block is empty.
    pub fn import_session(&self, block: NcBlock) -> Result<(), ImportError> {
        let NcBlock {
            session: saved,
            end,
        } = block;
        if saved.username != self.credentials.username() {
            return Err(ImportError::Username);
        }
        let c = &saved.challenge;
        if c.algorithm.is_session() || c.qop.as_ref().is_none_or(Vec::is_empty) {
            return Err(ImportError::Unusable(DigestError::NoSupportedChallenge {
                offered: vec![session::summarise(c)],
            }));
        }
        if saved.next_nc == 0 || saved.next_nc >= end {
            return Err(ImportError::Empty);
        }
        let mut g = self.shared.lock();
        if g.current.is_some() || g.probing() {
            return Err(ImportError::InUse);
        }
        match &g.origin {
            Some(bound) if *bound != saved.origin => {
                return Err(ImportError::Origin {
                    bound: bound.clone(),
                    saved: saved.origin.clone(),
                });
            }
            _ => {}
        }
        // The same checks a 401 offering this challenge would pass (realm, downgrade, config).
        pick::admissible(c, &self.config, &g.pin).map_err(ImportError::Unusable)?;
        let session = Arc::new(
            Session::new(c, &self.credentials, &self.config).map_err(ImportError::Unusable)?,
        );
        if g.origin.is_none() {
            g.origin = Some(saved.origin.clone());
        }
        g.pin.adopt(c);
        let first = saved.next_nc;
        g.import(session, saved.challenge, first, end);
        Ok(())
    }

    /// Diagnostic: (unretired nc values of the current nonce, requests waiting).
    pub fn load(&self) -> (u32, usize) {
        self.shared.lock().load()
    }

    /// Per-logical-request state; bounds attempts so that no loop is possible.
    pub fn start(&self) -> RequestState {
        RequestState {
            shared: self.shared.clone(),
            id: self.shared.state_id(),
            ticket: None,
            probing: false,
            unauthorized: 0,
            stale_retry_used: false,
            body_known: false,
            seen_epoch: None,
            adopted_epoch: None,
            sent: None,
            reserved: None,
        }
    }

    /// What to do with the request now: send with credentials and a lease, probe, or wait (see
    /// [`Authorize`]). Authorizing again with the same state retires the previous attempt's nc.
    ///
    /// `cnonce` comes from the caller's randomness (for example 16 random bytes in hex or base64); it
    /// must be non-empty printable text and fresh for every call that answers `Send`. A call that
    /// answers `Probe` or `Wait` (or an error) neither sends nor records its cnonce, so the caller
    /// may give the same one to the next call. With a `-sess` algorithm the first cnonce on a nonce becomes the session cnonce
    /// and is sent with every request on that nonce (RFC 7616 section 3.4.2).
    pub fn authorize(
        &self,
        state: &mut RequestState,
        req: &RequestFacts<'_>,
        cnonce: &str,
    ) -> Result<Authorize, DigestError> {
        let mut header = String::new();
        Ok(
            match self.authorize_into(state, req, cnonce, &mut header)? {
                AuthorizeInto::Send(lease) => Authorize::Send { header, lease },
                AuthorizeInto::Probe => Authorize::Probe,
                AuthorizeInto::Wait(w) => Authorize::Wait(w),
            },
        )
    }

    /// [`DigestClient::authorize`] appending the `Authorization` value to `header` (on
    /// [`AuthorizeInto::Send`]; left as it was otherwise) instead of allocating it: for callers
    /// that reuse one buffer for many requests.
    ///
    /// ```
    /// use atlas_digest::{AuthorizeInto, Credentials, DigestClient, RequestFacts};
    ///
    /// let client = DigestClient::new(Credentials::new("Mufasa", "Circle of Life"));
    /// let mut state = client.start();
    /// let facts = RequestFacts::new("GET", "/dir/index.html");
    /// let mut header = String::new();
    /// // No challenge yet: this request fetches it, and nothing is written.
    /// assert!(matches!(
    ///     client.authorize_into(&mut state, &facts, "cnonce-1", &mut header)?,
    ///     AuthorizeInto::Probe
    /// ));
    /// assert!(header.is_empty());
    /// # Ok::<(), atlas_digest::DigestError>(())
    /// ```
    pub fn authorize_into(
        &self,
        state: &mut RequestState,
        req: &RequestFacts<'_>,
        cnonce: &str,
        header: &mut String,
    ) -> Result<AuthorizeInto, DigestError> {
        // The target authorized last was found valid, in origin form, with these escapes.
        let known = self.last.get(req);
        let (uri_escapes, requested, origin_form) = match known {
            Some(k) => (k.escapes, None, true),
            None => {
                let (target, uri_escapes) = validate_request(req)?;
                let requested = request_origin(req, target)?;
                let origin_form = matches!(target, Target::Origin(_));
                (uri_escapes, requested, origin_form)
            }
        };
        state.body_known = req.body.is_some();
        let slot = {
            let mut g = self.shared.lock();
            if let Some(requested) = requested {
                match &g.origin {
                    Some(bound) if *bound != requested => {
                        return Err(DigestError::OriginMismatch {
                            bound: bound.clone(),
                            requested,
                        });
                    }
                    Some(_) => {}
                    None => g.origin = Some(requested),
                }
            }
            if let Some(s) = state.sent.take() {
                g.retire(s.epoch, s.nc);
            }
            match state.reserved.take() {
                // The nc issued when this request adopted the nonce it fetched: sent even if the
                // nonce was left since (it issued its last nc) or a newer one adopted, so that a
                // request never probes twice because others were faster.
                Some(r) => Slot::Nc {
                    session: r.session,
                    epoch: r.epoch,
                    nc: r.nc,
                },
                None => g.take(state.id, &mut state.ticket),
            }
        };
        match slot {
            Slot::Probe => {
                state.seen_epoch = None;
                state.probing = true;
                Ok(AuthorizeInto::Probe)
            }
            Slot::Wait(id) => Ok(AuthorizeInto::Wait(NcWait {
                shared: self.shared.clone(),
                id,
                done: false,
            })),
            Slot::Nc { session, epoch, nc } => {
                let lease = NcLease {
                    shared: self.shared.clone(),
                    epoch,
                    nc,
                };
                state.seen_epoch = Some(epoch);
                let known_ha2 = known.as_ref().and_then(|k| k.ha2.as_ref());
                match session.authorize(req, uri_escapes, known_ha2, cnonce, nc, header) {
                    Ok(a) => {
                        // Recorded when first seen, and when its H(A2) was looked up (the
                        // one known had another hash function, or none was known).
                        if origin_form && (known.is_none() || a.looked_up.is_some()) {
                            self.last.put(
                                req,
                                Known {
                                    escapes: uri_escapes,
                                    ha2: a.looked_up.or_else(|| known_ha2.copied()),
                                },
                            );
                        }
                        let cnonce = Echo::new(a.cnonce_sent.unwrap_or_default());
                        let session::Authorized {
                            qop,
                            state: hashed,
                            rspauth_ha2,
                            ..
                        } = a;
                        state.sent = Some(Sent {
                            session,
                            epoch,
                            nc,
                            qop,
                            cnonce,
                            uri: (qop == Some(Qop::AuthInt)).then(|| req.uri.to_owned()),
                            state: hashed,
                            rspauth_ha2,
                        });
                        Ok(AuthorizeInto::Send(lease))
                    }
                    // The held challenge offers only auth-int and the body is unknown: send without
                    // credentials for a fresh challenge (issue 11, defect 6); the lease drops here.
                    Err(DigestError::BodyRequired) => Ok(AuthorizeInto::Probe),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Feed every `WWW-Authenticate` value of a 401 (or `Proxy-Authenticate` of a 407).
    ///
    /// Picks the best Digest challenge this client can answer -- one with qop before one without,
    /// then SHA-512-256 > SHA-256 > MD5, the plain variant before `-sess`, the first on ties -- and
    /// adopts it for every later request. `Ok(())` = retry now (call [`DigestClient::authorize`]
    /// again); `Err` = stop: [`DigestError::Rejected`] when credentials computed from a challenge this
    /// request adopted were refused without `stale=true`, [`DigestError::NoSupportedChallenge`],
    /// [`DigestError::Downgrade`], [`DigestError::RealmMismatch`], [`DigestError::AttemptsExhausted`],
    /// or [`DigestError::Malformed`] when no value parsed.
    pub fn on_unauthorized<'h, I: IntoIterator<Item = &'h str>>(
        &self,
        state: &mut RequestState,
        www_authenticate: I,
    ) -> Result<(), DigestError> {
        let sent = state.sent.take();
        let probing = {
            let mut g = self.shared.lock();
            if let Some(s) = &sent {
                g.retire(s.epoch, s.nc);
            }
            if let Some(r) = state.reserved.take() {
                g.unissue(r.epoch, r.nc);
            }
            g.is_prober(state.id)
        };
        let release = |state: &RequestState| self.shared.lock().release_probe(state.id);
        state.unauthorized = state.unauthorized.saturating_add(1);
        if state.unauthorized > MAX_UNAUTHORIZED {
            release(state);
            return Err(DigestError::AttemptsExhausted);
        }
        let pin = self.shared.lock().pin.clone();
        let best = match pick::pick(www_authenticate, &self.config, state.body_known, &pin) {
            Ok(b) => b,
            Err(e) => {
                release(state);
                return Err(e);
            }
        };
        let session = match Session::new(&best, &self.credentials, &self.config) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                release(state);
                return Err(e);
            }
        };
        let mut g = self.shared.lock();
        let current = g.current.as_ref().map(|b| (b.epoch, b.session.clone()));
        if let Some((epoch, cur)) = &current {
            let same_nonce = cur.nonce == best.nonce
                && cur.algorithm == best.algorithm
                && cur.realm == best.realm;
            if state.seen_epoch != Some(*epoch) {
                // Another request moved to a newer nonce since this attempt: retry on it -- unless
                // this attempt was a probe (answered after another request adopted a `nextnonce`
                // or a stale answer's nonce): its challenge is this request's own and at least as
                // fresh, so it adopts it and sends first on it instead of probing again.
                if probing {
                    g.release_probe(state.id);
                }
                let own_probe = sent.is_none() && state.probing;
                if !own_probe || same_nonce {
                    return Ok(());
                }
            } else if sent.is_some() && state.adopted_epoch == Some(*epoch) {
                // Credentials from a challenge this request adopted were refused.
                if best.stale && !state.stale_retry_used && !same_nonce {
                    state.stale_retry_used = true;
                } else {
                    g.drop_session(Some(*epoch));
                    return Err(if best.stale {
                        DigestError::AttemptsExhausted
                    } else {
                        DigestError::Rejected
                    });
                }
            } else if same_nonce {
                // The server repeats the nonce in use: keep counting on it.
                return Ok(());
            }
        }
        g.pin.adopt(&best);
        let (epoch, reserved) = g.adopt(session.clone(), Some(best), true);
        state.adopted_epoch = Some(epoch);
        state.reserved = reserved.map(|nc| Reserved { session, epoch, nc });
        Ok(())
    }

    /// Feed `Authentication-Info` (or `Proxy-Authentication-Info`) of a successful response: retires
    /// the attempt's nc, verifies `rspauth` when present (mismatch = [`DigestError::RspauthMismatch`])
    /// and then adopts `nextnonce`.
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
        let Some(sent) = &state.sent else {
            // No credentials went out on this request: nothing to verify, no session to renew; if
            // it was probing, the probe is over (the next waiter probes).
            self.shared.lock().release_probe(state.id);
            AuthenticationInfoRef::parse(value)?;
            return Ok(());
        };
        self.shared.lock().retire(sent.epoch, sent.nc);
        let info = AuthenticationInfoRef::parse(value)?;
        match &info.rspauth {
            Some(rspauth) => {
                if sent.qop == Some(Qop::AuthInt) && response_body.is_none() {
                    return Err(DigestError::BodyRequired);
                }
                let expected = sent.session.expected_rspauth(
                    &sent.state,
                    sent.rspauth_ha2.as_ref(),
                    sent.uri.as_deref().unwrap_or_default(),
                    response_body,
                );
                if !constant_time_eq_hex(expected.as_bytes(), rspauth.trim().as_bytes()) {
                    return Err(DigestError::RspauthMismatch);
                }
                if info
                    .cnonce
                    .as_deref()
                    .is_some_and(|c| c.as_bytes() != sent.cnonce.as_bytes())
                    || info.nc.is_some_and(|nc| nc != sent.nc)
                {
                    return Err(DigestError::AuthenticationInfoMismatch);
                }
            }
            None if self.config.rspauth() == Rspauth::Require => {
                return Err(DigestError::RspauthMissing);
            }
            None => {}
        }
        if let Some(next) = &info.nextnonce {
            if !next.is_empty() && *next != sent.session.nonce {
                let fresh = Arc::new(sent.session.with_nonce(next));
                let mut g = self.shared.lock();
                // Adopt unless another request already moved to a different challenge.
                if g.current.as_ref().is_none_or(|b| b.epoch == sent.epoch) {
                    let challenge = g.current.as_ref().and_then(|b| {
                        let mut c = b.challenge.clone()?;
                        c.nonce = next.to_string();
                        Some(c)
                    });
                    g.adopt(fresh, challenge, false);
                }
            }
        }
        Ok(())
    }

    /// A successful response without `Authentication-Info`: retires the attempt's nc;
    /// [`DigestError::RspauthMissing`] if [`Rspauth::Require`] is configured and credentials were sent.
    ///
    /// Also call it (or drop the state) when a probe is answered with a success: the probe is over
    /// and the next waiter probes.
    pub fn on_success_without_info(&self, state: &RequestState) -> Result<(), DigestError> {
        let Some(sent) = &state.sent else {
            self.shared.lock().release_probe(state.id);
            return Ok(());
        };
        // Without the lock when the attempt's lease was dropped first.
        if !self.shared.retired(sent.epoch, sent.nc) {
            self.shared.lock().retire(sent.epoch, sent.nc);
        }
        if self.config.rspauth() == Rspauth::Require {
            return Err(DigestError::RspauthMissing);
        }
        Ok(())
    }
}
