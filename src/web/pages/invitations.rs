//! Accepting an invitation: `GET /invite/{token}/` shows the form,
//! `POST` makes the account, logs it in and lands on the index (303).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::page;
use crate::domain::links::Invitation;
use crate::service::ServiceError;
use crate::service::invitations::{self, Acceptance};
use crate::web::auth::{self, Viewer};
use crate::web::error::AppError;
use crate::web::forms::FormData;
use crate::web::state::AppState;

fn invitation_ctx(invitation: &Invitation) -> Value {
    let rooms: Vec<String> = invitation.rooms.iter().map(|(_, s)| s.clone()).collect();
    context! {
        title => "Join the chat",
        rooms,
        bound_email => invitation.email.clone(),
    }
}

/// `GET /invite/{token}/`
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let invitation = invitations::usable(&state.chat, &token).await?;
    page(
        &state,
        &viewer,
        "conversate/invite.html",
        context! {
            error => (), username => "", email => "", display_name => "",
            min_chars => state.chat.accounts.password_min_chars,
            ..invitation_ctx(&invitation)
        },
    )
    .await
}

/// `POST /invite/{token}/`: `username`, `display_name` (optional), `email`
/// (unless the invitation is bound to one), `password`, `password2`.
#[tracing::instrument(skip_all)]
pub async fn accept(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let username = form.get("username").unwrap_or_default();
    let display_name = form.get("display_name");
    let email = form.get("email");
    let result = invitations::accept(
        &state.chat,
        &token,
        Acceptance {
            username,
            display_name,
            email,
            password: form.get("password").unwrap_or_default(),
            again: form.get("password2").unwrap_or_default(),
        },
    )
    .await;
    match result {
        Ok(user) => {
            auth::log_in(&viewer.session, &user);
            tracing::info!(user = %user.username, "account made with an invitation");
            Ok(Redirect::to(state.prefix()).into_response())
        }
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict(_))) => {
            let invitation = invitations::usable(&state.chat, &token).await?;
            let mut response = page(
                &state,
                &viewer,
                "conversate/invite.html",
                context! {
                    error => e.to_string(), username, email => email.unwrap_or_default(),
                    display_name => display_name.unwrap_or_default(),
                    min_chars => state.chat.accounts.password_min_chars,
                    ..invitation_ctx(&invitation)
                },
            )
            .await?;
            *response.status_mut() = StatusCode::BAD_REQUEST;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}
