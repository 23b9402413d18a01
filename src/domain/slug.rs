//! Room slugs: the room's name in URLs.

use std::fmt;

/// Words that would collide with fixed routes at the top level of the chat.
const RESERVED: &[&str] = &[
    "admin",
    "api",
    "assets",
    "static",
    "login",
    "logout",
    "setup",
    "account",
    "health",
    "healthz",
    "readyz",
    "metrics",
    "search",
    "hooks",
    "unsubscribe",
    "invite",
    "password",
    "rooms",
    "offline",
    "sw.js",
    "manifest.webmanifest",
    "favicon.ico",
    "robots.txt",
];

/// Longest accepted slug.
pub const MAX_LEN: usize = 64;

/// A validated room slug: `[-a-zA-Z0-9_]+`, not a reserved word.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct RoomSlug(String);

/// Why a slug was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("the room slug is empty")]
    Empty,
    #[error("the room slug is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("the room slug may only contain letters, digits, '-' and '_'")]
    BadCharacter,
    #[error("the room slug '{0}' is reserved, please choose another")]
    Reserved(String),
}

impl RoomSlug {
    /// Validates `raw` as a slug.
    ///
    /// # Errors
    /// Returns a [`SlugError`] saying what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        if raw.is_empty() {
            return Err(SlugError::Empty);
        }
        if raw.len() > MAX_LEN {
            return Err(SlugError::TooLong);
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(SlugError::BadCharacter);
        }
        if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(raw)) {
            return Err(SlugError::Reserved(raw.to_owned()));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The slug as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_dash_underscore() {
        assert_eq!(
            RoomSlug::parse("general-chat_2").map(|s| s.0),
            Ok("general-chat_2".into())
        );
    }

    #[test]
    fn refuses_bad_slugs() {
        assert_eq!(RoomSlug::parse(""), Err(SlugError::Empty));
        assert_eq!(RoomSlug::parse("a b"), Err(SlugError::BadCharacter));
        assert_eq!(RoomSlug::parse("../x"), Err(SlugError::BadCharacter));
        assert_eq!(RoomSlug::parse("ä"), Err(SlugError::BadCharacter));
        assert_eq!(RoomSlug::parse(&"a".repeat(65)), Err(SlugError::TooLong));
    }

    #[test]
    fn refuses_reserved_words_in_any_case() {
        assert_eq!(
            RoomSlug::parse("Admin"),
            Err(SlugError::Reserved("Admin".into()))
        );
        assert!(matches!(
            RoomSlug::parse("login"),
            Err(SlugError::Reserved(_))
        ));
    }
}
