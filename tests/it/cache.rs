//! The request-path cache (`CACHE_MS`): writes through it are seen at once,
//! writes behind its back (another node, the CLI) within its time to live,
//! and presence writes update it in place.

use std::time::Duration;

use crate::store::{general, new_message, presence};
use crate::support::TestStore;

const TTL: Duration = Duration::from_millis(300);

#[tokio::test]
async fn writes_through_the_cache_are_seen_at_once() {
    let raw = TestStore::open().await;
    let cached = raw.store.clone().cached(Duration::from_secs(3600));
    let (room, alice, bob) = general(&cached).await;
    let slug = cached.rooms().room_by_id(room).await.expect("room").slug;

    // Warm every cached look-up.
    assert!(
        cached
            .accounts()
            .user_by_id(bob.id)
            .await
            .expect("bob")
            .is_active
    );
    cached.rooms().room_by_slug(&slug).await.expect("room");
    cached
        .rooms()
        .member(room, bob.id)
        .await
        .expect("bob is a member");
    assert_eq!(
        cached.rooms().members(room).await.expect("members").len(),
        2
    );

    cached
        .rooms()
        .remove_member(room, bob.id)
        .await
        .expect("removed");
    assert!(
        cached.rooms().member(room, bob.id).await.is_err(),
        "membership gone"
    );
    assert_eq!(
        cached.rooms().members(room).await.expect("members").len(),
        1
    );

    cached
        .accounts()
        .update_user(bob.id, None, false, false)
        .await
        .expect("deactivated");
    assert!(
        !cached
            .accounts()
            .user_by_id(bob.id)
            .await
            .expect("bob")
            .is_active
    );

    cached
        .accounts()
        .set_password(alice.id, "new-hash")
        .await
        .expect("set");
    assert_eq!(
        cached
            .accounts()
            .user_by_id(alice.id)
            .await
            .expect("alice")
            .password_hash,
        "new-hash"
    );
}

#[tokio::test]
async fn writes_behind_its_back_are_seen_within_the_time_to_live() {
    let raw = TestStore::open().await;
    let cached = raw.store.clone().cached(TTL);
    let (room, _alice, bob) = general(&cached).await;
    cached
        .rooms()
        .member(room, bob.id)
        .await
        .expect("bob is a member");
    assert!(
        cached
            .accounts()
            .user_by_id(bob.id)
            .await
            .expect("bob")
            .is_active
    );

    // Another node (the raw store) revokes and deactivates.
    raw.rooms()
        .remove_member(room, bob.id)
        .await
        .expect("removed");
    raw.accounts()
        .update_user(bob.id, None, false, false)
        .await
        .expect("deactivated");
    tokio::time::sleep(TTL + Duration::from_millis(100)).await;
    assert!(cached.rooms().member(room, bob.id).await.is_err());
    assert!(
        !cached
            .accounts()
            .user_by_id(bob.id)
            .await
            .expect("bob")
            .is_active
    );
}

#[tokio::test]
async fn the_relay_makes_it_forget_at_once() {
    let raw = TestStore::open().await;
    let cached = raw.store.clone().cached(Duration::from_secs(3600));
    let (room, _alice, bob) = general(&cached).await;
    cached
        .rooms()
        .member(room, bob.id)
        .await
        .expect("bob is a member");
    raw.rooms()
        .remove_member(room, bob.id)
        .await
        .expect("removed");
    cached.forget(Some(room));
    assert!(cached.rooms().member(room, bob.id).await.is_err());
}

#[tokio::test]
async fn presence_and_posts_update_the_member_list_in_place() {
    let raw = TestStore::open().await;
    let cached = raw.store.clone().cached(Duration::from_secs(3600));
    let (room, alice, _bob) = general(&cached).await;
    let before = cached.rooms().members(room).await.expect("members");
    assert!(before.iter().all(|m| m.presence.last_seen.is_none()));

    cached
        .rooms()
        .save_presence(presence(room, alice.id, 1_700_000_050))
        .await
        .expect("saved");
    let mut message = new_message(room, alice.id, "hi");
    message.username = alice.username.clone();
    cached
        .posting()
        .post_message(message)
        .await
        .expect("posted");

    let cached_list = cached.rooms().members(room).await.expect("members");
    let stored = raw.rooms().members(room).await.expect("members");
    assert_eq!(
        cached_list.iter().map(|m| &m.presence).collect::<Vec<_>>(),
        stored.iter().map(|m| &m.presence).collect::<Vec<_>>(),
        "the cached list says what the database says"
    );
    let alice_now = stored
        .iter()
        .find(|m| m.user_id == alice.id)
        .expect("alice");
    assert_eq!(alice_now.presence.last_spoke, Some(1_700_000_100));
}

#[tokio::test]
async fn sessions_are_cached_but_a_logout_ends_them_at_once() {
    let raw = TestStore::open().await;
    let cached = raw.store.clone().cached(Duration::from_secs(3600));
    let sessions = cached.sessions();
    let far = 4_000_000_000;
    assert!(sessions.insert("s1", "{}", far).await.expect("insert"));
    assert!(sessions.load("s1", 1).await.expect("load").is_some());
    // Expiry is checked on every hit, not only on a miss.
    assert!(sessions.load("s1", far).await.expect("load").is_none());
    sessions.delete("s1").await.expect("delete");
    assert!(sessions.load("s1", 1).await.expect("load").is_none());
    // An unknown id is not remembered: it is found once it exists.
    assert!(sessions.load("s2", 1).await.expect("load").is_none());
    raw.sessions()
        .insert("s2", "{}", far)
        .await
        .expect("insert");
    assert!(sessions.load("s2", 1).await.expect("load").is_some());
}
