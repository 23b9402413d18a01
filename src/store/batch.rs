//! What a batch of messages taken by group commit writes beside the
//! messages themselves, worked out once in Rust for both backends' bulk
//! statements (`sqlite/bulk.rs`, `postgres/bulk.rs`): each backend only
//! hands these rows to its database in its own way.

use std::collections::{HashMap, HashSet};

use crate::domain::alerts::{self, Sent};
use crate::domain::{Member, PresenceUpdate};
use crate::store::{NewMessage, Posted, StoreError};

/// The batch's `(room, user, client_id)` keys; `None` when one repeats
/// inside the batch (the one-by-one path answers the repeat with the first).
pub(super) fn client_keys(messages: &[NewMessage]) -> Option<Vec<(i64, i64, &str)>> {
    let mut seen = HashSet::new();
    let keys: Vec<(i64, i64, &str)> = messages
        .iter()
        .filter_map(|m| Some((m.room_id, m.user_id, m.client_id.as_deref()?)))
        .collect();
    keys.iter().all(|k| seen.insert(*k)).then_some(keys)
}

/// The batch's rooms, each once, in id order (the order PostgreSQL locks
/// them in).
pub(super) fn room_ids(messages: &[NewMessage]) -> Vec<i64> {
    let mut ids: Vec<i64> = messages.iter().map(|m| m.room_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Hands out each message's `(seq, pos)` after its room's `last`
/// `(last_seq, last_pos)`, which it moves along; every room of the batch
/// must be in `last`.
pub(super) fn assign_seqs(
    messages: &[NewMessage],
    last: &mut HashMap<i64, (i64, i64)>,
) -> Vec<(i64, i64)> {
    messages
        .iter()
        .map(|m| {
            let (seq, pos) = last.entry(m.room_id).or_default();
            *seq += 1;
            *pos += 1;
            (*seq, *pos)
        })
        .collect()
}

/// A member's sign of life from the batch: their last message's presence,
/// and the read cursor moved to it (who writes has read the room).
#[derive(Debug, Clone)]
pub(super) struct PresenceRow<'a> {
    pub presence: &'a PresenceUpdate,
    pub read_id: i64,
    pub read_seq: i64,
}

/// One row per member who wrote in the batch, from their last message.
pub(super) fn presence_rows<'a>(
    messages: &'a [NewMessage],
    posted: &[Posted],
) -> Vec<PresenceRow<'a>> {
    let mut rows: HashMap<(i64, i64), PresenceRow<'a>> = HashMap::new();
    for (m, p) in messages.iter().zip(posted) {
        let pr = &m.presence;
        rows.insert(
            (pr.room_id, pr.user_id),
            PresenceRow {
                presence: pr,
                read_id: p.message.id,
                read_seq: p.message.seq,
            },
        );
    }
    let mut rows: Vec<PresenceRow<'a>> = rows.into_values().collect();
    // One order for every batch: PostgreSQL locks the rows as it goes.
    rows.sort_unstable_by_key(|r| (r.presence.room_id, r.presence.user_id));
    rows
}

/// `(user, room, message)` for each member a message mentions.
pub(super) fn mention_rows(messages: &[NewMessage], posted: &[Posted]) -> Vec<(i64, i64, i64)> {
    messages
        .iter()
        .zip(posted)
        .flat_map(|(m, p)| m.mentioned.iter().map(|&u| (u, m.room_id, p.message.id)))
        .collect()
}

/// A mail alert the batch queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AlertRow {
    pub room_id: i64,
    pub user_id: i64,
    pub at: i64,
    pub send_after: i64,
    pub recipient: String,
    pub first_message_id: i64,
}

/// The mail-alert rule ([`alerts::replay`]) for a whole batch, from the
/// `candidates` as they stood before it: notes each message's decisions and
/// alert count in `posted`, and answers the alerts to queue, in order.
///
/// # Errors
/// When the rule alerts for a message not in the batch (a bug).
pub(super) fn alert_rows(
    messages: &[NewMessage],
    mut candidates: Vec<Member>,
    posted: &mut [Posted],
) -> Result<Vec<AlertRow>, StoreError> {
    if candidates.is_empty() && messages.iter().all(|m| m.mentioned.is_empty()) {
        return Ok(Vec::new());
    }
    let sent: Vec<Sent<'_>> = messages
        .iter()
        .zip(posted.iter())
        .map(|(m, p)| Sent {
            message_id: p.message.id,
            time: m.time,
            presence: &m.presence,
            mentions: &m.mentioned,
            mail_delay: m.mail_delay,
        })
        .collect();
    let replayed = alerts::replay(&sent, &mut candidates);
    for d in replayed.decisions {
        if let Some(p) = posted.iter_mut().find(|p| p.message.id == d.message_id) {
            p.decisions.push(d);
        }
    }
    let mut rows = Vec::with_capacity(replayed.alerts.len());
    for a in replayed.alerts {
        let (i, m) = messages
            .iter()
            .enumerate()
            .find(|(i, _)| posted[*i].message.id == a.first_message_id)
            .ok_or_else(|| StoreError::other("an alert for a message not in the batch"))?;
        posted[i].alerts_queued += 1;
        rows.push(AlertRow {
            room_id: a.room_id,
            user_id: a.user_id,
            at: a.at,
            send_after: a.at + m.mail_delay,
            recipient: a.recipient,
            first_message_id: a.first_message_id,
        });
    }
    Ok(rows)
}

/// A scene and a batch both backends' bulk paths are tested on: the bulk
/// statements must store exactly what posting one by one stores.
#[cfg(test)]
pub(super) mod testing {
    use crate::domain::{Attachment, PresenceUpdate};
    use crate::store::{Accounts, Messages, NewMessage, NewUser, Outbox, Posted, Reading, Rooms};

    pub const NOW: i64 = 1_700_000_000;

    /// Alice, bob, carol and dave in `room`; bob and carol want mail alerts
    /// there and were last seen long ago. Alice and bob are also in `other`.
    pub struct Scene<B> {
        pub db: B,
        pub room: i64,
        pub other: i64,
        pub users: Vec<i64>,
    }

    impl<B: Accounts + Rooms> Scene<B> {
        pub async fn new(db: B) -> Self {
            let room = db.create_room("general", "General").await.expect("room").id;
            let other = db.create_room("other", "Other").await.expect("room").id;
            let mut users = Vec::new();
            for name in ["alice", "bob", "carol", "dave"] {
                let user = db
                    .create_user(NewUser {
                        username: name.to_owned(),
                        username_key: name.to_owned(),
                        email: Some(format!("{name}@example.com")),
                        password_hash: String::new(),
                        is_admin: false,
                        display_name: None,
                        created_at: NOW,
                    })
                    .await
                    .expect("user");
                db.add_member(room, user.id, "000000")
                    .await
                    .expect("member");
                users.push(user.id);
            }
            for &user in &users[..2] {
                db.add_member(other, user, "000000").await.expect("member");
            }
            for &away in &users[1..3] {
                db.set_alerts(room, away, true, true).await.expect("alerts");
                db.save_presence(PresenceUpdate {
                    room_id: room,
                    user_id: away,
                    last_seen: NOW - 1_000,
                    has_focus: false,
                    inactive_from: NOW - 900,
                    last_spoke: None,
                })
                .await
                .expect("presence");
            }
            Self {
                db,
                room,
                other,
                users,
            }
        }
    }

    pub fn message(room: i64, user: i64, at: i64, text: &str) -> NewMessage {
        NewMessage {
            room_id: room,
            user_id: user,
            username: format!("user{user}"),
            time: at,
            content: text.to_owned(),
            html: format!("<p>{text}</p>"),
            client_id: Some(format!("{user}-{text}")),
            file: None,
            mentions: Vec::new(),
            mentioned: Vec::new(),
            presence: PresenceUpdate {
                room_id: room,
                user_id: user,
                last_seen: at,
                has_focus: user % 2 == 0,
                inactive_from: at + 90,
                last_spoke: Some(at),
            },
            mail_delay: 60,
            reply: None,
        }
    }

    /// Alice writes, carol (away, alerted) comes back by writing, bob is
    /// mentioned by alice in the other room, alice writes again, dave
    /// attaches a file: bob gets one alert, carol one.
    pub fn batch<B>(s: &Scene<B>) -> Vec<NewMessage> {
        let [alice, bob, carol, dave] = s.users[..] else {
            unreachable!("four users")
        };
        let mut with_file = message(s.room, dave, NOW + 3, "a file");
        with_file.file = Some(Attachment {
            name: "notes.txt".to_owned(),
            size: 12,
            content_type: "text/plain".to_owned(),
            key: "k1".to_owned(),
        });
        let mut mention = message(s.other, alice, NOW + 1, "hi @bob");
        mention.mentions = vec!["bob".to_owned()];
        mention.mentioned = vec![bob];
        mention.client_id = None;
        vec![
            message(s.room, alice, NOW, "one"),
            message(s.room, carol, NOW + 1, "back"),
            mention,
            message(s.room, alice, NOW + 2, "two"),
            with_file,
        ]
    }

    /// Each answer's room, seq and alert count.
    pub fn summary(posted: &[Posted]) -> Vec<(i64, i64, usize)> {
        posted
            .iter()
            .map(|p| (p.message.room_id, p.message.seq, p.alerts_queued))
            .collect()
    }

    /// What a batch left in the database, as text, ids taken out (the two
    /// databases number rows each their own way).
    #[derive(Debug, PartialEq, Eq)]
    pub struct Outcome {
        /// Per room: seq, writer, text, file and reply of each message.
        pub messages: Vec<String>,
        /// Per member: room, user, presence (alert state included) and the
        /// seq their read cursor is at.
        pub members: Vec<(i64, i64, String, Option<i64>)>,
        /// The queued alerts: member, time, address.
        pub alerts: Vec<(i64, i64, String)>,
        /// Per user: unread messages and mentions in each room.
        pub news: Vec<(i64, i64, i64, i64)>,
    }

    pub async fn outcome<B: Messages + Rooms + Outbox + Reading>(s: &Scene<B>) -> Outcome {
        let mut out = Outcome {
            messages: Vec::new(),
            members: Vec::new(),
            alerts: Vec::new(),
            news: Vec::new(),
        };
        for room in [s.room, s.other] {
            let messages = s.db.messages_after(room, 0, 100).await.expect("messages");
            let seq_of = |id: i64| messages.iter().find(|m| m.id == id).map(|m| m.seq);
            for m in &messages {
                out.messages.push(format!(
                    "{room} {} {} {} {:?} {:?}",
                    m.seq, m.user_id, m.content, m.file, m.reply
                ));
            }
            for mb in s.db.members(room).await.expect("members").iter() {
                let read = s.db.read_cursor(room, mb.user_id).await.expect("cursor");
                out.members
                    .push((room, mb.user_id, format!("{:?}", mb.presence), seq_of(read)));
            }
        }
        for a in s.db.due_alerts(NOW + 1_000, 100).await.expect("alerts") {
            out.alerts.push((a.user_id, a.created_at, a.recipient));
        }
        for &user in &s.users {
            for n in s.db.room_news(user).await.expect("news") {
                out.news.push((user, n.room.id, n.unread, n.mentions));
            }
        }
        out
    }

    impl Outcome {
        /// What the rules say this scene's batch leaves.
        pub fn check<B>(&self, s: &Scene<B>, posted: &[Posted]) {
            assert_eq!(
                posted.iter().map(|p| p.alerts_queued).collect::<Vec<_>>(),
                [2, 0, 0, 0, 0],
                "bob and carol are alerted by the first message only"
            );
            assert_eq!(self.alerts.len(), 2);
            assert_eq!(self.messages.len(), 5);
            let [alice, bob, ..] = s.users[..] else {
                unreachable!("four users")
            };
            assert!(
                self.news.contains(&(bob, s.other, 1, 1)),
                "bob's mention in the other room counts: {:?}",
                self.news
            );
            let alice_here = self
                .members
                .iter()
                .find(|m| m.0 == s.room && m.1 == alice)
                .expect("alice");
            assert_eq!(
                alice_here.3,
                Some(3),
                "her read cursor is at her last message"
            );
            assert!(
                alice_here.2.contains("last_spoke: Some(1700000002)"),
                "{}",
                alice_here.2
            );
        }
    }
}
