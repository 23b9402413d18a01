//! Syntax highlighting of fenced code, on the server and by CSS class, so
//! the strict CSP (no inline styles) holds and the page needs no script.
//!
//! Syntect parses the code with its default Sublime grammars on the
//! pure-Rust `fancy-regex` engine (no C). Each run of text gets one of a
//! few token classes ([`CLASSES`], `cv-hl-*`), chosen from its scope stack;
//! the stylesheet colours them for the light and the dark theme. A small,
//! fixed class set keeps the sanitiser's class allowlist explicit.
//!
//! This is comrak's adapter interface with our own body rather than
//! comrak's `SyntectAdapter`: that one writes the code unescaped when the
//! highlighter fails and always loads syntect's themes, which class-based
//! output never uses.
//!
//! Hostile code is bounded: a block longer than the caller's limit, or with
//! a line longer than [`MAX_LINE_BYTES`], or one the parser has not finished
//! within [`TIME_BUDGET`], is shown plain (escaped) instead.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};

use super::render::escape;

/// The token classes highlighting writes, and nothing else.
pub const CLASSES: [&str; 10] = [
    "cv-hl-c", // comment
    "cv-hl-k", // keyword, storage modifier, heading
    "cv-hl-s", // string
    "cv-hl-n", // number, constant
    "cv-hl-f", // function name
    "cv-hl-t", // type, class, tag name
    "cv-hl-a", // attribute name
    "cv-hl-v", // variable, parameter
    "cv-hl-i", // inserted (diffs)
    "cv-hl-d", // deleted (diffs)
];

/// Longest line highlighted: long lines are where regex grammars get slow,
/// and a minified line gains little from colour anyway.
pub const MAX_LINE_BYTES: usize = 1_000;

/// The most time one code block may spend being highlighted before it is
/// shown plain: a safety net behind the size limits, generous enough that
/// a grammar's first use (its regexes are compiled then) never meets it.
/// Rendering happens once, when a message is sent or edited.
pub const TIME_BUDGET: Duration = Duration::from_secs(1);

/// The grammars: syntect's default set (about 75 languages, one 360 KiB
/// compressed dump in the binary), loaded once, on first use or at
/// start-up through [`warm_up`].
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Scope prefixes and their class, most specific first; the innermost
/// scope of a run that matches one decides its class.
static RULES: LazyLock<Vec<(Scope, &'static str)>> = LazyLock::new(|| {
    [
        ("comment", "cv-hl-c"),
        ("punctuation.definition.comment", "cv-hl-c"),
        ("string", "cv-hl-s"),
        ("constant.character.escape", "cv-hl-s"),
        ("constant.numeric", "cv-hl-n"),
        ("constant.language", "cv-hl-n"),
        ("constant", "cv-hl-n"),
        ("keyword.operator", ""),
        ("keyword", "cv-hl-k"),
        // `let`, `fn`, `int`, `class`: keywords to a reader.
        ("storage", "cv-hl-k"),
        ("entity.name.function", "cv-hl-f"),
        ("support.function", "cv-hl-f"),
        ("variable.function", "cv-hl-f"),
        ("entity.name.tag", "cv-hl-t"),
        ("entity.name.type", "cv-hl-t"),
        ("entity.name.class", "cv-hl-t"),
        ("entity.name.struct", "cv-hl-t"),
        ("entity.name.enum", "cv-hl-t"),
        ("entity.other.inherited-class", "cv-hl-t"),
        ("support.type", "cv-hl-t"),
        ("support.class", "cv-hl-t"),
        ("entity.other.attribute-name", "cv-hl-a"),
        ("variable.parameter", "cv-hl-v"),
        ("variable.language", "cv-hl-k"),
        ("variable", "cv-hl-v"),
        ("markup.heading", "cv-hl-k"),
        ("markup.inserted", "cv-hl-i"),
        ("markup.deleted", "cv-hl-d"),
    ]
    .into_iter()
    .filter_map(|(name, class)| Scope::new(name).ok().map(|s| (s, class)))
    .collect()
});

/// Loads the grammars now, so the first message with code does not wait
/// for them.
pub fn warm_up() {
    LazyLock::force(&SYNTAXES);
    LazyLock::force(&RULES);
}

/// Whether `lang` (a fence's first word) names a grammar we have.
#[must_use]
pub fn knows(lang: &str) -> bool {
    syntax_for(lang).is_some()
}

fn syntax_for(lang: &str) -> Option<&'static SyntaxReference> {
    // A name with odd characters is no grammar's; asking costs a scan.
    if lang.is_empty()
        || lang.len() > 32
        || !lang
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'#' | b'-' | b'_' | b'.'))
    {
        return None;
    }
    let set = &*SYNTAXES;
    let found = set
        .find_syntax_by_token(lang)
        .or_else(|| set.find_syntax_by_token(&lang.to_ascii_lowercase()))?;
    // Plain text is "known" but has nothing to colour.
    (found.name != "Plain Text").then_some(found)
}

/// The class of a run of text under `stack`, if it gets one.
fn class_of(stack: &ScopeStack) -> Option<&'static str> {
    for scope in stack.as_slice().iter().rev() {
        for (prefix, class) in RULES.iter() {
            if prefix.is_prefix_of(*scope) {
                return (!class.is_empty()).then_some(*class);
            }
        }
    }
    None
}

/// Highlights `code` as `lang`, escaped, with `cv-hl-*` spans; `None` when
/// it is to be shown plain (unknown language, over a limit, parser error).
#[must_use]
pub fn highlight(lang: &str, code: &str, max_bytes: usize) -> Option<String> {
    if code.len() > max_bytes || code.lines().any(|l| l.len() > MAX_LINE_BYTES) {
        return None;
    }
    let syntax = syntax_for(lang)?;
    let started = Instant::now();
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut out = Spans::with_capacity(code.len() * 2);
    for line in code.split_inclusive('\n') {
        let ops = state.parse_line(line, &SYNTAXES).ok()?;
        let mut at = 0;
        for (index, op) in ops {
            // Grammars match at character boundaries; anything else is
            // a parser fault, and the block is shown plain.
            let piece = line.get(at..index)?;
            out.push(piece, class_of(&stack));
            at = index;
            stack.apply(&op).ok()?;
        }
        out.push(line.get(at..)?, class_of(&stack));
        if started.elapsed() > TIME_BUDGET {
            return None;
        }
    }
    Some(out.finish())
}

/// Output with runs of the same class merged into one span.
struct Spans {
    html: String,
    open: Option<&'static str>,
}

impl Spans {
    fn with_capacity(bytes: usize) -> Self {
        Self {
            html: String::with_capacity(bytes),
            open: None,
        }
    }

    fn push(&mut self, text: &str, class: Option<&'static str>) {
        if text.is_empty() {
            return;
        }
        if self.open != class {
            if self.open.is_some() {
                self.html.push_str("</span>");
            }
            if let Some(class) = class {
                self.html.push_str("<span class=\"");
                self.html.push_str(class);
                self.html.push_str("\">");
            }
            self.open = class;
        }
        self.html.push_str(&escape(text));
    }

    fn finish(mut self) -> String {
        if self.open.is_some() {
            self.html.push_str("</span>");
        }
        self.html
    }
}

/// The comrak adapter: highlighted code where it can be, escaped plain
/// code otherwise, inside `<pre><code>` with no attributes (the language
/// class would be arbitrary user text for the sanitiser's allowlist).
#[derive(Debug, Clone, Copy)]
pub struct Highlighter {
    /// Longest code block highlighted, in bytes.
    pub max_bytes: usize,
}

impl comrak::adapters::SyntaxHighlighterAdapter for Highlighter {
    fn write_highlighted(
        &self,
        output: &mut dyn fmt::Write,
        lang: Option<&str>,
        code: &str,
    ) -> fmt::Result {
        match highlight(lang.unwrap_or_default(), code, self.max_bytes) {
            Some(html) => output.write_str(&html),
            None => output.write_str(&escape(code)),
        }
    }

    fn write_pre_tag(
        &self,
        output: &mut dyn fmt::Write,
        _attributes: HashMap<&'static str, Cow<'_, str>>,
    ) -> fmt::Result {
        output.write_str("<pre>")
    }

    fn write_code_tag(
        &self,
        output: &mut dyn fmt::Write,
        _attributes: HashMap<&'static str, Cow<'_, str>>,
    ) -> fmt::Result {
        output.write_str("<code>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_gets_keyword_string_and_comment_classes() {
        let html = highlight("rust", "fn main() { let s = \"<hi>\"; } // done\n", 10_000)
            .expect("rust is known");
        assert!(html.contains("<span class=\"cv-hl-k\">fn</span>"), "{html}");
        assert!(html.contains("cv-hl-f\">main</span>"), "{html}");
        assert!(
            html.contains("<span class=\"cv-hl-s\">&quot;&lt;hi&gt;&quot;</span>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"cv-hl-c\">// done"), "{html}");
    }

    #[test]
    fn only_the_fixed_classes_are_written() {
        let samples = [
            ("python", "def f(x):\n    return x + 1  # one\n"),
            ("js", "const a = `t${b}`; /re/.test(a)\n"),
            ("html", "<a href=\"x\">y</a>\n"),
            ("diff", "+added\n-removed\n"),
            ("sh", "echo \"$HOME\" | grep -c x\n"),
        ];
        for (lang, code) in samples {
            let html = highlight(lang, code, 10_000).expect(lang);
            for class in html.split("class=\"").skip(1) {
                let class = class.split('"').next().unwrap_or_default();
                assert!(CLASSES.contains(&class), "{lang}: {class} in {html}");
            }
        }
    }

    #[test]
    fn unknown_odd_or_oversized_code_is_plain() {
        assert_eq!(highlight("klingon", "x", 10_000), None);
        assert_eq!(highlight("", "x", 10_000), None);
        assert_eq!(highlight("rust\"><script>", "x", 10_000), None);
        assert_eq!(highlight("text", "x", 10_000), None);
        assert_eq!(highlight("rust", "fn x() {}\n", 5), None);
        let long_line = format!("let x = \"{}\";\n", "a".repeat(MAX_LINE_BYTES));
        assert_eq!(highlight("rust", &long_line, 100_000), None);
        assert!(knows("Rust") && knows("py") && !knows("nope"));
    }

    #[test]
    fn the_text_survives_highlighting_exactly() {
        let code = "if a < b && c > d { println!(\"&amp;\"); }\n\tlet é = '👍';\n";
        let html = highlight("rust", code, 10_000).expect("rust");
        let mut text = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                _ if !in_tag => text.push(c),
                _ => {}
            }
        }
        let text = text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&amp;", "&");
        assert_eq!(text, code);
    }
}
