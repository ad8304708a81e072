//! The file token cache: service account tokens kept between runs, so that a script running
//! `get` a hundred times asks Atlas for one token (the endpoint allows 50 a minute and 100 live
//! tokens per service account).
//!
//! One file per (token URL, client id) under `$XDG_CACHE_HOME/atlas-snapshots/tokens` (or
//! `~/.cache/...`), kept by `cache_file.rs`: the directory is mode 0700, each file 0600, written
//! to a temporary name, synced and renamed, so a reader sees the old token or the new one, never
//! half of one. A renewal
//! holds `flock(2)` on the key's `.lock` file while it loads, asks and saves, so two processes
//! starting at once ask for one token between them. The file names the URL and client id it is
//! for and is believed only when both match; a file that does not parse counts as no token.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use atlas_snapshots::oauth::{
    AccessToken, StoreError, StoreLock, StoredToken, TokenKey, TokenStore,
};

use crate::cache_file::CacheDir;
use crate::config::EnvLookup;

/// The cache directory: `$XDG_CACHE_HOME/atlas-snapshots/tokens`, else
/// `$HOME/.cache/atlas-snapshots/tokens`; `None` without either.
pub(crate) fn default_dir(env: EnvLookup<'_>) -> Option<PathBuf> {
    crate::cache_file::default_dir(env, "tokens")
}

/// Tokens in files, one per key.
#[derive(Debug, Clone)]
pub(crate) struct FileTokenStore {
    files: CacheDir,
}

/// What a cache file holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    token_url: String,
    client_id: String,
    access_token: String,
    /// Seconds since the epoch.
    expires_at: Option<u64>,
}

fn err(what: String, e: std::io::Error) -> StoreError {
    StoreError::new(what, Some(Box::new(e)))
}

impl FileTokenStore {
    pub(crate) fn new(dir: PathBuf) -> Self {
        FileTokenStore {
            files: CacheDir::new(dir),
        }
    }

    /// The file of `key`.
    pub(crate) fn path(&self, key: &TokenKey) -> PathBuf {
        self.files.path(&[&key.token_url, &key.client_id], "json")
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self, key: &TokenKey) -> Result<Option<StoredToken>, StoreError> {
        let path = self.path(key);
        let Some(text) = self
            .files
            .read_private(&path)
            .map_err(|e| err(format!("cannot read {}", path.display()), e))?
        else {
            return Ok(None);
        };
        let Ok(entry) = serde_json::from_slice::<Entry>(&text) else {
            tracing::debug!(path = %path.display(), "the token cache file does not parse; ignoring it");
            return Ok(None);
        };
        if entry.token_url != key.token_url || entry.client_id != key.client_id {
            return Ok(None);
        }
        Ok(Some(StoredToken::new(
            AccessToken::new(entry.access_token),
            entry
                .expires_at
                .map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        )))
    }

    fn save(&self, key: &TokenKey, token: &StoredToken) -> Result<(), StoreError> {
        let entry = Entry {
            token_url: key.token_url.clone(),
            client_id: key.client_id.clone(),
            access_token: token.access_token.secret().to_owned(),
            expires_at: token
                .expires_at
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs()),
        };
        let bytes = serde_json::to_vec(&entry)
            .map_err(|e| StoreError::new("cannot encode the token", Some(Box::new(e))))?;
        let path = self.path(key);
        self.files
            .replace(&path, &bytes)
            .map_err(|e| err(format!("cannot write {}", path.display()), e))
    }

    fn clear(&self, key: &TokenKey) -> Result<(), StoreError> {
        let path = self.path(key);
        self.files
            .remove(&path)
            .map_err(|e| err(format!("cannot remove {}", path.display()), e))
    }

    fn lock<'a>(
        &'a self,
        key: &'a TokenKey,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Option<StoreLock>, StoreError>> + Send + 'a>,
    > {
        let path = self.path(key).with_extension("lock");
        let files = self.files.clone();
        Box::pin(async move {
            // flock blocks until the other process is done (a renewal): off the async threads.
            let held = tokio::task::spawn_blocking(move || files.lock_blocking(&path))
                .await
                .map_err(|e| StoreError::new("the lock task failed", Some(Box::new(e))))?
                .map_err(|e| err("cannot lock the token cache".into(), e))?;
            // Closing the file releases the lock.
            Ok(Some(Box::new(held) as StoreLock))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fs::{self, OpenOptions};
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn key() -> TokenKey {
        TokenKey {
            token_url: "https://cloud.mongodb.com/api/oauth/token".into(),
            client_id: "mdb_sa_id_1".into(),
        }
    }

    #[test]
    fn files_are_private_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("a/b/tokens"));
        assert_eq!(store.load(&key()).unwrap(), None);
        let t = StoredToken::new(
            AccessToken::new("eyJ.one"),
            Some(UNIX_EPOCH + Duration::from_secs(2_000_000_000)),
        );
        store.save(&key(), &t).unwrap();
        let path = store.path(&key());
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(dir.path().join("a/b/tokens"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        assert_eq!(store.load(&key()).unwrap(), Some(t));
        // Replaced: a new inode under the same name, nothing left beside it.
        use std::os::unix::fs::MetadataExt;
        let before = fs::metadata(&path).unwrap().ino();
        store
            .save(&key(), &StoredToken::new(AccessToken::new("eyJ.two"), None))
            .unwrap();
        assert_ne!(fs::metadata(&path).unwrap().ino(), before);
        let names: Vec<_> = fs::read_dir(dir.path().join("a/b/tokens"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert_eq!(
            store.load(&key()).unwrap().unwrap().access_token.secret(),
            "eyJ.two"
        );
        // Another key's file is another file; a foreign entry under our name is not believed.
        let mut other = key();
        other.client_id = "mdb_sa_id_2".into();
        assert_ne!(store.path(&other), path);
        fs::copy(&path, store.path(&other)).unwrap();
        assert_eq!(store.load(&other).unwrap(), None);
        store.clear(&key()).unwrap();
        store.clear(&key()).unwrap();
        assert_eq!(store.load(&key()).unwrap(), None);
    }

    #[test]
    fn garbage_and_loose_modes_count_as_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().to_owned());
        let path = store.path(&key());
        fs::write(&path, b"{not json").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(store.load(&key()).unwrap(), None);
        store
            .save(&key(), &StoredToken::new(AccessToken::new("eyJ.x"), None))
            .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(store.load(&key()).unwrap(), None);
    }

    #[tokio::test]
    async fn the_lock_excludes_another_holder() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().to_owned());
        let k = key();
        let held = store.lock(&k).await.unwrap();
        // A second open file description (as another process would have) cannot take it.
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(store.path(&k).with_extension("lock"))
            .unwrap();
        assert!(
            rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err()
        );
        drop(held);
        assert!(
            rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok()
        );
    }
}
