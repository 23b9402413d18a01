//! Web Push in the JSON API: the site's VAPID key and the user's devices,
//! turning push on for this browser, and off again.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use crate::domain::User;
use crate::domain::push::Subscription;
use crate::service::push::{self, Keys, SubscriptionInput};
use crate::web::auth::Viewer;
use crate::web::error::{ApiError, AppError};
use crate::web::forms::FormData;
use crate::web::state::AppState;

fn user(viewer: &Viewer) -> Result<&User, ApiError> {
    viewer
        .user
        .as_ref()
        .ok_or(ApiError(AppError::LoginRequired {
            next: String::new(),
        }))
}

/// A device as the API and the account page show it.
#[must_use]
pub fn device(s: &Subscription) -> Value {
    json!({
        "id": s.id,
        "device": s.device,
        "endpoint": s.endpoint,
        "created": s.created_at,
        "last_used": s.last_used_at,
    })
}

/// `GET /api/push/`: `{"success", "enabled", "key", "devices": [...]}`;
/// `key` is the VAPID public key for `pushManager.subscribe`.
#[utoipa::path(
    get,
    path = "/api/push/",
    tag = "push",
    responses(
        (status = 200, description = "Whether push is on, the site's key and the user's devices", body = crate::web::openapi::PushAnswer),
        crate::web::openapi::PushErrors
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Json<Value>, ApiError> {
    let user = user(&viewer)?;
    let devices = push::devices(&state.chat.store, user).await?;
    Ok(Json(json!({
        "success": true,
        "enabled": state.config.push,
        "key": state.push_key(),
        "devices": devices.iter().map(device).collect::<Vec<_>>(),
    })))
}

/// `POST /api/push/subscribe/`: fields `endpoint`, `p256dh`, `auth` (the
/// browser's `PushSubscription`); answers the device.
#[utoipa::path(
    post,
    path = "/api/push/subscribe/",
    tag = "push",
    request_body(content = crate::web::openapi::SubscribeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Push is on for this device", body = crate::web::openapi::SubscribeAnswer),
        crate::web::openapi::PushErrors
    )
)]
#[tracing::instrument(skip_all)]
pub async fn subscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    form: FormData,
) -> Result<Json<Value>, ApiError> {
    let user = user(&viewer)?;
    let input = SubscriptionInput {
        endpoint: form.required("endpoint")?.to_owned(),
        keys: Keys {
            p256dh: form.required("p256dh")?.to_owned(),
            auth: form.required("auth")?.to_owned(),
        },
    };
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let session = viewer.session.id();
    let saved = push::subscribe(
        &state.chat.store,
        &state.config,
        user,
        session.as_deref(),
        &input,
        agent,
    )
    .await?;
    tracing::info!(user = %user.username, device = %saved.device, "push turned on");
    Ok(Json(json!({ "success": true, "device": device(&saved) })))
}

/// `POST /api/push/unsubscribe/`: field `endpoint` (this browser's) or
/// `id` (any of the user's devices).
#[utoipa::path(
    post,
    path = "/api/push/unsubscribe/",
    tag = "push",
    request_body(content = crate::web::openapi::UnsubscribeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Push is off for that device", body = crate::web::openapi::Done),
        crate::web::openapi::PushErrors
    )
)]
#[tracing::instrument(skip_all)]
pub async fn unsubscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Json<Value>, ApiError> {
    let user = user(&viewer)?;
    match form.get("endpoint").filter(|e| !e.is_empty()) {
        Some(endpoint) => push::remove_endpoint(&state.chat.store, user, endpoint).await?,
        None => push::remove(&state.chat.store, user, form.required_id("id")?).await?,
    }
    Ok(Json(json!({ "success": true })))
}
