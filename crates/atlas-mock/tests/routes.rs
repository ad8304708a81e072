//! Our own client (atlas-digest + plain hyper) against every route and every error, over HTTP and TLS.

mod common;

use std::time::Duration;

use anyhow::Result;
use atlas_mock::{
    ApiKey, AuthenticationInfo, Dataset, DigestSettings, Fault, FaultPlan, FaultRule, IpAccessList,
    Lifecycle, MockAtlas, MockHandle, Outcome, RateLimit, RouteKind, seed,
};
use common::*;
use http::{Method, StatusCode};
use serde_json::Value;

const G: &str = seed::GROUP_ID;
const C: &str = seed::CLUSTER_NAME;
const F: &str = seed::FLEX_CLUSTER_NAME;

/// Every route and error with our client, which checks each authenticated answer for
/// `Authentication-Info` as `info` says: none (Atlas), or one whose `rspauth` verifies.
async fn every_route_and_error(mock: &MockHandle, info: AuthenticationInfo) -> Result<()> {
    let mut c = Client::new(mock).await?;
    if info == AuthenticationInfo::Send {
        c = c.expect_authentication_info();
    }

    // v1.0 get: the seed document, exactly; JSON content type; deprecation headers;
    // `Authentication-Info` as configured (rspauth checked when sent).
    let r = c
        .get(&format!(
            "{}?pretty=true",
            v1_snapshot(G, C, seed::SNAPSHOT_ID)
        ))
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), SEED_PRETTY);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert_eq!(r.header("sunset"), Some("Thu, 22 Jan 2026 00:00:00 GMT"));
    assert!(r.header("deprecation").is_some());
    match info {
        AuthenticationInfo::Send => assert!(
            r.header("authentication-info")
                .is_some_and(|v| v.contains("rspauth="))
        ),
        AuthenticationInfo::Omit => assert_eq!(r.header("authentication-info"), None),
    }
    let compact = c.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID)).await?;
    assert_eq!(
        compact.text(),
        r#"{"finishTime":"2019-04-26T14:08:07Z","id":"5cc310ace5dc7ce369814bc8","mongoDBVersion":"4.2.7","scheduledTime":"2019-04-26T12:00:00Z","startTime":"2019-04-26T14:07:53Z","status":"FAILED"}"#
    );

    // v1.0 list with paging: 4 pages of 2, next links followed to the end, all 8 ids once.
    let mut target = format!("{}?itemsPerPage=2", v1_list(G, C));
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let r = c.get(&target).await?;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let v = r.json();
        assert_eq!(v["totalCount"], seed::SNAPSHOTS_PER_CLUSTER);
        pages += 1;
        for s in v["results"].as_array().unwrap() {
            ids.push(s["id"].as_str().unwrap().to_owned());
        }
        let links = v["links"].as_array().unwrap();
        assert!(links.iter().any(|l| l["rel"] == "self"));
        match links.iter().find(|l| l["rel"] == "next") {
            Some(next) => {
                let href = next["href"].as_str().unwrap();
                assert!(href.starts_with(mock.base_url()), "{href}");
                target = href[mock.base_url().len()..].to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(ids.len(), seed::SNAPSHOTS_PER_CLUSTER);
    assert!(
        ids.contains(&seed::SNAPSHOT_ID.to_owned())
            && ids.contains(&seed::LIFECYCLE_SNAPSHOT_ID.to_owned())
    );
    let no_count = c
        .get(&format!(
            "{}?includeCount=false&pageNum=2&itemsPerPage=3",
            v1_list(G, C)
        ))
        .await?
        .json();
    assert!(no_count.get("totalCount").is_none());
    assert_eq!(no_count["results"].as_array().unwrap().len(), 3);
    assert!(
        no_count["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "previous")
    );
    let beyond = c
        .get(&format!("{}?pageNum=9&itemsPerPage=2", v1_list(G, C)))
        .await?
        .json();
    assert_eq!(beyond["results"].as_array().unwrap().len(), 0);

    // v2 tenant: needs the versioned Accept; answers with it.
    let r = c
        .get_with(&v2_snapshot(G, C, seed::SNAPSHOT_ID), &[V2_TENANT])
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.atlas.2023-01-01+json")
    );
    assert_eq!(r.json()["status"], "FAILED");
    for accept in [
        None,
        Some("application/json"),
        Some("application/vnd.atlas.2022-12-31+json"),
    ] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let r = c
            .get_with(&v2_snapshot(G, C, seed::SNAPSHOT_ID), &headers)
            .await?;
        assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE, "{accept:?}");
        assert_eq!(r.error_code(), "INVALID_VERSION_DATE");
        assert_eq!(r.json()["error"], 406);
    }
    let r = c.get_with(&v2_list(G, C), &[V2_TENANT]).await?;
    assert_eq!(
        r.json()["results"].as_array().unwrap().len(),
        seed::SNAPSHOTS_PER_CLUSTER
    );

    // flex get and list.
    let r = c
        .get_with(&flex_snapshot(G, F, seed::FLEX_SNAPSHOT_ID), &[V2_FLEX])
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.atlas.2024-11-13+json")
    );
    assert!(r.header("sunset").is_none());
    assert_eq!(r.json()["status"], "COMPLETED");
    assert!(r.json()["expiration"].is_string());
    let r = c
        .get_with(&format!("{}?itemsPerPage=5", flex_list(G, F)), &[V2_FLEX])
        .await?;
    assert_eq!(r.json()["results"].as_array().unwrap().len(), 5);
    let r = c
        .get_with(&flex_snapshot(G, F, seed::FLEX_SNAPSHOT_ID), &[V2_TENANT])
        .await?;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
    // A flex (migrated) cluster on the tenant endpoints answers as Atlas does: v2 400, v1.0 404;
    // a tenant cluster on the flex endpoints is not a flex cluster.
    let r = c
        .get_with(&v2_snapshot(G, F, seed::FLEX_SNAPSHOT_ID), &[V2_TENANT])
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API");
    assert_eq!(
        r.json()["detail"],
        format!("Flex cluster {F} cannot be used in the Cluster API.")
    );
    assert_eq!(r.json()["parameters"], serde_json::json!([F]));
    assert_eq!(
        r.header("x-error-code"),
        Some("CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API")
    );
    let r = c.get_with(&v2_list(G, F), &[V2_TENANT]).await?;
    assert_eq!(r.error_code(), "CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API");
    for target in [v1_snapshot(G, F, seed::FLEX_SNAPSHOT_ID), v1_list(G, F)] {
        let r = c.get(&target).await?;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{target}");
        assert_eq!(r.error_code(), "CLUSTER_NOT_FOUND");
        assert_eq!(
            r.json()["detail"],
            format!("No cluster named {F} exists in group {G}.")
        );
    }
    let r = c
        .get_with(&flex_snapshot(G, C, seed::SNAPSHOT_ID), &[V2_FLEX])
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API");
    let r = c
        .get_with(
            &flex_snapshot(G, "NoSuchFlex", seed::SNAPSHOT_ID),
            &[V2_FLEX],
        )
        .await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "CLUSTER_NOT_FOUND");
    assert_eq!(
        r.json()["detail"],
        format!("No cluster named NoSuchFlex exists in group {G}.")
    );

    // 400: which id, and why (the model's IdError message).
    let r = c
        .get(&v1_snapshot(
            "5b69d0349b15c62cdfc38b7",
            C,
            seed::SNAPSHOT_ID,
        ))
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v = r.json();
    assert_eq!(v["errorCode"], "PATH_PARAM_PARSE_ERROR");
    assert_eq!(v["badRequestDetail"]["fields"][0]["field"], "groupId");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("found 23 characters"),
        "{v}"
    );
    let r = c.get(&v1_snapshot(G, "-bad", seed::SNAPSHOT_ID)).await?;
    assert_eq!(r.error_code(), "PATH_PARAM_PARSE_ERROR");
    assert_eq!(
        r.json()["badRequestDetail"]["fields"][0]["field"],
        "clusterName"
    );
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("first character"),
        "{}",
        r.text()
    );
    let r = c
        .get(&v1_snapshot(G, C, "5CC310ACE5DC7CE369814BC8"))
        .await?;
    assert_eq!(r.error_code(), "PATH_PARAM_PARSE_ERROR");
    assert_eq!(
        r.json()["badRequestDetail"]["fields"][0]["field"],
        "snapshotId"
    );
    let r = c.get(&format!("{}?itemsPerPage=0", v1_list(G, C))).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json()["badRequestDetail"]["fields"][0]["field"],
        "itemsPerPage"
    );

    // 404 per missing thing, with parameters.
    let r = c
        .get(&v1_snapshot(
            "000000000000000000000000",
            C,
            seed::SNAPSHOT_ID,
        ))
        .await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "GROUP_NOT_FOUND");
    assert_eq!(r.header("vary"), None, "only successful answers vary");
    assert_eq!(r.json()["parameters"][0], "000000000000000000000000");
    assert_eq!(r.json()["reason"], "Not Found");
    let r = c
        .get(&v1_snapshot(G, "NoSuchCluster", seed::SNAPSHOT_ID))
        .await?;
    assert_eq!(r.error_code(), "CLUSTER_NOT_FOUND");
    let r = c
        .get(&v1_snapshot(G, C, "ffffffffffffffffffffffff"))
        .await?;
    assert_eq!(r.error_code(), "BACKUP_SNAPSHOT_NOT_FOUND");
    let r = c.get("/api/atlas/v1.0/groups").await?;
    assert_eq!(r.error_code(), "RESOURCE_NOT_FOUND");

    // envelope=true: HTTP 200, status inside, for answers and errors; lists carry `status` beside results.
    let r = c
        .get(&format!(
            "{}?envelope=true",
            v1_snapshot(G, C, seed::SNAPSHOT_ID)
        ))
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], 200);
    assert_eq!(r.json()["content"]["id"], seed::SNAPSHOT_ID);
    let r = c
        .get(&format!(
            "{}?envelope=true&pretty=true",
            v1_snapshot(G, C, "ffffffffffffffffffffffff")
        ))
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], 404);
    assert_eq!(
        r.json()["content"]["errorCode"],
        "BACKUP_SNAPSHOT_NOT_FOUND"
    );
    assert!(r.text().contains("\"status\" : 404"), "{}", r.text());
    let r = c.get(&format!("{}?envelope=true", v1_list(G, C))).await?;
    assert_eq!(r.json()["status"], 200);
    assert!(r.json()["results"].is_array());

    // HEAD: same status and headers, no body.
    let target = v1_snapshot(G, C, seed::SNAPSHOT_ID);
    let mut state = c.digest.start();
    let (authz, _lease) = authorization(
        &c.digest,
        &mut state,
        &atlas_digest::RequestFacts::new("HEAD", &target),
        &cnonce(),
    )?;
    let r = c
        .conn
        .send(Method::HEAD, &target, &[], authz.as_deref())
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), Some("application/json"));

    // 405 for other methods (authenticated).
    let facts_target = v1_list(G, C);
    let mut state = c.digest.start();
    let (authz, _lease) = authorization(
        &c.digest,
        &mut state,
        &atlas_digest::RequestFacts::new("DELETE", &facts_target),
        &cnonce(),
    )?;
    let r = c
        .conn
        .send(Method::DELETE, &facts_target, &[], authz.as_deref())
        .await?;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);

    // 401 without credentials: the Atlas challenge.
    let mut raw = Conn::open(mock).await?;
    let r = raw
        .send(
            Method::GET,
            &v1_snapshot(G, C, seed::SNAPSHOT_ID),
            &[],
            None,
        )
        .await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header("vary"), None, "the seed's 401 has no Vary");
    let ch = r.header("www-authenticate").unwrap();
    assert!(
        ch.starts_with("Digest ") && ch.contains("realm=\"MMS Public API\""),
        "{ch}"
    );
    assert!(
        ch.contains("algorithm=MD5") && ch.contains("qop=\"auth\""),
        "{ch}"
    );
    assert_eq!(r.json()["error"], 401);
    // ... and never enveloped, so that clients see the 401.
    let r = raw
        .send(
            Method::GET,
            &format!("{}?envelope=true", v1_list(G, C)),
            &[],
            None,
        )
        .await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // wrong password: 401 after the retry.
    let mut bad = Client::with_key(mock, mock.public_key(), "not-the-password").await?;
    let r = bad.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID)).await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // the journal saw all of it.
    let j = mock.journal();
    assert!(j.iter().any(|e| e.status == 200
        && e.key.as_deref() == Some(mock.public_key())
        && e.had_credentials));
    assert!(j.iter().any(|e| e.status == 401 && !e.had_credentials));
    assert!(j.iter().any(|e| e.status == 401
        && e.had_credentials
        && e.error.as_deref().is_some_and(|x| x.contains("digest"))));
    assert!(j.iter().any(|e| e.enveloped_status == Some(404)));
    assert!(
        j.iter()
            .any(|e| e.query.as_deref() == Some("itemsPerPage=2"))
    );
    assert!(j.windows(2).all(|w| w[0].seq < w[1].seq));
    Ok(())
}

#[tokio::test]
async fn every_route_and_error_over_http() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    assert!(mock.base_url().starts_with("http://127.0.0.1:"));
    assert!(mock.ca_pem().is_none());
    every_route_and_error(&mock, AuthenticationInfo::Omit).await?;
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn every_route_and_error_with_authentication_info() -> Result<()> {
    let mock = MockAtlas::builder()
        .digest(DigestSettings::default().authentication_info(AuthenticationInfo::Send))
        .start()
        .await?;
    every_route_and_error(&mock, AuthenticationInfo::Send).await?;
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn every_route_and_error_over_tls() -> Result<()> {
    let mock = MockAtlas::builder().tls(true).start().await?;
    assert!(mock.base_url().starts_with("https://127.0.0.1:"));
    assert!(
        mock.ca_pem()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    every_route_and_error(&mock, AuthenticationInfo::Omit).await?;
    let r = Client::new(&mock).await?.get(&v1_list(G, C)).await?;
    assert_eq!(r.header("strict-transport-security"), Some("max-age=300"));
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn keys_restricted_to_groups_and_ip_access_list() -> Result<()> {
    let other: atlas_model::GroupId = seed::OTHER_GROUP_ID.parse()?;
    let mock = MockAtlas::builder()
        .api_key(ApiKey::new("mainkey", "main-secret"))
        .api_key(ApiKey::new("otherkey", "other-secret").groups([other]))
        .start()
        .await?;
    assert_eq!(mock.public_key(), "mainkey");
    let mut main = Client::new(&mock).await?;
    let mut restricted = Client::with_key(&mock, "otherkey", "other-secret").await?;
    assert_eq!(
        main.get(&v1_snapshot(
            seed::OTHER_GROUP_ID,
            seed::OTHER_CLUSTER_NAME,
            seed::OTHER_SNAPSHOT_ID
        ))
        .await?
        .status,
        200
    );
    let ok = restricted
        .get(&v1_snapshot(
            seed::OTHER_GROUP_ID,
            seed::OTHER_CLUSTER_NAME,
            seed::OTHER_SNAPSHOT_ID,
        ))
        .await?;
    assert_eq!(ok.status, 200);
    let r = restricted
        .get(&v1_snapshot(G, C, seed::SNAPSHOT_ID))
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "USER_CANNOT_ACCESS_GROUP");
    mock.shutdown().await;

    // Loopback is not on the list: 403 after authentication.
    let mock = MockAtlas::builder()
        .ip_access_list(IpAccessList::new().allow("203.0.113.0/24")?)
        .start()
        .await?;
    let r = Client::new(&mock)
        .await?
        .get(&v1_snapshot(G, C, seed::SNAPSHOT_ID))
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "IP_ADDRESS_NOT_ON_ACCESS_LIST");
    assert_eq!(r.json()["parameters"][0], "127.0.0.1");
    mock.shutdown().await;
    let mock = MockAtlas::builder()
        .ip_access_list(IpAccessList::new().allow("127.0.0.0/8")?)
        .start()
        .await?;
    assert_eq!(
        Client::new(&mock)
            .await?
            .get(&v1_snapshot(G, C, seed::SNAPSHOT_ID))
            .await?
            .status,
        200
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn sunset_mode() -> Result<()> {
    let mock = MockAtlas::builder().sunset(true).start().await?;
    let mut c = Client::new(&mock).await?;
    for (target, headers) in [
        (v1_snapshot(G, C, seed::SNAPSHOT_ID), vec![]),
        (v1_list(G, C), vec![]),
        (v2_snapshot(G, C, seed::SNAPSHOT_ID), vec![V2_TENANT]),
        (v2_list(G, C), vec![V2_TENANT]),
    ] {
        let r = c.get_with(&target, &headers).await?;
        assert_eq!(r.status, StatusCode::GONE, "{target}");
        assert_eq!(r.error_code(), "VERSION_GONE");
        assert!(
            r.json()["detail"]
                .as_str()
                .unwrap()
                .contains("flexClusters")
        );
        assert!(r.header("sunset").is_none());
    }
    let r = c
        .get_with(&flex_snapshot(G, F, seed::FLEX_SNAPSHOT_ID), &[V2_FLEX])
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    mock.set_sunset(false);
    assert_eq!(
        c.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID)).await?.status,
        StatusCode::OK
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() -> Result<()> {
    let mock = MockAtlas::builder()
        .rate_limit(RateLimit::new(3, 0.01)?)
        .start()
        .await?;
    let mut c = Client::new(&mock).await?;
    for _ in 0..3 {
        assert_eq!(
            c.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID)).await?.status,
            StatusCode::OK
        );
    }
    let r = c.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID)).await?;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "RATE_LIMITED_TOKEN_BUCKET");
    let retry: u64 = r.header("retry-after").unwrap().parse()?;
    assert!(retry >= 1);
    assert_eq!(mock.stats().rate_limit_buckets, 1);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn injected_faults() -> Result<()> {
    let plan = FaultPlan::new(7)
        .rule(
            FaultRule::new(Fault::Status(500))?
                .on([RouteKind::TenantV1Get])
                .limit(1),
        )
        .rule(
            FaultRule::new(Fault::ServiceUnavailableHtml)?
                .on([RouteKind::TenantV1List])
                .limit(1),
        )
        .rule(
            FaultRule::new(Fault::DropConnection)?
                .on([RouteKind::FlexGet])
                .limit(1),
        )
        .rule(
            FaultRule::new(Fault::TruncateBody)?
                .on([RouteKind::FlexList])
                .limit(1),
        )
        .rule(
            FaultRule::new(Fault::Latency(Duration::from_millis(20)))?.on([RouteKind::TenantV2Get]),
        );
    let mock = MockAtlas::builder().faults(plan).start().await?;
    let mut c = Client::new(&mock).await?;

    let r = c.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID)).await?;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.error_code(), "UNEXPECTED_ERROR");
    assert_eq!(
        c.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID)).await?.status,
        StatusCode::OK,
        "limit 1"
    );

    let r = c.get(&v1_list(G, C)).await?;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert!(r.text().contains("<html>"));

    let r = c
        .get_with(&v2_snapshot(G, C, seed::SNAPSHOT_ID), &[V2_TENANT])
        .await?;
    assert_eq!(r.status, StatusCode::OK);

    // dropped connection: the request fails at the transport level.
    assert!(
        c.get_with(&flex_snapshot(G, F, seed::FLEX_SNAPSHOT_ID), &[V2_FLEX])
            .await
            .is_err()
    );
    let mut c = Client::new(&mock).await?;
    assert_eq!(
        c.get_with(&flex_snapshot(G, F, seed::FLEX_SNAPSHOT_ID), &[V2_FLEX])
            .await?
            .status,
        StatusCode::OK
    );

    // truncated body: the body read fails.
    assert!(c.get_with(&flex_list(G, F), &[V2_FLEX]).await.is_err());
    let mut c = Client::new(&mock).await?;
    assert_eq!(
        c.get_with(&flex_list(G, F), &[V2_FLEX]).await?.status,
        StatusCode::OK
    );

    let j = mock.journal();
    let faults: Vec<&str> = j.iter().filter_map(|e| e.fault.as_deref()).collect();
    assert_eq!(
        faults,
        ["status:500", "html503", "latency:20ms", "drop", "truncate"]
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_rates_are_deterministic_from_the_seed() -> Result<()> {
    async fn run(seed_value: u64) -> Result<Vec<u16>> {
        let plan = FaultPlan::new(seed_value).rule(FaultRule::new(Fault::Status(502))?.rate(0.5)?);
        let mock = MockAtlas::builder().faults(plan).start().await?;
        let mut c = Client::new(&mock).await?;
        let mut out = Vec::new();
        for _ in 0..24 {
            out.push(
                c.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID))
                    .await?
                    .status
                    .as_u16(),
            );
        }
        mock.shutdown().await;
        Ok(out)
    }
    let a = run(99).await?;
    assert_eq!(a, run(99).await?);
    assert!(a.contains(&502) && a.contains(&200), "{a:?}");
    assert_ne!(a, run(100).await?);
    Ok(())
}

#[tokio::test]
async fn other_digest_algorithms() -> Result<()> {
    use atlas_digest::{Algorithm, Qop};
    for alg in [
        Algorithm::Sha256,
        Algorithm::Sha512_256,
        Algorithm::Md5Sess,
        Algorithm::Sha256Sess,
    ] {
        let mock = MockAtlas::builder()
            .digest(
                DigestSettings::default()
                    .algorithms([alg])
                    .qop([Qop::Auth, Qop::AuthInt]),
            )
            .start()
            .await?;
        let mut c = Client::new(&mock).await?;
        let r = c.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID)).await?;
        assert_eq!(r.status, StatusCode::OK, "{alg:?}");
        assert_eq!(c.digest.current_nonce().unwrap().0, alg);
        mock.shutdown().await;
    }
    Ok(())
}

#[tokio::test]
async fn lifecycles_move_with_the_mock_clock() -> Result<()> {
    // A manual clock: the statuses below hold exactly, whatever the machine's speed.
    let mock = MockAtlas::builder()
        .clock(atlas_mock::ClockMode::Manual)
        .start()
        .await?;
    let mut c = Client::new(&mock).await?;
    let start = mock.clock().now();
    let ms = Duration::from_millis;
    // The seed's lifecycle snapshot: QUEUED from 0, RUNNING from 1 s, COMPLETED from 3 s.
    for (advance, status, started, finished) in [
        (ms(0), "QUEUED", false, false),
        (ms(999), "QUEUED", false, false),
        (ms(1), "RUNNING", true, false),
        (ms(1999), "RUNNING", true, false),
        (ms(1), "COMPLETED", true, true),
        (ms(3_600_000), "COMPLETED", true, true),
    ] {
        mock.clock().advance(advance);
        for (target, headers) in [
            (v1_snapshot(G, C, seed::LIFECYCLE_SNAPSHOT_ID), vec![]),
            (
                flex_snapshot(G, F, seed::LIFECYCLE_SNAPSHOT_ID),
                vec![V2_FLEX],
            ),
        ] {
            let v = c.get_with(&target, &headers).await?.json();
            assert_eq!(v["status"], status, "{:?}: {v}", mock.clock().elapsed());
            assert_eq!(v["startTime"].is_string(), started, "{v}");
            assert_eq!(v["finishTime"].is_string(), finished, "{v}");
            // Times are the mock clock's, in whole seconds, as Atlas writes them.
            assert_eq!(
                v["scheduledTime"],
                start.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
            if started {
                let t = start + chrono::Duration::seconds(1);
                assert_eq!(v["startTime"], t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            }
            if finished {
                let t = start + chrono::Duration::seconds(3);
                assert_eq!(v["finishTime"], t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            }
        }
    }

    // Anchored at creation: far-off steps stay QUEUED; zero offsets are FAILED at once.
    let mut snap = atlas_model::TenantSnapshot {
        id: Some("aaaaaaaaaaaaaaaaaaaaaaaa".parse()?),
        ..Default::default()
    };
    let hour = Duration::from_secs(3600);
    let slow = Lifecycle::new(Duration::ZERO, hour, 2 * hour, Outcome::Completed)?
        .anchored(atlas_mock::Anchor::Creation);
    mock.create_snapshot(G, C, snap.clone(), Some(slow))?;
    snap.id = Some("bbbbbbbbbbbbbbbbbbbbbbbb".parse()?);
    let instant = Lifecycle::new(
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Outcome::Failed,
    )?
    .anchored(atlas_mock::Anchor::Creation);
    mock.create_snapshot(G, C, snap, Some(instant))?;
    assert_eq!(
        c.get(&v1_snapshot(G, C, "aaaaaaaaaaaaaaaaaaaaaaaa"))
            .await?
            .json()["status"],
        "QUEUED"
    );
    assert_eq!(
        c.get(&v1_snapshot(G, C, "bbbbbbbbbbbbbbbbbbbbbbbb"))
            .await?
            .json()["status"],
        "FAILED"
    );
    assert!(
        mock.create_snapshot(G, "NoSuch", atlas_model::TenantSnapshot::default(), None)
            .is_err()
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn admin_routes_and_unauthenticated_twin() -> Result<()> {
    let mock = MockAtlas::builder()
        .unauthenticated_route(true)
        .journal_capacity(5)
        .start()
        .await?;
    let mut raw = Conn::open(&mock).await?;
    let target = format!("/noauth{}", v1_snapshot(G, C, seed::SNAPSHOT_ID));
    let r = raw
        .send(Method::GET, &format!("{target}?pretty=true"), &[], None)
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), SEED_PRETTY);
    let r = raw
        .send(
            Method::GET,
            &format!("/noauth{}?itemsPerPage=2", v1_list(G, C)),
            &[],
            None,
        )
        .await?;
    let next = r.json()["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap()["href"]
        .clone();
    assert!(
        next.as_str().unwrap().contains("/noauth/api/atlas/"),
        "{next}"
    );
    for _ in 0..10 {
        raw.send(Method::GET, &target, &[], None).await?;
    }
    // The journal is a ring buffer of 5.
    let stats = mock.stats();
    assert_eq!(stats.journal_len, 5);
    assert_eq!(stats.journal_capacity, 5);
    assert_eq!(stats.requests, 12);
    let j = mock.journal();
    assert_eq!(j.len(), 5);
    assert_eq!(j.last().unwrap().seq, 12);

    // Admin routes (loopback, admin token), not journaled.
    let r = raw.send(Method::GET, "/__mock/journal", &[], None).await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "ADMIN_TOKEN_REQUIRED");
    let (status, entries) = admin(&mock, Method::GET, "/__mock/journal", None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(entries.as_array().unwrap().len(), 5);
    assert_eq!(entries[0]["path"], target);
    assert_eq!(entries[0]["hadCredentials"], false);
    let r = raw.send(Method::GET, "/__mock/stats", &[], None).await?;
    assert_eq!(r.json()["journalCapacity"], 5);
    assert_eq!(mock.stats().requests, 12);

    // Without the switch there is no twin.
    let plain = MockAtlas::builder().start().await?;
    let r = Conn::open(&plain)
        .await?
        .send(Method::GET, &target, &[], None)
        .await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    plain.shutdown().await;
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn data_from_a_file() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("atlas-mock-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("data.json");
    std::fs::write(&path, include_str!("fixtures/data.json"))?;
    let data = Dataset::from_file(&path)?;
    assert_eq!(data.snapshot_count(), 3);
    let mock = MockAtlas::builder().dataset(data).start().await?;
    let mut c = Client::new(&mock).await?;
    let v: Value = c
        .get(&v1_snapshot(
            "6a0000000000000000000001",
            "Shared0",
            "6b0000000000000000000001",
        ))
        .await?
        .json();
    assert_eq!(v["status"], "COMPLETED");
    assert_eq!(v["customField"], "kept");
    let v = c
        .get_with(
            &flex_list("6a0000000000000000000001", "flex-one"),
            &[V2_FLEX],
        )
        .await?
        .json();
    assert_eq!(v["totalCount"], 2);
    // the file's lifecycle has all offsets at zero: done at once
    assert_eq!(v["results"][1]["status"], "FAILED");
    assert!(v["results"][1]["finishTime"].is_string());
    mock.shutdown().await;

    for bad in [
        &br#"{"groups":[{"id":"nothex","clusters":[]}]}"#[..],
        br#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"A","snapshots":[{"status":"FAILED"}]}]}]}"#,
        br#"{"groups":[{"id":"6a0000000000000000000001","clusters":[{"name":"A","snapshots":[{"id":"6b0000000000000000000001","lifecycle":{"queuedAfterMs":5,"runningAfterMs":1,"doneAfterMs":9,"outcome":"FAILED"}}]}]}]}"#,
        br#"{"groups":[], "extra": 1}"#,
        b"not json",
    ] {
        assert!(Dataset::from_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
    assert!(Dataset::from_file(dir.join("missing.json")).is_err());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[tokio::test]
async fn secrets_are_redacted_in_debug() -> Result<()> {
    let key = ApiKey::new("pubkey", "super-secret-private");
    assert!(!format!("{key:?}").contains("super-secret-private"));
    let b = MockAtlas::builder().api_key(key);
    assert!(!format!("{b:?}").contains("super-secret-private"));
    let mock = b.start().await?;
    assert!(!format!("{mock:?}").contains("super-secret-private"));
    let mut opts = atlas_mock::ServeOptions::new("127.0.0.1:0".parse()?);
    opts.private_key = Some("super-secret-private".into());
    assert!(!format!("{opts:?}").contains("super-secret-private"));
    let generated = ApiKey::generate();
    assert_eq!(generated.public_key().len(), 8);
    assert_eq!(generated.private_key().len(), 36);
    assert!(!format!("{generated:?}").contains(generated.private_key()));
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn bad_configuration_is_a_typed_error() -> Result<()> {
    let dup = MockAtlas::builder()
        .api_key(ApiKey::new("a", "x"))
        .api_key(ApiKey::new("a", "y"))
        .start()
        .await;
    assert!(matches!(dup, Err(atlas_mock::MockError::InvalidConfig(_))));
    let empty = MockAtlas::builder()
        .digest(DigestSettings::default().algorithms([]))
        .start()
        .await;
    assert!(matches!(
        empty,
        Err(atlas_mock::MockError::InvalidConfig(_))
    ));
    let first = MockAtlas::builder().start().await?;
    let taken = MockAtlas::builder().listen(first.addr()).start().await;
    assert!(matches!(taken, Err(atlas_mock::MockError::Bind { .. })));
    first.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn admin_route_creates_snapshots_with_a_lifecycle_from_creation() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let body = serde_json::json!({
        "groupId": G,
        "clusterName": F,
        "snapshot": {"id": "cccccccccccccccccccccccc", "mongoDBVersion": "8.0.4"},
        "lifecycle": {"queuedAfterMs": 0, "runningAfterMs": 3_600_000, "doneAfterMs": 7_200_000, "outcome": "COMPLETED", "anchor": "creation"}
    });
    let (status, created) =
        admin(&mock, Method::POST, "/__mock/snapshots", Some(body.clone())).await?;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "QUEUED");
    assert!(created["scheduledTime"].is_string());
    let mut c = Client::new(&mock).await?;
    let v = c
        .get_with(&flex_snapshot(G, F, "cccccccccccccccccccccccc"), &[V2_FLEX])
        .await?
        .json();
    assert_eq!(v["status"], "QUEUED");
    assert!(v.get("startTime").is_none());
    // duplicates and bad bodies are refused
    assert_eq!(
        admin(&mock, Method::POST, "/__mock/snapshots", Some(body))
            .await?
            .0,
        400
    );
    assert_eq!(
        admin(
            &mock,
            Method::POST,
            "/__mock/snapshots",
            Some(serde_json::json!([1]))
        )
        .await?
        .0,
        400
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn auth_int_only_server() -> Result<()> {
    use atlas_digest::{Qop, RequestFacts};
    let mock = MockAtlas::builder()
        .digest(
            DigestSettings::default()
                .qop([Qop::AuthInt])
                .authentication_info(AuthenticationInfo::Send),
        )
        .start()
        .await?;
    let mut c = Client::new(&mock).await?.expect_authentication_info();
    let target = v1_snapshot(G, C, seed::SNAPSHOT_ID);
    // The GET has an empty body; auth-int hashes it, and rspauth covers the response body.
    let mut state = c.digest.start();
    let mut resp = None;
    for _ in 0..3 {
        let facts = RequestFacts::new("GET", &target).with_body(b"");
        let (authz, _lease) = authorization(&c.digest, &mut state, &facts, &cnonce())?;
        let r = c
            .conn
            .send(Method::GET, &target, &[], authz.as_deref())
            .await?;
        if r.status == StatusCode::UNAUTHORIZED {
            let values = common::challenges(&r.headers);
            assert!(
                values.iter().all(|v| v.contains("qop=\"auth-int\"")),
                "{values:?}"
            );
            c.digest.on_unauthorized(&mut state, values)?;
            continue;
        }
        resp = Some(r);
        break;
    }
    let r = resp.expect("answered");
    assert_eq!(r.status, StatusCode::OK);
    let info = r.header("authentication-info").unwrap();
    assert!(info.contains("qop=auth-int"), "{info}");
    c.digest
        .on_authentication_info_with_body(&state, info, Some(&r.body))?;
    // a tampered body fails the rspauth check
    assert!(
        c.digest
            .on_authentication_info_with_body(&state, info, Some(b"{}"))
            .is_err()
    );
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn shutdown_with_open_connections_and_drop() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let addr = mock.addr();
    let mut c = Client::new(&mock).await?;
    assert_eq!(
        c.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID)).await?.status,
        StatusCode::OK
    );
    // An idle keep-alive connection is still open: shutdown closes it and returns.
    mock.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    assert!(c.get(&v1_snapshot(G, C, seed::SNAPSHOT_ID)).await.is_err());

    // Dropping the handle stops the server too (best effort, asynchronously).
    let mock = MockAtlas::builder().start().await?;
    let addr = mock.addr();
    drop(mock);
    // The stop is asynchronous: wait until the listener is gone (a generous bound, not a timing claim).
    let mut closed = false;
    for _ in 0..2400 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(closed, "listener still open 60 s after drop");
    Ok(())
}

/// The body decision of qop `auth-int` and what the journal records of each answer: the header is
/// summarized the same whether it authenticated, failed, or waited for its body.
#[tokio::test]
async fn auth_int_body_decisions_and_their_journal() -> Result<()> {
    use atlas_digest::{Algorithm, Credentials, DigestChallenge, Qop, RequestFacts};
    use bytes::Bytes;

    let target = v1_snapshot(G, C, seed::SNAPSHOT_ID);
    // An auth-int answer to a nonce of `mock`, from `user`, over `body`, in `realm`.
    async fn answer(
        mock: &MockHandle,
        user: (&str, &str),
        realm: &str,
        target: &str,
        body: &[u8],
    ) -> Result<String> {
        let mut conn = Conn::open(mock).await?;
        let r = conn.send(Method::GET, target, &[], None).await?;
        let www = r.header("www-authenticate").unwrap_or_default().to_owned();
        let nonce = www
            .split("nonce=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let mut ch = DigestChallenge::new(realm, nonce, Algorithm::Md5);
        ch.qop = Some(vec![Qop::AuthInt]);
        let facts = RequestFacts::new("POST", target).with_body(body);
        Ok(ch.respond(&Credentials::new(user.0, user.1), &facts, &cnonce(), 1)?)
    }
    async fn post(mock: &MockHandle, target: &str, authz: &str, body: Vec<u8>) -> Result<Resp> {
        let mut conn = Conn::open(mock).await?;
        conn.send_body(Method::POST, target, &[], Some(authz), Bytes::from(body))
            .await
    }

    // A server offering only `auth`, with a small body limit: an auth-int answer from a known key
    // has its body read first (it would be hashed), so a body over the limit is the answer, as
    // before; within the limit, the qop is refused.
    let mock = MockAtlas::builder()
        .limits(atlas_mock::Limits::default().with_max_body_bytes(16))
        .start()
        .await?;
    let key = (mock.public_key().to_owned(), mock.private_key().to_owned());
    let big = vec![b'x'; 64];
    let a = answer(&mock, (&key.0, &key.1), atlas_mock::REALM, &target, &big).await?;
    let r = post(&mock, &target, &a, big.clone()).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.error_code(), "INVALID_REQUEST_BODY");
    let a = answer(&mock, (&key.0, &key.1), atlas_mock::REALM, &target, b"{}").await?;
    let r = post(&mock, &target, &a, b"{}".to_vec()).await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let e = mock.journal().pop().unwrap();
    assert_eq!(e.error.as_deref(), Some("digest: qop not offered"));
    let s = e.auth.unwrap();
    assert_eq!(
        (
            s.scheme.as_str(),
            s.username.as_deref(),
            s.qop.as_deref(),
            s.nc
        ),
        ("Digest", Some(key.0.as_str()), Some("auth-int"), Some(1))
    );
    assert!(a.contains(&format!("nonce=\"{}\"", s.nonce.unwrap())));
    mock.shutdown().await;

    // A server offering auth-int: an unknown key's body is never read (refused as before, with the
    // reason the digest server gives without it); a known key's is, and it authenticates.
    let mock = MockAtlas::builder()
        .digest(DigestSettings::default().qop([Qop::AuthInt]))
        .start()
        .await?;
    let key = (mock.public_key().to_owned(), mock.private_key().to_owned());
    let a = answer(&mock, ("nobody", "x"), atlas_mock::REALM, &target, &big).await?;
    let r = post(&mock, &target, &a, big.clone()).await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let e = mock.journal().pop().unwrap();
    assert_eq!(
        e.error.as_deref(),
        Some("digest: qop=auth-int needs the request body")
    );
    assert_eq!(e.auth.unwrap().username.as_deref(), Some("nobody"));
    // Wrong realm from a known key: the body is read, then the realm refused.
    let a = answer(&mock, (&key.0, &key.1), "elsewhere", &target, b"{}").await?;
    let r = post(&mock, &target, &a, b"{}".to_vec()).await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        mock.journal().pop().unwrap().error.as_deref(),
        Some("digest: wrong realm")
    );
    mock.shutdown().await;
    Ok(())
}
