//! Password reset by e-mail. Asking for a reset only queues what was
//! entered (a username or an address) in the durable account mail queue;
//! the mail worker finds the account, makes a single-use link that expires
//! (`RESET_LINK_MINUTES`) and sends it. So the answer, and the work behind
//! it, are the same whether or not such an account exists, and no usable
//! link is ever stored: only its hash. Using a link sets the password, ends
//! the account's other sessions and its other outstanding links.

use super::chat::Chat;
use super::{ServiceError, accounts};
use crate::domain::links::{self, LinkState, ResetLink};
use crate::domain::{self, AuditEntry, User};
use crate::store::{Store, StoreError};

/// The kind of a reset e-mail in the account mail queue.
pub const KIND: &str = "reset";

/// The one answer for a reset link that cannot be used, whatever the reason.
pub const INVALID: &str =
    "This password reset link is not valid: it may have expired or already been used.";

/// Longest accepted entry: the longest e-mail address.
pub const MAX_ENTERED_CHARS: usize = accounts::MAX_EMAIL_CHARS;

/// Queues a reset e-mail for whatever account `entered` names (a username
/// or an e-mail address, in any case); nothing tells whether one does.
///
/// # Errors
/// `Invalid` for an empty or overlong entry; storage errors.
pub async fn request(store: &Store, entered: &str) -> Result<(), ServiceError> {
    let entered = entered.trim();
    if entered.is_empty() {
        return Err(ServiceError::Invalid(
            "Please enter your username or e-mail address.".to_owned(),
        ));
    }
    if entered.chars().count() > MAX_ENTERED_CHARS || entered.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(
            "That is not a username or an e-mail address.".to_owned(),
        ));
    }
    store
        .account_mail()
        .queue_account_mail(KIND, &entered.to_lowercase(), domain::now())
        .await?;
    Ok(())
}

/// Makes a reset link for an account, for the mail worker: answers the
/// token (for the e-mail only) and the link's id.
///
/// # Errors
/// When storage fails.
pub async fn issue(
    store: &Store,
    user_id: i64,
    lifetime: i64,
) -> Result<(String, i64), StoreError> {
    let token = crate::random_hex(32);
    let now = domain::now();
    let id = store
        .links()
        .create_reset(user_id, &links::token_hash(&token), now, now + lifetime)
        .await?;
    Ok((token, id))
}

/// The reset link a token names, if it can still be used now.
///
/// # Errors
/// `NotFound` with [`INVALID`] for any link that cannot be used.
pub async fn usable(store: &Store, token: &str) -> Result<ResetLink, ServiceError> {
    let invalid = || ServiceError::NotFound(INVALID.to_owned());
    if !links::token_shape(token) {
        return Err(invalid());
    }
    match store.links().reset_link(&links::token_hash(token)).await {
        Ok(link) if link.state(domain::now()) == LinkState::Usable => Ok(link),
        Ok(_) | Err(StoreError::NotFound) => Err(invalid()),
        Err(e) => Err(e.into()),
    }
}

/// Sets a new password with a reset link: the link is used up, the
/// account's other links and other sessions end (streams are told at once).
/// Answers the account as now stored.
///
/// # Errors
/// `NotFound` ([`INVALID`]) for a link that cannot be used; `Invalid` when
/// the passwords differ or break the policy (and then the link still works).
pub async fn complete(
    chat: &Chat,
    token: &str,
    password: &str,
    again: &str,
) -> Result<User, ServiceError> {
    usable(&chat.store, token).await?;
    if password != again {
        return Err(ServiceError::Invalid(
            "The two passwords differ.".to_owned(),
        ));
    }
    let policy = chat.password_policy();
    let hash = policy
        .hash_off_workers(password)
        .await
        .map_err(ServiceError::Invalid)?;
    let now = domain::now();
    let user_id = chat
        .store
        .links()
        .use_reset(&links::token_hash(token), now, &hash)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ServiceError::NotFound(INVALID.to_owned()),
            other => other.into(),
        })?;
    // The password was written beside the cache; sessions and streams check
    // it again and find the old one gone.
    chat.store.forget(None);
    chat.sessions_ended(user_id);
    let user = chat.store.accounts().user_by_id(user_id).await?;
    chat.store
        .audit()
        .record_audit(AuditEntry {
            at: now,
            actor_id: Some(user.id),
            actor_name: user.username.clone(),
            action: "user.password_reset".to_owned(),
            target: user.username.clone(),
            detail: "by e-mail link; other sessions ended".to_owned(),
        })
        .await?;
    Ok(user)
}

/// The newest reset links, for the admin page.
///
/// # Errors
/// When storage fails.
pub async fn list(store: &Store) -> Result<Vec<ResetLink>, ServiceError> {
    Ok(store.links().reset_links(200).await?)
}

impl super::admin::Admin<'_> {
    /// Withdraws a reset link: it stops working at once.
    ///
    /// # Errors
    /// `NotFound` for an unknown link; storage errors.
    pub async fn revoke_reset(&self, id: i64) -> Result<ResetLink, ServiceError> {
        let link = self
            .chat
            .store
            .links()
            .revoke_reset(id, domain::now())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => {
                    ServiceError::NotFound("There is no such reset link.".to_owned())
                }
                other => other.into(),
            })?;
        self.audit("reset.revoke", &link.username, format!("reset link {id}"))
            .await?;
        Ok(link)
    }
}
