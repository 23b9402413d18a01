//! First run: while no admin exists, a one-time URL creates the first one.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::page;
use crate::service::{ServiceError, accounts};
use crate::web::auth::{self, Viewer};
use crate::web::error::AppError;
use crate::web::forms::FormData;
use crate::web::state::AppState;

/// Hash of a setup token as stored (the token itself is only printed).
#[must_use]
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn invalid() -> AppError {
    AppError::NotFound("This setup link is invalid or has already been used.".to_owned())
}

async fn check(state: &AppState, token: &str) -> Result<(), AppError> {
    if state.chat.store.has_admin().await? {
        return Err(invalid());
    }
    // Read-only check here; the token is consumed atomically on submit.
    let hash = token_hash(token);
    let current = state.chat.store.secret("setup_token", "").await?;
    if current.is_empty()
        || !bool::from(subtle::ConstantTimeEq::ct_eq(
            current.as_bytes(),
            hash.as_bytes(),
        ))
    {
        return Err(invalid());
    }
    Ok(())
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
    let error = if password != again {
        Some("The two passwords differ.".to_owned())
    } else if password.chars().count() < 8 {
        Some("The password must be at least 8 characters.".to_owned())
    } else {
        None
    };
    let result = match error {
        Some(e) => Err(ServiceError::Invalid(e)),
        None => {
            if !state
                .chat
                .store
                .take_setup_token(&token_hash(&token))
                .await?
            {
                return Err(invalid());
            }
            accounts::create_user(&state.chat.store, username, email, password, true).await
        }
    };
    match result {
        Ok(user) => {
            auth::log_in(&viewer.session, &user);
            tracing::info!(user = %user.username, "first administrator created");
            Ok(Redirect::to(state.prefix()).into_response())
        }
        Err(ServiceError::Invalid(e) | ServiceError::Conflict(e)) => {
            // The token survives a refused form only if it was not yet taken.
            if !state.chat.store.has_admin().await? {
                state
                    .chat
                    .store
                    .set_setup_token(Some(&token_hash(&token)))
                    .await?;
            }
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
