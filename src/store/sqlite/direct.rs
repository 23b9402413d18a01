//! Pages of messages read straight from SQLite, on the request's thread.
//!
//! sqlx's SQLite driver runs each connection on a thread of its own: a
//! statement's rows are copied value by value (`sqlite3_value_dup`, 23
//! allocations a message), sent one by one over a channel to the request's
//! thread, decoded there by column name and freed there, away from the
//! thread that allocated them. For a page of 100 messages that machinery
//! took more than half of the time (BENCHMARKS.md, thirteenth part); SQLite's
//! own work was a fifth. Here rusqlite (the same SQLite build as sqlx's)
//! steps a cached statement and decodes each column in place, by position.
//!
//! It runs on the calling thread, without a hand-over: a page is an index
//! seek and 100 rows from the operating system's file cache, tens of
//! microseconds, within what a task may take between two awaits. A reader
//! that finds the database busy (a rare recovery of the write-ahead log by
//! another connection) does not wait here: the caller falls back to the
//! pool, which waits on its own thread.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row};

use crate::store::StoreError;
use crate::store::error::Cause;

/// Connections kept between reads: as many as threads read at once, which
/// is at most the runtime's threads (a read never awaits).
const KEEP: usize = 4;

/// Read-only connections to the database file, opened on first use.
pub struct Direct {
    path: PathBuf,
    /// Each connection's page cache, in KiB (`READER_CACHE_KIB` in
    /// `mod.rs` says why it is small).
    cache_kib: u32,
    idle: Mutex<Vec<Connection>>,
    /// Set when the store closes: reads fail as the pools' do then.
    closed: AtomicBool,
}

/// Why a direct read did not answer.
pub enum Miss {
    /// Another connection holds a lock this read would wait for.
    Busy,
    /// A real failure.
    Failed(StoreError),
}

impl Direct {
    pub fn new(path: &Path, cache_kib: u32) -> Self {
        Self {
            path: path.to_owned(),
            cache_kib,
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }

    /// Closes the kept connections; later reads fail.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Runs `sql` with `params` and maps each row with `map`.
    pub fn rows<T>(
        &self,
        sql: &str,
        params: &[i64],
        map: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, Miss> {
        let conn = self.take()?;
        let answer = read(&conn, sql, params, map);
        self.give_back(conn);
        answer.map_err(miss)
    }

    fn take(&self) -> Result<Connection, Miss> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Miss::Failed(StoreError::unavailable(
                "the database is closed",
            )));
        }
        if let Some(conn) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(miss)?;
        // rusqlite waits 5 s for a lock by default: on the runtime's thread
        // that would stall every task queued behind this one.
        conn.busy_timeout(Duration::ZERO).map_err(miss)?;
        conn.pragma_update(None, "cache_size", -i64::from(self.cache_kib))
            .map_err(miss)?;
        Ok(conn)
    }

    /// A connection's `PRAGMA cache_size`, for the tests.
    #[cfg(test)]
    pub fn cache_size(&self) -> i64 {
        let Ok(conn) = self.take() else {
            panic!("no direct connection");
        };
        let size = conn
            .pragma_query_value(None, "cache_size", |row| row.get(0))
            .expect("cache_size");
        self.give_back(conn);
        size
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < KEEP && !self.closed.load(Ordering::SeqCst) {
            idle.push(conn);
        }
    }
}

fn read<T>(
    conn: &Connection,
    sql: &str,
    params: &[i64],
    map: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    for (i, value) in params.iter().enumerate() {
        statement.raw_bind_parameter(i + 1, value)?;
    }
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

fn miss(e: rusqlite::Error) -> Miss {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => Miss::Busy,
        Some(rusqlite::ErrorCode::CannotOpen) => Miss::Failed(StoreError::unavailable(format!(
            "cannot open the database for reading: {e}"
        ))),
        _ => Miss::Failed(StoreError::Other(Cause::from_boxed(Box::new(e)))),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Direct, Miss};
    use crate::domain::previews::{LinkPreview, Previews};
    use crate::domain::{Message, Quote};
    use crate::store::batch::testing::{NOW, batch, message};
    use crate::store::rows::WindowRow;
    use crate::store::sqlite::sql;
    use crate::store::sqlite::testing::scene;
    use crate::store::{Change, Lifecycle, Messages, Posting};

    /// Each message as text, with how many are older than it.
    fn shown(rows: Vec<WindowRow>) -> Vec<String> {
        rows.into_iter()
            .map(|r| {
                let older = r.older;
                format!("{older} {:?}", Message::from(r.message))
            })
            .collect()
    }

    /// A read that meets another connection's lock answers `Busy` at once,
    /// rather than waiting on the runtime's thread for the lock to go
    /// (rusqlite would wait 5 s); the backend then reads through the pool.
    #[test]
    fn a_locked_database_answers_busy_without_waiting() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("plain.sqlite3");
        let locker = rusqlite::Connection::open(&path).expect("open");
        locker
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .expect("table");
        let direct = Direct::new(&path, crate::store::sqlite::READER_CACHE_KIB);
        let one = |row: &rusqlite::Row<'_>| row.get::<_, i64>(0);
        assert!(matches!(
            direct.rows("SELECT x FROM t", &[], one).as_deref(),
            Ok([1])
        ));

        locker.execute_batch("BEGIN EXCLUSIVE;").expect("lock");
        let started = std::time::Instant::now();
        assert!(matches!(
            direct.rows("SELECT x FROM t", &[], one),
            Err(Miss::Busy)
        ));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "waited {:?} for the lock",
            started.elapsed()
        );
        locker.execute_batch("COMMIT;").expect("unlock");
        assert!(direct.rows("SELECT x FROM t", &[], one).is_ok());
    }

    #[tokio::test]
    async fn a_page_read_directly_is_the_page_the_pool_reads() {
        let (s, _dir) = scene().await;
        // Every kind of column filled: a file and a mention (the batch), a
        // reply to a message deleted since, a reaction, an edit, a preview.
        for m in batch(&s) {
            s.db.post_message(m).await.expect("post");
        }
        let posted = s.db.messages_after(s.room, 0, 10).await.expect("read");
        let (one, back, two) = (posted[0].id, posted[1].id, posted[2].id);
        let mut reply = message(s.room, s.users[3], NOW + 5, "an answer");
        reply.reply = Some(Quote {
            id: back,
            username: "carol".to_owned(),
            excerpt: "back".to_owned(),
            deleted: false,
        });
        s.db.post_message(reply).await.expect("reply");
        let changes = [
            (
                one,
                Change::React {
                    user_id: s.users[2],
                    emoji: "👍".to_owned(),
                    at: NOW + 6,
                },
            ),
            (
                two,
                Change::Edit {
                    content: "two, again".to_owned(),
                    html: "<p>two, again</p>".to_owned(),
                    mentions: vec!["bob".to_owned()],
                    mentioned: vec![s.users[1]],
                    at: NOW + 7,
                },
            ),
            (
                one,
                Change::Previews(Previews {
                    image: None,
                    link: Some(LinkPreview {
                        url: "https://example.com/".to_owned(),
                        title: "Example".to_owned(),
                        description: "An example".to_owned(),
                        image: None,
                    }),
                }),
            ),
            (back, Change::Delete { at: NOW + 8 }),
        ];
        for (id, change) in changes {
            s.db.change_message(s.room, id, change)
                .await
                .expect("change");
        }

        let statement = sql::window_sql(100);
        for before in [i64::MAX, two + 1, one] {
            let Ok(direct) =
                s.db.direct
                    .rows(&statement, &[s.room, before], WindowRow::direct)
            else {
                panic!("the direct read failed");
            };
            let pooled = sql::pooled_window_rows(s.db.reader(), statement.clone(), s.room, before)
                .await
                .expect("pooled read");
            assert_eq!(shown(direct), shown(pooled), "before {before}");
        }

        // The page holds what the columns were filled for.
        let page = s.db.messages_before(s.room, None, 100).await.expect("page");
        let m = &page.messages;
        assert_eq!(m.len(), 5, "{m:?}");
        assert_eq!(page.older, 0);
        assert!(m.iter().any(|m| m.file.is_some()));
        assert!(
            m.iter()
                .any(|m| m.edited.is_some() && m.mentions == ["bob"])
        );
        assert!(m.iter().any(|m| m.deleted.is_some()));
        assert!(
            m.iter()
                .any(|m| m.reply.as_ref().is_some_and(|q| q.deleted))
        );
        assert!(
            m.iter()
                .any(|m| !m.reactions.is_empty() && m.previews.link.is_some())
        );
        let before_two =
            s.db.messages_before(s.room, Some(two), 100)
                .await
                .expect("page");
        assert_eq!(before_two.messages.len(), 2);

        // Closed with the store, as the pools are.
        crate::store::Backend::close(&s.db).await;
        assert!(matches!(
            s.db.messages_before(s.room, None, 100).await,
            Err(crate::store::StoreError::Unavailable(_))
        ));
    }
}
