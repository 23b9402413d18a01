//! Downloads: membership checked on every request, never served as active content.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::room::open;
use crate::files::is_inline_image;
use crate::store::StoreError;
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::state::AppState;

fn no_such_file() -> AppError {
    AppError::NotFound("No such file.".to_owned())
}

/// `GET /{slug}/file/{id}/`
#[tracing::instrument(skip_all, fields(slug = %slug, id = %id))]
pub async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
    request: Request,
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
    let message = match state.chat.store.message(access.room.id, id).await {
        Ok(m) => m,
        Err(StoreError::NotFound) => return Err(no_such_file()),
        Err(e) => return Err(e.into()),
    };
    let Some(file) = message.file else {
        return Err(no_such_file());
    };
    let Some(path) = state.files.path(&file.key) else {
        return Err(no_such_file());
    };
    let etag = format!("\"{}\"", file.key);
    if request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set_headers(&mut response, &etag, &file.name, &file.content_type);
        return Ok(response);
    }
    let inline = is_inline_image(&file.content_type);
    let mime = if inline {
        file.content_type.clone()
    } else {
        "application/octet-stream".to_owned()
    };
    let mime: mime_guess::mime::Mime = mime
        .parse()
        .map_err(|_| AppError::Internal("bad stored content type".to_owned()))?;
    let served = ServeFile::new_with_mime(&path, &mime)
        .oneshot(request)
        .await
        .map_err(|e| AppError::Internal(format!("serving a file failed: {e}")))?;
    if served.status() == StatusCode::NOT_FOUND {
        tracing::error!(key = %file.key, "a stored file is missing");
        return Err(no_such_file());
    }
    let mut response = served.map(axum::body::Body::new);
    set_headers(&mut response, &etag, &file.name, &file.content_type);
    Ok(response)
}

fn set_headers(response: &mut Response, etag: &str, name: &str, content_type: &str) {
    let headers = response.headers_mut();
    let disposition = if is_inline_image(content_type) {
        "inline"
    } else {
        "attachment"
    };
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
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
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
