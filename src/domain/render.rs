//! Message rendering (`docs/rules.md`, Message rendering): raw HTML shown
//! as text, emoji shortcodes, CommonMark with bare-URL links, GFM tables
//! and fenced code highlighted by class (`highlight.rs`), then a sanitiser
//! as a second wall.

use std::sync::LazyLock;

use super::mentions::{self, Roster};

/// Characters beyond which rendering refuses to nest: CommonMark parsers
/// recurse on nesting, so a message of ten thousand `>` must not reach them.
pub const MAX_NESTING: usize = 32;

/// Longest code block highlighted by default (`HIGHLIGHT_MAX_BYTES`);
/// longer ones are shown plain.
pub const DEFAULT_HIGHLIGHT_MAX_BYTES: usize = 20_000;

/// A file attached to a message, as rendering needs it.
#[derive(Debug, Clone)]
pub struct AttachmentRef<'a> {
    /// The file's download URL.
    pub url: &'a str,
    /// The uploader's original file name (untrusted).
    pub name: &'a str,
    /// The preview shown inline (an image's), if one was made.
    pub preview: Option<ImageRef<'a>>,
}

/// An image the server made (a preview), as the page shows it.
#[derive(Debug, Clone, Copy)]
pub struct ImageRef<'a> {
    /// Where our origin serves it.
    pub url: &'a str,
    /// The size to show it at, in the markup, so the page keeps its place
    /// while it loads.
    pub width: u32,
    pub height: u32,
}

// The sanitiser's configuration is immutable; build it once.
static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .add_tag_attributes("img", ["loading"])
        // Mentions (see `mark_mentions`): the only spans the renderer makes.
        .add_tag_attributes("span", ["data-user"])
        .add_allowed_classes(
            "span",
            std::iter::once("cv-mention").chain(super::highlight::CLASSES),
        )
        // Table cells' alignment (an attribute, not a style, so the CSP holds).
        .add_tag_attributes("th", ["align"])
        .add_tag_attributes("td", ["align"])
        .url_relative(ammonia::UrlRelative::PassThrough);
    b
});

/// Renders message text to safe HTML.
///
/// Raw HTML in the input is escaped (shown as typed), `:shortcodes:` become
/// emoji, CommonMark is rendered with GitHub-style bare-URL links and
/// tables, fenced code of a known language is highlighted, hard line
/// breaks (a chat line break is meant), and the output is sanitised.
#[must_use]
pub fn render_markdown(text: &str) -> String {
    render_for(text, &Roster::default()).html
}

/// Message text rendered for a room, and who it mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    /// The usernames mentioned, `@everyone` expanded, sorted.
    pub mentions: Vec<String>,
    /// The first `http(s)` link, which gets a preview.
    pub first_link: Option<String>,
}

/// Like [`render_markdown`], with each `@name` of a member of `roster`
/// (outside code and links) marked as
/// `<span class="cv-mention" data-user="name">@name</span>`.
#[must_use]
pub fn render_for(text: &str, roster: &Roster) -> Rendered {
    render_with(text, roster, DEFAULT_HIGHLIGHT_MAX_BYTES)
}

/// Like [`render_for`], highlighting code blocks of up to
/// `highlight_max_bytes` bytes (longer ones are shown plain).
#[must_use]
pub fn render_with(text: &str, roster: &Roster, highlight_max_bytes: usize) -> Rendered {
    let flattened = limit_nesting(text);
    let mut options = comrak::Options::default();
    options.extension.autolink = true;
    options.extension.strikethrough = true;
    options.extension.shortcodes = true;
    options.extension.table = true;
    options.render.escape = true;
    options.render.hardbreaks = true;
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, &flattened, &options);
    unwrap_unsafe_links(root);
    let first_link = first_web_link(root);
    let named = mark_mentions(&arena, root, roster);
    let highlighter = super::highlight::Highlighter {
        max_bytes: highlight_max_bytes,
    };
    let mut plugins = comrak::options::Plugins::default();
    plugins.render.codefence_syntax_highlighter = Some(&highlighter);
    let mut html = String::new();
    // Writing into a String cannot fail.
    let _ = comrak::html::format_document_with_plugins(root, &options, &mut html, &plugins);
    Rendered {
        html: SANITISER.clean(&html).to_string(),
        mentions: mentions::named(&named, roster),
        first_link,
    }
}

/// The first link to a web page (`http` or `https`), as written.
fn first_web_link(root: comrak::nodes::Node<'_>) -> Option<String> {
    use comrak::nodes::NodeValue;
    root.descendants()
        .find_map(|n| match &n.data.borrow().value {
            NodeValue::Link(link) => {
                let url = link.url.trim();
                let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
                matches!(scheme.as_deref(), Some("http" | "https")).then(|| url.to_owned())
            }
            _ => None,
        })
}

/// Message text as readable plain text, for the text part of e-mails:
/// Markdown markers dropped (`**8pm**` is `8pm`), `:shortcodes:` as their
/// emoji, a link as its text with the address after it when they differ,
/// raw HTML as typed, one blank line between paragraphs.
#[must_use]
pub fn plain_text(text: &str) -> String {
    let flattened = limit_nesting(text);
    let mut options = comrak::Options::default();
    options.extension.autolink = true;
    options.extension.strikethrough = true;
    options.extension.shortcodes = true;
    options.extension.table = true;
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, &flattened, &options);
    let mut out = String::new();
    write_plain(root, &mut out);
    out.trim_end().to_owned()
}

fn write_plain<'a>(node: comrak::nodes::Node<'a>, out: &mut String) {
    use comrak::nodes::NodeValue;
    let children = |out: &mut String| {
        for child in node.children() {
            write_plain(child, out);
        }
    };
    let block_end = |out: &mut String| {
        let trimmed = out.trim_end_matches([' ', '\n']).len();
        out.truncate(trimmed);
        if !out.is_empty() {
            out.push_str("\n\n");
        }
    };
    let value = node.data.borrow().value.clone();
    match value {
        NodeValue::Text(t) => out.push_str(&t),
        NodeValue::Code(c) => out.push_str(&c.literal),
        NodeValue::HtmlInline(h) => out.push_str(&h),
        NodeValue::ShortCode(s) => out.push_str(&s.emoji),
        NodeValue::SoftBreak | NodeValue::LineBreak => out.push('\n'),
        NodeValue::CodeBlock(c) => {
            out.push_str(c.literal.trim_end());
            block_end(out);
        }
        NodeValue::HtmlBlock(h) => {
            out.push_str(h.literal.trim_end());
            block_end(out);
        }
        NodeValue::Link(link) => {
            let start = out.len();
            children(out);
            let shown = out[start..].to_owned();
            let bare = link.url.strip_prefix("mailto:").unwrap_or(&link.url);
            if !has_unsafe_scheme(&link.url) && shown != bare && shown != link.url {
                out.push_str(" (");
                out.push_str(&link.url);
                out.push(')');
            }
        }
        NodeValue::Item(_) | NodeValue::TaskItem(_) => {
            out.push_str("- ");
            children(out);
            let trimmed = out.trim_end_matches([' ', '\n']).len();
            out.truncate(trimmed);
            out.push('\n');
        }
        NodeValue::List(_) => {
            children(out);
            block_end(out);
        }
        NodeValue::BlockQuote => {
            let start = out.len();
            children(out);
            let quoted: String = out[start..]
                .trim_end()
                .lines()
                .map(|l| format!("> {l}\n"))
                .collect();
            out.truncate(start);
            out.push_str(&quoted);
            block_end(out);
        }
        NodeValue::Table(_) => {
            children(out);
            block_end(out);
        }
        NodeValue::TableRow(_) => {
            for (i, cell) in node.children().enumerate() {
                if i > 0 {
                    out.push_str(" | ");
                }
                write_plain(cell, out);
            }
            out.push('\n');
        }
        NodeValue::ThematicBreak => {
            out.push_str("---");
            block_end(out);
        }
        NodeValue::Paragraph | NodeValue::Heading(_) => {
            children(out);
            // A paragraph inside a list item ends the item's line only.
            if node.parent().is_some_and(|p| {
                matches!(
                    p.data.borrow().value,
                    NodeValue::Item(_) | NodeValue::TaskItem(_)
                )
            }) {
                out.push('\n');
            } else {
                block_end(out);
            }
        }
        _ => children(out),
    }
}

/// The schemes a link or image may use; the sanitiser drops any other
/// (keeping the link text in an `<a>` without `href`, which looks like a
/// link and goes nowhere).
const SAFE_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Whether `url` names a scheme outside [`SAFE_SCHEMES`]. As a browser
/// does, tabs and line breaks inside the URL and spaces around it are
/// ignored (`java\tscript:` is `javascript:`); a URL without a scheme is
/// relative and safe.
fn has_unsafe_scheme(url: &str) -> bool {
    let url: String = url
        .trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme && !SAFE_SCHEMES.iter().any(|s| scheme.eq_ignore_ascii_case(s))
}

/// Replaces each link or image whose URL has an unsafe scheme with its text,
/// so `[x](javascript:…)` reads as plain `x` instead of a dead link.
fn unwrap_unsafe_links<'a>(root: comrak::nodes::Node<'a>) {
    use comrak::nodes::NodeValue;
    let unsafe_links: Vec<_> = root
        .descendants()
        .filter(|n| match &n.data.borrow().value {
            NodeValue::Link(link) | NodeValue::Image(link) => has_unsafe_scheme(&link.url),
            _ => false,
        })
        .collect();
    for node in unsafe_links {
        let children: Vec<_> = node.children().collect();
        for child in children {
            node.insert_before(child);
        }
        node.detach();
    }
}

/// Splits each text node around its mentions, the mention itself becoming
/// raw markup built here from an escaped name; answers the names found.
fn mark_mentions<'a, 'r>(
    arena: &'a comrak::Arena<'a>,
    root: comrak::nodes::Node<'a>,
    roster: &'r Roster,
) -> Vec<&'r str> {
    use comrak::nodes::{Ast, NodeValue};
    let mut named = Vec::new();
    let texts: Vec<_> = root
        .descendants()
        .filter(|n| {
            matches!(n.data.borrow().value, NodeValue::Text(_))
                && !n
                    .ancestors()
                    .any(|a| matches!(a.data.borrow().value, NodeValue::Link(_)))
        })
        .collect();
    for node in texts {
        let text = match &node.data.borrow().value {
            NodeValue::Text(t) => t.to_string(),
            _ => continue,
        };
        let found = mentions::scan(&text, roster);
        if found.is_empty() {
            continue;
        }
        let start = node.data.borrow().sourcepos.start;
        let piece = |value| {
            arena.alloc(comrak::arena_tree::Node::new(std::cell::RefCell::new(
                Ast::new(value, start),
            )))
        };
        let mut at = 0;
        for f in &found {
            if f.start > at {
                node.insert_before(piece(NodeValue::Text(text[at..f.start].to_owned().into())));
            }
            node.insert_before(piece(NodeValue::Raw(format!(
                "<span class=\"cv-mention\" data-user=\"{}\">{}</span>",
                escape(f.username),
                escape(&text[f.start..f.end])
            ))));
            named.push(f.username);
            at = f.end;
        }
        if at < text.len() {
            node.insert_before(piece(NodeValue::Text(text[at..].to_owned().into())));
        }
        node.detach();
    }
    named
}

/// Renders a whole message: its text, then its attachment if any.
#[must_use]
pub fn render_message(text: &str, attachment: Option<&AttachmentRef<'_>>) -> String {
    let mut html = if text.trim().is_empty() {
        String::new()
    } else {
        render_markdown(text)
    };
    if let Some(file) = attachment {
        html.push_str(&render_attachment(file));
    }
    html
}

fn render_attachment(file: &AttachmentRef<'_>) -> String {
    // Built from escaped pieces only: every value is ours or escaped.
    let mut html = String::from("<p class=\"cv-file\"><a href=\"");
    html.push_str(&escape(file.url));
    html.push_str("\" target=\"_blank\" rel=\"noopener noreferrer\" download>");
    match &file.preview {
        Some(image) => {
            push_img(&mut html, image, file.name, "cv-preview");
        }
        None => html.push_str(&escape(file.name)),
    }
    html.push_str("</a></p>\n");
    html
}

/// `<img>` of an image we made, its shown size in the markup.
fn push_img(html: &mut String, image: &ImageRef<'_>, alt: &str, class: &str) {
    html.push_str("<img class=\"");
    html.push_str(class);
    html.push_str("\" src=\"");
    html.push_str(&escape(image.url));
    html.push_str("\" alt=\"");
    html.push_str(&escape(alt));
    html.push_str("\" width=\"");
    html.push_str(&image.width.to_string());
    html.push_str("\" height=\"");
    html.push_str(&image.height.to_string());
    html.push_str("\" loading=\"lazy\">");
}

/// What a link preview shows.
#[derive(Debug, Clone, Copy)]
pub struct LinkCard<'a> {
    /// The link (untrusted, from the message).
    pub url: &'a str,
    /// The page's title and description (untrusted, from the page).
    pub title: &'a str,
    pub description: &'a str,
    /// The page's image, re-encoded and served from our origin.
    pub image: Option<ImageRef<'a>>,
}

/// The card under a message that previews its first link.
#[must_use]
pub fn render_link_card(card: &LinkCard<'_>) -> String {
    let mut html = String::new();
    // Only what was fetched: a web address, written plainly.
    let lower = card.url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://"))
        || card
            .url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return html;
    }
    html.push_str("<div class=\"cv-link-preview\"><a href=\"");
    html.push_str(&escape(card.url));
    html.push_str("\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">");
    if let Some(image) = &card.image {
        push_img(&mut html, image, "", "cv-link-image");
    }
    html.push_str("<span class=\"cv-link-text\"><strong class=\"cv-link-title\">");
    html.push_str(&escape(card.title));
    html.push_str("</strong>");
    if !card.description.is_empty() {
        html.push_str("<span class=\"cv-link-description\">");
        html.push_str(&escape(card.description));
        html.push_str("</span>");
    }
    html.push_str("</span></a></div>\n");
    html
}

/// HTML-escapes text for use in element content or a quoted attribute.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing to a `String` cannot fail.
    let _ = escape_to(&mut out, text);
    out
}

/// [`escape`], written to `out`: the runs between the five significant
/// characters go out whole, so a page's templates write their values
/// without a `String` each (the room page writes several hundred).
///
/// # Errors
/// When `out` fails.
pub fn escape_to(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut from = 0;
    // The five are ASCII, so every index found is a character boundary.
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.write_str(&text[from..i])?;
        out.write_str(entity)?;
        from = i + 1;
    }
    out.write_str(&text[from..])
}

/// Escapes container markers past [`MAX_NESTING`] levels on each line so the
/// parser never nests deeper; ordinary messages pass through unchanged.
fn limit_nesting(text: &str) -> std::borrow::Cow<'_, str> {
    let deep = text.lines().any(|line| nesting_depth(line) > MAX_NESTING)
        || bracket_depth(text) > MAX_NESTING;
    if !deep {
        return std::borrow::Cow::Borrowed(text);
    }
    // A pathological message: show it as a plain code block instead.
    let fence = "~".repeat(longest_run(text, '~').max(2) + 1);
    std::borrow::Cow::Owned(format!("{fence}\n{text}\n{fence}"))
}

fn nesting_depth(line: &str) -> usize {
    line.chars()
        .take_while(|c| matches!(c, '>' | ' ' | '\t' | '-' | '*' | '+'))
        .filter(|c| !c.is_whitespace())
        .count()
        + line.chars().take_while(|c| c.is_whitespace()).count() / 2
}

fn bracket_depth(text: &str) -> usize {
    let mut depth = 0usize;
    let mut max = 0usize;
    for c in text.chars() {
        match c {
            '[' | '(' | '*' | '_' | '`' | '~' => {
                depth += 1;
                max = max.max(depth);
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            '\n' => depth = 0,
            _ => {}
        }
    }
    max
}

fn longest_run(text: &str, ch: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == ch {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_replaces_the_five_and_keeps_everything_else() {
        assert_eq!(
            escape("a<b>&\"c\" 'd' é😀<"),
            "a&lt;b&gt;&amp;&quot;c&quot; &#x27;d&#x27; é😀&lt;"
        );
        assert_eq!(escape(""), "");
        assert_eq!(escape("plain words"), "plain words");
        assert_eq!(escape("&&"), "&amp;&amp;");
    }

    #[test]
    fn golden_case() {
        assert_eq!(
            render_markdown(":thumbsup: *em*"),
            "<p>👍 <em>em</em></p>\n"
        );
    }

    #[test]
    fn shortcode_aliases() {
        assert_eq!(render_markdown(":+1:"), "<p>👍</p>\n");
        assert_eq!(render_markdown(":tada:"), "<p>🎉</p>\n");
        assert_eq!(render_markdown(":not_an_emoji:"), "<p>:not_an_emoji:</p>\n");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let out = render_markdown("<script>alert(1)</script> <b>x</b>");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<b>"), "{out}");
        assert!(out.contains("&lt;b&gt;"), "{out}");
    }

    #[test]
    fn bare_urls_become_safe_links() {
        let out = render_markdown("see https://example.com/x");
        assert!(out.contains("<a href=\"https://example.com/x\""), "{out}");
        assert!(
            out.contains("rel=\"noopener noreferrer nofollow\""),
            "{out}"
        );
    }

    #[test]
    fn unsafe_schemes_never_reach_the_page() {
        for input in [
            "[x](javascript:alert(1))",
            "[x](JAVASCRIPT:alert(1))",
            "![x](javascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox)",
            "<javascript:alert(1)>",
        ] {
            let out = render_markdown(input).to_ascii_lowercase();
            assert!(
                !out.contains("javascript:") || !out.contains("href=\"javascript"),
                "{input} -> {out}"
            );
            assert!(!out.contains("href=\"data:"), "{input} -> {out}");
            assert!(!out.contains("src=\"javascript"), "{input} -> {out}");
            assert!(!out.contains("href=\"vbscript"), "{input} -> {out}");
        }
    }

    #[test]
    fn plain_text_reads_as_written_without_markup() {
        assert_eq!(
            plain_text("See you at **8pm** :clock8:"),
            "See you at 8pm 🕗"
        );
        assert_eq!(plain_text("_a_ ~~b~~ `c`"), "a b c");
        assert_eq!(plain_text("line one\nline two"), "line one\nline two");
        assert_eq!(plain_text("one\n\ntwo"), "one\n\ntwo");
        assert_eq!(
            plain_text("[the plan](https://example.org/plan) and https://example.org/"),
            "the plan (https://example.org/plan) and https://example.org/"
        );
        assert_eq!(plain_text("[x](javascript:alert(1))"), "x");
        assert_eq!(
            plain_text("write to ann@example.org"),
            "write to ann@example.org"
        );
        assert_eq!(plain_text("<b>typed</b> & co"), "<b>typed</b> & co");
        assert_eq!(
            plain_text("- milk\n- eggs\n\nthanks"),
            "- milk\n- eggs\n\nthanks"
        );
        assert_eq!(plain_text("> quoted\n\nanswer"), "> quoted\n\nanswer");
        assert_eq!(plain_text("```\nlet x = 1;\n```"), "let x = 1;");
        assert_eq!(plain_text(":not_a_code:"), ":not_a_code:");
    }

    #[test]
    fn links_with_unsafe_schemes_read_as_their_text() {
        for (input, text) in [
            ("[click me](javascript:alert(1))", "click me"),
            ("[x](JAVASCRIPT:alert(1))", "x"),
            ("[x](java\tscript:alert(1))", "x"),
            ("[x]( javascript:alert(1))", "x"),
            ("[x](data:text/html;base64,PHNjcmlwdD4=)", "x"),
            ("[x](vbscript:msgbox)", "x"),
            ("[**bold** x](javascript:0)", "<strong>bold</strong> x"),
            ("![alt text](javascript:alert(1))", "alt text"),
        ] {
            let out = render_markdown(input);
            assert!(!out.contains("<a"), "{input} -> {out}");
            assert!(!out.contains("<img"), "{input} -> {out}");
            assert!(out.contains(text), "{input} -> {out}");
        }
        // Safe and relative links stay links.
        for input in [
            "[x](https://example.org/)",
            "[x](mailto:ann@example.org)",
            "[x](/general/)",
            "[x](page?a=b:c)",
        ] {
            let out = render_markdown(input);
            assert!(out.contains("<a href="), "{input} -> {out}");
        }
        assert!(has_unsafe_scheme("\u{1}javascript:x"));
        assert!(!has_unsafe_scheme("HTTPS://example.org"));
        assert!(!has_unsafe_scheme("a/b:c"));
    }

    #[test]
    fn tables_render_as_tables_with_alignment() {
        let out = render_markdown("| a | b |\n|:--|--:|\n| <i>1</i> | **2** |");
        assert_eq!(
            out,
            "<table>\n<thead>\n<tr>\n<th align=\"left\">a</th>\n<th align=\"right\">b</th>\n</tr>\n</thead>\n\
             <tbody>\n<tr>\n<td align=\"left\">&lt;i&gt;1&lt;/i&gt;</td>\n<td align=\"right\"><strong>2</strong></td>\n</tr>\n</tbody>\n</table>\n"
        );
        assert_eq!(
            plain_text("| a | b |\n|---|---|\n| 1 | 2 |\n\nafter"),
            "a | b\n1 | 2\n\nafter"
        );
    }

    #[test]
    fn fenced_code_is_highlighted_by_class_and_unknown_languages_stay_plain() {
        let out = render_markdown("```rust\nlet x = \"<b>\"; // hi\n```");
        assert!(
            out.starts_with("<pre><code><span class=\"cv-hl-k\">let</span>"),
            "{out}"
        );
        // The sanitiser writes quotes in text as plain `"`.
        assert!(
            out.contains("<span class=\"cv-hl-s\">\"&lt;b&gt;\"</span>"),
            "{out}"
        );
        assert!(out.contains("<span class=\"cv-hl-c\">// hi"), "{out}");
        assert!(!out.contains("style="), "{out}");
        assert_eq!(
            render_markdown("```klingon\nlet x = <b>;\n```"),
            "<pre><code>let x = &lt;b&gt;;\n</code></pre>\n"
        );
        assert_eq!(
            render_markdown("```\nlet x = 1;\n```"),
            "<pre><code>let x = 1;\n</code></pre>\n"
        );
        // A hostile info string reaches the page nowhere.
        let out = render_markdown("```rust\"><script>alert(1)</script> x\ncode\n```");
        assert_eq!(out, "<pre><code>code\n</code></pre>\n");
        // Over the limit: plain.
        let roster = Roster::default();
        let plain = render_with("```rust\nfn main() {}\n```", &roster, 4).html;
        assert_eq!(plain, "<pre><code>fn main() {}\n</code></pre>\n");
    }

    #[test]
    fn the_first_web_link_is_found_outside_code() {
        let roster = Roster::default();
        let first = |t: &str| render_for(t, &roster).first_link;
        assert_eq!(
            first("`https://a.example` then [x](https://b.example/p?q=1) and https://c.example"),
            Some("https://b.example/p?q=1".to_owned())
        );
        assert_eq!(
            first("see www.example.org"),
            Some("http://www.example.org".to_owned())
        );
        assert_eq!(
            first("[x](/general/) ann@example.org [y](javascript:1)"),
            None
        );
        assert_eq!(first("```\nhttps://in.code\n```"), None);
    }

    #[test]
    fn line_breaks_are_kept() {
        assert_eq!(render_markdown("a\nb"), "<p>a<br>\nb</p>\n");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let quotes = ">".repeat(50_000);
        let out = render_markdown(&quotes);
        assert!(out.starts_with("<pre><code>"), "{}", &out[..40]);
        let brackets = "[".repeat(50_000);
        assert!(!render_markdown(&brackets).is_empty());
        let stars = "*".repeat(50_000);
        assert!(!render_markdown(&stars).is_empty());
    }

    #[test]
    fn attachments_escape_the_name() {
        let file = AttachmentRef {
            url: "/r/file/1/",
            name: "\"><svg onload=alert(1)>.png",
            preview: None,
        };
        let out = render_message("", Some(&file));
        assert!(!out.contains("<svg"), "{out}");
        assert!(
            out.contains("&quot;&gt;&lt;svg onload=alert(1)&gt;.png"),
            "{out}"
        );
        let image = AttachmentRef {
            preview: Some(ImageRef {
                url: "/r/file/1/preview/",
                width: 480,
                height: 320,
            }),
            ..file
        };
        let out = render_message("", Some(&image));
        assert!(
            out.contains("<a href=\"/r/file/1/\" target=\"_blank\" rel=\"noopener noreferrer\" download><img class=\"cv-preview\" src=\"/r/file/1/preview/\""),
            "{out}"
        );
        assert!(out.contains("width=\"480\" height=\"320\""), "{out}");
        assert!(!out.contains("<svg"), "{out}");
    }

    #[test]
    fn link_cards_escape_what_the_page_said() {
        let card = LinkCard {
            url: "https://example.org/?a=1&b=\"2\"",
            title: "<script>alert(1)</script>",
            description: "\" onmouseover=\"x",
            image: Some(ImageRef {
                url: "/general/m/3/link-image/",
                width: 120,
                height: 80,
            }),
        };
        let out = render_link_card(&card);
        assert!(out.starts_with("<div class=\"cv-link-preview\"><a href=\"https://example.org/?a=1&amp;b=&quot;2&quot;\""), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(!out.contains("<script"), "{out}");
        assert!(out.contains("&quot; onmouseover=&quot;x"), "{out}");
        assert!(out.contains("src=\"/general/m/3/link-image/\""), "{out}");
        for url in [
            "javascript:alert(1)",
            "javascript\0:x",
            " https://x",
            "/relative",
            "data:x",
        ] {
            let hostile = LinkCard { url, ..card };
            assert_eq!(render_link_card(&hostile), "", "{url:?}");
        }
    }

    #[test]
    fn mentions_are_marked_outside_code_and_links() {
        let roster = Roster::new(["bob", "ann"]);
        let r = render_for(
            "hi @Bob and @ann: `@bob` [@ann](https://example.com) **@bob**",
            &roster,
        );
        assert_eq!(r.mentions, ["ann", "bob"]);
        assert_eq!(
            r.html,
            "<p>hi <span class=\"cv-mention\" data-user=\"bob\">@Bob</span> and \
             <span class=\"cv-mention\" data-user=\"ann\">@ann</span>: <code>@bob</code> \
             <a href=\"https://example.com\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">@ann</a> \
             <strong><span class=\"cv-mention\" data-user=\"bob\">@bob</span></strong></p>\n"
        );
        let everyone = render_for("@everyone <b>", &roster);
        assert_eq!(everyone.mentions, ["ann", "bob"]);
        assert!(everyone.html.contains("&lt;b&gt;"), "{}", everyone.html);
        assert!(render_for("mail x@bob", &roster).mentions.is_empty());
    }

    #[test]
    fn typed_markup_never_passes_for_a_mention() {
        let r = render_for(
            "<span class=\"cv-mention\" data-user=\"bob\">@x</span>",
            &Roster::new(["bob"]),
        );
        assert!(r.mentions.is_empty());
        assert!(!r.html.contains("<span"), "{}", r.html);
    }
}
