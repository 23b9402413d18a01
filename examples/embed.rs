//! A host site with logins of its own that embeds Conversate at `/chat/`.
//!
//! ```text
//! cargo run --example embed
//! ```
//!
//! Then open <http://127.0.0.1:8000/>, log in as `alice` (password
//! `alice-pass`) in one browser and as `bob` (`bob-pass`) in another, and
//! open the chat: both are in the room "Lobby", live, with no Conversate
//! login page anywhere. Logging out at the host ends the chat for that
//! browser at once, its open stream included.
//!
//! The pieces a host needs, in order:
//! 1. a [`HostIdentity`]: which of the host's users a request comes from
//!    (here: the host's own session cookie);
//! 2. a [`Config`] with `url_prefix` (where the chat lives) and
//!    `sign_in.login_url` (where "nobody" is sent);
//! 3. [`Builder`] → [`App`], then [`App::mount`] into the host's router;
//! 4. [`App::start`] for the background work, with the host's shutdown
//!    signal, and [`App::identity_ended`] when a user logs out.
//!
//! The integration test `tests/it/embed.rs` drives this same site.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use conversate::{App, Builder, Config, HostIdentity, HostUser, IdentityError, RequestHead};

/// The host's users: stable id, username, password.
pub const USERS: [(&str, &str, &str); 2] = [("1", "alice", "alice-pass"), ("2", "bob", "bob-pass")];

/// The host's session cookie.
pub const COOKIE: &str = "host_session";

/// The host's logged-in sessions: cookie value → user id.
#[derive(Clone, Default)]
pub struct Sessions(Arc<Mutex<HashMap<String, String>>>);

impl Sessions {
    fn user_of(&self, headers: &HeaderMap) -> Option<String> {
        let token = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|line| line.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .map(|(_, value)| value.to_owned())?;
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&token).cloned()
    }
}

/// The host's user with stable id `id`, as Conversate should see them.
#[must_use]
pub fn host_user(id: &str) -> Option<HostUser> {
    USERS
        .iter()
        .find(|(uid, _, _)| *uid == id)
        .map(|(uid, name, _)| HostUser {
            id: (*uid).to_owned(),
            username: (*name).to_owned(),
            display_name: None,
            email: Some(format!("{name}@example.org")),
            admin: Some(*name == "alice"),
        })
}

/// The identity hook: the host's session cookie names the user.
pub struct HostLogins {
    sessions: Sessions,
}

#[conversate::async_trait]
impl HostIdentity for HostLogins {
    async fn resolve(&self, request: RequestHead<'_>) -> Result<Option<HostUser>, IdentityError> {
        Ok(self
            .sessions
            .user_of(request.headers)
            .and_then(|id| host_user(&id)))
    }
}

#[derive(Clone)]
struct Host {
    sessions: Sessions,
    chat: Arc<App>,
}

/// Builds the host site around a Conversate app opened from `config`
/// (whose `url_prefix` is where the chat is mounted), with a room "Lobby"
/// that both users are members of.
///
/// # Errors
/// When Conversate cannot start.
pub async fn host_site(config: Config) -> anyhow::Result<(Router, Arc<App>)> {
    let sessions = Sessions::default();
    let chat = Builder::new(config)
        .identity(HostLogins {
            sessions: sessions.clone(),
        })
        .open()
        .await?;
    chat.ensure_room("lobby", "Lobby").await?;
    for (id, _, _) in USERS {
        let user = host_user(id).ok_or_else(|| anyhow::anyhow!("no user {id}"))?;
        chat.provision(&user).await?;
        chat.ensure_member("lobby", &user.username).await?;
    }
    let chat = Arc::new(chat);
    let host = Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .with_state(Host {
            sessions,
            chat: chat.clone(),
        });
    Ok((chat.mount(host), chat))
}

async fn home(State(host): State<Host>, headers: HeaderMap) -> Html<&'static str> {
    if host.sessions.user_of(&headers).is_some() {
        Html(
            "<!doctype html><title>Host</title><h1>The host site</h1>\
             <p><a href=\"/chat/\">Open the chat</a></p>\
             <form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
        )
    } else {
        Html(
            "<!doctype html><title>Host</title><h1>The host site</h1>\
             <p><a href=\"/login\">Log in</a></p>",
        )
    }
}

async fn login_form() -> Html<&'static str> {
    Html(
        "<!doctype html><title>Log in</title><h1>Log in to the host</h1>\
         <form method=\"post\" action=\"/login\">\
         <label>Username <input name=\"username\"></label>\
         <label>Password <input name=\"password\" type=\"password\"></label>\
         <button>Log in</button></form>",
    )
}

#[derive(serde::Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login(State(host): State<Host>, Form(form): Form<LoginForm>) -> Response {
    let Some((id, _, _)) = USERS
        .iter()
        .find(|(_, name, pass)| *name == form.username && *pass == form.password)
    else {
        return (StatusCode::UNAUTHORIZED, "Wrong username or password.").into_response();
    };
    let token = format!("{:032x}", rand::random::<u128>());
    host.sessions
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(token.clone(), (*id).to_owned());
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
    let mut response = Redirect::to("/chat/").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn logout(State(host): State<Host>, headers: HeaderMap) -> Response {
    if let Some(id) = host.sessions.user_of(&headers) {
        host.sessions
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, user| *user != id);
        // Open chat streams of this user end now, not at their next check.
        if let Err(e) = host.chat.identity_ended(&id).await {
            eprintln!("telling the chat about a logout failed: {e}");
        }
    }
    Redirect::to("/").into_response()
}

/// The example's own start-up: Conversate's data in a directory of the
/// system's temporary folder, the site on 127.0.0.1:8000 until Ctrl-C.
#[allow(dead_code)]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join("conversate-embed-example");
    let mut config = Config::with_data_dir(&dir);
    config.url_prefix = "/chat/".to_owned();
    config.sign_in.login_url = Some("/login".to_owned());
    let (site, chat) = host_site(config).await?;

    // One shutdown signal for the host's server and the chat's background
    // work (which also closes open chat streams, so the server can drain).
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop.send(true);
    });
    let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let background = chat.start(until(stopped.clone()));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    println!("The host site is at http://127.0.0.1:8000/ (alice / alice-pass, bob / bob-pass)");
    axum::serve(
        listener,
        site.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(until(stopped))
    .await?;
    background.stopped().await;
    Ok(())
}
