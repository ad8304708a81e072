//! Who a request authenticated as: an API key (HTTP Digest) or a service account (a bearer token),
//! and what it may reach: groups, its IP access list, its roles.

use std::borrow::Cow;

use atlas_model::GroupId;

use crate::ApiKey;
use crate::access::IpAccessList;
use crate::roles::{Permission, Role, allowed};

/// How the principal authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// HTTP Digest with an API key.
    Digest,
    /// `Authorization: Bearer` with a service account's access token.
    Bearer,
}

/// The authenticated caller of an API request: borrowed from the mock's key table for an API key
/// (nothing is copied per request), owned for a service account (whose table is behind a lock).
#[derive(Debug, Clone)]
pub(crate) struct Principal<'a> {
    pub(crate) scheme: Scheme,
    /// The public key or the client id (journal `key`, rate-limit bucket).
    pub(crate) id: Cow<'a, str>,
    pub(crate) groups: Option<Cow<'a, [GroupId]>>,
    pub(crate) access_list: Option<Cow<'a, IpAccessList>>,
    pub(crate) roles: Option<Cow<'a, [Role]>>,
}

impl<'a> Principal<'a> {
    pub(crate) fn from_key(k: &'a ApiKey) -> Self {
        Self {
            scheme: Scheme::Digest,
            id: Cow::Borrowed(k.public_key()),
            groups: k.group_restriction().map(Cow::Borrowed),
            access_list: k.ip_access_list().map(Cow::Borrowed),
            roles: k.role_restriction().map(Cow::Borrowed),
        }
    }

    /// Whether the caller may reach `group`.
    pub(crate) fn can_access(&self, group: &GroupId) -> bool {
        self.groups.as_ref().is_none_or(|g| g.contains(group))
    }

    /// Whether the caller's roles grant `p`.
    pub(crate) fn allows(&self, p: Permission) -> bool {
        allowed(self.roles.as_deref(), p)
    }

    /// "API key" or "service account", for messages.
    pub(crate) fn what(&self) -> &'static str {
        match self.scheme {
            Scheme::Digest => "API key",
            Scheme::Bearer => "service account",
        }
    }
}
