//! Invitations: an administrator makes a link (lifetime, number of uses,
//! rooms, optionally the one address it is for); whoever holds it chooses a
//! username and password and lands in those rooms. Only the token's hash is
//! stored; the link is shown once. Making, revoking and accepting are
//! written to the audit log.
//!
//! Accepting takes the new account's fields (see [`Acceptance`]) and makes
//! the account; a single sign-on login can join here later by handing in an
//! identity instead of a password (see [`accept`]).

use super::admin::Admin;
use super::chat::Chat;
use super::{ServiceError, accounts};
use crate::domain::links::{self, Invitation, InvitationUse, LinkState};
use crate::domain::{self, AuditEntry, User, Username};
use crate::store::{NewInvitation, NewUser, StoreError};

/// The one answer for a link that is not (or no longer) usable, whatever
/// the reason: tampered, expired, revoked or used up.
pub const INVALID: &str =
    "This invitation link is not valid: it may have expired, been used up or been withdrawn.";

/// The kind of the account e-mail that carries an invitation
/// (`mail/accounts.rs`), queued with the invitation's id.
pub const MAIL_KIND: &str = "invitation";

/// Default lifetime of a new invitation when none is given.
pub const DEFAULT_LIFETIME: &str = "7d";

/// What an administrator asks for.
#[derive(Debug, Clone, Default)]
pub struct InvitationRequest {
    /// The slugs of the rooms it joins.
    pub rooms: Vec<String>,
    /// How many accounts it may make (1 when not given).
    pub uses: Option<i64>,
    /// How long it lasts, as typed (`7d`, `12h`, `30m`).
    pub expires: Option<String>,
    /// The one address that may accept it.
    pub email: Option<String>,
    /// E-mail the link to that address (it is then not shown).
    pub send: bool,
}

/// A new invitation with its token, which is never stored and never shown again.
#[derive(Debug, Clone)]
pub struct Created {
    pub invitation: Invitation,
    pub token: String,
}

/// What the invitee fills in.
#[derive(Debug, Clone, Copy)]
pub struct Acceptance<'a> {
    pub username: &'a str,
    /// The name shown instead of the username (empty or `None`: none).
    pub display_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password: &'a str,
    pub again: &'a str,
}

impl Admin<'_> {
    /// Makes an invitation link.
    ///
    /// # Errors
    /// `Invalid` for an unknown room, a bad number of uses, lifetime or
    /// address; storage errors.
    pub async fn create_invitation(&self, req: InvitationRequest) -> Result<Created, ServiceError> {
        let settings = &self.chat.accounts;
        let uses = req.uses.unwrap_or(1);
        let max_uses = i64::from(settings.invitation_max_uses);
        if uses < 1 || uses > max_uses {
            return Err(ServiceError::Invalid(format!(
                "The number of uses must be between 1 and {max_uses}."
            )));
        }
        let lifetime = links::parse_lifetime(
            req.expires
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .unwrap_or(DEFAULT_LIFETIME),
            settings.invitation_max_secs,
        )
        .map_err(ServiceError::Invalid)?;
        let email = accounts::validate_email(req.email.as_deref())?;
        if req.send && email.is_none() {
            return Err(ServiceError::Invalid(
                "An invitation can only be e-mailed when it is for one address.".to_owned(),
            ));
        }
        let mut room_ids = Vec::new();
        let mut slugs = Vec::new();
        for slug in req.rooms.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let room = accounts::find_room(&self.chat.store, slug)
                .await
                .map_err(|e| match e {
                    ServiceError::NotFound(m) => ServiceError::Invalid(m),
                    other => other,
                })?;
            if !room_ids.contains(&room.id) {
                room_ids.push(room.id);
                slugs.push(room.slug);
            }
        }
        let token = crate::random_hex(32);
        let now = domain::now();
        let invitation = self
            .chat
            .store
            .links()
            .create_invitation(NewInvitation {
                token_hash: links::token_hash(&token),
                created_at: now,
                expires_at: now + lifetime,
                max_uses: uses,
                email: email.clone(),
                room_ids,
                created_by: self.actor_id(),
                created_by_name: self.actor_name(),
            })
            .await?;
        self.audit(
            "invitation.create",
            &format!("invitation {}", invitation.id),
            format!(
                "rooms: {}, uses: {uses}, expires: {}, email: {}{}",
                if slugs.is_empty() {
                    "-".to_owned()
                } else {
                    slugs.join(" ")
                },
                domain::duration_words::words(lifetime),
                email.as_deref().unwrap_or("-"),
                if req.send { ", e-mailed" } else { "" }
            ),
        )
        .await?;
        if req.send {
            // The mail worker gives the invitation a fresh token as it
            // sends it: the link exists only in the e-mail, never in the
            // queue or on the administrator's screen.
            self.chat
                .store
                .account_mail()
                .queue_account_mail(MAIL_KIND, &invitation.id.to_string(), now)
                .await?;
        }
        Ok(Created { invitation, token })
    }

    /// Withdraws an invitation: its link stops working at once.
    ///
    /// # Errors
    /// `NotFound` for an unknown invitation; storage errors.
    pub async fn revoke_invitation(&self, id: i64) -> Result<Invitation, ServiceError> {
        let invitation = self
            .chat
            .store
            .links()
            .revoke_invitation(id, domain::now())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => {
                    ServiceError::NotFound("There is no such invitation.".to_owned())
                }
                other => other.into(),
            })?;
        self.audit(
            "invitation.revoke",
            &format!("invitation {id}"),
            String::new(),
        )
        .await?;
        Ok(invitation)
    }
}

/// The newest invitations and the newest uses, for the admin page.
///
/// # Errors
/// When storage fails.
pub async fn list(chat: &Chat) -> Result<(Vec<Invitation>, Vec<InvitationUse>), ServiceError> {
    let store = chat.store.links();
    Ok((
        store.invitations(200).await?,
        store.invitation_uses(500).await?,
    ))
}

/// The invitation a link names, if it can still be accepted now.
///
/// # Errors
/// `NotFound` with [`INVALID`] for any link that cannot be used.
pub async fn usable(chat: &Chat, token: &str) -> Result<Invitation, ServiceError> {
    let invalid = || ServiceError::NotFound(INVALID.to_owned());
    if !links::token_shape(token) {
        return Err(invalid());
    }
    match chat
        .store
        .links()
        .invitation(&links::token_hash(token))
        .await
    {
        Ok(i) if i.state(domain::now()) == LinkState::Usable => Ok(i),
        Ok(_) | Err(StoreError::NotFound) => Err(invalid()),
        Err(e) => Err(e.into()),
    }
}

/// Accepts an invitation: checks every field first (so a typo does not use
/// it up), then in one transaction counts the use, makes the account and
/// the memberships. An invitation bound to an address gives the account
/// that address, whatever was typed.
///
/// # Errors
/// `NotFound` ([`INVALID`]) for a link that cannot be used (also when its
/// last use went to someone else meanwhile); `Invalid` for a refused
/// field; `Conflict` for a username taken.
pub async fn accept(chat: &Chat, token: &str, form: Acceptance<'_>) -> Result<User, ServiceError> {
    let invitation = usable(chat, token).await?;
    let username = Username::parse(form.username.trim())
        .map_err(|e| ServiceError::Invalid(accounts::capitalise(&e.to_string())))?;
    let email = match &invitation.email {
        Some(bound) => Some(bound.clone()),
        None => accounts::validate_email(form.email)?,
    };
    let display_name = domain::profile::parse_display_name(
        form.display_name.unwrap_or_default(),
        chat.accounts.display_name_max_chars,
    )
    .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if form.password != form.again {
        return Err(ServiceError::Invalid(
            "The two passwords differ.".to_owned(),
        ));
    }
    let policy = chat.password_policy();
    let password_hash = policy
        .hash_off_workers(form.password)
        .await
        .map_err(ServiceError::Invalid)?;
    let mut colours = Vec::new();
    for (room_id, _) in &invitation.rooms {
        let members = chat.store.rooms().members(*room_id).await?;
        let taken: Vec<&str> = members.iter().map(|m| m.colour.as_str()).collect();
        // The account has no id yet: pick as for the next one.
        let colour = domain::colour::pick(&taken, invitation.uses + 1);
        colours.push((*room_id, colour.as_str().to_owned()));
    }
    let now = domain::now();
    let user = chat
        .store
        .links()
        .accept_invitation(
            invitation.id,
            now,
            NewUser {
                username_key: username.key(),
                username: username.as_str().to_owned(),
                email,
                password_hash,
                is_admin: false,
                created_at: now,
                display_name,
            },
            &colours,
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ServiceError::NotFound(INVALID.to_owned()),
            StoreError::Conflict => ServiceError::Conflict(format!(
                "The username '{}' is already taken.",
                username.as_str()
            )),
            other => other.into(),
        })?;
    // Memberships were written beside the cache: let this node see them now.
    chat.store.forget(None);
    chat.store
        .audit()
        .record_audit(AuditEntry {
            at: now,
            actor_id: Some(user.id),
            actor_name: user.username.clone(),
            action: "invitation.accept".to_owned(),
            target: format!("invitation {}", invitation.id),
            detail: format!("user: {}", user.username),
        })
        .await?;
    Ok(user)
}
