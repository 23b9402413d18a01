//! The statements that store a batch of messages in a handful of round
//! trips (group commit itself is in `store/commit.rs`).
//!
//! Every statement sqlx runs on SQLite is a hand-off to the connection's own
//! thread and back. With one message after another that is three hand-offs
//! per message while the write lock is held, and the thread switches, not
//! SQLite, bound how many messages a second are stored. A batch therefore
//! goes to SQLite as JSON arrays that `json_each` turns into rows: the same
//! few statements for one message or a hundred.

use std::collections::HashMap;

use sqlx::SqlitePool;

use super::{renew_writer, sql};
use crate::domain::Member;
use crate::store::batch::{self, AlertRow};
use crate::store::rows::{MEMBER_COLUMNS, MemberRow};
use crate::store::{NewMessage, Posted, StoreError};

/// Stores a batch taken by group commit and answers each message.
///
/// The common case: the whole batch in one transaction, one disk flush, in
/// bulk statements. A batch the bulk path does not take (a repeated
/// client_id, a room deleted meanwhile) goes one message after another in
/// one transaction. If anything fails, nothing of it is kept and each
/// message is tried again in a transaction of its own, so one bad message
/// fails alone.
pub(super) async fn commit_batch(
    pool: SqlitePool,
    messages: Vec<NewMessage>,
) -> Vec<Result<Posted, StoreError>> {
    if messages.len() > 1 {
        let results = match post_bulk(&pool, &messages).await {
            Ok(Some(results)) => Ok(results),
            Ok(None) => post_each(&pool, messages.clone()).await,
            Err(e) => Err(e),
        };
        match results {
            Ok(results) => return results.into_iter().map(Ok).collect(),
            Err(_) => renew_writer(&pool).await,
        }
    }
    let mut results = Vec::with_capacity(messages.len());
    for m in messages {
        let result = post_each(&pool, vec![m]).await.map(|mut p| p.remove(0));
        if result.is_err() {
            renew_writer(&pool).await;
        }
        results.push(result);
    }
    results
}

/// One transaction, the messages one after another.
pub(super) async fn post_each(
    pool: &SqlitePool,
    messages: Vec<NewMessage>,
) -> Result<Vec<Posted>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut results = Vec::with_capacity(messages.len());
    for m in messages {
        results.push(post_in_tx(&mut tx, m).await?);
    }
    tx.commit().await?;
    Ok(results)
}

/// Stores a batch in one transaction with a fixed number of statements
/// whatever its size. `None` (and nothing written) when the batch needs the
/// careful path: a `client_id` repeated inside it or already stored, or a
/// room that no longer exists.
pub(super) async fn post_bulk(
    pool: &SqlitePool,
    messages: &[NewMessage],
) -> Result<Option<Vec<Posted>>, StoreError> {
    let Some(keys) = batch::client_keys(messages) else {
        return Ok(None);
    };
    let room_ids = json(&batch::room_ids(messages))?;

    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut last_seq: HashMap<i64, (i64, i64)> = sqlx::query_as(
        "SELECT id, last_seq, last_pos FROM rooms WHERE id IN (SELECT value FROM json_each($1))",
    )
    .bind(&room_ids)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(id, seq, pos): (i64, i64, i64)| (id, (seq, pos)))
    .collect();
    if messages.iter().any(|m| !last_seq.contains_key(&m.room_id)) {
        return Ok(None);
    }
    if !keys.is_empty() {
        let repeated = sqlx::query(
            "SELECT 1 FROM json_each($1) j JOIN messages m \
             ON m.room_id = j.value ->> 0 AND m.user_id = j.value ->> 1 \
             AND m.client_id = j.value ->> 2 LIMIT 1",
        )
        .bind(json(&keys)?)
        .fetch_optional(&mut *tx)
        .await?;
        if repeated.is_some() {
            return Ok(None);
        }
    }

    // Read before the batch's own presence updates change them.
    let candidates = alert_candidates(&mut tx, &room_ids).await?;

    // The seqs and positions are handed out here, under the write lock; the
    // trigger of migration 0009 moves each room's counters along as the rows
    // go in.
    let seqs = batch::assign_seqs(messages, &mut last_seq);
    let rows: Vec<_> = messages
        .iter()
        .zip(&seqs)
        .map(|(m, (seq, pos))| {
            let f = m.file.as_ref();
            (
                (m.room_id, seq, m.user_id, m.time, &m.content, &m.html),
                (
                    &m.client_id,
                    f.map(|f| &f.name),
                    f.map(|f| f.size),
                    f.map(|f| &f.content_type),
                    f.map(|f| &f.key),
                    m.mentions.join(" "),
                ),
                (pos, m.reply.as_ref().map(|r| r.id)),
            )
        })
        .collect();
    let inserted: Vec<(i64, i64, i64)> = sqlx::query_as(
        "INSERT INTO messages (room_id, seq, user_id, created_at, content, html, client_id, \
         file_name, file_size, file_type, file_key, mentions, pos, reply_to) \
         SELECT j.value ->> '$[0][0]', j.value ->> '$[0][1]', j.value ->> '$[0][2]', \
         j.value ->> '$[0][3]', j.value ->> '$[0][4]', j.value ->> '$[0][5]', \
         j.value ->> '$[1][0]', j.value ->> '$[1][1]', j.value ->> '$[1][2]', \
         j.value ->> '$[1][3]', j.value ->> '$[1][4]', j.value ->> '$[1][5]', \
         j.value ->> '$[2][0]', j.value ->> '$[2][1]' \
         FROM json_each($1) j ORDER BY j.key \
         RETURNING room_id, seq, id",
    )
    .bind(json(&rows)?)
    .fetch_all(&mut *tx)
    .await?;
    // RETURNING's order is not promised; (room, seq) names each row.
    let ids: HashMap<(i64, i64), i64> = inserted
        .into_iter()
        .map(|(room, seq, id)| ((room, seq), id))
        .collect();

    let mut posted = Vec::with_capacity(messages.len());
    for (m, (seq, pos)) in messages.iter().zip(seqs) {
        let id = *ids.get(&(m.room_id, seq)).ok_or_else(|| {
            StoreError::other("a stored message was not returned by the database")
        })?;
        posted.push(sql::posted(m.clone(), id, seq, pos));
    }

    // Presence: the last word of each member in the batch, whose read
    // cursor moves to their own newest message.
    let presence: Vec<_> = batch::presence_rows(messages, &posted)
        .into_iter()
        .map(|row| {
            let p = row.presence;
            (
                (p.room_id, p.user_id),
                (
                    (p.last_seen, p.has_focus, p.inactive_from, p.last_spoke),
                    (row.read_id, row.read_seq),
                ),
            )
        })
        .collect();
    sqlx::query(
        "UPDATE members SET last_seen = j.value ->> '$[1][0][0]', \
         has_focus = j.value ->> '$[1][0][1]', inactive_from = j.value ->> '$[1][0][2]', \
         last_spoke = COALESCE(j.value ->> '$[1][0][3]', last_spoke), \
         last_read = MAX(last_read, j.value ->> '$[1][1][0]'), \
         read_seq = MAX(read_seq, j.value ->> '$[1][1][1]') \
         FROM json_each($1) j \
         WHERE members.room_id = j.value ->> '$[0][0]' AND members.user_id = j.value ->> '$[0][1]'",
    )
    .bind(json(&presence)?)
    .execute(&mut *tx)
    .await?;

    let mentions = batch::mention_rows(messages, &posted);
    if !mentions.is_empty() {
        sqlx::query(
            "INSERT INTO mentions (user_id, room_id, message_id) \
             SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each($1) j \
             WHERE true ON CONFLICT DO NOTHING",
        )
        .bind(json(&mentions)?)
        .execute(&mut *tx)
        .await?;
    }
    let alerts = batch::alert_rows(messages, candidates, &mut posted)?;
    queue_alerts_bulk(&mut tx, &alerts).await?;
    tx.commit().await?;
    Ok(Some(posted))
}

fn json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Other(crate::store::Cause::text(e.to_string())))
}

/// Who may get a mail alert from a message in these rooms (the posters
/// included), as they stand before the batch.
async fn alert_candidates(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    room_ids: &str,
) -> Result<Vec<Member>, StoreError> {
    let rows: Vec<MemberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM members mb JOIN users u ON u.id = mb.user_id \
         WHERE mb.room_id IN (SELECT value FROM json_each($1)) AND mb.mail_alert AND u.is_active"
    )))
    .bind(room_ids)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Member::from).collect())
}

/// Queues a batch's mail alerts ([`batch::alert_rows`]) in two statements
/// whatever their number.
async fn queue_alerts_bulk(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    alerts: &[AlertRow],
) -> Result<(), StoreError> {
    if alerts.is_empty() {
        return Ok(());
    }
    // (room, user, at, send after, recipient, first message)
    let rows: Vec<_> = alerts
        .iter()
        .map(|a| {
            (
                a.room_id,
                a.user_id,
                a.at,
                a.send_after,
                &a.recipient,
                a.first_message_id,
            )
        })
        .collect();
    let rows = json(&rows)?;
    // An alerted member is alerted again in the same batch only after a
    // message of their own; the newest time is the one to keep.
    sqlx::query(
        "UPDATE members SET last_mail_alert = a.at FROM \
         (SELECT j.value ->> 0 AS room_id, j.value ->> 1 AS user_id, MAX(j.value ->> 2) AS at \
          FROM json_each($1) j GROUP BY 1, 2) a \
         WHERE members.room_id = a.room_id AND members.user_id = a.user_id",
    )
    .bind(&rows)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO outbox (created_at, send_after, next_attempt_at, room_id, user_id, \
         first_message_id, recipient) \
         SELECT j.value ->> 2, j.value ->> 3, j.value ->> 3, j.value ->> 0, j.value ->> 1, \
         j.value ->> 5, j.value ->> 4 FROM json_each($1) j ORDER BY j.key",
    )
    .bind(&rows)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores one message inside the caller's transaction.
/// The room's `last_seq` and `last_pos` follow by trigger (migration 0009).
async fn post_in_tx(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    m: NewMessage,
) -> Result<Posted, StoreError> {
    // No row back: the room is gone, or this client_id was used before.
    let inserted: Option<(i64, i64, i64)> = sqlx::query_as_with(
        "INSERT INTO messages (room_id, user_id, created_at, content, html, client_id, \
         file_name, file_size, file_type, file_key, mentions, reply_to, seq, pos) \
         SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, last_seq + 1, last_pos + 1 \
         FROM rooms WHERE id = $1 \
         ON CONFLICT (room_id, user_id, client_id) WHERE client_id IS NOT NULL DO NOTHING \
         RETURNING id, seq, pos",
        sql::message_values(&m)?,
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some((id, seq, pos)) = inserted else {
        // The room is gone (`NotFound`), or this is a repeated send.
        let client_id = m.client_id.as_deref().ok_or(StoreError::NotFound)?;
        return sql::earlier_send(&mut **tx, m.room_id, m.user_id, client_id)
            .await?
            .map(Posted::earlier)
            .ok_or(StoreError::NotFound);
    };
    sql::after_insert(tx, m, id, (seq, pos)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Messages;
    use crate::store::batch::testing::{NOW, Scene, batch, message, outcome, summary};
    use crate::store::sqlite::Backend as SqliteBackend;
    use crate::store::sqlite::testing::scene;

    #[tokio::test]
    async fn a_bulk_batch_stores_what_one_by_one_posting_stores() {
        let ((bulk, _a), (each, _b)) = (scene().await, scene().await);
        let by_bulk = post_bulk(&bulk.db.write, &batch(&bulk))
            .await
            .expect("bulk")
            .expect("the bulk path takes this batch");
        let by_each = post_each(&each.db.write, batch(&each)).await.expect("each");
        assert_eq!(summary(&by_bulk), summary(&by_each));
        let (bulk_out, each_out) = (outcome(&bulk).await, outcome(&each).await);
        assert_eq!(bulk_out, each_out);
        bulk_out.check(&bulk, &by_bulk);

        // The room's seq counter moved along: a later single post follows on.
        let next = post_each(
            &bulk.db.write,
            vec![message(bulk.room, bulk.users[0], NOW + 9, "after")],
        )
        .await
        .expect("after");
        assert_eq!(next[0].message.seq, 5);
        assert_eq!(
            bulk.db.newest_cursor(bulk.room).await.expect("last"),
            next[0].message.id
        );
    }

    async fn declined(s: &Scene<SqliteBackend>, batch: &[NewMessage]) -> bool {
        post_bulk(&s.db.write, batch).await.expect("ran").is_none()
    }

    #[tokio::test]
    async fn the_bulk_path_declines_repeats_and_missing_rooms_and_writes_nothing() {
        let (s, _dir) = scene().await;
        let alice = s.users[0];
        let repeated_inside = vec![
            message(s.room, alice, NOW, "same"),
            message(s.room, alice, NOW + 1, "same"),
        ];
        assert!(declined(&s, &repeated_inside).await);

        post_each(&s.db.write, vec![message(s.room, alice, NOW, "first")])
            .await
            .expect("first");
        let repeated_earlier = vec![
            message(s.room, alice, NOW + 1, "new"),
            message(s.room, alice, NOW + 2, "first"),
        ];
        assert!(declined(&s, &repeated_earlier).await);

        let missing_room = vec![
            message(s.room, alice, NOW + 3, "fine"),
            message(s.room + 99, alice, NOW + 4, "nowhere"),
        ];
        assert!(declined(&s, &missing_room).await);

        let stored = s.db.messages_after(s.room, 0, 100).await.expect("messages");
        assert_eq!(stored.len(), 1, "only the one posted on its own");
    }
}
