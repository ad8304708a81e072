//! One exchange: send the request, receive the head, collect the body under the limit, all of it
//! within the attempt timeout and the total deadline; failures mapped to typed errors.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::Client as HyperClient;
use tokio::time::Instant;

use crate::client::{Connector, Inner};
use crate::connector::{ConnectTimeout, ProxyFailure};
use crate::error::{Error, TimeoutKind};
use crate::origin::Target;

impl Inner {
    /// Sends `req` once and collects the answer; bounded by the attempt timeout and `deadline`.
    pub(crate) async fn attempt(
        &self,
        req: Request<Full<Bytes>>,
        target: &Target,
        deadline: Option<Instant>,
    ) -> Result<Response<Bytes>, Error> {
        exchange(
            &self.http,
            self.timeouts.attempt,
            self.body_limit,
            req,
            target,
            deadline,
        )
        .await
    }
}

/// One exchange on `http`: bounded by `attempt_timeout` and `deadline`, the body collected under
/// `body_limit`. Shared by the request path and the OAuth token exchange.
pub(crate) async fn exchange(
    http: &HyperClient<Connector, Full<Bytes>>,
    attempt_timeout: Option<Duration>,
    body_limit: usize,
    req: Request<Full<Bytes>>,
    target: &Target,
    deadline: Option<Instant>,
) -> Result<Response<Bytes>, Error> {
    let attempt_deadline = attempt_timeout.map(|t| Instant::now() + t);
    let bound = match (attempt_deadline, deadline) {
        (Some(a), Some(t)) if t <= a => Some((t, TimeoutKind::Total)),
        (Some(a), _) => Some((a, TimeoutKind::Attempt)),
        (None, Some(t)) => Some((t, TimeoutKind::Total)),
        (None, None) => None,
    };
    let head = req.method() == http::Method::HEAD;
    let exchange = async {
        let response = http.request(req).await.map_err(|e| classify(target, e))?;
        collect(response, head, body_limit, target).await
    };
    match bound {
        None => exchange.await,
        Some((at, kind)) => match tokio::time::timeout_at(at, exchange).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout {
                url: target.url(),
                kind,
            }),
        },
    }
}

/// Runs `fut` within the total deadline, if any.
pub(crate) async fn within<F: Future>(
    deadline: Option<Instant>,
    fut: F,
    target: &Target,
) -> Result<F::Output, Error> {
    match deadline {
        None => Ok(fut.await),
        Some(d) => tokio::time::timeout_at(d, fut)
            .await
            .map_err(|_| Error::Timeout {
                url: target.url(),
                kind: TimeoutKind::Total,
            }),
    }
}

async fn collect(
    response: Response<hyper::body::Incoming>,
    head: bool,
    limit: usize,
    target: &Target,
) -> Result<Response<Bytes>, Error> {
    let too_large = || Error::BodyTooLarge {
        url: target.url(),
        limit,
    };
    // A declared length over the limit fails before any of the body is read; HEAD, 204 and 304
    // responses declare a length without carrying a body.
    let status = response.status().as_u16();
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|_| !head && status != 204 && status != 304);
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let (parts, body) = response.into_parts();
    let collected = Limited::new(body, limit).collect().await.map_err(|e| {
        if e.is::<LengthLimitError>() {
            too_large()
        } else {
            Error::Io {
                url: target.url(),
                source: e,
            }
        }
    })?;
    Ok(Response::from_parts(parts, collected.to_bytes()))
}

/// Maps a hyper-util client error to our typed error by looking through its causes.
fn classify(target: &Target, err: hyper_util::client::legacy::Error) -> Error {
    let url = target.url();
    let is_connect = err.is_connect();
    let mut timeout = false;
    let mut proxy: Option<String> = None;
    let mut tls: Option<rustls::Error> = None;
    visit_causes(&err, &mut |e| {
        if e.is::<ConnectTimeout>() {
            timeout = true;
        } else if let Some(p) = e.downcast_ref::<ProxyFailure>() {
            proxy.get_or_insert_with(|| p.proxy.clone());
        } else if let Some(t) = e.downcast_ref::<rustls::Error>() {
            tls.get_or_insert_with(|| t.clone());
        }
    });
    if timeout {
        return Error::Timeout {
            url,
            kind: TimeoutKind::Connect,
        };
    }
    if let Some(proxy) = proxy {
        return Error::Proxy {
            url,
            proxy,
            source: Box::new(err),
        };
    }
    if let Some(t) = tls {
        return Error::Tls {
            url,
            source: Box::new(t),
        };
    }
    if is_connect {
        Error::Connect {
            url,
            source: Box::new(err),
        }
    } else {
        Error::Io {
            url,
            source: Box::new(err),
        }
    }
}

/// Calls `f` on `err` and each of its causes, looking inside `io::Error` wrappers too
/// (`io::Error::source` skips the wrapped error itself).
fn visit_causes(
    err: &(dyn std::error::Error + 'static),
    f: &mut dyn FnMut(&(dyn std::error::Error + 'static)),
) {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut depth = 0;
    while let Some(e) = current {
        depth += 1;
        if depth > 32 {
            break;
        }
        f(e);
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(wrapped) = io.get_ref() {
                visit_causes(wrapped, f);
            }
        }
        current = e.source();
    }
}
