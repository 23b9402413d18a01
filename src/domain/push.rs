//! Web Push rules: who is pushed for a message, what the notification says,
//! which subscriptions are accepted and how a device is named. Pure
//! functions; the sending is in `push/`, the queue in the store.

use super::UnixTime;
use super::entities::Member;

/// Longest endpoint URL accepted (push services' are under 500 bytes).
pub const MAX_ENDPOINT_CHARS: usize = 1_000;
/// Characters of a message shown in a notification; the whole encrypted
/// payload must stay under the 4 KB push services accept (RFC 8291 §4).
pub const EXCERPT_CHARS: usize = 160;

/// Whether `member` gets a push for a message posted at `time` by
/// `author_id`, by the rules of the e-mail alerts (`docs/rules.md`, Mail
/// alerts): never for their own message, only what their notification level
/// wants, and nothing while they are active in the room.
#[must_use]
pub fn wants_push(member: &Member, author_id: i64, mentioned: bool, time: UnixTime) -> bool {
    member.user_id != author_id
        && member.notify.wants(mentioned)
        && !member.presence.is_active(time)
}

/// One browser's push subscription (RFC 8030 endpoint, RFC 8291 keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    pub user_id: i64,
    pub endpoint: String,
    /// The browser's P-256 public key and auth secret, base64url.
    pub p256dh: String,
    pub auth: String,
    /// "Firefox on Android".
    pub device: String,
    pub created_at: UnixTime,
    /// The last notification the push service accepted for it.
    pub last_used_at: Option<UnixTime>,
}

/// A subscription to store.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub user_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub device: String,
    /// SHA-256 (hex) of the session that subscribed.
    pub session_hash: Option<String>,
    pub now: UnixTime,
}

/// A notification waiting in the push outbox, for one device and room.
#[derive(Debug, Clone)]
pub struct PushItem {
    pub id: i64,
    pub subscription: Subscription,
    pub room_id: i64,
    pub created_at: UnixTime,
    pub first_message_id: i64,
    pub last_message_id: i64,
    pub messages: i64,
    pub mentioned: bool,
    pub attempts: i64,
}

/// A push queued for every device of one member: later messages of the same
/// room update it while it waits (one notification per room).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub user_id: i64,
    pub room_id: i64,
    pub message_id: i64,
    pub mentioned: bool,
    /// When the message was posted.
    pub at: UnixTime,
    /// Not before then (`PUSH_DELAY`), so a burst becomes one notification.
    pub send_after: UnixTime,
}

/// What the service worker shows (`assets/sw.js` reads these fields).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notification {
    /// The room's title.
    pub title: String,
    /// `ann: the latest message…`, or a count when content is hidden.
    pub body: String,
    /// One notification per room: a newer one replaces it.
    pub tag: String,
    /// Whether replacing it alerts again (a mention does; a burst's
    /// update does not).
    pub renotify: bool,
    /// The room, opened at the first unread message.
    pub url: String,
    /// The member's unread messages in every room, for the app badge.
    pub unread: i64,
}

/// What a notification tells of.
#[derive(Debug, Clone)]
pub struct News<'a> {
    pub room_slug: &'a str,
    pub room_title: &'a str,
    pub room_url: String,
    /// Author and text of the newest message it tells of.
    pub author: &'a str,
    pub text: &'a str,
    /// Messages it tells of.
    pub messages: i64,
    pub mentioned: bool,
    pub unread: i64,
    /// `PUSH_CONTENT`: false keeps author and text off the push service
    /// and the lock screen.
    pub show_content: bool,
}

/// The notification for `news`.
#[must_use]
pub fn notification(news: &News<'_>) -> Notification {
    let count = if news.messages == 1 {
        "1 new message".to_owned()
    } else {
        format!("{} new messages", news.messages)
    };
    let body = if news.show_content {
        let text = excerpt(news.text, EXCERPT_CHARS);
        let first = format!("{}: {text}", news.author);
        if news.messages > 1 {
            format!("{first}\n({count})")
        } else {
            first
        }
    } else if news.mentioned {
        format!("{count}; you were mentioned")
    } else {
        count
    };
    Notification {
        title: news.room_title.to_owned(),
        body,
        tag: format!("cv-room-{}", news.room_slug),
        renotify: news.mentioned,
        url: news.room_url.clone(),
        unread: news.unread,
    }
}

/// The first `max` characters of `text` on one line, with `…` when cut.
#[must_use]
pub fn excerpt(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Why a subscription is refused, as a sentence for the member.
///
/// # Errors
/// When the endpoint is not an `http(s)` URL of sane length or the keys
/// do not have the sizes RFC 8291 gives them (65-byte uncompressed P-256
/// point, 16-byte secret).
pub fn check_subscription(endpoint: &str, p256dh: &[u8], auth: &[u8]) -> Result<(), &'static str> {
    if endpoint.is_empty() || endpoint.chars().count() > MAX_ENDPOINT_CHARS {
        return Err("The push endpoint is missing or too long.");
    }
    let rest = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"));
    if rest.is_none_or(|r| r.is_empty() || r.starts_with('/'))
        || endpoint.contains(char::is_whitespace)
    {
        return Err("The push endpoint must be an https address.");
    }
    if p256dh.len() != 65 || p256dh[0] != 4 {
        return Err("The subscription's public key is not a P-256 key.");
    }
    if auth.len() != 16 {
        return Err("The subscription's auth secret must be 16 bytes.");
    }
    Ok(())
}

/// A short name for the browser and system in a User-Agent, such as
/// "Firefox on Android", shown on the account page.
#[must_use]
pub fn device_name(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(needle, _)| user_agent.contains(needle))
    .map_or("A browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| user_agent.contains(needle))
    .map(|(_, name)| *name);
    match system {
        Some(system) => format!("{browser} on {system}"),
        None => browser.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PresenceState;
    use crate::domain::notify::Level;

    fn member(notify: Level, inactive_from: Option<i64>) -> Member {
        Member {
            room_id: 1,
            user_id: 2,
            username: "bob".to_owned(),
            email: None,
            colour: "000000".to_owned(),
            alert: true,
            mail_alert: false,
            notify,
            presence: PresenceState {
                inactive_from,
                ..PresenceState::default()
            },
            display_name: None,
            avatar_key: None,
        }
    }

    #[test]
    fn pushes_follow_the_level_and_never_reach_the_active_or_the_author() {
        let away = member(Level::All, Some(900));
        assert!(wants_push(&away, 1, false, 1_000));
        assert!(!wants_push(&away, 2, false, 1_000), "own message");
        let active = member(Level::All, Some(1_090));
        assert!(!wants_push(&active, 1, true, 1_000), "active in the room");
        let mentions = member(Level::Mentions, None);
        assert!(!wants_push(&mentions, 1, false, 1_000));
        assert!(wants_push(&mentions, 1, true, 1_000));
        let none = member(Level::None, None);
        assert!(!wants_push(&none, 1, true, 1_000));
    }

    fn news(show_content: bool, messages: i64, mentioned: bool) -> Notification {
        notification(&News {
            room_slug: "family",
            room_title: "Family",
            room_url: "/family/#cv-unread".to_owned(),
            author: "ann",
            text: "dinner\n  at  seven?",
            messages,
            mentioned,
            unread: 4,
            show_content,
        })
    }

    #[test]
    fn a_notification_names_the_room_and_tags_it() {
        let n = news(true, 1, false);
        assert_eq!(n.title, "Family");
        assert_eq!(n.body, "ann: dinner at seven?");
        assert_eq!(n.tag, "cv-room-family");
        assert!(!n.renotify);
        assert_eq!(n.url, "/family/#cv-unread");
        assert_eq!(
            news(true, 3, true).body,
            "ann: dinner at seven?\n(3 new messages)"
        );
        assert!(news(true, 3, true).renotify);
    }

    #[test]
    fn hidden_content_leaves_author_and_text_out() {
        let n = news(false, 3, false);
        assert_eq!(n.body, "3 new messages");
        assert!(!n.body.contains("ann") && !n.body.contains("dinner"));
        assert_eq!(
            news(false, 1, true).body,
            "1 new message; you were mentioned"
        );
    }

    #[test]
    fn excerpts_are_cut_on_characters() {
        assert_eq!(excerpt("ab", 3), "ab");
        assert_eq!(excerpt("äöüß", 3), "äö…");
    }

    #[test]
    fn subscriptions_need_an_address_and_keys_of_the_right_size() {
        let key = {
            let mut k = vec![4_u8];
            k.extend([1_u8; 64]);
            k
        };
        let auth = [7_u8; 16];
        assert!(check_subscription("https://push.example/abc", &key, &auth).is_ok());
        assert!(check_subscription("ftp://push.example/abc", &key, &auth).is_err());
        assert!(check_subscription("https://", &key, &auth).is_err());
        assert!(check_subscription("https://push.example/abc", &key[1..], &auth).is_err());
        assert!(check_subscription("https://push.example/abc", &key, &auth[1..]).is_err());
        let long = format!("https://push.example/{}", "a".repeat(MAX_ENDPOINT_CHARS));
        assert!(check_subscription(&long, &key, &auth).is_err());
    }

    #[test]
    fn devices_are_named_by_browser_and_system() {
        assert_eq!(
            device_name("Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"),
            "Firefox on Android"
        );
        assert_eq!(
            device_name(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
            ),
            "Chrome on Linux"
        );
        assert_eq!(device_name(""), "A browser");
    }
}
