//! Previews made after a message is sent, off the request path: the
//! preview of an attached image (`files/preview.rs`) and the preview of
//! the text's first link (`service/link_preview.rs`).
//!
//! A send only asks ([`Queue::ask`]); one task per kind on the node that
//! took the send makes them one at a time (so decoding holds one image in
//! memory at once, and a slow web site delays only other links), then
//! stores them with the message as a change: every listener on every node
//! and transport gets the message again, with its previews, like an edit.
//! A job lost to a restart leaves the message as it was sent (the file is
//! a download, the link a link).

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::ServiceError;
use super::chat::Chat;
use crate::domain::Message;
use crate::domain::previews::{Previews, StoredImage};
use crate::files::Files;
use crate::files::preview::{self, PreviewLimits};

/// Jobs waiting per kind; beyond this a send's preview is skipped (logged)
/// rather than queued without bound.
const QUEUE_LEN: usize = 256;

/// One message to make a preview for.
#[derive(Debug, Clone)]
struct Job {
    room_id: i64,
    id: i64,
    /// The attached image's key, or the link.
    what: String,
}

/// Where sends ask for previews.
#[derive(Debug, Clone)]
pub struct Queue {
    images: mpsc::Sender<Job>,
    links: mpsc::Sender<Job>,
}

/// The other end of a [`Queue`], for [`run`].
#[derive(Debug)]
pub struct Jobs {
    images: mpsc::Receiver<Job>,
    links: mpsc::Receiver<Job>,
}

impl Queue {
    /// A queue and its jobs.
    #[must_use]
    pub fn new() -> (Self, Jobs) {
        let (images, images_rx) = mpsc::channel(QUEUE_LEN);
        let (links, links_rx) = mpsc::channel(QUEUE_LEN);
        (
            Self { images, links },
            Jobs {
                images: images_rx,
                links: links_rx,
            },
        )
    }

    /// Asks for the previews a new message gets: its image's, and its
    /// first link's when link previews are on. Never waits.
    pub fn ask(
        &self,
        message: &Message,
        first_link: Option<&str>,
        rich: crate::config::RichSettings,
    ) {
        let job = |what: &str| Job {
            room_id: message.room_id,
            id: message.id,
            what: what.to_owned(),
        };
        if let Some(file) = &message.file
            && crate::files::is_inline_image(&file.content_type)
            && self.images.try_send(job(&file.key)).is_err()
        {
            tracing::warn!(id = message.id, "too many image previews waiting; skipped");
        }
        self.ask_link(message, first_link, rich);
    }

    /// Asks for the preview of `first_link` only (an edited message's new
    /// first link), when link previews are on. Never waits.
    pub fn ask_link(
        &self,
        message: &Message,
        first_link: Option<&str>,
        rich: crate::config::RichSettings,
    ) {
        if rich.link_previews
            && let Some(url) = first_link
            && self
                .links
                .try_send(Job {
                    room_id: message.room_id,
                    id: message.id,
                    what: url.to_owned(),
                })
                .is_err()
        {
            tracing::warn!(id = message.id, "too many link previews waiting; skipped");
        }
    }
}

/// What the preview tasks use.
#[derive(Clone)]
pub struct Previewer {
    pub chat: Arc<Chat>,
    pub files: Arc<Files>,
    /// The largest upload, so reading an original back is bounded too.
    pub max_upload_bytes: u64,
    /// Fetches link previews (none: links get none).
    pub links: Option<Arc<super::link_preview::LinkFetcher>>,
}

impl Previewer {
    fn limits(&self) -> PreviewLimits {
        PreviewLimits {
            max_pixels: self.chat.rich.image_max_pixels,
        }
    }

    /// Makes and stores the preview of message `id`'s image.
    async fn image(&self, job: &Job) -> Result<(), String> {
        let bytes = self
            .files
            .read_start(&job.what, self.max_upload_bytes)
            .await
            .map_err(|e| format!("reading the image failed: {e}"))?
            .ok_or("the image is no longer stored")?;
        let image = self.store_preview(bytes).await?;
        self.save(
            job,
            Previews {
                image: Some(image),
                link: None,
            },
        )
        .await
    }

    /// Makes the preview of image `bytes` (on a blocking thread) and stores
    /// it under a fresh key.
    ///
    /// # Errors
    /// Why not, in words for the log.
    pub async fn store_preview(&self, bytes: Vec<u8>) -> Result<StoredImage, String> {
        let limits = self.limits();
        let made = tokio::task::spawn_blocking(move || preview::make(&bytes, limits))
            .await
            .map_err(|e| format!("the preview task failed: {e}"))?
            .map_err(|e| e.to_string())?;
        let stored = self
            .files
            .store_bytes(made.bytes)
            .await
            .map_err(|e| e.to_string())?;
        Ok(StoredImage {
            key: stored.key,
            content_type: made.content_type.to_owned(),
            width: made.width,
            height: made.height,
        })
    }

    /// Stores `previews` with the message (telling every listener); the
    /// images it names are removed again when the message is gone.
    async fn save(&self, job: &Job, previews: Previews) -> Result<(), String> {
        let keys = previews.keys();
        match self.chat.add_previews(job.room_id, job.id, previews).await {
            Ok(removed) => {
                super::chat::remove_files(&self.files, &removed).await;
                Ok(())
            }
            Err(e) => {
                super::chat::remove_files(&self.files, &keys).await;
                match e {
                    // Deleted meanwhile, or its room: nothing to show it on.
                    ServiceError::Conflict(_) | ServiceError::NotFound(_) => Ok(()),
                    other => Err(other.to_string()),
                }
            }
        }
    }

    /// Makes and stores the preview of message `id`'s first link.
    async fn link(&self, job: &Job) -> Result<(), String> {
        let Some(fetcher) = &self.links else {
            return Ok(());
        };
        let Some(mut found) = fetcher.fetch(&job.what).await? else {
            return Ok(());
        };
        let image = match found.image_bytes.take() {
            Some(bytes) => match self.store_preview(bytes).await {
                Ok(image) => Some(image),
                Err(e) => {
                    tracing::info!(id = job.id, error = %e, "a link's image got no preview");
                    None
                }
            },
            None => None,
        };
        let mut preview = found.preview;
        preview.image = image;
        self.save(
            job,
            Previews {
                image: None,
                link: Some(preview),
            },
        )
        .await
    }
}

/// Makes previews until shutdown: one task for images, one for links.
pub async fn run(previewer: Previewer, jobs: Jobs, shutdown: watch::Receiver<bool>) {
    let Jobs { images, links } = jobs;
    let a = previewer.clone();
    let images = work(images, shutdown.clone(), move |job| {
        let a = a.clone();
        async move { (a.image(&job).await, job) }
    });
    let b = previewer;
    let links = work(links, shutdown, move |job| {
        let b = b.clone();
        async move { (b.link(&job).await, job) }
    });
    tokio::join!(images, links);
}

async fn work<F, Fut>(mut jobs: mpsc::Receiver<Job>, mut shutdown: watch::Receiver<bool>, each: F)
where
    F: Fn(Job) -> Fut,
    Fut: Future<Output = (Result<(), String>, Job)>,
{
    loop {
        let job = tokio::select! {
            _ = shutdown.changed() => return,
            job = jobs.recv() => match job {
                Some(job) => job,
                None => return,
            },
        };
        let (result, job) = each(job).await;
        if let Err(e) = result {
            tracing::warn!(room = job.room_id, id = job.id, error = %e, "no preview was made");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Attachment;

    fn message(file_type: Option<&str>) -> Message {
        Message {
            id: 7,
            room_id: 3,
            file: file_type.map(|t| Attachment {
                name: "x".to_owned(),
                size: 1,
                content_type: t.to_owned(),
                key: "k".repeat(32),
            }),
            ..Message::default()
        }
    }

    #[test]
    fn sends_ask_for_an_images_and_a_links_preview_only_when_there_is_one_and_it_is_on() {
        let (queue, mut jobs) = Queue::new();
        let on = crate::config::RichSettings::default();
        let off = crate::config::RichSettings {
            link_previews: false,
            ..on
        };
        queue.ask(
            &message(Some("image/png")),
            Some("https://example.org/"),
            on,
        );
        let image = jobs.images.try_recv().expect("an image job");
        assert_eq!((image.room_id, image.id, image.what.len()), (3, 7, 32));
        assert_eq!(
            jobs.links.try_recv().expect("a link job").what,
            "https://example.org/"
        );
        // Not an image, and link previews off: nothing at all.
        queue.ask(
            &message(Some("application/octet-stream")),
            Some("https://example.org/"),
            off,
        );
        queue.ask(&message(None), None, on);
        assert!(jobs.images.try_recv().is_err());
        assert!(jobs.links.try_recv().is_err());
    }
}
