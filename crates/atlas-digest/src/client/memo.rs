//! [`LastTarget`]: what a client found about the request-target it authorized last -- that the
//! method and target are valid, that the target is in origin form (it states no origin), how many
//! of its bytes a quoted-string escapes, and its H(A2) pair -- so that a client repeating its
//! request (the usual case: the same endpoint polled, or one resource fetched again) neither scans
//! the target again nor looks its H(A2) up in the cache.
//!
//! One entry behind a lock taken with `try_lock`: a request that finds it busy (another request
//! on it) does the checks and the lookup itself, never waits. Memory is bounded: one input of at
//! most [`MAX_INPUT`] bytes.

use std::sync::Mutex;

use crate::credentials::RequestFacts;
use crate::ha2_cache::{Ha2Pair, MAX_INPUT};
use crate::hash::Algorithm;

/// What the memo knows about a request-target.
#[derive(Clone, Copy)]
pub(crate) struct Known {
    /// How many bytes of the target a quoted-string escapes.
    pub(crate) escapes: usize,
    /// The H(A2) pair of the method and target, with this hash function (`Algorithm::base`).
    pub(crate) ha2: Option<(Algorithm, Ha2Pair)>,
}

#[derive(Default)]
struct Entry {
    /// `method uri` of a valid origin-form request (empty: nothing known yet).
    input: String,
    method_len: usize,
    known: Option<Known>,
}

impl Entry {
    fn holds(&self, method: &str, uri: &str) -> bool {
        let m = method.len();
        let i = self.input.as_bytes();
        self.method_len == m
            && i.len() == m + 1 + uri.len()
            && &i[m + 1..] == uri.as_bytes()
            && &i[..m] == method.as_bytes()
    }
}

/// The last origin-form request-target a client authorized, and what was found about it.
#[derive(Default)]
pub(crate) struct LastTarget {
    entry: Mutex<Entry>,
}

impl LastTarget {
    /// What is known about `req`'s method and target, if they are the last ones recorded and the
    /// request states no origin of its own.
    pub(crate) fn get(&self, req: &RequestFacts<'_>) -> Option<Known> {
        if req.origin.is_some() {
            return None;
        }
        let e = self.entry.try_lock().ok()?;
        if e.holds(req.method, req.uri) {
            e.known
        } else {
            None
        }
    }

    /// Records `req` (its method and origin-form target validated, stating no origin) and what was
    /// found about it. Skipped when the entry is busy or the input is too long to keep.
    pub(crate) fn put(&self, req: &RequestFacts<'_>, known: Known) {
        if req.origin.is_some() || req.method.len() + 1 + req.uri.len() > MAX_INPUT {
            return;
        }
        let Ok(mut e) = self.entry.try_lock() else {
            return;
        };
        if !e.holds(req.method, req.uri) {
            e.input.clear();
            e.input.push_str(req.method);
            e.input.push(' ');
            e.input.push_str(req.uri);
            e.method_len = req.method.len();
        }
        e.known = Some(known);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::hash_hex;

    fn pair(alg: Algorithm, m: &str, u: &str) -> Ha2Pair {
        Ha2Pair {
            request: hash_hex(alg, &[m.as_bytes(), u.as_bytes()]),
            rspauth: hash_hex(alg, &[b"", u.as_bytes()]),
        }
    }

    #[test]
    fn only_the_same_method_and_target_hit() {
        let memo = LastTarget::default();
        let req = RequestFacts::new("GET", "/a?b");
        assert!(memo.get(&req).is_none());
        memo.put(
            &req,
            Known {
                escapes: 0,
                ha2: Some((Algorithm::Md5, pair(Algorithm::Md5, "GET", "/a?b"))),
            },
        );
        let hit = memo.get(&req).expect("hit");
        assert_eq!(hit.escapes, 0);
        let (alg, p) = hit.ha2.expect("ha2");
        assert_eq!(alg, Algorithm::Md5);
        assert_eq!(
            p.request.as_str(),
            pair(Algorithm::Md5, "GET", "/a?b").request.as_str()
        );
        // A method/target split elsewhere, another method, another target, an origin: misses.
        for other in [
            RequestFacts::new("GE", "T/a?b"),
            RequestFacts::new("POST", "/a?b"),
            RequestFacts::new("GET", "/a?c"),
            RequestFacts::new("GET", "/a?b").with_origin("https://x.example"),
        ] {
            assert!(memo.get(&other).is_none());
        }
        // A new target replaces the entry; a too long one is not kept.
        let next = RequestFacts::new("GET", "/next");
        memo.put(
            &next,
            Known {
                escapes: 0,
                ha2: None,
            },
        );
        assert!(memo.get(&req).is_none());
        assert!(memo.get(&next).is_some_and(|k| k.ha2.is_none()));
        let long = "/".repeat(MAX_INPUT);
        let long = RequestFacts::new("GET", &long);
        memo.put(
            &long,
            Known {
                escapes: 0,
                ha2: None,
            },
        );
        assert!(memo.get(&long).is_none());
        assert!(memo.get(&next).is_some());
    }
}
