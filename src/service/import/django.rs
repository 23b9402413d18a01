//! Reading a django-conversate database (SQLite or PostgreSQL) as Django
//! left it: `auth_user`, `conversate_room`, `conversate_roomuser` and
//! `conversate_message` (django-conversate 0.3's models).
//!
//! The same statements run on both engines; only turning a Django date into
//! Unix seconds differs. Ids, numbers and flags are cast to 64-bit integers
//! in SQL, since the column types differ between engines (PostgreSQL
//! `integer` and `boolean`, SQLite's loose types).

use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, PgPool, SqlitePool};

use crate::config::redact_password;

/// An account of the Django site.
#[derive(Debug, Clone)]
pub struct DjangoUser {
    pub id: i64,
    pub username: String,
    /// Django's encoded hash (`pbkdf2_sha256$…`); `!…` for an unusable one.
    pub password: String,
    pub email: String,
    pub is_superuser: bool,
    pub is_active: bool,
    pub date_joined: i64,
}

/// A room.
#[derive(Debug, Clone)]
pub struct DjangoRoom {
    pub id: i64,
    pub slug: String,
    pub title: String,
}

/// A membership (`RoomUser`).
#[derive(Debug, Clone)]
pub struct DjangoMember {
    pub id: i64,
    pub room_id: i64,
    pub user_id: i64,
    pub colour: String,
    pub alert: bool,
    pub mail_alert: bool,
    pub last_spoke: Option<i64>,
}

/// A message; `file` is the `FileField`'s name, relative to the site's
/// `CONVERSATE_STORE_ROOT` (its `MEDIA_ROOT` by default), empty for none.
#[derive(Debug, Clone)]
pub struct DjangoMessage {
    pub id: i64,
    pub room_id: i64,
    pub user_id: i64,
    pub timestamp: i64,
    pub content: String,
    pub file: Option<String>,
}

/// Why the source database cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("The source database URL must start with sqlite:// or postgres:// (it was {0}).")]
    Scheme(String),
    #[error("Cannot open the django-conversate database {url}: {cause}")]
    Open { url: String, cause: String },
    #[error(
        "The database {url} does not look like a django-conversate site ({cause}); \
         run Django's migrate there first."
    )]
    NotDjango { url: String, cause: String },
}

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open django-conversate database, read only.
pub struct DjangoSource {
    pool: Pool,
    url: String,
}

/// Runs one statement on whichever engine the source is, with the same binds.
macro_rules! fetch_all {
    ($source:expr, $sql:expr, $row:ty $(, $bind:expr)*) => {{
        let sql: String = $sql;
        let rows: Result<Vec<$row>, sqlx::Error> = match &$source.pool {
            Pool::Sqlite(p) => sqlx::query_as(AssertSqlSafe(sql))$(.bind($bind))*.fetch_all(p).await,
            Pool::Postgres(p) => sqlx::query_as(AssertSqlSafe(sql))$(.bind($bind))*.fetch_all(p).await,
        };
        rows.map_err(|e| $source.not_django(&e))
    }};
}

type UserRow = (i64, String, String, Option<String>, i64, i64, i64);
type MemberRow = (i64, i64, i64, String, i64, i64, Option<i64>);
type MessageRow = (i64, i64, i64, i64, String, Option<String>);

impl DjangoSource {
    /// Opens the database at `url` (`sqlite://path` or `postgres://…`);
    /// a SQLite file is opened read-only and never created.
    ///
    /// # Errors
    /// An unknown scheme, or a database that cannot be opened.
    pub async fn open(url: &str) -> Result<Self, SourceError> {
        let shown = redact_password(url);
        let failed = |e: sqlx::Error| SourceError::Open {
            url: shown.clone(),
            cause: e.to_string(),
        };
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(failed)?
                .read_only(true)
                .create_if_missing(false);
            Pool::Sqlite(
                sqlx::pool::PoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .map_err(failed)?,
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Pool::Postgres(
                sqlx::pool::PoolOptions::new()
                    .max_connections(2)
                    .connect(url)
                    .await
                    .map_err(failed)?,
            )
        } else {
            return Err(SourceError::Scheme(shown));
        };
        Ok(Self { pool, url: shown })
    }

    fn not_django(&self, e: &sqlx::Error) -> SourceError {
        SourceError::NotDjango {
            url: self.url.clone(),
            cause: e.to_string(),
        }
    }

    /// Unix seconds of a Django date column, on this engine.
    fn epoch(&self, column: &str) -> String {
        match self.pool {
            Pool::Sqlite(_) => format!("CAST(strftime('%s', {column}) AS BIGINT)"),
            Pool::Postgres(_) => format!("CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"),
        }
    }

    /// Names this Django site, so that importing it again is recognised
    /// wherever its database now lives: the time its first migration ran.
    ///
    /// # Errors
    /// When the database has no Django tables.
    pub async fn fingerprint(&self) -> Result<String, SourceError> {
        let rows = fetch_all!(
            self,
            format!(
                "SELECT {} FROM django_migrations WHERE id = (SELECT MIN(id) FROM django_migrations)",
                self.epoch("applied")
            ),
            (i64,)
        )?;
        // Fails early, with the same sentence, when the app's tables are missing.
        fetch_all!(
            self,
            "SELECT 1 FROM conversate_room WHERE 1 = 0".to_owned(),
            (i64,)
        )?;
        let first = rows.first().map_or(0, |r| r.0);
        Ok(format!("django-conversate:{first}"))
    }

    /// Every room, by id.
    ///
    /// # Errors
    /// When the tables cannot be read.
    pub async fn rooms(&self) -> Result<Vec<DjangoRoom>, SourceError> {
        let rows = fetch_all!(
            self,
            "SELECT CAST(id AS BIGINT), slug, title FROM conversate_room ORDER BY id".to_owned(),
            (i64, String, String)
        )?;
        Ok(rows
            .into_iter()
            .map(|(id, slug, title)| DjangoRoom { id, slug, title })
            .collect())
    }

    /// Every membership, by id.
    ///
    /// # Errors
    /// When the tables cannot be read.
    pub async fn members(&self) -> Result<Vec<DjangoMember>, SourceError> {
        let rows = fetch_all!(
            self,
            format!(
                "SELECT CAST(id AS BIGINT), CAST(room_id AS BIGINT), CAST(user_id AS BIGINT), \
                 colour, CAST(CASE WHEN alert THEN 1 ELSE 0 END AS BIGINT), \
                 CAST(CASE WHEN mail_alert THEN 1 ELSE 0 END AS BIGINT), {} \
                 FROM conversate_roomuser ORDER BY id",
                self.epoch("last_spoke")
            ),
            MemberRow
        )?;
        Ok(rows
            .into_iter()
            .map(|r| DjangoMember {
                id: r.0,
                room_id: r.1,
                user_id: r.2,
                colour: r.3,
                alert: r.4 != 0,
                mail_alert: r.5 != 0,
                last_spoke: r.6,
            })
            .collect())
    }

    /// The accounts that are members of a room or wrote a message, by id.
    ///
    /// # Errors
    /// When the tables cannot be read.
    pub async fn users(&self) -> Result<Vec<DjangoUser>, SourceError> {
        let rows = fetch_all!(
            self,
            format!(
                "SELECT CAST(id AS BIGINT), username, password, email, \
                 CAST(CASE WHEN is_superuser THEN 1 ELSE 0 END AS BIGINT), \
                 CAST(CASE WHEN is_active THEN 1 ELSE 0 END AS BIGINT), {} FROM auth_user \
                 WHERE id IN (SELECT user_id FROM conversate_roomuser \
                 UNION SELECT user_id FROM conversate_message) ORDER BY id",
                self.epoch("date_joined")
            ),
            UserRow
        )?;
        Ok(rows
            .into_iter()
            .map(|r| DjangoUser {
                id: r.0,
                username: r.1,
                password: r.2,
                email: r.3.unwrap_or_default(),
                is_superuser: r.4 != 0,
                is_active: r.5 != 0,
                date_joined: r.6,
            })
            .collect())
    }

    /// How many messages each room has, by room id.
    ///
    /// # Errors
    /// When the tables cannot be read.
    pub async fn message_counts(&self) -> Result<Vec<(i64, i64)>, SourceError> {
        fetch_all!(
            self,
            "SELECT CAST(room_id AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM conversate_message \
             GROUP BY room_id"
                .to_owned(),
            (i64, i64)
        )
    }

    /// Up to `limit` messages of a room after (`timestamp`, `id`) `after`,
    /// in the order the original shows them: by time, then id.
    ///
    /// # Errors
    /// When the tables cannot be read.
    pub async fn messages(
        &self,
        room_id: i64,
        after: (i64, i64),
        limit: i64,
    ) -> Result<Vec<DjangoMessage>, SourceError> {
        let rows = fetch_all!(
            self,
            "SELECT CAST(id AS BIGINT), CAST(room_id AS BIGINT), CAST(user_id AS BIGINT), \
             CAST(\"timestamp\" AS BIGINT), content, file FROM conversate_message \
             WHERE room_id = $1 AND (\"timestamp\" > $2 OR (\"timestamp\" = $2 AND id > $3)) \
             ORDER BY \"timestamp\", id LIMIT $4"
                .to_owned(),
            MessageRow,
            room_id,
            after.0,
            after.1,
            limit
        )?;
        Ok(rows
            .into_iter()
            .map(|r| DjangoMessage {
                id: r.0,
                room_id: r.1,
                user_id: r.2,
                timestamp: r.3,
                content: r.4,
                file: r.5.filter(|f| !f.is_empty()),
            })
            .collect())
    }

    /// Closes the connections.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}
