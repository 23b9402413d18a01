//! The push worker: turns new messages into queued pushes (the scan) and
//! sends the pushes that are due (the delivery), once a second on every
//! node.
//!
//! The scan reads each room's messages after its cursor, off the posting
//! path, and decides with [`crate::domain::push::wants_push`]; moving the
//! cursor and queueing happen in one transaction that only one node can
//! win. Delivery claims a row before sending it, as the e-mail outbox does,
//! and retries with the same back-off ([`crate::mail::worker::retry_after`]).
//! It is at-least-once: a crash between the push service's answer and the
//! row being marked sent sends that one notification again.

use std::sync::Arc;
use std::time::Duration;

use super::{Delivery, PushRequest, Vapid};
use crate::config::Config;
use crate::domain;
use crate::domain::notify::Level;
use crate::domain::push::{self as rule, News, PushItem, Queued};
use crate::store::{Store, StoreError};

/// How long a node holds a row it is sending: longer than a request may
/// take, and the wait before another node retries a push whose sender died.
const CLAIM_SECS: i64 = 30;
/// Messages a room's scan looks at per round.
const SCAN_BATCH: u32 = 200;
/// Seconds a push service has to answer.
const PUSH_TIMEOUT_SECS: u64 = 10;
/// Pushes a round sends at most.
const SEND_BATCH: u32 = 50;

/// What the worker needs.
#[derive(Clone)]
pub struct PushSender {
    pub store: Store,
    pub config: Arc<Config>,
    pub vapid: Vapid,
    /// The guarded client: the endpoint is an address a browser named.
    pub outbound: crate::outbound::Outbound,
}

/// What happened to one queued push.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// The push service said the subscription is gone; it was removed.
    Gone,
    Cancelled(&'static str),
    Retry(String),
    Skipped,
}

impl PushSender {
    /// Queues the pushes new messages cause; answers how many rooms it
    /// moved on.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn scan_once(&self) -> Result<usize, StoreError> {
        let push = self.store.push();
        let now = domain::now();
        let delay = i64::try_from(self.config.push_delay).unwrap_or(0);
        let max_age = i64::try_from(self.config.push_ttl).unwrap_or(i64::MAX);
        let mut moved = 0;
        for (room_id, scanned) in push.push_rooms().await? {
            let messages = push.push_messages(room_id, scanned, SCAN_BATCH).await?;
            let Some(to) = messages.last().map(|m| m.seq) else {
                continue;
            };
            let subscribers = push.push_subscribers(room_id).await?;
            let mut queued = Vec::new();
            if !subscribers.is_empty() {
                let members = self.store.rooms().members(room_id).await?;
                for m in &messages {
                    // Too old to be news (the site was down a long while).
                    if m.deleted.is_some() || now - m.time > max_age {
                        continue;
                    }
                    for member in members.iter().filter(|x| subscribers.contains(&x.user_id)) {
                        let mentioned = m.mentions.iter().any(|u| u == &member.username);
                        if rule::wants_push(member, m.user_id, mentioned, m.time) {
                            queued.push(Queued {
                                user_id: member.user_id,
                                room_id,
                                message_id: m.id,
                                mentioned,
                                at: m.time,
                                send_after: m.time + delay,
                            });
                        }
                    }
                }
            }
            if push.queue_pushes(room_id, (scanned, to), &queued).await? {
                moved += 1;
            }
        }
        Ok(moved)
    }

    /// Sends every push due now; answers what happened to each.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn send_once(&self) -> Result<Vec<Outcome>, StoreError> {
        let due = self
            .store
            .push()
            .due_pushes(domain::now(), SEND_BATCH)
            .await?;
        let mut outcomes = Vec::with_capacity(due.len());
        for item in due {
            let outcome = self.deliver(&item).await?;
            match &outcome {
                Outcome::Sent => {
                    tracing::info!(id = item.id, device = %item.subscription.device, "push sent")
                }
                Outcome::Gone => tracing::info!(id = item.id, "push subscription gone; removed"),
                Outcome::Cancelled(why) => {
                    tracing::info!(id = item.id, reason = why, "push cancelled")
                }
                Outcome::Retry(e) => {
                    tracing::warn!(id = item.id, attempts = item.attempts + 1, error = %e, "push failed; will retry")
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
                        tracing::warn!(error = %crate::error_chain(&e), "scanning for pushes failed");
                    }
                    if let Err(e) = self.send_once().await {
                        tracing::warn!(error = %crate::error_chain(&e), "sending pushes failed");
                    }
                }
            }
        }
    }

    async fn deliver(&self, item: &PushItem) -> Result<Outcome, StoreError> {
        let push = self.store.push();
        let now = domain::now();
        if !push.claim_push(item.id, now, now + CLAIM_SECS).await? {
            return Ok(Outcome::Skipped);
        }
        let ttl = i64::try_from(self.config.push_ttl).unwrap_or(i64::MAX);
        if item.created_at.saturating_add(ttl) < now {
            return self
                .cancel(item, "expired before the push service took it")
                .await;
        }
        let Some(payload) = self.compose(item, now).await? else {
            return self.cancel(item, "read or seen before it was sent").await;
        };
        let delivery = Delivery {
            ttl: self.config.push_ttl,
            urgency: if item.mentioned { "high" } else { "normal" },
            topic: format!("room{}", item.room_id),
            contact: &self.config.push_contact,
            // RFC 8292 §2: at most 24 hours; an hour is plenty for one request.
            expires: now + 3_600,
        };
        let request = match super::request(&self.vapid, &item.subscription, &payload, &delivery) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(id = item.id, error = %e, "push request cannot be built");
                return self.cancel(item, "the subscription is damaged").await;
            }
        };
        match self.post(request).await {
            Ok(status) if (200..300).contains(&status) => {
                push.push_sent(item, domain::now()).await?;
                Ok(Outcome::Sent)
            }
            Ok(404 | 410) => {
                push.drop_subscription(item.subscription.id).await?;
                Ok(Outcome::Gone)
            }
            Ok(status) if status == 429 || status >= 500 => {
                self.retry(item, format!("the push service answered {status}"))
                    .await
            }
            Ok(status) => {
                tracing::warn!(id = item.id, status, "the push service refused a push");
                self.cancel(item, "the push service refused it").await
            }
            Err(e) => self.retry(item, e).await,
        }
    }

    async fn retry(&self, item: &PushItem, error: String) -> Result<Outcome, StoreError> {
        let wait = crate::mail::worker::retry_after(self.config.push_retry_secs, item.attempts);
        self.store
            .push()
            .push_failed(item.id, domain::now() + wait, &error)
            .await?;
        Ok(Outcome::Retry(error))
    }

    async fn cancel(&self, item: &PushItem, why: &'static str) -> Result<Outcome, StoreError> {
        self.store.push().push_cancelled(item.id, why).await?;
        Ok(Outcome::Cancelled(why))
    }

    /// The notification's JSON: the messages since the member last read the
    /// room that they want to hear of, as they stand now; `None` when none
    /// is left, the member left, or is back in the room.
    async fn compose(&self, item: &PushItem, now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let user_id = item.subscription.user_id;
        let member = match self.store.rooms().member(item.room_id, user_id).await {
            Ok(m) => m,
            Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        if member.notify == Level::None || member.presence.is_active(now) {
            return Ok(None);
        }
        let read = self
            .store
            .reading()
            .read_cursor(item.room_id, user_id)
            .await?;
        let after = (item.first_message_id - 1).max(read);
        let mut messages = self
            .store
            .messages()
            .messages_after(item.room_id, after, crate::service::chat::BATCH_LIMIT)
            .await?;
        messages.retain(|m| {
            m.deleted.is_none()
                && m.user_id != user_id
                && m.id <= item.last_message_id
                && member
                    .notify
                    .wants(m.mentions.iter().any(|u| u == &member.username))
        });
        let Some(newest) = messages.last() else {
            return Ok(None);
        };
        let mentioned = messages
            .iter()
            .any(|m| m.mentions.iter().any(|u| u == &member.username));
        let room = self.store.rooms().room_by_id(item.room_id).await?;
        let unread = self
            .store
            .reading()
            .room_news(user_id)
            .await?
            .iter()
            .map(|n| n.unread)
            .sum();
        let text = if newest.content.trim().is_empty() {
            newest
                .file
                .as_ref()
                .map(|f| format!("(file: {})", f.name))
                .unwrap_or_default()
        } else {
            domain::render::plain_text(&newest.content)
        };
        // A path: the service worker opens it on the site it serves.
        let room_url = format!(
            "{}#cv-unread",
            crate::urls::room(&self.config.url_prefix, &room.slug)
        );
        let notification = rule::notification(&News {
            room_slug: &room.slug,
            room_title: &room.title,
            room_url,
            author: &newest.username,
            text: &text,
            messages: i64::try_from(messages.len()).unwrap_or(i64::MAX),
            mentioned,
            unread,
            show_content: self.config.push_content,
        });
        Ok(serde_json::to_vec(&notification).ok())
    }

    /// Posts the request through the shared, guarded outbound client;
    /// answers the push service's status.
    async fn post(&self, request: PushRequest) -> Result<u16, String> {
        let mut outgoing = crate::outbound::Request::post(&request.endpoint, request.body);
        for (name, value) in request.headers {
            let value = axum::http::HeaderValue::from_str(&value).map_err(|e| e.to_string())?;
            outgoing
                .headers
                .insert(axum::http::HeaderName::from_static(name), value);
        }
        // A push service answers in a moment; a slow one is retried later.
        outgoing.limits.timeout = Duration::from_secs(PUSH_TIMEOUT_SECS);
        outgoing.limits.max_bytes = 64 * 1024;
        match self.outbound.send(outgoing).await {
            Ok(answer) => Ok(answer.status),
            Err(e) => Err(e.to_string()),
        }
    }
}
