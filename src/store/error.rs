//! Storage errors as kinds callers can act on, each keeping its cause.
//!
//! sqlx errors stop here: [`From<sqlx::Error>`] sorts them into kinds once
//! for both backends. Sentences for people belong to the service and web
//! layers, which know what was being done.

use std::sync::Arc;

/// The underlying error, shared so a result can go to every sender of a
/// group commit.
#[derive(Debug, Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    /// A cause that is only a description (no error value to keep).
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        let text: String = text.into();
        Self(Arc::from(Box::<dyn std::error::Error + Send + Sync>::from(
            text,
        )))
    }
}

impl Cause {
    /// A boxed error, as sqlx hands out for encoding failures.
    #[must_use]
    pub fn from_boxed(e: Box<dyn std::error::Error + Send + Sync>) -> Self {
        Self(Arc::from(e))
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// What went wrong in storage.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write (a taken username or slug, an
    /// existing membership); the caller knows which.
    #[error("already exists")]
    Conflict,
    /// The database could not be reached, is shutting down or overloaded;
    /// worth retrying.
    #[error("the database is unavailable")]
    Unavailable(#[source] Cause),
    /// The disk (or the database server's) is full: nothing was written.
    #[error("the disk is full")]
    Full(#[source] Cause),
    /// Anything else.
    #[error("database error")]
    Other(#[source] Cause),
}

impl StoreError {
    /// `Unavailable` with a description.
    #[must_use]
    pub fn unavailable(text: impl Into<String>) -> Self {
        Self::Unavailable(Cause::text(text))
    }

    /// `Other` with a description.
    #[must_use]
    pub fn other(text: impl Into<String>) -> Self {
        Self::Other(Cause::text(text))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let transient = match &e {
            sqlx::Error::RowNotFound => return Self::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => return Self::Conflict,
            sqlx::Error::Database(db) if db.code().is_some_and(|code| is_full(&code)) => {
                return Self::Full(Cause(Arc::new(e)));
            }
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    sqlite_is_transient(&code)
                } else {
                    sqlstate_is_transient(&code)
                }
            }),
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => true,
            _ => false,
        };
        let cause = Cause(Arc::new(e));
        if transient {
            Self::Unavailable(cause)
        } else {
            Self::Other(cause)
        }
    }
}

/// `SQLITE_FULL` (13, with extended codes in the high bits) or
/// PostgreSQL's `disk_full` (53100).
fn is_full(code: &str) -> bool {
    code == "53100" || code.parse::<u32>().is_ok_and(|code| code & 0xff == 13)
}

/// SQLite result codes worth retrying: `SQLITE_BUSY` (5) and
/// `SQLITE_LOCKED` (6), with their extended codes in the high bits.
fn sqlite_is_transient(code: &str) -> bool {
    code.parse::<u32>()
        .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
}

/// PostgreSQL SQLSTATEs worth retrying: the connection or server going
/// away, out of resources, or a lost serialisation race.
fn sqlstate_is_transient(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || code.starts_with("53") // insufficient resources
        || code.starts_with("57P") // admin or crash shutdown, cannot connect now
        || code == "40001" // serialization failure
        || code == "40P01" // deadlock detected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_connection_codes_are_transient_and_others_are_not() {
        for code in ["5", "517", "6", "262"] {
            assert!(sqlite_is_transient(code), "{code}");
        }
        for code in ["1", "19", "2067", "08006"] {
            assert!(!sqlite_is_transient(code), "{code}");
        }
        for code in ["08006", "53300", "57P01", "40001", "40P01"] {
            assert!(sqlstate_is_transient(code), "{code}");
        }
        for code in ["23505", "42P01", "XX000", "5"] {
            assert!(!sqlstate_is_transient(code), "{code}");
        }
    }

    #[test]
    fn a_full_disk_is_its_own_kind() {
        assert!(is_full("13") && is_full("53100"));
        assert!(!is_full("5") && !is_full("53300") && !is_full("23505"));
    }

    #[test]
    fn the_cause_is_kept() {
        let e = StoreError::from(sqlx::Error::PoolTimedOut);
        assert!(matches!(e, StoreError::Unavailable(_)));
        let source = std::error::Error::source(&e).expect("a cause");
        assert_eq!(source.to_string(), sqlx::Error::PoolTimedOut.to_string());
    }
}
