//! Message text as typed: line ends and control characters normalised, and
//! what counts as empty (docs/rules.md, Control and invisible characters).

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Whether `c` is drawn as nothing: a format character (general category
/// Cf: bidirectional controls, zero-width space and joiners, the byte order
/// mark, the soft hyphen, tag characters, …) or another default-ignorable
/// code point (variation selectors, Hangul fillers, the combining grapheme
/// joiner). Spaces are not included: they are white space.
#[must_use]
pub fn is_invisible(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
        || matches!(
            c,
            '\u{034f}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fff8}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// Whether `c` is a control character that message text drops: C0 controls
/// other than tab and line feed, DEL and the C1 controls (U+0080–U+009F).
#[must_use]
pub fn is_dropped_control(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// Message text with `\r\n` and a lone `\r` turned into `\n` and every
/// control character but tab and line feed removed. Everything else, format
/// characters included (a zero-width joiner inside an emoji sequence), is
/// kept as typed.
#[must_use]
pub fn normalise(raw: &str) -> String {
    let mut text = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            text.push('\n');
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
        } else if !is_dropped_control(c) {
            text.push(c);
        }
    }
    text
}

/// Whether `text` shows nothing: only white space and invisible characters
/// ([`is_invisible`]), or nothing at all.
#[must_use]
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

/// `26214400` → `25 MiB`.
#[must_use]
pub fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn line_ends_become_line_feeds() {
        assert_eq!(normalise("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(normalise("\r\r\n\n"), "\n\n\n");
        assert_eq!(normalise("\r"), "\n");
    }

    #[test]
    fn control_characters_are_dropped_but_tab_and_line_feed_stay() {
        assert_eq!(normalise("a\x1b[31mb\r\nc\x07"), "a[31mb\nc");
        assert_eq!(normalise("x\x7fy\u{80}z\u{85}\u{9f}!"), "xyz!");
        assert_eq!(normalise("\x01\x08\x0b\x0c\x1f"), "");
        assert_eq!(normalise("col\tcol\nrow"), "col\tcol\nrow");
    }

    #[test]
    fn legitimate_text_is_kept_as_typed() {
        for text in [
            "👩\u{200d}💻 works",
            "🏳\u{fe0f}\u{200d}🌈",
            "🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}",
            "שלום \u{2067}world\u{2069}",
            "日本語、Ünïcödé, ﷺ",
            "soft\u{ad}hyphen",
        ] {
            assert_eq!(normalise(text), text);
            assert!(!is_blank(text), "{text}");
        }
    }

    #[test]
    fn invisible_only_text_is_blank() {
        for text in [
            "",
            " \n\t ",
            "\u{200b}",
            "\u{200b}\u{200c}\u{200d}",
            "\u{feff}",
            "\u{2060}\u{2063}",
            "\u{202e}\u{202a}\u{2066}\u{200e}\u{200f}\u{61c}",
            "\u{ad}",
            "\u{3164}\u{fe0f}",
            "\u{a0}\u{3000}\u{2028}",
        ] {
            assert!(is_blank(text), "{text:?}");
        }
        assert!(!is_blank("\u{200b}a"));
        assert!(!is_blank("."));
    }

    #[test]
    fn the_named_characters_are_invisible() {
        for c in [
            '\u{ad}',
            '\u{61c}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202b}',
            '\u{202c}',
            '\u{202d}',
            '\u{202e}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{e0001}',
        ] {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['a', ' ', '\n', '😀', 'ü', '\u{301}'] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }

    proptest! {
        #[test]
        fn normalised_text_holds_no_dropped_control_and_no_carriage_return(
            chars in prop::collection::vec(any::<char>(), 0..200),
        ) {
            let text = normalise(&String::from_iter(chars));
            prop_assert!(!text.chars().any(is_dropped_control), "{:?}", text);
            prop_assert_eq!(normalise(&text), text.clone());
        }
    }
}
