//! Catch-up in the JSON API: the rooms with what is new, the read cursor,
//! and the typing signal.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::open;
use crate::web::auth::Viewer;
use crate::web::error::{ApiError, AppError};
use crate::web::forms::FormData;
use crate::web::state::AppState;

/// `GET /api/rooms/`: the user's rooms, rooms with news first.
#[tracing::instrument(level = "debug", skip_all)]
#[utoipa::path(
    get,
    path = "/api/rooms/",
    tag = "catch-up",
    responses(
        (status = 200, description = "The rooms with what is new", body = crate::web::openapi::RoomsAnswer),
        crate::web::openapi::RoomErrors
    )
)]
pub async fn rooms(State(state): State<AppState>, viewer: Viewer) -> Result<Json<Value>, ApiError> {
    let Some(user) = viewer.user.as_ref() else {
        return Err(ApiError(AppError::LoginRequired {
            next: String::new(),
        }));
    };
    let news: Vec<_> = state
        .chat
        .room_news(user)
        .await?
        .into_iter()
        // A token limited to a room lists only that room.
        .filter(|n| {
            viewer
                .grant
                .as_ref()
                .is_none_or(|g| g.covers_room(n.room.id))
        })
        .collect();
    let listed: Vec<_> = news.iter().map(|n| &n.room).collect();
    let names = crate::service::directory::names_for(&state.chat, user, &listed).await?;
    let rooms: Vec<Value> = news
        .iter()
        .zip(names)
        .map(|(n, (title, direct))| {
            json!({
                "slug": n.room.slug,
                "title": title,
                "direct": direct,
                "unread": n.unread,
                "mentions": n.mentions,
                "last_id": n.last_id,
            })
        })
        .collect();
    Ok(Json(json!({ "success": true, "rooms": rooms })))
}

/// `POST /{slug}/api/read/`: field `last`, the newest message id read.
/// Answers the cursor, which never moves backwards.
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
#[utoipa::path(
    post,
    path = "/{slug}/api/read/",
    tag = "catch-up",
    params(("slug" = String, Path, description = "The room's slug")),
    request_body(content = crate::web::openapi::ReadForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The read cursor", body = crate::web::openapi::ReadAnswer),
        crate::web::openapi::RoomErrors
    )
)]
pub async fn read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Json<Value>, ApiError> {
    let access = open(&state, &viewer, &slug).await?;
    let last = form.required_id("last")?;
    let cursor = state.chat.mark_read(&access, last).await?;
    Ok(Json(json!({ "success": true, "last_read": cursor })))
}

/// `POST /{slug}/api/typing/`: the member is typing; event streams of the
/// room hear `typing` (repeats within a few seconds are dropped).
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
#[utoipa::path(
    post,
    path = "/{slug}/api/typing/",
    tag = "catch-up",
    params(("slug" = String, Path, description = "The room's slug")),
    request_body(content = crate::web::openapi::NoFields, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Told", body = crate::web::openapi::Done),
        crate::web::openapi::RoomErrors
    )
)]
pub async fn typing(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    _form: FormData,
) -> Result<Json<Value>, ApiError> {
    let access = open(&state, &viewer, &slug).await?;
    state.chat.typing(&access)?;
    Ok(Json(json!({ "success": true })))
}
