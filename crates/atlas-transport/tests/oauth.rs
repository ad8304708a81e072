//! OAuth 2.0 client credentials end to end against a scripted authorization server on loopback:
//! single flight of the first token, renewal ahead of expiry on the paused clock, one retry on a
//! `401`, the token endpoint's `429`, typed failures, the token store, revocation.

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use atlas_transport::oauth::{
    AccessToken, ClientCredentials, MemoryTokenStore, StoredToken, TokenKey, TokenProblem,
    TokenStore,
};
use atlas_transport::{Client, Error, ProxyConfig, RetryPolicy, Timeouts};
use bytes::Bytes;
use http::{Response, StatusCode};
use support::oauth_app::{CLIENT_ID, CLIENT_SECRET, OAuthApp, json};
use support::{TestServer, get, guarded};

fn creds(server: &TestServer) -> ClientCredentials {
    ClientCredentials::new(&server.url("/oauth/token"), CLIENT_ID, CLIENT_SECRET)
        .unwrap()
        .revoke_url(&server.url("/oauth/revoke"))
        .unwrap()
}

/// No timeouts: on a paused clock they would fire while a socket is busy.
fn client(c: ClientCredentials) -> Client {
    Client::builder()
        .client_credentials(c)
        .proxy(ProxyConfig::none())
        .timeouts(Timeouts::none())
        .build()
        .unwrap()
}

async fn ok(client: &Client, server: &TestServer) {
    let r = client.execute(get(&server.url("/api/x"))).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn concurrent_first_requests_share_one_token_request() {
    guarded(async {
        for n in [1usize, 2, 7, 64, 1024] {
            let app = OAuthApp::new(Some(3600));
            let server = TestServer::plain(app.handler()).await;
            let c = client(creds(&server));
            // The gate holds the token request until every request is under way, so that all
            // of them overlap it; the count holds whatever the interleaving.
            app.close_gate();
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let c = c.clone();
                    let url = server.url("/api/x");
                    tokio::spawn(async move { c.execute(get(&url)).await.map(|r| r.status()) })
                })
                .collect();
            while app.in_flight() == 0 {
                tokio::task::yield_now().await;
            }
            for _ in 0..n {
                tokio::task::yield_now().await;
            }
            app.open_gate();
            for t in tasks {
                assert_eq!(t.await.unwrap().unwrap(), StatusCode::OK);
            }
            assert_eq!(app.token_requests(), 1, "n = {n}");
            assert_eq!(
                app.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
                1
            );
            assert_eq!(c.stats().token_requests, 1);
            assert_eq!(
                c.stats().round_trips,
                n as u64,
                "one round trip per request"
            );
        }
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn tokens_are_renewed_ahead_of_expiry_by_one_request() {
    let app = OAuthApp::new(Some(100)); // margin: 10 s
    let server = TestServer::plain(app.handler()).await;
    let c = client(creds(&server));
    ok(&c, &server).await;
    let first_issue = app.state.lock().unwrap().issued[0].1;
    // Well inside the lifetime: the same token. (The paused clock only moves forward, and it may
    // jump to other timers while a socket is busy, so what holds is stated as bounds.)
    tokio::time::advance(Duration::from_secs(50)).await;
    ok(&c, &server).await;
    // Past expires_in - margin: 64 concurrent requests, one renewal.
    tokio::time::advance(Duration::from_secs(45)).await;
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let c = c.clone();
            let url = server.url("/api/x");
            tokio::spawn(async move { c.execute(get(&url)).await.unwrap().status() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    let st = app.state.lock().unwrap();
    assert!(st.issued.len() >= 2, "renewed: {:?}", st.issued.len());
    for pair in st.issued.windows(2) {
        // Never renewed before lifetime - margin.
        assert!(
            pair[1].1 - pair[0].1 >= Duration::from_secs(90),
            "{:?}",
            pair[1].1 - first_issue
        );
    }
    assert_eq!(st.expired_uses, 0, "an expired token was never sent");
    assert_eq!(st.api_401s, 0);
    assert_eq!(
        app.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(c.stats().token_requests as usize, st.issued.len());
}

#[tokio::test]
async fn a_refused_token_gets_exactly_one_retry_with_a_fresh_one() {
    guarded(async {
        let app = OAuthApp::new(Some(3600));
        let server = TestServer::plain(app.handler()).await;
        let c = client(creds(&server));
        ok(&c, &server).await;
        // The server forgets the token (revoked elsewhere): one 401, a new token, success.
        app.forget_tokens();
        ok(&c, &server).await;
        assert_eq!(app.token_requests(), 2);
        assert_eq!(c.stats().round_trips, 3);
        // Every API request is refused: exactly one retry, then AuthRejected.
        app.refuse_all
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let before = c.stats().round_trips;
        let e = c.execute(get(&server.url("/api/x"))).await.unwrap_err();
        assert!(matches!(e, Error::AuthRejected { .. }), "{e:?}");
        assert_eq!(c.stats().round_trips - before, 2);
        assert_eq!(app.token_requests(), 3);
    })
    .await;
}

#[tokio::test]
async fn a_401_the_hook_says_is_not_about_the_token_is_returned_without_a_new_token() {
    guarded(async {
        let app = OAuthApp::new(Some(3600));
        let server = TestServer::plain(app.handler()).await;
        // The caller's hook: this server's NOT_AUTHORIZED says nothing about the token.
        let c = client(creds(&server).keeps_token(|r| {
            std::str::from_utf8(r.body()).is_ok_and(|b| b.contains("NOT_AUTHORIZED"))
        }));
        ok(&c, &server).await;
        app.refuse_all
            .store(true, std::sync::atomic::Ordering::SeqCst);
        for _ in 0..3 {
            let r = c.execute(get(&server.url("/api/x"))).await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(app.token_requests(), 1, "the token is kept");
        assert_eq!(c.stats().round_trips, 4, "no retry");
    })
    .await;
}

#[tokio::test]
async fn a_fixed_token_is_sent_as_it_is_and_a_401_ends_the_request() {
    guarded(async {
        let app = OAuthApp::new(Some(3600));
        let server = TestServer::plain(app.handler()).await;
        let c = Client::builder()
            .bearer_token(AccessToken::new("eyJ.fixed.sig"))
            .proxy(ProxyConfig::none())
            .build()
            .unwrap();
        let e = c.execute(get(&server.url("/api/x"))).await.unwrap_err();
        assert!(matches!(e, Error::AuthRejected { .. }), "{e:?}");
        assert_eq!(c.stats().round_trips, 1);
        assert_eq!(
            app.state.lock().unwrap().uses.get("eyJ.fixed.sig"),
            Some(&1)
        );
        assert!(!format!("{c:?}").contains("fixed"), "{c:?}");
    })
    .await;
}

fn rate_limited(retry_after: Option<u64>) -> Response<Bytes> {
    let mut r = json(
        429,
        r#"{"detail":"Resource /api/oauth/token is limited to 50 requests every 1 minutes.","error":429,"errorCode":"RATE_LIMITED","parameters":["/api/oauth/token",50,1],"reason":"Too Many Requests"}"#,
    );
    if let Some(s) = retry_after {
        r.headers_mut()
            .insert("retry-after", s.to_string().parse().unwrap());
    }
    r
}

/// Reads `[path, N, M]` ("N requests every M minutes") as: wait one slot, M*60/N seconds.
fn window_hook(r: &Response<Bytes>) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_slice(r.body()).ok()?;
    let p = v.get("parameters")?.as_array()?;
    let (n, m) = (p.get(1)?.as_u64()?, p.get(2)?.as_u64()?);
    Some(Duration::from_millis(m * 60_000 / n.max(1)))
}

#[tokio::test(start_paused = true)]
async fn the_token_endpoints_429_honours_retry_after_and_the_body() {
    let app = OAuthApp::new(Some(3600));
    let server = TestServer::plain(app.handler()).await;
    app.script(rate_limited(Some(5)));
    app.script(rate_limited(None));
    let c = Client::builder()
        .client_credentials(creds(&server).rate_limit_wait(window_hook))
        .proxy(ProxyConfig::none())
        .timeouts(Timeouts::none())
        .retry_policy(RetryPolicy::default().max_total_delay(Duration::from_secs(60)))
        .build()
        .unwrap();
    ok(&c, &server).await;
    let times = app.state.lock().unwrap().token_requests.clone();
    assert_eq!(times.len(), 3);
    // Retry-After 5 against the body's 60 s / 50: the longer one; then the body alone.
    assert!(
        times[1] - times[0] >= Duration::from_secs(5),
        "{:?}",
        times[1] - times[0]
    );
    assert!(
        times[2] - times[1] >= Duration::from_millis(1200),
        "{:?}",
        times[2] - times[1]
    );
    assert_eq!(c.stats().token_requests, 1, "one token fetched");

    // Past the retry budget: a typed error that says how long to wait.
    let app = OAuthApp::new(Some(3600));
    let server = TestServer::plain(app.handler()).await;
    for _ in 0..10 {
        app.script(rate_limited(Some(40)));
    }
    let c = Client::builder()
        .client_credentials(creds(&server))
        .proxy(ProxyConfig::none())
        .timeouts(Timeouts::none())
        .build()
        .unwrap();
    let e = c.execute(get(&server.url("/api/x"))).await.unwrap_err();
    match &e {
        Error::Token {
            problem, status, ..
        } => {
            assert_eq!(
                *problem,
                TokenProblem::RateLimited {
                    retry_after: Some(Duration::from_secs(40))
                }
            );
            assert_eq!(*status, Some(StatusCode::TOO_MANY_REQUESTS));
            assert!(problem.hint().contains("keep tokens"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn bad_client_and_token_limit_are_typed_with_hints_and_no_secret() {
    guarded(async {
        let app = OAuthApp::new(Some(3600));
        let server = TestServer::plain(app.handler()).await;
        let wrong = ClientCredentials::new(&server.url("/oauth/token"), CLIENT_ID, "mdb_sa_sk_WRONG")
            .unwrap();
        let c = client(wrong);
        let e = c.execute(get(&server.url("/api/x"))).await.unwrap_err();
        let Error::Token { problem, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*problem, TokenProblem::InvalidClient);
        assert!(problem.hint().contains("client id and secret"));
        for text in [e.to_string(), format!("{e:?}"), format!("{c:?}")] {
            assert!(!text.contains("WRONG"), "{text}");
        }

        app.script(json(
            403,
            r#"{"error":"access_denied","error_description":"Access Token limit reached for this service account."}"#,
        ));
        let c = client(creds(&server));
        let e = c.execute(get(&server.url("/api/x"))).await.unwrap_err();
        let Error::Token { problem, description, status, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*problem, TokenProblem::AccessDenied);
        assert_eq!(*status, Some(StatusCode::FORBIDDEN));
        assert!(description.as_deref().unwrap().contains("limit reached"));
        assert!(e.to_string().contains("access denied"), "{e}");
        for text in [e.to_string(), format!("{e:?}"), format!("{c:?}")] {
            assert!(!text.contains("super+secret"), "{text}");
        }
        // A not-OAuth answer is a BadAnswer, not a panic.
        app.script(json(200, r#"{"access_token":"x","token_type":"MAC"}"#));
        let e = client(creds(&server))
            .execute(get(&server.url("/api/x")))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Token { problem: TokenProblem::BadAnswer, .. }), "{e:?}");
    })
    .await;
}

#[tokio::test]
async fn the_store_is_loaded_before_asking_and_saved_after() {
    guarded(async {
        let app = OAuthApp::new(Some(3600));
        let server = TestServer::plain(app.handler()).await;
        let store = Arc::new(MemoryTokenStore::new());
        let key = TokenKey {
            token_url: server.url("/oauth/token"),
            client_id: CLIENT_ID.into(),
        };
        let c = Client::builder()
            .client_credentials(creds(&server))
            .token_store(store.clone())
            .proxy(ProxyConfig::none())
            .build()
            .unwrap();
        ok(&c, &server).await;
        let saved = store.load(&key).unwrap().expect("saved");
        let left = saved
            .expires_at
            .unwrap()
            .duration_since(SystemTime::now())
            .unwrap();
        assert!(left > Duration::from_secs(3500) && left <= Duration::from_secs(3600));
        // A second client (a second process) with the same store asks for nothing.
        let c2 = Client::builder()
            .client_credentials(creds(&server))
            .token_store(store.clone())
            .proxy(ProxyConfig::none())
            .build()
            .unwrap();
        ok(&c2, &server).await;
        assert_eq!(app.token_requests(), 1);
        assert_eq!(c2.stats().token_requests, 0);
        // A stored token about to expire is not used.
        store
            .save(
                &key,
                &StoredToken::new(
                    AccessToken::new("eyJ.old.sig"),
                    Some(SystemTime::now() + Duration::from_secs(3)),
                ),
            )
            .unwrap();
        let c3 = Client::builder()
            .client_credentials(creds(&server))
            .token_store(store.clone())
            .proxy(ProxyConfig::none())
            .build()
            .unwrap();
        ok(&c3, &server).await;
        assert_eq!(app.token_requests(), 2);
        assert_eq!(app.state.lock().unwrap().uses.get("eyJ.old.sig"), None);
        // A stored token the server refuses is replaced once, and not believed again.
        app.forget_tokens();
        let c4 = Client::builder()
            .client_credentials(creds(&server))
            .token_store(store.clone())
            .proxy(ProxyConfig::none())
            .build()
            .unwrap();
        ok(&c4, &server).await;
        assert_eq!(app.token_requests(), 3);
    })
    .await;
}

#[tokio::test]
async fn revoke_calls_the_endpoint_and_forgets_the_token() {
    guarded(async {
        let app = OAuthApp::new(Some(3600));
        let server = TestServer::plain(app.handler()).await;
        let store = Arc::new(MemoryTokenStore::new());
        let c = Client::builder()
            .client_credentials(creds(&server))
            .token_store(store.clone())
            .proxy(ProxyConfig::none())
            .build()
            .unwrap();
        assert!(!c.revoke_token().await.unwrap(), "nothing to revoke yet");
        ok(&c, &server).await;
        assert!(c.known_token().is_some());
        assert!(c.revoke_token().await.unwrap());
        assert_eq!(
            app.state.lock().unwrap().revoked,
            vec!["eyJ.tok-1.sig".to_owned()]
        );
        assert!(c.known_token().is_none());
        ok(&c, &server).await;
        assert_eq!(app.token_requests(), 2);
        assert_eq!(
            app.state.lock().unwrap().api_401s,
            0,
            "the revoked token was not sent"
        );
    })
    .await;
}

#[tokio::test]
async fn plain_http_to_a_remote_token_endpoint_is_refused() {
    let c = client(
        ClientCredentials::new("http://auth.example/token", CLIENT_ID, CLIENT_SECRET).unwrap(),
    );
    let e = c.execute(get("https://api.example/x")).await.unwrap_err();
    assert!(matches!(e, Error::InsecureCredentials { .. }), "{e:?}");
    let c = Client::builder()
        .bearer_token(AccessToken::new("t"))
        .proxy(ProxyConfig::none())
        .build()
        .unwrap();
    let e = c.execute(get("http://api.example/x")).await.unwrap_err();
    assert!(matches!(e, Error::InsecureCredentials { .. }), "{e:?}");
}
