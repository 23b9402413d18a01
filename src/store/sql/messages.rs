//! Reading messages, and the door to the backend's posting path.

use super::Backend;
use crate::domain::Message;
use crate::store::rows::{MESSAGE_COLUMNS, MESSAGE_FROM, MessageRow, WalkRow, WindowRow};
use crate::store::{Messages, NewMessage, Posted, Posting, Result, Window};

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
            concat!(
                "SELECT {columns} FROM {from} WHERE ",
                in_room!("m.room_id", "$1"),
                " AND m.id > $2 ORDER BY m.room_id, m.id LIMIT {limit}"
            ),
            columns = MESSAGE_COLUMNS,
            from = MESSAGE_FROM,
            limit = limit,
        )))
        .bind(room_id)
        .bind(after)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(Message::from).collect())
    }

    async fn news_after(&self, room_id: i64, after: i64, limit: u32) -> Result<Vec<Message>> {
        // A round can stop short of `limit` (see `news_round`); more rounds
        // fill the batch, so a short batch means nothing more follows (the
        // service learns "nothing newer" from that).
        let mut news: Vec<Message> = Vec::new();
        let mut cursor = after;
        while news.len() < limit as usize {
            let want = limit - u32::try_from(news.len()).unwrap_or(limit);
            let (round, complete) = self.news_round(room_id, cursor, want).await?;
            let Some(last) = round.last() else { break };
            cursor = last.rev;
            news.extend(round);
            if complete {
                break;
            }
        }
        Ok(news)
    }

    async fn messages_before(
        &self,
        room_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Window> {
        let sql = window_sql(limit);
        let rows = self
            .window_rows(sql, room_id, before.unwrap_or(i64::MAX))
            .await?;
        let older = rows.last().map_or(0, |r| r.older);
        Ok(Window {
            messages: rows.into_iter().rev().map(|r| r.message.into()).collect(),
            older,
        })
    }

    async fn count_before(&self, room_id: i64, id: i64) -> Result<i64> {
        // Seqs are contiguous within a room apart from removed prefixes, so
        // the count is a difference of two index look-ups, not a scan; one
        // statement, since every room page and history page asks.
        let count: Option<i64> = sqlx::query_scalar(concat!(
            "SELECT (SELECT seq FROM messages WHERE ",
            in_room!("room_id", "$1"),
            " AND id < $2 ORDER BY room_id DESC, id DESC LIMIT 1) \
             - (SELECT seq FROM messages WHERE ",
            in_room!("room_id", "$1"),
            " ORDER BY room_id, id LIMIT 1) + 1"
        ))
        .bind(room_id)
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        Ok(count.unwrap_or(0))
    }

    async fn pos_at(&self, room_id: i64, cursor: i64) -> Result<i64> {
        // Positions and cursor positions rise together within a room, so the
        // largest position among rows at or before the cursor is at most
        // the position reached then (a row's earlier events are superseded,
        // which only makes it smaller: a stream then refills once). Two
        // candidates: the newest message at or before the cursor, by its
        // position if it is unchanged, else by its seq (a changed row keeps
        // only its latest position, and its seq was at most its first,
        // since every message moves both counters); and the latest change
        // at or before the cursor. No filter on the first walk: one on
        // `rev` left PostgreSQL without an estimate for a fresh table, and
        // it then sorted the whole room instead (7 ms at 30,000 messages).
        // One statement: every event stream opens with it.
        let at: Option<i64> = sqlx::query_scalar(concat!(
            "SELECT MAX(p) FROM (SELECT (SELECT CASE WHEN rev IS NULL \
             THEN COALESCE(pos, seq) ELSE seq END FROM messages WHERE ",
            in_room!("room_id", "$1"),
            " AND id <= $2 ORDER BY room_id DESC, id DESC LIMIT 1) AS p \
             UNION ALL SELECT (SELECT pos FROM messages WHERE room_id = $1 AND rev <= $2 \
             ORDER BY rev DESC LIMIT 1)) AS at_cursor"
        ))
        .bind(room_id)
        .bind(cursor)
        .fetch_one(self.reader())
        .await?;
        Ok(at.unwrap_or(0))
    }

    async fn newest_cursor(&self, room_id: i64) -> Result<i64> {
        // The latest change through the partial index of changed rows,
        // which only a condition on `rev` lets SQLite use: `MAX(rev)` read
        // every row of the room instead (126 ms at 1,000,000 messages, on
        // every event stream opened without a cursor).
        let (id, rev): (i64, i64) = sqlx::query_as(concat!(
            "SELECT COALESCE((SELECT id FROM messages WHERE ",
            in_room!("room_id", "$1"),
            " ORDER BY room_id DESC, id DESC LIMIT 1), 0), \
                 COALESCE((SELECT rev FROM messages WHERE room_id = $1 AND rev IS NOT NULL \
                 ORDER BY rev DESC LIMIT 1), 0)"
        ))
        .bind(room_id)
        .fetch_one(self.reader())
        .await?;
        Ok(id.max(rev))
    }

    async fn message(&self, room_id: i64, id: i64) -> Result<Message> {
        let row: MessageRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
             WHERE m.room_id = $1 AND m.id = $2"
        )))
        .bind(room_id)
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        Ok(row.into())
    }
}

impl Backend {
    /// Up to `limit` messages past cursor `after`, in cursor order, and
    /// whether they are all there are. Two index walks, each in cursor
    /// order: unchanged new messages by id, and changed messages by rev.
    /// Whatever a walk left out lies past its last row, so the merge is
    /// complete up to the smaller of the two ends, and cut there (never
    /// empty while news exist: the first of either walk is below both ends).
    /// Both walks are one statement: on PostgreSQL each statement is a
    /// round trip, and a send's answer on a cluster often comes here.
    async fn news_round(
        &self,
        room_id: i64,
        after: i64,
        limit: u32,
    ) -> Result<(Vec<Message>, bool)> {
        let rows: Vec<WalkRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            concat!(
                "SELECT * FROM (SELECT {columns}, CAST(0 AS BIGINT) AS walk FROM {from} WHERE ",
                in_room!("m.room_id", "$1"),
                " AND m.id > $2 AND m.rev IS NULL \
                 ORDER BY m.room_id, m.id LIMIT {limit}) AS unchanged \
                 UNION ALL \
                 SELECT * FROM (SELECT {columns}, CAST(1 AS BIGINT) AS walk FROM {from} \
                 WHERE m.room_id = $1 AND m.rev > $2 \
                 ORDER BY m.rev LIMIT {limit}) AS changed"
            ),
            columns = MESSAGE_COLUMNS,
            from = MESSAGE_FROM,
            limit = limit,
        )))
        .bind(room_id)
        .bind(after)
        .fetch_all(self.reader())
        .await?;
        let full = limit as usize;
        // A walk that filled its limit may have left rows out past its
        // last (highest) position; one that did not left nothing out.
        let end = |walk: i64| {
            let mine = rows.iter().filter(|r| r.walk == walk);
            if mine.clone().count() >= full {
                mine.map(|r| r.message.rev()).max().unwrap_or(i64::MAX)
            } else {
                i64::MAX
            }
        };
        let cut = end(0).min(end(1));
        let mut news: Vec<Message> = rows
            .into_iter()
            .map(|r| Message::from(r.message))
            .filter(|m| m.rev <= cut)
            .collect();
        news.sort_by_key(|m| m.rev);
        let complete = cut == i64::MAX && news.len() <= full;
        news.truncate(full);
        Ok((news, complete))
    }
}

/// The rows of a page of history: statement `sql` (as `messages_before`
/// writes it, `$1` the room and `$2` the bound) through `pool`. A backend's
/// `window_rows` runs it here, or reads it another way (SQLite's `direct`).
pub(in crate::store) async fn pooled_window_rows(
    pool: &sqlx::Pool<super::Db>,
    sql: String,
    room_id: i64,
    before: i64,
) -> Result<Vec<WindowRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(room_id)
        .bind(before)
        .fetch_all(pool)
        .await?)
}

/// A page of history: up to `limit` messages of room `$1` before id `$2`,
/// newest first, each with how many of the room's messages are older. How
/// many are older comes with the rows: seqs are contiguous within a room
/// apart from removed prefixes (see `count_before`), so it is a row's seq
/// less the room's first, whose look-up is uncorrelated and runs once per
/// statement on both databases. One statement instead of two: each is a
/// trip to the database.
pub(in crate::store) fn window_sql(limit: u32) -> String {
    format!(
        concat!(
            "SELECT {columns}, m.seq - (SELECT f.seq FROM messages f WHERE ",
            in_room!("f.room_id", "$1"),
            " ORDER BY f.room_id, f.id LIMIT 1) AS older FROM {from} WHERE ",
            in_room!("m.room_id", "$1"),
            " AND m.id < $2 ORDER BY m.room_id DESC, m.id DESC LIMIT {limit}"
        ),
        columns = MESSAGE_COLUMNS,
        from = MESSAGE_FROM,
        limit = limit,
    )
}
