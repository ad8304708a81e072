//! Bounded under abuse. Every assertion here holds on any schedule: the mock closes what it must
//! (seen by the client as a 431 or an end of stream), counts it, and the journal's byte count stays
//! under its bound. Memory figures are measured against the `mock` command and reported, not asserted.

mod common;

use std::time::Duration;

use anyhow::{Context, Result};
use atlas_mock::{JOURNAL_MAX_TARGET, Limits, MockAtlas, MockHandle, seed};
use common::*;
use http::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; returns what it sent. A generous outer bound keeps
/// a broken mock from hanging the test; it is not a timing claim.
async fn read_to_close(s: &mut TcpStream) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                // A reset is the server closing too (it may close with unread data).
                Err(_) => break,
            }
        }
    })
    .await
    .context("the mock never closed the connection")?;
    Ok(out)
}

/// Waits until `cond` holds on the mock's stats (polling, bounded; not a timing claim).
async fn until(mock: &MockHandle, what: &str, cond: impl Fn(&atlas_mock::MockStats) -> bool) {
    for _ in 0..12_000 {
        if cond(&mock.stats()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}: never reached: {:?}", mock.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_unfinished_headers_get_431_and_are_closed() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    const CONNS: usize = 40;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONNS {
        let addr = mock.addr();
        tasks.spawn(async move {
            let mut s = TcpStream::connect(addr).await?;
            // 380 KB of header that never ends (no blank line), as in the issue.
            let head = format!(
                "GET /api/atlas/v1.0/groups HTTP/1.1\r\nHost: x\r\nX-Filler: {}",
                "a".repeat(380 * 1024)
            );
            // The mock stops reading at its cap; the write may fail when it closes.
            let _ = s.write_all(head.as_bytes()).await;
            read_to_close(&mut s).await
        });
    }
    while let Some(r) = tasks.join_next().await {
        let answer = String::from_utf8_lossy(&r??).into_owned();
        // Either the 431 arrived before the close, or the close reset it away: both end the stream.
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
            "{answer}"
        );
    }
    // Each one is closed and counted once: as too large when its first 64 KiB arrive within the
    // header read timeout, as a timeout if a loaded machine slows the client down that much.
    until(&mock, "every connection closed", |s| {
        s.connections_open == 0 && s.headers_too_large + s.header_timeouts == CONNS as u64
    })
    .await;
    assert_eq!(mock.stats().requests, 0, "nothing reached the handler");
    mock.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_or_silent_clients_are_closed_after_the_header_read_timeout() -> Result<()> {
    let mock = MockAtlas::builder()
        .limits(Limits::default().with_header_read_timeout(Duration::from_millis(300)))
        .start()
        .await?;
    // One that sends nothing at all, one that sends half a request head and stops, and one that
    // finishes a request and then sits idle: the mock closes all three.
    let mut silent = TcpStream::connect(mock.addr()).await?;
    let mut partial = TcpStream::connect(mock.addr()).await?;
    partial
        .write_all(b"GET /api/atlas/v1.0/groups HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await?;
    let mut idle = TcpStream::connect(mock.addr()).await?;
    idle.write_all(b"GET /api/atlas/v1.0/groups HTTP/1.1\r\nHost: x\r\n\r\n")
        .await?;
    assert!(read_to_close(&mut silent).await?.is_empty());
    assert!(read_to_close(&mut partial).await?.is_empty());
    let answered = String::from_utf8(read_to_close(&mut idle).await?)?;
    assert!(answered.starts_with("HTTP/1.1 401"), "{answered}");
    until(&mock, "three timeouts", |s| {
        s.header_timeouts == 3 && s.connections_open == 0
    })
    .await;
    mock.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_are_closed_at_once() -> Result<()> {
    const CAP: usize = 8;
    let mock = MockAtlas::builder()
        .limits(
            Limits::default()
                .with_max_connections(CAP)
                .with_header_read_timeout(Duration::from_secs(600)),
        )
        .start()
        .await?;
    let mut held = Vec::new();
    for _ in 0..CAP {
        held.push(TcpStream::connect(mock.addr()).await?);
    }
    until(&mock, "cap connections open", |s| s.connections_open == CAP).await;
    // One more: accepted and closed without a byte.
    let mut extra = TcpStream::connect(mock.addr()).await?;
    assert!(read_to_close(&mut extra).await?.is_empty());
    assert_eq!(mock.stats().connections_refused, 1);
    // The held ones still work.
    held[0]
        .write_all(b"GET /api/atlas/v1.0/groups HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await?;
    let answer = String::from_utf8(read_to_close(&mut held[0]).await?)?;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    // Once one closes, a new connection is served.
    drop(held.remove(0));
    until(&mock, "a slot free", |s| s.connections_open == CAP - 1).await;
    let r = Client::new(&mock)
        .await?
        .get(&v1_snapshot(
            seed::GROUP_ID,
            seed::CLUSTER_NAME,
            seed::SNAPSHOT_ID,
        ))
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_stays_within_its_bytes_for_long_paths() -> Result<()> {
    // 1,000 unauthenticated requests with 60 KB paths, as in the issue, against a journal of 512 KiB.
    const LIMIT: usize = 512 * 1024;
    let mock = MockAtlas::builder()
        .journal_max_bytes(LIMIT)
        .start()
        .await?;
    let path = format!("/api/atlas/v1.0/groups/{}", "g".repeat(60 * 1024));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let mut conn = Conn::open(&mock).await?;
        let path = path.clone();
        tasks.spawn(async move {
            for _ in 0..125 {
                let r = conn.send(Method::GET, &path, &[], None).await?;
                anyhow::ensure!(r.status == StatusCode::UNAUTHORIZED, "{}", r.status);
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let s = mock.stats();
    assert_eq!(s.requests, 1000);
    assert!(s.journal_bytes <= LIMIT, "{s:?}");
    assert!(s.journal_len < 1000, "{s:?}");
    let j = mock.journal();
    assert_eq!(j.len(), s.journal_len);
    for e in &j {
        assert!(e.path.len() < JOURNAL_MAX_TARGET + 32, "{}", e.path.len());
        assert!(
            e.path
                .ends_with(&format!("...[+{} bytes]", path.len() - JOURNAL_MAX_TARGET))
        );
    }
    // With the default bounds, the same 1,000 requests are all kept, each cut.
    let mock2 = MockAtlas::builder().start().await?;
    let mut conn = Conn::open(&mock2).await?;
    for _ in 0..1000 {
        conn.send(Method::GET, &path, &[], None).await?;
    }
    let s2 = mock2.stats();
    assert_eq!(s2.journal_len, 1000);
    assert!(s2.journal_bytes < 4 * 1024 * 1024, "{s2:?}");
    mock2.shutdown().await;
    mock.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_not_read_before_authentication() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    // A 10 MB body is announced and never sent: without credentials the 401 comes at once.
    let mut s = TcpStream::connect(mock.addr()).await?;
    s.write_all(
        format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n",
            v1_list(seed::GROUP_ID, seed::CLUSTER_NAME),
            mock.addr()
        )
        .as_bytes(),
    )
    .await?;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(120), s.read(&mut buf))
        .await
        .context("no answer before the body")??;
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    // Same for the admin routes without the token.
    let mut s = TcpStream::connect(mock.addr()).await?;
    s.write_all(
        format!(
            "POST /__mock/groups HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n",
            mock.addr()
        )
        .as_bytes(),
    )
    .await?;
    let n = tokio::time::timeout(Duration::from_secs(120), s.read(&mut buf))
        .await
        .context("no admin answer before the body")??;
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(head.contains("ADMIN_TOKEN_REQUIRED"), "{head}");
    // With the token, a body over the limit is refused from its Content-Length, unread.
    let mut s = TcpStream::connect(mock.addr()).await?;
    s.write_all(
        format!(
            "POST /__mock/groups HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n",
            mock.addr(),
            mock.admin_token()
        )
        .as_bytes(),
    )
    .await?;
    let n = tokio::time::timeout(Duration::from_secs(120), s.read(&mut buf))
        .await
        .context("no answer to the oversized admin body")??;
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(head.contains("INVALID_REQUEST_BODY"), "{head}");
    mock.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_is_streamed() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let mut raw = Conn::open(&mock).await?;
    for _ in 0..300 {
        raw.send(
            Method::GET,
            &v1_list(seed::GROUP_ID, seed::CLUSTER_NAME),
            &[],
            None,
        )
        .await?;
    }
    let token = format!("Bearer {}", mock.admin_token());
    let r = raw
        .send(
            Method::GET,
            "/__mock/journal",
            &[("authorization", token.as_str())],
            None,
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    // Chunked: the body was not built as one value before sending.
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert!(r.header("content-length").is_none());
    assert_eq!(r.json().as_array().unwrap().len(), 300);
    mock.shutdown().await;
    Ok(())
}
