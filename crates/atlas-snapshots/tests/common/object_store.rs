//! A small object store on loopback (hyper): serves one archive under a path, with `Range`,
//! `ETag`, a cut of the first transfer after N bytes, an expired link (403 with S3's XML), and
//! a journal of the headers it received.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// How the store behaves.
#[derive(Debug, Clone, Default)]
pub struct StoreConfig {
    /// Cut the first `n` transfers after this many bytes (of that transfer).
    pub cut_after: Option<usize>,
    pub cuts: usize,
    /// Answer 403 with S3's XML for an expired link.
    pub expired: bool,
    /// Ignore `Range` (always 200 with the whole body).
    pub ignore_range: bool,
}

pub struct ObjectStore {
    pub addr: SocketAddr,
    pub journal: Arc<Mutex<Vec<http::HeaderMap>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ObjectStore {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The deterministic archive of `n` bytes.
pub fn archive(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

type Body = BoxBody<Bytes, std::io::Error>;

fn full(b: impl Into<Bytes>) -> Body {
    http_body_util::Full::new(b.into())
        .map_err(|never| match never {})
        .boxed()
}

impl ObjectStore {
    pub async fn start(data: Vec<u8>, config: StoreConfig) -> ObjectStore {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let journal: Arc<Mutex<Vec<http::HeaderMap>>> = Arc::default();
        let data = Bytes::from(data);
        let state = Arc::new(Mutex::new(config));
        let j = journal.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (data, state, j) = (data.clone(), state.clone(), j.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        j.lock().unwrap().push(req.headers().clone());
                        let reply = answer(&req, &data, &state);
                        async move { Ok::<_, Infallible>(reply) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        ObjectStore {
            addr,
            journal,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!(
            "http://{}/restore/6740a1f2/FlexAWS.tgz?X-Amz-Expires=14400&X-Amz-Signature=s3cr3tsig",
            self.addr
        )
    }

    pub fn requests(&self) -> Vec<http::HeaderMap> {
        self.journal.lock().unwrap().clone()
    }
}

fn answer(req: &Request<Incoming>, data: &Bytes, state: &Mutex<StoreConfig>) -> Response<Body> {
    let mut cfg = state.lock().unwrap();
    if cfg.expired {
        return Response::builder()
            .status(403)
            .header("content-type", "application/xml")
            .body(full(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>14400</X-Amz-Expires><RequestId>R1</RequestId></Error>",
            ))
            .unwrap();
    }
    let total = data.len();
    let start = req
        .headers()
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|_| !cfg.ignore_range);
    let mut builder = Response::builder()
        .header("etag", "\"abc123\"")
        .header("accept-ranges", "bytes");
    let (status, body) = match start {
        Some(s) if s >= total => {
            return builder
                .status(416)
                .header("content-range", format!("bytes */{total}"))
                .body(full(""))
                .unwrap();
        }
        Some(s) => {
            builder = builder.header("content-range", format!("bytes {s}-{}/{total}", total - 1));
            (206, data.slice(s..))
        }
        None => (200, data.clone()),
    };
    builder = builder.status(status).header("content-length", body.len());
    if let (Some(n), true) = (cfg.cut_after, cfg.cuts > 0) {
        cfg.cuts -= 1;
        let part = body.slice(..n.min(body.len()));
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> =
            vec![Ok(Frame::data(part)), Err(std::io::Error::other("cut"))];
        return builder
            .body(BodyExt::boxed(StreamBody::new(futures_util::stream::iter(
                frames,
            ))))
            .unwrap();
    }
    builder.body(full(body)).unwrap()
}
