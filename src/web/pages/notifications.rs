//! `GET /account/notifications/`: why the member was, or was not, notified.

use axum::extract::State;
use axum::response::Response;
use minijinja::context;

use super::page;
use crate::domain::NotificationRecord;
use crate::domain::notify::reason;
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::i18n;
use crate::web::state::AppState;

/// `GET /account/notifications/`: the newest decisions, each with its
/// channel, outcome and reason in the reader's words.
#[tracing::instrument(skip_all)]
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/notifications/"))?;
    let records = state.chat.notifications(user).await?;
    let rows: Vec<_> = records
        .iter()
        .map(|r| {
            context! {
                at => r.at,
                link => format!("{}#cv-m-{}", crate::urls::message(state.prefix(), &r.room_slug, r.message_id), r.message_id),
                room => r.room_title.clone(),
                channel => i18n::text(if r.channel == "email" { "notifications-email" } else { "notifications-browser" }, None),
                outcome => outcome(r),
                reason => reason_words(&r.reason),
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

/// What became of the notification, in words; a held one says until when,
/// in the reader's time zone.
fn outcome(r: &NotificationRecord) -> String {
    match (r.outcome.as_str(), r.until) {
        ("sent", _) => i18n::text("notifications-sent", None),
        ("held", Some(until)) => {
            let zone = i18n::current_zone();
            let when = crate::domain::time_zone::local_time(until, zone.as_deref());
            i18n::named("notifications-held-until", &[("when", &when)])
        }
        ("held", None) => i18n::text("notifications-held", None),
        _ => i18n::text("notifications-skipped", None),
    }
}

/// A stored reason in the reader's words; one this version does not know
/// (written by a newer one) as it was stored.
fn reason_words(stored: &str) -> String {
    reason::key(stored).map_or_else(
        || stored.to_owned(),
        |key| i18n::text(&format!("notifications-reason-{key}"), None),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{Catalogues, Language};

    #[test]
    fn every_reason_has_words_in_every_language() {
        for language in Language::ALL {
            let ids = Catalogues::ids(language);
            for (text, key) in reason::ALL {
                let id = format!("notifications-reason-{key}");
                assert!(
                    ids.contains(&id),
                    "{}: no {id} for '{text}'",
                    language.tag()
                );
            }
        }
        assert_eq!(reason::key(reason::AWAY), Some("away"));
        assert_eq!(reason::key("a reason from a newer version"), None);
    }
}
