//! CSRF protection with the original's token contract: every state-changing
//! request carries the session's token as the form field
//! `csrfmiddlewaretoken` or the header `X-CSRFToken` (`docs/api.md`).
//!
//! Why not a crate: the protocol fixes the field and header names, and the token
//! must live in the server-side session (shared by every node), which the
//! double-submit-cookie crates do not do. tower-http's Origin-based
//! `CsrfLayer` runs in front of this as a second wall.

use axum::body::Body;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error::{ApiError, AppError};
use super::forms::has_content_type;
use super::session::Session;
use crate::random_hex;

/// Form field carrying the token.
pub const FIELD: &str = "csrfmiddlewaretoken";
/// Header carrying the token.
pub const HEADER: &str = "x-csrftoken";
/// Largest url-encoded form body read here (bigger forms are refused).
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// Marks a request whose token was already checked.
#[derive(Debug, Clone, Copy)]
pub struct Verified;

/// A new token: 256 random bits, hex.
#[must_use]
pub fn new_token() -> String {
    random_hex(32)
}

/// The session's token, created on first use.
#[must_use]
pub fn token(session: &Session) -> String {
    if let Some(token) = session.with(|d| d.csrf.clone()) {
        return token;
    }
    let token = new_token();
    session.update(|d| d.csrf = Some(token.clone()));
    token
}

/// Whether `offered` is the session's token (constant-time).
pub fn matches(session: &Session, offered: &str) -> bool {
    session.with(|d| match &d.csrf {
        Some(expected) => {
            !offered.is_empty() && bool::from(expected.as_bytes().ct_eq(offered.as_bytes()))
        }
        None => false,
    })
}

/// Whether a browser says this request comes from another site: its
/// `Sec-Fetch-Site` is neither `same-origin` nor `none` (typed or
/// bookmarked), or, from a browser that does not send it, its `Origin`
/// names another host than the request's. Requests with neither header
/// (scripts, other clients) are not browser cross-site requests.
///
/// State-changing requests are refused cross-site by the Origin layer and
/// the token; this is for the reads that still act for the user: the event
/// stream (it counts as presence and carries the room's messages).
#[must_use]
pub fn is_cross_site(headers: &axum::http::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return false;
    };
    let host = headers
        .get(axum::http::header::HOST)
        .map(axum::http::HeaderValue::as_bytes);
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.as_bytes());
    origin_host.is_none() || origin_host != host
}

fn refuse(is_api: bool) -> Response {
    let error = AppError::Forbidden(
        "The form's security token is missing or out of date. Please reload the page and try again.".to_owned(),
    );
    if is_api {
        ApiError(error).into_response()
    } else {
        error.into_response()
    }
}

/// Checks the token on every state-changing request.
///
/// The header is checked here; for url-encoded forms the body is read here
/// (bounded), checked, and handed on unchanged; multipart bodies may be huge
/// uploads, so they are marked unverified and the upload extractor checks the
/// token field before anything is stored. `is_api` picks the JSON refusal.
pub async fn verify(request: Request, next: Next, is_api: bool) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return refuse(is_api);
    };
    if let Some(offered) = request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        if !matches(&session, offered) {
            return refuse(is_api);
        }
        let mut request = request;
        request.extensions_mut().insert(Verified);
        return next.run(request).await;
    }
    if has_content_type(&request, "multipart/form-data") {
        return next.run(request).await;
    }
    if !has_content_type(&request, "application/x-www-form-urlencoded") {
        return refuse(is_api);
    }
    let (parts, body) = request.into_parts();
    let bytes = match super::forms::read_form_body(body).await {
        Ok(bytes) => bytes,
        Err(error) if is_api => return ApiError(error).into_response(),
        Err(error) => return error.into_response(),
    };
    let offered = form_urlencoded_value(&bytes, FIELD);
    if !matches(&session, offered.as_deref().unwrap_or_default()) {
        return refuse(is_api);
    }
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(Verified);
    next.run(request).await
}

/// The first value of `name` in a url-encoded body.
fn form_urlencoded_value(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::is_cross_site;

    fn with(pairs: &[(&'static str, &'static str)]) -> bool {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        is_cross_site(&h)
    }

    #[test]
    fn cross_site_is_told_by_fetch_metadata_then_by_origin() {
        assert!(!with(&[]), "no browser headers: not a browser request");
        assert!(!with(&[("sec-fetch-site", "same-origin")]));
        assert!(!with(&[("sec-fetch-site", "none")]));
        assert!(with(&[("sec-fetch-site", "cross-site")]));
        assert!(with(&[("sec-fetch-site", "same-site")]));
        assert!(!with(&[
            ("host", "chat.example:8000"),
            ("origin", "https://chat.example:8000")
        ]));
        assert!(with(&[
            ("host", "chat.example"),
            ("origin", "https://evil.example")
        ]));
        assert!(with(&[("host", "chat.example"), ("origin", "null")]));
    }
}
