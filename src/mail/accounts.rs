//! Account e-mails from the durable queue (`account_mail`): password reset
//! links and invitations. For a reset the request only stored what was
//! entered; here the account is looked up, counted against its own
//! throttle (`RESET_REQUESTS_PER_HOUR`), given a fresh link and sent it.
//! Nothing is sent for an entry that names no account, or an account
//! without an address. An invitation is given a fresh token as it is sent
//! (`invitation.rs`), so its link is written nowhere but in the e-mail.

use minijinja::context;

use super::worker::{AlertSender, retry_after};
use crate::domain::links::AccountMailItem;
use crate::domain::{self, AuditEntry, User};
use crate::service::reset;
use crate::store::StoreError;

/// How long a node holds a row it is sending.
const CLAIM_SECS: i64 = 120;
/// Attempts before a reset e-mail is given up (the link would be stale).
const MAX_ATTEMPTS: i64 = 5;

impl AlertSender {
    /// Sends the account e-mails due now; answers how many rows it handled.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn send_account_mail(&self) -> Result<usize, StoreError> {
        let now = domain::now();
        let due = self.store.account_mail().due_account_mail(now, 20).await?;
        for item in &due {
            self.deliver_account_mail(item).await?;
        }
        Ok(due.len())
    }

    async fn deliver_account_mail(&self, item: &AccountMailItem) -> Result<(), StoreError> {
        let now = domain::now();
        let queue = self.store.account_mail();
        if !queue
            .claim_account_mail(item.id, now, now + CLAIM_SECS)
            .await?
        {
            return Ok(());
        }
        if item.kind == crate::service::invitations::MAIL_KIND {
            return self.deliver_invitation(item).await;
        }
        if item.kind != reset::KIND {
            return queue
                .account_mail_done(item.id, "cancelled", now, Some("unknown kind"))
                .await;
        }
        let accounts = self.store.links().reset_accounts(&item.entered).await?;
        if accounts.is_empty() {
            return queue
                .account_mail_done(item.id, "cancelled", now, Some("no such account"))
                .await;
        }
        let mut sent = 0;
        let mut notes = Vec::new();
        for user in &accounts {
            let Some(address) = user.email.as_deref() else {
                notes.push(format!("{}: no address", user.username));
                continue;
            };
            if !self.reset_allowed(user.id).await {
                tracing::warn!(user = %user.username, "reset e-mails throttled for this account");
                notes.push(format!("{}: throttled", user.username));
                continue;
            }
            let (token, link_id) =
                reset::issue(&self.store, user.id, self.config.accounts.reset_link_secs).await?;
            match self.send_reset(user, address, &token).await {
                Ok(()) => {
                    sent += 1;
                    tracing::info!(user = %user.username, "password reset e-mail sent");
                    self.store
                        .audit()
                        .record_audit(AuditEntry {
                            at: domain::now(),
                            actor_id: None,
                            actor_name: "mail worker".to_owned(),
                            action: "reset.send".to_owned(),
                            target: user.username.clone(),
                            detail: format!("reset link {link_id}"),
                        })
                        .await?;
                }
                Err(e) => {
                    // A link nobody received must not stay usable.
                    self.store
                        .links()
                        .revoke_reset(link_id, domain::now())
                        .await?;
                    self.metrics.failures.inc();
                    tracing::warn!(user = %user.username, error = %e, "password reset e-mail failed");
                    return self.account_mail_failed(item, &e).await;
                }
            }
        }
        let status = if sent > 0 { "sent" } else { "cancelled" };
        let note = notes.join("; ");
        queue
            .account_mail_done(
                item.id,
                status,
                domain::now(),
                Some(note.as_str()).filter(|n| !n.is_empty()),
            )
            .await
    }

    /// Puts a failed e-mail back in the queue for a later attempt, or
    /// gives it up after the last one.
    pub(super) async fn account_mail_failed(
        &self,
        item: &AccountMailItem,
        e: &super::MailError,
    ) -> Result<(), StoreError> {
        let queue = self.store.account_mail();
        if item.attempts + 1 >= MAX_ATTEMPTS {
            return queue
                .account_mail_done(item.id, "cancelled", domain::now(), Some(&e.to_string()))
                .await;
        }
        let wait = retry_after(self.config.mail_retry_secs, item.attempts);
        queue
            .account_mail_failed(item.id, domain::now() + wait, &e.to_string())
            .await
    }

    /// Counts one reset e-mail against the account (shared by every node);
    /// a throttle that cannot be asked lets it through.
    async fn reset_allowed(&self, user_id: i64) -> bool {
        let per_hour = self.config.limits.resets_per_hour.max(1);
        let interval = 3_600_000_000 / i64::from(per_hour);
        let now_micros = domain::now().saturating_mul(1_000_000);
        match self
            .store
            .throttles()
            .take(
                &format!("reset-account:{user_id}"),
                now_micros,
                interval,
                per_hour,
            )
            .await
        {
            Ok(None) => true,
            Ok(Some(_)) => false,
            Err(e) => {
                tracing::warn!(error = %crate::error_chain(&e), "reset throttle unavailable");
                true
            }
        }
    }

    async fn send_reset(
        &self,
        user: &User,
        address: &str,
        token: &str,
    ) -> Result<(), super::MailError> {
        let base = self.config.base_url();
        let link = format!(
            "{base}{}",
            crate::urls::reset(&self.config.url_prefix, token)
        );
        let minutes = self.config.accounts.reset_link_secs / 60;
        // In the recipient's language.
        let language = crate::web::i18n::for_recipient(user, &self.config.languages);
        let (subject, text, html) =
            self.account_mail(language, user.time_zone.as_deref(), "reset", || {
                context! {
                    username => user.username.clone(),
                    link,
                    lifetime => crate::web::i18n::duration(minutes * 60),
                }
            })?;
        self.mailer.send(address, &subject, text, Some(html)).await
    }

    /// An account e-mail's subject (`mail-NAME-subject`), text part
    /// (`mail/NAME.txt`) and HTML part (`mail/NAME.html`), written in
    /// `language` and `zone`; `ctx` is made there too, so the durations
    /// and times it words are in that language.
    pub(super) fn account_mail(
        &self,
        language: crate::domain::language::Language,
        zone: Option<&str>,
        name: &str,
        ctx: impl FnOnce() -> minijinja::Value,
    ) -> Result<(String, String, String), super::MailError> {
        crate::web::i18n::in_locale(language, zone, || {
            let ctx = ctx();
            let render = |file: String| {
                self.templates
                    .get_template(&file)
                    .and_then(|t| t.render(&ctx))
                    .map_err(|e| super::MailError::Build(format!("template {file}: {e}")))
            };
            Ok((
                crate::web::i18n::text(&format!("mail-{name}-subject"), None),
                render(format!("mail/{name}.txt"))?,
                render(format!("mail/{name}.html"))?,
            ))
        })
    }
}
