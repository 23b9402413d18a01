//! The SQLite backend: the default, embedded, one file in the data directory.
//!
//! Reads go through a small pool; every write goes through a single writer
//! connection with `BEGIN IMMEDIATE`, so writes queue in-process instead of
//! failing with `SQLITE_BUSY`. WAL mode lets reads run beside the writer.
//! Messages are stored by group commit (`store/commit.rs`, `bulk.rs`).

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqlitePool, Transaction};

use super::{Changes, NewMessage, Posted, Result, StoreError};
use crate::config::{SqliteSync, SqliteTuning};

mod bulk;
mod direct;

/// `in_room!(column, room)`: the condition "`column` is room `room`" in a
/// statement that walks one room's messages in id order (ordered by
/// `room_id, id`). An equality here: SQLite's planner takes the
/// `(room_id, id)` index for it, and seeks on the id bound too, which a
/// range on the room would stop (see PostgreSQL's, which differs).
macro_rules! in_room {
    ($column:literal, $room:literal) => {
        concat!($column, " = ", $room)
    };
}

// The shared SQL, compiled here for this backend (see its module comment).
#[allow(clippy::duplicate_mod)]
#[path = "../sql/mod.rs"]
mod sql;

use super::commit::Committer;

/// The sqlx database the shared SQL is compiled for here.
type Db = sqlx::Sqlite;

/// The schema, embedded.
const MIGRATIONS: super::migrations::Embedded =
    super::migrations::Embedded(super::migrations::SQLITE);

/// Read connections.
const READ_POOL: u32 = 4;
/// Each read connection's page cache, in KiB.
///
/// libsqlite3-sys builds SQLite with `SQLITE_ENABLE_MEMORY_MANAGEMENT`,
/// which puts every connection's page cache in one pool ("mode-2" in
/// `sqlite3.c`'s `pcache1Init`) whose only enforced limit is the sum of the
/// connections' `cache_size`s. In WAL mode a reader drops its whole cache
/// whenever another connection has committed since its last read, so under
/// writes the readers' share of that sum goes to the writer: with SQLite's
/// default of 2000 KiB on all nine connections the writer's cache grew past
/// 7 MiB, and the soak's memory stepped up by as much when it did
/// (BENCHMARKS.md, sixteenth part). Small readers' caches bound the whole
/// at about `SQLITE_CACHE_KIB` plus this much a reader; sends, a page of
/// history, the room page and search were as fast with them (sixteenth and
/// seventeenth parts), since a page a reader misses is in the operating
/// system's file cache.
const READER_CACHE_KIB: u32 = 256;

/// Rows a query's thread may hand over before the reader takes them: more
/// than the largest read of a request (a poll's batch of 200).
const ROW_CHANNEL: usize = 256;

/// How often the writer connection asks whether another process committed.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// SQLite storage: a read pool and a one-connection write pool on one file.
pub struct Backend {
    read: SqlitePool,
    write: SqlitePool,
    committer: Committer,
    metrics: crate::metrics::StoreMetrics,
    /// Pages of messages, read without the pool (`direct.rs`).
    direct: direct::Direct,
}

impl Backend {
    /// Opens (and when `create`, creates) the database file and migrates it.
    ///
    /// # Errors
    /// `Unavailable` when the file cannot be opened or migrated.
    pub async fn open(
        path: &Path,
        create: bool,
        tuning: SqliteTuning,
        metrics: crate::metrics::StoreMetrics,
    ) -> Result<Self> {
        let synchronous = match tuning.synchronous {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory")
            // Room for a whole page (and a poll's batch) of rows: with
            // sqlx's 50 the connection's thread stopped halfway through
            // every page and waited to be drained, a switch between threads
            // for each row after that on a busy core.
            .row_buffer_size(ROW_CHANNEL);
        let unavailable = |doing: &str, e: &dyn std::fmt::Display| {
            StoreError::unavailable(format!("cannot {doing} {}: {e}", path.display()))
        };
        // A connection to a local file does not go stale, so the pools skip
        // sqlx's ping before each use: it is a round trip to the
        // connection's thread, as dear as the query itself.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(
                options
                    .clone()
                    .pragma("cache_size", cache_size(tuning.cache_kib)),
            )
            .await
            .map_err(|e| unavailable("open", &e))?;
        MIGRATIONS
            .migrator()
            .await
            .map_err(|e| unavailable("read the migrations of", &e))?
            .run(&write)
            .await
            .map_err(|e| unavailable("migrate", &e))?;
        let read = SqlitePoolOptions::new()
            .max_connections(READ_POOL)
            .test_before_acquire(false)
            .connect_with(
                options
                    .read_only(true)
                    .pragma("cache_size", cache_size(READER_CACHE_KIB)),
            )
            .await
            .map_err(|e| unavailable("open for reading", &e))?;
        let pool = write.clone();
        let committer = Committer::start(
            move |batch| bulk::commit_batch(pool.clone(), batch),
            metrics.clone(),
        );
        Ok(Self {
            read,
            write,
            committer,
            metrics,
            direct: direct::Direct::new(path, READER_CACHE_KIB),
        })
    }

    /// The rows of a page of history (`sql/messages.rs`), read directly;
    /// through the pool when that would wait for a lock.
    async fn window_rows(
        &self,
        sql: String,
        room_id: i64,
        before: i64,
    ) -> Result<Vec<crate::store::rows::WindowRow>> {
        match self.direct.rows(
            &sql,
            &[room_id, before],
            crate::store::rows::WindowRow::direct,
        ) {
            Ok(rows) => Ok(rows),
            Err(direct::Miss::Busy) => {
                sql::pooled_window_rows(self.reader(), sql, room_id, before).await
            }
            Err(direct::Miss::Failed(e)) => Err(e),
        }
    }

    fn reader(&self) -> &SqlitePool {
        &self.read
    }

    fn writer(&self) -> &SqlitePool {
        &self.write
    }

    async fn take_throttle(
        &self,
        key: &str,
        now: i64,
        interval: i64,
        tolerance: i64,
    ) -> Result<Option<i64>> {
        sql::throttles::take_alone(&self.write, key, now, interval, tolerance).await
    }

    async fn begin(&self) -> Result<Transaction<'static, Db>> {
        let asked = std::time::Instant::now();
        let tx = match self.write.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => tx,
            Err(_) => {
                renew_writer(&self.write).await;
                self.write.begin_with("BEGIN IMMEDIATE").await?
            }
        };
        self.metrics
            .write_wait_seconds
            .observe(asked.elapsed().as_secs_f64());
        Ok(tx)
    }

    async fn post(&self, m: NewMessage) -> Result<Posted> {
        self.committer.post(m).await
    }
}

/// `PRAGMA cache_size`'s value for `kib` KiB (a negative number counts KiB,
/// a positive one pages).
fn cache_size(kib: u32) -> String {
    format!("-{kib}")
}

/// Replaces the writer connection after a failed write. A commit that
/// failed (`SQLITE_FULL`, say) can leave SQLite and sqlx disagreeing about
/// whether a transaction is still open, and every later `BEGIN` on that
/// connection then fails until a restart; a new connection starts clean.
async fn renew_writer(pool: &SqlitePool) {
    match pool.acquire().await {
        Ok(conn) => {
            if let Err(e) = conn.close().await {
                tracing::debug!(error = %e, "closing the writer connection failed");
            }
        }
        Err(e) => tracing::debug!(error = %e, "no writer connection to renew"),
    }
}

impl super::Backend for Backend {
    fn pools(&self) -> Vec<super::PoolStats> {
        [("read", &self.read, READ_POOL), ("write", &self.write, 1)]
            .into_iter()
            .map(|(name, pool, max)| super::PoolStats {
                name,
                size: pool.size(),
                idle: pool.num_idle(),
                max,
            })
            .collect()
    }

    fn describe(&self) -> futures_util::future::BoxFuture<'_, Result<super::DatabaseInfo>> {
        Box::pin(async {
            let version: String = sqlx::query_scalar("SELECT sqlite_version()")
                .fetch_one(&self.read)
                .await?;
            let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                .fetch_one(&self.read)
                .await?;
            let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
                .fetch_one(&self.read)
                .await?;
            // A per-connection setting: the writer's is the one that counts.
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&self.write)
                .await?;
            let word = match synchronous {
                0 => "OFF",
                1 => "NORMAL",
                2 => "FULL",
                _ => "EXTRA",
            };
            Ok(super::DatabaseInfo {
                version: format!("SQLite {version}"),
                bytes: pages.saturating_mul(page_size),
                durability: format!("synchronous={word}"),
                migrations: (
                    sql::applied_migrations(&self.read).await?,
                    MIGRATIONS.0.len(),
                ),
            })
        })
    }

    fn ping(&self) -> futures_util::future::BoxFuture<'_, Result<()>> {
        Box::pin(sql::ping(&self.read, MIGRATIONS.0.len()))
    }

    fn close(&self) -> futures_util::future::BoxFuture<'_, ()> {
        Box::pin(async {
            self.write.close().await;
            self.read.close().await;
            self.direct.close();
        })
    }

    /// Another process on the same file (the CLI, most often) commits
    /// without this one knowing. SQLite's `PRAGMA data_version` changes on a
    /// connection when any other connection commits; asked on the writer
    /// connection, which makes every commit of this process, it changes only
    /// for other processes' commits. A cheap question, asked a few times a
    /// second.
    fn watch(&self, changes: Changes) {
        let write = self.write.clone();
        tokio::spawn(async move {
            let mut last: Option<i64> = None;
            let mut tick = tokio::time::interval(WATCH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if write.is_closed() {
                    return;
                }
                let version: i64 = match sqlx::query_scalar("PRAGMA data_version")
                    .fetch_one(&write)
                    .await
                {
                    Ok(v) => v,
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(e) => {
                        tracing::debug!(error = %e, "cannot read data_version");
                        continue;
                    }
                };
                if last.is_some_and(|l| l != version) {
                    tracing::debug!("another process committed to the database");
                    changes.note();
                }
                last = Some(version);
            }
        });
    }
}

impl Backend {
    /// Search on SQLite: FTS5's `MATCH` on `messages_search` (migration
    /// 0008), driving the query (`CROSS JOIN` keeps it the outer loop), so
    /// newest-first reads the index backwards by rowid and stops at the
    /// page's end. Each term is one FTS5 string, a phrase of its tokens
    /// (letters and digits only), with `*` after it for a prefix; strings
    /// side by side must all match. No FTS5 syntax comes from the user.
    fn text_match(terms: &[crate::domain::search::Term]) -> sql::TextMatch {
        let expression = terms
            .iter()
            .map(|t| {
                let phrase = t.tokens.join(" ").replace('"', "\"\"");
                format!("\"{phrase}\"{}", if t.prefix { " *" } else { "" })
            })
            .collect::<Vec<_>>()
            .join(" ");
        sql::TextMatch {
            from: "messages_search s CROSS JOIN messages m ON m.id = s.rowid".to_owned(),
            candidates: "messages_search s".to_owned(),
            // FTS5 drives the query whatever the number of matches.
            few: None,
            persistent: true,
            condition: "messages_search MATCH $1".to_owned(),
            id: "s.rowid",
            // bm25 is lower for better matches.
            score: "-bm25(messages_search)".to_owned(),
            binds: vec![sql::Bind::Text(expression)],
        }
    }
}

/// A fresh cursor position for a changed message: the next number of the
/// message id sequence (`AUTOINCREMENT` keeps it in `sqlite_sequence` and
/// never hands out an id at or below it), so it sorts after every message
/// stored so far and before every later one.
async fn next_rev(tx: &mut Transaction<'static, Db>) -> Result<i64> {
    let rev: Option<i64> = sqlx::query_scalar(
        "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'messages' RETURNING seq",
    )
    .fetch_optional(&mut **tx)
    .await?;
    rev.ok_or(StoreError::NotFound)
}

#[async_trait::async_trait]
impl super::Maintenance for Backend {
    async fn settle(&self) -> Result<()> {
        // Statistics for the query planner over what was just loaded.
        sqlx::query("ANALYZE").execute(&self.write).await?;
        Ok(())
    }

    /// `VACUUM INTO` reads one consistent snapshot of the database on a
    /// read connection: in WAL mode writers go on meanwhile, and every
    /// transaction committed before it started is in the copy.
    async fn snapshot_into(&self, path: &Path) -> Result<Vec<String>> {
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::other("the backup path is not valid UTF-8"))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.read)
            .await?;
        // The files to copy are those the copy names, read from the copy
        // itself: a message stored since has its file in the live data only.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        let keys = sqlx::query_scalar(
            "SELECT file_key FROM messages WHERE file_key IS NOT NULL ORDER BY id",
        )
        .fetch_all(&pool)
        .await;
        pool.close().await;
        Ok(keys?)
    }

    async fn file_keys(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT file_key FROM messages WHERE file_key IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.read)
        .await?)
    }

    /// One write transaction: FTS5 reads every message again into a fresh
    /// index and then merges its segments into one, which is what queries
    /// read fastest. Done piecewise, it would race the triggers: a message
    /// edited before its turn would be taken out of an index that never
    /// held it, which FTS5 cannot tell from corruption.
    async fn rebuild_search_index(&self) -> Result<i64> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO messages_search (messages_search) VALUES ('rebuild')")
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO messages_search (messages_search) VALUES ('optimize')")
            .execute(&mut *tx)
            .await?;
        let indexed = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(indexed)
    }
}

#[cfg(test)]
pub(super) mod testing {
    use super::Backend;
    use crate::config::SqliteTuning;
    use crate::store::batch::testing::Scene;

    /// The batch tests' scene on a fresh database file, kept while the
    /// directory is.
    pub async fn scene() -> (Scene<Backend>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Backend::open(
            &dir.path().join("db.sqlite3"),
            true,
            SqliteTuning::default(),
            crate::metrics::StoreMetrics::default(),
        )
        .await
        .expect("open");
        (Scene::new(db).await, dir)
    }
}

#[cfg(test)]
mod tests {
    use super::{Backend, READ_POOL, READER_CACHE_KIB};
    use crate::config::{SqliteSync, SqliteTuning};

    /// `SQLITE_CACHE_KIB` sizes the writer's page cache and every kind of
    /// read connection keeps the small one: the pooled readers (each of
    /// them, held at once so that none is reused) and the direct readers.
    #[tokio::test]
    async fn the_page_cache_sizes_reach_every_kind_of_connection() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tuning = SqliteTuning {
            synchronous: SqliteSync::Full,
            cache_kib: 3000,
        };
        let db = Backend::open(
            &dir.path().join("db.sqlite3"),
            true,
            tuning,
            crate::metrics::StoreMetrics::default(),
        )
        .await
        .expect("open");
        let mut writer = db.write.acquire().await.expect("writer");
        let size: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&mut *writer)
            .await
            .expect("writer's cache_size");
        assert_eq!(size, -3000, "the writer");
        drop(writer);
        let mut readers = Vec::new();
        for _ in 0..READ_POOL {
            readers.push(db.read.acquire().await.expect("reader"));
        }
        for reader in &mut readers {
            let size: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut **reader)
                .await
                .expect("reader's cache_size");
            assert_eq!(size, -i64::from(READER_CACHE_KIB), "a pooled reader");
        }
        drop(readers);
        assert_eq!(
            db.direct.cache_size(),
            -i64::from(READER_CACHE_KIB),
            "a direct reader"
        );
    }

    /// Migration 0022's merge settings are in the search index's own
    /// configuration, and a rebuild of the index (`conversate search
    /// rebuild`) keeps them: FTS5 would otherwise fall back to merging four
    /// segments to a level, silently.
    #[tokio::test]
    async fn the_search_index_merges_sixteen_segments_to_a_level_and_keeps_it() {
        use crate::store::Maintenance;
        let (scene, _dir) = super::testing::scene().await;
        let db = scene.db;
        let settings = || async {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT k, v FROM messages_search_config \
                 WHERE k IN ('automerge', 'crisismerge') ORDER BY k",
            )
            .fetch_all(&db.write)
            .await
            .expect("the index's configuration");
            rows
        };
        let expected = vec![("automerge".to_owned(), 16), ("crisismerge".to_owned(), 64)];
        assert_eq!(settings().await, expected, "after the migrations");
        db.rebuild_search_index().await.expect("rebuild");
        assert_eq!(settings().await, expected, "after a rebuild");
    }
}
