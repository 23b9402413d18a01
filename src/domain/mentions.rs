//! @mentions (`docs/rules.md`, Mentions): which members a message names.
//!
//! `@name` names the member whose username is `name`, ignoring case;
//! `@everyone` names every member. The `@` must start a word, so an e-mail
//! address in the text is not a mention; a name may end a sentence
//! (`@bob.`), so trailing punctuation that is not part of a member's name is
//! left out.

use std::collections::HashMap;

/// The word that mentions every member.
pub const EVERYONE: &str = "everyone";

/// The members a message can mention: username keys to usernames.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    names: HashMap<String, String>,
}

impl Roster {
    /// The roster of these usernames.
    pub fn new<'a>(usernames: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            names: usernames
                .into_iter()
                .map(|u| (u.to_ascii_lowercase(), u.to_owned()))
                .collect(),
        }
    }

    /// Every member's username, sorted.
    #[must_use]
    pub fn everyone(&self) -> Vec<String> {
        let mut all: Vec<String> = self.names.values().cloned().collect();
        all.sort_unstable();
        all
    }

    /// The username `candidate` names, or [`EVERYONE`].
    fn resolve(&self, candidate: &str) -> Option<&str> {
        let key = candidate.to_ascii_lowercase();
        if key == EVERYONE {
            return Some(EVERYONE);
        }
        self.names.get(&key).map(String::as_str)
    }
}

/// One mention in a run of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'r> {
    /// Byte range of `@name` in the text, the `@` included.
    pub start: usize,
    pub end: usize,
    /// The member's username as stored, or [`EVERYONE`].
    pub username: &'r str,
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'@' | b'+' | b'-')
}

/// The mentions in `text`, in order.
#[must_use]
pub fn scan<'r>(text: &str, roster: &'r Roster) -> Vec<Found<'r>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'@' || (i > 0 && is_name_char(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let name_start = i + 1;
        let mut end = name_start;
        while end < bytes.len() && is_name_char(bytes[end]) {
            end += 1;
        }
        // The longest run that names someone: `@bob.` is bob at a full stop.
        let mut hit = None;
        let mut stop = end;
        while stop > name_start {
            if let Some(username) = roster.resolve(&text[name_start..stop]) {
                hit = Some((stop, username));
                break;
            }
            if !matches!(bytes[stop - 1], b'.' | b'-' | b'_' | b'+' | b'@') {
                break;
            }
            stop -= 1;
        }
        match hit {
            Some((stop, username)) => {
                found.push(Found {
                    start: i,
                    end: stop,
                    username,
                });
                i = stop;
            }
            None => i = end.max(i + 1),
        }
    }
    found
}

/// The usernames a set of found mentions names, `@everyone` expanded,
/// sorted and without repeats.
#[must_use]
pub fn named(found: &[&str], roster: &Roster) -> Vec<String> {
    if found.contains(&EVERYONE) {
        return roster.everyone();
    }
    let mut names: Vec<String> = found.iter().map(|&u| u.to_owned()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> Roster {
        Roster::new(["Bob", "ann.lee", "carol", "x@y"])
    }

    fn names(text: &str) -> Vec<&'static str> {
        let roster = Box::leak(Box::new(roster()));
        scan(text, roster).iter().map(|f| f.username).collect()
    }

    #[test]
    fn a_mention_names_a_member_ignoring_case() {
        assert_eq!(names("hi @bob and @CAROL"), ["Bob", "carol"]);
        assert_eq!(names("@Bob"), ["Bob"]);
    }

    #[test]
    fn punctuation_after_a_name_is_not_part_of_it() {
        assert_eq!(names("ask @bob."), ["Bob"]);
        assert_eq!(names("@ann.lee, hi"), ["ann.lee"]);
        assert_eq!(names("@ann.lee."), ["ann.lee"]);
        assert_eq!(names("(@bob)"), ["Bob"]);
        assert_eq!(names("@bob's"), ["Bob"]);
    }

    #[test]
    fn strangers_addresses_and_a_lone_at_are_not_mentions() {
        assert!(names("@dave hi").is_empty());
        assert!(names("mail me at bob@bob.org").is_empty());
        assert!(names("@ @@ @.").is_empty());
        assert_eq!(names("@x@y"), ["x@y"]);
    }

    #[test]
    fn the_range_covers_the_at_and_the_name() {
        let roster = roster();
        let text = "yo @bob.";
        let found = scan(text, &roster);
        assert_eq!(&text[found[0].start..found[0].end], "@bob");
    }

    #[test]
    fn everyone_names_every_member() {
        let roster = roster();
        assert_eq!(names("@everyone look"), [EVERYONE]);
        assert_eq!(
            named(&["carol", EVERYONE], &roster),
            ["Bob", "ann.lee", "carol", "x@y"]
        );
        assert_eq!(named(&["carol", "Bob", "carol"], &roster), ["Bob", "carol"]);
    }
}
