//! Web Push subscriptions: turning push on for a device, listing and
//! removing devices, and forgetting a device when its session logs out.

use sha2::{Digest as _, Sha256};

use super::ServiceError;
use crate::config::Config;
use crate::domain::User;
use crate::domain::push::{self as rule, NewSubscription, Subscription};
use crate::store::{Store, StoreError};

/// What a browser's `PushSubscription` holds (its `toJSON()`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SubscriptionInput {
    pub endpoint: String,
    #[serde(default)]
    pub keys: Keys,
}

/// The subscription's keys, base64url.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Keys {
    #[serde(default)]
    pub p256dh: String,
    #[serde(default)]
    pub auth: String,
}

/// How a session is named next to the subscriptions it made: never the id
/// itself, which would let whoever reads the table log in.
#[must_use]
pub fn session_hash(session_id: &str) -> String {
    Sha256::digest(session_id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Turns push on for the device that sent `input` (replacing what that
/// browser had before), remembering the session it came from.
///
/// # Errors
/// `Forbidden` when push is off on this site; `Invalid` for a malformed
/// subscription or one device too many; storage errors.
pub async fn subscribe(
    store: &Store,
    config: &Config,
    user: &User,
    session_id: Option<&str>,
    input: &SubscriptionInput,
    user_agent: &str,
) -> Result<Subscription, ServiceError> {
    if !config.push {
        return Err(ServiceError::Forbidden(
            "Push notifications are turned off on this site.".to_owned(),
        ));
    }
    let endpoint = input.endpoint.trim();
    let Some((key, auth)) = crate::push::decode_keys(&input.keys.p256dh, &input.keys.auth) else {
        return Err(ServiceError::Invalid(
            "The subscription's keys are not valid base64url P-256 keys.".to_owned(),
        ));
    };
    rule::check_subscription(endpoint, &key, &auth)
        .map_err(|why| ServiceError::Invalid(why.to_owned()))?;
    let new = NewSubscription {
        user_id: user.id,
        endpoint: endpoint.to_owned(),
        p256dh: input.keys.p256dh.trim_end_matches('=').to_owned(),
        auth: input.keys.auth.trim_end_matches('=').to_owned(),
        device: rule::device_name(user_agent),
        session_hash: session_id.map(session_hash),
        now: crate::domain::now(),
    };
    store
        .push()
        .subscribe(&new, config.push_max_devices)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => ServiceError::Invalid(format!(
                "Push is already on for {} devices, the most allowed; remove one first.",
                config.push_max_devices
            )),
            other => other.into(),
        })
}

/// A user's devices with push on.
///
/// # Errors
/// Storage errors.
pub async fn devices(store: &Store, user: &User) -> Result<Vec<Subscription>, ServiceError> {
    Ok(store.push().subscriptions(user.id).await?)
}

/// Turns push off for one of the user's devices.
///
/// # Errors
/// `NotFound` when it is not one of theirs; storage errors.
pub async fn remove(store: &Store, user: &User, id: i64) -> Result<(), ServiceError> {
    store
        .push()
        .unsubscribe(user.id, id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                ServiceError::NotFound("No such device with push notifications.".to_owned())
            }
            other => other.into(),
        })
}

/// Turns push off for the device with this endpoint (the browser's own
/// "turn off"), if it is the user's; nothing when it is not.
///
/// # Errors
/// Storage errors.
pub async fn remove_endpoint(
    store: &Store,
    user: &User,
    endpoint: &str,
) -> Result<(), ServiceError> {
    match store.push().unsubscribe_endpoint(user.id, endpoint).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Forgets the devices subscribed in a session that is logging out.
///
/// # Errors
/// Storage errors.
pub async fn session_ended(store: &Store, session_id: &str) -> Result<u64, ServiceError> {
    Ok(store
        .push()
        .unsubscribe_session(&session_hash(session_id))
        .await?)
}
