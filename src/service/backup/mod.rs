//! `conversate backup OUT` and `conversate restore IN`, and the scheduled
//! backups of `BACKUP_DIR`.
//!
//! A backup is a directory: `conversate.db` (SQLite: one consistent copy
//! made by `VACUUM INTO` while the server keeps writing, holding every
//! message committed, so acknowledged, before it began), `files/<key>` (the
//! files that copy's messages name, read through the file storage, local or
//! bucket), and `MANIFEST.json` (what it holds). On PostgreSQL the database
//! is the job of `pg_dump`: the backup holds the files and a `README.txt`
//! saying how to dump and restore the database.
//!
//! A restore goes only into an empty data directory (a fresh database file
//! and an empty file storage), never over data.

pub mod schedule;

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::ServiceError;
use super::progress::Progress;
use crate::config::{Config, DatabaseUrl};
use crate::files::Files;
use crate::store::Store;

/// The format written in `MANIFEST.json`.
pub const FORMAT: &str = "conversate-backup/1";
/// The database copy's name in a backup.
pub const DATABASE_FILE: &str = "conversate.db";

/// What a backup holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// Unix seconds when the copy of the database was taken.
    pub created_at: i64,
    /// `sqlite` (the database is in the backup) or `postgresql` (it is not).
    pub database: String,
    /// The files, by storage key, with their sizes.
    pub files: Vec<FileEntry>,
    /// Files the database names that the storage no longer had.
    pub missing: Vec<String>,
}

/// One file of a backup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    pub key: String,
    pub size: u64,
}

/// The guidance for a PostgreSQL site, also written into the backup.
pub const POSTGRES_GUIDANCE: &str = "\
This site keeps its database in PostgreSQL, which conversate backup does not copy.
Back it up with PostgreSQL's own tool, at the same time as this backup of the files:
    pg_dump --format=custom --file=conversate.dump \"$CONVERSATE_DATABASE_URL\"
and restore it into an empty database with:
    pg_restore --no-owner --dbname=\"$CONVERSATE_DATABASE_URL\" conversate.dump
A file whose message is in the dump but not here was removed in between; take
the dump first, then this backup, so every file the dump names is here.
With STORE_URL=s3://…, the bucket's own versioning or replication is the
better copy of the files.
";

fn failed(doing: &str, path: &Path, e: &std::io::Error) -> ServiceError {
    ServiceError::Invalid(format!("Cannot {doing} {}: {e}.", path.display()))
}

/// Writes a backup of the running site into the new directory `out`.
///
/// # Errors
/// `Invalid` when `out` exists or cannot be written; storage errors.
#[tracing::instrument(skip_all, fields(out = %out.display()))]
pub async fn backup(
    store: &Store,
    files: &Files,
    database: &DatabaseUrl,
    out: &Path,
    progress: &dyn Progress,
) -> Result<Manifest, ServiceError> {
    if out.exists() {
        return Err(ServiceError::Invalid(format!(
            "{} already exists; a backup goes into a new directory.",
            out.display()
        )));
    }
    // Written under a temporary name and renamed when whole, so a backup
    // directory that exists is a complete one.
    let partial = partial_path(out);
    let _ = tokio::fs::remove_dir_all(&partial).await;
    tokio::fs::create_dir_all(partial.join("files"))
        .await
        .map_err(|e| failed("create", &partial, &e))?;
    let result = write_backup(store, files, database, &partial, progress).await;
    match result {
        Ok(manifest) => {
            tokio::fs::rename(&partial, out)
                .await
                .map_err(|e| failed("finish", out, &e))?;
            Ok(manifest)
        }
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&partial).await;
            Err(e)
        }
    }
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

async fn write_backup(
    store: &Store,
    files: &Files,
    database: &DatabaseUrl,
    dir: &Path,
    progress: &dyn Progress,
) -> Result<Manifest, ServiceError> {
    let created_at = crate::domain::now();
    let (kind, keys) = match database {
        DatabaseUrl::Sqlite { .. } => {
            progress.stage("database", 1);
            let keys = store
                .maintenance()
                .snapshot_into(&dir.join(DATABASE_FILE))
                .await?;
            progress.advance(1);
            progress.finish();
            ("sqlite", keys)
        }
        DatabaseUrl::Postgres(_) => {
            progress.note(POSTGRES_GUIDANCE);
            write_text(&dir.join("README.txt"), POSTGRES_GUIDANCE).await?;
            ("postgresql", store.maintenance().file_keys().await?)
        }
    };
    progress.stage("files", keys.len() as u64);
    let mut manifest = Manifest {
        format: FORMAT.to_owned(),
        created_at,
        database: kind.to_owned(),
        files: Vec::with_capacity(keys.len()),
        missing: Vec::new(),
    };
    for key in keys {
        match copy_out(files, &key, &dir.join("files").join(&key)).await? {
            Some(size) => manifest.files.push(FileEntry { key, size }),
            None => {
                progress.note(&format!("The file {key} is gone from the storage."));
                manifest.missing.push(key);
            }
        }
        progress.advance(1);
    }
    progress.finish();
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    write_text(&dir.join("MANIFEST.json"), &json).await?;
    Ok(manifest)
}

async fn write_text(path: &Path, text: &str) -> Result<(), ServiceError> {
    let mut f = tokio::fs::File::create(path)
        .await
        .map_err(|e| failed("write", path, &e))?;
    f.write_all(text.as_bytes())
        .await
        .map_err(|e| failed("write", path, &e))?;
    f.sync_all().await.map_err(|e| failed("write", path, &e))
}

/// Copies one stored file to `path`; `None` when the storage lacks it.
async fn copy_out(files: &Files, key: &str, path: &Path) -> Result<Option<u64>, ServiceError> {
    let Some(mut download) = files
        .read(key, None)
        .await
        .map_err(|e| failed("read the stored file", Path::new(key), &e))?
    else {
        return Ok(None);
    };
    let mut f = tokio::fs::File::create(path)
        .await
        .map_err(|e| failed("write", path, &e))?;
    let mut size = 0;
    while let Some(chunk) = download.body.next().await {
        let chunk = chunk.map_err(|e| failed("read the stored file", Path::new(key), &e))?;
        size += chunk.len() as u64;
        f.write_all(&chunk)
            .await
            .map_err(|e| failed("write", path, &e))?;
    }
    f.sync_all().await.map_err(|e| failed("write", path, &e))?;
    Ok(Some(size))
}

/// Reads and checks a backup's manifest.
///
/// # Errors
/// `Invalid` when `dir` is not a backup this version can restore.
pub async fn manifest(dir: &Path) -> Result<Manifest, ServiceError> {
    let path = dir.join("MANIFEST.json");
    let text = tokio::fs::read_to_string(&path).await.map_err(|e| {
        ServiceError::Invalid(format!(
            "{} is not a Conversate backup (no readable MANIFEST.json: {e}).",
            dir.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        ServiceError::Invalid(format!("The backup's MANIFEST.json is damaged: {e}."))
    })?;
    if manifest.format != FORMAT {
        return Err(ServiceError::Invalid(format!(
            "The backup is in the format {}, which this version cannot restore.",
            manifest.format
        )));
    }
    Ok(manifest)
}

/// Whether `dir` is missing or holds nothing (an empty `tmp` of the file
/// storage aside).
fn is_empty_dir(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Err(_) => !dir.exists(),
        Ok(entries) => entries.flatten().all(|e| {
            e.file_name() == "tmp"
                && std::fs::read_dir(e.path()).is_ok_and(|mut d| d.next().is_none())
        }),
    }
}

/// Restores the backup `input` into the empty data of `config`: the
/// database file (SQLite) and the files. Answers the manifest.
///
/// # Errors
/// `Invalid` when the data is not empty, the backup is not one, or a file
/// is damaged; nothing existing is overwritten.
pub async fn restore(
    config: &Config,
    input: &Path,
    progress: &dyn Progress,
) -> Result<Manifest, ServiceError> {
    let manifest = manifest(input).await?;
    let not_empty = |what: &Path| {
        ServiceError::Invalid(format!(
            "{} is not empty: a backup is restored only into an empty data directory.",
            what.display()
        ))
    };
    if let DatabaseUrl::Sqlite { path, .. } = &config.database_url {
        if manifest.database != "sqlite" {
            return Err(ServiceError::Invalid(
                "This backup holds no database (it was taken of a PostgreSQL site): \
                 restore the database with pg_restore, and set CONVERSATE_DATABASE_URL."
                    .to_owned(),
            ));
        }
        if path.exists() {
            return Err(not_empty(path));
        }
    }
    if !is_empty_dir(&config.store_root) {
        return Err(not_empty(&config.store_root));
    }
    if let DatabaseUrl::Sqlite { path, .. } = &config.database_url {
        let parent = path.parent().unwrap_or(Path::new("."));
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| failed("create", parent, &e))?;
        progress.stage("database", 1);
        let tmp = path.with_extension("db.restoring");
        tokio::fs::copy(input.join(DATABASE_FILE), &tmp)
            .await
            .map_err(|e| failed("copy the database to", &tmp, &e))?;
        tokio::fs::File::open(&tmp)
            .await
            .map_err(|e| failed("write", &tmp, &e))?
            .sync_all()
            .await
            .map_err(|e| failed("write", &tmp, &e))?;
        tokio::fs::rename(&tmp, path)
            .await
            .map_err(|e| failed("write", path, &e))?;
        progress.advance(1);
        progress.finish();
    } else {
        progress.note(POSTGRES_GUIDANCE);
    }
    let files = Files::open(config)
        .await
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    progress.stage("files", manifest.files.len() as u64);
    for entry in &manifest.files {
        let path = input.join("files").join(&entry.key);
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| failed("read", &path, &e))?;
        let stored = files
            .store_at(
                &entry.key,
                tokio_util::io::ReaderStream::new(file),
                u64::MAX,
            )
            .await
            .map_err(|e| {
                ServiceError::Invalid(format!("Cannot restore {}: {e}", path.display()))
            })?;
        if stored.size != entry.size {
            return Err(ServiceError::Invalid(format!(
                "The backup's file {} has {} bytes where the manifest says {}: it is damaged.",
                entry.key, stored.size, entry.size
            )));
        }
        progress.advance(1);
    }
    progress.finish();
    Ok(manifest)
}
