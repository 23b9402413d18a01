//! The administrator's overview: sums over the roll-ups of migration 0006
//! and over small tables. Nothing here reads the messages table except one
//! index seek per room for its newest message.

use super::Backend;
use crate::domain::overview::{
    Activity, Attention, Failure, OutboxHealth, QuietMember, QuietRoom, StorageFacts,
};
use crate::store::{Overview, Result};

/// The longest list of a kind on the page.
const LIST_LIMIT: i64 = 50;

#[async_trait::async_trait]
impl Overview for Backend {
    #[tracing::instrument(skip_all)]
    async fn activity(&self, since_day: i64, writers_since_day: i64) -> Result<Activity> {
        let db = self.reader();
        let room_days = sqlx::query_as(
            "SELECT room_id, day, messages FROM activity_days \
             WHERE day >= $1 AND messages > 0 ORDER BY room_id, day",
        )
        .bind(since_day)
        .fetch_all(db)
        .await?;
        // Monday-based weeks (see `domain::overview::week_of`).
        let week_writers = sqlx::query_as(
            "SELECT (day + 3) / 7, COUNT(DISTINCT user_id) FROM activity_writers \
             WHERE day >= $1 AND messages > 0 GROUP BY 1 ORDER BY 1",
        )
        .bind(writers_since_day)
        .fetch_all(db)
        .await?;
        // Summed per hour first, in key order (no sort of the room-hours),
        // then folded onto the week's 168 hours.
        let week_hours = sqlx::query_as(
            "SELECT (hour / 24 + 3) % 7, hour % 24, CAST(SUM(n) AS BIGINT) FROM \
             (SELECT hour, SUM(messages) AS n FROM activity_hours WHERE hour >= $1 \
              GROUP BY hour) h WHERE n > 0 GROUP BY 1, 2",
        )
        .bind(since_day * 24)
        .fetch_all(db)
        .await?;
        Ok(Activity {
            room_days,
            week_writers,
            week_hours,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn outbox_health(&self, failed_since: i64) -> Result<OutboxHealth> {
        let db = self.reader();
        let (pending, oldest_pending): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status = 'pending'")
                .fetch_one(db)
                .await?;
        let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE failed_at >= $1")
            .bind(failed_since)
            .fetch_one(db)
            .await?;
        let last: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT failed_at, recipient, failure FROM outbox WHERE failed_at >= $1 \
             ORDER BY failed_at DESC, id DESC LIMIT 1",
        )
        .bind(failed_since)
        .fetch_optional(db)
        .await?;
        Ok(OutboxHealth {
            pending,
            oldest_pending,
            failed,
            last_failure: last.map(|(at, recipient, error)| Failure {
                at,
                recipient,
                error: error.unwrap_or_default(),
            }),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn storage_facts(&self, alive_since: i64) -> Result<StorageFacts> {
        let db = self.reader();
        let (files, file_bytes): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(files), 0) AS BIGINT), \
             CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM room_files",
        )
        .fetch_one(db)
        .await?;
        let nodes_alive = sqlx::query_scalar("SELECT COUNT(*) FROM nodes WHERE seen_at >= $1")
            .bind(alive_since)
            .fetch_one(db)
            .await?;
        Ok(StorageFacts {
            files,
            file_bytes,
            nodes_alive,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn attention(&self, quiet_since: i64) -> Result<Attention> {
        let db = self.reader();
        // Seen anywhere counts; alerts in any room keep mail going out.
        let members: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT u.username, MAX(mb.last_seen), \
             CAST(SUM(CASE WHEN mb.mail_alert THEN 1 ELSE 0 END) AS BIGINT) \
             FROM users u JOIN members mb ON mb.user_id = u.id \
             WHERE u.is_active AND COALESCE(u.alert_email, u.email, '') <> '' \
             GROUP BY u.id, u.username, u.username_key, u.created_at \
             HAVING SUM(CASE WHEN mb.mail_alert THEN 1 ELSE 0 END) > 0 \
             AND COALESCE(MAX(mb.last_seen), u.created_at) < $1 \
             ORDER BY COALESCE(MAX(mb.last_seen), u.created_at), u.username_key LIMIT $2",
        )
        .bind(quiet_since)
        .bind(LIST_LIMIT)
        .fetch_all(db)
        .await?;
        // One index seek per room for its newest message.
        let rooms: Vec<(String, String, Option<i64>)> = sqlx::query_as(concat!(
            "SELECT slug, title, last FROM (SELECT r.slug, r.title, r.created_at, \
                 (SELECT m.created_at FROM messages m WHERE ",
            in_room!("m.room_id", "r.id"),
            " ORDER BY m.room_id DESC, m.id DESC LIMIT 1) AS last FROM rooms r) q \
                 WHERE COALESCE(last, created_at) < $1 \
                 ORDER BY COALESCE(last, created_at), slug LIMIT $2"
        ))
        .bind(quiet_since)
        .bind(LIST_LIMIT)
        .fetch_all(db)
        .await?;
        let without_email = sqlx::query_scalar(
            "SELECT username FROM users WHERE is_active AND COALESCE(email, '') = '' \
             ORDER BY username_key LIMIT $1",
        )
        .bind(LIST_LIMIT)
        .fetch_all(db)
        .await?;
        Ok(Attention {
            quiet_members: members
                .into_iter()
                .map(|(username, last_seen, alert_rooms)| QuietMember {
                    username,
                    last_seen,
                    alert_rooms,
                })
                .collect(),
            quiet_rooms: rooms
                .into_iter()
                .map(|(slug, title, last_message)| QuietRoom {
                    slug,
                    title,
                    last_message,
                })
                .collect(),
            without_email,
        })
    }

    async fn node_alive(&self, node: i64, version: &str, started_at: i64, now: i64) -> Result<()> {
        let db = self.writer();
        sqlx::query(
            "INSERT INTO nodes (id, version, started_at, seen_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, seen_at = excluded.seen_at",
        )
        .bind(node)
        .bind(version)
        .bind(started_at)
        .bind(now)
        .execute(db)
        .await?;
        sqlx::query("DELETE FROM nodes WHERE seen_at < $1")
            .bind(now - crate::domain::overview::DAY)
            .execute(db)
            .await?;
        Ok(())
    }
}
