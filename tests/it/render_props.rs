//! Property: whatever a member types, the rendered message is inert HTML.

use conversate::domain::render::{
    AttachmentRef, ImageRef, LinkCard, render_link_card, render_markdown, render_message,
};
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
        "|:-",
        "-:|",
        "```",
        "~~~",
        "rust",
        "html",
        "js",
        "python",
        "</code>",
        "</pre>",
        "<span class=\"cv-hl-k\">",
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
    fn fenced_code_with_any_info_string_is_inert(info in hostile_text(), body in hostile_text()) {
        let info = info.replace('\n', " ");
        for lang in [info.as_str(), "rust", "html", "js", "sh"] {
            let text = format!("```{lang}\n{body}\n```");
            assert_inert(&render_markdown(&text), &text);
        }
    }

    #[test]
    fn tables_of_any_cells_are_inert(a in hostile_text(), b in hostile_text()) {
        let (a, b) = (a.replace('\n', " "), b.replace('\n', " "));
        let text = format!("| {a} | {b} |\n|:-|-:|\n| {b} | {a} |\n| x |");
        assert_inert(&render_markdown(&text), &text);
    }

    #[test]
    fn attachments_with_arbitrary_names_are_inert(name in "\\PC{0,80}", image: bool) {
        let preview = image.then_some(ImageRef { url: "/general/file/1/preview/", width: 4, height: 3 });
        let file = AttachmentRef { url: "/general/file/1/", name: &name, preview };
        assert_inert(&render_message("x", Some(&file)), &name);
    }

    #[test]
    fn link_cards_of_any_page_are_inert(url in hostile_text(), title in hostile_text(), description in "\\PC{0,80}") {
        let card = LinkCard { url: &url, title: &title, description: &description, image: None };
        assert_inert(&render_link_card(&card), &title);
    }
}
