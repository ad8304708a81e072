//! The private, locked, atomically replaced files the caches keep under the user's cache
//! directory (`$XDG_CACHE_HOME/atlas-snapshots/<kind>`, else `~/.cache/...`): the token cache and
//! the digest session cache share it.
//!
//! The directory is mode 0700 and each file 0600; a file is written to a temporary name beside
//! it, synced and renamed, so a reader sees the old content or the new, never half of it. A file
//! another user could read or change is not believed. `flock(2)` on a key's `.lock` file
//! serialises the processes that change the same key.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::config::EnvLookup;

/// `$XDG_CACHE_HOME/atlas-snapshots/<kind>`, else `$HOME/.cache/atlas-snapshots/<kind>`; `None`
/// without either.
pub(crate) fn default_dir(env: EnvLookup<'_>, kind: &str) -> Option<PathBuf> {
    let base = env("XDG_CACHE_HOME")
        .filter(|v| Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            env("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| Path::new(&h).join(".cache"))
        })?;
    Some(base.join("atlas-snapshots").join(kind))
}

/// One cache directory.
#[derive(Debug, Clone)]
pub(crate) struct CacheDir {
    dir: PathBuf,
}

impl CacheDir {
    pub(crate) fn new(dir: PathBuf) -> Self {
        CacheDir { dir }
    }

    /// The file of a key made of `parts`, with extension `ext`: the first 16 bytes of the
    /// SHA-256 of the parts (each followed by a NUL), in hex. The key itself is not in the name.
    pub(crate) fn path(&self, parts: &[&str], ext: &str) -> PathBuf {
        let mut h = Sha256::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                h.update([0]);
            }
            h.update(p.as_bytes());
        }
        let hex: String = h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.dir.join(format!("{hex}.{ext}"))
    }

    /// Creates the directory (0700) if needed.
    pub(crate) fn ensure_dir(&self) -> std::io::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
    }

    /// The content of `path`: `None` when it does not exist or others may read or change it
    /// (then it is not believed, and a warning says so).
    pub(crate) fn read_private(&self, path: &Path) -> std::io::Result<Option<Vec<u8>>> {
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = fs::metadata(path)?;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the cache file is readable by others; ignoring it");
            return Ok(None);
        }
        Ok(Some(bytes))
    }

    /// Writes `bytes` to `path` atomically: a new 0600 file beside it, synced, renamed.
    pub(crate) fn replace(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        self.ensure_dir()?;
        let tmp = path.with_extension(format!(
            "tmp.{}.{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, path)?;
            // The rename itself, durable (best effort: some file systems refuse a directory fsync).
            if let Ok(d) = File::open(&self.dir) {
                let _ = d.sync_all();
            }
            Ok(())
        };
        write().inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })
    }

    /// Removes `path`; a file that is not there is fine.
    pub(crate) fn remove(&self, path: &Path) -> std::io::Result<()> {
        match fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Takes `flock(2)` on `path` (created 0600 if needed), blocking until the holder lets go;
    /// closing the file releases it.
    pub(crate) fn lock_blocking(&self, path: &Path) -> std::io::Result<File> {
        self.ensure_dir()?;
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive)?;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_private_replaced_whole_and_loose_ones_not_believed() {
        let dir = tempfile::tempdir().unwrap();
        let c = CacheDir::new(dir.path().join("a/b"));
        let p = c.path(&["https://x", "id"], "json");
        assert_ne!(p, c.path(&["https://x", "id2"], "json"));
        assert_ne!(
            c.path(&["ab", "c"], "json"),
            c.path(&["a", "bc"], "json"),
            "parts are separated"
        );
        assert_eq!(c.read_private(&p).unwrap(), None);
        c.replace(&p, b"one").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(dir.path().join("a/b"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        use std::os::unix::fs::MetadataExt;
        let before = fs::metadata(&p).unwrap().ino();
        c.replace(&p, b"two").unwrap();
        assert_ne!(fs::metadata(&p).unwrap().ino(), before);
        assert_eq!(c.read_private(&p).unwrap().as_deref(), Some(&b"two"[..]));
        assert_eq!(fs::read_dir(dir.path().join("a/b")).unwrap().count(), 1);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(c.read_private(&p).unwrap(), None);
        c.remove(&p).unwrap();
        c.remove(&p).unwrap();
    }

    #[test]
    fn the_cache_dir_follows_xdg() {
        let env = |k: &str| match k {
            "XDG_CACHE_HOME" => Some("/xdg".to_owned()),
            "HOME" => Some("/home/u".to_owned()),
            _ => None,
        };
        assert_eq!(
            default_dir(&env, "tokens"),
            Some(PathBuf::from("/xdg/atlas-snapshots/tokens"))
        );
        let env = |k: &str| match k {
            "XDG_CACHE_HOME" => Some("relative".to_owned()),
            "HOME" => Some("/home/u".to_owned()),
            _ => None,
        };
        assert_eq!(
            default_dir(&env, "digest"),
            Some(PathBuf::from("/home/u/.cache/atlas-snapshots/digest"))
        );
        assert_eq!(default_dir(&|_: &str| None, "tokens"), None);
    }

    #[test]
    fn the_lock_excludes_another_holder() {
        let dir = tempfile::tempdir().unwrap();
        let c = CacheDir::new(dir.path().to_owned());
        let p = c.path(&["k"], "lock");
        let held = c.lock_blocking(&p).unwrap();
        // A second open file description (as another process would have) cannot take it.
        let f = OpenOptions::new().read(true).write(true).open(&p).unwrap();
        assert!(
            rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err()
        );
        drop(held);
        assert!(
            rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok()
        );
    }
}
