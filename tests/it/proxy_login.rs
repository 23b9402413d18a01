//! Trusted proxy headers (`PROXY_AUTH_FROM`): a real nginx in front logs
//! people in (HTTP basic authentication here, as an `auth_request` or
//! oauth2-proxy set-up would) and names the user in `Remote-User`; the
//! chat believes that header from nginx only. nginx connects from
//! 127.0.0.2 (`proxy_bind`), the only trusted address, so this test's own
//! direct requests (from 127.0.0.1) stand for anyone else.
//!
//! Needs nginx; skipped loudly without it, except that
//! `CONVERSATE_REQUIRE_PROXY` (set by `.ci/run`) makes a missing nginx fail.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::events::EventReader;
use crate::support::{Browser, TestApp, csrf_in};

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nginx_bin() -> Option<String> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(str::to_owned);
    if found.is_none() {
        assert!(
            std::env::var_os("CONVERSATE_REQUIRE_PROXY").is_none(),
            "CONVERSATE_REQUIRE_PROXY is set but nginx is not installed"
        );
        eprintln!("\n*** SKIPPING a proxy login test: nginx is not installed. ***\n");
    }
    found
}

/// The example front-end of `docs/embedding.md`, in front of `upstream`.
fn front_end(bin: &str, dir: &std::path::Path, upstream: &str) -> (Nginx, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let d = dir.display();
    std::fs::write(
        dir.join("htpasswd"),
        "alice:{PLAIN}alice-pass\nbob:{PLAIN}bob-pass\n",
    )
    .expect("htpasswd");
    let conf = format!(
        "worker_processes 1;\n\
         error_log {d}/error.log;\n\
         pid {d}/nginx.pid;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n\
           access_log off;\n\
           client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
           map $remote_user $remote_email {{ alice alice@example.org; default \"\"; }}\n\
           server {{\n\
             listen 127.0.0.1:{port};\n\
             auth_basic \"Conversate\";\n\
             auth_basic_user_file {d}/htpasswd;\n\
             location / {{\n\
               proxy_pass http://{upstream};\n\
               proxy_bind 127.0.0.2;\n\
               proxy_http_version 1.1;\n\
               proxy_set_header Connection \"\";\n\
               proxy_set_header Host $http_host;\n\
               proxy_set_header Authorization \"\";\n\
               proxy_set_header Remote-User $remote_user;\n\
               proxy_set_header Remote-Email $remote_email;\n\
               proxy_set_header Remote-Name \"\";\n\
               proxy_buffering off;\n\
               proxy_read_timeout 60s;\n\
             }}\n\
           }}\n\
         }}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).expect("nginx.conf");
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx runs");
    // nginx prints nothing when it is ready: wait until its port accepts.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx listens within 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    (Nginx(child), format!("http://127.0.0.1:{port}/"))
}

async fn app(login_url: Option<&str>) -> TestApp {
    let login_url = login_url.map(str::to_owned);
    let app = TestApp::start_with(move |c| {
        c.sign_in.proxy.from = conversate::config::Network::parse_list("127.0.0.2").expect("list");
        c.sign_in.login_url = login_url;
    })
    .await;
    app.create_room("general", "General").await;
    app
}

/// A browser that sends `name`'s basic credentials to the front-end.
fn through(base: &str, name: &str) -> Browser {
    let mut b = Browser::new(base);
    let mut headers = reqwest::header::HeaderMap::new();
    let credentials = match name {
        "alice" => "YWxpY2U6YWxpY2UtcGFzcw==", // alice:alice-pass
        _ => "Ym9iOmJvYi1wYXNz",               // bob:bob-pass
    };
    headers.insert(
        "authorization",
        format!("Basic {credentials}").parse().expect("header"),
    );
    b.client = reqwest::Client::builder()
        .cookie_provider(b.jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("client");
    b
}

#[tokio::test]
async fn the_front_ends_user_is_logged_in_and_chats_live() {
    let Some(bin) = nginx_bin() else { return };
    let app = app(None).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let upstream = app.base.trim_start_matches("http://").trim_end_matches('/');
    let (_nginx, base) = front_end(&bin, dir.path(), upstream);

    let mut alice = through(&base, "alice");
    let (status, html) = alice.text("").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("cv-whoami\">alice<"), "{html}");
    assert!(!html.contains("logout/"), "no Conversate logout: {html}");
    // The account was made on first sight, with the front-end's address.
    let stored = app
        .store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("alice's account");
    assert_eq!(stored.email.as_deref(), Some("alice@example.org"));

    let bob = through(&base, "bob");
    assert_eq!(bob.text("").await.0, StatusCode::OK);
    app.add_member("general", "alice").await;
    app.add_member("general", "bob").await;
    let (_, html) = alice.text("general/").await;
    alice.csrf = csrf_in(&html).expect("the room page has a token");

    let mut stream = EventReader::open(&bob, "general/api/events/", None).await;
    stream.next_of("users").await;
    let (status, body) = alice
        .api("general/api/send/", &[("content", "through the front-end")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let event = stream.next_of("message").await;
    let message = &event.data;
    assert_eq!(message["user"], "alice");
}

#[tokio::test]
async fn a_client_cannot_name_another_user_through_the_front_end() {
    let Some(bin) = nginx_bin() else { return };
    let app = app(None).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let upstream = app.base.trim_start_matches("http://").trim_end_matches('/');
    let (_nginx, base) = front_end(&bin, dir.path(), upstream);
    let alice = through(&base, "alice");
    let r = alice
        .client
        .get(alice.url(""))
        .header("Remote-User", "bob")
        .header("Remote-Email", "alice@evil.example")
        .send()
        .await
        .expect("GET");
    let html = r.text().await.expect("body");
    assert!(html.contains("cv-whoami\">alice<"), "{html}");
    let stored = app
        .store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("alice");
    assert_eq!(stored.email.as_deref(), Some("alice@example.org"));
    assert!(app.store.accounts().user_by_name("bob").await.is_err());
}

#[tokio::test]
async fn the_header_from_anyone_else_is_ignored() {
    // No nginx needed: this test's own connection is not a trusted one.
    let app = app(None).await;
    let b = app.browser();
    let r = b
        .client
        .get(b.url(""))
        .header("Remote-User", "mallory")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = b
        .client
        .get(b.url("general/api/events/"))
        .header("Remote-User", "mallory")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        app.store.accounts().user_by_name("mallory").await.is_err(),
        "no account was made"
    );
    // Conversate's own login form is gone too: the front-end decides.
    let (status, html) = b.text("login/").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!html.contains("type=\"password\""), "{html}");
}

#[tokio::test]
async fn nobody_is_sent_to_the_front_ends_login_url() {
    let app = app(Some("https://auth.example.org/")).await;
    let b = app.browser();
    let r = b.get("general/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().expect("ascii"),
        "https://auth.example.org/?next=%2Fgeneral%2F"
    );
}
