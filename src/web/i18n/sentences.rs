//! The English sentences of the service and web layers, recognised on the
//! way out so the web layer can word them in the reader's language.
//!
//! Sentences stay English where they are made, as gettext keys: the rules
//! that make them (services, domain checks returning `String`, the CLI that
//! prints them) need not know who reads them. The catalogue's English value
//! of each `error-`/`title-`/`word-` message is the key. A fixed sentence
//! is found by its text; a sentence with values ("The message is longer
//! than 4000 characters.", "Remove ann from “General”?") by the English
//! text around its placeables, any number of them, each value read back
//! from between those texts.
//!
//! Why a matcher rather than a typed error carrying the message id and its
//! arguments: the sentences are made in some 200 places (service, domain
//! rules that return plain `String`s, the web layer's form readers), all
//! of which pass a `String` to `ServiceError`/`AppError`, and the CLI and
//! the logs want the English text anyway. Typing every one of them would
//! change each site and every `match` on those errors for no change in
//! what a reader sees, while the catalogue value, which must exist for the
//! German anyway, already states the shape. The cost is that a sentence
//! and its English catalogue value must agree to the letter; the tests of
//! this module and `tests/it/languages.rs` word each sentence with values
//! in German, so a drifted one fails there.
//!
//! A value that is itself words is read back by its variable's name:
//! `$span` is a duration as `domain::duration_words::words` writes it
//! ("15 minutes"), `$size` a size as `web::forms::human_bytes` writes it
//! ("512 bytes"); both are worded again in the reader's language. Any
//! other value that reads as a whole number becomes a number, so plural
//! rules apply to it; the rest (names, titles) stays as written.

use std::collections::HashMap;

use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast::{Expression, InlineExpression, Pattern, PatternElement};

use super::{Catalogues, Language};

/// The sentences a catalogue's English words.
#[derive(Default)]
pub(super) struct Sentences {
    /// Fixed English sentence → message id.
    fixed: HashMap<String, String>,
    /// Sentences with values, the most specific (longest fixed text) first.
    shapes: Vec<Shape>,
}

/// A sentence with values: `texts[0] value texts[1] value … texts[n]`.
struct Shape {
    /// The English text around the values: one more than `variables`.
    texts: Vec<String>,
    /// The variable of each value, in the order they appear.
    variables: Vec<String>,
    id: String,
}

impl Shape {
    /// The values of `text` when it has this shape. Each value is at least
    /// one character and ends at the first occurrence of the text after it
    /// (names cannot hold the text around them in practice: the texts are
    /// punctuation and words, the names slugs, usernames or titles).
    fn values<'t>(&self, text: &'t str) -> Option<Vec<&'t str>> {
        let (last, middle) = self.texts[1..].split_last()?;
        let mut rest = text.strip_prefix(self.texts[0].as_str())?;
        rest = rest.strip_suffix(last.as_str())?;
        let mut values = Vec::with_capacity(self.variables.len());
        for after in middle {
            // Search past the value's first character: never empty.
            let first = rest.chars().next()?.len_utf8();
            let at = rest[first..].find(after.as_str())? + first;
            values.push(&rest[..at]);
            rest = &rest[at + after.len()..];
        }
        if rest.is_empty() {
            return None;
        }
        values.push(rest);
        Some(values)
    }

    /// The length of the fixed text, to try the most specific shape first.
    fn fixed_len(&self) -> usize {
        self.texts.iter().map(String::len).sum()
    }
}

/// Every variable a pattern names, in order, once each, selectors and
/// variants included.
fn variables(pattern: &Pattern<&str>, out: &mut Vec<String>) {
    fn inline(expression: &InlineExpression<&str>, out: &mut Vec<String>) {
        if let InlineExpression::VariableReference { id } = expression
            && !out.iter().any(|v| v == id.name)
        {
            out.push(id.name.to_owned());
        }
    }
    for element in &pattern.elements {
        let PatternElement::Placeable { expression } = element else {
            continue;
        };
        match expression {
            Expression::Inline(e) => inline(e, out),
            Expression::Select { selector, variants } => {
                inline(selector, out);
                for variant in variants {
                    variables(&variant.value, out);
                }
            }
        }
    }
}

/// A mark standing for the `i`th variable while the shape is read off the
/// English text: characters no sentence holds (Unicode private use).
fn mark(i: usize) -> char {
    u32::try_from(i)
        .ok()
        .and_then(|i| char::from_u32(0xE000 + i))
        .unwrap_or('\u{E000}')
}

impl Sentences {
    /// The sentences of the English catalogue `source`, worded by
    /// `catalogues` (which holds its bundle).
    pub(super) fn load(catalogues: &Catalogues, source: &str) -> Self {
        let mut sentences = Self::default();
        let Ok(resource) = FluentResource::try_new(source.to_owned()) else {
            return sentences;
        };
        for entry in resource.entries() {
            let fluent_syntax::ast::Entry::Message(message) = entry else {
                continue;
            };
            let id = message.id.name;
            if !(id.starts_with("error-") || id.starts_with("title-") || id.starts_with("word-")) {
                continue;
            }
            let Some(value) = &message.value else {
                continue;
            };
            let mut names = Vec::new();
            variables(value, &mut names);
            if names.is_empty() {
                if let Some(text) = catalogues.message(Language::English, id, None) {
                    sentences.fixed.insert(text, id.to_owned());
                }
                continue;
            }
            if let Some(shape) = Self::shape(catalogues, id, &names) {
                sentences.shapes.push(shape);
            }
        }
        sentences
            .shapes
            .sort_by_key(|s| std::cmp::Reverse(s.fixed_len()));
        sentences
    }

    /// The shape of message `id`, read off its English text with a mark
    /// for each variable; `None` when a variable does not show or shows
    /// twice, or two values touch (no text between them to tell them
    /// apart).
    fn shape(catalogues: &Catalogues, id: &str, names: &[String]) -> Option<Shape> {
        let mut args = FluentArgs::new();
        for (i, name) in names.iter().enumerate() {
            args.set(name.clone(), mark(i).to_string());
        }
        let text = catalogues.message(Language::English, id, Some(&args))?;
        let mut texts = vec![String::new()];
        let mut variables = Vec::new();
        for c in text.chars() {
            match (0..names.len()).find(|i| mark(*i) == c) {
                Some(i) => {
                    variables.push(names[i].clone());
                    texts.push(String::new());
                }
                None => texts.last_mut()?.push(c),
            }
        }
        let each_once = variables.len() == names.len()
            && names
                .iter()
                .all(|n| variables.iter().filter(|v| *v == n).count() == 1);
        let apart = texts[1..texts.len() - 1].iter().all(|t| !t.is_empty());
        (each_once && apart).then(|| Shape {
            texts,
            variables,
            id: id.to_owned(),
        })
    }

    /// `text`, an English sentence, in `language`; `None` when no message
    /// has its text or shape.
    pub(super) fn word(
        &self,
        catalogues: &Catalogues,
        language: Language,
        text: &str,
    ) -> Option<String> {
        if let Some(id) = self.fixed.get(text) {
            return catalogues.message(language, id, None);
        }
        self.shapes.iter().find_map(|shape| {
            let values = shape.values(text)?;
            let mut args = FluentArgs::new();
            for (name, value) in shape.variables.iter().zip(values) {
                args.set(name.clone(), argument(name, value));
            }
            catalogues.message(language, &shape.id, Some(&args))
        })
    }
}

/// The Fluent value of `value`, the English text of variable `name`.
fn argument(name: &str, value: &str) -> FluentValue<'static> {
    if name == "span"
        && let Some(span) = crate::domain::duration_words::parse(value)
    {
        return FluentValue::from(super::span_words(span));
    }
    if name == "size"
        && let Some(bytes) = value
            .strip_suffix(" bytes")
            .and_then(|n| n.parse::<u64>().ok())
    {
        // MiB and KiB read the same in every language we have.
        return FluentValue::from(super::size(bytes));
    }
    match value.parse::<i64>() {
        Ok(n) => FluentValue::from(n),
        Err(_) => FluentValue::from(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Language, sentence, with_language};

    async fn german(text: &'static str) -> String {
        with_language(Language::German, async move { sentence(text) }).await
    }

    #[tokio::test]
    async fn sentences_with_several_values_are_worded() {
        assert_eq!(
            german(
                "The image is 12000 × 9000 pixels, more than the 50 megapixels an image may have to be shown."
            )
            .await,
            "Das Bild hat 12000 × 9000 Pixel, mehr als die 50 Megapixel, die ein Bild haben darf, um angezeigt zu werden."
        );
        assert_eq!(
            german("Push is already on for 1 devices, the most allowed; remove one first.").await,
            "Push ist schon auf 1 Gerät eingeschaltet, mehr sind nicht erlaubt; entferne zuerst eines.",
            "a number keeps its plural"
        );
        assert_eq!(
            german("The field 'room' must be a message id (a whole number, 0 or more).").await,
            "Das Feld „room“ muss eine Nachrichten-ID sein (eine ganze Zahl, 0 oder größer).",
            "the longer shape wins over 'The field … is …'"
        );
    }

    #[test]
    fn a_value_ends_where_the_text_after_it_first_appears() {
        let shape = super::Shape {
            texts: vec!["Remove ".into(), " from “".into(), "”?".into()],
            variables: vec!["user".into(), "room".into()],
            id: "x".into(),
        };
        assert_eq!(
            shape.values("Remove ann from “General”?"),
            Some(vec!["ann", "General"])
        );
        assert_eq!(
            shape.values("Remove ann from “A from “B”?"),
            Some(vec!["ann", "A from “B"]),
            "a later value may hold the text between"
        );
        assert_eq!(
            shape.values("Remove  from “General”?"),
            None,
            "no empty value"
        );
        assert_eq!(shape.values("Remove ann from “”?"), None);
        assert_eq!(shape.values("Delete ann from “General”?"), None);
    }

    #[tokio::test]
    async fn durations_and_sizes_are_worded_again() {
        assert_eq!(
            german("Messages can be edited for 15 minutes after sending; this one no longer can.")
                .await,
            "Nachrichten lassen sich 15 Minuten lang nach dem Senden bearbeiten; diese nicht mehr."
        );
        assert_eq!(
            german("Messages can be edited for 1 day after sending; this one no longer can.").await,
            "Nachrichten lassen sich 1 Tag lang nach dem Senden bearbeiten; diese nicht mehr."
        );
        assert_eq!(
            german("The file is larger than the limit of 512 bytes.").await,
            "Die Datei ist größer als die Grenze von 512 Byte."
        );
        assert_eq!(
            german("The file is larger than the limit of 10 MiB.").await,
            "Die Datei ist größer als die Grenze von 10 MiB."
        );
    }
}
