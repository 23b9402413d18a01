//! A user's time zone: an IANA name (`America/New_York`) checked against
//! the time zone database built into the binary (jiff's bundled tzdb), so
//! a site shows the same times whatever the host's `/usr/share/zoneinfo`
//! holds, or whether it has one at all (a scratch container).

use super::UnixTime;

/// A checked time zone name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// The zone named `name`, as the database spells it (`europe/berlin`
    /// becomes `Europe/Berlin`).
    ///
    /// # Errors
    /// When the database has no zone of that name.
    pub fn parse(name: &str) -> Result<Self, UnknownZone> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return Err(UnknownZone);
        }
        let db = jiff::tz::db();
        db.get(name).map_err(|_| UnknownZone)?;
        // The database finds names regardless of case; keep its spelling.
        let spelled = db
            .available()
            .map(|n| n.as_str().to_owned())
            .find(|n| n.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| name.to_owned());
        Ok(Self(spelled))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every zone the database knows, sorted (for the account form).
    #[must_use]
    pub fn all() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_owned())
            .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("SystemV/"))
            .collect();
        names.push("UTC".to_owned());
        names.sort();
        names.dedup();
        names
    }
}

/// The name is not a time zone the database knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no such time zone")]
pub struct UnknownZone;

/// A moment as people read it: `2026-12-02 14:45` and the zone's
/// abbreviation (`EST`), in `zone` (UTC when none or unknown).
#[must_use]
pub fn local_time(at: UnixTime, zone: Option<&str>) -> String {
    let Ok(moment) = jiff::Timestamp::from_second(at) else {
        return String::new();
    };
    let tz = zone
        .and_then(|z| jiff::tz::db().get(z).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    moment
        .to_zoned_datetime(tz)
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The moment in RFC 3339 (UTC), for `<time datetime>`.
#[must_use]
pub fn rfc3339(at: UnixTime) -> String {
    jiff::Timestamp::from_second(at)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_against_the_bundled_database() {
        assert_eq!(
            TimeZoneName::parse("America/New_York").map(|z| z.0),
            Ok("America/New_York".to_owned())
        );
        assert_eq!(
            TimeZoneName::parse(" europe/berlin ").map(|z| z.0),
            Ok("Europe/Berlin".to_owned())
        );
        assert_eq!(TimeZoneName::parse("Mars/Olympus_Mons"), Err(UnknownZone));
        assert_eq!(TimeZoneName::parse(""), Err(UnknownZone));
        assert_eq!(TimeZoneName::parse("../../etc/passwd"), Err(UnknownZone));
        assert!(TimeZoneName::all().iter().any(|n| n == "Asia/Tokyo"));
    }

    #[test]
    fn times_read_in_the_zone() {
        // 2026-12-02 19:45:00 UTC
        let at = 1_796_240_700;
        assert_eq!(local_time(at, None), "2026-12-02 19:45 UTC");
        assert_eq!(
            local_time(at, Some("America/New_York")),
            "2026-12-02 14:45 EST"
        );
        assert_eq!(
            local_time(at, Some("Europe/Berlin")),
            "2026-12-02 20:45 CET"
        );
        assert_eq!(local_time(at, Some("Nowhere/Else")), "2026-12-02 19:45 UTC");
        assert_eq!(rfc3339(at), "2026-12-02T19:45:00Z");
    }
}
