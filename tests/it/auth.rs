//! Logging in and out, CSRF, first-run setup.

use reqwest::StatusCode;

use crate::support::{PASSWORD, TestApp, stored_messages};

#[tokio::test]
async fn login_with_good_password_reaches_the_room_and_bad_password_does_not() {
    let app = TestApp::start().await;
    app.with_room().await;

    let mut bad = app.browser();
    let r = bad.login("alice", "wrong password").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Please enter a correct username and password.")
    );
    assert_eq!(
        bad.get("general/").await.status(),
        StatusCode::SEE_OTHER,
        "still logged out"
    );

    let mut unknown = app.browser();
    let r = unknown.login("nobody", "wrong password").await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "unknown user answers like a wrong password"
    );
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Please enter a correct username and password.")
    );

    let mut good = app.browser();
    let r = good.login("ALICE", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "usernames ignore case");
    let (status, html) = good.text("general/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1 class=\"cv-room-title\">General</h1>"));
}

#[tokio::test]
async fn login_rotates_the_session_id_and_returns_to_next() {
    let app = TestApp::start().await;
    app.with_room().await;
    let mut b = app.browser();
    let (_, html) = b.text("login/?next=/general/").await;
    b.csrf = crate::support::csrf_in(&html).expect("token");
    let before = session_cookie(&b, &app).await;
    let r = b
        .post_form(
            "login/",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "/general/"),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/general/");
    let after = session_cookie(&b, &app).await;
    assert_ne!(before, after, "a new session id after login");

    let mut evil = app.browser();
    let (_, html) = evil.text("login/").await;
    evil.csrf = crate::support::csrf_in(&html).expect("token");
    let r = evil
        .post_form(
            "login/",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/", "next never leaves the site");
}

async fn session_cookie(b: &crate::support::Browser, _app: &TestApp) -> String {
    b.cookies()
}

#[tokio::test]
async fn session_cookie_is_http_only_and_lax() {
    let app = TestApp::start().await;
    let r = app.browser().get("login/").await;
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(cookie.contains("httponly"), "{cookie}");
    assert!(cookie.contains("samesite=lax"), "{cookie}");
    assert!(
        !cookie.contains("secure"),
        "plain http has no Secure flag: {cookie}"
    );
}

#[tokio::test]
async fn posts_without_or_with_a_wrong_csrf_token_are_refused_and_store_nothing() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let mut b = app.login("alice").await;

    let good = b.csrf.clone();
    b.csrf = String::new();
    assert_eq!(
        b.send("general", "no token").await.status(),
        StatusCode::FORBIDDEN
    );
    b.csrf = "0".repeat(64);
    assert_eq!(
        b.send("general", "wrong token").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = b
        .post_form("general/settings/", &[("mail_alert", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, body) = b
        .api("general/api/send/", &[("content", "api without token")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["success"], false);
    let r = b.client.post(b.url("logout/")).send().await.expect("POST");
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "even logout needs the token"
    );

    assert_eq!(stored_messages(&app.store, room.id).await, 0);
    let member = app
        .store
        .rooms()
        .member(
            room.id,
            app.store
                .accounts()
                .user_by_name("alice")
                .await
                .expect("alice")
                .id,
        )
        .await
        .expect("member");
    assert!(!member.mail_alert, "settings unchanged");

    b.csrf = good;
    assert_eq!(
        b.send("general", "with token").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(stored_messages(&app.store, room.id).await, 1);
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_with_a_token() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let b = app.login("alice").await;
    let form = [("csrfmiddlewaretoken", b.csrf.as_str()), ("content", "hi")];
    let r = b
        .client
        .post(b.url("general/send/"))
        .header("Sec-Fetch-Site", "cross-site")
        .header("Origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::start().await;
    app.with_room().await;
    let b = app.login("alice").await;
    let r = b.post_form("logout/", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("general/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        b.get("logout/").await.status(),
        StatusCode::METHOD_NOT_ALLOWED,
        "no logout by GET"
    );
}

/// A client with no cookie jar of its own: it sends exactly `cookie`.
fn replaying_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn replayed_session_ids_from_before_login_and_after_logout_are_worthless() {
    let app = TestApp::start().await;
    app.with_room().await;
    let mut b = app.browser();
    let (_, html) = b.text("login/").await;
    b.csrf = crate::support::csrf_in(&html).expect("token");
    let before_login = session_cookie(&b, &app).await;
    let r = b
        .post_form("login/", &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let logged_in = session_cookie(&b, &app).await;
    let (status, html) = b.text("general/").await;
    assert_eq!(status, StatusCode::OK);
    b.csrf = crate::support::csrf_in(&html).expect("a new token after login");
    let r = b.post_form("logout/", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let replay = replaying_client();
    for (what, cookie) in [
        ("before login", &before_login),
        ("after logout", &logged_in),
    ] {
        let r = replay
            .get(app.url("general/"))
            .header("Cookie", cookie.as_str())
            .send()
            .await
            .expect("GET");
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "the id {what} is anonymous"
        );
        let removal = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            removal.starts_with("conversate_session=;") && removal.contains("max-age=0"),
            "a cookie naming no session is removed ({what}): {removal}"
        );
    }
    let ids =
        [&before_login, &logged_in].map(|c| c.trim_start_matches("conversate_session=").to_owned());
    for id in ids {
        assert_eq!(
            app.store
                .sessions()
                .load(&id, conversate::domain::now())
                .await
                .expect("load"),
            None,
            "no record is left under {id}"
        );
    }
}

#[tokio::test]
async fn forged_session_cookies_count_as_anonymous() {
    let app = TestApp::start().await;
    app.with_room().await;
    let client = replaying_client();
    for cookie in [
        "conversate_session=garbage",
        "conversate_session=AAAAAAAAAAAAAAAAAAAAAA",
        "conversate_session=",
    ] {
        let r = client
            .get(app.url("general/"))
            .header("Cookie", cookie)
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{cookie}");
    }
}

#[tokio::test]
async fn first_run_setup_link_creates_the_admin_once() {
    let app = TestApp::start().await;
    let app_handle = conversate::App::open(app.config.clone())
        .await
        .expect("second handle");
    let path = app_handle
        .setup_path()
        .await
        .expect("setup")
        .expect("no admin yet");
    app_handle.store().close().await;
    let path = path.trim_start_matches('/').to_owned();

    let mut b = app.browser();
    let (status, html) = b.text(&path).await;
    assert_eq!(status, StatusCode::OK);
    b.csrf = crate::support::csrf_in(&html).expect("token");
    let r = b
        .post_form(
            &path,
            &[
                ("username", "root"),
                ("password", "long enough"),
                ("password2", "different"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "mismatched passwords are refused"
    );
    let r = b
        .post_form(
            &path,
            &[
                ("username", "root"),
                ("email", ""),
                ("password", "long enough"),
                ("password2", "long enough"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        app.store
            .accounts()
            .user_by_name("root")
            .await
            .expect("created")
            .is_admin
    );

    let other = app.browser();
    assert_eq!(
        other.get(&path).await.status(),
        StatusCode::NOT_FOUND,
        "the link is single-use"
    );
    assert_eq!(
        other.get("setup/0000/").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// Runs `sql` on the test's database itself (below the store), answering
/// the first column of each row as text.
pub(crate) async fn raw_sql(app: &TestApp, sql: &str) -> Vec<String> {
    use conversate::config::DatabaseUrl;
    use sqlx::Row;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match &app.config.database_url {
        DatabaseUrl::Sqlite { path, .. } => {
            let pool = sqlx::SqlitePool::connect_with(
                sqlx::sqlite::SqliteConnectOptions::new().filename(path),
            )
            .await
            .expect("sqlite");
            let rows = sqlx::query(sql).fetch_all(&pool).await.expect("query");
            let out = rows.iter().map(|r| r.get::<String, _>(0)).collect();
            pool.close().await;
            out
        }
        DatabaseUrl::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await.expect("postgres");
            let rows = sqlx::query(sql).fetch_all(&pool).await.expect("query");
            let out = rows.iter().map(|r| r.get::<String, _>(0)).collect();
            pool.close().await;
            out
        }
    }
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn session_ids_are_stored_only_as_hashes_and_sessions_from_before_still_work() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let cookie = alice.cookies();
    let id = cookie
        .split(';')
        .find_map(|c| c.trim().strip_prefix("conversate_session="))
        .expect("session cookie")
        .to_owned();
    let keys = raw_sql(&app, "SELECT id FROM sessions").await;
    let hashed = format!("h:{}", sha256_hex(&id));
    assert!(!keys.contains(&id), "the id itself is not stored: {keys:?}");
    assert!(keys.contains(&hashed), "its hash is: {keys:?}");

    // A record written before ids were hashed, keyed by the id itself.
    let old_id = "0123456789abcdef0123456789abcdef";
    raw_sql(
        &app,
        &format!(
            "INSERT INTO sessions (id, data, expires) \
             SELECT '{old_id}', data, expires FROM sessions WHERE id = '{hashed}' RETURNING id"
        ),
    )
    .await;
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.url("general/"))
        .header("Cookie", format!("conversate_session={old_id}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK, "the old session still works");
    let keys = raw_sql(&app, "SELECT id FROM sessions").await;
    assert!(!keys.contains(&old_id.to_owned()), "and moved: {keys:?}");
    assert!(
        keys.contains(&format!("h:{}", sha256_hex(old_id))),
        "{keys:?}"
    );
}
