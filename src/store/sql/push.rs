//! Web Push: subscriptions, the scan of new messages and the push outbox.
//!
//! Several nodes share all of it. The scan of a room moves its cursor with a
//! compare-and-set in the same transaction that queues the pushes, so two
//! nodes never queue the same message twice; an outbox row is claimed for a
//! while before it is sent, as the e-mail outbox's are.

use super::Backend;
use crate::domain::Message;
use crate::domain::push::{NewSubscription, PushItem, Queued, Subscription};
use crate::store::rows::{MESSAGE_COLUMNS, MESSAGE_FROM, MessageRow};
use crate::store::{Push, Result, StoreError};

const SUBSCRIPTION_COLUMNS: &str =
    "s.id, s.user_id, s.endpoint, s.p256dh, s.auth, s.device, s.created_at, s.last_used_at";
type SubscriptionRow = (i64, i64, String, String, String, String, i64, Option<i64>);

fn subscription(
    (id, user_id, endpoint, p256dh, auth, device, created_at, last_used_at): SubscriptionRow,
) -> Subscription {
    Subscription {
        id,
        user_id,
        endpoint,
        p256dh,
        auth,
        device,
        created_at,
        last_used_at,
    }
}

struct ItemRow {
    id: i64,
    room_id: i64,
    created_at: i64,
    first_message_id: i64,
    last_message_id: i64,
    messages: i64,
    mentioned: bool,
    attempts: i64,
    s_id: i64,
    s_user_id: i64,
    s_endpoint: String,
    s_p256dh: String,
    s_auth: String,
    s_device: String,
    s_created_at: i64,
    s_last_used_at: Option<i64>,
}
crate::store::rows::from_row!(for <super::Db as sqlx::Database>::Row: ItemRow { id, room_id, created_at, first_message_id, last_message_id, messages, mentioned, attempts, s_id, s_user_id, s_endpoint, s_p256dh, s_auth, s_device, s_created_at, s_last_used_at });

#[async_trait::async_trait]
impl Push for Backend {
    async fn subscribe(&self, new: &NewSubscription, max: u32) -> Result<Subscription> {
        let mut tx = self.begin().await?;
        // The same browser subscribing again (or for another account on
        // the same device) takes its endpoint over.
        sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
            .bind(&new.endpoint)
            .execute(&mut *tx)
            .await?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM push_subscriptions WHERE user_id = $1")
                .bind(new.user_id)
                .fetch_one(&mut *tx)
                .await?;
        if count >= i64::from(max) {
            return Err(StoreError::Conflict);
        }
        let row: SubscriptionRow = sqlx::query_as(
            "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, device, \
             session_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING id, user_id, endpoint, p256dh, auth, device, created_at, last_used_at",
        )
        .bind(new.user_id)
        .bind(&new.endpoint)
        .bind(&new.p256dh)
        .bind(&new.auth)
        .bind(&new.device)
        .bind(&new.session_hash)
        .bind(new.now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(subscription(row))
    }

    async fn subscriptions(&self, user_id: i64) -> Result<Vec<Subscription>> {
        let rows: Vec<SubscriptionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM push_subscriptions s WHERE s.user_id = $1 \
             ORDER BY s.id"
        )))
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(subscription).collect())
    }

    async fn unsubscribe(&self, user_id: i64, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(self.writer())
            .await?;
        super::touched(done)
    }

    async fn unsubscribe_endpoint(&self, user_id: i64, endpoint: &str) -> Result<()> {
        let done =
            sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_id = $2")
                .bind(endpoint)
                .bind(user_id)
                .execute(self.writer())
                .await?;
        super::touched(done)
    }

    async fn unsubscribe_session(&self, session_hash: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM push_subscriptions WHERE session_hash = $1")
            .bind(session_hash)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }

    async fn drop_subscription(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn push_rooms(&self) -> Result<Vec<(i64, i64)>> {
        // A room made after the migration has no cursor yet: it starts at 0.
        Ok(sqlx::query_as(
            "SELECT r.id, COALESCE(p.scanned_seq, 0) FROM rooms r \
             LEFT JOIN push_scan p ON p.room_id = r.id \
             WHERE r.last_seq > COALESCE(p.scanned_seq, 0) ORDER BY r.id",
        )
        .fetch_all(self.reader())
        .await?)
    }

    async fn push_messages(
        &self,
        room_id: i64,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
             WHERE m.room_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT {limit}"
        )))
        .bind(room_id)
        .bind(after_seq)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(Message::from).collect())
    }

    async fn push_subscribers(&self, room_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT s.user_id FROM push_subscriptions s \
             JOIN members mb ON mb.user_id = s.user_id WHERE mb.room_id = $1 ORDER BY s.user_id",
        )
        .bind(room_id)
        .fetch_all(self.reader())
        .await?)
    }

    async fn queue_pushes(
        &self,
        room_id: i64,
        (from_seq, to_seq): (i64, i64),
        pushes: &[Queued],
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        if !super::advance_scan(&mut tx, "push_scan", room_id, (from_seq, to_seq)).await? {
            return Ok(false);
        }
        for q in pushes {
            sqlx::query(
                "INSERT INTO push_outbox (subscription_id, user_id, room_id, created_at, \
                 next_attempt_at, first_message_id, last_message_id, mentioned) \
                 SELECT s.id, s.user_id, $1, $2, $3, $4, $4, $5 FROM push_subscriptions s \
                 WHERE s.user_id = $6 \
                 ON CONFLICT (subscription_id, room_id) WHERE status = 'pending' DO UPDATE SET \
                 last_message_id = excluded.last_message_id, \
                 messages = push_outbox.messages + 1, \
                 mentioned = push_outbox.mentioned OR excluded.mentioned",
            )
            .bind(q.room_id)
            .bind(q.at)
            .bind(q.send_after)
            .bind(q.message_id)
            .bind(q.mentioned)
            .bind(q.user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn due_pushes(&self, now: i64, limit: u32) -> Result<Vec<PushItem>> {
        let rows: Vec<ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT o.id, o.room_id, o.created_at, o.first_message_id, o.last_message_id, \
             o.messages, o.mentioned, o.attempts, s.id AS s_id, s.user_id AS s_user_id, \
             s.endpoint AS s_endpoint, s.p256dh AS s_p256dh, s.auth AS s_auth, \
             s.device AS s_device, s.created_at AS s_created_at, \
             s.last_used_at AS s_last_used_at \
             FROM push_outbox o JOIN push_subscriptions s ON s.id = o.subscription_id \
             WHERE o.status = 'pending' AND o.next_attempt_at <= $1 \
             AND (o.claimed_until IS NULL OR o.claimed_until < $1) \
             ORDER BY o.next_attempt_at, o.id LIMIT {limit}"
        )))
        .bind(now)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| PushItem {
                id: r.id,
                room_id: r.room_id,
                created_at: r.created_at,
                first_message_id: r.first_message_id,
                last_message_id: r.last_message_id,
                messages: r.messages,
                mentioned: r.mentioned,
                attempts: r.attempts,
                subscription: Subscription {
                    id: r.s_id,
                    user_id: r.s_user_id,
                    endpoint: r.s_endpoint,
                    p256dh: r.s_p256dh,
                    auth: r.s_auth,
                    device: r.s_device,
                    created_at: r.s_created_at,
                    last_used_at: r.s_last_used_at,
                },
            })
            .collect())
    }

    async fn claim_push(&self, id: i64, now: i64, until: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE push_outbox SET claimed_until = $1 WHERE id = $2 AND status = 'pending' \
             AND (claimed_until IS NULL OR claimed_until < $3)",
        )
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn push_sent(&self, item: &PushItem, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        // A message that joined the row while it was being sent keeps it
        // pending, so an updated notification follows.
        sqlx::query(
            "UPDATE push_outbox SET attempts = attempts + 1, claimed_until = NULL, \
             sent_at = $1, \
             status = CASE WHEN last_message_id = $2 THEN 'sent' ELSE status END, \
             first_message_id = CASE WHEN last_message_id = $2 THEN first_message_id \
             ELSE $2 + 1 END, \
             messages = CASE WHEN last_message_id = $2 THEN messages ELSE messages - $4 END \
             WHERE id = $3",
        )
        .bind(now)
        .bind(item.last_message_id)
        .bind(item.id)
        .bind(item.messages)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE push_subscriptions SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(item.subscription.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn push_failed(&self, id: i64, next_attempt_at: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE push_outbox SET attempts = attempts + 1, next_attempt_at = $1, \
             last_error = $2, claimed_until = NULL WHERE id = $3",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn push_cancelled(&self, id: i64, reason: &str) -> Result<()> {
        sqlx::query(
            "UPDATE push_outbox SET status = 'cancelled', last_error = $1, claimed_until = NULL \
             WHERE id = $2",
        )
        .bind(reason)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn push_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT status, COUNT(*) FROM push_outbox GROUP BY status ORDER BY status",
        )
        .fetch_all(self.reader())
        .await?)
    }
}
