//! Usernames: unique without regard to case.

use std::fmt;

/// Longest accepted username.
pub const MAX_LEN: usize = 150;

/// A validated username: 1–150 of letters, digits and `_.@+-` (Django's rule).
///
/// Uniqueness is case-insensitive: [`Username::key`] is what the store compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Username(String);

/// Why a username was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("the username is empty")]
    Empty,
    #[error("the username is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("the username may only contain letters, digits and the characters _ . @ + -")]
    BadCharacter,
}

impl Username {
    /// Validates `raw` as a username.
    ///
    /// # Errors
    /// Returns a [`UsernameError`] saying what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        if raw.is_empty() {
            return Err(UsernameError::Empty);
        }
        if raw.chars().count() > MAX_LEN {
            return Err(UsernameError::TooLong);
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '+' | '-'))
        {
            return Err(UsernameError::BadCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The username as the user typed it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form used for uniqueness and look-ups.
    #[must_use]
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ignores_case() {
        let a = Username::parse("Alice").map(|u| u.key());
        let b = Username::parse("aLICE").map(|u| u.key());
        assert_eq!(a, b);
    }

    #[test]
    fn refuses_markup_and_spaces() {
        assert_eq!(Username::parse("<b>"), Err(UsernameError::BadCharacter));
        assert_eq!(Username::parse("a b"), Err(UsernameError::BadCharacter));
        assert_eq!(Username::parse(""), Err(UsernameError::Empty));
        assert_eq!(
            Username::parse(&"x".repeat(151)),
            Err(UsernameError::TooLong)
        );
        assert!(Username::parse("bob.smith+chat@example-1").is_ok());
    }
}
