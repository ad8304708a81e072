//! The HTTP side: accept loop, connections (plain or TLS, HTTP/1.1 or HTTP/2) and request handling.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use atlas_model::{ApiError, BadRequestDetail, ClusterName, FieldViolation, GroupId, SnapshotId};
use bytes::Bytes;
use chrono::Utc;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::access::IpAccessList;
use crate::auth::{Auth, AuthOutcome};
use crate::body::MockBody;
use crate::data::{Clock, ClusterKind, Dataset, StoredSnapshot};
use crate::faults::{Fault, FaultState, Stage};
use crate::journal::{Journal, JournalEntry};
use crate::ratelimit::RateLimiter;
use crate::render;
use crate::route;
use crate::{ApiKey, Lifecycle};

/// `Sunset` header value of the tenant endpoints (from the OpenAPI `x-sunset: 2026-01-22`).
pub(crate) const TENANT_SUNSET: &str = "Thu, 22 Jan 2026 00:00:00 GMT";
/// `Deprecation` header value of the tenant endpoints (RFC 9745 form: `@` + Unix time); the mock uses
/// the date the flex replacement (resource version 2024-11-13) appeared.
pub(crate) const TENANT_DEPRECATION: &str = "@1731456000";
/// Media type of v1.0 answers and of all error bodies.
const JSON: &str = "application/json";
/// Media type of the 401 challenge answer, as in the Atlas documentation example.
const JSON_LATIN1: &str = "application/json;charset=ISO-8859-1";
/// Largest request body read (only used for `qop=auth-int`).
const MAX_REQUEST_BODY: usize = 64 * 1024;

/// Everything the request handler needs, shared by all connections.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) data: RwLock<Dataset>,
    pub(crate) clock: Clock,
    pub(crate) keys: Vec<ApiKey>,
    pub(crate) auth: Auth,
    pub(crate) sunset: AtomicBool,
    pub(crate) faults: FaultState,
    pub(crate) limiter: Option<RateLimiter>,
    pub(crate) ip_list: Option<IpAccessList>,
    pub(crate) noauth: bool,
    pub(crate) journal: Journal,
    pub(crate) scheme: &'static str,
    pub(crate) addr: SocketAddr,
}

/// Accepts connections until `shutdown` flips, then lets open connections finish (at most 5 s).
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    conns.spawn(serve_connection(stream, peer, shared.clone(), tls.clone(), shutdown.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain)
        .await
        .is_err()
    {
        conns.abort_all();
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => drive(TokioIo::new(stream), peer, shared, shutdown).await,
        Some(acceptor) => {
            match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                Ok(Ok(s)) => drive(TokioIo::new(s), peer, shared, shutdown).await,
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

async fn drive<I>(io: I, peer: SocketAddr, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        async move { handle(&shared, peer, req).await }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        }
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Returned from the service to make hyper drop the connection without an answer.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose by fault injection")]
pub(crate) struct DropConnection;

/// An answer being built.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    content_type: &'static str,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// JSON body (rendered at the end, so that `pretty` and `envelope` apply to every answer).
    json: Option<Value>,
    /// A body that is not JSON (the HTML 503 page).
    raw: Option<Bytes>,
    error_code: Option<String>,
    /// The list answer's own envelope rule: Atlas adds `status` next to `results`.
    is_list: bool,
    /// `false` for the 401 challenge, which is never enveloped (clients must see the 401).
    envelope_ok: bool,
    /// Successful digest verification: `Authentication-Info` is added when the body is known.
    verified: Option<Box<atlas_digest::Verified>>,
}

impl Reply {
    fn json(status: StatusCode, content_type: &'static str, body: Value) -> Self {
        Reply {
            status,
            content_type,
            headers: Vec::new(),
            json: Some(body),
            raw: None,
            error_code: None,
            is_list: false,
            envelope_ok: true,
            verified: None,
        }
    }

    fn error(e: ApiError) -> Self {
        let status = e
            .error
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = e.error_code.clone();
        let mut v = serde_json::to_value(&e).unwrap_or_else(|_| json!({}));
        if let Value::Object(m) = &mut v {
            // Atlas always sends `parameters`, empty or not.
            m.entry("parameters")
                .or_insert_with(|| Value::Array(Vec::new()));
        }
        let mut r = Reply::json(status, JSON, v);
        r.error_code = code;
        r
    }

    fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }
}

fn boxed_error(
    status: u16,
    code: &str,
    detail: impl Into<String>,
    params: Vec<Value>,
) -> Box<Reply> {
    Box::new(api_error(status, code, detail, params))
}

fn api_error(status: u16, code: &str, detail: impl Into<String>, params: Vec<Value>) -> Reply {
    let mut e = ApiError::new(status, code, detail);
    e.parameters = params;
    Reply::error(e)
}

/// Boolean query flags Atlas applies to every answer.
#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    pretty: bool,
    envelope: bool,
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = query else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

fn flag(pairs: &[(String, String)], name: &str) -> bool {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .is_some_and(|(_, v)| v.eq_ignore_ascii_case("true"))
}

/// The request handler: routes, authenticates, applies faults, answers, and writes the journal.
async fn handle(
    shared: &Shared,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<MockBody>, DropConnection> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    if path.starts_with("/__mock/") || path == "/__mock" {
        let body = read_body(body).await.unwrap_or_default();
        return Ok(admin(shared, peer, &parts.method, &path, &body));
    }
    let pairs = query_pairs(query.as_deref());
    let flags = Flags {
        pretty: flag(&pairs, "pretty"),
        envelope: flag(&pairs, "envelope"),
    };
    let mut entry = JournalEntry {
        seq: 0,
        received_at: Utc::now(),
        peer,
        method: parts.method.as_str().to_owned(),
        path: path.clone(),
        query: query.clone(),
        had_credentials: parts.headers.contains_key(header::AUTHORIZATION),
        key: None,
        status: 0,
        enveloped_status: None,
        error: None,
        fault: None,
    };
    let body = match read_body(body).await {
        Some(b) => b,
        None => {
            let r = api_error(
                400,
                "INVALID_REQUEST_BODY",
                "The request body is too large or could not be read.",
                vec![],
            );
            return Ok(finish(shared, r, flags, false, &mut entry));
        }
    };
    let ctx = Ctx {
        shared,
        peer,
        parts: &parts,
        path: &path,
        pairs: &pairs,
        body: &body,
    };
    match respond(&ctx, &mut entry).await {
        Outcome::Reply(r, truncate) => Ok(finish(shared, r, flags, truncate, &mut entry)),
        Outcome::Drop => {
            entry.status = 0;
            entry.error = Some("connection dropped".to_owned());
            shared.journal.push(entry);
            Err(DropConnection)
        }
    }
}

async fn read_body(body: Incoming) -> Option<Bytes> {
    Limited::new(body, MAX_REQUEST_BODY)
        .collect()
        .await
        .ok()
        .map(|c| c.to_bytes())
}

struct Ctx<'a> {
    shared: &'a Shared,
    peer: SocketAddr,
    parts: &'a http::request::Parts,
    path: &'a str,
    pairs: &'a [(String, String)],
    body: &'a [u8],
}

enum Outcome {
    /// The answer, and whether to truncate its body.
    Reply(Reply, bool),
    Drop,
}

fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

async fn respond(ctx: &Ctx<'_>, entry: &mut JournalEntry) -> Outcome {
    let shared = ctx.shared;
    // 1. Which surface: digest-protected, the optional unauthenticated twin, or nothing.
    let (api_path, authenticated) = if shared.noauth && ctx.path.starts_with("/noauth/api/atlas/") {
        (&ctx.path["/noauth".len()..], false)
    } else if ctx.path.starts_with("/api/atlas/") || ctx.path == "/api/atlas" {
        (ctx.path, true)
    } else {
        let r = api_error(
            404,
            "RESOURCE_NOT_FOUND",
            format!("Cannot find resource {}.", ctx.path),
            vec![json!(ctx.path)],
        );
        return Outcome::Reply(r, false);
    };

    // 2. Latency faults, on arrival (a nonce may expire meanwhile).
    if let Some(m) = route::match_path(api_path) {
        let d = shared.faults.decide(m.kind, Stage::Arrival);
        if !d.labels.is_empty() {
            entry.fault = Some(d.labels.join(","));
        }
        if !d.latency.is_zero() {
            tokio::time::sleep(d.latency).await;
        }
    }

    // 3. Digest authentication.
    let mut verified = None;
    let mut key: Option<&ApiKey> = None;
    if authenticated {
        let uri = ctx
            .parts
            .uri
            .path_and_query()
            .map_or(ctx.path, |pq| pq.as_str());
        let Some(authz) = ctx
            .parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Outcome::Reply(challenge(shared, false), false);
        };
        match shared
            .auth
            .verify(authz, ctx.parts.method.as_str(), uri, ctx.body)
        {
            AuthOutcome::Ok(v) => {
                key = shared.keys.iter().find(|k| k.public_key() == v.username);
                entry.key = Some(v.username.clone());
                verified = Some(v);
            }
            AuthOutcome::Fail { stale, reason } => {
                entry.error = Some(reason);
                return Outcome::Reply(challenge(shared, stale), false);
            }
        }
    }
    let mut out = respond_authenticated(ctx, api_path, key, entry).await;
    if let Outcome::Reply(r, _) = &mut out {
        r.verified = verified;
    }
    out
}

fn challenge(shared: &Shared, stale: bool) -> Reply {
    let mut r = api_error(
        401,
        "UNAUTHORIZED",
        "You are not authorized for this resource.",
        vec![],
    );
    r.content_type = JSON_LATIN1;
    r.envelope_ok = false;
    for c in shared.auth.challenges(stale) {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers.push((header::WWW_AUTHENTICATE, v));
        }
    }
    r
}

async fn respond_authenticated(
    ctx: &Ctx<'_>,
    api_path: &str,
    key: Option<&ApiKey>,
    entry: &mut JournalEntry,
) -> Outcome {
    let shared = ctx.shared;
    // 4. IP access lists: the server-wide one, then the key's own.
    let ip = canonical_ip(ctx.peer.ip());
    let lists = [
        shared.ip_list.as_ref(),
        key.and_then(ApiKey::ip_access_list),
    ];
    if lists.into_iter().flatten().any(|list| !list.contains(ip)) {
        let r = api_error(
            403,
            "IP_ADDRESS_NOT_ON_ACCESS_LIST",
            format!("IP address {ip} is not allowed to access this resource."),
            vec![json!(ip.to_string())],
        );
        return Outcome::Reply(r, false);
    }
    // 5. Rate limit, per key.
    if let Some(limiter) = &shared.limiter {
        let bucket = key.map_or("<unauthenticated>", ApiKey::public_key);
        if let Err(wait) = limiter.take(bucket, Instant::now()) {
            let secs = wait
                .as_secs()
                .saturating_add(u64::from(wait.subsec_nanos() > 0));
            let secs = secs.max(1);
            let r = api_error(
                429,
                "RATE_LIMITED",
                format!("Resource {api_path} is limited; retry after {secs} seconds."),
                vec![json!(api_path)],
            )
            .header(header::RETRY_AFTER, &secs.to_string());
            return Outcome::Reply(r, false);
        }
    }
    // 6. Route.
    let Some(m) = route::match_path(api_path) else {
        let r = api_error(
            404,
            "RESOURCE_NOT_FOUND",
            format!("Cannot find resource {api_path}."),
            vec![json!(api_path)],
        );
        return Outcome::Reply(r, false);
    };
    let out = respond_route(ctx, api_path, &m, key, entry).await;
    if m.kind.is_tenant() && !shared.sunset.load(Ordering::Relaxed) {
        if let Outcome::Reply(mut r, t) = out {
            r = r
                .header(HeaderName::from_static("deprecation"), TENANT_DEPRECATION)
                .header(
                    HeaderName::from_static("sunset"),
                    crate::server::TENANT_SUNSET,
                );
            return Outcome::Reply(r, t);
        }
    }
    out
}

async fn respond_route(
    ctx: &Ctx<'_>,
    api_path: &str,
    m: &route::Matched<'_>,
    key: Option<&ApiKey>,
    entry: &mut JournalEntry,
) -> Outcome {
    let shared = ctx.shared;
    if ctx.parts.method != Method::GET && ctx.parts.method != Method::HEAD {
        let r = api_error(
            405,
            "METHOD_NOT_ALLOWED",
            format!("Method {} is not allowed on {api_path}.", ctx.parts.method),
            vec![json!(ctx.parts.method.as_str()), json!(api_path)],
        )
        .header(header::ALLOW, "GET, HEAD");
        return Outcome::Reply(r, false);
    }

    // 7. Faults.
    let decision = shared.faults.decide(m.kind, Stage::Authenticated);
    if !decision.labels.is_empty() {
        let mut labels: Vec<String> = entry.fault.take().into_iter().collect();
        labels.extend(decision.labels);
        entry.fault = Some(labels.join(","));
    }
    let truncate = match decision.fault {
        None => false,
        Some(Fault::TruncateBody) => true,
        Some(Fault::DropConnection) => return Outcome::Drop,
        Some(Fault::ServiceUnavailableHtml) => return Outcome::Reply(html_503(), false),
        Some(Fault::Status(s)) => return Outcome::Reply(injected_status(s), false),
        Some(Fault::Latency(_)) => false,
    };
    Outcome::Reply(serve_route(ctx, m, key), truncate)
}

fn html_503() -> Reply {
    let page = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n";
    Reply {
        status: StatusCode::SERVICE_UNAVAILABLE,
        content_type: "text/html",
        headers: Vec::new(),
        json: None,
        raw: Some(Bytes::from_static(page.as_bytes())),
        error_code: None,
        is_list: false,
        envelope_ok: false,
        verified: None,
    }
}

fn injected_status(s: u16) -> Reply {
    let code = match s {
        500 => "UNEXPECTED_ERROR",
        502 => "BAD_GATEWAY",
        503 => "SERVICE_UNAVAILABLE",
        504 => "GATEWAY_TIMEOUT",
        429 => "RATE_LIMITED",
        _ => "INJECTED_FAULT",
    };
    let mut r = api_error(s, code, format!("Injected fault: status {s}."), vec![]);
    if s == 429 {
        r = r.header(header::RETRY_AFTER, "1");
    }
    r
}

fn accepts_version(ctx: &Ctx<'_>, resource_version: &str) -> bool {
    accepts_version_in(&ctx.parts.headers, resource_version)
}

/// Atlas resolves the requested version date to the newest resource version not after it: any
/// `application/vnd.atlas.YYYY-MM-DD+json` with a date on or after `resource_version` is fine.
fn accepts_version_in(headers: &http::HeaderMap, resource_version: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|range| {
                let media = range
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                media
                    .strip_prefix("application/vnd.atlas.")
                    .and_then(|r| r.strip_suffix("+json"))
                    .and_then(|date| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
                    .is_some_and(|date| {
                        chrono::NaiveDate::parse_from_str(resource_version, "%Y-%m-%d")
                            .is_ok_and(|rv| date >= rv)
                    })
            })
        })
}

fn invalid_param(code: &str, field: &str, value: &str, why: &str) -> Box<Reply> {
    let mut e = ApiError::new(400, code, format!("Invalid {field} {value:?}: {why}."));
    e.parameters = vec![json!(field), json!(value)];
    e.bad_request_detail = Some(BadRequestDetail {
        fields: vec![FieldViolation {
            field: field.to_owned(),
            description: why.to_owned(),
        }],
    });
    Box::new(Reply::error(e))
}

fn parse_id<T: std::str::FromStr<Err = atlas_model::IdError>>(
    raw: &str,
    field: &str,
    code: &str,
) -> Result<T, Box<Reply>> {
    raw.parse::<T>()
        .map_err(|e| invalid_param(code, field, raw, &e.to_string()))
}

struct Paging {
    items_per_page: usize,
    page_num: usize,
    include_count: bool,
}

fn paging(pairs: &[(String, String)]) -> Result<Paging, Box<Reply>> {
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let int = |name: &str, default: usize, min: usize, max: usize| -> Result<usize, Box<Reply>> {
        match get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(invalid_param(
                    "INVALID_QUERY_PARAMETER",
                    name,
                    v,
                    &format!("must be an integer from {min} to {max}"),
                )),
            },
        }
    };
    let items_per_page = int("itemsPerPage", 100, 1, 500)?;
    let page_num = int("pageNum", 1, 1, 1_000_000)?;
    let include_count = match get("includeCount") {
        None => true,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(invalid_param(
                "INVALID_QUERY_PARAMETER",
                "includeCount",
                v,
                "must be true or false",
            ));
        }
    };
    Ok(Paging {
        items_per_page,
        page_num,
        include_count,
    })
}

fn serve_route(ctx: &Ctx<'_>, m: &route::Matched<'_>, key: Option<&ApiKey>) -> Reply {
    match serve_route_inner(ctx, m, key) {
        Ok(r) => r,
        Err(r) => *r,
    }
}

fn serve_route_inner(
    ctx: &Ctx<'_>,
    m: &route::Matched<'_>,
    key: Option<&ApiKey>,
) -> Result<Reply, Box<Reply>> {
    let shared = ctx.shared;
    // 8. Version negotiation (v2 only).
    let content_type = match m.kind.resource_version() {
        None => JSON,
        Some(version) => {
            if !accepts_version(ctx, version) {
                return Err(boxed_error(
                    406,
                    "INVALID_VERSION_DATE",
                    "Invalid accept header or version date.",
                    vec![],
                ));
            }
            if m.kind.is_tenant() {
                "application/vnd.atlas.2023-01-01+json"
            } else {
                "application/vnd.atlas.2024-11-13+json"
            }
        }
    };
    // 9. Sunset.
    if m.kind.is_tenant() && shared.sunset.load(Ordering::Relaxed) {
        return Err(boxed_error(
            410,
            "VERSION_GONE",
            "The shared-tier (M2/M5) snapshot endpoints were sunset on 2026-01-22. Use the flex snapshot endpoints instead: GET /api/atlas/v2/groups/{groupId}/flexClusters/{name}/backup/snapshots[/{snapshotId}] with Accept: application/vnd.atlas.2024-11-13+json.",
            vec![json!(ctx.path)],
        ));
    }
    // 10. Parameters.
    let group: GroupId = parse_id(&m.group, "groupId", "INVALID_GROUP_ID")?;
    let cluster_field = if m.kind.is_tenant() {
        "clusterName"
    } else {
        "name"
    };
    let cluster: ClusterName = parse_id(&m.cluster, cluster_field, "INVALID_CLUSTER_NAME")?;
    let snapshot: Option<SnapshotId> = match &m.snapshot {
        Some(s) => Some(parse_id(s, "snapshotId", "INVALID_SNAPSHOT_ID")?),
        None => None,
    };
    let paging = if m.kind.is_list() {
        Some(paging(ctx.pairs)?)
    } else {
        None
    };
    // 11. Key restricted to some groups.
    if let Some(groups) = key.and_then(ApiKey::group_restriction) {
        if !groups.contains(&group) {
            return Err(boxed_error(
                403,
                "USER_CANNOT_ACCESS_GROUP",
                format!("The API key is not allowed to access group {group}."),
                vec![json!(group.as_str())],
            ));
        }
    }
    // 12. Data.
    let data = shared.data.read().unwrap_or_else(|e| e.into_inner());
    let Some(g) = data.group(&group) else {
        return Err(boxed_error(
            404,
            "GROUP_NOT_FOUND",
            format!("No group with ID {group} exists."),
            vec![json!(group.as_str())],
        ));
    };
    let c = g
        .cluster(&cluster)
        .filter(|c| m.kind.is_tenant() || c.kind == ClusterKind::Flex);
    let Some(c) = c else {
        let what = if m.kind.is_tenant() {
            "cluster"
        } else {
            "flex cluster"
        };
        return Err(boxed_error(
            404,
            "CLUSTER_NOT_FOUND",
            format!("No {what} named {cluster} exists in group {group}."),
            vec![json!(cluster.as_str()), json!(group.as_str())],
        ));
    };
    let now = Instant::now();
    let base = base_url(ctx);
    if let Some(id) = snapshot {
        let Some(s) = c.snapshot(&id) else {
            return Err(boxed_error(
                404,
                "BACKUP_SNAPSHOT_NOT_FOUND",
                format!("No snapshot with ID {id} exists for cluster {cluster}."),
                vec![json!(id.as_str()), json!(cluster.as_str())],
            ));
        };
        return Ok(Reply::json(
            StatusCode::OK,
            content_type,
            snapshot_json(s, &shared.clock, now),
        ));
    }
    let p = paging.unwrap_or(Paging {
        items_per_page: 100,
        page_num: 1,
        include_count: true,
    });
    let total = c.snapshots.len();
    let start = (p.page_num - 1).saturating_mul(p.items_per_page);
    let results: Vec<Value> = c
        .snapshots
        .iter()
        .skip(start)
        .take(p.items_per_page)
        .map(|s| snapshot_json(s, &shared.clock, now))
        .collect();
    let href = |page: usize| page_href(&base, ctx.path, ctx.pairs, page, p.items_per_page);
    let mut links = vec![json!({"href": href(p.page_num), "rel": "self"})];
    if p.page_num > 1 {
        links.push(json!({"href": href(p.page_num - 1), "rel": "previous"}));
    }
    if start.saturating_add(p.items_per_page) < total {
        links.push(json!({"href": href(p.page_num + 1), "rel": "next"}));
    }
    let mut body = json!({"links": links, "results": results});
    if p.include_count {
        body["totalCount"] = json!(total);
    }
    let mut r = Reply::json(StatusCode::OK, content_type, body);
    r.is_list = true;
    Ok(r)
}

fn snapshot_json(s: &StoredSnapshot, clock: &Clock, now: Instant) -> Value {
    serde_json::to_value(s.view(clock, now)).unwrap_or_else(|_| json!({}))
}

fn base_url(ctx: &Ctx<'_>) -> String {
    let host = ctx
        .parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| ctx.parts.uri.authority().map(|a| a.as_str().to_owned()))
        .unwrap_or_else(|| ctx.shared.addr.to_string());
    format!("{}://{}", ctx.shared.scheme, host)
}

fn page_href(
    base: &str,
    path: &str,
    pairs: &[(String, String)],
    page: usize,
    per_page: usize,
) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const QUERY: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let mut q: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k != "pageNum" && k != "itemsPerPage")
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY),
                utf8_percent_encode(v, QUERY)
            )
        })
        .collect();
    q.push(format!("pageNum={page}"));
    q.push(format!("itemsPerPage={per_page}"));
    format!("{base}{path}?{}", q.join("&"))
}

/// Applies `pretty` and `envelope`, builds the response, and journals it.
fn finish(
    shared: &Shared,
    r: Reply,
    flags: Flags,
    truncate: bool,
    entry: &mut JournalEntry,
) -> Response<MockBody> {
    let mut status = r.status;
    entry.error = entry.error.take().or(r.error_code.clone());
    let body: Bytes = match (r.json, r.raw) {
        (Some(mut v), _) => {
            if flags.envelope && r.envelope_ok {
                entry.enveloped_status = Some(r.status.as_u16());
                if r.is_list && r.status == StatusCode::OK {
                    v["status"] = json!(r.status.as_u16());
                } else {
                    v = json!({"status": r.status.as_u16(), "content": v});
                }
                status = StatusCode::OK;
            }
            render::to_bytes(v, flags.pretty).into()
        }
        (None, Some(raw)) => raw,
        (None, None) => Bytes::new(),
    };
    entry.status = status.as_u16();
    let auth_info = r.verified.map(|v| {
        if v.qop == Some(atlas_digest::Qop::AuthInt) {
            v.authentication_info_for_body(&body)
        } else {
            v.authentication_info()
        }
    });
    let mut resp = Response::new(if truncate {
        MockBody::truncated(body)
    } else {
        MockBody::full(body)
    });
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(r.content_type),
    );
    if shared.scheme == "https" {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=300"),
        );
    }
    for (k, v) in r.headers {
        h.append(k, v);
    }
    if let Some(v) = auth_info.and_then(|i| HeaderValue::from_str(&i).ok()) {
        h.insert(HeaderName::from_static("authentication-info"), v);
    }
    shared.journal.push(entry.clone());
    resp
}

/// The admin routes, for loopback peers only: `GET /__mock/journal`, `GET /__mock/stats`,
/// `POST /__mock/snapshots`. They are not journaled.
fn admin(
    shared: &Shared,
    peer: SocketAddr,
    method: &Method,
    path: &str,
    body: &[u8],
) -> Response<MockBody> {
    let reply = if !canonical_ip(peer.ip()).is_loopback() {
        api_error(
            403,
            "ADMIN_LOOPBACK_ONLY",
            "The mock's admin routes answer loopback peers only.",
            vec![],
        )
    } else {
        match (method, path) {
            (&Method::GET, "/__mock/journal") => Reply::json(
                StatusCode::OK,
                JSON,
                serde_json::to_value(shared.journal.snapshot()).unwrap_or_default(),
            ),
            (&Method::GET, "/__mock/stats") => Reply::json(
                StatusCode::OK,
                JSON,
                serde_json::to_value(crate::stats(shared)).unwrap_or_default(),
            ),
            (&Method::POST, "/__mock/snapshots") => admin_create(shared, body),
            _ => api_error(
                404,
                "RESOURCE_NOT_FOUND",
                format!("Cannot find resource {path}."),
                vec![json!(path)],
            ),
        }
    };
    let mut resp = Response::new(MockBody::full(render::to_bytes(
        reply.json.unwrap_or_default(),
        true,
    )));
    *resp.status_mut() = reply.status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    resp
}

fn admin_create(shared: &Shared, body: &[u8]) -> Reply {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Create {
        group_id: String,
        cluster_name: String,
        snapshot: atlas_model::TenantSnapshot,
        #[serde(default)]
        lifecycle: Option<Lifecycle>,
    }
    let req: Create = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return api_error(
                400,
                "INVALID_JSON",
                format!("Invalid request body: {e}."),
                vec![],
            );
        }
    };
    match crate::create_snapshot(
        shared,
        &req.group_id,
        &req.cluster_name,
        req.snapshot,
        req.lifecycle,
    ) {
        Ok(v) => Reply::json(StatusCode::CREATED, JSON, v),
        Err(e) => api_error(400, "INVALID_SNAPSHOT", e.to_string(), vec![]),
    }
}

/// The request-target parsing of [`handle`] on its own, for the fuzz target: path matching with
/// percent-decoding, id validation, query pairs and flags, paging parameters, the next-page link,
/// and `Accept` version negotiation. Returns a number derived from every result so none of the work
/// is optimised away.
pub(crate) fn fuzz_request_target(path: &str, query: Option<&str>, accept: &str) -> usize {
    let pairs = query_pairs(query);
    let mut n = usize::from(flag(&pairs, "pretty")) + usize::from(flag(&pairs, "envelope"));
    match paging(&pairs) {
        Ok(p) => {
            n += p.items_per_page + p.page_num + usize::from(p.include_count);
            n += page_href(
                "http://127.0.0.1:1",
                path,
                &pairs,
                p.page_num + 1,
                p.items_per_page,
            )
            .len();
        }
        Err(reply) => n += usize::from(reply.status.as_u16()),
    }
    if let Some(m) = route::match_path(path) {
        n += parse_id::<atlas_model::GroupId>(&m.group, "groupId", "INVALID_GROUP_ID")
            .map_or(1, |g| g.as_str().len());
        n +=
            parse_id::<atlas_model::ClusterName>(&m.cluster, "clusterName", "INVALID_CLUSTER_NAME")
                .map_or(1, |c| c.as_str().len());
        if let Some(s) = &m.snapshot {
            n += parse_id::<atlas_model::SnapshotId>(s, "snapshotId", "INVALID_SNAPSHOT_ID")
                .map_or(1, |s| s.as_str().len());
        }
        if let (Some(version), Ok(value)) = (
            m.kind.resource_version(),
            http::HeaderValue::from_str(accept),
        ) {
            let mut headers = http::HeaderMap::new();
            headers.insert(header::ACCEPT, value);
            n += usize::from(accepts_version_in(&headers, version));
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn admin_routes_refuse_non_loopback_peers() {
        let mock = crate::MockAtlas::builder().start().await.unwrap();
        let outsider: SocketAddr = "192.0.2.10:40000".parse().unwrap();
        for (method, path) in [
            (Method::GET, "/__mock/journal"),
            (Method::GET, "/__mock/stats"),
            (Method::POST, "/__mock/snapshots"),
        ] {
            let r = admin(&mock.shared, outsider, &method, path, b"{}");
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        }
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:40000".parse().unwrap();
        assert_eq!(
            admin(&mock.shared, mapped, &Method::GET, "/__mock/stats", b"").status(),
            StatusCode::OK
        );
        let v6: SocketAddr = "[::1]:40000".parse().unwrap();
        assert_eq!(
            admin(&mock.shared, v6, &Method::GET, "/__mock/journal", b"").status(),
            StatusCode::OK
        );
        assert_eq!(
            admin(&mock.shared, v6, &Method::GET, "/__mock/nothing", b"").status(),
            StatusCode::NOT_FOUND
        );
        mock.shutdown().await;
    }

    #[test]
    fn ipv4_mapped_peers_are_treated_as_ipv4() {
        assert_eq!(
            canonical_ip("::ffff:10.1.2.3".parse().unwrap()),
            "10.1.2.3".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            canonical_ip("2001:db8::1".parse().unwrap()),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn version_dates_resolve_like_atlas() {
        let media = |accept: &str, version: &str| {
            let req = Request::get("/")
                .header(header::ACCEPT, accept)
                .body(())
                .unwrap();
            let (parts, ()) = req.into_parts();
            accepts_version_in(&parts.headers, version)
        };
        assert!(media("application/vnd.atlas.2023-01-01+json", "2023-01-01"));
        assert!(media(
            "application/vnd.atlas.2025-06-30+json;charset=utf-8",
            "2023-01-01"
        ));
        assert!(media(
            "text/html, application/vnd.atlas.2024-11-13+json;q=0.9",
            "2024-11-13"
        ));
        assert!(!media(
            "application/vnd.atlas.2023-01-01+json",
            "2024-11-13"
        ));
        assert!(!media("application/json", "2023-01-01"));
        assert!(!media(
            "application/vnd.atlas.2023-13-01+json",
            "2023-01-01"
        ));
        assert!(!media("*/*", "2023-01-01"));
    }

    #[test]
    fn query_pairs_decode() {
        let p = query_pairs(Some("a=1&b=x%20y&c&&pretty=TRUE&d=a+b"));
        assert_eq!(p[1], ("b".to_owned(), "x y".to_owned()));
        assert_eq!(p[2], ("c".to_owned(), String::new()));
        assert!(flag(&p, "pretty"));
        assert!(!flag(&p, "envelope"));
        assert_eq!(p[4].1, "a b");
    }
}
