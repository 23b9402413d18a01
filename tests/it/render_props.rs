//! Property: whatever a member types, the rendered message is inert HTML.

use conversate::domain::render::{AttachmentRef, render_markdown, render_message};
use proptest::prelude::*;

use crate::hostile::assert_inert;

/// Pieces that matter to HTML, Markdown and URL parsers, mixed freely.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "<",
        ">",
        "\"",
        "'",
        "&",
        "&#",
        "&#x",
        ";",
        "=",
        "/",
        "\\",
        "`",
        "(",
        ")",
        "[",
        "]",
        "!",
        "*",
        "_",
        "~",
        ":",
        "\n",
        "\t",
        " ",
        "#",
        "-",
        "|",
        "script",
        "svg",
        "img",
        "iframe",
        "style",
        "a",
        "href",
        "src",
        "onerror",
        "onload",
        "javascript",
        "JaVaScRiPt",
        "vbscript",
        "data",
        "text/html",
        "base64",
        "http",
        "https",
        "www.",
        "example.com",
        "alert(1)",
        ":+1:",
        ":thumbsup:",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "\u{0}",
        "\u{1}",
        "\u{200b}",
        "\u{feff}",
        "é",
        "👍",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn rendered_markdown_is_inert(text in hostile_text()) {
        assert_inert(&render_markdown(&text), &text);
    }

    #[test]
    fn rendered_arbitrary_unicode_is_inert(text in "\\PC{0,200}") {
        assert_inert(&render_markdown(&text), &text);
    }

    #[test]
    fn attachments_with_arbitrary_names_are_inert(name in "\\PC{0,80}", image: bool) {
        let file = AttachmentRef { url: "/general/file/1/", name: &name, is_image: image };
        assert_inert(&render_message("x", Some(&file)), &name);
    }
}
