//! Search (`docs/api.md`, Search): the query language, Unicode, who finds
//! what, the index kept right as rooms are cleared and deleted, hostile
//! queries, the page without JavaScript and the room opened around a result.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Browser, TestApp};

async fn send(b: &Browser, slug: &str, text: &str) -> i64 {
    let (status, body) = b
        .api(&format!("{slug}/api/send/"), &[("content", text)])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["last"].as_i64().expect("id")
}

/// `GET /api/search/` with these query-string fields: (status, body).
async fn api(b: &Browser, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = b
        .client
        .get(format!("{}?{}", b.url("api/search/"), qs(fields)))
        .send()
        .await
        .expect("GET");
    let status = r.status();
    (status, r.json().await.expect("JSON"))
}

fn qs(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).expect("query string")
}

/// The ids `b` finds for `q`, newest first (the first page).
async fn ids(b: &Browser, q: &str) -> Vec<i64> {
    let (status, body) = api(b, &[("q", q)]).await;
    assert_eq!(status, StatusCode::OK, "{q:?}: {body}");
    assert_eq!(body["success"], true);
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn words_phrases_prefixes_and_operators() {
    let app = TestApp::start().await;
    app.with_room().await;
    app.create_room("other", "Other").await;
    app.add_member("other", "alice").await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;

    let address = send(&alice, "general", "The address is 12 Main Street, come by").await;
    let street = send(&bob, "general", "Which street? The main one?").await;
    let link = send(&bob, "general", "Map: https://example.com/main-street").await;
    let mention = send(&bob, "general", "@alice the street is closed").await;
    let elsewhere = send(&alice, "other", "Another street, another room").await;
    let (status, body) = alice.upload("street-map.pdf", b"%PDF".to_vec(), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let file = body["last"].as_i64().expect("id");

    // Words, newest first; every word must match.
    assert_eq!(
        ids(&alice, "street").await,
        vec![file, elsewhere, mention, link, street, address]
    );
    assert_eq!(
        ids(&alice, "main street").await,
        vec![link, street, address]
    );
    // Phrases keep their order; a word of punctuation is a phrase too.
    assert_eq!(ids(&alice, "\"main street\"").await, vec![link, address]);
    assert!(ids(&alice, "\"street main\"").await.is_empty());
    assert_eq!(ids(&alice, "main-street").await, vec![link, address]);
    // Prefixes: `word*`, as the search box sends the last word while typing.
    assert!(ids(&alice, "addr").await.is_empty());
    assert_eq!(ids(&alice, "addr*").await, vec![address]);
    assert_eq!(ids(&alice, "ADDRE*").await, vec![address]);
    // Operators.
    assert_eq!(
        ids(&alice, "street from:bob").await,
        vec![mention, link, street]
    );
    assert_eq!(ids(&alice, "from:@Bob").await, vec![mention, link, street]);
    assert_eq!(ids(&alice, "street in:other").await, vec![elsewhere]);
    assert_eq!(ids(&alice, "has:link").await, vec![link]);
    assert_eq!(ids(&alice, "has:file").await, vec![file]);
    assert_eq!(ids(&alice, "street is:mention").await, vec![mention]);
    assert!(ids(&bob, "is:mention").await.is_empty());
    assert!(ids(&alice, "street before:2000-01-01").await.is_empty());
    assert_eq!(ids(&alice, "address after:2000-01-01").await, vec![address]);
    assert_eq!(
        ids(&alice, "address before:2999-01-01").await,
        vec![address]
    );
    assert!(ids(&alice, "address after:2999-01-01").await.is_empty());
    // Nobody and nowhere find nothing.
    assert!(ids(&alice, "street from:nobody").await.is_empty());
    assert!(ids(&alice, "street in:nowhere").await.is_empty());

    // The answer's shape, and the excerpt's highlight.
    let (_, body) = api(&alice, &[("q", "address")]).await;
    let result = body["results"][0].as_object().expect("result");
    let mut keys: Vec<&str> = result.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["excerpt_html", "id", "room", "time", "user"]);
    assert_eq!(result["room"], "general");
    assert_eq!(result["user"], "alice");
    assert_eq!(
        result["excerpt_html"],
        "The <mark>address</mark> is 12 Main Street, come by"
    );
    assert_eq!(body["next"], Value::Null);
    // The file's name is searched and shown.
    let (_, body) = api(&alice, &[("q", "pdf")]).await;
    assert_eq!(
        body["results"][0]["excerpt_html"],
        "street-map.<mark>pdf</mark>"
    );
}

#[tokio::test]
async fn pages_by_keyset_in_both_orders() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let mut sent = Vec::new();
    for i in 0..25 {
        let text = if i % 5 == 0 {
            format!("note {i}: note note")
        } else {
            format!("note {i}")
        };
        sent.push(send(&alice, "general", &text).await);
    }
    for order in ["newest", "best"] {
        let (status, first) = api(&alice, &[("q", "note"), ("order", order)]).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        let page: Vec<i64> = first["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["id"].as_i64().expect("id"))
            .collect();
        assert_eq!(page.len(), 20, "{order}");
        let next = first["next"].as_str().expect("a next page").to_owned();
        let (status, second) = api(
            &alice,
            &[("q", "note"), ("order", order), ("cursor", next.as_str())],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{second}");
        assert_eq!(second["next"], Value::Null);
        let mut all: Vec<i64> = page.clone();
        all.extend(
            second["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|r| r["id"].as_i64().expect("id")),
        );
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, sent, "{order}: every message once");
        if order == "newest" {
            let mut newest = sent.clone();
            newest.reverse();
            assert_eq!(all, newest);
        } else {
            // The five with "note" three times come first.
            let mut best: Vec<i64> = all[..5].to_vec();
            best.sort_unstable();
            let heavy: Vec<i64> = sent.iter().step_by(5).copied().collect();
            assert_eq!(best, heavy);
        }
    }
    let (status, body) = api(&alice, &[("q", "note"), ("cursor", "nonsense")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["success"], false);
}

#[tokio::test]
async fn unicode_text_is_found_sensibly() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let cafe = send(&alice, "general", "Meet at the Café Crème at noon").await;
    let russian = send(&alice, "general", "Привет, мир! Встреча в 5").await;
    let japanese = send(&alice, "general", "東京 タワー で会いましょう").await;
    let emoji = send(&alice, "general", "Party time :tada: :Tada:").await;
    let german = send(&alice, "general", "Straße über Öl").await;

    assert_eq!(ids(&alice, "cafe").await, vec![cafe]);
    assert_eq!(ids(&alice, "CAFÉ creme").await, vec![cafe]);
    assert_eq!(ids(&alice, "\"cafe creme\"").await, vec![cafe]);
    assert_eq!(ids(&alice, "привет").await, vec![russian]);
    assert_eq!(ids(&alice, "МИР").await, vec![russian]);
    assert_eq!(ids(&alice, "東京").await, vec![japanese]);
    assert_eq!(ids(&alice, "タワー").await, vec![japanese]);
    assert_eq!(ids(&alice, "tada").await, vec![emoji]);
    assert_eq!(ids(&alice, ":tada:").await, vec![emoji]);
    assert_eq!(ids(&alice, "uber oel").await.len(), 0, "no transliteration");
    assert_eq!(ids(&alice, "über öl").await, vec![german]);
    assert_eq!(ids(&alice, "uber ol").await, vec![german]);
    let (_, body) = api(&alice, &[("q", "cafe")]).await;
    assert_eq!(
        body["results"][0]["excerpt_html"],
        "Meet at the <mark>Café</mark> Crème at noon"
    );
}

#[tokio::test]
async fn only_members_find_and_leaving_ends_it() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    app.create_user("root", true).await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let carol = app.login("carol").await;
    let root = app.login("root").await;
    let secret = send(&alice, "general", "the secret plan is ready").await;

    assert_eq!(ids(&bob, "secret").await, vec![secret]);
    // A non-member finds nothing, not even a count, and `in:` the room
    // answers exactly as a room that does not exist.
    assert!(ids(&carol, "secret").await.is_empty());
    let (_, in_room) = api(&carol, &[("q", "secret in:general")]).await;
    let (_, in_nothing) = api(&carol, &[("q", "secret in:nosuchroom")]).await;
    assert_eq!(in_room, in_nothing);
    assert_eq!(
        in_room,
        serde_json::json!({"success": true, "results": [], "next": null})
    );
    let (status, page) = carol.text("search/?q=secret+in%3Ageneral").await;
    assert_eq!(status, StatusCode::OK);
    let (_, page_nothing) = carol.text("search/?q=secret+in%3Anosuchroom").await;
    assert!(!page.contains("plan"));
    assert_eq!(
        page.replace("general", "X").replace("nosuchroom", "X"),
        page_nothing
            .replace("general", "X")
            .replace("nosuchroom", "X"),
        "the page tells a missing room and a closed one alike"
    );

    // An administrator searches their own rooms unless they ask for every
    // room, which the audit log records.
    assert!(ids(&root, "secret").await.is_empty());
    let (status, body) = api(&root, &[("q", "secret"), ("scope", "all")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["id"], secret);
    let audit = app.store.audit().audit_log(10).await.expect("audit");
    assert!(
        audit.iter().any(|e| e.action == "search.all_rooms"
            && e.actor_name == "root"
            && e.detail.contains("secret")),
        "{audit:?}"
    );
    // Others asking for every room get their own rooms.
    let (_, body) = api(&carol, &[("q", "secret"), ("scope", "all")]).await;
    assert_eq!(body["results"], serde_json::json!([]));

    // A member who left stops finding the room's messages at once.
    let bob_id = app.user_id("bob").await;
    app.store
        .rooms()
        .remove_member(room.id, bob_id)
        .await
        .expect("removed");
    assert!(ids(&bob, "secret").await.is_empty());
    assert!(ids(&bob, "secret in:general").await.is_empty());
}

#[tokio::test]
async fn cleared_and_deleted_rooms_leave_the_index() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    app.create_room("other", "Other").await;
    app.add_member("other", "alice").await;
    let alice = app.login("alice").await;
    send(&alice, "general", "pineapple one").await;
    send(&alice, "general", "pineapple two").await;
    let kept = send(&alice, "other", "pineapple three").await;
    assert_eq!(ids(&alice, "pineapple").await.len(), 3);

    app.store
        .rooms()
        .clear_room(room.id)
        .await
        .expect("cleared");
    assert_eq!(ids(&alice, "pineapple").await, vec![kept]);
    let again = send(&alice, "general", "pineapple four").await;
    assert_eq!(ids(&alice, "pineapple").await, vec![again, kept]);

    let other = app.room_id("other").await;
    app.store.rooms().delete_room(other).await.expect("deleted");
    assert_eq!(ids(&alice, "pineapple").await, vec![again]);
}

/// At least 30 nasty queries: none is a server error, each answers quickly.
#[tokio::test]
async fn hostile_queries_get_clean_answers() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    send(
        &alice,
        "general",
        "<script>alert(1)</script> & \"quotes\" 'single' OR AND NOT",
    )
    .await;
    let long = "a".repeat(10 * 1024);
    let many_words = "word ".repeat(90);
    let queries: Vec<&str> = vec![
        "\"",
        "\"\"",
        "\"unterminated phrase",
        "*",
        "**",
        "a*",
        "-",
        "NOT",
        "OR",
        "a OR b",
        "a AND NOT b",
        "NEAR(a b, 3)",
        "content:script",
        "file_name:x",
        "^script",
        "script + alert",
        "(((",
        ")",
        "{a b}",
        "a:b:c",
        "'",
        "''; DROP TABLE messages; --",
        "!:*&|<->",
        "a & b | !c",
        "'a':* & 'b'",
        "\\",
        "\\\"",
        "\u{0}",
        "x\u{0}y",
        "from:",
        "in:",
        "has:",
        "is:",
        "before:",
        "after:99999-99-99",
        "before:2026-13-45",
        "from:\"alice\"",
        "in:../../etc",
        "from:<script>",
        "%",
        "_",
        "%_%",
        "\u{202E}script",
        "\u{FEFF}",
        "🎉",
        "😀😀😀*",
        "ﷺ",
        &many_words,
        "<mark>",
        "</mark><script>",
    ];
    assert!(queries.len() >= 30);
    for q in &queries {
        let started = std::time::Instant::now();
        let (status, body) = api(&alice, &[("q", q), ("order", "best")]).await;
        assert_eq!(status, StatusCode::OK, "{q:?}: {body}");
        assert_eq!(body["success"], true, "{q:?}");
        let (status, _) = api(&alice, &[("q", q)]).await;
        assert_eq!(status, StatusCode::OK, "{q:?}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{q:?} took {:?}",
            started.elapsed()
        );
        let r = alice
            .client
            .get(format!("{}?{}", alice.url("search/"), qs(&[("q", q)])))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), StatusCode::OK, "page for {q:?}");
        let html = r.text().await.expect("body");
        assert!(!html.contains("<script>alert"), "{q:?}");
        assert!(!html.contains("</mark><script>"), "{q:?}");
    }
    // Too long: a sentence, not a failure.
    let (status, body) = api(&alice, &[("q", long.as_str())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["success"], false);
    assert!(body["error"].as_str().expect("error").contains("500"));
    let r = alice
        .client
        .get(format!("{}?{}", alice.url("search/"), qs(&[("q", &long)])))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Bytes that are not UTF-8 (a lone surrogate, %-encoded) and repeated fields.
    for raw in [
        "q=%ED%A0%80",
        "q=%FF%FE",
        "q=%C0",
        "q=a&q=b&order=x&scope=&cursor=",
        "q",
        "=",
        "q=%",
        "q=%%%",
    ] {
        let r = alice
            .client
            .get(format!("{}?{raw}", alice.url("api/search/")))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), StatusCode::OK, "{raw}");
        let r = alice
            .client
            .get(format!("{}?{raw}", alice.url("search/")))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), StatusCode::OK, "{raw}");
    }
    // The excerpt of hostile text is escaped, the highlight around it.
    let (_, body) = api(&alice, &[("q", "script")]).await;
    assert_eq!(
        body["results"][0]["excerpt_html"],
        "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; &amp; &quot;quotes&quot; &#x27;single&#x27; OR AND NOT"
    );
    // Logged out: the API's 401, the page's login redirect.
    let anonymous = app.browser();
    let (status, body) = api(&anonymous, &[("q", "script")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let r = anonymous.get("search/?q=script").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_page_works_without_javascript_and_links_into_the_room() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(send(&alice, "general", &format!("line {i}")).await);
    }
    let target = send(&alice, "general", "the <b>lighthouse</b> keeper").await;
    for i in 12..22 {
        send(&alice, "general", &format!("line {i}")).await;
    }

    let r = alice.get("search?q=x%20y").await;
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.headers()["location"], "/search/?q=x%20y");

    // Search boxes: on the index, and in the room, scoped to it.
    let (_, index) = alice.text("").await;
    assert!(index.contains("action=\"/search/\""), "{index}");
    let (_, room) = alice.text("general/").await;
    assert!(room.contains("value=\"in:general \""), "{room}");

    let (status, html) = alice.text("search/?q=in%3Ageneral+lighthouse").await;
    assert_eq!(status, StatusCode::OK);
    let link = format!("/general/m/{target}/#cv-m-{target}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(
        html.contains("the &lt;b&gt;<mark>lighthouse</mark>&lt;/b&gt; keeper"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "no inline script: {html}");

    // Paging without JavaScript: an "older results" link.
    let (_, html) = alice.text("search/?q=line").await;
    let next = html
        .split("id=\"cv-search-next\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an older-results link")
        .replace("&amp;", "&");
    let (status, older) = alice.text(&next).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(older.matches("class=\"cv-result\"").count(), 2);

    // The room around the result (its permalink), the result marked.
    let (status, room) = alice.text(&format!("general/m/{target}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        room.contains(&format!("cv-message cv-highlight\" id=\"cv-m-{target}\"")),
        "{room}"
    );
    assert!(
        room.contains(&format!("id=\"cv-m-{}\"", ids[11])),
        "context before"
    );
    assert!(room.contains("\"live\": false"), "a static page: {room}");
    // Non-members get the missing room's 404; ids of other rooms are not found.
    let (status, _) = carol.text(&format!("general/m/{target}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = alice.text("general/m/999999/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn search_is_a_reserved_room_slug() {
    let app = TestApp::start().await;
    assert!(
        conversate::service::accounts::create_room(&app.store, "search", "Search")
            .await
            .is_err()
    );
}

/// Edits and deletions (an UPDATE of the text, which is how a deleted
/// message is blanked) and rows written by other means (an import) are
/// indexed by the database itself.
#[tokio::test]
async fn changes_made_in_the_database_keep_the_index_right() {
    use crate::auth::raw_sql;
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let id = send(&alice, "general", "the walrus said").await;
    assert_eq!(ids(&alice, "walrus").await, vec![id]);

    raw_sql(
        &app,
        &format!("UPDATE messages SET content = 'the narwhal said' WHERE id = {id}"),
    )
    .await;
    assert!(ids(&alice, "walrus").await.is_empty());
    assert_eq!(ids(&alice, "narwhal").await, vec![id]);

    raw_sql(
        &app,
        &format!("UPDATE messages SET content = '' WHERE id = {id}"),
    )
    .await;
    assert!(ids(&alice, "narwhal").await.is_empty());

    let alice_id = app.user_id("alice").await;
    raw_sql(
        &app,
        &format!(
            "INSERT INTO messages (room_id, seq, user_id, created_at, content, html) \
             VALUES ({}, 1000, {alice_id}, 1000, 'an imported orca', '<p>an imported orca</p>')",
            room.id
        ),
    )
    .await;
    assert_eq!(ids(&alice, "orca").await.len(), 1);
    raw_sql(&app, "DELETE FROM messages WHERE content LIKE '%orca%'").await;
    assert!(ids(&alice, "orca").await.is_empty());
}

/// Damages the search index under a running server, as a disk fault or an
/// interrupted rebuild would: on SQLite the index is emptied (the messages
/// stay); on PostgreSQL a concurrent index build fails halfway and leaves
/// the invalid `messages_search_ccnew` index behind, which every insert
/// would go on maintaining. Answers whether the index was emptied.
async fn damage_index(app: &TestApp) -> bool {
    use conversate::config::DatabaseUrl;
    use sqlx::Connection as _;
    match &app.config.database_url {
        DatabaseUrl::Sqlite { path, .. } => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .busy_timeout(std::time::Duration::from_secs(10));
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("sqlite");
            sqlx::query("INSERT INTO messages_search (messages_search) VALUES ('delete-all')")
                .execute(&mut conn)
                .await
                .expect("delete-all");
            conn.close().await.expect("close");
            true
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.expect("postgres");
            // Every room has several messages, so a unique index on the
            // room fails once built, and CONCURRENTLY leaves it invalid.
            let failed = sqlx::raw_sql(
                "CREATE UNIQUE INDEX CONCURRENTLY messages_search_ccnew ON messages (room_id)",
            )
            .execute(&mut conn)
            .await;
            assert!(failed.is_err(), "the unique index should fail");
            conn.close().await.expect("close");
            assert_eq!(invalid_indexes(app).await, vec!["messages_search_ccnew"]);
            false
        }
    }
}

/// The names of the invalid indexes on `messages` (PostgreSQL).
async fn invalid_indexes(app: &TestApp) -> Vec<String> {
    crate::auth::raw_sql(
        app,
        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = 'messages'::regclass AND NOT i.indisvalid",
    )
    .await
}

/// How many messages are stored.
async fn stored(app: &TestApp) -> i64 {
    crate::auth::raw_sql(app, "SELECT CAST(COUNT(*) AS TEXT) FROM messages").await[0]
        .parse()
        .expect("a count")
}

/// `conversate search rebuild` while the server runs and a member posts:
/// the damaged index is whole again, and every message posted before and
/// during the rebuild is found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_rebuilds_the_index_while_members_post() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let mut before = Vec::new();
    for i in 0..12 {
        before.push(send(&alice, "general", &format!("kestrel number {i}")).await);
    }
    before.reverse();
    assert_eq!(ids(&alice, "kestrel").await, before);

    if damage_index(&app).await {
        assert!(
            ids(&alice, "kestrel").await.is_empty(),
            "the index was emptied"
        );
    }

    let stored_before = stored(&app).await;
    let poster = tokio::spawn(async move {
        let mut during = Vec::new();
        for i in 0..12 {
            during.push(send(&alice, "general", &format!("osprey number {i}")).await);
        }
        (alice, during)
    });
    let (ok, stdout, stderr) = app.cli(&["search", "rebuild"], "").await;
    let (alice, mut during) = poster.await.expect("poster");
    assert!(ok, "{stderr}");
    let indexed: i64 = stdout
        .strip_prefix("Rebuilt the search index of ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected answer: {stdout}"));
    let stored_after = stored(&app).await;
    assert!(
        (stored_before..=stored_after).contains(&indexed),
        "{stdout}: {stored_before} stored before, {stored_after} after"
    );

    assert_eq!(ids(&alice, "kestrel").await, before);
    during.reverse();
    assert_eq!(ids(&alice, "osprey").await, during);
    if matches!(
        app.config.database_url,
        conversate::config::DatabaseUrl::Postgres(_)
    ) {
        assert!(invalid_indexes(&app).await.is_empty());
    }
}
