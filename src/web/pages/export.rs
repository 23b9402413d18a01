//! Members' downloads of their rooms' archives (`service::export`),
//! linked from the account page: a plain link, no script needed.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::service::export;
use crate::service::progress::Silent;
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Bytes buffered between the archive writer and the response.
const PIPE_BYTES: usize = 64 * 1024;

/// `GET /account/export/{slug}/`: the archive of one of the member's
/// rooms, streamed as it is written. Not a member, or no such room: the
/// same 404.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/"))?.clone();
    let room = export::room_of(&state.chat.store, &user, &slug).await?;
    let (writer, reader) = tokio::io::duplex(PIPE_BYTES);
    let store = state.chat.store.clone();
    let files = state.files.clone();
    let name = format!("conversate-{}.tar", room.slug);
    let writing = tokio::spawn(async move {
        export::write(&store, &files, &[room], writer, &Silent)
            .await
            .map(|_| ())
    });
    // A failure half-way ends the response with an error instead of a
    // clean end, so the download is seen as broken, not as a short archive.
    let outcome = futures_util::stream::once(async move {
        match writing.await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "an export download failed");
                Some(Err(std::io::Error::other(e.to_string())))
            }
            Err(e) => Some(Err(std::io::Error::other(e.to_string()))),
        }
    })
    .filter_map(std::future::ready);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(reader).chain(outcome));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
