//! Proxies: a real CONNECT proxy on loopback, with and without NO_PROXY matching, proxy
//! credentials, and forward (absolute-form) proxying of plain http.

mod support;

use std::sync::atomic::Ordering;

use atlas_transport::{Client, Error, ProxyConfig, RetryPolicy};
use http::StatusCode;
use support::{DigestApp, TestProxy, TestServer, get, guarded};

const USER: &str = "pub";
const PASSWORD: &str = "priv";

fn lookup(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
}

fn tls_client(server: &TestServer, proxy: ProxyConfig) -> Client {
    Client::builder()
        .credentials(USER, PASSWORD)
        .add_root_pem(server.ca_pem())
        .proxy(proxy)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_with_digest_inside() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::tls(app.handler()).await;
        let proxy = TestProxy::start(None).await;
        let c = tls_client(
            &server,
            ProxyConfig::from_lookup(lookup(vec![("HTTPS_PROXY", proxy.url())])),
        );
        for i in 0..5 {
            let r = c
                .execute(get(&server.url(&format!("/tunnel/{i}"))))
                .await
                .expect("through proxy");
            assert_eq!(r.status(), StatusCode::OK);
        }
        assert_eq!(
            proxy.connects.load(Ordering::SeqCst),
            1,
            "one tunnel, reused by the pool"
        );
        assert_eq!(c.stats().round_trips, 6);
        assert_eq!(app.seen().len(), 6);
    })
    .await;
}

#[tokio::test]
async fn no_proxy_matching_the_host_bypasses_the_proxy() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::tls(app.handler()).await;
        let proxy = TestProxy::start(None).await;

        let bypass = tls_client(
            &server,
            ProxyConfig::from_lookup(lookup(vec![
                ("https_proxy", proxy.url()),
                ("no_proxy", "example.com, localhost".to_owned()),
            ])),
        );
        let r = bypass
            .execute(get(&server.url("/direct")))
            .await
            .expect("direct");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            proxy.connects.load(Ordering::SeqCst),
            0,
            "NO_PROXY matched: no tunnel"
        );

        let via = tls_client(
            &server,
            ProxyConfig::from_lookup(lookup(vec![
                ("https_proxy", proxy.url()),
                ("no_proxy", "example.com,.internal".to_owned()),
            ])),
        );
        let r = via
            .execute(get(&server.url("/proxied")))
            .await
            .expect("proxied");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            proxy.connects.load(Ordering::SeqCst),
            1,
            "NO_PROXY did not match: tunnel"
        );
    })
    .await;
}

#[tokio::test]
async fn proxy_credentials_are_sent_and_required() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::tls(app.handler()).await;
        // "alice:s3cret" in Basic.
        let proxy = TestProxy::start(Some("Basic YWxpY2U6czNjcmV0".to_owned())).await;

        let explicit = tls_client(
            &server,
            ProxyConfig::none()
                .https(proxy.url())
                .credentials("alice", "s3cret"),
        );
        let r = explicit
            .execute(get(&server.url("/a")))
            .await
            .expect("explicit credentials");
        assert_eq!(r.status(), StatusCode::OK);

        let in_url = format!("http://alice:s3cret@{}", proxy.addr);
        let from_url = tls_client(&server, ProxyConfig::none().https(in_url));
        let r = from_url
            .execute(get(&server.url("/b")))
            .await
            .expect("credentials in the URL");
        assert_eq!(r.status(), StatusCode::OK);

        let without = tls_client(&server, ProxyConfig::none().https(proxy.url()));
        let err = without
            .execute(get(&server.url("/c")))
            .await
            .expect_err("407");
        match &err {
            Error::Proxy { proxy: p, url, .. } => {
                assert_eq!(p, &format!("http://{}/", proxy.addr));
                assert_eq!(url, &server.url("/c"));
            }
            other => panic!("expected a proxy error, got {other:?}"),
        }
        assert_eq!(proxy.connects.load(Ordering::SeqCst), 2);
        let seen = proxy.auth_seen.lock().unwrap().clone();
        assert_eq!(seen.iter().filter(|a| a.is_none()).count(), 1);
    })
    .await;
}

#[tokio::test]
async fn plain_http_goes_to_a_forward_proxy_in_absolute_form() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let proxy = TestProxy::start(Some("Basic YWxpY2U6czNjcmV0".to_owned())).await;
        let c = Client::builder()
            .credentials(USER, PASSWORD)
            .proxy(
                ProxyConfig::none()
                    .http(proxy.url())
                    .credentials("alice", "s3cret"),
            )
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("client");
        for _ in 0..3 {
            let r = c
                .execute(get(&server.url("/fwd?x=1")))
                .await
                .expect("forwarded");
            assert_eq!(r.status(), StatusCode::OK);
        }
        assert!(
            proxy.forwards.load(Ordering::SeqCst) < 3,
            "the proxy connection is kept alive"
        );
        assert_eq!(proxy.connects.load(Ordering::SeqCst), 0);
        assert_eq!(app.seen()[1].path, "/fwd?x=1");
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_proxy_error() {
    guarded(async {
        // Bound but never listening: connections are refused, and no other process can take
        // the port meanwhile (dropping a listener and hoping nobody binds it is a race).
        let (port, _reserved) = support::refusing_port();
        let c = Client::builder()
            .proxy(ProxyConfig::none().all(format!("http://user:pw@127.0.0.1:{port}")))
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("client");
        let err = c
            .execute(get("https://localhost:1/x"))
            .await
            .expect_err("no proxy there");
        match err {
            Error::Proxy { proxy, .. } => assert!(!proxy.contains("pw"), "{proxy}"),
            other => panic!("expected a proxy error, got {other:?}"),
        }
    })
    .await;
}
