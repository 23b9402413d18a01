//! "5 minutes" and friends, as the original shows durations.

/// A duration as people say it: the largest whole unit. The web layer
/// words it in the reader's language; [`words`] is its English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Span {
    /// An unknown moment (a negative duration).
    Never,
    /// A moment in the future.
    Now,
    Seconds(i64),
    Minutes(i64),
    Hours(i64),
    Days(i64),
}

/// The span of `seconds`: `Never` for a negative value.
#[must_use]
pub fn span(seconds: i64) -> Span {
    match seconds {
        ..0 => Span::Never,
        0..60 => Span::Seconds(seconds),
        60..3_600 => Span::Minutes(seconds / 60),
        3_600..86_400 => Span::Hours(seconds / 3_600),
        _ => Span::Days(seconds / 86_400),
    }
}

/// The span from `then` until `now`: `Now` for the future, `Never` when
/// `then` is unknown.
#[must_use]
pub fn since_span(then: Option<i64>, now: i64) -> Span {
    match then {
        None => Span::Never,
        Some(t) if t > now => Span::Now,
        Some(t) => span(now - t),
    }
}

/// Describes `seconds` the way the original does: `never` for a negative value,
/// otherwise the largest whole unit, e.g. `1 second`, `5 minutes`, `2 days`.
#[must_use]
pub fn words(seconds: i64) -> String {
    if seconds < 0 {
        return "never".to_owned();
    }
    let (n, unit) = match seconds {
        0..60 => (seconds, "second"),
        60..3_600 => (seconds / 60, "minute"),
        3_600..86_400 => (seconds / 3_600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// The span [`words`] wrote: its exact inverse, `None` for anything else.
/// Sentences made in English carry a duration as words (`ServiceError`'s
/// text); the web layer reads the span back to word it in the reader's
/// language.
#[must_use]
pub fn parse(words: &str) -> Option<Span> {
    if words == "never" {
        return Some(Span::Never);
    }
    let (number, unit) = words.split_once(' ')?;
    let n: i64 = number.parse().ok().filter(|n| *n >= 0)?;
    // "1 minute" but "2 minutes", "0 seconds": the plural exactly as written.
    let unit = if n == 1 {
        unit
    } else {
        unit.strip_suffix('s')?
    };
    if number != n.to_string() {
        return None;
    }
    match unit {
        "second" => Some(Span::Seconds(n)),
        "minute" => Some(Span::Minutes(n)),
        "hour" => Some(Span::Hours(n)),
        "day" => Some(Span::Days(n)),
        _ => None,
    }
}

/// Seconds from `then` until `now`, or -1 when `then` is unknown.
#[must_use]
pub fn seconds_ago(then: Option<i64>, now: i64) -> i64 {
    then.map_or(-1, |t| (now - t).max(0))
}

/// Words for a point in time relative to `now`: `now` for the future.
#[must_use]
pub fn since(then: Option<i64>, now: i64) -> String {
    match then {
        None => "never".to_owned(),
        Some(t) if t > now => "now".to_owned(),
        Some(t) => words(now - t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_largest_unit_and_plural() {
        assert_eq!(words(-1), "never");
        assert_eq!(words(0), "0 seconds");
        assert_eq!(words(1), "1 second");
        assert_eq!(words(59), "59 seconds");
        assert_eq!(words(60), "1 minute");
        assert_eq!(words(3_599), "59 minutes");
        assert_eq!(words(7_200), "2 hours");
        assert_eq!(words(86_400), "1 day");
        assert_eq!(words(86_400 * 40), "40 days");
    }

    #[test]
    fn future_is_now_and_unknown_is_never() {
        assert_eq!(since(Some(110), 100), "now");
        assert_eq!(since(None, 100), "never");
        assert_eq!(since(Some(40), 100), "1 minute");
        assert_eq!(seconds_ago(None, 100), -1);
        assert_eq!(seconds_ago(Some(90), 100), 10);
    }

    #[test]
    fn parse_reads_back_exactly_what_words_wrote() {
        for seconds in [
            -1,
            0,
            1,
            2,
            59,
            60,
            61,
            120,
            3_599,
            3_600,
            7_200,
            86_400,
            86_400 * 40,
        ] {
            assert_eq!(parse(&words(seconds)), Some(span(seconds)), "{seconds}");
        }
        for other in [
            "",
            "5",
            "minutes",
            "1 minutes",
            "2 minute",
            "05 minutes",
            "-3 days",
            "3 weeks",
            "3  days",
        ] {
            assert_eq!(parse(other), None, "{other:?}");
        }
    }

    #[test]
    fn spans_pick_the_largest_unit() {
        assert_eq!(span(-1), Span::Never);
        assert_eq!(span(59), Span::Seconds(59));
        assert_eq!(span(3_599), Span::Minutes(59));
        assert_eq!(span(7_200), Span::Hours(2));
        assert_eq!(span(86_400 * 40), Span::Days(40));
        assert_eq!(since_span(Some(110), 100), Span::Now);
        assert_eq!(since_span(None, 100), Span::Never);
    }
}
