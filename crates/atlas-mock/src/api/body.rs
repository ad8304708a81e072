//! Request bodies of the `POST` routes: a JSON object, read the way Atlas reads them.
//!
//! `Content-Type` must be JSON (`application/json` or `application/vnd.atlas.YYYY-MM-DD+json`,
//! what the versioned API asks for), else `415 UNSUPPORTED_MEDIA_TYPE` (the mock's choice); a body
//! that is not JSON is `400 INVALID_JSON`; an unknown member `400 INVALID_ATTRIBUTE`; a missing one
//! `400 MISSING_ATTRIBUTE`. An empty body is an empty object.

use http::header;
use serde_json::{Map, Value, json};

use super::ApiCtx;
use crate::server::reply::{Reply, boxed_error};

fn is_json(media: &str) -> bool {
    let m = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    m == "application/json" || (m.starts_with("application/vnd.atlas.") && m.ends_with("+json"))
}

/// The body as a JSON object whose members are all in `known`.
pub(crate) fn json_object(
    ctx: &ApiCtx<'_>,
    known: &[&str],
) -> Result<Map<String, Value>, Box<Reply>> {
    let body = &ctx.body;
    if !body.iter().all(u8::is_ascii_whitespace) {
        let media = ctx
            .parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !media.is_some_and(is_json) {
            return Err(boxed_error(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "The request body must be JSON: send Content-Type: application/vnd.atlas.2024-11-13+json (or the version you accept).",
                vec![json!(media.unwrap_or(""))],
            ));
        }
    }
    let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body)
            .map_err(|_| boxed_error(400, "INVALID_JSON", "Received JSON is malformed.", vec![]))?
    };
    let Value::Object(m) = v else {
        return Err(boxed_error(
            400,
            "INVALID_JSON",
            "Received JSON does not match the expected format: an object.",
            vec![],
        ));
    };
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(invalid_attribute(k, "is not an attribute of this request"));
    }
    Ok(m)
}

/// `400 INVALID_ATTRIBUTE` naming `name`.
pub(crate) fn invalid_attribute(name: &str, why: &str) -> Box<Reply> {
    let shown = crate::journal::cut(name, 128);
    boxed_error(
        400,
        "INVALID_ATTRIBUTE",
        format!("Invalid attribute {shown} specified: {why}."),
        vec![json!(shown)],
    )
}

/// A string member: `Ok(None)` when absent, `INVALID_ATTRIBUTE` when not a string.
pub(crate) fn optional_str<'m>(
    m: &'m Map<String, Value>,
    name: &str,
) -> Result<Option<&'m str>, Box<Reply>> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid_attribute(name, "must be a string")),
    }
}

/// A required string member: `MISSING_ATTRIBUTE` when absent.
pub(crate) fn required_str<'m>(
    m: &'m Map<String, Value>,
    name: &str,
) -> Result<&'m str, Box<Reply>> {
    optional_str(m, name)?.ok_or_else(|| {
        boxed_error(
            400,
            "MISSING_ATTRIBUTE",
            format!("The required attribute {name} was not specified."),
            vec![json!(name)],
        )
    })
}
