//! What templates and JSON show: messages and members as the protocol has them.

use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde_json::value::RawValue;

use super::state::AppState;
use crate::domain::duration_words::{seconds_ago, since};
use crate::domain::render::{AttachmentRef, render_message};
use crate::domain::{Member, Message};
use crate::files::is_inline_image;

/// A message as the JSON API shows it (`docs/api.md`, Message object).
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub pk: i64,
    pub time: i64,
    pub user: String,
    /// Rendered, sanitised HTML, with the attachment if any.
    pub content: String,
}

impl MessageView {
    /// The view of `message` in the room `slug`.
    #[must_use]
    pub fn new(state: &AppState, slug: &str, message: &Message) -> Self {
        let url = format!("{}file/{}/", state.room_url(slug), message.id);
        let attachment = message.file.as_ref().map(|f| AttachmentRef {
            url: &url,
            name: &f.name,
            is_image: is_inline_image(&f.content_type),
        });
        let mut content = message.html.clone();
        if attachment.is_some() {
            content = format!(
                "{}{}",
                message.html,
                render_message("", attachment.as_ref())
            );
        }
        Self {
            pk: message.id,
            time: message.time,
            user: message.username.clone(),
            content,
        }
    }
}

/// A message on the server-rendered page.
#[derive(Debug, Clone, Serialize)]
pub struct MessageItem {
    #[serde(flatten)]
    pub view: MessageView,
    /// ISO 8601 time for `<time datetime>`.
    pub iso: String,
    /// e.g. `5 minutes`.
    pub ago: String,
}

impl MessageItem {
    /// The page view of `message`.
    #[must_use]
    pub fn new(state: &AppState, slug: &str, message: &Message, now: i64) -> Self {
        let iso = time::OffsetDateTime::from_unix_timestamp(message.time)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        Self {
            view: MessageView::new(state, slug, message),
            iso,
            ago: since(Some(message.time), now),
        }
    }
}

/// A member as the JSON API shows them (`docs/api.md`, User object): times
/// in seconds ago, -1 = never.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub username: String,
    pub active: bool,
    pub has_focus: bool,
    pub last_seen: i64,
    pub last_spoke: i64,
    pub colour: String,
}

impl UserView {
    /// The view of `member` at `now`.
    #[must_use]
    pub fn new(member: &Member, now: i64) -> Self {
        Self {
            username: member.username.clone(),
            active: member.presence.is_active(now),
            has_focus: member.presence.has_focus,
            last_seen: seconds_ago(member.presence.last_seen, now),
            last_spoke: seconds_ago(member.presence.last_spoke, now),
            colour: member.colour.clone(),
        }
    }
}

/// The users list of the poll and send answers, as JSON, kept per room
/// while the member list (the same shared copy) and the second are the
/// same. Many members polling one room get the same list; rendering it
/// anew for each poll was a sixth of a poll's time.
#[derive(Default)]
pub struct UsersJson(Mutex<crate::FastMap<i64, RenderedUsers>>);

/// The list it was rendered from, the second, and the JSON.
type RenderedUsers = (Arc<Vec<Member>>, i64, Box<RawValue>);

impl UsersJson {
    /// The list of `members` of room `room_id` at `now`.
    ///
    /// # Errors
    /// When serialising fails, which plain data does not.
    pub fn get(
        &self,
        room_id: i64,
        members: &Arc<Vec<Member>>,
        now: i64,
    ) -> Result<Box<RawValue>, serde_json::Error> {
        let lock = || self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((list, at, json)) = lock().get(&room_id)
            && Arc::ptr_eq(list, members)
            && *at == now
        {
            return Ok(json.clone());
        }
        let views: Vec<UserView> = members.iter().map(|m| UserView::new(m, now)).collect();
        let json = serde_json::value::to_raw_value(&views)?;
        // Holding the list keeps its address from being reused by another.
        lock().insert(room_id, (members.clone(), now, json.clone()));
        Ok(json)
    }
}

/// A member on the server-rendered page.
#[derive(Debug, Clone, Serialize)]
pub struct UserItem {
    #[serde(flatten)]
    pub view: UserView,
    /// `active`, `afk` or `inactive`.
    pub status: &'static str,
    pub spoke_words: String,
    pub seen_words: String,
}

impl UserItem {
    /// The page view of `member` at `now`.
    #[must_use]
    pub fn new(member: &Member, now: i64) -> Self {
        Self {
            view: UserView::new(member, now),
            status: member.presence.status(now).as_str(),
            spoke_words: since(member.presence.last_spoke, now),
            seen_words: since(member.presence.last_seen, now),
        }
    }
}

/// The member colour palette as template data (the room's settings and the
/// admin's member page both offer it).
#[must_use]
pub fn palette() -> minijinja::Value {
    let list: Vec<minijinja::Value> = crate::domain::colour::PALETTE
        .iter()
        .map(|(hex, name)| minijinja::context! { hex => *hex, name => *name })
        .collect();
    minijinja::Value::from(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PresenceState;

    fn member(name: &str, last_seen: i64) -> Member {
        Member {
            room_id: 1,
            user_id: 7,
            username: name.to_owned(),
            email: None,
            colour: "336699".to_owned(),
            alert: true,
            mail_alert: false,
            presence: PresenceState {
                last_seen: Some(last_seen),
                has_focus: true,
                inactive_from: Some(last_seen + 90),
                ..PresenceState::default()
            },
        }
    }

    #[test]
    fn the_users_list_follows_the_member_list_and_the_clock() {
        let cache = UsersJson::default();
        let list = Arc::new(vec![member("ann", 1_000)]);
        let first = cache.get(1, &list, 1_010).expect("json").get().to_owned();
        assert!(first.contains(r#""username":"ann""#), "{first}");
        assert!(first.contains(r#""last_seen":10"#), "{first}");
        assert_eq!(cache.get(1, &list, 1_010).expect("json").get(), first);

        let later = cache.get(1, &list, 1_020).expect("json").get().to_owned();
        assert!(later.contains(r#""last_seen":20"#), "a new second: {later}");

        let changed = Arc::new(vec![member("ann", 1_019)]);
        let now = cache
            .get(1, &changed, 1_020)
            .expect("json")
            .get()
            .to_owned();
        assert!(now.contains(r#""last_seen":1,"#), "a new list: {now}");
        let other_room = cache.get(2, &list, 1_020).expect("json").get().to_owned();
        assert_eq!(other_room, later, "rooms are kept apart");
    }
}
