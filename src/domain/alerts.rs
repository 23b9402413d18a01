//! Who gets an e-mail alert for new messages (the rule is in
//! `docs/rules.md`, Mail alerts): written once here, applied by every backend inside its
//! posting transaction.

use super::UnixTime;
use super::entities::{Member, PresenceUpdate};
use super::notify::{Channel, Decision, Level, Outcome, reason};

/// A message as the alert rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    pub message_id: i64,
    pub time: UnixTime,
    /// The poster's sign of life, saved with the message.
    pub presence: &'a PresenceUpdate,
    /// The members the message mentions.
    pub mentions: &'a [i64],
    /// Seconds a queued alert waits before it goes out.
    pub mail_delay: i64,
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

/// What a run of messages causes: alerts to queue, and the decisions worth
/// showing the members (`docs/rules.md`, Notifications).
#[derive(Debug, Default)]
pub struct Replayed {
    pub alerts: Vec<Alert>,
    pub decisions: Vec<Decision>,
}

/// The alerts a run of messages causes, in message order.
///
/// `candidates` are the members of the messages' rooms with `mail_alert` on
/// (the poster included), as they stood before the first message; they are
/// updated as the messages are replayed one by one, so a batch has the
/// outcome its messages would have had alone: a poster's own message is a
/// sign of life, and an alerted member is not alerted again until seen,
/// unless mentioned after the alert went out. A member's notification level
/// filters what counts. Each member with an address who is due an alert
/// gets one, and their `last_mail_alert` moves to the message's time.
///
/// Decisions are kept for the messages that matter to a member: each one
/// that mentions them, each one that queued an alert, and each one that
/// would have under level `all`.
pub fn replay(sent: &[Sent<'_>], candidates: &mut [Member]) -> Replayed {
    let (mut alerts, mut decisions) = (Vec::new(), Vec::new());
    for s in sent {
        let p = s.presence;
        let mut decide = |member: &Member, outcome, why| {
            decisions.push(Decision {
                at: s.time,
                user_id: member.user_id,
                room_id: p.room_id,
                message_id: s.message_id,
                channel: Channel::Email,
                outcome,
                reason: why,
            });
        };
        for member in candidates.iter_mut().filter(|c| c.room_id == p.room_id) {
            if member.user_id == p.user_id {
                member.presence.apply(p);
                continue;
            }
            let mentioned = s.mentions.contains(&member.user_id);
            let presence = &member.presence;
            if member.notify == Level::None {
                if mentioned {
                    decide(member, Outcome::Skipped, reason::LEVEL_NONE);
                }
                continue;
            }
            if !member.notify.wants(mentioned) {
                if presence.due_mail_alert(s.time) {
                    decide(member, Outcome::Skipped, reason::MENTIONS_ONLY);
                }
                continue;
            }
            if presence.is_active(s.time) {
                if mentioned {
                    decide(member, Outcome::Skipped, reason::ACTIVE);
                }
                continue;
            }
            let Some(address) = member.email.clone() else {
                if mentioned {
                    decide(member, Outcome::Skipped, reason::NO_ADDRESS);
                }
                continue;
            };
            // A mention is worth a fresh e-mail once the last one went out.
            let mentioned_since = mentioned
                && presence
                    .last_mail_alert
                    .is_some_and(|t| t + s.mail_delay < s.time);
            if !presence.due_mail_alert(s.time) && !mentioned_since {
                if mentioned {
                    decide(member, Outcome::Skipped, reason::ALREADY_ALERTED);
                }
                continue;
            }
            let until = s.time + s.mail_delay;
            decide(member, Outcome::Held { until }, reason::AWAY);
            alerts.push(Alert {
                room_id: p.room_id,
                user_id: member.user_id,
                at: s.time,
                first_message_id: s.message_id,
                recipient: address,
            });
            member.presence.last_mail_alert = Some(s.time);
        }
        // Mentioned members who are not candidates have e-mail alerts off.
        for &user_id in s.mentions {
            if user_id != p.user_id
                && !candidates
                    .iter()
                    .any(|c| c.room_id == p.room_id && c.user_id == user_id)
            {
                decisions.push(Decision {
                    at: s.time,
                    user_id,
                    room_id: p.room_id,
                    message_id: s.message_id,
                    channel: Channel::Email,
                    outcome: Outcome::Skipped,
                    reason: reason::MAIL_OFF,
                });
            }
        }
    }
    Replayed { alerts, decisions }
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
            notify: Level::All,
            presence,
            display_name: None,
            avatar_key: None,
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
                mentions: &[],
                mail_delay: 60,
            },
            Sent {
                message_id: 11,
                time: 1_001,
                presence: &p2,
                mentions: &[],
                mail_delay: 60,
            },
        ];
        let alerts = replay(&sent, &mut candidates).alerts;
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
                mentions: &[],
                mail_delay: 60,
            },
            Sent {
                message_id: 2,
                time: 1_001,
                presence: &b,
                mentions: &[],
                mail_delay: 60,
            },
            Sent {
                message_id: 3,
                time: 2_000,
                presence: &c,
                mentions: &[],
                mail_delay: 60,
            },
        ];
        let to: Vec<(i64, i64)> = replay(&sent, &mut candidates)
            .alerts
            .iter()
            .map(|a| (a.user_id, a.first_message_id))
            .collect();
        // Bob is alerted for 1, seen at 1_001 (active until 1_091), then away
        // again by 2_000; Ann is active at 1_001 from her own message.
        assert_eq!(to, [(2, 1), (2, 3)]);
    }

    fn away(user_id: i64, notify: Level) -> Member {
        let mut m = member(user_id, Some("x@example.com"), PresenceState::default());
        m.notify = notify;
        m
    }

    fn reasons(r: &Replayed) -> Vec<(i64, i64, &'static str)> {
        r.decisions
            .iter()
            .map(|d| (d.user_id, d.message_id, d.reason))
            .collect()
    }

    #[test]
    fn levels_filter_what_alerts_and_every_decision_has_a_reason() {
        let mut candidates = vec![
            member(1, Some("ann@example.com"), PresenceState::default()),
            away(2, Level::Mentions),
            away(3, Level::None),
            away(4, Level::All),
        ];
        let (a, b) = (sign_of_life(1, 1_000), sign_of_life(1, 1_010));
        let sent = [
            Sent {
                message_id: 1,
                time: 1_000,
                presence: &a,
                mentions: &[],
                mail_delay: 60,
            },
            Sent {
                message_id: 2,
                time: 1_010,
                presence: &b,
                mentions: &[2, 3, 4, 5],
                mail_delay: 60,
            },
        ];
        let r = replay(&sent, &mut candidates);
        let to: Vec<(i64, i64)> = r
            .alerts
            .iter()
            .map(|a| (a.user_id, a.first_message_id))
            .collect();
        assert_eq!(
            to,
            [(4, 1), (2, 2)],
            "all at once; mentions only at the mention"
        );
        assert_eq!(
            reasons(&r),
            [
                (2, 1, reason::MENTIONS_ONLY),
                (4, 1, reason::AWAY),
                (2, 2, reason::AWAY),
                (3, 2, reason::LEVEL_NONE),
                (4, 2, reason::ALREADY_ALERTED),
                (5, 2, reason::MAIL_OFF),
            ]
        );
        assert!(matches!(
            r.decisions[1].outcome,
            Outcome::Held { until: 1_060 }
        ));
    }

    #[test]
    fn a_mention_after_the_alert_went_out_alerts_again() {
        let mut candidates = vec![
            member(1, Some("ann@example.com"), PresenceState::default()),
            away(2, Level::All),
        ];
        let (a, b, c) = (
            sign_of_life(1, 1_000),
            sign_of_life(1, 1_030),
            sign_of_life(1, 1_100),
        );
        let at = |id, time, presence, mentions| Sent {
            message_id: id,
            time,
            presence,
            mentions,
            mail_delay: 60,
        };
        let sent = [
            at(1, 1_000, &a, &[]),
            at(2, 1_030, &b, &[2]),
            at(3, 1_100, &c, &[2]),
        ];
        let r = replay(&sent, &mut candidates);
        let to: Vec<i64> = r.alerts.iter().map(|a| a.first_message_id).collect();
        assert_eq!(
            to,
            [1, 3],
            "the digest of 1 still covers 2; 3 came after it went out"
        );
        assert_eq!(r.decisions[1].reason, reason::ALREADY_ALERTED);
    }

    #[test]
    fn an_active_member_is_not_mailed_even_when_mentioned() {
        let seen = PresenceState {
            last_seen: Some(990),
            inactive_from: Some(1_080),
            ..PresenceState::default()
        };
        let mut candidates = vec![
            member(1, Some("ann@example.com"), PresenceState::default()),
            member(2, Some("bob@example.com"), seen),
        ];
        let a = sign_of_life(1, 1_000);
        let r = replay(
            &[Sent {
                message_id: 1,
                time: 1_000,
                presence: &a,
                mentions: &[2],
                mail_delay: 60,
            }],
            &mut candidates,
        );
        assert!(r.alerts.is_empty());
        assert_eq!(reasons(&r), [(2, 1, reason::ACTIVE)]);
    }
}
