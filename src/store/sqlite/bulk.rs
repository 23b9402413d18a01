//! The statements that store a batch of messages in a handful of round
//! trips (group commit itself is in `commit.rs`).
//!
//! Every statement sqlx runs on SQLite is a hand-off to the connection's own
//! thread and back. With one message after another that is three hand-offs
//! per message while the write lock is held, and the thread switches, not
//! SQLite, bound how many messages a second are stored. A batch therefore
//! goes to SQLite as JSON arrays that `json_each` turns into rows: the same
//! few statements for one message or a hundred.

use std::collections::{HashMap, HashSet};

use sqlx::SqlitePool;

use super::sql;
use crate::domain::Member;
use crate::domain::alerts::{self, Sent};
use crate::store::rows::{MEMBER_COLUMNS, MemberRow};
use crate::store::{NewMessage, Posted, StoreError};

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
    let mut sent = HashSet::new();
    let keys: Vec<(i64, i64, &str)> = messages
        .iter()
        .filter_map(|m| Some((m.room_id, m.user_id, m.client_id.as_deref()?)))
        .collect();
    if !keys.iter().all(|k| sent.insert(*k)) {
        return Ok(None);
    }
    let mut room_ids: Vec<i64> = messages.iter().map(|m| m.room_id).collect();
    room_ids.sort_unstable();
    room_ids.dedup();
    let room_ids = json(&room_ids)?;

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
    let seqs: Vec<(i64, i64)> = messages
        .iter()
        .map(|m| {
            let (seq, pos) = last_seq.entry(m.room_id).or_default();
            *seq += 1;
            *pos += 1;
            (*seq, *pos)
        })
        .collect();
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
    let mut presence = HashMap::new();
    for (m, p) in messages.iter().zip(&posted) {
        let pr = &m.presence;
        presence.insert(
            (pr.room_id, pr.user_id),
            (
                (pr.last_seen, pr.has_focus, pr.inactive_from, pr.last_spoke),
                (p.message.id, p.message.seq),
            ),
        );
    }
    let presence: Vec<_> = presence.into_iter().collect();
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

    // Mentions: (user, room, message) rows.
    let mentions: Vec<(i64, i64, i64)> = messages
        .iter()
        .zip(&posted)
        .flat_map(|(m, p)| m.mentioned.iter().map(|&u| (u, m.room_id, p.message.id)))
        .collect();
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
    queue_alerts_bulk(&mut tx, messages, candidates, &mut posted).await?;
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

/// The mail-alert rule ([`alerts::replay`]) for a whole batch, written in
/// two statements whatever the number of alerts.
async fn queue_alerts_bulk(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    messages: &[NewMessage],
    mut candidates: Vec<Member>,
    posted: &mut [Posted],
) -> Result<(), StoreError> {
    if candidates.is_empty() && messages.iter().all(|m| m.mentioned.is_empty()) {
        return Ok(());
    }
    let sent: Vec<Sent<'_>> = messages
        .iter()
        .zip(posted.iter())
        .map(|(m, p)| Sent {
            message_id: p.message.id,
            time: m.time,
            presence: &m.presence,
            mentions: &m.mentioned,
            mail_delay: m.mail_delay,
        })
        .collect();
    let replayed = alerts::replay(&sent, &mut candidates);
    for d in replayed.decisions {
        if let Some(p) = posted.iter_mut().find(|p| p.message.id == d.message_id) {
            p.decisions.push(d);
        }
    }
    let due = replayed.alerts;
    if due.is_empty() {
        return Ok(());
    }
    // (room, user, at, send after, recipient, first message)
    let mut rows = Vec::with_capacity(due.len());
    for a in &due {
        let (i, m) = messages
            .iter()
            .enumerate()
            .find(|(i, _)| posted[*i].message.id == a.first_message_id)
            .ok_or_else(|| StoreError::other("an alert for a message not in the batch"))?;
        posted[i].alerts_queued += 1;
        rows.push((
            a.room_id,
            a.user_id,
            a.at,
            a.at + m.mail_delay,
            &a.recipient,
            a.first_message_id,
        ));
    }
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

/// Stores one message inside the caller's transaction (see [`Committer`]).
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
    use crate::config::SqliteSync;
    use crate::domain::{Attachment, Message, PresenceUpdate};
    use crate::store::sqlite::Backend as SqliteBackend;
    use crate::store::{Accounts, Messages, NewUser, Outbox, Rooms};

    const NOW: i64 = 1_700_000_000;

    struct Scene {
        db: SqliteBackend,
        _dir: tempfile::TempDir,
        room: i64,
        users: Vec<i64>,
    }

    /// A room with alice, bob, carol and dave; bob and carol want mail
    /// alerts and were last seen long ago.
    async fn scene() -> Scene {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = SqliteBackend::open(
            &dir.path().join("db.sqlite3"),
            true,
            SqliteSync::Full,
            crate::metrics::StoreMetrics::default(),
        )
        .await
        .expect("open");
        let room = db.create_room("general", "General").await.expect("room").id;
        let mut users = Vec::new();
        for name in ["alice", "bob", "carol", "dave"] {
            let user = db
                .create_user(NewUser {
                    username: name.to_owned(),
                    username_key: name.to_owned(),
                    email: Some(format!("{name}@example.com")),
                    password_hash: String::new(),
                    is_admin: false,
                    display_name: None,
                    created_at: NOW,
                })
                .await
                .expect("user");
            db.add_member(room, user.id, "000000")
                .await
                .expect("member");
            users.push(user.id);
        }
        for &away in &users[1..3] {
            db.set_alerts(room, away, true, true).await.expect("alerts");
            db.save_presence(PresenceUpdate {
                room_id: room,
                user_id: away,
                last_seen: NOW - 1_000,
                has_focus: false,
                inactive_from: NOW - 900,
                last_spoke: None,
            })
            .await
            .expect("presence");
        }
        Scene {
            db,
            _dir: dir,
            room,
            users,
        }
    }

    fn message(room: i64, user: i64, at: i64, text: &str) -> NewMessage {
        NewMessage {
            room_id: room,
            user_id: user,
            username: format!("user{user}"),
            time: at,
            content: text.to_owned(),
            html: format!("<p>{text}</p>"),
            client_id: Some(format!("{user}-{text}")),
            file: None,
            mentions: Vec::new(),
            mentioned: Vec::new(),
            presence: PresenceUpdate {
                room_id: room,
                user_id: user,
                last_seen: at,
                has_focus: user % 2 == 0,
                inactive_from: at + 90,
                last_spoke: Some(at),
            },
            mail_delay: 60,
            reply: None,
        }
    }

    /// Alice writes, carol (away, alerted) comes back by writing, alice
    /// writes again, dave attaches a file: bob gets one alert, carol one.
    fn batch(s: &Scene) -> Vec<NewMessage> {
        let [alice, _, carol, dave] = s.users[..] else {
            unreachable!("four users")
        };
        let mut with_file = message(s.room, dave, NOW + 3, "a file");
        with_file.file = Some(Attachment {
            name: "notes.txt".to_owned(),
            size: 12,
            content_type: "text/plain".to_owned(),
            key: "k1".to_owned(),
        });
        vec![
            message(s.room, alice, NOW, "one"),
            message(s.room, carol, NOW + 1, "back"),
            message(s.room, alice, NOW + 2, "two"),
            with_file,
        ]
    }

    /// What a batch left in the database, ids included.
    async fn outcome(s: &Scene) -> (Vec<Message>, Vec<Member>, Vec<(i64, i64, String, i64)>) {
        let messages = s.db.messages_after(s.room, 0, 100).await.expect("messages");
        let members = s.db.members(s.room).await.expect("members");
        let alerts =
            s.db.due_alerts(NOW + 1_000, 100)
                .await
                .expect("alerts")
                .into_iter()
                .map(|a| (a.user_id, a.created_at, a.recipient, a.first_message_id))
                .collect();
        (messages, members.as_ref().clone(), alerts)
    }

    #[tokio::test]
    async fn a_bulk_batch_stores_what_one_by_one_posting_stores() {
        let (bulk, each) = (scene().await, scene().await);
        let by_bulk = post_bulk(&bulk.db.write, &batch(&bulk))
            .await
            .expect("bulk")
            .expect("the bulk path takes this batch");
        let by_each = post_each(&each.db.write, batch(&each)).await.expect("each");

        let summary = |posted: &[Posted]| -> Vec<(i64, i64, usize)> {
            posted
                .iter()
                .map(|p| (p.message.id, p.message.seq, p.alerts_queued))
                .collect()
        };
        assert_eq!(summary(&by_bulk), summary(&by_each));
        assert_eq!(
            by_bulk.iter().map(|p| p.alerts_queued).collect::<Vec<_>>(),
            [2, 0, 0, 0],
            "bob and carol are alerted by the first message only"
        );
        let (bulk_out, each_out) = (outcome(&bulk).await, outcome(&each).await);
        assert_eq!(
            format!("{:?}", bulk_out.0),
            format!("{:?}", each_out.0),
            "same messages, seqs and files"
        );
        assert_eq!(
            format!("{:?}", bulk_out.1),
            format!("{:?}", each_out.1),
            "same presence and alert state"
        );
        assert_eq!(bulk_out.2, each_out.2, "same outbox");
        assert_eq!(bulk_out.2.len(), 2);
        assert_eq!(bulk.db.newest_cursor(bulk.room).await.expect("last"), 4);

        // The room's seq counter moved along: a later single post follows on.
        let next = post_each(
            &bulk.db.write,
            vec![message(bulk.room, bulk.users[0], NOW + 9, "after")],
        )
        .await
        .expect("after");
        assert_eq!(next[0].message.seq, 5);
    }

    async fn declined(s: &Scene, batch: &[NewMessage]) -> bool {
        post_bulk(&s.db.write, batch).await.expect("ran").is_none()
    }

    #[tokio::test]
    async fn the_bulk_path_declines_repeats_and_missing_rooms_and_writes_nothing() {
        let s = scene().await;
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
