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
        scan_limit: 10_000,
    }
}

async fn found(store: &Store, r: &SearchRequest) -> Vec<i64> {
    store
        .search()
        .search(r)
        .await
        .expect("search")
        .hits
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
        .expect("hits")
        .hits;
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
    let hits = store.search().search(&r).await.expect("best").hits;
    assert_eq!(hits[0].message.id, odd);
    assert!(hits[0].score > hits[1].score);
    r.cursor = Some(SearchCursor {
        id: hits[0].message.id,
        score: hits[0].score,
    });
    r.limit = 5;
    let next = store.search().search(&r).await.expect("next").hits;
    assert_eq!(next[0].message.id, hits[1].message.id);

    // Not a member: nothing, unless every room is asked for.
    let bo = user(&store, "bo").await;
    assert!(found(&store, &request(bo.id, "batch")).await.is_empty());
    let mut r = request(bo.id, "batch");
    r.all_rooms = true;
    assert_eq!(found(&store, &r).await.len(), 51);
}

#[tokio::test]
async fn a_search_looks_at_no_more_than_its_scan_limit() {
    let store = TestStore::open().await;
    let room = store
        .rooms()
        .create_room("general", "General")
        .await
        .expect("room");
    let ann = user(&store, "ann").await;
    let bo = user(&store, "bo").await;
    store
        .rooms()
        .add_member(room.id, ann.id, "000000")
        .await
        .expect("member");
    let mut ids = Vec::new();
    for i in 0..30 {
        let author = if i % 10 == 0 { bo.id } else { ann.id };
        ids.push(post(&store, room.id, author, &format!("scan {i}")).await.id);
    }
    ids.reverse();
    let bos: Vec<i64> = ids.iter().copied().skip(9).step_by(10).collect();
    // bo's messages, looking at 5 candidates at a time: pages hold 0 or 1
    // hit, and each says where to go on.
    for words in ["scan", ""] {
        let mut r = request(ann.id, words);
        r.author_id = Some(bo.id);
        r.scan_limit = 5;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = store.search().search(&r).await.expect("page");
            pages += 1;
            assert!(page.hits.len() <= 1);
            seen.extend(page.hits.iter().map(|h| h.message.id));
            match page.scanned_to {
                Some(floor) => {
                    r.cursor = Some(SearchCursor {
                        id: floor,
                        score: 0.0,
                    })
                }
                None => break,
            }
        }
        assert_eq!(seen, bos, "{words:?}");
        // 30 candidates, 5 a page, and perhaps an empty last look (without
        // words the window is a range of ids, which may end at the first).
        assert!((6..=7).contains(&pages), "{words:?}: {pages} pages");
    }
}
