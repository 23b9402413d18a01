//! Who gets an e-mail alert for new messages (the rule is in
//! `docs/rules.md`, Mail alerts): written once here, applied by every backend inside its
//! posting transaction.

use super::UnixTime;
use super::entities::{Member, PresenceUpdate};

/// A message as the alert rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    pub message_id: i64,
    pub time: UnixTime,
    /// The poster's sign of life, saved with the message.
    pub presence: &'a PresenceUpdate,
}

/// One alert e-mail to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub room_id: i64,
    pub user_id: i64,
    /// When the message that caused it was sent.
    pub at: UnixTime,
    pub first_message_id: i64,
    pub recipient: String,
}

/// The alerts a run of messages causes, in message order.
///
/// `candidates` are the members of the messages' rooms with `mail_alert` on
/// (the poster included), as they stood before the first message; they are
/// updated as the messages are replayed one by one, so a batch has the
/// outcome its messages would have had alone: a poster's own message is a
/// sign of life, and an alerted member is not alerted again until seen.
/// Each member with an address who is due an alert gets one, and their
/// `last_mail_alert` moves to the message's time.
pub fn replay(sent: &[Sent<'_>], candidates: &mut [Member]) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for s in sent {
        let p = s.presence;
        for member in candidates.iter_mut().filter(|c| c.room_id == p.room_id) {
            if member.user_id == p.user_id {
                member.presence.apply(p);
                continue;
            }
            let Some(address) = member
                .email
                .as_deref()
                .filter(|_| member.presence.due_mail_alert(s.time))
            else {
                continue;
            };
            alerts.push(Alert {
                room_id: p.room_id,
                user_id: member.user_id,
                at: s.time,
                first_message_id: s.message_id,
                recipient: address.to_owned(),
            });
            member.presence.last_mail_alert = Some(s.time);
        }
    }
    alerts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PresenceState;

    fn member(user_id: i64, email: Option<&str>, presence: PresenceState) -> Member {
        Member {
            room_id: 1,
            user_id,
            username: format!("u{user_id}"),
            email: email.map(str::to_owned),
            colour: "000000".to_owned(),
            alert: true,
            mail_alert: true,
            presence,
        }
    }

    fn sign_of_life(user_id: i64, at: i64) -> PresenceUpdate {
        PresenceUpdate {
            room_id: 1,
            user_id,
            last_seen: at,
            has_focus: true,
            inactive_from: at + 90,
            last_spoke: Some(at),
        }
    }

    #[test]
    fn an_absent_member_with_an_address_gets_one_alert_per_absence() {
        let mut candidates = vec![
            member(1, Some("ann@example.com"), PresenceState::default()),
            member(2, Some("bob@example.com"), PresenceState::default()),
            member(3, None, PresenceState::default()),
        ];
        let (p1, p2) = (sign_of_life(1, 1_000), sign_of_life(1, 1_001));
        let sent = [
            Sent {
                message_id: 10,
                time: 1_000,
                presence: &p1,
            },
            Sent {
                message_id: 11,
                time: 1_001,
                presence: &p2,
            },
        ];
        let alerts = replay(&sent, &mut candidates);
        assert_eq!(
            alerts,
            [Alert {
                room_id: 1,
                user_id: 2,
                at: 1_000,
                first_message_id: 10,
                recipient: "bob@example.com".to_owned(),
            }],
            "the poster and the member without an address get none; bob gets one for both"
        );
        assert_eq!(candidates[1].presence.last_mail_alert, Some(1_000));
        assert_eq!(candidates[0].presence.last_spoke, Some(1_001));
    }

    #[test]
    fn a_member_who_speaks_in_between_is_alerted_again() {
        let mut candidates = vec![
            member(1, Some("ann@example.com"), PresenceState::default()),
            member(2, Some("bob@example.com"), PresenceState::default()),
        ];
        let (a, b, c) = (
            sign_of_life(1, 1_000),
            sign_of_life(2, 1_001),
            sign_of_life(1, 2_000),
        );
        let sent = [
            Sent {
                message_id: 1,
                time: 1_000,
                presence: &a,
            },
            Sent {
                message_id: 2,
                time: 1_001,
                presence: &b,
            },
            Sent {
                message_id: 3,
                time: 2_000,
                presence: &c,
            },
        ];
        let to: Vec<(i64, i64)> = replay(&sent, &mut candidates)
            .iter()
            .map(|a| (a.user_id, a.first_message_id))
            .collect();
        // Bob is alerted for 1, seen at 1_001 (active until 1_091), then away
        // again by 2_000; Ann is active at 1_001 from her own message.
        assert_eq!(to, [(2, 1), (2, 3)]);
    }
}
