//! Object storage: S3-compatible buckets (AWS S3, MinIO, Cloudflare R2, …)
//! through the `object_store` crate, so several nodes can share uploads.
//!
//! Keys are laid out as on disk, `<prefix>/ab/abcdef…`. An upload streams
//! through object_store's [`BufWriter`]: a file smaller than one part goes
//! up in a single PUT, a larger one as a multipart upload of fixed-size
//! parts with at most two in flight, so memory per upload stays around
//! three parts whatever the file's size. Either way the object appears
//! whole or not at all; an upload that fails or is refused midway is
//! aborted, and one cut off by a crash is left to the bucket's lifecycle
//! rule for incomplete multipart uploads (see the README).

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;

use super::{Download, FileError, Intake, OpenError, StoredFile, is_key, new_key};

/// S3's smallest part (except the last) of a multipart upload.
const MIN_PART: usize = 5 * 1024 * 1024;
/// S3 allows at most 10,000 parts; stay clear of it for any size limit.
const MAX_PARTS: u64 = 9_000;
/// Parts uploaded at the same time per upload.
const PARTS_IN_FLIGHT: usize = 2;

/// Uploads as objects in a store, under a key prefix.
#[derive(Debug, Clone)]
pub struct ObjectFiles {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    part_size: usize,
}

impl ObjectFiles {
    /// Storage in `store` under `prefix` (`""` for none).
    #[must_use]
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Self {
        Self {
            store,
            prefix: Path::from(prefix),
            part_size: MIN_PART,
        }
    }

    /// Uses parts of `bytes` (at least one; S3 wants 5 MiB, other stores
    /// less), so tests can exercise multipart uploads with small files.
    #[must_use]
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(1);
        self
    }

    /// An S3-compatible bucket, configured by the standard AWS variables
    /// (the same ones, read the same way, as `AmazonS3Builder::from_env`),
    /// checked with one listing so that a wrong bucket, endpoint or
    /// credentials stop start-up instead of the first upload.
    ///
    /// # Errors
    /// When the client cannot be built or the bucket cannot be listed.
    #[cfg(feature = "s3")]
    pub async fn s3(
        bucket: &str,
        prefix: &str,
        aws: &crate::config::AwsSettings,
    ) -> Result<Self, OpenError> {
        use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
        let url = crate::config::StoreUrl::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        }
        .to_string();
        // One line, even when the store answers with an XML document.
        let fail = |detail: String| OpenError::Object {
            url: url.clone(),
            detail: detail.split_whitespace().collect::<Vec<_>>().join(" "),
        };
        let mut builder = AmazonS3Builder::new();
        for (name, value) in &aws.0 {
            if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                builder = builder.with_config(key, value);
            }
        }
        let store = builder
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| fail(e.to_string()))?;
        let files = Self::new(Arc::new(store), prefix);
        match tokio::time::timeout(std::time::Duration::from_secs(30), files.check()).await {
            Ok(Ok(())) => Ok(files),
            Ok(Err(e)) => Err(fail(e.to_string())),
            Err(_) => Err(fail("no answer within 30 s".to_owned())),
        }
    }

    /// Without the `s3` feature there is no S3 client to open.
    ///
    /// # Errors
    /// Always.
    #[cfg(not(feature = "s3"))]
    pub async fn s3(
        bucket: &str,
        prefix: &str,
        _aws: &crate::config::AwsSettings,
    ) -> Result<Self, OpenError> {
        Err(OpenError::Object {
            url: crate::config::StoreUrl::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            }
            .to_string(),
            detail: "this build has no S3 support (build with the s3 feature)".to_owned(),
        })
    }

    /// Lists the top of the prefix: proves the store answers and lets us in.
    ///
    /// # Errors
    /// The store's refusal.
    pub async fn check(&self) -> object_store::Result<()> {
        let prefix = (!self.prefix.is_root()).then_some(&self.prefix);
        self.store.list_with_delimiter(prefix).await.map(drop)
    }

    /// Where a stored file lives, if the key is well-formed.
    #[must_use]
    pub fn path(&self, key: &str) -> Option<Path> {
        is_key(key).then(|| self.prefix.clone().join(&key[..2]).join(key))
    }

    /// Streams `body` to the store, refusing more than `limit` bytes.
    ///
    /// # Errors
    /// `TooLarge`, `Interrupted` or `Io`; in every case nothing is left behind.
    pub async fn store<S, E>(&self, body: S, limit: u64) -> Result<StoredFile, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + 'static,
    {
        self.store_at(new_key(), body, limit).await
    }

    /// Like [`Self::store`], under a key given (a restore puts each file
    /// back under the key its message names).
    ///
    /// # Errors
    /// As [`Self::store`]; `Io` for a key that is not one of ours.
    pub async fn store_at<S, E>(
        &self,
        key: String,
        mut body: S,
        limit: u64,
    ) -> Result<StoredFile, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + 'static,
    {
        let path = self
            .path(&key)
            .ok_or_else(|| std::io::Error::other("bad key"))?;
        let part_size = self
            .part_size
            .max(usize::try_from(limit.div_ceil(MAX_PARTS)).unwrap_or(usize::MAX));
        let mut upload = Upload(Some(
            BufWriter::with_capacity(self.store.clone(), path, part_size)
                .with_max_concurrency(PARTS_IN_FLIGHT),
        ));
        let mut intake = Intake::new(limit);
        let copied: Result<(), FileError> = async {
            while let Some(chunk) = body.next().await {
                upload.put(intake.take(chunk)?).await?;
            }
            Ok(())
        }
        .await;
        match copied {
            Ok(()) => upload.finish().await?,
            Err(e) => {
                upload.abort().await;
                return Err(e);
            }
        }
        Ok(intake.stored(key))
    }

    /// Opens a stored object, or the bytes `range` of it, for streaming.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> std::io::Result<Option<Download>> {
        let Some(path) = self.path(key) else {
            return Ok(None);
        };
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        match self.store.get_opts(&path, options).await {
            Ok(got) => Ok(Some(Download {
                size: got.meta.size,
                body: got.into_stream().map_err(std::io::Error::other).boxed(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Removes a stored object; a missing object is not an error.
    ///
    /// # Errors
    /// When the store refuses.
    pub async fn delete(&self, key: &str) -> std::io::Result<()> {
        let Some(path) = self.path(key) else {
            return Ok(());
        };
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// An upload in progress that is aborted unless it finishes, also when the
/// request is dropped midway (the client went away), so no parts linger.
struct Upload(Option<BufWriter>);

impl Upload {
    async fn put(&mut self, chunk: Bytes) -> std::io::Result<()> {
        match &mut self.0 {
            Some(writer) => writer.put(chunk).await.map_err(std::io::Error::other),
            None => Err(std::io::Error::other("the upload has ended")),
        }
    }

    /// Completes the upload: the object appears whole.
    async fn finish(mut self) -> std::io::Result<()> {
        match self.0.take() {
            // Once completing has begun it cannot be aborted; should it fail,
            // the bucket's lifecycle rule removes the parts.
            Some(mut writer) => writer.shutdown().await,
            None => Err(std::io::Error::other("the upload has ended")),
        }
    }

    /// Drops the parts uploaded so far.
    async fn abort(mut self) {
        if let Some(mut writer) = self.0.take()
            && let Err(e) = writer.abort().await
        {
            tracing::warn!(error = %e, "aborting an upload failed; the bucket's lifecycle rule will remove its parts");
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(mut writer) = self.0.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(e) = writer.abort().await {
                    tracing::warn!(error = %e, "aborting a dropped upload failed");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;

    use super::*;

    fn chunks(n: usize, size: usize) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures_util::stream::iter(
            (0..n).map(move |i| Ok(Bytes::from(vec![u8::try_from(i % 251).unwrap_or(0); size]))),
        )
    }

    async fn objects(store: &InMemory) -> Vec<String> {
        store
            .list(None)
            .map(|m| m.expect("meta").location.to_string())
            .collect()
            .await
    }

    async fn body(download: Download) -> Vec<u8> {
        let parts: Vec<Bytes> = download.body.map(|c| c.expect("chunk")).collect().await;
        parts.concat()
    }

    #[tokio::test]
    async fn small_and_multipart_uploads_round_trip_under_the_prefix() {
        let store = Arc::new(InMemory::new());
        let files = ObjectFiles::new(store.clone(), "chat/files").with_part_size(1000);
        files.check().await.expect("an empty store answers");
        for (n, size) in [(1, 12), (7, 600)] {
            let stored = files.store(chunks(n, size), 10_000).await.expect("stored");
            assert_eq!(stored.size, (n * size) as u64);
            let listed = objects(&store).await;
            let expected = format!("chat/files/{}/{}", &stored.key[..2], stored.key);
            assert!(listed.contains(&expected), "{listed:?}");
            let whole = files
                .read(&stored.key, None)
                .await
                .expect("read")
                .expect("there");
            assert_eq!(whole.size, stored.size);
            let bytes = body(whole).await;
            assert_eq!(bytes.len(), n * size);
            let part = files
                .read(&stored.key, Some(5..10))
                .await
                .expect("read")
                .expect("there");
            assert_eq!(body(part).await, bytes[5..10].to_vec());
            files.delete(&stored.key).await.expect("delete");
            assert!(files.read(&stored.key, None).await.expect("read").is_none());
            files
                .delete(&stored.key)
                .await
                .expect("a missing object is fine");
        }
        assert!(objects(&store).await.is_empty());
    }

    #[tokio::test]
    async fn the_head_is_sniffed() {
        let files = ObjectFiles::new(Arc::new(InMemory::new()), "");
        let body = futures_util::stream::iter(vec![
            Ok::<_, std::io::Error>(Bytes::from_static(b"\x89PN")),
            Ok(Bytes::from_static(b"G\r\n\x1a\n and the rest")),
        ]);
        let stored = files.store(body, 1000).await.expect("stored");
        assert_eq!(stored.content_type, "image/png");
        assert_eq!(files.path(&stored.key).expect("path").to_string().len(), 35);
    }

    #[tokio::test]
    async fn refused_and_broken_uploads_leave_nothing() {
        let store = Arc::new(InMemory::new());
        let files = ObjectFiles::new(store.clone(), "p").with_part_size(1000);
        // Past the limit after several parts were uploaded.
        let err = files
            .store(chunks(10, 600), 4_000)
            .await
            .expect_err("too large");
        assert!(matches!(err, FileError::TooLarge { limit: 4_000 }), "{err}");
        // The client goes away midway.
        let broken = futures_util::stream::iter(vec![
            Ok(Bytes::from(vec![1u8; 2_500])),
            Err(std::io::Error::other("connection reset")),
        ]);
        let err = files.store(broken, 10_000).await.expect_err("broken");
        assert!(matches!(err, FileError::Interrupted(_)), "{err}");
        assert!(objects(&store).await.is_empty());
    }

    #[test]
    fn keys_that_are_not_ours_have_no_path() {
        let files = ObjectFiles::new(Arc::new(InMemory::new()), "p");
        assert!(files.path("../../x").is_none());
        assert_eq!(
            files
                .path("0123456789abcdef0123456789abcdef")
                .expect("ours")
                .to_string(),
            "p/01/0123456789abcdef0123456789abcdef"
        );
    }
}
