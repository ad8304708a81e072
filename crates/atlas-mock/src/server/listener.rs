//! The accept loop: at most `max_connections` connections at once (others are accepted and closed),
//! and a bounded drain when the mock stops.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::conn::serve_connection;
use super::{ConnStats, Shared};

/// How the drain of a shutdown ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DrainReport {
    /// Connections open when the shutdown began.
    pub(crate) open_at_start: usize,
    /// Connections still busy when the drain timeout ran out (cut).
    pub(crate) cut: usize,
}

/// Accepts connections until `shutdown` flips, then lets open connections finish their current
/// request, at most `limits.drain_timeout`.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) -> DrainReport {
    let permits = Arc::new(Semaphore::new(shared.limits.max_connections));
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
                    ConnStats::bump(&shared.conns.accepted);
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        // Over the cap: close at once. Nothing is read or buffered for it.
                        ConnStats::bump(&shared.conns.refused);
                        tracing::debug!(%peer, "connection refused: max_connections reached");
                        drop(stream);
                        continue;
                    };
                    let shared = shared.clone();
                    let tls = tls.clone();
                    let shutdown = shutdown.clone();
                    conns.spawn(async move {
                        shared.conns.open.fetch_add(1, Ordering::Relaxed);
                        serve_connection(stream, peer, shared.clone(), tls, shutdown).await;
                        shared.conns.open.fetch_sub(1, Ordering::Relaxed);
                        drop(permit);
                    });
                }
                Err(e) => {
                    // e.g. EMFILE: back off a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let open_at_start = conns.len();
    let drain = async { while conns.join_next().await.is_some() {} };
    let cut = match tokio::time::timeout(shared.limits.drain_timeout, drain).await {
        Ok(()) => 0,
        Err(_) => {
            let n = conns.len();
            conns.abort_all();
            while conns.join_next().await.is_some() {}
            n
        }
    };
    DrainReport { open_at_start, cut }
}
