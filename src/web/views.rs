//! What templates and JSON show: messages and members as the protocol has them.

use serde::Serialize;

use super::state::AppState;
use crate::domain::duration_words::{seconds_ago, since};
use crate::domain::render::{AttachmentRef, render_message};
use crate::files::is_inline_image;
use crate::store::{Member, Message};

/// A message as the JSON API shows it (SPEC §5).
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

/// A member as the JSON API shows them (SPEC §5): times in seconds ago, -1 = never.
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
