//! What the journal records of an `Authorization` header ([`AuthSummary`]): the scheme, and for
//! Digest the username, algorithm, qop, nc, nonce and whether an opaque came back. Never the
//! response hash or the cnonce.
//!
//! Three ways to the same summary: [`summarize`] parses the header; [`of_parsed`] takes a parse
//! already made; [`of_verified`] takes what `DigestServer::verify` returned for the header, so
//! the request that authenticates parses its header once.

use atlas_digest::{AuthorizationHeader, Verified};

use crate::journal::{AuthRecord, AuthSummary, CompactAuth, cut};

/// Longest scheme kept.
const MAX_SCHEME: usize = 32;
/// Longest username or nonce kept.
const MAX_VALUE: usize = 256;

/// The summary of any `Authorization` value (parsing it as Digest when its scheme says so).
pub(crate) fn summarize(authorization: &str) -> AuthSummary {
    let parsed = if is_digest(authorization) {
        authorization.parse::<AuthorizationHeader>().ok()
    } else {
        None
    };
    of_parsed(authorization, parsed.as_ref())
}

/// The summary of `authorization`, given its parse as Digest (`None`: it did not parse).
pub(crate) fn of_parsed(authorization: &str, parsed: Option<&AuthorizationHeader>) -> AuthSummary {
    let mut out = AuthSummary {
        scheme: scheme(authorization),
        ..AuthSummary::default()
    };
    if let Some(h) = parsed.filter(|_| is_digest(authorization)) {
        out.username = Some(cut(&h.username, MAX_VALUE));
        out.algorithm = Some(h.algorithm.as_str().to_owned());
        out.qop = h.qop.map(|q| q.as_str().to_owned());
        out.nc = h.nc;
        out.nonce = Some(cut(&h.nonce, MAX_VALUE));
        out.opaque = h.opaque.is_some();
    }
    out
}

/// The record of an `authorization` value that `DigestServer::verify` accepted, from what it
/// returned: algorithm, qop, nc, nonce and whether an opaque came, as parsed, and the username
/// (which is the one sent unless a `userhash` came; then the header is parsed again). A compact
/// record (no allocation for the usual lengths) that becomes the summary when the journal is
/// read.
pub(crate) fn of_verified(authorization: &str, v: &Verified) -> AuthRecord {
    // With a `userhash` the verified username is not the one sent: parse the header for it.
    if v.userhash_sent() {
        return AuthRecord::Summary(summarize(authorization));
    }
    let out = AuthRecord::Compact(CompactAuth::new(
        (first_word(authorization), MAX_SCHEME),
        (&v.username, v.nonce(), MAX_VALUE),
        v.algorithm,
        v.qop,
        v.nc,
        v.opaque_sent(),
    ));
    // The crate's own tests (every digest request of every test server) check the shortcut
    // against the full parse.
    #[cfg(test)]
    assert_eq!(
        out.clone().into_summary(),
        summarize(authorization),
        "{authorization:?}"
    );
    out
}

/// The scheme as sent: the first word, cut at [`MAX_SCHEME`] bytes.
fn scheme(authorization: &str) -> String {
    cut(first_word(authorization), MAX_SCHEME)
}

/// The first whitespace-separated word (empty if none), as `split_whitespace` finds it. A
/// verified value starts with spaces or tabs, then the scheme's token and a space: `Digest `
/// (any case) is taken at once, any other such form is read byte by byte (a word of visible
/// ASCII ended by ASCII whitespace or the end); anything else goes through `split_whitespace`.
fn first_word(authorization: &str) -> &str {
    let b = authorization.as_bytes();
    // What clients send: the scheme at the start, then one space. One compare of the first
    // seven bytes, with the case bit set in the six of the scheme (for a letter, `b | 0x20` is
    // its lowercase form, and only the letter's two cases give it).
    if let Some(w) = b.first_chunk::<8>() {
        const SEVEN: u64 = 0x00ff_ffff_ffff_ffff;
        if (u64::from_le_bytes(*w) | 0x2020_2020_2020) & SEVEN == u64::from_le_bytes(*b"digest \0")
        {
            return authorization.get(..6).unwrap_or_default();
        }
    }
    let mut start = 0;
    while start < b.len() && matches!(b[start], b' ' | b'\t') {
        start += 1;
    }
    let mut end = start;
    while end < b.len() && b[end].is_ascii_graphic() {
        end += 1;
    }
    let ends_word = b
        .get(end)
        .is_none_or(|&c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'));
    match authorization.get(start..end) {
        Some(word) if end > start && ends_word => word,
        _ => authorization.split_whitespace().next().unwrap_or_default(),
    }
}

fn is_digest(authorization: &str) -> bool {
    authorization
        .split_whitespace()
        .next()
        .is_some_and(|s| s.eq_ignore_ascii_case("digest"))
}

#[cfg(test)]
mod tests;
