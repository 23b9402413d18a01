//! Storage: one interface, chat operations rather than table CRUD.
//!
//! Handlers and services hold a cloneable [`Store`]; each backend implements
//! [`Backend`] with its own best SQL. sqlx errors never leave this module:
//! they become [`StoreError`] at the boundary.

mod cache;
pub mod postgres;
mod sessions;
pub mod sqlite;
mod types;

use std::sync::Arc;

pub use sessions::SessionRecords;
pub use types::*;

use crate::config::{DatabaseUrl, SqliteSync};

/// What went wrong in storage, in terms callers can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write; the text names what clashed.
    #[error("{0}")]
    Conflict(String),
    /// The database could not be reached or is overloaded; worth retrying.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error("database error: {0}")]
    Other(String),
}

/// The storage operations the chat needs. Each backend implements them all,
/// and the conformance tests in `tests/` hold every backend to the same behaviour.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    // --- accounts
    /// Creates a user; `Conflict` when the username (any case) is taken.
    async fn create_user(&self, user: NewUser) -> Result<User, StoreError>;
    /// A user by id.
    async fn user_by_id(&self, id: i64) -> Result<User, StoreError>;
    /// A user by username, ignoring case.
    async fn user_by_name(&self, username_key: &str) -> Result<User, StoreError>;
    /// Every user, by username.
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Whether any active admin exists.
    async fn has_admin(&self) -> Result<bool, StoreError>;
    /// Replaces a user's password hash.
    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError>;

    /// Sets (or clears) the address e-mail alerts go to.
    async fn set_alert_email(&self, user_id: i64, address: Option<&str>) -> Result<(), StoreError>;
    /// Saves a user's e-mail and flags.
    async fn update_user(
        &self,
        user_id: i64,
        email: Option<&str>,
        is_admin: bool,
        is_active: bool,
    ) -> Result<(), StoreError>;

    // --- rooms and members
    /// Creates a room; `Conflict` when the slug is taken.
    async fn create_room(&self, slug: &str, title: &str) -> Result<Room, StoreError>;
    /// A room by slug.
    async fn room_by_slug(&self, slug: &str) -> Result<Room, StoreError>;
    /// Every room, by title.
    async fn list_rooms(&self) -> Result<Vec<Room>, StoreError>;
    /// The rooms `user_id` is a member of, by title.
    async fn rooms_of(&self, user_id: i64) -> Result<Vec<Room>, StoreError>;
    /// Adds a member; `Conflict` when already a member.
    async fn add_member(&self, room_id: i64, user_id: i64, colour: &str) -> Result<(), StoreError>;
    /// One membership; `NotFound` when not a member.
    async fn member(&self, room_id: i64, user_id: i64) -> Result<Member, StoreError>;
    /// Every member of a room, by username.
    async fn members(&self, room_id: i64) -> Result<Vec<Member>, StoreError>;
    /// The same list, shared: a caching backend hands out its own copy
    /// instead of cloning it, and the same `Arc` while the list is unchanged.
    async fn members_shared(&self, room_id: i64) -> Result<Arc<Vec<Member>>, StoreError> {
        Ok(Arc::new(self.members(room_id).await?))
    }
    /// A room by id.
    async fn room_by_id(&self, id: i64) -> Result<Room, StoreError>;
    /// Renames a room; `Conflict` when the new slug is taken.
    async fn update_room(&self, room_id: i64, slug: &str, title: &str) -> Result<(), StoreError>;
    /// Deletes a room with its messages and memberships; returns the storage
    /// keys of its files, for the caller to remove once this has committed.
    async fn delete_room(&self, room_id: i64) -> Result<Vec<String>, StoreError>;
    /// Deletes every message of a room, keeping its members; returns file keys.
    async fn clear_room(&self, room_id: i64) -> Result<Vec<String>, StoreError>;
    /// Removes a member; `NotFound` when not a member.
    async fn remove_member(&self, room_id: i64, user_id: i64) -> Result<(), StoreError>;
    /// Sets a member's colour.
    async fn set_colour(&self, room_id: i64, user_id: i64, colour: &str) -> Result<(), StoreError>;
    /// Saves a member's alert preferences.
    async fn set_alerts(
        &self,
        room_id: i64,
        user_id: i64,
        alert: bool,
        mail_alert: bool,
    ) -> Result<(), StoreError>;
    /// Saves presence bookkeeping for one member.
    async fn save_presence(&self, update: PresenceUpdate) -> Result<(), StoreError>;

    // --- messages
    /// Stores a message, or returns the one already stored under the same
    /// `client_id` by the same member in the same room (`created == false`).
    async fn post_message(&self, message: NewMessage) -> Result<Posted, StoreError>;
    /// Up to `limit` messages with id greater than `after`, oldest first.
    async fn messages_after(
        &self,
        room_id: i64,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError>;
    /// Up to `limit` messages with id less than `before` (or the newest when
    /// `None`), returned oldest first.
    async fn messages_before(
        &self,
        room_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError>;
    /// How many messages of the room are older than message `id`.
    async fn count_before(&self, room_id: i64, id: i64) -> Result<i64, StoreError>;
    /// The `seq` of the newest message of the room with id at most `id` (0 when none).
    async fn seq_at(&self, room_id: i64, id: i64) -> Result<i64, StoreError>;
    /// The newest message id in a room (0 when empty).
    async fn last_message_id(&self, room_id: i64) -> Result<i64, StoreError>;
    /// One message of a room.
    async fn message(&self, room_id: i64, id: i64) -> Result<Message, StoreError>;

    // --- e-mail outbox
    /// Pending alerts due at `now`, not held by another node, oldest first.
    async fn due_alerts(&self, now: i64, limit: u32) -> Result<Vec<OutboxItem>, StoreError>;
    /// Holds an alert for this node until `until`; false when another holds it.
    async fn claim_alert(&self, id: i64, now: i64, until: i64) -> Result<bool, StoreError>;
    /// Marks an alert sent.
    async fn alert_sent(&self, id: i64, now: i64) -> Result<(), StoreError>;
    /// Records a failed attempt and when to try again.
    async fn alert_failed(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Drops an alert that is no longer wanted (the member came back, opted out).
    async fn alert_cancelled(&self, id: i64, reason: &str) -> Result<(), StoreError>;
    /// Counts outbox rows by status (for tests, health and metrics).
    async fn outbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError>;

    // --- audit log
    /// Records an administrative action.
    async fn record_audit(&self, entry: AuditEntry) -> Result<(), StoreError>;
    /// The newest audit entries, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    // --- installation secrets and one-time setup
    /// The named secret, created with `fresh` if it does not exist yet.
    async fn secret(&self, name: &str, fresh: &str) -> Result<String, StoreError>;
    /// Replaces the one-time setup token's hash.
    async fn set_setup_token(&self, token_hash: Option<&str>) -> Result<(), StoreError>;
    /// Consumes the setup token if `token_hash` matches; true when it did.
    async fn take_setup_token(&self, token_hash: &str) -> Result<bool, StoreError>;

    // --- sessions
    /// Session records for the session layer.
    fn sessions(&self) -> &dyn SessionRecords;

    /// Drops cached reads after another node reported a change (to one room,
    /// or to anything when `None`); backends without a cache ignore it.
    fn forget(&self, _room_id: Option<i64>) {}

    /// Closes connections; further calls fail.
    async fn close(&self);
}

/// A cloneable handle on the configured backend.
#[derive(Clone)]
pub struct Store(Arc<dyn Backend>);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl std::ops::Deref for Store {
    type Target = dyn Backend;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl Store {
    /// The same store with the request path's look-ups cached for `ttl`
    /// (see [`cache`]); a zero `ttl` caches nothing.
    #[must_use]
    pub fn cached(self, ttl: std::time::Duration) -> Self {
        if ttl.is_zero() {
            self
        } else {
            Self(Arc::new(cache::CachedBackend::new(self.0, ttl)))
        }
    }

    /// Opens the database named by `url`, applying migrations.
    ///
    /// # Errors
    /// `Unavailable` when the database cannot be opened or migrated; the
    /// message names the database, never a password.
    pub async fn open(url: &DatabaseUrl, sync: SqliteSync) -> Result<Self, StoreError> {
        match url {
            DatabaseUrl::Sqlite { path, create } => Ok(Self(Arc::new(
                sqlite::SqliteBackend::open(path, *create, sync).await?,
            ))),
            DatabaseUrl::Postgres(url) => {
                Ok(Self(Arc::new(postgres::PostgresBackend::open(url).await?)))
            }
        }
    }
}
