//! JSON output the way Atlas writes it: keys in alphabetical order, `pretty=true` as `"key" : value`.

use std::io;

use serde_json::ser::{Formatter, PrettyFormatter};
use serde_json::{Map, Value};

/// Recursively orders object keys alphabetically (Atlas answers with sorted keys).
pub(crate) fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// `PrettyFormatter` with Atlas' `" : "` between key and value.
struct AtlasPretty<'a>(PrettyFormatter<'a>);

impl Formatter for AtlasPretty<'_> {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b" : ")
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Serializes `v` with sorted keys, compact or Atlas-pretty.
pub(crate) fn to_bytes(v: Value, pretty: bool) -> Vec<u8> {
    let v = sorted(v);
    if pretty {
        let mut out = Vec::with_capacity(256);
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            AtlasPretty(PrettyFormatter::with_indent(b"  ")),
        );
        // Writing a `Value` into a `Vec` cannot fail.
        if serde::Serialize::serialize(&v, &mut ser).is_err() {
            return v.to_string().into_bytes();
        }
        out
    } else {
        v.to_string().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atlas_pretty() {
        let v = serde_json::json!({"status": "FAILED", "id": "x", "links": [{"rel": "self", "href": "h"}], "n": []});
        let s = String::from_utf8(to_bytes(v, true)).unwrap();
        assert_eq!(
            s,
            "{\n  \"id\" : \"x\",\n  \"links\" : [\n    {\n      \"href\" : \"h\",\n      \"rel\" : \"self\"\n    }\n  ],\n  \"n\" : [],\n  \"status\" : \"FAILED\"\n}"
        );
        let c = String::from_utf8(to_bytes(serde_json::json!({"b": 1, "a": 2}), false)).unwrap();
        assert_eq!(c, r#"{"a":2,"b":1}"#);
    }
}
