//! Use cases: what the web pages, the JSON API and the CLI all call.
//!
//! Handlers stay thin twins over these functions; these functions hold the
//! rules (membership, limits, presence) and talk to the store and the hub.

pub mod accounts;
pub mod admin;
pub mod backup;
pub mod chat;
pub mod directory;
pub mod export;
pub mod hooks;
pub mod identity;
pub mod import;
pub mod invitations;
pub mod link_preview;
pub mod oidc;
pub mod outgoing;
pub mod overview;
pub mod password;
pub mod previews;
pub mod profiles;
pub mod progress;
pub mod push;
pub mod reset;
pub mod search;
pub mod setup;
pub mod sync;
pub mod tokens;

use crate::store::StoreError;

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No such room, or not a member: the same answer, by design.
    #[error("No such room.")]
    NoSuchRoom,
    /// Something else asked for does not exist; the text says what.
    #[error("{0}")]
    NotFound(String),
    /// The input was refused; the text says why.
    #[error("{0}")]
    Invalid(String),
    /// The user may see this but not do that to it; the text says why.
    #[error("{0}")]
    Forbidden(String),
    /// The input was too large; the text says what the limit is.
    #[error("{0}")]
    TooLarge(String),
    /// The request clashed with existing data; the text says how.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl ServiceError {
    /// A storage error, where a clash is told as `sentence` says.
    pub(crate) fn clash(e: StoreError, sentence: impl FnOnce() -> String) -> Self {
        match e {
            StoreError::Conflict => Self::Conflict(sentence()),
            other => other.into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::Conflict("That already exists.".to_owned()),
            other => Self::Store(other),
        }
    }
}
