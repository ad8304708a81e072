//! Credentials and request facts.

use std::fmt;

/// A username and password. `Debug` shows the username and redacts the password; there is no `Display`.
///
/// Both are hashed as UTF-8 ([RFC 7616 section 4](https://www.rfc-editor.org/rfc/rfc7616#section-4)),
/// so non-ASCII passwords work with any server that follows RFC 7616 (`charset=UTF-8`).
#[derive(Clone, PartialEq, Eq)]
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

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"** redacted **")
            .finish()
    }
}

/// Facts about the request being authorized, supplied by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestFacts<'a> {
    /// The request method exactly as sent (`GET`, `POST`, ...).
    pub method: &'a str,
    /// The request-target exactly as sent on the request line: path and query (`/a/b?c=d`), never an
    /// absolute URL ([RFC 7616 section 3.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4):
    /// `uri` is the request-target). `*` (OPTIONS) and authority-form (CONNECT) are accepted as well.
    pub uri: &'a str,
    /// The request body, if the caller can provide it. `Some` allows `qop=auth-int`; `Some(b"")` is an
    /// empty body. `None` means "unknown": the client then only uses `qop=auth` (or RFC 2069 mode).
    pub body: Option<&'a [u8]>,
}

impl<'a> RequestFacts<'a> {
    /// Facts for a request without a known body.
    pub fn new(method: &'a str, uri: &'a str) -> Self {
        RequestFacts {
            method,
            uri,
            body: None,
        }
    }

    /// The same facts with `body` known (enables `auth-int`).
    pub fn with_body(self, body: &'a [u8]) -> Self {
        RequestFacts {
            body: Some(body),
            ..self
        }
    }
}
