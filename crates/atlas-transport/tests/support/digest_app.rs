//! The digest-protected application used by the tests.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use atlas_digest::Stale;
use bytes::Bytes;
use http::{Request, Response};
use tokio::sync::watch;

use super::{Handler, handler, response};

// ---------------------------------------------------------------------------------------------
// Digest application

/// What the digest application saw for one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub status: u16,
    /// Why verification failed, if it did.
    pub verify_error: Option<String>,
}

impl Seen {
    /// The `nc` parameter of the Authorization header, if any.
    pub fn nc(&self) -> Option<String> {
        param(self.authorization.as_deref()?, "nc")
    }

    /// The nc as a number.
    pub fn nc_value(&self) -> Option<u32> {
        u32::from_str_radix(&self.nc()?, 16).ok()
    }

    /// The `nonce` parameter of the Authorization header, if any.
    pub fn nonce(&self) -> Option<String> {
        param(self.authorization.as_deref()?, "nonce")
    }
}

/// Reads an unquoted or quoted parameter from a digest header value.
pub fn param(header: &str, name: &str) -> Option<String> {
    let rest = header.strip_prefix("Digest").unwrap_or(header);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        if k.trim().eq_ignore_ascii_case(name) {
            return Some(v.trim().trim_matches('"').to_owned());
        }
    }
    None
}

/// A digest-protected JSON application in front of `atlas_digest::DigestServer`.
///
/// `GET /ok` (or any path) answers 200 with `{"ok":true,"path":...}` and `Authentication-Info`
/// once the digest verifies; otherwise 401 with the challenges and an Atlas ApiError body.
/// [`DigestApp::advance`] moves the application's clock forward, which makes nonces stale.
///
/// The gate makes concurrency tests deterministic: while it is closed, every arriving request is
/// held before it is verified ([`DigestApp::held`] counts them and can be awaited), so a test can
/// know exactly which requests are in flight, change the clock, and let them go.
pub struct DigestApp {
    server: atlas_digest::DigestServer,
    store: atlas_digest::InMemoryCredentials,
    offset_secs: AtomicU64,
    seen: Mutex<Vec<Seen>>,
    /// Replace the `rspauth` of the `Authentication-Info` header (to test verification).
    pub tamper_rspauth: AtomicBool,
    /// Answer this many further requests with valid credentials by 401 anyway (as a server does
    /// for an nc outside its replay window).
    pub force_401: std::sync::atomic::AtomicUsize,
    /// `true` while requests are held on arrival.
    gate: watch::Sender<bool>,
    /// Requests held at the gate so far (every one ever, not only those held now).
    held: watch::Sender<usize>,
}

impl DigestApp {
    pub fn new(username: &str, password: &str) -> Arc<DigestApp> {
        Self::with_config(
            username,
            password,
            atlas_digest::ServerConfig::new("MMS Public API"),
        )
    }

    /// An application with an explicit server configuration.
    pub fn with_config(
        username: &str,
        password: &str,
        config: atlas_digest::ServerConfig,
    ) -> Arc<DigestApp> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).expect("random");
        let mut store = atlas_digest::InMemoryCredentials::new();
        store.insert(username, password);
        Arc::new(DigestApp {
            server: atlas_digest::DigestServer::new(config, secret),
            store,
            offset_secs: AtomicU64::new(0),
            seen: Mutex::new(Vec::new()),
            tamper_rspauth: AtomicBool::new(false),
            force_401: std::sync::atomic::AtomicUsize::new(0),
            gate: watch::Sender::new(false),
            held: watch::Sender::new(0),
        })
    }

    /// From now on, hold arriving requests until [`DigestApp::open_gate`].
    pub fn close_gate(&self) {
        self.gate.send_replace(true);
    }

    /// Lets every held request (and every later one) through.
    pub fn open_gate(&self) {
        self.gate.send_replace(false);
    }

    /// Waits until `n` requests in all have been held at the gate (no polling: a watch channel).
    pub async fn held(&self, n: usize) {
        let mut rx = self.held.subscribe();
        let _ = rx.wait_for(|h| *h >= n).await;
    }

    /// Requests held at the gate so far.
    pub fn held_now(&self) -> usize {
        *self.held.borrow()
    }

    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.offset_secs.load(Ordering::SeqCst))
    }

    /// Moves the application clock forward by `secs`.
    pub fn advance(&self, secs: u64) {
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    pub fn unauthorized_count(&self) -> usize {
        self.seen().iter().filter(|s| s.status == 401).count()
    }

    pub fn handler(self: &Arc<Self>) -> Handler {
        let app = self.clone();
        handler(move |req| {
            let app = app.clone();
            async move {
                let mut gate = app.gate.subscribe();
                if *gate.borrow_and_update() {
                    app.held.send_modify(|h| *h += 1);
                    let _ = gate.wait_for(|closed| !*closed).await;
                }
                app.handle(req)
            }
        })
    }

    fn handle(&self, req: Request<Bytes>) -> Response<Bytes> {
        let target = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let authorization = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let now = self.now();
        let facts =
            atlas_digest::RequestFacts::new(req.method().as_str(), &target).with_body(req.body());
        let outcome = authorization
            .as_deref()
            .map(|a| self.server.verify(a, &facts, now, &self.store));
        let outcome = match outcome {
            Some(Ok(_))
                if self
                    .force_401
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok() =>
            {
                Some(Err(atlas_digest::VerifyError::Replay))
            }
            other => other,
        };
        let verify_error = match &outcome {
            Some(Err(e)) => Some(format!("{e:?}")),
            _ => None,
        };
        let resp = match outcome {
            // Valid credentials of a key without the role for this path: Atlas's answer, a 401
            // with no challenge.
            Some(Ok(_)) if req.uri().path().starts_with("/no-role") => response(
                401,
                r#"{"detail":"Current user is not authorized to perform this action.","error":401,"errorCode":"USER_UNAUTHORIZED","parameters":[],"reason":"Unauthorized"}"#,
            ),
            Some(Ok(verified)) => {
                let body = format!(
                    r#"{{"ok":true,"path":"{}","user":"{}"}}"#,
                    req.uri().path(),
                    verified.username
                );
                let mut r = response(200, body);
                let mut info = verified.authentication_info();
                if self.tamper_rspauth.load(Ordering::SeqCst) {
                    info = tamper(&info);
                }
                r.headers_mut()
                    .insert("authentication-info", info.parse().expect("header"));
                r.headers_mut()
                    .insert("content-type", "application/json".parse().expect("header"));
                r
            }
            other => {
                let stale = match &other {
                    Some(Err(e)) => e.stale(),
                    _ => Stale::False,
                };
                let mut r = response(
                    401,
                    r#"{"detail":"You are not authorized for this resource.","error":401,"errorCode":"NOT_ATLAS_ADMIN","parameters":[],"reason":"Unauthorized"}"#,
                );
                for c in self.server.challenges(now, stale) {
                    r.headers_mut()
                        .append(http::header::WWW_AUTHENTICATE, c.parse().expect("header"));
                }
                r
            }
        };
        self.seen.lock().expect("lock").push(Seen {
            method: req.method().to_string(),
            path: target,
            authorization,
            status: resp.status().as_u16(),
            verify_error,
        });
        resp
    }
}

/// Flips the first hex digit of `rspauth` in an Authentication-Info value.
fn tamper(info: &str) -> String {
    let Some(at) = info.find("rspauth=\"") else {
        return info.to_owned();
    };
    let i = at + "rspauth=\"".len();
    let mut out = info.to_owned();
    let c = &info[i..=i];
    out.replace_range(i..=i, if c == "0" { "1" } else { "0" });
    out
}
