//! Query strings: decoding, the boolean flags Atlas applies to every answer, and paging.
//!
//! Atlas reads boolean query parameters one way: `true` or `false` (any letter case). Anything else,
//! an empty value included, is a `400 INVALID_QUERY_PARAMETER` that names the parameter, for
//! `pretty`, `envelope` and `includeCount` alike.

use serde_json::json;

use super::reply::{Reply, invalid_param};

/// Decoded `key=value` pairs, in order (`+` is a space, `%XX` decoded, invalid UTF-8 replaced).
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = query else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

/// The last value of `name`, if present.
pub(crate) fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A boolean query parameter: absent gives `default`; `true`/`false` (any case) give their value;
/// anything else is an error answer.
pub(crate) fn boolean(
    pairs: &[(String, String)],
    name: &str,
    default: bool,
) -> Result<bool, Box<Reply>> {
    match last(pairs, name) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(invalid_param(
            "INVALID_QUERY_PARAMETER",
            name,
            v,
            "must be true or false",
        )),
    }
}

/// Boolean query flags Atlas applies to every answer.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Flags {
    pub(crate) pretty: bool,
    pub(crate) envelope: bool,
}

/// Reads `pretty` and `envelope`. On a bad value, the error answer is rendered with the flags that
/// could be read (a bad `pretty` still honours `envelope=true` and the reverse).
pub(crate) fn flags(pairs: &[(String, String)]) -> (Flags, Option<Box<Reply>>) {
    let pretty = boolean(pairs, "pretty", false);
    let envelope = boolean(pairs, "envelope", false);
    let flags = Flags {
        pretty: *pretty.as_ref().unwrap_or(&false),
        envelope: *envelope.as_ref().unwrap_or(&false),
    };
    (flags, pretty.err().or(envelope.err()))
}

/// Paging parameters of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    pub(crate) items_per_page: usize,
    pub(crate) page_num: usize,
    pub(crate) include_count: bool,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            items_per_page: 100,
            page_num: 1,
            include_count: true,
        }
    }
}

/// Reads `itemsPerPage` (1..=500, default 100), `pageNum` (from 1) and `includeCount` (default true).
pub(crate) fn paging(pairs: &[(String, String)]) -> Result<Paging, Box<Reply>> {
    let int = |name: &str, default: usize, min: usize, max: usize| -> Result<usize, Box<Reply>> {
        match last(pairs, name) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(invalid_param(
                    "INVALID_QUERY_PARAMETER",
                    name,
                    v,
                    &format!("must be an integer from {min} to {max}"),
                )),
            },
        }
    };
    Ok(Paging {
        items_per_page: int("itemsPerPage", 100, 1, 500)?,
        page_num: int("pageNum", 1, 1, 1_000_000)?,
        include_count: boolean(pairs, "includeCount", true)?,
    })
}

/// The link to `page` of a list: the request's own query with `pageNum` and `itemsPerPage` set.
pub(crate) fn page_href(
    base: &str,
    path: &str,
    pairs: &[(String, String)],
    page: usize,
    per_page: usize,
) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const QUERY: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let mut q: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k != "pageNum" && k != "itemsPerPage")
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY),
                utf8_percent_encode(v, QUERY)
            )
        })
        .collect();
    q.push(format!("pageNum={page}"));
    q.push(format!("itemsPerPage={per_page}"));
    format!("{base}{path}?{}", q.join("&"))
}

/// `links` of a list page.
pub(crate) fn page_links(
    base: &str,
    path: &str,
    pairs: &[(String, String)],
    p: Paging,
    total: usize,
) -> Vec<serde_json::Value> {
    let href = |page: usize| page_href(base, path, pairs, page, p.items_per_page);
    let mut links = vec![json!({"href": href(p.page_num), "rel": "self"})];
    if p.page_num > 1 {
        links.push(json!({"href": href(p.page_num - 1), "rel": "previous"}));
    }
    let start = (p.page_num - 1).saturating_mul(p.items_per_page);
    if start.saturating_add(p.items_per_page) < total {
        links.push(json!({"href": href(p.page_num + 1), "rel": "next"}));
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_decode() {
        let p = query_pairs(Some("a=1&b=x%20y&c&&pretty=TRUE&d=a+b"));
        assert_eq!(p[1], ("b".to_owned(), "x y".to_owned()));
        assert_eq!(p[2], ("c".to_owned(), String::new()));
        assert_eq!(boolean(&p, "pretty", false).ok(), Some(true));
        assert_eq!(boolean(&p, "envelope", false).ok(), Some(false));
        assert_eq!(p[4].1, "a b");
    }

    #[test]
    fn booleans_are_true_or_false_and_nothing_else() {
        for (q, ok) in [
            ("pretty=true", Some(true)),
            ("pretty=False", Some(false)),
            ("pretty=1", None),
            ("pretty=", None),
            ("pretty", None),
            ("pretty=yes", None),
        ] {
            let pairs = query_pairs(Some(q));
            assert_eq!(boolean(&pairs, "pretty", false).ok(), ok, "{q}");
        }
        // includeCount and pretty are read the same way.
        let p = query_pairs(Some("includeCount=1"));
        assert!(paging(&p).is_err());
        let (f, err) = flags(&query_pairs(Some("pretty=1&envelope=true")));
        assert!(err.is_some() && f.envelope && !f.pretty);
    }
}
