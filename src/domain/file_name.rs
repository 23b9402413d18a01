//! Uploaded file names: what the uploader's name becomes before it is
//! stored, shown and sent back in `Content-Disposition` (docs/rules.md,
//! File names). The name is only ever displayed, never used as a path.

use super::text::is_invisible;

/// Longest kept name in bytes of UTF-8: `NAME_MAX` on the common
/// filesystems, so a download can be saved under the name it is shown with
/// (and at most 255 UTF-16 units, the limit on Windows).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// Longest kept name in characters: a name is a label in a line of chat, and
/// this bounds its width even where the bytes are one per character.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// An extension longer than this (in characters, dot included) is not
/// worth keeping over the rest of the name when a name is cut.
const MAX_KEPT_EXTENSION_CHARS: usize = 16;

/// The name of a file whose name is empty once cleaned.
pub const FALLBACK_FILE_NAME: &str = "file";

/// A display name from an untrusted upload name: its last path component,
/// without control characters (C0, DEL, C1) or invisible ones
/// (bidirectional controls, zero-width characters, …, see
/// [`is_invisible`]), without white space at either end, cut to
/// [`MAX_FILE_NAME_CHARS`] and [`MAX_FILE_NAME_BYTES`] on a character
/// boundary, keeping the extension where it can; [`FALLBACK_FILE_NAME`] when
/// nothing is left (or only `.` or `..`).
///
/// So `invoice\u{202e}gpj.exe`, shown as `invoiceexe.jpg` by a browser that
/// honours the override, becomes `invoicegpj.exe`. Cleaning a cleaned name
/// changes nothing.
#[must_use]
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let visible: String = last
        .chars()
        .filter(|&c| !c.is_control() && !is_invisible(c))
        .collect();
    let name = cut(visible.trim());
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        FALLBACK_FILE_NAME.to_owned()
    } else {
        name.to_owned()
    }
}

/// `name` within both limits: whole if it fits, else the start of its stem
/// followed by its extension, else just its start.
fn cut(name: &str) -> String {
    if fits(name) {
        return name.to_owned();
    }
    if let Some(dot) = name.rfind('.').filter(|&dot| dot > 0) {
        let (stem, extension) = name.split_at(dot);
        let extension_chars = extension.chars().count();
        if extension_chars <= MAX_KEPT_EXTENSION_CHARS {
            let stem = prefix(
                stem,
                MAX_FILE_NAME_BYTES - extension.len(),
                MAX_FILE_NAME_CHARS - extension_chars,
            );
            let stem = stem.trim_end();
            if !stem.is_empty() {
                return format!("{stem}{extension}");
            }
        }
    }
    prefix(name, MAX_FILE_NAME_BYTES, MAX_FILE_NAME_CHARS).to_owned()
}

fn fits(name: &str) -> bool {
    name.len() <= MAX_FILE_NAME_BYTES && name.chars().count() <= MAX_FILE_NAME_CHARS
}

/// The longest start of `text` with at most `bytes` bytes and `chars`
/// characters, ending on a character boundary.
fn prefix(text: &str, bytes: usize, chars: usize) -> &str {
    let mut end = 0;
    for (count, (at, c)) in text.char_indices().enumerate() {
        if count == chars || at + c.len_utf8() > bytes {
            break;
        }
        end = at + c.len_utf8();
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paths_and_control_characters_go() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\0b\r\n.txt"), "ab.txt");
        assert_eq!(clean_file_name("a\tb\u{7f}c\u{85}\u{9b}.txt"), "abc.txt");
        assert_eq!(clean_file_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(clean_file_name(".."), "file");
        assert_eq!(clean_file_name(""), "file");
        assert_eq!(
            clean_file_name("\"><svg onload=alert(1)>.png"),
            "\"><svg onload=alert(1)>.png"
        );
        assert_eq!(clean_file_name("日本語ファイル.txt"), "日本語ファイル.txt");
    }

    #[test]
    fn bidirectional_and_invisible_characters_go() {
        assert_eq!(clean_file_name("invoice\u{202e}gpj.exe"), "invoicegpj.exe");
        assert_eq!(
            clean_file_name(
                "\u{202a}\u{202b}a\u{202c}\u{202d}\u{2066}b\u{2067}\u{2068}\u{2069}.txt"
            ),
            "ab.txt"
        );
        assert_eq!(
            clean_file_name("a\u{200e}\u{200f}\u{61c}\u{200b}\u{200c}\u{200d}b.txt"),
            "ab.txt"
        );
        assert_eq!(
            clean_file_name("\u{feff}re\u{ad}port\u{2060}\u{2064}.pdf"),
            "report.pdf"
        );
        assert_eq!(clean_file_name("\u{200b}\u{feff}\u{202e}"), "file");
        assert_eq!(clean_file_name(" \u{200b} . \u{200b}. "), ". .");
        assert_eq!(clean_file_name("\u{200b}..\u{200b}"), "file");
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary_keeping_the_extension() {
        let ascii = clean_file_name(&"x".repeat(1000));
        assert_eq!(ascii, "x".repeat(MAX_FILE_NAME_CHARS));

        // 170 three-byte characters: within the character limit, 510 bytes.
        let wide = clean_file_name(&format!("{}.txt", "日".repeat(170)));
        assert!(wide.len() <= MAX_FILE_NAME_BYTES, "{}", wide.len());
        assert_eq!(wide, format!("{}.txt", "日".repeat(83)));

        let emoji = clean_file_name(&"😀".repeat(100));
        assert_eq!(emoji, "😀".repeat(63));

        let long_ext = format!("a.{}", "e".repeat(300));
        let cut = clean_file_name(&long_ext);
        assert_eq!(cut.len(), MAX_FILE_NAME_CHARS);
        assert!(cut.starts_with("a.eee"));

        let spaced = clean_file_name(&format!("{} {}.pdf", "n".repeat(195), "m".repeat(10)));
        assert_eq!(spaced, format!("{}.pdf", "n".repeat(195)));

        assert_eq!(clean_file_name(&format!(".{}", "h".repeat(300))).len(), 200);
    }

    proptest! {
        #[test]
        fn a_cleaned_name_is_short_visible_and_stable(
            chars in prop::collection::vec(
                prop_oneof![
                    any::<char>(),
                    prop::sample::select(vec![
                        '\u{202e}', '\u{2066}', '\u{200b}', '\u{200d}', '\u{feff}', '\u{ad}',
                        '\r', '\n', '\x1b', '\u{85}', '.', '/', '\\', ' ', '日', '😀',
                    ]),
                ],
                0..400,
            ),
        ) {
            let name = clean_file_name(&String::from_iter(chars));
            prop_assert!(!name.is_empty());
            prop_assert!(name.len() <= MAX_FILE_NAME_BYTES);
            prop_assert!(name.chars().count() <= MAX_FILE_NAME_CHARS);
            prop_assert!(!name.chars().any(|c| c.is_control() || is_invisible(c)));
            prop_assert!(!name.contains(['/', '\\']));
            prop_assert_eq!(clean_file_name(&name), name.clone());
        }

        #[test]
        fn long_names_keep_a_short_extension(stem in "[^./\\\\]{1,400}", ext in "[a-z0-9]{1,10}") {
            let name = clean_file_name(&format!("a{stem}.{ext}"));
            prop_assert!(name.len() <= MAX_FILE_NAME_BYTES);
            prop_assert!(name.ends_with(&format!(".{ext}")), "{}", name);
        }
    }
}
