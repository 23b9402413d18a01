//! Password hashing with argon2id.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// Longest accepted password, bytes: hashing cost must not grow with input.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes a password (argon2id with a fresh salt, OWASP parameters).
///
/// # Errors
/// A sentence when the password is empty, too long, or hashing failed.
pub fn hash(password: &str) -> Result<String, String> {
    if password.is_empty() {
        return Err("The password must not be empty.".to_owned());
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "The password must be at most {MAX_PASSWORD_BYTES} bytes."
        ));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("Could not hash the password: {e}"))
}

/// Checks a password against a stored hash; false for any malformed hash.
#[must_use]
pub fn verify(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
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
    fn refuses_empty_and_huge() {
        assert!(hash("").is_err());
        assert!(hash(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
    }
}
