//! The languages the page is written in, and choosing one for a visitor
//! from `Accept-Language` among those a site offers (`LANGUAGES`).

use unic_langid::LanguageIdentifier;

/// A language the page has a catalogue for (`locales/<tag>/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    German,
}

impl Language {
    /// Every language, the reference (English) first.
    pub const ALL: [Self; 2] = [Self::English, Self::German];

    /// The BCP 47 tag, as in `<html lang>`.
    #[must_use]
    pub fn tag(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::German => "de",
        }
    }

    /// The language with tag `tag` (`de`), if there is a catalogue for it.
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(tag.trim()))
    }

    /// The language's own name for itself, as a language menu shows it.
    #[must_use]
    pub fn own_name(self) -> &'static str {
        match self {
            Self::English => "English",
            Self::German => "Deutsch",
        }
    }

    /// Parses a comma-separated list of tags (`en, de`).
    ///
    /// # Errors
    /// A tag we have no catalogue for, or an empty list.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, String> {
        let mut list = Vec::new();
        for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let language = Self::ALL
                .into_iter()
                .find(|l| l.tag().eq_ignore_ascii_case(tag))
                .ok_or_else(|| format!("there is no catalogue for '{tag}' (there are: en, de)"))?;
            if !list.contains(&language) {
                list.push(language);
            }
        }
        if list.is_empty() {
            return Err("name at least one language, e.g. en".to_owned());
        }
        Ok(list)
    }

    /// The language `Accept-Language` prefers among `offered`; the first
    /// offered one when it names none of them or is missing or unreadable.
    #[must_use]
    pub fn negotiate(accept: Option<&str>, offered: &[Self]) -> Self {
        let fallback = offered.first().copied().unwrap_or(Self::English);
        let Some(accept) = accept else {
            return fallback;
        };
        let requested = fluent_langneg::accepted_languages::parse(accept);
        let available: Vec<LanguageIdentifier> = offered
            .iter()
            .filter_map(|l| l.tag().parse().ok())
            .collect();
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            None,
            fluent_langneg::NegotiationStrategy::Lookup,
        );
        chosen
            .first()
            .and_then(|id| {
                offered
                    .iter()
                    .copied()
                    .find(|l| l.tag() == id.language.as_str())
            })
            .unwrap_or(fallback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: [Language; 2] = [Language::English, Language::German];

    #[test]
    fn accept_language_picks_an_offered_language_or_the_first() {
        let pick = |accept| Language::negotiate(accept, &BOTH);
        assert_eq!(pick(None), Language::English);
        assert_eq!(pick(Some("de-DE,de;q=0.9,en;q=0.8")), Language::German);
        assert_eq!(pick(Some("de-AT")), Language::German);
        assert_eq!(pick(Some("fr-FR,de;q=0.5")), Language::German);
        assert_eq!(pick(Some("en-GB,de;q=0.9")), Language::English);
        assert_eq!(pick(Some("fr, es;q=0.8")), Language::English);
        assert_eq!(pick(Some(";;;q=x,,")), Language::English);
        // A site that offers English only stays English.
        assert_eq!(
            Language::negotiate(Some("de-DE"), &[Language::English]),
            Language::English
        );
        assert_eq!(
            Language::negotiate(Some("fr"), &[Language::German, Language::English]),
            Language::German
        );
    }

    #[test]
    fn lists_parse_and_refuse_unknown_tags() {
        assert_eq!(Language::parse_list("en"), Ok(vec![Language::English]));
        assert_eq!(
            Language::parse_list(" de , EN, de"),
            Ok(vec![Language::German, Language::English])
        );
        assert!(Language::parse_list("fr").is_err());
        assert!(Language::parse_list(" , ").is_err());
    }
}
