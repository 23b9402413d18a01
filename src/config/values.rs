//! The values given for the settings (file, environment, flags), read
//! through their declarations in `settings.rs`: a setting's default and,
//! for numbers, flags and choices, its parsing come from there.

use std::collections::HashMap;

use super::ConfigError;
use super::settings::{self, DefaultValue, Kind, Setting};

/// Given values by setting name, and which settings have been read.
#[derive(Debug, Default)]
pub(super) struct Values {
    given: HashMap<String, String>,
    read: Vec<&'static str>,
}

impl Values {
    /// Values given by name (upper case); the rest take their defaults.
    pub(super) fn new(given: HashMap<String, String>) -> Self {
        Self {
            given,
            read: Vec::new(),
        }
    }

    /// The declared settings not read so far (a test keeps this empty).
    #[cfg(test)]
    pub(super) fn unread(&self) -> Vec<&'static str> {
        settings::SETTINGS
            .iter()
            .map(|s| s.name)
            .filter(|name| !self.read.contains(name))
            .collect()
    }

    /// The declaration of `name` and the text given for it, trimmed.
    fn lookup(&mut self, name: &str) -> Result<(&'static Setting, Option<String>), ConfigError> {
        let setting = settings::find(name)
            .ok_or_else(|| bad(name, "is not declared in config/settings.rs"))?;
        self.read.push(setting.name);
        let given = self.given.get(name).map(|v| v.trim().to_owned());
        Ok((setting, given))
    }

    /// The given text, else the declared default text.
    fn text(&mut self, name: &str) -> Result<(&'static Setting, String), ConfigError> {
        let (setting, given) = self.lookup(name)?;
        match (given, setting.default) {
            (Some(text), _) => Ok((setting, text)),
            (None, DefaultValue::Value(text)) => Ok((setting, text.to_owned())),
            (None, _) => Err(bad(name, "is read as if it had a default value")),
        }
    }

    /// A [`Kind::Text`] setting with a default value, parsed by `parse`,
    /// which returns what is wrong.
    pub(super) fn value<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let (setting, text) = self.text(name)?;
        expect_kind(setting, matches!(setting.kind, Kind::Text(_)))?;
        parse(&text).map_err(|problem| bad(setting.name, &problem))
    }

    /// A [`Kind::Text`] setting without a default value: `None` when not
    /// given, or when `parse` says the given text means "not set".
    pub(super) fn given<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<Option<T>, String>,
    ) -> Result<Option<T>, ConfigError> {
        let (setting, given) = self.lookup(name)?;
        expect_kind(setting, matches!(setting.kind, Kind::Text(_)))?;
        expect_no_default(setting)?;
        match given {
            Some(text) => parse(&text).map_err(|problem| bad(setting.name, &problem)),
            None => Ok(None),
        }
    }

    /// A number setting, given or default, as its kind says.
    pub(super) fn number<T: TryFrom<u64>>(&mut self, name: &str) -> Result<T, ConfigError> {
        let (setting, text) = self.text(name)?;
        number(setting, &text)
    }

    /// A number setting without a default value; `None` when not given.
    pub(super) fn given_number<T: TryFrom<u64>>(
        &mut self,
        name: &str,
    ) -> Result<Option<T>, ConfigError> {
        let (setting, given) = self.lookup(name)?;
        expect_no_default(setting)?;
        given.map(|text| number(setting, &text)).transpose()
    }

    /// A [`Kind::Flag`] setting, given or default.
    pub(super) fn flag(&mut self, name: &str) -> Result<bool, ConfigError> {
        let (setting, text) = self.text(name)?;
        expect_kind(setting, setting.kind == Kind::Flag)?;
        parse_bool(&text).ok_or_else(|| bad(setting.name, "must be true or false"))
    }

    /// A [`Kind::Choice`] setting, given or default, through `meaning`,
    /// which must know every declared word.
    pub(super) fn choice<T>(
        &mut self,
        name: &str,
        meaning: impl Fn(&'static str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        let (setting, text) = self.text(name)?;
        let Kind::Choice(words) = setting.kind else {
            return Err(wrong_kind(setting));
        };
        let word = words
            .iter()
            .find(|word| word.eq_ignore_ascii_case(&text))
            .ok_or_else(|| bad(setting.name, &format!("must be {}", words.join(" or "))))?;
        meaning(word).ok_or_else(|| bad(setting.name, &format!("has no meaning for {word}")))
    }
}

/// Parses a number as the setting's kind says, with the error messages the
/// settings have always had.
fn number<T: TryFrom<u64>>(setting: &Setting, text: &str) -> Result<T, ConfigError> {
    let name = setting.name;
    let positive = || match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(bad(
            name,
            &format!("must be a positive whole number, not '{text}'"),
        )),
    };
    let n = match setting.kind {
        Kind::Count => positive()?,
        Kind::CountCapped { max } => positive()?.min(max),
        Kind::CountUpTo { max, unit } => Some(positive()?)
            .filter(|n| *n <= max)
            .ok_or_else(|| bad(name, &format!("must be at most {max} {unit}")))?,
        Kind::Whole { unit, max } => text
            .parse::<u64>()
            .ok()
            .filter(|n| max.is_none_or(|max| *n <= max))
            .ok_or_else(|| {
                let most = max.map(|max| format!(" up to {max}")).unwrap_or_default();
                bad(name, &format!("must be a whole number of {unit}{most}"))
            })?,
        Kind::Flag | Kind::Choice(_) | Kind::Text(_) => return Err(wrong_kind(setting)),
    };
    T::try_from(n).map_err(|_| bad(name, "is too large"))
}

fn expect_kind(setting: &Setting, matches: bool) -> Result<(), ConfigError> {
    if matches {
        Ok(())
    } else {
        Err(wrong_kind(setting))
    }
}

/// The code reads a setting otherwise than it is declared (a test catches it).
fn wrong_kind(setting: &Setting) -> ConfigError {
    bad(
        setting.name,
        &format!("is declared as {:?} but read otherwise", setting.kind),
    )
}

fn expect_no_default(setting: &Setting) -> Result<(), ConfigError> {
    match setting.default {
        DefaultValue::Value(_) => Err(bad(
            setting.name,
            "is read as if it had no default value, but declares one",
        )),
        DefaultValue::Unset | DefaultValue::Derived(_) => Ok(()),
    }
}

/// An error naming the setting.
pub(super) fn bad(setting: &str, problem: &str) -> ConfigError {
    ConfigError {
        setting: setting.to_owned(),
        problem: problem.to_owned(),
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}
