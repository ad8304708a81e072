//! The file digest session cache (`--digest-session-cache`): the API key's last digest nonce kept
//! between runs, so that a script's next `get` sends credentials at once (one round trip
//! instead of two).
//!
//! One file per (origin, public key) under `$XDG_CACHE_HOME/atlas-snapshots/digest` (or
//! `~/.cache/...`), kept by `cache_file.rs` (0700 directory, 0600 files, atomic replace, a file
//! others may read not believed). The file holds `atlas_digest`'s text form of a saved session:
//! the protection space, the nonce and the next nc nobody was given; never the private key or
//! H(A1). A process reserves a block of nc values under `flock(2)` on the key's `.lock` file and
//! writes the advanced next nc back before it sends anything, so two processes never send the
//! same nc; the lock is held only for that read and write. A file that does not parse, or is
//! for another origin or key, counts as none and is replaced by the next session saved.

use std::path::PathBuf;

use atlas_snapshots::digest_session::{
    DigestSessionKey, DigestSessionStore, NcBlock, SavedSession, SessionStoreError,
};

use crate::cache_file::CacheDir;
use crate::config::EnvLookup;

/// The cache directory: `$XDG_CACHE_HOME/atlas-snapshots/digest`, else
/// `$HOME/.cache/atlas-snapshots/digest`; `None` without either.
pub(crate) fn default_dir(env: EnvLookup<'_>) -> Option<PathBuf> {
    crate::cache_file::default_dir(env, "digest")
}

/// Digest sessions in files, one per key.
#[derive(Debug, Clone)]
pub(crate) struct FileDigestSessionStore {
    files: CacheDir,
}

fn err(what: String, e: std::io::Error) -> SessionStoreError {
    SessionStoreError::new(what, Some(Box::new(e)))
}

impl FileDigestSessionStore {
    pub(crate) fn new(dir: PathBuf) -> Self {
        FileDigestSessionStore {
            files: CacheDir::new(dir),
        }
    }

    /// The file of `key`.
    pub(crate) fn path(&self, key: &DigestSessionKey) -> PathBuf {
        self.files.path(&[&key.origin, &key.username], "session")
    }

    /// The session stored for `key`, without reserving anything (for `auth status`).
    pub(crate) fn peek(
        &self,
        key: &DigestSessionKey,
    ) -> Result<Option<SavedSession>, SessionStoreError> {
        let path = self.path(key);
        let bytes = self
            .files
            .read_private(&path)
            .map_err(|e| err(format!("cannot read {}", path.display()), e))?;
        Ok(bytes.and_then(|b| decode(&b, key, &path)))
    }

    fn locked<T>(
        &self,
        key: &DigestSessionKey,
        f: impl FnOnce(PathBuf) -> Result<T, SessionStoreError>,
    ) -> Result<T, SessionStoreError> {
        let lock = self.path(key).with_extension("lock");
        // Held only while one process reads and writes the file: a short blocking wait.
        let held = self
            .files
            .lock_blocking(&lock)
            .map_err(|e| err("cannot lock the digest session cache".into(), e))?;
        let out = f(self.path(key));
        drop(held);
        out
    }
}

/// The session in `bytes` if it parses and is for `key`.
fn decode(bytes: &[u8], key: &DigestSessionKey, path: &std::path::Path) -> Option<SavedSession> {
    let parsed = std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| SavedSession::from_text(t).ok());
    match parsed {
        Some(s) if s.origin().as_str() == key.origin && s.username() == key.username => Some(s),
        Some(_) => {
            tracing::debug!(path = %path.display(), "the digest session cache file is for another key; ignoring it");
            None
        }
        None => {
            tracing::debug!(path = %path.display(), "the digest session cache file does not parse; ignoring it");
            None
        }
    }
}

impl DigestSessionStore for FileDigestSessionStore {
    fn reserve(
        &self,
        key: &DigestSessionKey,
        count: u32,
    ) -> Result<Option<NcBlock>, SessionStoreError> {
        self.locked(key, |path| {
            let Some(bytes) = self
                .files
                .read_private(&path)
                .map_err(|e| err(format!("cannot read {}", path.display()), e))?
            else {
                return Ok(None);
            };
            let Some(mut saved) = decode(&bytes, key, &path) else {
                return Ok(None);
            };
            let Some(block) = saved.reserve(count) else {
                return Ok(None);
            };
            // The advanced session is on disk before the block is used: no other process can
            // be handed these nc values. If it cannot be written, the block is not used.
            self.files
                .replace(&path, saved.to_text().as_bytes())
                .map_err(|e| err(format!("cannot write {}", path.display()), e))?;
            Ok(Some(block))
        })
    }

    fn save(
        &self,
        key: &DigestSessionKey,
        session: &SavedSession,
    ) -> Result<(), SessionStoreError> {
        self.locked(key, |path| {
            self.files
                .replace(&path, session.to_text().as_bytes())
                .map_err(|e| err(format!("cannot write {}", path.display()), e))
        })
    }

    fn clear(&self, key: &DigestSessionKey) -> Result<(), SessionStoreError> {
        self.locked(key, |path| {
            self.files
                .remove(&path)
                .map_err(|e| err(format!("cannot remove {}", path.display()), e))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::Arc;

    use super::*;

    fn key() -> DigestSessionKey {
        DigestSessionKey {
            origin: "https://cloud.mongodb.com".into(),
            username: "abcdefgh".into(),
        }
    }

    fn saved(next: u32) -> SavedSession {
        SavedSession::from_text(&format!(
            "atlas-digest-session 1\norigin https://cloud.mongodb.com\nusername abcdefgh\nrealm MMS Public API\nalgorithm MD5\nqop auth\nuserhash 0\ncharset-utf8 0\nnonce Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4\nnext-nc {next}\n"
        ))
        .unwrap()
    }

    #[test]
    fn reserving_writes_the_advanced_session_back_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileDigestSessionStore::new(dir.path().join("digest"));
        assert_eq!(store.reserve(&key(), 16).unwrap(), None);
        store.save(&key(), &saved(2)).unwrap();
        let path = store.path(&key());
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("private"), "{text}");
        let a = store.reserve(&key(), 16).unwrap().unwrap();
        assert_eq!((a.first(), a.last()), (2, 17));
        assert_eq!(store.peek(&key()).unwrap().unwrap().next_nc(), Some(18));
        let b = store.reserve(&key(), 16).unwrap().unwrap();
        assert_eq!(b.first(), 18);
        // Another key is another file.
        let mut other = key();
        other.username = "zzzzzzzz".into();
        assert_ne!(store.path(&other), path);
        store.clear(&key()).unwrap();
        assert_eq!(store.reserve(&key(), 16).unwrap(), None);
    }

    #[test]
    fn corrupt_foreign_and_loose_files_count_as_none_and_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileDigestSessionStore::new(dir.path().to_owned());
        let path = store.path(&key());
        for junk in [
            &b"\xff\xfe not text"[..],
            b"atlas-digest-session 1\nnonce x\n",
            b"",
            b"atlas-digest-session 9\n",
        ] {
            store.files.replace(&path, junk).unwrap();
            assert_eq!(store.reserve(&key(), 4).unwrap(), None);
            assert_eq!(
                fs::read(&path).unwrap(),
                junk,
                "left as it was until a save"
            );
        }
        // Copied from another key's file: not believed.
        let mut other = key();
        other.username = "zzzzzzzz".into();
        store.save(&key(), &saved(5)).unwrap();
        fs::copy(&path, store.path(&other)).unwrap();
        assert_eq!(store.reserve(&other, 4).unwrap(), None);
        // Readable by others: not believed.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(store.reserve(&key(), 4).unwrap(), None);
        // A save replaces whatever was there.
        store.save(&key(), &saved(7)).unwrap();
        assert_eq!(store.reserve(&key(), 4).unwrap().unwrap().first(), 7);
    }

    /// Threads with their own file descriptions, as processes have: the blocks never overlap.
    #[test]
    fn concurrent_reservations_get_disjoint_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Arc::new(dir.path().to_owned());
        FileDigestSessionStore::new((*dir).clone())
            .save(&key(), &saved(1))
            .unwrap();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    let store = FileDigestSessionStore::new((*dir).clone());
                    (0..20)
                        .map(|_| {
                            let b = store.reserve(&key(), 3).unwrap().unwrap();
                            (b.first(), b.last())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut ncs = HashSet::new();
        for h in handles {
            for (first, last) in h.join().unwrap() {
                assert_eq!(last - first, 2);
                for nc in first..=last {
                    assert!(ncs.insert(nc), "nc {nc} handed out twice");
                }
            }
        }
        assert_eq!(ncs.len(), 8 * 20 * 3);
        assert_eq!(ncs.iter().max(), Some(&(8 * 20 * 3)));
    }
}
