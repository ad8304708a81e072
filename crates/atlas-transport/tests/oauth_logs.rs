//! No client secret and no token ever reaches the log, at TRACE, through a token fetch, a
//! refused token, a renewal and a revocation. A test binary of its own, so that no other test
//! registers tracing callsites concurrently with the scoped subscriber.

mod support;

use std::sync::Arc;

use atlas_transport::oauth::ClientCredentials;
use atlas_transport::{Client, ProxyConfig};
use support::oauth_app::{CLIENT_ID, CLIENT_SECRET, OAuthApp};
use support::{TestServer, get, guarded};

#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_secret_and_no_token_in_the_log() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
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
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("got an access token"), "{log}");
    assert!(log.contains(CLIENT_ID), "the id is not a secret: {log}");
    for secret in [CLIENT_SECRET, "super", "tok-1", "tok-2", "eyJ"] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
}
