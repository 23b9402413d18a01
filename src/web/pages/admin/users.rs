//! Administration of accounts.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use minijinja::{Value, context};

use super::{Notice, Question, confirm, form_error, notice_text, redirect, user};
use crate::domain::User;
use crate::service::ServiceError;
use crate::service::accounts;
use crate::web::auth::AdminUser;
use crate::web::error::AppError;
use crate::web::forms::FormData;
use crate::web::pages::page;
use crate::web::state::AppState;

async fn users_ctx(state: &AppState) -> Result<Value, AppError> {
    let users = accounts::list_users(&state.chat.store).await?;
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
    let rooms = accounts::rooms_of(&state.chat.store, user).await?;
    let rooms: Vec<Value> = rooms
        .iter()
        .map(|r| context! { slug => r.slug.clone(), title => r.title.clone() })
        .collect();
    Ok(context! {
        title => crate::web::i18n::named("title-admin-account", &[("user", &user.username)]),
        account => context! {
            username => user.username.clone(), email => user.email.clone().unwrap_or_default(), is_admin => user.is_admin, is_active => user.is_active,
            display_name => user.display_name.clone(),
            avatar => crate::urls::avatar(state.prefix(), user.id, user.avatar_key.as_deref()),
        },
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
    let result = admin
        .service(&state)
        .update_user(
            &user,
            form.get("email"),
            form.checked("is_admin"),
            form.checked("is_active"),
        )
        .await;
    back_to_user(&state, &admin, &user, result, "user-saved").await
}

/// The account's page again after a change: saying what was done, or,
/// when it was refused, with the reason and a `400`.
async fn back_to_user(
    state: &AppState,
    admin: &AdminUser,
    user: &User,
    result: Result<(), ServiceError>,
    done: &str,
) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(redirect(
            state,
            &format!("admin/users/{}/", user.username),
            done,
        )),
        Err(e) => {
            let ctx = user_ctx(state, user).await?;
            form_error(state, &admin.viewer, "conversate/admin/user.html", ctx, e).await
        }
    }
}

/// `POST /admin/users/{username}/profile/`: checkboxes `clear_name` and
/// `remove_picture` (moderation).
pub async fn moderate_profile(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(username): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let user = user(&state, &username).await?;
    let result = admin
        .service(&state)
        .moderate_profile(
            &user,
            form.checked("clear_name"),
            form.checked("remove_picture"),
        )
        .await;
    back_to_user(&state, &admin, &user, result, "profile-moderated").await
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
                let fresh = accounts::user_by_id(&state.chat.store, user.id)
                    .await?
                    .ok_or_else(|| AppError::NotFound("No such account.".to_owned()))?;
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
        Question {
            ask: "admin-confirm-deactivate",
            detail: "admin-confirm-deactivate-detail",
            button: "admin-confirm-deactivate-button",
            option: Some(("remove_messages", "admin-confirm-deactivate-messages")),
            names: &[("user", user.username.as_str())],
        },
        state.url(&format!("admin/users/{}/", user.username)),
    )
    .await
}

/// `POST /admin/users/{username}/deactivate/`
pub async fn deactivate(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(username): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let user = user(&state, &username).await?;
    let service = admin.service(&state);
    service.deactivate(&user).await?;
    let notice = if form.checked("remove_messages") {
        service.remove_messages(&user).await?;
        "user-deactivated-messages-removed"
    } else {
        "user-deactivated"
    };
    Ok(redirect(
        &state,
        &format!("admin/users/{}/", user.username),
        notice,
    ))
}
