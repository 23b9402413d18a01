//! The one place where failures become HTTP answers.
//!
//! Pages get an HTML error page (rendered by [`guard`], which
//! can reach the templates); the JSON API gets `{"success": false, "error"}`.
//! Server errors are logged once with their cause; clients get a sentence.
//! A throttled request (`429`) also gets `Retry-After`, on both.

use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::state::AppState;
use super::{csrf, session};
use crate::service::ServiceError;
use crate::store::StoreError;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// Not logged in; pages redirect to the login form, coming back to `next`.
    #[error("Please log in.")]
    LoginRequired { next: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    /// Throttled; `wait` is how long until the throttle that refused lets
    /// the request through, sent as `Retry-After`.
    #[error("{message}")]
    TooManyRequests { message: String, wait: Duration },
    /// The client stopped sending the request before it was complete.
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    Unavailable(String),
    /// The disk is full; the detail is logged, the client gets a sentence.
    #[error(
        "The server's disk is full, so nothing was stored. Please tell the site's administrator."
    )]
    StorageFull(String),
    /// A bug or a broken dependency; the detail is logged, never shown.
    #[error("Something went wrong on the server. Please try again.")]
    Internal(String),
}

impl AppError {
    /// The status code for this error.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::LoginRequired { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The sentence shown to the client.
    #[must_use]
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Adds the headers that belong to this error besides its status.
    fn set_headers(&self, headers: &mut HeaderMap) {
        if let Self::TooManyRequests { wait, .. } = self {
            set_retry_after(headers, *wait);
        }
    }

    fn log(&self) {
        match self {
            Self::Internal(detail) => tracing::error!(error = %detail, "request failed"),
            Self::Unavailable(detail) => tracing::warn!(error = %detail, "service unavailable"),
            Self::StorageFull(detail) => tracing::error!(error = %detail, "the disk is full"),
            _ => {}
        }
    }
}

/// Sets `Retry-After` to `wait` in whole seconds, rounded up, at least 1.
pub fn set_retry_after(headers: &mut HeaderMap, wait: Duration) {
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from(super::throttle::whole_seconds(wait)),
    );
}

/// The answer to give when the room does not exist or may not be seen.
pub fn no_such_room() -> AppError {
    AppError::NotFound("No such room.".to_owned())
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NoSuchRoom => no_such_room(),
            ServiceError::NotFound(m) => Self::NotFound(m),
            ServiceError::Invalid(m) => Self::BadRequest(m),
            ServiceError::Forbidden(m) => Self::Forbidden(m),
            ServiceError::TooLarge(m) => Self::TooLarge(m),
            ServiceError::Conflict(m) => Self::Conflict(m),
            ServiceError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::NotFound => Self::NotFound("Not found.".to_owned()),
            StoreError::Conflict => Self::Conflict("That already exists.".to_owned()),
            StoreError::Unavailable(_) => Self::Unavailable(crate::error_chain(&e)),
            StoreError::Full(_) => Self::StorageFull(crate::error_chain(&e)),
            StoreError::Other(_) => Self::Internal(crate::error_chain(&e)),
        }
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        Self::Internal(format!("template error: {}", crate::error_chain(&e)))
    }
}

/// Marks a response whose body the error-page middleware should render.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        if let Self::LoginRequired { next } = &self
            && !next.is_empty()
        {
            return Redirect::to(next).into_response();
        }
        let status = self.status();
        let message = match &self {
            Self::Unavailable(_) => {
                "The service is busy or unavailable. Please try again shortly.".to_owned()
            }
            _ => self.message(),
        };
        let mut response = (status, message.clone()).into_response();
        self.set_headers(response.headers_mut());
        response.extensions_mut().insert(ErrorPage { message });
        response
    }
}

/// An error answered in the JSON API's shape.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        let message = match &self.0 {
            AppError::LoginRequired { .. } => "You are not logged in.".to_owned(),
            AppError::Unavailable(_) => {
                "The service is busy or unavailable. Please try again shortly.".to_owned()
            }
            other => other.message(),
        };
        // In the request's language (the sentences are made in English).
        let message = super::i18n::sentence(&message);
        let mut response = (
            status,
            Json(serde_json::json!({ "success": false, "error": message })),
        )
            .into_response();
        self.0.set_headers(response.headers_mut());
        response
    }
}

/// The middleware around every handler: opens the request's session,
/// checks the CSRF token of state changes ([`csrf::verify`]), stores the
/// session if the handler changed it, then renders [`ErrorPage`] responses
/// (and bare 404s and 405s from routing) as HTML through the `error.html`
/// template. One middleware for all of it, since each layer costs every
/// request a future.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let is_api = request.uri().path().contains("/api/");
    // A bearer token on the JSON API stands instead of the cookie and the
    // CSRF token (`bearer`).
    if is_api && let Some(token) = super::bearer::offered(request.headers()).map(str::to_owned) {
        let response = super::bearer::run(&state, request, next, token).await;
        return render_error_page(&state, true, response);
    }
    // Incoming webhooks: the secret address is the credential.
    if is_hook(&state, request.uri().path()) {
        request.extensions_mut().insert(session::Session::default());
        request.extensions_mut().insert(csrf::Verified);
        let response = next.run(request).await;
        return render_error_page(&state, true, response);
    }
    let https = state.config.is_https()
        || (!state.config.trusted_proxies.is_empty()
            && super::client::forwarded_https(
                &state.config.trusted_proxies,
                super::client::peer(&request),
                request.headers(),
            ));
    let session = session::open(&state, request.headers(), https).await;
    request.extensions_mut().insert(session.clone());
    let response = csrf::verify(request, next, is_api).await;
    let response = session::close(&state, &session, response).await;
    render_error_page(&state, is_api, response)
}

/// Whether `path` is an incoming webhook's address (`hooks/…`).
fn is_hook(state: &AppState, path: &str) -> bool {
    path.strip_prefix(state.prefix())
        .is_some_and(|rest| rest.starts_with("hooks/"))
}

fn render_error_page(state: &AppState, is_api: bool, response: Response) -> Response {
    let status = response.status();
    let page = response.extensions().get::<ErrorPage>().cloned();
    let message = match page {
        Some(page) => page.message,
        None if status == StatusCode::NOT_FOUND && is_plain(&response) => {
            "Page not found.".to_owned()
        }
        None if status == StatusCode::METHOD_NOT_ALLOWED => {
            "This address does not accept that method.".to_owned()
        }
        None if status == StatusCode::PAYLOAD_TOO_LARGE && is_plain(&response) => {
            "The request is too large.".to_owned()
        }
        None if status == StatusCode::INTERNAL_SERVER_ERROR && is_plain(&response) => {
            "Something went wrong on the server. Please try again.".to_owned()
        }
        None => return response,
    };
    // The page is built anew; a throttled request's wait comes along.
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let keep = |mut out: Response| {
        if let Some(v) = retry_after {
            out.headers_mut().insert(header::RETRY_AFTER, v);
        }
        out
    };
    if is_api {
        let error = AppError::BadRequest(message);
        return keep(
            (
                status,
                Json(
                    serde_json::json!({ "success": false, "error": super::i18n::sentence(&error.message()) }),
                ),
            )
                .into_response(),
        );
    }
    let html = state.render("error.html", context! { title => status.canonical_reason().unwrap_or("Error"), status => status.as_u16(), message => message.clone(), prefix => state.prefix(), user => () });
    let mut out = match html {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page template failed");
            (status, message).into_response()
        }
    };
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    keep(out)
}

fn is_plain(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"))
}
