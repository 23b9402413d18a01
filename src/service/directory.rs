//! Direct rooms (any member can start a two-person room with someone they
//! share a room with; never two for one pair), open rooms (an
//! administrator marks a room open; any account can join it from the room
//! directory) and, when `MEMBERS_CREATE_ROOMS` allows it, rooms made by
//! members.

use super::admin::Admin;
use super::chat::Chat;
use super::{ServiceError, accounts};
use crate::domain::{self, AuditEntry, Room, User};
use crate::store::StoreError;

/// The one answer for a name that is not someone the user shares a room
/// with: no account, an inactive one, or one in no room of theirs.
pub const NO_SUCH_PERSON: &str = "You share no room with anyone of that name.";

/// The direct room of `user` and the account named `other`, made now if
/// there is none. Both become its only members.
///
/// # Errors
/// `NotFound` ([`NO_SUCH_PERSON`]) unless `other` is an active account
/// sharing a room with `user`; `Invalid` for oneself; storage errors.
pub async fn start_direct(chat: &Chat, user: &User, other: &str) -> Result<Room, ServiceError> {
    let nobody = || ServiceError::NotFound(NO_SUCH_PERSON.to_owned());
    let other = match accounts::find_user(&chat.store, other.trim()).await {
        Ok(u) if u.is_active => u,
        Ok(_) | Err(ServiceError::NotFound(_)) => return Err(nobody()),
        Err(e) => return Err(e),
    };
    if other.id == user.id {
        return Err(ServiceError::Invalid(
            "A direct conversation needs someone else.".to_owned(),
        ));
    }
    if !chat
        .store
        .directory()
        .share_a_room(user.id, other.id)
        .await?
    {
        return Err(nobody());
    }
    let (low, high) = if user.id < other.id {
        (user, &other)
    } else {
        (&other, user)
    };
    let directory = chat.store.directory();
    if let Some(room) = directory.direct_room(low.id, high.id).await? {
        return Ok(room);
    }
    let mut names = [low.username.as_str(), high.username.as_str()];
    names.sort_unstable();
    let title = format!("{} and {}", names[0], names[1]);
    let first = domain::colour::pick(&[], low.id);
    let second = domain::colour::pick(&[first.as_str()], high.id);
    let colours = [first.as_str(), second.as_str()];
    // A room an administrator named like ours takes a suffix; a clash on
    // the pair means someone started the same conversation meanwhile.
    let slugs = [
        format!("dm-{}-{}", low.id, high.id),
        format!("dm-{}-{}-{}", low.id, high.id, crate::random_hex(3)),
    ];
    for slug in &slugs {
        match directory
            .create_direct_room(low.id, high.id, slug, &title, colours)
            .await
        {
            Ok(room) => {
                chat.store.forget(None);
                return Ok(room);
            }
            Err(StoreError::Conflict) => {
                if let Some(room) = directory.direct_room(low.id, high.id).await? {
                    return Ok(room);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ServiceError::Conflict(
        "The direct conversation could not be made; please try again.".to_owned(),
    ))
}

/// How each of `rooms` is named for `user`, and whether it is a direct
/// room: a direct room by the other person (their display name, else
/// their username), as one names a conversation with someone; any other
/// room by its title.
///
/// # Errors
/// When storage fails.
pub async fn names_for(
    chat: &Chat,
    user: &User,
    rooms: &[&Room],
) -> Result<Vec<(String, bool)>, ServiceError> {
    let direct = chat.store.directory().direct_rooms_of(user.id).await?;
    let mut names = Vec::with_capacity(rooms.len());
    for room in rooms {
        let other = if direct.contains(&room.id) {
            let members = chat.store.rooms().members(room.id).await?;
            members
                .iter()
                .find(|m| m.user_id != user.id)
                .map(|m| m.shown_name().to_owned())
        } else {
            None
        };
        let is_direct = direct.contains(&room.id);
        names.push((other.unwrap_or_else(|| room.title.clone()), is_direct));
    }
    Ok(names)
}

/// The ids of the user's direct rooms (for marking them in lists).
///
/// # Errors
/// When storage fails.
pub async fn direct_rooms_of(chat: &Chat, user: &User) -> Result<Vec<i64>, ServiceError> {
    Ok(chat.store.directory().direct_rooms_of(user.id).await?)
}

/// The open rooms, each with whether `user` is already a member.
///
/// # Errors
/// When storage fails.
pub async fn open_rooms(chat: &Chat, user: &User) -> Result<Vec<(Room, bool)>, ServiceError> {
    let open = chat.store.directory().open_rooms().await?;
    let mine = chat.store.rooms().rooms_of(user.id).await?;
    Ok(open
        .into_iter()
        .map(|r| {
            let member = mine.iter().any(|m| m.id == r.id);
            (r, member)
        })
        .collect())
}

/// Joins an open room (already a member: nothing to do).
///
/// # Errors
/// `NoSuchRoom` for a room that is missing or not open, exactly as for a
/// missing one; storage errors.
pub async fn join_open(chat: &Chat, user: &User, slug: &str) -> Result<Room, ServiceError> {
    let room = match chat.store.rooms().room_by_slug(slug).await {
        Ok(room) => room,
        Err(StoreError::NotFound) => return Err(ServiceError::NoSuchRoom),
        Err(e) => return Err(e.into()),
    };
    if !chat.store.directory().is_open(room.id).await? {
        return Err(ServiceError::NoSuchRoom);
    }
    match accounts::add_member(&chat.store, &room.slug, &user.username, None).await {
        Ok(()) | Err(ServiceError::Conflict(_)) => Ok(room),
        Err(e) => Err(e),
    }
}

/// Makes a room with its maker as the first member, when
/// `MEMBERS_CREATE_ROOMS` allows members to (administrators always may).
///
/// # Errors
/// `Forbidden` when not allowed; `Invalid` or `Conflict` for the slug or
/// title; storage errors.
pub async fn create_room(
    chat: &Chat,
    user: &User,
    slug: &str,
    title: &str,
) -> Result<Room, ServiceError> {
    if !(chat.accounts.members_create_rooms || user.is_admin) {
        return Err(ServiceError::Forbidden(
            "Only administrators can make rooms on this site.".to_owned(),
        ));
    }
    let room = accounts::create_room(&chat.store, slug, title).await?;
    accounts::add_member(&chat.store, &room.slug, &user.username, None).await?;
    chat.store
        .audit()
        .record_audit(AuditEntry {
            at: domain::now(),
            actor_id: Some(user.id),
            actor_name: user.username.clone(),
            action: "room.create".to_owned(),
            target: room.slug.clone(),
            detail: format!("title: {}, by a member", room.title),
        })
        .await?;
    Ok(room)
}

impl Admin<'_> {
    /// Marks a room open (listed in the directory, anyone may join) or not.
    ///
    /// # Errors
    /// `NotFound` for a direct room; storage errors.
    pub async fn set_open(&self, room: &Room, open: bool) -> Result<(), ServiceError> {
        self.chat
            .store
            .directory()
            .set_open(room.id, open)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::Invalid(
                    "A direct conversation cannot be opened to everyone.".to_owned(),
                ),
                other => other.into(),
            })?;
        self.audit("room.open", &room.slug, format!("open: {open}"))
            .await
    }
}
