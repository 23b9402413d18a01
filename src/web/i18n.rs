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
//!
//! A logged-in user's own language and time zone (account page) win over
//! the browser's: the `Viewer` extractor, which loads the user anyway for
//! every page, hands them to the task-local with [`set_user`], so this
//! costs no query of its own, and a poll, which renders no words, never
//! consults them.

use std::cell::{Cell, OnceCell, RefCell};
use std::future::Future;
use std::sync::Arc;

use axum::http::{HeaderValue, header};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

pub use crate::domain::language::Language;

mod sentences;

/// The catalogue's source for `language`.
#[must_use]
pub fn source(language: Language) -> &'static str {
    match language {
        Language::English => include_str!("../../locales/en/conversate.ftl"),
        Language::German => include_str!("../../locales/de/conversate.ftl"),
    }
}

/// The catalogues, parsed on first use. A static, unlike configuration:
/// they are constant data compiled into the binary, the same for every
/// site an embedding host runs, and words are needed in places that hold
/// no state (error answers, words built in Rust).
static CATALOGUES: std::sync::LazyLock<Catalogues> = std::sync::LazyLock::new(Catalogues::load);

/// The catalogues.
#[must_use]
pub fn catalogues() -> &'static Catalogues {
    &CATALOGUES
}

/// Message `id` with `args` in the current language (English when the
/// language lacks it, the id itself when no catalogue has it: a test keeps
/// every id used known).
#[must_use]
pub fn text(id: &str, args: Option<&FluentArgs<'_>>) -> String {
    let c = catalogues();
    c.message(current(), id, args)
        .or_else(|| c.message(Language::English, id, args))
        .unwrap_or_else(|| id.to_owned())
}

/// Message `id` with text arguments (names, titles), in the current
/// language.
#[must_use]
pub fn named(id: &str, names: &[(&str, &str)]) -> String {
    let mut args = FluentArgs::new();
    for (name, value) in names {
        args.set(*name, *value);
    }
    text(id, Some(&args))
}

/// A size as [`crate::web::forms::human_bytes`] writes it ("10 MiB"), in
/// the current language ("512 Byte").
#[must_use]
pub fn size(bytes: u64) -> String {
    let english = crate::web::forms::human_bytes(bytes);
    match i64::try_from(bytes) {
        Ok(n) if english.ends_with(" bytes") => count("size-bytes", n),
        _ => english,
    }
}

/// Message `id` with one number, `count`, in the current language.
#[must_use]
pub fn count(id: &str, count: i64) -> String {
    let mut args = FluentArgs::new();
    args.set("count", count);
    text(id, Some(&args))
}

/// A span of time in words: "5 minutes", "5 Minuten".
#[must_use]
pub fn span_words(span: crate::domain::duration_words::Span) -> String {
    use crate::domain::duration_words::Span;
    match span {
        Span::Never => text("time-never", None),
        Span::Now => text("time-now", None),
        Span::Seconds(n) => count("time-seconds", n),
        Span::Minutes(n) => count("time-minutes", n),
        Span::Hours(n) => count("time-hours", n),
        Span::Days(n) => count("time-days", n),
    }
}

/// `seconds` in words ("2 hours"; "never" when negative).
#[must_use]
pub fn duration(seconds: i64) -> String {
    span_words(crate::domain::duration_words::span(seconds))
}

/// The time from `then` to `now` in words ("5 minutes"; "now", "never").
#[must_use]
pub fn since(then: Option<i64>, now: i64) -> String {
    span_words(crate::domain::duration_words::since_span(then, now))
}

/// How long ago `then` was: "5 minutes ago", "vor 5 Minuten"; "never",
/// "now".
#[must_use]
pub fn ago(then: Option<i64>, now: i64) -> String {
    use crate::domain::duration_words::Span;
    match crate::domain::duration_words::since_span(then, now) {
        span @ (Span::Never | Span::Now) => span_words(span),
        Span::Seconds(n) => count("time-ago-seconds", n),
        Span::Minutes(n) => count("time-ago-minutes", n),
        Span::Hours(n) => count("time-ago-hours", n),
        Span::Days(n) => count("time-ago-days", n),
    }
}

/// An English sentence of the service or web layer in the current
/// language; see [`Catalogues::sentence`].
#[must_use]
pub fn sentence(text: &str) -> String {
    catalogues().sentence(text)
}

/// Formatted messages kept before the memo is emptied.
const MEMO_ENTRIES: usize = 20_000;

/// The memo's key for a message with its arguments: language, id, and each
/// argument's name and value; `None` (not kept) for arguments other than
/// plain strings and numbers.
fn memo_key(language: Language, id: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
    use std::fmt::Write as _;
    let mut key = String::with_capacity(id.len() + 32);
    key.push_str(language.tag());
    key.push('\u{1}');
    key.push_str(id);
    for (name, value) in args.into_iter().flat_map(FluentArgs::iter) {
        key.push('\u{1}');
        key.push_str(name);
        match value {
            // Length first, so no value can pass for several arguments.
            FluentValue::String(text) => {
                let _ = write!(key, "={}:{text}", text.len());
            }
            FluentValue::Number(n)
                if n.options == fluent_bundle::types::FluentNumberOptions::default() =>
            {
                let _ = write!(key, "#{}", n.value.to_bits());
            }
            _ => return None,
        }
    }
    Some(key)
}

/// Every catalogue, parsed once.
pub struct Catalogues {
    bundles: Vec<(Language, FluentBundle<FluentResource>)>,
    /// The English sentences worded on the way out ([`Catalogues::sentence`]).
    sentences: sentences::Sentences,
    /// Messages as formatted before, by language, id and arguments: a page
    /// asks for the same few words many times (a room page over a hundred:
    /// "5 minutes ago" for each member, the menu's words), and formatting
    /// (plural rules behind the bundle's lock) cost more than the rest of
    /// the page's markup.
    memo: std::sync::Mutex<crate::FastMap<String, String>>,
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
        let mut catalogues = Self {
            bundles,
            sentences: sentences::Sentences::default(),
            memo: std::sync::Mutex::default(),
        };
        catalogues.sentences = sentences::Sentences::load(&catalogues, source(Language::English));
        catalogues
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
        let key = memo_key(language, id, args);
        let memo = || {
            self.memo
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(key) = &key
            && let Some(text) = memo().get(key)
        {
            return Some(text.clone());
        }
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
            return Some(text.into_owned());
        }
        let text = text.into_owned();
        if let Some(key) = key {
            let mut memo = memo();
            // A bound, not a tuning knob: the words a site uses are far fewer.
            if memo.len() >= MEMO_ENTRIES {
                memo.clear();
            }
            memo.insert(key, text.clone());
        }
        Some(text)
    }

    /// `text`, an English sentence of the service or web layer, in the
    /// current language, found by its English text or, with values, by its
    /// shape (see [`sentences`]). A sentence with no message stays as it is.
    #[must_use]
    pub fn sentence(&self, text: &str) -> String {
        let language = current();
        if language == Language::English {
            return text.to_owned();
        }
        self.sentences
            .word(self, language, text)
            .unwrap_or_else(|| text.to_owned())
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
    /// The logged-in user's own language, if they chose one.
    user: Cell<Option<Language>>,
    /// The time zone times are shown in (the user's), if any.
    zone: RefCell<Option<String>>,
}

tokio::task_local! {
    static LANGUAGE: RequestLanguage;
}

/// The language of the request (or e-mail) being rendered.
#[must_use]
pub fn current() -> Language {
    LANGUAGE
        .try_with(|r| {
            // The user's choice, while the site still offers it.
            if let Some(own) = r.user.get().filter(|l| r.offered.contains(l)) {
                return own;
            }
            *r.chosen.get_or_init(|| {
                Language::negotiate(r.accept.as_ref().and_then(|v| v.to_str().ok()), &r.offered)
            })
        })
        .unwrap_or(Language::English)
}

/// The time zone of the request (the user's own) or e-mail (the
/// recipient's), if one was chosen; times are in UTC otherwise.
#[must_use]
pub fn current_zone() -> Option<String> {
    LANGUAGE
        .try_with(|r| r.zone.borrow().clone())
        .ok()
        .flatten()
}

/// Tells the request who is asking: their own language and time zone, when
/// they chose them, win over the browser's. Outside a request, nothing.
pub fn set_user(language: Option<Language>, zone: Option<&str>) {
    let _ = LANGUAGE.try_with(|r| {
        r.user.set(language);
        *r.zone.borrow_mut() = zone.map(str::to_owned);
    });
}

/// Runs `work` with `language` as the current one (for e-mail, which has
/// no request).
pub async fn with_language<F: Future>(language: Language, work: F) -> F::Output {
    with_locale(language, None, work).await
}

/// Calls `work` with `language` and times in `zone` (UTC when `None`),
/// for rendering that does not wait (an e-mail's templates).
pub fn in_locale<R>(language: Language, zone: Option<&str>, work: impl FnOnce() -> R) -> R {
    let chosen = OnceCell::new();
    let _ = chosen.set(language);
    LANGUAGE.sync_scope(
        RequestLanguage {
            accept: None,
            offered: Arc::from([language]),
            chosen,
            user: Cell::new(None),
            zone: RefCell::new(zone.map(str::to_owned)),
        },
        work,
    )
}

/// The language to write to `user` in outside a request (e-mail): their
/// own while the site offers it, else the site's first.
#[must_use]
pub fn for_recipient(user: &crate::domain::User, offered: &[Language]) -> Language {
    user.language
        .filter(|l| offered.contains(l))
        .or_else(|| offered.first().copied())
        .unwrap_or(Language::English)
}

/// Runs `work` with `language` and times in `zone` (UTC when `None`): an
/// e-mail in its recipient's language and time zone.
pub async fn with_locale<F: Future>(language: Language, zone: Option<&str>, work: F) -> F::Output {
    let chosen = OnceCell::new();
    let _ = chosen.set(language);
    LANGUAGE
        .scope(
            RequestLanguage {
                accept: None,
                offered: Arc::from([language]),
                chosen,
                user: Cell::new(None),
                zone: RefCell::new(zone.map(str::to_owned)),
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
            user: Cell::new(None),
            zone: RefCell::new(None),
        };
        LANGUAGE.scope(language, self.inner.call(request))
    }
}

/// Adds `t(id, name=value, …)` and `language()` to the templates.
pub fn install(env: &mut minijinja::Environment<'static>) {
    let catalogues = catalogues();
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
    // `{{ unix_seconds|local_time }}`: the moment in the user's zone (UTC
    // when they chose none), for the text and title of `<time>`.
    env.add_filter("local_time", |at: i64| {
        crate::domain::time_zone::local_time(at, current_zone().as_deref())
    });
    // `{{ unix_seconds|rfc3339 }}`: for `<time datetime>`.
    env.add_filter("rfc3339", crate::domain::time_zone::rfc3339);
    // The user's own time zone, or "" (the `data-time-zone` hook of
    // `<html>`, so the client script can keep times in it).
    env.add_function("time_zone", || current_zone().unwrap_or_default());
    // `{{ error|sentence }}`: a sentence from the service layer in the
    // page's language (see [`sentence`]).
    env.add_filter("sentence", |text: &str| sentence(text));
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
    async fn sentences_are_worded_in_the_current_language() {
        let german =
            |text: &'static str| with_language(Language::German, async move { sentence(text) });
        assert_eq!(german("No such room.").await, "Diesen Raum gibt es nicht.");
        assert_eq!(
            german("The username 'ann' is already taken.").await,
            "Der Benutzername „ann“ ist schon vergeben."
        );
        assert_eq!(
            german("The password must be at least 10 characters.").await,
            "Das Passwort muss mindestens 10 Zeichen lang sein."
        );
        assert_eq!(
            german("Not Found").await,
            "Nicht gefunden",
            "page titles too"
        );
        assert_eq!(german("usable").await, "gültig", "and state words");
        assert_eq!(
            german("A sentence nobody wrote down.").await,
            "A sentence nobody wrote down.",
            "unknown sentences stay as they are"
        );
        let english = with_language(Language::English, async { sentence("No such room.") }).await;
        assert_eq!(english, "No such room.");
    }

    #[tokio::test]
    async fn durations_and_times_ago_follow_the_language() {
        let words = |language| {
            with_language(language, async {
                (
                    duration(7_200),
                    ago(Some(0), 300),
                    ago(Some(0), 86_400 * 3),
                    ago(None, 5),
                )
            })
        };
        assert_eq!(
            words(Language::English).await,
            (
                "2 hours".into(),
                "5 minutes ago".into(),
                "3 days ago".into(),
                "never".into()
            )
        );
        assert_eq!(
            words(Language::German).await,
            (
                "2 Stunden".into(),
                "vor 5 Minuten".into(),
                "vor 3 Tagen".into(),
                "nie".into()
            )
        );
    }

    #[tokio::test]
    async fn the_language_is_the_scopes() {
        assert_eq!(current(), Language::English, "outside any request");
        let inside = with_language(Language::German, async { current() }).await;
        assert_eq!(inside, Language::German);
    }
}
