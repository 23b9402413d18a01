//! What the store takes in and hands back besides the entities.

use crate::domain::notify::Decision;
use crate::domain::{Attachment, Message, PresenceUpdate, Quote};

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub username_key: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: i64,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub room_id: i64,
    pub user_id: i64,
    /// The poster's username, for the returned message (the caller has the
    /// user at hand; stored messages take it from the users table).
    pub username: String,
    pub time: i64,
    pub content: String,
    pub html: String,
    pub client_id: Option<String>,
    pub file: Option<Attachment>,
    /// The usernames the message mentions, as shown with it.
    pub mentions: Vec<String>,
    /// The ids of the members it mentions, for their counts and alerts.
    pub mentioned: Vec<i64>,
    /// Presence to record in the same transaction (a send is a sign of life).
    pub presence: PresenceUpdate,
    /// Seconds before queued alert e-mails may go out (`MAIL_ALERT_DELAY`).
    pub mail_delay: i64,
    /// The message this one answers (checked to be of the same room), as
    /// the reply shows it.
    pub reply: Option<Quote>,
}

/// The result of [`super::Posting::post_message`].
#[derive(Debug, Clone)]
pub struct Posted {
    pub message: Message,
    /// False when an earlier send with the same `client_id` was returned.
    pub created: bool,
    /// Alert e-mails queued in the same transaction.
    pub alerts_queued: usize,
    /// What the alert rule decided, for the members' notification pages.
    pub decisions: Vec<Decision>,
}

impl Posted {
    /// The answer for a repeated send: the message stored the first time.
    #[must_use]
    pub fn earlier(message: Message) -> Self {
        Self {
            message,
            created: false,
            alerts_queued: 0,
            decisions: Vec::new(),
        }
    }
}
