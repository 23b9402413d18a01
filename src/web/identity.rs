//! The identity seam on the request path: asks the host's
//! [`HostIdentity`] who the visitor is, and maps the answer to the
//! Conversate account (see [`crate::service::identity::provision`]).
//!
//! The hook is asked on every request; the account's store work is not
//! repeated while the host says the same thing about the user, so a poll
//! costs the hook's own look-up and one cached account read.

use std::sync::{Arc, Mutex, PoisonError};

use super::error::AppError;
use super::state::AppState;
use crate::FastMap;
use crate::domain::User;
use crate::identity::{HostIdentity, HostUser, RequestHead};

/// The host's identity hook and what it said last about each user.
pub struct Seam {
    hook: Arc<dyn HostIdentity>,
    /// Per host id: the host's last answer and the account it maps to.
    /// Only users the hook resolved are kept, so a flood of made-up
    /// requests cannot grow it.
    seen: Mutex<FastMap<String, (HostUser, i64)>>,
}

impl Seam {
    /// Wraps the hook.
    #[must_use]
    pub fn new(hook: Arc<dyn HostIdentity>) -> Self {
        Self {
            hook,
            seen: Mutex::new(FastMap::default()),
        }
    }

    /// The name identities of this hook are linked under.
    #[must_use]
    pub fn source(&self) -> &str {
        self.hook.source()
    }

    /// The account of the user the host says `head` comes from, or `None`.
    ///
    /// # Errors
    /// `Unavailable` when the hook fails; the provisioning's refusals
    /// (an unusable username, a deactivated account).
    pub async fn user(
        &self,
        state: &AppState,
        head: RequestHead<'_>,
    ) -> Result<Option<User>, AppError> {
        let who = self
            .hook
            .resolve(head)
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        let Some(who) = who else { return Ok(None) };
        let known = {
            let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            seen.get(&who.id)
                .filter(|(last, _)| *last == who)
                .map(|(_, id)| *id)
        };
        if let Some(id) = known
            && let Some(user) = crate::service::accounts::user_by_id(&state.chat.store, id).await?
            && user.is_active
        {
            return Ok(Some(user));
        }
        let user =
            crate::service::identity::provision(&state.chat.store, self.source(), &who).await?;
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(who.id.clone(), (who, user.id));
        Ok(Some(user))
    }

    /// Whether `head` (kept by an open stream) still signs in `user_id`.
    /// Unknown (the hook or the store failing) counts as yes: the next
    /// check asks again.
    pub async fn still(&self, state: &AppState, head: RequestHead<'_>, user_id: i64) -> bool {
        match self.user(state, head).await {
            Ok(user) => user.is_some_and(|u| u.id == user_id),
            Err(AppError::Unavailable(e)) => {
                tracing::warn!(error = %e, "re-checking a stream's host user failed");
                true
            }
            Err(_) => false,
        }
    }
}
