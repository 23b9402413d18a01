//! Downloads: membership checked on every request, never served as active
//! content, streamed the same way from local files and from object storage.
//! Uploads are always downloads; only previews the server made (an image's,
//! a link's image) are shown inline.

mod range;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;

use self::range::ByteRange;
use super::room::open;
use crate::files::is_inline_image;
use crate::service::ServiceError;
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::state::AppState;

fn no_such_file() -> AppError {
    AppError::NotFound("No such file.".to_owned())
}

/// What a request for a stored file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    /// The uploaded original: always a download.
    Original,
    /// The attached image's preview, made by the server: shown inline.
    Preview,
    /// The image of the message's link preview, made by the server.
    LinkImage,
}

/// `GET /{slug}/file/{id}/`: the uploaded file, always as a download
/// (`attachment`), whatever it is: an image's original keeps its metadata,
/// so only its preview is shown inline.
pub async fn download(
    state: State<AppState>,
    viewer: Viewer,
    path: Path<(String, String)>,
    request: Request,
) -> Result<Response, AppError> {
    serve(state, viewer, path, request, Which::Original).await
}

/// `GET /{slug}/file/{id}/preview/`: the attached image's preview.
pub async fn preview(
    state: State<AppState>,
    viewer: Viewer,
    path: Path<(String, String)>,
    request: Request,
) -> Result<Response, AppError> {
    serve(state, viewer, path, request, Which::Preview).await
}

/// `GET /{slug}/m/{id}/link-image/`: the image of the message's link
/// preview, fetched once and re-encoded, so readers never ask the linked site.
pub async fn link_image(
    state: State<AppState>,
    viewer: Viewer,
    path: Path<(String, String)>,
    request: Request,
) -> Result<Response, AppError> {
    serve(state, viewer, path, request, Which::LinkImage).await
}

/// The stored file of one kind, as the viewer may have it.
struct Served {
    key: String,
    /// The name a download is saved under.
    name: String,
    content_type: String,
    size: u64,
    inline: bool,
}

#[tracing::instrument(skip_all, fields(slug = %slug, id = %id, which = ?which))]
async fn serve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
    request: Request,
    which: Which,
) -> Result<Response, AppError> {
    // Logged out, not a member, no such room, no such message, no file:
    // all answer 404 with the same sentence, so nothing can be probed.
    if viewer.user.is_none() {
        return Err(no_such_file());
    }
    let access = match open(&state, &viewer, &slug).await {
        Ok(access) => access,
        Err(AppError::NotFound(_)) => return Err(no_such_file()),
        Err(e) => return Err(e),
    };
    let id: i64 = id.parse().map_err(|_| no_such_file())?;
    let found = match which {
        Which::Original => state.chat.attachment(&access, id).await.map(|file| {
            file.map(|f| Served {
                key: f.key,
                name: f.name,
                content_type: f.content_type,
                size: u64::try_from(f.size).unwrap_or_default(),
                inline: false,
            })
        }),
        Which::Preview | Which::LinkImage => {
            state.chat.previews(&access, id).await.map(|previews| {
                let image = match which {
                    Which::Preview => previews.image,
                    _ => previews.link.and_then(|l| l.image),
                };
                image.map(|image| Served {
                    name: preview_name(&image.content_type),
                    key: image.key,
                    content_type: image.content_type,
                    // Unknown until read: previews are small and whole.
                    size: 0,
                    inline: true,
                })
            })
        }
    };
    let file = match found {
        Ok(Some(file)) => file,
        Ok(None) | Err(ServiceError::NotFound(_)) => return Err(no_such_file()),
        Err(e) => return Err(e.into()),
    };
    // A key names one upload for good, so it is a strong validator.
    let etag = format!("\"{}\"", file.key);
    let headers = request.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if text(header::IF_NONE_MATCH)
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set_headers(&mut response, &etag, &file.name, file.inline);
        return Ok(response);
    }
    // `If-Range` with another validator asks for the whole file.
    let size = file.size;
    let range = match text(header::RANGE) {
        // A preview's size is learnt as it is read; it is served whole.
        _ if file.inline => ByteRange::Whole,
        Some(v) if text(header::IF_RANGE).is_none_or(|t| t.trim() == etag) => range::parse(v, size),
        _ => ByteRange::Whole,
    };
    let part = match range {
        ByteRange::Whole => None,
        ByteRange::Part(part) => Some(part),
        ByteRange::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            insert(
                &mut response,
                header::CONTENT_RANGE,
                &format!("bytes */{size}"),
            );
            set_headers(&mut response, &etag, &file.name, file.inline);
            return Ok(response);
        }
    };
    let download = match state.files.read(&file.key, part.clone()).await {
        Ok(Some(download)) => download,
        Ok(None) => {
            tracing::error!(key = %file.key, "a stored file is missing");
            return Err(no_such_file());
        }
        Err(e) => {
            return Err(AppError::Unavailable(format!(
                "reading the stored file {} failed: {e}",
                file.key
            )));
        }
    };
    let key = file.key.clone();
    let body = download.body.inspect_err(move |e| {
        tracing::error!(key = %key, error = %e, "reading a stored file failed midway");
    });
    let mut response = Body::from_stream(body).into_response();
    let length = match &part {
        Some(part) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let last = part.end - 1;
            let content_range = format!("bytes {}-{last}/{}", part.start, download.size);
            insert(&mut response, header::CONTENT_RANGE, &content_range);
            part.end - part.start
        }
        None => download.size,
    };
    insert(&mut response, header::CONTENT_LENGTH, &length.to_string());
    if !file.inline {
        insert(&mut response, header::ACCEPT_RANGES, "bytes");
    }
    // Images keep their type (saved with the right extension); anything
    // else is bytes. Either way the browser is told to download it.
    let mime = if is_inline_image(&file.content_type) {
        file.content_type.as_str()
    } else {
        "application/octet-stream"
    };
    insert(&mut response, header::CONTENT_TYPE, mime);
    set_headers(&mut response, &etag, &file.name, file.inline);
    Ok(response)
}

fn insert(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// The name a preview is saved under, should a reader save it.
fn preview_name(content_type: &str) -> String {
    match content_type {
        "image/png" => "preview.png",
        _ => "preview.jpg",
    }
    .to_owned()
}

fn set_headers(response: &mut Response, etag: &str, name: &str, inline: bool) {
    let headers = response.headers_mut();
    let disposition = if inline { "inline" } else { "attachment" };
    headers.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(disposition, name),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'none'",
        ),
    );
    // A download is saved where the user chooses; a copy in the browser's
    // cache would outlive logout on a shared machine, so none is kept.
    // Inline images are shown again on every visit to the room: the browser
    // may keep them but must ask first (`no-cache` with the ETag), so each
    // showing passes the membership check (a removed member or a logged-out
    // visitor gets the 404, not the cached copy) and costs a bodiless 304.
    let cache = if inline {
        "private, no-cache"
    } else {
        "no-store"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, v);
    }
}

/// RFC 6266 `Content-Disposition` with an ASCII fallback and a UTF-8 `filename*`.
fn content_disposition(kind: &str, name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_safe_for_hostile_names() {
        let v = content_disposition("attachment", "\"a\\b\r\n€.html");
        let text = v.to_str().expect("ascii");
        assert!(text.starts_with("attachment; filename=\"_a_b__"), "{text}");
        assert!(
            text.contains("filename*=UTF-8''%22a%5Cb%0D%0A%E2%82%AC%2Ehtml"),
            "{text}"
        );
    }
}
