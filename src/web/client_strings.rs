//! The client script's words: a small ES module per language
//! (`strings.js`), made from the same Fluent catalogues as the page, so the
//! script needs no Fluent implementation of its own and no build step.
//!
//! The script gets the catalogue's `js-` messages (and the few page
//! messages it repeats, such as the older-messages link), each resolved
//! here with its variables left as `{name}` placeholders. A message that
//! selects on `$count` is resolved once per plural category of the
//! language (a sample number of each category, from the same CLDR rules
//! Fluent uses), and the browser's `Intl.PluralRules` picks among them.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast::{Expression, InlineExpression, Pattern, PatternElement};
use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
use serde_json::{Map, Value, json};
use unic_langid::LanguageIdentifier;

use super::i18n::{Catalogues, Language, source};

/// Page messages the script repeats besides its own `js-` ones.
const SHARED: &[&str] = &["room-older"];

/// Whether the script gets message `id` (the quick reactions' names,
/// `emoji-*`, are the page's and the script's alike).
fn for_client(id: &str) -> bool {
    id.starts_with("js-") || id.starts_with("emoji-") || SHARED.contains(&id)
}

/// The module for `language`, made once.
#[must_use]
pub fn module(language: Language) -> &'static str {
    static MODULES: OnceLock<Vec<(Language, String)>> = OnceLock::new();
    let modules = MODULES.get_or_init(|| {
        let catalogues = Catalogues::load();
        Language::ALL
            .into_iter()
            .map(|l| (l, make(&catalogues, l)))
            .collect()
    });
    modules
        .iter()
        .find(|(l, _)| *l == language)
        .map_or("", |(_, m)| m.as_str())
}

/// Every message the script gets, with the variables it uses.
fn client_messages(language: Language) -> Vec<(String, BTreeSet<String>)> {
    let Ok(resource) = FluentResource::try_new(source(language).to_owned()) else {
        return Vec::new();
    };
    resource
        .entries()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(m) if for_client(m.id.name) => {
                let mut names = BTreeSet::new();
                if let Some(pattern) = &m.value {
                    variables(pattern, &mut names);
                }
                Some((m.id.name.to_owned(), names))
            }
            _ => None,
        })
        .collect()
}

fn variables(pattern: &Pattern<&str>, names: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            expression_variables(expression, names);
        }
    }
}

fn expression_variables(expression: &Expression<&str>, names: &mut BTreeSet<String>) {
    match expression {
        Expression::Select { selector, variants } => {
            inline_variables(selector, names);
            for variant in variants {
                variables(&variant.value, names);
            }
        }
        Expression::Inline(inline) => inline_variables(inline, names),
    }
}

fn inline_variables(inline: &InlineExpression<&str>, names: &mut BTreeSet<String>) {
    match inline {
        InlineExpression::VariableReference { id } => {
            names.insert(id.name.to_owned());
        }
        InlineExpression::Placeable { expression } => expression_variables(expression, names),
        _ => {}
    }
}

/// A small number of each plural category `language` has (for English:
/// one → 1, other → 0).
fn samples(language: Language) -> Vec<(&'static str, u32)> {
    let id: LanguageIdentifier = language.tag().parse().unwrap_or_default();
    let Ok(rules) = PluralRules::create(id, PluralRuleType::CARDINAL) else {
        return vec![("other", 0)];
    };
    let mut found: Vec<(&'static str, u32)> = Vec::new();
    for n in 0..=1000u32 {
        let Ok(category) = rules.select(n) else {
            continue;
        };
        let name = match category {
            PluralCategory::ZERO => "zero",
            PluralCategory::ONE => "one",
            PluralCategory::TWO => "two",
            PluralCategory::FEW => "few",
            PluralCategory::MANY => "many",
            PluralCategory::OTHER => "other",
        };
        if !found.iter().any(|(c, _)| *c == name) {
            found.push((name, n));
        }
    }
    found
}

/// `id` with every variable but `count` left as its `{name}` placeholder,
/// and `count` (when given) as the number `n`.
fn resolve(
    catalogues: &Catalogues,
    language: Language,
    id: &str,
    names: &BTreeSet<String>,
    count: Option<u32>,
) -> String {
    let mut args = FluentArgs::new();
    for name in names {
        match count {
            Some(n) if name == "count" => args.set(name.clone(), FluentValue::from(n)),
            _ => args.set(name.clone(), FluentValue::from(format!("{{{name}}}"))),
        }
    }
    let text = catalogues
        .message(language, id, Some(&args))
        .unwrap_or_default();
    match count {
        Some(n) => text.replace(&n.to_string(), "{count}"),
        None => text,
    }
}

fn make(catalogues: &Catalogues, language: Language) -> String {
    let samples = samples(language);
    let mut messages = Map::new();
    for (id, names) in client_messages(language) {
        let value = if names.contains("count") {
            let forms: Map<String, Value> = samples
                .iter()
                .map(|(category, n)| {
                    let text = resolve(catalogues, language, &id, &names, Some(*n));
                    ((*category).to_owned(), Value::String(text))
                })
                .collect();
            Value::Object(forms)
        } else {
            Value::String(resolve(catalogues, language, &id, &names, None))
        };
        messages.insert(id, value);
    }
    format!(
        "export const lang = {};\nexport default {};\n",
        json!(language.tag()),
        Value::Object(messages)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages_of(language: Language) -> Value {
        let module = module(language);
        let start = module.find("export default ").expect("default export") + 15;
        let json = module[start..].trim_end().trim_end_matches(';');
        serde_json::from_str(json).expect("the messages are JSON")
    }

    #[test]
    fn a_counted_message_has_a_form_per_plural_category_with_the_count_as_a_placeholder() {
        let en = messages_of(Language::English);
        assert_eq!(en["room-older"]["one"], "{count} older message");
        assert_eq!(en["room-older"]["other"], "{count} older messages");
        let de = messages_of(Language::German);
        assert_eq!(de["room-older"]["one"], "{count} ältere Nachricht");
        assert_eq!(de["room-older"]["other"], "{count} ältere Nachrichten");
    }

    #[test]
    fn other_variables_stay_placeholders() {
        let en = messages_of(Language::English);
        assert_eq!(en["js-spoke"], "spoke {ago}");
        assert!(module(Language::German).starts_with("export const lang = \"de\";"));
    }

    #[test]
    fn the_script_uses_only_messages_the_catalogue_has_and_every_one_it_is_given() {
        let catalogue = messages_of(Language::English);
        let catalogue = catalogue.as_object().expect("object");
        let mut used = BTreeSet::new();
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/conversate"))
            .expect("the client's modules")
        {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("module");
            for (at, _) in text.match_indices('\'') {
                let rest = &text[at + 1..];
                let Some(end) = rest.find('\'') else { continue };
                let literal = &rest[..end];
                if for_client(literal)
                    && literal.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                {
                    assert!(
                        catalogue.contains_key(literal),
                        "{} uses '{literal}', which the catalogue lacks",
                        path.display()
                    );
                    used.insert(literal.to_owned());
                }
            }
        }
        for id in catalogue.keys() {
            assert!(used.contains(id), "the catalogue's '{id}' is used nowhere");
        }
    }
}
