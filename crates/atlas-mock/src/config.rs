//! The mock's data file: the data set and every setting, in one JSON document.
//!
//! Its format is documented by the JSON Schema shipped in the crate
//! (`schema/mock-data.schema.json`, also [`MockConfig::JSON_SCHEMA`]). Every object is closed: an
//! unknown member is an error that names it and where it is. To grow the format (restore jobs,
//! dedicated clusters, service accounts), add the member to [`SETTINGS`] or to the data objects in
//! `data.rs`, read it in [`MockConfig::from_json`], and add it to the schema; the schema test checks
//! that both agree.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::access::IpAccessList;
use crate::auth::DigestSettings;
use crate::clock::ClockMode;
use crate::data::{Dataset, object};
use crate::downloads::DownloadSettings;
use crate::faults::FaultPlan;
use crate::lifecycle::Lifecycle;
use crate::limits::Limits;
use crate::oauth::{OAuthSettings, ServiceAccount};
use crate::ratelimit::RateLimit;
use crate::roles::Role;
use crate::{ApiKey, MockError};

/// Top-level members of a data file other than `groups` and `$schema`.
pub(crate) const SETTINGS: [&str; 16] = [
    "adminToken",
    "apiKeys",
    "clock",
    "digest",
    "downloads",
    "faults",
    "ipAccessList",
    "journal",
    "limits",
    "oauth",
    "onDemandSnapshotLifecycle",
    "rateLimit",
    "restoreLifecycle",
    "serviceAccounts",
    "sunset",
    "unauthenticatedRoute",
];

/// A data file: the data set and any settings, each optional (what is absent keeps the builder's
/// value). Apply it with [`crate::MockBuilder::config`]; the `mock` command's `--data FILE` reads one.
///
/// ```json
/// {
///   "$schema": "https://raw.githubusercontent.com/atlas-snapshots/atlas-snapshots/main/crates/atlas-mock/schema/mock-data.schema.json",
///   "groups": [ { "id": "5b69d0349b15c62cdfc38b78", "clusters": [ { "name": "FlexAWS", "kind": "flex", "snapshots": [] } ] } ],
///   "apiKeys": [ { "publicKey": "qzjtmbhe", "privateKey": "3f1c2a4e-8b7d-4c1a-9e2f-6d5b4a3c2b1a" },
///                { "publicKey": "limited", "privateKey": "secret2", "groups": ["5b69d0349b15c62cdfc38b78"],
///                  "ipAccessList": ["127.0.0.0/8"] } ],
///   "ipAccessList": ["0.0.0.0/0"],
///   "rateLimit": { "capacity": 100, "refillRate": 10, "refillPeriodSeconds": 1 },
///   "faults": { "seed": 7, "rules": [ { "fault": { "kind": "status", "status": 503 }, "limit": 2 } ] },
///   "digest": { "algorithms": ["MD5"], "qop": ["auth"], "nonceLifetimeSeconds": 300, "replayWindow": 64 },
///   "journal": { "capacity": 10000, "maxBytes": 8388608 },
///   "limits": { "maxConnections": 1024, "headerReadTimeoutMs": 10000, "maxHeaderBytes": 65536,
///               "maxBodyBytes": 65536, "drainTimeoutMs": 5000 },
///   "clock": { "mode": "manual", "start": "2026-12-01T00:00:00Z" },
///   "sunset": false,
///   "unauthenticatedRoute": false,
///   "downloads": { "linkLifetimeSeconds": 14400, "archiveSizeBytes": 1048576 },
///   "restoreLifecycle": { "queuedAfterMs": 10000, "runningAfterMs": 10000, "doneAfterMs": 60000,
///                         "outcome": "COMPLETED" },
///   "serviceAccounts": [ { "clientId": "mdb_sa_id_0123456789abcdef01234567",
///                          "clientSecret": "mdb_sa_sk_...", "roles": ["GROUP_READ_ONLY"] } ],
///   "oauth": { "tokenLifetimeSeconds": 3600, "maxLiveTokens": 100,
///              "tokenRateLimit": { "requests": 50, "minutes": 1 } }
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct MockConfig {
    /// `groups`: the data set.
    pub dataset: Option<Dataset>,
    /// `apiKeys`.
    pub api_keys: Vec<ApiKey>,
    /// `ipAccessList`: the server-wide IP access list.
    pub ip_access_list: Option<IpAccessList>,
    /// `rateLimit`.
    pub rate_limit: Option<RateLimit>,
    /// `faults`.
    pub faults: Option<FaultPlan>,
    /// `digest`.
    pub digest: Option<DigestSettings>,
    /// `journal.capacity`.
    pub journal_capacity: Option<usize>,
    /// `journal.maxBytes`.
    pub journal_max_bytes: Option<usize>,
    /// `limits`.
    pub limits: Option<Limits>,
    /// `clock.mode` (and `clock.stepMs`).
    pub clock_mode: Option<ClockMode>,
    /// `clock.start`: the wall time of the mock's time zero.
    pub clock_start: Option<DateTime<Utc>>,
    /// `sunset`.
    pub sunset: Option<bool>,
    /// `unauthenticatedRoute`.
    pub unauthenticated_route: Option<bool>,
    /// `adminToken`: a fixed admin token instead of a generated one.
    pub admin_token: Option<String>,
    /// `downloads`: link lifetime and default archive size.
    pub downloads: Option<DownloadSettings>,
    /// `restoreLifecycle`: the lifecycle of restore jobs started through the API.
    pub restore_lifecycle: Option<Lifecycle>,
    /// `serviceAccounts`.
    pub service_accounts: Vec<ServiceAccount>,
    /// `oauth`: token lifetime, live-token limit, the token endpoint's rate limit.
    pub oauth: Option<OAuthSettings>,
    /// `onDemandSnapshotLifecycle`: the lifecycle of on-demand snapshots of dedicated clusters.
    pub on_demand_snapshot_lifecycle: Option<Lifecycle>,
}

/// JSON form of an API key in a data file.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyFile {
    public_key: String,
    private_key: String,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    ip_access_list: Option<Vec<String>>,
    #[serde(default)]
    roles: Option<Vec<Role>>,
}

/// JSON form of a service account in a data file.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccountFile {
    client_id: String,
    client_secret: String,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    ip_access_list: Option<Vec<String>>,
    #[serde(default)]
    roles: Option<Vec<Role>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JournalFile {
    #[serde(default)]
    capacity: Option<usize>,
    #[serde(default)]
    max_bytes: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClockFile {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    step_ms: Option<u64>,
    #[serde(default)]
    start: Option<String>,
}

/// Reads a service account of a data file or an admin request (`at` names it in errors).
pub(crate) fn service_account_from_json(at: &str, v: &Value) -> Result<ServiceAccount, MockError> {
    let a: AccountFile = member(at, v)?;
    let mut sa = ServiceAccount::new(a.client_id, a.client_secret);
    if let Some(groups) = a.groups {
        let ids = groups
            .iter()
            .map(|g| {
                g.parse()
                    .map_err(|e| MockError::Data(format!("{at}.groups: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        sa = sa.groups(ids);
    }
    if let Some(list) = a.ip_access_list {
        sa = sa.access_list(access_list(&format!("{at}.ipAccessList"), &list)?);
    }
    if let Some(roles) = a.roles {
        sa = sa.roles(roles);
    }
    crate::oauth::check_account(&sa).map_err(|e| MockError::Data(format!("{at}: {e}")))?;
    Ok(sa)
}

fn member<T: serde::de::DeserializeOwned>(name: &str, v: &Value) -> Result<T, MockError> {
    serde_json::from_value(v.clone()).map_err(|e| MockError::Data(format!("{name}: {e}")))
}

fn access_list(at: &str, entries: &[String]) -> Result<IpAccessList, MockError> {
    entries
        .iter()
        .try_fold(IpAccessList::new(), |l, e| l.allow(e))
        .map_err(|e| MockError::Data(format!("{at}: {e}")))
}

/// Reads `clock`: `{"mode": "realTime" | "manual" | "stepped", "stepMs": N, "start": RFC 3339}`.
pub(crate) fn clock_mode(mode: &str, step_ms: Option<u64>) -> Result<ClockMode, MockError> {
    match (mode, step_ms) {
        ("realTime", None) => Ok(ClockMode::RealTime),
        ("manual", None) => Ok(ClockMode::Manual),
        ("stepped", Some(step_ms)) => Ok(ClockMode::Stepped { step_ms }),
        ("stepped", None) => Err(MockError::Data(
            "clock: mode \"stepped\" needs stepMs".into(),
        )),
        ("realTime" | "manual", Some(_)) => Err(MockError::Data(
            "clock: stepMs goes with mode \"stepped\" only".into(),
        )),
        (other, _) => Err(MockError::Data(format!(
            "clock: mode {other:?} is not \"realTime\", \"manual\" or \"stepped\""
        ))),
    }
}

impl MockConfig {
    /// The JSON Schema of the data file (draft 2020-12).
    pub const JSON_SCHEMA: &'static str = include_str!("../schema/mock-data.schema.json");

    /// Reads a data file.
    pub fn from_json(bytes: &[u8]) -> Result<Self, MockError> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| MockError::Data(format!("data file: {e}")))?;
        let known: Vec<&str> = ["$schema", "groups"].into_iter().chain(SETTINGS).collect();
        let m = object("data file", &v, &known)?;
        let mut c = MockConfig::default();
        if m.contains_key("groups") {
            c.dataset = Some(Dataset::from_groups(m.get("groups"))?);
        }
        if let Some(keys) = m.get("apiKeys") {
            let keys: Vec<KeyFile> = member("apiKeys", keys)?;
            for (i, k) in keys.into_iter().enumerate() {
                let at = format!("apiKeys[{i}]");
                let mut key = ApiKey::new(k.public_key, k.private_key);
                if let Some(groups) = k.groups {
                    let ids = groups
                        .iter()
                        .map(|g| {
                            g.parse()
                                .map_err(|e| MockError::Data(format!("{at}.groups: {e}")))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    key = key.groups(ids);
                }
                if let Some(list) = k.ip_access_list {
                    key = key.access_list(access_list(&format!("{at}.ipAccessList"), &list)?);
                }
                if let Some(roles) = k.roles {
                    key = key.roles(roles);
                }
                c.api_keys.push(key);
            }
        }
        if let Some(accounts) = m.get("serviceAccounts") {
            let Value::Array(accounts) = accounts else {
                return Err(MockError::Data("serviceAccounts: must be an array".into()));
            };
            for (i, a) in accounts.iter().enumerate() {
                c.service_accounts.push(service_account_from_json(
                    &format!("serviceAccounts[{i}]"),
                    a,
                )?);
            }
        }
        if let Some(o) = m.get("oauth") {
            c.oauth = Some(member("oauth", o)?);
        }
        if let Some(l) = m.get("onDemandSnapshotLifecycle") {
            c.on_demand_snapshot_lifecycle = Some(member("onDemandSnapshotLifecycle", l)?);
        }
        if let Some(list) = m.get("ipAccessList") {
            let list: Vec<String> = member("ipAccessList", list)?;
            c.ip_access_list = Some(access_list("ipAccessList", &list)?);
        }
        if let Some(r) = m.get("rateLimit") {
            c.rate_limit = Some(member("rateLimit", r)?);
        }
        if let Some(f) = m.get("faults") {
            c.faults = Some(member("faults", f)?);
        }
        if let Some(d) = m.get("digest") {
            c.digest = Some(member("digest", d)?);
        }
        if let Some(j) = m.get("journal") {
            let j: JournalFile = member("journal", j)?;
            c.journal_capacity = j.capacity;
            c.journal_max_bytes = j.max_bytes;
        }
        if let Some(l) = m.get("limits") {
            c.limits = Some(member("limits", l)?);
        }
        if let Some(clock) = m.get("clock") {
            let f: ClockFile = member("clock", clock)?;
            if let Some(mode) = &f.mode {
                c.clock_mode = Some(clock_mode(mode, f.step_ms)?);
            } else if f.step_ms.is_some() {
                return Err(MockError::Data(
                    "clock: stepMs goes with mode \"stepped\" only".into(),
                ));
            }
            if let Some(s) = f.start {
                c.clock_start = Some(atlas_model::parse_timestamp(&s).ok_or_else(|| {
                    MockError::Data(format!("clock.start: {s:?} is not an RFC 3339 time"))
                })?);
            }
        }
        if let Some(s) = m.get("sunset") {
            c.sunset = Some(member("sunset", s)?);
        }
        if let Some(s) = m.get("unauthenticatedRoute") {
            c.unauthenticated_route = Some(member("unauthenticatedRoute", s)?);
        }
        if let Some(t) = m.get("adminToken") {
            c.admin_token = Some(member("adminToken", t)?);
        }
        if let Some(d) = m.get("downloads") {
            c.downloads = Some(member("downloads", d)?);
        }
        if let Some(l) = m.get("restoreLifecycle") {
            c.restore_lifecycle = Some(member("restoreLifecycle", l)?);
        }
        Ok(c)
    }

    /// Reads a data file from disk.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, MockError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| MockError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&bytes).map_err(|e| match e {
            MockError::Data(m) => MockError::Data(format!("{}: {m}", path.display())),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_read_and_typos_are_named() {
        let c = MockConfig::from_json(
            br#"{"$schema":"x","groups":[],"apiKeys":[{"publicKey":"p","privateKey":"s","groups":["5b69d0349b15c62cdfc38b78"],"ipAccessList":["::1"]}],
                "ipAccessList":["0.0.0.0/0"],"rateLimit":{"capacity":5,"refillRate":1},
                "faults":{"rules":[{"fault":{"kind":"drop"}}]},"digest":{"nonceLifetimeSeconds":5},
                "journal":{"capacity":10,"maxBytes":100000},"limits":{"maxConnections":3},
                "clock":{"mode":"stepped","stepMs":250,"start":"2026-12-01T00:00:00Z"},
                "sunset":true,"unauthenticatedRoute":true,"adminToken":"t"}"#,
        )
        .unwrap();
        assert_eq!(c.dataset, Some(Dataset::empty()));
        assert_eq!(c.api_keys.len(), 1);
        assert!(c.api_keys[0].ip_access_list().is_some());
        assert_eq!(c.rate_limit.unwrap().capacity(), 5);
        assert_eq!(c.faults.unwrap().rules().len(), 1);
        assert_eq!(
            c.digest.unwrap().lifetime(),
            std::time::Duration::from_secs(5)
        );
        assert_eq!(
            (c.journal_capacity, c.journal_max_bytes),
            (Some(10), Some(100_000))
        );
        assert_eq!(c.limits.unwrap().max_connections, 3);
        assert_eq!(c.clock_mode, Some(ClockMode::Stepped { step_ms: 250 }));
        assert!(c.clock_start.is_some());
        assert_eq!(c.sunset, Some(true));
        assert_eq!(c.admin_token.as_deref(), Some("t"));
        for (bad, needle) in [
            (r#"{"sunst":true}"#, "`sunst`"),
            (r#"{"rateLimit":{"capacity":5,"refilRate":1}}"#, "refilRate"),
            (
                r#"{"apiKeys":[{"publicKey":"p","privateKey":"s","group":[]}]}"#,
                "group",
            ),
            (r#"{"clock":{"mode":"warp"}}"#, "warp"),
            (r#"{"digest":{"algorithms":["MD4"]}}"#, "MD4"),
            (r#"{"ipAccessList":["10.0.0.0/40"]}"#, "10.0.0.0/40"),
            (r#"{"limits":{"maxConections":1}}"#, "maxConections"),
        ] {
            let e = MockConfig::from_json(bad.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
