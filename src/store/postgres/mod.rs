//! The PostgreSQL backend: for sites that run several server nodes on one
//! database.
//!
//! One pool serves reads and writes; the server orders concurrent writers.
//! A post locks its room's row before the message row is inserted, so within
//! a room both `seq` and the id, which is taken from the sequence after that
//! lock, rise in commit order. Messages are stored by group commit
//! (`store/commit.rs`, `bulk.rs`). Behaviour matches the SQLite backend: the
//! conformance tests hold both to the same results.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Transaction};

use super::commit::Committer;
use super::{Changes, NewMessage, Posted, Result, StoreError};
use crate::config::redact_password;
use crate::metrics::StoreMetrics;

mod bulk;
mod throttles;

/// `in_room!(column, room)`: the condition "`column` is room `room`" in a
/// statement that walks one room's messages in id order (ordered by
/// `room_id, id`). A range of one room, not an equality: with `room_id =
/// R` the planner drops `room_id` from the order and may then walk the
/// primary key (`id`) instead, skipping other rooms' messages, because its
/// statistics say a room holds a share of the table but not where. For a
/// room quiet while others talk, that walk passes every newer message
/// (45 ms past 250,000 of them, and linear beyond; measured). With the
/// range, only the `(room_id, id)` index gives the order, and the B-tree
/// still starts at the room's id bound.
macro_rules! in_room {
    ($column:literal, $room:literal) => {
        concat!($column, " >= ", $room, " AND ", $column, " <= ", $room)
    };
}

// The shared SQL, compiled here for this backend (see its module comment).
#[allow(clippy::duplicate_mod)]
#[path = "../sql/mod.rs"]
mod sql;

/// The sqlx database the shared SQL is compiled for here.
type Db = sqlx::Postgres;

/// Connections per server node. Requests are short; ten keep a node busy
/// without crowding a server's default `max_connections` of 100.
const POOL_SIZE: u32 = 10;

/// How long a request waits for a free connection before it gives up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema, embedded.
const MIGRATIONS: super::migrations::Embedded =
    super::migrations::Embedded(super::migrations::POSTGRES);

/// The partial unique index that makes `client_id` idempotent.
const CLIENT_ID_INDEX: &str = "messages_client";

/// PostgreSQL storage: one pool for reads and writes.
pub struct Backend {
    pool: PgPool,
    throttles: throttles::Batcher,
    committer: Committer,
    metrics: StoreMetrics,
}

impl Backend {
    /// Connects to the database at `url` and migrates it.
    ///
    /// # Errors
    /// `Unavailable`, naming the URL without its password, when the database
    /// cannot be reached or migrated.
    pub async fn open(url: &str, metrics: StoreMetrics) -> Result<Self> {
        let shown = redact_password(url);
        let unavailable = |doing: &str, e: &dyn std::fmt::Display| {
            StoreError::unavailable(format!("cannot {doing} {shown}: {e}"))
        };
        let options: PgConnectOptions = url.parse().map_err(|e| unavailable("use", &e))?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.application_name("conversate"))
            .await
            .map_err(|e| unavailable("connect to", &e))?;
        // The migrator takes an advisory lock, so nodes starting together
        // apply each migration once.
        MIGRATIONS
            .migrator()
            .await
            .map_err(|e| unavailable("read the migrations of", &e))?
            .run(&pool)
            .await
            .map_err(|e| unavailable("migrate", &e))?;
        let (writer, counted) = (pool.clone(), metrics.clone());
        let committer = Committer::start(
            move |batch| bulk::commit_batch(writer.clone(), counted.clone(), batch),
            metrics.clone(),
        );
        Ok(Self {
            throttles: throttles::Batcher::start(pool.clone()),
            pool,
            committer,
            metrics,
        })
    }

    /// The rows of a page of history (`sql/messages.rs`).
    async fn window_rows(
        &self,
        sql: String,
        room_id: i64,
        before: i64,
    ) -> Result<Vec<crate::store::rows::WindowRow>> {
        sql::pooled_window_rows(self.reader(), sql, room_id, before).await
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn take_throttle(
        &self,
        key: &str,
        now: i64,
        interval: i64,
        tolerance: i64,
    ) -> Result<Option<i64>> {
        self.throttles.take(key, now, interval, tolerance).await
    }

    async fn begin(&self) -> Result<Transaction<'static, Db>> {
        begin_on(&self.pool, &self.metrics).await
    }

    async fn post(&self, m: NewMessage) -> Result<Posted> {
        self.committer.post(m).await
    }
}

/// A write transaction on `pool`, its wait for a connection measured.
async fn begin_on(pool: &PgPool, metrics: &StoreMetrics) -> Result<Transaction<'static, Db>> {
    let asked = std::time::Instant::now();
    let tx = pool.begin().await?;
    metrics
        .write_wait_seconds
        .observe(asked.elapsed().as_secs_f64());
    Ok(tx)
}

/// Stores one message in a transaction of its own: a batch of one, and the
/// careful path for a batch the bulk statements do not take.
async fn post_alone(pool: &PgPool, metrics: &StoreMetrics, m: NewMessage) -> Result<Posted> {
    let mut tx = begin_on(pool, metrics).await?;
    if let Some(client_id) = &m.client_id
        && let Some(message) = sql::earlier_send(&mut *tx, m.room_id, m.user_id, client_id).await?
    {
        tx.rollback().await?;
        return Ok(Posted::earlier(message));
    }
    // Locks the room's row until commit: posts to one room queue here.
    let (seq, pos): (i64, i64) = sqlx::query_as(
        "UPDATE rooms SET last_seq = last_seq + 1, last_pos = last_pos + 1 WHERE id = $1 \
         RETURNING last_seq, last_pos",
    )
    .bind(m.room_id)
    .fetch_one(&mut *tx)
    .await?;
    let inserted = sqlx::query_scalar_with(
        "INSERT INTO messages (room_id, user_id, created_at, content, html, client_id, \
         file_name, file_size, file_type, file_key, mentions, reply_to, seq, pos) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        sql::message_values(&m)?,
    )
    .bind(seq)
    .bind(pos)
    .fetch_one(&mut *tx)
    .await;
    let id: i64 = match inserted {
        Ok(id) => id,
        // Two sends with one client_id passed the check above together;
        // the other committed first (we waited for its room lock). Answer
        // with its message, as a later retry would get.
        Err(sqlx::Error::Database(db)) if db.constraint() == Some(CLIENT_ID_INDEX) => {
            tx.rollback().await?;
            let client_id = m.client_id.as_deref().unwrap_or_default();
            let message = sql::earlier_send(pool, m.room_id, m.user_id, client_id)
                .await?
                .ok_or_else(|| {
                    StoreError::other("a send with this client_id clashed, then vanished")
                })?;
            return Ok(Posted::earlier(message));
        }
        Err(e) => return Err(e.into()),
    };
    let posted = sql::after_insert(&mut tx, m, id, (seq, pos)).await?;
    tx.commit().await?;
    Ok(posted)
}

impl super::Backend for Backend {
    fn close(&self) -> futures_util::future::BoxFuture<'_, ()> {
        Box::pin(self.pool.close())
    }

    /// Other processes are heard through the event relay (`live::postgres`).
    fn watch(&self, _changes: Changes) {}

    fn pools(&self) -> Vec<super::PoolStats> {
        vec![super::PoolStats {
            name: "main",
            size: self.pool.size(),
            idle: self.pool.num_idle(),
            max: POOL_SIZE,
        }]
    }

    fn describe(&self) -> futures_util::future::BoxFuture<'_, Result<super::DatabaseInfo>> {
        Box::pin(async {
            let (version, bytes): (String, i64) = sqlx::query_as(
                "SELECT current_setting('server_version'), pg_database_size(current_database())",
            )
            .fetch_one(&self.pool)
            .await?;
            let commit: String = sqlx::query_scalar("SHOW synchronous_commit")
                .fetch_one(&self.pool)
                .await?;
            Ok(super::DatabaseInfo {
                version: format!("PostgreSQL {version}"),
                bytes,
                durability: format!("synchronous_commit={commit}"),
                migrations: (
                    sql::applied_migrations(&self.pool).await?,
                    MIGRATIONS.0.len(),
                ),
            })
        })
    }

    fn ping(&self) -> futures_util::future::BoxFuture<'_, Result<()>> {
        Box::pin(sql::ping(&self.pool, MIGRATIONS.0.len()))
    }
}

impl Backend {
    /// Search on PostgreSQL: `@@` on the generated `messages.search`
    /// column and its GIN index (migration 0008). Each term becomes a
    /// `tsquery` built by the server's own functions from bound text folded
    /// as the column is (`search_fold`): `phraseto_tsquery` for words and
    /// phrases, which reads no operators, and for a prefix the last token
    /// quoted with `:*`; the tokens are letters and digits only, so the
    /// quoting cannot be escaped. The terms are joined with `&&`. The
    /// statement is not kept prepared: a generic plan would not know how
    /// rare the words are.
    fn text_match(terms: &[crate::domain::search::Term]) -> sql::TextMatch {
        let mut binds = Vec::new();
        let mut param = |text: String| {
            binds.push(sql::Bind::Text(text));
            format!("search_fold(${})", binds.len())
        };
        let mut parts = Vec::new();
        for t in terms {
            let (last, head) = match t.tokens.split_last() {
                Some((last, head)) if t.prefix => (last, head),
                _ => {
                    let words = param(t.tokens.join(" "));
                    parts.push(format!("phraseto_tsquery('simple', {words})"));
                    continue;
                }
            };
            let prefix = param(last.clone());
            let prefix = format!("to_tsquery('simple', '''' || {prefix} || ''':*')");
            if head.is_empty() {
                parts.push(prefix);
            } else {
                let words = param(head.join(" "));
                parts.push(format!(
                    "(phraseto_tsquery('simple', {words}) <-> {prefix})"
                ));
            }
        }
        // Written out where it is used (the same placeholders twice), not
        // computed once in a subquery: the planner then sees the words and
        // estimates from the column's statistics how many rows match.
        let q = format!("({})", parts.join(" && "));
        sql::TextMatch {
            from: "messages m".to_owned(),
            candidates: "messages m".to_owned(),
            // Few matches: their ids from the GIN index first (the fence,
            // OFFSET 0, keeps that plan), then the rows by id. Without it a
            // rare word may be looked for row by row down the whole table.
            few: Some(format!(
                "(SELECT id FROM messages WHERE search @@ {q} OFFSET 0) fm \
                 JOIN messages m ON m.id = fm.id"
            )),
            condition: format!("m.search @@ {q}"),
            id: "m.id",
            score: format!("ts_rank(m.search, {q})"),
            // Planned with each query's words, never as a generic plan.
            persistent: false,
            binds,
        }
    }
}

/// A fresh cursor position for a changed message: the next number of the
/// message id sequence, taken after the room's row is locked, so within the
/// room it rises in commit order with the ids of new messages.
async fn next_rev(tx: &mut Transaction<'static, Db>) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('messages', 'id'))")
            .fetch_one(&mut **tx)
            .await?,
    )
}

#[async_trait::async_trait]
impl super::Maintenance for Backend {
    /// A bulk load leaves dead row versions (each message's room row is
    /// updated once per message) and stale statistics: vacuum and analyze
    /// the tables it wrote.
    async fn settle(&self) -> Result<()> {
        sqlx::query(
            "VACUUM (ANALYZE) users, rooms, members, messages, imported, \
             activity_days, activity_hours, activity_writers, room_files",
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn snapshot_into(&self, _path: &std::path::Path) -> Result<Vec<String>> {
        Err(StoreError::other(
            "PostgreSQL databases are backed up with pg_dump, not by conversate backup",
        ))
    }

    async fn file_keys(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT file_key FROM messages WHERE file_key IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The search column is generated by the server itself and cannot
    /// drift from the text; the GIN index over it can bloat or break, and
    /// `REINDEX CONCURRENTLY` builds it again while messages are posted.
    /// An interrupted one leaves an invalid `messages_search_ccnew` index
    /// that every insert would still maintain: those go first.
    async fn rebuild_search_index(&self) -> Result<i64> {
        let leftovers: Vec<String> = sqlx::query_scalar(
            "SELECT i.indexrelid::regclass::text FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = 'messages'::regclass AND NOT i.indisvalid \
             AND c.relname LIKE 'messages\\_search\\_ccnew%'",
        )
        .fetch_all(&self.pool)
        .await?;
        for name in leftovers {
            // The name is the server's own quoted form of an index's name.
            let drop = format!("DROP INDEX CONCURRENTLY IF EXISTS {name}");
            sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                .execute(&self.pool)
                .await?;
        }
        // Not in a transaction block, which CONCURRENTLY refuses: the
        // simple protocol, one statement.
        sqlx::raw_sql("REINDEX INDEX CONCURRENTLY messages_search")
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM messages")
            .fetch_one(&self.pool)
            .await?)
    }
}
