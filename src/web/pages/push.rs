//! Web Push on the account page without JavaScript: removing a device.
//! (Turning push on needs the browser's push API, so only the script offers
//! it; see `web/api/push.rs`.)

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use crate::domain::User;
use crate::service::push;
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::forms::FormData;
use crate::web::state::AppState;

/// The account page's push section: whether push is offered, and the
/// user's devices with their last use.
///
/// # Errors
/// Storage errors.
pub async fn section(state: &AppState, user: &User) -> Result<Value, AppError> {
    let devices: Vec<Value> = push::devices(&state.chat.store, user)
        .await?
        .iter()
        .map(|s| {
            context! {
                id => s.id,
                device => s.device.clone(),
                endpoint => s.endpoint.clone(),
                created => when(s.created_at),
                last_used => s.last_used_at.map(when),
            }
        })
        .collect();
    Ok(context! { enabled => state.config.push, devices })
}

fn when(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// `POST /account/push/remove/`: field `id`; back to the account page.
#[tracing::instrument(skip_all)]
pub async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/"))?;
    let id = form.required_id("id")?;
    push::remove(&state.chat.store, user, id).await?;
    Ok(Redirect::to(&state.url("account/#cv-push")).into_response())
}
