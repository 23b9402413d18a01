//! What templates and JSON show: messages and members as the protocol has them.

use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde_json::value::RawValue;

use super::state::AppState;
use crate::domain::duration_words::seconds_ago;
use crate::domain::previews::fit;
use crate::domain::render::escape;
use crate::domain::render::{AttachmentRef, ImageRef, LinkCard, render_link_card, render_message};
use crate::domain::{Member, Message, Missed};
use crate::files::is_inline_image;

/// What a deleted message shows instead of its content.
pub const TOMBSTONE_HTML: &str = "<p class=\"cv-tombstone\"><em>message deleted</em></p>\n";

/// Characters of the answered message a reply quotes.
pub const EXCERPT_CHARS: usize = 100;

/// A message as the JSON API shows it (`docs/api.md`, Message object).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub pk: i64,
    pub time: i64,
    pub user: String,
    /// Rendered, sanitised HTML, with the attachment if any.
    pub content: String,
    /// The usernames the message mentions (`@everyone` expanded).
    pub mentions: Vec<String>,
    /// When it was last edited, or `null`.
    pub edited: Option<i64>,
    /// Whether it was deleted (then `content` is the tombstone).
    pub deleted: bool,
    /// The message this one answers, or `null`.
    pub reply_to: Option<i64>,
    /// What the reply shows of it.
    pub reply: Option<QuoteView>,
    /// Who reacted with what.
    pub reactions: Vec<ReactionView>,
}

/// What a reply shows of the message it answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuoteView {
    pub pk: i64,
    /// Its author (empty when it no longer exists).
    pub user: String,
    /// The start of its text, plain (empty when deleted).
    pub excerpt: String,
    pub deleted: bool,
}

/// One emoji on a message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReactionView {
    pub emoji: String,
    /// The emoji in words, for accessible labels.
    pub name: String,
    pub count: usize,
    /// Who chose it, in order.
    pub users: Vec<String>,
}

impl MessageView {
    /// The view of `message` in the room `slug`.
    #[must_use]
    pub fn new(state: &AppState, slug: &str, message: &Message) -> Self {
        Self::at(&state.room_url(slug), message)
    }

    /// The view of `message` in the room at `room_url`, for lists, which
    /// work the address out once.
    #[must_use]
    pub fn at(room_url: &str, message: &Message) -> Self {
        let (url, preview_url) = if message.file.is_some() {
            let url = format!("{room_url}file/{}/", message.id);
            let preview = format!("{url}preview/");
            (url, preview)
        } else {
            (String::new(), String::new())
        };
        let previews = &message.previews;
        let attachment = message.file.as_ref().map(|f| AttachmentRef {
            url: &url,
            name: &f.name,
            preview: previews
                .image
                .as_ref()
                .filter(|_| is_inline_image(&f.content_type))
                .map(|image| {
                    let (width, height) = image.shown_size();
                    ImageRef {
                        url: &preview_url,
                        width,
                        height,
                    }
                }),
        });
        let mut content = message.html.clone();
        if message.deleted.is_some() {
            TOMBSTONE_HTML.clone_into(&mut content);
        } else {
            if attachment.is_some() {
                content.push_str(&render_message("", attachment.as_ref()));
            }
            if let Some(link) = &previews.link {
                let image_url = format!("{room_url}m/{}/link-image/", message.id);
                content.push_str(&render_link_card(&LinkCard {
                    url: &link.url,
                    title: &link.title,
                    description: &link.description,
                    image: link.image.as_ref().map(|image| {
                        let (width, height) = fit(image.width, image.height, 120, 120);
                        ImageRef {
                            url: &image_url,
                            width,
                            height,
                        }
                    }),
                }));
            }
        }
        Self {
            pk: message.id,
            time: message.time,
            user: message.username.clone(),
            content,
            mentions: message.mentions.clone(),
            edited: message.edited,
            deleted: message.deleted.is_some(),
            reply_to: message.reply.as_ref().map(|q| q.id),
            reply: message.reply.as_ref().map(|q| QuoteView {
                pk: q.id,
                user: q.username.clone(),
                excerpt: excerpt(&q.excerpt),
                deleted: q.deleted,
            }),
            reactions: message
                .reactions
                .iter()
                .map(|r| ReactionView {
                    emoji: r.emoji.clone(),
                    name: crate::domain::reactions::emoji_name(&r.emoji).to_owned(),
                    count: r.users.len(),
                    users: r.users.clone(),
                })
                .collect(),
        }
    }
}

/// A Unix time as ISO 8601 (RFC 3339), empty when out of range.
#[must_use]
pub fn iso_time(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The start of a message's text on one line, cut at a word where it can
/// be, with an ellipsis when cut.
#[must_use]
pub fn excerpt(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= EXCERPT_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(EXCERPT_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(at) if at > EXCERPT_CHARS / 2 => &cut[..at],
        _ => cut.as_str(),
    };
    format!("{cut}…")
}

/// A message on the server-rendered page.
#[derive(Debug, Clone, Serialize)]
pub struct MessageItem {
    #[serde(flatten)]
    pub view: MessageView,
    /// ISO 8601 time for `<time datetime>`.
    pub iso: String,
    /// e.g. `5 minutes ago`, in the page's language.
    pub ago: String,
    /// Whether it mentions the viewer.
    pub mentions_me: bool,
    /// What the viewer may do to it (the message menu without JavaScript).
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_react: bool,
    /// The viewer's own reactions (pressed chips).
    pub mine: Vec<String>,
    /// `edited` as ISO 8601, for `<time datetime>`.
    pub edited_iso: Option<String>,
}

impl MessageItem {
    /// The page view of `message`.
    #[must_use]
    pub fn new(state: &AppState, slug: &str, message: &Message, now: i64) -> Self {
        let iso = time::OffsetDateTime::from_unix_timestamp(message.time)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        Self {
            view: MessageView::new(state, slug, message),
            iso,
            ago: super::i18n::ago(Some(message.time), now),
            mentions_me: false,
            can_edit: false,
            can_delete: false,
            can_react: false,
            mine: Vec::new(),
            edited_iso: message.edited.map(iso_time),
        }
    }

    /// Sets what the viewer may do to the message.
    #[must_use]
    pub fn actions(mut self, edit: bool, delete: bool, react: bool) -> Self {
        self.can_edit = edit;
        self.can_delete = delete;
        self.can_react = react;
        self
    }

    /// Marks what mentions `viewer`: the message, and the mention markup
    /// naming them or everyone gets the class `cv-mention-me`. One's own
    /// message (an own `@everyone`) never calls for one's attention.
    #[must_use]
    pub fn seen_by(mut self, viewer: &str) -> Self {
        self.mine = self
            .view
            .reactions
            .iter()
            .filter(|r| r.users.iter().any(|u| u == viewer))
            .map(|r| r.emoji.clone())
            .collect();
        if self.view.user == viewer || !self.view.mentions.iter().any(|m| m == viewer) {
            return self;
        }
        self.mentions_me = true;
        // The renderer writes exactly this markup for a mention, and nothing
        // else can produce it: typed HTML is escaped (`domain::render`).
        for name in [viewer, crate::domain::mentions::EVERYONE] {
            let name = escape(name);
            self.view.content = self.view.content.replace(
                &format!("<span class=\"cv-mention\" data-user=\"{name}\">"),
                &format!("<span class=\"cv-mention cv-mention-me\" data-user=\"{name}\">"),
            );
        }
        self
    }
}

/// The catch-up sentence: "14 new messages from ann and bo since Tuesday
/// 18:02, 2 files, 1 mention of you", in the page's language and the
/// reader's time zone (UTC when they chose none).
#[must_use]
pub fn catch_up_summary(missed: &Missed, now: i64) -> String {
    use super::i18n::{count, text};
    use fluent_bundle::FluentArgs;
    let mut sentence = count("catch-up-messages", missed.count);
    let authors = &missed.authors;
    let others = if missed.partial { 1 } else { 0 };
    let mut args = FluentArgs::new();
    let list = match (authors.as_slice(), others) {
        ([], _) => None,
        ([one], 0) => Some(one.clone()),
        ([a, b], 0) => {
            args.set("a", a.clone());
            args.set("b", b.clone());
            Some(text("list-two", Some(&args)))
        }
        ([a, b, c], 0) => {
            args.set("a", a.clone());
            args.set("b", b.clone());
            args.set("c", c.clone());
            Some(text("list-three", Some(&args)))
        }
        (list, _) if list.len() <= 3 => {
            args.set("names", list.join(", "));
            Some(text("list-and-others", Some(&args)))
        }
        (list, _) => {
            args.set("a", list[0].clone());
            args.set("b", list[1].clone());
            args.set("count", i64::try_from(list.len() - 2).unwrap_or(i64::MAX));
            Some(text("list-and-more", Some(&args)))
        }
    };
    if let Some(names) = list {
        let mut args = FluentArgs::new();
        args.set("names", names);
        sentence.push(' ');
        sentence.push_str(&text("catch-up-from", Some(&args)));
    }
    if let Some(at) = missed.first_at {
        let mut args = FluentArgs::new();
        args.set("when", since_words(at, now));
        sentence.push(' ');
        sentence.push_str(&text("catch-up-since", Some(&args)));
    }
    if missed.files > 0 {
        sentence.push_str(", ");
        sentence.push_str(&count("catch-up-files", missed.files));
    }
    if missed.mentions > 0 {
        sentence.push_str(", ");
        sentence.push_str(&count("catch-up-mentions", missed.mentions));
    }
    sentence
}

/// "18:02" today, "Tuesday 18:02" within a week, "3 Nov 18:02" before, in
/// the reader's time zone.
fn since_words(at: i64, now: i64) -> String {
    let zone = super::i18n::current_zone()
        .and_then(|z| jiff::tz::db().get(&z).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let (Ok(then), Ok(today)) = (
        jiff::Timestamp::from_second(at),
        jiff::Timestamp::from_second(now),
    ) else {
        return String::new();
    };
    let (then, today) = (
        then.to_zoned_datetime(zone.clone()),
        today.to_zoned_datetime(zone),
    );
    let clock = format!("{:02}:{:02}", then.hour(), then.minute());
    let days = then
        .date()
        .until(today.date())
        .map_or(0, |span| span.get_days());
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("clock", clock.clone());
    if days == 0 {
        clock
    } else if (1..7).contains(&days) {
        let weekday = i64::from(then.weekday().to_monday_one_offset());
        args.set("weekday", weekday);
        super::i18n::text("time-weekday-clock", Some(&args))
    } else {
        args.set("day", i64::from(then.day()));
        args.set("month", i64::from(then.month()));
        super::i18n::text("time-date-clock", Some(&args))
    }
}

/// A member as the JSON API shows them (`docs/api.md`, User object): times
/// in seconds ago, -1 = never.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub username: String,
    /// The name shown instead of the username, or `null`.
    pub display_name: Option<String>,
    /// The address of the member's picture, or `null` (initials are shown).
    pub avatar: Option<String>,
    pub active: bool,
    pub has_focus: bool,
    pub last_seen: i64,
    pub last_spoke: i64,
    pub colour: String,
}

impl UserView {
    /// The view of `member` at `now`.
    #[must_use]
    pub fn new(prefix: &str, member: &Member, now: i64) -> Self {
        Self {
            username: member.username.clone(),
            display_name: member.display_name.clone(),
            avatar: crate::urls::avatar(prefix, member.user_id, member.avatar_key.as_deref()),
            active: member.presence.is_active(now),
            has_focus: member.presence.has_focus,
            last_seen: seconds_ago(member.presence.last_seen, now),
            last_spoke: seconds_ago(member.presence.last_spoke, now),
            colour: member.colour.clone(),
        }
    }
}

/// The users list of the poll and send answers, as JSON, kept per room
/// while the member list (the same shared copy) and the second are the
/// same. Many members polling one room get the same list; rendering it
/// anew for each poll was a sixth of a poll's time.
#[derive(Default)]
pub struct UsersJson(Mutex<crate::FastMap<i64, RenderedUsers>>);

/// The list it was rendered from, the second, and the JSON.
type RenderedUsers = (Arc<Vec<Member>>, i64, Box<RawValue>);

impl UsersJson {
    /// The list of `members` of room `room_id` at `now`.
    ///
    /// # Errors
    /// When serialising fails, which plain data does not.
    pub fn get(
        &self,
        prefix: &str,
        room_id: i64,
        members: &Arc<Vec<Member>>,
        now: i64,
    ) -> Result<Box<RawValue>, serde_json::Error> {
        let lock = || self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((list, at, json)) = lock().get(&room_id)
            && Arc::ptr_eq(list, members)
            && *at == now
        {
            return Ok(json.clone());
        }
        let views: Vec<UserView> = members
            .iter()
            .map(|m| UserView::new(prefix, m, now))
            .collect();
        let json = serde_json::value::to_raw_value(&views)?;
        // Holding the list keeps its address from being reused by another.
        lock().insert(room_id, (members.clone(), now, json.clone()));
        Ok(json)
    }
}

/// A member on the server-rendered page: the fields of [`UserView`] and
/// the words shown beside them. Written out rather than `#[serde(flatten)]`:
/// flattening goes through serde's buffered map, and converting fifty
/// members that way was a twentieth of the room page's time.
#[derive(Debug, Clone, Serialize)]
pub struct UserItem {
    pub username: String,
    pub display_name: Option<String>,
    pub avatar: Option<String>,
    pub active: bool,
    pub has_focus: bool,
    pub last_seen: i64,
    pub last_spoke: i64,
    pub colour: String,
    /// `active`, `afk` or `inactive`.
    pub status: &'static str,
    /// `here`, `away` or `offline` in the page's language, shown beside
    /// the dot.
    pub status_word: String,
    pub spoke_words: String,
    pub seen_words: String,
    /// Shown when there is no picture.
    pub initials: String,
}

/// How an author is shown on the page: the name, the picture or initials.
#[derive(Debug, Clone, Hash, Serialize)]
pub struct ProfileView {
    pub name: String,
    pub avatar: Option<String>,
    pub initials: String,
}

impl ProfileView {
    /// Someone known only by their username (a former member).
    #[must_use]
    pub fn plain(username: &str) -> Self {
        Self {
            name: username.to_owned(),
            avatar: None,
            initials: crate::domain::profile::initials(username, username),
        }
    }
}

/// The profiles of the room's `members`, and of the other `authors` on a
/// page (former members, shown by their username), keyed by username.
#[must_use]
pub fn profiles<'a>(
    prefix: &str,
    members: &[Member],
    authors: impl Iterator<Item = &'a str>,
) -> std::collections::HashMap<String, ProfileView> {
    let mut map: std::collections::HashMap<String, ProfileView> = members
        .iter()
        .map(|m| {
            let view = ProfileView {
                name: m.shown_name().to_owned(),
                avatar: crate::urls::avatar(prefix, m.user_id, m.avatar_key.as_deref()),
                initials: crate::domain::profile::initials(m.shown_name(), &m.username),
            };
            (m.username.clone(), view)
        })
        .collect();
    for author in authors {
        if !map.contains_key(author) {
            map.insert(author.to_owned(), ProfileView::plain(author));
        }
    }
    map
}

/// `profiles` as a room template sees it (username to [`ProfileView`]),
/// each made into a template value only when a template reads it. The
/// default templates read none (each message's fragment has its author
/// already); made whole for every page, the map was a seventieth of a room
/// page's time.
#[derive(Debug)]
pub struct ProfilesValue(pub std::collections::HashMap<String, ProfileView>);

impl minijinja::value::Object for ProfilesValue {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &std::sync::Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        let profile = self.0.get(key.as_str()?)?;
        Some(minijinja::Value::from(minijinja::value::Serde(profile)))
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Values(
            self.0
                .keys()
                .map(|name| minijinja::Value::from(name.as_str()))
                .collect(),
        )
    }
}

impl UserItem {
    /// The page view of `member` at `now`.
    #[must_use]
    pub fn new(prefix: &str, member: &Member, now: i64) -> Self {
        let UserView {
            username,
            display_name,
            avatar,
            active,
            has_focus,
            last_seen,
            last_spoke,
            colour,
        } = UserView::new(prefix, member, now);
        Self {
            username,
            display_name,
            avatar,
            active,
            has_focus,
            last_seen,
            last_spoke,
            colour,
            initials: crate::domain::profile::initials(member.shown_name(), &member.username),
            status: member.presence.status(now).as_str(),
            status_word: super::i18n::text(
                &format!("presence-{}", member.presence.status(now).as_str()),
                None,
            ),
            spoke_words: super::i18n::ago(member.presence.last_spoke, now),
            seen_words: super::i18n::ago(member.presence.last_seen, now),
        }
    }
}

/// The member colour palette as template data (the room's settings and the
/// admin's member page both offer it).
#[must_use]
pub fn palette() -> minijinja::Value {
    let list: Vec<minijinja::Value> = crate::domain::colour::PALETTE
        .iter()
        .map(|(hex, name)| {
            minijinja::context! { hex => *hex, name => super::i18n::text(&format!("colour-{name}"), None) }
        })
        .collect();
    minijinja::Value::from(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PresenceState;

    fn member(name: &str, last_seen: i64) -> Member {
        Member {
            room_id: 1,
            user_id: 7,
            username: name.to_owned(),
            email: None,
            colour: "336699".to_owned(),
            alert: true,
            mail_alert: false,
            notify: crate::domain::notify::Level::All,
            presence: PresenceState {
                last_seen: Some(last_seen),
                has_focus: true,
                inactive_from: Some(last_seen + 90),
                ..PresenceState::default()
            },
            display_name: None,
            avatar_key: None,
        }
    }

    #[test]
    fn a_member_on_the_page_has_every_field_the_api_gives() {
        let mut ann = member("ann", 1_000);
        ann.display_name = Some("Ann Lee".to_owned());
        ann.avatar_key = Some("k1".to_owned());
        let api = serde_json::to_value(UserView::new("/", &ann, 1_010)).expect("json");
        let page = serde_json::to_value(UserItem::new("/", &ann, 1_010)).expect("json");
        let (api, page) = (
            api.as_object().expect("map"),
            page.as_object().expect("map"),
        );
        for (key, value) in api {
            assert_eq!(page.get(key), Some(value), "{key}");
        }
        for key in [
            "status",
            "status_word",
            "spoke_words",
            "seen_words",
            "initials",
        ] {
            assert!(page.contains_key(key), "{key}");
        }
    }

    #[test]
    fn the_users_list_follows_the_member_list_and_the_clock() {
        let cache = UsersJson::default();
        let list = Arc::new(vec![member("ann", 1_000)]);
        let first = cache
            .get("/", 1, &list, 1_010)
            .expect("json")
            .get()
            .to_owned();
        assert!(first.contains(r#""username":"ann""#), "{first}");
        assert!(first.contains(r#""last_seen":10"#), "{first}");
        assert_eq!(cache.get("/", 1, &list, 1_010).expect("json").get(), first);

        let later = cache
            .get("/", 1, &list, 1_020)
            .expect("json")
            .get()
            .to_owned();
        assert!(later.contains(r#""last_seen":20"#), "a new second: {later}");

        let changed = Arc::new(vec![member("ann", 1_019)]);
        let now = cache
            .get("/", 1, &changed, 1_020)
            .expect("json")
            .get()
            .to_owned();
        assert!(now.contains(r#""last_seen":1,"#), "a new list: {now}");
        let other_room = cache
            .get("/", 2, &list, 1_020)
            .expect("json")
            .get()
            .to_owned();
        assert_eq!(other_room, later, "rooms are kept apart");
    }
}

#[cfg(test)]
mod catch_up_tests {
    use super::*;

    // 2026-12-01 (a Tuesday) 18:02 UTC.
    const TUESDAY: i64 = 1_796_148_120;

    fn missed(count: i64, authors: &[&str], files: i64, mentions: i64) -> Missed {
        Missed {
            count,
            authors: authors.iter().map(|a| (*a).to_owned()).collect(),
            files,
            partial: false,
            first_id: 1,
            first_at: Some(TUESDAY),
            mentions,
            mention_ids: Vec::new(),
        }
    }

    #[test]
    fn the_summary_names_counts_authors_and_the_time() {
        assert_eq!(
            catch_up_summary(&missed(14, &["ann", "bo"], 2, 1), TUESDAY + 2 * 86_400),
            "14 new messages from ann and bo since Tuesday 18:02, 2 files, 1 mention of you"
        );
        assert_eq!(
            catch_up_summary(&missed(1, &["ann"], 0, 0), TUESDAY + 60),
            "1 new message from ann since 18:02"
        );
        assert_eq!(
            catch_up_summary(
                &missed(30, &["a", "b", "c", "d"], 1, 2),
                TUESDAY + 30 * 86_400
            ),
            "30 new messages from a, b and 2 others since 1 Dec 18:02, 1 file, 2 mentions of you"
        );
        let mut partial = missed(9_000, &["ann"], 0, 0);
        partial.partial = true;
        assert!(
            catch_up_summary(&partial, TUESDAY)
                .starts_with("9000 new messages from ann and others")
        );
    }
}
