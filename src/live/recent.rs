//! A room's latest messages as they passed through this node's hub, so the
//! answer to a send (the messages since the sender's last one, its own
//! included) and to a poll a few messages behind come from memory instead
//! of a database read. That read, with its rows turned into messages, was a
//! quarter of a send's time under load.
//!
//! Messages are kept by their position (`pos`), which counts up by one per
//! event in each room (a new message, or a change to one: an edit, a
//! deletion, a reaction), in the same order as the clients' cursor (`rev`).
//! So a run of consecutive positions after the client's cursor is known to
//! be complete: nothing of the room can lie between them. Where the run
//! breaks (an event this node has not seen yet, or one that came before the
//! window) the caller reads the database instead, and an answer that stops
//! before a gap is still a correct prefix: the client's next poll starts
//! right there. A message changed within the run is answered once, as it
//! last stands, never in an older version.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::LiveMessage;
use crate::domain::Message;

/// Messages kept per room: a client more than this far behind is answered
/// from the database.
pub const CAPACITY: usize = 64;

/// The window of one room.
#[derive(Debug, Default)]
pub struct Recent {
    by_pos: BTreeMap<i64, (Arc<LiveMessage>, Instant)>,
}

impl Recent {
    /// Keeps a message that passed through the hub.
    pub fn insert(&mut self, message: Arc<LiveMessage>) {
        self.by_pos.insert(message.pos, (message, Instant::now()));
        while self.by_pos.len() > CAPACITY {
            self.by_pos.pop_first();
        }
    }

    /// Forgets everything: after a clear, or when events may have been missed.
    pub fn clear(&mut self) {
        self.by_pos.clear();
    }

    /// Drops messages kept longer than `max_age` (they are no longer used).
    pub fn prune(&mut self, max_age: Duration) {
        self.by_pos.retain(|_, (_, at)| at.elapsed() < max_age);
    }

    /// Whether nothing is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_pos.is_empty()
    }

    /// Up to `limit` messages past cursor position `last`, in cursor order,
    /// when the window holds the event at that cursor and at least the
    /// next one, each kept for less than `max_age` (what another process
    /// changed is seen within that time, as in the store's cache). `None`:
    /// ask the database.
    #[must_use]
    pub fn after(&self, last: i64, max_age: Duration, limit: usize) -> Option<Vec<Message>> {
        let (&from, _) = self.by_pos.iter().rev().find(|(_, (m, _))| m.rev == last)?;
        let run: Vec<&Arc<LiveMessage>> = (from + 1..)
            .zip(self.by_pos.range(from + 1..))
            .take_while(|(want, (pos, (_, at)))| *pos == want && at.elapsed() < max_age)
            .take(limit)
            .map(|(_, (_, (m, _)))| m)
            .collect();
        // A message changed later in the run is answered there, as it
        // stands, and not also in its older version.
        let messages: Vec<Message> = run
            .iter()
            .enumerate()
            .filter(|(i, m)| !run[i + 1..].iter().any(|later| later.id == m.id))
            .map(|(_, m)| m.message.clone())
            .collect();
        (!messages.is_empty()).then_some(messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGE: Duration = Duration::from_secs(60);

    /// Message `seq` of room 1 has id `10 * seq` (ids of other rooms lie
    /// between), posted at position `seq`.
    fn message(seq: i64) -> Arc<LiveMessage> {
        LiveMessage::new(Message {
            id: 10 * seq,
            room_id: 1,
            seq,
            user_id: 1,
            username: "alice".to_owned(),
            content: format!("message {seq}"),
            pos: seq,
            rev: 10 * seq,
            ..Message::default()
        })
    }

    /// Message `seq` edited at position `pos`, with cursor position `rev`.
    fn edited(seq: i64, pos: i64, rev: i64) -> Arc<LiveMessage> {
        let mut m = message(seq).message.clone();
        m.pos = pos;
        m.rev = rev;
        m.content = format!("message {seq}, edited");
        LiveMessage::new(m)
    }

    fn ids(messages: Option<Vec<Message>>) -> Option<Vec<i64>> {
        messages.map(|m| m.iter().map(|m| m.id).collect())
    }

    #[test]
    fn a_gap_free_run_after_the_clients_last_message_is_answered() {
        let mut recent = Recent::default();
        for seq in [3, 1, 2, 4] {
            recent.insert(message(seq));
        }
        assert_eq!(ids(recent.after(10, AGE, 100)), Some(vec![20, 30, 40]));
        assert_eq!(ids(recent.after(30, AGE, 100)), Some(vec![40]));
        assert_eq!(ids(recent.after(10, AGE, 2)), Some(vec![20, 30]));
    }

    #[test]
    fn the_database_is_asked_when_the_window_cannot_tell() {
        let mut recent = Recent::default();
        for seq in [5, 6, 8] {
            recent.insert(message(seq));
        }
        // The client's last message is older than the window, or unknown.
        assert_eq!(ids(recent.after(40, AGE, 100)), None);
        assert_eq!(ids(recent.after(0, AGE, 100)), None);
        assert_eq!(ids(recent.after(55, AGE, 100)), None);
        // Seq 7 was not seen here: the run after 6 is empty.
        assert_eq!(ids(recent.after(60, AGE, 100)), None);
        // Nothing newer than the newest.
        assert_eq!(ids(recent.after(80, AGE, 100)), None);
    }

    #[test]
    fn an_answer_stops_before_a_gap() {
        let mut recent = Recent::default();
        for seq in [1, 2, 3, 5] {
            recent.insert(message(seq));
        }
        assert_eq!(ids(recent.after(10, AGE, 100)), Some(vec![20, 30]));
    }

    #[test]
    fn a_change_is_answered_once_as_it_last_stands() {
        let mut recent = Recent::default();
        for seq in [1, 2, 3] {
            recent.insert(message(seq));
        }
        // Message 2 edited at position 4 (cursor 35), then message 4 posted
        // at position 5 (id 40).
        recent.insert(edited(2, 4, 35));
        let mut four = message(4).message.clone();
        four.pos = 5;
        recent.insert(LiveMessage::new(four));
        let answer = recent.after(10, AGE, 100).expect("answered");
        let seen: Vec<(i64, &str)> = answer.iter().map(|m| (m.id, m.content.as_str())).collect();
        assert_eq!(
            seen,
            vec![
                (30, "message 3"),
                (20, "message 2, edited"),
                (40, "message 4")
            ]
        );
        // A client that has the edit resumes after it.
        assert_eq!(ids(recent.after(35, AGE, 100)), Some(vec![40]));
        // A client past message 3 gets the edit of an older message.
        assert_eq!(ids(recent.after(30, AGE, 100)), Some(vec![20, 40]));
    }

    #[test]
    fn old_messages_are_not_used_and_are_pruned() {
        let mut recent = Recent::default();
        recent.insert(message(1));
        recent.insert(message(2));
        assert_eq!(ids(recent.after(10, Duration::ZERO, 100)), None);
        recent.prune(AGE);
        assert!(!recent.is_empty());
        recent.prune(Duration::ZERO);
        assert!(recent.is_empty());
    }

    #[test]
    fn the_window_keeps_the_newest_messages_only() {
        let mut recent = Recent::default();
        let newest = i64::try_from(CAPACITY).expect("small") + 10;
        for seq in 1..=newest {
            recent.insert(message(seq));
        }
        assert_eq!(ids(recent.after(10, AGE, 1000)), None, "evicted");
        assert_eq!(
            ids(recent.after(10 * (newest - 1), AGE, 1000)),
            Some(vec![10 * newest])
        );
        recent.clear();
        assert!(recent.is_empty());
    }
}
