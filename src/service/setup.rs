//! First run: while no admin exists, a one-time URL creates the first one.
//! Only the token's hash is stored; the token itself is printed once.

use super::{ServiceError, accounts, password};
use crate::domain::{User, Username};
use crate::store::Store;

/// Hash of a setup token as stored.
#[must_use]
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh one-time setup token while no admin exists (replacing any
/// earlier one); `None`, and no token kept, once an admin exists.
///
/// # Errors
/// When storage fails.
pub async fn fresh_token(store: &Store) -> Result<Option<String>, ServiceError> {
    if store.accounts().has_admin().await? {
        store.secrets().set_setup_token(None).await?;
        return Ok(None);
    }
    let token = crate::random_hex(24);
    store
        .secrets()
        .set_setup_token(Some(&token_hash(&token)))
        .await?;
    Ok(Some(token))
}

/// Whether `token` is the current setup token and no admin exists yet.
///
/// # Errors
/// When storage fails.
pub async fn token_is_valid(store: &Store, token: &str) -> Result<bool, ServiceError> {
    if store.accounts().has_admin().await? {
        return Ok(false);
    }
    let hash = token_hash(token);
    let current = store.secrets().secret("setup_token", "").await?;
    Ok(!current.is_empty()
        && bool::from(subtle::ConstantTimeEq::ct_eq(
            current.as_bytes(),
            hash.as_bytes(),
        )))
}

/// What the setup form asks for.
#[derive(Debug)]
pub struct FirstAdmin<'a> {
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub password: &'a str,
    pub again: &'a str,
}

/// Creates the first administrator with the one-time `token`. Every field
/// is checked before the token is taken, so a typo does not use it up.
///
/// # Errors
/// `NotFound` when the token is not (or no longer) valid; `Invalid` or
/// `Conflict` for a field that is refused, and then the token is kept.
pub async fn create_first_admin(
    store: &Store,
    policy: &password::Policy,
    token: &str,
    form: FirstAdmin<'_>,
) -> Result<User, ServiceError> {
    if form.password != form.again {
        return Err(ServiceError::Invalid(
            "The two passwords differ.".to_owned(),
        ));
    }
    policy.check(form.password).map_err(ServiceError::Invalid)?;
    Username::parse(form.username.trim())
        .map_err(|e| ServiceError::Invalid(accounts::capitalise(&e.to_string())))?;
    accounts::validate_email(form.email)?;
    if !store.secrets().take_setup_token(&token_hash(token)).await? {
        return Err(invalid());
    }
    let created = accounts::create_user(
        store,
        policy,
        form.username,
        form.email,
        form.password,
        true,
    )
    .await;
    if created.is_err() && !store.accounts().has_admin().await? {
        // Refused after all (a clash): the same link still works.
        store
            .secrets()
            .set_setup_token(Some(&token_hash(token)))
            .await?;
    }
    created
}

/// The answer for a setup link that is not valid.
#[must_use]
pub fn invalid() -> ServiceError {
    ServiceError::NotFound("This setup link is invalid or has already been used.".to_owned())
}
