//! One request: which surface it is for, its journal entry, and the answer.
//!
//! Surfaces, tried in order:
//!
//! | prefix | what | authentication |
//! |---|---|---|
//! | `/__mock/` | the admin routes ([`crate::admin`]), never journaled | admin token |
//! | `/api/atlas/` | the Atlas API ([`crate::api`]) | digest |
//! | `/noauth/api/atlas/` | the same API without authentication, when enabled (benchmarks) | none |
//! | `/flex-snapshot-downloads/` | the pre-signed download links ([`crate::downloads`]) | the link itself |
//! | `/api/oauth/` | the token and revocation endpoints of service accounts ([`crate::oauth`]) | Basic (client id and secret) |
//!
//! Anything else is a journaled `404 RESOURCE_NOT_FOUND`. A new surface is a module with a
//! `respond` function and one more arm in [`handle`].

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http::header;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::json;

use super::Shared;
use super::query::{self, query_pairs};
use super::reply::{api_error, finish};
use crate::api::{self, ApiRequest, Outcome};
use crate::body::MockBody;
use crate::journal::{JOURNAL_MAX_TARGET, JournalEntry, cut, header_pairs, text};

/// Returned from the service to make hyper drop the connection without an answer.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose by fault injection")]
pub(crate) struct DropConnection;

/// A request body not read yet: it is read only when a step needs it (after authentication),
/// bounded in size and time.
#[derive(Debug)]
pub(crate) struct BodySlot {
    body: Option<Incoming>,
    declared: Option<u64>,
    limit: usize,
    timeout: Duration,
}

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    TooLarge,
    Unreadable,
}

impl BodySlot {
    pub(crate) fn new(body: Incoming, headers: &http::HeaderMap, shared: &Shared) -> Self {
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Self {
            body: Some(body),
            declared,
            limit: shared.limits.max_body_bytes,
            timeout: shared.limits.header_read_timeout,
        }
    }

    /// Reads the whole body (once; a second call gives an empty body).
    pub(crate) async fn read(&mut self) -> Result<Bytes, BodyError> {
        let Some(body) = self.body.take() else {
            return Ok(Bytes::new());
        };
        if self.declared.is_some_and(|n| n > self.limit as u64) {
            return Err(BodyError::TooLarge);
        }
        match tokio::time::timeout(self.timeout, Limited::new(body, self.limit).collect()).await {
            Ok(Ok(c)) => Ok(c.to_bytes()),
            Ok(Err(e))
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                Err(BodyError::TooLarge)
            }
            Ok(Err(_)) | Err(_) => Err(BodyError::Unreadable),
        }
    }

    /// Reads and discards a small body no step read (a request answered before its body was
    /// needed: the digest challenge of a `POST`, an error), so that the connection stays usable
    /// for the client's next request, as Atlas's does. Without it hyper closes the connection
    /// after the answer, and a client that resends on it (the digest retry of Python `requests`)
    /// races the close. Only a declared `Content-Length` up to [`DRAIN_MAX`] is read, within the
    /// body timeout; anything else keeps hyper's close.
    pub(crate) async fn drain_small(&mut self) {
        if self
            .declared
            .is_some_and(|n| n <= DRAIN_MAX && n <= self.limit as u64)
        {
            let _ = self.read().await;
        }
    }
}

/// The largest unread body [`BodySlot::drain_small`] reads to keep a connection alive.
const DRAIN_MAX: u64 = 64 * 1024;

/// The journal entry of a request, before it is answered, and the mock-clock time it arrived at
/// (its `received_at`). Its `auth` summary is left to [`summarize_auth`]: the API surface fills
/// it from its digest verification.
fn entry_for(
    shared: &Shared,
    peer: SocketAddr,
    parts: &http::request::Parts,
) -> (JournalEntry, Duration) {
    let (request_headers, dropped) = header_pairs(parts.headers.iter());
    let arrived = shared.clock.elapsed();
    let entry = JournalEntry {
        seq: shared.journal.next_seq(),
        received_at: shared.clock.at(arrived),
        peer,
        method: cut(parts.method.as_str(), 32),
        path: cut(parts.uri.path(), JOURNAL_MAX_TARGET),
        query: parts.uri.query().map(|q| cut(q, JOURNAL_MAX_TARGET)),
        had_credentials: parts.headers.contains_key(header::AUTHORIZATION),
        auth: None,
        key: None,
        request_headers,
        status: 0,
        enveloped_status: None,
        response_headers: Vec::new(),
        headers_dropped: dropped,
        error: None,
        fault: None,
        auth_deferred: None,
    };
    (entry, arrived)
}

/// Sets `entry.auth` from the request's `Authorization` header, unless a surface already did.
fn summarize_auth(entry: &mut JournalEntry, parts: &http::request::Parts) {
    if !entry.has_auth() {
        entry.auth = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|v| crate::auth::summarize(&text(v.as_bytes())));
    }
}

/// The request handler: routes to a surface, answers, and writes the journal.
pub(crate) async fn handle(
    shared: &Shared,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<hyper::Response<MockBody>, DropConnection> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    if path == "/__mock" || path.starts_with("/__mock/") {
        let body = BodySlot::new(body, &parts.headers, shared);
        return Ok(crate::admin::handle(shared, peer, &parts, body).await);
    }
    shared.clock.on_request();
    let (mut entry, arrived) = entry_for(shared, peer, &parts);
    if path.starts_with(crate::downloads::PREFIX) {
        summarize_auth(&mut entry, &parts);
        return crate::downloads::serve::respond(shared, peer, &parts, entry).await;
    }
    if path.starts_with("/api/oauth/") {
        summarize_auth(&mut entry, &parts);
        let body = BodySlot::new(body, &parts.headers, shared);
        return crate::oauth::respond(shared, peer, &parts, body, entry).await;
    }
    let pairs = query_pairs(parts.uri.query());
    let (flags, flag_error) = query::flags(&pairs);
    let surface = if shared.noauth && path.starts_with("/noauth/api/atlas/") {
        Some((&path["/noauth".len()..], false))
    } else if path.starts_with("/api/atlas/") || path == "/api/atlas" {
        Some((path.as_str(), true))
    } else {
        None
    };
    let Some((api_path, authenticated)) = surface else {
        summarize_auth(&mut entry, &parts);
        let r = api_error(
            404,
            "RESOURCE_NOT_FOUND",
            format!("Cannot find resource {}.", cut(&path, 256)),
            vec![json!(cut(&path, 256))],
        );
        return Ok(finish(shared, r, flags, entry));
    };
    let req = ApiRequest {
        shared,
        peer,
        parts: &parts,
        path: &path,
        api_path,
        authenticated,
        arrived,
        pairs: &pairs,
        flag_error,
        body: BodySlot::new(body, &parts.headers, shared),
    };
    let outcome = api::respond(req, &mut entry).await;
    summarize_auth(&mut entry, &parts);
    match outcome {
        Outcome::Reply(r) => Ok(finish(shared, r, flags, entry)),
        Outcome::Drop => {
            entry.status = 0;
            entry.error = Some("connection dropped".to_owned());
            shared.journal.push(entry);
            Err(DropConnection)
        }
    }
}
