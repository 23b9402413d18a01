//! Imports from another installation: each row written together with the
//! record of where it came from (the `imported` table, migration 0014).

use std::collections::HashMap;

use sqlx::Transaction;

use super::{Backend, Db};
use crate::store::{ImportedMember, ImportedMessage, ImportedUser, Imports, Result, StoreError};

/// Records that source row `source_id` of `kind` became `target_id`.
async fn remember(
    tx: &mut Transaction<'static, Db>,
    source: &str,
    kind: &str,
    source_id: i64,
    target_id: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO imported (source, kind, source_id, target_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(source)
    .bind(kind)
    .bind(source_id)
    .bind(target_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl Imports for Backend {
    async fn imported(&self, source: &str, kind: &str) -> Result<HashMap<i64, i64>> {
        // On the writer: an import reads what it has just written.
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT source_id, target_id FROM imported WHERE source = $1 AND kind = $2",
        )
        .bind(source)
        .bind(kind)
        .fetch_all(self.writer())
        .await?;
        Ok(rows.into_iter().collect())
    }

    #[tracing::instrument(skip_all, fields(username = %u.username))]
    async fn import_user(&self, source: &str, u: &ImportedUser) -> Result<(i64, bool)> {
        let mut tx = self.begin().await?;
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE username_key = $1")
                .bind(&u.username_key)
                .fetch_optional(&mut *tx)
                .await?;
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => {
                let id = sqlx::query_scalar(
                    "INSERT INTO users (username, username_key, email, password_hash, is_admin, \
                     is_active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(&u.username)
                .bind(&u.username_key)
                .bind(&u.email)
                .bind(&u.password_hash)
                .bind(u.is_admin)
                .bind(u.is_active)
                .bind(u.created_at)
                .fetch_one(&mut *tx)
                .await?;
                (id, true)
            }
        };
        remember(&mut tx, source, "user", u.source_id, id).await?;
        tx.commit().await?;
        Ok((id, created))
    }

    async fn import_room(
        &self,
        source: &str,
        source_id: i64,
        slug: &str,
        title: &str,
        created_at: i64,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO rooms (slug, title, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(slug)
        .bind(title)
        .bind(created_at)
        .fetch_one(&mut *tx)
        .await?;
        remember(&mut tx, source, "room", source_id, id).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn import_member(&self, source: &str, m: &ImportedMember) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO members (room_id, user_id, colour, alert, mail_alert, last_spoke) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (room_id, user_id) DO NOTHING",
        )
        .bind(m.room_id)
        .bind(m.user_id)
        .bind(&m.colour)
        .bind(m.alert)
        .bind(m.mail_alert)
        .bind(m.last_spoke)
        .execute(&mut *tx)
        .await?;
        remember(&mut tx, source, "member", m.source_id, m.room_id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn import_messages(&self, source: &str, batch: &[ImportedMessage]) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        let mut ids = Vec::with_capacity(batch.len());
        for m in batch {
            // The room's next seq and position, as a post takes them (on
            // PostgreSQL this also holds the room's row against posts).
            let (seq, pos): (i64, i64) = sqlx::query_as(
                "UPDATE rooms SET last_seq = last_seq + 1, last_pos = last_pos + 1 WHERE id = $1 \
                 RETURNING last_seq, last_pos",
            )
            .bind(m.room_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let f = m.file.as_ref();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO messages (room_id, user_id, created_at, content, html, \
                 file_name, file_size, file_type, file_key, mentions, seq, pos) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(m.room_id)
            .bind(m.user_id)
            .bind(m.time)
            .bind(&m.content)
            .bind(&m.html)
            .bind(f.map(|f| &f.name))
            .bind(f.map(|f| f.size))
            .bind(f.map(|f| &f.content_type))
            .bind(f.map(|f| &f.key))
            .bind(m.mentions.join(" "))
            .bind(seq)
            .bind(pos)
            .fetch_one(&mut *tx)
            .await?;
            remember(&mut tx, source, "message", m.source_id, id).await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn mark_room_read(&self, room_id: i64) -> Result<()> {
        sqlx::query(concat!(
            "UPDATE members SET last_read = COALESCE((SELECT id FROM messages WHERE ",
            in_room!("room_id", "$1"),
            " ORDER BY room_id DESC, id DESC LIMIT 1), 0), \
                 read_seq = (SELECT last_seq FROM rooms WHERE id = $1) \
                 WHERE room_id = $1 AND read_seq < (SELECT last_seq FROM rooms WHERE id = $1)"
        ))
        .bind(room_id)
        .execute(self.writer())
        .await?;
        Ok(())
    }
}
