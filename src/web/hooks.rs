//! `POST /hooks/<token>/`: incoming webhooks. The secret in the address
//! is the credential: no session, no CSRF token (scripts and other
//! services call it). Answers in the JSON API's shape.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use super::error::{ApiError, AppError};
use super::state::AppState;
use crate::domain::hooks;
use crate::service::hooks as service;

/// `POST /hooks/{token}/`: JSON `{"text": …}`, a form with `text`, or a
/// Slack-shaped body (`domain::hooks`); posts the text as the hook's bot.
/// Answers `{"success": true, "id": N}`. A wrong or revoked token is
/// `404` whatever the body; a bad body is `400` and stores nothing.
#[utoipa::path(
    post,
    path = "/hooks/{token}/",
    tag = "webhooks",
    security(()),
    params(("token" = String, Path, description = "The webhook's secret, shown once when it was made")),
    request_body(
        content(
            (crate::web::openapi::HookMessage = "application/json"),
            (crate::web::openapi::HookMessage = "application/x-www-form-urlencoded")
        )
    ),
    responses(
        (status = 200, description = "Posted as the webhook's bot", body = crate::web::openapi::HookAnswer),
        (status = 400, description = "No text, or not JSON nor a form; nothing is posted", body = crate::web::openapi::ErrorAnswer),
        (status = 403, description = "The bot is no longer a member of the room", body = crate::web::openapi::ErrorAnswer),
        (status = 404, description = "No such webhook, or revoked", body = crate::web::openapi::ErrorAnswer),
        (status = 413, description = "The text or body is too large", body = crate::web::openapi::ErrorAnswer),
        (status = 429, description = "Too fast; see `Retry-After`", body = crate::web::openapi::ErrorAnswer)
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn receive(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let bot = service::bot_of(&state.chat, &token).await?;
    state
        .throttle
        .send(bot.id)
        .await
        .map_err(|wait| AppError::TooManyRequests {
            message: "This webhook is sending too fast. Please wait a moment and try again."
                .to_owned(),
            wait,
        })?;
    let text = if content_type_is(&headers, "application/json") {
        hooks::text_of_json(&body)
    } else if content_type_is(&headers, "application/x-www-form-urlencoded") {
        hooks::text_of_form(&body)
    } else {
        Err(hooks::WHICH_SHAPES.to_owned())
    }
    .map_err(AppError::BadRequest)?;
    let posted = service::post(&state.chat, &token, &text).await?;
    Ok(Json(json!({ "success": true, "id": posted.message.id })))
}

/// Whether the body is declared as `mime` (parameters such as `charset`
/// allowed).
fn content_type_is(headers: &HeaderMap, mime: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(mime))
}
