//! Administration: rooms, memberships and accounts, each action recorded in
//! the audit log. Pages and the command line both come through here.

use std::sync::Arc;

use super::chat::Chat;
use super::{ServiceError, accounts};
use crate::domain::{self, Colour, RoomSlug};
use crate::domain::{AuditEntry, Room, User};
use crate::files::Files;
use crate::live::RoomEvent;
use crate::store::StoreError;

/// Who is acting.
#[derive(Debug, Clone)]
pub enum Actor {
    /// An administrator in the web interface.
    Admin(User),
    /// The `conversate` command line (whoever runs it owns the data).
    CommandLine,
}

impl Actor {
    fn id(&self) -> Option<i64> {
        match self {
            Self::Admin(u) => Some(u.id),
            Self::CommandLine => None,
        }
    }

    fn name(&self) -> String {
        match self {
            Self::Admin(u) => u.username.clone(),
            Self::CommandLine => "command line".to_owned(),
        }
    }
}

/// The administration service.
pub struct Admin<'a> {
    pub chat: &'a Arc<Chat>,
    pub files: &'a Files,
    pub actor: Actor,
}

/// The newest entries of the audit log, newest first.
///
/// # Errors
/// When storage fails.
pub async fn audit_log(chat: &Chat, limit: u32) -> Result<Vec<AuditEntry>, ServiceError> {
    Ok(chat.store.audit().audit_log(limit).await?)
}

fn invalid(e: &impl std::fmt::Display) -> ServiceError {
    ServiceError::Invalid(accounts::capitalise(&e.to_string()))
}

impl Admin<'_> {
    /// The acting administrator's id (none for the command line).
    pub(crate) fn actor_id(&self) -> Option<i64> {
        self.actor.id()
    }

    /// The acting administrator's name, as the audit log shows it.
    pub(crate) fn actor_name(&self) -> String {
        self.actor.name()
    }

    /// Writes an action to the audit log (and the server log).
    pub(crate) async fn audit(
        &self,
        action: &str,
        target: &str,
        detail: String,
    ) -> Result<(), ServiceError> {
        tracing::info!(actor = %self.actor.name(), action, target, detail, "admin action");
        self.chat
            .store
            .audit()
            .record_audit(AuditEntry {
                at: domain::now(),
                actor_id: self.actor.id(),
                actor_name: self.actor.name(),
                action: action.to_owned(),
                target: target.to_owned(),
                detail,
            })
            .await?;
        Ok(())
    }

    async fn remove_files(&self, keys: Vec<String>) {
        for key in keys {
            if let Err(e) = self.files.delete(&key).await {
                tracing::error!(key, error = %e, "could not remove a file of a deleted message");
            }
        }
    }

    /// Creates a room.
    ///
    /// # Errors
    /// Validation or conflicts.
    pub async fn create_room(&self, slug: &str, title: &str) -> Result<Room, ServiceError> {
        let room = accounts::create_room(&self.chat.store, slug, title).await?;
        self.audit("room.create", &room.slug, format!("title: {}", room.title))
            .await?;
        Ok(room)
    }

    /// Renames a room (slug and title).
    ///
    /// # Errors
    /// Validation or conflicts.
    pub async fn update_room(
        &self,
        room: &Room,
        slug: &str,
        title: &str,
    ) -> Result<Room, ServiceError> {
        let new_slug = RoomSlug::parse(slug.trim()).map_err(|e| invalid(&e))?;
        let title = validate_title(title)?;
        self.chat
            .store
            .rooms()
            .update_room(room.id, new_slug.as_str(), &title)
            .await
            .map_err(|e| ServiceError::clash(e, || accounts::slug_taken(new_slug.as_str())))?;
        self.audit(
            "room.update",
            &room.slug,
            format!("slug: {new_slug}, title: {title}"),
        )
        .await?;
        if new_slug.as_str() != room.slug {
            // Open pages use the old URLs: end their streams so they reload.
            self.chat.hub.publish(room.id, RoomEvent::Closed);
        }
        Ok(Room {
            id: room.id,
            slug: new_slug.as_str().to_owned(),
            title,
        })
    }

    /// Deletes a room with its messages and their files.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn delete_room(&self, room: &Room) -> Result<(), ServiceError> {
        let keys = self.chat.store.rooms().delete_room(room.id).await?;
        let files = keys.len();
        self.chat.hub.publish(room.id, RoomEvent::Closed);
        self.remove_files(keys).await;
        self.audit(
            "room.delete",
            &room.slug,
            format!("title: {}, files removed: {files}", room.title),
        )
        .await
    }

    /// Deletes every message of a room (and their files), keeping its members.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn clear_room(&self, room: &Room) -> Result<(), ServiceError> {
        let keys = self.chat.store.rooms().clear_room(room.id).await?;
        let files = keys.len();
        self.chat.hub.publish(room.id, RoomEvent::Closed);
        self.remove_files(keys).await;
        self.audit("room.clear", &room.slug, format!("files removed: {files}"))
            .await
    }

    /// Adds a member with a colour.
    ///
    /// # Errors
    /// Unknown user, bad colour, already a member.
    pub async fn add_member(
        &self,
        room: &Room,
        username: &str,
        colour: Option<&str>,
    ) -> Result<(), ServiceError> {
        accounts::add_member(&self.chat.store, &room.slug, username, colour).await?;
        self.audit("member.add", &room.slug, format!("user: {username}"))
            .await
    }

    /// Changes a member's colour.
    ///
    /// # Errors
    /// Unknown user, not a member, bad colour.
    pub async fn set_colour(
        &self,
        room: &Room,
        username: &str,
        colour: &str,
    ) -> Result<(), ServiceError> {
        let colour = Colour::parse(colour).map_err(|e| invalid(&e))?;
        let user = accounts::find_user(&self.chat.store, username).await?;
        self.chat
            .store
            .rooms()
            .set_colour(room.id, user.id, colour.as_str())
            .await
            .map_err(not_member)?;
        self.audit(
            "member.colour",
            &room.slug,
            format!("user: {}, colour: {colour}", user.username),
        )
        .await
    }

    /// Removes a member; their open streams end at once.
    ///
    /// # Errors
    /// Unknown user or not a member.
    pub async fn remove_member(&self, room: &Room, username: &str) -> Result<(), ServiceError> {
        let user = accounts::find_user(&self.chat.store, username).await?;
        self.chat
            .store
            .rooms()
            .remove_member(room.id, user.id)
            .await
            .map_err(not_member)?;
        self.chat
            .hub
            .publish(room.id, RoomEvent::AccessRevoked { user_id: user.id });
        self.audit(
            "member.remove",
            &room.slug,
            format!("user: {}", user.username),
        )
        .await
    }

    /// Creates an account.
    ///
    /// # Errors
    /// Validation or conflicts.
    pub async fn create_user(
        &self,
        username: &str,
        email: Option<&str>,
        password: &str,
        is_admin: bool,
    ) -> Result<User, ServiceError> {
        let user = accounts::create_user(
            &self.chat.store,
            &self.chat.password_policy(),
            username,
            email,
            password,
            is_admin,
        )
        .await?;
        self.audit("user.create", &user.username, format!("admin: {is_admin}"))
            .await?;
        Ok(user)
    }

    /// Saves an account's e-mail and flags. Admins cannot demote or
    /// deactivate themselves, so the site never locks its last admin out.
    ///
    /// # Errors
    /// Validation, or a self-lockout attempt.
    pub async fn update_user(
        &self,
        user: &User,
        email: Option<&str>,
        is_admin: bool,
        is_active: bool,
    ) -> Result<(), ServiceError> {
        if self.actor.id() == Some(user.id) && (!is_admin || !is_active) {
            return Err(ServiceError::Invalid(
                "You cannot remove your own administrator rights or deactivate yourself."
                    .to_owned(),
            ));
        }
        let email = accounts::validate_email(email)?;
        self.chat
            .store
            .accounts()
            .update_user(user.id, email.as_deref(), is_admin, is_active)
            .await?;
        if user.is_active && !is_active {
            self.revoke_everywhere(user).await?;
        }
        self.audit(
            "user.update",
            &user.username,
            format!(
                "email: {}, admin: {is_admin}, active: {is_active}",
                email.as_deref().unwrap_or("-")
            ),
        )
        .await
    }

    /// Deactivates an account: it cannot log in, and its sessions end at once.
    ///
    /// # Errors
    /// A self-lockout attempt, or storage failures.
    pub async fn deactivate(&self, user: &User) -> Result<(), ServiceError> {
        self.update_user(user, user.email.as_deref(), user.is_admin, false)
            .await?;
        // Rooms an admin visits without being a member hear it too.
        self.chat.sessions_ended(user.id);
        Ok(())
    }

    /// Deletes every message `user` wrote, in every room, as a moderator's
    /// deletion of each (tombstones, files removed, rooms told live), and
    /// records it in the audit log with how many went. Meant for an account
    /// deactivated for abuse; opt-in on the deactivation page.
    ///
    /// # Errors
    /// Storage failures (what was deleted before one stays deleted).
    pub async fn remove_messages(&self, user: &User) -> Result<usize, ServiceError> {
        let removed = self.chat.remove_all_by(self.files, user.id).await?;
        self.audit(
            "user.remove_messages",
            &user.username,
            format!("{removed} messages deleted"),
        )
        .await?;
        Ok(removed)
    }

    /// Sets a new password; the user's other sessions end.
    ///
    /// # Errors
    /// An empty or too long password.
    pub async fn set_password(&self, user: &User, new_password: &str) -> Result<(), ServiceError> {
        let hash = self
            .chat
            .password_policy()
            .hash_off_workers(new_password)
            .await
            .map_err(ServiceError::Invalid)?;
        self.chat
            .store
            .accounts()
            .set_password(user.id, &hash)
            .await?;
        self.chat.sessions_ended(user.id);
        self.audit("user.password", &user.username, String::new())
            .await
    }

    async fn revoke_everywhere(&self, user: &User) -> Result<(), ServiceError> {
        for room in self.chat.store.rooms().rooms_of(user.id).await? {
            self.chat
                .hub
                .publish(room.id, RoomEvent::AccessRevoked { user_id: user.id });
        }
        Ok(())
    }
}

fn not_member(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => {
            ServiceError::NotFound("That user is not a member of this room.".to_owned())
        }
        other => other.into(),
    }
}

fn validate_title(title: &str) -> Result<String, ServiceError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(ServiceError::Invalid(
            "The room title must not be empty.".to_owned(),
        ));
    }
    if title.chars().count() > accounts::MAX_TITLE_CHARS {
        return Err(ServiceError::Invalid(format!(
            "The room title must be at most {} characters.",
            accounts::MAX_TITLE_CHARS
        )));
    }
    Ok(title.to_owned())
}
