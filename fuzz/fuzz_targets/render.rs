//! Message rendering never panics, never recurses out of stack, and never
//! emits script-capable HTML.
#![no_main]

use conversate::domain::render::{
    AttachmentRef, ImageRef, LinkCard, render_link_card, render_markdown, render_message,
};
use libfuzzer_sys::fuzz_target;

/// Checks each tag (text between `<` and `>`): the sanitiser always quotes
/// attribute values with `"` and escapes quotes inside them, so outside the
/// quotes only names can appear, and `href="…"` inside a tag is a real link.
fn assert_inert(html: &str) {
    let lower = html.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').map_or(rest.len(), |e| start + e + 1);
        let tag = &rest[start..end];
        let name: String = tag.trim_start_matches(['<', '/']).chars().take_while(char::is_ascii_alphanumeric).collect();
        assert!(
            !["script", "style", "iframe", "object", "embed", "svg", "math", "form", "meta", "base", "link"].contains(&name.as_str()),
            "<{name}> in {html}"
        );
        let outside_quotes: String = tag.split('"').step_by(2).collect();
        assert!(!outside_quotes.contains(" on"), "event handler in {tag}");
        for attr in ["href=\"", "src=\""] {
            if let Some(at) = tag.find(attr) {
                let value = tag[at + attr.len()..].trim_start();
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    assert!(!value.starts_with(scheme), "{scheme} URL in {tag}");
                }
            }
        }
        rest = &rest[end..];
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    assert_inert(&render_markdown(&text));
    // The same bytes as a fenced code block's info string and body (the
    // highlighter sees both), and as the cells of a table.
    let (info, body) = text.split_once('\n').unwrap_or((&text, "x"));
    for lang in [info, "rust", "html", "js"] {
        assert_inert(&render_markdown(&format!("```{lang}\n{body}\n```")));
    }
    let cells = text.replace('\n', " ");
    assert_inert(&render_markdown(&format!("| {cells} | b |\n|:-|-:|\n| {cells} | {cells} |")));
    let preview = data.first().is_some_and(|b| b % 2 == 0).then_some(ImageRef { url: "/r/file/1/preview/", width: 4, height: 3 });
    let file = AttachmentRef { url: "/r/file/1/", name: &text, preview };
    assert_inert(&render_message("", Some(&file)));
    let card = LinkCard { url: &text, title: &text, description: &text, image: preview };
    assert_inert(&render_link_card(&card));
});
