//! Reading messages, and the door to the backend's posting path.

use super::Backend;
use crate::domain::Message;
use crate::store::rows::{MESSAGE_COLUMNS, MessageRow};
use crate::store::{Messages, NewMessage, Posted, Posting, Result};

#[async_trait::async_trait]
impl Posting for Backend {
    #[tracing::instrument(skip_all, fields(room_id = m.room_id, user_id = m.user_id))]
    async fn post_message(&self, m: NewMessage) -> Result<Posted> {
        self.post(m).await
    }
}

// Limits are written into the SQL rather than bound: SQLite's planner reads
// a bound LIMIT, so binding one makes it re-prepare the statement on every
// run (a quarter of a short read's time, measured). The numbers come from
// our own code, never from a request.
#[async_trait::async_trait]
impl Messages for Backend {
    async fn messages_after(&self, room_id: i64, after: i64, limit: u32) -> Result<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id \
             WHERE m.room_id = $1 AND m.id > $2 ORDER BY m.id LIMIT {limit}"
        )))
        .bind(room_id)
        .bind(after)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(Message::from).collect())
    }

    async fn messages_before(
        &self,
        room_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id \
             WHERE m.room_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT {limit}"
        )))
        .bind(room_id)
        .bind(before.unwrap_or(i64::MAX))
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().rev().map(Message::from).collect())
    }

    async fn count_before(&self, room_id: i64, id: i64) -> Result<i64> {
        // Seqs are contiguous within a room apart from removed prefixes, so
        // the count is a difference of two index look-ups, not a scan.
        let newest: Option<i64> = sqlx::query_scalar(
            "SELECT seq FROM messages WHERE room_id = $1 AND id < $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(room_id)
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        let Some(newest) = newest else { return Ok(0) };
        let oldest: i64 =
            sqlx::query_scalar("SELECT seq FROM messages WHERE room_id = $1 ORDER BY id LIMIT 1")
                .bind(room_id)
                .fetch_one(self.reader())
                .await?;
        Ok(newest - oldest + 1)
    }

    async fn seq_at(&self, room_id: i64, id: i64) -> Result<i64> {
        let seq: Option<i64> = sqlx::query_scalar(
            "SELECT seq FROM messages WHERE room_id = $1 AND id <= $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(room_id)
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        Ok(seq.unwrap_or(0))
    }

    async fn last_message_id(&self, room_id: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM messages WHERE room_id = $1")
                .bind(room_id)
                .fetch_one(self.reader())
                .await?,
        )
    }

    async fn message(&self, room_id: i64, id: i64) -> Result<Message> {
        let row: MessageRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.user_id \
             WHERE m.room_id = $1 AND m.id = $2"
        )))
        .bind(room_id)
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        Ok(row.into())
    }
}
