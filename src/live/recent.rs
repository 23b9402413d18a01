//! A room's latest messages as they passed through this node's hub, so the
//! answer to a send (the messages since the sender's last one, its own
//! included) and to a poll a few messages behind come from memory instead
//! of a database read. That read, with its rows turned into messages, was a
//! quarter of a send's time under load.
//!
//! Messages are kept by their `seq`, which counts up by one per message in
//! each room, in the same order as ids. So a run of consecutive seqs after
//! the client's last message is known to be complete: nothing of the room
//! can lie between them. Where the run breaks (a message this node has not
//! seen yet, or one that came before the window) the caller reads the
//! database instead, and an answer that stops before a gap is still a
//! correct prefix: the client's next poll starts right there.

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
    by_seq: BTreeMap<i64, (Arc<LiveMessage>, Instant)>,
}

impl Recent {
    /// Keeps a message that passed through the hub.
    pub fn insert(&mut self, message: Arc<LiveMessage>) {
        self.by_seq.insert(message.seq, (message, Instant::now()));
        while self.by_seq.len() > CAPACITY {
            self.by_seq.pop_first();
        }
    }

    /// Forgets everything: after a clear, or when events may have been missed.
    pub fn clear(&mut self) {
        self.by_seq.clear();
    }

    /// Drops messages kept longer than `max_age` (they are no longer used).
    pub fn prune(&mut self, max_age: Duration) {
        self.by_seq.retain(|_, (_, at)| at.elapsed() < max_age);
    }

    /// Whether nothing is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    /// Up to `limit` messages after the one with id `last`, oldest first,
    /// when the window holds that message and at least the next one, each
    /// kept for less than `max_age` (what another process changed is seen
    /// within that time, as in the store's cache). `None`: ask the database.
    #[must_use]
    pub fn after(&self, last: i64, max_age: Duration, limit: usize) -> Option<Vec<Message>> {
        let (&from, _) = self.by_seq.iter().rev().find(|(_, (m, _))| m.id == last)?;
        let messages: Vec<Message> = (from + 1..)
            .zip(self.by_seq.range(from + 1..))
            .take_while(|(want, (seq, (_, at)))| *seq == want && at.elapsed() < max_age)
            .take(limit)
            .map(|(_, (_, (m, _)))| m.message.clone())
            .collect();
        (!messages.is_empty()).then_some(messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGE: Duration = Duration::from_secs(60);

    /// Message `seq` of room 1 has id `10 * seq` (ids of other rooms lie between).
    fn message(seq: i64) -> Arc<LiveMessage> {
        LiveMessage::new(Message {
            id: 10 * seq,
            room_id: 1,
            seq,
            user_id: 1,
            username: "alice".to_owned(),
            time: 0,
            content: format!("message {seq}"),
            html: String::new(),
            file: None,
            mentions: Vec::new(),
        })
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
