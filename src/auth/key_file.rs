//! The generated secret key, kept in a file only its owner may read, outside the database: a
//! copy of the database alone then cannot forge sign-in links, sessions or CSRF tokens.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, bail};

/// Shortest accepted key, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// Reads the key in `path`, if the file exists. A file others may read, or a short key, is
/// an error rather than silently used.
pub fn read(path: &Path) -> anyhow::Result<Option<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mode = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        bail!(
            "{} may be read by others (mode {:o}); run chmod 600 on it",
            path.display(),
            mode & 0o777
        );
    }
    let key = text.trim().to_string();
    if key.len() < MIN_KEY_BYTES {
        bail!(
            "{} holds a key shorter than {MIN_KEY_BYTES} bytes",
            path.display()
        );
    }
    Ok(Some(key))
}

/// Writes `key` to `path` readable by its owner only, unless the file already exists (another
/// process was first: its key wins). Returns the key now in the file.
pub fn create(path: &Path, key: &str) -> anyhow::Result<String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Written whole under a temporary name, then linked into place: a reader never sees half a
    // key, and of two processes racing, exactly one link succeeds.
    let temporary = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(key.as_bytes())?;
        file.sync_all()
    })();
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(key.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read(path)?.with_context(|| format!("{} vanished while it was read", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_file_is_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k").join("liaison.key");
        let key = "k".repeat(43);
        assert_eq!(create(&path, &key).unwrap(), key);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(read(&path).unwrap(), Some(key.clone()));
        // A second writer gets the first key.
        assert_eq!(create(&path, &"x".repeat(43)).unwrap(), key);
    }

    #[test]
    fn a_key_file_others_may_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("liaison.key");
        std::fs::write(&path, "k".repeat(43)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read(&path).is_err());
    }

    #[test]
    fn a_short_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("liaison.key");
        create(&path, "short").unwrap_or_default();
        assert!(read(&path).is_err());
    }
}
