//! Helpers for [`http`] types (feature `http`).
//!
//! Header values are read as UTF-8 when possible (RFC 7616 servers send UTF-8 in quoted strings);
//! values that are not UTF-8 are read as ISO-8859-1 (each byte one character), as RFC 9110 section 5.5
//! describes for obs-text.

use std::borrow::Cow;
use std::time::SystemTime;

use http::header::{AUTHORIZATION, HeaderName, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue};

use crate::{
    Challenge, CredentialStore, DigestClient, DigestError, DigestServer, InvalidInput, ParseError,
    RequestFacts, RequestState, Stale, Verified, VerifyError, parse_challenges,
};

/// `Authentication-Info` ([RFC 9110 section 11.6.3](https://www.rfc-editor.org/rfc/rfc9110#section-11.6.3)).
pub static AUTHENTICATION_INFO: HeaderName = HeaderName::from_static("authentication-info");

/// The text of a header value (UTF-8, else ISO-8859-1).
pub fn header_text(value: &HeaderValue) -> Cow<'_, str> {
    match std::str::from_utf8(value.as_bytes()) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(value.as_bytes().iter().map(|&b| char::from(b)).collect()),
    }
}

/// Parses every `WWW-Authenticate` value of `headers`.
pub fn challenges_from_headers(headers: &HeaderMap) -> Result<Vec<Challenge>, ParseError> {
    let texts: Vec<Cow<'_, str>> = headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .map(header_text)
        .collect();
    parse_challenges(texts.iter().map(|c| c.as_ref()))
}

/// Converts an `Authorization` / `WWW-Authenticate` string produced by this crate into a `HeaderValue`.
///
/// Fails only if the string contains control characters, which this crate never produces from valid
/// input.
pub fn to_header_value(value: &str) -> Result<HeaderValue, DigestError> {
    HeaderValue::from_str(value).map_err(|_| DigestError::InvalidInput(InvalidInput::HeaderValue))
}

impl DigestClient {
    /// [`DigestClient::on_unauthorized`] fed with every `WWW-Authenticate` value of a 401 response's
    /// headers.
    pub fn on_unauthorized_headers(
        &self,
        state: &mut RequestState,
        headers: &HeaderMap,
    ) -> Result<(), DigestError> {
        let texts: Vec<Cow<'_, str>> = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .map(header_text)
            .collect();
        self.on_unauthorized(state, texts.iter().map(|c| c.as_ref()))
    }

    /// [`DigestClient::on_authentication_info`] for a successful response's headers, or
    /// [`DigestClient::on_success_without_info`] when there is no `Authentication-Info`.
    pub fn on_response_headers(
        &self,
        state: &RequestState,
        headers: &HeaderMap,
    ) -> Result<(), DigestError> {
        match headers.get(&AUTHENTICATION_INFO) {
            Some(v) => self.on_authentication_info(state, &header_text(v)),
            None => self.on_success_without_info(state),
        }
    }
}

impl DigestServer {
    /// [`DigestServer::challenges`] as `HeaderValue`s (append each as `WWW-Authenticate`).
    pub fn challenge_headers(&self, now: SystemTime, stale: Stale) -> Vec<HeaderValue> {
        self.challenges(now, stale)
            .into_iter()
            .filter_map(|c| HeaderValue::from_str(&c).ok())
            .collect()
    }

    /// [`DigestServer::verify`] reading `Authorization` from `headers` ([`VerifyError::Missing`] when
    /// absent).
    pub fn verify_headers<S: CredentialStore + ?Sized>(
        &self,
        headers: &HeaderMap,
        req: &RequestFacts<'_>,
        now: SystemTime,
        store: &S,
    ) -> Result<Verified, VerifyError> {
        let value = headers.get(AUTHORIZATION).ok_or(VerifyError::Missing)?;
        self.verify(&header_text(value), req, now, store)
    }
}

impl Verified {
    /// The `Authentication-Info` value as a `HeaderValue`.
    pub fn authentication_info_header(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(&self.authentication_info()).ok()
    }
}
