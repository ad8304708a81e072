//! The request path, top-down: check the target, start the request's authentication, then
//! attempt after attempt until an answer stands or the budget is spent.
//!
//! Each attempt: credentials from the authentication (it may wait, within the total deadline),
//! one exchange (`attempt.rs`), then the answer goes back to the authentication, which may ask
//! for a resend (a digest challenge), and to the retry policy (`retry.rs`: 429/5xx and transport
//! failures back off and try again).

use std::time::SystemTime;

use bytes::Bytes;
use http::header::{AUTHORIZATION, HeaderMap, HeaderValue, PROXY_AUTHORIZATION, USER_AGENT};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use tokio::time::Instant;
use tracing::{Instrument, field};

use crate::attempt::within;
use crate::auth::{AttemptFacts, AuthRequest, Authenticator, Ready, Verdict};
use crate::client::{Client, Inner, elapsed_ms};
use crate::error::Error;
use crate::origin::{Scheme, Target};
use crate::retry::{is_retryable_status, next_delay_within, retries_error, retry_after};
use crate::stats::Counters;

impl Client {
    /// One logical request, authenticated by `auth`.
    pub(crate) async fn run<A: Authenticator>(
        &self,
        auth: &A,
        request: Request<Bytes>,
        span: &tracing::Span,
    ) -> Result<Response<Bytes>, Error> {
        let inner = &*self.inner;
        let (parts, body) = request.into_parts();
        let target = Target::new(parts.uri)?;
        // Dropped however this function ends (cancellation included): it releases what the
        // authentication holds for the attempt under way.
        let mut auth = auth.begin(&target)?;
        let headers = common_headers(inner, parts.headers, &target);
        let method = parts.method;
        let deadline = inner.timeouts.total.map(|t| Instant::now() + t);
        let mut backoff = inner.retry.backoff();
        let mut round_trip = 0u32;

        loop {
            round_trip += 1;
            let facts = AttemptFacts {
                method: method.as_str(),
                path_and_query: target.path_and_query(),
                body: &body,
            };
            // At hand (no future, no timer), else waited for within the total deadline.
            let authorization = match auth.credentials_now(&facts, &target)? {
                Ready::Now(a) => a,
                Ready::Later => {
                    within(deadline, auth.credentials(&facts, &target), &target).await??
                }
            };
            let authorized = authorization.is_some();
            let req = build(&method, &target, &headers, &body, authorization);

            let attempt_span = tracing::debug_span!(
                "attempt",
                attempt = round_trip,
                authorized,
                status = field::Empty,
                elapsed_ms = field::Empty,
            );
            let t0 = Instant::now();
            let result = inner
                .attempt(req, &target, deadline)
                .instrument(attempt_span.clone())
                .await;
            Counters::bump(&inner.counters.round_trips);
            attempt_span.record("elapsed_ms", elapsed_ms(t0));
            span.record("attempts", round_trip);

            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    auth.on_failure();
                    if retries_error(&inner.retry, &method, &e) {
                        if let Some(delay) = next_delay_within(&mut backoff, None, deadline) {
                            tracing::debug!(error = %e, delay_ms = delay.as_millis() as u64, "retrying after failure");
                            Counters::bump(&inner.counters.retries);
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                    }
                    return Err(e);
                }
            };
            let status = response.status();
            attempt_span.record("status", status.as_u16());
            if A::CREDENTIALED
                && status == StatusCode::UNAUTHORIZED
                && response
                    .headers()
                    .contains_key(http::header::WWW_AUTHENTICATE)
            {
                Counters::bump(&inner.counters.challenges);
                span.record("challenged", true);
            }
            let response = match auth.on_response(response, &target)? {
                Verdict::Resend => continue,
                Verdict::Accept(r) => r,
            };

            // With retries switched off a retryable status is an ordinary response.
            if is_retryable_status(status)
                && inner.retry.get_max_attempts() > 1
                && inner.retry.retries_status(&method, status)
            {
                let wait = retry_after(response.headers(), SystemTime::now());
                if let Some(delay) = next_delay_within(&mut backoff, wait, deadline) {
                    tracing::debug!(%status, delay_ms = delay.as_millis() as u64, "retrying after status");
                    Counters::bump(&inner.counters.retries);
                    tokio::time::sleep(delay).await;
                    continue;
                }
                return Err(Error::RetriesExhausted {
                    url: target.url(),
                    attempts: backoff.attempts(),
                    last_status: Some(status),
                    response: Some(Box::new(response)),
                });
            }
            return Ok(response);
        }
    }
}

/// The caller's headers plus ours: `User-Agent`, and `Proxy-Authorization` for a forward proxy.
fn common_headers(inner: &Inner, mut headers: HeaderMap, target: &Target) -> HeaderMap {
    if !headers.contains_key(USER_AGENT) {
        headers.insert(USER_AGENT, inner.user_agent.clone());
    }
    if target.scheme() == Scheme::Http && !headers.contains_key(PROXY_AUTHORIZATION) {
        if let Some(auth) = inner.proxies.route(target.uri()).and_then(|r| r.auth) {
            headers.insert(PROXY_AUTHORIZATION, auth);
        }
    }
    headers
}

/// The request of one attempt.
fn build(
    method: &Method,
    target: &Target,
    headers: &HeaderMap,
    body: &Bytes,
    authorization: Option<HeaderValue>,
) -> Request<Full<Bytes>> {
    let mut req = Request::new(Full::new(body.clone()));
    *req.method_mut() = method.clone();
    *req.uri_mut() = target.uri().clone();
    // Sized for the caller's headers, the credentials and the `Host` that hyper-util adds: a
    // clone has no room to spare, and each insertion into it would grow (and move) its tables.
    let mut h = HeaderMap::with_capacity(headers.len() + 2);
    for (name, value) in headers {
        h.append(name.clone(), value.clone());
    }
    if let Some(a) = authorization {
        h.insert(AUTHORIZATION, a);
    }
    *req.headers_mut() = h;
    req
}
