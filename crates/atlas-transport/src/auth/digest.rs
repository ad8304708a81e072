//! HTTP Digest: one `atlas_digest::DigestClient` per origin, driven attempt by attempt.
//!
//! The digest crate decides what each attempt does ([`Authorize`]): send with credentials and an
//! nc lease, probe for the first challenge (exactly one request per origin; the others wait for
//! its challenge), or wait for an nc slot (the client keeps the unretired nc values of a nonce
//! within [`ClientConfig::nc_span`], so requests that overtake each other stay inside the server's
//! replay window). This module holds the lease for the whole attempt and lets it go when the answer
//! arrives, when the attempt fails, or when the request is dropped, and it feeds every answer back.

use std::sync::{Arc, OnceLock};

use atlas_digest::{
    AuthorizeInto, ClientConfig, Credentials, DigestClient, NcLease, NcWait, RequestFacts,
    RequestState,
};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, WWW_AUTHENTICATE};
use http::{Response, StatusCode};

use super::{AttemptFacts, AuthRequest, Authenticator, Ready, Secret, Verdict, rejected};
use crate::cnonce::Cnonce;
use crate::digest_session::{DigestSessionKey, DigestSessionStore, SessionStoreError};
use crate::error::Error;
use crate::origin::{Origin, Origins, Target};

/// `Authentication-Info` (RFC 7615), parsed once.
static AUTHENTICATION_INFO: HeaderName = HeaderName::from_static("authentication-info");

/// Digest authentication for every origin a client talks to.
#[derive(Debug)]
pub(crate) struct DigestAuth {
    secret: Secret,
    config: ClientConfig,
    origins: Origins<DigestSession>,
    allow_insecure_http: bool,
    /// Where sessions are taken up from and handed over to, and how many nc to reserve.
    store: Option<(Arc<dyn DigestSessionStore>, u32)>,
}

impl DigestAuth {
    pub(crate) fn new(
        secret: Secret,
        config: ClientConfig,
        allow_insecure_http: bool,
        store: Option<(Arc<dyn DigestSessionStore>, u32)>,
    ) -> Self {
        DigestAuth {
            secret,
            config,
            origins: Origins::default(),
            allow_insecure_http,
            store,
        }
    }

    /// Hands every origin's session this client fetched itself over to the store (see
    /// [`crate::Client::save_digest_sessions`]); the number saved.
    pub(crate) fn save_sessions(&self) -> Result<usize, SessionStoreError> {
        let mut saved = 0;
        for origin in self.origins.all() {
            if origin.session.save()? {
                saved += 1;
            }
        }
        Ok(saved)
    }

    /// The credentials (for `Debug` of the client).
    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The digest session with `target`'s origin, if a request went there.
    #[cfg(test)]
    pub(crate) fn session(&self, target: &Target) -> Arc<Origin<DigestSession>> {
        self.origins
            .get_or_insert_with(target, || self.new_session(target))
    }

    fn new_session(&self, target: &Target) -> DigestSession {
        let credentials =
            Credentials::new(self.secret.username.clone(), self.secret.password.clone());
        let origin = format!(
            "{}://{}:{}",
            target.uri().scheme_str().unwrap_or("https"),
            target.host(),
            target.port()
        );
        // Bound to its origin from the start (the digest crate refuses to answer for another one);
        // a host the digest crate cannot parse as an origin gets an unbound client, which binds to
        // nothing and is still only ever used for this origin by the session table.
        let digest = DigestClient::for_origin(credentials.clone(), self.config.clone(), &origin)
            .unwrap_or_else(|_| DigestClient::with_config(credentials, self.config.clone()));
        DigestSession {
            digest,
            store: self.store.clone(),
            loaded: OnceLock::new(),
        }
    }
}

/// The digest session with one origin.
#[derive(Debug)]
pub(crate) struct DigestSession {
    pub(crate) digest: DigestClient,
    store: Option<(Arc<dyn DigestSessionStore>, u32)>,
    /// Set once the store was asked for a session (before the first request).
    loaded: OnceLock<()>,
}

impl DigestSession {
    fn key(&self) -> Option<DigestSessionKey> {
        Some(DigestSessionKey {
            origin: self.digest.origin()?.as_str().to_owned(),
            username: self.digest.credentials().username().to_owned(),
        })
    }

    /// Before the first request: takes up a block of the stored session, if any. Concurrent
    /// first requests wait here for the one that asks (a short read and write), so that none
    /// probes while the block is on its way.
    fn load(&self) {
        let Some((store, block)) = &self.store else {
            return;
        };
        self.loaded.get_or_init(|| {
            let Some(key) = self.key() else {
                return;
            };
            match store.reserve(&key, *block) {
                Ok(Some(b)) => {
                    let (first, last) = (b.first(), b.last());
                    match self.digest.import_session(b) {
                        Ok(()) => tracing::debug!(first, last, "took up a saved digest session"),
                        Err(e) => tracing::debug!(error = %e, "the saved digest session does not fit; fetching a challenge"),
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the digest session store"),
            }
        });
    }

    /// Hands the session over to the store if this client fetched it; `true` if one was saved.
    fn save(&self) -> Result<bool, SessionStoreError> {
        let (Some((store, _)), Some(key)) = (&self.store, self.key()) else {
            return Ok(false);
        };
        match self.digest.export_session() {
            Some(s) => store.save(&key, &s).map(|()| true),
            None => Ok(false),
        }
    }
}

impl Drop for DigestSession {
    fn drop(&mut self) {
        if let Err(e) = self.save() {
            tracing::warn!(error = %e, "cannot save the digest session");
        }
    }
}

impl Authenticator for DigestAuth {
    type Request<'a> = DigestRequest;
    const CREDENTIALED: bool = true;

    fn begin(&self, target: &Target) -> Result<DigestRequest, Error> {
        let origin = self
            .origins
            .get_or_insert_with(target, || self.new_session(target));
        if origin.is_remote_plain_http() && !self.allow_insecure_http {
            return Err(Error::InsecureCredentials { url: target.url() });
        }
        origin.session.load();
        let state = origin.session.digest.start();
        Ok(DigestRequest {
            origin,
            wait: None,
            state,
            lease: None,
            cnonce: None,
        })
    }
}

/// The digest side of one logical request. Dropping it (the request ended, or its future was
/// dropped) retires its nc and gives up its place in the queue or its probe.
#[derive(Debug)]
pub(crate) struct DigestRequest {
    origin: Arc<Origin<DigestSession>>,
    /// The place in the digest crate's queue found by [`AuthRequest::credentials_now`], awaited
    /// by [`AuthRequest::credentials`] (dropped before the state, as a wait in a future was).
    wait: Option<NcWait>,
    state: RequestState,
    /// The nc of the attempt under way, held until its answer arrives or it fails.
    lease: Option<NcLease>,
    /// A cnonce drawn for a step that did not send it (it probed or waits): the next step uses it
    /// instead of drawing another. Never sent, so never repeated on the wire.
    cnonce: Option<Cnonce>,
}

impl DigestRequest {
    fn digest(&self) -> &DigestClient {
        &self.origin.session.digest
    }
}

impl DigestRequest {
    /// One step of the digest crate's decision: credentials to send, a probe, or a wait (kept in
    /// `self.wait` for [`AuthRequest::credentials`] to await; [`Ready::Later`]).
    fn step(&mut self, facts: &AttemptFacts<'_>, target: &Target) -> Result<Ready, Error> {
        let request = RequestFacts::new(facts.method, facts.path_and_query).with_body(facts.body);
        let cnonce = match self.cnonce.take() {
            Some(c) => c,
            None => Cnonce::new().map_err(|e| Error::Other {
                url: Some(target.url()),
                message: format!("system random generator failed: {e}"),
            })?,
        };
        let digest = &self.origin.session.digest;
        let state = &mut self.state;
        // Written into this thread's reused buffer, then split off its slab: no allocation.
        let (next, header) = super::header_buf::with_text(|h| {
            digest.authorize_into(state, &request, cnonce.as_str(), h)
        });
        match next.map_err(Error::Digest)? {
            AuthorizeInto::Send(lease) => {
                self.lease = Some(lease);
                // The slab's bytes become the value's: no copy.
                let mut v = HeaderValue::from_maybe_shared(header).map_err(|_| Error::Other {
                    url: Some(target.url()),
                    message: "invalid Authorization value".into(),
                })?;
                v.set_sensitive(true);
                Ok(Ready::Now(Some(v)))
            }
            AuthorizeInto::Probe => {
                self.cnonce = Some(cnonce);
                Ok(Ready::Now(None))
            }
            AuthorizeInto::Wait(wait) => {
                self.cnonce = Some(cnonce);
                self.wait = Some(wait);
                Ok(Ready::Later)
            }
        }
    }
}

impl AuthRequest for DigestRequest {
    fn credentials_now(
        &mut self,
        facts: &AttemptFacts<'_>,
        target: &Target,
    ) -> Result<Ready, Error> {
        // An attempt that ended without feeding its answer back still holds its nc; a wait that
        // was never awaited is given up (this step queues again if it must).
        self.lease = None;
        self.wait = None;
        self.step(facts, target)
    }

    async fn credentials(
        &mut self,
        facts: &AttemptFacts<'_>,
        target: &Target,
    ) -> Result<Option<HeaderValue>, Error> {
        self.lease = None;
        loop {
            // FIFO, woken by the digest crate when a slot frees or a nonce is adopted; the
            // caller bounds this by the total deadline, and dropping it leaves the queue.
            if let Some(wait) = self.wait.take() {
                wait.await;
            }
            if let Ready::Now(v) = self.step(facts, target)? {
                return Ok(v);
            }
        }
    }

    fn on_response(
        &mut self,
        response: Response<Bytes>,
        target: &Target,
    ) -> Result<Verdict, Error> {
        let status = response.status();
        // A 401 to credentials with no challenge at all is the server's answer, not a handshake
        // step: Atlas answers so (`USER_UNAUTHORIZED`) to a key that lacks the role for the
        // request. The caller gets it like any other status.
        if status == StatusCode::UNAUTHORIZED
            && self.state.sent_credentials()
            && !response.headers().contains_key(WWW_AUTHENTICATE)
        {
            self.lease = None;
            return Ok(Verdict::Accept(response));
        }
        if status == StatusCode::UNAUTHORIZED {
            let challenges = response
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok());
            let adopted = self
                .origin
                .session
                .digest
                .on_unauthorized(&mut self.state, challenges);
            self.lease = None;
            return match adopted {
                Ok(()) => Ok(Verdict::Resend),
                Err(e) if is_refusal(&e) => {
                    tracing::debug!(error = %e, "credentials rejected");
                    Err(rejected(response, target))
                }
                // The challenge cannot be answered (nothing supported, a downgrade, another realm).
                Err(e) => Err(Error::Digest(e)),
            };
        }
        let result = if self.state.sent_credentials() {
            self.verify(&response, target)
        } else {
            Ok(())
        };
        self.lease = None;
        result.map(|()| Verdict::Accept(response))
    }

    fn on_failure(&mut self) {
        self.lease = None;
    }
}

impl DigestRequest {
    /// An answer to credentials, not a 401: verify `Authentication-Info` (`rspauth`, and adopt a
    /// `nextnonce`) when the server sent it; a success without it is fine unless the digest
    /// configuration requires `rspauth`. Either way the attempt's nc is retired.
    fn verify(&self, response: &Response<Bytes>, target: &Target) -> Result<(), Error> {
        let mut infos = response.headers().get_all(&AUTHENTICATION_INFO).iter();
        let Some(first) = infos.next() else {
            if response.status().is_success() {
                self.digest()
                    .on_success_without_info(&self.state)
                    .map_err(Error::Digest)?;
            }
            return Ok(());
        };
        for info in std::iter::once(first).chain(infos) {
            let value = info.to_str().map_err(|_| Error::Other {
                url: Some(target.url()),
                message: "Authentication-Info is not valid text".into(),
            })?;
            self.digest()
                .on_authentication_info_with_body(&self.state, value, Some(response.body()))
                .map_err(Error::Digest)?;
        }
        Ok(())
    }
}

/// Whether the digest crate ended the request because the server refused the credentials (rather
/// than because the challenge cannot be answered).
fn is_refusal(e: &atlas_digest::DigestError) -> bool {
    matches!(
        e,
        atlas_digest::DigestError::Rejected | atlas_digest::DigestError::AttemptsExhausted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> DigestAuth {
        DigestAuth::new(
            Secret {
                username: "u".into(),
                password: "p".into(),
            },
            ClientConfig::default(),
            false,
            None,
        )
    }

    fn target(s: &str) -> Target {
        Target::new(s.parse().unwrap()).unwrap()
    }

    fn challenge() -> Response<Bytes> {
        let mut r = Response::new(Bytes::new());
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        r.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Digest realm="r", nonce="abc", qop="auth", algorithm=MD5"#),
        );
        r
    }

    const FACTS: AttemptFacts<'static> = AttemptFacts {
        method: "GET",
        path_and_query: "/x",
        body: b"",
    };

    #[tokio::test]
    async fn the_lease_lives_for_the_attempt_and_dies_with_the_request() {
        let a = auth();
        let t = target("https://api.example/x");
        let mut req = a.begin(&t).unwrap();
        // No nonce yet: this request probes.
        assert!(req.credentials(&FACTS, &t).await.unwrap().is_none());
        assert!(matches!(
            req.on_response(challenge(), &t).unwrap(),
            Verdict::Resend
        ));
        let header = req
            .credentials(&FACTS, &t)
            .await
            .unwrap()
            .expect("credentials");
        assert!(header.is_sensitive());
        let digest = &a.session(&t).session.digest;
        assert_eq!(
            digest.load(),
            (1, 0),
            "one nc out, for the attempt under way"
        );
        // A failed attempt lets its nc go.
        req.on_failure();
        assert_eq!(digest.load(), (0, 0));
        // A cancelled request (its future dropped mid-attempt) does too.
        let _ = req
            .credentials(&FACTS, &t)
            .await
            .unwrap()
            .expect("credentials");
        assert_eq!(digest.load(), (1, 0));
        drop(req);
        assert_eq!(digest.load(), (0, 0));
    }

    /// The cnonce an `Authorization` value carries.
    fn cnonce_of(v: &HeaderValue) -> String {
        let s = v.to_str().unwrap();
        let at = s.find("cnonce=\"").expect("a cnonce") + "cnonce=\"".len();
        s[at..at + crate::cnonce::CNONCE_LEN].to_owned()
    }

    #[tokio::test]
    async fn a_cnonce_not_sent_is_kept_for_the_next_step_and_a_sent_one_never_comes_back() {
        let a = DigestAuth::new(
            Secret {
                username: "u".into(),
                password: "p".into(),
            },
            ClientConfig::default().with_nc_span(1),
            false,
            None,
        );
        let t = target("https://api.example/x");
        let mut first = a.begin(&t).unwrap();
        // The probe draws a cnonce and sends none: kept, and sent once a challenge came.
        assert!(first.credentials(&FACTS, &t).await.unwrap().is_none());
        let probed = first
            .cnonce
            .expect("kept after the probe")
            .as_str()
            .to_owned();
        assert!(matches!(
            first.on_response(challenge(), &t).unwrap(),
            Verdict::Resend
        ));
        let sent = first.credentials(&FACTS, &t).await.unwrap().unwrap();
        assert_eq!(cnonce_of(&sent), probed);
        assert!(first.cnonce.is_none(), "a sent cnonce is not kept");
        // The span is 1 and `first` holds it: the second request waits, keeping its cnonce.
        let mut second = a.begin(&t).unwrap();
        assert!(matches!(
            second.credentials_now(&FACTS, &t).unwrap(),
            Ready::Later
        ));
        let waited = second
            .cnonce
            .expect("kept while waiting")
            .as_str()
            .to_owned();
        assert_ne!(waited, probed);
        first.on_failure();
        let v = second.credentials(&FACTS, &t).await.unwrap().unwrap();
        assert_eq!(cnonce_of(&v), waited);
        assert!(second.cnonce.is_none());
        // Every later attempt draws a fresh one.
        second.on_failure();
        let again = second.credentials(&FACTS, &t).await.unwrap().unwrap();
        assert_ne!(cnonce_of(&again), waited);
        assert_ne!(cnonce_of(&again), probed);
    }

    #[test]
    fn origins_get_their_own_sessions_and_plain_http_stays_local() {
        let a = auth();
        let x = a.session(&target("https://x.example/"));
        let y = a.session(&target("https://y.example/"));
        assert!(!Arc::ptr_eq(&x, &y));
        assert!(Arc::ptr_eq(
            &x,
            &a.session(&target("https://X.example:443/z"))
        ));
        assert_eq!(
            x.session.digest.origin().map(|o| o.to_string()).as_deref(),
            Some("https://x.example")
        );
        assert!(matches!(
            a.begin(&target("http://x.example/")),
            Err(Error::InsecureCredentials { .. })
        ));
        assert!(a.begin(&target("http://127.0.0.1:8080/")).is_ok());
        assert!(a.begin(&target("http://localhost/")).is_ok());
    }
}
