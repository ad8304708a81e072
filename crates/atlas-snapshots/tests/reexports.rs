//! Everything a user configures and matches on is reachable through `atlas_snapshots` alone:
//! this file names no other crate of ours, nor `http` or `bytes` directly.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use atlas_snapshots::bytes::Bytes;
use atlas_snapshots::http::{Request, Response, StatusCode};
use atlas_snapshots::{
    AtlasClient, Error, Executor, Link, ModelError, ProxyConfig, RetryPolicy, RootCertificates,
    Stats, TimeoutKind, Timeouts, TransportError,
};

#[derive(Debug)]
struct TimesOut;

impl Executor for TimesOut {
    fn execute(
        &self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, TransportError>> + Send + '_>> {
        let url = request.uri().to_string();
        Box::pin(async move {
            Err(TransportError::Timeout {
                url,
                kind: TimeoutKind::Attempt,
            })
        })
    }
}

#[test]
fn transport_settings_through_the_builder() {
    let client = AtlasClient::builder()
        .credentials("public", "private")
        .timeouts(Timeouts {
            connect: Some(Duration::from_secs(5)),
            attempt: Some(Duration::from_secs(20)),
            total: Some(Duration::from_secs(60)),
        })
        .retry_policy(RetryPolicy::default().max_attempts(2))
        .proxy(ProxyConfig::none())
        .root_certificates(RootCertificates::default())
        .build()
        .unwrap();
    let stats: Option<Stats> = client.stats();
    assert_eq!(stats.map(|s| s.requests), Some(0));
    let link = Link {
        href: "https://cloud.mongodb.com/x".into(),
        rel: "next".into(),
    };
    assert_eq!(link.rel, "next");
}

#[tokio::test]
async fn transport_errors_match_through_the_reexport() {
    let client = AtlasClient::builder()
        .executor(Arc::new(TimesOut))
        .build()
        .unwrap();
    let (g, c, s) = (
        "5b69d0349b15c62cdfc38b78".parse().unwrap(),
        "M2AWS".parse().unwrap(),
        "5cc310ace5dc7ce369814bc8".parse().unwrap(),
    );
    let e = client
        .tenant_snapshots()
        .get(&g, &c, &s)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &e,
            Error::Transport(TransportError::Timeout {
                kind: TimeoutKind::Attempt,
                ..
            })
        ),
        "{e:?}"
    );
    assert!(e.is_transient());
    assert_eq!(e.status(), None::<StatusCode>);
    let bad: Result<_, ModelError> =
        atlas_snapshots::Raw::<atlas_snapshots::TenantSnapshot>::from_raw(
            serde_json::value::RawValue::from_string("[]".to_owned()).unwrap(),
        );
    assert!(bad.is_err());
}
