//! The admin check, walked over every administration route the router
//! mounts: non-admins and logged-out visitors are refused, and nothing
//! changes.

use conversate::web::pages::admin::routes;
use reqwest::{Method, StatusCode};

use crate::support::{Browser, TestApp, csrf_in, stored_messages};

/// Forms that would change something on every admin POST if the check were
/// missing: one names a user who exists but is not a member (to add), the
/// other a new one (to create).
const HOSTILE_FORMS: [&[(&str, &str)]; 2] = [
    &[
        ("slug", "taken-over"),
        ("title", "Taken over"),
        ("username", "carol"),
        ("email", "mallory@example.com"),
        ("colour", "c0392b"),
        ("password", "hijacked password"),
        ("password2", "hijacked password"),
        ("is_admin", "on"),
        ("is_active", "on"),
    ],
    &[
        ("slug", "taken-over"),
        ("title", "Taken over"),
        ("username", "mallory"),
        ("email", "mallory@example.com"),
        ("colour", "c0392b"),
        ("password", "hijacked password"),
        ("password2", "hijacked password"),
        ("is_admin", "on"),
    ],
];

/// The address of an admin route with its parameters filled in with the
/// room and member [`TestApp::with_room`] creates (and id 1 for an
/// invitation or a reset link).
fn fill(path: &str) -> String {
    let filled = format!("admin/{path}")
        .replace("{slug}", "general")
        .replace("{username}", "bob")
        .replace("{id}", "1");
    assert!(
        !filled.contains('{'),
        "admin/{path} has a parameter this test does not know how to fill"
    );
    filled
}

/// Where the login form sends a visitor back to from `path`: the route
/// itself when its address is fixed, else the admin home.
fn login_redirect(path: &str) -> String {
    let back = if path.contains('{') {
        "/admin/".to_owned()
    } else {
        format!("/admin/{path}")
    };
    format!("/login/?next={}", back.replace('/', "%2F"))
}

/// A room as the snapshot keeps it: slug, title, members (name, colour)
/// and message count.
type RoomState = (String, String, Vec<(String, String)>, usize);

/// Everything an admin action could change.
#[derive(Debug, PartialEq)]
struct Snapshot {
    rooms: Vec<RoomState>,
    /// Name, e-mail, password hash, admin and active flags per account.
    users: Vec<(String, Option<String>, String, bool, bool)>,
    /// Action and target per audit entry.
    audit: Vec<(String, String)>,
}

async fn snapshot(app: &TestApp) -> Snapshot {
    let mut rooms = Vec::new();
    for room in app.store.rooms().list_rooms().await.expect("rooms") {
        let members = app
            .store
            .rooms()
            .members(room.id)
            .await
            .expect("members")
            .iter()
            .map(|m| (m.username.clone(), m.colour.clone()))
            .collect();
        let messages = stored_messages(&app.store, room.id).await;
        rooms.push((room.slug, room.title, members, messages));
    }
    let users = app
        .store
        .accounts()
        .list_users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| {
            (
                u.username,
                u.email,
                u.password_hash,
                u.is_admin,
                u.is_active,
            )
        })
        .collect();
    let audit = app
        .store
        .audit()
        .audit_log(1000)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| (e.action, e.target))
        .collect();
    Snapshot {
        rooms,
        users,
        audit,
    }
}

/// Sends `method` to `path`, with `form` and the browser's token on a POST.
async fn send(
    b: &Browser,
    method: &Method,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let request = b.client.request(method.clone(), b.url(path));
    let request = if *method == Method::GET {
        request
    } else {
        let mut fields = vec![("csrfmiddlewaretoken", b.csrf.as_str())];
        fields.extend_from_slice(form);
        request.form(&fields)
    };
    request.send().await.expect("request")
}

#[tokio::test]
async fn every_admin_route_refuses_members_and_visitors_and_changes_nothing() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    alice.send("general", "keep me").await;
    let mut visitor = app.browser();
    let (_, login_page) = visitor.text("login/").await;
    visitor.csrf = csrf_in(&login_page).expect("the login form has a token");
    let before = snapshot(&app).await;
    assert_eq!(before.rooms[0].3, 1, "the message was stored");

    let routes = routes();
    assert!(routes.iter().any(|r| r.method == Method::GET));
    assert!(routes.iter().any(|r| r.method == Method::POST));
    for route in &routes {
        let path = fill(route.path);
        let forms: &[&[(&str, &str)]] = if route.method == Method::GET {
            &[&[]]
        } else {
            &HOSTILE_FORMS
        };
        for form in forms {
            let what = format!("{} {path} with {form:?}", route.method);

            let r = send(&alice, &route.method, &path, form).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "member: {what}");
            let body = r.text().await.expect("body");
            assert!(
                body.contains("Only administrators can do that."),
                "member: {what} is refused by the admin check, not the CSRF check: {body}"
            );

            let r = send(&visitor, &route.method, &path, form).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "visitor: {what}");
            assert_eq!(
                r.headers()["location"],
                login_redirect(route.path).as_str(),
                "visitor: {what} is sent to log in"
            );

            assert_eq!(snapshot(&app).await, before, "{what} changed nothing");
        }
    }

    // The addresses filled in above are real: an admin gets every page.
    app.create_user("root", true).await;
    let root = app.login("root").await;
    for route in routes.iter().filter(|r| r.method == Method::GET) {
        let path = fill(route.path);
        assert_eq!(
            root.get(&path).await.status(),
            StatusCode::OK,
            "admin: GET {path}"
        );
    }
    // The member was refused, not logged out.
    assert_eq!(alice.get("general/").await.status(), StatusCode::OK);
}
