//! `StreamingClient` against real loopback servers: bodies arrive in chunks, no credential ever
//! leaves, cut and stalled transfers are typed errors.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlas_transport::{Error, StreamTimeouts, StreamingClient, TimeoutKind};
use support::{TestServer, handler, response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn body_of(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test]
async fn streams_a_large_body_over_tls_without_credentials() {
    let seen: Arc<Mutex<Vec<http::HeaderMap>>> = Arc::default();
    let s = seen.clone();
    let server = TestServer::tls(handler(move |req| {
        s.lock().unwrap().push(req.headers().clone());
        async move { response(200, body_of(4 << 20)) }
    }))
    .await;
    let client = StreamingClient::builder()
        .add_root_pem(server.ca_pem())
        .build()
        .unwrap();
    let request = http::Request::get(server.url("/a.tgz?X-Amz-Signature=secret"))
        .header("range", "bytes=0-")
        .body(())
        .unwrap();
    let mut response = client.open(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut got = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = response.body_mut().next_chunk().await {
        got.extend_from_slice(&chunk.unwrap());
        chunks += 1;
    }
    assert_eq!(got, body_of(4 << 20));
    assert!(chunks > 1, "the body came in one piece: {chunks}");
    let headers = seen.lock().unwrap()[0].clone();
    for name in ["authorization", "proxy-authorization", "cookie"] {
        assert!(!headers.contains_key(name), "{name} was sent");
    }
    assert_eq!(headers["range"], "bytes=0-");
    assert!(
        headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("atlas-transport/")
    );
}

/// A server that sends a head declaring `declared` bytes, then `sent` bytes, then closes (or
/// stalls for ever with `stall`).
async fn raw_server(declared: usize, sent: usize, stall: bool) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf).await;
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {declared}\r\n\r\n");
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body_of(sent)).await.unwrap();
        s.flush().await.unwrap();
        if stall {
            std::future::pending::<()>().await;
        }
    });
    addr
}

#[tokio::test]
async fn a_cut_body_is_an_io_error_after_the_bytes_that_came() {
    let addr = raw_server(100_000, 40_000, false).await;
    let client = StreamingClient::builder().build().unwrap();
    let req = http::Request::get(format!("http://{addr}/x"))
        .body(())
        .unwrap();
    let mut r = client.open(req).await.unwrap();
    let mut n = 0;
    let err = loop {
        match r.body_mut().next_chunk().await {
            Some(Ok(c)) => n += c.len(),
            Some(Err(e)) => break e,
            None => panic!("the cut body ended cleanly after {n} bytes"),
        }
    };
    assert_eq!(n, 40_000);
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

#[tokio::test]
async fn a_stalled_body_is_an_idle_timeout() {
    let addr = raw_server(100, 10, true).await;
    let client = StreamingClient::builder()
        .timeouts(StreamTimeouts {
            idle: Some(Duration::from_millis(200)),
            ..StreamTimeouts::default()
        })
        .build()
        .unwrap();
    let req = http::Request::get(format!("http://{addr}/x"))
        .body(())
        .unwrap();
    let mut r = client.open(req).await.unwrap();
    assert_eq!(r.body_mut().next_chunk().await.unwrap().unwrap().len(), 10);
    let err = r.body_mut().next_chunk().await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Idle,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn credentials_and_plain_http_elsewhere_are_refused_before_sending() {
    let client = StreamingClient::builder().build().unwrap();
    for (url, header) in [
        ("http://127.0.0.1:9/x", Some(("authorization", "Digest x"))),
        ("http://127.0.0.1:9/x", Some(("cookie", "a=b"))),
        ("http://example.com/x.tgz?sig=1", None),
        ("ftp://example.com/x", None),
        ("/relative", None),
    ] {
        let mut b = http::Request::get(url);
        if let Some((k, v)) = header {
            b = b.header(k, v);
        }
        let err = client.open(b.body(()).unwrap()).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { .. }),
            "{url}: {err:?}"
        );
        assert!(!err.to_string().contains("sig=1"), "{err}");
    }
    // With the opt-in, plain http to another host is attempted (and fails to connect here).
    let insecure = StreamingClient::builder()
        .allow_insecure_http()
        .timeouts(StreamTimeouts {
            connect: Some(Duration::from_millis(300)),
            ..StreamTimeouts::default()
        })
        .build()
        .unwrap();
    let err = insecure
        .open(http::Request::get("http://192.0.2.1/x").body(()).unwrap())
        .await
        .unwrap_err();
    assert!(!matches!(err, Error::InvalidRequest { .. }), "{err:?}");
}
