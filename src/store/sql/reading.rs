//! Catch-up: read cursors, what is new, notification decisions.
//!
//! Unread counts never count rows: a room's `last_seq` minus the member's
//! `read_seq` (the seq of the message their cursor is on) is the number of
//! messages after the cursor, since seqs run 1, 2, 3… in commit order.

use super::Backend;
use crate::domain::notify::{Decision, Outcome};
use crate::domain::{Missed, NotificationRecord, Room, RoomNews};
use crate::store::{Reading, Result, StoreError};

/// Most mention ids [`Reading::missed`] lists.
const MENTION_IDS: i64 = 20;

#[async_trait::async_trait]
impl Reading for Backend {
    #[tracing::instrument(level = "debug", skip(self))]
    async fn mark_read(&self, room_id: i64, user_id: i64, last: i64) -> Result<i64> {
        let mut tx = self.begin().await?;
        sqlx::query(concat!(
            "UPDATE members SET last_read = m.id, read_seq = m.seq \
             FROM (SELECT id, seq FROM messages WHERE ",
            in_room!("room_id", "$1"),
            " AND id <= $3 ORDER BY room_id DESC, id DESC LIMIT 1) m \
             WHERE members.room_id = $1 AND members.user_id = $2 AND members.last_read < m.id"
        ))
        .bind(room_id)
        .bind(user_id)
        .bind(last)
        .execute(&mut *tx)
        .await?;
        let cursor =
            sqlx::query_scalar("SELECT last_read FROM members WHERE room_id = $1 AND user_id = $2")
                .bind(room_id)
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(cursor)
    }

    async fn read_cursor(&self, room_id: i64, user_id: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT last_read FROM members WHERE room_id = $1 AND user_id = $2")
                .bind(room_id)
                .bind(user_id)
                .fetch_one(self.reader())
                .await?,
        )
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn room_news(&self, user_id: i64) -> Result<Vec<RoomNews>> {
        type Row = (i64, String, String, i64, i64, Option<i64>, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT r.id, r.slug, r.title, r.last_seq - mb.read_seq, \
             (SELECT COUNT(*) FROM mentions x WHERE x.user_id = mb.user_id \
              AND x.room_id = r.id AND x.message_id > mb.last_read), \
             (SELECT m.id FROM messages m WHERE ",
            in_room!("m.room_id", "r.id"),
            " ORDER BY m.room_id DESC, m.id DESC LIMIT 1), \
             (SELECT m.created_at FROM messages m WHERE ",
            in_room!("m.room_id", "r.id"),
            " ORDER BY m.room_id DESC, m.id DESC LIMIT 1) \
             FROM members mb JOIN rooms r ON r.id = mb.room_id \
             WHERE mb.user_id = $1 ORDER BY r.title, r.slug"
        ))
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, slug, title, unread, mentions, last_id, last_at)| RoomNews {
                    room: Room { id, slug, title },
                    unread: unread.max(0),
                    mentions,
                    last_id: last_id.unwrap_or(0),
                    last_at,
                },
            )
            .collect())
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn missed(&self, room_id: i64, user_id: i64, after: i64, scan: u32) -> Result<Missed> {
        let count: Option<i64> = sqlx::query_scalar(
            "SELECT r.last_seq - mb.read_seq FROM members mb JOIN rooms r ON r.id = mb.room_id \
             WHERE mb.room_id = $1 AND mb.user_id = $2",
        )
        .bind(room_id)
        .bind(user_id)
        .fetch_optional(self.reader())
        .await?;
        let count = count.ok_or(StoreError::NotFound)?.max(0);
        if count == 0 {
            return Ok(Missed::default());
        }
        // Authors in order of their first message, with their files.
        let authors: Vec<(String, i64, i64, i64)> = sqlx::query_as(concat!(
            "SELECT u.username, MIN(s.id), COUNT(s.file_key), COUNT(*) FROM \
                 (SELECT id, user_id, file_key FROM messages WHERE ",
            in_room!("room_id", "$1"),
            " AND id > $2 ORDER BY room_id, id LIMIT $3) s \
                 JOIN users u ON u.id = s.user_id GROUP BY u.username ORDER BY 2"
        ))
        .bind(room_id)
        .bind(after)
        .bind(i64::from(scan))
        .fetch_all(self.reader())
        .await?;
        let first: Option<(i64, i64)> = sqlx::query_as(concat!(
            "SELECT id, created_at FROM messages WHERE ",
            in_room!("room_id", "$1"),
            " AND id > $2 ORDER BY room_id, id LIMIT 1"
        ))
        .bind(room_id)
        .bind(after)
        .fetch_optional(self.reader())
        .await?;
        let mentions: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mentions WHERE user_id = $1 AND room_id = $2 AND message_id > $3",
        )
        .bind(user_id)
        .bind(room_id)
        .bind(after)
        .fetch_one(self.reader())
        .await?;
        let mention_ids: Vec<i64> = sqlx::query_scalar(
            "SELECT message_id FROM mentions WHERE user_id = $1 AND room_id = $2 \
             AND message_id > $3 ORDER BY message_id LIMIT $4",
        )
        .bind(user_id)
        .bind(room_id)
        .bind(after)
        .bind(MENTION_IDS)
        .fetch_all(self.reader())
        .await?;
        let scanned: i64 = authors.iter().map(|a| a.3).sum();
        Ok(Missed {
            count,
            files: authors.iter().map(|a| a.2).sum(),
            authors: authors.into_iter().map(|a| a.0).collect(),
            partial: scanned < count,
            first_id: first.map_or(0, |f| f.0),
            first_at: first.map(|f| f.1),
            mentions,
            mention_ids,
        })
    }

    async fn record_notifications(&self, decisions: &[Decision]) -> Result<()> {
        if decisions.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for d in decisions {
            let until = match d.outcome {
                Outcome::Held { until } => Some(until),
                _ => None,
            };
            sqlx::query(
                "INSERT INTO notifications (at, user_id, room_id, message_id, channel, outcome, \
                 until, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(d.at)
            .bind(d.user_id)
            .bind(d.room_id)
            .bind(d.message_id)
            .bind(d.channel.as_str())
            .bind(d.outcome.as_str())
            .bind(until)
            .bind(d.reason)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn notifications(&self, user_id: i64, limit: u32) -> Result<Vec<NotificationRecord>> {
        type Row = (
            i64,
            String,
            String,
            i64,
            String,
            String,
            Option<i64>,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT n.at, r.slug, r.title, n.message_id, n.channel, n.outcome, n.until, n.reason \
             FROM notifications n JOIN rooms r ON r.id = n.room_id \
             JOIN members mb ON mb.room_id = n.room_id AND mb.user_id = n.user_id \
             WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(at, room_slug, room_title, message_id, channel, outcome, until, reason)| {
                    NotificationRecord {
                        at,
                        room_slug,
                        room_title,
                        message_id,
                        channel,
                        outcome,
                        until,
                        reason,
                    }
                },
            )
            .collect())
    }

    async fn prune_notifications(&self, keep: u32) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM notifications WHERE id IN (SELECT id FROM \
             (SELECT id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY id DESC) AS n \
              FROM notifications) ranked WHERE n > $1)",
        )
        .bind(i64::from(keep))
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected())
    }
}
