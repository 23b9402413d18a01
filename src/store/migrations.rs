//! The schema's migrations, embedded in the binary, one list per backend.
//!
//! Why not `sqlx::migrate!`: that macro (with `#[derive(sqlx::FromRow)]`,
//! replaced by [`crate::store::rows`]'s `from_row!`) was the only use of
//! sqlx's proc-macro crate, which compiles both database drivers, tokio,
//! rustls and SQLite's C a second time, for the compiler: about 200 s of CPU
//! in every fresh build (measured with `cargo build --timings`). The files
//! are read here by sqlx's own rules for a migrations directory
//! (`<version>_<description>.sql`, a first line `-- no-transaction`), and a
//! test compares the result with sqlx's reading of the directories:
//! versions, descriptions and checksums, which databases migrated by earlier
//! versions keep in `_sqlx_migrations`, are the same.

use std::borrow::Cow;

use futures_util::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// A migration file: its name and its SQL.
type File = (&'static str, &'static str);

/// Lists migration files of one directory under `migrations/`, embedded.
macro_rules! embed {
    ($dir:literal: $($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../../migrations/", $dir, "/", $file)))),*]
    };
}

/// SQLite's migrations (`migrations/sqlite`). A new file must be added here;
/// the test below fails until it is.
pub const SQLITE: &[File] = embed!("sqlite":
    "0001_initial.sql",
    "0002_admin.sql",
    "0003_mail.sql",
    "0004_seq_trigger.sql",
    "0005_catch_up.sql",
    "0006_overview.sql",
    "0007_operations.sql",
    "0008_search.sql",
    "0009_lifecycle.sql",
    "0010_rich.sql",
    "0011_push.sql",
    "0012_accounts.sql",
    "0013_integrations.sql",
    "0014_imports.sql",
    "0015_external_identities.sql",
    "0017_outgoing_hooks.sql",
    "0018_user_language_and_time_zone.sql",
    "0019_profiles.sql",
    "0022_search_merging.sql",
);

/// PostgreSQL's migrations (`migrations/postgres`).
pub const POSTGRES: &[File] = embed!("postgres":
    "0001_initial.sql",
    "0002_admin.sql",
    "0003_mail.sql",
    "0005_catch_up.sql",
    "0006_overview.sql",
    "0007_operations.sql",
    "0008_search.sql",
    "0009_lifecycle.sql",
    "0010_rich.sql",
    "0011_push.sql",
    "0012_accounts.sql",
    "0013_integrations.sql",
    "0014_imports.sql",
    "0015_external_identities.sql",
    "0017_outgoing_hooks.sql",
    "0018_user_language_and_time_zone.sql",
    "0019_profiles.sql",
    "0020_unlogged_throttle.sql",
    "0021_activity_per_statement.sql",
);

/// A list of embedded migration files, as sqlx's migrator reads them.
#[derive(Debug, Clone, Copy)]
pub struct Embedded(pub &'static [File]);

impl Embedded {
    /// The migrator that applies them.
    pub async fn migrator(self) -> Result<Migrator, sqlx::migrate::MigrateError> {
        Migrator::new(self).await
    }

    /// The migrations, parsed as sqlx parses a directory of them, in order of
    /// version.
    ///
    /// # Errors
    /// A file whose name does not begin with a version number.
    pub fn migrations(self) -> Result<Vec<Migration>, BoxDynError> {
        let mut migrations = Vec::with_capacity(self.0.len());
        for &(name, sql) in self.0 {
            let (version, rest) = name
                .split_once('_')
                .filter(|(_, rest)| rest.ends_with(".sql"))
                .ok_or_else(|| format!("{name:?} is not named <version>_<description>.sql"))?;
            let version: i64 = version
                .parse()
                .map_err(|_| format!("{name:?} does not begin with a version number"))?;
            let migration_type = MigrationType::from_filename(rest);
            let description = rest
                .trim_end_matches(migration_type.suffix())
                .replace('_', " ");
            migrations.push(Migration::new(
                version,
                Cow::Owned(description),
                migration_type,
                sqlx::SqlStr::from_static(sql),
                sql.starts_with("-- no-transaction"),
            ));
        }
        migrations.sort();
        Ok(migrations)
    }
}

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { self.migrations() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What identifies a migration to a database that applied it.
    fn identity(m: &Migration) -> (i64, String, bool, Vec<u8>, bool) {
        (
            m.version,
            m.description.to_string(),
            m.migration_type.is_reversible(),
            m.checksum.to_vec(),
            m.no_tx,
        )
    }

    async fn same_as_sqlx_reads(dir: &str, embedded: Embedded) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        let from_disk = Migrator::new(path.as_path())
            .await
            .expect("sqlx reads the directory");
        let from_binary = embedded.migrator().await.expect("the embedded list parses");
        let disk: Vec<_> = from_disk.iter().map(identity).collect();
        let binary: Vec<_> = from_binary.iter().map(identity).collect();
        assert_eq!(
            binary, disk,
            "the list in src/store/migrations.rs must name every file of migrations/{dir}"
        );
    }

    #[tokio::test]
    async fn sqlite_list_matches_the_directory_as_sqlx_reads_it() {
        same_as_sqlx_reads("sqlite", Embedded(SQLITE)).await;
    }

    #[tokio::test]
    async fn postgres_list_matches_the_directory_as_sqlx_reads_it() {
        same_as_sqlx_reads("postgres", Embedded(POSTGRES)).await;
    }

    #[test]
    fn a_misnamed_file_is_refused() {
        let err = Embedded(&[("initial.sql", "SELECT 1")])
            .migrations()
            .expect_err("no version");
        assert!(err.to_string().contains("initial.sql"), "{err}");
        let err = Embedded(&[("x1_initial.sql", "SELECT 1")])
            .migrations()
            .expect_err("no number");
        assert!(err.to_string().contains("version number"), "{err}");
    }

    #[test]
    fn no_transaction_is_read_from_the_first_line() {
        let m = Embedded(&[
            ("0002_b.sql", "-- no-transaction\nVACUUM"),
            ("0001_a_b.sql", "SELECT 1"),
        ])
        .migrations()
        .expect("parses");
        assert_eq!(
            m.iter()
                .map(|m| (m.version, m.description.to_string(), m.no_tx))
                .collect::<Vec<_>>(),
            vec![(1, "a b".to_string(), false), (2, "b".to_string(), true)]
        );
    }
}
