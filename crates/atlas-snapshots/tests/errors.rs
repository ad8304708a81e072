//! Every status and errorCode maps to the variant a caller acts on, with the ApiError kept;
//! the envelope maps its inner status the same way.

mod common;

use std::time::Duration;

use atlas_snapshots::{AtlasClient, BaseUrlProblem, Error, NotFoundResource};
use common::{Answer, Memory, client, fixtures, ids, response, response_with};
use http::StatusCode;

/// Sends one tenant get answered with `answer` and returns its error.
async fn get_err(answer: Answer) -> Error {
    let (g, c, s) = ids();
    let client = client(Memory::queue([answer]));
    client
        .tenant_snapshots()
        .get(&g, &c, &s)
        .send()
        .await
        .unwrap_err()
}

async fn get_err_enveloped(status: u16, content: &str) -> Error {
    let (g, c, s) = ids();
    let body = format!(r#"{{"status":{status},"content":{content}}}"#);
    let client = client(Memory::queue([Ok(response(200, &body))]));
    client
        .tenant_snapshots()
        .get(&g, &c, &s)
        .envelope()
        .send()
        .await
        .unwrap_err()
}

/// The same error both ways: plain status and enveloped status.
async fn both(status: u16, body: &str) -> [Error; 2] {
    [
        get_err(Ok(response(status, body))).await,
        get_err_enveloped(status, body).await,
    ]
}

#[tokio::test]
async fn not_found_names_the_resource() {
    let snapshot_404 = r#"{"detail":"No snapshot with ID 5cc310ace5dc7ce369814bc9 exists in cluster M2AWS.","error":404,"errorCode":"BACKUP_SNAPSHOT_NOT_FOUND","parameters":["5cc310ace5dc7ce369814bc9","M2AWS"],"reason":"Not Found"}"#;
    let cluster_404 = r#"{"detail":"No cluster named M2AWS exists in group 5b69d0349b15c62cdfc38b78.","error":404,"errorCode":"CLUSTER_NOT_FOUND","parameters":["M2AWS","5b69d0349b15c62cdfc38b78"],"reason":"Not Found"}"#;
    let generic_404 = r#"{"error":404,"errorCode":"RESOURCE_NOT_FOUND","reason":"Not Found"}"#;
    for (body, expected, code) in [
        (
            fixtures::E404_GROUP,
            NotFoundResource::Group,
            "GROUP_NOT_FOUND",
        ),
        (cluster_404, NotFoundResource::Cluster, "CLUSTER_NOT_FOUND"),
        (
            snapshot_404,
            NotFoundResource::Snapshot,
            "BACKUP_SNAPSHOT_NOT_FOUND",
        ),
        (generic_404, NotFoundResource::Unknown, "RESOURCE_NOT_FOUND"),
    ] {
        for e in both(404, body).await {
            match &e {
                Error::NotFound { resource, api } => {
                    assert_eq!(*resource, expected);
                    assert!(api.has_code(code), "{api:?}");
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
            assert!(e.hint().is_some());
            assert!(e.to_string().contains(code), "{e}");
        }
    }
}

#[tokio::test]
async fn envelope_fixture_with_inner_404() {
    let (g, c, s) = ids();
    let client = client(Memory::queue([Ok(response(200, fixtures::ENVELOPE_404))]));
    let e = client
        .tenant_snapshots()
        .get(&g, &c, &s)
        .envelope()
        .send()
        .await
        .unwrap_err();
    let Error::NotFound { resource, api } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*resource, NotFoundResource::Snapshot);
    assert!(api.has_code("BACKUP_SNAPSHOT_NOT_FOUND"));
    assert_eq!(api.parameters.len(), 2);
    assert!(e.hint().unwrap().contains("snapshot id"));
}

#[tokio::test]
async fn unauthorized_from_a_plain_401_and_from_the_transport() {
    for e in both(401, fixtures::E401).await {
        let Error::Unauthorized { api } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(api.error_code, None);
        assert_eq!(
            api.detail.as_deref(),
            Some("You are not authorized for this resource.")
        );
        assert!(e.hint().unwrap().contains("keys"));
    }
    // The transport keeps the final 401 after our credentials were rejected.
    let rejected = atlas_transport::Error::AuthRejected {
        url: "https://cloud.mongodb.com/x".into(),
        reason: Some("Unauthorized".into()),
        response: Box::new(response(401, fixtures::E401)),
    };
    let e = get_err(Err(rejected)).await;
    let Error::Unauthorized { api } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(api.error, Some(401));
    assert!(api.detail.as_deref().unwrap().contains("not authorized"));
}

#[tokio::test]
async fn forbidden_recognises_the_api_key_access_list() {
    let ip = r#"{"detail":"IP address 203.0.113.9 is not allowed to access this resource.","error":403,"errorCode":"IP_ADDRESS_NOT_ON_ACCESS_LIST","parameters":["203.0.113.9"],"reason":"Forbidden"}"#;
    for e in both(403, ip).await {
        let Error::Forbidden {
            ip_access_list,
            api,
        } = &e
        else {
            panic!("{e:?}")
        };
        assert!(*ip_access_list);
        assert!(api.has_code("IP_ADDRESS_NOT_ON_ACCESS_LIST"));
        assert!(e.to_string().contains("access list"), "{e}");
        assert!(e.hint().unwrap().contains("API key's own access list"));
    }
    let role = r#"{"detail":"Insufficient role.","error":403,"errorCode":"USER_CANNOT_ACCESS_ORG","reason":"Forbidden"}"#;
    for e in both(403, role).await {
        let Error::Forbidden { ip_access_list, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(!*ip_access_list);
        assert!(e.hint().unwrap().contains("Project Read Only"));
    }
}

#[tokio::test]
async fn rate_limited_keeps_retry_after_from_a_response_and_after_retries() {
    let limited = || response_with(429, fixtures::E429, &[("retry-after", "7")]);
    let e = get_err(Ok(limited())).await;
    let Error::RateLimited {
        retry_after,
        api,
        parameters,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(7)));
    assert!(api.has_code("RATE_LIMITED"));
    assert_eq!(api.parameters.len(), 6);
    // "limited to 100 requests every 1 minutes", decoded.
    let p = parameters.as_ref().unwrap();
    assert_eq!((p.capacity, p.refill_period_secs), (Some(100), Some(60)));

    let exhausted = atlas_transport::Error::RetriesExhausted {
        url: "https://cloud.mongodb.com/x".into(),
        attempts: 4,
        last_status: Some(StatusCode::TOO_MANY_REQUESTS),
        response: Some(Box::new(limited())),
    };
    let e = get_err(Err(exhausted)).await;
    let Error::RateLimited {
        retry_after, api, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(7)));
    assert!(api.has_code("RATE_LIMITED"));
    assert!(e.is_transient());

    let e = get_err_enveloped(429, fixtures::E429).await;
    assert!(
        matches!(
            e,
            Error::RateLimited {
                retry_after: None,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn gone_says_tenant_snapshots_were_retired_and_points_to_flex() {
    for e in both(410, fixtures::E410).await {
        let Error::Gone { api } = &e else {
            panic!("{e:?}")
        };
        assert!(api.has_code("VERSION_GONE"));
        let text = e.to_string();
        assert!(
            text.contains("January 2026") && text.contains("flex"),
            "{text}"
        );
        assert!(e.hint().unwrap().contains("flex_snapshots()"));
        assert_eq!(e.status(), Some(StatusCode::GONE));
    }
}

#[tokio::test]
async fn bad_request_lists_the_fields() {
    for e in both(400, fixtures::E400).await {
        let Error::InvalidRequest { api } = &e else {
            panic!("{e:?}")
        };
        let detail = api.bad_request_detail.as_ref().unwrap();
        assert_eq!(detail.fields[0].field, "snapshotId");
        assert!(e.to_string().contains("snapshotId: must match"), "{e}");
    }
}

#[tokio::test]
async fn server_errors_keep_json_or_the_raw_html() {
    let json = r#"{"detail":"(This is just an example)","error":500,"errorCode":"UNEXPECTED_ERROR","reason":"Internal Server Error"}"#;
    for e in both(500, json).await {
        let Error::Server { status, api } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(api.has_code("UNEXPECTED_ERROR"));
    }
    // A 503 HTML page that outlived the transport's retries.
    let exhausted = atlas_transport::Error::RetriesExhausted {
        url: "https://cloud.mongodb.com/x".into(),
        attempts: 4,
        last_status: Some(StatusCode::SERVICE_UNAVAILABLE),
        response: Some(Box::new(response(503, fixtures::E503_HTML))),
    };
    let e = get_err(Err(exhausted)).await;
    let Error::Server { status, api } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(api.raw.as_deref().unwrap().contains("Service Unavailable"));
    assert!(e.to_string().contains("Service Unavailable"), "{e}");
    // And the same page returned as-is (RetryPolicy::none()).
    let e = get_err(Ok(response(503, fixtures::E503_HTML))).await;
    assert!(
        matches!(
            e,
            Error::Server {
                status: StatusCode::SERVICE_UNAVAILABLE,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn other_statuses_are_api_errors_and_redirects_say_so() {
    let e = get_err(Ok(response(
        406,
        r#"{"error":406,"errorCode":"INVALID_VERSION_DATE"}"#,
    )))
    .await;
    let Error::Api { status, api } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*status, StatusCode::NOT_ACCEPTABLE);
    assert!(api.has_code("INVALID_VERSION_DATE"));

    let e = get_err(Ok(response_with(
        302,
        "",
        &[("location", "https://account.mongodb.com/account/login")],
    )))
    .await;
    let Error::Redirect {
        status, location, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*status, StatusCode::FOUND);
    assert_eq!(
        location.as_deref(),
        Some("https://account.mongodb.com/account/login")
    );
    assert_eq!(
        e.to_string(),
        "redirected (HTTP 302 Found) to https://account.mongodb.com/account/login, not followed"
    );
    assert!(e.hint().unwrap().contains("redirects are not followed"));
    assert_eq!(e.status(), Some(StatusCode::FOUND));
    // An empty 301 without a Location still says what happened.
    let e = get_err(Ok(response(301, ""))).await;
    assert_eq!(
        e.to_string(),
        "redirected (HTTP 301 Moved Permanently) without a Location header, not followed"
    );
    // A Location with user information and control characters is cleaned.
    let e = get_err(Ok(response_with(
        307,
        "",
        &[("location", "https://me:pw@elsewhere.example/x\ty")],
    )))
    .await;
    let Error::Redirect { location, .. } = &e else {
        panic!("{e:?}")
    };
    let location = location.as_deref().unwrap();
    assert!(!location.contains("pw"), "{location}");

    let e = get_err(Ok(response(
        409,
        r#"{"error":409,"errorCode":"VERSION_GONE"}"#,
    )))
    .await;
    assert!(matches!(e, Error::Gone { .. }), "{e:?}");
}

#[tokio::test]
async fn undecodable_success_bodies_are_unexpected_with_an_excerpt() {
    let e = get_err(Ok(response(
        200,
        "<html><body>captive portal</body></html>",
    )))
    .await;
    let Error::UnexpectedBody {
        status,
        excerpt,
        source,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*status, StatusCode::OK);
    assert!(excerpt.contains("captive portal"));
    assert!(source.is_some());
    assert!(e.api_error().is_none());

    let e = get_err(Ok(response(
        200,
        r#"{"id":"5cc310ace5dc7ce369814bc8","startTime":"yesterday"}"#,
    )))
    .await;
    let Error::UnexpectedBody {
        source: Some(source),
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(source.to_string().contains("startTime"), "{source}");
    assert!(e.hint().unwrap().contains("not of the expected shape"));

    // An envelope request answered without an envelope.
    let (g, c, s) = ids();
    let client = client(Memory::queue([Ok(response(200, fixtures::SEED_V1))]));
    let e = client
        .tenant_snapshots()
        .get(&g, &c, &s)
        .envelope()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnexpectedBody { .. }), "{e:?}");

    // An enveloped success whose content is wrong.
    let e = get_err_enveloped(200, r#"{"finishTime":42}"#).await;
    assert!(
        matches!(
            e,
            Error::UnexpectedBody {
                status: StatusCode::OK,
                source: Some(_),
                ..
            }
        ),
        "{e:?}"
    );

    // A long body is cut.
    let long = format!("<html>{}</html>", "x".repeat(10_000));
    let e = get_err(Ok(response(200, &long))).await;
    let Error::UnexpectedBody { excerpt, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(excerpt.len() < 300, "{}", excerpt.len());
}

#[tokio::test]
async fn transport_failures_stay_transport_errors() {
    let e = get_err(Err(atlas_transport::Error::Timeout {
        url: "https://cloud.mongodb.com/x".into(),
        kind: atlas_transport::TimeoutKind::Total,
    }))
    .await;
    assert!(
        matches!(e, Error::Transport(atlas_transport::Error::Timeout { .. })),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "total timeout for https://cloud.mongodb.com/x"
    );
    assert!(e.hint().unwrap().contains("timeouts"));
    assert!(e.api_error().is_none());

    // Retries exhausted without any response (connection failures only).
    let e = get_err(Err(atlas_transport::Error::RetriesExhausted {
        url: "https://cloud.mongodb.com/x".into(),
        attempts: 4,
        last_status: None,
        response: None,
    }))
    .await;
    assert!(
        matches!(
            e,
            Error::Transport(atlas_transport::Error::RetriesExhausted { .. })
        ),
        "{e:?}"
    );
}

#[test]
fn bad_base_urls_are_typed_errors() {
    for (url, why) in [
        ("not a url", "valid"),
        ("cloud.mongodb.com", "scheme"),
        ("ftp://cloud.mongodb.com", "scheme"),
        ("https://me:secret@cloud.mongodb.com", "credentials"),
        ("https://cloud.mongodb.com/api?x=1", "query"),
    ] {
        let e = AtlasClient::builder().base_url(url).build().unwrap_err();
        let Error::InvalidBaseUrl { problem, .. } = &e else {
            panic!("{e:?}")
        };
        let reason = problem.to_string();
        assert!(reason.contains(why), "{url}: {reason}");
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(e.hint().is_some());
    }
    // Credentials over plain http to a remote host need an explicit opt-in.
    let e = AtlasClient::builder()
        .base_url("http://atlas.example.com")
        .credentials("pub", "priv")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidBaseUrl {
                problem: BaseUrlProblem::InsecureHttp,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("allow_insecure_http()"));
    // A base URL with the API path in it would get the path twice.
    let e = AtlasClient::builder()
        .base_url("https://cloud.mongodb.com/api/atlas/v2/")
        .build()
        .unwrap_err();
    let Error::InvalidBaseUrl {
        problem: BaseUrlProblem::ApiPath { path, suggestion },
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(
        (path.as_str(), suggestion.as_str()),
        ("/api/atlas/v2", "https://cloud.mongodb.com")
    );
    AtlasClient::builder()
        .base_url("http://atlas.example.com")
        .credentials("pub", "priv")
        .allow_insecure_http()
        .build()
        .unwrap();
    AtlasClient::builder()
        .base_url("http://127.0.0.1:8080")
        .credentials("pub", "priv")
        .build()
        .unwrap();
}

#[test]
fn debug_never_shows_the_private_key() {
    let builder = AtlasClient::builder().credentials("my-public-key", "very-secret-private-key");
    let text = format!("{builder:?}");
    assert!(
        text.contains("my-public-key") && !text.contains("very-secret-private-key"),
        "{text}"
    );
    let client = builder.build().unwrap();
    let text = format!("{client:?}");
    assert!(
        text.contains("my-public-key") && !text.contains("very-secret-private-key"),
        "{text}"
    );
    assert!(client.stats().is_some());
    assert!(common::client(Memory::always(200, "")).stats().is_none());
}

#[tokio::test]
async fn library_messages_name_no_command_line_flags() {
    // Display says what happened, in no program's words; hints name this crate's methods.
    let bodies = [
        (400, fixtures::E400),
        (401, fixtures::E401),
        (404, fixtures::E404_GROUP),
        (410, fixtures::E410),
        (429, fixtures::E429),
        (503, fixtures::E503_HTML),
        (301, ""),
    ];
    for (status, body) in bodies {
        let e = get_err(Ok(response(status, body))).await;
        let text = e.to_string();
        assert!(!text.contains("--"), "{text}");
        assert!(!text.contains("()"), "{text}");
        if let Some(hint) = e.hint() {
            assert!(!hint.contains("--"), "{status}: {hint}");
        }
    }
}

#[tokio::test]
async fn a_flex_cluster_on_the_cluster_api_points_to_flex_snapshots() {
    let body = r#"{"detail":"Flex cluster FlexAWS cannot be used in the Cluster API.","error":400,"errorCode":"CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API","parameters":["FlexAWS"],"reason":"Bad Request"}"#;
    let e = get_err(Ok(response(400, body))).await;
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e:?}");
    assert!(e.hint().unwrap().contains("flex_snapshots()"));
}

#[test]
fn transient_errors_are_the_ones_worth_asking_again() {
    let api = || Box::new(atlas_snapshots::ApiError::default());
    let url = || "https://cloud.mongodb.com/x".to_owned();
    let server = |s: u16| Error::Server {
        status: StatusCode::from_u16(s).unwrap(),
        api: api(),
    };
    let transient = [
        server(500),
        server(503),
        Error::RateLimited {
            retry_after: None,
            parameters: None,
            api: api(),
        },
        Error::Transport(atlas_transport::Error::Timeout {
            url: url(),
            kind: atlas_transport::TimeoutKind::Attempt,
        }),
        Error::Transport(atlas_transport::Error::Connect {
            url: url(),
            source: "refused".into(),
        }),
    ];
    let not_transient = [
        server(501),
        Error::Gone { api: api() },
        Error::Unauthorized { api: api() },
        Error::Transport(atlas_transport::Error::Tls {
            url: url(),
            source: "bad certificate".into(),
        }),
        Error::Transport(atlas_transport::Error::InsecureCredentials { url: url() }),
        Error::Transport(atlas_transport::Error::BodyTooLarge {
            url: url(),
            limit: 8,
        }),
        Error::Transport(atlas_transport::Error::Config {
            reason: "bad PEM".into(),
            source: None,
        }),
    ];
    for e in &transient {
        assert!(e.is_transient(), "{e:?}");
    }
    for e in &not_transient {
        assert!(!e.is_transient(), "{e:?}");
    }
}
