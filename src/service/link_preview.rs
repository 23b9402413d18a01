//! Link previews: what the page a message links to says about itself
//! (`domain/link_meta.rs`), and its image, fetched through the guarded
//! outbound client (`outbound.rs`: public addresses only, checked after DNS
//! and on every redirect, `http(s)` only, size, time and redirect limits).
//! The image is re-encoded like an upload and served from our origin, so a
//! reader's browser never asks the linked site for anything.

use crate::domain::link_meta;
use crate::domain::previews::LinkPreview;
use crate::outbound::{self, Outbound, Request};

/// A link's preview, with its image's bytes still to be re-encoded.
#[derive(Debug, Clone)]
pub struct Found {
    pub preview: LinkPreview,
    pub image_bytes: Option<Vec<u8>>,
}

/// Fetches link previews through the guarded client.
#[derive(Debug, Clone)]
pub struct LinkFetcher {
    pub outbound: Outbound,
    /// Most bytes of a page read for its head (`LINK_PREVIEW_PAGE_BYTES`).
    pub page_bytes: usize,
    /// Most bytes of a preview image fetched (`LINK_PREVIEW_IMAGE_BYTES`).
    pub image_bytes: usize,
}

impl LinkFetcher {
    /// The preview of `url`; `None` when the page is not HTML, answers
    /// with an error status, or says nothing about itself.
    ///
    /// # Errors
    /// Why the page could not be fetched (refused address, time-out, …),
    /// in words for the log.
    pub async fn fetch(&self, url: &str) -> Result<Option<Found>, String> {
        let mut request = Request::get(url);
        request.limits.max_bytes = self.page_bytes;
        request.headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("text/html,application/xhtml+xml"),
        );
        let page = self
            .outbound
            .send(request)
            .await
            .map_err(|e| e.to_string())?;
        if !(200..300).contains(&page.status) || !is_html(&page.headers) {
            return Ok(None);
        }
        let html = String::from_utf8_lossy(&page.body);
        let meta = link_meta::read(&html);
        if meta.title.is_empty() && meta.description.is_empty() {
            return Ok(None);
        }
        // Relative image addresses are relative to where the page really
        // was, after redirects.
        let image_url = meta.image.as_deref().and_then(|image| {
            reqwest::Url::parse(&page.url)
                .ok()?
                .join(image)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
        });
        let image_bytes = match image_url {
            Some(image_url) => self.fetch_image(image_url.as_str()).await,
            None => None,
        };
        Ok(Some(Found {
            preview: LinkPreview {
                url: url.to_owned(),
                title: meta.title,
                description: meta.description,
                image: None,
            },
            image_bytes,
        }))
    }

    /// The bytes of a page's image, or `None` (logged) when it cannot be
    /// had: a preview without its picture is still a preview.
    async fn fetch_image(&self, url: &str) -> Option<Vec<u8>> {
        let mut request = Request::get(url);
        request.limits.max_bytes = self.image_bytes;
        match self.outbound.send(request).await {
            Ok(answer) if (200..300).contains(&answer.status) => Some(answer.body.to_vec()),
            Ok(answer) => {
                tracing::info!(
                    status = answer.status,
                    "a link preview's image was not there"
                );
                None
            }
            Err(e @ outbound::OutboundError::Refused(_)) => {
                tracing::info!(error = %e, "a link preview's image is on a refused address");
                None
            }
            Err(e) => {
                tracing::info!(error = %e, "a link preview's image could not be fetched");
                None
            }
        }
    }
}

fn is_html(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.starts_with("text/html") || v.starts_with("application/xhtml+xml")
        })
}
