//! Service accounts: the token and revocation endpoints (client authentication with RFC 6749
//! percent-decoding, form bodies, OAuth errors, the live-token limit, the rate limit with Atlas's
//! 429 body), bearer tokens on every API route beside digest, expiry on the mock clock, group,
//! role and IP restrictions, the admin routes and the data file.

mod common;

use std::time::Duration;

use anyhow::Result;
use atlas_mock::{
    ClockMode, IpAccessList, MockAtlas, MockConfig, MockHandle, OAuthSettings, Role,
    ServiceAccount, seed,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use common::*;
use http::{Method, StatusCode};
use serde_json::{Value, json};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// RFC 6749 section 2.3.1: form-encode id and secret, then Basic.
fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

async fn post_form(
    mock: &MockHandle,
    path: &str,
    authz: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Resp> {
    let mut c = Conn::open(mock).await?;
    c.send_body(
        Method::POST,
        path,
        headers,
        authz,
        Bytes::from(body.to_owned()),
    )
    .await
}

async fn token_for(mock: &MockHandle, sa: &ServiceAccount) -> Result<Resp> {
    post_form(
        mock,
        "/api/oauth/token",
        Some(&basic(sa.client_id(), sa.client_secret())),
        &[FORM, ("accept", "application/json")],
        "grant_type=client_credentials",
    )
    .await
}

async fn token(mock: &MockHandle, sa: &ServiceAccount) -> Result<String> {
    let r = token_for(mock, sa).await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    Ok(r.json()["access_token"].as_str().unwrap().to_owned())
}

async fn bearer_get(
    mock: &MockHandle,
    path: &str,
    accept: (&str, &str),
    token: &str,
) -> Result<Resp> {
    let mut c = Conn::open(mock).await?;
    c.send(
        Method::GET,
        path,
        &[accept],
        Some(&format!("Bearer {token}")),
    )
    .await
}

async fn manual() -> Result<MockHandle> {
    Ok(MockAtlas::builder()
        .clock(ClockMode::Manual)
        .start()
        .await?)
}

#[tokio::test]
async fn a_token_from_the_endpoint_works_on_every_route() -> Result<()> {
    let mock = manual().await?;
    let sa = mock.service_account();
    assert!(sa.client_id().starts_with("mdb_sa_id_"));
    let r = token_for(&mock, &sa).await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("pragma"), Some("no-cache"));
    let v = r.json();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    assert_eq!(v.as_object().unwrap().len(), 3, "{v}");
    let t = v["access_token"].as_str().unwrap().to_owned();
    // A JWT whose claims say who and until when.
    let parts: Vec<&str> = t.split('.').collect();
    assert_eq!(parts.len(), 3);
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1])?)?;
    assert_eq!(claims["sub"], sa.client_id());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    // Bearer on every family: tenant v1.0 and v2, flex get, a flex POST, restore jobs; no challenge.
    let g = seed::GROUP_ID;
    for (path, accept) in [
        (
            v1_snapshot(g, seed::CLUSTER_NAME, seed::SNAPSHOT_ID),
            ("accept", "application/json"),
        ),
        (v2_list(g, seed::CLUSTER_NAME), V2_TENANT),
        (
            flex_snapshot(g, seed::FLEX_CLUSTER_NAME, seed::FLEX_SNAPSHOT_ID),
            V2_FLEX,
        ),
        (
            flex_backup(g, seed::FLEX_CLUSTER_NAME, "restoreJobs"),
            V2_FLEX,
        ),
    ] {
        let r = bearer_get(&mock, &path, accept, &t).await?;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        assert!(r.header("authentication-info").is_none());
    }
    let mut c = Conn::open(&mock).await?;
    let r = c
        .send_body(
            Method::POST,
            &flex_backup(g, seed::FLEX_CLUSTER_NAME, "download"),
            &FLEX_POST,
            Some(&format!("Bearer {t}")),
            Bytes::from(json!({"snapshotId": seed::FLEX_SNAPSHOT_ID}).to_string()),
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The journal names the client, never the token or the secret.
    let j = mock.journal();
    let api: Vec<_> = j
        .iter()
        .filter(|e| e.path.starts_with("/api/atlas/"))
        .collect();
    assert_eq!(api.len(), 5);
    for e in &api {
        assert_eq!(e.auth.as_ref().unwrap().scheme, "Bearer");
        assert_eq!(e.key.as_deref(), Some(sa.client_id()));
    }
    let text = serde_json::to_string(&j)?;
    assert!(!text.contains(&t) && !text.contains(sa.client_secret()));
    assert_eq!(mock.live_tokens(sa.client_id()), 1);
    // Digest still works beside it.
    let mut d = Client::new(&mock).await?;
    assert_eq!(
        d.get(&v1_snapshot(g, seed::CLUSTER_NAME, seed::SNAPSHOT_ID))
            .await?
            .status,
        StatusCode::OK
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn tokens_expire_on_the_mock_clock_and_revoke() -> Result<()> {
    let mock = manual().await?;
    let sa = mock.service_account();
    let url = flex_snapshot(
        seed::GROUP_ID,
        seed::FLEX_CLUSTER_NAME,
        seed::FLEX_SNAPSHOT_ID,
    );
    let t = token(&mock, &sa).await?;
    mock.clock().advance(Duration::from_secs(3599));
    assert_eq!(
        bearer_get(&mock, &url, V2_FLEX, &t).await?.status,
        StatusCode::OK
    );
    mock.clock().advance(Duration::from_secs(1));
    let r = bearer_get(&mock, &url, V2_FLEX, &t).await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let challenges = common::challenges(&r.headers);
    assert!(
        challenges.iter().any(|c| c.starts_with("Digest ")),
        "{challenges:?}"
    );
    assert!(
        challenges.iter().any(|c| c.starts_with("Bearer ")
            && c.contains("error=\"invalid_token\"")
            && c.contains("expired")),
        "{challenges:?}"
    );
    assert_eq!(mock.live_tokens(sa.client_id()), 0);
    // An unknown token is refused the same way.
    let r = bearer_get(&mock, &url, V2_FLEX, "not-a-token").await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Revocation: 200 with no body, then the token is refused; twice is fine; another client's: 400.
    let t = token(&mock, &sa).await?;
    let authz = basic(sa.client_id(), sa.client_secret());
    let r = post_form(
        &mock,
        "/api/oauth/revoke",
        Some(&authz),
        &[FORM],
        &format!("token={t}&token_type_hint=access_token"),
    )
    .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.body.is_empty());
    assert_eq!(
        bearer_get(&mock, &url, V2_FLEX, &t).await?.status,
        StatusCode::UNAUTHORIZED
    );
    let r = post_form(
        &mock,
        "/api/oauth/revoke",
        Some(&authz),
        &[FORM],
        &format!("token={t}"),
    )
    .await?;
    assert_eq!(r.status, StatusCode::OK);
    let other = ServiceAccount::generate();
    mock.create_service_account(other.clone())?;
    let theirs = token(&mock, &other).await?;
    let r = post_form(
        &mock,
        "/api/oauth/revoke",
        Some(&authz),
        &[FORM],
        &format!("token={theirs}"),
    )
    .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "invalid_request");
    assert_eq!(
        bearer_get(&mock, &url, V2_FLEX, &theirs).await?.status,
        StatusCode::OK
    );
    let r = post_form(&mock, "/api/oauth/revoke", Some(&authz), &[FORM], "").await?;
    assert_eq!(r.json()["error"], "invalid_request");
    let r = post_form(
        &mock,
        "/api/oauth/revoke",
        Some(&basic(sa.client_id(), "wrong")),
        &[FORM],
        &format!("token={theirs}"),
    )
    .await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The handle revokes everything of an account.
    assert_eq!(mock.revoke_tokens(other.client_id()), 1);
    assert_eq!(
        bearer_get(&mock, &url, V2_FLEX, &theirs).await?.status,
        StatusCode::UNAUTHORIZED
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_live_token_limit_answers_access_denied() -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .oauth(
            OAuthSettings::default()
                .max_live_tokens(3)?
                .token_lifetime(Duration::from_secs(600))?,
        )
        .start()
        .await?;
    let sa = mock.service_account();
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let r = token_for(&mock, &sa).await?;
        assert_eq!(r.json()["expires_in"], 600);
        tokens.push(r.json()["access_token"].as_str().unwrap().to_owned());
    }
    let r = token_for(&mock, &sa).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let v = r.json();
    assert_eq!(v["error"], "access_denied");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("Access Token limit reached"),
        "{v}"
    );
    // A revoked one frees a place; so does expiry.
    let authz = basic(sa.client_id(), sa.client_secret());
    post_form(
        &mock,
        "/api/oauth/revoke",
        Some(&authz),
        &[FORM],
        &format!("token={}", tokens[0]),
    )
    .await?;
    assert_eq!(token_for(&mock, &sa).await?.status, StatusCode::OK);
    assert_eq!(token_for(&mock, &sa).await?.status, StatusCode::FORBIDDEN);
    mock.clock().advance(Duration::from_secs(600));
    for _ in 0..3 {
        assert_eq!(token_for(&mock, &sa).await?.status, StatusCode::OK);
    }
    assert!(mock.stats().oauth_tokens <= 3);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_token_endpoint_is_rate_limited_per_ip_and_client() -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .oauth(OAuthSettings::default().token_rate_limit(5, 1)?)
        .start()
        .await?;
    let sa = mock.service_account();
    let other = ServiceAccount::generate();
    mock.create_service_account(other.clone())?;
    for _ in 0..5 {
        assert_eq!(token_for(&mock, &sa).await?.status, StatusCode::OK);
    }
    let r = token_for(&mock, &sa).await?;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.text(),
        r#"{"detail":"Resource /api/oauth/token is limited to 5 requests every 1 minutes.","error":429,"errorCode":"RATE_LIMITED","parameters":["/api/oauth/token",5,1],"reason":"Too Many Requests"}"#
    );
    assert_eq!(r.header("x-error-code"), Some("RATE_LIMITED"));
    assert_eq!(r.header("retry-after"), Some("12"));
    // Wrong secrets count too: the limit is on the endpoint, not on successes.
    let wrong = post_form(
        &mock,
        "/api/oauth/token",
        Some(&basic(sa.client_id(), "x")),
        &[FORM],
        "grant_type=client_credentials",
    )
    .await?;
    assert_eq!(wrong.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client id has its own bucket.
    assert_eq!(token_for(&mock, &other).await?.status, StatusCode::OK);
    // The bucket refills on the mock clock: one request per 12 s.
    mock.clock().advance(Duration::from_secs(12));
    assert_eq!(token_for(&mock, &sa).await?.status, StatusCode::OK);
    assert_eq!(
        token_for(&mock, &sa).await?.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Unknown client ids share one bucket per IP: the table stays small.
    for i in 0..20 {
        post_form(
            &mock,
            "/api/oauth/token",
            Some(&basic(&format!("unknown{i}"), "x")),
            &[FORM],
            "grant_type=client_credentials",
        )
        .await?;
    }
    assert_eq!(mock.stats().oauth_rate_buckets, 3);
    // Atlas's default: 50 a minute.
    let d = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .start()
        .await?;
    let sa = d.service_account();
    for _ in 0..50 {
        assert_eq!(token_for(&d, &sa).await?.status, StatusCode::OK);
    }
    let r = token_for(&d, &sa).await?;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(r.text().contains("limited to 50 requests every 1 minutes."));
    d.shutdown().await;
    mock.shutdown().await;
    Ok(())
}

/// (Authorization, headers, body, status, OAuth error)
type Case<'a> = (
    Option<String>,
    Vec<(&'a str, &'a str)>,
    &'a str,
    u16,
    &'a str,
);

#[tokio::test]
async fn every_error_of_the_token_endpoint() -> Result<()> {
    let mock = manual().await?;
    let sa = mock.service_account();
    let good = basic(sa.client_id(), sa.client_secret());
    let grant = "grant_type=client_credentials";
    let cases: Vec<Case<'_>> = vec![
        (None, vec![FORM], grant, 401, "invalid_client"),
        (
            Some(basic(sa.client_id(), "wrong")),
            vec![FORM],
            grant,
            401,
            "invalid_client",
        ),
        (
            Some(basic("nobody", "x")),
            vec![FORM],
            grant,
            401,
            "invalid_client",
        ),
        (
            Some("Basic !!notbase64".into()),
            vec![FORM],
            grant,
            401,
            "invalid_client",
        ),
        (
            Some(format!("Digest username=\"{}\"", sa.client_id())),
            vec![FORM],
            grant,
            401,
            "invalid_client",
        ),
        (
            Some(good.clone()),
            vec![("content-type", "application/json")],
            "{}",
            400,
            "invalid_request",
        ),
        (Some(good.clone()), vec![], grant, 400, "invalid_request"),
        (Some(good.clone()), vec![FORM], "", 400, "invalid_request"),
        (
            Some(good.clone()),
            vec![FORM],
            "grant_type=password&username=a",
            400,
            "unsupported_grant_type",
        ),
        (
            Some(good.clone()),
            vec![FORM],
            "grant_type=client_credentials&grant_type=client_credentials",
            400,
            "invalid_request",
        ),
    ];
    for (authz, headers, body, status, code) in cases {
        let r = post_form(&mock, "/api/oauth/token", authz.as_deref(), &headers, body).await?;
        assert_eq!(
            r.status.as_u16(),
            status,
            "{authz:?} {headers:?} {body}: {}",
            r.text()
        );
        let v = r.json();
        assert_eq!(v["error"], code, "{v}");
        assert!(v["error_description"].is_string());
        assert_eq!(r.header("cache-control"), Some("no-store"));
        if status == 401 {
            assert_eq!(
                r.header("www-authenticate"),
                Some("Basic realm=\"MMS Public API\"")
            );
        }
    }
    // GET: 405; another path under /api/oauth: 404.
    let mut c = Conn::open(&mock).await?;
    let r = c
        .send(Method::GET, "/api/oauth/token", &[], Some(&good))
        .await?;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("POST"));
    let r = c
        .send(Method::POST, "/api/oauth/other", &[], Some(&good))
        .await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A scope is ignored (Atlas has none); a charset on the content type is fine.
    let r = post_form(
        &mock,
        "/api/oauth/token",
        Some(&good),
        &[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        "grant_type=client_credentials&scope=x",
    )
    .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The journal never holds the secret.
    assert!(!serde_json::to_string(&mock.journal())?.contains(sa.client_secret()));
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn ids_and_secrets_are_percent_decoded_as_rfc_6749_says() -> Result<()> {
    let odd = ServiceAccount::new("id:with/odd chars", "s€cr+t&=%");
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .service_account(odd.clone())
        .start()
        .await?;
    let t = token(&mock, &odd).await?;
    let url = flex_snapshot(
        seed::GROUP_ID,
        seed::FLEX_CLUSTER_NAME,
        seed::FLEX_SNAPSHOT_ID,
    );
    assert_eq!(
        bearer_get(&mock, &url, V2_FLEX, &t).await?.status,
        StatusCode::OK
    );
    // Without the encoding the id cannot even be split right: refused.
    let raw = format!("Basic {}", STANDARD.encode("id:with/odd chars:s€cr+t&=%"));
    let r = post_form(
        &mock,
        "/api/oauth/token",
        Some(&raw),
        &[FORM],
        "grant_type=client_credentials",
    )
    .await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn service_accounts_have_groups_roles_and_ip_access_lists_like_keys() -> Result<()> {
    let limited = ServiceAccount::new("limited", "s1")
        .groups([seed::OTHER_GROUP_ID.parse()?])
        .roles([Role::GroupReadOnly]);
    let far =
        ServiceAccount::new("far", "s2").access_list(IpAccessList::new().allow("192.0.2.0/24")?);
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .service_account(limited.clone())
        .service_account(far.clone())
        .start()
        .await?;
    assert_eq!(mock.service_account().client_id(), "limited");
    let t = token(&mock, &limited).await?;
    let r = bearer_get(
        &mock,
        &flex_snapshot(
            seed::GROUP_ID,
            seed::FLEX_CLUSTER_NAME,
            seed::FLEX_SNAPSHOT_ID,
        ),
        V2_FLEX,
        &t,
    )
    .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "USER_CANNOT_ACCESS_GROUP");
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("service account")
    );
    let r = bearer_get(
        &mock,
        &v1_snapshot(
            seed::OTHER_GROUP_ID,
            seed::OTHER_CLUSTER_NAME,
            seed::OTHER_SNAPSHOT_ID,
        ),
        ("accept", "application/json"),
        &t,
    )
    .await?;
    assert_eq!(r.status, StatusCode::OK);
    // Read only: no download.
    let mut c = Conn::open(&mock).await?;
    let r = c
        .send_body(
            Method::POST,
            &flex_backup(seed::GROUP_ID, seed::FLEX_CLUSTER_NAME, "download"),
            &FLEX_POST,
            Some(&format!("Bearer {t}")),
            Bytes::from_static(b"{}"),
        )
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "group first: {}", r.text());
    // The IP access list applies when the token is used, not when it is issued.
    let t = token(&mock, &far).await?;
    let r = bearer_get(
        &mock,
        &v1_snapshot(seed::GROUP_ID, seed::CLUSTER_NAME, seed::SNAPSHOT_ID),
        ("accept", "application/json"),
        &t,
    )
    .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "IP_ADDRESS_NOT_ON_ACCESS_LIST");
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn admin_routes_and_the_data_file() -> Result<()> {
    let file = br#"{"serviceAccounts": [{"clientId": "mdb_sa_id_000000000000000000000001", "clientSecret": "mdb_sa_sk_file",
            "groups": ["5b69d0349b15c62cdfc38b78"], "roles": ["GROUP_BACKUP_EXPORT_OPERATOR"], "ipAccessList": ["127.0.0.0/8"]}],
        "oauth": {"tokenLifetimeSeconds": 120, "maxLiveTokens": 2, "tokenRateLimit": {"requests": 10, "minutes": 2}}}"#;
    let mock = MockAtlas::builder()
        .config(MockConfig::from_json(file)?)
        .clock(ClockMode::Manual)
        .start()
        .await?;
    let sa = mock.service_account();
    assert_eq!(sa.client_id(), "mdb_sa_id_000000000000000000000001");
    assert_eq!(
        sa.role_restriction(),
        Some(&[Role::GroupBackupExportOperator][..])
    );
    let r = token_for(&mock, &sa).await?;
    assert_eq!(r.json()["expires_in"], 120);
    let t = r.json()["access_token"].as_str().unwrap().to_owned();
    // Admin: list (with live tokens), create (generated credentials), revoke all.
    let (s, v) = admin(&mock, Method::GET, "/__mock/serviceAccounts", None).await?;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["serviceAccounts"][0]["liveTokens"], 1);
    let (s, v) = admin(
        &mock,
        Method::POST,
        "/__mock/serviceAccounts",
        Some(json!({"roles": ["GROUP_READ_ONLY"]})),
    )
    .await?;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let made = ServiceAccount::new(
        v["clientId"].as_str().unwrap(),
        v["clientSecret"].as_str().unwrap(),
    );
    assert!(made.client_id().starts_with("mdb_sa_id_"));
    assert_eq!(token_for(&mock, &made).await?.status, StatusCode::OK);
    for bad in [
        json!({"clientId": sa.client_id()}),
        json!({"roles": ["GROUP_ADMIN"]}),
        json!({"clientid": "x"}),
    ] {
        let (s, v) = admin(&mock, Method::POST, "/__mock/serviceAccounts", Some(bad)).await?;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    let url = v1_snapshot(seed::GROUP_ID, seed::CLUSTER_NAME, seed::SNAPSHOT_ID);
    assert_eq!(
        bearer_get(&mock, &url, ("accept", "application/json"), &t)
            .await?
            .status,
        StatusCode::OK
    );
    let (s, v) = admin(
        &mock,
        Method::DELETE,
        &format!("/__mock/serviceAccounts/{}/tokens", sa.client_id()),
        None,
    )
    .await?;
    assert_eq!((s, v["revoked"].clone()), (StatusCode::OK, json!(1)));
    assert_eq!(
        bearer_get(&mock, &url, ("accept", "application/json"), &t)
            .await?
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(mock.stats().service_accounts, 2);
    for (bad, needle) in [
        (
            r#"{"serviceAccounts":[{"clientId":"a","clientSecret":"b","role":[]}]}"#,
            "role",
        ),
        (
            r#"{"serviceAccounts":[{"clientId":"","clientSecret":"b"}]}"#,
            "non-empty",
        ),
        (r#"{"oauth":{"maxLiveTokens":0}}"#, "maxLiveTokens"),
        (
            r#"{"oauth":{"tokenRateLimit":{"requests":0,"minutes":1}}}"#,
            "rate limit",
        ),
        (r#"{"oauth":{"tokenLifetime":5}}"#, "tokenLifetime"),
    ] {
        let e = MockConfig::from_json(bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{bad}: {e}");
    }
    assert!(
        MockAtlas::builder()
            .service_account(ServiceAccount::new("same", "a"))
            .service_account(ServiceAccount::new("same", "b"))
            .start()
            .await
            .is_err()
    );
    mock.shutdown().await;
    Ok(())
}
