//! The profile part of the account page: the display name, the avatar
//! upload, and the avatars themselves. Plain forms, so they work the same
//! with and without the page's script.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::page;
use crate::domain::User;
use crate::domain::profile::initials;
use crate::service::{ServiceError, accounts, profiles};
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::forms::{FormData, read_upload};
use crate::web::state::AppState;

/// The profile form's part of the account page.
#[must_use]
pub fn section(state: &AppState, user: &User) -> minijinja::Value {
    context! {
        profile_name => user.display_name.clone().unwrap_or_default(),
        profile_username => user.username.clone(),
        profile_avatar => crate::urls::avatar(state.prefix(), user.id, user.avatar_key.as_deref()),
        profile_initials => initials(user.shown_name(), &user.username),
        profile_max_chars => state.chat.accounts.display_name_max_chars,
        avatar_max => crate::web::forms::human_bytes(state.chat.accounts.avatar_max_bytes),
    }
}

/// `POST /account/profile/`: field `display_name` (empty: show the username).
pub async fn save_name(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/"))?.clone();
    let raw = form.get("display_name").unwrap_or_default();
    match profiles::set_display_name(&state.chat, &user, raw).await {
        Ok(_) => Ok(saved(&state)),
        Err(ServiceError::Invalid(e)) => {
            refused_with(
                &state,
                &viewer,
                &user,
                e,
                Some(raw),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/avatar/`: a multipart form with `file` (a picture), or
/// the field `remove` to go back to initials.
pub async fn save_avatar(
    State(state): State<AppState>,
    viewer: Viewer,
    request: Request,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/"))?.clone();
    let limit = state.chat.accounts.avatar_max_bytes;
    let form = match read_upload(&state, &viewer.session, request, false, limit).await {
        Ok(form) => form,
        Err(refused) => {
            let (error, status) = match refused.error {
                AppError::TooLarge(e) => (e, StatusCode::PAYLOAD_TOO_LARGE),
                AppError::BadRequest(e) => (e, StatusCode::BAD_REQUEST),
                other => return Err(other),
            };
            return refused_with(&state, &viewer, &user, error, None, status).await;
        }
    };
    let result = match (&form.file, form.fields.get("remove").is_some()) {
        (Some((file, _)), false) => {
            profiles::set_avatar(&state.chat, &state.files, &user, &file.key).await
        }
        (file, true) => {
            if let Some((file, _)) = file {
                let _ = state.files.delete(&file.key).await;
            }
            profiles::remove_avatar(&state.chat, &state.files, &user).await
        }
        (None, false) => Err(ServiceError::Invalid(
            "Please choose a picture to upload.".to_owned(),
        )),
    };
    match result {
        Ok(()) => Ok(saved(&state)),
        Err(ServiceError::Invalid(e)) => {
            refused_with(&state, &viewer, &user, e, None, StatusCode::BAD_REQUEST).await
        }
        Err(ServiceError::TooLarge(e)) => {
            refused_with(
                &state,
                &viewer,
                &user,
                e,
                None,
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /account/avatars/{user}/{version}/`: a member's picture, to anyone
/// logged in. Its address changes with the picture, so it is kept for good.
pub async fn avatar(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((user_id, version)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let missing = || AppError::NotFound("There is no such picture.".to_owned());
    if viewer.user.is_none() {
        return Err(missing());
    }
    let user_id: i64 = user_id.parse().map_err(|_| missing())?;
    let (bytes, content_type) =
        match profiles::avatar(&state.chat, &state.files, user_id, &version).await {
            Ok(found) => found,
            Err(ServiceError::NotFound(_)) => return Err(missing()),
            Err(e) => return Err(e.into()),
        };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; frame-ancestors 'none'"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(response)
}

/// After a change: the account page again, at the profile, saying so.
fn saved(state: &AppState) -> Response {
    Redirect::to(&format!(
        "{}?profile=saved#cv-profile",
        state.url("account/")
    ))
    .into_response()
}

/// The account page with the profile form's error, answered with `status`.
async fn refused_with(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    error: String,
    typed: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let fresh = accounts::user_by_id(&state.chat.store, user.id)
        .await?
        .unwrap_or_else(|| user.clone());
    let sections = super::account::sections(state, &fresh).await?;
    let alert_email = fresh.alert_email.clone().unwrap_or_default();
    let email = fresh.email.clone().unwrap_or_default();
    let mut response = page(
        state,
        viewer,
        "conversate/account.html",
        context! {
            title => "Your account", alert_email, email, error => (), done => false,
            profile_error => error,
            // What was typed, so it can be corrected.
            profile_name => typed.map_or_else(|| fresh.display_name.clone().unwrap_or_default(), str::to_owned),
            ..sections
        },
    )
    .await?;
    *response.status_mut() = status;
    Ok(response)
}
