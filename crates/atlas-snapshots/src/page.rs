//! [`Page`] ([`SnapshotPage`], [`RestoreJobPage`]) and [`RejectedEntry`]: one page of a list
//! endpoint, decoded entry by entry.

use std::fmt;

use atlas_model::{AnySnapshot, CloudBackupSnapshot, Link, ModelError, RestoreJob, TenantSnapshot};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::{ClusterKind, Raw};

mod sealed {
    pub trait Sealed {}
    impl Sealed for atlas_model::TenantSnapshot {}
    impl Sealed for atlas_model::CloudBackupSnapshot {}
    impl Sealed for atlas_model::AnySnapshot {}
    impl Sealed for atlas_model::RestoreJob {}
}

/// What a list page holds: [`TenantSnapshot`], [`CloudBackupSnapshot`], [`AnySnapshot`] or
/// [`RestoreJob`]. Sealed.
pub trait PageItem: sealed::Sealed + Sized + Clone + fmt::Debug + Send + Sync + 'static {
    /// Decodes one entry that came from the endpoints of `kind` (`None`: not known).
    #[doc(hidden)]
    fn decode(json: &[u8], kind: Option<ClusterKind>) -> Result<Self, ModelError>;
    /// The entry's id, if it has one.
    #[doc(hidden)]
    fn id_str(&self) -> Option<&str>;
}

impl PageItem for TenantSnapshot {
    fn decode(json: &[u8], _: Option<ClusterKind>) -> Result<Self, ModelError> {
        atlas_model::parse_snapshot(json)
    }
    fn id_str(&self) -> Option<&str> {
        self.id.as_ref().map(|i| i.as_str())
    }
}

impl PageItem for CloudBackupSnapshot {
    fn decode(json: &[u8], _: Option<ClusterKind>) -> Result<Self, ModelError> {
        atlas_model::parse_cloud_snapshot(json)
    }
    fn id_str(&self) -> Option<&str> {
        self.id.as_ref().map(|i| i.as_str())
    }
}

/// Decoded by the kind of the endpoint that sent it: a dedicated cluster's endpoint sends
/// [`AnySnapshot::Dedicated`], a flex one [`AnySnapshot::Flex`], and a tenant one (or an
/// unknown source) [`AnySnapshot::Tenant`].
impl PageItem for AnySnapshot {
    fn decode(json: &[u8], kind: Option<ClusterKind>) -> Result<Self, ModelError> {
        Ok(match kind {
            Some(ClusterKind::Dedicated) => {
                AnySnapshot::Dedicated(atlas_model::parse_cloud_snapshot(json)?)
            }
            Some(ClusterKind::Flex) => AnySnapshot::Flex(atlas_model::parse_snapshot(json)?),
            Some(ClusterKind::Tenant) | None => {
                AnySnapshot::Tenant(atlas_model::parse_snapshot(json)?)
            }
        })
    }
    fn id_str(&self) -> Option<&str> {
        self.id().map(|i| i.as_str())
    }
}

impl PageItem for RestoreJob {
    fn decode(json: &[u8], _: Option<ClusterKind>) -> Result<Self, ModelError> {
        atlas_model::parse_restore_job(json)
    }
    fn id_str(&self) -> Option<&str> {
        self.id.as_ref().map(|i| i.as_str())
    }
}

/// One page of tenant or flex snapshots.
pub type SnapshotPage = Page<TenantSnapshot>;

/// One page of a dedicated cluster's cloud backup snapshots.
pub type CloudSnapshotPage = Page<CloudBackupSnapshot>;

/// One page of snapshots of a cluster of any kind (from [`AtlasClient::snapshots`](crate::AtlasClient::snapshots)).
pub type AnySnapshotPage = Page<AnySnapshot>;

/// One page of restore jobs.
pub type RestoreJobPage = Page<RestoreJob>;

/// One page of a list: `{"results": [...], "totalCount": N, "links": [...]}`.
///
/// Every entry of `results` is decoded on its own: the ones that decode are in
/// [`items`](Self::items) (typed, with their JSON exactly as received), the ones that do
/// not (an id of an unexpected shape, a malformed timestamp ...) are in
/// [`rejected`](Self::rejected) with their position and the reason, so one odd entry never costs
/// the others.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page number this page was asked for (`pageNum`, from 1).
    pub page_num: u32,
    /// The entries that decoded, in the order Atlas sent them.
    pub items: Vec<Raw<T>>,
    /// The entries that did not decode, in order.
    pub rejected: Vec<RejectedEntry>,
    /// `totalCount`, when Atlas sent it (it is absent with `includeCount=false`). Atlas documents
    /// it as an estimate.
    pub total_count: Option<u64>,
    /// `links`: related pages (`self`, `next`, `previous`).
    pub links: Vec<Link>,
    /// Every other field of the page, kept as received.
    pub extra: Map<String, Value>,
}

impl<T: PageItem> Page<T> {
    /// The `href` of the link with `rel` `next`, if any.
    pub fn next_href(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.rel == "next")
            .map(|l| l.href.as_str())
    }

    /// How many entries `results` had: decoded and rejected.
    pub fn entry_count(&self) -> usize {
        self.items.len() + self.rejected.len()
    }

    /// The typed entries, dropping their JSON.
    pub fn into_values(self) -> Vec<T> {
        self.items.into_iter().map(Raw::into_value).collect()
    }

    /// Every entry of `results` as received, in the order Atlas sent them, the rejected ones
    /// included: the page's own list, for output that must not drop or change anything.
    pub fn entries_json(&self) -> Vec<&RawValue> {
        let mut slots: Vec<Option<&RawValue>> = vec![None; self.entry_count()];
        for r in &self.rejected {
            if let Some(slot) = slots.get_mut(r.index) {
                *slot = Some(&r.json);
            }
        }
        let mut decoded = self.items.iter().map(Raw::raw_value);
        slots
            .into_iter()
            .filter_map(|slot| slot.or_else(|| decoded.next()))
            .collect()
    }

    /// What identifies each entry, in order: its id, or its JSON when it has none (or when it
    /// was rejected). Two pages with the same identity are the same page.
    pub(crate) fn identity(&self) -> Vec<String> {
        let ids: std::collections::HashMap<&str, &str> = self
            .items
            .iter()
            .filter_map(|s| Some((s.json(), s.value().id_str()?)))
            .collect();
        self.entries_json()
            .into_iter()
            .map(|e| ids.get(e.get()).copied().unwrap_or(e.get()).to_owned())
            .collect()
    }

    /// Sets the page number on the page and on its rejected entries.
    pub(crate) fn numbered(mut self, page_num: u32) -> Self {
        self.page_num = page_num;
        for r in &mut self.rejected {
            r.page_num = page_num;
        }
        self
    }
}

/// An entry of a page's `results` that is not a snapshot this crate can decode.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RejectedEntry {
    /// The page it was on.
    pub page_num: u32,
    /// Its position in that page's `results`, from 0.
    pub index: usize,
    /// Why it did not decode (the position is within the entry).
    pub error: ModelError,
    /// The entry exactly as received.
    pub json: Box<RawValue>,
}

impl RejectedEntry {
    /// The entry's `id` as sent, when it is a string: for messages, since it may not be a valid
    /// [`SnapshotId`](crate::SnapshotId).
    pub fn id_text(&self) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct IdOnly {
            id: Option<Value>,
        }
        match serde_json::from_str::<IdOnly>(self.json.get()).ok()?.id? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl PartialEq for RejectedEntry {
    fn eq(&self, other: &Self) -> bool {
        self.page_num == other.page_num
            && self.index == other.index
            && self.error == other.error
            && self.json.get() == other.json.get()
    }
}

impl fmt::Display for RejectedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {} of page {}", self.index, self.page_num)?;
        if let Some(id) = self.id_text() {
            write!(f, " (id {id:?})")?;
        }
        write!(f, ": {}", self.error)
    }
}

/// The top-level fields of a JSON object, in order, undecoded.
struct RawFields<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawFields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = RawFields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a page object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFields<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(RawFields(out))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

/// Whether a top-level `status` belongs to a flat envelope (`{"status": 200, "results": ...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A page as it is.
    Plain,
    /// A page whose fields sit next to the envelope's `status`, which is dropped.
    FlatEnvelope,
}

/// Decodes a page body. A body that is not a page object fails as a whole (with the position
/// `atlas-model` reports, when it reports one); a bad entry only rejects that entry.
pub(crate) fn parse_page<T: PageItem>(
    body: &[u8],
    shape: Shape,
    kind: Option<ClusterKind>,
) -> Result<Page<T>, Option<ModelError>> {
    let whole_error = || atlas_model::parse_page_shape(body).err();
    let fields: RawFields<'_> = serde_json::from_slice(body).map_err(|_| whole_error())?;
    let mut page = Page {
        page_num: 0,
        items: Vec::new(),
        rejected: Vec::new(),
        total_count: None,
        links: Vec::new(),
        extra: Map::new(),
    };
    let mut results: Vec<&RawValue> = Vec::new();
    for (key, value) in fields.0 {
        let text = value.get();
        match key.as_str() {
            "results" => {
                results = serde_json::from_str::<Option<Vec<&RawValue>>>(text)
                    .map_err(|_| whole_error())?
                    .unwrap_or_default();
            }
            "totalCount" => {
                page.total_count =
                    serde_json::from_str::<Option<u64>>(text).map_err(|_| whole_error())?;
            }
            "links" => {
                page.links = serde_json::from_str::<Option<Vec<Link>>>(text)
                    .map_err(|_| whole_error())?
                    .unwrap_or_default();
            }
            "status" if shape == Shape::FlatEnvelope => {}
            _ => {
                let v: Value = serde_json::from_str(text).map_err(|_| whole_error())?;
                page.extra.insert(key, v);
            }
        }
    }
    for (index, entry) in results.into_iter().enumerate() {
        match Raw::decode(entry, |json| T::decode(json.as_bytes(), kind)) {
            Ok(item) => page.items.push(item),
            Err(error) => page.rejected.push(RejectedEntry {
                page_num: 0,
                index,
                error,
                json: entry.to_owned(),
            }),
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_decode_one_by_one_and_keep_their_text() {
        let body = br#"{"results":[{"id":"000000000000000000000001","status":"completed"},{"id":"not-an-id"},{"status":"QUEUED"}],"totalCount":3,"links":null,"extraField":[1]}"#;
        let page: SnapshotPage = parse_page(body, Shape::Plain, None).unwrap().numbered(4);
        assert_eq!(page.items.len(), 2);
        assert_eq!(
            page.items[0].json(),
            r#"{"id":"000000000000000000000001","status":"completed"}"#
        );
        assert_eq!(page.rejected.len(), 1);
        let r = &page.rejected[0];
        assert_eq!((r.page_num, r.index), (4, 1));
        assert_eq!(r.id_text().as_deref(), Some("not-an-id"));
        let text = r.to_string();
        assert!(
            text.starts_with(r#"entry 1 of page 4 (id "not-an-id"): cannot decode snapshot"#),
            "{text}"
        );
        assert_eq!(page.total_count, Some(3));
        assert!(page.links.is_empty());
        assert_eq!(page.extra["extraField"], serde_json::json!([1]));
        let entries: Vec<&str> = page.entries_json().iter().map(|e| e.get()).collect();
        assert_eq!(
            entries,
            [
                r#"{"id":"000000000000000000000001","status":"completed"}"#,
                r#"{"id":"not-an-id"}"#,
                r#"{"status":"QUEUED"}"#
            ]
        );
        assert_eq!(
            page.identity(),
            [
                "000000000000000000000001".to_owned(),
                r#"{"id":"not-an-id"}"#.to_owned(),
                r#"{"status":"QUEUED"}"#.to_owned()
            ]
        );
    }

    #[test]
    fn whole_page_errors_and_flat_envelopes() {
        for bad in [
            &b"<html>"[..],
            b"[1,2]",
            br#"{"results":{}}"#,
            br#"{"totalCount":-1}"#,
        ] {
            assert!(
                parse_page::<TenantSnapshot>(bad, Shape::Plain, None).is_err(),
                "{bad:?}"
            );
        }
        let e = parse_page::<TenantSnapshot>(b"{\n\"results\": [", Shape::Plain, None)
            .unwrap_err()
            .unwrap();
        assert_eq!(e.line(), 2);
        let flat = br#"{"status":200,"results":[],"totalCount":0}"#;
        assert!(
            parse_page::<TenantSnapshot>(flat, Shape::FlatEnvelope, None)
                .unwrap()
                .extra
                .is_empty()
        );
        assert!(
            parse_page::<RestoreJob>(flat, Shape::Plain, None)
                .unwrap()
                .extra
                .contains_key("status")
        );
    }
}
