//! One connection: TLS (bounded handshake), HTTP/1.1 or HTTP/2, hyper's timer and the header cap, and
//! a deadline for the first request (hyper's own header timeout starts only once it knows the
//! protocol, so a client that sends nothing at all would otherwise hold its connection forever).

use std::net::SocketAddr;
use std::sync::Arc;

use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

use super::{ConnStats, Shared, handler};

pub(crate) async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let timeout = shared.limits.header_read_timeout;
    match tls {
        None => drive(TokioIo::new(stream), peer, shared, shutdown).await,
        Some(acceptor) => match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
            Ok(Ok(s)) => drive(TokioIo::new(s), peer, shared, shutdown).await,
            Ok(Err(e)) => {
                ConnStats::bump(&shared.conns.tls_failures);
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
            }
            Err(_) => {
                ConnStats::bump(&shared.conns.header_timeouts);
                tracing::debug!(%peer, "TLS handshake timed out");
            }
        },
    }
}

fn builder(shared: &Shared) -> auto::Builder<TokioExecutor> {
    let limits = shared.limits;
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // The read buffer bounds the request head: beyond it hyper answers 431 and closes.
        .max_buf_size(limits.max_header_bytes);
    b.http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(128);
    b
}

async fn drive<I>(io: I, peer: SocketAddr, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let first = Arc::new(Notify::new());
    let service = {
        let shared = shared.clone();
        let first = first.clone();
        hyper::service::service_fn(move |req: Request<Incoming>| {
            first.notify_one();
            let shared = shared.clone();
            async move { handler::handle(&shared, peer, req).await }
        })
    };
    let builder = builder(&shared);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let deadline = tokio::time::sleep(shared.limits.header_read_timeout);
    tokio::pin!(deadline);
    let mut started = false;
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    note_error(&shared, peer, &*e);
                }
                return;
            }
            () = first.notified(), if !started => started = true,
            () = &mut deadline, if !started => {
                // Not one complete request head in time: drop the connection (and its buffers).
                ConnStats::bump(&shared.conns.header_timeouts);
                tracing::debug!(%peer, "no request within the header read timeout; closing");
                return;
            }
            _ = shutdown.changed() => {
                conn.as_mut().graceful_shutdown();
                if let Err(e) = conn.await {
                    note_error(&shared, peer, &*e);
                }
                return;
            }
        }
    }
}

fn note_error(shared: &Shared, peer: SocketAddr, e: &(dyn std::error::Error + 'static)) {
    if let Some(h) = e.downcast_ref::<hyper::Error>() {
        if h.is_timeout() {
            ConnStats::bump(&shared.conns.header_timeouts);
        } else if h.is_parse_too_large() {
            ConnStats::bump(&shared.conns.headers_too_large);
        }
    }
    tracing::debug!(%peer, error = %e, "connection ended with an error");
}
