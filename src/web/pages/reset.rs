//! Password reset by e-mail: "Forgot your password?" (`GET` and `POST
//! /password/forgot/`, answered with 303 whether or not an account matches)
//! and the link from the e-mail (`GET` and `POST /password/reset/{token}/`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::page;
use crate::service::{ServiceError, reset};
use crate::web::auth::{self, Viewer};
use crate::web::error::{AppError, set_retry_after};
use crate::web::forms::FormData;
use crate::web::state::AppState;

/// Query of the forgotten-password page.
#[derive(Debug, serde::Deserialize)]
pub struct ForgotQuery {
    sent: Option<String>,
}

const TITLE: &str = "Forgot your password?";
const NO_MAIL: &str =
    "This site cannot send e-mail. Please ask an administrator to set a new password for you.";

async fn forgot_page(
    state: &AppState,
    viewer: &Viewer,
    sent: bool,
    entered: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let lifetime = crate::web::i18n::duration(state.chat.accounts.reset_link_secs);
    let mut response = page(
        state,
        viewer,
        "conversate/forgot.html",
        context! {
            title => TITLE, sent, entered, error, lifetime,
            can_mail => state.mailer.is_configured(), no_mail => NO_MAIL,
        },
    )
    .await?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /password/forgot/`
pub async fn forgot_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ForgotQuery>,
) -> Result<Response, AppError> {
    forgot_page(&state, &viewer, q.sent.is_some(), "", None, StatusCode::OK).await
}

/// `POST /password/forgot/`: field `name` (a username or an e-mail
/// address). The same answer whatever it names: a 303 to the page that
/// says an e-mail is on its way if an account matches.
#[tracing::instrument(skip_all)]
pub async fn forgot(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let entered = form.get("name").unwrap_or_default().trim().to_owned();
    if !state.mailer.is_configured() {
        return forgot_page(
            &state,
            &viewer,
            false,
            &entered,
            Some(NO_MAIL),
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    }
    if let Err(wait) = state.throttle.reset_request(&entered).await {
        let mut response = forgot_page(
            &state,
            &viewer,
            false,
            &entered,
            Some("Too many requests for this name or address. Please wait and try again later."),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await?;
        set_retry_after(response.headers_mut(), wait);
        return Ok(response);
    }
    match reset::request(&state.chat.store, &entered).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}?sent=1", state.url(crate::urls::FORGOT))).into_response())
        }
        Err(ServiceError::Invalid(e)) => {
            forgot_page(
                &state,
                &viewer,
                false,
                &entered,
                Some(&e),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /password/reset/{token}/`
pub async fn reset_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let link = reset::usable(&state.chat.store, &token).await?;
    page(
        &state,
        &viewer,
        "conversate/reset.html",
        context! {
            title => "Choose a new password", username => link.username, error => (),
            min_chars => state.chat.accounts.password_min_chars,
        },
    )
    .await
}

/// `POST /password/reset/{token}/`: `password`, `password2`. Logs this
/// browser in as the account (every other session has ended) and goes to
/// the index (303).
#[tracing::instrument(skip_all)]
pub async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let result = reset::complete(
        &state.chat,
        &token,
        form.get("password").unwrap_or_default(),
        form.get("password2").unwrap_or_default(),
    )
    .await;
    match result {
        Ok(user) => {
            auth::log_in(&viewer.session, &user);
            tracing::info!(user = %user.username, "password reset by e-mail link");
            Ok(Redirect::to(state.prefix()).into_response())
        }
        Err(ServiceError::Invalid(e)) => {
            let link = reset::usable(&state.chat.store, &token).await?;
            let mut response = page(
                &state,
                &viewer,
                "conversate/reset.html",
                context! {
                    title => "Choose a new password", username => link.username, error => e,
                    min_chars => state.chat.accounts.password_min_chars,
                },
            )
            .await?;
            *response.status_mut() = StatusCode::BAD_REQUEST;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}
