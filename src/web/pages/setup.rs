//! First run: while no admin exists, a one-time URL creates the first one.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::page;
use crate::service::ServiceError;
use crate::service::setup::{self, FirstAdmin};
use crate::web::auth::{self, Viewer};
use crate::web::error::AppError;
use crate::web::forms::FormData;
use crate::web::state::AppState;

async fn check(state: &AppState, token: &str) -> Result<(), AppError> {
    if setup::token_is_valid(&state.chat.store, token).await? {
        Ok(())
    } else {
        Err(setup::invalid().into())
    }
}

/// `GET /setup/{token}/`
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    check(&state, &token).await?;
    page(&state, &viewer, "conversate/setup.html", context! { title => "Create the first administrator", error => (), username => "", email => "" }).await
}

/// `POST /setup/{token}/`
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    check(&state, &token).await?;
    let username = form.get("username").unwrap_or_default();
    let email = form.get("email");
    let password = form.get("password").unwrap_or_default();
    let again = form.get("password2").unwrap_or_default();
    let result = setup::create_first_admin(
        &state.chat.store,
        &state.chat.password_policy(),
        &token,
        FirstAdmin {
            username,
            email,
            password,
            again,
        },
    )
    .await;
    match result {
        Ok(user) => {
            auth::log_in(&viewer.session, &user);
            tracing::info!(user = %user.username, "first administrator created");
            Ok(Redirect::to(state.prefix()).into_response())
        }
        Err(ServiceError::Invalid(e) | ServiceError::Conflict(e)) => {
            let mut response = page(
                &state,
                &viewer,
                "conversate/setup.html",
                context! { title => "Create the first administrator", error => e, username, email => email.unwrap_or_default() },
            )
            .await?;
            *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}
