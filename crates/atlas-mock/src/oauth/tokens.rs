//! Access tokens: minted as signed JWTs (HS256 with a per-run key), remembered until they expire on
//! the mock clock or are revoked, at most `maxLiveTokens` per service account.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Longest bearer token looked up (longer ones are refused without a lookup).
pub(crate) const MAX_TOKEN_LEN: usize = 4096;

#[derive(Debug, Clone)]
struct Issued {
    client_id: String,
    /// Mock-clock time it expires.
    expires: Duration,
}

/// Why a bearer token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Never issued, revoked, or not a token at all.
    Unknown,
    /// Issued, but its lifetime ran out on the mock clock.
    Expired,
}

/// What revoking a token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revoked {
    /// It was live and is gone.
    Yes,
    /// Unknown or expired: nothing to do (still `200`, RFC 7009).
    NotFound,
    /// Issued to another client: refused.
    OtherClient,
}

/// The table of issued tokens. Its size is bounded: every service account holds at most
/// `max_live` tokens, and expired ones are dropped whenever one is issued.
#[derive(Debug)]
pub(crate) struct Tokens {
    key: [u8; 32],
    issued: Mutex<HashMap<String, Issued>>,
}

fn hmac_sha256(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

impl Tokens {
    pub(crate) fn new() -> Self {
        Self {
            key: crate::random_bytes(),
            issued: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Issued>> {
        self.issued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Live tokens of `client_id` at `now`.
    pub(crate) fn live(&self, client_id: &str, now: Duration) -> usize {
        self.lock()
            .values()
            .filter(|t| t.client_id == client_id && t.expires > now)
            .count()
    }

    /// Live tokens of every account.
    pub(crate) fn len(&self, now: Duration) -> usize {
        self.lock().values().filter(|t| t.expires > now).count()
    }

    /// Mints a token for `client_id`, unless it holds `max_live` live ones (`None`). `issuer` and
    /// the wall times go into the claims.
    pub(crate) fn issue(
        &self,
        client_id: &str,
        now: Duration,
        lifetime: Duration,
        max_live: usize,
        issuer: &str,
        wall_now: i64,
    ) -> Option<String> {
        let mut t = self.lock();
        t.retain(|_, v| v.expires > now);
        if t.values().filter(|v| v.client_id == client_id).count() >= max_live {
            return None;
        }
        let jti: String = crate::random_bytes::<16>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "iss": issuer,
            "sub": client_id,
            "client_id": client_id,
            "aud": "atlas-mock",
            "iat": wall_now,
            "exp": wall_now.saturating_add(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX)),
            "jti": jti,
        });
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing = format!("{header}.{payload}");
        let sig = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.key, signing.as_bytes()));
        let token = format!("{signing}.{sig}");
        t.insert(
            token.clone(),
            Issued {
                client_id: client_id.to_owned(),
                expires: now.saturating_add(lifetime),
            },
        );
        Some(token)
    }

    /// The client id a token was issued to, if it is live at `now`.
    pub(crate) fn verify(&self, token: &str, now: Duration) -> Result<String, Refusal> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Refusal::Unknown);
        }
        let mut t = self.lock();
        match t.get(token) {
            None => Err(Refusal::Unknown),
            Some(i) if i.expires <= now => {
                t.remove(token);
                Err(Refusal::Expired)
            }
            Some(i) => Ok(i.client_id.clone()),
        }
    }

    /// Revokes `token` for `client_id` (RFC 7009).
    pub(crate) fn revoke(&self, token: &str, client_id: &str, now: Duration) -> Revoked {
        let mut t = self.lock();
        match t.get(token) {
            Some(i) if i.expires <= now => {
                t.remove(token);
                Revoked::NotFound
            }
            Some(i) if i.client_id != client_id => Revoked::OtherClient,
            Some(_) => {
                t.remove(token);
                Revoked::Yes
            }
            None => Revoked::NotFound,
        }
    }

    /// Revokes every token of `client_id`; returns how many were live.
    pub(crate) fn revoke_all(&self, client_id: &str, now: Duration) -> usize {
        let mut t = self.lock();
        let mut live = 0;
        t.retain(|_, v| {
            let mine = v.client_id == client_id;
            if mine && v.expires > now {
                live += 1;
            }
            !mine
        });
        live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_python() {
        // RFC 4231 test case 1's message with a 32-byte key (ours always has 32 bytes); the value
        // is Python's hmac.new(b"\x0b" * 32, b"Hi There", "sha256").hexdigest().
        let key = [0x0bu8; 32];
        let mac = hmac_sha256(&key, b"Hi There");
        assert_eq!(
            mac.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7"
        );
    }

    #[test]
    fn issue_verify_expire_revoke_and_the_live_limit() {
        let t = Tokens::new();
        let s = Duration::from_secs;
        let a = t.issue("a", s(0), s(60), 2, "iss", 0).unwrap();
        let b = t.issue("a", s(1), s(60), 2, "iss", 1).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.split('.').count(), 3);
        assert!(
            t.issue("a", s(2), s(60), 2, "iss", 2).is_none(),
            "limit of 2"
        );
        assert!(
            t.issue("b", s(2), s(60), 2, "iss", 2).is_some(),
            "per account"
        );
        assert_eq!(t.revoke(&b, "b", s(2)), Revoked::OtherClient);
        assert_eq!(t.verify(&a, s(59)), Ok("a".to_owned()));
        assert_eq!(t.verify(&a, s(60)), Err(Refusal::Expired));
        assert_eq!(t.verify(&a, s(61)), Err(Refusal::Unknown));
        // The expired one no longer counts.
        assert!(t.issue("a", s(61), s(60), 2, "iss", 61).is_some());
        assert_eq!(
            t.revoke(&b, "a", s(62)),
            Revoked::NotFound,
            "b expired at 61"
        );
        assert_eq!(t.verify("nope", s(0)), Err(Refusal::Unknown));
        assert_eq!(
            t.verify(&"x".repeat(MAX_TOKEN_LEN + 1), s(0)),
            Err(Refusal::Unknown)
        );
        assert_eq!(t.revoke_all("a", s(62)), 1);
        assert_eq!(t.live("a", s(62)), 0);
        // Claims carry the expiry a client may read.
        let c = t
            .issue("c", s(0), s(3600), 1, "http://x/api/oauth", 1000)
            .unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(c.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["exp"], 4600);
        assert_eq!(claims["sub"], "c");
    }
}
