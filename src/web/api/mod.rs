//! The JSON API compatible with the original's protocol (`docs/api.md`), and the
//! event stream. Form-encoded (or multipart) POSTs; errors as
//! `{"success": false, "error": "<sentence>"}` with a fitting status.

pub mod catch_up;
pub mod events;
pub mod lifecycle;
pub mod push;
pub mod search;

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Request, State};
use serde_json::{Value, json};

use crate::domain;
use crate::domain::Message;
use crate::service::chat::Access;
use crate::web::auth::Viewer;
use crate::web::error::{ApiError, AppError};
use crate::web::forms::parse_id;
use crate::web::forms::{FormData, read_upload};
use crate::web::send::{check_send_rate, post_draft};
use crate::web::state::AppState;
use crate::web::views::MessageView;

/// Longest long-poll wait, seconds.
pub const MAX_WAIT_SECS: u64 = 25;

/// Opens a room for the API: 401 when logged out, 404 when missing or not a member.
///
/// # Errors
/// As above.
pub async fn open(state: &AppState, viewer: &Viewer, slug: &str) -> Result<Access, ApiError> {
    let Some(user) = viewer.user.as_ref() else {
        return Err(ApiError(AppError::LoginRequired {
            next: String::new(),
        }));
    };
    let access = state.chat.open(user, slug).await?;
    // A token limited to another room sees this one as missing.
    if viewer
        .grant
        .as_ref()
        .is_some_and(|g| !g.covers_room(access.room.id))
    {
        return Err(ApiError(crate::web::error::no_such_room()));
    }
    Ok(access)
}

fn has_focus(form: &FormData) -> bool {
    form.checked("hasFocus")
}

/// The poll/send answer: what happened after cursor `last` (new messages,
/// and in `changes` the messages the client has that changed), the
/// members, the time.
async fn news(
    state: &AppState,
    access: &Access,
    last: i64,
    news: Vec<Message>,
) -> Result<Json<News>, ApiError> {
    let now = domain::now();
    let members = state.chat.members(access.room.id).await?;
    let new_last = cursor_after(last, &news);
    let (mut fresh, changed): (Vec<Message>, Vec<Message>) =
        news.into_iter().partition(|m| m.id > last);
    // New messages oldest first, as the original's clients append them (one
    // edited since it was sent comes in cursor order after later ones).
    fresh.sort_by_key(|m| m.id);
    let room_url = state.room_url(&access.room.slug);
    let view = |list: Vec<Message>| -> Vec<MessageView> {
        list.iter().map(|m| MessageView::at(&room_url, m)).collect()
    };
    let (messages, changes) = (view(fresh), view(changed));
    let users = state
        .users_json
        .get(state.prefix(), access.room.id, &members, now)
        .map_err(|e| AppError::Internal(format!("rendering the users list: {e}")))?;
    Ok(Json(News {
        success: true,
        last: new_last,
        time: now,
        messages,
        changes,
        users,
    }))
}

/// The client's cursor after it has `news`: the last one's cursor position.
fn cursor_after(last: i64, news: &[Message]) -> i64 {
    news.last().map_or(last, |m| m.rev.max(last))
}

/// The poll/send answer (`docs/api.md`, poll), serialised straight from this struct.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct News {
    pub success: bool,
    pub last: i64,
    pub time: i64,
    pub messages: Vec<MessageView>,
    /// Messages the client already has (id at most its `last`) that
    /// changed since: edited, deleted or reacted to. Clients of the
    /// original ignore it.
    pub changes: Vec<MessageView>,
    /// `[UserView]`, rendered once per room and second ([`crate::web::views::UsersJson`]).
    #[schema(value_type = Vec<crate::web::views::UserView>)]
    pub users: Box<serde_json::value::RawValue>,
}

/// `POST /{slug}/api/poll/`: fields `last`, `hasFocus`, optional `wait`.
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
#[utoipa::path(
    post,
    path = "/{slug}/api/poll/",
    tag = "messages",
    params(("slug" = String, Path, description = "The room's slug")),
    request_body(content = crate::web::openapi::PollForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "What happened after `last`", body = News),
        crate::web::openapi::RoomErrors
    )
)]
pub async fn poll(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Json<News>, ApiError> {
    let access = open(&state, &viewer, &slug).await?;
    let last = form.required_id("last")?;
    let wait = match form.get("wait").map(str::trim).filter(|w| !w.is_empty()) {
        Some(w) => w
            .parse::<u64>()
            .map_err(|_| {
                AppError::BadRequest(
                    "The field 'wait' must be a whole number of seconds.".to_owned(),
                )
            })?
            .min(MAX_WAIT_SECS),
        None => 0,
    };
    let focus = has_focus(&form);
    state.chat.seen(&access, focus).await?;
    // A held long-poll answers at once when the server shuts down.
    let mut shutdown = state.shutdown.clone();
    let _held = (wait > 0).then(|| crate::metrics::Held::new(&state.chat.metrics.open_long_polls));
    let messages = tokio::select! {
        result = state.chat.wait_since(&access, last, Duration::from_secs(wait)) => result?,
        _ = shutdown.changed() => state.chat.since(&access, last).await?,
    };
    // Delivered to a window being looked at: read.
    if focus && !messages.is_empty() {
        state
            .chat
            .mark_read(&access, cursor_after(last, &messages))
            .await?;
    }
    news(&state, &access, last, messages).await
}

/// `POST /{slug}/api/send/`: fields `content`, optional `file`, `last`,
/// `hasFocus`, `client_id`. Answers like a poll, the new message included.
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
#[utoipa::path(
    post,
    path = "/{slug}/api/send/",
    tag = "messages",
    params(("slug" = String, Path, description = "The room's slug")),
    request_body(
        content(
            (crate::web::openapi::SendForm = "application/x-www-form-urlencoded"),
            (crate::web::openapi::SendForm = "multipart/form-data")
        )
    ),
    responses(
        (status = 200, description = "Like a poll, the new message included", body = News),
        (status = 413, description = "The message or file is too large", body = crate::web::openapi::ErrorAnswer),
        crate::web::openapi::RoomErrors
    )
)]
pub async fn send(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    request: Request,
) -> Result<Json<News>, ApiError> {
    let access = open(&state, &viewer, &slug).await?;
    check_send_rate(&state, &access).await?;
    let form = read_upload(
        &state,
        &viewer.session,
        request,
        false,
        state.config.max_upload_bytes,
    )
    .await?;
    let last = match form.fields.get("last").filter(|l| !l.trim().is_empty()) {
        Some(raw) => Some(parse_id(raw, "last")?),
        None => None,
    };
    let focus = has_focus(&form.fields);
    let posted = post_draft(&state, &access, form, focus).await?;
    let last = last
        .unwrap_or(posted.message.id - 1)
        .min(posted.message.id - 1);
    let messages = state
        .chat
        .since_through(&access, last, posted.message.id)
        .await?;
    news(&state, &access, last, messages).await
}

/// `POST /{slug}/api/history/`: field `first`.
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
#[utoipa::path(
    post,
    path = "/{slug}/api/history/",
    tag = "messages",
    params(("slug" = String, Path, description = "The room's slug")),
    request_body(content = crate::web::openapi::HistoryForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Older messages", body = crate::web::openapi::HistoryAnswer),
        crate::web::openapi::RoomErrors
    )
)]
pub async fn history(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Json<crate::web::openapi::HistoryAnswer>, ApiError> {
    let access = open(&state, &viewer, &slug).await?;
    let first = form.required_id("first")?;
    let page = state.chat.history(&access, first).await?;
    let room_url = state.room_url(&slug);
    let messages: Vec<MessageView> = page
        .messages
        .iter()
        .map(|m| MessageView::at(&room_url, m))
        .collect();
    let first = if page.messages.is_empty() {
        first
    } else {
        page.first()
    };
    // Serialised straight from the typed answer: through a `json!` value
    // every message was copied into a map first.
    Ok(Json(crate::web::openapi::HistoryAnswer {
        success: true,
        first,
        remaining: page.remaining,
        messages,
    }))
}

/// `POST /{slug}/api/presence/`: field `hasFocus`; for clients on the event stream.
#[utoipa::path(
    post,
    path = "/{slug}/api/presence/",
    tag = "catch-up",
    params(("slug" = String, Path, description = "The room's slug")),
    request_body(content = crate::web::openapi::PresenceForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Noted", body = crate::web::openapi::Done),
        crate::web::openapi::RoomErrors
    )
)]
pub async fn presence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Json<Value>, ApiError> {
    let access = open(&state, &viewer, &slug).await?;
    state.chat.seen(&access, has_focus(&form)).await?;
    Ok(Json(json!({ "success": true })))
}
