//! Outgoing webhooks: bots' URLs, the scan of new messages and the queue of
//! deliveries (migration 0017).
//!
//! As with Web Push (`push.rs`), several nodes share all of it: the scan of
//! a room moves its cursor with a compare-and-set in the transaction that
//! queues the deliveries, so no message is queued twice, and a delivery is
//! claimed for a while before it is sent, so no two nodes send it at once;
//! a node that dies holding a claim leaves the row to be sent again once
//! the claim runs out.

use super::{Backend, touched};
use crate::domain::outgoing::{Attempt, Delivery, NewDelivery, OutgoingHook};
use crate::store::{Outgoing, Result};

const HOOK_COLUMNS: &str = "o.bot_id, u.username, o.url, o.secret, o.created_at, \
     o.last_attempt_at, o.last_status, o.last_error";

struct HookRow {
    bot_id: i64,
    username: String,
    url: String,
    secret: String,
    created_at: i64,
    last_attempt_at: Option<i64>,
    last_status: Option<i64>,
    last_error: Option<String>,
}
crate::store::rows::from_row!(for <super::Db as sqlx::Database>::Row: HookRow { bot_id, username, url, secret, created_at, last_attempt_at, last_status, last_error });

impl From<HookRow> for OutgoingHook {
    fn from(r: HookRow) -> Self {
        Self {
            bot_id: r.bot_id,
            bot_name: r.username,
            url: r.url,
            secret: r.secret,
            created_at: r.created_at,
            last_attempt_at: r.last_attempt_at,
            last_status: r.last_status,
            last_error: r.last_error,
        }
    }
}

struct DeliveryRow {
    id: i64,
    room_id: i64,
    message_id: i64,
    attempts: i64,
    hook: HookRow,
}
crate::store::rows::from_row!(for <super::Db as sqlx::Database>::Row: DeliveryRow { id, room_id, message_id, attempts } flatten { hook });

#[async_trait::async_trait]
impl Outgoing for Backend {
    async fn set_outgoing_hook(
        &self,
        bot_id: i64,
        url: &str,
        secret: &str,
        by: Option<i64>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let others: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outgoing_hooks WHERE bot_id <> $1")
                .bind(bot_id)
                .fetch_one(&mut *tx)
                .await?;
        if others == 0 {
            // With no hook the scan does not run and its cursors stand
            // still: start them at each room's newest message again.
            sqlx::query("DELETE FROM outgoing_scan")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO outgoing_scan (room_id, scanned_seq) SELECT id, last_seq FROM rooms",
            )
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO outgoing_hooks (bot_id, url, secret, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (bot_id) DO UPDATE SET \
             url = excluded.url, secret = excluded.secret, created_by = excluded.created_by, \
             created_at = excluded.created_at, last_attempt_at = NULL, last_status = NULL, \
             last_error = NULL",
        )
        .bind(bot_id)
        .bind(url)
        .bind(secret)
        .bind(by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Deliveries waiting for the old URL are not for the new one.
        sqlx::query("DELETE FROM outgoing_deliveries WHERE bot_id = $1 AND status = 'pending'")
            .bind(bot_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_outgoing_hook(&self, bot_id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM outgoing_hooks WHERE bot_id = $1")
            .bind(bot_id)
            .execute(self.writer())
            .await?;
        touched(done)
    }

    async fn outgoing_hooks(&self) -> Result<Vec<OutgoingHook>> {
        let rows: Vec<HookRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {HOOK_COLUMNS} FROM outgoing_hooks o JOIN users u ON u.id = o.bot_id \
             ORDER BY u.username_key"
        )))
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(OutgoingHook::from).collect())
    }

    async fn outgoing_rooms(&self) -> Result<Vec<(i64, i64, i64, bool)>> {
        // A room made after the cursors were set has none yet: it starts at 0.
        Ok(sqlx::query_as(
            "SELECT r.id, COALESCE(s.scanned_seq, 0), r.last_seq, EXISTS (SELECT 1 FROM members mb \
             JOIN outgoing_hooks o ON o.bot_id = mb.user_id WHERE mb.room_id = r.id) \
             FROM rooms r LEFT JOIN outgoing_scan s ON s.room_id = r.id \
             WHERE r.last_seq > COALESCE(s.scanned_seq, 0) ORDER BY r.id",
        )
        .fetch_all(self.reader())
        .await?)
    }

    async fn queue_deliveries(
        &self,
        room_id: i64,
        (from_seq, to_seq): (i64, i64),
        deliveries: &[NewDelivery],
        next_attempt_at: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        if !super::advance_scan(&mut tx, "outgoing_scan", room_id, (from_seq, to_seq)).await? {
            return Ok(false);
        }
        for d in deliveries {
            sqlx::query(
                "INSERT INTO outgoing_deliveries (bot_id, room_id, message_id, created_at, \
                 next_attempt_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(d.bot_id)
            .bind(d.room_id)
            .bind(d.message_id)
            .bind(d.at)
            .bind(next_attempt_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn due_deliveries(&self, now: i64, limit: u32) -> Result<Vec<Delivery>> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT d.id, d.room_id, d.message_id, d.attempts, {HOOK_COLUMNS} \
             FROM outgoing_deliveries d JOIN outgoing_hooks o ON o.bot_id = d.bot_id \
             JOIN users u ON u.id = o.bot_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
             AND (d.claimed_until IS NULL OR d.claimed_until < $1) \
             ORDER BY d.next_attempt_at, d.id LIMIT {limit}"
        )))
        .bind(now)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Delivery {
                id: r.id,
                room_id: r.room_id,
                message_id: r.message_id,
                attempts: r.attempts,
                hook: r.hook.into(),
            })
            .collect())
    }

    async fn claim_delivery(&self, id: i64, now: i64, until: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outgoing_deliveries SET claimed_until = $1 WHERE id = $2 \
             AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < $3)",
        )
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delivery_done(
        &self,
        delivery: &Delivery,
        now: i64,
        status: Option<u16>,
        attempt: &Attempt,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let error = match attempt {
            Attempt::Sent => {
                sqlx::query(
                    "UPDATE outgoing_deliveries SET status = 'sent', attempts = attempts + 1, \
                     sent_at = $1, claimed_until = NULL, last_error = NULL WHERE id = $2",
                )
                .bind(now)
                .bind(delivery.id)
                .execute(&mut *tx)
                .await?;
                None
            }
            Attempt::Retry { error, at } => {
                sqlx::query(
                    "UPDATE outgoing_deliveries SET attempts = attempts + 1, \
                     next_attempt_at = $1, last_error = $2, claimed_until = NULL WHERE id = $3",
                )
                .bind(*at)
                .bind(error.as_str())
                .bind(delivery.id)
                .execute(&mut *tx)
                .await?;
                Some(error.as_str())
            }
            Attempt::Failed { error } => {
                sqlx::query(
                    "UPDATE outgoing_deliveries SET status = 'failed', attempts = attempts + 1, \
                     last_error = $1, claimed_until = NULL WHERE id = $2",
                )
                .bind(error.as_str())
                .bind(delivery.id)
                .execute(&mut *tx)
                .await?;
                Some(error.as_str())
            }
        };
        sqlx::query(
            "UPDATE outgoing_hooks SET last_attempt_at = $1, last_status = $2, last_error = $3 \
             WHERE bot_id = $4",
        )
        .bind(now)
        .bind(status.map(i64::from))
        .bind(error)
        .bind(delivery.hook.bot_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delivery_counts(&self) -> Result<Vec<(String, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT status, COUNT(*), CAST(COALESCE(SUM(attempts), 0) AS BIGINT) FROM outgoing_deliveries \
             GROUP BY status ORDER BY status",
        )
        .fetch_all(self.reader())
        .await?)
    }

    async fn display_name(&self, user_id: i64) -> Result<Option<String>> {
        // The name the member chose, else the one a sign-in provider gave.
        let name: Option<Option<String>> = sqlx::query_scalar(
            "SELECT COALESCE(u.display_name, (SELECT i.display_name FROM external_identities i \
             WHERE i.user_id = u.id AND i.display_name IS NOT NULL \
             ORDER BY i.created_at DESC LIMIT 1)) FROM users u WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(name.flatten())
    }
}
