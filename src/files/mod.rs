//! Private storage for uploaded files.
//!
//! Files are stored under server-generated keys (never a client's name or
//! path), size-checked while they stream in, and only count as stored once
//! they are whole. Two places can hold them, chosen by `STORE_URL`: the
//! local filesystem under `STORE_ROOT` (the default, [`local`]) or an
//! S3-compatible bucket ([`object`]). Neither is ever served statically:
//! downloads go through a handler that checks membership.

pub mod local;
pub mod object;
pub mod preview;

use std::ops::Range;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::BoxStream;
use rand::RngCore;

use crate::config::{Config, StoreUrl};
pub use local::LocalFiles;
pub use object::ObjectFiles;

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
    /// The storage refused (disk full, read-only, bucket unreachable, …).
    #[error("The file could not be stored: {0}")]
    Io(#[from] std::io::Error),
}

/// Why the file storage could not be opened at start-up.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The local directory cannot be created.
    #[error("cannot prepare {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    /// The bucket cannot be reached or used.
    #[error("cannot use the file storage STORE_URL={url}: {detail}")]
    Object { url: String, detail: String },
}

/// A file that is safely stored.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub key: String,
    pub size: u64,
    /// Sniffed content type: one of [`INLINE_IMAGE_TYPES`] or `application/octet-stream`.
    pub content_type: String,
}

/// A stored file opened for streaming to a client.
pub struct Download {
    /// The size of the whole file.
    pub size: u64,
    /// The bytes asked for, in chunks, never the whole file in memory.
    pub body: BoxStream<'static, std::io::Result<Bytes>>,
}

/// Where uploads live: one handle, whichever storage `STORE_URL` picks.
#[derive(Debug, Clone)]
pub enum Files {
    /// Files under `STORE_ROOT`.
    Local(LocalFiles),
    /// Objects in an S3-compatible bucket (or any `object_store` backend).
    Object(ObjectFiles),
}

impl Files {
    /// Opens the storage the configuration names; an S3 bucket is checked
    /// once, so wrong credentials or a missing bucket stop start-up.
    ///
    /// # Errors
    /// When the directory cannot be created or the bucket cannot be used.
    pub async fn open(config: &Config) -> Result<Self, OpenError> {
        match &config.store_url {
            StoreUrl::Local => LocalFiles::open(&config.store_root)
                .map(Self::Local)
                .map_err(|source| OpenError::Dir {
                    path: config.store_root.display().to_string(),
                    source,
                }),
            StoreUrl::S3 { bucket, prefix } => ObjectFiles::s3(bucket, prefix, &config.aws)
                .await
                .map(Self::Object),
        }
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
        match self {
            Self::Local(files) => files.store(body, limit).await,
            Self::Object(files) => files.store(body, limit).await,
        }
    }

    /// Stores `body` under `key` (a restore putting a backup's files back
    /// where their messages expect them), refusing more than `limit` bytes.
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
        match self {
            Self::Local(files) => files.store_at(key, body, limit).await,
            Self::Object(files) => files.store_at(key.to_owned(), body, limit).await,
        }
    }

    /// Opens a stored file, or the bytes `range` of it, for streaming;
    /// `None` when nothing is stored under `key`.
    ///
    /// # Errors
    /// When the storage fails.
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> std::io::Result<Option<Download>> {
        match self {
            Self::Local(files) => files.read(key, range).await,
            Self::Object(files) => files.read(key, range).await,
        }
    }

    /// Stores bytes made by the server (a preview) under a fresh key.
    ///
    /// # Errors
    /// `Io` when the storage refuses; nothing is left behind.
    pub async fn store_bytes(&self, bytes: Vec<u8>) -> Result<StoredFile, FileError> {
        let size = bytes.len() as u64;
        let body = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(bytes))]);
        self.store(body, size).await
    }

    /// Reads up to `limit` bytes from the start of a stored file into
    /// memory (the whole file when it is shorter); `None` when nothing is
    /// stored under `key`.
    ///
    /// # Errors
    /// When the storage fails.
    pub async fn read_start(&self, key: &str, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
        let Some(whole) = self.read(key, None).await? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(usize::try_from(whole.size.min(limit)).unwrap_or(0));
        let mut body = whole.body;
        while let Some(chunk) = futures_util::StreamExt::next(&mut body).await {
            let chunk = chunk?;
            let room = usize::try_from(limit).unwrap_or(usize::MAX) - out.len();
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if out.len() as u64 >= limit {
                break;
            }
        }
        Ok(Some(out))
    }

    /// Removes a stored file; a missing file is not an error.
    ///
    /// # Errors
    /// When the storage refuses.
    pub async fn delete(&self, key: &str) -> std::io::Result<()> {
        match self {
            Self::Local(files) => files.delete(key).await,
            Self::Object(files) => files.delete(key).await,
        }
    }

    /// Writes, reads back and removes a small probe file, as an upload
    /// would: whether the storage works now (readiness, `doctor`).
    ///
    /// # Errors
    /// Which step failed, and why.
    pub async fn probe(&self) -> Result<(), String> {
        const PROBE: &[u8] = b"conversate storage probe";
        let body = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(PROBE))]);
        let stored = self
            .store(body, PROBE.len() as u64)
            .await
            .map_err(|e| format!("cannot write: {e}"))?;
        let read = async {
            let Some(download) = self.read(&stored.key, None).await? else {
                return Err(std::io::Error::other("the probe file vanished"));
            };
            let chunks: Vec<Bytes> = futures_util::TryStreamExt::try_collect(download.body).await?;
            if chunks.concat() == PROBE {
                Ok(())
            } else {
                Err(std::io::Error::other("the probe file came back changed"))
            }
        }
        .await;
        let deleted = self.delete(&stored.key).await;
        read.map_err(|e| format!("cannot read: {e}"))?;
        deleted.map_err(|e| format!("cannot delete: {e}"))
    }

    /// Removes what a crash mid-upload left behind, where that is ours to do.
    pub async fn sweep_temporary(&self) {
        match self {
            Self::Local(files) => files.sweep_temporary().await,
            // Incomplete multipart uploads are the bucket's lifecycle rule's
            // job (README, "Object storage"): listing and aborting them here
            // could cut off another node's upload in progress.
            Self::Object(_) => {}
        }
    }
}

/// Counts and sniffs an upload while it streams in, refusing it as soon as
/// it passes the limit.
struct Intake {
    limit: u64,
    size: u64,
    head: Vec<u8>,
}

impl Intake {
    fn new(limit: u64) -> Self {
        Self {
            limit,
            size: 0,
            head: Vec::with_capacity(16),
        }
    }

    /// Accepts the next chunk of the body.
    fn take<E: std::error::Error + 'static>(
        &mut self,
        chunk: Result<Bytes, E>,
    ) -> Result<Bytes, FileError> {
        let chunk = chunk.map_err(|e| FileError::Interrupted(with_causes(&e)))?;
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(FileError::TooLarge { limit: self.limit });
        }
        if self.head.len() < 16 {
            let take = (16 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        Ok(chunk)
    }

    fn stored(self, key: String) -> StoredFile {
        StoredFile {
            key,
            size: self.size,
            content_type: sniff(&self.head).to_owned(),
        }
    }
}

fn new_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `key` is one of ours (32 hex digits); anything else is refused
/// outright, so a key can never walk out of the storage.
fn is_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit())
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

/// An error and its causes, `outer: inner: …` (the cause of a broken
/// upload sits a few levels down, under the multipart parser's error).
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_trusts_bytes_not_names() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(sniff(b"<svg xmlns="), "application/octet-stream");
        assert_eq!(sniff(b"<html><script>"), "application/octet-stream");
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
    }

    #[test]
    fn only_our_keys_are_keys() {
        assert!(is_key("0123456789abcdef0123456789abcdef"));
        assert!(!is_key("../../etc/passwd"));
        assert!(!is_key("0123456789abcdef0123456789abcde/"));
        assert!(!is_key(""));
    }
}
