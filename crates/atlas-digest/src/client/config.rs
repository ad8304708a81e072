//! Client policy: [`ClientConfig`] and the enums its builder methods take.

use crate::server::{DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW};

/// Default nc span: at most 32 nc values of one nonce unretired at once.
pub const DEFAULT_NC_SPAN: u32 = 32;

/// Client policy, built with `ClientConfig::default()` and the `with_*` methods; read back with the
/// getters.
///
/// The qop rules are those of [RFC 7616 section 3.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4);
/// RFC 2069 mode is [RFC 2617 section 3.2.2.1](https://www.rfc-editor.org/rfc/rfc2617#section-3.2.2.1).
///
/// ```
/// use atlas_digest::{AuthInt, ClientConfig, Md5, Rspauth};
///
/// let config = ClientConfig::default()
///     .with_md5(Md5::Refuse)
///     .with_rspauth(Rspauth::Require)
///     .with_auth_int(AuthInt::Never)
///     .with_nc_span(16);
/// assert_eq!(config.nc_span(), 16);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    auth_int: AuthInt,
    rfc2069: Rfc2069,
    md5: Md5,
    rspauth: Rspauth,
    downgrade: Downgrade,
    max_nc: u32,
    nc_span: u32,
    server_window: u32,
}

/// When the client uses `qop=auth-int` (integrity of the request body, and of the response body in
/// `rspauth`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthInt {
    /// Never: challenges offering only `auth-int` are unsupported. For transports that cannot hand
    /// response bodies to [`crate::DigestClient::on_authentication_info_with_body`] (streaming).
    Never,
    /// Only when the server offers nothing else and the request body is known
    /// ([`crate::RequestFacts::body`]). The default.
    IfOnlyOffered,
    /// Whenever the server offers it and the request body is known.
    Preferred,
}

/// Whether challenges without `qop` (RFC 2069 form: no cnonce, no nc, no replay protection) are
/// answered. Even when allowed, a challenge with qop always wins over one without.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rfc2069 {
    /// Answered when no usable challenge offers qop (old cameras and routers only speak it). The default.
    Allow,
    /// Never answered (unsupported).
    Refuse,
}

/// Whether `MD5` and `MD5-sess` challenges are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Md5 {
    /// Answered (most deployed servers, Atlas among them, only offer MD5). The default. A stronger
    /// algorithm is always preferred when offered.
    Allow,
    /// Refused as unsupported.
    Refuse,
}

/// What the client requires of `rspauth` (mutual authentication) in `Authentication-Info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rspauth {
    /// Verified when present. The default.
    VerifyIfPresent,
    /// Required on every success: a response without it is [`crate::DigestError::RspauthMissing`].
    Require,
}

/// What the client does when a protection space that once offered a stronger challenge (a better
/// algorithm, or qop where there is none now) offers only weaker ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Downgrade {
    /// Refuse with [`crate::DigestError::Downgrade`] (an active attacker may have stripped the strong
    /// challenges). The default.
    Refuse,
    /// Answer the weaker challenge.
    Allow,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            auth_int: AuthInt::IfOnlyOffered,
            rfc2069: Rfc2069::Allow,
            md5: Md5::Allow,
            rspauth: Rspauth::VerifyIfPresent,
            downgrade: Downgrade::Refuse,
            max_nc: u32::MAX,
            nc_span: DEFAULT_NC_SPAN,
            server_window: DEFAULT_REPLAY_WINDOW,
        }
    }
}

impl ClientConfig {
    /// Sets when `auth-int` is used.
    pub fn with_auth_int(mut self, auth_int: AuthInt) -> Self {
        self.auth_int = auth_int;
        self
    }

    /// Sets whether RFC 2069 challenges are answered.
    pub fn with_rfc2069(mut self, rfc2069: Rfc2069) -> Self {
        self.rfc2069 = rfc2069;
        self
    }

    /// Sets whether MD5 challenges are answered.
    pub fn with_md5(mut self, md5: Md5) -> Self {
        self.md5 = md5;
        self
    }

    /// Sets what is required of `rspauth`.
    pub fn with_rspauth(mut self, rspauth: Rspauth) -> Self {
        self.rspauth = rspauth;
        self
    }

    /// Sets what happens on a downgrade.
    pub fn with_downgrade(mut self, downgrade: Downgrade) -> Self {
        self.downgrade = downgrade;
        self
    }

    /// Sets the highest nc used with one nonce (at least 1). When it is reached the nonce is dropped
    /// and the next request goes out without credentials to obtain a fresh challenge.
    pub fn with_max_nc(mut self, max_nc: u32) -> Self {
        self.max_nc = max_nc.max(1);
        self
    }

    /// Sets the nc span: at most this many nc values of one nonce are unretired (in flight) at once,
    /// so every request in flight lies within `span` consecutive nc values (clamped to
    /// `1..=`[`ClientConfig::server_window`]).
    pub fn with_nc_span(mut self, span: u32) -> Self {
        self.nc_span = span.clamp(1, MAX_REPLAY_WINDOW);
        self
    }

    /// Sets the replay window of the servers this client talks to (clamped to `1..=128`); the nc span
    /// never exceeds it.
    pub fn with_server_window(mut self, window: u32) -> Self {
        self.server_window = window.clamp(1, MAX_REPLAY_WINDOW);
        self
    }

    /// When `auth-int` is used. Default [`AuthInt::IfOnlyOffered`].
    pub fn auth_int(&self) -> AuthInt {
        self.auth_int
    }

    /// Whether RFC 2069 challenges are answered. Default [`Rfc2069::Allow`].
    pub fn rfc2069(&self) -> Rfc2069 {
        self.rfc2069
    }

    /// Whether MD5 challenges are answered. Default [`Md5::Allow`].
    pub fn md5(&self) -> Md5 {
        self.md5
    }

    /// What is required of `rspauth`. Default [`Rspauth::VerifyIfPresent`].
    pub fn rspauth(&self) -> Rspauth {
        self.rspauth
    }

    /// What happens on a downgrade. Default [`Downgrade::Refuse`].
    pub fn downgrade(&self) -> Downgrade {
        self.downgrade
    }

    /// Highest nc used with one nonce. Default `u32::MAX` (nc is 8 hex digits).
    pub fn max_nc(&self) -> u32 {
        self.max_nc
    }

    /// The effective nc span: [`DEFAULT_NC_SPAN`] (32) by default, never above
    /// [`ClientConfig::server_window`].
    pub fn nc_span(&self) -> u32 {
        self.nc_span.min(self.server_window)
    }

    /// The servers' replay window the span is kept within. Default 64 (this crate's server default).
    pub fn server_window(&self) -> u32 {
        self.server_window
    }
}
