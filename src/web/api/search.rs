//! `GET /api/search/?q=…`: search in the JSON API (`docs/api.md`, Search).

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use crate::service::search;
use crate::web::auth::Viewer;
use crate::web::error::{ApiError, AppError};
use crate::web::pages::search::SearchParams;
use crate::web::state::AppState;

/// Answers `{"success": true, "results": [{"room", "id", "user", "time",
/// "excerpt_html"}], "next": <cursor or null>}`; `room` is the slug,
/// `excerpt_html` escaped text with the matches in `<mark>`.
#[utoipa::path(
    get,
    path = "/api/search/",
    tag = "search",
    params(
        ("q" = String, Query, description = "The query (docs/api.md, Search)"),
        ("order" = Option<String>, Query, description = "`newest` (default) or `best`"),
        ("scope" = Option<String>, Query, description = "`all`: an administrator searches every room"),
        ("cursor" = Option<String>, Query, description = "`next` of the previous page")
    ),
    responses(
        (status = 200, description = "Results, newest or best first", body = crate::web::openapi::SearchAnswer),
        crate::web::openapi::RoomErrors
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let Some(user) = viewer.user.as_ref() else {
        return Err(ApiError(AppError::LoginRequired {
            next: String::new(),
        }));
    };
    if viewer
        .grant
        .as_ref()
        .is_some_and(|g| g.token.room_id.is_some())
    {
        return Err(ApiError(AppError::Forbidden(
            "This token is limited to one room, so it cannot search.".to_owned(),
        )));
    }
    let params = SearchParams::from_query(raw.as_deref());
    let results = search::search(
        &state.chat,
        user,
        &params.q,
        params.options(),
        state.config.search_max_chars,
    )
    .await?;
    let found: Vec<Value> = results
        .found
        .iter()
        .map(|f| {
            json!({
                "room": f.room.slug,
                "id": f.id,
                "user": f.user,
                "time": f.time,
                "excerpt_html": f.excerpt_html,
            })
        })
        .collect();
    Ok(Json(json!({
        "success": true,
        "results": found,
        "next": results.next,
    })))
}
