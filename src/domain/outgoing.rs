//! Outgoing webhooks (`docs/integrations.md`): which messages a bot's URL
//! hears of, what is sent, how it is signed, and what an answer means.
//! Pure: the worker (`service/outgoing.rs`) does the storage and the HTTP.

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;

/// The header carrying the Unix time the signature covers.
pub const TIMESTAMP_HEADER: &str = "x-conversate-timestamp";
/// The header carrying `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-conversate-signature";
/// The header naming the delivery, the same on every attempt, so a
/// receiver can drop a repeat.
pub const DELIVERY_HEADER: &str = "x-conversate-delivery";
/// How old a timestamp receivers should accept, in seconds (documented;
/// the receiver enforces it).
pub const REPLAY_WINDOW_SECS: i64 = 300;
/// The longest reply text taken from an answer is the message limit; the
/// longest answer read at all.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A bot's outgoing webhook, as stored.
#[derive(Debug, Clone)]
pub struct OutgoingHook {
    pub bot_id: i64,
    pub bot_name: String,
    pub url: String,
    /// The signing secret, kept to sign; shown only when made.
    pub secret: String,
    /// Messages from before this are not delivered.
    pub created_at: i64,
    pub last_attempt_at: Option<i64>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
}

/// One message queued for one bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub bot_id: i64,
    pub room_id: i64,
    pub message_id: i64,
    pub at: i64,
}

/// A delivery due to be sent, with its hook.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub room_id: i64,
    pub message_id: i64,
    pub attempts: i64,
    pub hook: OutgoingHook,
}

/// What came of one attempt, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Delivered.
    Sent,
    /// Failed; tried again at `at`.
    Retry { error: String, at: i64 },
    /// Failed for good: refused, or out of attempts.
    Failed { error: String },
}

/// Whether a message goes to a bot's URL: it names the bot (an @mention)
/// or is in a direct room with it, and was written by a person after the
/// hook was set. Messages by bots never go out, so two bots cannot answer
/// each other for ever.
#[must_use]
pub fn wants(
    hook: &OutgoingHook,
    author_is_bot: bool,
    mentions: &[String],
    direct: bool,
    time: i64,
) -> bool {
    !author_is_bot
        && time >= hook.created_at
        && (direct
            || mentions
                .iter()
                .any(|u| u.eq_ignore_ascii_case(&hook.bot_name)))
}

/// The message's author.
#[derive(Debug, Clone, Serialize)]
pub struct Author {
    pub username: String,
    /// The name a sign-in provider gave, if any.
    pub display_name: Option<String>,
}

/// What is POSTed to the URL, as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Payload {
    /// `message`: the one kind there is so far.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The delivery's id (also in `X-Conversate-Delivery`).
    pub delivery: i64,
    /// The bot's username.
    pub bot: String,
    pub message: PayloadMessage,
    /// Where the bot may post later, with an API token of its own.
    pub reply_url: String,
}

/// The message a payload is about.
#[derive(Debug, Clone, Serialize)]
pub struct PayloadMessage {
    pub id: i64,
    pub room: String,
    /// Whether the room is a direct conversation with the bot.
    pub direct: bool,
    pub user: Author,
    /// The text as written (Markdown).
    pub text: String,
    /// Unix seconds.
    pub time: i64,
    /// The message's permalink.
    pub url: String,
}

/// The signature of a delivery: `sha256=` and the hex HMAC-SHA256, keyed
/// by the hook's secret, of the timestamp, a dot and the body.
#[must_use]
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use std::fmt::Write as _;
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .fold(String::from("sha256="), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// What an HTTP status means for a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Delivered.
    Done,
    /// Worth trying again later: `408`, `429`, `5xx` (and no answer).
    Retry,
    /// Refused for good: any other status.
    Permanent,
}

/// The verdict of a status.
#[must_use]
pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Done,
        408 | 429 | 500..=599 => Verdict::Retry,
        _ => Verdict::Permanent,
    }
}

/// The reply an answer's body asks to post: the non-blank `text` of a JSON
/// object; `None` for anything else (an empty body included).
#[must_use]
pub fn reply_text(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Answer {
        text: Option<String>,
    }
    let answer: Answer = serde_json::from_slice(body).ok()?;
    answer.text.filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook() -> OutgoingHook {
        OutgoingHook {
            bot_id: 9,
            bot_name: "DeployBot".to_owned(),
            url: "https://example.com/hook".to_owned(),
            secret: "s".to_owned(),
            created_at: 100,
            last_attempt_at: None,
            last_status: None,
            last_error: None,
        }
    }

    #[test]
    fn the_signature_matches_a_fixed_vector() {
        // Computed independently: Python's hmac.new(secret, b"1700000000." + body, sha256).
        assert_eq!(
            sign(
                "cvhook_0123456789abcdef",
                1_700_000_000,
                br#"{"text":"hi"}"#
            ),
            "sha256=a372c0e380ee373858c69736e3c711b2fd60f0c1925b70a8b81710a5e315dbc2"
        );
    }

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        let base = sign("k", 1, b"x");
        assert_ne!(base, sign("k", 2, b"x"));
        assert_ne!(base, sign("k", 1, b"y"));
        assert_ne!(base, sign("j", 1, b"x"));
    }

    #[test]
    fn a_bot_hears_of_mentions_and_direct_messages_from_people_after_it_was_set() {
        let h = hook();
        let named = vec!["alice".to_owned(), "deploybot".to_owned()];
        assert!(wants(&h, false, &named, false, 100));
        assert!(wants(&h, false, &[], true, 200));
        assert!(!wants(&h, false, &["alice".to_owned()], false, 200));
        assert!(
            !wants(&h, false, &named, false, 99),
            "before the hook was set"
        );
        assert!(!wants(&h, true, &named, true, 200), "written by a bot");
    }

    #[test]
    fn statuses_sort_into_done_retry_and_permanent() {
        assert_eq!(verdict(200), Verdict::Done);
        assert_eq!(verdict(204), Verdict::Done);
        for s in [408, 429, 500, 502, 503] {
            assert_eq!(verdict(s), Verdict::Retry, "{s}");
        }
        for s in [301, 400, 401, 403, 404, 410, 422] {
            assert_eq!(verdict(s), Verdict::Permanent, "{s}");
        }
    }

    #[test]
    fn a_reply_is_the_non_blank_text_of_a_json_object() {
        assert_eq!(reply_text(br#"{"text":"on it"}"#).as_deref(), Some("on it"));
        assert_eq!(reply_text(br#"{"text":"  "}"#), None);
        assert_eq!(reply_text(br#"{"ok":true}"#), None);
        assert_eq!(reply_text(b""), None);
        assert_eq!(reply_text(b"on it"), None);
    }
}
