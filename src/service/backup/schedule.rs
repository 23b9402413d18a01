//! Scheduled backups (`BACKUP_DIR`, `BACKUP_EVERY_HOURS`, `BACKUP_KEEP`):
//! a background task of the server writes a backup into a new directory
//! `conversate-<UTC time>` and then removes the oldest beyond the number
//! kept. Only directories of that name that are complete (renamed from
//! `.partial`) count, so nothing else in the directory is touched.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::watch;

use super::backup;
use crate::config::{BackupSchedule, DatabaseUrl};
use crate::files::Files;
use crate::service::progress::Silent;
use crate::store::Store;

/// The name prefix of scheduled backups.
const PREFIX: &str = "conversate-";

/// The name of a backup taken at `unix` seconds: sorts by time.
#[must_use]
pub fn name_at(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{PREFIX}{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Which of `names` to remove to keep the newest `keep` backups: only
/// names of scheduled backups, oldest first.
#[must_use]
pub fn to_remove(names: &[String], keep: usize) -> Vec<String> {
    let mut ours: Vec<&String> = names
        .iter()
        .filter(|n| {
            n.strip_prefix(PREFIX)
                .is_some_and(|rest| rest.len() == 16 && rest.ends_with('Z') && !rest.contains('.'))
        })
        .collect();
    ours.sort();
    let extra = ours.len().saturating_sub(keep);
    ours.into_iter().take(extra).cloned().collect()
}

/// Takes one scheduled backup, named for `now` (Unix seconds), and prunes
/// old ones; answers its path.
///
/// # Errors
/// A sentence saying what failed.
pub async fn run_once(
    store: &Store,
    files: &Files,
    database: &DatabaseUrl,
    schedule: &BackupSchedule,
    now: i64,
) -> Result<PathBuf, String> {
    tokio::fs::create_dir_all(&schedule.dir)
        .await
        .map_err(|e| format!("cannot create {}: {e}", schedule.dir.display()))?;
    let out = schedule.dir.join(name_at(now));
    backup(store, files, database, &out, &Silent)
        .await
        .map_err(|e| crate::error_chain(&e))?;
    prune(&schedule.dir, schedule.keep).await;
    Ok(out)
}

async fn prune(dir: &Path, keep: usize) {
    let mut names = Vec::new();
    if let Ok(mut entries) = tokio::fs::read_dir(dir).await {
        while let Ok(Some(e)) = entries.next_entry().await {
            names.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    for name in to_remove(&names, keep) {
        if let Err(e) = tokio::fs::remove_dir_all(dir.join(&name)).await {
            tracing::warn!(backup = %name, error = %e, "removing an old backup failed");
        }
    }
}

/// The server's backup task: one backup every `every_hours`, until shutdown.
pub async fn run(
    store: Store,
    files: Files,
    database: DatabaseUrl,
    schedule: BackupSchedule,
    mut stop: watch::Receiver<bool>,
) {
    let every = Duration::from_secs(schedule.every_hours.saturating_mul(3_600));
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            () = tokio::time::sleep(every) => {
                match run_once(&store, &files, &database, &schedule, crate::domain::now()).await {
                    Ok(path) => tracing::info!(path = %path.display(), "scheduled backup written"),
                    Err(e) => tracing::error!(error = %e, "scheduled backup failed"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time() {
        assert_eq!(name_at(0), "conversate-19700101T000000Z");
        assert_eq!(name_at(1_764_633_600), "conversate-20251202T000000Z");
        assert!(name_at(1_000) < name_at(2_000));
    }

    #[test]
    fn pruning_keeps_the_newest_and_touches_nothing_else() {
        let names: Vec<String> = [
            "conversate-20251203T000000Z",
            "conversate-20251201T000000Z",
            "conversate-20251202T000000Z",
            "conversate-20251130T000000Z.partial",
            "my-notes",
            "conversate-weird",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(
            to_remove(&names, 2),
            ["conversate-20251201T000000Z".to_owned()]
        );
        assert!(to_remove(&names, 3).is_empty());
        assert_eq!(to_remove(&names, 0).len(), 3);
    }
}
