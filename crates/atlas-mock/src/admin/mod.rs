//! The admin routes under `/__mock/`: what a test drives the mock with, from any language.
//!
//! # Who may call them
//!
//! Every admin request must come from a loopback peer, carry no `Origin` header (a web page in a
//! local browser always sends one), name the mock itself in `Host` (the listen address, or
//! `localhost`/`127.0.0.1`/`[::1]` with its port: a DNS-rebinding page names its own host), and carry
//! the per-run admin token as `Authorization: Bearer TOKEN` (or `X-Mock-Admin-Token: TOKEN`).
//! Requests with a body need `Content-Type: application/json` (a cross-site form cannot send it
//! without a preflight). `GET /__mock/stats` (counters only) needs no token; the other checks apply.
//! Admin requests are not journaled and do not move a stepped clock.
//!
//! # Routes
//!
//! | method and path | what |
//! |---|---|
//! | `GET /__mock/journal[?since=SEQ]` | the journal (entries with `seq > SEQ`), streamed as a JSON array |
//! | `DELETE /__mock/journal` | forget every entry (sequence numbers go on) |
//! | `GET /__mock/stats` | [`crate::MockStats`] |
//! | `GET /__mock/clock`, `PUT /__mock/clock` `{"mode": "manual"}` | the mock clock, its mode |
//! | `POST /__mock/clock/advance` `{"ms": N}` or `{"seconds": N}` | move the clock forward |
//! | `GET`, `PUT`, `DELETE /__mock/faults` | the fault plan ([`crate::FaultPlan`] JSON) and its counters |
//! | `GET`, `PUT /__mock/sunset` `{"sunset": true}` | the sunset switch |
//! | `GET /__mock/data` | the data set, in the data-file form |
//! | `POST /__mock/groups` `{"id"?}` | a group (id chosen by the server when absent) |
//! | `POST /__mock/groups/{g}/clusters` `{"name"?, "kind"?}` | a cluster (`Cluster0`, ... when unnamed) |
//! | `POST /__mock/groups/{g}/clusters/{c}/snapshots` `{...snapshot, "lifecycle"?}` | a snapshot (id chosen when absent; a lifecycle counts from creation unless it says `"anchor": "serverStart"`) |
//! | `POST /__mock/snapshots` `{"groupId", "clusterName", "snapshot", "lifecycle"?}` | the same, older form |
//! | `POST /__mock/groups/{g}/clusters/{c}/restoreJobs` `{...job}` | a restore or download job of a flex cluster (data-file form; id chosen when absent; a lifecycle counts from creation) |
//! | `GET /__mock/serviceAccounts` | service accounts (client id and secret, groups, roles) with their live tokens |
//! | `POST /__mock/serviceAccounts` `{"clientId"?, "clientSecret"?, "groups"?, "roles"?, "ipAccessList"?}` | a service account (id and secret generated when absent) |
//! | `DELETE /__mock/serviceAccounts/{clientId}/tokens` | revoke every token of the account (its next request answers `401`) |
//! | `GET /__mock/downloads` | the download links handed out, with per-link counters (requests, bytes sent, completed and cut transfers) |
//! | `GET /__mock/downloads/{restoreJobId}` | one link, with the SHA-256 of its archive (computed: about two seconds per GiB) |
//!
//! Answers are JSON (Atlas's pretty style); errors are `ApiError` bodies with `X-Error-Code`.

mod control;
pub(crate) mod data;
mod downloads;
mod journal;
mod oauth;

use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::access::canonical_ip;
use crate::body::MockBody;
use crate::render;
use crate::server::Shared;
use crate::server::handler::{BodyError, BodySlot};
use crate::server::reply::{JSON, Reply, ReplyBody, X_ERROR_CODE, api_error};

/// Header that may carry the admin token instead of `Authorization: Bearer`.
const TOKEN_HEADER: &str = "x-mock-admin-token";

/// An admin answer: a [`Reply`], or a streamed body (the journal).
pub(crate) enum AdminAnswer {
    Reply(Reply),
    Stream(MockBody),
}

impl From<Reply> for AdminAnswer {
    fn from(r: Reply) -> Self {
        AdminAnswer::Reply(r)
    }
}

fn refused(status: u16, code: &str, detail: impl Into<String>) -> Box<Reply> {
    Box::new(api_error(status, code, detail, vec![]))
}

/// Constant-time comparison of the token.
fn same_token(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn token_of(parts: &http::request::Parts) -> Option<&str> {
    if let Some(t) = parts
        .headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return Some(t.trim());
    }
    let a = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = a.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// The checks of the module documentation; `Err` is the refusal.
fn guard(
    shared: &Shared,
    peer: SocketAddr,
    parts: &http::request::Parts,
    path: &str,
) -> Result<(), Box<Reply>> {
    if !canonical_ip(peer.ip()).is_loopback() {
        return Err(refused(
            403,
            "ADMIN_LOOPBACK_ONLY",
            "The mock's admin routes answer loopback peers only.",
        ));
    }
    if parts.headers.contains_key(header::ORIGIN) {
        return Err(refused(
            403,
            "ADMIN_ORIGIN_REFUSED",
            "The mock's admin routes refuse requests that carry an Origin header (requests from web pages).",
        ));
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let own = shared.own_authorities();
    if !host.is_some_and(|h| own.iter().any(|o| o.eq_ignore_ascii_case(h.trim()))) {
        return Err(refused(
            403,
            "ADMIN_HOST_REFUSED",
            format!(
                "The mock's admin routes answer requests for {} only, not for Host {:?}.",
                own.join(", "),
                crate::journal::cut(host.unwrap_or(""), 128)
            ),
        ));
    }
    let exempt = parts.method == Method::GET && path == "/__mock/stats";
    if !exempt && !token_of(parts).is_some_and(|t| same_token(t, &shared.admin_token)) {
        return Err(refused(
            401,
            "ADMIN_TOKEN_REQUIRED",
            "The mock's admin routes need the admin token printed at start (and in the ready file): send Authorization: Bearer TOKEN.",
        ));
    }
    if matches!(parts.method, Method::POST | Method::PUT | Method::PATCH) {
        let json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(refused(
                415,
                "ADMIN_JSON_REQUIRED",
                "The mock's admin routes take Content-Type: application/json.",
            ));
        }
    }
    Ok(())
}

/// Parses a JSON request body (an empty body is `{}`).
pub(crate) fn json_body(body: &[u8]) -> Result<Value, Box<Reply>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| {
        Box::new(api_error(
            400,
            "INVALID_JSON",
            format!("Invalid request body: {e}."),
            vec![],
        ))
    })
}

/// An admin `400` for a bad request (data or settings).
pub(crate) fn bad_request(code: &str, e: impl std::fmt::Display) -> Box<Reply> {
    Box::new(api_error(400, code, e.to_string(), vec![]))
}

/// Handles one admin request.
pub(crate) async fn handle(
    shared: &Shared,
    peer: SocketAddr,
    parts: &http::request::Parts,
    mut body: BodySlot,
) -> Response<MockBody> {
    let path = parts.uri.path();
    let answer = match guard(shared, peer, parts, path) {
        Err(r) => (*r).into(),
        Ok(()) => match body.read().await {
            Err(BodyError::TooLarge) => (*refused(
                400,
                "INVALID_REQUEST_BODY",
                format!(
                    "The request body is larger than {} bytes.",
                    shared.limits.max_body_bytes
                ),
            ))
            .into(),
            Err(BodyError::Unreadable) => (*refused(
                400,
                "INVALID_REQUEST_BODY",
                "The request body could not be read.",
            ))
            .into(),
            Ok(bytes) => route(shared, parts, path, &bytes).await,
        },
    };
    render_answer(answer)
}

/// `scheme://host` as the admin client addressed the mock (for the URLs it is shown).
fn base_of(shared: &Shared, parts: &http::request::Parts) -> String {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| crate::server::shown_authority(shared.addr));
    format!("{}://{host}", shared.scheme)
}

async fn route(
    shared: &Shared,
    parts: &http::request::Parts,
    path: &str,
    body: &Bytes,
) -> AdminAnswer {
    let m = &parts.method;
    let segs: Vec<&str> = path
        .trim_start_matches("/__mock")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let r: Result<Reply, Box<Reply>> = match (m.as_str(), segs.as_slice()) {
        ("GET", ["journal"]) => return journal::stream(shared, parts.uri.query()),
        ("DELETE", ["journal"]) => Ok(ok(json!({"removed": shared.journal.clear()}))),
        ("GET", ["stats"]) => Ok(ok(
            serde_json::to_value(crate::stats(shared)).unwrap_or_default()
        )),
        ("GET", ["clock"]) => Ok(ok(control::clock_json(shared))),
        ("PUT", ["clock"]) => control::set_clock(shared, body),
        ("POST", ["clock", "advance"]) => control::advance(shared, body),
        ("GET", ["faults"]) => Ok(ok(control::faults_json(shared))),
        ("PUT", ["faults"]) => control::set_faults(shared, body),
        ("DELETE", ["faults"]) => {
            shared.set_faults(crate::faults::FaultState::new(Default::default()));
            Ok(ok(control::faults_json(shared)))
        }
        ("GET", ["sunset"]) => Ok(ok(json!({"sunset": shared.sunset()}))),
        ("PUT", ["sunset"]) => control::set_sunset(shared, body),
        ("GET", ["data"]) => Ok(ok(shared
            .data
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .to_json())),
        ("POST", ["groups"]) => data::create_group(shared, body),
        ("POST", ["groups", g, "clusters"]) => data::create_cluster(shared, g, body),
        ("POST", ["groups", g, "clusters", c, "snapshots"]) => {
            data::create_snapshot(shared, g, c, body)
        }
        ("POST", ["snapshots"]) => data::create_snapshot_legacy(shared, body),
        ("POST", ["groups", g, "clusters", c, "restoreJobs"]) => {
            data::create_restore_job(shared, &base_of(shared, parts), g, c, body)
        }
        ("GET", ["serviceAccounts"]) => Ok(oauth::list(shared)),
        ("POST", ["serviceAccounts"]) => oauth::create(shared, body),
        ("DELETE", ["serviceAccounts", id, "tokens"]) => Ok(oauth::revoke_all(shared, id)),
        ("GET", ["downloads"]) => Ok(downloads::list(shared, &base_of(shared, parts))),
        ("GET", ["downloads", job]) => downloads::one(shared, &base_of(shared, parts), job).await,
        _ => Err(Box::new(api_error(
            404,
            "RESOURCE_NOT_FOUND",
            format!(
                "Cannot find admin resource {} {}.",
                m,
                crate::journal::cut(path, 256)
            ),
            vec![json!(crate::journal::cut(path, 256))],
        ))),
    };
    r.unwrap_or_else(|e| *e).into()
}

/// A `200` with a JSON body.
pub(crate) fn ok(v: Value) -> Reply {
    Reply::json(StatusCode::OK, JSON, v)
}

/// A `201` with a JSON body.
pub(crate) fn created(v: Value) -> Reply {
    Reply::json(StatusCode::CREATED, JSON, v)
}

fn render_answer(a: AdminAnswer) -> Response<MockBody> {
    let (status, error_code, body) = match a {
        AdminAnswer::Stream(body) => (StatusCode::OK, None, body),
        AdminAnswer::Reply(r) => {
            let bytes: Bytes = match r.body {
                ReplyBody::Json(v) => render::to_bytes(v, true).into(),
                ReplyBody::Raw(b) => b,
            };
            (r.status, r.error_code, MockBody::full(bytes))
        }
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = error_code.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(X_ERROR_CODE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: Method, path: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut b = http::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[tokio::test]
    async fn the_guard_refuses_what_a_web_page_can_send() {
        let mock = crate::MockAtlas::builder().start().await.unwrap();
        let shared = &mock.shared;
        let host = crate::server::shown_authority(mock.addr());
        let token = format!("Bearer {}", mock.admin_token());
        let lo: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let code = |peer: SocketAddr, p: http::request::Parts| {
            guard(shared, peer, &p, p.uri.path())
                .err()
                .and_then(|r| r.error_code)
        };
        let json_post = |extra: &[(&str, &str)]| {
            let mut h = vec![
                ("host", host.as_str()),
                ("authorization", token.as_str()),
                ("content-type", "application/json"),
            ];
            h.extend_from_slice(extra);
            parts(Method::POST, "/__mock/groups", &h)
        };
        assert_eq!(code(lo, json_post(&[])), None);
        // A page at evil.example posting text/plain with its own Origin and Host.
        let evil = parts(
            Method::POST,
            "/__mock/snapshots",
            &[
                ("host", "evil.example:8080"),
                ("origin", "http://evil.example"),
                ("content-type", "text/plain"),
            ],
        );
        assert_eq!(code(lo, evil).as_deref(), Some("ADMIN_ORIGIN_REFUSED"));
        assert_eq!(
            code(lo, json_post(&[("origin", "http://evil.example")])).as_deref(),
            Some("ADMIN_ORIGIN_REFUSED")
        );
        let rebinding = parts(
            Method::GET,
            "/__mock/journal",
            &[("host", "evil.example"), ("authorization", &token)],
        );
        assert_eq!(code(lo, rebinding).as_deref(), Some("ADMIN_HOST_REFUSED"));
        let no_token = parts(Method::GET, "/__mock/journal", &[("host", &host)]);
        assert_eq!(code(lo, no_token).as_deref(), Some("ADMIN_TOKEN_REQUIRED"));
        let wrong_token = parts(
            Method::GET,
            "/__mock/journal",
            &[("host", &host), ("authorization", "Bearer nope")],
        );
        assert_eq!(
            code(lo, wrong_token).as_deref(),
            Some("ADMIN_TOKEN_REQUIRED")
        );
        let text = parts(
            Method::POST,
            "/__mock/groups",
            &[
                ("host", &host),
                ("authorization", &token),
                ("content-type", "text/plain"),
            ],
        );
        assert_eq!(code(lo, text).as_deref(), Some("ADMIN_JSON_REQUIRED"));
        let outsider: SocketAddr = "192.0.2.10:40000".parse().unwrap();
        assert_eq!(
            code(outsider, json_post(&[])).as_deref(),
            Some("ADMIN_LOOPBACK_ONLY")
        );
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:40000".parse().unwrap();
        assert_eq!(code(mapped, json_post(&[])), None);
        // Stats need no token, but the Origin and Host checks still apply.
        let stats = parts(Method::GET, "/__mock/stats", &[("host", &host)]);
        assert_eq!(code(lo, stats), None);
        let stats_by_page = parts(
            Method::GET,
            "/__mock/stats",
            &[("host", &host), ("origin", "http://evil.example")],
        );
        assert!(code(lo, stats_by_page).is_some());
        // The token also works in its own header.
        let alt = parts(
            Method::GET,
            "/__mock/journal",
            &[("host", &host), ("x-mock-admin-token", mock.admin_token())],
        );
        assert_eq!(code(lo, alt), None);
        mock.shutdown().await;
    }
}
