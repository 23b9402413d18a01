//! Local-filesystem storage under `STORE_ROOT`, the default.
//!
//! An upload streams to a temporary file, is fsynced, renamed into place
//! and its directory fsynced, so a stored key always names a whole file
//! that survives a power cut. (object_store's `LocalFileSystem` would do the
//! rename but neither fsync, so this stays our own code.)

use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{Download, FileError, Intake, StoredFile, is_key, new_key};

/// Bytes read from disk at a time when serving a file.
const READ_CHUNK: usize = 64 * 1024;

/// Uploads as files under a private directory: `<root>/ab/abcdef…`.
#[derive(Debug, Clone)]
pub struct LocalFiles {
    root: PathBuf,
}

impl LocalFiles {
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

    /// The path of a stored file, if the key is well-formed.
    #[must_use]
    pub fn path(&self, key: &str) -> Option<PathBuf> {
        is_key(key).then(|| self.root.join(&key[..2]).join(key))
    }

    /// Streams `body` to storage, refusing more than `limit` bytes.
    ///
    /// # Errors
    /// `TooLarge`, `Interrupted` or `Io`; in every case nothing is left behind.
    pub async fn store<S, E>(&self, body: S, limit: u64) -> Result<StoredFile, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + 'static,
    {
        self.store_at(&new_key(), body, limit).await
    }

    /// Like [`Self::store`], under a key given (a restore puts each file
    /// back under the key its message names).
    ///
    /// # Errors
    /// As [`Self::store`]; `Io` for a key that is not one of ours.
    pub async fn store_at<S, E>(
        &self,
        key: &str,
        body: S,
        limit: u64,
    ) -> Result<StoredFile, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + 'static,
    {
        if !is_key(key) {
            return Err(std::io::Error::other("not a storage key").into());
        }
        let tmp = self.root.join("tmp").join(format!("{key}.part"));
        let result = self.write(body, limit, key, &tmp).await;
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
        E: std::error::Error + 'static,
    {
        let mut file = tokio::fs::File::create(tmp).await?;
        let mut intake = Intake::new(limit);
        while let Some(chunk) = body.next().await {
            let chunk = intake.take(chunk)?;
            file.write_all(&chunk).await?;
        }
        file.sync_all().await?;
        drop(file);
        let dest = self
            .path(key)
            .ok_or_else(|| std::io::Error::other("bad key"))?;
        let dir = dest
            .parent()
            .ok_or_else(|| std::io::Error::other("bad key"))?
            .to_path_buf();
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::rename(tmp, &dest).await?;
        // The rename is durable only once the directory entry is on disk.
        tokio::fs::File::open(&dir).await?.sync_all().await?;
        Ok(intake.stored(key.to_owned()))
    }

    /// Opens a stored file, or the bytes `range` of it, for streaming.
    ///
    /// # Errors
    /// When the disk refuses.
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> std::io::Result<Option<Download>> {
        let Some(path) = self.path(key) else {
            return Ok(None);
        };
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let size = file.metadata().await?.len();
        let range = range.unwrap_or(0..size);
        file.seek(SeekFrom::Start(range.start)).await?;
        let part = file.take(range.end.saturating_sub(range.start));
        let body = tokio_util::io::ReaderStream::with_capacity(part, READ_CHUNK).boxed();
        Ok(Some(Download { size, body }))
    }

    /// Removes a stored file; a missing file is not an error.
    ///
    /// # Errors
    /// When the disk refuses.
    pub async fn delete(&self, key: &str) -> std::io::Result<()> {
        let Some(path) = self.path(key) else {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn over_limit_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = LocalFiles::open(dir.path()).expect("open");
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
        let files = LocalFiles::open(dir.path()).expect("open");
        let chunks = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(
            b"GIF89a hello",
        ))]);
        let stored = files.store(chunks, 1000).await.expect("stored");
        assert_eq!(stored.size, 12);
        assert_eq!(stored.content_type, "image/gif");
        let path = files.path(&stored.key).expect("path");
        assert_eq!(std::fs::read(&path).expect("read"), b"GIF89a hello");
        let part = files
            .read(&stored.key, Some(7..12))
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(part.size, 12);
        let bytes: Vec<Bytes> = part.body.map(|c| c.expect("chunk")).collect().await;
        assert_eq!(bytes.concat(), b"hello");
        files.delete(&stored.key).await.expect("delete");
        assert!(!path.exists());
        assert!(files.read(&stored.key, None).await.expect("read").is_none());
        files
            .delete(&stored.key)
            .await
            .expect("deleting twice is fine");
    }
}
