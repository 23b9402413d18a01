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
    /// The name shown instead of the username, if given.
    pub display_name: Option<String>,
}

impl NewUser {
    /// The account as stored under `id`.
    pub(crate) fn into_user(self, id: i64) -> crate::domain::User {
        crate::domain::User {
            id,
            username: self.username,
            email: self.email,
            password_hash: self.password_hash,
            is_admin: self.is_admin,
            is_active: true,
            alert_email: None,
            language: None,
            time_zone: None,
            display_name: self.display_name,
            avatar_key: None,
        }
    }
}

/// An invitation to store.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// The SHA-256 of its token (`domain::links::token_hash`).
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
    pub email: Option<String>,
    pub room_ids: Vec<i64>,
    pub created_by: Option<i64>,
    pub created_by_name: String,
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

    /// Whether the post stored a message and changed nothing else but its
    /// poster's presence (no alert bookkeeping of other members): what a
    /// read cache, here or on another node, can apply in place.
    #[must_use]
    pub fn only_presence_changed(&self) -> bool {
        self.created && self.alerts_queued == 0
    }
}

/// What a search asks the store: the searcher, the words and the filters,
/// already resolved to ids by the service (which checked `in:`'s room).
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The searcher: only rooms they are a member of are searched (unless
    /// `all_rooms`), and `is:mention` means them.
    pub user_id: i64,
    /// Every room, members or not (an administrator who asked, audited).
    pub all_rooms: bool,
    /// `in:`, one room.
    pub room_id: Option<i64>,
    /// `from:`, one author.
    pub author_id: Option<i64>,
    /// Words and phrases, all of which must match (none: filters only).
    pub terms: Vec<crate::domain::search::Term>,
    pub has_file: bool,
    pub has_link: bool,
    pub mentions_me: bool,
    /// Sent before this time (Unix seconds).
    pub before: Option<i64>,
    /// Sent at or after this time (Unix seconds).
    pub after: Option<i64>,
    pub order: SearchOrder,
    /// Where the previous page ended.
    pub cursor: Option<SearchCursor>,
    /// Results wanted (the caller asks one more to know whether more follow).
    pub limit: u32,
    /// Newest first, candidates looked at at most: the newest messages
    /// with the words (without words: the newest messages) below the
    /// cursor. Filters that match rarely then cost no more than this.
    pub scan_limit: u32,
}

/// Candidates one newest-first search looks at, at most (see
/// [`SearchRequest::scan_limit`]).
pub const SCAN_LIMIT: u32 = 10_000;

/// A page of results.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// Newest first, when the search stopped at its scan limit: the lowest
    /// id it looked at. Older messages remain to be searched below it,
    /// even if this page holds fewer hits than asked for.
    pub scanned_to: Option<i64>,
}

/// The order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Best match first (among the newest [`BEST_WINDOW`] messages with the
    /// words), then newest.
    Best,
}

/// How many of the newest messages with the words "best match" ranks:
/// ranking every match of a common word in a million messages would take
/// seconds.
pub const BEST_WINDOW: u32 = 2_000;

/// The last result of a page: the next page starts after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchCursor {
    pub id: i64,
    /// Its score (best-match order only; higher is better).
    pub score: f64,
}

/// One result of a search.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub message: Message,
    pub room: crate::domain::Room,
    /// How well it matches, in best-match order (higher is better); 0
    /// newest first and without words.
    pub score: f64,
}

/// An account to import, with the hash it had at its source.
#[derive(Debug, Clone)]
pub struct ImportedUser {
    /// Its id at the source.
    pub source_id: i64,
    pub username: String,
    pub username_key: String,
    pub email: Option<String>,
    /// As the source stored it (Django's `pbkdf2_sha256$…`), checked at
    /// login and replaced by argon2id then.
    pub password_hash: String,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: i64,
}

/// A membership to import.
#[derive(Debug, Clone)]
pub struct ImportedMember {
    /// Its id at the source.
    pub source_id: i64,
    pub room_id: i64,
    pub user_id: i64,
    pub colour: String,
    pub alert: bool,
    pub mail_alert: bool,
    pub last_spoke: Option<i64>,
}

/// A message to import, already rendered, its file already stored.
#[derive(Debug, Clone)]
pub struct ImportedMessage {
    /// Its id at the source.
    pub source_id: i64,
    pub room_id: i64,
    pub user_id: i64,
    /// The original time, Unix seconds.
    pub time: i64,
    pub content: String,
    pub html: String,
    pub mentions: Vec<String>,
    pub file: Option<crate::domain::Attachment>,
}
