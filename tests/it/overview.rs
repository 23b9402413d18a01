//! The administrator's overview: its roll-ups stay true as messages come
//! and go (on both databases), and the page at `/admin/` shows the seeded
//! numbers: messages per day, the outbox, a failed delivery with its error.

use conversate::domain::overview::{DAY, day_of, week_of};
use conversate::domain::{Attachment, PresenceUpdate};
use conversate::store::{NewMessage, Store};
use reqwest::StatusCode;

use crate::store::{new_message, user};
use crate::support::{PASSWORD, TestApp, TestStore};

/// A message by `user_id` in `room_id` at `time`, optionally with a file.
fn message_at(room_id: i64, user_id: i64, time: i64, file: Option<i64>) -> NewMessage {
    let mut m = new_message(room_id, user_id, "hello");
    m.time = time;
    m.presence.last_seen = time;
    m.presence.inactive_from = time + 90;
    m.presence.last_spoke = Some(time);
    m.file = file.map(|size| Attachment {
        name: "notes.txt".to_owned(),
        size,
        content_type: "text/plain".to_owned(),
        key: format!("key-{time}-{size}"),
    });
    m
}

async fn post_at(store: &Store, room_id: i64, user_id: i64, time: i64, file: Option<i64>) {
    store
        .posting()
        .post_message(message_at(room_id, user_id, time, file))
        .await
        .expect("posted");
}

/// A store with users alice and bob and rooms club and attic, by id.
async fn two_writers_two_rooms() -> (TestStore, [i64; 2], [i64; 2]) {
    let store = TestStore::open().await;
    let alice = user(&store, "alice").await.id;
    let bob = user(&store, "bob").await.id;
    let mut rooms = [0; 2];
    for (id, (slug, title)) in rooms.iter_mut().zip([("club", "Club"), ("attic", "Attic")]) {
        *id = store
            .rooms()
            .create_room(slug, title)
            .await
            .expect("room")
            .id;
    }
    (store, [alice, bob], rooms)
}

/// The roll-ups from `day` back to three days before it: messages per room
/// and day, writers per week, and messages per weekday and hour (sorted).
async fn counted(
    store: &Store,
    day: i64,
) -> (Vec<(i64, i64, i64)>, Vec<(i64, i64)>, Vec<(i64, i64, i64)>) {
    let a = store
        .overview()
        .activity(day, day - 3)
        .await
        .expect("activity");
    let mut hours = a.week_hours;
    hours.sort_unstable();
    (a.room_days, a.week_writers, hours)
}

#[tokio::test]
async fn the_roll_ups_follow_posts_clears_and_deletes() {
    let (store, [alice, bob], [club, attic]) = two_writers_two_rooms().await;
    // Day 20_001 is a Saturday: Sunday follows in the same week, then Monday.
    let day = 20_001_i64;
    let t = day * DAY;
    post_at(&store, club, alice, t + 3_600 * 9, None).await;
    post_at(&store, club, alice, t + 3_600 * 9 + 60, Some(1_000)).await;
    post_at(&store, club, bob, t + DAY + 3_600 * 14, None).await;
    post_at(&store, attic, bob, t + 2 * DAY, Some(500)).await;
    // Before the window: not counted in activity, but its file is stored.
    post_at(&store, attic, alice, t - 10 * DAY, Some(25)).await;

    let (room_days, week_writers, hours) = counted(&store, day).await;
    assert_eq!(
        room_days,
        vec![(club, day, 2), (club, day + 1, 1), (attic, day + 2, 1)]
    );
    assert_eq!(
        week_writers,
        vec![(week_of(day), 2), (week_of(day + 2), 1)],
        "alice wrote on Saturday, bob on Sunday and Monday"
    );
    // Saturday is weekday 5, Sunday 6, Monday 0.
    assert_eq!(hours, vec![(0, 0, 1), (5, 9, 2), (6, 14, 1)]);

    let facts = store.overview().storage_facts(0).await.expect("facts");
    assert_eq!((facts.files, facts.file_bytes), (3, 1_525));
    let database = store.describe().await.expect("described");
    assert!(database.bytes > 0);
    assert!(
        database.version.starts_with("SQLite") || database.version.starts_with("PostgreSQL"),
        "{}",
        database.version
    );

    // Clearing a room takes its messages out of every roll-up.
    store.rooms().clear_room(club).await.expect("cleared");
    let a = store
        .overview()
        .activity(day, day - 3)
        .await
        .expect("activity");
    assert_eq!(a.room_days, vec![(attic, day + 2, 1)]);
    assert_eq!(a.week_writers, vec![(week_of(day + 2), 1)]);
    assert_eq!(a.week_hours, vec![(0, 0, 1)]);
    let facts = store.overview().storage_facts(0).await.expect("facts");
    assert_eq!((facts.files, facts.file_bytes), (2, 525));

    // So does deleting one; new messages count again.
    store.rooms().delete_room(attic).await.expect("deleted");
    let a = store
        .overview()
        .activity(day - 20, day - 20)
        .await
        .expect("activity");
    assert_eq!(a, conversate::domain::overview::Activity::default());
    let facts = store.overview().storage_facts(0).await.expect("facts");
    assert_eq!((facts.files, facts.file_bytes), (0, 0));
    post_at(&store, club, bob, t + 3 * DAY, None).await;
    let a = store.overview().activity(day, day).await.expect("activity");
    assert_eq!(a.room_days, vec![(club, day + 3, 1)]);
}

/// Posts stored together by group commit reach the roll-ups through one
/// INSERT (the trigger runs once for the statement, migration 0021 on
/// PostgreSQL): the counts must be those of posting one by one.
#[tokio::test]
async fn a_batch_of_posts_is_counted_as_its_messages() {
    let (store, [alice, bob], [club, attic]) = two_writers_two_rooms().await;
    let day = 20_001_i64;
    let t = day * DAY;
    let batch = [
        (club, alice, t + 3_600 * 9, None),
        (club, alice, t + 3_600 * 9 + 60, Some(1_000)),
        (club, bob, t + 3_600 * 9 + 120, None),
        (club, bob, t + DAY + 3_600 * 14, Some(7)),
        (attic, bob, t + 2 * DAY, Some(500)),
        (attic, alice, t + 2 * DAY + 1, None),
    ];
    let posts = batch
        .iter()
        .map(|&(room, user, time, file)| post_at(&store, room, user, time, file));
    futures_util::future::join_all(posts).await;
    let (room_days, week_writers, hours) = counted(&store, day).await;
    assert_eq!(
        room_days,
        vec![(club, day, 3), (club, day + 1, 1), (attic, day + 2, 2)]
    );
    assert_eq!(
        week_writers,
        vec![(week_of(day), 2), (week_of(day + 2), 2)],
        "alice and bob wrote on Saturday, bob on Sunday, both on Monday"
    );
    assert_eq!(hours, vec![(0, 0, 2), (5, 9, 3), (6, 14, 1)]);
    let facts = store.overview().storage_facts(0).await.expect("facts");
    assert_eq!((facts.files, facts.file_bytes), (3, 1_507));
}

#[tokio::test]
async fn nodes_are_counted_while_they_are_heard_from() {
    let store = TestStore::open().await;
    let overview = store.overview();
    overview
        .node_alive(7, "1.0", 100, 1_000)
        .await
        .expect("alive");
    overview
        .node_alive(-8, "1.0", 100, 1_050)
        .await
        .expect("alive");
    overview
        .node_alive(7, "1.1", 100, 1_100)
        .await
        .expect("alive");
    let alive = |since| async move {
        overview
            .storage_facts(since)
            .await
            .expect("facts")
            .nodes_alive
    };
    assert_eq!(alive(1_000).await, 2);
    assert_eq!(alive(1_060).await, 1);
    // A node silent for a day is forgotten by the next heartbeat.
    overview
        .node_alive(9, "1.1", 100, 1_101 + DAY)
        .await
        .expect("alive");
    assert_eq!(alive(0).await, 1);
}

/// The label the page gives a day: `Mon 30 Nov`.
fn day_label(day: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(day * DAY).expect("time");
    let (weekday, month) = (t.weekday().to_string(), t.month().to_string());
    format!("{} {} {}", &weekday[..3], t.day(), &month[..3])
}

/// The number in the daily table's row for `day`.
fn daily_row(html: &str, day: i64) -> Option<i64> {
    let head = format!("<tr><th scope=\"row\">{}</th><td>", day_label(day));
    let start = html.find(&head)? + head.len();
    html[start..].split('<').next()?.parse().ok()
}

/// The text inside the element with `id`, tags left in.
fn by_id<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no #{id}")) + marker.len();
    let end = html[start..].find("</dd>").expect("end of the item");
    &html[start..start + end]
}

#[tokio::test]
async fn the_overview_shows_the_seeded_numbers() {
    let app = TestApp::start().await;
    app.create_user("root", true).await;
    let club = app.create_room("club", "The Club").await.id;
    let attic = app.create_room("attic", "Attic").await.id;
    for name in ["alice", "bob", "carol"] {
        app.create_user(name, false).await;
        app.add_member("club", name).await;
    }
    conversate::service::accounts::create_user(
        &app.store,
        &conversate::service::password::Policy::default(),
        "dave",
        None,
        PASSWORD,
        false,
    )
    .await
    .expect("dave");
    let (alice, bob, carol) = (
        app.user_id("alice").await,
        app.user_id("bob").await,
        app.user_id("carol").await,
    );
    let store = &app.store;
    let now = conversate::domain::now();
    let today = day_of(now);
    let at = |day: i64, hour: i64| day * DAY + hour * 3_600;

    // History: 2 messages 40 days ago, 5 two days ago, 7 a hundred days ago
    // (outside the 90 days shown), one in the attic 120 days ago.
    for i in 0..2 {
        post_at(store, club, alice, at(today - 40, 8) + i, None).await;
    }
    for i in 0..5 {
        post_at(
            store,
            club,
            if i % 2 == 0 { alice } else { carol },
            at(today - 2, 15) + i,
            None,
        )
        .await;
    }
    for i in 0..7 {
        post_at(store, club, alice, at(today - 100, 10) + i, None).await;
    }
    post_at(store, attic, alice, at(today - 120, 0), None).await;

    // Bob and carol want e-mail alerts and are away: bob for 100 days.
    for (who, seen) in [(bob, now - 100 * DAY), (carol, now - 3_600)] {
        store
            .rooms()
            .set_alerts(club, who, true, true)
            .await
            .expect("alerts");
        store
            .rooms()
            .save_presence(PresenceUpdate {
                room_id: club,
                user_id: who,
                last_seen: seen,
                has_focus: false,
                inactive_from: seen + 90,
                last_spoke: None,
            })
            .await
            .expect("presence");
    }
    // Three messages today alert both, once each.
    for i in 0..3 {
        post_at(store, club, alice, (now - 5 + i).max(at(today, 0)), None).await;
    }
    let due = store.outbox().due_alerts(now + DAY, 10).await.expect("due");
    assert_eq!(due.len(), 2, "bob and carol are alerted");
    store
        .outbox()
        .alert_failed(due[0].id, now, now + 600, "550 5.1.1 mailbox unavailable")
        .await
        .expect("failed");

    let root = app.login("root").await;
    let (status, html) = root.text("admin/").await;
    assert_eq!(status, StatusCode::OK);

    // Messages per day, in the table the chart stands beside.
    assert_eq!(daily_row(&html, today), Some(3));
    assert_eq!(daily_row(&html, today - 2), Some(5));
    assert_eq!(daily_row(&html, today - 40), Some(2));
    assert_eq!(daily_row(&html, today - 1), Some(0));
    assert_eq!(daily_row(&html, today - 100), None, "outside the 90 days");
    assert!(
        html.contains("10 messages in the last 90 days, 3 today; the busiest day was"),
        "the chart's description sums it up"
    );
    assert!(html.contains("<desc id=\"cv-daily-chart-desc\">10 messages"));
    assert!(html.contains("The Club: 10 messages in the last 90 days, 8 in the last 7"));
    // Members who wrote this week: alice, and carol if two days ago was this week.
    let this_week = if week_of(today - 2) == week_of(today) {
        2
    } else {
        1
    };
    assert!(
        html.contains(&format!(
            "at least one message, per week (weeks start on Monday): {this_week} this week"
        )),
        "writers this week"
    );

    // The outbox: two waiting since today, one failed with its error.
    let pending = by_id(&html, "cv-outbox-pending");
    assert!(pending.starts_with("2, the oldest queued "), "{pending}");
    let failed = by_id(&html, "cv-outbox-failed");
    assert!(failed.starts_with('1'), "{failed}");
    assert!(failed.contains("550 5.1.1 mailbox unavailable"), "{failed}");
    assert!(failed.contains(&due[0].recipient), "{failed}");

    // Health of this node.
    assert!(html.contains(concat!(
        "Conversate ",
        env!("CARGO_PKG_VERSION"),
        ", up for "
    )));
    // The engine with the setting its durability hangs on.
    assert!(
        html.contains(", synchronous=FULL") || html.contains(", synchronous_commit=on"),
        "{html}"
    );

    // Attention, each linked to the page that fixes it.
    let attention = &html[html.find("id=\"cv-attention\"").expect("attention")..];
    assert!(attention.contains("<a href=\"/admin/users/bob/\">bob</a> <span class=\"cv-room-meta\">last seen 100 days ago"), "{attention}");
    assert!(!attention.contains("/admin/users/carol/"), "{attention}");
    assert!(attention.contains("<a href=\"/admin/rooms/attic/\">Attic</a> <span class=\"cv-room-meta\">last message 120 days ago"), "{attention}");
    assert!(
        attention.contains("<li><a href=\"/admin/users/dave/\">dave</a></li>"),
        "{attention}"
    );

    // Every chart has a title and a description, and a table beside it.
    assert_eq!(
        html.matches("<svg ").count(),
        html.matches("role=\"img\" aria-labelledby=").count()
    );
    assert_eq!(
        html.matches("<svg ").count(),
        4,
        "day, one room, week, hours"
    );
    assert_eq!(
        html.matches("<details class=\"cv-chart-table\">").count(),
        4
    );

    // Not for members.
    let alice_browser = app.login("alice").await;
    assert_eq!(alice_browser.text("admin/").await.0, StatusCode::FORBIDDEN);
}
