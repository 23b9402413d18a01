//! API tokens and webhook secrets: their shape, how they are checked, and
//! which scope each address of the JSON API needs.
//!
//! A token is `cv_` + a public selector + `_` + a secret. The store keeps the
//! selector (to find the row) and a SHA-256 of the secret. A fast hash is
//! right here: the secret is 256 random bits, so nobody can guess it
//! whatever the hash costs, and a slow one (argon2) would cost every API
//! request tens of milliseconds. The found row's hash is compared in
//! constant time, so the answer's timing tells nothing about the secret.

use sha2::Digest;
use subtle::ConstantTimeEq;

/// What every token starts with, so leaked tokens are easy to recognise.
pub const PREFIX: &str = "cv_";
/// Hex digits of the public selector.
pub const SELECTOR_CHARS: usize = 16;
/// Hex digits of the secret.
pub const SECRET_CHARS: usize = 64;

/// A token as presented, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented<'a> {
    /// Finds the stored row.
    pub selector: &'a str,
    /// Proves possession; only its hash is stored.
    pub secret: &'a str,
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Splits a presented token; `None` when it cannot be one of ours.
#[must_use]
pub fn parse(token: &str) -> Option<Presented<'_>> {
    let rest = token.strip_prefix(PREFIX)?;
    let (selector, secret) = rest.split_once('_')?;
    (is_hex(selector, SELECTOR_CHARS) && is_hex(secret, SECRET_CHARS))
        .then_some(Presented { selector, secret })
}

/// Joins a selector and a secret into the token handed to its owner.
#[must_use]
pub fn join(selector: &str, secret: &str) -> String {
    format!("{PREFIX}{selector}_{secret}")
}

/// The stored form of a secret: SHA-256, hex.
#[must_use]
pub fn hash_secret(secret: &str) -> String {
    use std::fmt::Write as _;
    sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Whether `secret` is the one whose hash is `stored`, in constant time.
#[must_use]
pub fn secret_matches(secret: &str, stored: &str) -> bool {
    bool::from(hash_secret(secret).as_bytes().ct_eq(stored.as_bytes()))
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read rooms and messages, keep the read cursor and presence.
    Read,
    /// Send, edit, delete, react and signal typing.
    Post,
}

impl Scope {
    /// The scope's name in forms and lists.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Post => "post",
        }
    }
}

/// What an address of the JSON API needs from a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need<'a> {
    pub scope: Scope,
    /// The room the address acts on; `None` for addresses over every room
    /// of the user (`api/rooms/`, `api/search/`).
    pub room: Option<&'a str>,
}

/// The scope and room an API address (the path after the mount point)
/// needs. Addresses that change messages need `post`; everything else
/// `read`. Unknown addresses need `read` (they answer 404 anyway).
#[must_use]
pub fn need(path: &str) -> Need<'_> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [slug, "api", action, ..] => {
            let scope = match *action {
                "send" | "edit" | "delete" | "react" | "typing" => Scope::Post,
                _ => Scope::Read,
            };
            Need {
                scope,
                room: Some(slug),
            }
        }
        _ => Need {
            scope: Scope::Read,
            room: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> String {
        join(&"a1".repeat(8), &"0f".repeat(32))
    }

    #[test]
    fn tokens_parse_only_in_their_own_shape() {
        let t = token();
        let p = parse(&t).expect("parses");
        assert_eq!(p.selector.len(), SELECTOR_CHARS);
        assert_eq!(p.secret.len(), SECRET_CHARS);
        assert!(parse(&t[1..]).is_none(), "prefix");
        assert!(parse(&t.to_uppercase()).is_none(), "upper case");
        assert!(parse(&format!("{t}0")).is_none(), "too long");
        assert!(parse("cv__").is_none());
        assert!(parse("").is_none());
        assert!(parse(&t.replace('_', "-")).is_none());
    }

    #[test]
    fn secrets_match_only_their_own_hash() {
        let stored = hash_secret("abc");
        assert_eq!(stored.len(), 64);
        assert!(secret_matches("abc", &stored));
        assert!(!secret_matches("abd", &stored));
        assert!(!secret_matches("abc", ""));
    }

    #[test]
    fn writing_needs_post_and_everything_else_read() {
        for action in ["send", "edit", "delete", "react", "typing"] {
            let path = format!("general/api/{action}/");
            let n = need(&path);
            assert_eq!(n.scope, Scope::Post, "{action}");
            assert_eq!(n.room, Some("general"));
        }
        for action in ["poll", "history", "events", "read", "presence"] {
            let path = format!("general/api/{action}/");
            assert_eq!(need(&path).scope, Scope::Read, "{action}");
        }
        assert_eq!(
            need("api/rooms/"),
            Need {
                scope: Scope::Read,
                room: None
            }
        );
        assert_eq!(need("api/search/").room, None);
        assert_eq!(need("api/openapi.json").room, None);
    }
}
