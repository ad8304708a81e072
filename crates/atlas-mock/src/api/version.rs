//! Version negotiation of the v2 routes: the `Accept` header names a resource version date.

use http::header;

/// Atlas resolves the requested version date to the newest resource version not after it: any
/// `application/vnd.atlas.YYYY-MM-DD+json` with a date on or after `resource_version` is fine.
pub(crate) fn accepts_version_in(headers: &http::HeaderMap, resource_version: &str) -> bool {
    let Ok(rv) = chrono::NaiveDate::parse_from_str(resource_version, "%Y-%m-%d") else {
        return false;
    };
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|range| {
                let media = range
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                media
                    .strip_prefix("application/vnd.atlas.")
                    .and_then(|r| r.strip_suffix("+json"))
                    .and_then(|date| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
                    .is_some_and(|date| date >= rv)
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_dates_resolve_like_atlas() {
        let media = |accept: &str, version: &str| {
            let mut h = http::HeaderMap::new();
            h.insert(header::ACCEPT, accept.parse().unwrap());
            accepts_version_in(&h, version)
        };
        assert!(media("application/vnd.atlas.2023-01-01+json", "2023-01-01"));
        assert!(media(
            "application/vnd.atlas.2025-06-30+json;charset=utf-8",
            "2023-01-01"
        ));
        assert!(media(
            "text/html, application/vnd.atlas.2024-11-13+json;q=0.9",
            "2024-11-13"
        ));
        assert!(!media(
            "application/vnd.atlas.2023-01-01+json",
            "2024-11-13"
        ));
        assert!(!media("application/json", "2023-01-01"));
        assert!(!media(
            "application/vnd.atlas.2023-13-01+json",
            "2023-01-01"
        ));
        assert!(!media("*/*", "2023-01-01"));
    }
}
