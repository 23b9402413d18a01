//! The outbox worker: sends queued alert e-mails with retries.
//!
//! Delivery is at-least-once: a row is marked sent only after the server
//! accepted the e-mail, so a crash between the two sends it again after a
//! restart; in normal operation each alert goes out once. Nodes never send
//! the same row at the same time: each claims a row for a while first.

use std::sync::Arc;
use std::time::Duration;

use minijinja::{Environment, context};

use super::{MailError, Mailer, Signer};
use crate::config::Config;
use crate::domain;
use crate::domain::OutboxItem;
use crate::domain::notify::{Channel, Decision, Level, Outcome as NotifyOutcome, reason};
use crate::store::{Store, StoreError};

/// How long a node holds a row it is sending.
const CLAIM_SECS: i64 = 120;
/// Longest wait between two attempts.
const MAX_RETRY_SECS: i64 = 3_600;
/// Seconds between trims of the notification record.
const PRUNE_EVERY_TICKS: u64 = 300;

/// What the worker needs.
#[derive(Clone)]
pub struct AlertSender {
    pub store: Store,
    pub mailer: Mailer,
    pub signer: Signer,
    pub templates: Arc<Environment<'static>>,
    pub config: Arc<Config>,
    /// Deliveries and failures, for the metrics.
    pub metrics: crate::metrics::MailMetrics,
}

/// What happened to one outbox row.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Cancelled(&'static str),
    Retry(String),
    Skipped,
}

impl AlertSender {
    /// Sends everything due now; returns how many rows it handled.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let now = domain::now();
        let due = self.store.outbox().due_alerts(now, 20).await?;
        let count = due.len();
        for item in due {
            let outcome = self.deliver(&item).await?;
            match &outcome {
                Outcome::Sent => {
                    self.metrics.sent.inc();
                    tracing::info!(id = item.id, to = %item.recipient, "alert e-mail sent");
                }
                Outcome::Cancelled(why) => {
                    tracing::info!(id = item.id, reason = why, "alert e-mail cancelled")
                }
                Outcome::Retry(e) => {
                    self.metrics.failures.inc();
                    tracing::warn!(id = item.id, attempts = item.attempts + 1, error = %e, "alert e-mail failed; will retry")
                }
                Outcome::Skipped => {}
            }
        }
        Ok(count)
    }

    /// Runs until `stop` flips, checking the outbox every second (and
    /// trimming the notification record every few minutes).
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks: u64 = 0;
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tick.tick() => {
                    if let Err(e) = self.run_once().await {
                        tracing::warn!(error = %crate::error_chain(&e), "outbox check failed");
                    }
                    if let Err(e) = self.send_account_mail().await {
                        tracing::warn!(error = %crate::error_chain(&e), "account mail check failed");
                    }
                    ticks += 1;
                    if ticks % PRUNE_EVERY_TICKS == 1
                        && let Err(e) = self
                            .store
                            .reading()
                            .prune_notifications(crate::service::chat::NOTIFICATIONS_KEPT)
                            .await
                    {
                        tracing::warn!(error = %crate::error_chain(&e), "trimming notification decisions failed");
                    }
                }
            }
        }
    }

    async fn deliver(&self, item: &OutboxItem) -> Result<Outcome, StoreError> {
        let now = domain::now();
        if !self
            .store
            .outbox()
            .claim_alert(item.id, now, now + CLAIM_SECS)
            .await?
        {
            return Ok(Outcome::Skipped);
        }
        // The rule may have changed its mind while the e-mail waited.
        let member = match self.store.rooms().member(item.room_id, item.user_id).await {
            Ok(m) => m,
            Err(StoreError::NotFound) => return self.cancel(item, reason::LEFT_ROOM).await,
            Err(e) => return Err(e),
        };
        if !member.mail_alert {
            return self.cancel(item, reason::MAIL_OFF).await;
        }
        if member.notify == Level::None {
            return self.cancel(item, reason::LEVEL_NONE).await;
        }
        if member
            .presence
            .last_seen
            .is_some_and(|seen| seen > item.created_at)
        {
            return self.cancel(item, reason::CAME_BACK).await;
        }
        let result = match self.compose(item, member.notify).await {
            Ok(Some((subject, text, html))) => {
                self.mailer
                    .send(&item.recipient, &subject, text, Some(html))
                    .await
            }
            // Everything it would tell was read meanwhile, elsewhere.
            Ok(None) => return self.cancel(item, reason::READ_ELSEWHERE).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                let now = domain::now();
                self.store.outbox().alert_sent(item.id, now).await?;
                self.decided(item, NotifyOutcome::Sent, reason::DELIVERED)
                    .await;
                Ok(Outcome::Sent)
            }
            Err(MailError::Address(a)) => {
                self.cancel_with(item, format!("invalid address {a}")).await
            }
            Err(e) => {
                let wait = retry_after(self.config.mail_retry_secs, item.attempts);
                let now = domain::now();
                self.store
                    .outbox()
                    .alert_failed(item.id, now, now + wait, &e.to_string())
                    .await?;
                Ok(Outcome::Retry(e.to_string()))
            }
        }
    }

    async fn cancel(&self, item: &OutboxItem, why: &'static str) -> Result<Outcome, StoreError> {
        self.store.outbox().alert_cancelled(item.id, why).await?;
        self.decided(item, NotifyOutcome::Skipped, why).await;
        Ok(Outcome::Cancelled(why))
    }

    async fn cancel_with(&self, item: &OutboxItem, why: String) -> Result<Outcome, StoreError> {
        self.store.outbox().alert_cancelled(item.id, &why).await?;
        self.decided(item, NotifyOutcome::Skipped, reason::BAD_ADDRESS)
            .await;
        Ok(Outcome::Cancelled("invalid address"))
    }

    /// Keeps the final decision for the member's notification page.
    async fn decided(&self, item: &OutboxItem, outcome: NotifyOutcome, why: &'static str) {
        let decision = Decision {
            at: domain::now(),
            user_id: item.user_id,
            room_id: item.room_id,
            message_id: item.first_message_id,
            channel: Channel::Email,
            outcome,
            reason: why,
        };
        if let Err(e) = self.store.reading().record_notifications(&[decision]).await {
            tracing::warn!(error = %crate::error_chain(&e), "recording a notification decision failed");
        }
    }

    /// Subject, text and HTML of an alert: the messages missed so far that
    /// the member has not read since (on any device) and wants to hear of;
    /// `None` when none is left.
    async fn compose(
        &self,
        item: &OutboxItem,
        level: Level,
    ) -> Result<Option<(String, String, String)>, MailError> {
        let store_err = |e: StoreError| MailError::Build(e.to_string());
        let room = self
            .store
            .rooms()
            .room_by_id(item.room_id)
            .await
            .map_err(store_err)?;
        let user = self
            .store
            .accounts()
            .user_by_id(item.user_id)
            .await
            .map_err(store_err)?;
        let limit = self.config.mail_digest_messages;
        // The read cursor as it stands now, not as it stood when queued.
        let read = self
            .store
            .reading()
            .read_cursor(item.room_id, item.user_id)
            .await
            .map_err(store_err)?;
        let after = (item.first_message_id - 1).max(read);
        let mut messages = self
            .store
            .messages()
            .messages_after(item.room_id, after, crate::service::chat::BATCH_LIMIT)
            .await
            .map_err(store_err)?;
        messages.retain(|m| {
            m.deleted.is_none()
                && m.user_id != item.user_id
                && level.wants(m.mentions.iter().any(|u| u == &user.username))
        });
        if messages.is_empty() {
            return Ok(None);
        }
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        let base = self.config.base_url();
        let prefix = &self.config.url_prefix;
        let room_url = format!("{base}{}", crate::urls::room(prefix, &room.slug));
        let token = self.signer.unsubscribe_token(room.id, user.id);
        let unsubscribe_url = format!(
            "{base}{}",
            crate::urls::unsubscribe(prefix, room.id, user.id, &token)
        );
        // In the recipient's language, times in their zone (else UTC).
        let language = crate::web::i18n::for_recipient(&user, &self.config.languages);
        let zone = user.time_zone.as_deref();
        let items: Vec<_> = messages
            .iter()
            .map(|m| {
                let when = crate::domain::time_zone::local_time(m.time, zone);
                // Markdown read as plain text for the text part, and drawn
                // by the page's own safe renderer for the HTML part.
                let file = m.file.as_ref().map(|f| format!("(file: {})", f.name));
                let (text, html) = if m.content.trim().is_empty() {
                    let file = file.unwrap_or_default();
                    let html = crate::domain::render::escape(&file);
                    (file, html)
                } else {
                    let mut text = crate::domain::render::plain_text(&m.content);
                    let mut html = crate::domain::render::render_markdown(&m.content);
                    if let Some(file) = file {
                        text = format!("{text}\n{file}");
                        html = format!("{html}<p>{}</p>", crate::domain::render::escape(&file));
                    }
                    (text, html)
                };
                context! { user => m.username.clone(), when, text, html }
            })
            .collect();
        let ctx = context! {
            room_title => room.title.clone(), room_url, unsubscribe_url, username => user.username.clone(),
            messages => items, more,
        };
        let render = |name: &str| {
            self.templates
                .get_template(name)
                .and_then(|t| t.render(&ctx))
                .map_err(|e| MailError::Build(format!("template {name}: {e}")))
        };
        crate::web::i18n::in_locale(language, zone, || {
            let text = render("mail/alert.txt")?;
            let html = render("mail/alert.html")?;
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("room", room.title.clone());
            let subject = crate::web::i18n::text("mail-alert-subject", Some(&args));
            Ok(Some((subject, text, html)))
        })
    }
}

/// Exponential back-off: base, 2×base, 4×base… capped at an hour.
#[must_use]
pub fn retry_after(base: u64, attempts: i64) -> i64 {
    let base = i64::try_from(base).unwrap_or(30).max(1);
    let factor = 1_i64 << attempts.clamp(0, 16);
    base.saturating_mul(factor).min(MAX_RETRY_SECS)
}

#[cfg(test)]
mod tests {
    use super::retry_after;

    #[test]
    fn back_off_doubles_and_is_capped() {
        assert_eq!(retry_after(30, 0), 30);
        assert_eq!(retry_after(30, 1), 60);
        assert_eq!(retry_after(30, 3), 240);
        assert_eq!(retry_after(30, 40), 3_600);
    }
}
