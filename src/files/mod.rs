//! Private storage for uploaded files.
//!
//! Files are written under server-generated keys (never a client's name or
//! path): streamed to a temporary file, size-checked while streaming,
//! fsynced, then renamed into place, so a stored key always names a whole
//! file. The directory is never served statically: downloads go through a
//! handler that checks membership.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use rand::RngCore;
use tokio::io::AsyncWriteExt;

/// Image types shown inline, detected from the file's bytes, not its name.
pub const INLINE_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Why storing a file failed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The upload exceeded the limit; nothing was kept.
    #[error("The file is larger than the limit of {limit} bytes.")]
    TooLarge { limit: u64 },
    /// The client's upload broke off.
    #[error("The upload was interrupted: {0}")]
    Interrupted(String),
    /// The disk refused (full, read-only, …).
    #[error("The file could not be stored: {0}")]
    Io(#[from] std::io::Error),
}

/// A file that is safely on disk.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub key: String,
    pub size: u64,
    /// Sniffed content type: one of [`INLINE_IMAGE_TYPES`] or `application/octet-stream`.
    pub content_type: String,
}

/// Local-filesystem storage under `STORE_ROOT`.
#[derive(Debug, Clone)]
pub struct Files {
    root: PathBuf,
}

impl Files {
    /// Storage rooted at `root` (created if missing).
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn open(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn path_of(&self, key: &str) -> Option<PathBuf> {
        // Keys are ours (hex); refuse anything else outright.
        if key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
            Some(self.root.join(&key[..2]).join(key))
        } else {
            None
        }
    }

    /// Streams `body` to storage, refusing more than `limit` bytes.
    ///
    /// # Errors
    /// `TooLarge`, `Interrupted` or `Io`; in every case nothing is left behind.
    pub async fn store<S, E>(&self, body: S, limit: u64) -> Result<StoredFile, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let key = new_key();
        let tmp = self.root.join("tmp").join(format!("{key}.part"));
        let result = self.write(body, limit, &key, &tmp).await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    async fn write<S, E>(
        &self,
        mut body: S,
        limit: u64,
        key: &str,
        tmp: &Path,
    ) -> Result<StoredFile, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut file = tokio::fs::File::create(tmp).await?;
        let mut size: u64 = 0;
        let mut head: Vec<u8> = Vec::with_capacity(16);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| FileError::Interrupted(e.to_string()))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(FileError::TooLarge { limit });
            }
            if head.len() < 16 {
                let take = (16 - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            file.write_all(&chunk).await?;
        }
        file.sync_all().await?;
        drop(file);
        let dest = self
            .path_of(key)
            .ok_or_else(|| std::io::Error::other("bad key"))?;
        let dir = dest
            .parent()
            .ok_or_else(|| std::io::Error::other("bad key"))?
            .to_path_buf();
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::rename(tmp, &dest).await?;
        // The rename is durable only once the directory entry is on disk.
        tokio::fs::File::open(&dir).await?.sync_all().await?;
        Ok(StoredFile {
            key: key.to_owned(),
            size,
            content_type: sniff(&head).to_owned(),
        })
    }

    /// The path of a stored file, if the key is well-formed.
    #[must_use]
    pub fn path(&self, key: &str) -> Option<PathBuf> {
        self.path_of(key)
    }

    /// Removes a stored file; a missing file is not an error.
    ///
    /// # Errors
    /// When the disk refuses.
    pub async fn delete(&self, key: &str) -> std::io::Result<()> {
        let Some(path) = self.path_of(key) else {
            return Ok(());
        };
        match tokio::fs::remove_file(path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Removes temporary files left by a crash mid-upload.
    pub async fn sweep_temporary(&self) {
        let Ok(mut entries) = tokio::fs::read_dir(self.root.join("tmp")).await else {
            return;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}

fn new_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Content type from magic bytes: only the inline image types are recognised.
#[must_use]
pub fn sniff(head: &[u8]) -> &'static str {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        "image/gif"
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "application/octet-stream"
    }
}

/// Whether a stored content type is shown inline.
#[must_use]
pub fn is_inline_image(content_type: &str) -> bool {
    INLINE_IMAGE_TYPES.contains(&content_type)
}

/// A display name from an untrusted upload name: the last path component,
/// without control characters, at most 255 characters; never used as a path.
#[must_use]
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "file".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\0b\r\n.txt"), "ab.txt");
        assert_eq!(clean_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(&"x".repeat(1000)).chars().count(), 255);
        assert_eq!(
            clean_name("\"><svg onload=alert(1)>.png"),
            "\"><svg onload=alert(1)>.png"
        );
    }

    #[test]
    fn sniffing_trusts_bytes_not_names() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(sniff(b"<svg xmlns="), "application/octet-stream");
        assert_eq!(sniff(b"<html><script>"), "application/octet-stream");
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
    }

    #[tokio::test]
    async fn over_limit_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = Files::open(dir.path()).expect("open");
        let chunks = futures_util::stream::iter(
            (0..2).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 600]))),
        );
        let err = files.store(chunks, 1000).await.expect_err("too large");
        assert!(matches!(err, FileError::TooLarge { limit: 1000 }));
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp"))
                .expect("tmp")
                .count(),
            0
        );
    }

    #[tokio::test]
    async fn stored_files_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = Files::open(dir.path()).expect("open");
        let chunks = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(
            b"GIF89a hello",
        ))]);
        let stored = files.store(chunks, 1000).await.expect("stored");
        assert_eq!(stored.size, 12);
        assert_eq!(stored.content_type, "image/gif");
        let path = files.path(&stored.key).expect("path");
        assert_eq!(std::fs::read(&path).expect("read"), b"GIF89a hello");
        files.delete(&stored.key).await.expect("delete");
        assert!(!path.exists());
    }
}
