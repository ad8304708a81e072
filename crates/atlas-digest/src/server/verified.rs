//! A successful verification and the `Authentication-Info` it allows.

use std::fmt;

use crate::absorbed::Absorbed;
use crate::compute;
use crate::hash::{Algorithm, Hex, Qop, nc_hex};
use crate::parse::push_quoted;

/// A successful verification ([`crate::DigestServer::verify`]). `Debug` shows no secret; the H(A1)
/// it keeps for `rspauth` is zeroized on drop.
#[non_exhaustive]
pub struct Verified {
    /// The authenticated username (resolved from the `userhash` if one was sent).
    pub username: String,
    /// The algorithm used.
    pub algorithm: Algorithm,
    /// The qop used (`None`: RFC 2069 form).
    pub qop: Option<Qop>,
    /// The nonce count used.
    pub nc: Option<u32>,
    pub(crate) rsp: RspauthInputs,
    /// Whether the credentials carried an `opaque` parameter (even an empty one).
    pub(crate) opaque_sent: bool,
    /// Whether the credentials named the user by its `userhash`.
    pub(crate) userhash_sent: bool,
}

/// What `rspauth` needs: the hash state the verified response ended with up to H(A2) (wiped on
/// drop), `rspauth`'s H(A2) (found with the request's; `None` for `auth-int`, whose H(A2) covers
/// the response body), and nonce, cnonce and (for `auth-int` only) uri in one buffer that needs
/// no allocation for the usual lengths ([`Joined`]).
pub(crate) struct RspauthInputs {
    pub(crate) state: Absorbed,
    pub(crate) ha2: Option<Hex>,
    /// nonce ‖ cnonce ‖ uri (the uri empty unless `ha2` is `None`).
    pub(crate) buf: Joined,
    pub(crate) nonce_len: usize,
    pub(crate) cnonce_len: usize,
    pub(crate) nextnonce: Option<String>,
}

/// Bytes of nonce ‖ cnonce (‖ uri for `auth-int`) held inside [`Verified`] itself: a 32- or
/// 48-character nonce and a cnonce of up to 48 characters fit, so `verify` does not allocate for
/// what only `authentication_info` reads, and [`Verified`] stays small to move; longer ones go to
/// the heap.
const INLINE: usize = 96;

/// Strings joined, inline when they fit in [`INLINE`] bytes, else in a `String`.
///
/// Reading a part back as text validates it as UTF-8 (the crate has no `unsafe`); the standard
/// validation takes ASCII 16 bytes at a time only from an aligned address, so the bytes are
/// 8-aligned and the nonce goes first: it starts at 0, and the cnonce after it at 32 or 48 (the
/// two lengths of the nonces this server issues, the only ones `verify` accepts).
pub(crate) enum Joined {
    Inline { bytes: Aligned, len: u8 },
    Heap(String),
}

/// [`INLINE`] bytes at an 8-aligned address.
#[repr(align(8))]
pub(crate) struct Aligned([u8; INLINE]);

impl Joined {
    /// `parts` concatenated.
    #[inline]
    pub(crate) fn new(parts: [&str; 3]) -> Joined {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total > INLINE {
            let mut s = String::with_capacity(total);
            for p in parts {
                s.push_str(p);
            }
            return Joined::Heap(s);
        }
        let mut bytes = Aligned([0u8; INLINE]);
        let mut at = 0;
        for p in parts {
            bytes.0[at..at + p.len()].copy_from_slice(p.as_bytes());
            at += p.len();
        }
        Joined::Inline {
            bytes,
            len: u8::try_from(at).unwrap_or(u8::MAX),
        }
    }

    /// The text in `range` (a range that starts and ends where one of the parts does, so on
    /// character boundaries; empty if not).
    fn get(&self, range: std::ops::Range<usize>) -> &str {
        match self {
            Joined::Inline { bytes, len } => bytes.0[..usize::from(*len)]
                .get(range)
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            Joined::Heap(s) => s.get(range).unwrap_or_default(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Joined::Inline { len, .. } => usize::from(*len),
            Joined::Heap(s) => s.len(),
        }
    }
}

impl RspauthInputs {
    fn nonce(&self) -> &str {
        self.buf.get(0..self.nonce_len)
    }

    fn cnonce(&self) -> &str {
        self.buf
            .get(self.nonce_len..self.nonce_len + self.cnonce_len)
    }

    fn uri(&self) -> &str {
        self.buf
            .get(self.nonce_len + self.cnonce_len..self.buf.len())
    }
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("username", &self.username)
            .field("algorithm", &self.algorithm)
            .field("qop", &self.qop)
            .field("nc", &self.nc)
            .field("nextnonce", &self.rsp.nextnonce.is_some())
            .finish_non_exhaustive()
    }
}

impl Verified {
    /// The nonce the credentials answered (for logs and journals: it is no secret, the server
    /// sent it).
    pub fn nonce(&self) -> &str {
        self.rsp.nonce()
    }

    /// Whether the credentials carried an `opaque` parameter (even an empty one). `verify` has
    /// checked its value against the configuration's [`crate::Opaque`] policy.
    pub fn opaque_sent(&self) -> bool {
        self.opaque_sent
    }

    /// Whether the credentials named the user by its `userhash` (`userhash=true`): the
    /// `username` they carried was the hash, and [`Verified::username`] is the user it resolved
    /// to.
    pub fn userhash_sent(&self) -> bool {
        self.userhash_sent
    }

    /// The `Authentication-Info` value to send with the response: `rspauth` (mutual authentication),
    /// the echoed `qop`, `cnonce` and `nc`, and a `nextnonce` when the configuration asks for one.
    /// With qop `auth-int`, `rspauth` covers the response body: this is the value for an empty body,
    /// use [`Verified::authentication_info_for_body`] otherwise.
    ///
    /// Computed on demand (one hash finish from the state `verify` kept, with the H(A2) `verify`
    /// looked up beside the request's): a server that sends no `Authentication-Info` pays no
    /// finish for it.
    pub fn authentication_info(&self) -> String {
        self.authentication_info_for_body(b"")
    }

    /// The `Authentication-Info` value for a response with this body (only differs from
    /// [`Verified::authentication_info`] when qop is `auth-int`, where `rspauth` covers the body).
    pub fn authentication_info_for_body(&self, response_body: &[u8]) -> String {
        let rsp = &self.rsp;
        let ha2 = match &rsp.ha2 {
            Some(h) => *h,
            None => compute::ha2_int(self.algorithm, "", rsp.uri(), response_body),
        };
        let rspauth = compute::finish(&rsp.state, &ha2);
        // What `AuthenticationInfo`'s `Display` writes for these fields (qop, rspauth, cnonce, nc,
        // nextnonce), straight into one allocation.
        let cnonce = rsp.cnonce();
        let nextnonce = rsp.nextnonce.as_deref();
        let mut out = String::with_capacity(
            48 + rspauth.as_bytes().len()
                + 2 * cnonce.len()
                + nextnonce.map_or(0, |n| 16 + 2 * n.len()),
        );
        if let Some(q) = self.qop {
            out.push_str("qop=");
            out.push_str(q.as_str());
            out.push_str(", ");
        }
        out.push_str("rspauth=\"");
        out.push_str(rspauth.as_str());
        out.push('"');
        if self.qop.is_some() {
            out.push_str(", cnonce=");
            push_quoted(&mut out, cnonce);
            if let Some(nc) = self.nc {
                out.push_str(", nc=");
                out.push_str(std::str::from_utf8(&nc_hex(nc)).unwrap_or("00000000"));
            }
        }
        if let Some(n) = nextnonce {
            out.push_str(", nextnonce=");
            push_quoted(&mut out, n);
        }
        out
    }

    /// The `nextnonce` this verification hands out, if any.
    pub fn nextnonce(&self) -> Option<&str> {
        self.rsp.nextnonce.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use crate::header::AuthenticationInfo;
    use crate::{
        Credentials, DigestServer, InMemoryCredentials, NextNonce, Qop, RequestFacts, ServerConfig,
        Stale,
    };

    /// The inputs kept for `rspauth` read back whole on both sides of the inline limit (and at
    /// it), with a non-ASCII cnonce, for `auth` (no uri kept: its `rspauth` H(A2) is known) and
    /// `auth-int` (uri kept): the nonce, the echoed cnonce and an `rspauth` equal to the one
    /// computed from scratch.
    #[test]
    fn rspauth_inputs_inline_and_on_the_heap() {
        use crate::hash::{Algorithm, nc_hex};
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
        for qop in [Qop::Auth, Qop::AuthInt] {
            let server = DigestServer::new(ServerConfig::new("r").with_qop(vec![qop]), [2; 32]);
            let mut users = InMemoryCredentials::new();
            users.insert("u", "p");
            let nonce = server.new_nonce(now);
            let mut next_nc = 0;
            for cnonce in ["c\u{e9}n", &"c".repeat(super::INLINE - nonce.len() + 1)] {
                let fixed = cnonce.len() + nonce.len();
                for uri_len in [1, 10, 30, 600]
                    .into_iter()
                    .chain((super::INLINE.saturating_sub(fixed)..).take(3))
                    .filter(|&l| l > 0)
                {
                    let uri = format!("/{}", "x".repeat(uri_len - 1));
                    let challenge =
                        server.challenge_for(Algorithm::Md5, nonce.clone(), Stale::False);
                    let facts = RequestFacts::new("GET", &uri).with_body(b"");
                    next_nc += 1;
                    let nc = next_nc;
                    let header = challenge
                        .respond(&Credentials::new("u", "p"), &facts, cnonce, nc)
                        .unwrap();
                    let v = server.verify(&header, &facts, now, &users).unwrap();
                    let kept = if qop == Qop::AuthInt { uri_len } else { 0 };
                    let inline = matches!(v.rsp.buf, super::Joined::Inline { .. });
                    assert_eq!(inline, fixed + kept <= super::INLINE, "{qop:?} {uri_len}");
                    assert_eq!(v.nonce(), nonce);
                    assert_eq!(v.rsp.cnonce(), cnonce);
                    assert_eq!(v.rsp.uri(), &uri[..kept]);
                    let info: AuthenticationInfo = v.authentication_info().parse().unwrap();
                    assert_eq!(info.cnonce.as_deref(), Some(cnonce));
                    let ha1 = crate::compute::ha1_base(Algorithm::Md5, "u", "r", "p");
                    let nc8 = nc_hex(nc);
                    let inputs = Some(crate::compute::QopInputs {
                        qop,
                        nc: &nc8,
                        cnonce,
                    });
                    let want = crate::compute::response(
                        Algorithm::Md5,
                        &ha1,
                        &nonce,
                        inputs,
                        "",
                        &uri,
                        Some(b""),
                    );
                    assert_eq!(
                        info.rspauth.as_deref(),
                        Some(want.as_str()),
                        "{qop:?} {uri_len}"
                    );
                }
            }
        }
    }

    /// The value written by hand is the one `AuthenticationInfo`'s `Display` writes.
    #[test]
    fn authentication_info_is_what_display_writes() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
        for qop in [Some(Qop::Auth), Some(Qop::AuthInt), None] {
            for next in [NextNonce::Never, NextNonce::Always] {
                let config = ServerConfig::new("r")
                    .with_qop(qop.map(|q| vec![q]).unwrap_or_default())
                    .with_next_nonce(next);
                let server = DigestServer::new(config, [1; 32]);
                let mut users = InMemoryCredentials::new();
                users.insert("u", "p");
                let challenge = server.challenge_for(
                    crate::Algorithm::Md5,
                    server.new_nonce(now),
                    Stale::False,
                );
                let facts = RequestFacts::new("GET", "/x").with_body(b"b");
                let header = challenge
                    .respond(&Credentials::new("u", "p"), &facts, "c\"n\\o", 7)
                    .unwrap();
                let v = server.verify(&header, &facts, now, &users).unwrap();
                let got = v.authentication_info_for_body(b"body");
                let parsed: AuthenticationInfo = got.parse().unwrap();
                let want = AuthenticationInfo {
                    nextnonce: v.nextnonce().map(str::to_owned),
                    qop,
                    rspauth: parsed.rspauth.clone(),
                    cnonce: qop.map(|_| "c\"n\\o".to_owned()),
                    nc: qop.map(|_| 7),
                };
                assert_eq!(got, want.to_string(), "{qop:?} {next:?}");
                assert_eq!(parsed, want);
            }
        }
    }
}
