//! Invitation and password reset links: what they are, the pure rules of
//! when one still works, and reading the lifetimes people type ("7d").

use super::UnixTime;

/// An invitation link as stored (its token only as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: i64,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub max_uses: i64,
    pub uses: i64,
    /// When set, only this address may accept it.
    pub email: Option<String>,
    pub revoked_at: Option<UnixTime>,
    pub created_by_name: String,
    /// The rooms it joins, by slug.
    pub rooms: Vec<(i64, String)>,
}

/// One account made with an invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationUse {
    pub invitation_id: i64,
    pub username: String,
    pub at: UnixTime,
}

/// A password reset link as stored (its token only as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetLink {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub used_at: Option<UnixTime>,
    pub revoked_at: Option<UnixTime>,
}

/// An account e-mail waiting for the mail worker: for a reset, what was
/// entered (a username or an address), not yet looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountMailItem {
    pub id: i64,
    /// `reset`.
    pub kind: String,
    pub entered: String,
    pub created_at: UnixTime,
    pub attempts: i64,
}

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Usable,
    Expired,
    Revoked,
    /// Every use taken (an invitation), or used (a reset link).
    UsedUp,
}

impl LinkState {
    /// How the admin pages name it.
    #[must_use]
    pub fn words(self) -> &'static str {
        match self {
            Self::Usable => "usable",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::UsedUp => "used up",
        }
    }
}

/// Where a link stands at `now`: revocation first, then use, then time.
#[must_use]
pub fn state(revoked: bool, used_up: bool, expires_at: UnixTime, now: UnixTime) -> LinkState {
    if revoked {
        LinkState::Revoked
    } else if used_up {
        LinkState::UsedUp
    } else if expires_at <= now {
        LinkState::Expired
    } else {
        LinkState::Usable
    }
}

impl Invitation {
    /// Where this invitation stands at `now`.
    #[must_use]
    pub fn state(&self, now: UnixTime) -> LinkState {
        state(
            self.revoked_at.is_some(),
            self.uses >= self.max_uses,
            self.expires_at,
            now,
        )
    }
}

impl ResetLink {
    /// Where this reset link stands at `now`.
    #[must_use]
    pub fn state(&self, now: UnixTime) -> LinkState {
        state(
            self.revoked_at.is_some(),
            self.used_at.is_some(),
            self.expires_at,
            now,
        )
    }
}

/// The SHA-256 of a link's token, as stored: a leaked database holds no
/// usable link.
#[must_use]
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `token` is shaped like one we hand out (64 lower-case hex
/// digits), so anything else is refused before any look-up.
#[must_use]
pub fn token_shape(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Reads a lifetime such as `7d`, `12h` or `30m` (a bare number is days)
/// as seconds, at most `max` seconds.
///
/// # Errors
/// A sentence naming what is wrong.
pub fn parse_lifetime(text: &str, max: i64) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((i, 'd')) => (&text[..i], 86_400),
        Some((i, 'h')) => (&text[..i], 3_600),
        Some((i, 'm')) => (&text[..i], 60),
        _ => (text, 86_400),
    };
    let bad = || {
        format!(
            "'{text}' is not a lifetime: write a number of days, hours or minutes, such as 7d, 12h or 30m."
        )
    };
    let n: i64 = number.trim().parse().map_err(|_| bad())?;
    if n <= 0 {
        return Err(bad());
    }
    let secs = n.checked_mul(unit).ok_or_else(bad)?;
    if secs > max {
        return Err(format!(
            "A link may last at most {}.",
            super::duration_words::words(max)
        ));
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_days_hours_and_minutes() {
        let max = 90 * 86_400;
        assert_eq!(parse_lifetime("7d", max), Ok(7 * 86_400));
        assert_eq!(parse_lifetime("7", max), Ok(7 * 86_400));
        assert_eq!(parse_lifetime(" 12h ", max), Ok(12 * 3_600));
        assert_eq!(parse_lifetime("30m", max), Ok(1_800));
        for bad in ["", "d", "0d", "-1d", "7w", "1.5d", "99999999999999999d"] {
            assert!(parse_lifetime(bad, max).is_err(), "{bad}");
        }
        assert_eq!(
            parse_lifetime("91d", max),
            Err("A link may last at most 90 days.".to_owned())
        );
    }

    #[test]
    fn revocation_wins_then_use_then_time() {
        assert_eq!(state(true, true, 0, 10), LinkState::Revoked);
        assert_eq!(state(false, true, 0, 10), LinkState::UsedUp);
        assert_eq!(state(false, false, 10, 10), LinkState::Expired);
        assert_eq!(state(false, false, 11, 10), LinkState::Usable);
    }

    #[test]
    fn only_our_token_shape_is_looked_up() {
        assert!(token_shape(&"a1".repeat(32)));
        assert!(!token_shape(&"A1".repeat(32)));
        assert!(!token_shape(&"a1".repeat(31)));
        assert!(!token_shape("../../etc/passwd"));
        assert_eq!(token_hash("x").len(), 64);
    }
}
