//! The digest settings of the mock ([`DigestSettings`]) and their JSON form.

use std::time::Duration;

use atlas_digest::{
    Algorithm, NextNonce, NonceFormat, Opaque, Qop, QopParam, ServerConfig, Userhash,
};
use serde::{Deserialize, Serialize};

use crate::MockError;

/// Whether a digest-authenticated answer carries `Authentication-Info` (RFC 7616 section 3.5:
/// `rspauth`, the echoed `qop`, `cnonce` and `nc`). Atlas sends none, so the default is
/// [`AuthenticationInfo::Omit`].
///
/// A `nextnonce` can only travel in `Authentication-Info`: when
/// [`DigestSettings::next_nonce_after`] is set and a nextnonce is due, the header is sent even
/// with `Omit`. `qop=auth-int` follows the same rule as `auth` (nothing else depends on the
/// header: it only lets a client check `rspauth`, which Atlas never lets it do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AuthenticationInfo {
    /// No `Authentication-Info` unless a `nextnonce` is due (Atlas sends none).
    #[default]
    Omit,
    /// `Authentication-Info` on every digest-authenticated answer (mutual authentication).
    Send,
}

/// Digest settings. The default is exactly what Atlas sends (from `ServerConfig::mongodb_atlas()`):
///
/// ```text
/// WWW-Authenticate: Digest realm="MMS Public API", domain="", nonce="<32 base64 characters>", algorithm=MD5, qop="auth", stale=false
/// ```
///
/// no `opaque` (credentials must then carry none, or an empty one), nonces valid 300 s (on the mock
/// clock), no `nextnonce`, no userhash, a replay window of 64, and no `Authentication-Info` on
/// authenticated answers (Atlas sends none; [`DigestSettings::authentication_info`] with
/// [`AuthenticationInfo::Send`] adds it). [`DigestSettings::opaque`] adds an
/// `opaque` (and requires it back); [`DigestSettings::qop_param`] with [`QopParam::Op`] gives the
/// seed document's literal `op="auth"` form, to which clients answer RFC 2069 style.
///
/// JSON form (data file `digest`; every member optional):
/// `{"algorithms": ["MD5", "SHA-256"], "qop": ["auth"], "nonceLifetimeSeconds": 300,
///   "nextNonceAfterSeconds": 150, "userhash": false, "replayWindow": 64, "maxTrackedNonces": 10000,
///   "opaque": "omit" | "send", "qopParam": "qop" | "op", "nonceFormat": "base64x32" | "base64x48",
///   "authenticationInfo": "omit" | "send"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DigestWire", into = "DigestWire")]
pub struct DigestSettings {
    algorithms: Vec<Algorithm>,
    qop: Vec<Qop>,
    nonce_lifetime: Duration,
    next_nonce_after: Option<Duration>,
    userhash: bool,
    replay_window: u32,
    max_tracked_nonces: usize,
    opaque: Opaque,
    qop_param: QopParam,
    nonce_format: NonceFormat,
    authentication_info: AuthenticationInfo,
}

impl Default for DigestSettings {
    fn default() -> Self {
        let atlas = ServerConfig::mongodb_atlas();
        Self {
            algorithms: atlas.algorithms().to_vec(),
            qop: atlas.qop().to_vec(),
            nonce_lifetime: atlas.nonce_lifetime(),
            next_nonce_after: None,
            userhash: false,
            replay_window: atlas.replay_window(),
            max_tracked_nonces: atlas.max_tracked_nonces(),
            opaque: atlas.opaque(),
            qop_param: atlas.qop_param(),
            nonce_format: atlas.nonce_format(),
            authentication_info: AuthenticationInfo::Omit,
        }
    }
}

impl DigestSettings {
    /// Whether challenges carry an `opaque` (default [`Opaque::Omit`], as Atlas). With
    /// [`Opaque::Send`] credentials must echo it.
    pub fn opaque(mut self, opaque: Opaque) -> Self {
        self.opaque = opaque;
        self
    }

    /// The name of the qop parameter in challenges: `qop` (default, RFC 7616) or the seed document's
    /// literal `op` ([`QopParam::Op`]), to which clients answer RFC 2069 style (no nc: no replay
    /// window either).
    pub fn qop_param(mut self, name: QopParam) -> Self {
        self.qop_param = name;
        self
    }

    /// The nonce shape (default [`NonceFormat::Base64x32`], 32 base64 characters as Atlas's).
    pub fn nonce_format(mut self, format: NonceFormat) -> Self {
        self.nonce_format = format;
        self
    }

    /// Whether authenticated answers carry `Authentication-Info` (default
    /// [`AuthenticationInfo::Omit`]: Atlas sends none). A due `nextnonce` (see
    /// [`DigestSettings::next_nonce_after`]) is sent in it even with `Omit`.
    pub fn authentication_info(mut self, send: AuthenticationInfo) -> Self {
        self.authentication_info = send;
        self
    }

    /// Algorithms offered, one challenge each (strongest first on the wire). Must not be empty.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// qop values offered (default `auth`; empty = RFC 2069 mode without nc).
    pub fn qop(mut self, qop: impl IntoIterator<Item = Qop>) -> Self {
        self.qop = qop.into_iter().collect();
        self
    }

    /// How long a nonce is accepted; older ones are answered `401` with `stale=true`.
    pub fn nonce_lifetime(mut self, d: Duration) -> Self {
        self.nonce_lifetime = d;
        self
    }

    /// Send `nextnonce` in `Authentication-Info` once a nonce is this old (Atlas does not; default
    /// `None`). A due `nextnonce` is sent even with [`AuthenticationInfo::Omit`]: that header is
    /// its only way to the client.
    pub fn next_nonce_after(mut self, d: Option<Duration>) -> Self {
        self.next_nonce_after = d;
        self
    }

    /// Offer `userhash=true` (RFC 7616).
    pub fn userhash(mut self, yes: bool) -> Self {
        self.userhash = yes;
        self
    }

    /// How far below the highest nc seen an nc is still accepted once (requests overtaking each other).
    pub fn replay_window(mut self, n: u32) -> Self {
        self.replay_window = n;
        self
    }

    /// Bound of the nonce (replay) table; when full, the oldest nonce is forgotten and answered stale.
    pub fn max_tracked_nonces(mut self, n: usize) -> Self {
        self.max_tracked_nonces = n;
        self
    }

    /// The configured nonce lifetime.
    pub fn lifetime(&self) -> Duration {
        self.nonce_lifetime
    }

    /// Whether authenticated answers carry `Authentication-Info` (see
    /// [`DigestSettings::authentication_info`]).
    pub(super) fn sends_authentication_info(&self) -> AuthenticationInfo {
        self.authentication_info
    }
}

/// JSON form of [`DigestSettings`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DigestWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    algorithms: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    qop: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce_lifetime_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_nonce_after_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    userhash: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replay_window: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_tracked_nonces: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    opaque: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    qop_param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authentication_info: Option<String>,
}

fn seconds(field: &str, v: f64) -> Result<Duration, MockError> {
    Duration::try_from_secs_f64(v).map_err(|_| {
        MockError::InvalidConfig(format!(
            "digest {field} must be a non-negative number of seconds, got {v}"
        ))
    })
}

impl TryFrom<DigestWire> for DigestSettings {
    type Error = MockError;
    fn try_from(w: DigestWire) -> Result<Self, MockError> {
        let mut d = DigestSettings::default();
        if let Some(a) = w.algorithms {
            d.algorithms = a
                .iter()
                .map(|s| {
                    s.parse::<Algorithm>().map_err(|_| {
                        MockError::InvalidConfig(format!(
                            "digest algorithm {s:?} is not one of MD5, MD5-sess, SHA-256, SHA-256-sess, SHA-512-256, SHA-512-256-sess"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(q) = w.qop {
            d.qop = q
                .iter()
                .map(|s| {
                    s.parse::<Qop>().map_err(|_| {
                        MockError::InvalidConfig(format!(
                            "digest qop {s:?} is not auth or auth-int"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(s) = w.nonce_lifetime_seconds {
            d.nonce_lifetime = seconds("nonceLifetimeSeconds", s)?;
        }
        if let Some(s) = w.next_nonce_after_seconds {
            d.next_nonce_after = Some(seconds("nextNonceAfterSeconds", s)?);
        }
        if let Some(u) = w.userhash {
            d.userhash = u;
        }
        if let Some(r) = w.replay_window {
            d.replay_window = r;
        }
        if let Some(m) = w.max_tracked_nonces {
            d.max_tracked_nonces = m;
        }
        let bad = |what: &str, v: &str, ok: &str| {
            MockError::InvalidConfig(format!("digest {what} {v:?} is not one of {ok}"))
        };
        if let Some(o) = w.opaque {
            d.opaque = match o.as_str() {
                "omit" => Opaque::Omit,
                "send" => Opaque::Send,
                _ => return Err(bad("opaque", &o, "\"omit\", \"send\"")),
            };
        }
        if let Some(q) = w.qop_param {
            d.qop_param = match q.as_str() {
                "qop" => QopParam::Qop,
                "op" => QopParam::Op,
                _ => return Err(bad("qopParam", &q, "\"qop\", \"op\"")),
            };
        }
        if let Some(n) = w.nonce_format {
            d.nonce_format = match n.as_str() {
                "base64x32" => NonceFormat::Base64x32,
                "base64x48" => NonceFormat::Base64x48,
                _ => return Err(bad("nonceFormat", &n, "\"base64x32\", \"base64x48\"")),
            };
        }
        if let Some(a) = w.authentication_info {
            d.authentication_info = match a.as_str() {
                "omit" => AuthenticationInfo::Omit,
                "send" => AuthenticationInfo::Send,
                _ => return Err(bad("authenticationInfo", &a, "\"omit\", \"send\"")),
            };
        }
        Ok(d)
    }
}

impl From<DigestSettings> for DigestWire {
    fn from(d: DigestSettings) -> Self {
        DigestWire {
            algorithms: Some(d.algorithms.iter().map(ToString::to_string).collect()),
            qop: Some(d.qop.iter().map(ToString::to_string).collect()),
            nonce_lifetime_seconds: Some(d.nonce_lifetime.as_secs_f64()),
            next_nonce_after_seconds: d.next_nonce_after.map(|n| n.as_secs_f64()),
            userhash: Some(d.userhash),
            replay_window: Some(d.replay_window),
            max_tracked_nonces: Some(d.max_tracked_nonces),
            opaque: Some(
                match d.opaque {
                    Opaque::Send => "send",
                    _ => "omit",
                }
                .into(),
            ),
            qop_param: Some(
                match d.qop_param {
                    QopParam::Op => "op",
                    _ => "qop",
                }
                .into(),
            ),
            nonce_format: Some(
                match d.nonce_format {
                    NonceFormat::Base64x48 => "base64x48",
                    _ => "base64x32",
                }
                .into(),
            ),
            authentication_info: Some(
                match d.authentication_info {
                    AuthenticationInfo::Send => "send",
                    AuthenticationInfo::Omit => "omit",
                }
                .into(),
            ),
        }
    }
}

impl DigestSettings {
    /// The digest server's configuration: Atlas's shape (realm, `domain=""`, no charset,
    /// `stale=false` rendered), then these settings. Errors when no algorithm is offered or the
    /// nonce lifetime is zero.
    pub(super) fn server_config(&self) -> Result<ServerConfig, MockError> {
        if self.algorithms.is_empty() {
            return Err(MockError::InvalidConfig(
                "digest needs at least one algorithm".into(),
            ));
        }
        if self.nonce_lifetime.is_zero() {
            return Err(MockError::InvalidConfig(
                "digest nonce lifetime must be positive".into(),
            ));
        }
        Ok(ServerConfig::mongodb_atlas()
            .with_algorithms(self.algorithms.clone())
            .with_qop(self.qop.clone())
            .with_nonce_lifetime(self.nonce_lifetime)
            .with_next_nonce(match self.next_nonce_after {
                None => NextNonce::Never,
                Some(d) => NextNonce::After(d),
            })
            .with_userhash(if self.userhash {
                Userhash::Offered
            } else {
                Userhash::Off
            })
            .with_replay_window(self.replay_window)
            .with_max_tracked_nonces(self.max_tracked_nonces)
            .with_opaque(self.opaque)
            .with_qop_param(self.qop_param)
            .with_nonce_format(self.nonce_format))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_info_defaults_to_omit_as_atlas() {
        assert_eq!(AuthenticationInfo::default(), AuthenticationInfo::Omit);
        let d = DigestSettings::default();
        assert_eq!(d.sends_authentication_info(), AuthenticationInfo::Omit);
        let from_json: DigestSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(from_json, d);
    }

    #[test]
    fn authentication_info_json_round_trips_and_bad_values_are_typed_errors() {
        for (text, want) in [
            ("omit", AuthenticationInfo::Omit),
            ("send", AuthenticationInfo::Send),
        ] {
            let d: DigestSettings =
                serde_json::from_str(&format!(r#"{{"authenticationInfo": "{text}"}}"#)).unwrap();
            assert_eq!(d, DigestSettings::default().authentication_info(want));
            let back = serde_json::to_value(&d).unwrap();
            assert_eq!(back["authenticationInfo"], text);
            assert_eq!(serde_json::from_value::<DigestSettings>(back).unwrap(), d);
        }
        for bad in [r#""Send""#, r#""always""#, "true", "1"] {
            let e = serde_json::from_str::<DigestSettings>(&format!(
                r#"{{"authenticationInfo": {bad}}}"#
            ))
            .unwrap_err()
            .to_string();
            assert!(
                e.contains("authenticationInfo") || e.contains("invalid type"),
                "{bad}: {e}"
            );
        }
        let e = serde_json::from_str::<DigestSettings>(r#"{"authenticationInfo": "always"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(r#"digest authenticationInfo "always" is not one of "omit", "send""#),
            "{e}"
        );
        // Unknown members are still refused.
        assert!(serde_json::from_str::<DigestSettings>(r#"{"authInfo": "send"}"#).is_err());
    }
}
