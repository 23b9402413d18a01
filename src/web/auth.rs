//! Who is asking: the session's user, checked on every request.
//!
//! The session stores the user id and a fingerprint of the password hash, so
//! a password change ends every other session, and deactivation ends all of
//! them at once (the user is re-read and checked on each request).

use axum::extract::{FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use super::error::AppError;
use super::session::{self, Session};
use super::state::AppState;
use crate::domain::User;
use crate::service::admin::{Actor, Admin};

/// A short fingerprint of a password hash (its last 16 characters, part of
/// the argon2 output): it changes whenever the password does.
fn fingerprint(user: &User) -> &str {
    let hash = &user.password_hash;
    hash.get(hash.len().saturating_sub(16)..)
        .unwrap_or_default()
}

/// The visitor: a logged-in, active user, or nobody.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: Option<User>,
    pub session: Session,
    /// The API token the request came with, if any (`web::bearer`); then
    /// `user` is its holder and `session` an empty one.
    pub grant: Option<super::bearer::Grant>,
}

impl Viewer {
    /// The user, or a redirect to the login page that comes back to `here`.
    ///
    /// # Errors
    /// `LoginRequired` when nobody is logged in.
    pub fn require(&self, state: &AppState, here: &str) -> Result<&User, AppError> {
        self.user.as_ref().ok_or_else(|| AppError::LoginRequired {
            next: login_url(state, here),
        })
    }

    /// The user, if an admin.
    ///
    /// # Errors
    /// `LoginRequired` when nobody is logged in, `Forbidden` for non-admins.
    pub fn require_admin(&self, state: &AppState, here: &str) -> Result<&User, AppError> {
        let user = self.require(state, here)?;
        if user.is_admin {
            Ok(user)
        } else {
            Err(AppError::Forbidden(
                "Only administrators can do that.".to_owned(),
            ))
        }
    }
}

/// The login page URL that returns to `next` afterwards: `LOGIN_URL` (a
/// host site's or front-end's login) when set, else Conversate's own login
/// form, unless someone else decides who is logged in, when it is empty
/// (the visitor gets `401`, there being no login form here to send them to).
#[must_use]
pub fn login_url(state: &AppState, next: &str) -> String {
    let encoded = percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
    if let Some(url) = &state.config.sign_in.login_url {
        let join = if url.contains('?') { '&' } else { '?' };
        return format!("{url}{join}next={encoded}");
    }
    if state.identity.is_some() {
        return String::new();
    }
    format!("{}?next={encoded}", state.url("login/"))
}

/// Where to go after login: only paths inside the site, never elsewhere.
#[must_use]
pub fn safe_next(state: &AppState, next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with(state.prefix())
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => state.prefix().to_owned(),
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Self::find(parts, state).await?;
        // The user is loaded anyway: their own language and time zone now
        // win over the browser's, at no extra query.
        if let Some(user) = &viewer.user {
            super::i18n::set_user(user.language, user.time_zone.as_deref());
        }
        Ok(viewer)
    }
}

impl Viewer {
    async fn find(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(grant) = parts.extensions.get::<super::bearer::Grant>() {
            return Ok(Self {
                user: Some(grant.user.clone()),
                session: Session::default(),
                grant: Some(grant.clone()),
            });
        }
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| AppError::Internal("session layer missing".to_owned()))?;
        if let Some(e) = session.broken() {
            return Err(e.into());
        }
        if let Some(seam) = &state.identity {
            let head = crate::identity::RequestHead {
                method: &parts.method,
                uri: &parts.uri,
                headers: &parts.headers,
                peer: parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|c| c.0.ip()),
            };
            let user = seam.user(state, head).await?;
            return Ok(Self {
                user,
                session,
                grant: None,
            });
        }
        let user = current_user(&session, state).await?;
        Ok(Self {
            user,
            session,
            grant: None,
        })
    }
}

async fn current_user(session: &Session, state: &AppState) -> Result<Option<User>, AppError> {
    let Some((user_id, refreshed)) = session.with(|d| Some((d.user_id?, d.refreshed.unwrap_or(0))))
    else {
        return Ok(None);
    };
    let Some(user) = crate::service::accounts::user_by_id(&state.chat.store, user_id).await? else {
        return Ok(None);
    };
    let same_password = session.with(|d| d.fingerprint.as_deref() == Some(fingerprint(&user)));
    if !user.is_active || !same_password {
        // Log out, but keep the CSRF token so the visitor's next form (the
        // login form, say) still works and API clients learn "401", not "403".
        session.update(|d| {
            d.user_id = None;
            d.fingerprint = None;
        });
        return Ok(None);
    }
    // Sessions expire after inactivity; touching the session once a day keeps
    // active users logged in without a write per request.
    let now = crate::domain::now();
    if now - refreshed > 86_400 {
        session.update(|d| d.refreshed = Some(now));
    }
    Ok(Some(user))
}

/// An administrator, checked before the handler runs: a handler taking this
/// cannot be reached by anyone else. Logged-out visitors are sent to log in;
/// logged-in non-admins are refused (see [`Viewer::require_admin`]).
///
/// The admin router's [`require_admin`] layer makes the same check for every
/// admin route, so a handler that forgot to take this is still guarded; the
/// layer hands its result on, and the check runs once per request.
#[derive(Debug, Clone)]
pub struct AdminUser {
    /// The acting administrator.
    pub user: User,
    /// The visitor, for rendering pages and for the session.
    pub viewer: Viewer,
}

impl AdminUser {
    /// The administration service, acting as this administrator.
    #[must_use]
    pub fn service<'a>(&self, state: &'a AppState) -> Admin<'a> {
        Admin {
            chat: &state.chat,
            files: &state.files,
            actor: Actor::Admin(self.user.clone()),
        }
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(admin) = parts.extensions.get::<Self>() {
            return Ok(admin.clone());
        }
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let here = admin_return_to(parts, state);
        let user = viewer.require_admin(state, &here)?.clone();
        Ok(Self { user, viewer })
    }
}

/// Where a visitor sent to log in from an admin route comes back to: the
/// route itself when its address is fixed (`admin/rooms/`, …), else the
/// admin home, since a named room or account may not exist.
fn admin_return_to(parts: &Parts, state: &AppState) -> String {
    match parts.extensions.get::<MatchedPath>() {
        Some(path) if !path.as_str().contains('{') => path.as_str().to_owned(),
        _ => state.url("admin/"),
    }
}

/// The layer on the admin router: refuses everyone but administrators before
/// any handler runs, and hands the checked [`AdminUser`] to the handler.
pub async fn require_admin(admin: AdminUser, mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(admin);
    next.run(request).await
}

/// Logs `user` in: a new session id (no fixation), then the user's keys and
/// a fresh CSRF token (the old one was issued to an anonymous visitor).
pub fn log_in(session: &Session, user: &User) {
    session.cycle_id();
    session.update(|d| {
        *d = session::Data {
            user_id: Some(user.id),
            fingerprint: Some(fingerprint(user).to_owned()),
            refreshed: Some(crate::domain::now()),
            csrf: Some(super::csrf::new_token()),
            oidc: None,
        };
    });
}

/// Ends the session.
pub fn log_out(session: &Session) {
    session.end();
}

/// Whether the session with id `session_id` still signs in `user_id`: it
/// exists and has not expired, names that user, the user is active and
/// the password has not changed since. Answers when it expires if so.
/// Long-lived requests (the event stream) ask again when they hear that
/// sessions of their user ended, and when theirs runs out.
///
/// # Errors
/// When storage fails.
pub async fn session_still_valid(
    state: &AppState,
    session_id: &str,
    user_id: i64,
) -> Result<Option<i64>, AppError> {
    let Some((data, expires)) = session::load(state.chat.store.sessions(), session_id).await?
    else {
        return Ok(None);
    };
    if data.user_id != Some(user_id) {
        return Ok(None);
    }
    let Some(user) = crate::service::accounts::user_by_id(&state.chat.store, user_id).await? else {
        return Ok(None);
    };
    let same_password = data.fingerprint.as_deref() == Some(fingerprint(&user));
    Ok((user.is_active && same_password).then_some(expires))
}
