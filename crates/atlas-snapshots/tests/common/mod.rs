//! An in-memory [`Executor`]: records every request and answers from a script.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlas_snapshots::{AtlasClient, ClusterName, GroupId, SnapshotId};
use atlas_transport::Executor;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

pub type Answer = Result<Response<Bytes>, atlas_transport::Error>;
type Responder = Box<dyn Fn(&Request<Bytes>) -> (Duration, Answer) + Send + Sync>;

/// One request as the executor saw it, with the (virtual) time it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: http::Method,
    pub uri: http::Uri,
    pub accept: Option<String>,
    pub content_type: Option<String>,
    pub body: Bytes,
    pub at: tokio::time::Instant,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.uri.path()
    }
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }
}

/// Answers from a queue (one answer per request, in order) or, when the queue is empty, from a
/// function of the request; with neither, the request fails with a transport error.
#[derive(Default)]
pub struct Memory {
    seen: Mutex<Vec<Seen>>,
    queue: Mutex<VecDeque<Answer>>,
    responder: Option<Responder>,
}

impl fmt::Debug for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Memory")
            .field("seen", &self.seen.lock().unwrap().len())
            .finish_non_exhaustive()
    }
}

impl Memory {
    pub fn queue(answers: impl IntoIterator<Item = Answer>) -> Arc<Self> {
        Arc::new(Memory {
            queue: Mutex::new(answers.into_iter().collect()),
            ..Memory::default()
        })
    }

    pub fn with(f: impl Fn(&Request<Bytes>) -> Answer + Send + Sync + 'static) -> Arc<Self> {
        Memory::slow(move |r| (Duration::ZERO, f(r)))
    }

    /// Like [`Memory::with`], each answer after the given (tokio) time: a slow server.
    pub fn slow(
        f: impl Fn(&Request<Bytes>) -> (Duration, Answer) + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Memory {
            responder: Some(Box::new(f)),
            ..Memory::default()
        })
    }

    pub fn always(status: u16, body: &'static str) -> Arc<Self> {
        Memory::with(move |_| Ok(response(status, body)))
    }

    pub fn always_owned(status: u16, body: String) -> Arc<Self> {
        Memory::with(move |_| Ok(response(status, &body)))
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn last(&self) -> Seen {
        self.seen().pop().expect("no request was sent")
    }
}

impl Executor for Memory {
    fn execute(
        &self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Answer> + Send + '_>> {
        self.seen.lock().unwrap().push(Seen {
            method: request.method().clone(),
            uri: request.uri().clone(),
            accept: request
                .headers()
                .get(http::header::ACCEPT)
                .map(|v| v.to_str().unwrap().to_owned()),
            content_type: request
                .headers()
                .get(http::header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_owned()),
            body: request.body().clone(),
            at: tokio::time::Instant::now(),
        });
        let queued = self.queue.lock().unwrap().pop_front();
        let (delay, answer) = match queued {
            Some(a) => (Duration::ZERO, a),
            None => match &self.responder {
                Some(f) => f(&request),
                None => (
                    Duration::ZERO,
                    Err(atlas_transport::Error::Other {
                        url: Some(request.uri().to_string()),
                        message: "the in-memory executor has no answer left".into(),
                    }),
                ),
            },
        };
        Box::pin(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            answer
        })
    }
}

pub fn response(status: u16, body: &str) -> Response<Bytes> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

pub fn response_with(status: u16, body: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    let mut r = response(status, body);
    for (k, v) in headers {
        r.headers_mut().insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    r
}

pub fn client(executor: Arc<Memory>) -> AtlasClient {
    AtlasClient::builder()
        .base_url("https://cloud.mongodb.com")
        .executor(executor)
        .build()
        .unwrap()
}

pub const GROUP: &str = "5b69d0349b15c62cdfc38b78";
pub const CLUSTER: &str = "M2AWS";
pub const SNAPSHOT: &str = "5cc310ace5dc7ce369814bc8";

pub fn ids() -> (GroupId, ClusterName, SnapshotId) {
    (
        GROUP.parse().unwrap(),
        CLUSTER.parse().unwrap(),
        SNAPSHOT.parse().unwrap(),
    )
}

pub mod object_store;

pub mod fixtures {
    pub const SEED_V1: &str = include_str!("../../../atlas-model/tests/fixtures/seed_v1.json");
    pub const FLEX: &str = include_str!("../../../atlas-model/tests/fixtures/v2_flex_links.json");
    pub const PAGE_1: &str = include_str!("../../../atlas-model/tests/fixtures/page_1.json");
    pub const ENVELOPE_OK: &str =
        include_str!("../../../atlas-model/tests/fixtures/envelope_ok.json");
    pub const ENVELOPE_404: &str =
        include_str!("../../../atlas-model/tests/fixtures/envelope_404.json");
    pub const E400: &str =
        include_str!("../../../atlas-model/tests/fixtures/error_400_bad_request.json");
    pub const E401: &str =
        include_str!("../../../atlas-model/tests/fixtures/error_401_no_code.json");
    pub const E404_GROUP: &str = include_str!("../../../atlas-model/tests/fixtures/error_404.json");
    pub const E410: &str =
        include_str!("../../../atlas-model/tests/fixtures/error_410_version_gone.json");
    pub const E429: &str =
        include_str!("../../../atlas-model/tests/fixtures/error_429_params.json");
    pub const E503_HTML: &str = include_str!("../../../atlas-model/tests/fixtures/error_503.html");
}

/// A snapshot body with `status`.
pub fn snapshot_body(status: &str) -> String {
    format!(r#"{{"id":"{SNAPSHOT}","status":"{status}","mongoDBVersion":"8.0.4"}}"#)
}

/// Sets `pretty` and `envelope` from booleans, for tests that try every combination.
pub trait Flags: Sized {
    fn set_pretty(self) -> Self;
    fn set_envelope(self) -> Self;
    fn flags(self, pretty: bool, envelope: bool) -> Self {
        let s = if pretty { self.set_pretty() } else { self };
        if envelope { s.set_envelope() } else { s }
    }
}

impl<K: atlas_snapshots::SnapshotEndpoints> Flags for atlas_snapshots::GetSnapshot<'_, K> {
    fn set_pretty(self) -> Self {
        self.pretty()
    }
    fn set_envelope(self) -> Self {
        self.envelope()
    }
}

impl<K, T: atlas_snapshots::PageItem> Flags for atlas_snapshots::List<'_, K, T> {
    fn set_pretty(self) -> Self {
        self.pretty()
    }
    fn set_envelope(self) -> Self {
        self.envelope()
    }
}
