//! The password policy, and hashing with argon2id.
//!
//! Every way a password is set (setup, the account page, the admin pages,
//! the CLI) goes through [`hash`], so the policy holds on every path with
//! the same words. Hashes kept from a django-conversate import are checked
//! by [`django`] and replaced at the next login ([`needs_upgrade`]).

pub mod django;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// Longest accepted password, bytes: hashing cost must not grow with input.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Shortest accepted password, characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Checks a new password against the policy.
///
/// # Errors
/// A sentence saying what is wrong: too short (or empty), or too long.
pub fn check(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "The password must be at least {MIN_PASSWORD_CHARS} characters."
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "The password must be at most {MAX_PASSWORD_BYTES} bytes."
        ));
    }
    Ok(())
}

/// Hashes a new password (argon2id with a fresh salt, OWASP parameters)
/// once it passes [`check`].
///
/// # Errors
/// A sentence when the password breaks the policy, or hashing failed.
pub fn hash(password: &str) -> Result<String, String> {
    check(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("Could not hash the password: {e}"))
}

/// Checks a password against a stored hash (ours, or one of Django's
/// kept by an import); false for any malformed hash.
#[must_use]
pub fn verify(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    if django::is_django(stored) {
        return django::verify(password, stored);
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Whether a stored hash should be replaced by a fresh argon2id one once
/// the password is known (after a successful login): Django's hashes.
#[must_use]
pub fn needs_upgrade(stored: &str) -> bool {
    django::is_django(stored)
}

/// Hashes a password that was just verified against a hash that
/// [`needs_upgrade`], skipping the policy: the person chose it elsewhere,
/// and refusing it here would lock them out.
///
/// # Errors
/// When hashing fails.
pub fn rehash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("Could not hash the password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let h = hash("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn refuses_short_empty_and_huge_passwords_in_the_same_words() {
        let short = "The password must be at least 8 characters.";
        assert_eq!(hash(""), Err(short.to_owned()));
        assert_eq!(hash("x"), Err(short.to_owned()));
        // Characters, not bytes: seven accented letters are still too short.
        assert_eq!(hash("ééééééé"), Err(short.to_owned()));
        assert!(hash("éééééééé").is_ok());
        assert!(hash(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
    }
}
