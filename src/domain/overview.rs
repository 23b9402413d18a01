//! The administrator's overview: what the store sums up, and the pure
//! rules that turn those sums into series for the charts (days without
//! messages filled in, weeks starting on Monday, the hours of the week).
//!
//! Every time here is UTC: a day is `unix_time / 86400`, an hour
//! `unix_time / 3600`, the numbering the store's roll-ups use.

use super::UnixTime;

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Seconds in an hour.
pub const HOUR: i64 = 3_600;
/// How many days of activity the overview shows.
pub const ACTIVITY_DAYS: i64 = 90;
/// How many weeks of writers the overview shows.
pub const ACTIVITY_WEEKS: i64 = 13;
/// A member who wants e-mail alerts but has not been seen for this long
/// needs attention; so does a room without a message for this long.
pub const QUIET_FOR: i64 = 90 * DAY;

/// Activity counted by the store's roll-ups since a given day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    /// Messages per room per day: `(room_id, day, messages)`, days with
    /// none left out.
    pub room_days: Vec<(i64, i64, i64)>,
    /// Members who wrote, per Monday-based week: `(week, writers)`, see
    /// [`week_of`].
    pub week_writers: Vec<(i64, i64)>,
    /// Messages per hour of the week: `(weekday, hour, messages)`, Monday
    /// being weekday 0.
    pub week_hours: Vec<(i64, i64, i64)>,
}

/// The e-mail outbox at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxHealth {
    /// Alerts waiting to be sent.
    pub pending: i64,
    /// When the oldest of them was queued.
    pub oldest_pending: Option<UnixTime>,
    /// Alerts whose last attempt failed since the time asked about.
    pub failed: i64,
    /// The newest failure: when, to whom and why.
    pub last_failure: Option<Failure>,
}

/// One failed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub at: UnixTime,
    pub recipient: String,
    pub error: String,
}

/// The files the database records, and the server nodes it has heard
/// from (the engine, its size and settings come from `Store::describe`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageFacts {
    /// Files kept with messages, and their bytes.
    pub files: i64,
    pub file_bytes: i64,
    /// Server nodes that said they were alive since the time asked about.
    pub nodes_alive: i64,
}

/// What an administrator should look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attention {
    /// Active accounts that get e-mail alerts in some room but have not been
    /// seen anywhere since the time asked about, longest gone first.
    pub quiet_members: Vec<QuietMember>,
    /// Rooms without a message since the time asked about (or ever),
    /// quietest first.
    pub quiet_rooms: Vec<QuietRoom>,
    /// Active accounts without an e-mail address, by username.
    pub without_email: Vec<String>,
}

/// A member gone quiet who still gets e-mail alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietMember {
    pub username: String,
    /// Last seen in any room; `None`: never.
    pub last_seen: Option<UnixTime>,
    /// Rooms whose messages still alert them by e-mail.
    pub alert_rooms: i64,
}

/// A room nobody writes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietRoom {
    pub slug: String,
    pub title: String,
    /// The newest message's time; `None`: no message at all.
    pub last_message: Option<UnixTime>,
}

/// The UTC day (days since the epoch) of a time.
#[must_use]
pub fn day_of(t: UnixTime) -> i64 {
    t.div_euclid(DAY)
}

/// The Monday-based week of a day: the epoch fell on a Thursday, three
/// days after a Monday.
#[must_use]
pub fn week_of(day: i64) -> i64 {
    (day + 3).div_euclid(7)
}

/// The first day (a Monday) of a week numbered by [`week_of`].
#[must_use]
pub fn week_start(week: i64) -> i64 {
    week * 7 - 3
}

/// One value per day from `first` to `last` inclusive, zero where `counts`
/// (`(day, n)`, any order, repeats added up) has none.
#[must_use]
pub fn per_day(first: i64, last: i64, counts: impl IntoIterator<Item = (i64, i64)>) -> Vec<i64> {
    let len = usize::try_from(last - first + 1).unwrap_or(0);
    let mut out = vec![0; len];
    for (day, n) in counts {
        if let Some(slot) = usize::try_from(day - first)
            .ok()
            .and_then(|i| out.get_mut(i))
        {
            *slot += n;
        }
    }
    out
}

/// One value per week from `first` to `last` inclusive (numbered by
/// [`week_of`]), zero where `counts` has none.
#[must_use]
pub fn per_week(first: i64, last: i64, counts: impl IntoIterator<Item = (i64, i64)>) -> Vec<i64> {
    per_day(first, last, counts)
}

/// The 7 × 24 grid of the week's hours, Monday first, from
/// `(weekday, hour, n)` triples; out-of-range entries are ignored.
#[must_use]
pub fn week_grid(counts: impl IntoIterator<Item = (i64, i64, i64)>) -> [[i64; 24]; 7] {
    let mut grid = [[0; 24]; 7];
    for (weekday, hour, n) in counts {
        if let (Ok(d), Ok(h)) = (usize::try_from(weekday), usize::try_from(hour))
            && let Some(slot) = grid.get_mut(d).and_then(|row| row.get_mut(h))
        {
            *slot += n;
        }
    }
    grid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        // 1970-01-01 was a Thursday, 1970-01-05 a Monday.
        assert_eq!(week_of(0), week_of(3), "Thursday to Sunday");
        assert_eq!(week_of(4), week_of(0) + 1, "Monday starts a week");
        assert_eq!(week_start(week_of(4)), 4);
        assert_eq!(week_start(week_of(10)), 4);
        // 2026-11-30 (day 20_787) is a Monday.
        assert_eq!(week_start(week_of(20_790)), 20_787);
        assert_eq!(day_of(-1), -1, "before the epoch counts down");
    }

    #[test]
    fn missing_days_are_zero_and_strays_are_dropped() {
        let counts = [(12, 3), (10, 1), (12, 2), (9, 7), (15, 1)];
        assert_eq!(per_day(10, 13, counts), vec![1, 0, 5, 0]);
        assert!(per_day(5, 4, counts).is_empty());
    }

    #[test]
    fn the_week_grid_adds_up_by_weekday_and_hour() {
        let grid = week_grid([(0, 0, 2), (6, 23, 1), (0, 0, 1), (7, 0, 9), (0, 24, 9)]);
        assert_eq!(grid[0][0], 3);
        assert_eq!(grid[6][23], 1);
        assert_eq!(grid.iter().flatten().sum::<i64>(), 4);
    }
}
