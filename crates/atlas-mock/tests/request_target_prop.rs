//! proptest: the request-target parsing (what the fuzz target drives) never panics, on arbitrary
//! input and on input shaped like the real routes.

use proptest::prelude::*;

fn route_like() -> impl Strategy<Value = String> {
    let seg = prop_oneof![
        Just("5b69d0349b15c62cdfc38b78".to_owned()),
        Just("M2AWS".to_owned()),
        Just("%ZZ".to_owned()),
        Just("%F0%9F%92%A9".to_owned()),
        "[a-zA-Z0-9%._~-]{0,40}",
    ];
    (
        prop_oneof![Just("v1.0"), Just("v2"), Just("v3")],
        seg.clone(),
        prop_oneof![Just("clusters"), Just("flexClusters")],
        seg.clone(),
        prop_oneof![Just("backup/tenant/snapshots"), Just("backup/snapshots")],
        proptest::option::of(seg),
    )
        .prop_map(|(v, g, kind, c, tail, s)| {
            let mut p = format!("/api/atlas/{v}/groups/{g}/{kind}/{c}/{tail}");
            if let Some(s) = s {
                p.push('/');
                p.push_str(&s);
            }
            p
        })
}

fn query_like() -> impl Strategy<Value = Option<String>> {
    let pair = prop_oneof![
        "(pretty|envelope|includeCount)=(true|false|TRUE|1|yes|)",
        "(itemsPerPage|pageNum)=[0-9]{0,22}",
        "[a-z%+=&]{0,20}",
    ];
    proptest::option::of(proptest::collection::vec(pair, 0..6).prop_map(|v| v.join("&")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_input_never_panics(path in "\\PC{0,200}", query in proptest::option::of("\\PC{0,100}"), accept in "\\PC{0,80}") {
        let _ = atlas_mock::fuzzing::request_target(&path, query.as_deref(), &accept);
    }

    #[test]
    fn route_shaped_input_never_panics(
        path in route_like(),
        query in query_like(),
        accept in prop_oneof![
            Just("application/vnd.atlas.2024-11-13+json".to_owned()),
            Just("application/vnd.atlas.2023-01-01+json;q=0.5, */*".to_owned()),
            "application/vnd\\.atlas\\.[0-9]{4}-[0-9]{2}-[0-9]{2}\\+json",
        ],
    ) {
        let _ = atlas_mock::fuzzing::request_target(&path, query.as_deref(), &accept);
    }
}
