//! Exact method, path, query and `Accept` of every endpoint, version and flag, through the
//! in-memory executor; ids that would bend a path cannot be built.

mod common;

use atlas_snapshots::{ApiVersion, ClusterName, GroupId, SnapshotId};
use common::{Flags, GROUP, Memory, SNAPSHOT, client, fixtures, ids, response};
use proptest::prelude::*;

const V1_ACCEPT: &str = "application/json";
const V2_ACCEPT: &str = "application/vnd.atlas.2023-01-01+json";
const FLEX_ACCEPT: &str = "application/vnd.atlas.2024-11-13+json";

fn flags_query(pretty: bool, envelope: bool) -> Option<String> {
    let mut parts = Vec::new();
    if pretty {
        parts.push("pretty=true");
    }
    if envelope {
        parts.push("envelope=true");
    }
    (!parts.is_empty()).then(|| parts.join("&"))
}

/// The body the executor answers: enveloped when the request asked for it.
fn answer_for(body: &str, envelope: bool) -> String {
    if envelope {
        format!(r#"{{"status":200,"content":{body}}}"#)
    } else {
        body.to_owned()
    }
}

#[tokio::test]
async fn get_every_family_version_and_flag() {
    let (g, c, s) = ids();
    let tenant_path = format!("/groups/{GROUP}/clusters/M2AWS/backup/tenant/snapshots/{SNAPSHOT}");
    let cases = [
        (
            Some(ApiVersion::V1),
            format!("/api/atlas/v1.0{tenant_path}"),
            V1_ACCEPT,
        ),
        (None, format!("/api/atlas/v1.0{tenant_path}"), V1_ACCEPT),
        (
            Some(ApiVersion::V2),
            format!("/api/atlas/v2{tenant_path}"),
            V2_ACCEPT,
        ),
    ];
    for pretty in [false, true] {
        for envelope in [false, true] {
            for (version, path, accept) in &cases {
                let mem =
                    Memory::queue([Ok(response(200, &answer_for(fixtures::SEED_V1, envelope)))]);
                let client = client(mem.clone());
                let mut req = client
                    .tenant_snapshots()
                    .get(&g, &c, &s)
                    .flags(pretty, envelope);
                if let Some(v) = version {
                    req = req.api_version(*v);
                }
                assert_eq!(req.accept(), *accept);
                let snap = req.send().await.unwrap();
                assert_eq!(snap.id.unwrap().as_str(), SNAPSHOT);
                let seen = mem.last();
                assert_eq!(seen.method, http::Method::GET);
                assert_eq!(seen.uri.scheme_str(), Some("https"));
                assert_eq!(seen.uri.host(), Some("cloud.mongodb.com"));
                assert_eq!(seen.path(), path);
                assert_eq!(
                    seen.query().map(str::to_owned),
                    flags_query(pretty, envelope)
                );
                assert_eq!(seen.accept.as_deref(), Some(*accept));
            }
            let mem = Memory::queue([Ok(response(200, &answer_for(fixtures::FLEX, envelope)))]);
            let client = client(mem.clone());
            let snap = client
                .flex_snapshots()
                .get(&g, &"Flex0".parse().unwrap(), &s)
                .flags(pretty, envelope)
                .send()
                .await
                .unwrap();
            assert_eq!(snap.mongodb_version.as_deref(), Some("8.0.4"));
            let seen = mem.last();
            assert_eq!(seen.method, http::Method::GET);
            assert_eq!(
                seen.path(),
                format!(
                    "/api/atlas/v2/groups/{GROUP}/flexClusters/Flex0/backup/snapshots/{SNAPSHOT}"
                )
            );
            assert_eq!(
                seen.query().map(str::to_owned),
                flags_query(pretty, envelope)
            );
            assert_eq!(seen.accept.as_deref(), Some(FLEX_ACCEPT));
        }
    }
}

#[tokio::test]
async fn list_every_family_version_flag_and_paging_parameter() {
    let (g, c, _) = ids();
    let page = r#"{"results":[],"totalCount":0}"#;
    for pretty in [false, true] {
        for envelope in [false, true] {
            for paging in [false, true] {
                for family in ["v1", "v2", "flex"] {
                    let mem = Memory::queue([Ok(response(200, &answer_for(page, envelope)))]);
                    let client = client(mem.clone());
                    let (path, accept) = match family {
                        "v1" => (
                            format!(
                                "/api/atlas/v1.0/groups/{GROUP}/clusters/M2AWS/backup/tenant/snapshots"
                            ),
                            V1_ACCEPT,
                        ),
                        "v2" => (
                            format!(
                                "/api/atlas/v2/groups/{GROUP}/clusters/M2AWS/backup/tenant/snapshots"
                            ),
                            V2_ACCEPT,
                        ),
                        _ => (
                            format!(
                                "/api/atlas/v2/groups/{GROUP}/flexClusters/M2AWS/backup/snapshots"
                            ),
                            FLEX_ACCEPT,
                        ),
                    };
                    let result = match family {
                        "flex" => {
                            let mut r =
                                client.flex_snapshots().list(&g, &c).flags(pretty, envelope);
                            if paging {
                                r = r.items_per_page(7).page_num(3).without_total_count();
                            }
                            r.send().await
                        }
                        v => {
                            let version = if v == "v1" {
                                ApiVersion::V1
                            } else {
                                ApiVersion::V2
                            };
                            let mut r = client
                                .tenant_snapshots()
                                .list(&g, &c)
                                .api_version(version)
                                .flags(pretty, envelope);
                            if paging {
                                r = r.items_per_page(7).page_num(3).without_total_count();
                            }
                            r.send().await
                        }
                    };
                    let page = result.unwrap();
                    assert!(page.items.is_empty());
                    assert_eq!(page.total_count, Some(0));
                    let seen = mem.last();
                    assert_eq!(seen.method, http::Method::GET);
                    assert_eq!(seen.path(), path, "{family}");
                    assert_eq!(seen.accept.as_deref(), Some(accept));
                    let mut expected: Vec<&str> = Vec::new();
                    if pretty {
                        expected.push("pretty=true");
                    }
                    if envelope {
                        expected.push("envelope=true");
                    }
                    if paging {
                        expected.extend(["itemsPerPage=7", "pageNum=3", "includeCount=false"]);
                    }
                    let expected = (!expected.is_empty()).then(|| expected.join("&"));
                    assert_eq!(seen.query().map(str::to_owned), expected, "{family}");
                }
            }
        }
    }
}

#[test]
fn uri_is_available_without_sending() {
    let (g, c, s) = ids();
    let client = client(Memory::always(500, ""));
    let uri = client
        .tenant_snapshots()
        .get(&g, &c, &s)
        .pretty()
        .uri()
        .unwrap();
    assert_eq!(
        uri.to_string(),
        format!(
            "https://cloud.mongodb.com/api/atlas/v1.0/groups/{GROUP}/clusters/M2AWS/backup/tenant/snapshots/{SNAPSHOT}?pretty=true"
        )
    );
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let (g, c, s) = ids();
    let mem = Memory::queue([Ok(response(200, fixtures::SEED_V1))]);
    let client = atlas_snapshots::AtlasClient::builder()
        .base_url("http://127.0.0.1:9/noauth/")
        .executor(mem.clone())
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9/noauth");
    client
        .tenant_snapshots()
        .get(&g, &c, &s)
        .send()
        .await
        .unwrap();
    assert_eq!(
        mem.last().uri.to_string(),
        format!(
            "http://127.0.0.1:9/noauth/api/atlas/v1.0/groups/{GROUP}/clusters/M2AWS/backup/tenant/snapshots/{SNAPSHOT}"
        )
    );
}

#[test]
fn ids_that_would_break_a_path_cannot_be_built() {
    for bad in [
        "",
        "a/b",
        "..",
        "../x",
        "a?b",
        "a#b",
        "a%2Fb",
        "a b",
        "M2AWS\n",
        "-lead",
        "ünï",
        "a.b",
        "a\\b",
        "a;b",
        &"x".repeat(65),
    ] {
        assert!(bad.parse::<ClusterName>().is_err(), "cluster name {bad:?}");
    }
    for bad in [
        "",
        "5b69d0349b15c62cdfc38b7",
        "5b69d0349b15c62cdfc38b780",
        "5B69D0349B15C62CDFC38B78",
        "5b69d0349b15c62cdfc38b/8",
        "../../../../../../../../..",
        "5b69d0349b15c62cdfc38b7%",
        "5b69d0349b15c62cdfc38b7?",
    ] {
        assert!(bad.parse::<GroupId>().is_err(), "group id {bad:?}");
        assert!(bad.parse::<SnapshotId>().is_err(), "snapshot id {bad:?}");
    }
}

fn hex24() -> impl Strategy<Value = String> {
    "[a-f0-9]{24}"
}

fn cluster_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9-]{0,63}"
}

/// Splits a built path back into (family, group, cluster, snapshot), percent-decoding each
/// segment and validating it again.
fn parse_back(uri: &http::Uri) -> (String, GroupId, ClusterName, Option<SnapshotId>) {
    let segs: Vec<String> = uri
        .path()
        .split('/')
        .skip(1)
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .unwrap()
                .into_owned()
        })
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [
            "api",
            "atlas",
            v,
            "groups",
            g,
            "clusters",
            c,
            "backup",
            "tenant",
            "snapshots",
            rest @ ..,
        ] => (
            format!("tenant-{v}"),
            g.parse().unwrap(),
            c.parse().unwrap(),
            rest.first().map(|s| s.parse().unwrap()),
        ),
        [
            "api",
            "atlas",
            "v2",
            "groups",
            g,
            "flexClusters",
            c,
            "backup",
            "snapshots",
            rest @ ..,
        ] => (
            "flex".to_owned(),
            g.parse().unwrap(),
            c.parse().unwrap(),
            rest.first().map(|s| s.parse().unwrap()),
        ),
        other => panic!("unexpected path {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn built_uris_parse_back_to_the_same_ids(
        g in hex24(), c in cluster_name(), s in hex24(),
        v2 in any::<bool>(), flex in any::<bool>(), pretty in any::<bool>(), envelope in any::<bool>(),
    ) {
        let group: GroupId = g.parse().unwrap();
        let cluster: ClusterName = c.parse().unwrap();
        let snapshot: SnapshotId = s.parse().unwrap();
        let client = client(Memory::always(500, ""));
        let (get, list) = if flex {
            let f = client.flex_snapshots();
            (
                f.get(&group, &cluster, &snapshot).flags(pretty, envelope).uri().unwrap(),
                f.list(&group, &cluster).flags(pretty, envelope).uri().unwrap(),
            )
        } else {
            let t = client.tenant_snapshots();
            let v = if v2 { ApiVersion::V2 } else { ApiVersion::V1 };
            (
                t.get(&group, &cluster, &snapshot).api_version(v).flags(pretty, envelope).uri().unwrap(),
                t.list(&group, &cluster).api_version(v).flags(pretty, envelope).uri().unwrap(),
            )
        };
        let expected_family = if flex { "flex".to_owned() } else if v2 { "tenant-v2".to_owned() } else { "tenant-v1.0".to_owned() };
        // Through the text form, as a server would receive it.
        let get: http::Uri = get.to_string().parse().unwrap();
        let (family, g2, c2, s2) = parse_back(&get);
        prop_assert_eq!(&family, &expected_family);
        prop_assert_eq!(g2, group.clone());
        prop_assert_eq!(c2, cluster.clone());
        prop_assert_eq!(s2, Some(snapshot));
        prop_assert_eq!(get.query().map(str::to_owned), flags_query(pretty, envelope));
        let (family, g3, c3, s3) = parse_back(&list);
        prop_assert_eq!(family, expected_family);
        prop_assert_eq!(g3, group);
        prop_assert_eq!(c3, cluster);
        prop_assert_eq!(s3, None);
    }
}

#[tokio::test]
async fn request_futures_are_send_and_can_be_spawned() {
    let (g, c, s) = ids();
    let mem = Memory::queue([
        Ok(response(200, fixtures::SEED_V1)),
        Ok(response(200, r#"{"results":[]}"#)),
        Ok(response(200, fixtures::SEED_V1)),
    ]);
    let client = client(mem);
    let handle = tokio::spawn(async move {
        let get = client.tenant_snapshots().get(&g, &c, &s).send().await?;
        let page = client.flex_snapshots().list(&g, &c).send().await?;
        let waited = client
            .tenant_snapshots()
            .wait(&g, &c, &s)
            .on_change(|_| {})
            .send()
            .await?;
        Ok::<_, atlas_snapshots::Error>((get, page, waited))
    });
    let (get, page, waited) = handle.await.unwrap().unwrap();
    assert_eq!(get, waited);
    assert!(page.items.is_empty());
}
