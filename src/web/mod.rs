//! HTTP: routes, layers and handlers.

pub mod api;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod error;
pub mod forms;
pub mod pages;
pub mod server;
pub mod state;
pub mod templates;
pub mod throttle;
pub mod views;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::store::SessionStoreAdapter;
pub use state::AppState;

/// The policy for every page: no inline script or style, nothing framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Builds the router with every route under the configured prefix.
pub fn router(state: AppState) -> Router {
    let p = state.prefix().to_owned();
    let r = |path: &str| format!("{p}{path}");
    let upload_limit = usize::try_from(state.config.max_upload_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1 << 20);

    let uploads = Router::new()
        .route(&r("{slug}/send/"), post(pages::room::send))
        .route(&r("{slug}/api/send/"), post(api::send))
        .layer(DefaultBodyLimit::max(upload_limit));

    let app = Router::new()
        .route(&p, get(pages::index::show))
        .route(
            &r("login/"),
            get(pages::account::form).post(pages::account::submit),
        )
        .route(&r("logout/"), post(pages::account::logout))
        .route(
            &r("setup/{token}/"),
            get(pages::setup::form).post(pages::setup::submit),
        )
        .route(
            &r("account/password/"),
            get(pages::account::password_form).post(pages::account::change_password),
        )
        .route(
            &r("account/"),
            get(pages::account::settings_form).post(pages::account::save_settings),
        )
        .route(
            &r("unsubscribe/{room}/{user}/{token}/"),
            get(pages::unsubscribe::confirm).post(pages::unsubscribe::unsubscribe),
        )
        .merge(admin_routes(&p))
        .route(&r("assets/{name}"), get(assets::serve))
        .route(&r("health"), get(health))
        .route(&r("{slug}"), get(pages::room::add_slash))
        .route(&r("{slug}/"), get(pages::room::show))
        .route(&r("{slug}/settings/"), post(pages::room::settings))
        .route(&r("{slug}/colours.css"), get(pages::room::colours))
        .route(&r("{slug}/file/{id}/"), get(pages::files::download))
        .route(&r("{slug}/api/poll/"), post(api::poll))
        .route(&r("{slug}/api/history/"), post(api::history))
        .route(&r("{slug}/api/presence/"), post(api::presence))
        .route(&r("{slug}/api/events/"), get(api::events::stream))
        .merge(uploads)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(csrf::MAX_FORM_BYTES));

    let sessions = SessionManagerLayer::new(SessionStoreAdapter(state.chat.store.clone()))
        .with_name("conversate_session")
        .with_path(p.clone())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.is_https())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(
            auth::SESSION_DAYS,
        )));

    let app = app
        .layer(middleware::from_fn_with_state(state.clone(), error::guard))
        .layer(sessions)
        .layer(tower_http::csrf::CsrfLayer::new())
        .layer(middleware::map_response_with_state(
            state.config.is_https(),
            security_headers,
        ));
    app.layer(CatchPanicLayer::custom(|_| {
        tracing::error!("a handler panicked");
        (StatusCode::INTERNAL_SERVER_ERROR, axum::response::Html("<!doctype html><title>Server error</title><h1>Server error</h1><p>Something went wrong on the server. Please try again.</p>")).into_response()
    }))
    .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(Duration::from_secs(300)))
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}

/// The administration pages: refused to non-admins inside every handler.
fn admin_routes(p: &str) -> Router<AppState> {
    use pages::admin::{
        add_member, audit, clear_room, clear_room_confirm, create_room, create_user, deactivate,
        deactivate_confirm, delete_room, delete_room_confirm, index, remove_member,
        remove_member_confirm, reset_password, room_page, rooms, save_member, save_room, save_user,
        user_page, users,
    };
    let r = |path: &str| format!("{p}admin/{path}");
    Router::new()
        .route(&r(""), get(index))
        .route(&r("rooms/"), get(rooms).post(create_room))
        .route(&r("rooms/{slug}/"), get(room_page).post(save_room))
        .route(
            &r("rooms/{slug}/delete/"),
            get(delete_room_confirm).post(delete_room),
        )
        .route(
            &r("rooms/{slug}/clear/"),
            get(clear_room_confirm).post(clear_room),
        )
        .route(&r("rooms/{slug}/members/"), post(add_member))
        .route(&r("rooms/{slug}/members/{username}/"), post(save_member))
        .route(
            &r("rooms/{slug}/members/{username}/remove/"),
            get(remove_member_confirm).post(remove_member),
        )
        .route(&r("users/"), get(users).post(create_user))
        .route(&r("users/{username}/"), get(user_page).post(save_user))
        .route(&r("users/{username}/password/"), post(reset_password))
        .route(
            &r("users/{username}/deactivate/"),
            get(deactivate_confirm).post(deactivate),
        )
        .route(&r("audit/"), get(audit))
}

/// The headers every answer carries unless its handler set its own: one
/// layer for all of them, since each layer is a future more per request.
async fn security_headers(
    axum::extract::State(https): axum::extract::State<bool>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(header::CACHE_CONTROL, "no-store");
    if https {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

async fn health() -> &'static str {
    "ok"
}

async fn not_found() -> error::AppError {
    error::AppError::NotFound("Page not found.".to_owned())
}
