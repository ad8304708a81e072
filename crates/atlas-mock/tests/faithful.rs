//! Faithful to real Atlas (`shared/reference/atlas-2026.md`): the challenge, the 401 body, error
//! headers and codes, rate-limit headers and the 429, Deprecation/Sunset, boolean query values.

mod common;

use std::time::Duration;

use anyhow::Result;
use atlas_mock::{
    ClockMode, DigestSettings, Fault, FaultPlan, FaultRule, MockAtlas, Opaque, QopParam, RateLimit,
    RouteKind, seed,
};
use common::*;
use http::{Method, StatusCode};
use serde_json::json;

const G: &str = seed::GROUP_ID;
const C: &str = seed::CLUSTER_NAME;
const F: &str = seed::FLEX_CLUSTER_NAME;

const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The nonce of a challenge.
fn nonce_of(challenge: &str) -> &str {
    let i = challenge.find("nonce=\"").unwrap() + 7;
    let j = challenge[i..].find('"').unwrap();
    &challenge[i..i + j]
}

#[tokio::test]
async fn the_challenge_is_atlas_s_exactly() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let mut raw = Conn::open(&mock).await?;
    let mut plus_or_slash = false;
    for _ in 0..64 {
        let r = raw
            .send(
                Method::GET,
                &v1_snapshot(G, C, seed::SNAPSHOT_ID),
                &[],
                None,
            )
            .await?;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let all: Vec<&str> = r
            .headers
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(all.len(), 1, "{all:?}");
        let ch = all[0];
        let nonce = nonce_of(ch);
        assert_eq!(nonce.len(), 32, "{ch}");
        assert!(nonce.chars().all(|c| B64.contains(c)), "{ch}");
        plus_or_slash |= nonce.contains(['+', '/']);
        assert_eq!(
            ch.replace(nonce, "N"),
            r#"Digest realm="MMS Public API", domain="", nonce="N", algorithm=MD5, qop="auth", stale=false"#
        );
        // The handshake's 401: pretty body, UNEXPECTED_ERROR, no X-Error-Code.
        assert!(r.header("x-error-code").is_none(), "{:?}", r.headers);
        assert_eq!(
            r.header("content-type"),
            Some("application/json;charset=ISO-8859-1")
        );
        assert!(
            r.text().contains("\"errorCode\" : \"UNEXPECTED_ERROR\""),
            "{}",
            r.text()
        );
        assert!(r.text().contains('\n'));
        assert_eq!(r.json()["error"], 401);
        assert_eq!(r.json()["reason"], "Unauthorized");
    }
    // 64 nonces of 32 characters without one '+' or '/' would mean a URL-safe alphabet.
    assert!(plus_or_slash, "the nonces use the standard base64 alphabet");
    // A client that adds an opaque the server never sent is refused; ours (none) is served.
    let r = Client::new(&mock)
        .await?
        .get(&v1_snapshot(G, C, seed::SNAPSHOT_ID))
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    let j = mock.journal();
    let last = j.last().unwrap();
    let auth = last.auth.as_ref().unwrap();
    assert_eq!(auth.scheme, "Digest");
    assert!(!auth.opaque);
    assert_eq!(auth.nc, Some(1));
    assert_eq!(auth.algorithm.as_deref(), Some("MD5"));
    mock.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opaque_and_the_seed_document_s_op_form_are_settings() -> Result<()> {
    let mock = MockAtlas::builder()
        .digest(DigestSettings::default().opaque(Opaque::Send))
        .start()
        .await?;
    let r = Conn::open(&mock)
        .await?
        .send(Method::GET, &v1_list(G, C), &[], None)
        .await?;
    assert!(r.header("www-authenticate").unwrap().contains("opaque=\""));
    let ok = Client::new(&mock).await?.get(&v1_list(G, C)).await?;
    assert_eq!(ok.status, StatusCode::OK);
    mock.shutdown().await;

    let mock = MockAtlas::builder()
        .digest(DigestSettings::default().qop_param(QopParam::Op))
        .start()
        .await?;
    let r = Conn::open(&mock)
        .await?
        .send(Method::GET, &v1_list(G, C), &[], None)
        .await?;
    let ch = r.header("www-authenticate").unwrap().to_owned();
    assert!(ch.contains(r#" op="auth""#) && !ch.contains("qop="), "{ch}");
    // Our client sees no qop and answers RFC 2069 style; the mock accepts that in this mode.
    let r = Client::new(&mock).await?.get(&v1_list(G, C)).await?;
    assert_eq!(r.status, StatusCode::OK);
    let last = mock.journal().pop().unwrap();
    assert_eq!(last.auth.unwrap().qop, None);
    // So does curl (run on a blocking thread: the mock serves on this runtime).
    let url = mock.seed_snapshot_url();
    let user = format!("{}:{}", mock.public_key(), mock.private_key());
    let (code, body) = tokio::task::spawn_blocking(move || curl_get(&user, &url)).await??;
    assert_eq!(code, 200, "{body}");
    assert_eq!(mock.journal().pop().unwrap().auth.unwrap().qop, None);
    mock.shutdown().await;
    Ok(())
}

/// `curl --digest` GET; (status, body).
fn curl_get(user: &str, url: &str) -> Result<(u16, String)> {
    let out = std::process::Command::new(require_tool("curl")?)
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "60",
            "--digest",
            "--user",
            user,
        ])
        .args(["--write-out", "\n%{http_code}", url])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    let (body, code) = text.rsplit_once('\n').unwrap();
    Ok((code.parse()?, body.to_owned()))
}

#[tokio::test]
async fn errors_carry_x_error_code_and_a_reason() -> Result<()> {
    let plan = FaultPlan::new(1)
        .rule(
            FaultRule::new(Fault::Status(418))?
                .on([RouteKind::FlexList])
                .limit(1),
        )
        .rule(
            FaultRule::new(Fault::Status(500))?
                .on([RouteKind::FlexList])
                .limit(1),
        );
    let mock = MockAtlas::builder().faults(plan).start().await?;
    let mut c = Client::new(&mock).await?;
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (flex_list(G, F), vec![V2_FLEX], 418, "INJECTED_FAULT"),
        (flex_list(G, F), vec![V2_FLEX], 500, "UNEXPECTED_ERROR"),
        (
            flex_snapshot(G, F, "ffffffffffffffffffffffff"),
            vec![V2_FLEX],
            404,
            "BACKUP_SNAPSHOT_NOT_FOUND",
        ),
        (
            flex_list(G, "-x"),
            vec![V2_FLEX],
            400,
            "PATH_PARAM_PARSE_ERROR",
        ),
        (flex_list(G, F), vec![], 406, "INVALID_VERSION_DATE"),
        (
            format!("{}?pretty=1", flex_list(G, F)),
            vec![V2_FLEX],
            400,
            "INVALID_QUERY_PARAMETER",
        ),
        (
            "/api/atlas/v2/nothing".into(),
            vec![],
            404,
            "RESOURCE_NOT_FOUND",
        ),
    ];
    for (target, headers, status, code) in cases {
        let r = c.get_with(&target, &headers).await?;
        assert_eq!(r.status.as_u16(), status, "{target}: {}", r.text());
        assert_eq!(r.error_code(), code, "{target}");
        assert_eq!(r.header("x-error-code"), Some(code), "{target}");
        let v = r.json();
        assert!(v["reason"].is_string(), "{target}: {v}");
        assert!(v["parameters"].is_array(), "{target}: {v}");
        assert_eq!(v["error"], status);
    }
    // 405 has a reason and an Allow header too (an authenticated DELETE).
    let target = v1_list(G, C);
    let mut state = c.digest.start();
    let (authz, _lease) = authorization(
        &c.digest,
        &mut state,
        &atlas_digest::RequestFacts::new("DELETE", &target),
        &cnonce(),
    )?;
    let r = c
        .conn
        .send(Method::DELETE, &target, &[], authz.as_deref())
        .await?;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json()["reason"], "Method Not Allowed");
    assert_eq!(r.header("x-error-code"), Some("METHOD_NOT_ALLOWED"));
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn deprecation_and_sunset_in_atlas_s_form() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let mut c = Client::new(&mock).await?;
    for (target, headers) in [
        (v1_snapshot(G, C, seed::SNAPSHOT_ID), vec![]),
        (v2_list(G, C), vec![V2_TENANT]),
        // errors of the tenant routes carry them too
        (v1_snapshot(G, C, "ffffffffffffffffffffffff"), vec![]),
    ] {
        let r = c.get_with(&target, &headers).await?;
        assert_eq!(
            r.header("deprecation"),
            Some("Wed, 13 Nov 2024 00:00:00 GMT"),
            "{target}"
        );
        assert_eq!(r.header("sunset"), Some("Thu, 22 Jan 2026 00:00:00 GMT"));
    }
    let r = c.get_with(&flex_list(G, F), &[V2_FLEX]).await?;
    assert!(r.header("deprecation").is_none() && r.header("sunset").is_none());
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn rate_limits_the_way_atlas_does_them_on_the_mock_clock() -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Manual)
        .rate_limit(RateLimit::token_bucket(3, 1, Duration::from_secs(10))?)
        .start()
        .await?;
    let mut c = Client::new(&mock).await?;
    let target = flex_list(G, F);
    for remaining in ["2", "1", "0"] {
        let r = c.get_with(&target, &[V2_FLEX]).await?;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("ratelimit-limit"), Some("3"));
        assert_eq!(r.header("ratelimit-remaining"), Some(remaining));
    }
    let r = c.get_with(&target, &[V2_FLEX]).await?;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "RATE_LIMITED_TOKEN_BUCKET");
    assert_eq!(r.header("x-error-code"), Some("RATE_LIMITED_TOKEN_BUCKET"));
    assert_eq!(r.header("retry-after"), Some("10"));
    // [path, retry-after seconds, capacity, refill rate, refill period seconds]
    assert_eq!(r.json()["parameters"], json!([target, 10, 3, 1, 10]));
    // Refill follows the mock clock: nothing moves until it is advanced.
    mock.clock().advance(Duration::from_secs(9));
    let r = c.get_with(&target, &[V2_FLEX]).await?;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.header("retry-after"), Some("1"));
    mock.clock().advance(Duration::from_secs(1));
    let r = c.get_with(&target, &[V2_FLEX]).await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    // v1.0 answers carry no RateLimit headers (as observed), and neither do 401 challenges.
    mock.clock().advance(Duration::from_secs(10));
    let r = c.get(&v1_list(G, C)).await?;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("ratelimit-limit").is_none());
    let r = Conn::open(&mock)
        .await?
        .send(Method::GET, &target, &[], None)
        .await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header("ratelimit-limit").is_none());
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn boolean_query_values_are_read_one_way() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let mut c = Client::new(&mock).await?;
    for q in [
        "pretty=1",
        "envelope=yes",
        "includeCount=1",
        "pretty",
        "envelope=",
    ] {
        let r = c.get(&format!("{}?{q}", v1_list(G, C))).await?;
        let name = q.split('=').next().unwrap();
        // envelope=yes is itself the bad flag, so the error is not enveloped.
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text());
        assert_eq!(r.error_code(), "INVALID_QUERY_PARAMETER", "{q}");
        assert_eq!(
            r.json()["badRequestDetail"]["fields"][0]["field"],
            name,
            "{q}"
        );
    }
    for q in [
        "pretty=TRUE",
        "pretty=false",
        "includeCount=False&envelope=true",
    ] {
        let r = c.get(&format!("{}?{q}", v1_list(G, C))).await?;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text());
    }
    // A bad flag next to a good envelope=true: the 400 comes enveloped.
    let r = c
        .get(&format!("{}?envelope=true&pretty=1", v1_list(G, C)))
        .await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], 400);
    mock.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_stepped_clock_moves_a_lifecycle_per_request() -> Result<()> {
    let mock = MockAtlas::builder()
        .clock(ClockMode::Stepped { step_ms: 1000 })
        .start()
        .await?;
    let mut c = Client::new(&mock).await?;
    let target = flex_snapshot(G, F, seed::LIFECYCLE_SNAPSHOT_ID);
    // The first request's 401 challenge moves the clock to 1 s, the authorized one to 2 s, ...
    let mut seen = Vec::new();
    for _ in 0..3 {
        let v = c.get_with(&target, &[V2_FLEX]).await?.json();
        seen.push(v["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, ["RUNNING", "COMPLETED", "COMPLETED"]);
    assert_eq!(mock.clock().elapsed(), Duration::from_secs(4));
    mock.shutdown().await;
    Ok(())
}
