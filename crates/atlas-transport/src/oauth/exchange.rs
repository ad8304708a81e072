//! The token endpoint's wire protocol: the client credentials grant (RFC 6749 section 4.4) and
//! revocation (RFC 7009), on the client's own connection pool.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::Full;
use hyper_util::client::legacy::Client as HyperClient;
use tokio::time::Instant;

use super::{AccessToken, ClientCredentials, TokenProblem};
use crate::attempt::exchange;
use crate::client::Connector;
use crate::error::Error;
use crate::origin::Target;
use crate::retry::{RetryPolicy, next_delay_within, retries_error, retry_after};

/// What the token endpoint gave.
#[derive(Debug)]
pub(crate) struct Granted {
    pub(crate) token: AccessToken,
    /// `expires_in`, if the server said.
    pub(crate) lifetime: Option<Duration>,
}

/// Sends token and revocation requests.
pub(crate) struct Exchanger {
    pub(crate) http: HyperClient<Connector, Full<Bytes>>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) body_limit: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: HeaderValue,
    pub(crate) allow_insecure_http: bool,
}

impl std::fmt::Debug for Exchanger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchanger").finish_non_exhaustive()
    }
}

impl Exchanger {
    /// Asks for a token: `grant_type=client_credentials`, the client authenticated with Basic.
    pub(crate) async fn fetch(&self, creds: &ClientCredentials) -> Result<Granted, Error> {
        let target = self.target(&creds.token_url)?;
        let response = self
            .post(
                creds,
                &target,
                Bytes::from_static(b"grant_type=client_credentials"),
            )
            .await?;
        let status = response.status();
        if status == StatusCode::OK {
            return parse_grant(response.body())
                .ok_or_else(|| token_error(&target, TokenProblem::BadAnswer, &response));
        }
        let problem = match oauth_error(response.body()).as_deref() {
            Some("invalid_client") => TokenProblem::InvalidClient,
            Some("access_denied") => TokenProblem::AccessDenied,
            _ if status == StatusCode::UNAUTHORIZED => TokenProblem::InvalidClient,
            _ if status == StatusCode::TOO_MANY_REQUESTS => TokenProblem::RateLimited {
                retry_after: wait_of(creds, &response),
            },
            Some(other) => TokenProblem::Refused {
                error: other
                    .chars()
                    .filter(|c| c.is_ascii_graphic())
                    .take(64)
                    .collect(),
            },
            None => TokenProblem::BadAnswer,
        };
        Err(token_error(&target, problem, &response))
    }

    /// Revokes `token` (`token_type_hint=access_token`).
    pub(crate) async fn revoke(
        &self,
        creds: &ClientCredentials,
        token: &AccessToken,
    ) -> Result<(), Error> {
        let Some(url) = &creds.revoke_url else {
            return Err(Error::Token {
                url: crate::error::redact_uri(&creds.token_url),
                problem: TokenProblem::NoRevocationEndpoint,
                status: None,
                description: None,
            });
        };
        let target = self.target(url)?;
        let body = format!(
            "token={}&token_type_hint=access_token",
            form_encode(token.secret())
        );
        let response = self.post(creds, &target, Bytes::from(body)).await?;
        if response.status().is_success() {
            return Ok(());
        }
        let problem = match oauth_error(response.body()).as_deref() {
            Some("invalid_client") => TokenProblem::InvalidClient,
            _ if response.status() == StatusCode::UNAUTHORIZED => TokenProblem::InvalidClient,
            _ => TokenProblem::RevocationFailed,
        };
        Err(token_error(&target, problem, &response))
    }

    fn target(&self, url: &Uri) -> Result<Target, Error> {
        let target = Target::new(url.clone())?;
        if target.is_remote_plain_http() && !self.allow_insecure_http {
            return Err(Error::InsecureCredentials { url: target.url() });
        }
        Ok(target)
    }

    /// One form POST with the client's Basic credentials, retried on 429/502/503/504 and
    /// transport failures within the retry policy and the total timeout.
    async fn post(
        &self,
        creds: &ClientCredentials,
        target: &Target,
        body: Bytes,
    ) -> Result<Response<Bytes>, Error> {
        let deadline = self.total_timeout.map(|t| Instant::now() + t);
        let mut backoff = self.retry.backoff();
        // Asking again is harmless (at worst a second token), so retries are as for a GET.
        let method = Method::GET;
        loop {
            let req = self.request(creds, target, body.clone())?;
            let response = match exchange(
                &self.http,
                self.attempt_timeout,
                self.body_limit,
                req,
                target,
                deadline,
            )
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    if retries_error(&self.retry, &method, &e) {
                        if let Some(delay) = next_delay_within(&mut backoff, None, deadline) {
                            tracing::debug!(error = %e, delay_ms = delay.as_millis() as u64, "token endpoint: retrying after failure");
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                    }
                    return Err(e);
                }
            };
            let status = response.status();
            let retryable =
                matches!(status.as_u16(), 429 | 502..=504) && self.retry.get_max_attempts() > 1;
            if retryable {
                let wait = wait_of(creds, &response);
                if let Some(delay) = next_delay_within(&mut backoff, wait, deadline) {
                    tracing::debug!(%status, delay_ms = delay.as_millis() as u64, "token endpoint: retrying after status");
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }
            return Ok(response);
        }
    }

    fn request(
        &self,
        creds: &ClientCredentials,
        target: &Target,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, Error> {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            form_encode(&creds.client_id),
            form_encode(&creds.client_secret)
        ));
        let mut authorization =
            HeaderValue::try_from(format!("Basic {basic}")).map_err(|_| Error::Config {
                reason: "the client id or secret cannot be sent in a header".into(),
                source: None,
            })?;
        authorization.set_sensitive(true);
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = target.uri().clone();
        let h = req.headers_mut();
        h.insert(AUTHORIZATION, authorization);
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        h.insert(ACCEPT, HeaderValue::from_static("application/json"));
        h.insert(USER_AGENT, self.user_agent.clone());
        Ok(req)
    }
}

/// The longer of `Retry-After` and what the hook reads from the body.
fn wait_of(creds: &ClientCredentials, response: &Response<Bytes>) -> Option<Duration> {
    let header = retry_after(response.headers(), SystemTime::now());
    let body = creds.rate_limit_wait.and_then(|hook| hook(response));
    match (header, body) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn token_error(target: &Target, problem: TokenProblem, response: &Response<Bytes>) -> Error {
    Error::Token {
        url: target.url(),
        problem,
        status: Some(response.status()),
        description: oauth_description(response.body()),
    }
}

/// `{"access_token": "...", "token_type": "Bearer", "expires_in": 3600}`.
fn parse_grant(body: &[u8]) -> Option<Granted> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let token = v.get("access_token")?.as_str()?;
    let token_type = v.get("token_type")?.as_str()?;
    if token.is_empty()
        || !token_type.eq_ignore_ascii_case("bearer")
        || HeaderValue::try_from(format!("Bearer {token}")).is_err()
    {
        return None;
    }
    // A number, or a string holding one (some servers send "3600").
    let lifetime = match v.get("expires_in") {
        None | Some(serde_json::Value::Null) => None,
        Some(e) => {
            Some(Duration::from_secs(e.as_u64().or_else(|| {
                e.as_str().and_then(|s| s.trim().parse().ok())
            })?))
        }
    };
    Some(Granted {
        token: AccessToken::new(token),
        lifetime,
    })
}

fn oauth_field(body: &[u8], field: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let s = v.get(field)?.as_str()?.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The OAuth `error` code of an error body.
fn oauth_error(body: &[u8]) -> Option<String> {
    oauth_field(body, "error")
}

/// `error_description` (or Atlas's `detail`), shortened, printable characters only.
fn oauth_description(body: &[u8]) -> Option<String> {
    let d = oauth_field(body, "error_description").or_else(|| oauth_field(body, "detail"))?;
    Some(d.chars().filter(|c| !c.is_control()).take(200).collect())
}

/// `application/x-www-form-urlencoded` encoding (RFC 6749 appendix B; section 2.3.1 for Basic).
pub(crate) fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn grants_are_parsed_strictly() {
        let g = parse_grant(br#"{"access_token":"abc","token_type":"Bearer","expires_in":3600}"#)
            .unwrap();
        assert_eq!(g.token.secret(), "abc");
        assert_eq!(g.lifetime, Some(Duration::from_secs(3600)));
        let g = parse_grant(br#"{"access_token":"abc","token_type":"bearer","expires_in":"60"}"#)
            .unwrap();
        assert_eq!(g.lifetime, Some(Duration::from_secs(60)));
        assert_eq!(
            parse_grant(br#"{"access_token":"abc","token_type":"bearer"}"#)
                .unwrap()
                .lifetime,
            None
        );
        for bad in [
            &br#"{"access_token":"abc","token_type":"mac","expires_in":1}"#[..],
            br#"{"access_token":"","token_type":"Bearer"}"#,
            br#"{"access_token":"a\nb","token_type":"Bearer"}"#,
            br#"{"access_token":"abc","token_type":"Bearer","expires_in":-1}"#,
            br#"{"token_type":"Bearer"}"#,
            b"<html>",
        ] {
            assert!(
                parse_grant(bad).is_none(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn real_ids_do_not_change_under_form_encoding() {
        assert_eq!(
            form_encode("mdb_sa_id_0123456789abcdef01234567"),
            "mdb_sa_id_0123456789abcdef01234567"
        );
        assert_eq!(form_encode("a b:c%"), "a+b%3Ac%25");
    }

    proptest! {
        #[test]
        fn form_encoding_is_reversible_and_header_safe(s in any::<String>()) {
            let e = form_encode(&s);
            prop_assert!(e.bytes().all(|b| b.is_ascii_graphic()));
            // Decode back.
            let mut out = Vec::new();
            let b = e.as_bytes();
            let mut i = 0;
            while i < b.len() {
                match b[i] {
                    b'+' => { out.push(b' '); i += 1; }
                    b'%' => { out.push(u8::from_str_radix(&e[i + 1..i + 3], 16).unwrap()); i += 3; }
                    c => { out.push(c); i += 1; }
                }
            }
            prop_assert_eq!(String::from_utf8(out).unwrap(), s);
        }

        #[test]
        fn any_body_parses_without_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_grant(&body);
            let _ = oauth_description(&body);
        }
    }
}
