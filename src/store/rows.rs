//! Columns and row mapping, written once for both backends: the row types
//! implement `sqlx::FromRow` (with [`from_row!`]) or are tuples, and convert
//! into the entities of [`crate::domain`].

/// Implements `sqlx::FromRow` for a struct of named fields: each field read
/// from the column of its name, each `flatten` field from the same row by its
/// own `FromRow`. This is what `#[derive(sqlx::FromRow)]` generates; the
/// derive would build sqlx's proc-macro crate, which compiles both drivers
/// and SQLite's C once more (see `store/migrations.rs`). The compiler checks
/// that the names listed are the struct's fields, all of them.
///
/// `from_row!(Row { a, b } flatten { inner })` implements it for both
/// backends' rows; `from_row!(for RowType: Row { a, b })` for one.
macro_rules! from_row {
    (for $row:ty: $name:ident { $($field:ident),* $(,)? } $(flatten { $($inner:ident),* $(,)? })?) => {
        impl<'r> sqlx::FromRow<'r, $row> for $name {
            fn from_row(row: &'r $row) -> sqlx::Result<Self> {
                use sqlx::Row as _;
                Ok(Self {
                    $($field: row.try_get(stringify!($field))?,)*
                    $($($inner: sqlx::FromRow::from_row(row)?,)*)?
                })
            }
        }
    };
    ($name:ident { $($field:ident),* $(,)? } $(flatten { $($inner:ident),* $(,)? })?) => {
        $crate::store::rows::from_row!(for sqlx::sqlite::SqliteRow: $name { $($field),* } flatten { $($($inner),*)? });
        $crate::store::rows::from_row!(for sqlx::postgres::PgRow: $name { $($field),* } flatten { $($($inner),*)? });
    };
}
pub(crate) use from_row;

use crate::domain::file_name::clean_file_name;
use crate::domain::language::Language;
use crate::domain::notify::Level;
use crate::domain::{
    Attachment, AuditEntry, Member, Message, OutboxItem, PresenceState, Quote, Reaction, Room, User,
};

pub const USER_COLUMNS: &str = "id, username, email, password_hash, is_admin, is_active, \
     alert_email, language, time_zone, display_name, avatar_key";
/// A user's row: [`USER_COLUMNS`], by name.
pub struct UserRow {
    id: i64,
    username: String,
    email: Option<String>,
    password_hash: String,
    is_admin: bool,
    is_active: bool,
    alert_email: Option<String>,
    language: Option<String>,
    time_zone: Option<String>,
    display_name: Option<String>,
    avatar_key: Option<String>,
}
from_row!(UserRow {
    id,
    username,
    email,
    password_hash,
    is_admin,
    is_active,
    alert_email,
    language,
    time_zone,
    display_name,
    avatar_key
});

pub fn user(r: UserRow) -> User {
    User {
        id: r.id,
        username: r.username,
        email: r.email,
        password_hash: r.password_hash,
        is_admin: r.is_admin,
        is_active: r.is_active,
        alert_email: r.alert_email,
        // A language a later version dropped reads as "the browser's".
        language: r.language.as_deref().and_then(Language::from_tag),
        time_zone: r.time_zone,
        display_name: r.display_name,
        avatar_key: r.avatar_key,
    }
}

pub const ROOM_COLUMNS: &str = "id, slug, title";
pub type RoomRow = (i64, String, String);

pub fn room((id, slug, title): RoomRow) -> Room {
    Room { id, slug, title }
}

/// Members are read joined with their user (`mb` and `u`).
pub const MEMBER_COLUMNS: &str = "mb.room_id, mb.user_id, u.username, \
     COALESCE(u.alert_email, u.email) AS email, mb.colour, mb.alert, mb.mail_alert, \
     mb.notify, mb.last_seen, mb.has_focus, mb.last_spoke, mb.inactive_from, mb.last_mail_alert, \
     u.display_name, u.avatar_key";

pub struct MemberRow {
    room_id: i64,
    user_id: i64,
    username: String,
    email: Option<String>,
    colour: String,
    alert: bool,
    mail_alert: bool,
    notify: String,
    last_seen: Option<i64>,
    has_focus: bool,
    last_spoke: Option<i64>,
    inactive_from: Option<i64>,
    last_mail_alert: Option<i64>,
    display_name: Option<String>,
    avatar_key: Option<String>,
}
from_row!(MemberRow {
    room_id,
    user_id,
    username,
    email,
    colour,
    alert,
    mail_alert,
    notify,
    last_seen,
    has_focus,
    last_spoke,
    inactive_from,
    last_mail_alert,
    display_name,
    avatar_key
});

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Self {
        Self {
            room_id: r.room_id,
            user_id: r.user_id,
            username: r.username,
            email: r.email,
            colour: r.colour,
            alert: r.alert,
            mail_alert: r.mail_alert,
            notify: Level::parse(&r.notify).unwrap_or_default(),
            presence: PresenceState {
                last_seen: r.last_seen,
                has_focus: r.has_focus,
                last_spoke: r.last_spoke,
                inactive_from: r.inactive_from,
                last_mail_alert: r.last_mail_alert,
            },
            display_name: r.display_name,
            avatar_key: r.avatar_key,
        }
    }
}

/// Messages are read joined with their author (`m` and `u`), and with the
/// message they answer and its author (`r` and `ru`): [`MESSAGE_FROM`].
pub const MESSAGE_COLUMNS: &str = "m.id, m.room_id, m.seq, m.user_id, u.username, \
     m.created_at, m.content, m.html, m.file_name, m.file_size, m.file_type, m.file_key, m.mentions, \
     COALESCE(m.pos, m.seq) AS pos, COALESCE(m.rev, m.id) AS rev, m.edited_at, m.deleted_at, \
     m.reply_to, ru.username AS reply_user, substr(r.content, 1, 200) AS reply_text, \
     r.deleted_at AS reply_deleted, m.reactions, m.previews";

/// The tables [`MESSAGE_COLUMNS`] reads.
pub const MESSAGE_FROM: &str = "messages m JOIN users u ON u.id = m.user_id \
     LEFT JOIN messages r ON r.id = m.reply_to LEFT JOIN users ru ON ru.id = r.user_id";

pub struct MessageRow {
    id: i64,
    room_id: i64,
    seq: i64,
    user_id: i64,
    username: String,
    created_at: i64,
    content: String,
    html: String,
    file_name: Option<String>,
    file_size: Option<i64>,
    file_type: Option<String>,
    file_key: Option<String>,
    mentions: String,
    pos: i64,
    rev: i64,
    edited_at: Option<i64>,
    deleted_at: Option<i64>,
    reply_to: Option<i64>,
    reply_user: Option<String>,
    reply_text: Option<String>,
    reply_deleted: Option<i64>,
    reactions: String,
    previews: String,
}
from_row!(MessageRow {
    id,
    room_id,
    seq,
    user_id,
    username,
    created_at,
    content,
    html,
    file_name,
    file_size,
    file_type,
    file_key,
    mentions,
    pos,
    rev,
    edited_at,
    deleted_at,
    reply_to,
    reply_user,
    reply_text,
    reply_deleted,
    reactions,
    previews
});

impl MessageRow {
    /// The row's [`MESSAGE_COLUMNS`], read by position from column `at` on:
    /// the SQLite backend's direct reads (`store/sqlite/direct.rs`).
    pub fn at(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(at)?,
            room_id: row.get(at + 1)?,
            seq: row.get(at + 2)?,
            user_id: row.get(at + 3)?,
            username: row.get(at + 4)?,
            created_at: row.get(at + 5)?,
            content: row.get(at + 6)?,
            html: row.get(at + 7)?,
            file_name: row.get(at + 8)?,
            file_size: row.get(at + 9)?,
            file_type: row.get(at + 10)?,
            file_key: row.get(at + 11)?,
            mentions: row.get(at + 12)?,
            pos: row.get(at + 13)?,
            rev: row.get(at + 14)?,
            edited_at: row.get(at + 15)?,
            deleted_at: row.get(at + 16)?,
            reply_to: row.get(at + 17)?,
            reply_user: row.get(at + 18)?,
            reply_text: row.get(at + 19)?,
            reply_deleted: row.get(at + 20)?,
            reactions: row.get(at + 21)?,
            previews: row.get(at + 22)?,
        })
    }

    /// The message's cursor position.
    pub fn rev(&self) -> i64 {
        self.rev
    }
}

impl From<MessageRow> for Message {
    fn from(r: MessageRow) -> Self {
        Self {
            id: r.id,
            room_id: r.room_id,
            seq: r.seq,
            user_id: r.user_id,
            username: r.username,
            time: r.created_at,
            content: r.content,
            html: r.html,
            file: r.file_key.map(|key| Attachment {
                // Names stored before the rule was written are cleaned
                // as they are read (docs/rules.md, File names).
                name: clean_file_name(&r.file_name.unwrap_or_default()),
                size: r.file_size.unwrap_or_default(),
                content_type: r.file_type.unwrap_or_default(),
                key,
            }),
            mentions: r.mentions.split_whitespace().map(str::to_owned).collect(),
            pos: r.pos,
            rev: r.rev,
            edited: r.edited_at,
            deleted: r.deleted_at,
            reply: r.reply_to.map(|id| Quote {
                id,
                deleted: r.reply_deleted.is_some() || r.reply_user.is_none(),
                username: r.reply_user.unwrap_or_default(),
                excerpt: r.reply_text.unwrap_or_default(),
            }),
            reactions: reactions(&r.reactions),
            previews: crate::domain::previews::Previews::from_stored(&r.previews),
        }
    }
}

/// The stored reaction summary (`[["👍", ["ann"]], …]`; empty: none).
pub fn reactions(stored: &str) -> Vec<Reaction> {
    if stored.is_empty() {
        return Vec::new();
    }
    serde_json::from_str::<Vec<(String, Vec<String>)>>(stored)
        .map(|list| {
            list.into_iter()
                .map(|(emoji, users)| Reaction { emoji, users })
                .collect()
        })
        .unwrap_or_default()
}

/// The reaction summary as stored.
pub fn stored_reactions(reactions: &[Reaction]) -> String {
    if reactions.is_empty() {
        return String::new();
    }
    let list: Vec<(&str, &[String])> = reactions
        .iter()
        .map(|r| (r.emoji.as_str(), r.users.as_slice()))
        .collect();
    serde_json::to_string(&list).unwrap_or_default()
}

pub const OUTBOX_COLUMNS: &str =
    "id, created_at, room_id, user_id, first_message_id, recipient, attempts";
pub type OutboxRow = (i64, i64, i64, i64, i64, String, i64);

pub fn outbox_item(
    (id, created_at, room_id, user_id, first_message_id, recipient, attempts): OutboxRow,
) -> OutboxItem {
    OutboxItem {
        id,
        created_at,
        room_id,
        user_id,
        first_message_id,
        recipient,
        attempts,
    }
}

pub const AUDIT_COLUMNS: &str = "at, actor_id, actor_name, action, target, detail";
pub type AuditRow = (i64, Option<i64>, String, String, String, String);

pub fn audit_entry((at, actor_id, actor_name, action, target, detail): AuditRow) -> AuditEntry {
    AuditEntry {
        at,
        actor_id,
        actor_name,
        action,
        target,
        detail,
    }
}

/// A message of a page of history (as [`MESSAGE_COLUMNS`]) and how many
/// messages of its room are older.
pub struct WindowRow {
    pub message: MessageRow,
    pub older: i64,
}
from_row!(WindowRow { older } flatten { message });

impl WindowRow {
    /// How many columns [`MESSAGE_COLUMNS`] has: `older` follows them.
    pub const OLDER_AT: usize = 23;

    /// The row read by position (`store/sqlite/direct.rs`).
    pub fn direct(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            message: MessageRow::at(row, 0)?,
            older: row.get(Self::OLDER_AT)?,
        })
    }
}

/// A message found by one of the two walks of a read of news (as
/// [`MESSAGE_COLUMNS`]), and which walk found it: 0 for new messages, 1
/// for changed ones.
pub struct WalkRow {
    pub message: MessageRow,
    pub walk: i64,
}
from_row!(WalkRow { walk } flatten { message });

/// A search result: a message (as [`MESSAGE_COLUMNS`]) with its room's
/// slug and title and its score.
pub struct SearchRow {
    message: MessageRow,
    slug: String,
    title: String,
    score: f64,
}
from_row!(SearchRow { slug, title, score } flatten { message });

impl From<SearchRow> for crate::store::SearchHit {
    fn from(r: SearchRow) -> Self {
        let message = Message::from(r.message);
        Self {
            room: Room {
                id: message.room_id,
                slug: r.slug,
                title: r.title,
            },
            message,
            score: r.score,
        }
    }
}
