//! No client secret and no token ever reaches the log, at TRACE, through a token fetch, a
//! refused token, a renewal and a revocation. A test binary of its own, so that no other test
//! registers tracing callsites concurrently with the scoped subscriber.

mod support;

use atlas_transport::oauth::ClientCredentials;
use atlas_transport::{Client, ProxyConfig};
use support::oauth_app::{CLIENT_ID, CLIENT_SECRET, OAuthApp};
use support::{TestServer, get, guarded};

#[tokio::test]
async fn no_secret_and_no_token_in_the_log() {
    let (captured, _guard) = support::logs::capture();
    guarded(async {
        let app = OAuthApp::new(Some(3600));
        let server = TestServer::plain(app.handler()).await;
        let creds = ClientCredentials::new(&server.url("/oauth/token"), CLIENT_ID, CLIENT_SECRET)
            .unwrap()
            .revoke_url(&server.url("/oauth/revoke"))
            .unwrap();
        let c = Client::builder()
            .client_credentials(creds)
            .proxy(ProxyConfig::none())
            .build()
            .unwrap();
        c.execute(get(&server.url("/api/x"))).await.unwrap();
        app.forget_tokens();
        c.execute(get(&server.url("/api/x"))).await.unwrap();
        assert!(c.revoke_token().await.unwrap());
        tracing::debug!(client = ?c, "done");
    })
    .await;
    let log = captured.text();
    assert!(log.contains("got an access token"), "{log}");
    assert!(log.contains(CLIENT_ID), "the id is not a secret: {log}");
    for secret in [CLIENT_SECRET, "super", "tok-1", "tok-2", "eyJ"] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
}
