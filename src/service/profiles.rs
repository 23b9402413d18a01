//! Profiles: the display name and the avatar a member chooses for
//! themselves. A change is announced in each of their rooms as a presence
//! update, so open pages on every node and transport redraw the name and
//! picture beside the member's messages without a reload.

use super::ServiceError;
use super::chat::Chat;
use crate::domain::profile::{self, avatar_version};
use crate::domain::{self, AuditEntry, User};
use crate::files::Files;
use crate::files::preview::{self, PreviewError, PreviewLimits};

/// The most read of a stored avatar: far more than a re-encoded square of
/// the largest `AVATAR_PIXELS` takes.
const AVATAR_READ_LIMIT: u64 = 8 << 20;
use crate::store::{Cause, StoreError};

/// Sets (or, with an empty name, clears) the user's display name; answers
/// the name as stored.
///
/// # Errors
/// `Invalid` for a name that is too long or holds control characters;
/// storage errors.
pub async fn set_display_name(
    chat: &Chat,
    user: &User,
    raw: &str,
) -> Result<Option<String>, ServiceError> {
    let name = profile::parse_display_name(raw, chat.accounts.display_name_max_chars)
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if name == user.display_name {
        return Ok(name);
    }
    chat.store
        .accounts()
        .set_display_name(user.id, name.as_deref())
        .await?;
    audit(chat, user, "profile.name", name.clone().unwrap_or_default()).await?;
    announce(chat, user.id).await?;
    Ok(name)
}

/// Makes the uploaded file at `upload_key` the user's avatar: decoded
/// under the image limits, cropped square, scaled and re-encoded (nothing
/// of the original's metadata survives), stored under a fresh key. The
/// upload itself is removed in every case, and so is the picture it
/// replaces.
///
/// # Errors
/// `TooLarge` over `AVATAR_MAX_BYTES`; `Invalid` for what is not a
/// readable PNG, JPEG, GIF or WebP picture, or has too many pixels;
/// storage errors.
pub async fn set_avatar(
    chat: &Chat,
    files: &Files,
    user: &User,
    upload_key: &str,
) -> Result<(), ServiceError> {
    let made = make_avatar(chat, files, upload_key).await;
    if let Err(e) = files.delete(upload_key).await {
        tracing::warn!(error = %e, "an avatar upload could not be removed");
    }
    let stored = files.store_bytes(made?).await.map_err(files_failed)?;
    replace(chat, files, user, Some(&stored.key)).await
}

/// Removes the user's avatar: initials on their colour are shown again.
///
/// # Errors
/// Storage errors.
pub async fn remove_avatar(chat: &Chat, files: &Files, user: &User) -> Result<(), ServiceError> {
    replace(chat, files, user, None).await
}

/// The avatar of user `user_id` if `version` is its current one, with its
/// content type: an old or made-up address is not found, so only the
/// current picture is served (for good, as its address changes with it).
///
/// # Errors
/// `NotFound` for no such user, no picture or another version; storage
/// errors.
pub async fn avatar(
    chat: &Chat,
    files: &Files,
    user_id: i64,
    version: &str,
) -> Result<(Vec<u8>, &'static str), ServiceError> {
    let missing = || ServiceError::NotFound("There is no such picture.".to_owned());
    let user = match chat.store.accounts().user_by_id(user_id).await {
        Ok(user) => user,
        Err(StoreError::NotFound) => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    let key = user
        .avatar_key
        .filter(|key| avatar_version(key) == version)
        .ok_or_else(missing)?;
    // Avatars are small (a re-encoded square): read whole, typed by their
    // first bytes, which the server itself wrote.
    let bytes = files
        .read_start(&key, AVATAR_READ_LIMIT)
        .await
        .map_err(files_failed)?
        .ok_or_else(missing)?;
    let content_type = crate::files::sniff(&bytes);
    Ok((bytes, content_type))
}

/// The re-encoded avatar's bytes, from the upload stored at `key`.
async fn make_avatar(chat: &Chat, files: &Files, key: &str) -> Result<Vec<u8>, ServiceError> {
    let max_bytes = chat.accounts.avatar_max_bytes;
    let bytes = files
        .read_start(key, max_bytes.saturating_add(1))
        .await
        .map_err(files_failed)?
        .unwrap_or_default();
    if bytes.is_empty() {
        return Err(ServiceError::Invalid(
            "Please choose a picture to upload.".to_owned(),
        ));
    }
    if bytes.len() as u64 > max_bytes {
        return Err(ServiceError::TooLarge(format!(
            "The picture is larger than the limit of {}.",
            domain::text::human_bytes(max_bytes)
        )));
    }
    let limits = PreviewLimits {
        max_pixels: chat.rich.image_max_pixels,
    };
    let side = chat.accounts.avatar_pixels;
    // Decoding and encoding are CPU work: off the async workers.
    let made = tokio::task::spawn_blocking(move || preview::square(&bytes, limits, side))
        .await
        .map_err(|e| ServiceError::Invalid(format!("The picture could not be read: {e}")))?;
    match made {
        Ok(avatar) => Ok(avatar.bytes),
        Err(PreviewError::Unreadable(_)) => Err(ServiceError::Invalid(
            "The file is not a picture that can be read: please upload a PNG, JPEG, GIF or WebP image."
                .to_owned(),
        )),
        Err(e @ PreviewError::TooManyPixels { .. }) => Err(ServiceError::Invalid(e.to_string())),
    }
}

/// Stores `key` as the user's avatar, removes the file it replaces and
/// tells the user's rooms.
async fn replace(
    chat: &Chat,
    files: &Files,
    user: &User,
    key: Option<&str>,
) -> Result<(), ServiceError> {
    let old = match chat.store.accounts().set_avatar(user.id, key).await {
        Ok(old) => old,
        Err(e) => {
            if let Some(key) = key {
                let _ = files.delete(key).await;
            }
            return Err(e.into());
        }
    };
    if let Some(old) = old.filter(|old| Some(old.as_str()) != key)
        && let Err(e) = files.delete(&old).await
    {
        tracing::warn!(error = %e, "a replaced avatar could not be removed");
    }
    let action = if key.is_some() {
        "profile.avatar"
    } else {
        "profile.avatar.remove"
    };
    audit(chat, user, action, String::new()).await?;
    announce(chat, user.id).await
}

impl super::admin::Admin<'_> {
    /// Moderation: clears a member's display name, removes their picture,
    /// or both; audited, and shown at once in their rooms.
    ///
    /// # Errors
    /// `Invalid` when neither is asked for; storage errors.
    pub async fn moderate_profile(
        &self,
        user: &User,
        clear_name: bool,
        remove_picture: bool,
    ) -> Result<(), ServiceError> {
        if !clear_name && !remove_picture {
            return Err(ServiceError::Invalid(
                "Choose what to remove: the display name, the picture or both.".to_owned(),
            ));
        }
        let accounts = self.chat.store.accounts();
        if clear_name {
            accounts.set_display_name(user.id, None).await?;
        }
        if remove_picture
            && let Some(old) = accounts.set_avatar(user.id, None).await?
            && let Err(e) = self.files.delete(&old).await
        {
            tracing::warn!(error = %e, "a removed avatar's file could not be deleted");
        }
        let removed = match (clear_name, remove_picture) {
            (true, true) => "display name and picture",
            (true, false) => "display name",
            _ => "picture",
        };
        self.audit(
            "profile.moderate",
            &user.username,
            format!("removed: {removed}"),
        )
        .await?;
        announce(self.chat, user.id).await
    }
}

/// Writes the user's own profile change to the audit log.
async fn audit(chat: &Chat, user: &User, action: &str, detail: String) -> Result<(), ServiceError> {
    chat.store
        .audit()
        .record_audit(AuditEntry {
            at: domain::now(),
            actor_id: Some(user.id),
            actor_name: user.username.clone(),
            action: action.to_owned(),
            target: user.username.clone(),
            detail,
        })
        .await?;
    Ok(())
}

/// Tells every room of the user that its member list changed.
async fn announce(chat: &Chat, user_id: i64) -> Result<(), ServiceError> {
    for room in chat.store.rooms().rooms_of(user_id).await? {
        chat.announce_member_change(room.id).await?;
    }
    Ok(())
}

/// A file storage failure, told as storage being unavailable.
fn files_failed(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Store(StoreError::Unavailable(Cause::text(format!(
        "file storage: {e}"
    ))))
}
