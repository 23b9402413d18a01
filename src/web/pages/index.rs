//! The index: the user's rooms with what is new in each (all rooms for an
//! admin, those they are not a member of without counts).

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
    let news = state.chat.room_news(user).await?;
    let listed: Vec<_> = news.iter().map(|n| &n.room).collect();
    let names = crate::service::directory::names_for(&state.chat, user, &listed).await?;
    let now = crate::domain::now();
    let mut rooms: Vec<_> = news
        .iter()
        .zip(names)
        .map(|(n, (title, direct))| {
            context! {
                url => state.room_url(&n.room.slug),
                title,
                slug => n.room.slug.clone(),
                unread => n.unread,
                mentions => n.mentions,
                active => n.last_at.map(|t| crate::web::i18n::ago(Some(t), now)),
                direct,
            }
        })
        .collect();
    if user.is_admin {
        let all = accounts::rooms_for(&state.chat.store, user).await?;
        rooms.extend(
            all.into_iter()
                .filter(|r| !news.iter().any(|n| n.room.id == r.id))
                .map(|r| {
                    context! { url => state.room_url(&r.slug), title => r.title, slug => r.slug, unread => 0, mentions => 0, visitor => true }
                }),
        );
    }
    let unread: i64 = news.iter().map(|n| n.unread).sum();
    page(
        &state,
        &viewer,
        "conversate/index.html",
        context! {
            title => if unread > 0 { format!("({unread}) {}", crate::web::i18n::text("title-rooms", None)) } else { "Rooms".to_owned() },
            rooms,
            api_rooms => state.url("api/rooms/"),
            search_url => state.url("search/"),
            directory_url => state.url("rooms/"),
        },
    )
    .await
}
