//! Timeouts, the body limit, TLS, redirects, the User-Agent and invalid requests.

mod support;

use std::time::Duration;

use atlas_transport::{
    Client, DEFAULT_BODY_LIMIT, Error, ProxyConfig, RetryPolicy, TimeoutKind, Timeouts,
    USER_AGENT_PRODUCT,
};
use bytes::Bytes;
use http::{StatusCode, Version};
use support::{TestServer, get, guarded, handler, hanging_server, response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn builder() -> atlas_transport::ClientBuilder {
    Client::builder().proxy(ProxyConfig::none())
}

#[tokio::test]
async fn a_server_that_never_answers_trips_the_attempt_timeout() {
    guarded(async {
        let (addr, _task) = hanging_server().await;
        let c = builder()
            .timeouts(Timeouts {
                attempt: Some(Duration::from_millis(200)),
                ..Timeouts::default()
            })
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("client");
        let err = c
            .execute(get(&format!("http://{addr}/hang")))
            .await
            .expect_err("timeout");
        match err {
            Error::Timeout { kind, url } => {
                assert_eq!(kind, TimeoutKind::Attempt);
                assert_eq!(url, format!("http://{addr}/hang"));
            }
            other => panic!("expected an attempt timeout, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn attempt_timeouts_are_retried_for_idempotent_requests() {
    guarded(async {
        let (addr, _task) = hanging_server().await;
        let c = builder()
            .timeouts(Timeouts {
                attempt: Some(Duration::from_millis(100)),
                ..Timeouts::default()
            })
            .retry_policy(
                RetryPolicy::default()
                    .max_attempts(2)
                    .initial_backoff(Duration::from_millis(1)),
            )
            .build()
            .expect("client");
        let err = c
            .execute(get(&format!("http://{addr}/hang")))
            .await
            .expect_err("timeout");
        assert!(
            matches!(
                err,
                Error::Timeout {
                    kind: TimeoutKind::Attempt,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(c.stats().round_trips, 2);
    })
    .await;
}

#[tokio::test]
async fn the_total_deadline_bounds_everything() {
    guarded(async {
        let (addr, _task) = hanging_server().await;
        let c = builder()
            .timeouts(Timeouts {
                connect: None,
                attempt: None,
                total: Some(Duration::from_millis(200)),
            })
            .build()
            .expect("client");
        let err = c
            .execute(get(&format!("http://{addr}/hang")))
            .await
            .expect_err("timeout");
        assert!(
            matches!(
                err,
                Error::Timeout {
                    kind: TimeoutKind::Total,
                    ..
                }
            ),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_proxy_that_never_answers_connect_trips_the_connect_timeout() {
    guarded(async {
        let (addr, _task) = hanging_server().await;
        let c = Client::builder()
            .proxy(ProxyConfig::none().https(format!("http://{addr}")))
            .timeouts(Timeouts {
                connect: Some(Duration::from_millis(200)),
                ..Timeouts::default()
            })
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("client");
        let err = c
            .execute(get("https://localhost:9/never"))
            .await
            .expect_err("timeout");
        assert!(
            matches!(
                err,
                Error::Timeout {
                    kind: TimeoutKind::Connect,
                    ..
                }
            ),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_body_over_the_limit_fails_cleanly() {
    guarded(async {
        let server = TestServer::plain(handler(|req| async move {
            let n: usize = req
                .uri()
                .path()
                .trim_start_matches('/')
                .parse()
                .unwrap_or(0);
            response(200, vec![b'x'; n])
        }))
        .await;
        let c = builder().body_limit(1000).build().expect("client");
        let ok = c
            .execute(get(&server.url("/1000")))
            .await
            .expect("exactly at the limit");
        assert_eq!(ok.body().len(), 1000);
        let err = c
            .execute(get(&server.url("/1001")))
            .await
            .expect_err("over the limit");
        match err {
            Error::BodyTooLarge { limit, url } => {
                assert_eq!(limit, 1000);
                assert_eq!(url, server.url("/1001"));
            }
            other => panic!("expected BodyTooLarge, got {other:?}"),
        }
        // HEAD declares the length of a body it does not carry: not over the limit.
        let head = http::Request::head(server.url("/5000"))
            .body(Bytes::new())
            .unwrap();
        let r = c.execute(head).await.expect("HEAD is not a large body");
        assert_eq!(r.headers()["content-length"], "5000");
        assert!(r.body().is_empty());
        // The client keeps working afterwards.
        assert_eq!(
            c.execute(get(&server.url("/10")))
                .await
                .expect("small")
                .body()
                .len(),
            10
        );
        assert_eq!(DEFAULT_BODY_LIMIT, 8 * 1024 * 1024);
    })
    .await;
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_fails_too() {
    guarded(async {
        // A raw HTTP/1.1 server sending a chunked body with no Content-Length.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                    for _ in 0..10 {
                        out.extend_from_slice(b"200\r\n");
                        out.extend_from_slice(&[b'y'; 0x200]);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(b"0\r\n\r\n");
                    let _ = s.write_all(&out).await;
                });
            }
        });
        let c = builder().body_limit(4096).build().expect("client");
        let err = c
            .execute(get(&format!("http://{addr}/stream")))
            .await
            .expect_err("too large");
        assert!(
            matches!(err, Error::BodyTooLarge { limit: 4096, .. }),
            "{err:?}"
        );
        let c = builder().body_limit(5120).build().expect("client");
        let ok = c
            .execute(get(&format!("http://{addr}/stream")))
            .await
            .expect("fits");
        assert_eq!(ok.body().len(), 5120);
        task.abort();
    })
    .await;
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    guarded(async {
        let server = TestServer::plain(handler(|_req| async move {
            let mut r = response(302, "");
            r.headers_mut()
                .insert("location", "https://elsewhere.example/".parse().unwrap());
            r
        }))
        .await;
        let c = builder().credentials("u", "p").build().expect("client");
        let r = c
            .execute(get(&server.url("/moved")))
            .await
            .expect("response");
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(c.stats().round_trips, 1);
    })
    .await;
}

#[tokio::test]
async fn user_agent_names_the_crate_and_the_suffix() {
    guarded(async {
        let server = TestServer::plain(handler(|req| async move {
            let ua = req
                .headers()
                .get("user-agent")
                .map(|v| v.as_bytes().to_vec())
                .unwrap_or_default();
            response(200, ua)
        }))
        .await;
        let c = builder()
            .user_agent_suffix("atlas-snapshots/9.9")
            .build()
            .expect("client");
        let r = c.execute(get(&server.url("/ua"))).await.expect("response");
        assert_eq!(
            std::str::from_utf8(r.body()).unwrap(),
            format!(
                "atlas-transport/{} atlas-snapshots/9.9",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(USER_AGENT_PRODUCT.starts_with("atlas-transport/"));
    })
    .await;
}

#[tokio::test]
async fn tls_negotiates_http2_and_reuses_one_connection() {
    guarded(async {
        let server = TestServer::tls(handler(|_req| async move { response(200, "tls") })).await;
        let c = builder()
            .add_root_pem(server.ca_pem())
            .build()
            .expect("client");
        for _ in 0..5 {
            let r = c.execute(get(&server.url("/h2"))).await.expect("response");
            assert_eq!(r.version(), Version::HTTP_2);
            assert_eq!(r.body().as_ref(), b"tls");
        }
        assert_eq!(
            server.connections.load(std::sync::atomic::Ordering::SeqCst),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn plain_http_keeps_the_connection_alive() {
    guarded(async {
        let server = TestServer::plain(handler(|_req| async move { response(200, "plain") })).await;
        let c = builder().build().expect("client");
        for _ in 0..5 {
            let r = c.execute(get(&server.url("/ka"))).await.expect("response");
            assert_eq!(r.version(), Version::HTTP_11);
        }
        // The pool may open a spare connection while the previous one is being put back, so
        // count reuse rather than connections.
        let reused = server
            .max_requests_per_connection
            .load(std::sync::atomic::Ordering::SeqCst);
        assert!(reused >= 2, "no request reused a connection");
        assert!(server.connections.load(std::sync::atomic::Ordering::SeqCst) < 5);
    })
    .await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error() {
    guarded(async {
        let server = TestServer::tls(handler(|_req| async move { response(200, "x") })).await;
        let c = builder()
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("client");
        let err = c
            .execute(get(&server.url("/untrusted")))
            .await
            .expect_err("untrusted");
        assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn extra_roots_from_a_pem_file() {
    guarded(async {
        let server = TestServer::tls(handler(|_req| async move { response(200, "file") })).await;
        let path =
            std::env::temp_dir().join(format!("atlas-transport-ca-{}.pem", std::process::id()));
        std::fs::write(&path, server.ca_pem()).expect("write pem");
        let c = builder().add_root_pem_file(&path).build().expect("client");
        let r = c
            .execute(get(&server.url("/f")))
            .await
            .expect("trusted through the file");
        assert_eq!(r.body().as_ref(), b"file");
        let _ = std::fs::remove_file(&path);

        let missing = builder().add_root_pem_file("/nonexistent/ca.pem").build();
        assert!(matches!(missing, Err(Error::Config { .. })));
    })
    .await;
}

#[tokio::test]
async fn invalid_requests_are_typed_errors() {
    let c = builder().build().expect("client");
    let relative = http::Request::get("/only/a/path")
        .body(Bytes::new())
        .unwrap();
    assert!(matches!(
        c.execute(relative).await,
        Err(Error::InvalidRequest { .. })
    ));
    let ftp = http::Request::get("ftp://example.com/file")
        .body(Bytes::new())
        .unwrap();
    assert!(matches!(
        c.execute(ftp).await,
        Err(Error::InvalidRequest { .. })
    ));
    assert_eq!(c.stats().round_trips, 0);
}
