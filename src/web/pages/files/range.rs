//! The `Range` request header (RFC 9110 §14), for a single byte range.

use std::ops::Range;

/// What a `Range` header asks of a file of a known size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByteRange {
    /// The whole file: no header, a malformed one, another unit, or several
    /// ranges (which a server may ignore; we serve the file once instead).
    Whole,
    /// One satisfiable part, end exclusive.
    Part(Range<u64>),
    /// A single range wholly past the end: `416` with `bytes */size`.
    Unsatisfiable,
}

/// Reads `bytes=a-b`, `bytes=a-` or `bytes=-n` against a file of `size` bytes.
#[must_use]
pub fn parse(header: &str, size: u64) -> ByteRange {
    let header = header.trim();
    let Some(unit_end) = header.find('=') else {
        return ByteRange::Whole;
    };
    if !header[..unit_end].trim().eq_ignore_ascii_case("bytes") {
        return ByteRange::Whole;
    }
    let spec = header[unit_end + 1..].trim();
    if spec.contains(',') {
        return ByteRange::Whole;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return ByteRange::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // The last n bytes.
        return match number(last) {
            Some(0) => ByteRange::Unsatisfiable,
            Some(_) if size == 0 => ByteRange::Unsatisfiable,
            Some(n) => ByteRange::Part(size.saturating_sub(n)..size),
            None => ByteRange::Whole,
        };
    }
    let Some(start) = number(first) else {
        return ByteRange::Whole;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match number(last) {
            Some(end) if end >= start => end,
            _ => return ByteRange::Whole,
        }
    };
    if start >= size {
        return ByteRange::Unsatisfiable;
    }
    ByteRange::Part(start..end.min(size - 1) + 1)
}

/// Digits only: `u64::from_str` would also take a `+`.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ByteRange::{Part, Unsatisfiable, Whole};

    #[test]
    fn single_ranges() {
        assert_eq!(parse("bytes=10-19", 100), Part(10..20));
        assert_eq!(parse("bytes=0-0", 100), Part(0..1));
        assert_eq!(parse("bytes=90-", 100), Part(90..100));
        assert_eq!(parse("bytes=90-1000", 100), Part(90..100));
        assert_eq!(parse("bytes=-10", 100), Part(90..100));
        assert_eq!(parse("bytes=-1000", 100), Part(0..100));
        assert_eq!(parse("Bytes = 5 - 6", 100), Part(5..7));
        assert_eq!(parse("bytes=99-99", 100), Part(99..100));
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(parse("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse("bytes=100-200", 100), Unsatisfiable);
        assert_eq!(parse("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse("bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse("bytes=-5", 0), Unsatisfiable);
    }

    #[test]
    fn anything_else_means_the_whole_file() {
        for header in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=5",
            "bytes=9-5",
            "bytes=+1-2",
            "bytes=1-+2",
            "bytes=a-b",
            "items=0-5",
            "bytes=0-1,5-6",
            "bytes=0-0, -1",
            "bytes=18446744073709551616-",
        ] {
            assert_eq!(parse(header, 100), Whole, "{header:?}");
        }
    }
}
