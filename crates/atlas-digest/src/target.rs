//! Request-targets ([RFC 9112 section 3.2](https://www.rfc-editor.org/rfc/rfc9112#section-3.2)) and
//! origins: what the client may put in `uri`, how the server matches `uri` against the request, and
//! the origin a client is bound to.

use std::fmt;

use crate::parse::{any_byte, quote_escapes};

/// The four forms of a request-target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    /// `/path?query`.
    Origin(&'a str),
    /// `scheme://authority/path?query` (requests through a forward proxy); `path_query` starts with
    /// `/` (an empty path is `/`).
    Absolute {
        scheme: &'a str,
        authority: &'a str,
        path_query: &'a str,
    },
    /// `host:port` (CONNECT).
    Authority,
    /// `*` (server-wide OPTIONS).
    Asterisk,
}

fn is_scheme(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

/// Classifies a request-target that has already been checked for spaces and control characters.
pub(crate) fn classify(t: &str) -> Option<Target<'_>> {
    // A fragment is never part of a request-target.
    if t.contains('#') {
        return None;
    }
    classify_without_fragment(t)
}

/// Checks and classifies a client's request-target in one pass over its bytes: `None` when it is
/// empty, holds a space, a control character, DEL or a fragment (`#`), or has no valid form
/// (exactly what the separate checks and [`classify`] refuse).
#[cfg(test)]
pub(crate) fn check(t: &str) -> Option<Target<'_>> {
    check_for_quoting(t).map(|(target, _)| target)
}

/// [`check`], and how many bytes of `t` a quoted-string escapes ([`quote_escapes`]), from the same
/// pass over its bytes when there are none (the usual case: `"` and `\` are not URI characters).
pub(crate) fn check_for_quoting(t: &str) -> Option<(Target<'_>, usize)> {
    // `min` of the XORs is zero exactly for `#` and DEL (and for `"` and `\`): branch-free, so
    // the 16-byte test stays a few vector compares.
    let refused = |x: u8| ((x ^ b'#').min(x ^ 0x7f) == 0) | (x <= 0x20);
    let escaped = |x: u8| (x ^ b'"').min(x ^ b'\\') == 0;
    if t.is_empty() {
        return None;
    }
    let mut escapes = 0;
    if any_byte(t.as_bytes(), |x| refused(x) | escaped(x)) {
        if any_byte(t.as_bytes(), refused) {
            return None;
        }
        escapes = quote_escapes(t);
    }
    classify_without_fragment(t).map(|target| (target, escapes))
}

/// [`classify`] for a target known to hold no `#`.
fn classify_without_fragment(t: &str) -> Option<Target<'_>> {
    if t.starts_with('/') {
        return Some(Target::Origin(t));
    }
    if t == "*" {
        return Some(Target::Asterisk);
    }
    if let Some((scheme, rest)) = t.split_once("://") {
        if !is_scheme(scheme) {
            return None;
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_query) = rest.split_at(end);
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let path_query = if path_query.is_empty() {
            "/"
        } else {
            path_query
        };
        return Some(Target::Absolute {
            scheme,
            authority,
            path_query,
        });
    }
    // authority-form: host:port, no slash.
    if !t.contains('/') && t.contains(':') {
        return Some(Target::Authority);
    }
    None
}

/// The default port of a scheme we know.
fn default_port(scheme: &str) -> Option<&'static str> {
    if scheme.eq_ignore_ascii_case("http") {
        Some("80")
    } else if scheme.eq_ignore_ascii_case("https") {
        Some("443")
    } else {
        None
    }
}

/// `authority` without a default port for `scheme` (`host:443` under https is `host`).
fn strip_default_port<'a>(scheme: &str, authority: &'a str) -> &'a str {
    let Some(default) = default_port(scheme) else {
        return authority;
    };
    // The port follows the last `:` after the host; an IPv6 host ends at `]`.
    let host_end = if authority.starts_with('[') {
        authority.find(']').map_or(authority.len(), |i| i + 1)
    } else {
        authority.rfind(':').unwrap_or(authority.len())
    };
    match authority[host_end..].strip_prefix(':') {
        Some(port) if port == default => &authority[..host_end],
        _ => authority,
    }
}

/// The server's match of the `uri` parameter against the request-target, the way Apache's
/// `mod_auth_digest` does it: equal strings match; otherwise both must name the same resource --
/// the same path and query, and when both are absolute the same scheme and authority (ignoring case
/// and default ports). A proxy may rewrite absolute-form into origin-form or back.
pub(crate) fn same_resource(param: &str, request: &str) -> bool {
    if param == request {
        return true;
    }
    let (Some(a), Some(b)) = (classify(param), classify(request)) else {
        return false;
    };
    let parts = |t: Target<'_>| -> Option<(Option<(String, String)>, String)> {
        match t {
            Target::Origin(pq) => Some((None, pq.to_owned())),
            Target::Absolute {
                scheme,
                authority,
                path_query,
            } => Some((
                Some((
                    scheme.to_ascii_lowercase(),
                    strip_default_port(scheme, authority).to_ascii_lowercase(),
                )),
                path_query.to_owned(),
            )),
            _ => None,
        }
    };
    let (Some((oa, pa)), Some((ob, pb))) = (parts(a), parts(b)) else {
        return false;
    };
    if pa != pb {
        return false;
    }
    match (oa, ob) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// An origin (`scheme://host[:port]`), normalized: scheme and host lowercase, default port dropped.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    text: String,
}

impl Origin {
    /// Parses `scheme://authority` (a trailing `/` or path is ignored, userinfo is refused).
    /// `None` when it is not an absolute URL with a host.
    pub fn parse(s: &str) -> Option<Origin> {
        let with_path = if s.contains("://") && !s[s.find("://")? + 3..].contains('/') {
            format!("{s}/")
        } else {
            s.to_owned()
        };
        match classify(&with_path)? {
            Target::Absolute {
                scheme, authority, ..
            } => Some(Origin::from_parts(scheme, authority)),
            _ => None,
        }
    }

    pub(crate) fn from_parts(scheme: &str, authority: &str) -> Origin {
        let mut text = scheme.to_ascii_lowercase();
        text.push_str("://");
        text.push_str(&strip_default_port(scheme, authority).to_ascii_lowercase());
        Origin { text }
    }

    /// The normalized text, for example `https://cloud.mongodb.com`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({})", self.text)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(classify("/a?b"), Some(Target::Origin("/a?b")));
        assert_eq!(classify("*"), Some(Target::Asterisk));
        assert_eq!(classify("example.org:443"), Some(Target::Authority));
        assert_eq!(
            classify("http://h:8080/a?b"),
            Some(Target::Absolute {
                scheme: "http",
                authority: "h:8080",
                path_query: "/a?b"
            })
        );
        assert_eq!(
            classify("http://h?q"),
            Some(Target::Absolute {
                scheme: "http",
                authority: "h",
                path_query: "?q"
            })
        );
        assert_eq!(classify("http://user@h/"), None);
        assert_eq!(classify("http:///x"), None);
        assert_eq!(classify("http://h/#f"), None);
        assert_eq!(classify("1http://h/"), None);
        assert_eq!(classify("relative/path"), None);
    }

    /// One pass refuses exactly what the separate checks and `classify` refused.
    #[test]
    fn check_agrees_with_the_separate_checks() {
        fn old(t: &str) -> Option<Target<'_>> {
            let bad = t.is_empty() || t.bytes().any(|b| b <= 0x20 || b == 0x7f);
            if bad { None } else { classify(t) }
        }
        let mut cases: Vec<String> = [
            "/a?b",
            "*",
            "h:443",
            "http://h/x",
            "http://h/#f",
            "/a b",
            "/a\u{7f}",
            "",
            "/\"q\"",
            "/a\\b",
            "relative",
            "/\u{e9}t\u{e9}",
            "http://user@h/",
            "/\t",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for len in 0..40 {
            for at in 0..=len {
                for c in ["#", " ", "\u{1}", "\u{7f}", "\"", "\\", "\u{e9}"] {
                    let mut t = format!("/{}", "x".repeat(len));
                    t.insert_str(at + 1, c);
                    cases.push(t);
                }
            }
        }
        for t in &cases {
            assert_eq!(check(t), old(t), "{t:?}");
            if let Some((_, escapes)) = check_for_quoting(t) {
                let want = t.bytes().filter(|&b| b == b'"' || b == b'\\').count();
                assert_eq!(escapes, want, "{t:?}");
            }
        }
    }

    #[test]
    fn apache_style_matching() {
        assert!(same_resource("/a?b=1", "/a?b=1"));
        assert!(same_resource("http://Host/a?b=1", "/a?b=1"));
        assert!(same_resource("/a?b=1", "http://host/a?b=1"));
        assert!(same_resource("http://HOST:80/a", "http://host/a"));
        assert!(same_resource("https://h:443/a", "HTTPS://h/a"));
        assert!(same_resource("http://[::1]:80/a", "http://[::1]/a"));
        assert!(!same_resource("http://other/a", "http://host/a"));
        assert!(!same_resource("https://host/a", "http://host/a"));
        assert!(!same_resource("http://host:8080/a", "http://host/a"));
        assert!(!same_resource("/a?b=2", "/a?b=1"));
        assert!(!same_resource("/A", "/a"));
        assert!(!same_resource("*", "/"));
        assert!(!same_resource("h:443", "/"));
    }

    #[test]
    fn origins() {
        let o = Origin::parse("HTTPS://Cloud.MongoDB.com:443").unwrap();
        assert_eq!(o.as_str(), "https://cloud.mongodb.com");
        assert_eq!(Origin::parse("https://cloud.mongodb.com/api"), Some(o));
        assert_eq!(
            Origin::parse("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(Origin::parse("/relative"), None);
        assert_eq!(Origin::parse("https://u@h"), None);
    }
}
