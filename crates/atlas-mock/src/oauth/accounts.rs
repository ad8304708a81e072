//! Service accounts (OAuth 2.0 clients) and the settings of the token endpoint.

use std::fmt;
use std::time::Duration;

use atlas_model::GroupId;
use serde::{Deserialize, Serialize};

use crate::MockError;
use crate::access::IpAccessList;
use crate::roles::Role;

/// A service account: the OAuth 2.0 client id and secret that `POST /api/oauth/token` exchanges
/// for access tokens. Like an API key it may be restricted to groups, have its own IP access list
/// (checked when a token is used, not when it is issued, as Atlas does) and roles.
///
/// `Debug` never shows the secret.
///
/// ```
/// use atlas_mock::ServiceAccount;
/// let sa = ServiceAccount::generate();
/// assert!(sa.client_id().starts_with("mdb_sa_id_"));
/// assert!(sa.client_secret().starts_with("mdb_sa_sk_"));
/// assert!(!format!("{sa:?}").contains(sa.client_secret()));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    client_id: String,
    client_secret: String,
    groups: Option<Vec<GroupId>>,
    access_list: Option<IpAccessList>,
    roles: Option<Vec<Role>>,
}

impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_id", &self.client_id)
            .field("client_secret", &"** redacted **")
            .field("groups", &self.groups)
            .field("access_list", &self.access_list)
            .field("roles", &self.roles)
            .finish()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl ServiceAccount {
    /// A service account with access to every group.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            groups: None,
            access_list: None,
            roles: None,
        }
    }

    /// A random one shaped like Atlas's: `mdb_sa_id_` and 24 hex digits, `mdb_sa_sk_` and 40
    /// letters and digits (neither changes under the percent-encoding of RFC 6749 2.3.1).
    pub fn generate() -> Self {
        let id: [u8; 12] = crate::random_bytes();
        let sk: [u8; 40] = crate::random_bytes();
        Self::new(
            format!(
                "mdb_sa_id_{}",
                id.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ),
            format!(
                "mdb_sa_sk_{}",
                sk.iter()
                    .map(|b| char::from(ALNUM[usize::from(*b) % ALNUM.len()]))
                    .collect::<String>()
            ),
        )
    }

    /// Restricts the account to these groups; other groups answer `403`.
    pub fn groups(mut self, ids: impl IntoIterator<Item = GroupId>) -> Self {
        self.groups = Some(ids.into_iter().collect());
        self
    }

    /// Gives the account its own IP access list, checked when its tokens are used.
    pub fn access_list(mut self, list: IpAccessList) -> Self {
        self.access_list = Some(list);
        self
    }

    /// Gives the account Atlas roles (see [`crate::ApiKey::roles`]; default: `GROUP_OWNER`).
    pub fn roles(mut self, roles: impl IntoIterator<Item = Role>) -> Self {
        self.roles = Some(roles.into_iter().collect());
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret.
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// The groups the account is restricted to, `None` for all.
    pub fn group_restriction(&self) -> Option<&[GroupId]> {
        self.groups.as_deref()
    }

    /// The account's own IP access list, if any.
    pub fn ip_access_list(&self) -> Option<&IpAccessList> {
        self.access_list.as_ref()
    }

    /// The roles the account is restricted to, `None` for all (owner).
    pub fn role_restriction(&self) -> Option<&[Role]> {
        self.roles.as_deref()
    }
}

/// How the token endpoint behaves. The default is Atlas's: tokens live 3600 s (on the mock clock),
/// at most 100 live tokens per service account, 50 token requests a minute per (IP, client id).
///
/// JSON form (data file `oauth`): `{"tokenLifetimeSeconds": 3600, "maxLiveTokens": 100,
/// "tokenRateLimit": {"requests": 50, "minutes": 1}}`.
///
/// ```
/// use std::time::Duration;
/// use atlas_mock::OAuthSettings;
/// let o = OAuthSettings::default().token_lifetime(Duration::from_secs(60))?.max_live_tokens(3)?;
/// assert_eq!(o.lifetime(), Duration::from_secs(60));
/// # Ok::<(), atlas_mock::MockError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "OAuthWire", into = "OAuthWire")]
pub struct OAuthSettings {
    token_lifetime: Duration,
    max_live_tokens: usize,
    rate_requests: u32,
    rate_minutes: u32,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(3600),
            max_live_tokens: 100,
            rate_requests: 50,
            rate_minutes: 1,
        }
    }
}

impl OAuthSettings {
    /// How long a token is accepted (`expires_in`), at least one second.
    pub fn token_lifetime(mut self, d: Duration) -> Result<Self, MockError> {
        if d < Duration::from_secs(1) {
            return Err(MockError::InvalidConfig(format!(
                "the token lifetime must be at least 1 s, got {d:?}"
            )));
        }
        self.token_lifetime = d;
        Ok(self)
    }

    /// Most live (unexpired, unrevoked) tokens per service account; beyond it `403 access_denied`.
    pub fn max_live_tokens(mut self, n: usize) -> Result<Self, MockError> {
        if n == 0 {
            return Err(MockError::InvalidConfig(
                "maxLiveTokens must be at least 1".into(),
            ));
        }
        self.max_live_tokens = n;
        Ok(self)
    }

    /// The token endpoint's limit: `requests` every `minutes` per (IP, client id), refilled on the
    /// mock clock; beyond it `429 RATE_LIMITED`.
    pub fn token_rate_limit(mut self, requests: u32, minutes: u32) -> Result<Self, MockError> {
        if requests == 0 || minutes == 0 {
            return Err(MockError::InvalidConfig(format!(
                "the token rate limit needs requests and minutes above 0, got {requests} every {minutes}"
            )));
        }
        self.rate_requests = requests;
        self.rate_minutes = minutes;
        Ok(self)
    }

    /// The token lifetime.
    pub fn lifetime(&self) -> Duration {
        self.token_lifetime
    }

    /// The live-token limit.
    pub fn live_token_limit(&self) -> usize {
        self.max_live_tokens
    }

    /// (requests, minutes) of the token endpoint's rate limit.
    pub fn rate(&self) -> (u32, u32) {
        (self.rate_requests, self.rate_minutes)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OAuthWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_lifetime_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_live_tokens: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_rate_limit: Option<RateWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RateWire {
    requests: u32,
    minutes: u32,
}

impl TryFrom<OAuthWire> for OAuthSettings {
    type Error = MockError;
    fn try_from(w: OAuthWire) -> Result<Self, MockError> {
        let mut o = OAuthSettings::default();
        if let Some(s) = w.token_lifetime_seconds {
            let d = Duration::try_from_secs_f64(s).map_err(|_| {
                MockError::InvalidConfig(format!(
                    "oauth.tokenLifetimeSeconds: {s} is not a duration"
                ))
            })?;
            o = o.token_lifetime(d)?;
        }
        if let Some(n) = w.max_live_tokens {
            o = o.max_live_tokens(n)?;
        }
        if let Some(r) = w.token_rate_limit {
            o = o.token_rate_limit(r.requests, r.minutes)?;
        }
        Ok(o)
    }
}

impl From<OAuthSettings> for OAuthWire {
    fn from(o: OAuthSettings) -> Self {
        OAuthWire {
            token_lifetime_seconds: Some(o.token_lifetime.as_secs_f64()),
            max_live_tokens: Some(o.max_live_tokens),
            token_rate_limit: Some(RateWire {
                requests: o.rate_requests,
                minutes: o.rate_minutes,
            }),
        }
    }
}
