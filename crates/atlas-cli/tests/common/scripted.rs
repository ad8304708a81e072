//! A small real HTTP server on loopback (hyper) that answers from a script: for the odd
//! servers the mock does not play (pages that lie, entries of an unexpected shape, 429 and 5xx
//! sequences, redirects, huge bodies). It asks for no authentication, so the client's first
//! request (sent without credentials, as digest clients do) is answered directly.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// 0 for the first request, 1 for the next ...
    pub n: usize,
    pub path: String,
    pub query: Option<String>,
    /// The `Host` header.
    pub host: String,
    pub had_credentials: bool,
    pub method: String,
    /// The `Range` header.
    pub range: Option<String>,
    /// The `Accept` header.
    pub accept: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The request body.
    pub body: Vec<u8>,
}

impl Seen {
    /// The value of `name` in the query string.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then_some(v)
        })
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send only this many bytes of the body, then break the connection.
    pub cut_after: Option<usize>,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into().into_bytes(),
            cut_after: None,
        }
    }

    /// Bytes, with a status (an archive, an XML error).
    pub fn bytes(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: vec![],
            body,
            cut_after: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

type Script = dyn Fn(&Seen) -> Reply + Send + Sync;

/// The running server; stops when dropped.
pub struct Scripted {
    addr: SocketAddr,
    journal: Arc<Mutex<Vec<Seen>>>,
    _rt: tokio::runtime::Runtime,
}

impl Scripted {
    /// Serves `script` on `127.0.0.1:0`.
    pub fn start(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Scripted {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let journal = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let counter = Arc::new(AtomicUsize::new(0));
        let j = journal.clone();
        rt.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (script, journal, counter) = (script.clone(), j.clone(), counter.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let (script, journal, counter) =
                            (script.clone(), journal.clone(), counter.clone());
                        async move {
                            let header = |name: &str| {
                                req.headers()
                                    .get(name)
                                    .and_then(|h| h.to_str().ok())
                                    .map(str::to_owned)
                            };
                            let mut seen = Seen {
                                n: counter.fetch_add(1, Ordering::SeqCst),
                                path: req.uri().path().to_owned(),
                                query: req.uri().query().map(str::to_owned),
                                host: header("host").unwrap_or_default(),
                                had_credentials: req.headers().contains_key("authorization"),
                                method: req.method().to_string(),
                                range: header("range"),
                                accept: header("accept"),
                                content_type: header("content-type"),
                                body: Vec::new(),
                            };
                            seen.body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes().to_vec())
                                .unwrap_or_default();
                            journal.lock().unwrap().push(seen.clone());
                            let reply = script(&seen);
                            let mut r = Response::builder().status(reply.status);
                            for (k, v) in &reply.headers {
                                r = r.header(k, v);
                            }
                            let body: BoxBody<Bytes, std::io::Error> = match reply.cut_after {
                                None => Full::new(Bytes::from(reply.body))
                                    .map_err(|never| match never {})
                                    .boxed(),
                                Some(n) => {
                                    r = r.header("content-length", reply.body.len());
                                    let part = Bytes::from(reply.body).slice(..n);
                                    let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
                                        Ok(Frame::data(part)),
                                        Err(std::io::Error::other("cut")),
                                    ];
                                    StreamBody::new(futures_util::stream::iter(frames)).boxed()
                                }
                            };
                            Ok::<_, Infallible>(r.body(body).unwrap())
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Scripted {
            addr,
            journal,
            _rt: rt,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.journal.lock().unwrap().clone()
    }

    /// The binary pointed at this server, with keys and a project id in the environment.
    pub fn cmd(&self, config_home: &std::path::Path) -> assert_cmd::Command {
        let mut c = super::bare_cmd(config_home);
        c.env("MONGODB_ATLAS_BASE_URL", self.base_url())
            .env("MONGODB_ATLAS_PUBLIC_API_KEY", "scriptedpub")
            .env("MONGODB_ATLAS_PRIVATE_API_KEY", "scriptedpriv")
            .env("MONGODB_ATLAS_PROJECT_ID", super::seed::GROUP_ID);
        c
    }
}
