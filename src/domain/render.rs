//! Message rendering (`docs/rules.md`, Message rendering): raw HTML shown
//! as text, emoji shortcodes, CommonMark with bare-URL links, then a
//! sanitiser as a second wall.

use std::sync::LazyLock;

use super::mentions::{self, Roster};

/// Characters beyond which rendering refuses to nest: CommonMark parsers
/// recurse on nesting, so a message of ten thousand `>` must not reach them.
pub const MAX_NESTING: usize = 32;

/// A file attached to a message, as rendering needs it.
#[derive(Debug, Clone)]
pub struct AttachmentRef<'a> {
    /// The file's download URL.
    pub url: &'a str,
    /// The uploader's original file name (untrusted).
    pub name: &'a str,
    /// Whether it is one of the image types shown inline.
    pub is_image: bool,
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
        .add_allowed_classes("span", ["cv-mention"])
        .url_relative(ammonia::UrlRelative::PassThrough);
    b
});

/// Renders message text to safe HTML.
///
/// Raw HTML in the input is escaped (shown as typed), `:shortcodes:` become
/// emoji, CommonMark is rendered with GitHub-style bare-URL links, hard line
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
}

/// Like [`render_markdown`], with each `@name` of a member of `roster`
/// (outside code and links) marked as
/// `<span class="cv-mention" data-user="name">@name</span>`.
#[must_use]
pub fn render_for(text: &str, roster: &Roster) -> Rendered {
    let flattened = limit_nesting(text);
    let mut options = comrak::Options::default();
    options.extension.autolink = true;
    options.extension.strikethrough = true;
    options.extension.shortcodes = true;
    options.render.escape = true;
    options.render.hardbreaks = true;
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, &flattened, &options);
    unwrap_unsafe_links(root);
    let named = mark_mentions(&arena, root, roster);
    let mut html = String::new();
    // Writing into a String cannot fail.
    let _ = comrak::html::format_document(root, &options, &mut html);
    Rendered {
        html: SANITISER.clean(&html).to_string(),
        mentions: mentions::named(&named, roster),
    }
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
    let url = escape(file.url);
    let name = escape(file.name);
    if file.is_image {
        format!(
            "<p class=\"cv-file\"><a href=\"{url}\" target=\"_blank\" rel=\"noopener noreferrer\"><img src=\"{url}\" alt=\"{name}\" loading=\"lazy\"></a></p>\n"
        )
    } else {
        format!(
            "<p class=\"cv-file\"><a href=\"{url}\" target=\"_blank\" rel=\"noopener noreferrer\" download>{name}</a></p>\n"
        )
    }
}

/// HTML-escapes text for use in element content or a quoted attribute.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
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
            is_image: false,
        };
        let out = render_message("", Some(&file));
        assert!(!out.contains("<svg"), "{out}");
        assert!(
            out.contains("&quot;&gt;&lt;svg onload=alert(1)&gt;.png"),
            "{out}"
        );
        let image = AttachmentRef {
            is_image: true,
            ..file
        };
        assert!(render_message("", Some(&image)).contains("<img src=\"/r/file/1/\""));
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
