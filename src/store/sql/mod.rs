//! The SQL both backends share, written once and compiled once per backend.
//!
//! `sqlite/mod.rs` and `postgres/mod.rs` each include this folder as a
//! module of their own (`#[path = "../sql/mod.rs"]`), where `Db` names their
//! sqlx database and `Backend` their struct. Both engines take the same
//! statements (`$n` placeholders, `RETURNING`, `ON CONFLICT`), so every query
//! here is the one both run. A backend provides only:
//! - `reader()` and `writer()`: the pools for reads and for writes (SQLite
//!   has a read pool and a single writer connection; PostgreSQL one pool);
//! - `begin()`: a write transaction;
//! - `post()`: the posting path, the one place the engines differ in earnest;
//! - `take_throttle()`: a shared throttle's step (`sql/throttles.rs`);
//! - `window_rows()`: the rows of a page of history (`sql/messages.rs`),
//!   which SQLite reads without its pool (`sqlite/direct.rs`).
//!
//! Adding a storage operation: declare it on its trait in `store/mod.rs`,
//! write it once here.

mod accounts;
mod admin;
mod directory;
mod identities;
mod imports;
mod integrations;
mod lifecycle;
mod links;
mod messages;
mod outbox;
mod outgoing;
mod overview;
mod push;
mod reading;
mod rooms;
mod search;
mod sessions;
pub(super) mod throttles;

pub(super) use messages::pooled_window_rows;
#[cfg(test)]
#[allow(
    unused_imports,
    reason = "the SQLite backend's tests read it; the PostgreSQL copy of this module has none that do"
)]
pub(super) use messages::window_sql;
pub(super) use search::{Bind, TextMatch};

use sqlx::Transaction;

use super::{Backend, Db, next_rev};
use crate::domain::alerts::{self, Alert, Sent};
use crate::domain::{Member, Message, PresenceUpdate};
use crate::store::rows::{MEMBER_COLUMNS, MESSAGE_COLUMNS, MESSAGE_FROM, MemberRow, MessageRow};
use crate::store::{NewMessage, Posted, Result, StoreError};

/// Fails with `NotFound` when a write touched no row.
fn touched(done: <Db as sqlx::Database>::QueryResult) -> Result<()> {
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Makes user $2 a member of room $1 with colour $3. A new member starts
/// with the history read: it is there to browse, not news to catch up on.
const ADD_MEMBER: &str = concat!(
    "INSERT INTO members (room_id, user_id, colour, last_read, read_seq) \
     SELECT $1, $2, $3, COALESCE((SELECT id FROM messages WHERE ",
    in_room!("room_id", "$1"),
    " ORDER BY room_id DESC, id DESC LIMIT 1), 0), last_seq FROM rooms WHERE id = $1"
);

/// A scan of a room's new messages (push, outgoing webhooks) moves its
/// cursor in `table` (`push_scan`, `outgoing_scan`) from `from_seq` to
/// `to_seq` in `tx`, making the row on the first scan. False when another
/// node moved it first: that node queues these messages itself.
pub(super) async fn advance_scan(
    tx: &mut Transaction<'_, Db>,
    table: &'static str,
    room_id: i64,
    (from_seq, to_seq): (i64, i64),
) -> Result<bool> {
    // `table` is one of two names written in this crate, never input.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {table} (room_id, scanned_seq) VALUES ($1, 0) ON CONFLICT DO NOTHING"
    )))
    .bind(room_id)
    .execute(&mut **tx)
    .await?;
    let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET scanned_seq = $1 WHERE room_id = $2 AND scanned_seq = $3"
    )))
    .bind(to_seq)
    .bind(room_id)
    .bind(from_seq)
    .execute(&mut **tx)
    .await?;
    Ok(moved.rows_affected() == 1)
}

pub(super) async fn ping<'e>(
    db: impl sqlx::Executor<'e, Database = Db>,
    expected: usize,
) -> Result<()> {
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(db)
        .await?;
    if usize::try_from(applied).unwrap_or(0) < expected {
        return Err(StoreError::unavailable(format!(
            "the database has {applied} of the {expected} migrations this version needs"
        )));
    }
    Ok(())
}

/// How many migrations the database has applied.
pub(super) async fn applied_migrations<'e>(
    db: impl sqlx::Executor<'e, Database = Db>,
) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(db)
            .await?,
    )
}

/// Writes one member's presence (a sign of life, or a send).
pub(super) async fn save_presence<'e>(
    db: impl sqlx::Executor<'e, Database = Db>,
    p: &PresenceUpdate,
) -> Result<()> {
    sqlx::query(
        "UPDATE members SET last_seen = $1, has_focus = $2, inactive_from = $3, \
         last_spoke = COALESCE($4, last_spoke) WHERE room_id = $5 AND user_id = $6",
    )
    .bind(p.last_seen)
    .bind(p.has_focus)
    .bind(p.inactive_from)
    .bind(p.last_spoke)
    .bind(p.room_id)
    .bind(p.user_id)
    .execute(db)
    .await?;
    Ok(())
}

/// The message a member already sent with `client_id` in a room, if any.
pub(super) async fn earlier_send<'e>(
    db: impl sqlx::Executor<'e, Database = Db>,
    room_id: i64,
    user_id: i64,
    client_id: &str,
) -> Result<Option<Message>> {
    let row: Option<MessageRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
         WHERE m.room_id = $1 AND m.user_id = $2 AND m.client_id = $3"
    )))
    .bind(room_id)
    .bind(user_id)
    .bind(client_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(Message::from))
}

/// Who may get a mail alert from a message in the room (the poster
/// included: the rule needs their sign of life), as they stand now.
pub(super) async fn alert_candidates(
    tx: &mut Transaction<'static, Db>,
    room_id: i64,
) -> Result<Vec<Member>> {
    let rows: Vec<MemberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM members mb JOIN users u ON u.id = mb.user_id \
         WHERE mb.room_id = $1 AND mb.mail_alert AND u.is_active"
    )))
    .bind(room_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Member::from).collect())
}

/// Everything a stored message brings with it, inside the posting
/// transaction: the poster's presence and read cursor, the mention rows,
/// and the alerts it causes. Answers the post.
pub(super) async fn after_insert(
    tx: &mut Transaction<'static, Db>,
    m: NewMessage,
    id: i64,
    (seq, pos): (i64, i64),
) -> Result<Posted> {
    save_poster(&mut **tx, &m.presence, id, seq).await?;
    for &user_id in &m.mentioned {
        sqlx::query(
            "INSERT INTO mentions (user_id, room_id, message_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(m.room_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    let mut candidates = alert_candidates(tx, m.room_id).await?;
    let sent = Sent {
        message_id: id,
        time: m.time,
        presence: &m.presence,
        mentions: &m.mentioned,
        mail_delay: m.mail_delay,
    };
    let replayed = alerts::replay(&[sent], &mut candidates);
    for a in &replayed.alerts {
        insert_alert(tx, a, m.mail_delay).await?;
    }
    let mut posted = posted(m, id, seq, pos);
    posted.alerts_queued = replayed.alerts.len();
    posted.decisions = replayed.decisions;
    Ok(posted)
}

/// A poster's sign of life: presence, and the read cursor moved to their
/// own message (who writes has read the room).
async fn save_poster<'e>(
    db: impl sqlx::Executor<'e, Database = Db>,
    p: &PresenceUpdate,
    id: i64,
    seq: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE members SET last_seen = $1, has_focus = $2, inactive_from = $3, \
         last_spoke = COALESCE($4, last_spoke), \
         last_read = CASE WHEN last_read < $7 THEN $7 ELSE last_read END, \
         read_seq = CASE WHEN read_seq < $8 THEN $8 ELSE read_seq END \
         WHERE room_id = $5 AND user_id = $6",
    )
    .bind(p.last_seen)
    .bind(p.has_focus)
    .bind(p.inactive_from)
    .bind(p.last_spoke)
    .bind(p.room_id)
    .bind(p.user_id)
    .bind(id)
    .bind(seq)
    .execute(db)
    .await?;
    Ok(())
}

async fn insert_alert(tx: &mut Transaction<'static, Db>, a: &Alert, delay: i64) -> Result<()> {
    sqlx::query("UPDATE members SET last_mail_alert = $1 WHERE room_id = $2 AND user_id = $3")
        .bind(a.at)
        .bind(a.room_id)
        .bind(a.user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO outbox (created_at, send_after, next_attempt_at, room_id, user_id, \
         first_message_id, recipient) VALUES ($1, $2, $2, $3, $4, $5, $6)",
    )
    .bind(a.at)
    .bind(a.at + delay)
    .bind(a.room_id)
    .bind(a.user_id)
    .bind(a.first_message_id)
    .bind(&a.recipient)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A new message's values for an `INSERT INTO messages`, bound as `$1` to
/// `$12` in this order: room, author, time, content, html, client id, the
/// file's name, size, type and key, the mentioned usernames, and the
/// message it answers. A backend's statement adds what it needs after them
/// (PostgreSQL binds the seq and position as `$13` and `$14`).
pub(super) fn message_values(m: &NewMessage) -> Result<<Db as sqlx::Database>::Arguments> {
    use sqlx::Arguments;
    let f = m.file.as_ref();
    let mut args = <Db as sqlx::Database>::Arguments::default();
    let bound = args
        .add(m.room_id)
        .and_then(|()| args.add(m.user_id))
        .and_then(|()| args.add(m.time))
        .and_then(|()| args.add(&m.content))
        .and_then(|()| args.add(&m.html))
        .and_then(|()| args.add(&m.client_id))
        .and_then(|()| args.add(f.map(|f| &f.name)))
        .and_then(|()| args.add(f.map(|f| f.size)))
        .and_then(|()| args.add(f.map(|f| &f.content_type)))
        .and_then(|()| args.add(f.map(|f| &f.key)))
        .and_then(|()| args.add(m.mentions.join(" ")))
        .and_then(|()| args.add(m.reply.as_ref().map(|r| r.id)));
    bound.map_err(|e| StoreError::Other(crate::store::Cause::from_boxed(e)))?;
    Ok(args)
}

/// What a successful post answers.
pub(super) fn posted(m: NewMessage, id: i64, seq: i64, pos: i64) -> Posted {
    Posted {
        message: Message {
            id,
            room_id: m.room_id,
            seq,
            user_id: m.user_id,
            username: m.username,
            time: m.time,
            content: m.content,
            html: m.html,
            file: m.file,
            mentions: m.mentions,
            pos,
            rev: id,
            edited: None,
            deleted: None,
            reply: m.reply,
            reactions: Vec::new(),
            previews: crate::domain::previews::Previews::default(),
        },
        created: true,
        alerts_queued: 0,
        decisions: Vec::new(),
    }
}

/// The storage keys of a room's files and of the images its previews made.
async fn file_keys(tx: &mut Transaction<'static, Db>, room_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(Option<String>, String)> = sqlx::query_as(
        "SELECT file_key, previews FROM messages \
         WHERE room_id = $1 AND (file_key IS NOT NULL OR previews <> '')",
    )
    .bind(room_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .flat_map(|(file, previews)| {
            file.into_iter()
                .chain(crate::domain::previews::Previews::from_stored(&previews).keys())
        })
        .collect())
}
