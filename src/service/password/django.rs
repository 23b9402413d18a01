//! Password hashes kept from django-conversate accounts (`conversate import
//! django-conversate`), checked as Django checks them, so people log in with
//! the password they already have. Each one is replaced by an argon2id hash
//! at the first successful login (`accounts::authenticate`).
//!
//! Django writes `algorithm$…`:
//! - `pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>`;
//! - `argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`: a PHC string after
//!   the `argon2` word;
//! - `bcrypt_sha256$$2b$<cost>$…`: bcrypt over the hex SHA-256 of the
//!   password (bcrypt reads only 72 bytes).
//!
//! Anything else (unsalted or retired hashers) never matches.

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The most PBKDF2 rounds a stored hash may ask for: Django 5.2 uses
/// 1,000,000; more is refused rather than letting one login burn seconds.
const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;

/// Whether `stored` is a hash in one of Django's formats handled here.
#[must_use]
pub fn is_django(stored: &str) -> bool {
    ["pbkdf2_sha256$", "argon2$", "bcrypt_sha256$"]
        .iter()
        .any(|p| stored.starts_with(p))
}

/// Checks `password` against a Django hash; false for any other or
/// malformed hash.
#[must_use]
pub fn verify(password: &str, stored: &str) -> bool {
    if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
        return pbkdf2_sha256(password, rest);
    }
    if let Some(phc) = stored.strip_prefix("argon2") {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        return Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
    }
    if let Some(inner) = stored.strip_prefix("bcrypt_sha256$") {
        let digest = hex(&Sha256::digest(password.as_bytes()));
        return bcrypt::verify(digest, inner).unwrap_or(false);
    }
    false
}

fn pbkdf2_sha256(password: &str, rest: &str) -> bool {
    let mut parts = rest.splitn(3, '$');
    let (Some(rounds), Some(salt), Some(expected)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(rounds) = rounds.parse::<u32>() else {
        return false;
    };
    if rounds == 0 || rounds > MAX_PBKDF2_ROUNDS {
        return false;
    }
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(expected) else {
        return false;
    };
    if expected.is_empty() || expected.len() > 64 {
        return false;
    }
    let mut key = vec![0u8; expected.len()];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt.as_bytes(), rounds, &mut key);
    key.ct_eq(&expected).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each made by Django 5.2's own hashers for the password "correct
    // horse" (`make_password`), the first with the salt "seasalt".
    const PBKDF2: &str =
        "pbkdf2_sha256$1000000$seasalt$eDeT2Bk71DYBhUNxsvTfOL61wQ+l2yaHzCst8hDsfHQ=";
    const ARGON2: &str = "argon2$argon2id$v=19$m=102400,t=2,p=8$RTNSSVJ0bVNBVUlSandBakpSN0F3WA$ppkyKDQyXBfY/OIa0j7SEtGkVfWbUk00/kbx5DNDO+8";
    const BCRYPT: &str =
        "bcrypt_sha256$$2b$12$cfkjm0Dp1jBnrCv9lJfPY.fGwC5hw4aDHmJPmcXn1i1d4XHXZzzi6";

    #[test]
    fn pbkdf2_sha256_as_django_computes_it() {
        // Django's `PBKDF2PasswordHasher().encode("passwd", "salt", 1)`.
        let one_round = "pbkdf2_sha256$1$salt$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLw=";
        assert!(verify("passwd", one_round));
        assert!(!verify("passwe", one_round));
        assert!(verify("correct horse", PBKDF2));
        assert!(!verify("correct horsf", PBKDF2));
    }

    #[test]
    fn argon2_and_bcrypt_sha256_as_django_writes_them() {
        assert!(is_django(ARGON2) && is_django(BCRYPT));
        assert!(verify("correct horse", ARGON2));
        assert!(!verify("correct horsf", ARGON2));
        assert!(verify("correct horse", BCRYPT));
        assert!(!verify("correct horsf", BCRYPT));
    }

    #[test]
    fn malformed_and_unknown_hashes_never_match() {
        for stored in [
            "",
            "pbkdf2_sha256$",
            "pbkdf2_sha256$x$salt$abc",
            "pbkdf2_sha256$0$salt$abc=",
            "pbkdf2_sha256$99999999999$salt$abc=",
            "md5$salt$0123",
            "argon2$nonsense",
            "bcrypt_sha256$$2b$nonsense",
            "!unusable",
        ] {
            assert!(!verify("anything", stored), "{stored}");
        }
    }
}
