//! Restore jobs of flex clusters: restores into a cluster (`RESTORE`) and downloads (`DOWNLOAD`).
//!
//! A job made through the API follows the restore lifecycle from its creation (by default
//! `PENDING` for 10 s, `RUNNING` until 60 s, then `COMPLETED`, the order observed on Atlas; see
//! [`crate::MockBuilder::restore_lifecycle`]); `restoreFinishedDate` appears only once it is done. A
//! download job is `COMPLETED` at once and carries its pre-signed `snapshotUrl` and
//! `expirationDate`. Jobs from a data file are served as written, or follow their own `lifecycle`.

use std::time::Duration;

use atlas_model::{ClusterName, GroupId, SnapshotId};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::object;
use crate::MockError;
use crate::clock::{MockClock, whole_seconds};
use crate::lifecycle::{Anchor, Lifecycle};

/// Most restore jobs kept per cluster; beyond it the oldest are forgotten.
pub(crate) const MAX_RESTORE_JOBS: usize = 10_000;

/// How a job delivers the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    Restore,
    Download,
}

impl Delivery {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Delivery::Restore => "RESTORE",
            Delivery::Download => "DOWNLOAD",
        }
    }
}

/// One restore job.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredRestoreJob {
    /// 24 lower-case hex digits.
    pub(crate) id: String,
    pub(crate) delivery: Delivery,
    pub(crate) snapshot_id: SnapshotId,
    pub(crate) snapshot_finished: Option<DateTime<Utc>>,
    pub(crate) target_deployment: Option<String>,
    pub(crate) target_project: Option<GroupId>,
    /// Mock-clock time of creation; `None` for jobs of the data file (the server start).
    pub(crate) created: Option<Duration>,
    pub(crate) lifecycle: Option<Lifecycle>,
    /// As given in a data file (without a lifecycle; default `COMPLETED`).
    pub(crate) status: Option<String>,
    pub(crate) scheduled: Option<DateTime<Utc>>,
    pub(crate) finished: Option<DateTime<Utc>>,
    pub(crate) expiration: Option<DateTime<Utc>>,
    /// The download link's token (`DOWNLOAD` jobs).
    pub(crate) link: Option<String>,
    pub(crate) extra: Map<String, Value>,
}

/// Atlas's timestamp form: whole seconds, `Z`.
pub(crate) fn wire_time(t: DateTime<Utc>) -> String {
    whole_seconds(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Whether `s` is a valid `targetDeploymentItemName`: `^[\p{L}\p{N}\-_.(),:&@+']{1,64}$`.
pub(crate) fn valid_deployment_name(s: &str) -> bool {
    let n = s.chars().count();
    (1..=64).contains(&n)
        && s.chars()
            .all(|c| c.is_alphabetic() || c.is_numeric() || "-_.(),:&@+'".contains(c))
}

/// Whether `s` is 24 lower-case hex digits (a restore job id).
pub(crate) fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What a served job needs to know about where it is.
pub(crate) struct JobPlace<'a> {
    pub(crate) base: &'a str,
    pub(crate) group: &'a GroupId,
    pub(crate) cluster: &'a ClusterName,
    pub(crate) snapshot_url: Option<String>,
}

const FIELDS: [&str; 12] = [
    "deliveryType",
    "expirationDate",
    "extraFields",
    "id",
    "lifecycle",
    "restoreFinishedDate",
    "restoreScheduledDate",
    "snapshotFinishedDate",
    "snapshotId",
    "status",
    "targetDeploymentItemName",
    "targetProjectId",
];

impl StoredRestoreJob {
    /// The anchor and phase offsets of the job at mock-clock time `now`.
    fn anchor(&self) -> Duration {
        match (self.lifecycle.map(|l| l.anchor()), self.created) {
            (Some(Anchor::ServerStart), _) | (_, None) => Duration::ZERO,
            (_, Some(t)) => t,
        }
    }

    /// The status as served at mock-clock time `now`.
    pub(crate) fn status_at(&self, now: Duration) -> String {
        match self.lifecycle {
            Some(l) => l
                .phase_at(now.saturating_sub(self.anchor()))
                .as_str()
                .to_owned(),
            None => self.status.clone().unwrap_or_else(|| "COMPLETED".into()),
        }
    }

    /// The job as Atlas serves it at mock-clock time `now`.
    pub(crate) fn view(&self, clock: &MockClock, now: Duration, at: &JobPlace<'_>) -> Value {
        let anchor = self.anchor();
        let status = self.status_at(now);
        let finished = match self.lifecycle {
            Some(l) => l
                .phase_at(now.saturating_sub(anchor))
                .is_terminal()
                .then(|| clock.at(anchor + l.done_at())),
            None => self.finished,
        };
        let mut m = self.extra.clone();
        m.insert("deliveryType".into(), json!(self.delivery.as_str()));
        m.insert("id".into(), json!(self.id));
        m.insert("instanceName".into(), json!(at.cluster.as_str()));
        m.insert("projectId".into(), json!(at.group.as_str()));
        m.insert(
            "restoreScheduledDate".into(),
            json!(wire_time(
                self.scheduled.unwrap_or_else(|| clock.at(anchor))
            )),
        );
        if let Some(f) = finished {
            m.insert("restoreFinishedDate".into(), json!(wire_time(f)));
        }
        if let Some(f) = self.snapshot_finished {
            m.insert("snapshotFinishedDate".into(), json!(wire_time(f)));
        }
        m.insert("snapshotId".into(), json!(self.snapshot_id.as_str()));
        m.insert("status".into(), json!(status));
        if let Some(t) = &self.target_deployment {
            m.insert("targetDeploymentItemName".into(), json!(t));
        }
        if self.delivery == Delivery::Restore {
            let p = self.target_project.as_ref().unwrap_or(at.group);
            m.insert("targetProjectId".into(), json!(p.as_str()));
        }
        if let Some(e) = self.expiration {
            m.insert("expirationDate".into(), json!(wire_time(e)));
        }
        if let Some(u) = &at.snapshot_url {
            m.insert("snapshotUrl".into(), json!(u));
        }
        m.insert(
            "links".into(),
            json!([{
                "href": format!(
                    "{}/api/atlas/v2/groups/{}/flexClusters/{}/backup/restoreJobs/{}",
                    at.base, at.group, at.cluster, self.id
                ),
                "rel": "self"
            }]),
        );
        Value::Object(m)
    }

    /// Reads a job of a data file (`at` names it in errors).
    pub(crate) fn from_json(at: &str, v: &Value) -> Result<Self, MockError> {
        let m = object(at, v, &FIELDS)?;
        let bad = |field: &str, why: &str| MockError::Data(format!("{at}.{field}: {why}"));
        let string = |field: &str| -> Result<Option<&str>, MockError> {
            match m.get(field) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(bad(field, "must be a string")),
            }
        };
        let time = |field: &str| -> Result<Option<DateTime<Utc>>, MockError> {
            string(field)?
                .map(|s| {
                    atlas_model::parse_timestamp(s).ok_or_else(|| {
                        bad(
                            field,
                            "must be an RFC 3339 time such as 2024-11-20T08:00:00Z",
                        )
                    })
                })
                .transpose()
        };
        let id = string("id")?.ok_or_else(|| bad("id", "a restore job needs an id"))?;
        if !is_object_id(id) {
            return Err(bad("id", "must be 24 lower-case hex digits"));
        }
        let delivery = match string("deliveryType")? {
            None | Some("RESTORE") => Delivery::Restore,
            Some("DOWNLOAD") => Delivery::Download,
            Some(other) => {
                return Err(bad(
                    "deliveryType",
                    &format!("{other:?} is not \"RESTORE\" or \"DOWNLOAD\""),
                ));
            }
        };
        let snapshot_id: SnapshotId = string("snapshotId")?
            .ok_or_else(|| bad("snapshotId", "a restore job needs the id of its snapshot"))?
            .parse()
            .map_err(|e: atlas_model::IdError| bad("snapshotId", &e.to_string()))?;
        let target_deployment = string("targetDeploymentItemName")?.map(str::to_owned);
        if let Some(t) = &target_deployment {
            if !valid_deployment_name(t) {
                return Err(bad(
                    "targetDeploymentItemName",
                    "must match ^[\\p{L}\\p{N}\\-_.(),:&@+']{1,64}$",
                ));
            }
        }
        match (delivery, &target_deployment) {
            (Delivery::Restore, None) => {
                return Err(bad(
                    "targetDeploymentItemName",
                    "a RESTORE job needs the cluster it restores to",
                ));
            }
            (Delivery::Download, Some(_)) => {
                return Err(bad(
                    "targetDeploymentItemName",
                    "a DOWNLOAD job restores to no cluster",
                ));
            }
            _ => {}
        }
        let target_project = string("targetProjectId")?
            .map(|s| {
                s.parse::<GroupId>()
                    .map_err(|e| bad("targetProjectId", &e.to_string()))
            })
            .transpose()?;
        let lifecycle = m
            .get("lifecycle")
            .map(|l| {
                serde_json::from_value::<Lifecycle>(l.clone())
                    .map_err(|e| MockError::Data(format!("{at}.lifecycle: {e}")))
            })
            .transpose()?;
        let status = string("status")?.map(str::to_owned);
        if lifecycle.is_some() && status.is_some() {
            return Err(bad("status", "give a status or a lifecycle, not both"));
        }
        let extra = match m.get("extraFields") {
            None => Map::new(),
            Some(Value::Object(x)) => x.clone(),
            Some(_) => return Err(bad("extraFields", "must be an object")),
        };
        if let Some(k) = extra.keys().find(|k| {
            FIELDS.contains(&k.as_str())
                || ["instanceName", "projectId", "snapshotUrl", "links"].contains(&k.as_str())
        }) {
            return Err(bad(
                "extraFields",
                &format!("`{k}` is a field the mock sets; set it directly"),
            ));
        }
        Ok(Self {
            id: id.to_owned(),
            delivery,
            snapshot_id,
            snapshot_finished: time("snapshotFinishedDate")?,
            target_deployment,
            target_project,
            created: None,
            lifecycle,
            status,
            scheduled: time("restoreScheduledDate")?,
            finished: time("restoreFinishedDate")?,
            expiration: time("expirationDate")?,
            link: None,
            extra,
        })
    }

    /// The data-file form.
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("deliveryType".into(), json!(self.delivery.as_str()));
        m.insert("snapshotId".into(), json!(self.snapshot_id.as_str()));
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        };
        put("targetDeploymentItemName", self.target_deployment.clone());
        put(
            "targetProjectId",
            self.target_project.as_ref().map(ToString::to_string),
        );
        put("status", self.status.clone());
        put("restoreScheduledDate", self.scheduled.map(wire_time));
        put("restoreFinishedDate", self.finished.map(wire_time));
        put(
            "snapshotFinishedDate",
            self.snapshot_finished.map(wire_time),
        );
        put("expirationDate", self.expiration.map(wire_time));
        if let Some(l) = self.lifecycle {
            m.insert(
                "lifecycle".into(),
                serde_json::to_value(l).unwrap_or_default(),
            );
        }
        if !self.extra.is_empty() {
            m.insert("extraFields".into(), Value::Object(self.extra.clone()));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_names_follow_the_spec_pattern() {
        for ok in [
            "FlexRestored",
            "a",
            "Ünïcødé-1",
            "x.(y),z:&@+'_",
            &"a".repeat(64),
        ] {
            assert!(valid_deployment_name(ok), "{ok}");
        }
        for bad in ["", "a b", "a/b", "a?b", &"a".repeat(65), "tab\t"] {
            assert!(!valid_deployment_name(bad), "{bad}");
        }
    }

    #[test]
    fn data_file_jobs_round_trip_and_typos_are_named() {
        let v = json!({"id": "6751c0ffee0000000000a001", "snapshotId": "6740a1f2c3d4e5f6a7b8c901",
            "targetDeploymentItemName": "FlexRestored", "status": "CLOSED",
            "restoreScheduledDate": "2024-11-21T09:00:00Z", "extraFields": {"future": 1}});
        let j = StoredRestoreJob::from_json("j", &v).unwrap();
        assert_eq!(j.status_at(Duration::ZERO), "CLOSED");
        let again = StoredRestoreJob::from_json("j", &j.to_json()).unwrap();
        assert_eq!(again, j);
        for (bad, needle) in [
            (
                json!({"id": "6751c0ffee0000000000a001", "snapshotId": "6740a1f2c3d4e5f6a7b8c901", "targetDeploymentItemName": "x", "staus": "X"}),
                "staus",
            ),
            (
                json!({"id": "nothex", "snapshotId": "6740a1f2c3d4e5f6a7b8c901", "targetDeploymentItemName": "x"}),
                "id",
            ),
            (
                json!({"id": "6751c0ffee0000000000a001", "snapshotId": "6740a1f2c3d4e5f6a7b8c901"}),
                "targetDeploymentItemName",
            ),
            (
                json!({"id": "6751c0ffee0000000000a001", "snapshotId": "6740a1f2c3d4e5f6a7b8c901", "deliveryType": "DOWNLOAD", "targetDeploymentItemName": "x"}),
                "DOWNLOAD",
            ),
            (
                json!({"id": "6751c0ffee0000000000a001", "snapshotId": "6740a1f2c3d4e5f6a7b8c901", "targetDeploymentItemName": "a b"}),
                "targetDeploymentItemName",
            ),
        ] {
            let e = StoredRestoreJob::from_json("j", &bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
