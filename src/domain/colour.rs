//! Member colours: six hex digits, as the original stores them.

use std::fmt;

/// The colours members pick from. Author names sit on the page background
/// in the light theme and on a light pill in the dark theme, so each keeps at
/// least 4.5:1 contrast against white and the pill (`#eef1f5`); a test checks.
pub const PALETTE: &[(&str, &str)] = &[
    ("000000", "black"),
    ("c0392b", "red"),
    ("a04000", "orange"),
    ("7d6608", "ochre"),
    ("196f3d", "green"),
    ("117a65", "teal"),
    ("2471a3", "blue"),
    ("7d3c98", "purple"),
    ("ad1457", "pink"),
    ("616a6b", "grey"),
    ("8b4513", "brown"),
];

/// The colour a new member gets when nobody chose one: the palette colour
/// (black aside) fewest members of the room already have, so names in a
/// room stay apart. Among equally used colours the search starts at a place
/// that follows `seed` (the user's id), so one person tends to keep one
/// colour from room to room.
#[must_use]
pub fn pick(taken: &[&str], seed: i64) -> Colour {
    let choices = &PALETTE[1..];
    let len = i64::try_from(choices.len()).unwrap_or(1);
    let start = usize::try_from(seed.rem_euclid(len)).unwrap_or(0);
    let used = |hex: &str| taken.iter().filter(|t| t.eq_ignore_ascii_case(hex)).count();
    let (hex, _) = (0..choices.len())
        .map(|i| choices[(start + i) % choices.len()])
        .min_by_key(|(hex, _)| used(hex))
        .unwrap_or(PALETTE[0]);
    Colour((*hex).to_owned())
}

/// WCAG contrast ratio between two colours.
#[must_use]
pub fn contrast(a: &Colour, b: &Colour) -> f64 {
    fn luminance(c: &Colour) -> f64 {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&c.0[i..i + 2], 16).unwrap_or(0)) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// A colour as six lower-case hex digits, without `#`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Colour(String);

/// The colour was not six hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the colour must be six hex digits such as 3366cc")]
pub struct ColourError;

impl Colour {
    /// Parses `RRGGBB` or `#RRGGBB`.
    ///
    /// # Errors
    /// [`ColourError`] unless the input is six hex digits.
    pub fn parse(raw: &str) -> Result<Self, ColourError> {
        let hex = raw.strip_prefix('#').unwrap_or(raw);
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(hex.to_ascii_lowercase()))
        } else {
            Err(ColourError)
        }
    }

    /// The colour as six hex digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Colour {
    fn default() -> Self {
        Self("000000".to_owned())
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_or_without_hash() {
        assert_eq!(Colour::parse("#AA00ff").map(|c| c.0), Ok("aa00ff".into()));
        assert_eq!(Colour::parse("123456").map(|c| c.0), Ok("123456".into()));
    }

    #[test]
    fn new_members_get_the_least_used_colour_and_never_black() {
        // An empty room: the seed decides.
        assert_eq!(pick(&[], 0).as_str(), PALETTE[1].0);
        assert_eq!(pick(&[], 3).as_str(), PALETTE[4].0);
        assert_eq!(pick(&[], -1).as_str(), PALETTE[PALETTE.len() - 1].0);
        // Ten members in a row each get a colour nobody in the room has.
        let mut taken: Vec<String> = Vec::new();
        for seed in [5, 5, 5, 5, 5, 5, 5, 5, 5, 5] {
            let refs: Vec<&str> = taken.iter().map(String::as_str).collect();
            let c = pick(&refs, seed);
            assert_ne!(c.as_str(), "000000");
            assert!(
                !taken.iter().any(|t| t == c.as_str()),
                "{c} twice in {taken:?}"
            );
            taken.push(c.as_str().to_owned());
        }
        // The eleventh shares with the fewest.
        let refs: Vec<&str> = taken.iter().map(String::as_str).collect();
        assert_ne!(pick(&refs, 5).as_str(), "000000");
        // Colours chosen by hand count too, in any case.
        assert_ne!(pick(&["C0392B"], 0).as_str(), "c0392b");
    }

    #[test]
    fn palette_stays_readable_in_both_themes() {
        let white = Colour::parse("ffffff").expect("white");
        let pill = Colour::parse("eef1f5").expect("pill");
        for (hex, name) in PALETTE {
            let c = Colour::parse(hex).expect("valid");
            assert!(contrast(&c, &white) >= 4.5, "{name} on white");
            assert!(
                contrast(&c, &pill) >= 4.5,
                "{name} on the dark theme's pill"
            );
        }
    }

    #[test]
    fn refuses_anything_else() {
        for bad in ["", "12345", "1234567", "gggggg", "#12", "red", "12345;"] {
            assert_eq!(Colour::parse(bad), Err(ColourError), "{bad}");
        }
    }
}
