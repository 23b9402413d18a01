//! The room directory (`GET /rooms/`): open rooms to join, a form to start
//! a direct conversation, and (when `MEMBERS_CREATE_ROOMS` allows) a form
//! to make a room. Each form posts and is answered with 303 to the room.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::page;
use crate::domain::User;
use crate::service::{ServiceError, directory};
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::forms::FormData;
use crate::web::state::AppState;

async fn directory_page(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    extra: Value,
    status: StatusCode,
) -> Result<Response, AppError> {
    let rooms: Vec<Value> = directory::open_rooms(&state.chat, user)
        .await?
        .into_iter()
        .map(|(r, member)| {
            context! { url => state.room_url(&r.slug), slug => r.slug, title => r.title, member }
        })
        .collect();
    let can_create = state.chat.accounts.members_create_rooms || user.is_admin;
    let mut response = page(
        state,
        viewer,
        "conversate/rooms.html",
        context! { title => "Room directory", rooms, can_create, ..extra },
    )
    .await?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /rooms/`
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("rooms/"))?.clone();
    directory_page(&state, &viewer, &user, context! {}, StatusCode::OK).await
}

/// Answers a form's refusal on the directory page, with its status.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    e: ServiceError,
    extra: Value,
) -> Result<Response, AppError> {
    let error: AppError = e.into();
    if matches!(error, AppError::Internal(_) | AppError::Unavailable(_)) {
        return Err(error);
    }
    let status = match error.status() {
        StatusCode::CONFLICT => StatusCode::BAD_REQUEST,
        other => other,
    };
    directory_page(
        state,
        viewer,
        user,
        context! { error => error.message(), ..extra },
        status,
    )
    .await
}

/// `POST /rooms/direct/`: `username`; 303 to the direct room (made now,
/// or the one the two already have).
pub async fn direct(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("rooms/"))?.clone();
    let other = form.get("username").unwrap_or_default();
    match directory::start_direct(&state.chat, &user, other).await {
        Ok(room) => Ok(Redirect::to(&state.room_url(&room.slug)).into_response()),
        Err(e) => refused(&state, &viewer, &user, e, context! { username => other }).await,
    }
}

/// `POST /rooms/{slug}/join/`: 303 to the room; a room that is not open
/// answers as a missing one.
pub async fn join(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("rooms/"))?.clone();
    let room = directory::join_open(&state.chat, &user, &slug).await?;
    Ok(Redirect::to(&state.room_url(&room.slug)).into_response())
}

/// `POST /rooms/`: `slug`, `title`; 303 to the new room, whose maker is
/// its first member.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("rooms/"))?.clone();
    let slug = form.get("slug").unwrap_or_default();
    let title = form.get("title").unwrap_or_default();
    match directory::create_room(&state.chat, &user, slug, title).await {
        Ok(room) => Ok(Redirect::to(&state.room_url(&room.slug)).into_response()),
        Err(e) => {
            refused(
                &state,
                &viewer,
                &user,
                e,
                context! { slug, room_title => title },
            )
            .await
        }
    }
}
