//! The room page's messages, each rendered from `conversate/message.html`
//! once and kept. Rendering a hundred messages through the template was
//! most of the room page's time (BENCHMARKS.md, "The heavy reads").
//!
//! A fragment is kept under a fingerprint of everything its markup is made
//! from: the message as read from the store (every field: an edit, a
//! deletion, a reaction, a preview, a change of the message it answers or
//! of its author all change it), what the reader may do to it and whether
//! it concerns them, how long ago it was sent (as the words say it), the
//! page's language, time zone and address, and the template's source. So
//! nothing is invalidated by hand and nothing stale can match; old
//! variants make way for new ones (a few per message), and the whole map
//! is emptied when it is full.
//!
//! The template sees only what the fingerprint covers (see
//! [`Fragments::messages`]); whatever a message's markup needs from
//! elsewhere must be added there and to the fingerprint together.
//!
//! The reader's CSRF token is in a message's forms (its reactions); the
//! fragment is rendered with a random marker in its place and kept in
//! pieces, joined with the reader's token when the page is put together, so
//! one fragment serves every reader who sees the message the same way. A
//! fragment without forms (most messages) is kept whole, as the value the
//! page writes, so a page takes it without copying it.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use minijinja::value::{Object, Serde};
use minijinja::{Value, context};

use super::state::AppState;
use super::views::{MessageItem, ProfileView};
use crate::domain::Message;
use crate::domain::duration_words::since_span;
use crate::service::chat::{Access, Chat};

/// How each author on a page is shown, by username
/// ([`crate::web::views::profiles`]).
pub type Profiles = std::collections::HashMap<String, ProfileView>;

/// The template each message is rendered from.
pub const TEMPLATE: &str = "conversate/message.html";

/// Fragments kept in all before the map is emptied: about 600 bytes each,
/// so a few megabytes at most.
const MAX_FRAGMENTS: usize = 10_000;

/// Variants kept per message (readers who see it differently, the minutes
/// of "5 minutes ago" as they pass).
const VARIANTS: usize = 4;

/// A rendered message, as kept.
#[derive(Clone)]
enum Fragment {
    /// Without the reader's token: the page's value itself (safe markup).
    Whole(Value),
    /// Split where the reader's CSRF token goes.
    Split(Arc<[Box<str>]>),
}

impl Fragment {
    /// `html` rendered with `marker` standing for the token.
    fn new(html: String, marker: &str) -> Self {
        if html.contains(marker) {
            Self::Split(html.split(marker).map(Box::from).collect())
        } else {
            Self::Whole(Value::from_safe_string(html))
        }
    }

    /// The markup for the reader whose token is `csrf_token`.
    fn html(&self, csrf_token: &str) -> Value {
        match self {
            Self::Whole(html) => html.clone(),
            Self::Split(pieces) => Value::from_safe_string(joined(pieces, csrf_token)),
        }
    }
}

/// The rendered messages of room pages.
pub struct Fragments {
    seed: std::collections::hash_map::RandomState,
    /// Stands for the CSRF token while a fragment is rendered.
    marker: String,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    count: usize,
    /// Message id → (fingerprint, fragment), newest last.
    by_message: crate::FastMap<i64, Vec<(u64, Fragment)>>,
}

impl Default for Fragments {
    fn default() -> Self {
        Self {
            // Keyed SipHash: nobody can write a message whose fingerprint
            // meets another's.
            seed: std::collections::hash_map::RandomState::new(),
            marker: format!("cvcsrf{:032x}", rand::random::<u128>()),
            kept: Mutex::new(Kept::default()),
        }
    }
}

/// What is the same for every message of one page.
struct PageKey {
    /// The template's source, so an override (or a change to it) is
    /// never answered from fragments of another.
    source: u64,
    /// Templates that include, import or extend others are not kept: the
    /// fingerprint cannot see those.
    cacheable: bool,
    language: crate::web::i18n::Language,
    zone: Option<String>,
    room_url: String,
    is_admin: bool,
}

impl Fragments {
    /// The room page's `messages`: for each, `pk` and `html` (its rendered
    /// markup, safe), and lazily every field of [`MessageItem`] for room
    /// templates that lay messages out themselves.
    ///
    /// `message.html` is rendered with `m` (the [`MessageItem`]), `author`
    /// (its author's [`ProfileView`] from `profiles`), `reply_name` (the
    /// answered message's author as shown), `room_url`, `csrf_token`,
    /// `highlight` (the message's id when the page points at it), `user`
    /// (`is_admin` only) and `quick_reactions`.
    ///
    /// # Errors
    /// When the template is missing or fails (a site's override).
    pub fn messages(
        &self,
        state: &AppState,
        access: &Access,
        (messages, profiles): (Arc<[Message]>, &Profiles),
        now: i64,
        highlight: Option<i64>,
        csrf_token: &str,
    ) -> Result<Vec<Value>, minijinja::Error> {
        let template = state.templates.get_template(TEMPLATE)?;
        let source = template.source();
        let page = PageKey {
            source: self.seed.hash_one(source),
            cacheable: !["include", "import", "extends"]
                .iter()
                .any(|word| source.contains(word)),
            language: crate::web::i18n::current(),
            zone: crate::web::i18n::current_zone(),
            room_url: state.room_url(&access.room.slug),
            is_admin: access.user.is_admin,
        };
        let viewer = access.user.username.as_str();
        let shared = Arc::new(PageMessages {
            state: state.clone(),
            slug: access.room.slug.clone(),
            viewer: viewer.to_owned(),
            now,
            messages,
        });
        let mut list = Vec::with_capacity(shared.messages.len());
        for (index, m) in shared.messages.iter().enumerate() {
            let actions = (
                state.chat.may_edit(access, m),
                Chat::may_delete(access, m),
                access.member.is_some() && m.deleted.is_none(),
            );
            let entry = Arc::new(PageMessage {
                shared: shared.clone(),
                index,
                actions,
                html: OnceLock::new(),
                item: OnceLock::new(),
            });
            let mut hasher = self.seed.build_hasher();
            page.source.hash(&mut hasher);
            page.language.tag().hash(&mut hasher);
            page.zone.hash(&mut hasher);
            page.room_url.hash(&mut hasher);
            page.is_admin.hash(&mut hasher);
            // Everything the message holds but its text and markup, which
            // never change without a new `rev` (every change to a stored
            // message sets one: store/sql/lifecycle.rs); hashing the two
            // longest fields of a hundred messages was most of the key's cost.
            (m.id, m.rev, m.pos, m.seq, m.time, m.user_id, &m.username).hash(&mut hasher);
            (&m.file, &m.mentions, m.edited, m.deleted).hash(&mut hasher);
            (&m.reply, &m.reactions, &m.previews).hash(&mut hasher);
            // How the author and the answered message's author are shown:
            // a new display name or picture gives a new fingerprint.
            let plain;
            let author = match profiles.get(&m.username) {
                Some(p) => p,
                None => {
                    plain = ProfileView::plain(&m.username);
                    &plain
                }
            };
            let reply_name = m.reply.as_ref().map_or("", |q| {
                profiles
                    .get(&q.username)
                    .map_or(q.username.as_str(), |p| p.name.as_str())
            });
            author.hash(&mut hasher);
            reply_name.hash(&mut hasher);
            actions.hash(&mut hasher);
            since_span(Some(m.time), now).hash(&mut hasher);
            (highlight == Some(m.id)).hash(&mut hasher);
            // The reader's name matters only for their own messages, those
            // mentioning them and those they reacted to.
            let concerns_viewer = m.username == viewer
                || m.mentions.iter().any(|u| u == viewer)
                || m.reactions
                    .iter()
                    .any(|r| r.users.iter().any(|u| u == viewer));
            concerns_viewer.then_some(viewer).hash(&mut hasher);
            let fingerprint = hasher.finish();

            let fragment = match page.cacheable.then(|| self.get(m.id, fingerprint)) {
                Some(Some(fragment)) => fragment,
                _ => {
                    let html = template.render(context! {
                        m => entry.item(),
                        author => Value::from(Serde(author)),
                        reply_name,
                        room_url => &page.room_url,
                        csrf_token => &self.marker,
                        highlight => (highlight == Some(m.id)).then_some(m.id),
                        user => context! { is_admin => page.is_admin },
                        quick_reactions => crate::web::pages::room::QUICK_REACTIONS,
                    })?;
                    let fragment = Fragment::new(html, &self.marker);
                    if page.cacheable {
                        self.put(m.id, fingerprint, fragment.clone());
                    }
                    fragment
                }
            };
            let _ = entry.html.set(fragment.html(csrf_token));
            list.push(Value::from_dyn_object(entry));
        }
        Ok(list)
    }

    fn get(&self, id: i64, fingerprint: u64) -> Option<Fragment> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.by_message
            .get(&id)?
            .iter()
            .find(|(f, _)| *f == fingerprint)
            .map(|(_, fragment)| fragment.clone())
    }

    fn put(&self, id: i64, fingerprint: u64, fragment: Fragment) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.count >= MAX_FRAGMENTS {
            kept.by_message.clear();
            kept.count = 0;
        }
        let variants = kept.by_message.entry(id).or_default();
        let added = if variants.len() >= VARIANTS {
            variants.remove(0);
            0
        } else {
            1
        };
        variants.push((fingerprint, fragment));
        kept.count += added;
    }

    /// How many fragments are kept (for tests).
    #[must_use]
    pub fn len(&self) -> usize {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .count
    }

    /// Whether none is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A fragment's pieces joined with the reader's token.
fn joined(pieces: &[Box<str>], csrf_token: &str) -> String {
    let mut html = String::with_capacity(pieces.iter().map(|p| p.len()).sum::<usize>() + 64);
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            html.push_str(csrf_token);
        }
        html.push_str(piece);
    }
    html
}

/// The messages of one page and what their views are made with.
struct PageMessages {
    state: AppState,
    slug: String,
    viewer: String,
    now: i64,
    messages: Arc<[Message]>,
}

/// One message of the page, as the room template sees it.
struct PageMessage {
    shared: Arc<PageMessages>,
    index: usize,
    actions: (bool, bool, bool),
    /// The rendered markup, for the reader.
    html: OnceLock<Value>,
    item: OnceLock<Value>,
}

impl std::fmt::Debug for PageMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageMessage")
            .field("pk", &self.message().id)
            .finish_non_exhaustive()
    }
}

impl PageMessage {
    fn message(&self) -> &Message {
        &self.shared.messages[self.index]
    }

    /// The full view, made on first use (a miss, or a room template that
    /// reads the fields).
    fn item(&self) -> Value {
        self.item
            .get_or_init(|| {
                let s = &self.shared;
                let (edit, delete, react) = self.actions;
                let item = MessageItem::new(&s.state, &s.slug, self.message(), s.now)
                    .seen_by(&s.viewer)
                    .actions(edit, delete, react);
                Value::from(Serde(&item))
            })
            .clone()
    }
}

impl Object for PageMessage {
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        key.as_str().and_then(|k| self.get_value_by_str(k))
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match key {
            "pk" => Some(Value::from(self.message().id)),
            "html" => self.html.get().cloned(),
            _ => self.item().get_attr(key).ok().filter(|v| !v.is_undefined()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_without_forms_is_kept_whole_and_one_with_them_takes_each_readers_token() {
        let marker = "cvcsrfMARKER";
        let plain = Fragment::new("<li>hi &amp; bye</li>".to_owned(), marker);
        assert!(matches!(plain, Fragment::Whole(_)));
        let html = plain.html("token-a");
        assert!(html.is_safe());
        assert_eq!(html.as_str(), Some("<li>hi &amp; bye</li>"));

        let forms = Fragment::new(
            format!("<li><input value=\"{marker}\"><input value=\"{marker}\"></li>"),
            marker,
        );
        assert!(matches!(forms, Fragment::Split(_)));
        for token in ["token-a", "token-b"] {
            let html = forms.html(token);
            assert!(html.is_safe());
            assert_eq!(
                html.as_str(),
                Some(
                    format!("<li><input value=\"{token}\"><input value=\"{token}\"></li>").as_str()
                )
            );
        }
    }
}
