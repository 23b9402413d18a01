//! Administration pages: rooms, memberships, accounts, the audit log.
//! Non-admins are refused by structure: the router mounts [`routes`] behind
//! an admin check, and every handler takes an [`AdminUser`]. Destructive
//! actions ask for confirmation on a page of their own.

use axum::extract::{Path, Query, State};
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use minijinja::{Value, context};

use super::page;
use crate::domain::{Room, User};
use crate::service::ServiceError;
use crate::service::accounts::find_user;
use crate::store::StoreError;
use crate::web::auth::{AdminUser, Viewer};
use crate::web::error::AppError;
use crate::web::forms::FormData;
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
        Route::get("users/{username}/deactivate/", deactivate_confirm),
        Route::post("users/{username}/deactivate/", deactivate),
        Route::get("audit/", audit),
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
        "room-deleted" => "Room deleted, with its messages and files.",
        "room-cleared" => "All messages of the room were deleted.",
        "member-added" => "Member added.",
        "member-saved" => "Colour saved.",
        "member-removed" => "Member removed.",
        "user-created" => "Account created.",
        "user-saved" => "Account saved.",
        "password-set" => "Password changed.",
        "user-deactivated" => "Account deactivated; its sessions have ended.",
        _ => return None,
    })
}

async fn room(state: &AppState, slug: &str) -> Result<Room, AppError> {
    state
        .chat
        .store
        .rooms()
        .room_by_slug(slug)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("No such room.".to_owned()),
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

/// The member colour palette as template data.
pub fn palette() -> Value {
    let list: Vec<Value> = crate::domain::colour::PALETTE
        .iter()
        .map(|(hex, name)| context! { hex => *hex, name => *name })
        .collect();
    Value::from(list)
}

/// `GET /admin/`
pub async fn index(State(state): State<AppState>, admin: AdminUser) -> Result<Response, AppError> {
    let rooms = state.chat.store.rooms().list_rooms().await?;
    let users = state.chat.store.accounts().list_users().await?;
    page(
        &state,
        &admin.viewer,
        "conversate/admin/index.html",
        context! { title => "Administration", rooms => rooms.len(), users => users.len() },
    )
    .await
}

async fn rooms_ctx(state: &AppState) -> Result<Value, AppError> {
    let rooms = state.chat.store.rooms().list_rooms().await?;
    let mut list = Vec::new();
    for r in rooms {
        let members = state.chat.store.rooms().members(r.id).await?.len();
        list.push(
            context! { url => state.room_url(&r.slug), slug => r.slug, title => r.title, members },
        );
    }
    Ok(context! { title => "Rooms", rooms => list })
}

/// `GET /admin/rooms/`
pub async fn rooms(
    State(state): State<AppState>,
    admin: AdminUser,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let ctx = rooms_ctx(&state).await?;
    page(
        &state,
        &admin.viewer,
        "conversate/admin/rooms.html",
        context! { notice => notice_text(n.done.as_deref()), slug => "", room_title => "", ..ctx },
    )
    .await
}

/// `POST /admin/rooms/`: create a room.
pub async fn create_room(
    State(state): State<AppState>,
    admin: AdminUser,
    form: FormData,
) -> Result<Response, AppError> {
    let slug = form.get("slug").unwrap_or_default();
    let title = form.get("title").unwrap_or_default();
    match admin.service(&state).create_room(slug, title).await {
        Ok(room) => Ok(redirect(
            &state,
            &format!("admin/rooms/{}/", room.slug),
            "room-created",
        )),
        Err(e) => {
            let ctx = rooms_ctx(&state).await?;
            form_error(
                &state,
                &admin.viewer,
                "conversate/admin/rooms.html",
                context! { slug, room_title => title, ..ctx },
                e,
            )
            .await
        }
    }
}

async fn room_ctx(state: &AppState, room: &Room) -> Result<Value, AppError> {
    let members = state.chat.store.rooms().members(room.id).await?;
    let taken: std::collections::HashSet<i64> = members.iter().map(|m| m.user_id).collect();
    let members: Vec<Value> = members
        .iter()
        .map(|m| context! { username => m.username.clone(), colour => m.colour.clone() })
        .collect();
    let candidates: Vec<String> = state
        .chat
        .store
        .accounts()
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.is_active && !taken.contains(&u.id))
        .map(|u| u.username)
        .collect();
    Ok(context! {
        title => format!("Room: {}", room.title),
        room => context! { slug => room.slug.clone(), title => room.title.clone(), url => state.room_url(&room.slug) },
        members,
        candidates,
        palette => palette(),
    })
}

/// `GET /admin/rooms/{slug}/`
pub async fn room_page(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(slug): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    let ctx = room_ctx(&state, &room).await?;
    page(
        &state,
        &admin.viewer,
        "conversate/admin/room.html",
        context! { notice => notice_text(n.done.as_deref()), ..ctx },
    )
    .await
}

/// `POST /admin/rooms/{slug}/`: save slug and title.
pub async fn save_room(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    match admin
        .service(&state)
        .update_room(
            &room,
            form.get("slug").unwrap_or_default(),
            form.get("title").unwrap_or_default(),
        )
        .await
    {
        Ok(room) => Ok(redirect(
            &state,
            &format!("admin/rooms/{}/", room.slug),
            "room-saved",
        )),
        Err(e) => {
            let ctx = room_ctx(&state, &room).await?;
            form_error(&state, &admin.viewer, "conversate/admin/room.html", ctx, e).await
        }
    }
}

/// A confirmation page for a destructive action.
async fn confirm(
    state: &AppState,
    viewer: &Viewer,
    question: String,
    detail: &str,
    button: &str,
    back: String,
) -> Result<Response, AppError> {
    page(
        state,
        viewer,
        "conversate/admin/confirm.html",
        context! { title => "Please confirm", question, detail, button, back },
    )
    .await
}

/// `GET /admin/rooms/{slug}/delete/`
pub async fn delete_room_confirm(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    confirm(
        &state,
        &admin.viewer,
        format!("Delete the room “{}”?", room.title),
        "All its messages and files are deleted for good; members lose access.",
        "Delete room",
        state.url(&format!("admin/rooms/{slug}/")),
    )
    .await
}

/// `POST /admin/rooms/{slug}/delete/`
pub async fn delete_room(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(slug): Path<String>,
    _form: FormData,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    admin.service(&state).delete_room(&room).await?;
    Ok(redirect(&state, "admin/rooms/", "room-deleted"))
}

/// `GET /admin/rooms/{slug}/clear/`
pub async fn clear_room_confirm(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    confirm(
        &state,
        &admin.viewer,
        format!("Delete every message in “{}”?", room.title),
        "The messages and their files are deleted for good; the room and its members stay.",
        "Delete all messages",
        state.url(&format!("admin/rooms/{slug}/")),
    )
    .await
}

/// `POST /admin/rooms/{slug}/clear/`
pub async fn clear_room(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(slug): Path<String>,
    _form: FormData,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    admin.service(&state).clear_room(&room).await?;
    Ok(redirect(
        &state,
        &format!("admin/rooms/{slug}/"),
        "room-cleared",
    ))
}

/// `POST /admin/rooms/{slug}/members/`: add a member.
pub async fn add_member(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    let colour = form.get("colour").filter(|c| !c.is_empty());
    match admin
        .service(&state)
        .add_member(&room, form.get("username").unwrap_or_default(), colour)
        .await
    {
        Ok(()) => Ok(redirect(
            &state,
            &format!("admin/rooms/{slug}/"),
            "member-added",
        )),
        Err(e) => {
            let ctx = room_ctx(&state, &room).await?;
            form_error(&state, &admin.viewer, "conversate/admin/room.html", ctx, e).await
        }
    }
}

/// `POST /admin/rooms/{slug}/members/{username}/`: change the colour.
pub async fn save_member(
    State(state): State<AppState>,
    admin: AdminUser,
    Path((slug, username)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    match admin
        .service(&state)
        .set_colour(&room, &username, form.get("colour").unwrap_or_default())
        .await
    {
        Ok(()) => Ok(redirect(
            &state,
            &format!("admin/rooms/{slug}/"),
            "member-saved",
        )),
        Err(e) => {
            let ctx = room_ctx(&state, &room).await?;
            form_error(&state, &admin.viewer, "conversate/admin/room.html", ctx, e).await
        }
    }
}

/// `GET /admin/rooms/{slug}/members/{username}/remove/`
pub async fn remove_member_confirm(
    State(state): State<AppState>,
    admin: AdminUser,
    Path((slug, username)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    let user = user(&state, &username).await?;
    confirm(
        &state,
        &admin.viewer,
        format!("Remove {} from “{}”?", user.username, room.title),
        "They lose access to the room, its history and its files at once.",
        "Remove member",
        state.url(&format!("admin/rooms/{slug}/")),
    )
    .await
}

/// `POST /admin/rooms/{slug}/members/{username}/remove/`
pub async fn remove_member(
    State(state): State<AppState>,
    admin: AdminUser,
    Path((slug, username)): Path<(String, String)>,
    _form: FormData,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    admin
        .service(&state)
        .remove_member(&room, &username)
        .await?;
    Ok(redirect(
        &state,
        &format!("admin/rooms/{slug}/"),
        "member-removed",
    ))
}

async fn users_ctx(state: &AppState) -> Result<Value, AppError> {
    let users = state.chat.store.accounts().list_users().await?;
    let users: Vec<Value> = users
        .iter()
        .map(|u| context! { username => u.username.clone(), email => u.email.clone(), is_admin => u.is_admin, is_active => u.is_active })
        .collect();
    Ok(context! { title => "Accounts", users })
}

/// `GET /admin/users/`
pub async fn users(
    State(state): State<AppState>,
    admin: AdminUser,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let ctx = users_ctx(&state).await?;
    page(
        &state,
        &admin.viewer,
        "conversate/admin/users.html",
        context! { notice => notice_text(n.done.as_deref()), username => "", email => "", ..ctx },
    )
    .await
}

/// `POST /admin/users/`: create an account.
pub async fn create_user(
    State(state): State<AppState>,
    admin: AdminUser,
    form: FormData,
) -> Result<Response, AppError> {
    let username = form.get("username").unwrap_or_default();
    let email = form.get("email");
    let password = form.get("password").unwrap_or_default();
    let result = if password != form.get("password2").unwrap_or_default() {
        Err(ServiceError::Invalid(
            "The two passwords differ.".to_owned(),
        ))
    } else {
        admin
            .service(&state)
            .create_user(username, email, password, form.checked("is_admin"))
            .await
    };
    match result {
        Ok(user) => Ok(redirect(
            &state,
            &format!("admin/users/{}/", user.username),
            "user-created",
        )),
        Err(e) => {
            let ctx = users_ctx(&state).await?;
            form_error(
                &state,
                &admin.viewer,
                "conversate/admin/users.html",
                context! { username, email => email.unwrap_or_default(), ..ctx },
                e,
            )
            .await
        }
    }
}

async fn user_ctx(state: &AppState, user: &User) -> Result<Value, AppError> {
    let rooms = state.chat.store.rooms().rooms_of(user.id).await?;
    let rooms: Vec<Value> = rooms
        .iter()
        .map(|r| context! { slug => r.slug.clone(), title => r.title.clone() })
        .collect();
    Ok(context! {
        title => format!("Account: {}", user.username),
        account => context! { username => user.username.clone(), email => user.email.clone().unwrap_or_default(), is_admin => user.is_admin, is_active => user.is_active },
        rooms,
    })
}

/// `GET /admin/users/{username}/`
pub async fn user_page(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(username): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let user = user(&state, &username).await?;
    let ctx = user_ctx(&state, &user).await?;
    page(
        &state,
        &admin.viewer,
        "conversate/admin/user.html",
        context! { notice => notice_text(n.done.as_deref()), ..ctx },
    )
    .await
}

/// `POST /admin/users/{username}/`: save e-mail and flags.
pub async fn save_user(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(username): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let user = user(&state, &username).await?;
    match admin
        .service(&state)
        .update_user(
            &user,
            form.get("email"),
            form.checked("is_admin"),
            form.checked("is_active"),
        )
        .await
    {
        Ok(()) => Ok(redirect(
            &state,
            &format!("admin/users/{}/", user.username),
            "user-saved",
        )),
        Err(e) => {
            let ctx = user_ctx(&state, &user).await?;
            form_error(&state, &admin.viewer, "conversate/admin/user.html", ctx, e).await
        }
    }
}

/// `POST /admin/users/{username}/password/`: reset the password.
pub async fn reset_password(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(username): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let user = user(&state, &username).await?;
    let password = form.get("password").unwrap_or_default();
    let result = if password != form.get("password2").unwrap_or_default() {
        Err(ServiceError::Invalid(
            "The two passwords differ.".to_owned(),
        ))
    } else {
        admin.service(&state).set_password(&user, password).await
    };
    match result {
        Ok(()) => {
            if admin.user.id == user.id {
                // Keep the admin's own session valid with the new password.
                let fresh = state.chat.store.accounts().user_by_id(user.id).await?;
                crate::web::auth::log_in(&admin.viewer.session, &fresh);
            }
            Ok(redirect(
                &state,
                &format!("admin/users/{}/", user.username),
                "password-set",
            ))
        }
        Err(e) => {
            let ctx = user_ctx(&state, &user).await?;
            form_error(&state, &admin.viewer, "conversate/admin/user.html", ctx, e).await
        }
    }
}

/// `GET /admin/users/{username}/deactivate/`
pub async fn deactivate_confirm(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let user = user(&state, &username).await?;
    confirm(
        &state,
        &admin.viewer,
        format!("Deactivate {}?", user.username),
        "They cannot log in any more and their open sessions end at once. Their messages stay.",
        "Deactivate account",
        state.url(&format!("admin/users/{}/", user.username)),
    )
    .await
}

/// `POST /admin/users/{username}/deactivate/`
pub async fn deactivate(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(username): Path<String>,
    _form: FormData,
) -> Result<Response, AppError> {
    let user = user(&state, &username).await?;
    admin.service(&state).deactivate(&user).await?;
    Ok(redirect(
        &state,
        &format!("admin/users/{}/", user.username),
        "user-deactivated",
    ))
}

/// `GET /admin/audit/`
pub async fn audit(State(state): State<AppState>, admin: AdminUser) -> Result<Response, AppError> {
    let entries = state.chat.store.audit().audit_log(500).await?;
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            let when = time::OffsetDateTime::from_unix_timestamp(e.at)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default();
            context! { when, actor => e.actor_name.clone(), action => e.action.clone(), target => e.target.clone(), detail => e.detail.clone() }
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
