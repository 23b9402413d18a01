//! Store conformance for message changes (`Lifecycle`) and the cursor order
//! they take (`Messages::news_after`, `pos_at`, `newest_cursor`), on the
//! backend the harness picked.

use conversate::domain::Message;
use conversate::store::{Change, Store, StoreError};

use crate::store::{post, user};
use crate::support::TestStore;

async fn room(store: &Store, slug: &str, members: &[i64]) -> i64 {
    let room = store.rooms().create_room(slug, slug).await.expect("room");
    for &m in members {
        store
            .rooms()
            .add_member(room.id, m, "000000")
            .await
            .expect("member");
    }
    room.id
}

fn edit(text: &str) -> Change {
    Change::Edit {
        content: text.to_owned(),
        html: format!("<p>{text}</p>\n"),
        mentions: Vec::new(),
        mentioned: Vec::new(),
        at: 1_700_000_200,
    }
}

fn ids(list: &[Message]) -> Vec<i64> {
    list.iter().map(|m| m.id).collect()
}

#[tokio::test]
async fn changes_take_the_next_position_and_a_cursor_past_every_id_so_far() {
    let store = TestStore::open().await;
    let ann = user(&store, "ann").await;
    let bo = user(&store, "bo").await;
    let r = room(&store, "r", &[ann.id, bo.id]).await;
    let other = room(&store, "other", &[ann.id]).await;
    let one = post(&store, r, ann.id, "one").await;
    let two = post(&store, r, ann.id, "two").await;
    assert_eq!((one.pos, one.rev), (1, one.id));
    assert_eq!((two.pos, two.rev), (2, two.id));

    let lc = store.lifecycle();
    let edited = lc
        .change_message(r, one.id, edit("one, fixed"))
        .await
        .expect("edited");
    assert_eq!(edited.before.content, "one");
    let m = edited.message;
    assert_eq!((m.content.as_str(), m.pos), ("one, fixed", 3));
    assert!(m.rev > two.id && m.edited.is_some() && m.changed());
    // A later message, in another room too, gets an id past that cursor.
    let elsewhere = post(&store, other, ann.id, "elsewhere").await;
    let three = post(&store, r, bo.id, "three").await;
    assert!(elsewhere.id > m.rev && three.id > elsewhere.id);
    assert_eq!(three.pos, 4);

    // Cursor order: after `two`, the edit then `three`; after the edit, `three`.
    let news = store
        .messages()
        .news_after(r, two.id, 100)
        .await
        .expect("news");
    assert_eq!(ids(&news), vec![one.id, three.id]);
    assert_eq!(news[0].content, "one, fixed");
    let news = store
        .messages()
        .news_after(r, m.rev, 100)
        .await
        .expect("news");
    assert_eq!(ids(&news), vec![three.id]);
    // From the start, each once, as it stands, in cursor order.
    let news = store.messages().news_after(r, 0, 100).await.expect("news");
    assert_eq!(ids(&news), vec![two.id, one.id, three.id]);
    assert_eq!(
        store.messages().newest_cursor(r).await.expect("cursor"),
        three.id
    );
    assert_eq!(store.messages().pos_at(r, two.id).await.expect("pos"), 2);
    assert_eq!(store.messages().pos_at(r, m.rev).await.expect("pos"), 3);
    assert_eq!(store.messages().pos_at(r, three.id).await.expect("pos"), 4);

    // History keeps the earlier text; a deletion removes text, history and reactions.
    let history = lc.edit_history(r, one.id).await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].content, "one");
    let reacted = lc
        .change_message(
            r,
            one.id,
            Change::React {
                user_id: bo.id,
                emoji: "👍".to_owned(),
                at: 1_700_000_300,
            },
        )
        .await
        .expect("reacted")
        .message;
    assert_eq!(reacted.reactions[0].users, vec!["bo".to_owned()]);
    let deleted = lc
        .change_message(r, one.id, Change::Delete { at: 1_700_000_400 })
        .await
        .expect("deleted")
        .message;
    assert!(deleted.deleted.is_some() && deleted.content.is_empty() && deleted.html.is_empty());
    assert!(deleted.reactions.is_empty());
    assert!(
        lc.edit_history(r, one.id)
            .await
            .expect("history")
            .is_empty()
    );
    assert_eq!(deleted.pos, 6);
    // A message changed since a cursor counts there by its seq: its
    // position then was at least that.
    assert_eq!(store.messages().pos_at(r, one.id).await.expect("pos"), 1);
    assert_eq!(
        store.messages().newest_cursor(r).await.expect("cursor"),
        deleted.rev
    );
    // A deleted message takes no more changes; another room's id is no message here.
    assert!(matches!(
        lc.change_message(r, one.id, edit("back")).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        lc.change_message(r, elsewhere.id, edit("x")).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        lc.live_messages_of(ann.id).await.expect("live"),
        vec![(r, two.id), (other, elsewhere.id)]
    );
}

#[tokio::test]
async fn a_batch_of_news_is_always_a_prefix_of_the_cursor_order() {
    let store = TestStore::open().await;
    let ann = user(&store, "ann").await;
    let r = room(&store, "r", &[ann.id]).await;
    let mut posted = Vec::new();
    for i in 0..12 {
        posted.push(post(&store, r, ann.id, &format!("m{i}")).await);
    }
    // Edit every other message, oldest last, so the edits' order differs from the ids'.
    for m in posted.iter().step_by(2).rev() {
        store
            .lifecycle()
            .change_message(r, m.id, edit(&format!("{} edited", m.content)))
            .await
            .expect("edited");
    }
    let whole = store.messages().news_after(r, 0, 1000).await.expect("all");
    assert_eq!(whole.len(), 12);
    assert!(whole.windows(2).all(|w| w[0].rev < w[1].rev));
    // Small batches, each continuing at the last one's cursor, give the same.
    for limit in [1, 2, 3, 5, 7] {
        let mut cursor = 0;
        let mut got: Vec<i64> = Vec::new();
        loop {
            let batch = store
                .messages()
                .news_after(r, cursor, limit)
                .await
                .expect("batch");
            if batch.is_empty() {
                break;
            }
            assert!(batch.len() <= limit as usize);
            cursor = batch.last().expect("one").rev;
            got.extend(batch.iter().map(|m| m.rev));
            if batch.len() < limit as usize {
                // A short batch is the end: what pollers learn "nothing newer" from.
                let rest = store
                    .messages()
                    .news_after(r, cursor, limit)
                    .await
                    .expect("rest");
                assert!(
                    rest.is_empty(),
                    "limit {limit}: a short batch before the end"
                );
                break;
            }
        }
        let want: Vec<i64> = whole.iter().map(|m| m.rev).collect();
        assert_eq!(got, want, "limit {limit}");
    }
}
