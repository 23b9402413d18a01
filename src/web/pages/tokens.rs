//! API tokens on the account page: the list, a form to make one (its
//! secret shown once, on the answer to that form) and revoking.
//!
//! Making a token answers with the page itself (200), not a redirect: the
//! secret may be shown only once and must not travel in a URL or be kept
//! in the session for a later page.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::page;
use crate::domain::User;
use crate::domain::integrations::ApiToken;
use crate::service::tokens::{self, TokenRequest};
use crate::service::{ServiceError, accounts};
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::forms::FormData;
use crate::web::state::AppState;

/// A Unix time as `2026-12-02 14:07 UTC`.
#[must_use]
pub fn when(at: i64) -> String {
    crate::domain::time_zone::local_time(at, crate::web::i18n::current_zone().as_deref())
}

/// One token as lists show it (never its secret).
#[must_use]
pub fn token_view(t: &ApiToken) -> Value {
    context! {
        id => t.id,
        name => t.name.clone(),
        scopes => t.scopes(),
        room => t.room_slug.clone(),
        created => when(t.created_at),
        last_used => t.last_used_at.map(when),
        revoked => t.revoked_at.map(when),
    }
}

/// The account page's token section: the user's tokens and the rooms a
/// new one may be limited to.
///
/// # Errors
/// Storage errors.
pub async fn section(state: &AppState, user: &User) -> Result<Value, AppError> {
    let list = tokens::list(&state.chat.store, user.id).await?;
    let rooms: Vec<String> = accounts::rooms_of(&state.chat.store, user)
        .await?
        .into_iter()
        .map(|r| r.slug)
        .collect();
    Ok(context! {
        tokens => list.iter().map(token_view).collect::<Vec<_>>(),
        token_rooms => rooms,
        tokens_limit => state.config.limits.tokens_per_user,
    })
}

/// What a token form asks for.
#[must_use]
pub fn request_of(form: &FormData) -> TokenRequest {
    TokenRequest {
        name: form.get("name").unwrap_or_default().to_owned(),
        read: form.checked("read"),
        post: form.checked("post"),
        room: form.get("room").map(str::to_owned),
    }
}

async fn account_page(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    extra: Value,
) -> Result<Response, AppError> {
    let section = super::account::sections(state, user).await?;
    page(
        state,
        viewer,
        "conversate/account.html",
        minijinja::value::merge_maps([
            extra,
            section,
            context! {
                title => "Your account",
                alert_email => user.alert_email.clone().unwrap_or_default(),
                email => user.email.clone().unwrap_or_default(),
                error => (),
                done => false,
            },
        ]),
    )
    .await
}

/// `POST /account/tokens/`: fields `name`, `read`, `post`, optional `room`.
/// Answers the account page with the new token shown once, or with the
/// reason it was refused (400) and nothing made.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/"))?.clone();
    let request = request_of(&form);
    match tokens::create_personal(
        &state.chat,
        &user,
        &request,
        state.config.limits.tokens_per_user,
    )
    .await
    {
        Ok(issued) => {
            tracing::info!(user = %user.username, token = issued.id, "API token made");
            account_page(
                &state,
                &viewer,
                &user,
                context! { new_token => issued.token },
            )
            .await
        }
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Forbidden(_))) => {
            let status = AppError::from(e);
            let mut response = account_page(
                &state,
                &viewer,
                &user,
                context! {
                    token_error => status.message(),
                    token_name => request.name,
                    token_read => request.read,
                    token_post => request.post,
                    token_room => request.room,
                },
            )
            .await?;
            *response.status_mut() = match status {
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/tokens/revoke/`: field `id`; answers `303` to the
/// account page. A token that is not the user's, or already revoked, is
/// `404`.
#[tracing::instrument(skip_all)]
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/"))?.clone();
    let id = form.required_id("id")?;
    tokens::revoke(&state.chat, user.id, id).await?;
    tracing::info!(user = %user.username, token = id, "API token revoked");
    Ok(Redirect::to(&format!("{}#cv-tokens", state.url("account/"))).into_response())
}
