//! Bearer tokens (RFC 6750): a fixed access token, or one managed by a [`TokenSource`] (OAuth 2.0
//! client credentials). A `401` to a managed token drops it and sends the request once more with
//! a fresh one, unless the credentials' `keeps_token` hook says the answer is not about the token
//! (then it is returned as it is); a second `401` (or any `401` to a fixed token) ends the request.

use std::sync::Arc;

use bytes::Bytes;
use http::header::HeaderValue;
use http::{Response, StatusCode};

use super::{AttemptFacts, AuthRequest, Authenticator, Ready, Verdict, rejected};
use crate::error::Error;
use crate::oauth::AccessToken;
use crate::oauth::source::TokenSource;
use crate::origin::Target;

/// Where a client's bearer token comes from.
#[derive(Debug)]
pub(crate) enum BearerSource {
    /// Given by the caller, used as it is.
    Fixed(AccessToken),
    /// Fetched and renewed by the client.
    Managed(Arc<TokenSource>),
}

/// Bearer authentication for a client.
#[derive(Debug)]
pub(crate) struct BearerAuth {
    pub(crate) source: BearerSource,
    allow_insecure_http: bool,
}

impl BearerAuth {
    pub(crate) fn new(source: BearerSource, allow_insecure_http: bool) -> Self {
        BearerAuth {
            source,
            allow_insecure_http,
        }
    }
}

impl Authenticator for BearerAuth {
    type Request<'a> = BearerRequest<'a>;
    const CREDENTIALED: bool = true;

    fn begin<'a>(&'a self, target: &Target) -> Result<BearerRequest<'a>, Error> {
        if target.is_remote_plain_http() && !self.allow_insecure_http {
            return Err(Error::InsecureCredentials { url: target.url() });
        }
        Ok(BearerRequest {
            auth: self,
            generation: None,
            renewed: false,
        })
    }
}

/// The bearer side of one logical request.
#[derive(Debug)]
pub(crate) struct BearerRequest<'a> {
    auth: &'a BearerAuth,
    /// The generation of the managed token sent last.
    generation: Option<u64>,
    /// Whether this request already had its one retry after a `401`.
    renewed: bool,
}

fn header(token: &AccessToken) -> Result<HeaderValue, Error> {
    let mut v =
        HeaderValue::try_from(format!("Bearer {}", token.secret())).map_err(|_| Error::Config {
            reason: "the access token cannot be sent in a header".into(),
            source: None,
        })?;
    v.set_sensitive(true);
    Ok(v)
}

impl AuthRequest for BearerRequest<'_> {
    fn credentials_now(&mut self, _: &AttemptFacts<'_>, _: &Target) -> Result<Ready, Error> {
        match &self.auth.source {
            BearerSource::Fixed(t) => header(t).map(|v| Ready::Now(Some(v))),
            // The token source may have to fetch a token.
            BearerSource::Managed(_) => Ok(Ready::Later),
        }
    }

    async fn credentials(
        &mut self,
        _facts: &AttemptFacts<'_>,
        _target: &Target,
    ) -> Result<Option<HeaderValue>, Error> {
        match &self.auth.source {
            BearerSource::Fixed(t) => header(t).map(Some),
            BearerSource::Managed(source) => {
                let issued = source.get().await?;
                self.generation = Some(issued.generation);
                header(&issued.token).map(Some)
            }
        }
    }

    fn on_response(
        &mut self,
        response: Response<Bytes>,
        target: &Target,
    ) -> Result<Verdict, Error> {
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(Verdict::Accept(response));
        }
        match (&self.auth.source, self.generation) {
            // Not about the token (the caller's hook says so): the answer stands, the token
            // stays, no token request is spent on it.
            (BearerSource::Managed(source), Some(_))
                if source
                    .credentials()
                    .keeps_token
                    .is_some_and(|keeps| keeps(&response)) =>
            {
                Ok(Verdict::Accept(response))
            }
            (BearerSource::Managed(source), Some(generation)) if !self.renewed => {
                self.renewed = true;
                source.refused(generation);
                Ok(Verdict::Resend)
            }
            _ => Err(rejected(response, target)),
        }
    }

    fn on_failure(&mut self) {}
}
