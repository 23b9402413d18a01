//! A member's profile: the display name shown instead of the username, the
//! initials shown when there is no avatar, and the avatar's version (the
//! part of its address that changes when the picture does, so it can be
//! cached for good).

use super::entities::{Member, User};

/// Why a display name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisplayNameError {
    /// More characters than the limit (`DISPLAY_NAME_MAX_CHARS`).
    #[error("A display name may have at most {max} characters.")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// Line breaks, tabs or other control or formatting characters, which
    /// would break lines and could reorder the text around the name.
    #[error("A display name may not contain line breaks or control characters.")]
    Control,
}

/// Reads a display name as typed: spaces trimmed and runs of spaces made
/// one. `None` for an empty name (the username is then shown).
///
/// # Errors
/// [`DisplayNameError`] for a name that is too long or holds control or
/// bidirectional formatting characters.
pub fn parse_display_name(raw: &str, max_chars: usize) -> Result<Option<String>, DisplayNameError> {
    if raw.chars().any(is_forbidden) {
        return Err(DisplayNameError::Control);
    }
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > max_chars {
        return Err(DisplayNameError::TooLong { max: max_chars });
    }
    Ok(Some(name))
}

/// Control characters (a plain space is fine), and the bidirectional
/// overrides and isolates that would let a name reverse the text after it.
fn is_forbidden(c: char) -> bool {
    (c.is_control() && c != ' ')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Up to two letters for an avatar without a picture: the first letters of
/// the first and last words ("Ann Lee" → "AL"), or the first of a single
/// word, upper-cased. Falls back to the username when the name has no
/// letter or digit at all.
#[must_use]
pub fn initials(name: &str, username: &str) -> String {
    let firsts: Vec<char> = name
        .split(|c: char| c.is_whitespace() || matches!(c, '.' | '_' | '-' | '@' | '+'))
        .filter_map(|word| word.chars().find(|c| c.is_alphanumeric()))
        .collect();
    let picked: Vec<char> = match firsts.as_slice() {
        [] if name != username => return initials(username, username),
        [] => Vec::new(),
        [one] => vec![*one],
        [first, .., last] => vec![*first, *last],
    };
    picked.into_iter().flat_map(char::to_uppercase).collect()
}

/// The avatar's version for its address: a short hash of its storage key,
/// so a new picture gets a new address and the key itself stays private.
#[must_use]
pub fn avatar_version(avatar_key: &str) -> String {
    let mut hash = super::links::token_hash(avatar_key);
    hash.truncate(16);
    hash
}

impl User {
    /// The name shown for the user: the display name, else the username.
    #[must_use]
    pub fn shown_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }
}

impl Member {
    /// The name shown for the member: the display name, else the username.
    #[must_use]
    pub fn shown_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }

    /// The member's avatar version, when they have a picture.
    #[must_use]
    pub fn avatar_version(&self) -> Option<String> {
        self.avatar_key.as_deref().map(avatar_version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed_and_spaces_folded() {
        assert_eq!(
            parse_display_name("  Ann   Lee ", 64),
            Ok(Some("Ann Lee".to_owned()))
        );
        assert_eq!(parse_display_name("   ", 64), Ok(None));
        assert_eq!(parse_display_name("", 64), Ok(None));
        assert_eq!(
            parse_display_name("Zoë Ünal 🙂", 64),
            Ok(Some("Zoë Ünal 🙂".to_owned()))
        );
    }

    #[test]
    fn long_names_and_control_characters_are_refused() {
        assert_eq!(
            parse_display_name(&"é".repeat(65), 64),
            Err(DisplayNameError::TooLong { max: 64 })
        );
        assert_eq!(
            parse_display_name(&"é".repeat(64), 64),
            Ok(Some("é".repeat(64)))
        );
        for bad in [
            "Ann\nLee",
            "Ann\tLee",
            "a\u{0}b",
            "evil\u{202E}txt.exe",
            "x\u{2067}y",
        ] {
            assert_eq!(
                parse_display_name(bad, 64),
                Err(DisplayNameError::Control),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn initials_take_the_first_and_last_words() {
        assert_eq!(initials("Ann Lee", "ann"), "AL");
        assert_eq!(initials("ann maria de la cruz", "ann"), "AC");
        assert_eq!(initials("bob", "bob"), "B");
        assert_eq!(initials("jean-luc.picard", "jean-luc.picard"), "JP");
        assert_eq!(initials("Ölaf", "o"), "Ö");
        assert_eq!(initials("🙂 🙃", "zed"), "Z", "no letters: the username's");
        assert_eq!(initials("", ""), "");
    }

    #[test]
    fn avatar_versions_are_short_stable_and_differ_per_key() {
        let a = avatar_version("avatars/1/abc");
        assert_eq!(a.len(), 16);
        assert_eq!(a, avatar_version("avatars/1/abc"));
        assert_ne!(a, avatar_version("avatars/1/abd"));
    }
}
