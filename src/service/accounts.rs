//! Accounts, rooms and memberships: creating them, and logging in.

use std::sync::LazyLock;

use super::{ServiceError, password};
use crate::domain::{Colour, Member, RoomSlug, Username};
use crate::domain::{Room, User};
use crate::store::{NewUser, Store, StoreError};

/// Longest accepted room title, characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest accepted e-mail address, characters.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Creates an account after validating every field.
///
/// # Errors
/// `Invalid` for a bad username, e-mail or password; `Conflict` when taken.
#[tracing::instrument(skip(store, policy, password))]
pub async fn create_user(
    store: &Store,
    policy: &password::Policy,
    username: &str,
    email: Option<&str>,
    password: &str,
    is_admin: bool,
) -> Result<User, ServiceError> {
    let username = Username::parse(username.trim())
        .map_err(|e| ServiceError::Invalid(capitalise(&e.to_string())))?;
    let email = validate_email(email)?;
    let password_hash = policy
        .hash_off_workers(password)
        .await
        .map_err(ServiceError::Invalid)?;
    let user = store
        .accounts()
        .create_user(NewUser {
            username_key: username.key(),
            username: username.as_str().to_owned(),
            email,
            password_hash,
            is_admin,
            display_name: None,
            created_at: crate::domain::now(),
        })
        .await
        .map_err(|e| {
            ServiceError::clash(e, || {
                format!("The username '{}' is already taken.", username.as_str())
            })
        })?;
    Ok(user)
}

/// Validates an optional e-mail address; blank means none.
///
/// # Errors
/// `Invalid` for a malformed address.
pub fn validate_email(email: Option<&str>) -> Result<Option<String>, ServiceError> {
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let valid = email.chars().count() <= MAX_EMAIL_CHARS
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','))
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if valid {
        Ok(Some(email.to_owned()))
    } else {
        Err(ServiceError::Invalid(format!(
            "'{email}' is not a valid e-mail address."
        )))
    }
}

/// Creates a room.
///
/// # Errors
/// `Invalid` for a bad slug or title; `Conflict` when the slug is taken.
pub async fn create_room(store: &Store, slug: &str, title: &str) -> Result<Room, ServiceError> {
    let slug = RoomSlug::parse(slug.trim())
        .map_err(|e| ServiceError::Invalid(capitalise(&e.to_string())))?;
    let title = title.trim();
    if title.is_empty() {
        return Err(ServiceError::Invalid(
            "The room title must not be empty.".to_owned(),
        ));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(ServiceError::Invalid(format!(
            "The room title must be at most {MAX_TITLE_CHARS} characters."
        )));
    }
    store
        .rooms()
        .create_room(slug.as_str(), title)
        .await
        .map_err(|e| ServiceError::clash(e, || slug_taken(slug.as_str())))
}

/// Adds a user to a room with a colour; without one, the palette colour
/// fewest members of the room have (see `colour::pick`).
///
/// # Errors
/// `NotFound` for an unknown room or user, `Invalid` colour or a direct
/// room, `Conflict` if already a member.
pub async fn add_member(
    store: &Store,
    slug: &str,
    username: &str,
    colour: Option<&str>,
) -> Result<(), ServiceError> {
    let chosen = colour
        .map(|c| Colour::parse(c).map_err(|e| ServiceError::Invalid(capitalise(&e.to_string()))))
        .transpose()?;
    let room = find_room(store, slug).await?;
    if store.directory().is_direct(room.id).await? {
        return Err(ServiceError::Invalid(
            "A direct conversation is for its two people; no one else can join it.".to_owned(),
        ));
    }
    let user = find_user(store, username).await?;
    let colour = match chosen {
        Some(c) => c,
        None => {
            let members = store.rooms().members(room.id).await?;
            let taken: Vec<&str> = members.iter().map(|m| m.colour.as_str()).collect();
            crate::domain::colour::pick(&taken, user.id)
        }
    };
    store
        .rooms()
        .add_member(room.id, user.id, colour.as_str())
        .await
        .map_err(|e| {
            ServiceError::clash(e, || {
                format!("{} is already a member of this room.", user.username)
            })
        })
}

/// Every account, by username.
///
/// # Errors
/// When storage fails.
pub async fn list_users(store: &Store) -> Result<Vec<User>, ServiceError> {
    Ok(store.accounts().list_users().await?)
}

/// Every room, by title.
///
/// # Errors
/// When storage fails.
pub async fn list_rooms(store: &Store) -> Result<Vec<Room>, ServiceError> {
    Ok(store.rooms().list_rooms().await?)
}

/// The rooms a user may open from the index: their own, or every room for
/// an admin.
///
/// # Errors
/// When storage fails.
pub async fn rooms_for(store: &Store, user: &User) -> Result<Vec<Room>, ServiceError> {
    if user.is_admin {
        list_rooms(store).await
    } else {
        rooms_of(store, user).await
    }
}

/// The rooms a user is a member of, by title.
///
/// # Errors
/// When storage fails.
pub async fn rooms_of(store: &Store, user: &User) -> Result<Vec<Room>, ServiceError> {
    Ok(store.rooms().rooms_of(user.id).await?)
}

/// A room's active members, by username.
///
/// # Errors
/// When storage fails.
pub async fn members(
    store: &Store,
    room: &Room,
) -> Result<std::sync::Arc<Vec<Member>>, ServiceError> {
    Ok(store.rooms().members(room.id).await?)
}

/// The account a session names, as now stored; `None` when it is gone.
///
/// # Errors
/// When storage fails.
pub async fn user_by_id(store: &Store, id: i64) -> Result<Option<User>, ServiceError> {
    match store.accounts().user_by_id(id).await {
        Ok(user) => Ok(Some(user)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The membership an unsubscribe link names, with its room; `None` when
/// either is gone.
///
/// # Errors
/// When storage fails.
pub async fn membership(
    store: &Store,
    room_id: i64,
    user_id: i64,
) -> Result<Option<(Room, Member)>, ServiceError> {
    let member = match store.rooms().member(room_id, user_id).await {
        Ok(m) => m,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match store.rooms().room_by_id(room_id).await {
        Ok(room) => Ok(Some((room, member))),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Turns a member's e-mail alerts off (the unsubscribe link), keeping the
/// in-page alert as it is.
///
/// # Errors
/// When storage fails.
pub async fn stop_mail_alerts(store: &Store, member: &Member) -> Result<(), ServiceError> {
    Ok(store
        .rooms()
        .set_alerts(member.room_id, member.user_id, member.alert, false)
        .await?)
}

/// The sentence for a slug another room has.
#[must_use]
pub fn slug_taken(slug: &str) -> String {
    format!("A room with the slug '{slug}' already exists.")
}

/// A room by slug, or a `NotFound` naming it.
///
/// # Errors
/// `NotFound` when there is no such room.
pub async fn find_room(store: &Store, slug: &str) -> Result<Room, ServiceError> {
    store.rooms().room_by_slug(slug).await.map_err(|e| match e {
        StoreError::NotFound => ServiceError::NotFound(format!("There is no room '{slug}'.")),
        other => other.into(),
    })
}

/// A user by name (any case), or a `NotFound` naming them.
///
/// # Errors
/// `NotFound` when there is no such user.
pub async fn find_user(store: &Store, username: &str) -> Result<User, ServiceError> {
    store
        .accounts()
        .user_by_name(&username.to_ascii_lowercase())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                ServiceError::NotFound(format!("There is no user '{username}'."))
            }
            other => other.into(),
        })
}

// A real argon2 hash of a random password: verifying against it costs the
// same as a real check, so an unknown username is not faster than a wrong password.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| password::hash_unchecked("dummy password for timing").unwrap_or_default());

/// Checks credentials; `None` for an unknown user, a wrong password or an
/// inactive account, all indistinguishable to the caller.
///
/// # Errors
/// Only when storage fails.
pub async fn authenticate(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<Option<User>, ServiceError> {
    let found = match store
        .accounts()
        .user_by_name(&username.trim().to_ascii_lowercase())
        .await
    {
        Ok(user) => Some(user),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let password = password.to_owned();
    let stored = found.as_ref().map(|u| u.password_hash.clone());
    // argon2 takes tens of milliseconds of CPU and 19 MiB: through the gate,
    // off the async workers. A hash kept from a Django import is replaced by
    // argon2id once the password is known to be right (computed there too).
    let (ok, upgraded) = password::HASHING
        .run(move || {
            let hash = stored.unwrap_or_else(|| DUMMY_HASH.clone());
            let ok = password::verify(&password, &hash);
            let upgraded = (ok && password::needs_upgrade(&hash))
                .then(|| password::rehash(&password).ok())
                .flatten();
            (ok, upgraded)
        })
        .await
        .unwrap_or((false, None));
    let Some(user) = found.filter(|u| ok && u.is_active) else {
        return Ok(None);
    };
    if let Some(new_hash) = upgraded {
        store.accounts().set_password(user.id, &new_hash).await?;
        tracing::info!(
            user = user.id,
            "upgraded an imported password hash to argon2id"
        );
        return Ok(Some(store.accounts().user_by_id(user.id).await?));
    }
    Ok(Some(user))
}

/// Changes a user's own password, after checking the current one.
/// Returns the user as now stored.
///
/// # Errors
/// `Invalid` when the current password is wrong, the two new ones differ,
/// or the new one breaks the policy; storage errors.
pub async fn change_password(
    store: &Store,
    policy: &password::Policy,
    user: &User,
    current: &str,
    new: &str,
    again: &str,
) -> Result<User, ServiceError> {
    if authenticate(store, &user.username, current)
        .await?
        .is_none()
    {
        return Err(ServiceError::Invalid(
            "Your current password is not correct.".to_owned(),
        ));
    }
    if new != again {
        return Err(ServiceError::Invalid(
            "The two new passwords differ.".to_owned(),
        ));
    }
    let hash = policy
        .hash_off_workers(new)
        .await
        .map_err(ServiceError::Invalid)?;
    store.accounts().set_password(user.id, &hash).await?;
    Ok(store.accounts().user_by_id(user.id).await?)
}

/// Deletes a session record at once (a logout), rather than after the
/// answer, so that whoever checks it next finds it gone.
///
/// # Errors
/// When storage fails.
pub async fn end_session(store: &Store, session_id: &str) -> Result<(), ServiceError> {
    // Logging out on a device stops its push notifications too.
    super::push::session_ended(store, session_id).await?;
    Ok(store.sessions().delete(session_id).await?)
}

/// Sets (or with a blank address, clears) where a user's alerts go.
///
/// # Errors
/// `Invalid` for a malformed address; storage errors.
pub async fn set_alert_email(store: &Store, user: &User, raw: &str) -> Result<(), ServiceError> {
    let address = validate_email(Some(raw))?;
    Ok(store
        .accounts()
        .set_alert_email(user.id, address.as_deref())
        .await?)
}

/// Sets a user's language (a tag among `offered`) and time zone (an IANA
/// name); an empty value for either means "the browser's". Nothing is
/// stored unless both are good.
///
/// # Errors
/// `Invalid` for a language the site does not offer or a time zone the
/// database does not know; storage errors.
pub async fn set_locale(
    store: &Store,
    user: &User,
    offered: &[crate::domain::language::Language],
    language: &str,
    time_zone: &str,
) -> Result<(), ServiceError> {
    let language = match language.trim() {
        "" => None,
        tag => Some(
            crate::domain::language::Language::from_tag(tag)
                .filter(|l| offered.contains(l))
                .ok_or_else(|| {
                    ServiceError::Invalid("This site does not offer that language.".to_owned())
                })?,
        ),
    };
    let time_zone = match time_zone.trim() {
        "" => None,
        name => Some(
            crate::domain::time_zone::TimeZoneName::parse(name).map_err(|_| {
                ServiceError::Invalid(
                    "That is not a time zone; choose one from the list, such as Europe/Berlin."
                        .to_owned(),
                )
            })?,
        ),
    };
    Ok(store
        .accounts()
        .set_locale(
            user.id,
            language.map(crate::domain::language::Language::tag),
            time_zone
                .as_ref()
                .map(crate::domain::time_zone::TimeZoneName::as_str),
        )
        .await?)
}

/// Capitalises the first letter and ends with a full stop: errors are sentences.
#[must_use]
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
