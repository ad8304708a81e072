//! Validated identifiers: [`GroupId`], [`SnapshotId`] and [`ClusterName`].
//!
//! Each is a newtype whose only constructor is [`FromStr`] (or the equivalent `TryFrom<String>`), so a
//! value of these types always matches the pattern the Atlas OpenAPI specification gives. A path built
//! from them can therefore never carry `/`, `..`, `?`, `%` or whitespace.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which identifier an [`IdError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdKind {
    /// A project (group) id.
    GroupId,
    /// A snapshot id.
    SnapshotId,
    /// A cluster name (also a flex cluster name).
    ClusterName,
    /// A restore job id.
    RestoreJobId,
    /// The name of the cluster a restore goes to (`targetDeploymentItemName`).
    DeploymentName,
}

impl IdKind {
    /// The human name used in messages, e.g. `"group id"`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::GroupId => "group id",
            IdKind::SnapshotId => "snapshot id",
            IdKind::ClusterName => "cluster name",
            IdKind::RestoreJobId => "restore job id",
            IdKind::DeploymentName => "target deployment name",
        }
    }
}

/// What is wrong with a rejected identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdProblem {
    /// The input was empty.
    Empty,
    /// The input had the wrong length (hex ids are exactly 24 characters).
    WrongLength {
        /// Length found, in characters.
        found: usize,
        /// Length required.
        expected: usize,
    },
    /// The input was longer than allowed (cluster names).
    TooLong {
        /// Length found, in characters.
        found: usize,
        /// Maximum length.
        max: usize,
    },
    /// A character that is not allowed at that position (character index, counted from 0).
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its index in characters, counted from 0.
        at: usize,
    },
}

/// A rejected identifier: which kind, and what is wrong with it, e.g.
/// `cluster name: character '/' at 3 is not allowed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", kind.as_str(), DisplayProblem(*kind, problem))]
pub struct IdError {
    kind: IdKind,
    problem: IdProblem,
}

impl IdError {
    /// Which identifier was rejected.
    pub fn kind(&self) -> IdKind {
        self.kind
    }
    /// What is wrong with it.
    pub fn problem(&self) -> &IdProblem {
        &self.problem
    }
}

struct DisplayProblem<'a>(IdKind, &'a IdProblem);

impl fmt::Display for DisplayProblem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (_, IdProblem::Empty) => f.write_str("must not be empty"),
            (_, IdProblem::WrongLength { found, expected }) => write!(
                f,
                "must be exactly {expected} lower-case hexadecimal characters, found {found} characters"
            ),
            (_, IdProblem::TooLong { found, max }) => {
                write!(f, "must be at most {max} characters, found {found}")
            }
            (IdKind::ClusterName, IdProblem::InvalidChar { ch, at: 0 }) => write!(
                f,
                "character {ch:?} at 0 is not allowed (the first character must be an ASCII letter or digit)"
            ),
            (IdKind::ClusterName, IdProblem::InvalidChar { ch, at }) => write!(
                f,
                "character {ch:?} at {at} is not allowed (only ASCII letters, digits and '-')"
            ),
            (IdKind::DeploymentName, IdProblem::InvalidChar { ch, at }) => write!(
                f,
                "character {ch:?} at {at} is not allowed (only letters, digits and - _ . ( ) , : & @ + ')"
            ),
            (_, IdProblem::InvalidChar { ch, at }) => write!(
                f,
                "character {ch:?} at {at} is not allowed (only 0-9 and a-f, lower case)"
            ),
        }
    }
}

/// Checks a 24-character lower-case hexadecimal id (`^([a-f0-9]{24})$`).
fn check_hex24(kind: IdKind, s: &str) -> Result<(), IdError> {
    let err = |problem| IdError { kind, problem };
    if s.is_empty() {
        return Err(err(IdProblem::Empty));
    }
    if let Some((at, ch)) = s
        .chars()
        .enumerate()
        .find(|(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
    {
        return Err(err(IdProblem::InvalidChar { ch, at }));
    }
    if s.len() != 24 {
        return Err(err(IdProblem::WrongLength {
            found: s.len(),
            expected: 24,
        }));
    }
    Ok(())
}

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The id as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                check_hex24($kind, s)?;
                Ok(Self(s.to_owned()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                check_hex24($kind, &s)?;
                Ok(Self(s))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

hex_id!(
    /// A project (group) id: 24 lower-case hexadecimal characters, e.g. `5b69d0349b15c62cdfc38b78`.
    ///
    /// ```
    /// use atlas_model::GroupId;
    /// let id: GroupId = "5b69d0349b15c62cdfc38b78".parse().unwrap();
    /// assert_eq!(id.as_str(), "5b69d0349b15c62cdfc38b78");
    /// assert!("5B69D0349B15C62CDFC38B78".parse::<GroupId>().is_err());
    /// ```
    GroupId,
    IdKind::GroupId
);

hex_id!(
    /// A snapshot id: 24 lower-case hexadecimal characters, e.g. `5cc310ace5dc7ce369814bc8`.
    SnapshotId,
    IdKind::SnapshotId
);

hex_id!(
    /// A restore job id (also the id of a download job): 24 lower-case hexadecimal characters.
    RestoreJobId,
    IdKind::RestoreJobId
);

/// The longest cluster name accepted. Atlas limits cluster names to 64 characters.
pub const CLUSTER_NAME_MAX_LEN: usize = 64;

/// A cluster name (shared-tier or flex): `^[a-zA-Z0-9][a-zA-Z0-9-]*$`, 1 to
/// [`CLUSTER_NAME_MAX_LEN`] characters.
///
/// Only ASCII letters, digits and `-` are allowed, so a name never needs escaping in a URL path and
/// can never smuggle `/`, `..`, `?`, `%` or whitespace into one.
///
/// ```
/// use atlas_model::ClusterName;
/// assert!("M2AWS".parse::<ClusterName>().is_ok());
/// let err = "M2A/WS".parse::<ClusterName>().unwrap_err();
/// assert_eq!(err.to_string(), "cluster name: character '/' at 3 is not allowed (only ASCII letters, digits and '-')");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClusterName(String);

fn check_cluster_name(s: &str) -> Result<(), IdError> {
    let err = |problem| IdError {
        kind: IdKind::ClusterName,
        problem,
    };
    if s.is_empty() {
        return Err(err(IdProblem::Empty));
    }
    for (at, ch) in s.chars().enumerate() {
        let ok = ch.is_ascii_alphanumeric() || (at > 0 && ch == '-');
        if !ok {
            return Err(err(IdProblem::InvalidChar { ch, at }));
        }
    }
    if s.len() > CLUSTER_NAME_MAX_LEN {
        return Err(err(IdProblem::TooLong {
            found: s.len(),
            max: CLUSTER_NAME_MAX_LEN,
        }));
    }
    Ok(())
}

impl ClusterName {
    /// The name as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ClusterName {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        check_cluster_name(s)?;
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for ClusterName {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        check_cluster_name(&s)?;
        Ok(Self(s))
    }
}

impl From<ClusterName> for String {
    fn from(name: ClusterName) -> String {
        name.0
    }
}

impl AsRef<str> for ClusterName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClusterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest target deployment name accepted (`targetDeploymentItemName`).
pub const DEPLOYMENT_NAME_MAX_LEN: usize = 64;

/// The name of the cluster a restore job writes to (`targetDeploymentItemName`), validated as the
/// specification's pattern says: `^[\p{L}\p{N}\-_.(),:&@+']{1,64}$`.
///
/// Letters and digits of any script are allowed (`char::is_alphabetic`, `char::is_numeric`), and
/// the punctuation `- _ . ( ) , : & @ + '`; nothing else (no `/`, space, `?`, `%`). Length is
/// counted in characters. `char::is_alphabetic` is Unicode's Alphabetic property, which also
/// holds a few combining marks that `\p{L}` does not: such a name passes here and Atlas
/// refuses it with a `400` that names the field.
///
/// ```
/// use atlas_model::DeploymentName;
/// assert!("Flex-Restore_1".parse::<DeploymentName>().is_ok());
/// assert!("Zürich(2)".parse::<DeploymentName>().is_ok());
/// let err = "a/b".parse::<DeploymentName>().unwrap_err();
/// assert!(err.to_string().contains("'/' at 1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeploymentName(String);

fn check_deployment_name(s: &str) -> Result<(), IdError> {
    let err = |problem| IdError {
        kind: IdKind::DeploymentName,
        problem,
    };
    if s.is_empty() {
        return Err(err(IdProblem::Empty));
    }
    for (at, ch) in s.chars().enumerate() {
        let ok = ch.is_alphabetic()
            || ch.is_numeric()
            || matches!(
                ch,
                '-' | '_' | '.' | '(' | ')' | ',' | ':' | '&' | '@' | '+' | '\''
            );
        if !ok {
            return Err(err(IdProblem::InvalidChar { ch, at }));
        }
    }
    let count = s.chars().count();
    if count > DEPLOYMENT_NAME_MAX_LEN {
        return Err(err(IdProblem::TooLong {
            found: count,
            max: DEPLOYMENT_NAME_MAX_LEN,
        }));
    }
    Ok(())
}

impl DeploymentName {
    /// The name as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for DeploymentName {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        check_deployment_name(s)?;
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for DeploymentName {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        check_deployment_name(&s)?;
        Ok(Self(s))
    }
}

impl From<DeploymentName> for String {
    fn from(name: DeploymentName) -> String {
        name.0
    }
}

impl From<ClusterName> for DeploymentName {
    /// Every cluster name is a valid deployment name.
    fn from(name: ClusterName) -> Self {
        DeploymentName(name.0)
    }
}

impl AsRef<str> for DeploymentName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeploymentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
