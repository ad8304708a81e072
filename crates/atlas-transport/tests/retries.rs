//! Retries: 429 with Retry-After, 503 HTML after the budget, what is and is not retried.
//! Only counts and order are asserted, never wall time.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlas_transport::{Client, Error, ProxyConfig, RetryPolicy};
use bytes::Bytes;
use http::{Request, StatusCode};
use support::{TestServer, get, guarded, handler, response};

const HTML_503: &str = "<html><head><title>503 Service Unavailable</title></head><body>Atlas is down for maintenance</body></html>";

fn fast_policy(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
}

fn client(policy: RetryPolicy) -> Client {
    Client::builder()
        .proxy(ProxyConfig::none())
        .retry_policy(policy)
        .build()
        .expect("client")
}

/// One scripted answer: status, headers, body.
type Step = (u16, Vec<(&'static str, &'static str)>, &'static str);

/// A server answering from a script of (status, headers, body); the last entry repeats.
async fn scripted(script: Vec<Step>) -> (TestServer, Arc<Mutex<Vec<u16>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let hits = Arc::new(AtomicUsize::new(0));
    let script = Arc::new(script);
    let l = log.clone();
    let server = TestServer::plain(handler(move |_req| {
        let (script, hits, log) = (script.clone(), hits.clone(), l.clone());
        async move {
            let i = hits.fetch_add(1, Ordering::SeqCst).min(script.len() - 1);
            let (status, headers, body) = &script[i];
            let mut r = response(*status, Bytes::from_static(body.as_bytes()));
            for (k, v) in headers {
                r.headers_mut().insert(*k, v.parse().expect("header"));
            }
            log.lock().expect("lock").push(*status);
            r
        }
    }))
    .await;
    (server, log)
}

#[tokio::test]
async fn too_many_requests_with_retry_after_is_retried_once_in_order() {
    guarded(async {
        let (server, log) = scripted(vec![
            (
                429,
                vec![("retry-after", "1")],
                r#"{"error":429,"reason":"Too Many Requests"}"#,
            ),
            (200, vec![], "done"),
        ])
        .await;
        let c = client(RetryPolicy::default());
        let r = c
            .execute(get(&server.url("/limited")))
            .await
            .expect("retried");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.body().as_ref(), b"done");
        assert_eq!(
            *log.lock().unwrap(),
            vec![429, 200],
            "429 first, then the retry"
        );
        let s = c.stats();
        assert_eq!((s.requests, s.round_trips, s.retries), (1, 2, 1));
    })
    .await;
}

#[tokio::test]
async fn service_unavailable_html_becomes_a_typed_error_after_the_budget() {
    guarded(async {
        let (server, log) =
            scripted(vec![(503, vec![("content-type", "text/html")], HTML_503)]).await;
        let c = client(fast_policy(3));
        let err = c
            .execute(get(&server.url("/groups?pretty=true")))
            .await
            .expect_err("exhausted");
        match &err {
            Error::RetriesExhausted {
                url,
                attempts,
                last_status,
                response,
            } => {
                assert_eq!(url, &server.url("/groups?pretty=true"));
                assert_eq!(*attempts, 3);
                assert_eq!(*last_status, Some(StatusCode::SERVICE_UNAVAILABLE));
                let body = response.as_ref().expect("last response kept").body();
                assert_eq!(body.as_ref(), HTML_503.as_bytes());
            }
            other => panic!("expected RetriesExhausted, got {other:?}"),
        }
        assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(log.lock().unwrap().len(), 3);
        assert_eq!(c.stats().retries, 2);
    })
    .await;
}

#[tokio::test]
async fn without_retries_a_retryable_status_is_returned_as_is() {
    guarded(async {
        let (server, log) = scripted(vec![(503, vec![], HTML_503)]).await;
        let c = client(RetryPolicy::none());
        let r = c
            .execute(get(&server.url("/x")))
            .await
            .expect("plain response");
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(log.lock().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn non_retryable_statuses_are_ok_responses_sent_once() {
    guarded(async {
        for status in [400u16, 403, 404, 410, 500] {
            let (server, log) = scripted(vec![(status, vec![], "{}")]).await;
            let c = client(fast_policy(4));
            let r = c.execute(get(&server.url("/x"))).await.expect("response");
            assert_eq!(r.status().as_u16(), status);
            assert_eq!(
                log.lock().unwrap().len(),
                1,
                "status {status} is not retried"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn post_is_retried_on_429_but_not_on_503() {
    guarded(async {
        let post = |url: String| {
            Request::post(url)
                .body(Bytes::from_static(b"{}"))
                .expect("request")
        };

        let (server, log) = scripted(vec![(503, vec![], "down")]).await;
        let c = client(fast_policy(4));
        let r = c
            .execute(post(server.url("/create")))
            .await
            .expect("response");
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            log.lock().unwrap().len(),
            1,
            "the server may have acted: no retry"
        );

        let (server, log) = scripted(vec![
            (429, vec![("retry-after", "0")], "slow"),
            (201, vec![], "made"),
        ])
        .await;
        let r = c
            .execute(post(server.url("/create")))
            .await
            .expect("response");
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(*log.lock().unwrap(), vec![429, 201]);
    })
    .await;
}

#[tokio::test]
async fn retry_after_beyond_the_delay_budget_ends_retries_at_once() {
    guarded(async {
        let (server, log) = scripted(vec![(429, vec![("retry-after", "3600")], "later")]).await;
        let c = client(RetryPolicy::default().max_total_delay(Duration::from_secs(10)));
        let err = c
            .execute(get(&server.url("/x")))
            .await
            .expect_err("no budget for an hour");
        assert!(
            matches!(err, Error::RetriesExhausted { attempts: 1, .. }),
            "{err:?}"
        );
        assert_eq!(log.lock().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported_as_connect() {
    guarded(async {
        // Bound but never listening: connections are refused, and no other process can take
        // the port meanwhile (dropping a listener and hoping nobody binds it is a race).
        let (port, _reserved) = support::refusing_port();
        let c = client(fast_policy(3));
        let err = c
            .execute(get(&format!("http://127.0.0.1:{port}/nothing")))
            .await
            .expect_err("refused");
        assert!(matches!(err, Error::Connect { .. }), "{err:?}");
        let s = c.stats();
        assert_eq!((s.round_trips, s.retries), (3, 2));
    })
    .await;
}

/// On tokio's paused clock (virtual time, no real waiting): the retry comes at least the
/// `Retry-After` second after the 429. Only a lower bound holds on a virtual clock, since it also
/// jumps ahead to other timers (such as the pool's idle timer) while waiting for the socket.
#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_on_the_paused_clock() {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let a = arrivals.clone();
    let server = TestServer::plain(handler(move |_req| {
        let a = a.clone();
        async move {
            let mut arrivals = a.lock().expect("lock");
            arrivals.push(tokio::time::Instant::now());
            if arrivals.len() == 1 {
                let mut r = response(429, "slow down");
                r.headers_mut()
                    .insert("retry-after", "1".parse().expect("header"));
                r
            } else {
                response(200, "ok")
            }
        }
    }))
    .await;
    // No timeouts: on a paused clock they would fire while the socket is busy.
    let c = Client::builder()
        .proxy(ProxyConfig::none())
        .timeouts(atlas_transport::Timeouts::none())
        .build()
        .expect("client");
    let r = c
        .execute(get(&server.url("/paused")))
        .await
        .expect("retried");
    assert_eq!(r.status(), StatusCode::OK);
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2);
    assert!(
        arrivals[1] - arrivals[0] >= Duration::from_secs(1),
        "{:?}",
        arrivals[1] - arrivals[0]
    );
}
