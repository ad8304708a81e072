//! Service accounts: Atlas's token and revocation URLs and how its token endpoint says "wait"
//! (the OAuth machinery itself is [`atlas_transport::oauth`]).

use std::time::Duration;

use atlas_transport::oauth::ClientCredentials;
pub(crate) use atlas_transport::oauth::{AccessToken, StoredToken, TokenStore};
use bytes::Bytes;
use http::Response;

use crate::Error;
use crate::endpoint::BaseUrl;

/// The token endpoint, below the base URL.
pub(crate) const TOKEN_PATH: &str = "/api/oauth/token";
/// The revocation endpoint, below the base URL.
pub(crate) const REVOKE_PATH: &str = "/api/oauth/revoke";

/// The bearer method a builder was given. `Debug` redacts the secret and the token.
pub(crate) enum Bearer {
    ServiceAccount {
        client_id: String,
        client_secret: String,
    },
    Token(AccessToken),
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bearer::ServiceAccount { client_id, .. } => f
                .debug_struct("ServiceAccount")
                .field("client_id", client_id)
                .field("client_secret", &"** redacted **")
                .finish(),
            Bearer::Token(t) => t.fmt(f),
        }
    }
}

/// The client credentials of a service account at `base`.
pub(crate) fn atlas_client_credentials(
    base: &BaseUrl,
    client_id: String,
    client_secret: String,
) -> Result<ClientCredentials, Error> {
    Ok(ClientCredentials::new(
        &format!("{}{TOKEN_PATH}", base.as_str()),
        client_id,
        client_secret,
    )?
    .revoke_url(&format!("{}{REVOKE_PATH}", base.as_str()))?
    .rate_limit_wait(rate_limit_wait)
    .keeps_token(lacks_role))
}

/// Atlas's `401 USER_UNAUTHORIZED`: the token was accepted, the account lacks the role for the
/// request. A fresh token would get the same answer, so none is fetched.
pub(crate) fn lacks_role(response: &Response<Bytes>) -> bool {
    atlas_model::ApiError::from_body(response.status().as_u16(), response.body())
        .has_code(crate::error::USER_UNAUTHORIZED)
}

/// Atlas's `429` body: `RATE_LIMITED` with `[path, N, M]` ("N requests every M minutes") asks
/// for one slot of the window, `M * 60 / N` seconds; `RATE_LIMITED_TOKEN_BUCKET` says its retry
/// seconds. The transport waits the longer of this and `Retry-After`, then backs off.
pub(crate) fn rate_limit_wait(response: &Response<Bytes>) -> Option<Duration> {
    let api = atlas_model::ApiError::from_body(response.status().as_u16(), response.body());
    let limit = api.rate_limit()?;
    if let Some(s) = limit.retry_after_secs {
        return Some(Duration::from_secs(s));
    }
    let period = limit.refill_period_secs?;
    let per = limit.refill_rate.or(limit.capacity)?.max(1);
    Some(Duration::from_millis(period.saturating_mul(1000) / per))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(body: &'static str) -> Response<Bytes> {
        let mut r = Response::new(Bytes::from_static(body.as_bytes()));
        *r.status_mut() = http::StatusCode::TOO_MANY_REQUESTS;
        r
    }

    #[test]
    fn atlas_429_bodies_become_waits() {
        assert_eq!(
            rate_limit_wait(&r(
                r#"{"detail":"Resource /api/oauth/token is limited to 50 requests every 1 minutes.","error":429,"errorCode":"RATE_LIMITED","parameters":["/api/oauth/token",50,1],"reason":"Too Many Requests"}"#
            )),
            Some(Duration::from_millis(1200))
        );
        assert_eq!(
            rate_limit_wait(&r(
                r#"{"error":429,"errorCode":"RATE_LIMITED_TOKEN_BUCKET","parameters":["/x",7,100,10,60]}"#
            )),
            Some(Duration::from_secs(7))
        );
        assert_eq!(rate_limit_wait(&r("<html>")), None);
        assert_eq!(
            rate_limit_wait(&r(
                r#"{"errorCode":"RATE_LIMITED","parameters":["/x",0,0]}"#
            )),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn urls_sit_below_the_base() {
        let base = BaseUrl::parse("https://cloud.mongodb.com/").unwrap();
        let c = atlas_client_credentials(&base, "id".into(), "SECRET".into()).unwrap();
        assert_eq!(
            c.token_url().to_string(),
            "https://cloud.mongodb.com/api/oauth/token"
        );
        assert!(!format!("{c:?}").contains("SECRET"));
        let d = format!(
            "{:?}",
            Bearer::ServiceAccount {
                client_id: "id".into(),
                client_secret: "SECRET".into()
            }
        );
        assert!(!d.contains("SECRET"), "{d}");
    }
}
