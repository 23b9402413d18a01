//! Storage: chat operations rather than table CRUD, split by concern.
//!
//! Each concern is a small trait ([`Accounts`], [`Rooms`], [`Posting`],
//! [`Messages`], [`Lifecycle`], [`Reading`], [`Outbox`], [`Links`],
//! [`AccountMail`], [`Directory`], [`Audit`], [`Secrets`], [`Integrations`], [`Outgoing`],
//! [`SessionRecords`], [`Throttles`], [`Overview`], [`Search`], [`Imports`],
//! [`Maintenance`], [`Push`]).
//! The SQL behind them is written once, in `store/sql/`, and compiled for
//! each backend; a backend contributes only what differs: opening and
//! migrating, and the posting path (`sqlite/`, `postgres/`). The read
//! cache ([`Store::cached`]) wraps only the concerns it caches.
//!
//! Callers hold a cloneable [`Store`] and pick the concern:
//! `store.rooms().member(room, user)`. Outside this module only the service
//! layer (and the background jobs it starts) does; pages, API and CLI go
//! through it.

mod batch;
mod cache;
mod commit;
mod error;
mod inputs;
mod migrations;
pub mod postgres;
mod rows;
mod sessions;
pub mod sqlite;
mod watch;

use std::sync::Arc;

pub use error::{Cause, StoreError};
pub use inputs::{
    BEST_WINDOW, ImportedMember, ImportedMessage, ImportedUser, NewInvitation, NewMessage, NewUser,
    Posted, SCAN_LIMIT, SearchCursor, SearchHit, SearchOrder, SearchPage, SearchRequest,
};
pub use sessions::SessionRecords;
pub use watch::Changes;

use crate::config::{DatabaseUrl, SqliteTuning};
use crate::domain::integrations::{ApiToken, Bot, IncomingHook, NewHook, NewToken};
use crate::domain::links::{AccountMailItem, Invitation, InvitationUse, ResetLink};
use crate::domain::notify::{Decision, Level};
use crate::domain::outgoing::{Attempt, Delivery, NewDelivery, OutgoingHook};
use crate::domain::overview::{Activity, Attention, OutboxHealth, StorageFacts};
use crate::domain::push::{NewSubscription, PushItem, Queued, Subscription};
use crate::domain::{
    AuditEntry, Member, Message, MessageEdit, Missed, NotificationRecord, OutboxItem,
    PresenceUpdate, Room, RoomNews, User,
};
use crate::metrics::StoreMetrics;

/// Result of a storage operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Accounts.
#[async_trait::async_trait]
pub trait Accounts: Send + Sync {
    /// Creates a user; `Conflict` when the username (any case) is taken.
    async fn create_user(&self, user: NewUser) -> Result<User>;
    /// A user by id.
    async fn user_by_id(&self, id: i64) -> Result<User>;
    /// A user by username, ignoring case.
    async fn user_by_name(&self, username_key: &str) -> Result<User>;
    /// Every user, by username.
    async fn list_users(&self) -> Result<Vec<User>>;
    /// Whether any active admin exists.
    async fn has_admin(&self) -> Result<bool>;
    /// Replaces a user's password hash.
    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()>;
    /// Sets (or clears) the address e-mail alerts go to.
    async fn set_alert_email(&self, user_id: i64, address: Option<&str>) -> Result<()>;
    /// Sets (or clears, with `None`) a user's language tag and time zone.
    async fn set_locale(
        &self,
        user_id: i64,
        language: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<()>;
    /// Sets (or clears, with `None`) a user's display name.
    async fn set_display_name(&self, user_id: i64, name: Option<&str>) -> Result<()>;
    /// Sets (or clears) the storage key of a user's avatar; answers the
    /// key it replaces, whose file the caller removes.
    async fn set_avatar(&self, user_id: i64, key: Option<&str>) -> Result<Option<String>>;
    /// Saves a user's e-mail and flags.
    async fn update_user(
        &self,
        user_id: i64,
        email: Option<&str>,
        is_admin: bool,
        is_active: bool,
    ) -> Result<()>;
}

/// Rooms, their members and the members' presence.
#[async_trait::async_trait]
pub trait Rooms: Send + Sync {
    /// Creates a room; `Conflict` when the slug is taken.
    async fn create_room(&self, slug: &str, title: &str) -> Result<Room>;
    /// A room by slug.
    async fn room_by_slug(&self, slug: &str) -> Result<Room>;
    /// A room by id.
    async fn room_by_id(&self, id: i64) -> Result<Room>;
    /// Every room, by title.
    async fn list_rooms(&self) -> Result<Vec<Room>>;
    /// The rooms `user_id` is a member of, by title.
    async fn rooms_of(&self, user_id: i64) -> Result<Vec<Room>>;
    /// Renames a room; `Conflict` when the new slug is taken.
    async fn update_room(&self, room_id: i64, slug: &str, title: &str) -> Result<()>;
    /// Deletes a room with its messages and memberships; returns the storage
    /// keys of its files, for the caller to remove once this has committed.
    async fn delete_room(&self, room_id: i64) -> Result<Vec<String>>;
    /// Deletes every message of a room, keeping its members; returns file keys.
    async fn clear_room(&self, room_id: i64) -> Result<Vec<String>>;
    /// Adds a member with the room's history read; `Conflict` when already
    /// a member, `NotFound` when the room does not exist.
    async fn add_member(&self, room_id: i64, user_id: i64, colour: &str) -> Result<()>;
    /// One membership; `NotFound` when not a member.
    async fn member(&self, room_id: i64, user_id: i64) -> Result<Member>;
    /// Every active member of a room, by username, shared: a caching store
    /// hands out the same `Arc` while the list is unchanged.
    async fn members(&self, room_id: i64) -> Result<Arc<Vec<Member>>>;
    /// Removes a member; `NotFound` when not a member.
    async fn remove_member(&self, room_id: i64, user_id: i64) -> Result<()>;
    /// Sets a member's colour.
    async fn set_colour(&self, room_id: i64, user_id: i64, colour: &str) -> Result<()>;
    /// Saves a member's alert preferences.
    async fn set_alerts(
        &self,
        room_id: i64,
        user_id: i64,
        alert: bool,
        mail_alert: bool,
    ) -> Result<()>;
    /// Sets a member's notification level.
    async fn set_notify(&self, room_id: i64, user_id: i64, level: Level) -> Result<()>;
    /// Saves presence bookkeeping for one member.
    async fn save_presence(&self, update: PresenceUpdate) -> Result<()>;
}

/// Catch-up: read cursors, what is new, mentions, and the record of
/// notification decisions.
#[async_trait::async_trait]
pub trait Reading: Send + Sync {
    /// Moves a member's read cursor forward to the newest message of the
    /// room with id at most `last`; never back. Answers the cursor.
    /// `NotFound` when not a member.
    async fn mark_read(&self, room_id: i64, user_id: i64, last: i64) -> Result<i64>;
    /// A member's read cursor; `NotFound` when not a member.
    async fn read_cursor(&self, room_id: i64, user_id: i64) -> Result<i64>;
    /// Every room of a member with what is new there for them, by title.
    async fn room_news(&self, user_id: i64) -> Result<Vec<RoomNews>>;
    /// What a member missed in a room after message `after`, looking at no
    /// more than `scan` messages for authors and files.
    async fn missed(&self, room_id: i64, user_id: i64, after: i64, scan: u32) -> Result<Missed>;
    /// Records notification decisions.
    async fn record_notifications(&self, decisions: &[Decision]) -> Result<()>;
    /// A member's newest notification decisions, newest first.
    async fn notifications(&self, user_id: i64, limit: u32) -> Result<Vec<NotificationRecord>>;
    /// Keeps only each member's newest `keep` decisions; answers how many went.
    async fn prune_notifications(&self, keep: u32) -> Result<u64>;
}

/// Storing new messages (with the poster's presence and the mail alerts
/// they cause, in one transaction).
#[async_trait::async_trait]
pub trait Posting: Send + Sync {
    /// Stores a message, or returns the one already stored under the same
    /// `client_id` by the same member in the same room (`created == false`).
    /// `NotFound` when the room does not exist.
    async fn post_message(&self, message: NewMessage) -> Result<Posted>;
}

/// Reading messages.
#[async_trait::async_trait]
pub trait Messages: Send + Sync {
    /// Up to `limit` messages with id greater than `after`, oldest first.
    async fn messages_after(&self, room_id: i64, after: i64, limit: u32) -> Result<Vec<Message>>;
    /// Up to `limit` messages with id less than `before` (or the newest when
    /// `None`), returned oldest first, with how many are older than them:
    /// one read, since every page of history asks for both.
    async fn messages_before(
        &self,
        room_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Window>;
    /// Up to `limit` messages of the room whose cursor position (`rev`) is
    /// past `after`, in cursor order: new messages, and earlier ones changed
    /// since. Always a prefix of that order, so a client whose next cursor
    /// is the last one's `rev` misses nothing and gets nothing twice.
    async fn news_after(&self, room_id: i64, after: i64, limit: u32) -> Result<Vec<Message>>;
    /// How many messages of the room are older than message `id`.
    async fn count_before(&self, room_id: i64, id: i64) -> Result<i64>;
    /// The room position reached when cursor position `cursor` was handed
    /// out, or less (never more): where a stream resuming at `cursor`
    /// expects the next event.
    async fn pos_at(&self, room_id: i64, cursor: i64) -> Result<i64>;
    /// The newest cursor position in a room: the newest message's id, or a
    /// later change's `rev` (0 when empty).
    async fn newest_cursor(&self, room_id: i64) -> Result<i64>;
    /// One message of a room.
    async fn message(&self, room_id: i64, id: i64) -> Result<Message>;
}

/// A change to a stored message.
#[derive(Debug, Clone)]
pub enum Change {
    /// New text, rendered, with the mentions scanned from it.
    Edit {
        content: String,
        html: String,
        mentions: Vec<String>,
        /// The ids of the members it mentions.
        mentioned: Vec<i64>,
        at: i64,
    },
    /// The message becomes a tombstone: text, rendering, file, mentions,
    /// reactions and previous versions removed.
    Delete { at: i64 },
    /// Adds the member's emoji, or takes it away when it is there.
    React {
        user_id: i64,
        emoji: String,
        at: i64,
    },
    /// Previews made after sending: each one given (an image's, a link's)
    /// replaces the message's own, the others stay; the keys of images no
    /// longer named are handed back for removal.
    Previews(crate::domain::previews::Previews),
}

/// What [`Messages::messages_before`] answers.
#[derive(Debug)]
pub struct Window {
    /// Oldest first.
    pub messages: Vec<Message>,
    /// How many messages of the room are older than the first one (0 when
    /// there are none).
    pub older: i64,
}

/// What [`Lifecycle::change_message`] answers.
#[derive(Debug, Clone)]
pub struct Changed {
    /// The message as it stood before.
    pub before: Message,
    /// The message as it now stands.
    pub message: Message,
    /// The storage keys of the files a change took off the message (a
    /// deletion: its file and previews; new previews: the old previews'
    /// images), for the caller to remove now that the change is committed.
    pub removed_files: Vec<String>,
}

/// Changing stored messages (edits, deletions, reactions) and their history.
#[async_trait::async_trait]
pub trait Lifecycle: Send + Sync {
    /// Applies `change` to message `id` of the room, in one transaction that
    /// gives the message the room's next position and a fresh cursor
    /// position. `NotFound` when the room has no such message, `Conflict`
    /// when it was deleted.
    async fn change_message(&self, room_id: i64, id: i64, change: Change) -> Result<Changed>;
    /// The previous versions of message `id` of the room, oldest first.
    async fn edit_history(&self, room_id: i64, id: i64) -> Result<Vec<MessageEdit>>;
    /// The (room, id) of every message of the user not deleted, oldest first.
    async fn live_messages_of(&self, user_id: i64) -> Result<Vec<(i64, i64)>>;
}

/// The durable queue of alert e-mails.
#[async_trait::async_trait]
pub trait Outbox: Send + Sync {
    /// Pending alerts due at `now`, not held by another node, oldest first.
    async fn due_alerts(&self, now: i64, limit: u32) -> Result<Vec<OutboxItem>>;
    /// Holds an alert for this node until `until`; false when another holds it.
    async fn claim_alert(&self, id: i64, now: i64, until: i64) -> Result<bool>;
    /// Marks an alert sent.
    async fn alert_sent(&self, id: i64, now: i64) -> Result<()>;
    /// Records a failed attempt at `now` and when to try again.
    async fn alert_failed(
        &self,
        id: i64,
        now: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<()>;
    /// Drops an alert that is no longer wanted (the member came back, opted out).
    async fn alert_cancelled(&self, id: i64, reason: &str) -> Result<()>;
    /// Counts outbox rows by status (for tests, health and metrics).
    async fn outbox_counts(&self) -> Result<Vec<(String, i64)>>;
    /// When the oldest pending alert became due (its `send_after`), if any.
    async fn oldest_pending_alert(&self) -> Result<Option<i64>>;
}

/// Invitation and password reset links. Tokens arrive only as hashes.
#[async_trait::async_trait]
pub trait Links: Send + Sync {
    /// Stores an invitation with its rooms.
    async fn create_invitation(&self, new: NewInvitation) -> Result<Invitation>;
    /// The invitation with this token hash, whatever its state.
    async fn invitation(&self, token_hash: &str) -> Result<Invitation>;
    /// The newest invitations, newest first.
    async fn invitations(&self, limit: u32) -> Result<Vec<Invitation>>;
    /// The newest uses of any invitation, newest first.
    async fn invitation_uses(&self, limit: u32) -> Result<Vec<InvitationUse>>;
    /// Revokes an invitation (a second revocation keeps the first time).
    async fn revoke_invitation(&self, id: i64, at: i64) -> Result<Invitation>;
    /// Gives a still usable invitation a new token (its hash), so the
    /// e-mail that carries it holds the only copy; `NotFound` when it is
    /// revoked, expired or used up at `now`.
    async fn rekey_invitation(&self, id: i64, token_hash: &str, now: i64) -> Result<Invitation>;
    /// In one transaction: counts a use of invitation `id` if it is still
    /// usable at `now` (else `NotFound`), creates the account (`Conflict`
    /// when the name is taken, and then no use is counted) and makes it a
    /// member of each room with its colour.
    async fn accept_invitation(
        &self,
        id: i64,
        now: i64,
        user: NewUser,
        colours: &[(i64, String)],
    ) -> Result<User>;
    /// Stores a reset link for `user_id`; answers its id.
    async fn create_reset(
        &self,
        user_id: i64,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<i64>;
    /// The reset link with this token hash, whatever its state.
    async fn reset_link(&self, token_hash: &str) -> Result<ResetLink>;
    /// In one transaction: uses the reset link if it is still usable at
    /// `now` and its account active (else `NotFound`), sets the password
    /// and ends the account's other outstanding links. Answers the user id.
    async fn use_reset(&self, token_hash: &str, now: i64, password_hash: &str) -> Result<i64>;
    /// The newest reset links, newest first.
    async fn reset_links(&self, limit: u32) -> Result<Vec<ResetLink>>;
    /// Revokes a reset link.
    async fn revoke_reset(&self, id: i64, at: i64) -> Result<ResetLink>;
    /// The active accounts whose username is `key`, or whose e-mail is
    /// `key` in any case.
    async fn reset_accounts(&self, key: &str) -> Result<Vec<User>>;
}

/// Direct rooms (one per pair of accounts) and open rooms.
#[async_trait::async_trait]
pub trait Directory: Send + Sync {
    /// The direct room of the pair (`low` < `high`), if they have one.
    async fn direct_room(&self, low: i64, high: i64) -> Result<Option<Room>>;
    /// In one transaction: a direct room for the pair with both as its
    /// members (colours in pair order). `Conflict` when the pair already
    /// has one or the slug is taken.
    async fn create_direct_room(
        &self,
        low: i64,
        high: i64,
        slug: &str,
        title: &str,
        colours: [&str; 2],
    ) -> Result<Room>;
    /// The ids of the user's direct rooms.
    async fn direct_rooms_of(&self, user_id: i64) -> Result<Vec<i64>>;
    /// Whether a room is a direct room.
    async fn is_direct(&self, room_id: i64) -> Result<bool>;
    /// Whether two accounts are members of one room.
    async fn share_a_room(&self, a: i64, b: i64) -> Result<bool>;
    /// Marks a room open or not; `NotFound` for a direct room.
    async fn set_open(&self, room_id: i64, open: bool) -> Result<()>;
    /// The open rooms, by title.
    async fn open_rooms(&self) -> Result<Vec<Room>>;
    /// Whether a room is open.
    async fn is_open(&self, room_id: i64) -> Result<bool>;
}

/// Account e-mails (password resets) waiting for the mail worker.
#[async_trait::async_trait]
pub trait AccountMail: Send + Sync {
    /// Queues an e-mail of `kind` about what was `entered`.
    async fn queue_account_mail(&self, kind: &str, entered: &str, now: i64) -> Result<()>;
    /// Pending e-mails due at `now`, not held by another node, oldest first.
    async fn due_account_mail(&self, now: i64, limit: u32) -> Result<Vec<AccountMailItem>>;
    /// Holds one for this node until `until`; false when another holds it.
    async fn claim_account_mail(&self, id: i64, now: i64, until: i64) -> Result<bool>;
    /// Marks one `sent` or `cancelled`, with a note why.
    async fn account_mail_done(
        &self,
        id: i64,
        status: &str,
        now: i64,
        note: Option<&str>,
    ) -> Result<()>;
    /// Records a failed attempt and when to try again.
    async fn account_mail_failed(&self, id: i64, next_attempt_at: i64, error: &str) -> Result<()>;
}

/// The audit log of administrative actions.
#[async_trait::async_trait]
pub trait Audit: Send + Sync {
    /// Records an administrative action.
    async fn record_audit(&self, entry: AuditEntry) -> Result<()>;
    /// The newest audit entries, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>>;
}

/// The administrator's overview. Activity comes from roll-ups that
/// triggers keep as messages are stored and removed (migration 0006), so
/// no call here reads more than a few thousand small rows, whatever the
/// number of messages.
#[async_trait::async_trait]
pub trait Overview: Send + Sync {
    /// Messages per room per day and per hour of the week from `since_day`
    /// on, and members who wrote per week from `writers_since_day` on.
    async fn activity(&self, since_day: i64, writers_since_day: i64) -> Result<Activity>;
    /// Alerts waiting, and deliveries that failed since `failed_since`.
    async fn outbox_health(&self, failed_since: i64) -> Result<OutboxHealth>;
    /// The files kept, and the server nodes seen alive since `alive_since`.
    async fn storage_facts(&self, alive_since: i64) -> Result<StorageFacts>;
    /// Members, rooms and accounts that need an administrator: members and
    /// rooms quiet since `quiet_since`, accounts without an address.
    async fn attention(&self, quiet_since: i64) -> Result<Attention>;
    /// Records that server node `node` is alive at `now`, and forgets nodes
    /// silent for a day.
    async fn node_alive(&self, node: i64, version: &str, started_at: i64, now: i64) -> Result<()>;
}

/// Full-text search over messages: SQLite's FTS5 index or PostgreSQL's
/// `tsvector` column (migration 0008), both kept by the database itself as
/// messages come, change and go.
#[async_trait::async_trait]
pub trait Search: Send + Sync {
    /// Up to `request.limit` messages matching the request, in its order,
    /// after its cursor, among at most `scan_limit` candidates (newest
    /// first) or [`BEST_WINDOW`] (best match); only from rooms the searcher
    /// is a member of unless `all_rooms`.
    async fn search(&self, request: &SearchRequest) -> Result<SearchPage>;
}

/// Integrations: bot accounts, API tokens and incoming webhooks
/// (migration 0013). Secrets are stored only hashed.
#[async_trait::async_trait]
pub trait Integrations: Send + Sync {
    /// Creates a bot account owned by `owner_id`, in one transaction with
    /// its user row; `Conflict` when the username is taken.
    async fn create_bot(&self, user: NewUser, owner_id: i64) -> Result<User>;
    /// Every bot, by username.
    async fn bots(&self) -> Result<Vec<Bot>>;
    /// Whether the user is a bot.
    async fn is_bot(&self, user_id: i64) -> Result<bool>;
    /// Stores a token; answers its id.
    async fn create_token(&self, token: NewToken) -> Result<i64>;
    /// The token with this selector, revoked or not; `NotFound` when none.
    async fn token_by_selector(&self, selector: &str) -> Result<ApiToken>;
    /// A user's tokens, newest first, revoked ones included.
    async fn tokens_of(&self, user_id: i64) -> Result<Vec<ApiToken>>;
    /// Revokes token `id` of user `user_id`; `NotFound` when it is not
    /// theirs or already revoked.
    async fn revoke_token(&self, id: i64, user_id: i64, now: i64) -> Result<()>;
    /// Records that a token was used at `now`.
    async fn token_used(&self, id: i64, now: i64) -> Result<()>;
    /// Stores an incoming webhook; answers its id.
    async fn create_hook(&self, hook: NewHook) -> Result<i64>;
    /// The webhook with this selector, revoked or not; `NotFound` when none.
    async fn hook_by_selector(&self, selector: &str) -> Result<IncomingHook>;
    /// Every incoming webhook, newest first, revoked ones included.
    async fn hooks(&self) -> Result<Vec<IncomingHook>>;
    /// Revokes webhook `id`; `NotFound` when there is none or it is revoked.
    async fn revoke_hook(&self, id: i64, now: i64) -> Result<IncomingHook>;
    /// Records that a webhook was used at `now`.
    async fn hook_used(&self, id: i64, now: i64) -> Result<()>;
}

/// Outgoing webhooks: bots' URLs, the scan of new messages for them and
/// the queue of deliveries (`store/sql/outgoing.rs`, migration 0017).
#[async_trait::async_trait]
pub trait Outgoing: Send + Sync {
    /// Gives a bot its URL and signing secret (replacing any it had, with
    /// the deliveries still waiting for it).
    async fn set_outgoing_hook(
        &self,
        bot_id: i64,
        url: &str,
        secret: &str,
        by: Option<i64>,
        now: i64,
    ) -> Result<()>;
    /// Takes a bot's URL away, with its deliveries; `NotFound` when none.
    async fn remove_outgoing_hook(&self, bot_id: i64) -> Result<()>;
    /// Every bot's outgoing webhook, by bot name.
    async fn outgoing_hooks(&self) -> Result<Vec<OutgoingHook>>;
    /// Rooms with messages the scan has not seen: id, the scan's cursor,
    /// the room's newest position, and whether a bot with a URL is a member.
    async fn outgoing_rooms(&self) -> Result<Vec<(i64, i64, i64, bool)>>;
    /// Moves a room's cursor from `from` to `to` and queues `deliveries`,
    /// in one transaction; false (and nothing queued) when another node
    /// moved it first.
    async fn queue_deliveries(
        &self,
        room_id: i64,
        from_to: (i64, i64),
        deliveries: &[NewDelivery],
        next_attempt_at: i64,
    ) -> Result<bool>;
    /// Pending deliveries due at `now` and not claimed, oldest first.
    async fn due_deliveries(&self, now: i64, limit: u32) -> Result<Vec<Delivery>>;
    /// Claims a delivery until `until`; false when another node holds it
    /// or it is no longer pending.
    async fn claim_delivery(&self, id: i64, now: i64, until: i64) -> Result<bool>;
    /// Records an attempt on the delivery and on its hook (for the
    /// administrator), releasing the claim.
    async fn delivery_done(
        &self,
        delivery: &Delivery,
        now: i64,
        status: Option<u16>,
        attempt: &Attempt,
    ) -> Result<()>;
    /// Deliveries by status: how many, and their attempts in all.
    async fn delivery_counts(&self) -> Result<Vec<(String, i64, i64)>>;
    /// The name a sign-in provider last gave the user, if any.
    async fn display_name(&self, user_id: i64) -> Result<Option<String>>;
}

/// Installation secrets and the one-time setup token.
#[async_trait::async_trait]
pub trait Secrets: Send + Sync {
    /// The named secret, created with `fresh` if it does not exist yet.
    async fn secret(&self, name: &str, fresh: &str) -> Result<String>;
    /// Replaces the one-time setup token's hash.
    async fn set_setup_token(&self, token_hash: Option<&str>) -> Result<()>;
    /// Consumes the setup token if `token_hash` matches; true when it did.
    async fn take_setup_token(&self, token_hash: &str) -> Result<bool>;
}

/// Web Push: members' subscriptions, the scan of new messages for pushes,
/// and the push outbox (`store/sql/push.rs`).
#[async_trait::async_trait]
pub trait Push: Send + Sync {
    /// Stores a subscription, taking its endpoint over from whoever had
    /// it; `Conflict` when the user already has `max`.
    async fn subscribe(&self, new: &NewSubscription, max: u32) -> Result<Subscription>;
    /// A user's subscriptions, oldest first.
    async fn subscriptions(&self, user_id: i64) -> Result<Vec<Subscription>>;
    /// Removes one of a user's subscriptions; `NotFound` when not theirs.
    async fn unsubscribe(&self, user_id: i64, id: i64) -> Result<()>;
    /// Removes a user's subscription by endpoint; `NotFound` when not theirs.
    async fn unsubscribe_endpoint(&self, user_id: i64, endpoint: &str) -> Result<()>;
    /// Removes the subscriptions made in a session (logging out); how many.
    async fn unsubscribe_session(&self, session_hash: &str) -> Result<u64>;
    /// Removes a subscription the push service said is gone.
    async fn drop_subscription(&self, id: i64) -> Result<()>;
    /// Rooms with messages the push rule has not seen: `(room, scanned seq)`.
    async fn push_rooms(&self) -> Result<Vec<(i64, i64)>>;
    /// Up to `limit` messages of a room after `after_seq`, by seq.
    async fn push_messages(&self, room_id: i64, after_seq: i64, limit: u32)
    -> Result<Vec<Message>>;
    /// The members of a room with at least one subscription.
    async fn push_subscribers(&self, room_id: i64) -> Result<Vec<i64>>;
    /// Moves a room's scan cursor from `seqs.0` to `seqs.1` and queues
    /// `pushes` (for each subscription of each member, one pending row per
    /// room, updated by later messages), in one transaction; false, with
    /// nothing changed, when the cursor was no longer at `seqs.0`.
    async fn queue_pushes(&self, room_id: i64, seqs: (i64, i64), pushes: &[Queued])
    -> Result<bool>;
    /// Pending pushes due at `now` and not claimed by a node.
    async fn due_pushes(&self, now: i64, limit: u32) -> Result<Vec<PushItem>>;
    /// Claims a pending push until `until`; false when another node has it.
    async fn claim_push(&self, id: i64, now: i64, until: i64) -> Result<bool>;
    /// Marks a push sent (or leaves it pending for the messages that joined
    /// it meanwhile), and the subscription used.
    async fn push_sent(&self, item: &PushItem, now: i64) -> Result<()>;
    /// Records a failed attempt and when to try again.
    async fn push_failed(&self, id: i64, next_attempt_at: i64, error: &str) -> Result<()>;
    /// Gives a push up.
    async fn push_cancelled(&self, id: i64, reason: &str) -> Result<()>;
    /// Pushes per status.
    async fn push_counts(&self) -> Result<Vec<(String, i64)>>;
}

/// Accounts whose identity comes from elsewhere (a host site, a trusted
/// front-end's headers, an OpenID provider): which account each outside
/// identity signs in as.
#[async_trait::async_trait]
pub trait Identities: Send + Sync {
    /// The account linked to `subject` of `source`; `NotFound` when none is.
    async fn identity_user(&self, source: &str, subject: &str) -> Result<i64>;
    /// The identity of `source` linked to account `user_id`; `NotFound`
    /// when none is.
    async fn linked_subject(&self, source: &str, user_id: i64) -> Result<String>;
    /// Links `subject` of `source` to an account; `Conflict` when that
    /// identity is linked already (to this account or another).
    async fn link_identity(
        &self,
        source: &str,
        subject: &str,
        user_id: i64,
        display_name: Option<&str>,
        now: i64,
    ) -> Result<()>;
    /// Records the display name the source gave last.
    async fn set_identity_name(
        &self,
        source: &str,
        subject: &str,
        display_name: Option<&str>,
    ) -> Result<()>;
}

/// Throttles shared by every node of a site (GCRA; times in microseconds).
#[async_trait::async_trait]
pub trait Throttles: Send + Sync {
    /// Counts one request against `key`, which may make one every
    /// `interval` after a burst of `burst`: `None` when it passes, else how
    /// long until one would.
    async fn take(&self, key: &str, now: i64, interval: i64, burst: u32) -> Result<Option<i64>>;
    /// Forgets keys whose every slot is free again; how many.
    async fn sweep_throttles(&self, now: i64) -> Result<u64>;
}

/// Imports from another installation (`service::import`): each row is
/// written with the record of where it came from (the `imported` table), in
/// one transaction, so an import run again changes nothing and an
/// interrupted one resumes.
#[async_trait::async_trait]
pub trait Imports: Send + Sync {
    /// What rows of `kind` from `source` became here: source id → id.
    async fn imported(
        &self,
        source: &str,
        kind: &str,
    ) -> Result<std::collections::HashMap<i64, i64>>;
    /// Creates the account, or takes the existing one of the same name
    /// (any case); answers its id and whether it was created.
    async fn import_user(&self, source: &str, user: &ImportedUser) -> Result<(i64, bool)>;
    /// Creates a room; `Conflict` when the slug is taken.
    async fn import_room(
        &self,
        source: &str,
        source_id: i64,
        slug: &str,
        title: &str,
        created_at: i64,
    ) -> Result<i64>;
    /// Makes a membership with the source's colour and alert settings;
    /// one that already exists is left as it is.
    async fn import_member(&self, source: &str, member: &ImportedMember) -> Result<()>;
    /// Stores a run of one room's messages, in order, with their original
    /// times, in one transaction; answers their new ids.
    async fn import_messages(&self, source: &str, messages: &[ImportedMessage])
    -> Result<Vec<i64>>;
    /// Moves every member's read cursor of the room to its newest message
    /// (imported history is not news), never back.
    async fn mark_room_read(&self, room_id: i64) -> Result<()>;
}

/// Work on the database as a whole: after bulk loads, and backups.
#[async_trait::async_trait]
pub trait Maintenance: Send + Sync {
    /// Refreshes the planner's statistics after a bulk load (and on
    /// PostgreSQL reclaims the dead rows it left), so no bloat stays.
    async fn settle(&self) -> Result<()>;
    /// Writes a consistent copy of the whole database to the new file
    /// `path` while others keep writing (SQLite's `VACUUM INTO`), and
    /// answers the storage keys of the files the copy's messages name.
    /// An error on PostgreSQL, where `pg_dump` is the tool.
    async fn snapshot_into(&self, path: &std::path::Path) -> Result<Vec<String>>;
    /// The storage keys of every message's file, as stored now.
    async fn file_keys(&self) -> Result<Vec<String>>;
    /// Builds the search index again from the messages, as one change
    /// (SQLite: FTS5's `rebuild`, then `optimize` into one segment;
    /// PostgreSQL: `REINDEX … CONCURRENTLY`, after dropping what an
    /// interrupted one left), and answers how many messages it holds.
    /// Messages stored meanwhile are indexed as usual.
    async fn rebuild_search_index(&self) -> Result<i64>;
}

/// Everything a backend provides.
trait Backend:
    Accounts
    + Rooms
    + Posting
    + Messages
    + Lifecycle
    + Reading
    + Outbox
    + Links
    + AccountMail
    + Directory
    + Audit
    + Secrets
    + Push
    + Identities
    + SessionRecords
    + Throttles
    + Overview
    + Search
    + Integrations
    + Outgoing
    + Imports
    + Maintenance
    + 'static
{
    /// Closes connections; further calls fail.
    fn close(&self) -> futures_util::future::BoxFuture<'_, ()>;
    /// Starts noticing commits made by other processes (see [`watch`]).
    fn watch(&self, changes: Changes);
    /// Whether the database answers and carries every migration this
    /// build knows.
    fn ping(&self) -> futures_util::future::BoxFuture<'_, Result<()>>;
    /// The pools' connections.
    fn pools(&self) -> Vec<PoolStats>;
    /// The engine's version, durability setting and size, for `doctor`
    /// and the overview.
    fn describe(&self) -> futures_util::future::BoxFuture<'_, Result<DatabaseInfo>>;
}

/// What `doctor` reports about the database.
#[derive(Debug, Clone)]
pub struct DatabaseInfo {
    /// `SQLite 3.51.3`, `PostgreSQL 15.8`.
    pub version: String,
    /// The setting that decides durability: `synchronous=FULL`,
    /// `synchronous_commit=on`.
    pub durability: String,
    /// The database's size on disk, in bytes.
    pub bytes: i64,
    /// Migrations applied, and how many this version knows.
    pub migrations: (i64, usize),
}

/// A cloneable handle on the configured storage, one door per concern.
#[derive(Clone)]
pub struct Store {
    accounts: Arc<dyn Accounts>,
    rooms: Arc<dyn Rooms>,
    posting: Arc<dyn Posting>,
    sessions: Arc<dyn SessionRecords>,
    backend: Arc<dyn Backend>,
    cache: Option<Arc<cache::Cache>>,
    changes: Changes,
    metrics: StoreMetrics,
}

/// One database pool, for the metrics.
#[derive(Debug, Clone)]
pub struct PoolStats {
    /// `main` (PostgreSQL), `read` or `write` (SQLite).
    pub name: &'static str,
    /// Connections open.
    pub size: u32,
    /// Of those, idle.
    pub idle: usize,
    /// The most it opens.
    pub max: u32,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    fn new(backend: Arc<dyn Backend>, metrics: StoreMetrics) -> Self {
        let changes = Changes::default();
        backend.watch(changes.clone());
        Self {
            accounts: backend.clone(),
            rooms: backend.clone(),
            posting: backend.clone(),
            sessions: backend.clone(),
            backend,
            cache: None,
            changes,
            metrics,
        }
    }

    /// Opens the database named by `url`, applying migrations.
    ///
    /// # Errors
    /// `Unavailable` when the database cannot be opened or migrated; the
    /// message names the database, never a password.
    pub async fn open(url: &DatabaseUrl, sqlite: SqliteTuning) -> Result<Self> {
        let metrics = StoreMetrics::default();
        let backend: Arc<dyn Backend> = match url {
            DatabaseUrl::Sqlite { path, create } => {
                Arc::new(sqlite::Backend::open(path, *create, sqlite, metrics.clone()).await?)
            }
            DatabaseUrl::Postgres(url) => {
                Arc::new(postgres::Backend::open(url, metrics.clone()).await?)
            }
        };
        Ok(Self::new(backend, metrics))
    }

    /// What the store counts (group commits, write waits, cache look-ups).
    #[must_use]
    pub fn metrics(&self) -> &StoreMetrics {
        &self.metrics
    }

    /// The engine's version, durability setting and migrations.
    ///
    /// # Errors
    /// When the database does not answer.
    pub async fn describe(&self) -> Result<DatabaseInfo> {
        self.backend.describe().await
    }

    /// The database pools' connections, for the metrics.
    #[must_use]
    pub fn pools(&self) -> Vec<PoolStats> {
        self.backend.pools()
    }

    /// The same store with the request path's look-ups (sessions, users,
    /// rooms, memberships) cached for `ttl`; a zero `ttl` caches nothing.
    #[must_use]
    pub fn cached(self, ttl: std::time::Duration) -> Self {
        if ttl.is_zero() || self.cache.is_some() {
            return self;
        }
        let cache = Arc::new(cache::Cache::new(
            self.accounts.clone(),
            self.rooms.clone(),
            self.posting.clone(),
            self.sessions.clone(),
            ttl,
            &self.metrics,
        ));
        Self {
            accounts: cache.clone(),
            rooms: cache.clone(),
            posting: cache.clone(),
            sessions: cache.sessions(),
            cache: Some(cache),
            ..self
        }
    }

    /// Accounts.
    #[must_use]
    pub fn accounts(&self) -> &dyn Accounts {
        &*self.accounts
    }

    /// Rooms, members and presence.
    #[must_use]
    pub fn rooms(&self) -> &dyn Rooms {
        &*self.rooms
    }

    /// Storing messages.
    #[must_use]
    pub fn posting(&self) -> &dyn Posting {
        &*self.posting
    }

    /// Reading messages.
    #[must_use]
    pub fn messages(&self) -> &dyn Messages {
        &*self.backend
    }

    /// Edits, deletions and reactions.
    #[must_use]
    pub fn lifecycle(&self) -> &dyn Lifecycle {
        &*self.backend
    }

    /// Read cursors, what is new, notification decisions.
    #[must_use]
    pub fn reading(&self) -> &dyn Reading {
        &*self.backend
    }

    /// The alert e-mail queue.
    #[must_use]
    pub fn outbox(&self) -> &dyn Outbox {
        &*self.backend
    }

    /// Invitation and password reset links.
    #[must_use]
    pub fn links(&self) -> &dyn Links {
        &*self.backend
    }

    /// Direct and open rooms.
    #[must_use]
    pub fn directory(&self) -> &dyn Directory {
        &*self.backend
    }

    /// Account e-mails waiting for the mail worker.
    #[must_use]
    pub fn account_mail(&self) -> &dyn AccountMail {
        &*self.backend
    }

    /// The audit log.
    #[must_use]
    pub fn audit(&self) -> &dyn Audit {
        &*self.backend
    }

    /// The administrator's overview.
    #[must_use]
    pub fn overview(&self) -> &dyn Overview {
        &*self.backend
    }

    /// Full-text search.
    #[must_use]
    pub fn search(&self) -> &dyn Search {
        &*self.backend
    }

    /// Bots, API tokens and webhooks.
    #[must_use]
    pub fn integrations(&self) -> &dyn Integrations {
        &*self.backend
    }

    /// Outgoing webhooks and their deliveries.
    #[must_use]
    pub fn outgoing(&self) -> &dyn Outgoing {
        &*self.backend
    }

    /// Installation secrets.
    #[must_use]
    pub fn secrets(&self) -> &dyn Secrets {
        &*self.backend
    }

    /// Web Push subscriptions and their outbox.
    #[must_use]
    pub fn push(&self) -> &dyn Push {
        &*self.backend
    }

    /// Outside identities linked to accounts.
    #[must_use]
    pub fn identities(&self) -> &dyn Identities {
        &*self.backend
    }

    /// Throttles shared by every node.
    #[must_use]
    pub fn throttles(&self) -> &dyn Throttles {
        &*self.backend
    }

    /// Imports from another installation.
    #[must_use]
    pub fn imports(&self) -> &dyn Imports {
        &*self.backend
    }

    /// Statistics after bulk loads, and backups.
    #[must_use]
    pub fn maintenance(&self) -> &dyn Maintenance {
        &*self.backend
    }

    /// Session records for the session layer.
    #[must_use]
    pub fn sessions(&self) -> &dyn SessionRecords {
        &*self.sessions
    }

    /// Commits this store did not make itself (another process on the same
    /// SQLite file, such as the CLI): each one is counted here.
    #[must_use]
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// Drops cached reads after a change made elsewhere (to one room, or to
    /// anything when `None`).
    pub fn forget(&self, room_id: Option<i64>) {
        if let Some(cache) = &self.cache {
            cache.forget(room_id);
        }
    }

    /// Applies a presence write made elsewhere (a post on another node) to
    /// the cached membership and member list in place, as the write itself
    /// would have; nothing else cached is dropped.
    pub fn apply_presence(&self, update: &PresenceUpdate) {
        if let Some(cache) = &self.cache {
            cache.apply_presence(update);
        }
    }

    /// Whether the database answers and is migrated (readiness, `doctor`).
    ///
    /// # Errors
    /// `Unavailable` (or the database's own error) when it is not.
    pub async fn ping(&self) -> Result<()> {
        self.backend.ping().await
    }

    /// Closes connections; further calls fail.
    pub async fn close(&self) {
        self.backend.close().await;
    }
}
