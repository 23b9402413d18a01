//! The site's addresses that are both routed and linked to from elsewhere
//! (pages, e-mails), written once: the router registers these patterns and
//! the builders below fill them, so a link cannot drift from its route.
//! Paths are relative to the mount point (`URL_PREFIX`).

/// A room's page.
pub const ROOM: &str = "{slug}/";
/// A message's permalink: the room around it.
pub const MESSAGE: &str = "{slug}/m/{id}/";
/// The one-click unsubscribe link from alert e-mails.
pub const UNSUBSCRIBE: &str = "unsubscribe/{room}/{user}/{token}/";

/// An invitation link.
pub const INVITATION: &str = "invite/{token}/";
/// A password reset link, from the reset e-mail.
pub const RESET: &str = "password/reset/{token}/";
/// Where a forgotten password is reported.
pub const FORGOT: &str = "password/forgot/";

/// A member's avatar; `version` changes with the picture.
pub const AVATAR: &str = "account/avatars/{user}/{version}/";

/// Fills a pattern's `{name}` parameters in order.
fn fill(pattern: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    let mut values = values.iter();
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(values.next().copied().unwrap_or_default());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Where the avatar stored under `key` (if any) of user `user_id` is served.
#[must_use]
pub fn avatar(prefix: &str, user_id: i64, key: Option<&str>) -> Option<String> {
    let version = crate::domain::profile::avatar_version(key?);
    Some(format!(
        "{prefix}{}",
        fill(AVATAR, &[&user_id.to_string(), &version])
    ))
}

/// The path of a room under `prefix`.
#[must_use]
pub fn room(prefix: &str, slug: &str) -> String {
    format!("{prefix}{}", fill(ROOM, &[slug]))
}

/// The permalink of message `id` of a room under `prefix`.
#[must_use]
pub fn message(prefix: &str, slug: &str, id: i64) -> String {
    format!("{prefix}{}", fill(MESSAGE, &[slug, &id.to_string()]))
}

/// The path of an unsubscribe link under `prefix`.
#[must_use]
pub fn unsubscribe(prefix: &str, room_id: i64, user_id: i64, token: &str) -> String {
    let (room_id, user_id) = (room_id.to_string(), user_id.to_string());
    format!(
        "{prefix}{}",
        fill(UNSUBSCRIBE, &[&room_id, &user_id, token])
    )
}

/// The path of an invitation link under `prefix`.
#[must_use]
pub fn invitation(prefix: &str, token: &str) -> String {
    format!("{prefix}{}", fill(INVITATION, &[token]))
}

/// The path of a password reset link under `prefix`.
#[must_use]
pub fn reset(prefix: &str, token: &str) -> String {
    format!("{prefix}{}", fill(RESET, &[token]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_the_routed_patterns() {
        assert_eq!(room("/chat/", "general"), "/chat/general/");
        assert_eq!(message("/", "general", 42), "/general/m/42/");
        assert_eq!(unsubscribe("/", 3, 7, "abc"), "/unsubscribe/3/7/abc/");
        assert_eq!(invitation("/chat/", "ab"), "/chat/invite/ab/");
        assert_eq!(reset("/", "cd"), "/password/reset/cd/");
        assert_eq!(fill("a/{x}/b/{y}", &["1", "2"]), "a/1/b/2");
    }
}
