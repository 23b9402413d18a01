//! The index: the rooms of the user (all rooms for an admin).

use axum::extract::State;
use axum::response::Response;
use minijinja::context;

use super::page;
use crate::service::accounts;
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// `GET /`
#[tracing::instrument(skip_all)]
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let user = viewer.require(&state, state.prefix())?;
    let rooms = accounts::rooms_for(&state.chat.store, user).await?;
    let rooms: Vec<_> = rooms
        .into_iter()
        .map(|r| context! { url => state.room_url(&r.slug), title => r.title, slug => r.slug })
        .collect();
    page(
        &state,
        &viewer,
        "conversate/index.html",
        context! { title => "Rooms", rooms },
    )
    .await
}
