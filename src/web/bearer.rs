//! `Authorization: Bearer` on the JSON API: API tokens instead of the
//! session cookie.
//!
//! A request that carries a token is judged by the token alone: its
//! cookies are not read (no session is opened, none is written), and it
//! needs no CSRF token, since a browser never adds the header by itself.
//! Before any handler runs, the token's scope and room limit are checked
//! against the address (`domain::tokens::need`); a room outside the limit
//! answers exactly as a missing room. Handlers then see the token's holder
//! as the [`Viewer`](super::auth::Viewer), and sends are throttled per
//! holder, as a member's are.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::csrf::Verified;
use super::error::{ApiError, AppError, no_such_room};
use super::session::Session;
use super::state::AppState;
use crate::domain::User;
use crate::domain::integrations::ApiToken;
use crate::domain::tokens::{self, Scope};
use crate::service::tokens::authenticate;

/// The checked token of a bearer request, a request extension.
#[derive(Debug, Clone)]
pub struct Grant {
    pub token: ApiToken,
    /// Its holder, active.
    pub user: User,
}

impl Grant {
    /// Whether the token may act in the room with this id.
    #[must_use]
    pub fn covers_room(&self, room_id: i64) -> bool {
        self.token.room_id.is_none_or(|id| id == room_id)
    }
}

/// The bearer token a request presents, if it presents one.
#[must_use]
pub fn offered(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    // `Bearer` with nothing after it is still a (bad) token: refused as
    // one, never passed on to the cookie.
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn refuse(error: AppError) -> Response {
    let unauthorised = matches!(error, AppError::LoginRequired { .. });
    let mut response = ApiError(error).into_response();
    if unauthorised {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

/// Runs a bearer request: checks the token, its scope and its room, then
/// hands the request on with a [`Grant`], an empty session and the CSRF
/// check marked done.
pub async fn run(
    state: &AppState,
    mut request: Request,
    next: Next,
    presented: String,
) -> Response {
    let (token, user) = match authenticate(&state.chat.store, &presented).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return refuse(AppError::LoginRequired {
                next: String::new(),
            });
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let path = request
        .uri()
        .path()
        .strip_prefix(state.prefix())
        .unwrap_or_default()
        .to_owned();
    let need = tokens::need(&path);
    if !token.allows(need.scope) {
        let sentence = match need.scope {
            Scope::Read => "This token may not read; it lacks the 'read' scope.",
            Scope::Post => "This token may not post; it lacks the 'post' scope.",
        };
        return refuse(AppError::Forbidden(sentence.to_owned()));
    }
    if let (Some(limit), Some(slug)) = (&token.room_slug, need.room)
        && limit != slug
    {
        return refuse(no_such_room());
    }
    let extensions = request.extensions_mut();
    extensions.insert(Session::default());
    extensions.insert(Verified);
    extensions.insert(Grant { token, user });
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn only_bearer_credentials_are_offered() {
        assert_eq!(offered(&headers("Bearer cv_x_y")), Some("cv_x_y"));
        assert_eq!(offered(&headers("bearer  cv_x_y ")), Some("cv_x_y"));
        assert_eq!(offered(&headers("Bearer")), Some(""));
        assert_eq!(offered(&headers("Basic YWxhZGRpbjpvcGVu")), None);
        assert_eq!(offered(&HeaderMap::new()), None);
    }
}
