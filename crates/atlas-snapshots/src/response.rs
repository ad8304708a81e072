//! [`ApiResponse`]: a decoded value with everything else Atlas sent.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// A decoded answer together with the HTTP details, from the `send_full` methods.
///
/// ```
/// # use atlas_snapshots::ApiResponse;
/// fn warn_if_deprecated<T>(r: &ApiResponse<T>) {
///     if let Some(sunset) = &r.sunset {
///         eprintln!("this endpoint stops working on {sunset}");
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ApiResponse<T> {
    /// The decoded value.
    pub value: T,
    /// The HTTP status (always `200` for `envelope=true`).
    pub status: StatusCode,
    /// The body exactly as received (the envelope included for `envelope=true`; pretty printed
    /// for `pretty=true`).
    pub body: Bytes,
    /// The `Deprecation` header, when Atlas marks the endpoint as deprecated.
    pub deprecation: Option<String>,
    /// The `Sunset` header: the date after which the endpoint stops working.
    pub sunset: Option<String>,
    /// Every response header.
    pub headers: HeaderMap,
}

impl<T> ApiResponse<T> {
    pub(crate) fn new(value: T, status: StatusCode, body: Bytes, headers: HeaderMap) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        };
        ApiResponse {
            deprecation: text("deprecation"),
            sunset: text("sunset"),
            value,
            status,
            body,
            headers,
        }
    }

    /// Replaces the value, keeping the HTTP details.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ApiResponse<U> {
        ApiResponse {
            value: f(self.value),
            status: self.status,
            body: self.body,
            deprecation: self.deprecation,
            sunset: self.sunset,
            headers: self.headers,
        }
    }

    /// The value, dropping the HTTP details.
    pub fn into_value(self) -> T {
        self.value
    }
}
