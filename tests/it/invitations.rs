//! Invitations: an administrator makes a link (web form or command line),
//! the invitee makes an account with it and lands in its rooms; the hostile
//! cases (tampered, reused, expired, revoked, raced for) change nothing.

use conversate::domain::links::token_hash;
use conversate::store::NewInvitation;
use reqwest::StatusCode;

use crate::support::{Browser, PASSWORD, TestApp};

const INVALID: &str = conversate::service::invitations::INVALID;

/// The token in the `Location` of the answer to making an invitation.
fn token_of(r: &reqwest::Response) -> String {
    let location = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("a redirect");
    let token = location
        .split("token=")
        .nth(1)
        .expect("the new token is in the address")
        .to_owned();
    assert_eq!(token.len(), 64, "{location}");
    token
}

/// Makes an invitation as `root` through the admin form; answers its token.
async fn invite(root: &Browser, fields: &[(&str, &str)]) -> String {
    let r = root.post_form("admin/invitations/", fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    token_of(&r)
}

/// Fills in the invitation form in a fresh browser.
async fn accept(
    app: &TestApp,
    token: &str,
    username: &str,
    password: &str,
) -> (Browser, reqwest::Response) {
    let mut b = app.browser();
    let (status, html) = b.text(&format!("invite/{token}/")).await;
    b.csrf = crate::support::csrf_in(&html).unwrap_or_else(|| {
        // An invalid link has no form: any page's token does for the POST.
        assert_eq!(status, StatusCode::NOT_FOUND);
        String::new()
    });
    if b.csrf.is_empty() {
        let (_, login) = b.text("login/").await;
        b.csrf = crate::support::csrf_in(&login).expect("token");
    }
    let r = b
        .post_form(
            &format!("invite/{token}/"),
            &[
                ("username", username),
                ("password", password),
                ("password2", password),
            ],
        )
        .await;
    (b, r)
}

async fn usernames(app: &TestApp) -> Vec<String> {
    app.store
        .accounts()
        .list_users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.username)
        .collect()
}

#[tokio::test]
async fn an_invitation_makes_accounts_in_its_rooms_and_is_listed_with_its_uses() {
    let app = TestApp::start().await;
    app.create_user("root", true).await;
    app.with_room().await;
    app.create_room("random", "Random").await;
    let root = app.login("root").await;

    let token = invite(
        &root,
        &[
            ("rooms", "general random"),
            ("uses", "2"),
            ("expires", "1d"),
        ],
    )
    .await;
    // The list shows the full link once, right after making it.
    let (status, html) = root
        .text(&format!(
            "admin/invitations/?done=invitation-created&token={token}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("/invite/{token}/")),
        "the new link is shown"
    );
    let (_, html) = root.text("admin/invitations/").await;
    assert!(!html.contains(&token), "and only then");
    assert!(html.contains("0 of 2"));

    let (status, html) = app.browser().text(&format!("invite/{token}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("general") && html.contains("random"),
        "names its rooms"
    );

    let (dave, r) = accept(&app, &token, "dave", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "accepted and logged in");
    let (status, _) = dave.text("general/").await;
    assert_eq!(status, StatusCode::OK, "dave is in general");
    let (status, _) = dave.text("random/").await;
    assert_eq!(status, StatusCode::OK, "and in random");
    let dave_id = app.user_id("dave").await;
    let room = app.room_id("general").await;
    app.store
        .rooms()
        .member(room, dave_id)
        .await
        .expect("a member");
    let mut again = app.browser();
    let r = again.login("dave", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "dave can log in");

    let (_, html) = root.text("admin/invitations/").await;
    assert!(html.contains("1 of 2"), "the use is counted");
    assert!(html.contains("dave ("), "and listed with who accepted");
    let (_, audit) = root.text("admin/audit/").await;
    assert!(audit.contains("invitation.create"));
    assert!(audit.contains("invitation.accept"));

    let (_, r) = accept(&app, &token, "erin", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the second use");
    let (_, r) = accept(&app, &token, "frank", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "no third");
    assert!(r.text().await.expect("body").contains(INVALID));
    assert!(!usernames(&app).await.contains(&"frank".to_owned()));
}

#[tokio::test]
async fn tampered_expired_revoked_and_used_up_links_are_refused_and_change_nothing() {
    let app = TestApp::start().await;
    app.create_user("root", true).await;
    app.with_room().await;
    let root = app.login("root").await;
    let before = usernames(&app).await;

    // Tampered: one digit changed, a prefix, a path-shaped token.
    let token = invite(&root, &[("rooms", "general")]).await;
    let flipped = format!(
        "{}{}",
        &token[..63],
        if token.ends_with('0') { '1' } else { '0' }
    );
    for bad in [flipped.as_str(), &token[..32], "..%2F..%2Fetc", "ZZZZ"] {
        let (_, r) = accept(&app, bad, "mallory", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(r.text().await.expect("body").contains(INVALID), "{bad}");
    }

    // Revoked by an administrator.
    let id = app.store.links().invitations(10).await.expect("list")[0].id;
    let r = root
        .post_form(&format!("admin/invitations/{id}/revoke/"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, body) = app.browser().text(&format!("invite/{token}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "revoked");
    assert!(body.contains(INVALID));
    let (_, r) = accept(&app, &token, "mallory", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "revoked");
    let (_, audit) = root.text("admin/audit/").await;
    assert!(audit.contains("invitation.revoke"));

    // Expired: stored with an end already past.
    let expired = "e".repeat(64);
    let now = conversate::domain::now();
    app.store
        .links()
        .create_invitation(NewInvitation {
            token_hash: token_hash(&expired),
            created_at: now - 100,
            expires_at: now - 1,
            max_uses: 5,
            email: None,
            room_ids: vec![app.room_id("general").await],
            created_by: None,
            created_by_name: "test".to_owned(),
        })
        .await
        .expect("stored");
    let (_, r) = accept(&app, &expired, "mallory", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "expired");

    // Used up: one use, taken.
    let once = invite(&root, &[("rooms", "general"), ("uses", "1")]).await;
    let (_, r) = accept(&app, &once, "dave", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, r) = accept(&app, &once, "mallory", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "reused");

    let mut expected = before.clone();
    expected.push("dave".to_owned());
    expected.sort();
    assert_eq!(usernames(&app).await, expected, "only dave was made");
}

#[tokio::test]
async fn two_invitees_racing_for_the_last_use_get_one_account_between_them() {
    let app = TestApp::start().await;
    app.create_user("root", true).await;
    app.with_room().await;
    let root = app.login("root").await;
    let token = invite(&root, &[("rooms", "general"), ("uses", "1")]).await;
    let (a, b) = tokio::join!(
        accept(&app, &token, "dave", PASSWORD),
        accept(&app, &token, "erin", PASSWORD)
    );
    let mut statuses = [a.1.status(), b.1.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::NOT_FOUND]);
    let made = usernames(&app)
        .await
        .into_iter()
        .filter(|n| n == "dave" || n == "erin")
        .count();
    assert_eq!(made, 1);
    let invitation = &app.store.links().invitations(1).await.expect("list")[0];
    assert_eq!(invitation.uses, 1);
}

#[tokio::test]
async fn a_refused_field_keeps_the_use_and_a_bound_address_is_the_accounts() {
    let app = TestApp::start().await;
    app.create_user("root", true).await;
    app.with_room().await;
    let root = app.login("root").await;
    let token = invite(
        &root,
        &[
            ("rooms", "general"),
            ("uses", "1"),
            ("email", "Dave@Example.com"),
        ],
    )
    .await;

    // A common password, a short one, a taken name, two passwords that differ.
    let (_, r) = accept(&app, &token, "dave", "password1").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains(conversate::service::password::TOO_COMMON)
    );
    let (_, r) = accept(&app, &token, "dave", "x").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("The password must be at least 8 characters.")
    );
    let (_, r) = accept(&app, &token, "ALICE", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains("already taken"));
    let mut b = app.browser();
    let (_, html) = b.text(&format!("invite/{token}/")).await;
    assert!(
        html.contains("Dave@Example.com"),
        "the bound address is shown"
    );
    b.csrf = crate::support::csrf_in(&html).expect("token");
    let r = b
        .post_form(
            &format!("invite/{token}/"),
            &[
                ("username", "dave"),
                ("password", PASSWORD),
                ("password2", "other words here"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.store.links().invitations(1).await.expect("list")[0].uses,
        0,
        "no use was taken"
    );

    // The address typed is ignored: the invitation's is the account's.
    let r = b
        .post_form(
            &format!("invite/{token}/"),
            &[
                ("username", "dave"),
                ("email", "mallory@evil.example"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let dave = app
        .store
        .accounts()
        .user_by_name("dave")
        .await
        .expect("dave");
    assert_eq!(dave.email.as_deref(), Some("Dave@Example.com"));
}

#[tokio::test]
async fn bad_invitation_requests_are_refused_in_a_sentence() {
    let app = TestApp::start().await;
    app.create_user("root", true).await;
    app.with_room().await;
    let root = app.login("root").await;
    for (fields, sentence) in [
        (
            vec![("rooms", "nowhere")],
            "There is no room &#x27;nowhere&#x27;.",
        ),
        (
            vec![("uses", "0")],
            "The number of uses must be between 1 and 1000.",
        ),
        (
            vec![("uses", "many")],
            "The number of uses must be a whole number.",
        ),
        (vec![("expires", "7w")], "is not a lifetime"),
        (vec![("expires", "91d")], "A link may last at most 90 days."),
        (
            vec![("email", "not an address")],
            "is not a valid e-mail address",
        ),
    ] {
        let r = root.post_form("admin/invitations/", &fields).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{fields:?}");
        assert!(
            r.text().await.expect("body").contains(sentence),
            "{sentence}"
        );
    }
    assert!(
        app.store
            .links()
            .invitations(10)
            .await
            .expect("list")
            .is_empty()
    );
    // Non-admins cannot make one.
    let alice = app.login("alice").await;
    let r = alice.post_form("admin/invitations/", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_command_line_prints_a_working_link() {
    let app = TestApp::start().await;
    app.create_user("root", true).await;
    app.with_room().await;
    let (ok, out, err) = app
        .cli(
            &[
                "invite",
                "create",
                "--room",
                "general",
                "--uses",
                "3",
                "--expires",
                "2d",
            ],
            "",
        )
        .await;
    assert!(ok, "{err}");
    let link = out.trim();
    let path = link
        .split_once("/invite/")
        .map(|(_, token)| format!("invite/{token}"))
        .expect("an invitation link");
    let (status, _) = app.browser().text(&path).await;
    assert_eq!(status, StatusCode::OK);
    let invitation = &app.store.links().invitations(1).await.expect("list")[0];
    assert_eq!(invitation.max_uses, 3);
    assert_eq!(invitation.rooms.len(), 1);
    let lasts = invitation.expires_at - invitation.created_at;
    assert_eq!(lasts, 2 * 86_400);
    assert_eq!(invitation.created_by_name, "command line");

    let (ok, _, err) = app
        .cli(&["invite", "create", "--room", "nowhere"], "")
        .await;
    assert!(!ok);
    assert!(err.contains("There is no room 'nowhere'."), "{err}");
    let (ok, _, err) = app
        .cli(&["invite", "create", "--expires", "soon"], "")
        .await;
    assert!(!ok);
    assert!(err.contains("is not a lifetime"), "{err}");
    assert_eq!(
        app.store.links().invitations(10).await.expect("list").len(),
        1
    );
}
