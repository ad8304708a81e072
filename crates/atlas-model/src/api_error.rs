//! [`ApiError`]: the error body Atlas sends with every non-2xx answer.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One violation in a rejected request (`badRequestDetail.fields[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FieldViolation {
    /// A path to the offending field.
    #[serde(default)]
    pub field: String,
    /// Why it is wrong.
    #[serde(default)]
    pub description: String,
}

/// `badRequestDetail`: the violations behind a `400`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BadRequestDetail {
    /// Every violation.
    #[serde(default)]
    pub fields: Vec<FieldViolation>,
}

/// Atlas's error body (`ApiError` in the OpenAPI specification):
/// `{"error": 404, "errorCode": "...", "detail": "...", "reason": "Not Found", "parameters": [...]}`.
///
/// Every field is optional here even though the specification requires `error` and `errorCode`:
/// real answers such as `{"reason":"Unauthorized","error":401,"detail":"..."}` omit `errorCode`.
/// [`ApiError::from_body`] never fails: a body that is not such JSON (an HTML `503` page, an empty
/// body) is kept in [`raw`](Self::raw) with the HTTP status filled in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// `error`: the HTTP status code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<u16>,
    /// `errorCode`: Atlas's application error code, e.g. `RESOURCE_NOT_FOUND`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `detail`: what went wrong, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `reason`: the HTTP reason phrase, e.g. `Not Found`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `parameters`: values the message refers to; any JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Value>,
    /// `badRequestDetail`: field violations of a `400`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_request_detail: Option<BadRequestDetail>,
    /// The body as received when it was not an `ApiError` JSON object (for example an HTML page),
    /// truncated to [`ApiError::RAW_LIMIT`] bytes. Never serialised.
    #[serde(skip)]
    pub raw: Option<String>,
}

impl ApiError {
    /// How much of a non-JSON body [`from_body`](Self::from_body) keeps.
    pub const RAW_LIMIT: usize = 4096;

    /// An error as Atlas would send it: status, error code and detail, with `reason` set to the
    /// status's reason phrase.
    pub fn new(status: u16, error_code: &str, detail: impl Into<String>) -> Self {
        ApiError {
            error: Some(status),
            error_code: Some(error_code.to_owned()),
            detail: Some(detail.into()),
            reason: reason_phrase(status).map(str::to_owned),
            ..ApiError::default()
        }
    }

    /// Reads an error body received with HTTP `status`. Never fails: JSON of the `ApiError` shape is
    /// decoded (missing fields stay `None`, a missing `error` becomes `status`); anything else is kept
    /// as text in [`raw`](Self::raw) (lossily decoded as UTF-8 and truncated).
    ///
    /// ```
    /// use atlas_model::ApiError;
    /// let e = ApiError::from_body(401, br#"{"reason":"Unauthorized","error":401,"detail":"bad key"}"#);
    /// assert_eq!(e.error_code, None);
    /// let html = ApiError::from_body(503, b"<html><body>Service Unavailable</body></html>");
    /// assert_eq!(html.error, Some(503));
    /// assert!(html.raw.unwrap().contains("Service Unavailable"));
    /// ```
    pub fn from_body(status: u16, body: &[u8]) -> Self {
        match serde_json::from_slice::<ApiError>(body) {
            Ok(mut e) if e.looks_like_an_error() => {
                e.error.get_or_insert(status);
                e
            }
            _ => ApiError {
                error: Some(status),
                reason: reason_phrase(status).map(str::to_owned),
                raw: Some(truncate_utf8(body, Self::RAW_LIMIT)),
                ..ApiError::default()
            },
        }
    }

    /// Decodes a JSON value (for example an envelope's `content`) as an error, like
    /// [`from_body`](Self::from_body).
    pub fn from_value(status: u16, value: &Value) -> Self {
        match serde_json::from_value::<ApiError>(value.clone()) {
            Ok(mut e) if e.looks_like_an_error() => {
                e.error.get_or_insert(status);
                e
            }
            _ => ApiError {
                error: Some(status),
                reason: reason_phrase(status).map(str::to_owned),
                raw: Some(truncate_utf8(value.to_string().as_bytes(), Self::RAW_LIMIT)),
                ..ApiError::default()
            },
        }
    }

    fn looks_like_an_error(&self) -> bool {
        self.error.is_some()
            || self.error_code.is_some()
            || self.detail.is_some()
            || self.reason.is_some()
    }

    /// Whether `errorCode` equals `code`.
    pub fn has_code(&self, code: &str) -> bool {
        self.error_code.as_deref() == Some(code)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(status) = self.error {
            write!(f, "{status}")?;
        }
        if let Some(code) = &self.error_code {
            write!(f, " {code}")?;
        } else if let Some(reason) = &self.reason {
            write!(f, " {reason}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        } else if let Some(raw) = &self.raw {
            let excerpt: String = raw.chars().take(120).collect();
            let excerpt = excerpt.split_whitespace().collect::<Vec<_>>().join(" ");
            write!(f, ": {excerpt}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

fn truncate_utf8(body: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(limit)]);
    text.into_owned()
}

/// The reason phrase of the statuses Atlas uses.
fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}
