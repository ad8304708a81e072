//! `ListSnapshots::stream`: next links, page numbers, the stopping rules and the bound.

mod common;

use atlas_snapshots::Error;
use common::{GROUP, Memory, client, ids, response};
use futures_util::{StreamExt, TryStreamExt};

const LIST: &str =
    "/api/atlas/v1.0/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/tenant/snapshots";

/// Snapshot ids 0..total, `per_page` per page; `links` adds Atlas-style next links on `host`.
fn paged(total: usize, link_host: Option<&'static str>) -> std::sync::Arc<Memory> {
    Memory::with(move |req| {
        let q = req.uri().query().unwrap_or("");
        let param = |name: &str| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(|v| v.parse::<usize>().unwrap())
        };
        let per = param("itemsPerPage").unwrap_or(100);
        let page = param("pageNum").unwrap_or(1);
        let start = (page - 1) * per;
        let ids: Vec<String> = (start..total.min(start + per))
            .map(|i| format!(r#"{{"id":"{i:024x}","status":"COMPLETED"}}"#))
            .collect();
        let mut links = Vec::new();
        if let Some(host) = link_host {
            if start + per < total {
                links.push(format!(
                    r#"{{"href":"{host}{LIST}?pageNum={}&itemsPerPage={per}","rel":"next"}}"#,
                    page + 1
                ));
            }
        }
        let body = format!(
            r#"{{"results":[{}],"links":[{}],"totalCount":{total}}}"#,
            ids.join(","),
            links.join(",")
        );
        Ok(response(200, &body))
    })
}

fn id_numbers(snaps: &[atlas_snapshots::TenantSnapshot]) -> Vec<u64> {
    snaps
        .iter()
        .map(|s| u64::from_str_radix(s.id.as_ref().unwrap().as_str(), 16).unwrap())
        .collect()
}

#[tokio::test]
async fn follows_next_links_on_the_same_origin_across_three_pages() {
    let (g, c, _) = ids();
    let mem = paged(5, Some("https://cloud.mongodb.com"));
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .pretty(true)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [0, 1, 2, 3, 4]);
    let seen = mem.seen();
    let queries: Vec<_> = seen.iter().map(|s| s.query().unwrap().to_owned()).collect();
    assert_eq!(
        queries,
        [
            "pretty=true&itemsPerPage=2&pageNum=1",
            // The link verbatim, with our pretty flag added back.
            "pageNum=2&itemsPerPage=2&pretty=true",
            "pageNum=3&itemsPerPage=2&pretty=true",
        ]
    );
    assert!(seen.iter().all(|s| s.path() == LIST));
}

#[tokio::test]
async fn links_to_another_host_are_not_followed_page_numbers_are_used() {
    let (g, c, _) = ids();
    let mem = paged(5, Some("https://evil.example"));
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [0, 1, 2, 3, 4]);
    for s in mem.seen() {
        assert_eq!(s.uri.host(), Some("cloud.mongodb.com"));
    }
    assert_eq!(mem.seen().len(), 3);
}

#[tokio::test]
async fn without_links_walks_page_numbers_until_a_short_page() {
    let (g, c, _) = ids();
    let mem = paged(7, None);
    let all: Vec<_> = client(mem.clone())
        .flex_snapshots()
        .list(&g, &c)
        .items_per_page(3)
        .include_count(false)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), (0..7).collect::<Vec<_>>());
    let pages: Vec<_> = mem
        .seen()
        .iter()
        .map(|s| s.query().unwrap().to_owned())
        .collect();
    assert_eq!(
        pages,
        [
            "itemsPerPage=3&pageNum=1&includeCount=false",
            "itemsPerPage=3&pageNum=2&includeCount=false",
            "itemsPerPage=3&pageNum=3&includeCount=false",
        ]
    );
}

#[tokio::test]
async fn an_exact_multiple_ends_on_total_count_or_an_empty_page() {
    let (g, c, _) = ids();
    // totalCount says 6: two pages of 3, no third request.
    let mem = paged(6, None);
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(3)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(mem.seen().len(), 2);

    // Without totalCount the third, empty page ends it.
    let mem = Memory::queue([
        Ok(response(
            200,
            r#"{"results":[{"id":"000000000000000000000001"}]}"#,
        )),
        Ok(response(
            200,
            r#"{"results":[{"id":"000000000000000000000002"}]}"#,
        )),
        Ok(response(200, r#"{"results":[]}"#)),
    ]);
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [1, 2]);
    assert_eq!(mem.seen().len(), 3);
}

#[tokio::test]
async fn starts_at_page_num_and_sends_the_default_page_size() {
    let (g, c, _) = ids();
    let mem = paged(250, None);
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .page_num(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), (100..250).collect::<Vec<_>>());
    let pages: Vec<_> = mem
        .seen()
        .iter()
        .map(|s| s.query().unwrap().to_owned())
        .collect();
    assert_eq!(
        pages,
        ["itemsPerPage=100&pageNum=2", "itemsPerPage=100&pageNum=3"]
    );
}

#[tokio::test]
async fn the_stream_is_bounded() {
    let (g, c, _) = ids();
    // A server that always claims there is more.
    let mem = Memory::with(|_| {
        Ok(response(
            200,
            r#"{"results":[{"id":"000000000000000000000001"}],"links":[{"rel":"next","href":"https://cloud.mongodb.com/elsewhere"}]}"#,
        ))
    });
    let items: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(1)
        .max_pages(4)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 5);
    assert!(items[..4].iter().all(Result::is_ok));
    assert!(
        matches!(items[4], Err(Error::TooManyPages { limit: 4 })),
        "{:?}",
        items[4]
    );
    assert_eq!(mem.seen().len(), 4);
}

#[tokio::test]
async fn an_error_ends_the_stream_after_the_items_before_it() {
    let (g, c, _) = ids();
    let mem = Memory::queue([
        Ok(response(
            200,
            r#"{"results":[{"id":"000000000000000000000001"}]}"#,
        )),
        Ok(response(
            500,
            r#"{"error":500,"errorCode":"UNEXPECTED_ERROR"}"#,
        )),
    ]);
    let items: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(1)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert!(matches!(items[1], Err(Error::Server { .. })));
    assert_eq!(mem.seen().len(), 2);
}

#[tokio::test]
async fn enveloped_pages_and_an_enveloped_error() {
    let (g, c, _) = ids();
    let mem = Memory::queue([
        Ok(response(
            200,
            r#"{"status":200,"content":{"results":[{"id":"000000000000000000000001"},{"id":"000000000000000000000002"}],"totalCount":3}}"#,
        )),
        Ok(response(
            200,
            &format!(
                r#"{{"status":404,"content":{{"error":404,"errorCode":"GROUP_NOT_FOUND","detail":"No group with ID {GROUP} exists."}}}}"#
            ),
        )),
    ]);
    let items: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .envelope(true)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert!(matches!(
        items[2],
        Err(Error::NotFound {
            resource: atlas_snapshots::NotFoundResource::Group,
            ..
        })
    ));
    assert!(
        mem.seen()
            .iter()
            .all(|s| s.query().unwrap().contains("envelope=true"))
    );
}

#[tokio::test]
async fn the_stream_is_static_and_send() {
    let (g, c, _) = ids();
    let client = client(paged(3, None));
    let stream = client
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .stream();
    drop(client);
    let handle = tokio::spawn(async move { stream.try_collect::<Vec<_>>().await });
    assert_eq!(handle.await.unwrap().unwrap().len(), 3);
}

#[tokio::test]
async fn a_short_page_with_a_next_link_is_followed() {
    // A server that caps the page size below what was asked, but links the next page.
    let (g, c, _) = ids();
    let mem = Memory::with(|req| {
        let q = req.uri().query().unwrap_or("");
        let page: usize = q
            .split('&')
            .find_map(|kv| kv.strip_prefix("pageNum="))
            .map_or(1, |v| v.parse().unwrap());
        let ids = [2 * page - 1, 2 * page]
            .map(|i| format!(r#"{{"id":"{i:024x}"}}"#))
            .join(",");
        let next = if page < 3 {
            format!(
                r#"{{"rel":"next","href":"https://cloud.mongodb.com{LIST}?pageNum={}&itemsPerPage=5"}}"#,
                page + 1
            )
        } else {
            String::new()
        };
        Ok(response(
            200,
            &format!(r#"{{"results":[{ids}],"links":[{next}]}}"#),
        ))
    });
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(5)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [1, 2, 3, 4, 5, 6]);
    assert_eq!(mem.seen().len(), 3);
}
