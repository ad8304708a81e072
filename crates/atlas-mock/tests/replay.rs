//! Replay protection and nonce expiry, driven with hand-made Authorization headers.

mod common;

use std::time::Duration;

use anyhow::Result;
use atlas_digest::{Authorize, Credentials, DigestClient, RequestFacts};
use atlas_mock::{ClockMode, DigestSettings, MockAtlas, seed};
use common::*;
use http::{Method, StatusCode};

/// A client that has adopted a challenge, and `n` Authorization values for `target` (nc 1..=n).
async fn authorizations(
    mock: &atlas_mock::MockHandle,
    conn: &mut Conn,
    target: &str,
    n: usize,
) -> Result<Vec<String>> {
    let client = DigestClient::new(Credentials::new(mock.public_key(), mock.private_key()));
    let r = conn.send(Method::GET, target, &[], None).await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let mut state = client.start();
    let values = common::challenges(&r.headers);
    client.on_unauthorized(&mut state, values)?;
    let mut out = Vec::new();
    // The request that fetched the challenge sends first on it (nc 1), then fresh ones.
    let mut first = Some(state);
    for _ in 0..n {
        let mut s = first.take().unwrap_or_else(|| client.start());
        match client.authorize(&mut s, &RequestFacts::new("GET", target), &cnonce())? {
            Authorize::Send { header, .. } => out.push(header),
            other => anyhow::bail!("nonce held, yet {other:?}"),
        }
    }
    Ok(out)
}

/// Sends one request with `authz` on a new connection.
async fn send_one(mock: &atlas_mock::MockHandle, target: &str, authz: &str) -> Result<StatusCode> {
    let mut c = Conn::open(mock).await?;
    Ok(c.send(Method::GET, target, &[], Some(authz)).await?.status)
}

fn nc_of(authz: &str) -> u32 {
    let i = authz.find("nc=").unwrap() + 3;
    u32::from_str_radix(&authz[i..i + 8], 16).unwrap()
}

#[tokio::test]
async fn the_same_authorization_twice_is_rejected() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let target = v1_snapshot(seed::GROUP_ID, seed::CLUSTER_NAME, seed::SNAPSHOT_ID);
    let mut conn = Conn::open(&mock).await?;
    let a = authorizations(&mock, &mut conn, &target, 1).await?;
    assert_eq!(
        conn.send(Method::GET, &target, &[], Some(&a[0]))
            .await?
            .status,
        StatusCode::OK
    );
    let again = conn.send(Method::GET, &target, &[], Some(&a[0])).await?;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    // The replay is not stale: the client must not silently retry with the same credentials.
    assert!(
        again
            .header("www-authenticate")
            .is_some_and(|c| c.contains("stale=false")),
        "{:?}",
        again.headers
    );
    // Also from another connection.
    let mut other = Conn::open(&mock).await?;
    assert_eq!(
        other
            .send(Method::GET, &target, &[], Some(&a[0]))
            .await?
            .status,
        StatusCode::UNAUTHORIZED
    );
    let last = mock.journal().pop().unwrap();
    assert!(
        last.error
            .as_deref()
            .is_some_and(|e| e.contains("replay") || e.contains("Replay") || e.contains("used")),
        "{last:?}"
    );
    // The Authorization is bound to its URI too.
    let b = authorizations(&mock, &mut conn, &target, 1).await?;
    let elsewhere = v1_list(seed::GROUP_ID, seed::CLUSTER_NAME);
    assert_eq!(
        conn.send(Method::GET, &elsewhere, &[], Some(&b[0]))
            .await?
            .status,
        StatusCode::UNAUTHORIZED
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn nc_backwards_is_rejected_and_out_of_order_within_the_window_accepted() -> Result<()> {
    let mock = MockAtlas::builder()
        .digest(DigestSettings::default().replay_window(4))
        .start()
        .await?;
    let target = v1_snapshot(seed::GROUP_ID, seed::CLUSTER_NAME, seed::SNAPSHOT_ID);
    let mut conn = Conn::open(&mock).await?;
    let a = authorizations(&mock, &mut conn, &target, 12).await?;
    let ncs: Vec<u32> = a.iter().map(|x| nc_of(x)).collect();
    assert_eq!(ncs, (1..=12).collect::<Vec<u32>>());
    let send = |i: usize| send_one(&mock, &target, &a[i - 1]);
    // nc 10 first, then 8 and 9 (overtaken, within the window of 4): accepted once each.
    assert_eq!(send(10).await?, StatusCode::OK);
    assert_eq!(send(8).await?, StatusCode::OK);
    assert_eq!(send(9).await?, StatusCode::OK);
    assert_eq!(
        send(8).await?,
        StatusCode::UNAUTHORIZED,
        "replay inside the window"
    );
    // nc 3 is 7 below the highest: outside the window, rejected.
    assert_eq!(
        send(3).await?,
        StatusCode::UNAUTHORIZED,
        "nc went backwards beyond the window"
    );
    assert_eq!(send(12).await?, StatusCode::OK);
    assert_eq!(send(10).await?, StatusCode::UNAUTHORIZED);
    assert_eq!(send(11).await?, StatusCode::OK);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn concurrent_requests_on_one_nonce_are_accepted() -> Result<()> {
    // One DigestClient shared by 16 connections: the nc values arrive out of order, all within the window.
    let mock = MockAtlas::builder().start().await?;
    let target = v1_snapshot(seed::GROUP_ID, seed::CLUSTER_NAME, seed::SNAPSHOT_ID);
    let mut first = Client::new(&mock).await?;
    assert_eq!(first.get(&target).await?.status, StatusCode::OK);
    let digest = first.digest.clone();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let digest = digest.clone();
        let conn = Conn::open(&mock).await?;
        let target = target.clone();
        tasks.spawn(async move {
            let mut c = Client {
                conn,
                digest,
                info: atlas_mock::AuthenticationInfo::Omit,
            };
            let mut statuses = Vec::new();
            for _ in 0..8 {
                statuses.push(c.get(&target).await?.status);
            }
            anyhow::Ok(statuses)
        });
    }
    while let Some(r) = tasks.join_next().await {
        assert!(r??.iter().all(|s| *s == StatusCode::OK));
    }
    // 1 challenge in total: every later request reused the nonce.
    let challenges = mock.journal().iter().filter(|e| e.status == 401).count();
    assert_eq!(challenges, 1);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn an_expired_nonce_is_stale_and_our_client_recovers() -> Result<()> {
    // Nonce expiry reads the mock clock: a manual clock makes "expired" exact.
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .digest(DigestSettings::default().nonce_lifetime(Duration::from_secs(300)))
        .start()
        .await?;
    let target = v1_snapshot(seed::GROUP_ID, seed::CLUSTER_NAME, seed::SNAPSHOT_ID);
    let mut c = Client::new(&mock).await?;
    assert_eq!(c.get(&target).await?.status, StatusCode::OK);
    let (_, nonce1) = c.digest.current_nonce().unwrap();
    // Exactly at the lifetime the nonce still works ...
    mock.clock().advance(Duration::from_secs(300));
    assert_eq!(c.get(&target).await?.status, StatusCode::OK);
    assert_eq!(c.digest.current_nonce().unwrap().1, nonce1);
    assert_eq!(
        mock.journal()
            .iter()
            .filter(|e| e.status == 401 && e.had_credentials)
            .count(),
        0
    );
    // ... one millisecond later it is stale.
    mock.clock().advance(Duration::from_millis(1));
    assert_eq!(c.get(&target).await?.status, StatusCode::OK);
    let (_, nonce2) = c.digest.current_nonce().unwrap();
    assert_ne!(nonce1, nonce2);
    let stale: Vec<_> = mock
        .journal()
        .into_iter()
        .filter(|e| e.status == 401 && e.had_credentials)
        .collect();
    assert_eq!(stale.len(), 1, "one stale round trip");
    assert!(
        stale[0]
            .error
            .as_deref()
            .is_some_and(|e| e.to_lowercase().contains("stale") || e.contains("expired")),
        "{stale:?}"
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_nonce_table_is_bounded() -> Result<()> {
    let mock = MockAtlas::builder()
        .digest(DigestSettings::default().max_tracked_nonces(8))
        .start()
        .await?;
    let target = v1_snapshot(seed::GROUP_ID, seed::CLUSTER_NAME, seed::SNAPSHOT_ID);
    for _ in 0..40 {
        // a fresh client each time: a new nonce each time
        let mut c = Client::new(&mock).await?;
        assert_eq!(c.get(&target).await?.status, StatusCode::OK);
        let s = mock.stats();
        assert!(s.digest_nonces <= 8, "{s:?}");
    }
    let s = mock.stats();
    assert_eq!(s.digest_nonce_capacity, 8);
    assert_eq!(s.digest_nonces, 8);
    mock.shutdown().await;
    Ok(())
}
