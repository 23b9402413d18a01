//! Administration pages: the audit log here; the overview in
//! `overview.rs` (its charts' geometry in `charts.rs`), rooms and
//! memberships in `rooms.rs`, accounts in `users.rs`, bots, their tokens
//! and webhooks in `integrations.rs`.
//! Non-admins are refused by structure: the router mounts [`routes`] behind
//! an admin check, and every handler takes an [`AdminUser`]. Destructive
//! actions ask for confirmation on a page of their own.

use axum::extract::State;
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use minijinja::{Value, context};

mod charts;
mod integrations;
mod links;
mod overview;
mod rooms;
mod users;

use overview::index;

use rooms::{
    add_member, clear_room, clear_room_confirm, create_room, delete_room, delete_room_confirm,
    remove_member, remove_member_confirm, room_page, rooms, save_member, save_room, set_open,
};
use users::{
    create_user, deactivate, deactivate_confirm, reset_password, save_user, user_page, users,
};

use super::page;
use crate::domain::{Room, User};
use crate::service::ServiceError;
use crate::service::accounts::{find_room, find_user};
use crate::web::auth::{AdminUser, Viewer};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// One administration route: a method, a path under `admin/`, its handler.
pub struct Route {
    pub method: Method,
    /// The path under `{prefix}admin/`, e.g. `rooms/{slug}/`.
    pub path: &'static str,
    pub(crate) handler: MethodRouter<AppState>,
}

impl Route {
    fn get<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self {
            method: Method::GET,
            path,
            handler: get(handler),
        }
    }

    fn post<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self {
            method: Method::POST,
            path,
            handler: post(handler),
        }
    }
}

/// Every administration route. The router mounts exactly these, behind the
/// admin check, and the tests walk this same list as non-admins: a route
/// can only be added here, where it is guarded and tested.
#[must_use]
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("", index),
        Route::get("rooms/", rooms),
        Route::post("rooms/", create_room),
        Route::get("rooms/{slug}/", room_page),
        Route::post("rooms/{slug}/", save_room),
        Route::post("rooms/{slug}/open/", set_open),
        Route::get("rooms/{slug}/delete/", delete_room_confirm),
        Route::post("rooms/{slug}/delete/", delete_room),
        Route::get("rooms/{slug}/clear/", clear_room_confirm),
        Route::post("rooms/{slug}/clear/", clear_room),
        Route::post("rooms/{slug}/members/", add_member),
        Route::post("rooms/{slug}/members/{username}/", save_member),
        Route::get(
            "rooms/{slug}/members/{username}/remove/",
            remove_member_confirm,
        ),
        Route::post("rooms/{slug}/members/{username}/remove/", remove_member),
        Route::get("users/", users),
        Route::post("users/", create_user),
        Route::get("users/{username}/", user_page),
        Route::post("users/{username}/", save_user),
        Route::post("users/{username}/password/", reset_password),
        Route::post("users/{username}/profile/", users::moderate_profile),
        Route::get("users/{username}/deactivate/", deactivate_confirm),
        Route::post("users/{username}/deactivate/", deactivate),
        Route::get("invitations/", links::invitations),
        Route::post("invitations/", links::create_invitation),
        Route::post("invitations/{id}/revoke/", links::revoke_invitation),
        Route::post("resets/{id}/revoke/", links::revoke_reset),
        Route::get("audit/", audit),
        Route::get("integrations/", integrations::show),
        Route::post("integrations/bots/", integrations::create_bot),
        Route::post(
            "integrations/bots/{username}/tokens/",
            integrations::create_bot_token,
        ),
        Route::post(
            "integrations/bots/{username}/tokens/revoke/",
            integrations::revoke_bot_token,
        ),
        Route::post(
            "integrations/bots/{username}/outgoing/",
            integrations::set_outgoing_hook,
        ),
        Route::post("integrations/hooks/", integrations::create_hook),
        Route::post("integrations/hooks/revoke/", integrations::revoke_hook),
    ]
}

/// Query carrying a notice code after a redirect.
#[derive(Debug, serde::Deserialize)]
pub struct Notice {
    done: Option<String>,
}

fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "room-created" => "Room created.",
        "room-saved" => "Room saved.",
        "room-opened" => {
            "The room is open: anyone with an account can join it from the room directory."
        }
        "room-closed" => "The room is no longer open; its members stay.",
        "room-deleted" => "Room deleted, with its messages and files.",
        "room-cleared" => "All messages of the room were deleted.",
        "member-added" => "Member added.",
        "member-saved" => "Colour saved.",
        "member-removed" => "Member removed.",
        "user-created" => "Account created.",
        "user-saved" => "Account saved.",
        "profile-moderated" => "Profile changed; its rooms show it at once.",
        "password-set" => "Password changed.",
        "bot-created" => {
            "Bot created. Add it to rooms like any account; give it tokens or webhooks below."
        }
        "token-revoked" => "Token revoked.",
        "hook-revoked" => "Webhook revoked.",
        "outgoing-removed" => "Outgoing webhook removed.",
        "invitation-created" => "Invitation created. Copy its link now: it is shown only once.",
        "invitation-mailed" => "Invitation created; its link is on its way by e-mail.",
        "invitation-revoked" => "Invitation withdrawn; its link no longer works.",
        "reset-revoked" => "Reset link withdrawn; it no longer works.",
        "user-deactivated" => "Account deactivated; its sessions have ended.",
        "user-deactivated-messages-removed" => {
            "Account deactivated; its sessions have ended and its messages were deleted."
        }
        _ => return None,
    })
}

async fn room(state: &AppState, slug: &str) -> Result<Room, AppError> {
    find_room(&state.chat.store, slug)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => AppError::NotFound("No such room.".to_owned()),
            other => other.into(),
        })
}

async fn user(state: &AppState, username: &str) -> Result<User, AppError> {
    Ok(find_user(&state.chat.store, username).await?)
}

fn redirect(state: &AppState, path: &str, done: &str) -> Response {
    Redirect::to(&format!("{}?done={done}", state.url(path))).into_response()
}

/// Renders `name` again with an error and a 400 (or the error's own status).
async fn form_error(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    ctx: Value,
    e: ServiceError,
) -> Result<Response, AppError> {
    let error: AppError = e.into();
    if matches!(error, AppError::Internal(_) | AppError::Unavailable(_)) {
        return Err(error);
    }
    let status = error.status();
    let mut response = page(
        state,
        viewer,
        name,
        context! { error => error.message(), ..ctx },
    )
    .await?;
    *response.status_mut() = if status == StatusCode::CONFLICT {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    Ok(response)
}

/// What a confirmation page asks: message ids of the catalogues, worded
/// in the reader's language with `names` (a room's title, an account's
/// name) as their arguments.
struct Question<'a> {
    ask: &'static str,
    detail: &'static str,
    button: &'static str,
    /// A checkbox: its field's name and its label's message id.
    option: Option<(&'static str, &'static str)>,
    names: &'a [(&'static str, &'a str)],
}

/// A confirmation page for a destructive action.
async fn confirm(
    state: &AppState,
    viewer: &Viewer,
    question: Question<'_>,
    back: String,
) -> Result<Response, AppError> {
    let word = |id: &str| crate::web::i18n::named(id, question.names);
    let option = question
        .option
        .map(|(name, label)| context! { name, label => word(label) });
    page(
        state,
        viewer,
        "conversate/admin/confirm.html",
        context! {
            title => "Please confirm",
            question => word(question.ask),
            detail => word(question.detail),
            button => word(question.button),
            option,
            back,
        },
    )
    .await
}

/// `GET /admin/audit/`
pub async fn audit(State(state): State<AppState>, admin: AdminUser) -> Result<Response, AppError> {
    let entries = crate::service::admin::audit_log(&state.chat, 500).await?;
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            let when = time::OffsetDateTime::from_unix_timestamp(e.at)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default();
            // The command line has no account: its stored name is a word.
            let actor = match e.actor_id {
                Some(_) => e.actor_name.clone(),
                None => crate::web::i18n::text("audit-command-line", None),
            };
            context! { when, at => e.at, actor, action => e.action.clone(), target => e.target.clone(), detail => e.detail.clone() }
        })
        .collect();
    page(
        &state,
        &admin.viewer,
        "conversate/admin/audit.html",
        context! { title => "Audit log", entries },
    )
    .await
}
