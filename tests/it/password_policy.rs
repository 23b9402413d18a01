//! One password policy on every path that sets a password: first-run setup,
//! the account page, the admin pages and the command line all refuse a
//! one-character password with the same sentence, and change nothing.

use reqwest::StatusCode;

use crate::support::{PASSWORD, TestApp};

const REFUSAL: &str = "The password must be at least 8 characters.";

async fn password_hash(app: &TestApp, name: &str) -> String {
    app.store
        .accounts()
        .user_by_name(name)
        .await
        .expect("user")
        .password_hash
}

#[tokio::test]
async fn a_one_character_password_is_refused_everywhere_in_the_same_words() {
    let app = TestApp::start().await;

    // First-run setup, before any admin exists.
    let path = conversate::service::setup::fresh_token(&app.store)
        .await
        .expect("token")
        .map(|t| format!("setup/{t}/"))
        .expect("no admin yet");
    let mut b = app.browser();
    let (_, html) = b.text(&path).await;
    b.csrf = crate::support::csrf_in(&html).expect("token");
    let r = b
        .post_form(
            &path,
            &[("username", "root"), ("password", "x"), ("password2", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains(REFUSAL), "setup");
    assert!(
        !app.store.accounts().has_admin().await.expect("admin?"),
        "setup created nobody"
    );
    let (status, _) = b.text(&path).await;
    assert_eq!(status, StatusCode::OK, "and the setup link still works");

    app.create_user("root", true).await;
    app.with_room().await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;

    // The account page.
    let before = password_hash(&app, "alice").await;
    let r = alice
        .post_form(
            "account/password/",
            &[("current", PASSWORD), ("password", "x"), ("password2", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text().await.expect("body").contains(REFUSAL),
        "account page"
    );
    assert_eq!(password_hash(&app, "alice").await, before);

    // The admin pages: a new account and a reset.
    let r = root
        .post_form(
            "admin/users/",
            &[("username", "dave"), ("password", "x"), ("password2", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text().await.expect("body").contains(REFUSAL),
        "admin create"
    );
    let r = root
        .post_form(
            "admin/users/alice/password/",
            &[("password", "x"), ("password2", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text().await.expect("body").contains(REFUSAL),
        "admin reset"
    );
    assert_eq!(password_hash(&app, "alice").await, before);

    // The command line.
    let (ok, _, err) = app.cli(&["user", "add", "eve", "--password-stdin"], "x\n");
    assert!(!ok);
    assert!(err.contains(REFUSAL), "cli add: {err}");
    let (ok, _, err) = app.cli(&["user", "set-password", "alice"], "x\n");
    assert!(!ok);
    assert!(err.contains(REFUSAL), "cli set-password: {err}");
    assert_eq!(password_hash(&app, "alice").await, before);
    let names: Vec<String> = app
        .store
        .accounts()
        .list_users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["alice", "bob", "carol", "root"], "nobody was added");
}
