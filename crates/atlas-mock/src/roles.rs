//! Atlas roles of API keys and service accounts, and what each lets a caller do on the backup routes.
//!
//! A key or service account without roles has [`Role::GroupOwner`] (it may do everything), so data
//! written before roles existed keeps working. With roles, every backup route checks one
//! [`Permission`]; a caller without it is answered the way Atlas answers a role it lacks:
//! `401 USER_UNAUTHORIZED` "Current user is not authorized to perform this action." (observed on
//! Atlas for API keys without the role; no `WWW-Authenticate`, so a digest client does not retry).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::MockError;

/// An Atlas role (the API names; organization roles grant project access as Atlas's do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Role {
    /// `ORG_OWNER`: everything in every project.
    OrgOwner,
    /// `ORG_READ_ONLY`: reads in every project.
    OrgReadOnly,
    /// `GROUP_OWNER` (Project Owner): everything.
    GroupOwner,
    /// `GROUP_READ_ONLY` (Project Read Only): reads only.
    GroupReadOnly,
    /// `GROUP_CLUSTER_MANAGER` (Project Cluster Manager): reads (backups are not its business).
    GroupClusterManager,
    /// `GROUP_BACKUP_MANAGER` (Project Backup Manager): every backup operation.
    GroupBackupManager,
    /// `GROUP_BACKUP_CREATOR` (Project Backup Creator): reads, on-demand snapshots.
    GroupBackupCreator,
    /// `GROUP_BACKUP_RECOVERY_OPERATOR` (Project Backup Recovery Operator): reads, restores.
    GroupBackupRecoveryOperator,
    /// `GROUP_BACKUP_EXPORT_OPERATOR` (Project Backup Export Operator): reads, downloads.
    GroupBackupExportOperator,
}

/// What a backup route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(
    dead_code,
    reason = "the dedicated-cluster routes arrive in the next commits"
)]
pub(crate) enum Permission {
    /// Every `GET`: any role.
    Read,
    /// `POST .../flexClusters/{name}/backup/download`.
    Export,
    /// `POST .../flexClusters/{name}/backup/restoreJobs`.
    Restore,
    /// `POST .../clusters/{name}/backup/snapshots` (an on-demand snapshot).
    TakeSnapshot,
    /// `DELETE .../clusters/{name}/backup/snapshots/{id}`.
    DeleteSnapshot,
}

const NAMES: [(Role, &str); 9] = [
    (Role::OrgOwner, "ORG_OWNER"),
    (Role::OrgReadOnly, "ORG_READ_ONLY"),
    (Role::GroupOwner, "GROUP_OWNER"),
    (Role::GroupReadOnly, "GROUP_READ_ONLY"),
    (Role::GroupClusterManager, "GROUP_CLUSTER_MANAGER"),
    (Role::GroupBackupManager, "GROUP_BACKUP_MANAGER"),
    (Role::GroupBackupCreator, "GROUP_BACKUP_CREATOR"),
    (
        Role::GroupBackupRecoveryOperator,
        "GROUP_BACKUP_RECOVERY_OPERATOR",
    ),
    (
        Role::GroupBackupExportOperator,
        "GROUP_BACKUP_EXPORT_OPERATOR",
    ),
];

impl Role {
    /// Every role the mock knows.
    pub const ALL: [Role; 9] = [
        Role::OrgOwner,
        Role::OrgReadOnly,
        Role::GroupOwner,
        Role::GroupReadOnly,
        Role::GroupClusterManager,
        Role::GroupBackupManager,
        Role::GroupBackupCreator,
        Role::GroupBackupRecoveryOperator,
        Role::GroupBackupExportOperator,
    ];

    /// The API name (`GROUP_READ_ONLY`, ...).
    pub fn as_str(self) -> &'static str {
        NAMES
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("GROUP_OWNER", |(_, n)| n)
    }

    fn allows(self, p: Permission) -> bool {
        use Permission as P;
        match self {
            Role::OrgOwner | Role::GroupOwner | Role::GroupBackupManager => true,
            Role::OrgReadOnly | Role::GroupReadOnly | Role::GroupClusterManager => p == P::Read,
            Role::GroupBackupCreator => matches!(p, P::Read | P::TakeSnapshot),
            Role::GroupBackupRecoveryOperator => matches!(p, P::Read | P::Restore),
            Role::GroupBackupExportOperator => matches!(p, P::Read | P::Export),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = MockError;

    fn from_str(s: &str) -> Result<Self, MockError> {
        NAMES
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(r, _)| *r)
            .ok_or_else(|| {
                let hint = NAMES
                    .iter()
                    .find(|(_, n)| n.eq_ignore_ascii_case(s))
                    .map(|(_, n)| format!(" (did you mean {n}?)"))
                    .unwrap_or_default();
                MockError::InvalidConfig(format!(
                    "unknown role {s:?}{hint}; one of {}",
                    NAMES.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
                ))
            })
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether `roles` (`None`: never restricted, i.e. owner) grant `p`.
pub(crate) fn allowed(roles: Option<&[Role]>, p: Permission) -> bool {
    roles.is_none_or(|r| r.iter().any(|role| role.allows(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_typos_are_named() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        let e = "group_read_only".parse::<Role>().unwrap_err().to_string();
        assert!(e.contains("did you mean GROUP_READ_ONLY"), "{e}");
        assert!(serde_json::from_str::<Role>("\"GROUP_ADMIN\"").is_err());
    }

    #[test]
    fn the_backup_roles_split_as_atlas_documents() {
        use Permission as P;
        let only = |r: Role| Some(vec![r]);
        let can = |r: Option<Vec<Role>>, p| allowed(r.as_deref(), p);
        assert!(can(None, P::DeleteSnapshot));
        assert!(can(only(Role::GroupReadOnly), P::Read));
        for p in [P::Export, P::Restore, P::TakeSnapshot, P::DeleteSnapshot] {
            assert!(!can(only(Role::GroupReadOnly), p), "{p:?}");
            assert!(can(only(Role::GroupBackupManager), p), "{p:?}");
        }
        assert!(can(only(Role::GroupBackupExportOperator), P::Export));
        assert!(!can(only(Role::GroupBackupExportOperator), P::Restore));
        assert!(can(only(Role::GroupBackupRecoveryOperator), P::Restore));
        assert!(!can(only(Role::GroupBackupRecoveryOperator), P::Export));
        assert!(can(only(Role::GroupBackupCreator), P::TakeSnapshot));
        assert!(!can(only(Role::GroupBackupCreator), P::DeleteSnapshot));
        assert!(!can(Some(vec![]), P::Read));
    }
}
