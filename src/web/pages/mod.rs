//! Server-rendered pages: everything works without JavaScript.

pub mod account;
pub mod admin;
pub mod directory;
pub mod export;
pub mod files;
pub mod index;
pub mod invitations;
pub mod messages;
pub mod notifications;
pub mod profile;
pub mod push;
pub mod reset;
pub mod room;
pub mod search;
pub mod setup;
pub mod sso;
pub mod tokens;
pub mod unsubscribe;

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Value, context};

use super::auth::Viewer;
use super::csrf;
use super::error::AppError;
use super::state::AppState;

/// The context every page's base template needs.
///
/// # Errors
/// When the session store fails.
pub async fn base(state: &AppState, viewer: &Viewer) -> Result<Value, AppError> {
    let csrf_token = csrf::token(&viewer.session);
    let user = viewer
        .user
        .as_ref()
        .map(|u| context! { username => u.username.clone(), is_admin => u.is_admin });
    // The VAPID key for the script's "turn on notifications" (logged in only).
    let push_key = viewer.user.as_ref().and_then(|_| state.push_key());
    Ok(context! { prefix => state.prefix(), csrf_token, user, push_key })
}

/// Renders a page with the base context merged under `ctx`.
///
/// # Errors
/// When rendering fails.
pub async fn page(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    ctx: Value,
) -> Result<Response, AppError> {
    let base = base(state, viewer).await?;
    let html = state.render(name, context! { ..ctx, ..base })?;
    let mut response = Html(html).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
