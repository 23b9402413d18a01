//! The one-click unsubscribe link from alert e-mails: works logged out,
//! authorised only by its signature, which names one member of one room.

use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::context;

use super::page;
use crate::service::accounts;
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::forms::FormData;
use crate::web::state::AppState;

fn invalid() -> AppError {
    AppError::NotFound("This link is invalid or no longer works.".to_owned())
}

async fn check(
    state: &AppState,
    room_id: &str,
    user_id: &str,
    token: &str,
) -> Result<(crate::domain::Room, crate::domain::Member), AppError> {
    let (Ok(room_id), Ok(user_id)) = (room_id.parse::<i64>(), user_id.parse::<i64>()) else {
        return Err(invalid());
    };
    if !state.signer.check(room_id, user_id, token) {
        return Err(invalid());
    }
    accounts::membership(&state.chat.store, room_id, user_id)
        .await?
        .ok_or_else(invalid)
}

/// `GET /unsubscribe/{room}/{user}/{token}/`: asks, so link scanners in
/// mail systems cannot turn alerts off by merely fetching the link.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((room_id, user_id, token)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let (room, member) = check(&state, &room_id, &user_id, &token).await?;
    page(&state, &viewer, "conversate/unsubscribe.html", context! {
        title => "Stop e-mail alerts", room_title => room.title, username => member.username, done => false, already => !member.mail_alert,
    })
    .await
}

/// `POST /unsubscribe/{room}/{user}/{token}/`
pub async fn unsubscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((room_id, user_id, token)): Path<(String, String, String)>,
    _form: FormData,
) -> Result<Response, AppError> {
    let (room, member) = check(&state, &room_id, &user_id, &token).await?;
    accounts::stop_mail_alerts(&state.chat.store, &member).await?;
    tracing::info!(room = %room.slug, user = %member.username, "e-mail alerts turned off by link");
    page(&state, &viewer, "conversate/unsubscribe.html", context! {
        title => "E-mail alerts stopped", room_title => room.title, username => member.username, done => true, already => false,
    })
    .await
}
