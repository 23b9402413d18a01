//! The entities and pure rules: names, slugs, colours, presence, alerts,
//! message text and file names, rendering.
//!
//! Nothing here knows about HTTP or SQL, so every rule is unit-tested directly.

pub mod alerts;
pub mod colour;
pub mod duration_words;
pub mod entities;
pub mod file_name;
pub mod highlight;
pub mod hooks;
pub mod integrations;
pub mod language;
pub mod link_meta;
pub mod links;
pub mod mentions;
pub mod notify;
pub mod outgoing;
pub mod overview;
pub mod presence;
pub mod previews;
pub mod profile;
pub mod push;
pub mod reactions;
pub mod render;
pub mod search;
pub mod slug;
pub mod text;
pub mod time_zone;
pub mod tokens;
pub mod username;

pub use colour::Colour;
pub use entities::{
    Attachment, AuditEntry, Member, Message, MessageEdit, Missed, NotificationRecord, OutboxItem,
    PresenceUpdate, Quote, Reaction, Room, RoomNews, User,
};
pub use presence::{PresenceState, PresenceStatus};
pub use slug::RoomSlug;
pub use username::Username;

/// Seconds since the Unix epoch, the one timestamp representation used everywhere.
pub type UnixTime = i64;

/// The current time in Unix seconds.
#[must_use]
pub fn now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
