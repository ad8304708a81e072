//! Service accounts: `POST /api/oauth/token` (OAuth 2.0 client credentials, RFC 6749 section 4.4)
//! and `POST /api/oauth/revoke` (RFC 7009), as Atlas serves them, and the bearer tokens they hand
//! out (verified on every API route beside digest, in [`crate::api`]).
//!
//! Checks of the token endpoint, in order:
//!
//! 1. `POST` only: `405`.
//! 2. Arrival faults of the route (`oauthToken`, `oauthRevoke`).
//! 3. The rate limit per (IP, client id) (a client id the mock does not know counts under one
//!    shared name, so the table stays bounded): `429 RATE_LIMITED` with `Retry-After` and Atlas's
//!    body `{"detail": "Resource /api/oauth/token is limited to 50 requests every 1 minutes.",
//!    "errorCode": "RATE_LIMITED", "parameters": ["/api/oauth/token", 50, 1], ...}`.
//! 4. Client authentication: `Authorization: Basic base64(id ":" secret)` with id and secret
//!    form-urlencoded first (RFC 6749 section 2.3.1), compared in constant time:
//!    `401 {"error": "invalid_client"}` with `WWW-Authenticate: Basic`.
//! 5. Other faults (status, HTML 503, dropped connection, truncated or cut body).
//! 6. The body (read only now): `Content-Type: application/x-www-form-urlencoded`, each parameter
//!    at most once, `grant_type=client_credentials`: `400 invalid_request` /
//!    `400 unsupported_grant_type`.
//! 7. At most `maxLiveTokens` (100) live tokens per account: `403 access_denied` "Access Token
//!    limit reached...".
//! 8. `200 {"access_token": JWT, "expires_in": 3600, "token_type": "Bearer"}` with
//!    `Cache-Control: no-store`.
//!
//! Revocation: the same client authentication, body `token=T[&token_type_hint=access_token]`:
//! `200` with an empty body whether or not the token was live (RFC 7009), `400 invalid_request`
//! when it belongs to another client or is missing. Every OAuth error is
//! `{"error": CODE, "error_description": TEXT}`.

pub(crate) mod accounts;
pub(crate) mod tokens;

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use http::header::{self, HeaderName};
use http::{Method, Response, StatusCode};
use serde_json::json;

use crate::access::canonical_ip;
use crate::body::MockBody;
use crate::faults::{Fault, Stage};
use crate::journal::{JournalEntry, cut};
use crate::principal::{Principal, Scheme};
use crate::ratelimit::{RateLimit, RateLimiter, Verdict, retry_after_secs};
use crate::route::RouteKind;
use crate::server::Shared;
use crate::server::handler::{BodyError, BodySlot, DropConnection};
use crate::server::query::query_pairs;
use crate::server::reply::{JSON, Reply, api_error, finish};
pub use accounts::{OAuthSettings, ServiceAccount};
use tokens::{Refusal, Revoked, Tokens};

/// Path of the token endpoint.
pub(crate) const TOKEN_PATH: &str = "/api/oauth/token";
/// Path of the revocation endpoint.
pub(crate) const REVOKE_PATH: &str = "/api/oauth/revoke";
/// Most rate-limit buckets of the token endpoint.
const MAX_BUCKETS: usize = 4096;
/// The name unknown client ids share in the rate limiter.
const UNKNOWN_CLIENT: &str = "(unknown client)";

/// Service accounts, their tokens and the token endpoint's limiter.
#[derive(Debug)]
pub(crate) struct OAuth {
    pub(crate) settings: OAuthSettings,
    accounts: RwLock<Vec<Arc<ServiceAccount>>>,
    pub(crate) tokens: Tokens,
    limiter: RateLimiter,
}

impl OAuth {
    pub(crate) fn new(settings: OAuthSettings, accounts: Vec<ServiceAccount>) -> Self {
        let (requests, minutes) = settings.rate();
        let limit = RateLimit::per_minutes(requests, minutes);
        Self {
            settings,
            accounts: RwLock::new(accounts.into_iter().map(Arc::new).collect()),
            tokens: Tokens::new(),
            limiter: RateLimiter::bounded(limit, MAX_BUCKETS),
        }
    }

    /// Every service account, in the order they were added.
    pub(crate) fn accounts(&self) -> Vec<Arc<ServiceAccount>> {
        self.accounts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn account(&self, client_id: &str) -> Option<Arc<ServiceAccount>> {
        self.accounts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|a| a.client_id() == client_id)
            .cloned()
    }

    /// Adds an account; its client id must be new.
    pub(crate) fn add(&self, account: ServiceAccount) -> Result<(), crate::MockError> {
        check_account(&account)?;
        let mut a = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        if a.iter().any(|x| x.client_id() == account.client_id()) {
            return Err(crate::MockError::InvalidConfig(format!(
                "service account {} exists already",
                account.client_id()
            )));
        }
        a.push(Arc::new(account));
        Ok(())
    }

    pub(crate) fn buckets(&self) -> usize {
        self.limiter.len()
    }

    /// The principal behind a bearer token at mock-clock time `now`.
    pub(crate) fn verify_bearer(
        &self,
        token: &str,
        now: Duration,
    ) -> Result<Principal<'static>, Refusal> {
        let id = self.tokens.verify(token, now)?;
        let a = self.account(&id).ok_or(Refusal::Unknown)?;
        Ok(Principal {
            scheme: Scheme::Bearer,
            id: a.client_id().to_owned().into(),
            groups: a.group_restriction().map(|g| g.to_vec().into()),
            access_list: a.ip_access_list().cloned().map(Cow::Owned),
            roles: a.role_restriction().map(|r| r.to_vec().into()),
        })
    }
}

/// A client id and secret the token endpoint can check: non-empty, printable, no `:` in the id
/// (Basic authentication splits at the first one after decoding).
pub(crate) fn check_account(a: &ServiceAccount) -> Result<(), crate::MockError> {
    let ok = |s: &str| !s.is_empty() && !s.chars().any(char::is_control);
    if !ok(a.client_id()) || !ok(a.client_secret()) {
        return Err(crate::MockError::InvalidConfig(
            "a service account needs a non-empty client id and secret without control characters"
                .into(),
        ));
    }
    Ok(())
}

/// An OAuth error answer (RFC 6749 section 5.2).
fn oauth_error(status: u16, code: &str, description: &str) -> Reply {
    let mut r = Reply::json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        JSON,
        json!({"error": code, "error_description": description}),
    );
    r.error_code = Some(code.to_owned());
    r.error_header = false;
    r.envelope_ok = false;
    no_store(r)
}

fn no_store(r: Reply) -> Reply {
    r.header(header::CACHE_CONTROL, "no-store")
        .header(header::PRAGMA, "no-cache")
}

fn invalid_client(why: &str) -> Reply {
    oauth_error(401, "invalid_client", why)
        .header(header::WWW_AUTHENTICATE, "Basic realm=\"MMS Public API\"")
}

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Form-urldecodes one part of the Basic credentials (RFC 6749 section 2.3.1).
fn form_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// The (client id, secret) of `Authorization: Basic ...`, decoded.
pub(crate) fn basic_credentials(parts: &http::request::Parts) -> Option<(String, String)> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = LENIENT.decode(b64.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// Constant-time comparison.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn append_fault(entry: &mut JournalEntry, labels: Vec<String>) {
    if labels.is_empty() {
        return;
    }
    let mut all: Vec<String> = entry.fault.take().into_iter().collect();
    all.extend(labels);
    entry.fault = Some(all.join(","));
}

/// Answers a request under `/api/oauth/`.
pub(crate) async fn respond(
    shared: &Shared,
    peer: SocketAddr,
    parts: &http::request::Parts,
    mut body: BodySlot,
    mut entry: JournalEntry,
) -> Result<Response<MockBody>, DropConnection> {
    let path = parts.uri.path();
    let done = |r: Reply, entry: JournalEntry| Ok(finish(shared, r, Default::default(), entry));
    let kind = match path {
        TOKEN_PATH => RouteKind::OauthToken,
        REVOKE_PATH => RouteKind::OauthRevoke,
        _ => {
            let p = cut(path, 256);
            let r = api_error(
                404,
                "RESOURCE_NOT_FOUND",
                format!("Cannot find resource {p}."),
                vec![json!(p)],
            );
            return done(r, entry);
        }
    };
    if parts.method != Method::POST {
        let r = api_error(
            405,
            "METHOD_NOT_ALLOWED",
            format!("Method {} is not allowed on {path}.", parts.method),
            vec![json!(parts.method.as_str()), json!(path)],
        )
        .header(header::ALLOW, "POST");
        return done(r, entry);
    }
    let faults = shared.faults();
    let arrival = faults.decide(kind, path, Stage::Arrival);
    append_fault(&mut entry, arrival.labels);
    if !arrival.clock_advance.is_zero() {
        shared.clock.advance(arrival.clock_advance);
    }
    if !arrival.latency.is_zero() {
        tokio::time::sleep(arrival.latency).await;
    }
    let oauth = &shared.oauth;
    let creds = basic_credentials(parts);
    let account = creds.as_ref().and_then(|(id, _)| oauth.account(id));
    // 3. The token endpoint's rate limit, per (IP, client id).
    if kind == RouteKind::OauthToken {
        let who = account.as_ref().map_or(UNKNOWN_CLIENT, |a| a.client_id());
        let bucket = format!("{} {who}", canonical_ip(peer.ip()));
        if let Verdict::Limited { retry_after } =
            oauth.limiter.take(&bucket, shared.clock.elapsed())
        {
            let (requests, minutes) = oauth.settings.rate();
            let r = api_error(
                429,
                "RATE_LIMITED",
                format!("Resource {TOKEN_PATH} is limited to {requests} requests every {minutes} minutes."),
                vec![json!(TOKEN_PATH), json!(requests), json!(minutes)],
            )
            .header(header::RETRY_AFTER, &retry_after_secs(retry_after).to_string());
            return done(r, entry);
        }
    }
    // 4. Client authentication.
    let account = match (creds, account) {
        (Some((_, secret)), Some(a)) if same(&secret, a.client_secret()) => a,
        (None, _) => {
            entry.error = Some("no Basic client credentials".into());
            return done(
                invalid_client("Send the client id and secret with HTTP Basic authentication."),
                entry,
            );
        }
        _ => return done(invalid_client("Invalid client credentials."), entry),
    };
    entry.key = Some(account.client_id().to_owned());
    // 5. Other faults.
    let decision = faults.decide(kind, path, Stage::Authenticated);
    append_fault(&mut entry, decision.labels);
    let (truncate, cut_after) = match decision.fault {
        None | Some(Fault::Latency(_) | Fault::ClockAdvance(_)) => (false, None),
        Some(Fault::TruncateBody) => (true, None),
        Some(Fault::CutAfter(n)) => (false, Some(n)),
        Some(Fault::DropConnection) => {
            entry.status = 0;
            entry.error = Some("connection dropped".to_owned());
            shared.journal.push(entry);
            return Err(DropConnection);
        }
        Some(Fault::ServiceUnavailableHtml) => return done(crate::api::html_503(), entry),
        Some(Fault::Status(s)) => return done(crate::api::injected_status(s), entry),
    };
    // 6. The body.
    let form = match read_form(parts, &mut body).await {
        Ok(f) => f,
        Err(r) => return done(*r, entry),
    };
    let mut r = match kind {
        RouteKind::OauthToken => token(shared, parts, &account, &form),
        _ => revoke(shared, &account, &form),
    };
    r.truncate = truncate;
    r.cut_after = cut_after;
    done(r, entry)
}

/// The form parameters, each at most once.
async fn read_form(
    parts: &http::request::Parts,
    body: &mut BodySlot,
) -> Result<Vec<(String, String)>, Box<Reply>> {
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return Err(Box::new(oauth_error(
            400,
            "invalid_request",
            "The request body must be application/x-www-form-urlencoded.",
        )));
    }
    let bytes = body.read().await.map_err(|e| {
        Box::new(oauth_error(
            400,
            "invalid_request",
            match e {
                BodyError::TooLarge => "The request body is too large.",
                BodyError::Unreadable => "The request body could not be read.",
            },
        ))
    })?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(Box::new(oauth_error(
            400,
            "invalid_request",
            "The request body is not UTF-8.",
        )));
    };
    let pairs = query_pairs(Some(text));
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(o, _)| o == k) {
            return Err(Box::new(oauth_error(
                400,
                "invalid_request",
                &format!("The parameter {} is repeated.", cut(k, 64)),
            )));
        }
    }
    Ok(pairs)
}

fn param<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn token(
    shared: &Shared,
    parts: &http::request::Parts,
    account: &ServiceAccount,
    form: &[(String, String)],
) -> Reply {
    match param(form, "grant_type") {
        None => {
            return oauth_error(
                400,
                "invalid_request",
                "The grant_type parameter is missing.",
            );
        }
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                400,
                "unsupported_grant_type",
                "Only the client_credentials grant is supported.",
            );
        }
    }
    let o = &shared.oauth;
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(
            || crate::server::shown_authority(shared.addr),
            str::to_owned,
        );
    let issuer = format!("{}://{host}/api/oauth", shared.scheme);
    let now = shared.clock.elapsed();
    let Some(t) = o.tokens.issue(
        account.client_id(),
        now,
        o.settings.lifetime(),
        o.settings.live_token_limit(),
        &issuer,
        shared.clock.now().timestamp(),
    ) else {
        return oauth_error(
            403,
            "access_denied",
            &format!(
                "Access Token limit reached. A service account may hold {} active access tokens; revoke some (POST {REVOKE_PATH}) or wait until they expire.",
                o.settings.live_token_limit()
            ),
        );
    };
    no_store(Reply::json(
        StatusCode::OK,
        JSON,
        json!({
            "access_token": t,
            "expires_in": o.settings.lifetime().as_secs(),
            "token_type": "Bearer",
        }),
    ))
}

fn revoke(shared: &Shared, account: &ServiceAccount, form: &[(String, String)]) -> Reply {
    let Some(t) = param(form, "token") else {
        return oauth_error(400, "invalid_request", "The token parameter is missing.");
    };
    match shared
        .oauth
        .tokens
        .revoke(t, account.client_id(), shared.clock.elapsed())
    {
        Revoked::OtherClient => oauth_error(
            400,
            "invalid_request",
            "The token was issued to another client.",
        ),
        Revoked::Yes | Revoked::NotFound => {
            let mut r = Reply::raw(StatusCode::OK, JSON, Bytes::new());
            r.no_content = true;
            no_store(r)
        }
    }
}

/// `WWW-Authenticate: Bearer ...` for a refused token (RFC 6750 section 3).
pub(crate) fn bearer_challenge(why: Refusal) -> (HeaderName, String) {
    let d = match why {
        Refusal::Expired => "The access token expired",
        Refusal::Unknown => "The access token is not valid",
    };
    (
        header::WWW_AUTHENTICATE,
        format!(
            "Bearer realm=\"MMS Public API\", error=\"invalid_token\", error_description=\"{d}\""
        ),
    )
}

/// Encodes (id, secret) as a client would (RFC 6749 section 2.3.1).
#[cfg(test)]
fn basic_header(id: &str, secret: &str) -> String {
    use base64::engine::general_purpose;
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    const FORM: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'*');
    let pair = format!(
        "{}:{}",
        utf8_percent_encode(id, FORM),
        utf8_percent_encode(secret, FORM)
    );
    format!("Basic {}", general_purpose::STANDARD.encode(pair))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose;

    fn parts(authz: &str) -> http::request::Parts {
        http::Request::builder()
            .header("authorization", authz)
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        for (id, secret) in [
            ("mdb_sa_id_0123456789abcdef01234567", "mdb_sa_sk_abcDEF123"),
            ("id with space", "s:e/c+r%e&t=ü"),
            ("a", ""),
        ] {
            let h = basic_header(id, secret);
            assert_eq!(
                basic_credentials(&parts(&h)),
                Some((id.to_owned(), secret.to_owned())),
                "{h}"
            );
        }
        // Atlas's ids and secrets do not change under the encoding.
        let sa = ServiceAccount::generate();
        let plain =
            general_purpose::STANDARD.encode(format!("{}:{}", sa.client_id(), sa.client_secret()));
        assert_eq!(
            basic_header(sa.client_id(), sa.client_secret()),
            format!("Basic {plain}")
        );
        // Without padding, other scheme case, no colon, not base64.
        let nopad = general_purpose::STANDARD_NO_PAD.encode("ab:c");
        assert_eq!(
            basic_credentials(&parts(&format!("basic {nopad}"))),
            Some(("ab".into(), "c".into()))
        );
        assert_eq!(
            basic_credentials(&parts(&format!(
                "Basic {}",
                general_purpose::STANDARD.encode("nocolon")
            ))),
            None
        );
        assert_eq!(basic_credentials(&parts("Basic !!!")), None);
        assert_eq!(basic_credentials(&parts("Bearer abc")), None);
        assert_eq!(
            basic_credentials(&parts(&format!(
                "Basic {}",
                general_purpose::STANDARD.encode("a:%zz")
            ))),
            Some(("a".into(), "%zz".into()))
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any id and secret survive the RFC 6749 encoding and the mock's decoding.
            #[test]
            fn basic_credentials_round_trip(id in "[^\\x00-\\x1f]{1,40}", secret in "[^\\x00-\\x1f]{0,60}") {
                let got = basic_credentials(&parts(&basic_header(&id, &secret)));
                prop_assert_eq!(got, Some((id, secret)));
            }

            /// Arbitrary Authorization values never panic.
            #[test]
            fn arbitrary_headers_never_panic(v in "[ -~]{0,120}") {
                if let Ok(h) = http::HeaderValue::from_str(&v) {
                    let mut p = parts("x");
                    p.headers.insert(header::AUTHORIZATION, h);
                    let _ = basic_credentials(&p);
                }
            }
        }
    }
}
