//! `Authentication-Info` on digest-authenticated answers: none by default (Atlas sends none), on
//! every one with `AuthenticationInfo::Send`, and, even with `Omit`, whenever a `nextnonce` is
//! due (that header is its only way to the client).

mod common;

use std::time::Duration;

use anyhow::Result;
use atlas_digest::{Qop, RequestFacts};
use atlas_mock::{AuthenticationInfo, ClockMode, DigestSettings, MockAtlas, MockHandle, seed};
use common::*;
use http::{Method, StatusCode};

fn target() -> String {
    v1_snapshot(seed::GROUP_ID, seed::CLUSTER_NAME, seed::SNAPSHOT_ID)
}

/// `Authentication-Info` of every journaled 200, in order.
fn infos_of_200s(mock: &MockHandle) -> Vec<Option<String>> {
    mock.journal()
        .iter()
        .filter(|e| e.status == 200)
        .map(|e| e.response_header("authentication-info").map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_default_sends_none_as_atlas() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    // The client fails any authenticated answer that carries one.
    let mut c = Client::new(&mock).await?;
    for _ in 0..3 {
        let r = c.get(&target()).await?;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("authentication-info"), None);
    }
    assert_eq!(infos_of_200s(&mock), vec![None, None, None]);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn send_puts_a_verifiable_one_on_every_authenticated_answer() -> Result<()> {
    let mock = MockAtlas::builder()
        .digest(DigestSettings::default().authentication_info(AuthenticationInfo::Send))
        .start()
        .await?;
    // The client requires one on every authenticated answer and verifies its rspauth.
    let mut c = Client::new(&mock).await?.expect_authentication_info();
    for _ in 0..3 {
        let r = c.get(&target()).await?;
        assert_eq!(r.status, StatusCode::OK);
        let info = r.header("authentication-info").unwrap();
        assert!(
            info.contains("rspauth=\"") && info.contains("qop=auth"),
            "{info}"
        );
        assert!(!info.contains("nextnonce"), "{info}");
    }
    let infos = infos_of_200s(&mock);
    assert_eq!(infos.len(), 3);
    assert!(infos.iter().all(Option::is_some), "{infos:?}");
    // The 401 challenge never carries one.
    assert!(
        mock.journal()
            .iter()
            .filter(|e| e.status == 401)
            .all(|e| e.response_header("authentication-info").is_none())
    );
    mock.shutdown().await;
    Ok(())
}

/// With `info` (Omit or Send) and a nextnonce due after 100 s on a manual clock: before that the
/// header is as `info` says; once due it carries the nextnonce, which our client adopts.
async fn nextnonce_travels(info: AuthenticationInfo) -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .digest(
            DigestSettings::default()
                .next_nonce_after(Some(Duration::from_secs(100)))
                .authentication_info(info),
        )
        .start()
        .await?;
    let mut c = Client::new(&mock).await?;
    if info == AuthenticationInfo::Send {
        c = c.expect_authentication_info();
    }
    // A fresh nonce: no nextnonce due.
    let r = c.get(&target()).await?;
    assert_eq!(r.status, StatusCode::OK);
    match info {
        AuthenticationInfo::Omit => assert_eq!(r.header("authentication-info"), None),
        AuthenticationInfo::Send => {
            assert!(
                !r.header("authentication-info")
                    .unwrap()
                    .contains("nextnonce")
            );
        }
    }
    let (_, first) = c.digest.current_nonce().unwrap();
    // Old enough: the header is sent (with Omit too), with a nextnonce the client adopts.
    mock.clock().advance(Duration::from_secs(150));
    let r = c.get(&target()).await?;
    assert_eq!(r.status, StatusCode::OK);
    let h = r
        .header("authentication-info")
        .expect("a due nextnonce is sent");
    assert!(
        h.contains("nextnonce=\"") && h.contains("rspauth=\""),
        "{h}"
    );
    let (_, next) = c.digest.current_nonce().unwrap();
    assert_ne!(first, next, "the client moved to the nextnonce");
    assert!(h.contains(&format!("nextnonce=\"{next}\"")), "{h}");
    // The new nonce is fresh: with Omit, silence again; and no challenge was needed.
    let r = c.get(&target()).await?;
    assert_eq!(r.status, StatusCode::OK);
    if info == AuthenticationInfo::Omit {
        assert_eq!(r.header("authentication-info"), None);
    }
    assert_eq!(
        mock.journal().iter().filter(|e| e.status == 401).count(),
        1,
        "only the first request's challenge"
    );
    let last = mock.journal().pop().unwrap();
    assert_eq!(last.auth.unwrap().nonce.as_deref(), Some(next.as_str()));
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_due_nextnonce_is_sent_even_with_omit() -> Result<()> {
    nextnonce_travels(AuthenticationInfo::Omit).await
}

#[tokio::test]
async fn a_due_nextnonce_is_sent_with_send() -> Result<()> {
    nextnonce_travels(AuthenticationInfo::Send).await
}

/// A GET authenticated with `qop=auth-int` (empty request body) on a mock offering only that:
/// the answer, with the state to check its `Authentication-Info`.
async fn auth_int_get(mock: &MockHandle) -> Result<(Client, atlas_digest::RequestState, Resp)> {
    let mut c = Client::new(mock).await?;
    let target = target();
    let mut state = c.digest.start();
    for _ in 0..3 {
        let facts = RequestFacts::new("GET", &target).with_body(b"");
        let (authz, _lease) = authorization(&c.digest, &mut state, &facts, &cnonce())?;
        let r = c
            .conn
            .send(Method::GET, &target, &[], authz.as_deref())
            .await?;
        if r.status == StatusCode::UNAUTHORIZED {
            let values = common::challenges(&r.headers);
            c.digest.on_unauthorized(&mut state, values)?;
            continue;
        }
        return Ok((c, state, r));
    }
    anyhow::bail!("no answer after three tries")
}

#[tokio::test]
async fn auth_int_follows_the_same_rule() -> Result<()> {
    // Omit: none, auth-int or not.
    let mock = MockAtlas::builder()
        .digest(DigestSettings::default().qop([Qop::AuthInt]))
        .start()
        .await?;
    let (_, _, r) = auth_int_get(&mock).await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("authentication-info"), None);
    assert_eq!(
        mock.journal().pop().unwrap().auth.unwrap().qop.as_deref(),
        Some("auth-int")
    );
    mock.shutdown().await;
    // Send: one whose rspauth covers the response body.
    let mock = MockAtlas::builder()
        .digest(
            DigestSettings::default()
                .qop([Qop::AuthInt])
                .authentication_info(AuthenticationInfo::Send),
        )
        .start()
        .await?;
    let (c, state, r) = auth_int_get(&mock).await?;
    assert_eq!(r.status, StatusCode::OK);
    let info = r.header("authentication-info").unwrap();
    assert!(info.contains("qop=auth-int"), "{info}");
    c.digest
        .on_authentication_info_with_body(&state, info, Some(&r.body))?;
    mock.shutdown().await;
    Ok(())
}
