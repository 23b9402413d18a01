//! Incoming webhooks: a secret URL per room that posts as a bot. Made and
//! revoked by administrators (both in the audit log); used by scripts.

use super::admin::Admin;
use super::chat::{Chat, Draft};
use super::tokens::{LAST_USE_EVERY, fresh_secret, validate_name};
use super::{ServiceError, accounts};
use crate::domain::integrations::{IncomingHook, NewHook};
use crate::domain::{self, User, tokens};
use crate::store::{Posted, StoreError};

/// A new webhook, the only time its secret is seen.
#[derive(Debug, Clone)]
pub struct IssuedHook {
    pub id: i64,
    /// The secret path part: `POST /hooks/<token>/`.
    pub token: String,
}

/// The one answer for every hook that is not live, so a wrong secret and
/// a revoked hook look alike.
fn no_such_hook() -> ServiceError {
    ServiceError::NotFound("No such webhook.".to_owned())
}

/// The live webhook `presented` names, with its bot.
async fn resolve(chat: &Chat, presented: &str) -> Result<(IncomingHook, User), ServiceError> {
    let parts = tokens::parse(presented).ok_or_else(no_such_hook)?;
    let hook = match chat
        .store
        .integrations()
        .hook_by_selector(parts.selector)
        .await
    {
        Ok(h) => h,
        Err(StoreError::NotFound) => return Err(no_such_hook()),
        Err(e) => return Err(e.into()),
    };
    if !tokens::secret_matches(parts.secret, &hook.secret_hash) || hook.revoked_at.is_some() {
        return Err(no_such_hook());
    }
    let bot = accounts::user_by_id(&chat.store, hook.bot_id)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(no_such_hook)?;
    Ok((hook, bot))
}

/// The bot a live webhook posts as (for its throttle), before the body is
/// read.
///
/// # Errors
/// `NotFound` for anything but a live webhook.
pub async fn bot_of(chat: &Chat, presented: &str) -> Result<User, ServiceError> {
    Ok(resolve(chat, presented).await?.1)
}

/// Posts `text` into the webhook's room as its bot.
///
/// # Errors
/// `NotFound` for anything but a live webhook; `Forbidden` when the bot
/// is no longer a member of the room; the message rules of a send.
pub async fn post(chat: &Chat, presented: &str, text: &str) -> Result<Posted, ServiceError> {
    let (hook, bot) = resolve(chat, presented).await?;
    let access = match chat.open(&bot, &hook.room_slug).await {
        Ok(access) if access.member.is_some() => access,
        Ok(_) | Err(ServiceError::NoSuchRoom) => {
            return Err(ServiceError::Forbidden(
                "The webhook's bot is no longer a member of its room.".to_owned(),
            ));
        }
        Err(e) => return Err(e),
    };
    let posted = chat
        .post(
            &access,
            Draft {
                content: text.to_owned(),
                ..Draft::default()
            },
        )
        .await?;
    let now = domain::now();
    if hook
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USE_EVERY)
        && let Err(e) = chat.store.integrations().hook_used(hook.id, now).await
    {
        tracing::warn!(error = %crate::error_chain(&e), "could not record a webhook's use");
    }
    Ok(posted)
}

impl Admin<'_> {
    /// Makes an incoming webhook for `room_slug` that posts as the bot
    /// `bot_name`, adding the bot to the room if it is not a member.
    ///
    /// # Errors
    /// `Invalid` for a bad name; `NotFound` for no such room or bot.
    pub async fn create_hook(
        &self,
        room_slug: &str,
        bot_name: &str,
        name: &str,
    ) -> Result<IssuedHook, ServiceError> {
        let name = validate_name(name)?;
        let room = accounts::find_room(&self.chat.store, room_slug).await?;
        let bot = self.bot(bot_name).await?;
        match self.chat.store.rooms().member(room.id, bot.id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                self.add_member(&room, &bot.username, None).await?;
            }
            Err(e) => return Err(e.into()),
        }
        let (token, selector, secret_hash) = fresh_secret();
        let id = self
            .chat
            .store
            .integrations()
            .create_hook(NewHook {
                room_id: room.id,
                bot_id: bot.id,
                name: name.clone(),
                selector,
                secret_hash,
                created_by: self.acting()?.id,
                created_at: domain::now(),
            })
            .await?;
        self.audit(
            "hook.create",
            &room.slug,
            format!("webhook {id} ({name}) posting as {}", bot.username),
        )
        .await?;
        Ok(IssuedHook { id, token })
    }

    /// Every incoming webhook, newest first.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn hooks(&self) -> Result<Vec<IncomingHook>, ServiceError> {
        Ok(self.chat.store.integrations().hooks().await?)
    }

    /// Revokes a webhook; its URL stops working at once.
    ///
    /// # Errors
    /// `NotFound` when there is no such live webhook.
    pub async fn revoke_hook(&self, id: i64) -> Result<(), ServiceError> {
        let hook = match self
            .chat
            .store
            .integrations()
            .revoke_hook(id, domain::now())
            .await
        {
            Ok(h) => h,
            Err(StoreError::NotFound) => {
                return Err(ServiceError::NotFound(
                    "No such webhook, or it was already revoked.".to_owned(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        self.audit(
            "hook.revoke",
            &hook.room_slug,
            format!("webhook {id} ({})", hook.name),
        )
        .await
    }
}
