//! [`Raw`]: a decoded value together with the JSON text it was decoded from.

use std::fmt;

use atlas_model::ModelError;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// A value decoded from Atlas's JSON, kept next to that JSON exactly as it was received.
///
/// The typed [`value`](Self::value) is for code: statuses as [`SnapshotStatus`](crate::SnapshotStatus),
/// timestamps as `chrono` values. The [`json`](Self::json) is for output that must not change what
/// Atlas said: re-encoding a typed snapshot writes `COMPLETED` for a `"completed"` Atlas sent, and
/// `.120Z` for `.120000Z`, while [`json`](Self::json) keeps the bytes (whitespace around the value
/// aside). Serializing a `Raw` writes the JSON as received, not the typed value.
///
/// ```
/// use atlas_snapshots::{Raw, SnapshotStatus, TenantSnapshot};
/// let json = serde_json::value::RawValue::from_string(
///     r#"{"id":"5cc310ace5dc7ce369814bc8","status":"completed","finishTime":"2026-11-28T09:14:40.120000Z"}"#
///         .to_owned(),
/// )?;
/// let raw = Raw::<TenantSnapshot>::from_raw(json)?;
/// assert_eq!(raw.value().status, Some(SnapshotStatus::Completed));
/// assert!(raw.json().contains(r#""status":"completed""#));
/// assert!(serde_json::to_string(&raw)?.contains(".120000Z"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Raw<T> {
    value: T,
    json: Box<RawValue>,
}

impl<T> Raw<T> {
    /// Decodes `json` with `parse`, keeping both. Crate-internal so that `value` is always the
    /// decoding of `json`.
    pub(crate) fn decode<E>(
        json: &RawValue,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Self, E> {
        let value = parse(json.get())?;
        Ok(Raw {
            value,
            json: json.to_owned(),
        })
    }

    /// The typed value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The typed value, dropping the JSON.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The JSON text exactly as Atlas sent it.
    pub fn json(&self) -> &str {
        self.json.get()
    }

    /// The JSON as a [`RawValue`], e.g. to embed it unchanged in a document of your own.
    pub fn raw_value(&self) -> &RawValue {
        &self.json
    }

    /// The typed value and the JSON.
    pub fn into_parts(self) -> (T, Box<RawValue>) {
        (self.value, self.json)
    }
}

impl<T: crate::PageItem> Raw<T> {
    /// Decodes one snapshot (or restore job) from JSON text, keeping the text;
    /// [`RawValue::from_string`] makes the `RawValue` from a `String` (and checks that it is
    /// JSON). An [`AnySnapshot`](crate::AnySnapshot) made this way is read as a tenant
    /// snapshot, since the text alone does not say which endpoint sent it.
    ///
    /// # Errors
    ///
    /// The [`ModelError`] of [`atlas_model::parse_snapshot`] (with line and column) when `json`
    /// is not a snapshot.
    pub fn from_raw(json: Box<RawValue>) -> Result<Self, ModelError> {
        let value = T::decode(json.get().as_bytes(), None)?;
        Ok(Raw { value, json })
    }
}

impl<T> AsRef<T> for Raw<T> {
    fn as_ref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Raw<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value && self.json.get() == other.json.get()
    }
}

impl<T: fmt::Debug> fmt::Debug for Raw<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Raw")
            .field("value", &self.value)
            .field("json", &self.json.get())
            .finish()
    }
}

impl<T> Serialize for Raw<T> {
    /// Writes the JSON as received (with `serde_json`; other serializers see it as a string
    /// holding the JSON text).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atlas_model::TenantSnapshot;

    #[test]
    fn keeps_the_text_and_serializes_it_verbatim() {
        let text = r#"{ "id" : "5cc310ace5dc7ce369814bc8", "status":"completed", "startTime":"2026-11-28T09:14:40.120000Z", "sizeBytes": 1.50 }"#;
        let parse =
            |t: &str| Raw::<TenantSnapshot>::from_raw(RawValue::from_string(t.to_owned()).unwrap());
        let raw = parse(text).unwrap();
        assert_eq!(raw.json(), text);
        assert_eq!(serde_json::to_string(&raw).unwrap(), text);
        // Inside a document of ours, too.
        let doc = serde_json::to_string(&[&raw]).unwrap();
        assert_eq!(doc, format!("[{text}]"));
        assert_eq!(
            raw.value().status,
            Some(atlas_model::SnapshotStatus::Completed)
        );
        assert!(parse(r#"{"id":"nope"}"#).is_err());
        assert!(parse("[1]").is_err());
    }
}
