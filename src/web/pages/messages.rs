//! A message's own pages and plain-form actions: the permalink, editing,
//! deleting (with a confirmation step), reacting, and the edit history
//! administrators see. The JSON twins are in `web/api/lifecycle.rs`; both
//! call the same service functions.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::page;
use super::room::{View, open, render};
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::forms::{FormData, parse_id};
use crate::web::state::AppState;
use crate::web::views::{MessageItem, iso_time};

/// The page after a form: the message's permalink, where the reader sees
/// what they did.
fn back_to(state: &AppState, slug: &str, id: i64) -> Response {
    Redirect::to(&crate::urls::message(state.prefix(), slug, id)).into_response()
}

fn message_id(raw: &str) -> Result<i64, AppError> {
    parse_id(raw, "id")
}

/// `GET /{slug}/m/{id}/`: the room around the message, which is marked.
/// Non-members, and ids that are not of this room, get the missing room's
/// 404.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn permalink(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    let id = parse_id(&id, "id").map_err(|_| crate::web::error::no_such_room())?;
    let opening = state.chat.page_around(&access, id).await?;
    state.chat.seen(&access, true).await?;
    render(
        &state,
        &viewer,
        &access,
        opening,
        View {
            highlight: Some(id),
            ..View::default()
        },
    )
    .await
}

/// `GET /{slug}/m/{id}/edit/`: the edit form.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    let m = state.chat.message(&access, message_id(&id)?).await?;
    if !state.chat.may_edit(&access, &m) {
        return Err(AppError::Forbidden(
            "You cannot edit this message.".to_owned(),
        ));
    }
    page(
        &state,
        &viewer,
        "conversate/message_edit.html",
        context! {
            title => "Edit message",
            room => minijinja::Value::from(minijinja::value::Serde(&access.room)),
            room_url => state.room_url(&slug),
            permalink => crate::urls::message(state.prefix(), &slug, m.id),
            pk => m.id,
            has_file => m.file.is_some(),
            content => m.content,
        },
    )
    .await
}

/// `GET /{slug}/m/{id}/delete/`: asks before deleting.
pub async fn delete_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    let m = state.chat.message(&access, message_id(&id)?).await?;
    if !crate::service::chat::Chat::may_delete(&access, &m) {
        return Err(AppError::Forbidden(
            "You cannot delete this message.".to_owned(),
        ));
    }
    let item = MessageItem::new(&state, &slug, &m, crate::domain::now());
    page(
        &state,
        &viewer,
        "conversate/message_delete.html",
        context! {
            title => "Delete message",
            room => minijinja::Value::from(minijinja::value::Serde(&access.room)),
            room_url => state.room_url(&slug),
            permalink => crate::urls::message(state.prefix(), &slug, m.id),
            m => minijinja::Value::from(minijinja::value::Serde(&item)),
            own => m.user_id == access.user.id,
        },
    )
    .await
}

/// `GET /{slug}/m/{id}/history/`: a message's previous versions, for
/// administrators; everyone else gets the missing page's 404.
pub async fn history(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    let (m, edits) = state.chat.edit_history(&access, message_id(&id)?).await?;
    let versions: Vec<_> = edits
        .iter()
        .map(|e| context! { replaced => iso_time(e.replaced_at), replaced_at => e.replaced_at, content => e.content.clone() })
        .collect();
    page(
        &state,
        &viewer,
        "conversate/message_history.html",
        context! {
            title => "Edit history",
            room => minijinja::Value::from(minijinja::value::Serde(&access.room)),
            room_url => state.room_url(&slug),
            permalink => crate::urls::message(state.prefix(), &slug, m.id),
            author => m.username,
            current => m.content,
            deleted => m.deleted.is_some(),
            edited => m.edited.map(iso_time),
            edited_at => m.edited,
            versions,
        },
    )
    .await
}

/// `POST /{slug}/edit/`: fields `id`, `content`; answers `303` to the
/// message's permalink.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    let id = form.required_id("id")?;
    state
        .chat
        .edit(&access, id, form.required("content")?)
        .await?;
    Ok(back_to(&state, &slug, id))
}

/// `POST /{slug}/delete/`: field `id` (the confirmation page posts it);
/// answers `303` to the message's permalink, where its tombstone stands.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    let id = form.required_id("id")?;
    state.chat.delete(&state.files, &access, id).await?;
    Ok(back_to(&state, &slug, id))
}

/// `POST /{slug}/react/`: fields `id`, `emoji`; toggles the reaction and
/// answers `303` to the message's permalink.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn react(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    let id = form.required_id("id")?;
    state
        .chat
        .react(&access, id, form.required("emoji")?)
        .await?;
    Ok(back_to(&state, &slug, id))
}
