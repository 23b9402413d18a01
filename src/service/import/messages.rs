//! Copying one room's messages, with their files, in runs of
//! [`super::BATCH`].

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::Report;
use super::django::DjangoMessage;
use crate::domain::mentions::Roster;
use crate::domain::{Attachment, render};
use crate::files::Files;
use crate::service::ServiceError;
use crate::service::progress::Progress;
use crate::store::{ImportedMessage, Store};

/// Copies runs of messages (with their files) of one room.
pub(super) struct Copier<'a> {
    pub(super) store: &'a Store,
    pub(super) files: &'a Files,
    pub(super) media_root: Option<&'a Path>,
    pub(super) dry_run: bool,
    pub(super) key: &'a str,
    pub(super) report: &'a mut Report,
    pub(super) progress: &'a dyn Progress,
}

impl Copier<'_> {
    pub(super) async fn batch(
        &mut self,
        room_id: i64,
        page: &[&DjangoMessage],
        user_ids: &HashMap<i64, i64>,
        roster: &Roster,
    ) -> Result<(), ServiceError> {
        let mut batch = Vec::with_capacity(page.len());
        let mut stored_keys = Vec::new();
        let mut bytes = 0;
        let mut missing = 0;
        for m in page {
            let file = match &m.file {
                Some(name) => match self.copy_file(name).await {
                    Ok(Some(file)) => {
                        bytes += u64::try_from(file.size).unwrap_or(0);
                        stored_keys.push(file.key.clone());
                        Some(file)
                    }
                    Ok(None) => {
                        missing += 1;
                        None
                    }
                    Err(e) => {
                        self.forget(&stored_keys).await;
                        return Err(e);
                    }
                },
                None => None,
            };
            let user_id = user_ids.get(&m.user_id).copied().unwrap_or(0);
            let rendered = render::render_for(&m.content, roster);
            batch.push(ImportedMessage {
                source_id: m.id,
                room_id,
                user_id,
                time: m.timestamp,
                content: m.content.clone(),
                html: rendered.html,
                mentions: rendered.mentions,
                file,
            });
        }
        if !self.dry_run
            && let Err(e) = self.store.imports().import_messages(self.key, &batch).await
        {
            // Not stored, so their files must not stay behind.
            self.forget(&stored_keys).await;
            return Err(e.into());
        }
        self.report.messages_imported += batch.len() as u64;
        self.report.files_imported += stored_keys.len() as u64;
        self.report.file_bytes += bytes;
        self.report.files_missing += missing;
        self.progress.advance(batch.len() as u64);
        Ok(())
    }

    async fn forget(&self, keys: &[String]) {
        for key in keys {
            let _ = self.files.delete(key).await;
        }
    }

    /// Stores the file a message names (in a dry run, only checks that it
    /// is there); `None` when it is missing.
    async fn copy_file(&self, name: &str) -> Result<Option<Attachment>, ServiceError> {
        let Some(path) = self.media_root.and_then(|root| within(root, name)) else {
            self.progress.note(&format!(
                "Not found (no --media-root given, or outside it): {name}"
            ));
            return Ok(None);
        };
        let file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) => {
                self.progress
                    .note(&format!("Not found: {}: {e}", path.display()));
                return Ok(None);
            }
        };
        let shown = Path::new(name)
            .file_name()
            .map_or_else(|| name.to_owned(), |n| n.to_string_lossy().into_owned());
        if self.dry_run {
            let size = file.metadata().await.map(|m| m.len()).unwrap_or(0);
            return Ok(Some(Attachment {
                name: shown,
                size: i64::try_from(size).unwrap_or(i64::MAX),
                content_type: String::new(),
                key: String::new(),
            }));
        }
        let stream = tokio_util::io::ReaderStream::new(file);
        let stored =
            self.files.store(stream, u64::MAX).await.map_err(|e| {
                ServiceError::Invalid(format!("Cannot copy {}: {e}", path.display()))
            })?;
        Ok(Some(Attachment {
            name: shown,
            size: i64::try_from(stored.size).unwrap_or(i64::MAX),
            content_type: stored.content_type,
            key: stored.key,
        }))
    }
}

/// `root/name` when `name` is a plain relative path that stays inside
/// `root` (names come from the database, so they are not trusted).
fn within(root: &Path, name: &str) -> Option<PathBuf> {
    let relative = Path::new(name);
    let plain = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    (plain && !name.is_empty()).then(|| root.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_from_the_database_stay_inside_the_media_root() {
        let root = Path::new("/srv/media");
        assert_eq!(
            within(root, "conversate/a.txt"),
            Some(PathBuf::from("/srv/media/conversate/a.txt"))
        );
        assert_eq!(within(root, "../etc/passwd"), None);
        assert_eq!(within(root, "/etc/passwd"), None);
        assert_eq!(within(root, "conversate/../../x"), None);
        assert_eq!(within(root, ""), None);
    }
}
