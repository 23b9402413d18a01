//! The `Push` store operations on each backend: subscriptions taken over
//! by endpoint and bounded per user, the scan cursor that only one caller
//! can move, and pending pushes coalesced per device and room.

use conversate::domain::push::{NewSubscription, Queued};
use conversate::store::{Store, StoreError};

use crate::store::{general, post};
use crate::support::TestStore;

fn new_subscription(user_id: i64, endpoint: &str, session: Option<&str>) -> NewSubscription {
    NewSubscription {
        user_id,
        endpoint: endpoint.to_owned(),
        p256dh: "key".to_owned(),
        auth: "auth".to_owned(),
        device: "Firefox on Android".to_owned(),
        session_hash: session.map(str::to_owned),
        now: 1_700_000_000,
    }
}

fn queued(user_id: i64, room_id: i64, message_id: i64, mentioned: bool) -> Queued {
    Queued {
        user_id,
        room_id,
        message_id,
        mentioned,
        at: 1_700_000_100,
        send_after: 1_700_000_110,
    }
}

async fn pending(store: &Store) -> Vec<(i64, i64, i64, bool)> {
    let mut rows: Vec<_> = store
        .push()
        .due_pushes(i64::MAX / 2, 100)
        .await
        .expect("due")
        .into_iter()
        .map(|p| {
            (
                p.first_message_id,
                p.last_message_id,
                p.messages,
                p.mentioned,
            )
        })
        .collect();
    rows.sort_unstable();
    rows
}

#[tokio::test]
async fn subscriptions_move_with_their_endpoint_and_are_bounded() {
    let store = TestStore::open().await;
    let (_, alice, bob) = general(&store).await;
    let push = store.push();
    let a = push
        .subscribe(
            &new_subscription(alice.id, "https://push.example/1", Some("s1")),
            2,
        )
        .await
        .expect("subscribed");
    assert_eq!(a.device, "Firefox on Android");
    assert_eq!(a.last_used_at, None);
    // Bob logs in on the same browser and turns push on: it is his now.
    push.subscribe(&new_subscription(bob.id, "https://push.example/1", None), 2)
        .await
        .expect("taken over");
    assert!(push.subscriptions(alice.id).await.expect("list").is_empty());
    push.subscribe(
        &new_subscription(bob.id, "https://push.example/2", Some("s2")),
        2,
    )
    .await
    .expect("second device");
    assert!(matches!(
        push.subscribe(&new_subscription(bob.id, "https://push.example/3", None), 2)
            .await,
        Err(StoreError::Conflict)
    ));
    // Only the owner removes; the session's logout removes its own.
    let bobs = push.subscriptions(bob.id).await.expect("list");
    assert!(matches!(
        push.unsubscribe(alice.id, bobs[0].id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(push.unsubscribe_session("s2").await.expect("logout"), 1);
    let left = push.subscriptions(bob.id).await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].endpoint, "https://push.example/1");
}

#[tokio::test]
async fn the_scan_cursor_moves_once_and_pushes_coalesce_per_device_and_room() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    let push = store.push();
    for endpoint in ["https://push.example/phone", "https://push.example/laptop"] {
        push.subscribe(&new_subscription(bob.id, endpoint, None), 10)
            .await
            .expect("subscribed");
    }
    let m1 = post(&store, room, alice.id, "one").await;
    let m2 = post(&store, room, alice.id, "two").await;
    assert_eq!(push.push_rooms().await.expect("rooms"), vec![(room, 0)]);
    let seen = push.push_messages(room, 0, 10).await.expect("messages");
    assert_eq!(
        seen.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![m1.id, m2.id]
    );
    assert_eq!(
        push.push_subscribers(room).await.expect("subscribers"),
        vec![bob.id]
    );

    let first = [queued(bob.id, room, m1.id, false)];
    assert!(
        push.queue_pushes(room, (0, m1.seq), &first)
            .await
            .expect("queued")
    );
    // Another node that read the same cursor finds it moved: nothing queued.
    assert!(
        !push
            .queue_pushes(room, (0, m1.seq), &first)
            .await
            .expect("lost")
    );
    assert_eq!(pending(&store).await, vec![(m1.id, m1.id, 1, false); 2]);
    // A later mention joins each device's waiting push.
    let second = [queued(bob.id, room, m2.id, true)];
    assert!(
        push.queue_pushes(room, (m1.seq, m2.seq), &second)
            .await
            .expect("queued")
    );
    assert_eq!(pending(&store).await, vec![(m1.id, m2.id, 2, true); 2]);
    assert!(push.push_rooms().await.expect("rooms").is_empty());

    // Sent as it was: done. A message that joined while it was sent keeps
    // it pending, for the newer part only.
    let due = push.due_pushes(i64::MAX / 2, 10).await.expect("due");
    assert!(push.claim_push(due[0].id, 1, 100).await.expect("claimed"));
    assert!(
        !push.claim_push(due[0].id, 2, 100).await.expect("held"),
        "claimed once"
    );
    push.push_sent(&due[0], 3).await.expect("sent");
    let mut stale = due[1].clone();
    stale.last_message_id = m1.id;
    stale.messages = 1;
    push.push_sent(&stale, 3).await.expect("sent");
    assert_eq!(pending(&store).await, vec![(m1.id + 1, m2.id, 1, true)]);
    let counts = push.push_counts().await.expect("counts");
    assert_eq!(
        counts,
        vec![("pending".to_owned(), 1), ("sent".to_owned(), 1)]
    );
    let used = push.subscriptions(bob.id).await.expect("list");
    assert!(used.iter().all(|s| s.last_used_at == Some(3)));

    // A gone subscription takes its pushes with it.
    push.drop_subscription(due[1].subscription.id)
        .await
        .expect("dropped");
    assert!(pending(&store).await.is_empty());
}
