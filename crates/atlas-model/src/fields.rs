//! Field decoders shared by the snapshot models: typed values read inside the JSON
//! deserializer, so that an error names the field and carries the position of the value.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserializer;
use serde::de::{self, Visitor};

use crate::{SnapshotId, parse_timestamp};

/// Decodes an optional string field through `parse`, inside the JSON deserializer, so that an
/// error names the field and carries the position of the offending value.
pub(crate) struct ParsedField<T> {
    field: &'static str,
    parse: fn(&str) -> Result<T, String>,
}

impl<'de, T> de::DeserializeSeed<'de> for ParsedField<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, T> Visitor<'de> for ParsedField<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string or null for `{}`", self.field)
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_str(self)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<T>, E> {
        (self.parse)(s)
            .map(Some)
            .map_err(|why| E::custom(format_args!("field `{}`: {why}", self.field)))
    }
}

pub(crate) fn timestamp(field: &'static str) -> ParsedField<DateTime<Utc>> {
    ParsedField {
        field,
        parse: |s| {
            parse_timestamp(s).ok_or_else(|| {
                format!("{s:?} is not an ISO 8601 date-time such as 2019-04-26T14:08:07Z")
            })
        },
    }
}

pub(crate) fn snapshot_id() -> ParsedField<SnapshotId> {
    ParsedField {
        field: "id",
        parse: |s| s.parse().map_err(|e: crate::IdError| e.to_string()),
    }
}
