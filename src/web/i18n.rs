//! The page's words in several languages: Project Fluent catalogues
//! (`locales/<language>/conversate.ftl`, English the reference and German),
//! looked up by templates with `t("message-id", count=…)`, plural rules
//! from CLDR through `fluent-bundle`.
//!
//! The language is the request's: [`LanguageLayer`] wraps every request and keeps
//! its `Accept-Language` header in a task-local, and the first lookup of
//! the request negotiates it (once; polls and other JSON answers never
//! look anything up, so they never pay for it). A task-local rather than a
//! template variable, so that every page, every error page and every
//! template a site overrides gets the same words without each handler
//! passing the language along. Outside a request (e-mail) the language is
//! English until a caller scopes another with [`with_language`].

use std::cell::OnceCell;
use std::future::Future;
use std::sync::Arc;

use axum::http::{HeaderValue, header};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

pub use crate::domain::language::Language;

/// The catalogue's source for `language`.
#[must_use]
pub fn source(language: Language) -> &'static str {
    match language {
        Language::English => include_str!("../../locales/en/conversate.ftl"),
        Language::German => include_str!("../../locales/de/conversate.ftl"),
    }
}

/// Every catalogue, parsed once.
pub struct Catalogues {
    bundles: Vec<(Language, FluentBundle<FluentResource>)>,
}

impl std::fmt::Debug for Catalogues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogues").finish_non_exhaustive()
    }
}

impl Catalogues {
    /// Parses the embedded catalogues.
    ///
    /// # Panics
    /// When a catalogue does not parse: they are part of the binary, and a
    /// test parses each, so this is a start-up invariant.
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn load() -> Self {
        let bundles = Language::ALL
            .into_iter()
            .map(|language| {
                let resource = FluentResource::try_new(source(language).to_owned())
                    .expect("the embedded catalogues parse (tested)");
                let id: LanguageIdentifier = language.tag().parse().unwrap_or_default();
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // No invisible isolation marks around names and numbers:
                // the page sets the direction itself.
                bundle.set_use_isolating(false);
                bundle
                    .add_resource(resource)
                    .expect("message ids are unique within a catalogue (tested)");
                (language, bundle)
            })
            .collect();
        Self { bundles }
    }

    fn bundle(&self, language: Language) -> Option<&FluentBundle<FluentResource>> {
        self.bundles
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(_, b)| b)
    }

    /// Message `id` in `language` with `args`; `None` when the catalogue
    /// lacks it.
    #[must_use]
    pub fn message(
        &self,
        language: Language,
        id: &str,
        args: Option<&FluentArgs<'_>>,
    ) -> Option<String> {
        let bundle = self.bundle(language)?;
        let pattern = bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(
                id,
                language = language.tag(),
                ?errors,
                "a message is incomplete"
            );
        }
        Some(text.into_owned())
    }

    /// The ids of every message of `language`'s catalogue.
    #[must_use]
    pub fn ids(language: Language) -> Vec<String> {
        let Ok(resource) = FluentResource::try_new(source(language).to_owned()) else {
            return Vec::new();
        };
        resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }
}

/// The request's language: its `Accept-Language`, negotiated among the
/// site's languages on first use.
pub struct RequestLanguage {
    accept: Option<HeaderValue>,
    offered: Arc<[Language]>,
    chosen: OnceCell<Language>,
}

tokio::task_local! {
    static LANGUAGE: RequestLanguage;
}

/// The language of the request (or e-mail) being rendered.
#[must_use]
pub fn current() -> Language {
    LANGUAGE
        .try_with(|r| {
            *r.chosen.get_or_init(|| {
                Language::negotiate(r.accept.as_ref().and_then(|v| v.to_str().ok()), &r.offered)
            })
        })
        .unwrap_or(Language::English)
}

/// Runs `work` with `language` as the current one (for e-mail, which has
/// no request).
pub async fn with_language<F: Future>(language: Language, work: F) -> F::Output {
    let chosen = OnceCell::new();
    let _ = chosen.set(language);
    LANGUAGE
        .scope(
            RequestLanguage {
                accept: None,
                offered: Arc::from([language]),
                chosen,
            },
            work,
        )
        .await
}

/// The layer giving every request its own language: a plain service
/// wrapper, no boxed future, since it sits in front of every poll. It
/// keeps the `Accept-Language` header (a cheap clone) and negotiates
/// nothing unless a template asks.
#[derive(Clone)]
pub struct LanguageLayer {
    offered: Arc<[Language]>,
}

impl LanguageLayer {
    /// Offers `offered`, the first as the fallback.
    #[must_use]
    pub fn new(offered: Arc<[Language]>) -> Self {
        Self { offered }
    }
}

impl<S> tower::Layer<S> for LanguageLayer {
    type Service = LanguageService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        LanguageService {
            inner,
            offered: self.offered.clone(),
        }
    }
}

/// See [`LanguageLayer`].
#[derive(Clone)]
pub struct LanguageService<S> {
    inner: S,
    offered: Arc<[Language]>,
}

impl<S, B> tower::Service<axum::http::Request<B>> for LanguageService<S>
where
    S: tower::Service<axum::http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = tokio::task::futures::TaskLocalFuture<RequestLanguage, S::Future>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let language = RequestLanguage {
            accept: request.headers().get(header::ACCEPT_LANGUAGE).cloned(),
            offered: self.offered.clone(),
            chosen: OnceCell::new(),
        };
        LANGUAGE.scope(language, self.inner.call(request))
    }
}

/// Adds `t(id, name=value, …)` and `language()` to the templates.
pub fn install(env: &mut minijinja::Environment<'static>, catalogues: Arc<Catalogues>) {
    env.add_function(
        "t",
        move |id: &str, kwargs: minijinja::value::Kwargs| -> Result<String, minijinja::Error> {
            let mut args = FluentArgs::new();
            for name in kwargs.args() {
                let value: minijinja::Value = kwargs.get(name)?;
                let value = match value.as_i64() {
                    Some(n) => FluentValue::from(n),
                    None => FluentValue::from(value.to_string()),
                };
                args.set(name.to_owned(), value);
            }
            let language = current();
            catalogues
                .message(language, id, Some(&args))
                .or_else(|| catalogues.message(Language::English, id, Some(&args)))
                .ok_or_else(|| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("no message '{id}' in the catalogues"),
                    )
                })
        },
    );
    env.add_function("language", || current().tag());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_has_every_message_of_the_reference() {
        let reference = Catalogues::ids(Language::English);
        assert!(!reference.is_empty());
        for language in Language::ALL {
            let ids = Catalogues::ids(language);
            let missing: Vec<_> = reference.iter().filter(|id| !ids.contains(id)).collect();
            let extra: Vec<_> = ids.iter().filter(|id| !reference.contains(id)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", language.tag());
            assert!(extra.is_empty(), "{} has unknown {extra:?}", language.tag());
        }
    }

    #[test]
    fn every_catalogue_parses_without_errors() {
        for language in Language::ALL {
            if let Err((_, errors)) = FluentResource::try_new(source(language).to_owned()) {
                panic!("{}: {errors:?}", language.tag());
            }
        }
        let _ = Catalogues::load();
    }

    #[test]
    fn plurals_follow_each_language() {
        let c = Catalogues::load();
        let older = |language, count: i64| {
            let mut args = FluentArgs::new();
            args.set("count", count);
            c.message(language, "room-older", Some(&args))
                .expect("message")
        };
        assert_eq!(older(Language::English, 1), "1 older message");
        assert_eq!(older(Language::English, 2), "2 older messages");
        assert_eq!(older(Language::English, 0), "0 older messages");
        assert_eq!(older(Language::German, 1), "1 ältere Nachricht");
        assert_eq!(older(Language::German, 7), "7 ältere Nachrichten");
    }

    /// Every `t("…")` in the default templates names a message of the
    /// reference catalogue, so no page fails to render for a typo.
    #[test]
    fn templates_use_only_known_messages() {
        let reference = Catalogues::ids(Language::English);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut stack = vec![root];
        let mut used = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("templates") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("template");
                for (i, _) in text.match_indices("t(\"") {
                    if i > 0 && text.as_bytes()[i - 1].is_ascii_alphanumeric() {
                        continue;
                    }
                    let rest = &text[i + 3..];
                    let id = &rest[..rest.find('"').expect("closing quote")];
                    assert!(
                        reference.iter().any(|r| r == id),
                        "{} uses unknown message '{id}'",
                        path.display()
                    );
                    used += 1;
                }
            }
        }
        assert!(used > 0, "the templates look messages up");
    }

    #[tokio::test]
    async fn the_language_is_the_scopes() {
        assert_eq!(current(), Language::English, "outside any request");
        let inside = with_language(Language::German, async { current() }).await;
        assert_eq!(inside, Language::German);
    }
}
