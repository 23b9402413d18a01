//! Accounts whose identity comes from elsewhere: a host site that embeds
//! Conversate ([`crate::identity::HostIdentity`]), a trusted front-end's
//! headers, or an OpenID provider. Each is provisioned here, once: the
//! outside identity is linked to an ordinary Conversate account, made on
//! first sight and kept up to date on later visits, so rooms, membership,
//! read state and alerts live in Conversate as for everyone else.

use super::ServiceError;
use super::accounts::{capitalise, user_by_id, validate_email};
use crate::domain::{User, Username};
use crate::identity::HostUser;
use crate::store::{NewUser, Store, StoreError};

/// The password hash of accounts made for outside identities: no argon2
/// hash has this shape, so no password ever matches it, and the account
/// can only be entered the way it was made (until an administrator sets a
/// password on purpose).
pub const NO_PASSWORD: &str = "!external";

/// Which existing account an outside identity seen for the first time
/// takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adopt {
    /// The account of the same username, unless another identity of the
    /// same source holds it.
    Username,
    /// The account with the same e-mail address (the caller passes only a
    /// verified one), under the same condition.
    Email,
    /// None: a new account is always made.
    Never,
}

/// The account `who` signs in as, from `source` (`host`, `proxy`, an
/// issuer URL): the linked one, updated where the source says otherwise
/// (e-mail, administrator flag), or, on first sight, the account of the
/// same username if no other identity of `source` holds it, or a new one.
///
/// # Errors
/// `Invalid` when the username or e-mail cannot be used, `Conflict` when
/// the username belongs to an account linked to another identity of the
/// same source, `Forbidden` when the account was deactivated here.
pub async fn provision(store: &Store, source: &str, who: &HostUser) -> Result<User, ServiceError> {
    Ok(provision_with(store, source, who, Adopt::Username).await?.0)
}

/// [`provision`], with the choice of which existing account a first sight
/// takes over; answers too whether the account was made just now.
///
/// # Errors
/// As [`provision`].
#[tracing::instrument(skip_all, fields(source = %source))]
pub async fn provision_with(
    store: &Store,
    source: &str,
    who: &HostUser,
    adopt: Adopt,
) -> Result<(User, bool), ServiceError> {
    if who.id.is_empty() {
        return Err(ServiceError::Invalid(
            "The identity has no stable id.".to_owned(),
        ));
    }
    let (user, created) = match store.identities().identity_user(source, &who.id).await {
        Ok(user_id) => (
            user_by_id(store, user_id)
                .await?
                .ok_or(ServiceError::Store(StoreError::NotFound))?,
            false,
        ),
        Err(StoreError::NotFound) => first_sight(store, source, who, adopt).await?,
        Err(e) => return Err(e.into()),
    };
    if !user.is_active {
        return Err(ServiceError::Forbidden(
            "This account has been deactivated. Please ask the site's administrator.".to_owned(),
        ));
    }
    Ok((update(store, source, who, user).await?, created))
}

/// The existing account a first sight may take over.
async fn adoptable(
    store: &Store,
    username: &Username,
    email: Option<&str>,
    adopt: Adopt,
) -> Result<Option<User>, ServiceError> {
    match adopt {
        Adopt::Never => Ok(None),
        Adopt::Username => match store.accounts().user_by_name(&username.key()).await {
            Ok(user) => Ok(Some(user)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        },
        // Once per first sign-in; a small group's list of accounts.
        Adopt::Email => Ok(match email {
            Some(email) => store.accounts().list_users().await?.into_iter().find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            }),
            None => None,
        }),
    }
}

/// Links `who` to an account, making one when needed; answers whether it
/// was made.
async fn first_sight(
    store: &Store,
    source: &str,
    who: &HostUser,
    adopt: Adopt,
) -> Result<(User, bool), ServiceError> {
    let username = Username::parse(who.username.trim())
        .map_err(|e| ServiceError::Invalid(capitalise(&e.to_string())))?;
    let email = validate_email(who.email.as_deref())?;
    let display = who.display_name.as_deref();
    let now = crate::domain::now();
    let taken = || {
        ServiceError::Conflict(format!(
            "The username '{}' is already taken.",
            username.as_str()
        ))
    };
    // Two first requests at once both get here; the second one's insert
    // clashes and it takes what the first one made.
    for _ in 0..2 {
        let (user, created) = match adoptable(store, &username, email.as_deref(), adopt).await? {
            Some(user) => (user, false),
            None => match store
                .accounts()
                .create_user(NewUser {
                    username_key: username.key(),
                    username: username.as_str().to_owned(),
                    email: email.clone(),
                    password_hash: NO_PASSWORD.to_owned(),
                    is_admin: who.admin.unwrap_or(false),
                    // The provider's name for the person starts as their
                    // display name; one it sends that we would refuse
                    // (control characters, over the longest any site
                    // allows) is left out rather than refusing the login.
                    display_name: display.and_then(|d| {
                        crate::domain::profile::parse_display_name(d, 200)
                            .ok()
                            .flatten()
                    }),
                    created_at: now,
                })
                .await
            {
                Ok(user) => (user, true),
                Err(StoreError::Conflict) if adopt == Adopt::Username => continue,
                Err(StoreError::Conflict) => return Err(taken()),
                Err(e) => return Err(e.into()),
            },
        };
        match store.identities().linked_subject(source, user.id).await {
            Ok(other) if other != who.id => {
                return Err(ServiceError::Conflict(format!(
                    "The account '{}' belongs to another user.",
                    user.username
                )));
            }
            Ok(_) => return Ok((user, created)),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        match store
            .identities()
            .link_identity(source, &who.id, user.id, display, now)
            .await
        {
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
        // Whoever won a race, the link now names the account.
        let linked = store.identities().identity_user(source, &who.id).await?;
        let user = user_by_id(store, linked)
            .await?
            .ok_or(ServiceError::Store(StoreError::NotFound))?;
        return Ok((user, created));
    }
    Err(taken())
}

/// Saves what the source says differently now: the e-mail (when it gives
/// one) and the administrator flag (when it decides it).
async fn update(
    store: &Store,
    source: &str,
    who: &HostUser,
    user: User,
) -> Result<User, ServiceError> {
    let email = match who.email.as_deref() {
        Some(raw) => validate_email(Some(raw))?,
        None => user.email.clone(),
    };
    let is_admin = who.admin.unwrap_or(user.is_admin);
    if email == user.email && is_admin == user.is_admin {
        return Ok(user);
    }
    store
        .accounts()
        .update_user(user.id, email.as_deref(), is_admin, user.is_active)
        .await?;
    if who.display_name.is_some() {
        store
            .identities()
            .set_identity_name(source, &who.id, who.display_name.as_deref())
            .await?;
    }
    Ok(User {
        email,
        is_admin,
        ..user
    })
}

/// The account linked to `subject` of `source`, if any.
///
/// # Errors
/// When storage fails.
pub async fn linked_user(
    store: &Store,
    source: &str,
    subject: &str,
) -> Result<Option<i64>, ServiceError> {
    match store.identities().identity_user(source, subject).await {
        Ok(id) => Ok(Some(id)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
