//! Answers the way Atlas writes them: `ApiError` bodies with `reason` and an `X-Error-Code` header,
//! `pretty` and `envelope` applied to every answer, `Authentication-Info` over the final body (when
//! the digest settings send one: Atlas sends none), and the journal entry completed with what was
//! sent.

use atlas_model::{ApiError, BadRequestDetail, FieldViolation};
use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::Shared;
use super::query::Flags;
use crate::body::MockBody;
use crate::journal::{JournalEntry, header_pairs};
use crate::render;

/// Media type of v1.0 answers and of all error bodies.
pub(crate) const JSON: &str = "application/json";
/// Media type of the 401 challenge answer, as in the Atlas documentation example.
pub(crate) const JSON_LATIN1: &str = "application/json;charset=ISO-8859-1";
/// `X-Error-Code`: Atlas repeats the body's `errorCode` in this header.
pub(crate) const X_ERROR_CODE: HeaderName = HeaderName::from_static("x-error-code");

/// The body of an answer being built.
#[derive(Debug)]
pub(crate) enum ReplyBody {
    /// JSON, rendered at the end so that `pretty` and `envelope` apply to every answer.
    Json(Value),
    /// Bytes as they are (the HTML 503 page).
    Raw(Bytes),
}

/// An answer being built.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: ReplyBody,
    /// The `errorCode` of an error answer (journal, and `X-Error-Code` when `error_header`).
    pub(crate) error_code: Option<String>,
    /// Whether to send `X-Error-Code` (not on the digest handshake's 401, as observed).
    pub(crate) error_header: bool,
    /// The list answer's own envelope rule: Atlas adds `status` next to `results`.
    pub(crate) is_list: bool,
    /// `false` for the 401 challenge, which is never enveloped (clients must see the 401).
    pub(crate) envelope_ok: bool,
    /// Always pretty-printed (the 401 challenge body, as observed).
    pub(crate) always_pretty: bool,
    /// Send half the body and break the connection (fault injection).
    pub(crate) truncate: bool,
    /// Send this many bytes of the body and break the connection (fault injection).
    pub(crate) cut_after: Option<u64>,
    /// A `204 No Content`: no body, no `Content-Type`.
    pub(crate) no_content: bool,
    /// Successful digest verification: `Authentication-Info` is added when the body is known, if
    /// the settings send it (or a `nextnonce` is due).
    pub(crate) verified: Option<Box<atlas_digest::Verified>>,
}

impl Reply {
    pub(crate) fn json(status: StatusCode, content_type: &'static str, body: Value) -> Self {
        Reply {
            status,
            content_type,
            headers: Vec::new(),
            body: ReplyBody::Json(body),
            error_code: None,
            error_header: true,
            is_list: false,
            envelope_ok: true,
            always_pretty: false,
            truncate: false,
            cut_after: None,
            no_content: false,
            verified: None,
        }
    }

    pub(crate) fn raw(status: StatusCode, content_type: &'static str, body: Bytes) -> Self {
        let mut r = Reply::json(status, content_type, Value::Null);
        r.body = ReplyBody::Raw(body);
        r.envelope_ok = false;
        r
    }

    /// An `ApiError` answer; `reason` is always set (the status's reason phrase) and `parameters`
    /// always present, as Atlas sends them.
    pub(crate) fn error(mut e: ApiError) -> Self {
        let status = e
            .error
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if e.reason.is_none() {
            e.reason = Some(status.canonical_reason().unwrap_or("Unknown").to_owned());
        }
        let code = e.error_code.clone();
        let mut v = serde_json::to_value(&e).unwrap_or_else(|_| json!({}));
        if let Value::Object(m) = &mut v {
            m.entry("parameters")
                .or_insert_with(|| Value::Array(Vec::new()));
        }
        let mut r = Reply::json(status, JSON, v);
        r.error_code = code;
        r
    }

    pub(crate) fn header(mut self, name: HeaderName, value: &str) -> Self {
        self.push_header(name, value);
        self
    }

    pub(crate) fn push_header(&mut self, name: HeaderName, value: &str) {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
    }
}

/// An Atlas error answer.
pub(crate) fn api_error(
    status: u16,
    code: &str,
    detail: impl Into<String>,
    params: Vec<Value>,
) -> Reply {
    let mut e = ApiError::new(status, code, detail);
    e.parameters = params;
    Reply::error(e)
}

/// [`api_error`], boxed (for `Result<_, Box<Reply>>`).
pub(crate) fn boxed_error(
    status: u16,
    code: &str,
    detail: impl Into<String>,
    params: Vec<Value>,
) -> Box<Reply> {
    Box::new(api_error(status, code, detail, params))
}

/// A `400` naming one bad parameter (`badRequestDetail.fields[0]`).
pub(crate) fn invalid_param(code: &str, field: &str, value: &str, why: &str) -> Box<Reply> {
    let shown = crate::journal::cut(value, 256);
    let mut e = ApiError::new(400, code, format!("Invalid {field} {shown:?}: {why}."));
    e.parameters = vec![json!(field), json!(shown)];
    e.bad_request_detail = Some(BadRequestDetail {
        fields: vec![FieldViolation {
            field: field.to_owned(),
            description: why.to_owned(),
        }],
    });
    Box::new(Reply::error(e))
}

/// An HTTP date the way Atlas writes `Deprecation` and `Sunset`: like IMF-fixdate but with the day
/// of the month unpadded (`Mon, 5 Aug 2024 00:00:00 GMT`). The dates the mock sends are constants
/// (`api::snapshots`), checked against this in the tests, so nothing is formatted per request.
#[cfg(test)]
pub(crate) fn atlas_http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %-d %b %Y %H:%M:%S GMT").to_string()
}

/// Applies `pretty` and `envelope`, builds the response, and journals it.
pub(crate) fn finish(
    shared: &Shared,
    r: Reply,
    flags: Flags,
    mut entry: JournalEntry,
) -> Response<MockBody> {
    let mut status = r.status;
    entry.error = entry.error.take().or(r.error_code.clone());
    let body: Bytes = match r.body {
        ReplyBody::Json(mut v) => {
            if flags.envelope && r.envelope_ok {
                entry.enveloped_status = Some(r.status.as_u16());
                if r.is_list && r.status == StatusCode::OK {
                    v["status"] = json!(r.status.as_u16());
                } else {
                    v = json!({"status": r.status.as_u16(), "content": v});
                }
                status = StatusCode::OK;
            }
            render::to_bytes(v, flags.pretty || r.always_pretty).into()
        }
        ReplyBody::Raw(raw) => raw,
    };
    entry.status = status.as_u16();
    let auth_info = r
        .verified
        .and_then(|v| shared.auth.authentication_info(&v, &body));
    let mut resp = Response::new(match r.cut_after {
        _ if r.truncate => MockBody::truncated(body),
        Some(n) => MockBody::cut_after(body, usize::try_from(n).unwrap_or(usize::MAX)),
        None => MockBody::full(body),
    });
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    if !r.no_content {
        // Real Atlas's successful answers say they vary by `Accept-Encoding` (the seed document's
        // 200); its 401 challenge and error answers are not observed to.
        if status.is_success() {
            h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        h.insert(header::CONTENT_TYPE, content_type(r.content_type));
    }
    if shared.scheme == "https" {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=300"),
        );
    }
    for (k, v) in r.headers {
        h.append(k, v);
    }
    if r.error_header {
        if let Some(v) = r
            .error_code
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            h.insert(X_ERROR_CODE, v);
        }
    }
    // The value's own buffer becomes the header's (no copy).
    if let Some(v) = auth_info.and_then(|i| HeaderValue::from_maybe_shared(Bytes::from(i)).ok()) {
        h.insert(HeaderName::from_static("authentication-info"), v);
    }
    record(shared, &resp, status, entry);
    resp
}

/// The `Content-Type` value: the usual one validated at compile time, others when sent.
fn content_type(ct: &'static str) -> HeaderValue {
    static JSON_VALUE: HeaderValue = HeaderValue::from_static(JSON);
    if ct == JSON {
        JSON_VALUE.clone()
    } else {
        HeaderValue::from_static(ct)
    }
}

/// Completes `entry` with what `resp` says and journals it.
pub(crate) fn record(
    shared: &Shared,
    resp: &Response<MockBody>,
    status: StatusCode,
    mut entry: JournalEntry,
) {
    entry.status = status.as_u16();
    let (headers, dropped) = header_pairs(resp.headers().iter());
    entry.response_headers = headers;
    entry.headers_dropped += dropped;
    shared.journal.push(entry);
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    #[test]
    fn atlas_dates_have_an_unpadded_day() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            atlas_http_date(t("2024-08-05T00:00:00Z")),
            "Mon, 5 Aug 2024 00:00:00 GMT"
        );
        assert_eq!(
            atlas_http_date(t("2027-07-01T00:00:00Z")),
            "Thu, 1 Jul 2027 00:00:00 GMT"
        );
        assert_eq!(
            atlas_http_date(t("2026-01-22T00:00:00Z")),
            "Thu, 22 Jan 2026 00:00:00 GMT"
        );
    }

    #[test]
    fn every_error_has_a_reason() {
        for status in [400, 405, 418, 451, 599] {
            let r = api_error(status, "X", "d", vec![]);
            let ReplyBody::Json(v) = &r.body else {
                panic!()
            };
            assert!(v["reason"].is_string(), "{status}: {v}");
            assert!(v["parameters"].is_array());
        }
    }
}
