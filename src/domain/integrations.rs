//! The entities of integrations: API tokens, bot accounts and incoming
//! webhooks.

use super::tokens::Scope;

/// A bearer token of the JSON API, as stored (the secret only hashed).
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: i64,
    /// Whose token it is: a person, or a bot.
    pub user_id: i64,
    /// What its owner called it ("CI notifier").
    pub name: String,
    /// The public part of the token, which finds this row.
    pub selector: String,
    /// SHA-256 of the secret part, hex.
    pub secret_hash: String,
    pub can_read: bool,
    pub can_post: bool,
    /// The one room it may act in, if limited.
    pub room_id: Option<i64>,
    /// That room's slug, for lists.
    pub room_slug: Option<String>,
    pub created_at: i64,
    /// When it was last used, to the minute.
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiToken {
    /// Whether it grants `scope`.
    #[must_use]
    pub fn allows(&self, scope: Scope) -> bool {
        match scope {
            Scope::Read => self.can_read,
            Scope::Post => self.can_post,
        }
    }

    /// Its scopes as words: `read, post`.
    #[must_use]
    pub fn scopes(&self) -> String {
        [(self.can_read, Scope::Read), (self.can_post, Scope::Post)]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a new token is made of.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub user_id: i64,
    pub name: String,
    pub selector: String,
    pub secret_hash: String,
    pub can_read: bool,
    pub can_post: bool,
    pub room_id: Option<i64>,
    /// Who made it (the owner, or the administrator who owns the bot).
    pub created_by: i64,
    pub created_at: i64,
}

/// A bot account.
#[derive(Debug, Clone)]
pub struct Bot {
    pub user_id: i64,
    pub username: String,
    /// The administrator who owns it, if still there.
    pub owner: Option<String>,
    pub created_at: i64,
}

/// An incoming webhook: a secret URL that posts into a room as a bot.
#[derive(Debug, Clone)]
pub struct IncomingHook {
    pub id: i64,
    pub room_id: i64,
    pub room_slug: String,
    pub bot_id: i64,
    pub bot_name: String,
    pub name: String,
    pub selector: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// What a new incoming webhook is made of.
#[derive(Debug, Clone)]
pub struct NewHook {
    pub room_id: i64,
    pub bot_id: i64,
    pub name: String,
    pub selector: String,
    pub secret_hash: String,
    pub created_by: i64,
    pub created_at: i64,
}
