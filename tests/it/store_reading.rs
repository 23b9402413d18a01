//! Store conformance for catch-up (`Reading`, mentions on posting, the
//! notification level), on the backend the harness picked.

use conversate::domain::notify::{Channel, Decision, Level, Outcome};
use conversate::store::StoreError;

use crate::store::{general, new_message, post, user};
use crate::support::TestStore;

#[tokio::test]
async fn the_read_cursor_only_moves_forward_to_existing_messages() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    let reading = store.reading();
    assert_eq!(reading.read_cursor(room, bob.id).await.expect("cursor"), 0);
    assert_eq!(reading.mark_read(room, bob.id, 5).await.expect("empty"), 0);

    let m1 = post(&store, room, alice.id, "one").await;
    let m2 = post(&store, room, alice.id, "two").await;
    let m3 = post(&store, room, alice.id, "three").await;
    assert_eq!(
        reading.mark_read(room, bob.id, m2.id).await.expect("read"),
        m2.id
    );
    assert_eq!(
        reading.mark_read(room, bob.id, m1.id).await.expect("back"),
        m2.id
    );
    assert_eq!(
        reading
            .mark_read(room, bob.id, m3.id + 50)
            .await
            .expect("ahead"),
        m3.id,
        "beyond the newest, the newest"
    );
    assert_eq!(
        reading.read_cursor(room, bob.id).await.expect("cursor"),
        m3.id
    );

    let carol = user(&store, "carol").await;
    assert!(matches!(
        reading.mark_read(room, carol.id, m3.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        reading.read_cursor(room, carol.id).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn room_news_counts_unread_and_mentions_without_the_posters_own() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    let mut mention = new_message(room, alice.id, "@bob hi");
    mention.username = "alice".to_owned();
    mention.mentions = vec!["bob".to_owned()];
    mention.mentioned = vec![bob.id];
    let posted = store.posting().post_message(mention).await.expect("posted");
    assert_eq!(posted.message.mentions, ["bob"]);
    let last = post(&store, room, alice.id, "plain").await;

    let news = store.reading().room_news(bob.id).await.expect("news");
    assert_eq!(news.len(), 1);
    assert_eq!(news[0].room.slug, "general");
    assert_eq!(
        (news[0].unread, news[0].mentions, news[0].last_id),
        (2, 1, last.id)
    );
    assert_eq!(news[0].last_at, Some(last.time));
    let news = store.reading().room_news(alice.id).await.expect("news");
    assert_eq!(
        (news[0].unread, news[0].mentions),
        (0, 0),
        "her own messages"
    );

    let stored = store
        .messages()
        .message(room, posted.message.id)
        .await
        .expect("stored");
    assert_eq!(stored.mentions, ["bob"], "the mention list is kept");

    let missed = store
        .reading()
        .missed(room, bob.id, 0, 5_000)
        .await
        .expect("missed");
    assert_eq!(missed.count, 2);
    assert_eq!(missed.authors, ["alice"]);
    assert_eq!(
        (missed.mentions, missed.mention_ids.clone()),
        (1, vec![posted.message.id])
    );
    assert_eq!(missed.first_id, posted.message.id);
    assert!(!missed.partial);
    let partial = store
        .reading()
        .missed(room, bob.id, 0, 1)
        .await
        .expect("missed");
    assert!(partial.partial, "one of two scanned");

    store
        .reading()
        .mark_read(room, bob.id, last.id)
        .await
        .expect("read");
    let news = store.reading().room_news(bob.id).await.expect("news");
    assert_eq!((news[0].unread, news[0].mentions), (0, 0));
}

#[tokio::test]
async fn new_members_start_read_and_clearing_leaves_nothing_unread() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    post(&store, room, alice.id, "before carol").await;
    let carol = user(&store, "carol").await;
    store
        .rooms()
        .add_member(room, carol.id, "000000")
        .await
        .expect("member");
    let news = store.reading().room_news(carol.id).await.expect("news");
    assert_eq!(news[0].unread, 0, "history is not news to a new member");
    assert_eq!(
        store.reading().room_news(bob.id).await.expect("news")[0].unread,
        1
    );

    store.rooms().clear_room(room).await.expect("cleared");
    let news = store.reading().room_news(bob.id).await.expect("news");
    assert_eq!((news[0].unread, news[0].last_id), (0, 0));
    post(&store, room, alice.id, "after").await;
    assert_eq!(
        store.reading().room_news(bob.id).await.expect("news")[0].unread,
        1
    );
}

#[tokio::test]
async fn the_notification_level_is_kept_per_member() {
    let store = TestStore::open().await;
    let (room, _, bob) = general(&store).await;
    assert_eq!(
        store.rooms().member(room, bob.id).await.expect("m").notify,
        Level::All
    );
    store
        .rooms()
        .set_notify(room, bob.id, Level::Mentions)
        .await
        .expect("set");
    assert_eq!(
        store.rooms().member(room, bob.id).await.expect("m").notify,
        Level::Mentions
    );
    assert!(matches!(
        store
            .rooms()
            .set_notify(room, bob.id + 100, Level::None)
            .await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn notification_decisions_are_listed_newest_first_and_trimmed_per_member() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    let decision = |user_id: i64, message_id: i64, outcome| Decision {
        at: 1_700_000_000 + message_id,
        user_id,
        room_id: room,
        message_id,
        channel: Channel::Email,
        outcome,
        reason: "you were away",
    };
    let mut all: Vec<Decision> = (1..=5)
        .map(|i| decision(bob.id, i, Outcome::Held { until: 99 }))
        .collect();
    all.push(decision(alice.id, 9, Outcome::Sent));
    store
        .reading()
        .record_notifications(&all)
        .await
        .expect("recorded");
    let listed = store
        .reading()
        .notifications(bob.id, 10)
        .await
        .expect("list");
    assert_eq!(
        listed.iter().map(|r| r.message_id).collect::<Vec<_>>(),
        [5, 4, 3, 2, 1]
    );
    assert_eq!(listed[0].outcome, "held");
    assert_eq!(listed[0].until, Some(99));
    assert_eq!(listed[0].room_title, "General");
    assert_eq!(listed[0].channel, "email");

    assert_eq!(
        store
            .reading()
            .prune_notifications(2)
            .await
            .expect("pruned"),
        3
    );
    let listed = store
        .reading()
        .notifications(bob.id, 10)
        .await
        .expect("list");
    assert_eq!(
        listed.iter().map(|r| r.message_id).collect::<Vec<_>>(),
        [5, 4]
    );
    assert_eq!(
        store
            .reading()
            .notifications(alice.id, 10)
            .await
            .expect("list")
            .len(),
        1
    );

    // A member who left no longer sees the room's decisions.
    store
        .rooms()
        .remove_member(room, bob.id)
        .await
        .expect("removed");
    assert!(
        store
            .reading()
            .notifications(bob.id, 10)
            .await
            .expect("list")
            .is_empty()
    );
}
