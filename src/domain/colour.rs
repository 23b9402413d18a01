//! Member colours: six hex digits, as the original stores them.

use std::fmt;

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
    fn refuses_anything_else() {
        for bad in ["", "12345", "1234567", "gggggg", "#12", "red", "12345;"] {
            assert_eq!(Colour::parse(bad), Err(ColourError), "{bad}");
        }
    }
}
