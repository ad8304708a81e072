//! HTTP Digest: one `atlas_digest::DigestClient` per origin, driven request by request.
//!
//! With a nonce in hand a request carries `Authorization` (the next nc) from its first attempt.
//! Without one, a single request per origin goes out bare to fetch the challenge while the others
//! wait for it. At most `in_flight_limit` requests with credentials are in flight per origin.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use atlas_digest::{Credentials, DigestClient, DigestError, RequestFacts, RequestState};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::{AttemptFacts, AuthRequest, Authenticator, Secret, Verdict, rejected};
use crate::cnonce::Cnonce;
use crate::error::Error;
use crate::origin::{Origin, Origins, Target};

/// `Authentication-Info` (RFC 7615), parsed once.
static AUTHENTICATION_INFO: HeaderName = HeaderName::from_static("authentication-info");

/// Digest authentication for every origin a client talks to.
#[derive(Debug)]
pub(crate) struct DigestAuth {
    secret: Secret,
    origins: Origins<DigestSession>,
    in_flight_limit: usize,
    allow_insecure_http: bool,
}

impl DigestAuth {
    pub(crate) fn new(secret: Secret, in_flight_limit: usize, allow_insecure_http: bool) -> Self {
        DigestAuth {
            secret,
            origins: Origins::default(),
            in_flight_limit,
            allow_insecure_http,
        }
    }

    /// The credentials (for `Debug` of the client).
    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }
}

/// The digest session with one origin.
#[derive(Debug)]
pub(crate) struct DigestSession {
    digest: DigestClient,
    /// Held by the one request that goes out without credentials to fetch the first challenge.
    probe: Arc<Mutex<()>>,
    /// Bounds the requests in flight on this origin's nonce.
    in_flight: Arc<Semaphore>,
    /// The server has accepted these credentials at least once.
    accepted: AtomicBool,
}

impl DigestSession {
    fn new(secret: &Secret, in_flight_limit: usize) -> Self {
        DigestSession {
            digest: DigestClient::new(Credentials::new(
                secret.username.clone(),
                secret.password.clone(),
            )),
            probe: Arc::new(Mutex::new(())),
            in_flight: Arc::new(Semaphore::new(in_flight_limit)),
            accepted: AtomicBool::new(false),
        }
    }
}

impl Authenticator for DigestAuth {
    type Request<'a> = DigestRequest;
    const CREDENTIALED: bool = true;

    fn begin(&self, target: &Target) -> Result<DigestRequest, Error> {
        let origin = self.origins.get_or_insert_with(target, || {
            DigestSession::new(&self.secret, self.in_flight_limit)
        });
        if origin.is_remote_plain_http() && !self.allow_insecure_http {
            return Err(Error::InsecureCredentials { url: target.url() });
        }
        let state = origin.session.digest.start();
        Ok(DigestRequest {
            origin,
            state,
            permit: None,
            probe: None,
            authorization: None,
            retried_on_newer_nonce: false,
            second_chance_used: false,
        })
    }
}

/// The digest side of one logical request.
#[derive(Debug)]
pub(crate) struct DigestRequest {
    origin: Arc<Origin<DigestSession>>,
    state: RequestState,
    /// A place among the requests in flight, for the attempt under way.
    permit: Option<OwnedSemaphorePermit>,
    /// Held while this request probes for the first challenge.
    probe: Option<OwnedMutexGuard<()>>,
    /// The `Authorization` of the attempt under way.
    authorization: Option<String>,
    retried_on_newer_nonce: bool,
    second_chance_used: bool,
}

impl AuthRequest for DigestRequest {
    async fn credentials(
        &mut self,
        facts: &AttemptFacts<'_>,
        target: &Target,
    ) -> Result<Option<HeaderValue>, Error> {
        let s = &self.origin.session;
        let permit = s
            .in_flight
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Other {
                url: Some(target.url()),
                message: "client shut down".into(),
            })?;
        self.permit = Some(permit);
        if !s.digest.has_nonce() {
            let guard = s.probe.clone().lock_owned().await;
            if !s.digest.has_nonce() {
                self.probe = Some(guard);
            }
        }
        let cnonce = Cnonce::new().map_err(|e| Error::Other {
            url: Some(target.url()),
            message: format!("system random generator failed: {e}"),
        })?;
        let request = RequestFacts {
            method: facts.method,
            uri: facts.path_and_query,
            body: Some(facts.body),
        };
        self.authorization = s
            .digest
            .authorization(&mut self.state, &request, cnonce.as_str())
            .map_err(Error::Digest)?;
        match &self.authorization {
            None => Ok(None),
            Some(a) => {
                let mut v = HeaderValue::from_str(a).map_err(|_| Error::Other {
                    url: Some(target.url()),
                    message: "invalid Authorization value".into(),
                })?;
                v.set_sensitive(true);
                Ok(Some(v))
            }
        }
    }

    fn on_response(
        &mut self,
        response: Response<Bytes>,
        target: &Target,
    ) -> Result<Verdict, Error> {
        self.permit = None;
        let s = &self.origin.session;
        let status = response.status();
        if status != StatusCode::UNAUTHORIZED {
            self.probe = None;
            if self.authorization.is_some() {
                for info in response.headers().get_all(&AUTHENTICATION_INFO) {
                    let value = info.to_str().map_err(|_| Error::Other {
                        url: Some(target.url()),
                        message: "Authentication-Info is not valid text".into(),
                    })?;
                    s.digest
                        .on_authentication_info_with_body(&self.state, value, Some(response.body()))
                        .map_err(Error::Digest)?;
                }
                if !(status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS) {
                    s.accepted.store(true, Ordering::Relaxed);
                }
            }
            return Ok(Verdict::Accept(response));
        }
        // Credentials from a nonce that another request has already replaced (it was rejected as
        // stale or as overtaken in flight): retry once with the current nonce instead of
        // replacing it yet again, so that a burst of such rejections does not churn through one
        // fresh nonce per request.
        if !self.retried_on_newer_nonce {
            if let Some(sent) = self.authorization.as_deref().and_then(sent_nonce) {
                if s.digest.current_nonce().is_some_and(|(_, now)| now != sent) {
                    self.retried_on_newer_nonce = true;
                    self.probe = None;
                    return Ok(Verdict::Resend);
                }
            }
        }
        let challenges = response
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok());
        let adopted = s.digest.on_unauthorized(&mut self.state, challenges);
        self.probe = None;
        match adopted {
            Ok(()) => Ok(Verdict::Resend),
            Err(e) if self.authorization.is_none() => Err(Error::Digest(e)),
            // These credentials worked on this origin before: a refusal now is more likely a
            // request overtaken beyond the server's replay window than a wrong password. Start
            // over once with a fresh challenge.
            Err(DigestError::Rejected | DigestError::AttemptsExhausted)
                if !self.second_chance_used && s.accepted.load(Ordering::Relaxed) =>
            {
                self.second_chance_used = true;
                self.state = s.digest.start();
                Ok(Verdict::Resend)
            }
            Err(e) => {
                tracing::debug!(error = %e, "credentials rejected");
                Err(rejected(response, target))
            }
        }
    }

    fn on_failure(&mut self) {
        self.permit = None;
        self.probe = None;
    }
}

/// The nonce of an `Authorization` value we produced.
fn sent_nonce(authorization: &str) -> Option<String> {
    let credentials = atlas_digest::parse_credentials(authorization).ok()?;
    credentials.param("nonce").map(str::to_owned)
}
