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
    let (ok, _, err) = app
        .cli(&["user", "add", "eve", "--password-stdin"], "x\n")
        .await;
    assert!(!ok);
    assert!(err.contains(REFUSAL), "cli add: {err}");
    let (ok, _, err) = app.cli(&["user", "set-password", "alice"], "x\n").await;
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

#[tokio::test]
async fn a_common_password_is_refused_everywhere_in_the_same_words() {
    let common = conversate::service::password::TOO_COMMON;
    let app = TestApp::start().await;
    app.create_user("root", true).await;
    app.with_room().await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;
    let before = password_hash(&app, "alice").await;

    // In another case than the list's, and long enough for the length rule.
    let r = alice
        .post_form(
            "account/password/",
            &[
                ("current", PASSWORD),
                ("password", "Password1"),
                ("password2", "Password1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text().await.expect("body").contains(common),
        "account page"
    );
    let r = root
        .post_form(
            "admin/users/",
            &[
                ("username", "dave"),
                ("password", "iloveyou1"),
                ("password2", "iloveyou1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text().await.expect("body").contains(common),
        "admin create"
    );
    let r = root
        .post_form(
            "admin/users/alice/password/",
            &[("password", "QWERTYUIOP"), ("password2", "QWERTYUIOP")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text().await.expect("body").contains(common),
        "admin reset"
    );
    let (ok, _, err) = app
        .cli(&["user", "add", "eve", "--password-stdin"], "12345678\n")
        .await;
    assert!(!ok);
    assert!(err.contains(common), "cli add: {err}");
    let (ok, _, err) = app
        .cli(&["user", "set-password", "alice"], "password123\n")
        .await;
    assert!(!ok);
    assert!(err.contains(common), "cli set-password: {err}");

    // An invitation and a reset link (as the mail worker makes one).
    let (ok, link, err) = app
        .cli(&["invite", "create", "--room", "general"], "")
        .await;
    assert!(ok, "{err}");
    let path = format!(
        "invite/{}",
        link.trim().split_once("/invite/").expect("link").1
    );
    let mut b = app.browser();
    let (_, html) = b.text(&path).await;
    b.csrf = crate::support::csrf_in(&html).expect("token");
    let r = b
        .post_form(
            &path,
            &[
                ("username", "dave"),
                ("password", "sunshine1"),
                ("password2", "sunshine1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains(common), "invitation");
    let (token, _) =
        conversate::service::reset::issue(&app.store, app.user_id("alice").await, 3_600)
            .await
            .expect("issued");
    let path = format!("password/reset/{token}/");
    let (_, html) = b.text(&path).await;
    b.csrf = crate::support::csrf_in(&html).expect("token");
    let r = b
        .post_form(
            &path,
            &[("password", "baseball1"), ("password2", "baseball1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains(common), "reset link");

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

#[tokio::test]
async fn the_minimum_length_is_a_setting() {
    let app = TestApp::start_with(|c| c.accounts.password_min_chars = 12).await;
    app.create_user("root", true).await;
    app.with_room().await;
    let root = app.login("root").await;
    let r = root
        .post_form(
            "admin/users/",
            &[
                ("username", "dave"),
                ("password", "elevenchars"),
                ("password2", "elevenchars"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("The password must be at least 12 characters.")
    );
    let r = root
        .post_form(
            "admin/users/",
            &[
                ("username", "dave"),
                ("password", "twelve chars"),
                ("password2", "twelve chars"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The command line reads the same setting.
    let (ok, _, err) = app
        .cli(&["user", "add", "eve", "--password-stdin"], "elevenchars\n")
        .await;
    assert!(ok, "eight is the default: {err}");
    let (ok, _, err) = app
        .cli_with_env(
            &["user", "add", "frank", "--password-stdin"],
            "elevenchars\n",
            &[("CONVERSATE_PASSWORD_MIN_CHARS", "12")],
        )
        .await;
    assert!(!ok);
    assert!(
        err.contains("The password must be at least 12 characters."),
        "{err}"
    );
}
