//! Administration of rooms and their members.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use minijinja::{Value, context};

use super::{Notice, Question, confirm, form_error, notice_text, redirect, room, user};
use crate::domain::Room;
use crate::service::accounts;
use crate::web::auth::AdminUser;
use crate::web::error::AppError;
use crate::web::forms::FormData;
use crate::web::pages::page;
use crate::web::state::AppState;

async fn rooms_ctx(state: &AppState) -> Result<Value, AppError> {
    let rooms = accounts::list_rooms(&state.chat.store).await?;
    let mut list = Vec::new();
    for r in rooms {
        let members = accounts::members(&state.chat.store, &r).await?.len();
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
    let members = accounts::members(&state.chat.store, room).await?;
    let taken: std::collections::HashSet<i64> = members.iter().map(|m| m.user_id).collect();
    let members: Vec<Value> = members
        .iter()
        .map(|m| context! { username => m.username.clone(), colour => m.colour.clone() })
        .collect();
    let candidates: Vec<String> = accounts::list_users(&state.chat.store)
        .await?
        .into_iter()
        .filter(|u| u.is_active && !taken.contains(&u.id))
        .map(|u| u.username)
        .collect();
    Ok(context! {
        title => crate::web::i18n::named("title-admin-room", &[("room", &room.title)]),
        room => context! {
            slug => room.slug.clone(), title => room.title.clone(), url => state.room_url(&room.slug),
            is_open => state.chat.store.directory().is_open(room.id).await?,
        },
        members,
        candidates,
        palette => crate::web::views::palette(),
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

/// `POST /admin/rooms/{slug}/open/`: the checkbox `open` (listed in the
/// room directory, where any account may join).
pub async fn set_open(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let room = room(&state, &slug).await?;
    let open = form.checked("open");
    match admin.service(&state).set_open(&room, open).await {
        Ok(()) => Ok(redirect(
            &state,
            &format!("admin/rooms/{}/", room.slug),
            if open { "room-opened" } else { "room-closed" },
        )),
        Err(e) => {
            let ctx = room_ctx(&state, &room).await?;
            form_error(&state, &admin.viewer, "conversate/admin/room.html", ctx, e).await
        }
    }
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
        Question {
            ask: "admin-confirm-delete-room",
            detail: "error-room-delete-warning",
            button: "admin-confirm-delete-room-button",
            option: None,
            names: &[("room", &room.title)],
        },
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
        Question {
            ask: "admin-confirm-clear",
            detail: "error-clear-warning",
            button: "admin-confirm-clear-button",
            option: None,
            names: &[("room", &room.title)],
        },
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
        Question {
            ask: "admin-confirm-remove",
            detail: "error-remove-warning",
            button: "admin-confirm-remove-button",
            option: None,
            names: &[("user", user.username.as_str()), ("room", &room.title)],
        },
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
