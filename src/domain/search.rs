//! The search query language and the excerpts of results.
//!
//! A query is words, `"quoted phrases"` and operators, as Zulip and Slack
//! users know them: `from:USERNAME`, `in:SLUG`, `has:file`, `has:link`,
//! `is:mention`, `before:YYYY-MM-DD`, `after:YYYY-MM-DD`; a word ending in
//! `*` matches the words it begins (the search box adds it to the last word
//! while the user types). Parsing never fails: what is not understood is
//! searched as words, and what holds no letter or digit is dropped.
//!
//! User text never reaches a full-text engine's own syntax: a query is
//! reduced to [`Term`]s, each a run of word tokens made only of letters,
//! digits and combining marks, from which each backend builds its match
//! expression itself.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Most terms (words and phrases) a query keeps; the rest are dropped.
pub const MAX_TERMS: usize = 16;
/// Most tokens a phrase keeps.
pub const MAX_PHRASE_TOKENS: usize = 16;
/// Longest token kept, in characters (longer ones are cut).
pub const MAX_TOKEN_CHARS: usize = 64;
/// A prefix (`ab*`) needs at least this many characters; shorter ones are
/// searched as whole words, since they would match most of the index.
pub const MIN_PREFIX_CHARS: usize = 2;
/// Characters of message text an excerpt shows at most.
pub const EXCERPT_CHARS: usize = 240;

/// One word, or a phrase: tokens that must follow each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The word tokens, as written (the engines fold case and accents).
    pub tokens: Vec<String>,
    /// Whether the last token matches the words it begins.
    pub prefix: bool,
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Words and phrases; every one must match.
    pub terms: Vec<Term>,
    /// `from:`: the author's username.
    pub from: Option<String>,
    /// `in:`: the room's slug.
    pub room: Option<String>,
    /// `has:file`.
    pub has_file: bool,
    /// `has:link`.
    pub has_link: bool,
    /// `is:mention`: messages that mention the searcher.
    pub mentions_me: bool,
    /// `before:`: sent before the start of this day (Unix seconds, UTC).
    pub before: Option<i64>,
    /// `after:`: sent after the end of this day (Unix seconds of the next
    /// day's start, UTC).
    pub after: Option<i64>,
    /// Operators that were not understood (`has:cake`, `before:soon`),
    /// said back to the user; they do not narrow the search.
    pub ignored: Vec<String>,
}

/// Whether `c` belongs to a word token: letters, digits and combining
/// marks (as SQLite's `unicode61` tokenizer and PostgreSQL's parser see
/// words, give or take punctuation inside words, which both split on).
#[must_use]
pub fn is_token_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(
            c.general_category(),
            GeneralCategory::NonspacingMark
                | GeneralCategory::SpacingMark
                | GeneralCategory::EnclosingMark
        )
}

/// The word tokens of `text`, as written.
#[must_use]
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !is_token_char(c))
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .map(|t| t.chars().take(MAX_TOKEN_CHARS).collect())
        .collect()
}

/// `text` without case and accents: what matching compares.
#[must_use]
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| c.general_category() != GeneralCategory::NonspacingMark)
        .flat_map(char::to_lowercase)
        .collect()
}

impl Query {
    /// Parses a query; never fails.
    #[must_use]
    pub fn parse(raw: &str) -> Self {
        let mut q = Self::default();
        let pieces = split(raw);
        for (piece, quoted) in &pieces {
            if !*quoted && q.operator(piece) {
                continue;
            }
            let (text, star) = match piece.strip_suffix('*') {
                Some(stem) if !*quoted => (stem, true),
                _ => (piece.as_str(), false),
            };
            let mut tokens = tokens(text);
            if tokens.is_empty() || q.terms.len() >= MAX_TERMS {
                continue;
            }
            tokens.truncate(MAX_PHRASE_TOKENS);
            let long_enough = tokens
                .last()
                .is_some_and(|t| t.chars().count() >= MIN_PREFIX_CHARS);
            q.terms.push(Term {
                tokens,
                prefix: star && long_enough,
            });
        }
        q
    }

    /// Takes `piece` as an operator if it is one; false when it is words.
    fn operator(&mut self, piece: &str) -> bool {
        let Some((key, value)) = piece.split_once(':') else {
            return false;
        };
        let value = value.trim();
        match key.to_ascii_lowercase().as_str() {
            "from" => {
                let name = value.trim_start_matches('@');
                if name.is_empty() {
                    self.ignored.push(piece.to_owned());
                } else {
                    self.from = Some(name.to_owned());
                }
            }
            "in" => {
                let slug = value.trim_start_matches('#').trim_end_matches('/');
                if slug.is_empty() {
                    self.ignored.push(piece.to_owned());
                } else {
                    self.room = Some(slug.to_owned());
                }
            }
            "has" => match value.to_ascii_lowercase().as_str() {
                "file" | "attachment" => self.has_file = true,
                "link" => self.has_link = true,
                _ => self.ignored.push(piece.to_owned()),
            },
            "is" => match value.to_ascii_lowercase().as_str() {
                "mention" | "mentioned" => self.mentions_me = true,
                _ => self.ignored.push(piece.to_owned()),
            },
            "before" | "after" => match day_start(value) {
                Some(start) if key.eq_ignore_ascii_case("before") => self.before = Some(start),
                Some(start) => self.after = Some(start + 86_400),
                None => self.ignored.push(piece.to_owned()),
            },
            // `http://…`, `note:` and the like are words.
            _ => return false,
        }
        true
    }

    /// Whether the query narrows nothing: no words and no operator.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
            && self.from.is_none()
            && self.room.is_none()
            && !self.has_file
            && !self.has_link
            && !self.mentions_me
            && self.before.is_none()
            && self.after.is_none()
    }

    /// The folded tokens to highlight, each with whether it is a prefix.
    #[must_use]
    pub fn marks(&self) -> Vec<(String, bool)> {
        let mut marks: Vec<(String, bool)> = Vec::new();
        for term in &self.terms {
            let last = term.tokens.len() - 1;
            for (i, token) in term.tokens.iter().enumerate() {
                let mark = (fold(token), term.prefix && i == last);
                if !marks.contains(&mark) {
                    marks.push(mark);
                }
            }
        }
        marks
    }
}

/// The query cut into pieces: words (`false`) and quoted phrases (`true`).
/// Control characters count as spaces; typographic quotes as `"`.
fn split(raw: &str) -> Vec<(String, bool)> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in raw.chars() {
        let c = match c {
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => '"',
            c if c.is_control() => ' ',
            c => c,
        };
        if c == '"' {
            if in_quotes || !current.is_empty() {
                pieces.push((std::mem::take(&mut current), in_quotes));
            }
            in_quotes = !in_quotes;
        } else if c.is_whitespace() && !in_quotes {
            if !current.is_empty() {
                pieces.push((std::mem::take(&mut current), false));
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        pieces.push((current, in_quotes));
    }
    pieces.retain(|(p, _)| !p.trim().is_empty());
    pieces
}

/// The start of day `YYYY-MM-DD` in Unix seconds (UTC).
fn day_start(value: &str) -> Option<i64> {
    let mut parts = value.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if !(1..=9999).contains(&year) {
        return None;
    }
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// The excerpt of a result as HTML: `text` with its whitespace collapsed,
/// cut to about [`EXCERPT_CHARS`] around the first match, every character
/// escaped, and the words that match `marks` (see [`Query::marks`]) wrapped
/// in `<mark>`. The markers are added around escaped text, never inside
/// it, so nothing in a message can open or close an element.
#[must_use]
pub fn excerpt(text: &str, marks: &[(String, bool)]) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = flat.chars().collect();
    // Word spans (char offsets) that match.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_token_char(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_token_char(chars[i]) {
            i += 1;
        }
        let word: String = fold(&chars[start..i].iter().collect::<String>());
        if marks.iter().any(|(m, prefix)| {
            if *prefix {
                word.starts_with(m.as_str())
            } else {
                word == *m
            }
        }) {
            spans.push((start, i));
        }
    }
    let (from, to) = window(&chars, spans.first().map_or(0, |s| s.0));
    let mut html = String::with_capacity((to - from) * 2 + 16);
    if from > 0 {
        html.push('…');
    }
    let mut at = from;
    for &(s, e) in spans.iter().filter(|(s, e)| *s >= from && *e <= to) {
        escape_into(&mut html, &chars[at..s]);
        html.push_str("<mark>");
        escape_into(&mut html, &chars[s..e]);
        html.push_str("</mark>");
        at = e;
    }
    escape_into(&mut html, &chars[at..to]);
    if to < chars.len() {
        html.push('…');
    }
    html
}

/// The char range an excerpt shows: [`EXCERPT_CHARS`] starting a little
/// before `first_match`, at a word's start where one is near.
fn window(chars: &[char], first_match: usize) -> (usize, usize) {
    if chars.len() <= EXCERPT_CHARS {
        return (0, chars.len());
    }
    let lead = EXCERPT_CHARS / 4;
    let mut from = first_match.saturating_sub(lead);
    if from > 0
        && let Some(space) = chars[from..first_match].iter().position(|c| *c == ' ')
    {
        from += space + 1;
    }
    let from = from.min(chars.len() - EXCERPT_CHARS);
    (from, from + EXCERPT_CHARS)
}

fn escape_into(out: &mut String, chars: &[char]) {
    for &c in chars {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(tokens: &[&str], prefix: bool) -> Term {
        Term {
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
            prefix,
        }
    }

    #[test]
    fn words_phrases_and_prefixes() {
        let q = Query::parse(r#"where "the address" add*"#);
        assert_eq!(
            q.terms,
            vec![
                term(&["where"], false),
                term(&["the", "address"], false),
                term(&["add"], true)
            ]
        );
        // Too short a prefix is a word; a quoted star is text.
        assert_eq!(Query::parse("a*").terms, vec![term(&["a"], false)]);
        assert_eq!(Query::parse(r#""ab*""#).terms, vec![term(&["ab"], false)]);
        // Punctuation inside a word makes a phrase of its parts.
        assert_eq!(
            Query::parse("e-mail").terms,
            vec![term(&["e", "mail"], false)]
        );
    }

    #[test]
    fn operators() {
        let q = Query::parse(
            "From:@ann in:#general has:file has:link is:mention before:2026-03-02 after:2026-03-01 x",
        );
        assert_eq!(q.from.as_deref(), Some("ann"));
        assert_eq!(q.room.as_deref(), Some("general"));
        assert!(q.has_file && q.has_link && q.mentions_me);
        assert_eq!(q.before, Some(1_772_409_600));
        assert_eq!(q.after, Some(1_772_409_600));
        assert_eq!(q.terms, vec![term(&["x"], false)]);
        assert!(q.ignored.is_empty());
    }

    #[test]
    fn what_is_not_understood_is_said_back_or_searched_as_words() {
        let q = Query::parse("from: in: has:cake is:happy before:soon after:2026-02-30");
        assert_eq!(q.from, None);
        assert_eq!(q.room, None);
        assert_eq!(q.before, None);
        assert_eq!(q.after, None);
        assert_eq!(q.ignored.len(), 6);
        assert!(q.is_empty());
        let q = Query::parse("https://example.com/a note:");
        assert_eq!(
            q.terms,
            vec![
                term(&["https", "example", "com", "a"], false),
                term(&["note"], false)
            ]
        );
    }

    #[test]
    fn hostile_input_reduces_to_plain_tokens() {
        for raw in [
            "\"",
            "\"\"\"",
            "*",
            "NEAR(a b)",
            "a OR b AND NOT c",
            "col:term",
            "^start",
            "a\0b",
            "'; DROP TABLE messages; --",
            "((((",
            "-",
            "!:*&|<->",
            "\u{202E}evil",
        ] {
            let q = Query::parse(raw);
            for t in &q.terms {
                assert!(!t.tokens.is_empty(), "{raw:?}");
                for token in &t.tokens {
                    assert!(token.chars().all(is_token_char), "{raw:?}: {token:?}");
                }
            }
        }
        assert_eq!(Query::parse("a\0b").terms.len(), 2);
        let long = "word ".repeat(2_000);
        assert_eq!(Query::parse(&long).terms.len(), MAX_TERMS);
        let one = "x".repeat(500);
        assert_eq!(
            Query::parse(&one).terms[0].tokens[0].chars().count(),
            MAX_TOKEN_CHARS
        );
    }

    #[test]
    fn unicode() {
        assert_eq!(fold("Café CRÈME Ørsted"), "cafe creme ørsted");
        assert_eq!(fold("ПРИВЕТ"), "привет");
        assert_eq!(
            Query::parse("“東京 タワー” :tada:").terms,
            vec![term(&["東京", "タワー"], false), term(&["tada"], false)]
        );
    }

    #[test]
    fn excerpts_escape_everything_and_mark_matches() {
        let q = Query::parse("cafe <b>");
        let html = excerpt("Meet at the <b>Café</b> & \"bar\"", &q.marks());
        assert_eq!(
            html,
            "Meet at the &lt;<mark>b</mark>&gt;<mark>Café</mark>&lt;/<mark>b</mark>&gt; &amp; &quot;bar&quot;"
        );
        let q = Query::parse("mark*");
        assert_eq!(
            excerpt("</mark><script>markdown", &q.marks()),
            "&lt;/<mark>mark</mark>&gt;&lt;script&gt;<mark>markdown</mark>"
        );
    }

    #[test]
    fn long_texts_are_cut_around_the_first_match() {
        let text = format!("{} needle {}", "hay ".repeat(200), "straw ".repeat(200));
        let html = excerpt(&text, &Query::parse("needle").marks());
        assert!(html.starts_with('…') && html.ends_with('…'), "{html}");
        assert!(html.contains("<mark>needle</mark>"));
        assert!(html.chars().count() < EXCERPT_CHARS + 40);
        let html = excerpt(&"é".repeat(1_000), &[]);
        assert_eq!(html.chars().count(), EXCERPT_CHARS + 1);
    }
}
