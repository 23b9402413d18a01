//! Store conformance: every `Backend` operation, called directly, on the
//! backend the harness picked (SQLite, or PostgreSQL when
//! `CONVERSATE_TEST_DATABASE_URL` is set). The same assertions hold both ways.

use conversate::config::DatabaseUrl;
use conversate::domain::PresenceState;
use conversate::domain::{Attachment, Message, PresenceUpdate, User};
use conversate::store::{NewMessage, NewUser, Store, StoreError};

use crate::support::TestStore;

pub(crate) fn new_user(name: &str, admin: bool) -> NewUser {
    NewUser {
        username: name.to_owned(),
        username_key: name.to_ascii_lowercase(),
        email: Some(format!("{}@example.com", name.to_ascii_lowercase())),
        password_hash: format!("hash-of-{name}"),
        is_admin: admin,
        display_name: None,
        created_at: 1_700_000_000,
    }
}

pub(crate) async fn user(store: &Store, name: &str) -> User {
    store
        .accounts()
        .create_user(new_user(name, false))
        .await
        .expect("user created")
}

pub(crate) fn presence(room_id: i64, user_id: i64, now: i64) -> PresenceUpdate {
    PresenceUpdate {
        room_id,
        user_id,
        last_seen: now,
        has_focus: true,
        inactive_from: now + 90,
        last_spoke: Some(now),
    }
}

pub(crate) fn new_message(room_id: i64, user_id: i64, content: &str) -> NewMessage {
    NewMessage {
        room_id,
        user_id,
        username: String::new(),
        time: 1_700_000_100,
        content: content.to_owned(),
        html: format!("<p>{content}</p>\n"),
        client_id: None,
        file: None,
        mentions: Vec::new(),
        mentioned: Vec::new(),
        presence: presence(room_id, user_id, 1_700_000_100),
        mail_delay: 0,
        reply: None,
    }
}

pub(crate) async fn post(store: &Store, room_id: i64, user_id: i64, content: &str) -> Message {
    let mut message = new_message(room_id, user_id, content);
    message.username = store
        .accounts()
        .user_by_id(user_id)
        .await
        .expect("user")
        .username;
    let posted = store.posting().post_message(message).await.expect("posted");
    assert!(posted.created);
    posted.message
}

pub(crate) fn contents(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.content.as_str()).collect()
}

/// A room `general` with members alice and bob.
pub(crate) async fn general(store: &Store) -> (i64, User, User) {
    let room = store
        .rooms()
        .create_room("general", "General")
        .await
        .expect("room");
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    for u in [&alice, &bob] {
        store
            .rooms()
            .add_member(room.id, u.id, "000000")
            .await
            .expect("member");
    }
    (room.id, alice, bob)
}

#[tokio::test]
async fn users_are_found_by_id_and_by_name_in_any_case() {
    let store = TestStore::open().await;
    assert!(!store.accounts().has_admin().await.expect("has_admin"));
    let alice = store
        .accounts()
        .create_user(new_user("Alice", false))
        .await
        .expect("created");
    assert!(alice.is_active && !alice.is_admin);

    let by_id = store.accounts().user_by_id(alice.id).await.expect("by id");
    assert_eq!(by_id.username, "Alice");
    assert_eq!(by_id.email.as_deref(), Some("alice@example.com"));
    assert_eq!(by_id.password_hash, "hash-of-Alice");
    assert!(by_id.is_active && !by_id.is_admin);
    let by_name = store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("by name");
    assert_eq!(by_name.id, alice.id);
    assert_eq!(by_name.username, "Alice", "the name keeps its case");

    match store.accounts().create_user(new_user("ALICE", true)).await {
        Err(StoreError::Conflict) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(matches!(
        store.accounts().user_by_id(alice.id + 1000).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.accounts().user_by_name("nobody").await,
        Err(StoreError::NotFound)
    ));

    let mut no_email = new_user("bob", false);
    no_email.email = None;
    let bob = store.accounts().create_user(no_email).await.expect("bob");
    assert_eq!(
        store
            .accounts()
            .user_by_id(bob.id)
            .await
            .expect("bob")
            .email,
        None
    );
    assert!(!store.accounts().has_admin().await.expect("has_admin"));
    store
        .accounts()
        .create_user(new_user("root", true))
        .await
        .expect("admin");
    assert!(store.accounts().has_admin().await.expect("has_admin"));
}

#[tokio::test]
async fn users_are_listed_by_name_and_passwords_change() {
    let store = TestStore::open().await;
    for name in ["carol", "Bob", "alice", "_zed", "carol.b", "carol2"] {
        user(&store, name).await;
    }
    let names: Vec<String> = store
        .accounts()
        .list_users()
        .await
        .expect("list")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(
        names,
        ["_zed", "alice", "Bob", "carol", "carol.b", "carol2"]
    );

    let alice = store.accounts().user_by_name("alice").await.expect("alice");
    store
        .accounts()
        .set_password(alice.id, "new-hash")
        .await
        .expect("set password");
    assert_eq!(
        store
            .accounts()
            .user_by_id(alice.id)
            .await
            .expect("alice")
            .password_hash,
        "new-hash"
    );
    assert!(matches!(
        store.accounts().set_password(alice.id + 1000, "x").await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn rooms_have_unique_slugs_and_sort_by_title_in_code_point_order() {
    let store = TestStore::open().await;
    let beta = store.rooms().create_room("b", "beta").await.expect("room");
    assert_eq!((beta.slug.as_str(), beta.title.as_str()), ("b", "beta"));
    store.rooms().create_room("z", "Zulu").await.expect("room");
    store
        .rooms()
        .create_room("a2", "Alpha")
        .await
        .expect("room");
    store
        .rooms()
        .create_room("a1", "Alpha")
        .await
        .expect("room");
    match store.rooms().create_room("b", "Another beta").await {
        Err(StoreError::Conflict) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    let found = store.rooms().room_by_slug("b").await.expect("by slug");
    assert_eq!((found.id, found.title.as_str()), (beta.id, "beta"));
    assert!(matches!(
        store.rooms().room_by_slug("B").await,
        Err(StoreError::NotFound)
    ));
    // Upper case before lower case, whatever the database's locale says.
    let slugs: Vec<String> = store
        .rooms()
        .list_rooms()
        .await
        .expect("rooms")
        .into_iter()
        .map(|r| r.slug)
        .collect();
    assert_eq!(slugs, ["a1", "a2", "z", "b"]);

    let alice = user(&store, "alice").await;
    assert!(
        store
            .rooms()
            .rooms_of(alice.id)
            .await
            .expect("none")
            .is_empty()
    );
    for slug in ["b", "z", "a2"] {
        let room = store.rooms().room_by_slug(slug).await.expect("room");
        store
            .rooms()
            .add_member(room.id, alice.id, "000000")
            .await
            .expect("member");
    }
    let slugs: Vec<String> = store
        .rooms()
        .rooms_of(alice.id)
        .await
        .expect("rooms")
        .into_iter()
        .map(|r| r.slug)
        .collect();
    assert_eq!(slugs, ["a2", "z", "b"]);
}

#[tokio::test]
async fn members_have_defaults_alerts_and_presence() {
    let store = TestStore::open().await;
    let room = store
        .rooms()
        .create_room("general", "General")
        .await
        .expect("room");
    let zed = user(&store, "Zed").await;
    let alice = user(&store, "alice").await;
    let carol = user(&store, "carol").await;
    store
        .rooms()
        .add_member(room.id, zed.id, "AA0000")
        .await
        .expect("member");
    store
        .rooms()
        .add_member(room.id, alice.id, "000000")
        .await
        .expect("member");
    match store.rooms().add_member(room.id, alice.id, "00AA00").await {
        Err(StoreError::Conflict) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(matches!(
        store
            .rooms()
            .add_member(room.id + 1000, alice.id, "000000")
            .await,
        Err(StoreError::NotFound)
    ));

    let m = store.rooms().member(room.id, zed.id).await.expect("member");
    assert_eq!((m.room_id, m.user_id), (room.id, zed.id));
    assert_eq!(m.username, "Zed");
    assert_eq!(m.email.as_deref(), Some("zed@example.com"));
    assert_eq!(m.colour, "AA0000");
    assert!(m.alert && !m.mail_alert, "alerts on, e-mail off by default");
    assert_eq!(m.presence, PresenceState::default());
    assert!(matches!(
        store.rooms().member(room.id, carol.id).await,
        Err(StoreError::NotFound)
    ));
    let names: Vec<String> = store
        .rooms()
        .members(room.id)
        .await
        .expect("members")
        .iter()
        .map(|m| m.username.clone())
        .collect();
    assert_eq!(names, ["alice", "Zed"], "by name, ignoring case");

    store
        .rooms()
        .set_alerts(room.id, alice.id, false, true)
        .await
        .expect("alerts");
    let m = store
        .rooms()
        .member(room.id, alice.id)
        .await
        .expect("member");
    assert!(!m.alert && m.mail_alert);
    assert!(matches!(
        store
            .rooms()
            .set_alerts(room.id, carol.id, true, true)
            .await,
        Err(StoreError::NotFound)
    ));

    store
        .rooms()
        .save_presence(presence(room.id, alice.id, 1000))
        .await
        .expect("presence");
    let mut quiet = presence(room.id, alice.id, 2000);
    quiet.has_focus = false;
    quiet.last_spoke = None;
    store.rooms().save_presence(quiet).await.expect("presence");
    let p = store
        .rooms()
        .member(room.id, alice.id)
        .await
        .expect("member")
        .presence;
    assert_eq!(p.last_seen, Some(2000));
    assert!(!p.has_focus);
    assert_eq!(p.inactive_from, Some(2090));
    assert_eq!(p.last_spoke, Some(1000), "no new send keeps the last one");
    assert_eq!(p.last_mail_alert, None);
    store
        .rooms()
        .save_presence(presence(room.id, carol.id, 3000))
        .await
        .expect("a non-member's presence is ignored");
}

#[tokio::test]
async fn posting_numbers_messages_and_records_presence() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    let other = store
        .rooms()
        .create_room("other", "Other")
        .await
        .expect("room");
    store
        .rooms()
        .add_member(other.id, alice.id, "000000")
        .await
        .expect("member");

    let first = post(&store, room, alice.id, "one").await;
    assert_eq!(first.seq, 1);
    assert_eq!(first.username, "alice");
    assert_eq!(
        (first.room_id, first.user_id, first.time),
        (room, alice.id, 1_700_000_100)
    );
    let elsewhere = post(&store, other.id, alice.id, "elsewhere").await;
    assert_eq!(elsewhere.seq, 1, "each room counts on its own");
    let mut with_file = new_message(room, bob.id, "a file 🎉 ünïcödé");
    with_file.file = Some(Attachment {
        name: "report \"final\".pdf".to_owned(),
        size: 5_000_000_000,
        content_type: "application/pdf".to_owned(),
        key: "2024/abc".to_owned(),
    });
    let second = store
        .posting()
        .post_message(with_file)
        .await
        .expect("posted")
        .message;
    assert_eq!(second.seq, 2);
    assert!(second.id > first.id);

    let stored = store
        .messages()
        .message(room, second.id)
        .await
        .expect("stored");
    assert_eq!(stored.content, "a file 🎉 ünïcödé");
    assert_eq!(stored.html, "<p>a file 🎉 ünïcödé</p>\n");
    assert_eq!((stored.seq, stored.username.as_str()), (2, "bob"));
    let file = stored.file.expect("attachment");
    assert_eq!(file.name, "report \"final\".pdf");
    assert_eq!(file.size, 5_000_000_000);
    assert_eq!(file.content_type, "application/pdf");
    assert_eq!(file.key, "2024/abc");
    assert!(
        store
            .messages()
            .message(room, first.id)
            .await
            .expect("first")
            .file
            .is_none()
    );
    assert!(matches!(
        store.messages().message(other.id, first.id).await,
        Err(StoreError::NotFound)
    ));

    let p = store
        .rooms()
        .member(room, bob.id)
        .await
        .expect("bob")
        .presence;
    assert_eq!(p.last_spoke, Some(1_700_000_100), "a send is recorded");
    assert_eq!(p.last_seen, Some(1_700_000_100));
    assert!(p.has_focus);

    assert!(matches!(
        store
            .posting()
            .post_message(new_message(room + 1000, alice.id, "nowhere"))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.messages().newest_cursor(room).await.expect("last"),
        second.id
    );
}

#[tokio::test]
async fn a_client_id_makes_a_send_idempotent() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    let mut send = new_message(room, alice.id, "hello");
    send.client_id = Some("c-1".to_owned());
    let first = store
        .posting()
        .post_message(send.clone())
        .await
        .expect("first");
    assert!(first.created);

    let mut again = send.clone();
    again.content = "hello, edited in the retry".to_owned();
    let retry = store.posting().post_message(again).await.expect("retry");
    assert!(!retry.created);
    assert_eq!(retry.message.id, first.message.id);
    assert_eq!(retry.message.seq, 1);
    assert_eq!(retry.message.content, "hello", "the stored message wins");
    assert_eq!(retry.message.username, "alice");

    let mut bobs = send.clone();
    bobs.user_id = bob.id;
    bobs.presence.user_id = bob.id;
    let bobs = store.posting().post_message(bobs).await.expect("bob");
    assert!(bobs.created, "client ids are per member");
    assert_eq!(bobs.message.seq, 2, "the retry took no seq");
    let other = store
        .rooms()
        .create_room("other", "Other")
        .await
        .expect("room");
    store
        .rooms()
        .add_member(other.id, alice.id, "000000")
        .await
        .expect("member");
    let mut elsewhere = send.clone();
    elsewhere.room_id = other.id;
    elsewhere.presence.room_id = other.id;
    assert!(
        store
            .posting()
            .post_message(elsewhere)
            .await
            .expect("other")
            .created,
        "client ids are per room"
    );
    let mut plain = new_message(room, alice.id, "no id");
    plain.client_id = None;
    assert!(
        store
            .posting()
            .post_message(plain.clone())
            .await
            .expect("one")
            .created
    );
    assert!(
        store
            .posting()
            .post_message(plain)
            .await
            .expect("two")
            .created
    );
    assert_eq!(
        contents(
            &store
                .messages()
                .messages_after(room, 0, 100)
                .await
                .expect("all")
        ),
        ["hello", "hello", "no id", "no id"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_with_one_client_id_store_one_message() {
    let store = TestStore::open().await;
    let (room, alice, _) = general(&store).await;
    for round in 0..5 {
        let mut send = new_message(room, alice.id, &format!("round {round}"));
        send.client_id = Some(format!("race-{round}"));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (store, send) = (store.store.clone(), send.clone());
                tokio::spawn(async move { store.posting().post_message(send).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.expect("task").expect("every send succeeds"));
        }
        assert_eq!(results.iter().filter(|p| p.created).count(), 1);
        assert!(
            results
                .iter()
                .all(|p| p.message.id == results[0].message.id),
            "every sender gets the one stored message"
        );
    }
    let stored = store
        .messages()
        .messages_after(room, 0, 100)
        .await
        .expect("all");
    assert_eq!(stored.len(), 5);
    let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5], "no seq lost to a clash");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_get_gapless_seqs_in_id_order() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.store.clone();
            let user = if i % 2 == 0 { alice.id } else { bob.id };
            tokio::spawn(async move {
                store
                    .posting()
                    .post_message(new_message(room, user, &format!("m{i}")))
                    .await
            })
        })
        .collect();
    for task in tasks {
        assert!(task.await.expect("task").expect("sent").created);
    }
    let stored = store
        .messages()
        .messages_after(room, 0, 100)
        .await
        .expect("all");
    let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=40).collect::<Vec<_>>(), "ordered by id");
}

#[tokio::test]
async fn history_pages_by_id_in_both_directions() {
    let store = TestStore::open().await;
    let (room, alice, bob) = general(&store).await;
    let other = store
        .rooms()
        .create_room("other", "Other")
        .await
        .expect("room");
    store
        .rooms()
        .add_member(other.id, bob.id, "000000")
        .await
        .expect("member");
    assert!(
        store
            .messages()
            .messages_after(room, 0, 10)
            .await
            .expect("none")
            .is_empty()
    );
    let empty = store
        .messages()
        .messages_before(room, None, 10)
        .await
        .expect("none");
    assert!(empty.messages.is_empty());
    assert_eq!(empty.older, 0);
    assert_eq!(
        store.messages().newest_cursor(room).await.expect("empty"),
        0
    );
    assert_eq!(
        store
            .messages()
            .pos_at(room, i64::MAX)
            .await
            .expect("empty"),
        0
    );
    assert_eq!(
        store
            .messages()
            .count_before(room, i64::MAX)
            .await
            .expect("empty"),
        0
    );

    let mut ids = Vec::new();
    for i in 1..=7 {
        ids.push(post(&store, room, alice.id, &format!("m{i}")).await.id);
        // Interleave another room, so ids in this room have gaps.
        post(&store, other.id, bob.id, &format!("other {i}")).await;
    }

    let all = store
        .messages()
        .messages_after(room, 0, 100)
        .await
        .expect("all");
    assert_eq!(contents(&all), ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
    assert_eq!(
        contents(
            &store
                .messages()
                .messages_after(room, 0, 3)
                .await
                .expect("first 3")
        ),
        ["m1", "m2", "m3"]
    );
    assert_eq!(
        contents(
            &store
                .messages()
                .messages_after(room, ids[4], 10)
                .await
                .expect("tail")
        ),
        ["m6", "m7"]
    );
    assert!(
        store
            .messages()
            .messages_after(room, ids[6], 10)
            .await
            .expect("none newer")
            .is_empty()
    );
    assert!(
        store
            .messages()
            .messages_after(room, 0, 0)
            .await
            .expect("limit 0")
            .is_empty()
    );

    // Each page of history with how many messages are older than it.
    let window = |before: Option<i64>| {
        let store = &store;
        async move {
            store
                .messages()
                .messages_before(room, before, 3)
                .await
                .expect("page")
        }
    };
    let newest = window(None).await;
    assert_eq!(
        (contents(&newest.messages), newest.older),
        (vec!["m5", "m6", "m7"], 4),
        "the newest page, oldest first"
    );
    let older = window(Some(ids[4])).await;
    assert_eq!(
        (contents(&older.messages), older.older),
        (vec!["m2", "m3", "m4"], 1)
    );
    let oldest = window(Some(ids[1])).await;
    assert_eq!((contents(&oldest.messages), oldest.older), (vec!["m1"], 0));
    let none = window(Some(ids[0])).await;
    assert_eq!((contents(&none.messages), none.older), (vec![], 0));

    assert_eq!(
        store
            .messages()
            .count_before(room, ids[0])
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        store
            .messages()
            .count_before(room, ids[4])
            .await
            .expect("count"),
        4
    );
    assert_eq!(
        store
            .messages()
            .count_before(room, ids[6] + 1)
            .await
            .expect("count"),
        7
    );
    assert_eq!(
        store
            .messages()
            .pos_at(room, ids[0] - 1)
            .await
            .expect("seq"),
        0
    );
    assert_eq!(store.messages().pos_at(room, ids[2]).await.expect("seq"), 3);
    assert_eq!(
        store
            .messages()
            .pos_at(room, ids[2] + 1)
            .await
            .expect("seq"),
        3
    );
    assert_eq!(
        store.messages().newest_cursor(room).await.expect("last"),
        ids[6]
    );
    assert_eq!(
        store
            .messages()
            .messages_after(other.id, 0, 100)
            .await
            .expect("other")
            .len(),
        7,
        "rooms do not mix"
    );
}

#[tokio::test]
async fn secrets_keep_their_first_value_and_the_setup_token_works_once() {
    let store = TestStore::open().await;
    assert_eq!(
        store.secrets().secret("key", "first").await.expect("new"),
        "first"
    );
    assert_eq!(
        store.secrets().secret("key", "second").await.expect("kept"),
        "first"
    );
    assert_eq!(
        store.secrets().secret("other", "x").await.expect("new"),
        "x"
    );

    assert!(
        !store
            .secrets()
            .take_setup_token("h1")
            .await
            .expect("no token")
    );
    store
        .secrets()
        .set_setup_token(Some("h1"))
        .await
        .expect("set");
    assert!(
        !store
            .secrets()
            .take_setup_token("wrong")
            .await
            .expect("wrong")
    );
    assert!(store.secrets().take_setup_token("h1").await.expect("right"));
    assert!(
        !store.secrets().take_setup_token("h1").await.expect("used"),
        "one use"
    );

    store
        .secrets()
        .set_setup_token(Some("h1"))
        .await
        .expect("set");
    store
        .secrets()
        .set_setup_token(Some("h2"))
        .await
        .expect("replace");
    assert!(
        !store
            .secrets()
            .take_setup_token("h1")
            .await
            .expect("replaced")
    );
    assert!(
        store
            .secrets()
            .take_setup_token("h2")
            .await
            .expect("current")
    );

    store
        .secrets()
        .set_setup_token(Some("h3"))
        .await
        .expect("set");
    store.secrets().set_setup_token(None).await.expect("clear");
    assert!(
        !store
            .secrets()
            .take_setup_token("h3")
            .await
            .expect("cleared")
    );
    store
        .secrets()
        .set_setup_token(None)
        .await
        .expect("clearing twice is fine");
}

#[tokio::test]
async fn sessions_insert_upsert_load_expire_and_delete() {
    let store = TestStore::open().await;
    let s = store.sessions();
    assert!(s.insert("a", r#"{"n":1}"#, 1000).await.expect("insert"));
    assert!(
        !s.insert("a", r#"{"n":2}"#, 2000).await.expect("taken"),
        "an existing id is not replaced"
    );
    assert_eq!(
        s.load("a", 999).await.expect("load"),
        Some((r#"{"n":1}"#.to_owned(), 1000))
    );
    assert_eq!(s.load("a", 1000).await.expect("expired"), None);
    assert_eq!(s.load("nope", 0).await.expect("unknown"), None);

    s.upsert("a", r#"{"n":3}"#, 3000).await.expect("upsert");
    assert_eq!(
        s.load("a", 2000).await.expect("load"),
        Some((r#"{"n":3}"#.to_owned(), 3000))
    );
    s.upsert("b", "{}", 500).await.expect("upsert new");
    s.upsert("c", "{}", 1500).await.expect("upsert new");
    assert_eq!(
        s.load("b", 0).await.expect("load"),
        Some(("{}".to_owned(), 500))
    );

    assert_eq!(s.delete_expired(1500).await.expect("sweep"), 2);
    assert_eq!(s.load("b", 0).await.expect("swept"), None);
    assert_eq!(s.load("c", 0).await.expect("swept"), None);
    assert!(s.load("a", 0).await.expect("kept").is_some());
    assert_eq!(s.delete_expired(1500).await.expect("sweep"), 0);

    s.delete("a").await.expect("delete");
    assert_eq!(s.load("a", 0).await.expect("deleted"), None);
    s.delete("a").await.expect("deleting twice is fine");
    assert!(s.insert("a", "{}", 10).await.expect("id free again"));
}

#[tokio::test]
async fn a_closed_store_is_unavailable() {
    let store = TestStore::open().await;
    let alice = user(&store, "alice").await;
    store.close().await;
    assert!(matches!(
        store.accounts().user_by_id(alice.id).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.accounts().create_user(new_user("bob", false)).await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn the_store_reopens_on_the_same_data() {
    let store = TestStore::open().await;
    let (room, alice, _) = general(&store).await;
    post(&store, room, alice.id, "kept").await;
    store.close().await;
    let again = Store::open(&store.config.database_url, store.config.sqlite)
        .await
        .expect("reopens, migrations already applied");
    assert_eq!(
        contents(
            &again
                .messages()
                .messages_after(room, 0, 10)
                .await
                .expect("kept")
        ),
        ["kept"]
    );
    assert_eq!(post(&again, room, alice.id, "next").await.seq, 2);
    again.close().await;
}

#[tokio::test]
async fn an_unreachable_postgres_url_is_unavailable_and_never_shows_its_password() {
    let url = DatabaseUrl::parse("postgres://chat:hunter2@db.invalid/chat?password=hunter3")
        .expect("url");
    match Store::open(&url, conversate::config::SqliteTuning::default()).await {
        Err(StoreError::Unavailable(cause)) => {
            let text = cause.to_string();
            assert!(
                text.contains("postgres://chat:***@db.invalid/chat?password=***"),
                "{text}"
            );
            assert!(!text.contains("hunter"), "{text}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}
