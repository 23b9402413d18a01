//! API tokens: made for oneself or (by an administrator) for a bot, shown
//! once, checked on every bearer request, listed and revoked.

use super::admin::Admin;
use super::chat::Chat;
use super::{ServiceError, accounts};
use crate::domain::integrations::{ApiToken, Bot, NewToken};
use crate::domain::tokens;
use crate::domain::{self, User, Username};
use crate::store::{NewUser, Store, StoreError};

/// Longest token or webhook name.
pub const MAX_NAME_CHARS: usize = 80;
/// Last use is written at most this often per token (seconds), so a busy
/// token does not cost a write per request.
pub const LAST_USE_EVERY: i64 = 60;
/// The password hash of a bot: not an argon2 hash, so no password matches.
pub const NO_PASSWORD: &str = "!bot";

/// What a new token should be.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub name: String,
    pub read: bool,
    pub post: bool,
    /// The slug of the one room it may act in, if limited.
    pub room: Option<String>,
}

/// A new token, the only time its secret is seen.
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: i64,
    /// The whole token, to show once.
    pub token: String,
}

/// A name for a token or webhook: trimmed, 1 to [`MAX_NAME_CHARS`]
/// characters, no control characters.
///
/// # Errors
/// `Invalid` with a sentence.
pub fn validate_name(raw: &str) -> Result<String, ServiceError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ServiceError::Invalid("Please give it a name.".to_owned()));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!(
            "The name must be at most {MAX_NAME_CHARS} characters, without control characters."
        )));
    }
    Ok(name.to_owned())
}

/// A fresh selector and secret: the token to show, and what to store.
#[must_use]
pub fn fresh_secret() -> (String, String, String) {
    let selector = crate::random_hex(tokens::SELECTOR_CHARS / 2);
    let secret = crate::random_hex(tokens::SECRET_CHARS / 2);
    let hash = tokens::hash_secret(&secret);
    (tokens::join(&selector, &secret), selector, hash)
}

/// Issues a token to `holder` (made by `maker`: the holder, or the
/// administrator who owns the bot), after checking the request.
async fn issue(
    chat: &Chat,
    holder: &User,
    maker: &User,
    request: &TokenRequest,
    limit: u32,
) -> Result<Issued, ServiceError> {
    let name = validate_name(&request.name)?;
    if !request.read && !request.post {
        return Err(ServiceError::Invalid(
            "Please choose at least one scope: read or post.".to_owned(),
        ));
    }
    let room_id = match request.room.as_deref().map(str::trim) {
        Some(slug) if !slug.is_empty() => match chat.open(holder, slug).await {
            Ok(access) => Some(access.room.id),
            Err(ServiceError::NoSuchRoom) => {
                return Err(ServiceError::Invalid(format!(
                    "There is no room '{slug}' this token could be limited to."
                )));
            }
            Err(e) => return Err(e),
        },
        _ => None,
    };
    let live = chat
        .store
        .integrations()
        .tokens_of(holder.id)
        .await?
        .iter()
        .filter(|t| t.revoked_at.is_none())
        .count();
    if live >= limit as usize {
        return Err(ServiceError::Invalid(format!(
            "At most {limit} tokens may be in use at once; please revoke one first."
        )));
    }
    let (token, selector, secret_hash) = fresh_secret();
    let id = chat
        .store
        .integrations()
        .create_token(NewToken {
            user_id: holder.id,
            name,
            selector,
            secret_hash,
            can_read: request.read,
            can_post: request.post,
            room_id,
            created_by: maker.id,
            created_at: domain::now(),
        })
        .await?;
    Ok(Issued { id, token })
}

/// Issues a personal token to `user`.
///
/// # Errors
/// `Invalid` for a bad name, no scope, a room the user cannot open, or
/// too many tokens; storage errors.
pub async fn create_personal(
    chat: &Chat,
    user: &User,
    request: &TokenRequest,
    limit: u32,
) -> Result<Issued, ServiceError> {
    if chat.store.integrations().is_bot(user.id).await? {
        return Err(ServiceError::Forbidden(
            "A bot's tokens are made by an administrator.".to_owned(),
        ));
    }
    issue(chat, user, user, request, limit).await
}

/// A user's tokens, newest first (revoked ones too, marked).
///
/// # Errors
/// Storage errors.
pub async fn list(store: &Store, user_id: i64) -> Result<Vec<ApiToken>, ServiceError> {
    Ok(store.integrations().tokens_of(user_id).await?)
}

/// Revokes one of the user's tokens; it stops working at once, and the
/// event streams it opened end, on every node.
///
/// # Errors
/// `NotFound` when the user has no such live token.
pub async fn revoke(chat: &Chat, user_id: i64, id: i64) -> Result<(), ServiceError> {
    match chat
        .store
        .integrations()
        .revoke_token(id, user_id, domain::now())
        .await
    {
        Ok(()) => {
            // Streams opened with the token check it again and end.
            chat.sessions_ended(user_id);
            Ok(())
        }
        Err(StoreError::NotFound) => Err(ServiceError::NotFound(
            "No such token, or it was already revoked.".to_owned(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Whether the token with this selector is still live (not revoked, not
/// gone): asked by the event streams it opened when its holder's access
/// may have changed.
///
/// # Errors
/// Storage errors only.
pub async fn still_live(store: &Store, selector: &str) -> Result<bool, ServiceError> {
    match store.integrations().token_by_selector(selector).await {
        Ok(token) => Ok(token.revoked_at.is_none()),
        Err(StoreError::NotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The token a bearer request presents, with its active holder; `None`
/// for anything that is not a live token of an active account. Last use
/// is written at most once a minute.
///
/// # Errors
/// Storage errors only.
pub async fn authenticate(
    store: &Store,
    presented: &str,
) -> Result<Option<(ApiToken, User)>, ServiceError> {
    let Some(parts) = tokens::parse(presented) else {
        return Ok(None);
    };
    let token = match store.integrations().token_by_selector(parts.selector).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if !tokens::secret_matches(parts.secret, &token.secret_hash) || token.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(user) = accounts::user_by_id(store, token.user_id).await? else {
        return Ok(None);
    };
    if !user.is_active {
        return Ok(None);
    }
    let now = domain::now();
    if token
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USE_EVERY)
        && let Err(e) = store.integrations().token_used(token.id, now).await
    {
        // Bookkeeping only: the request goes on.
        tracing::warn!(error = %crate::error_chain(&e), "could not record a token's use");
    }
    Ok(Some((token, user)))
}

impl Admin<'_> {
    pub(crate) fn acting(&self) -> Result<&User, ServiceError> {
        match &self.actor {
            super::admin::Actor::Admin(user) => Ok(user),
            super::admin::Actor::CommandLine => Err(ServiceError::Forbidden(
                "Bots are owned by an administrator; use the web interface.".to_owned(),
            )),
        }
    }

    /// Creates a bot account owned by the acting administrator. It has no
    /// password: it acts through tokens and webhooks only.
    ///
    /// # Errors
    /// `Invalid` for a bad username, `Conflict` when taken.
    pub async fn create_bot(&self, username: &str) -> Result<User, ServiceError> {
        let owner = self.acting()?;
        let username = Username::parse(username.trim())
            .map_err(|e| ServiceError::Invalid(accounts::capitalise(&e.to_string())))?;
        let bot = self
            .chat
            .store
            .integrations()
            .create_bot(
                NewUser {
                    username_key: username.key(),
                    username: username.as_str().to_owned(),
                    email: None,
                    password_hash: NO_PASSWORD.to_owned(),
                    is_admin: false,
                    display_name: None,
                    created_at: domain::now(),
                },
                owner.id,
            )
            .await
            .map_err(|e| {
                ServiceError::clash(e, || {
                    format!("The username '{}' is already taken.", username.as_str())
                })
            })?;
        self.audit("bot.create", &bot.username, String::new())
            .await?;
        Ok(bot)
    }

    /// Every bot.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn bots(&self) -> Result<Vec<Bot>, ServiceError> {
        Ok(self.chat.store.integrations().bots().await?)
    }

    /// The bot named `username`.
    ///
    /// # Errors
    /// `NotFound` when there is no such bot.
    pub async fn bot(&self, username: &str) -> Result<User, ServiceError> {
        let not_found = || ServiceError::NotFound("No such bot.".to_owned());
        let user = accounts::find_user(&self.chat.store, username)
            .await
            .map_err(|_| not_found())?;
        if self.chat.store.integrations().is_bot(user.id).await? {
            Ok(user)
        } else {
            Err(not_found())
        }
    }

    /// Issues a token to a bot.
    ///
    /// # Errors
    /// As [`create_personal`], and `NotFound` for no such bot.
    pub async fn create_bot_token(
        &self,
        bot: &User,
        request: &TokenRequest,
        limit: u32,
    ) -> Result<Issued, ServiceError> {
        let maker = self.acting()?.clone();
        let issued = issue(self.chat, bot, &maker, request, limit).await?;
        self.audit(
            "token.create",
            &bot.username,
            format!("token {}: {}", issued.id, request.name.trim()),
        )
        .await?;
        Ok(issued)
    }

    /// Revokes a bot's token.
    ///
    /// # Errors
    /// `NotFound` when the bot has no such live token.
    pub async fn revoke_bot_token(&self, bot: &User, id: i64) -> Result<(), ServiceError> {
        revoke(self.chat, bot.id, id).await?;
        self.audit("token.revoke", &bot.username, format!("token {id}"))
            .await
    }
}
