//! The Atlas API under `/api/atlas/`: the checks every request goes through, then the route families.
//!
//! # Order of checks
//!
//! 1. The route is looked up in [`FAMILIES`] (for faults; an unknown path still needs credentials).
//! 2. Arrival faults of the route: [`crate::Fault::Latency`] and [`crate::Fault::ClockAdvance`].
//! 3. Authentication: a service account's `Authorization: Bearer` token (issued by
//!    `/api/oauth/token`, live on the mock clock), or HTTP Digest with an API key. Either failing is
//!    `401` with the digest challenge (plus `WWW-Authenticate: Bearer error="invalid_token"` for a
//!    refused token). The body is not read before this step, except for a `qop=auth-int` answer
//!    from a known key, whose hash covers it.
//! 4. IP access lists (the server-wide one, then the key's own): `403 IP_ADDRESS_NOT_ON_ACCESS_LIST`.
//! 5. Rate limit, per key: `429 RATE_LIMITED_TOKEN_BUCKET`.
//! 6. Bad `pretty` / `envelope` values: `400 INVALID_QUERY_PARAMETER`.
//! 7. Unknown route: `404 RESOURCE_NOT_FOUND`; a method the route does not serve: `405`.
//! 8. The route's other faults (status, HTML 503, dropped connection, truncated body).
//! 9. The body, for routes that read one (bounded by `Limits::max_body_bytes`).
//! 10. The route itself ([`Endpoint::serve`]): version negotiation, sunset, parameters, data.
//!
//! # Adding a family of routes
//!
//! A family is a file in this directory with a type implementing [`Family`] (path matching) and one
//! implementing [`Endpoint`] (one matched route: its [`RouteKind`], methods, and `serve`), plus one
//! line in [`FAMILIES`]. Everything above (authentication, access lists, rate limits, faults, the
//! journal, `pretty` and `envelope`) then applies to it without further work. Time comes from
//! `ctx.now` / `ctx.shared.clock` (the mock clock), data from `ctx.shared.data`; new kinds of data
//! (restore jobs, dedicated clusters) go into [`crate::Dataset`] and the data file
//! ([`crate::MockConfig`], `schema/mock-data.schema.json`).

mod body;
mod cloud;
mod lookup;
mod restores;
mod snapshots;
mod version;

use std::net::SocketAddr;
use std::time::Duration;

use atlas_digest::Stale;
use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use serde_json::json;

use crate::access::canonical_ip;
use crate::auth::{Check, Failure};
use crate::faults::{Fault, Stage};
use crate::journal::{JournalEntry, cut};
use crate::oauth::tokens::Refusal;
use crate::principal::Principal;
use crate::ratelimit::{Verdict, retry_after_secs};
use crate::route::RouteKind;
use crate::server::Shared;
use crate::server::handler::{BodyError, BodySlot};
use crate::server::reply::{JSON_LATIN1, Reply, api_error};

pub(crate) use snapshots::fuzz_request_target;

/// A family of routes (see the module documentation).
pub(crate) trait Family: Sync {
    /// The endpoint `path` (below `/api/atlas/`, percent-encoded as sent) names, if this family has it.
    fn route<'p>(&self, path: &'p str) -> Option<Box<dyn Endpoint + 'p>>;
}

/// One matched route.
pub(crate) trait Endpoint: Send + Sync {
    /// The route, for fault rules.
    fn kind(&self) -> RouteKind;
    /// Methods served (HEAD answers like GET without the body).
    fn methods(&self) -> &'static [Method] {
        &[Method::GET, Method::HEAD]
    }
    /// Whether `serve` needs the request body (read after authentication, into `ApiCtx::body`).
    fn reads_body(&self) -> bool {
        false
    }
    /// Whether answers carry `RateLimit-Limit` / `RateLimit-Remaining` when a limit is set (Atlas
    /// sends them on v2 routes, not on v1.0).
    fn rate_limit_headers(&self) -> bool {
        true
    }
    /// Headers every answer of this route carries (e.g. `Deprecation`, `Sunset`), errors included.
    fn headers(&self, _shared: &Shared) -> Vec<(HeaderName, HeaderValue)> {
        Vec::new()
    }
    /// The answer.
    fn serve(&self, ctx: &ApiCtx<'_>) -> Reply;
}

/// The route families, tried in order.
pub(crate) const FAMILIES: &[&dyn Family] = &[
    &snapshots::Snapshots,
    &restores::FlexRestores,
    &cloud::CloudSnapshots,
];

/// What a route's `serve` sees.
pub(crate) struct ApiCtx<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) parts: &'a http::request::Parts,
    /// The path as requested (with `/noauth` when on the twin): links are built from it.
    pub(crate) path: &'a str,
    pub(crate) pairs: &'a [(String, String)],
    /// Who authenticated (`None` on the `/noauth` twin).
    pub(crate) principal: Option<&'a Principal<'a>>,
    /// Mock-clock time of the request.
    pub(crate) now: Duration,
    /// The request body, for routes with [`Endpoint::reads_body`] (downloads, restore jobs,
    /// on-demand snapshots).
    pub(crate) body: Bytes,
}

impl ApiCtx<'_> {
    /// `scheme://host` as the client addressed the mock (for absolute links).
    pub(crate) fn base_url(&self) -> String {
        let host = self
            .parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| self.parts.uri.authority().map(|a| a.as_str().to_owned()))
            .unwrap_or_else(|| self.shared.addr.to_string());
        format!("{}://{}", self.shared.scheme, host)
    }
}

/// A request for the API surface.
pub(crate) struct ApiRequest<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) peer: SocketAddr,
    pub(crate) parts: &'a http::request::Parts,
    /// The path as requested.
    pub(crate) path: &'a str,
    /// The path without the `/noauth` prefix.
    pub(crate) api_path: &'a str,
    pub(crate) authenticated: bool,
    /// The mock-clock time (elapsed) the request arrived at: the journal's `received_at`.
    pub(crate) arrived: Duration,
    pub(crate) pairs: &'a [(String, String)],
    /// A bad `pretty` or `envelope` value.
    pub(crate) flag_error: Option<Box<Reply>>,
    pub(crate) body: BodySlot,
}

/// What the API answers.
pub(crate) enum Outcome {
    Reply(Reply),
    Drop,
}

fn find(api_path: &str) -> Option<Box<dyn Endpoint + '_>> {
    FAMILIES.iter().find_map(|f| f.route(api_path))
}

fn body_error(e: BodyError, limit: usize) -> Reply {
    match e {
        BodyError::TooLarge => api_error(
            400,
            "INVALID_REQUEST_BODY",
            format!("The request body is larger than {limit} bytes."),
            vec![],
        ),
        BodyError::Unreadable => api_error(
            400,
            "INVALID_REQUEST_BODY",
            "The request body could not be read.",
            vec![],
        ),
    }
}

fn append_fault(entry: &mut JournalEntry, labels: Vec<String>) {
    if labels.is_empty() {
        return;
    }
    let mut all: Vec<String> = entry.fault.take().into_iter().collect();
    all.extend(labels);
    entry.fault = Some(all.join(","));
}

/// Runs the checks of the module documentation and the route; a small body left unread is then
/// drained, so the connection stays open for the next request (see [`BodySlot::drain_small`]).
pub(crate) async fn respond(mut req: ApiRequest<'_>, entry: &mut JournalEntry) -> Outcome {
    let out = answer(&mut req, entry).await;
    if matches!(out, Outcome::Reply(_)) {
        req.body.drain_small().await;
    }
    out
}

/// The checks of the module documentation and the route.
async fn answer(req: &mut ApiRequest<'_>, entry: &mut JournalEntry) -> Outcome {
    let shared = req.shared;
    let endpoint = find(req.api_path);
    let faults = shared.faults();

    // The mock-clock time authentication is checked at: the arrival, read again only when an
    // arrival fault moved the clock or made the request wait.
    let mut now = req.arrived;
    // 2. Arrival faults.
    if let Some(e) = &endpoint {
        let d = faults.decide(e.kind(), req.api_path, Stage::Arrival);
        append_fault(entry, d.labels);
        if !d.clock_advance.is_zero() {
            shared.clock.advance(d.clock_advance);
        }
        if !d.latency.is_zero() {
            tokio::time::sleep(d.latency).await;
        }
        if !d.clock_advance.is_zero() || !d.latency.is_zero() {
            now = shared.clock.elapsed();
        }
    }

    // 3. Digest authentication.
    let mut verified = None;
    let mut principal: Option<Principal<'_>> = None;
    let mut body: Option<Bytes> = None;
    if req.authenticated {
        let uri = req
            .parts
            .uri
            .path_and_query()
            .map_or(req.path, |pq| pq.as_str());
        let Some(authz) = req
            .parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Outcome::Reply(challenge(shared, Stale::False));
        };
        if let Some(token) = bearer_token(authz) {
            match shared.oauth.verify_bearer(token, shared.clock.elapsed()) {
                Ok(p) => {
                    entry.key = Some(p.id.clone().into_owned());
                    principal = Some(p);
                }
                Err(why) => {
                    entry.error = Some(
                        match why {
                            Refusal::Expired => "bearer: the access token expired",
                            Refusal::Unknown => {
                                "bearer: not an access token the mock issued (or revoked)"
                            }
                        }
                        .to_owned(),
                    );
                    let mut r = challenge(shared, Stale::False);
                    let (name, value) = crate::oauth::bearer_challenge(why);
                    r.push_header(name, &value);
                    return Outcome::Reply(r);
                }
            }
            let mut reply =
                respond_authenticated(req, endpoint.as_deref(), principal.as_ref(), None, entry)
                    .await;
            if let (Outcome::Reply(r), Some(e)) = (&mut reply, &endpoint) {
                r.headers.extend(e.headers(shared));
            }
            return reply;
        }
        let method = req.parts.method.as_str();
        let check = shared.auth.check(
            authz,
            (method, uri),
            shared.clock.system_time_at(now),
            &shared.keys,
            entry,
        );
        let verdict = match check {
            Check::Ok(v) => Ok(v),
            Check::Fail(f) => Err(f),
            Check::NeedsBody { then } => {
                let b = match req.body.read().await {
                    Ok(b) => b,
                    Err(e) => return Outcome::Reply(body_error(e, shared.limits.max_body_bytes)),
                };
                let verdict = match then {
                    Some(f) => Err(f),
                    None => shared.auth.verify_with_body(
                        authz,
                        (method, uri),
                        (&b, shared.clock.system_time()),
                        &shared.keys,
                        entry,
                    ),
                };
                body = Some(b);
                verdict
            }
        };
        match verdict {
            Ok(a) => {
                // The entry has the key already (or takes it from its auth record when read).
                principal = a.key.map(Principal::from_key);
                // Kept only when an `Authentication-Info` will be sent; Atlas sends none.
                verified = a.verified;
            }
            Err(Failure { stale, reason }) => {
                entry.error = Some(cut(&reason, 256));
                return Outcome::Reply(challenge(shared, stale));
            }
        }
    }
    let mut reply =
        respond_authenticated(req, endpoint.as_deref(), principal.as_ref(), body, entry).await;
    if let Outcome::Reply(r) = &mut reply {
        r.verified = verified;
        if let Some(e) = &endpoint {
            r.headers.extend(e.headers(shared));
        }
    }
    reply
}

/// The token of `Authorization: Bearer TOKEN` (any case of the scheme), if that is the scheme.
fn bearer_token(authz: &str) -> Option<&str> {
    let authz = authz.trim_start();
    // The scheme is the text before the first space: `Bearer` is 6 bytes (a quick test first,
    // so other schemes cost nothing more).
    let (scheme, rest) = (authz.get(..6)?, authz.get(6..)?);
    if !scheme.eq_ignore_ascii_case("bearer") || !rest.starts_with(' ') {
        return None;
    }
    let token = rest.trim();
    (!token.is_empty()).then_some(token)
}

/// The 401 of the digest handshake, as Atlas sends it: the challenge(s), a pretty-printed body with
/// `"errorCode" : "UNEXPECTED_ERROR"`, no `X-Error-Code`, never enveloped.
fn challenge(shared: &Shared, stale: Stale) -> Reply {
    let mut r = api_error(
        401,
        "UNEXPECTED_ERROR",
        "You are not authorized for this resource.",
        vec![],
    );
    r.content_type = JSON_LATIN1;
    r.envelope_ok = false;
    r.always_pretty = true;
    r.error_header = false;
    for c in shared.auth.challenges(stale, shared.clock.system_time()) {
        if let Ok(v) = http::HeaderValue::from_str(&c) {
            r.headers.push((header::WWW_AUTHENTICATE, v));
        }
    }
    r
}

async fn respond_authenticated(
    req: &mut ApiRequest<'_>,
    endpoint: Option<&(dyn Endpoint + '_)>,
    principal: Option<&Principal<'_>>,
    early_body: Option<Bytes>,
    entry: &mut JournalEntry,
) -> Outcome {
    let shared = req.shared;
    // 4. IP access lists: the server-wide one, then the key's own.
    let ip = canonical_ip(req.peer.ip());
    let lists = [
        shared.ip_list.as_ref(),
        principal.and_then(|p| p.access_list.as_deref()),
    ];
    if lists.into_iter().flatten().any(|list| !list.contains(ip)) {
        return Outcome::Reply(api_error(
            403,
            "IP_ADDRESS_NOT_ON_ACCESS_LIST",
            format!("IP address {ip} is not allowed to access this resource."),
            vec![json!(ip.to_string())],
        ));
    }
    // 5. Rate limit, per key.
    let mut rate_headers = None;
    if let Some(limiter) = &shared.limiter {
        let bucket = principal.map_or("<unauthenticated>", |p| p.id.as_ref());
        let limit = limiter.limit();
        let show = endpoint.is_some_and(|e| e.rate_limit_headers());
        match limiter.take(bucket, shared.clock.elapsed()) {
            Verdict::Allowed { remaining } => {
                if show {
                    rate_headers = Some((limit.capacity(), remaining));
                }
            }
            Verdict::Limited { retry_after } => {
                let secs = retry_after_secs(retry_after);
                let path = cut(req.api_path, 256);
                let mut r = api_error(
                    429,
                    "RATE_LIMITED_TOKEN_BUCKET",
                    format!(
                        "Resource {path} is limited to {} requests, refilled at {} every {} seconds. Retry after {secs} seconds.",
                        limit.capacity(),
                        number(limit.refill_rate()),
                        number(limit.refill_period().as_secs_f64()),
                    ),
                    vec![
                        json!(path),
                        json!(secs),
                        json!(limit.capacity()),
                        number(limit.refill_rate()),
                        number(limit.refill_period().as_secs_f64()),
                    ],
                )
                .header(header::RETRY_AFTER, &secs.to_string());
                if show {
                    r = with_rate_headers(r, limit.capacity(), 0);
                }
                return Outcome::Reply(r);
            }
        }
    }
    let out = respond_route(req, endpoint, principal, early_body, entry).await;
    match (out, rate_headers) {
        (Outcome::Reply(r), Some((cap, remaining))) => {
            Outcome::Reply(with_rate_headers(r, cap, remaining))
        }
        (out, _) => out,
    }
}

/// A JSON number: an integer when the value is whole.
fn number(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn with_rate_headers(r: Reply, capacity: u32, remaining: u32) -> Reply {
    r.header(
        HeaderName::from_static("ratelimit-limit"),
        &capacity.to_string(),
    )
    .header(
        HeaderName::from_static("ratelimit-remaining"),
        &remaining.to_string(),
    )
}

async fn respond_route(
    req: &mut ApiRequest<'_>,
    endpoint: Option<&(dyn Endpoint + '_)>,
    principal: Option<&Principal<'_>>,
    early_body: Option<Bytes>,
    entry: &mut JournalEntry,
) -> Outcome {
    let shared = req.shared;
    // 6. Bad boolean flags.
    if let Some(r) = req.flag_error.take() {
        return Outcome::Reply(*r);
    }
    // 7. Route and method.
    let Some(endpoint) = endpoint else {
        let p = cut(req.api_path, 256);
        return Outcome::Reply(api_error(
            404,
            "RESOURCE_NOT_FOUND",
            format!("Cannot find resource {p}."),
            vec![json!(p)],
        ));
    };
    let methods = endpoint.methods();
    if !methods.contains(&req.parts.method) {
        let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
        let p = cut(req.api_path, 256);
        return Outcome::Reply(
            api_error(
                405,
                "METHOD_NOT_ALLOWED",
                format!("Method {} is not allowed on {p}.", req.parts.method),
                vec![json!(req.parts.method.as_str()), json!(p)],
            )
            .header(header::ALLOW, &allow.join(", ")),
        );
    }
    // 8. The route's other faults.
    let decision = shared
        .faults()
        .decide(endpoint.kind(), req.api_path, Stage::Authenticated);
    append_fault(entry, decision.labels);
    let (truncate, cut_after) = match decision.fault {
        None | Some(Fault::Latency(_) | Fault::ClockAdvance(_)) => (false, None),
        Some(Fault::TruncateBody) => (true, None),
        Some(Fault::CutAfter(n)) => (false, Some(n)),
        Some(Fault::DropConnection) => return Outcome::Drop,
        Some(Fault::ServiceUnavailableHtml) => return Outcome::Reply(html_503()),
        Some(Fault::Status(s)) => return Outcome::Reply(injected_status(s)),
    };
    // 9. The body.
    let body = match early_body {
        Some(b) => b,
        None if endpoint.reads_body() => match req.body.read().await {
            Ok(b) => b,
            Err(e) => return Outcome::Reply(body_error(e, shared.limits.max_body_bytes)),
        },
        None => Bytes::new(),
    };
    // 10. The route.
    let ctx = ApiCtx {
        shared,
        parts: req.parts,
        path: req.path,
        pairs: req.pairs,
        principal,
        now: shared.clock.elapsed(),
        body,
    };
    let mut r = endpoint.serve(&ctx);
    r.truncate = truncate;
    r.cut_after = cut_after;
    Outcome::Reply(r)
}

pub(crate) fn html_503() -> Reply {
    let page = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n";
    Reply::raw(
        StatusCode::SERVICE_UNAVAILABLE,
        "text/html",
        Bytes::from_static(page.as_bytes()),
    )
}

pub(crate) fn injected_status(s: u16) -> Reply {
    let code = match s {
        500 => "UNEXPECTED_ERROR",
        502 => "BAD_GATEWAY",
        503 => "SERVICE_UNAVAILABLE",
        504 => "GATEWAY_TIMEOUT",
        429 => "RATE_LIMITED_TOKEN_BUCKET",
        _ => "INJECTED_FAULT",
    };
    let mut r = api_error(s, code, format!("Injected fault: status {s}."), vec![]);
    if s == 429 {
        r = r.header(header::RETRY_AFTER, "1");
    }
    r
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::bearer_token;

    /// The definition `bearer_token` implements without searching the whole value.
    fn by_definition(authz: &str) -> Option<&str> {
        let (scheme, token) = authz.trim().split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }

    #[test]
    fn bearer_tokens() {
        for (v, want) in [
            ("Bearer abc", Some("abc")),
            ("  bEaReR   abc  ", Some("abc")),
            ("Bearer", None),
            ("Bearer ", None),
            ("Bearer\tabc", None),
            ("Bearerx abc", None),
            ("Digest username=\"u\"", None),
            ("é", None),
        ] {
            assert_eq!(bearer_token(v), want, "{v:?}");
        }
    }

    proptest! {
        #[test]
        fn bearer_token_is_the_definition(v in "[ \t]{0,2}(Bearer|bearer|BEARER|Bear|Digest|é)?[ \t]{0,3}[a-zé. \t]{0,12}") {
            prop_assert_eq!(bearer_token(&v), by_definition(&v));
        }
    }
}
