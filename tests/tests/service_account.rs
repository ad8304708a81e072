//! The whole stack with a service account: `AtlasClient` -> `atlas-transport` (OAuth 2.0 client
//! credentials, bearer) over loopback to `atlas-mock`'s token endpoint and bearer-protected API.
//! The mock's journal (and its live-token count) is the witness.

use std::time::Duration;

use atlas_mock::{ClockMode, MockAtlas, MockHandle, OAuthSettings, seed};
use atlas_model::{ClusterName, GroupId, SnapshotId};
use atlas_snapshots::oauth::TokenProblem;
use atlas_snapshots::{AtlasClient, Error, Timeouts, TransportError};

fn ids() -> (GroupId, ClusterName, SnapshotId) {
    (
        seed::GROUP_ID.parse().unwrap(),
        seed::FLEX_CLUSTER_NAME.parse().unwrap(),
        seed::FLEX_SNAPSHOT_ID.parse().unwrap(),
    )
}

fn client_for(mock: &MockHandle) -> AtlasClient {
    let sa = mock.service_account();
    AtlasClient::builder()
        .base_url(mock.base_url())
        .service_account(sa.client_id(), sa.client_secret())
        // No timeouts: on a paused clock they would fire while a socket is busy.
        .timeouts(Timeouts::none())
        .build()
        .unwrap()
}

/// Token requests and API 401s in the journal.
fn counts(mock: &MockHandle) -> (usize, usize) {
    let j = mock.journal();
    (
        j.iter().filter(|e| e.path == "/api/oauth/token").count(),
        j.iter()
            .filter(|e| e.path != "/api/oauth/token" && e.status == 401)
            .count(),
    )
}

async fn get(client: &AtlasClient) -> Result<(), Error> {
    let (g, c, s) = ids();
    client
        .flex_snapshots()
        .get(&g, &c, &s)
        .send()
        .await
        .map(|_| ())
}

#[tokio::test]
async fn concurrent_first_requests_ask_for_one_token() {
    for n in [1usize, 16, 256] {
        let mock = MockAtlas::builder().start().await.unwrap();
        let client = client_for(&mock);
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let c = client.clone();
                tokio::spawn(async move { get(&c).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(counts(&mock), (1, 0), "n = {n}");
        assert_eq!(mock.live_tokens(mock.service_account().client_id()), 1);
        let stats = client.stats().unwrap();
        assert_eq!(stats.token_requests, 1);
        assert_eq!(stats.round_trips, n as u64, "one round trip per get");
        mock.shutdown().await;
    }
}

/// The mock's clock and the client's both run on tokio's paused clock: the client renews ahead
/// of expiry, and never sends a token the mock considers expired.
#[tokio::test(start_paused = true)]
async fn tokens_are_renewed_ahead_of_expiry() {
    let mock = MockAtlas::builder()
        .oauth(
            OAuthSettings::default()
                .token_lifetime(Duration::from_secs(600))
                .unwrap(),
        )
        .start()
        .await
        .unwrap();
    let client = client_for(&mock);
    get(&client).await.unwrap();
    tokio::time::advance(Duration::from_secs(300)).await;
    get(&client).await.unwrap();
    // Margin of a 600 s token: 60 s. 545 s in, the next request renews.
    tokio::time::advance(Duration::from_secs(245)).await;
    get(&client).await.unwrap();
    let (tokens, refused) = counts(&mock);
    assert_eq!(refused, 0, "no request carried an expired token");
    assert!(
        tokens >= 2,
        "renewed ahead of expiry: {tokens} token requests"
    );
    assert_eq!(client.stats().unwrap().token_requests as usize, tokens);
    mock.shutdown().await;
}

/// Expiry on the mock's manual clock (the client does not know): one `401`, one fresh token,
/// the request succeeds.
#[tokio::test]
async fn an_expired_token_costs_one_retry() {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .start()
        .await
        .unwrap();
    let client = client_for(&mock);
    get(&client).await.unwrap();
    mock.clock().advance(Duration::from_secs(3601));
    get(&client).await.unwrap();
    assert_eq!(counts(&mock), (2, 1));
    // Revoked at Atlas: the same.
    mock.revoke_tokens(mock.service_account().client_id());
    get(&client).await.unwrap();
    assert_eq!(counts(&mock), (3, 2));
    mock.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_token_endpoints_rate_limit_is_waited_out() {
    let mock = MockAtlas::builder()
        .oauth(OAuthSettings::default().token_rate_limit(2, 1).unwrap())
        .start()
        .await
        .unwrap();
    // Two processes' worth of tokens use the budget; the third waits for the refill.
    for _ in 0..2 {
        get(&client_for(&mock)).await.unwrap();
    }
    let third = AtlasClient::builder()
        .base_url(mock.base_url())
        .service_account(
            mock.service_account().client_id(),
            mock.service_account().client_secret(),
        )
        .timeouts(Timeouts::none())
        .retry_policy(
            atlas_snapshots::RetryPolicy::default().max_total_delay(Duration::from_secs(120)),
        )
        .build()
        .unwrap();
    get(&third).await.unwrap();
    let j = mock.journal();
    let token: Vec<_> = j.iter().filter(|e| e.path == "/api/oauth/token").collect();
    assert_eq!(
        token.iter().filter(|e| e.status == 429).count(),
        1,
        "{token:?}"
    );
    let limited = token.iter().position(|e| e.status == 429).unwrap();
    let gap = token[limited + 1].received_at - token[limited].received_at;
    assert!(gap.num_milliseconds() >= 1000, "{gap}");
    mock.shutdown().await;
}

#[tokio::test]
async fn revoke_ends_the_token_at_the_mock() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let client = client_for(&mock);
    let id = mock.service_account().client_id().to_owned();
    assert!(!client.revoke_token().await.unwrap());
    get(&client).await.unwrap();
    assert_eq!(mock.live_tokens(&id), 1);
    assert!(client.revoke_token().await.unwrap());
    assert_eq!(mock.live_tokens(&id), 0);
    get(&client).await.unwrap();
    assert_eq!(
        counts(&mock),
        (2, 0),
        "a new token, and the revoked one never sent"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn bad_secrets_and_the_live_token_limit_are_typed() {
    let mock = MockAtlas::builder()
        .oauth(OAuthSettings::default().max_live_tokens(1).unwrap())
        .start()
        .await
        .unwrap();
    let sa = mock.service_account();
    let wrong = AtlasClient::builder()
        .base_url(mock.base_url())
        .service_account(sa.client_id(), "mdb_sa_sk_wrong-secret")
        .build()
        .unwrap();
    let e = get(&wrong).await.unwrap_err();
    match &e {
        Error::Transport(TransportError::Token { problem, .. }) => {
            assert_eq!(*problem, TokenProblem::InvalidClient)
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.to_string().contains("wrong-secret") && !format!("{e:?}").contains("wrong-secret"));
    assert!(e.hint().unwrap().contains("client id and secret"));
    get(&client_for(&mock)).await.unwrap();
    let e = get(&client_for(&mock)).await.unwrap_err();
    match &e {
        Error::Transport(TransportError::Token { problem, .. }) => {
            assert_eq!(*problem, TokenProblem::AccessDenied)
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.to_string().contains(sa.client_secret()));
    mock.shutdown().await;
}
