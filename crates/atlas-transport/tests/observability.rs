//! Observability: the tracing spans carry method, path, status, attempt, challenged and
//! elapsed time, and no secret ever reaches the log. A test binary of its own, so that no other
//! test registers tracing callsites concurrently with the scoped subscriber.

mod support;

use atlas_transport::{Client, ProxyConfig, RetryPolicy};
use support::{DigestApp, TestServer, get, guarded};

const USER: &str = "public-key";
const PASSWORD: &str = "private-key-secret";

fn client_for(password: &str) -> Client {
    Client::builder()
        .credentials(USER, password)
        .proxy(ProxyConfig::none())
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn spans_carry_the_request_facts_and_never_the_secrets() {
    let (captured, _guard) = support::logs::capture();
    guarded(async {
        let app = DigestApp::new(USER, PASSWORD);
        let server = TestServer::plain(app.handler()).await;
        let client = client_for(PASSWORD);
        client
            .execute(get(&server.url("/logged?pageNum=2")))
            .await
            .expect("ok");
        let wrong = client_for("another-secret-password");
        let _ = wrong.execute(get(&server.url("/rejected"))).await;
        let debug = format!("{client:?} {wrong:?}");
        assert!(!debug.contains(PASSWORD) && !debug.contains("another-secret-password"));
    })
    .await;
    let log = captured.text();
    assert!(log.contains("request{method=GET path=\"/logged\""), "{log}");
    assert!(log.contains("status=200"), "{log}");
    assert!(log.contains("challenged=true"), "{log}");
    assert!(log.contains("elapsed_ms="), "{log}");
    assert!(log.contains("attempt{attempt=2 authorized=true"), "{log}");
    for secret in [
        PASSWORD,
        "another-secret-password",
        "response=",
        "Digest username",
    ] {
        assert!(
            !log.contains(secret),
            "{secret:?} leaked into the log:\n{log}"
        );
    }
}
