//! Rendering the server's `WWW-Authenticate` values.

use crate::hash::{Algorithm, Qop};
use crate::header::DigestChallenge;
use crate::parse::push_quoted;
use crate::server::config::{Charset, Opaque, QopParam, ServerConfig, StaleParam, Userhash};

/// The `stale` flag of a challenge ([RFC 7616 section 3.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.3)):
/// `True` after [`crate::VerifyError::Stale`] (the credentials were right, the nonce was not), so that
/// the client retries at once without asking its user; `False` otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stale {
    /// `stale=false` (or no `stale` parameter, see [`StaleParam`]).
    False,
    /// `stale=true`.
    True,
}

/// One `WWW-Authenticate` value, in the order Atlas sends its parameters:
/// `Digest realm, domain, nonce, algorithm, qop, opaque, charset, userhash, stale`.
pub(crate) fn render(
    config: &ServerConfig,
    opaque: &str,
    algorithm: Algorithm,
    nonce: &str,
    stale: Stale,
) -> String {
    let mut out = String::with_capacity(
        96 + config.realm().len()
            + nonce.len()
            + opaque.len()
            + config.domain().map_or(0, str::len),
    );
    out.push_str("Digest realm=");
    push_quoted(&mut out, config.realm());
    if let Some(d) = config.domain() {
        out.push_str(", domain=");
        push_quoted(&mut out, d);
    }
    out.push_str(", nonce=");
    push_quoted(&mut out, nonce);
    out.push_str(", algorithm=");
    out.push_str(algorithm.as_str());
    if !config.qop().is_empty() {
        out.push_str(match config.qop_param() {
            QopParam::Op => ", op=\"",
            _ => ", qop=\"",
        });
        for (i, q) in config.qop().iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(q.as_str());
        }
        out.push('"');
    }
    if config.opaque() == Opaque::Send {
        out.push_str(", opaque=");
        push_quoted(&mut out, opaque);
    }
    if config.charset() == Charset::Utf8 {
        out.push_str(", charset=UTF-8");
    }
    if config.userhash() == Userhash::Offered {
        out.push_str(", userhash=true");
    }
    match (stale, config.stale_param()) {
        (Stale::True, _) => out.push_str(", stale=true"),
        (Stale::False, StaleParam::Always) => out.push_str(", stale=false"),
        _ => {}
    }
    out
}

/// The typed view of what a client reads from [`render`]'s value (with `op=` a client sees no qop).
pub(crate) fn typed(
    config: &ServerConfig,
    opaque: &str,
    algorithm: Algorithm,
    nonce: String,
    stale: Stale,
) -> DigestChallenge {
    let mut c = DigestChallenge::new(config.realm(), nonce, algorithm);
    c.domain = config.domain().map(str::to_owned);
    c.opaque = (config.opaque() == Opaque::Send).then(|| opaque.to_owned());
    c.stale = stale == Stale::True;
    c.qop = match config.qop_param() {
        QopParam::Qop if !config.qop().is_empty() => Some(config.qop().to_vec()),
        _ => None,
    };
    c.charset_utf8 = config.charset() == Charset::Utf8;
    c.userhash = config.userhash() == Userhash::Offered;
    c
}

/// True if the server accepts credentials with this qop (`None`: RFC 2069 form).
pub(crate) fn accepts_qop(config: &ServerConfig, qop: Option<Qop>) -> bool {
    match qop {
        Some(q) => config.qop().contains(&q),
        None => config.qop().is_empty() || config.qop_param() == QopParam::Op,
    }
}
