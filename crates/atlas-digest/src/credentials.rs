//! Credentials and request facts.

use std::fmt;

use zeroize::Zeroize;

use crate::hash::constant_time_eq;

/// A username and password. `Debug` shows the username and redacts the password; there is no
/// `Display`. Equality is constant-time; the password is zeroized on drop.
///
/// Both are hashed as UTF-8 ([RFC 7616 section 4](https://www.rfc-editor.org/rfc/rfc7616#section-4)),
/// so non-ASCII passwords work with any server that follows RFC 7616 (`charset=UTF-8`).
#[derive(Clone)]
pub struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    /// Credentials for `username` with `password`.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    pub(crate) fn password(&self) -> &str {
        &self.password
    }
}

impl PartialEq for Credentials {
    /// Constant-time in the bytes of both strings (their lengths are not treated as secret).
    fn eq(&self, other: &Credentials) -> bool {
        let user = constant_time_eq(self.username.as_bytes(), other.username.as_bytes());
        let pass = constant_time_eq(self.password.as_bytes(), other.password.as_bytes());
        user & pass
    }
}

impl Eq for Credentials {}

impl Drop for Credentials {
    fn drop(&mut self) {
        self.password.zeroize();
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"** redacted **")
            .finish()
    }
}

/// Facts about the request being authorized, supplied by the caller. Build with
/// [`RequestFacts::new`] and the `with_*` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestFacts<'a> {
    /// The request method exactly as sent (`GET`, `POST`, ...).
    pub method: &'a str,
    /// The request-target exactly as sent on the request line
    /// ([RFC 7616 section 3.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4): `uri` is the
    /// request-target): origin form (`/a/b?c=d`), absolute form (`http://host/a`, for plain-http
    /// requests through a forward proxy), `*` (OPTIONS) or authority form (CONNECT).
    pub uri: &'a str,
    /// The request body, if the caller can provide it. `Some` allows `qop=auth-int`; `Some(b"")` is an
    /// empty body. `None` means "unknown": the client then only uses `qop=auth` (or RFC 2069 mode).
    pub body: Option<&'a [u8]>,
    /// The origin (`scheme://host[:port]`) the request goes to, if the caller states it: a client
    /// refuses to authorize a request for another origin than the one it is bound to. An
    /// absolute-form `uri` states its origin by itself. The server ignores it.
    pub origin: Option<&'a str>,
}

impl<'a> RequestFacts<'a> {
    /// Facts for a request without a known body.
    pub fn new(method: &'a str, uri: &'a str) -> Self {
        RequestFacts {
            method,
            uri,
            body: None,
            origin: None,
        }
    }

    /// The same facts with `body` known (enables `auth-int`).
    pub fn with_body(self, body: &'a [u8]) -> Self {
        RequestFacts {
            body: Some(body),
            ..self
        }
    }

    /// The same facts with the origin stated (`https://cloud.mongodb.com`).
    pub fn with_origin(self, origin: &'a str) -> Self {
        RequestFacts {
            origin: Some(origin),
            ..self
        }
    }
}
