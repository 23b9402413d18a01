//! Store conformance, continued: administration, alert outbox, audit log.
//! Runs on the backend the harness picked, like `store.rs`.

use conversate::domain::{Attachment, AuditEntry};
use conversate::store::StoreError;

use crate::store::{general, new_message, post, presence};
use crate::support::TestStore;

#[tokio::test]
async fn rooms_can_be_renamed_cleared_and_deleted_returning_their_file_keys() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    let other = store
        .rooms()
        .create_room("other", "Other")
        .await
        .expect("room");
    assert!(matches!(
        store.rooms().update_room(room, "other", "X").await,
        Err(StoreError::Conflict)
    ));
    store
        .rooms()
        .update_room(room, "renamed", "Renamed")
        .await
        .expect("renamed");
    let r = store.rooms().room_by_id(room).await.expect("by id");
    assert_eq!((r.slug.as_str(), r.title.as_str()), ("renamed", "Renamed"));

    let mut with_file = new_message(room, alice.id, "file");
    with_file.file = Some(Attachment {
        name: "a.txt".into(),
        size: 1,
        content_type: "application/octet-stream".into(),
        key: "k1".into(),
    });
    store
        .posting()
        .post_message(with_file)
        .await
        .expect("posted");
    post(&store, room, bob.id, "plain").await;
    assert_eq!(
        store.rooms().clear_room(room).await.expect("cleared"),
        vec!["k1".to_owned()]
    );
    assert!(
        store
            .messages()
            .messages_after(room, 0, 10)
            .await
            .expect("none")
            .is_empty()
    );
    assert_eq!(
        store.rooms().members(room).await.expect("members").len(),
        2,
        "clearing keeps members"
    );
    let after = post(&store, room, alice.id, "after clearing").await;
    assert_eq!(
        store
            .messages()
            .count_before(room, after.id + 1)
            .await
            .expect("count"),
        1
    );
    post(&store, room, bob.id, "and again").await;
    let window = store
        .messages()
        .messages_before(room, None, 1)
        .await
        .expect("newest");
    assert_eq!(
        (window.messages.len(), window.older),
        (1, 1),
        "the cleared messages are not counted as older"
    );

    let mut again = new_message(room, alice.id, "file 2");
    again.file = Some(Attachment {
        name: "b.txt".into(),
        size: 1,
        content_type: "application/octet-stream".into(),
        key: "k2".into(),
    });
    store.posting().post_message(again).await.expect("posted");
    assert_eq!(
        store.rooms().delete_room(room).await.expect("deleted"),
        vec!["k2".to_owned()]
    );
    assert!(matches!(
        store.rooms().room_by_id(room).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.rooms().member(room, alice.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.rooms().delete_room(room).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.rooms().room_by_id(other.id).await.is_ok());
}

#[tokio::test]
async fn members_can_be_recoloured_and_removed_and_users_edited() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    store
        .rooms()
        .set_colour(room, bob.id, "2471a3")
        .await
        .expect("colour");
    assert_eq!(
        store
            .rooms()
            .member(room, bob.id)
            .await
            .expect("bob")
            .colour,
        "2471a3"
    );
    store
        .rooms()
        .remove_member(room, bob.id)
        .await
        .expect("removed");
    assert!(matches!(
        store.rooms().remove_member(room, bob.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.rooms().set_colour(room, bob.id, "000000").await,
        Err(StoreError::NotFound)
    ));

    store
        .accounts()
        .update_user(alice.id, Some("new@example.com"), true, false)
        .await
        .expect("updated");
    let a = store.accounts().user_by_id(alice.id).await.expect("alice");
    assert!(a.is_admin && !a.is_active);
    assert_eq!(a.email.as_deref(), Some("new@example.com"));
    assert!(
        !store.accounts().has_admin().await.expect("has_admin"),
        "an inactive admin does not count"
    );
    assert!(
        store
            .rooms()
            .members(room)
            .await
            .expect("members")
            .is_empty(),
        "inactive users are not listed"
    );

    store
        .accounts()
        .set_alert_email(bob.id, Some("elsewhere@example.com"))
        .await
        .expect("alert email");
    assert_eq!(
        store
            .accounts()
            .user_by_id(bob.id)
            .await
            .expect("bob")
            .alert_address(),
        Some("elsewhere@example.com")
    );
    store
        .accounts()
        .set_alert_email(bob.id, None)
        .await
        .expect("cleared");
    assert_eq!(
        store
            .accounts()
            .user_by_id(bob.id)
            .await
            .expect("bob")
            .alert_address(),
        Some("bob@example.com")
    );
}

#[tokio::test]
async fn posting_queues_one_alert_per_absence_and_the_outbox_hands_it_out_once() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    store
        .rooms()
        .set_alerts(room, bob.id, true, true)
        .await
        .expect("opt in");
    store
        .accounts()
        .set_alert_email(bob.id, Some("bob-alerts@example.com"))
        .await
        .expect("address");
    // Bob was last seen long ago; alice posts now (new_message's time).
    store
        .rooms()
        .save_presence(presence(room, bob.id, 1_000))
        .await
        .expect("presence");
    assert_eq!(
        store.outbox().oldest_pending_alert().await.expect("oldest"),
        None,
        "nothing pending yet"
    );
    let first = store
        .posting()
        .post_message(new_message(room, alice.id, "one"))
        .await
        .expect("posted");
    assert_eq!(first.alerts_queued, 1);
    let oldest = store.outbox().oldest_pending_alert().await.expect("oldest");
    assert!(
        oldest.is_some_and(|due| due <= 1_700_000_100),
        "the pending alert is due: {oldest:?}"
    );
    let second = store
        .posting()
        .post_message(new_message(room, alice.id, "two"))
        .await
        .expect("posted");
    assert_eq!(second.alerts_queued, 0, "at most one per absence");

    let now = 1_700_000_100;
    let due = store.outbox().due_alerts(now, 10).await.expect("due");
    assert_eq!(due.len(), 1);
    let item = &due[0];
    assert_eq!(
        (item.room_id, item.user_id, item.first_message_id),
        (room, bob.id, first.message.id)
    );
    assert_eq!(item.recipient, "bob-alerts@example.com");
    assert!(
        store
            .outbox()
            .claim_alert(item.id, now, now + 60)
            .await
            .expect("claim")
    );
    assert!(
        !store
            .outbox()
            .claim_alert(item.id, now, now + 60)
            .await
            .expect("claim"),
        "one node at a time"
    );
    assert!(
        store
            .outbox()
            .due_alerts(now, 10)
            .await
            .expect("due")
            .is_empty(),
        "claimed rows are not due"
    );
    store
        .outbox()
        .alert_failed(item.id, now, now + 30, "server down")
        .await
        .expect("failed");
    assert!(
        store
            .outbox()
            .due_alerts(now + 29, 10)
            .await
            .expect("due")
            .is_empty()
    );
    let retry = store.outbox().due_alerts(now + 30, 10).await.expect("due");
    assert_eq!(retry[0].attempts, 1);
    assert!(
        store
            .outbox()
            .claim_alert(item.id, now + 30, now + 90)
            .await
            .expect("claim")
    );
    store
        .outbox()
        .alert_sent(item.id, now + 31)
        .await
        .expect("sent");
    assert!(
        store
            .outbox()
            .due_alerts(now + 1_000, 10)
            .await
            .expect("due")
            .is_empty()
    );
    assert_eq!(
        store.outbox().outbox_counts().await.expect("counts"),
        vec![("sent".to_owned(), 1)]
    );

    // Bob comes back and leaves: the next post alerts again.
    store
        .rooms()
        .save_presence(presence(room, bob.id, 1_700_000_200))
        .await
        .expect("presence");
    let mut later = new_message(room, alice.id, "three");
    later.time = 1_700_100_000;
    assert_eq!(
        store
            .posting()
            .post_message(later)
            .await
            .expect("posted")
            .alerts_queued,
        1
    );
    let due = store
        .outbox()
        .due_alerts(1_700_100_000, 10)
        .await
        .expect("due");
    store
        .outbox()
        .alert_cancelled(due[0].id, "came back")
        .await
        .expect("cancelled");
    assert_eq!(
        store.outbox().outbox_counts().await.expect("counts"),
        vec![("cancelled".to_owned(), 1), ("sent".to_owned(), 1)]
    );
}

#[tokio::test]
async fn the_audit_log_lists_newest_first() {
    let store = TestStore::open().await;
    for (i, action) in ["room.create", "member.add", "room.delete"]
        .iter()
        .enumerate()
    {
        store
            .audit()
            .record_audit(AuditEntry {
                at: 1_700_000_000 + i64::try_from(i).expect("small"),
                actor_id: None,
                actor_name: "command line".into(),
                action: (*action).into(),
                target: "general".into(),
                detail: String::new(),
            })
            .await
            .expect("recorded");
    }
    let log = store.audit().audit_log(2).await.expect("log");
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["room.delete", "member.add"]
    );
}
