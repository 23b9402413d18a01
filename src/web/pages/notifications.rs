//! `GET /account/notifications/`: why the member was, or was not, notified.

use axum::extract::State;
use axum::response::Response;
use minijinja::context;

use super::page;
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// `GET /account/notifications/`: the newest decisions, each with its
/// channel, outcome and reason in words.
#[tracing::instrument(skip_all)]
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/notifications/"))?;
    let records = state.chat.notifications(user).await?;
    let rows: Vec<_> = records
        .iter()
        .map(|r| {
            let when = |t: i64| {
                time::OffsetDateTime::from_unix_timestamp(t)
                    .ok()
                    .and_then(|t| {
                        t.format(&time::macros::format_description!(
                            "[year]-[month]-[day] [hour]:[minute] UTC"
                        ))
                        .ok()
                    })
                    .unwrap_or_default()
            };
            let outcome = match (r.outcome.as_str(), r.until) {
                ("sent", _) => "sent".to_owned(),
                ("held", Some(until)) => format!("held until {}", when(until)),
                ("held", None) => "held".to_owned(),
                _ => "not sent".to_owned(),
            };
            context! {
                when => when(r.at),
                room => r.room_title.clone(),
                link => format!("{}#cv-m-{}", crate::urls::message(state.prefix(), &r.room_slug, r.message_id), r.message_id),
                channel => if r.channel == "email" { "e-mail" } else { "browser" },
                outcome,
                reason => r.reason.clone(),
            }
        })
        .collect();
    page(
        &state,
        &viewer,
        "conversate/notifications.html",
        context! { title => "Notifications", rows, kept => crate::service::chat::NOTIFICATIONS_KEPT },
    )
    .await
}
