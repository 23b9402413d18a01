//! The statements that store a batch of messages on PostgreSQL in a fixed
//! number of round trips, whatever its size (group commit itself is in
//! `store/commit.rs`; the rows beside the messages come from
//! `store/batch.rs`). Columns go to the server as arrays that `UNNEST`
//! turns back into rows.
//!
//! Why batch at all on a server that groups commits itself: a post holds
//! its room's row lock until its commit has reached the disk, so posts to
//! one room, from every node, follow each other one flush at a time. A batch
//! takes the lock once for all its messages.
//!
//! Locks are taken in one order by every batch, so two nodes' batches never
//! wait on each other in a circle: the rooms' rows first, by id. Every other
//! row a batch writes belongs to one of its rooms (members, the activity
//! triggers' per-room counts), so whoever holds the room holds them, except
//! the activity trigger's count per (day, writer), which it upserts in
//! (day, writer) order once per statement (migration 0021).

use std::collections::HashMap;

use sqlx::PgPool;

use super::{Db, begin_on, post_alone, sql};
use crate::domain::Member;
use crate::metrics::StoreMetrics;
use crate::store::batch::{self, AlertRow};
use crate::store::rows::{MEMBER_COLUMNS, MemberRow};
use crate::store::{NewMessage, Posted, StoreError};

type Tx = sqlx::Transaction<'static, Db>;

/// Stores a batch taken by group commit and answers each message: all in
/// one transaction when the bulk path takes it, else (a repeated client_id,
/// a room deleted meanwhile, or any failure) each message in a transaction
/// of its own, so one bad message fails alone.
pub(super) async fn commit_batch(
    pool: PgPool,
    metrics: StoreMetrics,
    messages: Vec<NewMessage>,
) -> Vec<Result<Posted, StoreError>> {
    if messages.len() > 1 {
        match post_bulk(&pool, &metrics, &messages).await {
            Ok(Some(posted)) => return posted.into_iter().map(Ok).collect(),
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "a batch failed; posting one by one"),
        }
    }
    let mut results = Vec::with_capacity(messages.len());
    for m in messages {
        results.push(post_alone(&pool, &metrics, m).await);
    }
    results
}

/// Stores a batch in one transaction. `None` (and nothing written) when
/// the batch needs the careful path: a `client_id` repeated inside it or
/// already stored, or a room that no longer exists.
pub(super) async fn post_bulk(
    pool: &PgPool,
    metrics: &StoreMetrics,
    messages: &[NewMessage],
) -> Result<Option<Vec<Posted>>, StoreError> {
    let Some(keys) = batch::client_keys(messages) else {
        return Ok(None);
    };
    let room_ids = batch::room_ids(messages);
    let mut tx = begin_on(pool, metrics).await?;
    let Some((mut last, mut ids)) = lock_rooms(&mut tx, &room_ids, &keys, messages.len()).await?
    else {
        tx.rollback().await?;
        return Ok(None);
    };
    if messages.iter().any(|m| !last.contains_key(&m.room_id)) {
        tx.rollback().await?;
        return Ok(None);
    }
    let seqs = batch::assign_seqs(messages, &mut last);
    ids.sort_unstable();
    if ids.len() != messages.len() {
        return Err(StoreError::other("the id sequence gave too few ids"));
    }
    let mut posted: Vec<Posted> = messages
        .iter()
        .zip(ids.iter().zip(&seqs))
        .map(|(m, (&id, &(seq, pos)))| sql::posted(m.clone(), id, seq, pos))
        .collect();
    let presence = batch::presence_rows(messages, &posted);
    let candidates = write_batch(&mut tx, messages, (&ids, &seqs), last, &presence).await?;
    let mentions = batch::mention_rows(messages, &posted);
    if !mentions.is_empty() {
        let (users, rest): (Vec<i64>, Vec<(i64, i64)>) =
            mentions.into_iter().map(|(u, r, m)| (u, (r, m))).unzip();
        let (rooms, ids): (Vec<i64>, Vec<i64>) = rest.into_iter().unzip();
        sqlx::query(
            "INSERT INTO mentions (user_id, room_id, message_id) \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[]) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&users)
        .bind(&rooms)
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    }
    let alerts = batch::alert_rows(messages, candidates, &mut posted)?;
    queue_alerts(&mut tx, &alerts).await?;
    tx.commit().await?;
    Ok(Some(posted))
}

/// The batch's rooms and their counters, locked, and `n` ids, in one
/// round trip: each is time the locks are held. `None` when one of the
/// batch's `(room, user, client_id)` keys is stored already.
///
/// The ids come from the sequence only once every room is locked (the
/// `COUNT` over `locked` is what the id list waits on), so within a room
/// they rise with seq and in commit order, as a lone post's do. The check
/// for repeats reads the snapshot the statement began with: a repeat
/// committed while this batch waited for a lock is not seen here, and the
/// unique index on the key then fails the batch, which goes the careful
/// way (`commit_batch`).
async fn lock_rooms(
    tx: &mut Tx,
    room_ids: &[i64],
    keys: &[(i64, i64, &str)],
    n: usize,
) -> Result<Option<(HashMap<i64, (i64, i64)>, Vec<i64>)>, StoreError> {
    let rooms: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let users: Vec<i64> = keys.iter().map(|k| k.1).collect();
    let client_ids: Vec<&str> = keys.iter().map(|k| k.2).collect();
    let rows: Vec<(i64, i64, i64, Vec<i64>, bool)> = sqlx::query_as(
        "WITH locked AS MATERIALIZED (\
             SELECT id, last_seq, last_pos FROM rooms WHERE id = ANY($1) ORDER BY id FOR UPDATE), \
         fresh AS MATERIALIZED (\
             SELECT ARRAY(SELECT nextval(pg_get_serial_sequence('messages', 'id')) \
             FROM generate_series(1, $2 + 0 * held.n)) AS ids \
             FROM (SELECT COUNT(*) AS n FROM locked) held), \
         seen AS MATERIALIZED (\
             SELECT EXISTS (SELECT 1 \
             FROM UNNEST($3::bigint[], $4::bigint[], $5::text[]) k(room_id, user_id, cid) \
             JOIN messages m ON m.room_id = k.room_id AND m.user_id = k.user_id \
             AND m.client_id = k.cid) AS repeated) \
         SELECT l.id, l.last_seq, l.last_pos, f.ids, s.repeated \
         FROM locked l CROSS JOIN fresh f CROSS JOIN seen s",
    )
    .bind(room_ids)
    .bind(i64::try_from(n).unwrap_or(i64::MAX))
    .bind(&rooms)
    .bind(&users)
    .bind(&client_ids)
    .fetch_all(&mut **tx)
    .await?;
    // Every row carries the same ids and the same verdict on repeats.
    let mut ids = Vec::new();
    let mut last = HashMap::with_capacity(rows.len());
    for (room, seq, pos, fresh, repeated) in rows {
        if repeated {
            return Ok(None);
        }
        if ids.is_empty() {
            ids = fresh;
        }
        last.insert(room, (seq, pos));
    }
    Ok(Some((last, ids)))
}

/// The messages, the rooms' counters and the writers' presence and read
/// cursors ([`batch::presence_rows`], as the lone post's `save_poster` sets
/// them), in one statement: each round trip here is time the rooms' locks
/// are held. The activity trigger takes its rows' locks in its own order
/// (migration 0021), so the messages' order here is free.
///
/// Answers who may get a mail alert from a message in these rooms (the
/// posters included) as they stood before the batch: every part of one
/// statement reads the snapshot it began with, so the members read here
/// are those the `presence` part has not changed yet.
async fn write_batch(
    tx: &mut Tx,
    messages: &[NewMessage],
    (ids, seqs): (&[i64], &[(i64, i64)]),
    counters: HashMap<i64, (i64, i64)>,
    presence: &[batch::PresenceRow<'_>],
) -> Result<Vec<Member>, StoreError> {
    let n = messages.len();
    let mut c = Columns::with_capacity(n);
    for (i, m) in messages.iter().enumerate() {
        let f = m.file.as_ref();
        c.id.push(ids[i]);
        c.room_id.push(m.room_id);
        c.seq.push(seqs[i].0);
        c.pos.push(seqs[i].1);
        c.user_id.push(m.user_id);
        c.created_at.push(m.time);
        c.content.push(m.content.as_str());
        c.html.push(m.html.as_str());
        c.client_id.push(m.client_id.as_deref());
        c.file_name.push(f.map(|f| f.name.as_str()));
        c.file_size.push(f.map(|f| f.size));
        c.file_type.push(f.map(|f| f.content_type.as_str()));
        c.file_key.push(f.map(|f| f.key.as_str()));
        c.mentions.push(m.mentions.join(" "));
        c.reply_to.push(m.reply.as_ref().map(|r| r.id));
    }
    let (rooms, counters): (Vec<i64>, Vec<(i64, i64)>) = counters.into_iter().unzip();
    let (last_seqs, last_poss): (Vec<i64>, Vec<i64>) = counters.into_iter().unzip();
    let col = |f: fn(&batch::PresenceRow<'_>) -> i64| presence.iter().map(f).collect::<Vec<i64>>();
    let focus: Vec<bool> = presence.iter().map(|r| r.presence.has_focus).collect();
    let spoke: Vec<Option<i64>> = presence.iter().map(|r| r.presence.last_spoke).collect();
    let rows: Vec<MemberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH counters AS (\
             UPDATE rooms SET last_seq = v.seq, last_pos = v.pos \
             FROM UNNEST($16::bigint[], $17::bigint[], $18::bigint[]) v(id, seq, pos) \
             WHERE rooms.id = v.id), \
         presence AS (\
             UPDATE members SET last_seen = v.last_seen, has_focus = v.has_focus, \
             inactive_from = v.inactive_from, \
             last_spoke = COALESCE(v.last_spoke, members.last_spoke), \
             last_read = GREATEST(members.last_read, v.read_id), \
             read_seq = GREATEST(members.read_seq, v.read_seq) \
             FROM UNNEST($19::bigint[], $20::bigint[], $21::bigint[], $22::boolean[], \
             $23::bigint[], $24::bigint[], $25::bigint[], $26::bigint[]) \
             v(room_id, user_id, last_seen, has_focus, inactive_from, last_spoke, read_id, \
             read_seq) \
             WHERE members.room_id = v.room_id AND members.user_id = v.user_id), \
         inserted AS (\
             INSERT INTO messages (id, room_id, seq, pos, user_id, created_at, content, html, \
             client_id, file_name, file_size, file_type, file_key, mentions, reply_to) \
             OVERRIDING SYSTEM VALUE \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], \
             $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], \
             $11::bigint[], $12::text[], $13::text[], $14::text[], $15::bigint[])) \
         SELECT {MEMBER_COLUMNS} FROM members mb JOIN users u ON u.id = mb.user_id \
         WHERE mb.room_id = ANY($16) AND mb.mail_alert AND u.is_active"
    )))
    .bind(&c.id)
    .bind(&c.room_id)
    .bind(&c.seq)
    .bind(&c.pos)
    .bind(&c.user_id)
    .bind(&c.created_at)
    .bind(&c.content)
    .bind(&c.html)
    .bind(&c.client_id)
    .bind(&c.file_name)
    .bind(&c.file_size)
    .bind(&c.file_type)
    .bind(&c.file_key)
    .bind(&c.mentions)
    .bind(&c.reply_to)
    .bind(&rooms)
    .bind(&last_seqs)
    .bind(&last_poss)
    .bind(col(|r| r.presence.room_id))
    .bind(col(|r| r.presence.user_id))
    .bind(col(|r| r.presence.last_seen))
    .bind(focus)
    .bind(col(|r| r.presence.inactive_from))
    .bind(spoke)
    .bind(col(|r| r.read_id))
    .bind(col(|r| r.read_seq))
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Member::from).collect())
}

/// The `messages` columns of a batch, one array each.
#[derive(Default)]
struct Columns<'a> {
    id: Vec<i64>,
    room_id: Vec<i64>,
    seq: Vec<i64>,
    pos: Vec<i64>,
    user_id: Vec<i64>,
    created_at: Vec<i64>,
    content: Vec<&'a str>,
    html: Vec<&'a str>,
    client_id: Vec<Option<&'a str>>,
    file_name: Vec<Option<&'a str>>,
    file_size: Vec<Option<i64>>,
    file_type: Vec<Option<&'a str>>,
    file_key: Vec<Option<&'a str>>,
    mentions: Vec<String>,
    reply_to: Vec<Option<i64>>,
}

impl Columns<'_> {
    fn with_capacity(n: usize) -> Self {
        Self {
            id: Vec::with_capacity(n),
            room_id: Vec::with_capacity(n),
            seq: Vec::with_capacity(n),
            pos: Vec::with_capacity(n),
            user_id: Vec::with_capacity(n),
            created_at: Vec::with_capacity(n),
            content: Vec::with_capacity(n),
            html: Vec::with_capacity(n),
            client_id: Vec::with_capacity(n),
            file_name: Vec::with_capacity(n),
            file_size: Vec::with_capacity(n),
            file_type: Vec::with_capacity(n),
            file_key: Vec::with_capacity(n),
            mentions: Vec::with_capacity(n),
            reply_to: Vec::with_capacity(n),
        }
    }
}

/// Queues the batch's mail alerts ([`batch::alert_rows`]) in two
/// statements whatever their number.
async fn queue_alerts(tx: &mut Tx, alerts: &[AlertRow]) -> Result<(), StoreError> {
    if alerts.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&AlertRow) -> i64| alerts.iter().map(f).collect::<Vec<i64>>();
    let recipients: Vec<&str> = alerts.iter().map(|a| a.recipient.as_str()).collect();
    // An alerted member is alerted again in the same batch only after a
    // message of their own; the newest time is the one to keep.
    sqlx::query(
        "UPDATE members SET last_mail_alert = a.at FROM \
         (SELECT room_id, user_id, MAX(at) AS at \
          FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[]) v(room_id, user_id, at) \
          GROUP BY 1, 2) a \
         WHERE members.room_id = a.room_id AND members.user_id = a.user_id",
    )
    .bind(col(|a| a.room_id))
    .bind(col(|a| a.user_id))
    .bind(col(|a| a.at))
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO outbox (created_at, send_after, next_attempt_at, room_id, user_id, \
         first_message_id, recipient) \
         SELECT at, send_after, send_after, room_id, user_id, first_message_id, recipient \
         FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], \
         $6::text[]) WITH ORDINALITY \
         v(room_id, user_id, at, send_after, first_message_id, recipient, n) ORDER BY n",
    )
    .bind(col(|a| a.room_id))
    .bind(col(|a| a.user_id))
    .bind(col(|a| a.at))
    .bind(col(|a| a.send_after))
    .bind(col(|a| a.first_message_id))
    .bind(recipients)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::batch::testing::{NOW, Scene, batch, message, outcome, summary};
    use crate::store::postgres::Backend;
    use crate::store::{Messages, Posting};
    use sqlx::Connection;

    /// The PostgreSQL server the suite runs on (`.ci/run` sets it); these
    /// tests say so and pass without it, as the SQLite run has none.
    const DATABASE_VAR: &str = "CONVERSATE_TEST_DATABASE_URL";

    /// A fresh database on that server, dropped at the end of the test.
    struct Fresh {
        server: String,
        name: String,
    }

    impl Fresh {
        async fn open() -> Option<(Scene<Backend>, Self)> {
            let Some(server) = std::env::var(DATABASE_VAR).ok().filter(|v| !v.is_empty()) else {
                eprintln!("SKIPPED: {DATABASE_VAR} is not set, so no PostgreSQL batch test ran");
                return None;
            };
            let name = format!("conversate_bulk_{:016x}", rand::random::<u64>());
            let mut conn = sqlx::PgConnection::connect(&server).await.expect("server");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create the database");
            let (base, _) = server.rsplit_once('/').expect("a URL with a database");
            let db = Backend::open(&format!("{base}/{name}"), StoreMetrics::default())
                .await
                .expect("open");
            Some((Scene::new(db).await, Self { server, name }))
        }

        async fn drop_database(self, scene: Scene<Backend>) {
            scene.db.pool.close().await;
            let mut conn = sqlx::PgConnection::connect(&self.server)
                .await
                .expect("server");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await
            .expect("drop the database");
        }
    }

    #[tokio::test]
    async fn a_bulk_batch_stores_what_one_by_one_posting_stores() {
        let Some((bulk, bulk_db)) = Fresh::open().await else {
            return;
        };
        let (each, each_db) = Fresh::open().await.expect("a second database");
        let by_bulk = post_bulk(&bulk.db.pool, &bulk.db.metrics, &batch(&bulk))
            .await
            .expect("bulk")
            .expect("the bulk path takes this batch");
        let mut by_each = Vec::new();
        for m in batch(&each) {
            by_each.push(
                post_alone(&each.db.pool, &each.db.metrics, m)
                    .await
                    .expect("each"),
            );
        }
        assert_eq!(summary(&by_bulk), summary(&by_each));
        let ids: Vec<i64> = by_bulk.iter().map(|p| p.message.id).collect();
        assert!(ids.is_sorted(), "ids rise in the batch's order: {ids:?}");
        let (bulk_out, each_out) = (outcome(&bulk).await, outcome(&each).await);
        assert_eq!(bulk_out, each_out);
        bulk_out.check(&bulk, &by_bulk);

        // The room's counters moved along: a later post follows on.
        let next = bulk
            .db
            .post_message(message(bulk.room, bulk.users[0], NOW + 9, "after"))
            .await
            .expect("after");
        assert_eq!(next.message.seq, 5);
        assert!(next.message.id > ids[ids.len() - 1]);
        assert_eq!(
            bulk.db.newest_cursor(bulk.room).await.expect("last"),
            next.message.id
        );
        bulk_db.drop_database(bulk).await;
        each_db.drop_database(each).await;
    }

    #[tokio::test]
    async fn the_bulk_path_declines_repeats_and_missing_rooms_and_writes_nothing() {
        let Some((s, db)) = Fresh::open().await else {
            return;
        };
        let alice = s.users[0];
        let declined = |batch: Vec<NewMessage>| {
            let s = &s;
            async move {
                post_bulk(&s.db.pool, &s.db.metrics, &batch)
                    .await
                    .expect("ran")
                    .is_none()
            }
        };
        assert!(
            declined(vec![
                message(s.room, alice, NOW, "same"),
                message(s.room, alice, NOW + 1, "same"),
            ])
            .await
        );
        post_alone(
            &s.db.pool,
            &s.db.metrics,
            message(s.room, alice, NOW, "first"),
        )
        .await
        .expect("first");
        assert!(
            declined(vec![
                message(s.room, alice, NOW + 1, "new"),
                message(s.room, alice, NOW + 2, "first"),
            ])
            .await
        );
        assert!(
            declined(vec![
                message(s.room, alice, NOW + 3, "fine"),
                message(s.room + 99, alice, NOW + 4, "nowhere"),
            ])
            .await
        );
        let stored = s.db.messages_after(s.room, 0, 100).await.expect("messages");
        assert_eq!(stored.len(), 1, "only the one posted on its own");

        // Through group commit, a batch that repeats a stored send answers
        // the repeat with the first message and stores the rest.
        let results = commit_batch(
            s.db.pool.clone(),
            s.db.metrics.clone(),
            vec![
                message(s.room, alice, NOW + 5, "first"),
                message(s.room, alice, NOW + 6, "second"),
            ],
        )
        .await;
        let results: Vec<Posted> = results.into_iter().map(|r| r.expect("posted")).collect();
        assert!(!results[0].created);
        assert_eq!(results[0].message.id, stored[0].id);
        assert!(results[1].created);
        assert_eq!(results[1].message.seq, 2);
        db.drop_database(s).await;
    }
}
