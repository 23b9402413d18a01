//! `POST /{slug}/api/edit/`, `api/delete/`, `api/react/`: the JSON twins of
//! the message forms (`web/pages/messages.rs`), over the same service
//! functions. Each answers `{"success": true, "message": {…}}` with the
//! message as it now stands; the room hears of it as a change on every
//! transport.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::open;
use crate::domain::Message;
use crate::web::auth::Viewer;
use crate::web::error::ApiError;
use crate::web::forms::FormData;
use crate::web::state::AppState;
use crate::web::views::MessageView;

fn answer(state: &AppState, slug: &str, m: &Message) -> Json<Value> {
    Json(json!({ "success": true, "message": MessageView::new(state, slug, m) }))
}

/// `POST /{slug}/api/edit/`: fields `id`, `content`.
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
#[utoipa::path(
    post,
    path = "/{slug}/api/edit/",
    tag = "changes",
    params(("slug" = String, Path, description = "The room's slug")),
    request_body(content = crate::web::openapi::EditForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The message as it now stands", body = crate::web::openapi::ChangeAnswer),
        crate::web::openapi::RoomErrors,
        (status = 409, description = "The message was deleted", body = crate::web::openapi::ErrorAnswer),
        (status = 413, description = "The text is too long", body = crate::web::openapi::ErrorAnswer)
    )
)]
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Json<Value>, ApiError> {
    let access = open(&state, &viewer, &slug).await?;
    let id = form.required_id("id")?;
    let m = state
        .chat
        .edit(&access, id, form.required("content")?)
        .await?;
    Ok(answer(&state, &slug, &m))
}

/// `POST /{slug}/api/delete/`: field `id`.
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
#[utoipa::path(
    post,
    path = "/{slug}/api/delete/",
    tag = "changes",
    params(("slug" = String, Path, description = "The room's slug")),
    request_body(content = crate::web::openapi::DeleteForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The message as it now stands", body = crate::web::openapi::ChangeAnswer),
        crate::web::openapi::RoomErrors
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Json<Value>, ApiError> {
    let access = open(&state, &viewer, &slug).await?;
    let id = form.required_id("id")?;
    let m = state.chat.delete(&state.files, &access, id).await?;
    Ok(answer(&state, &slug, &m))
}

/// `POST /{slug}/api/react/`: fields `id`, `emoji`.
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
#[utoipa::path(
    post,
    path = "/{slug}/api/react/",
    tag = "changes",
    params(("slug" = String, Path, description = "The room's slug")),
    request_body(content = crate::web::openapi::ReactForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The message as it now stands", body = crate::web::openapi::ChangeAnswer),
        crate::web::openapi::RoomErrors,
        (status = 409, description = "The message was deleted", body = crate::web::openapi::ErrorAnswer)
    )
)]
pub async fn react(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Json<Value>, ApiError> {
    let access = open(&state, &viewer, &slug).await?;
    let id = form.required_id("id")?;
    let m = state
        .chat
        .react(&access, id, form.required("emoji")?)
        .await?;
    Ok(answer(&state, &slug, &m))
}
