//! E-mailed invitations: the queued entry names the invitation; as it is
//! sent the invitation gets a fresh token, so the link lives only in the
//! e-mail. A retry after a failed attempt re-keys it again (the failed
//! e-mail's link never worked for anyone), and an invitation withdrawn,
//! expired or used up meanwhile is not sent at all.

use minijinja::context;

use super::worker::AlertSender;
use crate::domain::links::{self, AccountMailItem};
use crate::domain::{self, AuditEntry};
use crate::store::StoreError;

impl AlertSender {
    pub(super) async fn deliver_invitation(
        &self,
        item: &AccountMailItem,
    ) -> Result<(), StoreError> {
        let queue = self.store.account_mail();
        let cancel = |why: &'static str| async move {
            queue
                .account_mail_done(item.id, "cancelled", domain::now(), Some(why))
                .await
        };
        let Ok(id) = item.entered.parse::<i64>() else {
            return cancel("not an invitation id").await;
        };
        let token = crate::random_hex(32);
        let invitation = match self
            .store
            .links()
            .rekey_invitation(id, &links::token_hash(&token), domain::now())
            .await
        {
            Ok(invitation) => invitation,
            Err(StoreError::NotFound) => return cancel("no longer usable").await,
            Err(e) => return Err(e),
        };
        let Some(address) = invitation.email.clone() else {
            return cancel("bound to no address").await;
        };
        match self.send_invitation(&invitation, &address, &token).await {
            Ok(()) => {
                tracing::info!(invitation = id, "invitation e-mail sent");
                self.store
                    .audit()
                    .record_audit(AuditEntry {
                        at: domain::now(),
                        actor_id: None,
                        actor_name: "mail worker".to_owned(),
                        action: "invitation.send".to_owned(),
                        target: format!("invitation {id}"),
                        detail: format!("to {address}"),
                    })
                    .await?;
                queue
                    .account_mail_done(item.id, "sent", domain::now(), None)
                    .await
            }
            Err(e) => {
                self.metrics.failures.inc();
                tracing::warn!(invitation = id, error = %e, "invitation e-mail failed");
                self.account_mail_failed(item, &e).await
            }
        }
    }

    async fn send_invitation(
        &self,
        invitation: &links::Invitation,
        address: &str,
        token: &str,
    ) -> Result<(), super::MailError> {
        let link = format!(
            "{}{}",
            self.config.base_url(),
            crate::urls::invitation(&self.config.url_prefix, token)
        );
        let rooms: Vec<String> = invitation.rooms.iter().map(|(_, s)| s.clone()).collect();
        let expires = invitation.expires_at - domain::now();
        // No account yet, so no language of its own: the site's first.
        let language = self
            .config
            .languages
            .first()
            .copied()
            .unwrap_or(crate::domain::language::Language::English);
        let (subject, text, html) = self.account_mail(language, None, "invitation", || {
            context! {
                link,
                rooms,
                by => invitation.created_by_name.clone(),
                lifetime => crate::web::i18n::duration(expires.max(60)),
            }
        })?;
        self.mailer.send(address, &subject, text, Some(html)).await
    }
}
