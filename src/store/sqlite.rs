//! The SQLite backend: the default, embedded, one file in the data directory.
//!
//! Reads go through a small pool; every write goes through a single writer
//! connection with `BEGIN IMMEDIATE`, so writes queue in-process instead of
//! failing with `SQLITE_BUSY`. WAL mode lets reads run beside the writer.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::{
    Attachment, AuditEntry, Backend, Member, Message, NewMessage, NewUser, OutboxItem, Posted,
    PresenceUpdate, Room, SessionRecords, StoreError, User,
};
use crate::config::SqliteSync;
use crate::domain::PresenceState;

mod posting;

use posting::Committer;

/// SQLite storage: a read pool and a one-connection write pool on one file.
pub struct SqliteBackend {
    read: SqlitePool,
    write: SqlitePool,
    committer: Committer,
}

fn map_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_owned())
        }
        sqlx::Error::Database(db) if db.code().as_deref() == Some("5") => {
            StoreError::Unavailable(db.message().to_owned())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        other => StoreError::Other(other.to_string()),
    }
}

const MESSAGE_COLUMNS: &str = "m.id, m.room_id, m.seq, m.user_id, u.username, m.created_at, \
     m.content, m.html, m.file_name, m.file_size, m.file_type, m.file_key";

fn message_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Message, sqlx::Error> {
    let file_key: Option<String> = row.try_get("file_key")?;
    let file = match file_key {
        Some(key) => Some(Attachment {
            name: row
                .try_get::<Option<String>, _>("file_name")?
                .unwrap_or_default(),
            size: row
                .try_get::<Option<i64>, _>("file_size")?
                .unwrap_or_default(),
            content_type: row
                .try_get::<Option<String>, _>("file_type")?
                .unwrap_or_default(),
            key,
        }),
        None => None,
    };
    Ok(Message {
        id: row.try_get("id")?,
        room_id: row.try_get("room_id")?,
        seq: row.try_get("seq")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        time: row.try_get("created_at")?,
        content: row.try_get("content")?,
        html: row.try_get("html")?,
        file,
    })
}

fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        is_admin: row.try_get("is_admin")?,
        is_active: row.try_get("is_active")?,
        alert_email: row.try_get("alert_email")?,
    })
}

fn room_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Room, sqlx::Error> {
    Ok(Room {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
    })
}

fn member_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Member, sqlx::Error> {
    Ok(Member {
        room_id: row.try_get("room_id")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        colour: row.try_get("colour")?,
        alert: row.try_get("alert")?,
        mail_alert: row.try_get("mail_alert")?,
        presence: PresenceState {
            last_seen: row.try_get("last_seen")?,
            has_focus: row.try_get("has_focus")?,
            last_spoke: row.try_get("last_spoke")?,
            inactive_from: row.try_get("inactive_from")?,
            last_mail_alert: row.try_get("last_mail_alert")?,
        },
    })
}

/// Writes one member's presence (a sign of life, or a send).
async fn save_presence<'e>(
    db: impl sqlx::SqliteExecutor<'e>,
    p: &PresenceUpdate,
) -> Result<(), StoreError> {
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
    .await
    .map_err(map_err)?;
    Ok(())
}

const USER_COLUMNS: &str = "id, username, email, password_hash, is_admin, is_active, alert_email";
const MEMBER_COLUMNS: &str = "mb.room_id, mb.user_id, u.username, COALESCE(u.alert_email, u.email) AS email, mb.colour, mb.alert, \
     mb.mail_alert, mb.last_seen, mb.has_focus, mb.last_spoke, mb.inactive_from, mb.last_mail_alert";

async fn file_keys(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    room_id: i64,
) -> Result<Vec<String>, StoreError> {
    let rows =
        sqlx::query("SELECT file_key FROM messages WHERE room_id = $1 AND file_key IS NOT NULL")
            .bind(room_id)
            .fetch_all(&mut **tx)
            .await
            .map_err(map_err)?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

impl SqliteBackend {
    /// Opens (and when `create`, creates) the database file and migrates it.
    ///
    /// # Errors
    /// `Unavailable` when the file cannot be opened or migrated.
    pub async fn open(path: &Path, create: bool, sync: SqliteSync) -> Result<Self, StoreError> {
        let synchronous = match sync {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory");
        // A connection to a local file does not go stale, so the pools skip
        // sqlx's ping before each use: it is a round trip to the
        // connection's thread, as dear as the query itself.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        sqlx::migrate!("migrations/sqlite")
            .run(&write)
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!("cannot migrate {}: {e}", path.display()))
            })?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await
            .map_err(map_err)?;
        let committer = Committer::start(write.clone());
        Ok(Self {
            read,
            write,
            committer,
        })
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.write
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_err)
    }
}

#[async_trait::async_trait]
impl Backend for SqliteBackend {
    #[tracing::instrument(skip_all, fields(username = %user.username))]
    async fn create_user(&self, user: NewUser) -> Result<User, StoreError> {
        let row = sqlx::query(
            "INSERT INTO users (username, username_key, email, password_hash, is_admin, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&user.username)
        .bind(&user.username_key)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.is_admin)
        .bind(user.created_at)
        .fetch_one(&self.write)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("the username '{}' is already taken", user.username))
            }
            other => other,
        })?;
        Ok(User {
            id: row.get(0),
            username: user.username,
            email: user.email,
            password_hash: user.password_hash,
            is_admin: user.is_admin,
            is_active: true,
            alert_email: None,
        })
    }

    async fn user_by_id(&self, id: i64) -> Result<User, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(&self.read)
        .await
        .map_err(map_err)?;
        user_from_row(&row).map_err(map_err)
    }

    async fn user_by_name(&self, username_key: &str) -> Result<User, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username_key = $1"
        )))
        .bind(username_key)
        .fetch_one(&self.read)
        .await
        .map_err(map_err)?;
        user_from_row(&row).map_err(map_err)
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username_key"
        )))
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(user_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn has_admin(&self) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT EXISTS (SELECT 1 FROM users WHERE is_admin AND is_active)")
            .fetch_one(&self.read)
            .await
            .map_err(map_err)?;
        Ok(row.get::<bool, _>(0))
    }

    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_alert_email(&self, user_id: i64, address: Option<&str>) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET alert_email = $1 WHERE id = $2")
            .bind(address)
            .bind(user_id)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn update_user(
        &self,
        user_id: i64,
        email: Option<&str>,
        is_admin: bool,
        is_active: bool,
    ) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE users SET email = $1, is_admin = $2, is_active = $3 WHERE id = $4")
                .bind(email)
                .bind(is_admin)
                .bind(is_active)
                .bind(user_id)
                .execute(&self.write)
                .await
                .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(slug))]
    async fn create_room(&self, slug: &str, title: &str) -> Result<Room, StoreError> {
        let row = sqlx::query(
            "INSERT INTO rooms (slug, title, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(slug)
        .bind(title)
        .bind(crate::domain::now())
        .fetch_one(&self.write)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("a room with the slug '{slug}' already exists"))
            }
            other => other,
        })?;
        Ok(Room {
            id: row.get(0),
            slug: slug.to_owned(),
            title: title.to_owned(),
        })
    }

    async fn room_by_slug(&self, slug: &str) -> Result<Room, StoreError> {
        let row = sqlx::query("SELECT id, slug, title FROM rooms WHERE slug = $1")
            .bind(slug)
            .fetch_one(&self.read)
            .await
            .map_err(map_err)?;
        room_from_row(&row).map_err(map_err)
    }

    async fn list_rooms(&self) -> Result<Vec<Room>, StoreError> {
        let rows = sqlx::query("SELECT id, slug, title FROM rooms ORDER BY title, slug")
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(room_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn rooms_of(&self, user_id: i64) -> Result<Vec<Room>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.slug, r.title FROM rooms r JOIN members mb ON mb.room_id = r.id \
             WHERE mb.user_id = $1 ORDER BY r.title, r.slug",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(room_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn add_member(&self, room_id: i64, user_id: i64, colour: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO members (room_id, user_id, colour) VALUES ($1, $2, $3)")
            .bind(room_id)
            .bind(user_id)
            .bind(colour)
            .execute(&self.write)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict("already a member of this room".to_owned())
                }
                other => other,
            })?;
        Ok(())
    }

    async fn member(&self, room_id: i64, user_id: i64) -> Result<Member, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM members mb JOIN users u ON u.id = mb.user_id \
             WHERE mb.room_id = $1 AND mb.user_id = $2"
        )))
        .bind(room_id)
        .bind(user_id)
        .fetch_one(&self.read)
        .await
        .map_err(map_err)?;
        member_from_row(&row).map_err(map_err)
    }

    async fn members(&self, room_id: i64) -> Result<Vec<Member>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM members mb JOIN users u ON u.id = mb.user_id \
             WHERE mb.room_id = $1 AND u.is_active ORDER BY u.username_key"
        )))
        .bind(room_id)
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(member_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn room_by_id(&self, id: i64) -> Result<Room, StoreError> {
        let row = sqlx::query("SELECT id, slug, title FROM rooms WHERE id = $1")
            .bind(id)
            .fetch_one(&self.read)
            .await
            .map_err(map_err)?;
        room_from_row(&row).map_err(map_err)
    }

    async fn update_room(&self, room_id: i64, slug: &str, title: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE rooms SET slug = $1, title = $2 WHERE id = $3")
            .bind(slug)
            .bind(title)
            .bind(room_id)
            .execute(&self.write)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("a room with the slug '{slug}' already exists"))
                }
                other => other,
            })?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_room(&self, room_id: i64) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin().await?;
        let keys = file_keys(&mut tx, room_id).await?;
        sqlx::query("DELETE FROM messages WHERE room_id = $1")
            .bind(room_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM members WHERE room_id = $1")
            .bind(room_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let done = sqlx::query("DELETE FROM rooms WHERE id = $1")
            .bind(room_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(map_err)?;
        Ok(keys)
    }

    async fn clear_room(&self, room_id: i64) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin().await?;
        let keys = file_keys(&mut tx, room_id).await?;
        sqlx::query("DELETE FROM messages WHERE room_id = $1")
            .bind(room_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(keys)
    }

    async fn remove_member(&self, room_id: i64, user_id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM members WHERE room_id = $1 AND user_id = $2")
            .bind(room_id)
            .bind(user_id)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_colour(&self, room_id: i64, user_id: i64, colour: &str) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE members SET colour = $1 WHERE room_id = $2 AND user_id = $3")
                .bind(colour)
                .bind(room_id)
                .bind(user_id)
                .execute(&self.write)
                .await
                .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_alerts(
        &self,
        room_id: i64,
        user_id: i64,
        alert: bool,
        mail_alert: bool,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE members SET alert = $1, mail_alert = $2 WHERE room_id = $3 AND user_id = $4",
        )
        .bind(alert)
        .bind(mail_alert)
        .bind(room_id)
        .bind(user_id)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn save_presence(&self, p: PresenceUpdate) -> Result<(), StoreError> {
        save_presence(&self.write, &p).await
    }

    #[tracing::instrument(skip_all, fields(room_id = m.room_id, user_id = m.user_id))]
    async fn post_message(&self, m: NewMessage) -> Result<Posted, StoreError> {
        self.committer.post(m).await
    }

    async fn messages_after(
        &self,
        room_id: i64,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        // Limits are written into the SQL rather than bound, here and below:
        // SQLite's planner reads a bound LIMIT, so binding one makes it
        // re-prepare the statement on every run (a quarter of a short
        // read's time, measured). A number from our code is safe to inline.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id \
             WHERE m.room_id = $1 AND m.id > $2 ORDER BY m.id LIMIT {limit}"
        )))
        .bind(room_id)
        .bind(after)
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(message_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn messages_before(
        &self,
        room_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id \
             WHERE m.room_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT {limit}"
        )))
        .bind(room_id)
        .bind(before.unwrap_or(i64::MAX))
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        let mut messages = rows
            .iter()
            .map(message_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        messages.reverse();
        Ok(messages)
    }

    async fn count_before(&self, room_id: i64, id: i64) -> Result<i64, StoreError> {
        // Seqs are contiguous within a room apart from removed prefixes, so
        // the count is a difference of two index look-ups, not a scan.
        let newest: Option<i64> = sqlx::query(
            "SELECT seq FROM messages WHERE room_id = $1 AND id < $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(room_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await
        .map_err(map_err)?
        .map(|r| r.get(0));
        let Some(newest) = newest else { return Ok(0) };
        let oldest: i64 =
            sqlx::query("SELECT seq FROM messages WHERE room_id = $1 ORDER BY id LIMIT 1")
                .bind(room_id)
                .fetch_one(&self.read)
                .await
                .map_err(map_err)?
                .get(0);
        Ok(newest - oldest + 1)
    }

    async fn seq_at(&self, room_id: i64, id: i64) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT seq FROM messages WHERE room_id = $1 AND id <= $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(room_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await
        .map_err(map_err)?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    async fn last_message_id(&self, room_id: i64) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM messages WHERE room_id = $1")
            .bind(room_id)
            .fetch_one(&self.read)
            .await
            .map_err(map_err)?;
        Ok(row.get(0))
    }

    async fn message(&self, room_id: i64, id: i64) -> Result<Message, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id \
             WHERE m.room_id = $1 AND m.id = $2"
        )))
        .bind(room_id)
        .bind(id)
        .fetch_one(&self.read)
        .await
        .map_err(map_err)?;
        message_from_row(&row).map_err(map_err)
    }

    async fn due_alerts(&self, now: i64, limit: u32) -> Result<Vec<OutboxItem>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, created_at, room_id, user_id, first_message_id, recipient, attempts FROM outbox \
             WHERE status = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1) \
             ORDER BY next_attempt_at, id LIMIT {limit}"
        )))
        .bind(now)
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| OutboxItem {
                id: r.get(0),
                created_at: r.get(1),
                room_id: r.get(2),
                user_id: r.get(3),
                first_message_id: r.get(4),
                recipient: r.get(5),
                attempts: r.get(6),
            })
            .collect())
    }

    async fn claim_alert(&self, id: i64, now: i64, until: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox SET claimed_until = $1 WHERE id = $2 AND status = 'pending' \
             AND (claimed_until IS NULL OR claimed_until < $3)",
        )
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn alert_sent(&self, id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, claimed_until = NULL WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn alert_failed(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, claimed_until = NULL WHERE id = $3",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn alert_cancelled(&self, id: i64, reason: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET status = 'cancelled', last_error = $1, claimed_until = NULL WHERE id = $2")
            .bind(reason)
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn outbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
                .fetch_all(&self.read)
                .await
                .map_err(map_err)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn record_audit(&self, e: AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(e.at)
        .bind(e.actor_id)
        .bind(&e.actor_name)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.detail)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT at, actor_id, actor_name, action, target, detail FROM audit_log ORDER BY id DESC LIMIT {limit}"
        )))
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                at: r.get(0),
                actor_id: r.get(1),
                actor_name: r.get(2),
                action: r.get(3),
                target: r.get(4),
                detail: r.get(5),
            })
            .collect())
    }

    async fn secret(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        let row = sqlx::query("SELECT value FROM secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.write)
            .await
            .map_err(map_err)?;
        Ok(row.get(0))
    }

    async fn set_setup_token(&self, token_hash: Option<&str>) -> Result<(), StoreError> {
        match token_hash {
            Some(hash) => sqlx::query(
                "INSERT INTO secrets (name, value) VALUES ('setup_token', $1) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )
            .bind(hash)
            .execute(&self.write)
            .await
            .map_err(map_err)?,
            None => sqlx::query("DELETE FROM secrets WHERE name = 'setup_token'")
                .execute(&self.write)
                .await
                .map_err(map_err)?,
        };
        Ok(())
    }

    async fn take_setup_token(&self, token_hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM secrets WHERE name = 'setup_token' AND value = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    fn sessions(&self) -> &dyn SessionRecords {
        self
    }

    async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

#[async_trait::async_trait]
impl SessionRecords for SqliteBackend {
    async fn insert(&self, id: &str, data: &str, expires: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO sessions (id, data, expires) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(data)
        .bind(expires)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn upsert(&self, id: &str, data: &str, expires: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id, data, expires) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires = excluded.expires",
        )
        .bind(id)
        .bind(data)
        .bind(expires)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn load(&self, id: &str, now: i64) -> Result<Option<(String, i64)>, StoreError> {
        let row = sqlx::query("SELECT data, expires FROM sessions WHERE id = $1 AND expires > $2")
            .bind(id)
            .bind(now)
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn delete_expired(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires <= $1")
            .bind(now)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}
