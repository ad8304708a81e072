//! A scripted OAuth 2.0 authorization server and a bearer-protected API on one loopback server:
//! `POST /oauth/token` (client credentials, Basic client auth), `POST /oauth/revoke`, and every
//! other path checks `Authorization: Bearer` against the live tokens on tokio's clock (paused in
//! the tests that say so).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{Request, Response};
use tokio::sync::watch;
use tokio::time::Instant;

use super::{Handler, handler, response};

pub const CLIENT_ID: &str = "mdb_sa_id_0123456789abcdef01234567";
pub const CLIENT_SECRET: &str = "mdb_sa_sk_super+secret/value==";

#[derive(Default)]
pub struct OAuthState {
    /// Live tokens and their expiry.
    pub tokens: HashMap<String, Instant>,
    /// When each token request arrived (answered or not).
    pub token_requests: Vec<Instant>,
    /// Tokens issued, in order, with their issue time.
    pub issued: Vec<(String, Instant)>,
    /// Answers the token endpoint gives before it issues tokens again.
    pub scripted: VecDeque<Response<Bytes>>,
    /// Revoked tokens.
    pub revoked: Vec<String>,
    /// API requests that carried an expired token.
    pub expired_uses: usize,
    /// API requests per token.
    pub uses: HashMap<String, usize>,
    /// Every Authorization value the server received on the API (to prove what was sent).
    pub api_401s: usize,
}

#[derive(Clone)]
pub struct OAuthApp {
    pub state: Arc<Mutex<OAuthState>>,
    pub lifetime: Arc<Mutex<Option<u64>>>,
    /// While false, token requests wait (a server-side gate: what is in flight).
    gate: watch::Sender<bool>,
    in_flight: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
    /// Every API request is refused (a revoked account, say).
    pub refuse_all: Arc<AtomicBool>,
}

impl OAuthApp {
    pub fn new(lifetime: Option<u64>) -> OAuthApp {
        OAuthApp {
            state: Arc::default(),
            lifetime: Arc::new(Mutex::new(lifetime)),
            gate: watch::channel(true).0,
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
            refuse_all: Arc::default(),
        }
    }

    pub fn close_gate(&self) {
        self.gate.send_replace(false);
    }

    pub fn open_gate(&self) {
        self.gate.send_replace(true);
    }

    /// Token requests waiting at the gate or being answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> usize {
        self.state.lock().unwrap().token_requests.len()
    }

    /// Forgets every live token (the server lost them): the next use is refused.
    pub fn forget_tokens(&self) {
        self.state.lock().unwrap().tokens.clear();
    }

    pub fn script(&self, r: Response<Bytes>) {
        self.state.lock().unwrap().scripted.push_back(r);
    }

    pub fn handler(&self) -> Handler {
        let app = self.clone();
        handler(move |req| {
            let app = app.clone();
            async move { app.serve(req).await }
        })
    }

    async fn serve(&self, req: Request<Bytes>) -> Response<Bytes> {
        match req.uri().path() {
            "/oauth/token" => self.token(req).await,
            "/oauth/revoke" => self.revoke(req),
            _ => self.api(req),
        }
    }

    fn client_ok(req: &Request<Bytes>) -> bool {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                form(CLIENT_ID),
                form(CLIENT_SECRET)
            ))
        );
        req.headers()
            .get("authorization")
            .is_some_and(|v| v.as_bytes() == expected.as_bytes())
    }

    async fn token(&self, req: Request<Bytes>) -> Response<Bytes> {
        self.state
            .lock()
            .unwrap()
            .token_requests
            .push(Instant::now());
        let now_in = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now_in, Ordering::SeqCst);
        let mut gate = self.gate.subscribe();
        let _ = gate.wait_for(|open| *open).await;
        let r = self.answer_token(&req);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        r
    }

    fn answer_token(&self, req: &Request<Bytes>) -> Response<Bytes> {
        let form_ok = req.method() == http::Method::POST
            && req.headers().get("content-type").map(|v| v.as_bytes())
                == Some(b"application/x-www-form-urlencoded")
            && req.body().as_ref() == b"grant_type=client_credentials";
        if !form_ok {
            return json(400, r#"{"error":"invalid_request"}"#);
        }
        if !Self::client_ok(req) {
            return json(
                401,
                r#"{"error":"invalid_client","error_description":"bad client"}"#,
            );
        }
        let mut st = self.state.lock().unwrap();
        if let Some(r) = st.scripted.pop_front() {
            return r;
        }
        let n = st.issued.len() + 1;
        let token = format!("eyJ.tok-{n}.sig");
        let now = Instant::now();
        let lifetime = *self.lifetime.lock().unwrap();
        let expiry = now + Duration::from_secs(lifetime.unwrap_or(1_000_000));
        st.tokens.insert(token.clone(), expiry);
        st.issued.push((token.clone(), now));
        let body = match lifetime {
            Some(l) => {
                format!(r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":{l}}}"#)
            }
            None => format!(r#"{{"access_token":"{token}","token_type":"Bearer"}}"#),
        };
        json(200, &body)
    }

    fn revoke(&self, req: Request<Bytes>) -> Response<Bytes> {
        if !Self::client_ok(&req) {
            return json(401, r#"{"error":"invalid_client"}"#);
        }
        let body = String::from_utf8_lossy(req.body()).into_owned();
        let Some(token) = body
            .split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .map(unform)
        else {
            return json(400, r#"{"error":"invalid_request"}"#);
        };
        if !body.contains("token_type_hint=access_token") {
            return json(400, r#"{"error":"invalid_request"}"#);
        }
        let mut st = self.state.lock().unwrap();
        st.tokens.remove(&token);
        st.revoked.push(token);
        response(200, "")
    }

    fn api(&self, req: Request<Bytes>) -> Response<Bytes> {
        let token = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let mut st = self.state.lock().unwrap();
        let refused = || {
            let mut r = json(
                401,
                r#"{"error":401,"errorCode":"NOT_AUTHORIZED","reason":"Unauthorized"}"#,
            );
            r.headers_mut().insert(
                "www-authenticate",
                "Bearer error=\"invalid_token\"".parse().unwrap(),
            );
            r
        };
        let Some(token) = token else {
            st.api_401s += 1;
            return refused();
        };
        *st.uses.entry(token.clone()).or_default() += 1;
        if self.refuse_all.load(Ordering::SeqCst) {
            st.api_401s += 1;
            return refused();
        }
        match st.tokens.get(&token) {
            Some(exp) if Instant::now() < *exp => response(200, "ok"),
            Some(_) => {
                st.expired_uses += 1;
                st.api_401s += 1;
                refused()
            }
            None => {
                st.api_401s += 1;
                refused()
            }
        }
    }
}

pub fn json(status: u16, body: &str) -> Response<Bytes> {
    let mut r = response(status, body.to_owned());
    r.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    r
}

fn form(s: &str) -> String {
    let mut out = String::new();
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

fn unform(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
