//! Digest in one round trip, against a real hyper server on 127.0.0.1 (plain and TLS) that
//! verifies with `atlas_digest::DigestServer`.

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use atlas_transport::{Client, Error, Executor, ProxyConfig, RetryPolicy};
use http::StatusCode;
use support::{DigestApp, TestServer, get, guarded};

const USER: &str = "public-key";
const PASSWORD: &str = "private-key-secret";

fn client_for(server: &TestServer, password: &str) -> Client {
    let mut b = Client::builder()
        .credentials(USER, password)
        .proxy(ProxyConfig::none())
        .retry_policy(RetryPolicy::none());
    if server.ca.is_some() {
        b = b.add_root_pem(server.ca_pem());
    }
    b.build().expect("client")
}

async fn first_pays_the_challenge_then_one_round_trip_each(tls: bool) {
    let app = DigestApp::new(USER, PASSWORD);
    let server = if tls {
        TestServer::tls(app.handler()).await
    } else {
        TestServer::plain(app.handler()).await
    };
    let client = client_for(&server, PASSWORD);

    let r = client
        .execute(get(&server.url("/api/atlas/v2/groups/1")))
        .await
        .expect("first");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        std::str::from_utf8(r.body())
            .unwrap()
            .contains("\"user\":\"public-key\"")
    );
    let s = client.stats();
    assert_eq!((s.requests, s.round_trips, s.challenges), (1, 2, 1));

    for i in 2..=100 {
        let r = client
            .execute(get(
                &server.url(&format!("/api/atlas/v2/groups/{i}?pageNum=1"))
            ))
            .await
            .expect("later request");
        assert_eq!(r.status(), StatusCode::OK, "request {i}");
    }
    let s = client.stats();
    assert_eq!(s.requests, 100);
    assert_eq!(
        s.round_trips,
        2 + 99,
        "the 99 later requests take one round trip each"
    );
    assert_eq!(s.challenges, 1);
    assert_eq!(s.retries, 0);

    let seen = app.seen();
    assert_eq!(seen.len(), 101);
    assert_eq!(app.unauthorized_count(), 1);
    assert!(
        seen[0].authorization.is_none(),
        "the very first request carries no credentials"
    );
    let ncs: Vec<String> = seen[1..].iter().map(|s| s.nc().expect("nc")).collect();
    let distinct: HashSet<&String> = ncs.iter().collect();
    assert_eq!(distinct.len(), 100);
    assert_eq!(ncs[0], "00000001");
    assert_eq!(ncs[99], format!("{:08x}", 100));
}

#[tokio::test]
async fn plain_first_request_two_round_trips_next_99_one_each() {
    guarded(first_pays_the_challenge_then_one_round_trip_each(false)).await;
}

#[tokio::test]
async fn tls_first_request_two_round_trips_next_99_one_each() {
    guarded(first_pays_the_challenge_then_one_round_trip_each(true)).await;
}

#[tokio::test]
async fn stale_nonce_mid_run_costs_one_extra_round_trip() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let client = client_for(&server, PASSWORD);
        for _ in 0..5 {
            client
                .execute(get(&server.url("/a")))
                .await
                .expect("warm up");
        }
        assert_eq!(client.stats().round_trips, 6);

        app.advance(7 * 24 * 3600); // every nonce issued so far is now expired
        let r = client
            .execute(get(&server.url("/b")))
            .await
            .expect("after stale");
        assert_eq!(r.status(), StatusCode::OK);
        let s = client.stats();
        assert_eq!(s.round_trips, 8, "stale costs exactly one extra round trip");
        assert_eq!(s.challenges, 2);

        client
            .execute(get(&server.url("/c")))
            .await
            .expect("after recovery");
        assert_eq!(client.stats().round_trips, 9, "then back to one round trip");

        let seen = app.seen();
        let stale_401 = &seen[6];
        assert_eq!(stale_401.status, 401);
        assert!(stale_401.authorization.is_some());
    })
    .await;
}

#[tokio::test]
async fn wrong_password_fails_after_exactly_one_retry() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let client = client_for(&server, "wrong-password");
        let err = client
            .execute(get(&server.url("/x")))
            .await
            .expect_err("must be rejected");
        match &err {
            Error::AuthRejected {
                url,
                reason,
                response,
            } => {
                assert_eq!(url, &server.url("/x"));
                assert_eq!(
                    reason.as_deref(),
                    Some("Unauthorized: You are not authorized for this resource.")
                );
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
                assert!(
                    std::str::from_utf8(response.body())
                        .unwrap()
                        .contains("NOT_ATLAS_ADMIN")
                );
            }
            other => panic!("expected AuthRejected, got {other:?}"),
        }
        assert_eq!(
            app.seen().len(),
            2,
            "the probe and exactly one retry with credentials"
        );
        assert_eq!(client.stats().round_trips, 2);
        assert!(!err.to_string().contains("wrong-password"));

        // A second request does not loop either: one attempt with a fresh challenge at most.
        let again = client
            .execute(get(&server.url("/y")))
            .await
            .expect_err("rejected again");
        assert!(matches!(again, Error::AuthRejected { .. }));
        assert!(app.seen().len() <= 4);
    })
    .await;
}

#[tokio::test]
async fn tampered_rspauth_is_a_digest_error() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let client = client_for(&server, PASSWORD);
        client
            .execute(get(&server.url("/ok")))
            .await
            .expect("genuine server");
        app.tamper_rspauth.store(true, Ordering::SeqCst);
        let err = client
            .execute(get(&server.url("/ok")))
            .await
            .expect_err("forged rspauth");
        assert!(
            matches!(
                err,
                Error::Digest(atlas_digest::DigestError::RspauthMismatch)
            ),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn credentials_never_go_over_plain_http_to_remote_hosts() {
    let client = Client::builder()
        .credentials(USER, PASSWORD)
        .proxy(ProxyConfig::none())
        .build()
        .expect("client");
    let err = client
        .execute(get("http://user:pw@api.example.com/api?x=1"))
        .await
        .expect_err("refused");
    match err {
        Error::InsecureCredentials { url } => assert_eq!(url, "http://api.example.com/api?x=1"),
        other => panic!("expected InsecureCredentials, got {other:?}"),
    }
    assert_eq!(client.stats().round_trips, 0, "nothing was sent");
}

#[tokio::test]
async fn the_executor_trait_object_works_like_the_client() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let exec: Arc<dyn Executor> = Arc::new(client_for(&server, PASSWORD));
        let r = exec.execute(get(&server.url("/trait"))).await.expect("ok");
        assert_eq!(r.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn a_body_request_is_authenticated_too() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let client = client_for(&server, PASSWORD);
        let req = http::Request::post(server.url("/snapshots"))
            .header("content-type", "application/json")
            .body(bytes::Bytes::from_static(br#"{"retentionInDays":3}"#))
            .expect("request");
        let r = client.execute(req).await.expect("post");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            client.stats().round_trips,
            2,
            "first request to the origin pays the challenge"
        );
    })
    .await;
}

#[tokio::test]
async fn a_plain_401_to_a_cached_nonce_gets_one_fresh_challenge_and_no_more() {
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let client = client_for(&server, PASSWORD);
        client
            .execute(get(&server.url("/warm")))
            .await
            .expect("accepted once");
        // A server that forgot its nonces (a restart) answers the cached nonce with a plain 401:
        // the request answers the fresh challenge that came with it.
        app.force_401.store(1, Ordering::SeqCst);
        let r = client
            .execute(get(&server.url("/again")))
            .await
            .expect("recovered");
        assert_eq!(r.status(), StatusCode::OK);
        let statuses: Vec<u16> = app.seen()[2..].iter().map(|s| s.status).collect();
        assert_eq!(statuses, vec![401, 200]);

        // A plain 401 to the answer to a challenge this request adopted is final: wrong
        // credentials, not something to retry.
        app.force_401.store(2, Ordering::SeqCst);
        let err = client
            .execute(get(&server.url("/refused")))
            .await
            .expect_err("rejected");
        assert!(matches!(err, Error::AuthRejected { .. }), "{err:?}");
        let statuses: Vec<u16> = app.seen()[4..].iter().map(|s| s.status).collect();
        assert_eq!(statuses, vec![401, 401], "one fresh attempt, never a loop");
    })
    .await;
}

#[tokio::test]
async fn a_401_without_a_challenge_to_good_credentials_is_the_answer() {
    guarded(async {
        // Atlas answers a key that lacks the role for a request with a 401 that has no
        // WWW-Authenticate: the answer itself, not a handshake step nor a digest failure.
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let client = client_for(&server, PASSWORD);
        for path in ["/no-role/first", "/no-role/cached"] {
            let r = client
                .execute(get(&server.url(path)))
                .await
                .expect("the 401 is returned");
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            assert!(r.headers().get("www-authenticate").is_none());
            assert!(
                String::from_utf8_lossy(r.body()).contains("USER_UNAUTHORIZED"),
                "{r:?}"
            );
        }
        let statuses: Vec<u16> = app.seen().iter().map(|s| s.status).collect();
        assert_eq!(
            statuses,
            vec![401, 401, 401],
            "challenge, answer; then the cached nonce"
        );
        // Only the real challenge counts as one.
        assert_eq!(client.stats().challenges, 1);
        // The nonce still works for the next request: one round trip.
        client
            .execute(get(&server.url("/after")))
            .await
            .expect("accepted");
        assert_eq!(app.seen().len(), 4);
    })
    .await;
}

#[tokio::test]
async fn the_digest_configuration_is_honoured() {
    guarded(async {
        // MD5 is all this server offers (as Atlas); a client that refuses MD5 says so, after one
        // probe.
        let app =
            DigestApp::with_config(USER, PASSWORD, atlas_digest::ServerConfig::mongodb_atlas());
        let server = TestServer::plain(app.handler()).await;
        let client = Client::builder()
            .credentials(USER, PASSWORD)
            .proxy(ProxyConfig::none())
            .retry_policy(RetryPolicy::none())
            .digest_config(
                atlas_digest::ClientConfig::default().with_md5(atlas_digest::Md5::Refuse),
            )
            .build()
            .expect("client");
        let err = client
            .execute(get(&server.url("/md5")))
            .await
            .expect_err("no acceptable challenge");
        assert!(
            matches!(
                err,
                Error::Digest(atlas_digest::DigestError::NoSupportedChallenge { .. })
            ),
            "{err:?}"
        );
        assert_eq!(app.seen().len(), 1);
    })
    .await;
}
