//! Reactions: which emoji a member may put on a message, and how each is
//! named for people who cannot see it.

/// Most distinct emoji on one message (a member's own choices included).
pub const MAX_PER_MESSAGE: usize = 20;

/// The emoji a reaction stands for: a single emoji (any qualification,
/// stored fully qualified) or a shortcode in colons (`:thumbsup:`, `:+1:`;
/// the colons keep a word such as `x` from being taken for one). `None` for
/// anything else.
#[must_use]
pub fn parse_emoji(input: &str) -> Option<&'static str> {
    let input = input.trim();
    let shortcode = input.strip_prefix(':').and_then(|s| s.strip_suffix(':'));
    emojis::get(input)
        .or_else(|| shortcode.and_then(emojis::get_by_shortcode))
        .map(emojis::Emoji::as_str)
}

/// The emoji's name in words (`thumbs up`), for accessible labels.
#[must_use]
pub fn emoji_name(emoji: &str) -> &str {
    emojis::get(emoji).map_or(emoji, emojis::Emoji::name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_and_shortcodes_are_accepted_and_nothing_else() {
        assert_eq!(parse_emoji("👍"), Some("👍"));
        assert_eq!(parse_emoji(":thumbsup:"), Some("👍"));
        assert_eq!(parse_emoji(":+1:"), Some("👍"));
        assert_eq!(parse_emoji(" :tada: "), Some("🎉"));
        for bad in ["", "x", "+1", "👍👍", ":nope:", "<b>", "👍 ", "::"] {
            if bad == "👍 " {
                // Surrounding white space is trimmed.
                assert_eq!(parse_emoji(bad), Some("👍"));
                continue;
            }
            assert_eq!(parse_emoji(bad), None, "{bad:?}");
        }
        assert_eq!(emoji_name("👍"), "thumbs up");
    }
}
