//! `conversate import django-conversate`: brings a django-conversate site
//! into this installation: its rooms, the members with their colours and
//! alert settings, the messages with their original times and files, and
//! the accounts of members and authors with their Django password hashes
//! (checked at login and upgraded then, `password::django`).
//!
//! Every row is written together with the record of its source row
//! (`store::Imports`), so a second run changes nothing and a run that was
//! interrupted goes on where it stopped. Messages go in per room, in the
//! original's order, in transactions of [`BATCH`]. Nothing is written
//! before the whole plan is checked: a room whose slug is taken here, or a
//! name this installation cannot take, stops the import with a sentence
//! saying which. A dry run reports the plan and writes nothing.

pub mod django;
mod messages;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use self::django::{DjangoMessage, DjangoSource};
use super::ServiceError;
use super::progress::Progress;
use crate::domain::mentions::Roster;
use crate::domain::{AuditEntry, Colour, RoomSlug, Username};
use crate::files::Files;
use crate::store::{ImportedMember, ImportedUser, Store};

/// Messages per transaction: large enough that commits are few, small
/// enough that an interruption loses little and writers are not held long.
pub const BATCH: usize = 500;

/// What an import did, or (dry run) would do.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub dry_run: bool,
    pub users_created: u64,
    /// Source accounts given to an existing account of the same name.
    pub users_linked: u64,
    pub rooms_created: u64,
    pub members_created: u64,
    pub messages_imported: u64,
    pub files_imported: u64,
    pub file_bytes: u64,
    /// Messages whose file was not found under the media root (or no media
    /// root was given); they are imported without it.
    pub files_missing: u64,
    /// Rows found already imported by an earlier run.
    pub already_imported: u64,
}

impl Report {
    /// Whether anything was (or would be) written.
    #[must_use]
    pub fn wrote(&self) -> bool {
        self.users_created
            + self.users_linked
            + self.rooms_created
            + self.members_created
            + self.messages_imported
            > 0
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run {
            "Would import"
        } else {
            "Imported"
        };
        write!(
            f,
            "{verb} {} accounts (and link {} to existing accounts of the same name), {} rooms, \
             {} memberships, {} messages and {} files ({} bytes); {} files missing; \
             {} rows were already imported.",
            self.users_created,
            self.users_linked,
            self.rooms_created,
            self.members_created,
            self.messages_imported,
            self.files_imported,
            self.file_bytes,
            self.files_missing,
            self.already_imported
        )
    }
}

/// Imports the django-conversate site at `source`.
///
/// # Errors
/// `Invalid` with one sentence per problem when the plan cannot be carried
/// out (nothing is written then); storage errors on the way (what was
/// committed stays, and a rerun goes on from there).
#[tracing::instrument(skip_all, fields(dry_run = dry_run))]
pub async fn django_conversate(
    store: &Store,
    files: &Files,
    source: &DjangoSource,
    media_root: Option<&Path>,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<Report, ServiceError> {
    let invalid = |e: django::SourceError| ServiceError::Invalid(e.to_string());
    let key = source.fingerprint().await.map_err(invalid)?;
    let users = source.users().await.map_err(invalid)?;
    let rooms = source.rooms().await.map_err(invalid)?;
    let members = source.members().await.map_err(invalid)?;
    let counts: HashMap<i64, i64> = source
        .message_counts()
        .await
        .map_err(invalid)?
        .into_iter()
        .collect();
    let imports = store.imports();
    let mut user_ids = imports.imported(&key, "user").await?;
    let mut room_ids = imports.imported(&key, "room").await?;
    let done_members = imports.imported(&key, "member").await?;
    let done_messages = imports.imported(&key, "message").await?;
    let mut report = Report {
        dry_run,
        ..Report::default()
    };

    // Check the whole plan before writing anything.
    let mut problems = Vec::new();
    let mut new_users = Vec::new();
    for u in users.iter().filter(|u| !user_ids.contains_key(&u.id)) {
        match Username::parse(&u.username) {
            Ok(name) => new_users.push((u, name)),
            Err(e) => problems.push(format!(
                "The Django user '{}' cannot be imported: {e}.",
                u.username
            )),
        }
    }
    let mut new_rooms = Vec::new();
    for r in rooms.iter().filter(|r| !room_ids.contains_key(&r.id)) {
        match RoomSlug::parse(&r.slug) {
            Ok(slug) => match store.rooms().room_by_slug(slug.as_str()).await {
                Ok(_) => problems.push(format!(
                    "A room with the slug '{}' already exists here; rename it first.",
                    r.slug
                )),
                Err(crate::store::StoreError::NotFound) => new_rooms.push(r),
                Err(e) => return Err(e.into()),
            },
            Err(e) => problems.push(format!("The room '{}' cannot be imported: {e}.", r.slug)),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems.join("\n")));
    }
    report.already_imported =
        (user_ids.len() + room_ids.len() + done_members.len() + done_messages.len()) as u64;

    progress.stage("accounts", new_users.len() as u64);
    for (u, name) in new_users {
        let existing = match store.accounts().user_by_name(&name.key()).await {
            Ok(_) => true,
            Err(crate::store::StoreError::NotFound) => false,
            Err(e) => return Err(e.into()),
        };
        if existing {
            report.users_linked += 1;
            progress.note(&format!(
                "The Django user '{}' becomes the existing account of that name here, \
                 keeping that account's password.",
                u.username
            ));
        } else {
            report.users_created += 1;
        }
        if !dry_run {
            let email = crate::service::accounts::validate_email(Some(&u.email)).unwrap_or(None);
            let (id, _) = imports
                .import_user(
                    &key,
                    &ImportedUser {
                        source_id: u.id,
                        username: name.as_str().to_owned(),
                        username_key: name.key(),
                        email,
                        password_hash: u.password.clone(),
                        is_admin: u.is_superuser,
                        is_active: u.is_active,
                        created_at: u.date_joined,
                    },
                )
                .await?;
            user_ids.insert(u.id, id);
        }
        progress.advance(1);
    }
    progress.finish();

    let now = crate::domain::now();
    progress.stage("rooms", new_rooms.len() as u64);
    for r in new_rooms {
        report.rooms_created += 1;
        if !dry_run {
            let title = r.title.trim();
            let title = if title.is_empty() {
                r.slug.as_str()
            } else {
                title
            };
            let id = imports.import_room(&key, r.id, &r.slug, title, now).await?;
            room_ids.insert(r.id, id);
        }
        progress.advance(1);
    }
    progress.finish();

    let todo: Vec<_> = members
        .iter()
        .filter(|m| !done_members.contains_key(&m.id))
        .collect();
    progress.stage("memberships", todo.len() as u64);
    for m in todo {
        report.members_created += 1;
        if !dry_run {
            let (Some(&room_id), Some(&user_id)) =
                (room_ids.get(&m.room_id), user_ids.get(&m.user_id))
            else {
                continue;
            };
            let colour = Colour::parse(&m.colour)
                .unwrap_or_else(|_| crate::domain::colour::pick(&[], user_id));
            imports
                .import_member(
                    &key,
                    &ImportedMember {
                        source_id: m.id,
                        room_id,
                        user_id,
                        colour: colour.as_str().to_owned(),
                        alert: m.alert,
                        mail_alert: m.mail_alert,
                        last_spoke: m.last_spoke,
                    },
                )
                .await?;
        }
        progress.advance(1);
    }
    progress.finish();

    let total: i64 = counts.values().sum();
    let left = u64::try_from(total)
        .unwrap_or(0)
        .saturating_sub(done_messages.len() as u64);
    progress.stage("messages", left);
    let names: HashMap<i64, &str> = users.iter().map(|u| (u.id, u.username.as_str())).collect();
    let mut copier = messages::Copier {
        store,
        files,
        media_root,
        dry_run,
        key: &key,
        report: &mut report,
        progress,
    };
    for r in &rooms {
        let Some(&room_id) = room_ids.get(&r.id).or(dry_run.then_some(&0)) else {
            continue;
        };
        let roster_names: Vec<&str> = members
            .iter()
            .filter(|m| m.room_id == r.id)
            .filter_map(|m| names.get(&m.user_id).copied())
            .collect();
        let roster = Roster::new(roster_names);
        let mut after = (i64::MIN, i64::MIN);
        let mut wrote = false;
        loop {
            let page = source
                .messages(r.id, after, BATCH as i64)
                .await
                .map_err(invalid)?;
            let Some(last) = page.last() else { break };
            after = (last.timestamp, last.id);
            let fresh: Vec<&DjangoMessage> = page
                .iter()
                .filter(|m| !done_messages.contains_key(&m.id))
                .collect();
            if !fresh.is_empty() {
                copier.batch(room_id, &fresh, &user_ids, &roster).await?;
                wrote = true;
            }
        }
        if wrote && !dry_run {
            imports.mark_room_read(room_id).await?;
        }
    }
    progress.finish();

    if !dry_run && report.wrote() {
        store.maintenance().settle().await?;
        store
            .audit()
            .record_audit(AuditEntry {
                at: crate::domain::now(),
                actor_id: None,
                actor_name: "command line".to_owned(),
                action: "import.django-conversate".to_owned(),
                target: key.clone(),
                detail: report.to_string(),
            })
            .await?;
    }
    Ok(report)
}
