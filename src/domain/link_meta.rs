//! What a web page says about itself, for link previews: its OpenGraph
//! (`og:title`, `og:description`, `og:image`), Twitter-card or plain
//! `<meta name="description">` tags and its `<title>`.
//!
//! A small scanner over the start of the page rather than a full HTML
//! parser: it reads only tags' attributes and the title's text, stops at
//! `<body>`, and its work is linear in the (size-limited) input. What it
//! returns is plain text; the page shows it escaped.

/// Longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description kept, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 300;

/// A page's own description of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub title: String,
    pub description: String,
    /// The image's address as the page gives it (maybe relative).
    pub image: Option<String>,
}

/// Reads `html`'s head.
#[must_use]
pub fn read(html: &str) -> PageMeta {
    let mut og_title = None;
    let mut other_title = None;
    let mut title_tag = None;
    let mut og_description = None;
    let mut other_description = None;
    let mut image = None;
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while let Some(found) = lower[at..].find('<') {
        let start = at + found;
        let rest = &lower[start..];
        if rest.starts_with("<!--") {
            at = lower[start..]
                .find("-->")
                .map_or(lower.len(), |e| start + e + 3);
            continue;
        }
        let name: String = rest[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let end = tag_end(html, start);
        match name.as_str() {
            "body" => break,
            "script" | "style" | "noscript" | "template" => {
                let close = format!("</{name}");
                at = lower[end..].find(&close).map_or(lower.len(), |e| end + e);
                continue;
            }
            "title" if title_tag.is_none() => {
                let close = lower[end..]
                    .find("</title")
                    .map_or(lower.len(), |e| end + e);
                title_tag = Some(html[end..close].to_owned());
                at = close;
                continue;
            }
            "meta" => {
                let inner_end = if html[..end].ends_with('>') {
                    end - 1
                } else {
                    end
                };
                let attrs = attributes(&html[start + 5..inner_end.max(start + 5)]);
                let get = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
                let key = get("property")
                    .or_else(|| get("name"))
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if let Some(content) = get("content") {
                    let slot = match key.as_str() {
                        "og:title" => Some(&mut og_title),
                        "twitter:title" => Some(&mut other_title),
                        "og:description" => Some(&mut og_description),
                        "description" | "twitter:description" => Some(&mut other_description),
                        "og:image" | "og:image:url" | "og:image:secure_url" | "twitter:image" => {
                            Some(&mut image)
                        }
                        _ => None,
                    };
                    if let Some(slot) = slot
                        && slot.is_none()
                    {
                        *slot = Some(content);
                    }
                }
            }
            _ => {}
        }
        at = end.max(start + 1);
    }
    PageMeta {
        title: clean(
            &og_title.or(other_title).or(title_tag).unwrap_or_default(),
            MAX_TITLE_CHARS,
        ),
        description: clean(
            &og_description.or(other_description).unwrap_or_default(),
            MAX_DESCRIPTION_CHARS,
        ),
        image: image
            .map(|i| decode_entities(i.trim()))
            .filter(|i| !i.is_empty()),
    }
}

/// Where the tag starting at `start` ends (after its `>`), respecting
/// quoted attribute values.
fn tag_end(html: &str, start: usize) -> usize {
    let mut quote = None;
    for (i, c) in html[start..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return start + i + 1,
            _ => {}
        }
    }
    html.len()
}

/// A tag's attributes, names in lower case, values as written.
fn attributes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() || c == '/' {
            chars.next();
            continue;
        }
        let mut end = i;
        while let Some(&(j, c)) = chars.peek() {
            if c.is_whitespace() || c == '=' || c == '/' {
                break;
            }
            end = j + c.len_utf8();
            chars.next();
        }
        let name = text[i..end].to_ascii_lowercase();
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek().is_some_and(|&(_, c)| c == '=') {
            chars.next();
            while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek().map(|&(_, c)| c) {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for (_, c) in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some(&(_, c)) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
        }
        if name.is_empty() {
            chars.next();
        } else {
            out.push((name, value));
        }
    }
    out
}

/// Entities decoded, white space collapsed, cut to `max` characters.
fn clean(text: &str, max: usize) -> String {
    let decoded = decode_entities(text);
    let flat = decoded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>();
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The common named entities and numeric ones; others stay as written.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        if let Some(c) = decoded {
            out.push(c);
            rest = &rest[semi + 1..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opengraph_wins_over_the_title_and_plain_description() {
        let html = r#"<!doctype html><html><head>
            <title>Plain &amp; simple</title>
            <meta name="description" content="plain description">
            <META PROPERTY="og:title" CONTENT="The &quot;Real&quot; Title">
            <meta property='og:description' content='Says &#x27;hi&#39; &lt;b&gt;'>
            <meta property=og:image content=/img/card.png>
            </head><body><meta property="og:title" content="too late"></body>"#;
        assert_eq!(
            read(html),
            PageMeta {
                title: "The \"Real\" Title".to_owned(),
                description: "Says 'hi' <b>".to_owned(),
                image: Some("/img/card.png".to_owned()),
            }
        );
    }

    #[test]
    fn the_title_tag_and_description_meta_serve_when_there_is_no_opengraph() {
        let html = "<head><!-- <title>no</title> --><script>var t='<title>no</title>'</script>\
                    <title>\n  Hello\n  world </title><meta name=description content=\"d > e\"></head>";
        let meta = read(html);
        assert_eq!(meta.title, "Hello world");
        assert_eq!(meta.description, "d > e");
        assert_eq!(meta.image, None);
    }

    #[test]
    fn long_or_odd_text_is_cut_and_cleaned() {
        let long = "x".repeat(1_000);
        let meta = read(&format!(
            "<title>{long}</title><meta property=\"og:description\" content=\"a\u{7}b\">"
        ));
        assert_eq!(meta.title.chars().count(), MAX_TITLE_CHARS);
        assert!(meta.title.ends_with('…'));
        assert_eq!(meta.description, "ab");
        assert_eq!(
            read("<title>unclosed"),
            PageMeta {
                title: "unclosed".to_owned(),
                ..PageMeta::default()
            }
        );
        assert_eq!(
            read("<meta content=\"x\" property=\"og:title\"/>").title,
            "x"
        );
        assert_eq!(read("&#xFFFFFFFF; <<<>>> <meta"), PageMeta::default());
    }
}
