//! Outgoing webhooks (`docs/integrations.md`): an administrator gives a bot
//! a URL; messages meant for the bot (an @mention in a room it belongs to,
//! anything in a direct room with it) are POSTed there, signed, and a
//! `{"text": …}` answer is posted back into the room as the bot.
//!
//! Off the posting path, as Web Push is: once a second every node scans the
//! rooms' new messages after a shared cursor and queues deliveries in the
//! transaction that moves it (only one node can), then sends the due ones,
//! each claimed for a while first, so two nodes never send one at once and
//! a node that dies mid-send leaves it to be sent again. Failures are
//! retried with the e-mail outbox's back-off up to a number of attempts;
//! a refusal (`4xx` but `408` and `429`) is final.

use std::sync::Arc;
use std::time::Duration;

use super::ServiceError;
use super::admin::Admin;
use super::chat::{Chat, Draft};
use crate::config::Config;
use crate::domain::outgoing::{
    self as rule, Attempt, Author, Delivery, NewDelivery, OutgoingHook, Payload, PayloadMessage,
    Verdict,
};
use crate::domain::{self, User};
use crate::outbound::{Outbound, OutboundError};
use crate::store::StoreError;

/// Longest URL an outgoing webhook may have.
pub const MAX_URL_CHARS: usize = 2_000;
/// Messages a room's scan looks at per round.
const SCAN_BATCH: u32 = 200;
/// Deliveries a round sends at most.
const SEND_BATCH: u32 = 50;
/// How much longer than the request's time limit a claim lasts: the wait
/// before another node sends a delivery whose sender died.
const CLAIM_SLACK_SECS: i64 = 20;

/// A new outgoing webhook's signing secret, the only time it is seen.
#[derive(Debug, Clone)]
pub struct IssuedSecret(pub String);

impl Admin<'_> {
    /// Gives `bot_name` the outgoing webhook `url` with a fresh signing
    /// secret (replacing any it had); an empty URL takes it away. Both in
    /// the audit log.
    ///
    /// # Errors
    /// `NotFound` for no such bot; `Invalid` for a URL the outbound guard
    /// refuses (not `http`/`https`, or a literal address on a network the
    /// server may not reach).
    pub async fn set_outgoing_hook(
        &self,
        outbound: &Outbound,
        bot_name: &str,
        url: &str,
    ) -> Result<Option<IssuedSecret>, ServiceError> {
        let bot = self.bot(bot_name).await?;
        let url = url.trim();
        if url.is_empty() {
            return match self
                .chat
                .store
                .outgoing()
                .remove_outgoing_hook(bot.id)
                .await
            {
                Ok(()) => {
                    self.audit("bot.outgoing.remove", &bot.username, String::new())
                        .await?;
                    Ok(None)
                }
                Err(StoreError::NotFound) => Err(ServiceError::NotFound(
                    "This bot has no outgoing webhook.".to_owned(),
                )),
                Err(e) => Err(e.into()),
            };
        }
        check_url(outbound, url)?;
        let by = self.actor_id();
        let secret = format!("cvhook_{}", crate::random_hex(24));
        self.chat
            .store
            .outgoing()
            .set_outgoing_hook(bot.id, url, &secret, by, domain::now())
            .await?;
        self.audit("bot.outgoing.set", &bot.username, url.to_owned())
            .await?;
        Ok(Some(IssuedSecret(secret)))
    }

    /// Every bot's outgoing webhook.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn outgoing_hooks(&self) -> Result<Vec<OutgoingHook>, ServiceError> {
        Ok(self.chat.store.outgoing().outgoing_hooks().await?)
    }
}

fn check_url(outbound: &Outbound, url: &str) -> Result<(), ServiceError> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err(ServiceError::Invalid(format!(
            "The URL must be at most {MAX_URL_CHARS} characters."
        )));
    }
    match outbound.check(url) {
        Ok(_) => Ok(()),
        Err(OutboundError::Refused(_)) => Err(ServiceError::Invalid(
            "That address is on a network the server may not reach (see OUTBOUND_ALLOW_NETWORKS)."
                .to_owned(),
        )),
        Err(_) => Err(ServiceError::Invalid(
            "The URL must be an http or https address.".to_owned(),
        )),
    }
}

/// What happened to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered; the answer's reply was posted, if it had one.
    Sent {
        replied: bool,
    },
    Retry(String),
    Failed(String),
    /// Another node holds it.
    Skipped,
}

/// The outgoing webhook worker.
#[derive(Clone)]
pub struct OutgoingSender {
    pub chat: Arc<Chat>,
    pub config: Arc<Config>,
    /// The guarded client: the URL is one an administrator named.
    pub outbound: Outbound,
}

impl OutgoingSender {
    /// Queues the deliveries new messages cause; answers how many rooms it
    /// moved on. With no outgoing webhook at all it reads nothing more.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn scan_once(&self) -> Result<usize, StoreError> {
        let store = &self.chat.store;
        let hooks = store.outgoing().outgoing_hooks().await?;
        if hooks.is_empty() {
            return Ok(0);
        }
        let bots: Vec<i64> = store
            .integrations()
            .bots()
            .await?
            .iter()
            .map(|b| b.user_id)
            .collect();
        let now = domain::now();
        let mut moved = 0;
        for (room_id, scanned, last_seq, hooked) in store.outgoing().outgoing_rooms().await? {
            // No bot with a URL here: only the cursor moves.
            let (to, queued) = if hooked {
                self.wanted(room_id, scanned, last_seq, &hooks, &bots)
                    .await?
            } else {
                (last_seq, Vec::new())
            };
            if store
                .outgoing()
                .queue_deliveries(room_id, (scanned, to), &queued, now)
                .await?
            {
                moved += 1;
            }
        }
        Ok(moved)
    }

    /// The deliveries a room's messages after `scanned` cause, and the
    /// position the scan got to.
    async fn wanted(
        &self,
        room_id: i64,
        scanned: i64,
        last_seq: i64,
        hooks: &[OutgoingHook],
        bots: &[i64],
    ) -> Result<(i64, Vec<NewDelivery>), StoreError> {
        let store = &self.chat.store;
        let messages = store
            .push()
            .push_messages(room_id, scanned, SCAN_BATCH)
            .await?;
        // None left (a cleared room): the cursor jumps to the end.
        let Some(to) = messages.last().map(|m| m.seq) else {
            return Ok((last_seq, Vec::new()));
        };
        let members = store.rooms().members(room_id).await?;
        let direct = store.directory().is_direct(room_id).await?;
        let mut queued = Vec::new();
        for hook in hooks
            .iter()
            .filter(|h| members.iter().any(|m| m.user_id == h.bot_id))
        {
            for m in &messages {
                if m.deleted.is_none()
                    && m.user_id != hook.bot_id
                    && rule::wants(hook, bots.contains(&m.user_id), &m.mentions, direct, m.time)
                {
                    queued.push(NewDelivery {
                        bot_id: hook.bot_id,
                        room_id,
                        message_id: m.id,
                        at: m.time,
                    });
                }
            }
        }
        Ok((to, queued))
    }

    /// Sends every delivery due now; answers what happened to each.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn send_once(&self) -> Result<Vec<Outcome>, StoreError> {
        let due = self
            .chat
            .store
            .outgoing()
            .due_deliveries(domain::now(), SEND_BATCH)
            .await?;
        let mut outcomes = Vec::with_capacity(due.len());
        for delivery in due {
            let outcome = self.deliver(&delivery).await?;
            match &outcome {
                Outcome::Sent { replied } => {
                    tracing::info!(id = delivery.id, bot = %delivery.hook.bot_name, replied, "outgoing webhook delivered");
                }
                Outcome::Retry(e) => {
                    tracing::warn!(id = delivery.id, bot = %delivery.hook.bot_name, attempts = delivery.attempts + 1, error = %e, "outgoing webhook failed; will retry");
                }
                Outcome::Failed(e) => {
                    tracing::warn!(id = delivery.id, bot = %delivery.hook.bot_name, error = %e, "outgoing webhook failed; given up");
                }
                Outcome::Skipped => {}
            }
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// Runs until `stop` flips: a scan and a delivery round every second.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tick.tick() => {
                    if let Err(e) = self.scan_once().await {
                        tracing::warn!(error = %crate::error_chain(&e), "scanning for outgoing webhooks failed");
                    }
                    if let Err(e) = self.send_once().await {
                        tracing::warn!(error = %crate::error_chain(&e), "sending outgoing webhooks failed");
                    }
                }
            }
        }
    }

    async fn deliver(&self, delivery: &Delivery) -> Result<Outcome, StoreError> {
        let store = &self.chat.store;
        let now = domain::now();
        let timeout = self.config.outgoing_timeout_secs.max(1);
        let until = now + i64::try_from(timeout).unwrap_or(60) + CLAIM_SLACK_SECS;
        if !store
            .outgoing()
            .claim_delivery(delivery.id, now, until)
            .await?
        {
            return Ok(Outcome::Skipped);
        }
        // Queued before the bot was deactivated: nothing more goes out for it.
        let active = match store.accounts().user_by_id(delivery.hook.bot_id).await {
            Ok(bot) => bot.is_active,
            Err(StoreError::NotFound) => false,
            Err(e) => return Err(e),
        };
        if !active {
            let attempt = Attempt::Failed {
                error: "the bot was deactivated before it was delivered".to_owned(),
            };
            return self.record(delivery, None, attempt).await;
        }
        let Some(body) = self.payload(delivery).await? else {
            // The message or its room is gone: nothing to tell.
            let attempt = Attempt::Failed {
                error: "the message was deleted before it was delivered".to_owned(),
            };
            return self.record(delivery, None, attempt).await;
        };
        let mut request = crate::outbound::Request::post(&delivery.hook.url, body.clone());
        let headers = &mut request.headers;
        let stamp = domain::now();
        let signature = rule::sign(&delivery.hook.secret, stamp, &body);
        for (name, value) in [
            ("content-type", "application/json".to_owned()),
            (rule::TIMESTAMP_HEADER, stamp.to_string()),
            (rule::SIGNATURE_HEADER, signature),
            (rule::DELIVERY_HEADER, delivery.id.to_string()),
        ] {
            if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
                headers.insert(axum::http::HeaderName::from_static(name), value);
            }
        }
        request.limits.timeout = Duration::from_secs(timeout);
        request.limits.max_bytes = rule::MAX_ANSWER_BYTES;
        let (status, error) = match self.outbound.send(request).await {
            Ok(answer) => match rule::verdict(answer.status) {
                Verdict::Done => {
                    let replied = self.reply(delivery, &answer.body).await;
                    self.record(delivery, Some(answer.status), Attempt::Sent)
                        .await?;
                    return Ok(Outcome::Sent { replied });
                }
                Verdict::Retry => (
                    Some(answer.status),
                    Err(format!("the bot's URL answered {}", answer.status)),
                ),
                Verdict::Permanent => (
                    Some(answer.status),
                    Ok(format!("the bot's URL refused it ({})", answer.status)),
                ),
            },
            // The guard's refusal will not change by waiting.
            Err(e @ (OutboundError::Refused(_) | OutboundError::BadUrl(_))) => {
                (None, Ok(e.to_string()))
            }
            Err(e) => (None, Err(e.to_string())),
        };
        let attempts = delivery.attempts + 1;
        let attempt = match error {
            Ok(error) => Attempt::Failed { error },
            Err(error) if attempts >= i64::from(self.config.outgoing_max_attempts) => {
                Attempt::Failed {
                    error: format!("{error}; gave up after {attempts} attempts"),
                }
            }
            Err(error) => Attempt::Retry {
                error,
                at: domain::now()
                    + crate::mail::worker::retry_after(
                        self.config.outgoing_retry_secs,
                        delivery.attempts,
                    ),
            },
        };
        self.record(delivery, status, attempt).await
    }

    async fn record(
        &self,
        delivery: &Delivery,
        status: Option<u16>,
        attempt: Attempt,
    ) -> Result<Outcome, StoreError> {
        self.chat
            .store
            .outgoing()
            .delivery_done(delivery, domain::now(), status, &attempt)
            .await?;
        Ok(match attempt {
            Attempt::Sent => Outcome::Sent { replied: false },
            Attempt::Retry { error, .. } => Outcome::Retry(error),
            Attempt::Failed { error } => Outcome::Failed(error),
        })
    }

    /// The JSON body of a delivery; `None` when its message is gone.
    async fn payload(&self, delivery: &Delivery) -> Result<Option<Vec<u8>>, StoreError> {
        let store = &self.chat.store;
        let message = match store
            .messages()
            .message(delivery.room_id, delivery.message_id)
            .await
        {
            Ok(m) if m.deleted.is_none() => m,
            Ok(_) | Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let room = match store.rooms().room_by_id(delivery.room_id).await {
            Ok(r) => r,
            Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let direct = store.directory().is_direct(room.id).await?;
        let display_name = store.outgoing().display_name(message.user_id).await?;
        let prefix = &self.config.url_prefix;
        let absolute = |path: String| match &self.config.public_url {
            Some(public) => format!("{}{path}", public.trim_end_matches('/')),
            None => path,
        };
        let payload = Payload {
            kind: "message",
            delivery: delivery.id,
            bot: delivery.hook.bot_name.clone(),
            message: PayloadMessage {
                id: message.id,
                room: room.slug.clone(),
                direct,
                user: Author {
                    username: message.username.clone(),
                    display_name,
                },
                text: message.content.clone(),
                time: message.time,
                url: absolute(crate::urls::message(prefix, &room.slug, message.id)),
            },
            reply_url: absolute(format!(
                "{}api/send/",
                crate::urls::room(prefix, &room.slug)
            )),
        };
        Ok(serde_json::to_vec(&payload).ok())
    }

    /// Posts an answer's `text` into the room as the bot, answering the
    /// message, through the ordinary send (every transport, mentions,
    /// alerts and pushes). Its `client_id` names the delivery, so a
    /// delivery sent again after a crash does not post twice.
    async fn reply(&self, delivery: &Delivery, body: &[u8]) -> bool {
        let Some(text) = rule::reply_text(body) else {
            return false;
        };
        let posted = async {
            let bot: User = self
                .chat
                .store
                .accounts()
                .user_by_id(delivery.hook.bot_id)
                .await?;
            if !bot.is_active {
                return Err(ServiceError::Forbidden("the bot is deactivated".to_owned()));
            }
            let room = self.chat.store.rooms().room_by_id(delivery.room_id).await?;
            let access = self.chat.open(&bot, &room.slug).await?;
            self.chat
                .post(
                    &access,
                    Draft {
                        content: text,
                        client_id: Some(format!("outgoing-hook-{}", delivery.id)),
                        reply_to: Some(delivery.message_id),
                        ..Draft::default()
                    },
                )
                .await
        }
        .await;
        match posted {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(id = delivery.id, bot = %delivery.hook.bot_name, error = %crate::error_chain(&e), "an outgoing webhook's reply was not posted");
                false
            }
        }
    }
}
