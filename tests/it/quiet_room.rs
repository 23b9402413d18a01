//! A room that has been quiet while another talked is read through its own
//! index on PostgreSQL, not by walking the other room's newer messages
//! backwards along the primary key (what the planner picks for `room_id =
//! R ORDER BY id DESC` when its statistics say the room holds a third of
//! the table but not where; see `in_room!` in `store/postgres/mod.rs`).
//! The reads are counted in PostgreSQL's own statistics of index use.

use conversate::config::DatabaseUrl;
use sqlx::Connection;

use crate::store::{general, post};
use crate::support::TestStore;

/// Messages the busy room gets after the quiet room's last.
const BUSY: i64 = 20_000;
/// Messages the quiet room had before it went quiet.
const QUIET: i64 = 10_000;

/// How many tuples an index of `messages` has handed out, and how many
/// scans it has started, as PostgreSQL's statistics show them now.
async fn index_use(conn: &mut sqlx::PgConnection, index: &str) -> (i64, i64) {
    // A fresh snapshot: statistics read earlier in this session are cached.
    sqlx::query("SELECT pg_stat_clear_snapshot()")
        .execute(&mut *conn)
        .await
        .expect("clear the statistics snapshot");
    sqlx::query_as(
        "SELECT idx_tup_read, idx_scan FROM pg_stat_user_indexes \
         WHERE relname = 'messages' AND indexrelname = $1",
    )
    .bind(index)
    .fetch_one(&mut *conn)
    .await
    .expect("index statistics")
}

/// Adds `count` messages by `user_id` to room `room_id`, in one statement,
/// numbered on from the room's counters.
async fn bulk_post(conn: &mut sqlx::PgConnection, room_id: i64, user_id: i64, count: i64) {
    sqlx::query(
        "WITH r AS (UPDATE rooms SET last_seq = last_seq + $3, last_pos = last_pos + $3 \
                    WHERE id = $1 RETURNING last_seq - $3 AS seq0, last_pos - $3 AS pos0) \
         INSERT INTO messages (room_id, seq, pos, user_id, created_at, content, html) \
         SELECT $1, r.seq0 + s, r.pos0 + s, $2, 1700000000 + s, 'line ' || s, 'line ' || s \
         FROM r, generate_series(1, $3) s",
    )
    .bind(room_id)
    .bind(user_id)
    .bind(count)
    .execute(&mut *conn)
    .await
    .expect("bulk messages");
}

#[tokio::test]
async fn a_quiet_room_is_read_without_walking_a_busy_rooms_newer_messages() {
    let store = TestStore::open().await;
    let DatabaseUrl::Postgres(url) = &store.config.database_url else {
        eprintln!(
            "SKIPPED: PostgreSQL only (set CONVERSATE_TEST_DATABASE_URL): SQLite's planner takes the room's index for an equality"
        );
        return;
    };
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    let (quiet, alice, bob) = general(&store).await;
    let busy = store
        .rooms()
        .create_room("busy", "Busy")
        .await
        .expect("room")
        .id;
    bulk_post(&mut conn, quiet, alice.id, QUIET - 1).await;
    let last_quiet = post(&store, quiet, alice.id, "the last word here").await;
    bulk_post(&mut conn, busy, alice.id, BUSY).await;
    let newest_busy: i64 = sqlx::query_scalar("SELECT MAX(id) FROM messages")
        .fetch_one(&mut conn)
        .await
        .expect("newest id");
    sqlx::query("ANALYZE messages")
        .execute(&mut conn)
        .await
        .expect("analyze");
    let (pkey_before, _) = index_use(&mut conn, "messages_pkey").await;
    let (_, room_scans_before) = index_use(&mut conn, "messages_room_id").await;

    // What a reader of the quiet room asks for: its page, where a stream
    // starts, what is new, the index page's newest message, marking read.
    let messages = store.messages();
    let page = messages
        .messages_before(quiet, None, 100)
        .await
        .expect("page");
    assert_eq!(page.messages.len(), 100);
    assert_eq!(page.messages.last().map(|m| m.id), Some(last_quiet.id));
    assert_eq!(page.older, QUIET - 100);
    assert_eq!(
        messages
            .count_before(quiet, newest_busy)
            .await
            .expect("count"),
        QUIET
    );
    assert_eq!(
        messages.newest_cursor(quiet).await.expect("newest cursor"),
        last_quiet.id
    );
    assert_eq!(
        messages.pos_at(quiet, newest_busy).await.expect("position"),
        last_quiet.pos
    );
    assert!(
        messages
            .news_after(quiet, last_quiet.id, 100)
            .await
            .expect("news")
            .is_empty()
    );
    assert!(
        messages
            .messages_after(quiet, last_quiet.id, 100)
            .await
            .expect("after")
            .is_empty()
    );
    let news = store.reading().room_news(bob.id).await.expect("room news");
    assert_eq!(news.len(), 1);
    assert_eq!(news[0].last_id, last_quiet.id);
    assert_eq!(
        store
            .reading()
            .mark_read(quiet, bob.id, newest_busy)
            .await
            .expect("read"),
        last_quiet.id
    );
    let reads = 8;

    // Each of those reads scans the room's index at least once. The
    // statistics arrive when each connection has gone idle (within about
    // a second on PostgreSQL 15): wait until all of them have.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, room_scans) = index_use(&mut conn, "messages_room_id").await;
        if room_scans - room_scans_before >= reads {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the quiet room's reads made {} scans of its index, fewer than its {reads} reads",
            room_scans - room_scans_before
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Another second for any connection whose figures came in later.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (pkey_after, _) = index_use(&mut conn, "messages_pkey").await;
    let walked = pkey_after - pkey_before;
    assert!(
        walked < BUSY / 10,
        "reading the quiet room took {walked} rows from the primary key: \
         a walk past the busy room's {BUSY} newer messages"
    );
    conn.close().await.expect("close");
}
