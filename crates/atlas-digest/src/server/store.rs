//! Where the server looks users up: [`CredentialStore`], [`StoredSecret`], [`InMemoryCredentials`].

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Mutex;

use zeroize::Zeroize;

use crate::compute;
use crate::hash::{Algorithm, constant_time_eq};

/// What a [`CredentialStore`] knows about a user. `Debug` redacts the secret; both strings are
/// zeroized on drop; equality is constant-time.
#[derive(Clone)]
pub enum StoredSecret {
    /// The plain password (works with every algorithm).
    Password(String),
    /// A precomputed `H(username:realm:password)` in hex (the format of Apache's
    /// [htdigest](https://httpd.apache.org/docs/current/programs/htdigest.html) files). Works only for the hash
    /// function of `algorithm` (and its `-sess` variant).
    Ha1 {
        /// The algorithm the hash was computed with.
        algorithm: Algorithm,
        /// The hex digest.
        hex: String,
    },
}

impl StoredSecret {
    /// Constant-time equality (the variant and the lengths are not secret).
    pub(crate) fn ct_eq(&self, other: &StoredSecret) -> bool {
        match (self, other) {
            (StoredSecret::Password(a), StoredSecret::Password(b)) => {
                constant_time_eq(a.as_bytes(), b.as_bytes())
            }
            (
                StoredSecret::Ha1 {
                    algorithm: a1,
                    hex: h1,
                },
                StoredSecret::Ha1 {
                    algorithm: a2,
                    hex: h2,
                },
            ) => a1 == a2 && constant_time_eq(h1.as_bytes(), h2.as_bytes()),
            _ => false,
        }
    }
}

impl PartialEq for StoredSecret {
    /// Constant-time in the secret's bytes.
    fn eq(&self, other: &StoredSecret) -> bool {
        self.ct_eq(other)
    }
}

impl Eq for StoredSecret {}

impl Drop for StoredSecret {
    fn drop(&mut self) {
        match self {
            StoredSecret::Password(p) => p.zeroize(),
            StoredSecret::Ha1 { hex, .. } => hex.zeroize(),
        }
    }
}

impl fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoredSecret::Password(_) => f.write_str("Password(** redacted **)"),
            StoredSecret::Ha1 { algorithm, .. } => f
                .debug_struct("Ha1")
                .field("algorithm", algorithm)
                .field("hex", &"** redacted **")
                .finish(),
        }
    }
}

/// Where the server looks users up.
pub trait CredentialStore {
    /// The secret of `username` in `realm`, or `None` if unknown.
    fn lookup(&self, username: &str, realm: &str) -> Option<StoredSecret>;

    /// [`CredentialStore::lookup`] without a copy when the store holds the secret in memory (the
    /// server calls this one; the default copies through `lookup`).
    fn lookup_borrowed(&self, username: &str, realm: &str) -> Option<Cow<'_, StoredSecret>> {
        self.lookup(username, realm).map(Cow::Owned)
    }

    /// The username whose `H(username:realm)` (hex, computed with `algorithm`) equals `userhash`
    /// ([RFC 7616 section 3.4.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4.4)).
    /// The default knows none (userhash unsupported by this store). Index by the hash: this is
    /// called once per request that uses `userhash`.
    fn resolve_userhash(
        &self,
        userhash: &str,
        realm: &str,
        algorithm: Algorithm,
    ) -> Option<String> {
        let _ = (userhash, realm, algorithm);
        None
    }
}

/// Userhash index: per (realm, hash function), lowercase hex userhash -> username.
type UserhashIndex = Vec<(String, Algorithm, HashMap<String, String>)>;

/// A map-based [`CredentialStore`] for one realm (the realm argument of lookups is ignored).
/// `Debug` lists usernames only. Users sit in a `BTreeMap` (a lookup compares a few short strings; no
/// per-request hashing of the attacker-chosen username).
///
/// `resolve_userhash` uses an index built on first use for each (realm, hash function), so a request
/// costs one map lookup however many users there are; `insert` and `remove` drop the index.
#[derive(Default)]
pub struct InMemoryCredentials {
    users: BTreeMap<String, StoredSecret>,
    userhashes: Mutex<UserhashIndex>,
}

impl Clone for InMemoryCredentials {
    fn clone(&self) -> Self {
        InMemoryCredentials {
            users: self.users.clone(),
            userhashes: Mutex::default(),
        }
    }
}

impl fmt::Debug for InMemoryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.users.keys().map(String::as_str).collect();
        f.debug_struct("InMemoryCredentials")
            .field("users", &names)
            .finish()
    }
}

impl InMemoryCredentials {
    /// An empty store.
    pub fn new() -> Self {
        InMemoryCredentials::default()
    }

    fn index(&mut self) -> &mut UserhashIndex {
        self.userhashes.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds or replaces a user with a plain password.
    pub fn insert(&mut self, username: impl Into<String>, password: impl Into<String>) {
        self.index().clear();
        self.users
            .insert(username.into(), StoredSecret::Password(password.into()));
    }

    /// Adds or replaces a user with a stored H(A1).
    pub fn insert_ha1(
        &mut self,
        username: impl Into<String>,
        algorithm: Algorithm,
        hex: impl Into<String>,
    ) {
        self.index().clear();
        self.users.insert(
            username.into(),
            StoredSecret::Ha1 {
                algorithm,
                hex: hex.into(),
            },
        );
    }

    /// Removes a user; true if it existed.
    pub fn remove(&mut self, username: &str) -> bool {
        self.index().clear();
        self.users.remove(username).is_some()
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// True if there are no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

impl CredentialStore for InMemoryCredentials {
    fn lookup(&self, username: &str, _realm: &str) -> Option<StoredSecret> {
        self.users.get(username).cloned()
    }

    fn lookup_borrowed(&self, username: &str, _realm: &str) -> Option<Cow<'_, StoredSecret>> {
        self.users.get(username).map(Cow::Borrowed)
    }

    fn resolve_userhash(
        &self,
        userhash: &str,
        realm: &str,
        algorithm: Algorithm,
    ) -> Option<String> {
        let hash_fn = algorithm.base();
        let mut index = self.userhashes.lock().unwrap_or_else(|e| e.into_inner());
        let at = match index
            .iter()
            .position(|(r, a, _)| *a == hash_fn && r == realm)
        {
            Some(at) => at,
            None => {
                let by_hash = self
                    .users
                    .keys()
                    .map(|name| {
                        let h = compute::userhash(hash_fn, name, realm);
                        (h.as_str().to_owned(), name.clone())
                    })
                    .collect();
                index.push((realm.to_owned(), hash_fn, by_hash));
                index.len() - 1
            }
        };
        let by_hash = &index[at].2;
        if userhash.bytes().any(|b| b.is_ascii_uppercase()) {
            by_hash.get(&userhash.to_ascii_lowercase()).cloned()
        } else {
            by_hash.get(userhash).cloned()
        }
    }
}
