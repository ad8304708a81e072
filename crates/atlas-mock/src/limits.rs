//! The bounds that keep the mock's memory and connections finite under abuse.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::MockError;

/// Connection and request bounds. `Limits::default()` gives the values below; set fields or use the
/// `with_*` methods; [`crate::MockBuilder::start`] checks them.
///
/// What each bound does to a client that goes past it:
///
/// | bound | default | beyond it |
/// |---|---|---|
/// | `max_connections` | 1024 | the connection is accepted and closed at once (counted in `MockStats::connections_refused`) |
/// | `header_read_timeout` | 10 s | a connection whose request head (or first request) is not complete in time is closed |
/// | `max_header_bytes` | 64 KiB | `431 Request Header Fields Too Large`, then the connection is closed |
/// | `max_body_bytes` | 64 KiB | `400 INVALID_REQUEST_BODY` (bodies are read only after authentication) |
/// | `drain_timeout` | 5 s | on shutdown, connections still busy after it are cut |
///
/// ```
/// use std::time::Duration;
/// use atlas_mock::Limits;
/// let l = Limits::default().with_max_connections(64).with_header_read_timeout(Duration::from_secs(2));
/// assert_eq!(l.max_connections, 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Limits {
    /// Most connections served at once.
    pub max_connections: usize,
    /// Time a client has to send a complete request head; also the longest a connection may sit idle
    /// between requests, and the limit for a TLS handshake and for reading a request body.
    #[serde(with = "millis", rename = "headerReadTimeoutMs")]
    pub header_read_timeout: Duration,
    /// Largest request head (request line and headers), at least 8 KiB.
    pub max_header_bytes: usize,
    /// Largest request body read.
    pub max_body_bytes: usize,
    /// How long a shutdown waits for busy connections.
    #[serde(with = "millis", rename = "drainTimeoutMs")]
    pub drain_timeout: Duration,
}

/// hyper's smallest read buffer.
pub(crate) const MIN_HEADER_BYTES: usize = 8 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
            max_body_bytes: 64 * 1024,
            drain_timeout: Duration::from_secs(5),
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_connections`].
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// Sets [`Limits::header_read_timeout`].
    pub fn with_header_read_timeout(mut self, d: Duration) -> Self {
        self.header_read_timeout = d;
        self
    }

    /// Sets [`Limits::max_header_bytes`].
    pub fn with_max_header_bytes(mut self, n: usize) -> Self {
        self.max_header_bytes = n;
        self
    }

    /// Sets [`Limits::max_body_bytes`].
    pub fn with_max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// Sets [`Limits::drain_timeout`].
    pub fn with_drain_timeout(mut self, d: Duration) -> Self {
        self.drain_timeout = d;
        self
    }

    pub(crate) fn check(&self) -> Result<(), MockError> {
        let bad = |what: String| Err(MockError::InvalidConfig(what));
        if self.max_connections == 0 {
            return bad("max_connections must be at least 1".into());
        }
        if self.header_read_timeout.is_zero() {
            return bad("header_read_timeout must be positive".into());
        }
        if self.max_header_bytes < MIN_HEADER_BYTES {
            return bad(format!(
                "max_header_bytes must be at least {MIN_HEADER_BYTES}, got {}",
                self.max_header_bytes
            ));
        }
        Ok(())
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_json() {
        assert!(Limits::default().check().is_ok());
        assert!(Limits::default().with_max_connections(0).check().is_err());
        assert!(
            Limits::default()
                .with_max_header_bytes(100)
                .check()
                .is_err()
        );
        let l: Limits =
            serde_json::from_str(r#"{"maxConnections":8,"headerReadTimeoutMs":1500}"#).unwrap();
        assert_eq!(l.max_connections, 8);
        assert_eq!(l.header_read_timeout, Duration::from_millis(1500));
        assert_eq!(l.max_body_bytes, Limits::default().max_body_bytes);
        let e = serde_json::from_str::<Limits>(r#"{"maxConections":8}"#).unwrap_err();
        assert!(e.to_string().contains("maxConections"), "{e}");
    }
}
