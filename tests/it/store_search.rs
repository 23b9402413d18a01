//! Store conformance for search (`Search::search`): the same results on
//! both backends, whichever path stored the messages.

use conversate::domain::search::Query;
use conversate::store::{SearchCursor, SearchOrder, SearchRequest, Store};

use crate::store::{post, user};
use crate::support::TestStore;

fn request(user_id: i64, q: &str) -> SearchRequest {
    let q = Query::parse(q);
    SearchRequest {
        user_id,
        all_rooms: false,
        room_id: None,
        author_id: None,
        terms: q.terms,
        has_file: false,
        has_link: false,
        mentions_me: false,
        before: None,
        after: None,
        order: SearchOrder::Newest,
        cursor: None,
        limit: 100,
    }
}

async fn found(store: &Store, r: &SearchRequest) -> Vec<i64> {
    store
        .search()
        .search(r)
        .await
        .expect("search")
        .iter()
        .map(|h| h.message.id)
        .collect()
}

#[tokio::test]
async fn every_message_of_a_group_commit_is_indexed() {
    let store = TestStore::open().await;
    let room = store
        .rooms()
        .create_room("general", "General")
        .await
        .expect("room");
    let ann = user(&store, "ann").await;
    store
        .rooms()
        .add_member(room.id, ann.id, "000000")
        .await
        .expect("member");
    // Posted together, these go through SQLite's bulk statements.
    let posts = (0..50).map(|i| {
        let store = store.store.clone();
        async move {
            post(&store, room.id, ann.id, &format!("batch message {i}"))
                .await
                .id
        }
    });
    let mut ids = futures_util::future::join_all(posts).await;
    ids.sort_unstable();
    ids.reverse();
    assert_eq!(found(&store, &request(ann.id, "batch")).await, ids);
    assert_eq!(
        found(&store, &request(ann.id, "\"message 7\"")).await.len(),
        1
    );

    let hits = store
        .search()
        .search(&request(ann.id, "batch"))
        .await
        .expect("hits");
    assert_eq!(hits[0].room.slug, "general");
    assert_eq!(hits[0].message.username, "ann");
    assert!(
        hits[0].score.abs() < f64::EPSILON,
        "no score when newest first"
    );

    // Keyset paging: after a cursor, only older ones.
    let mut r = request(ann.id, "batch");
    r.limit = 10;
    r.cursor = Some(SearchCursor {
        id: ids[9],
        score: 0.0,
    });
    assert_eq!(found(&store, &r).await, ids[10..20].to_vec());

    // Best match: better scores first, and the cursor goes on from one.
    let odd = post(&store, room.id, ann.id, "batch batch batch").await.id;
    let mut r = request(ann.id, "batch");
    r.order = SearchOrder::Best;
    let hits = store.search().search(&r).await.expect("best");
    assert_eq!(hits[0].message.id, odd);
    assert!(hits[0].score > hits[1].score);
    r.cursor = Some(SearchCursor {
        id: hits[0].message.id,
        score: hits[0].score,
    });
    r.limit = 5;
    let next = store.search().search(&r).await.expect("next");
    assert_eq!(next[0].message.id, hits[1].message.id);

    // Not a member: nothing, unless every room is asked for.
    let bo = user(&store, "bo").await;
    assert!(found(&store, &request(bo.id, "batch")).await.is_empty());
    let mut r = request(bo.id, "batch");
    r.all_rooms = true;
    assert_eq!(found(&store, &r).await.len(), 51);
}
