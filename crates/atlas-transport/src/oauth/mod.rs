//! OAuth 2.0 client credentials (RFC 6749 section 4.4) and bearer tokens (RFC 6750).
//!
//! A client built with [`ClientBuilder::client_credentials`](crate::ClientBuilder::client_credentials)
//! sends `Authorization: Bearer <token>` on every request and manages the token itself:
//!
//! - **Fetched on first use**, with one token request however many requests start at once
//!   (single flight: the others wait for its answer).
//! - **Renewed ahead of expiry**: the lifetime comes from the answer's `expires_in`, and the
//!   token is renewed on the first request after `expires_in - margin` (the margin is a tenth of
//!   the lifetime, between 10 s and 5 min, unless [`ClientCredentials::renew_before`] says
//!   otherwise), again by one request while the others wait. An answer without `expires_in` is
//!   used until the server refuses it.
//! - **One retry on a `401`**: a request whose token is refused although it should be valid
//!   drops that token and is sent once more with a fresh one; a second `401` is
//!   [`Error::AuthRejected`](crate::Error::AuthRejected). A `401` that the
//!   [`ClientCredentials::keeps_token`] hook says is not about the token (the caller lacks a
//!   role, say) is returned as it is: no token request, no retry.
//! - **The token endpoint's `429`** waits `Retry-After` (or what the
//!   [`ClientCredentials::rate_limit_wait`] hook reads from the body, whichever is longer) within
//!   the client's [`RetryPolicy`](crate::RetryPolicy) and total timeout, then fails with
//!   [`TokenProblem::RateLimited`].
//! - **Typed failures**: [`Error::Token`](crate::Error::Token) with a [`TokenProblem`]
//!   (`invalid_client`, `access_denied`, rate limited ...) and its [`hint`](TokenProblem::hint).
//! - **A store seam**: tokens are loaded from and saved to a [`TokenStore`]
//!   ([`MemoryTokenStore`] by default), so that an application can keep them between runs. A store
//!   may [`lock`](TokenStore::lock) a key across processes for the time of a renewal.
//! - **Revocation**: [`Client::revoke_token`](crate::Client::revoke_token).
//!
//! The client id is not a secret; the client secret and every token print as redacted in
//! `Debug` and never appear in logs or error messages.

mod credentials;
mod error;
pub(crate) mod exchange;
pub(crate) mod source;
mod store;

pub use credentials::{AccessToken, ClientCredentials, KeepsToken, RateLimitWait};
pub use error::TokenProblem;
pub use store::{MemoryTokenStore, StoreError, StoreLock, StoredToken, TokenKey, TokenStore};
