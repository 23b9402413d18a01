//! HTTP: routes, layers and handlers.

pub mod api;
pub mod assets;
pub mod auth;
pub mod bearer;
pub mod body_timeout;
pub mod client;
pub mod client_strings;
pub mod csrf;
pub mod error;
pub mod forms;
pub mod fragments;
pub mod health;
pub mod hooks;
pub mod i18n;
pub mod identity;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod pwa;
pub mod request_log;
pub mod send;
pub mod server;
pub mod session;
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
pub use state::AppState;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

/// The policy for every page: no inline script or style, nothing framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Builds the router with every route under the configured prefix.
pub fn router(state: AppState) -> Router {
    let p = state.prefix().to_owned();
    let r = |path: &str| format!("{p}{path}");
    let upload_limit = usize::try_from(forms::upload_body_limit(state.config.max_upload_bytes))
        .unwrap_or(usize::MAX);

    let uploads = Router::new()
        .route(&r("{slug}/send/"), post(pages::room::send))
        .layer(DefaultBodyLimit::max(upload_limit));
    let avatar_limit = usize::try_from(forms::upload_body_limit(
        state.chat.accounts.avatar_max_bytes,
    ))
    .unwrap_or(usize::MAX);
    let avatars = Router::new()
        .route(&r("account/avatar/"), post(pages::profile::save_avatar))
        .layer(DefaultBodyLimit::max(avatar_limit));

    // When a host site or a front-end decides who is logged in, the pages
    // of Conversate's own logins do not exist (404, like any unknown page).
    let own_logins = if state.identity.is_none() {
        Router::new()
            .route(
                &r("login/"),
                get(pages::account::form).post(pages::account::submit),
            )
            .route(&r("logout/"), post(pages::account::logout))
            .route(&r("login/oidc/"), get(pages::sso::begin))
            .route(&r("login/oidc/callback/"), get(pages::sso::callback))
            .route(
                &r("setup/{token}/"),
                get(pages::setup::form).post(pages::setup::submit),
            )
            .route(
                &r("account/password/"),
                get(pages::account::password_form).post(pages::account::change_password),
            )
            // Invitations make accounts with passwords, and resets set them.
            .route(
                &r(crate::urls::INVITATION),
                get(pages::invitations::form).post(pages::invitations::accept),
            )
            .route(
                &r(crate::urls::FORGOT),
                get(pages::reset::forgot_form).post(pages::reset::forgot),
            )
            .route(
                &r(crate::urls::RESET),
                get(pages::reset::reset_form).post(pages::reset::reset),
            )
    } else {
        Router::new()
    };

    let app = Router::new()
        .route(&p, get(pages::index::show))
        .merge(own_logins)
        .route(
            &r("rooms/"),
            get(pages::directory::show).post(pages::directory::create),
        )
        .route(&r("rooms/direct/"), post(pages::directory::direct))
        .route(&r("rooms/{slug}/join/"), post(pages::directory::join))
        .route(&r("account/tokens/"), post(pages::tokens::create))
        .route(&r("account/locale/"), post(pages::account::save_locale))
        .route(&r("account/profile/"), post(pages::profile::save_name))
        .route(&r(crate::urls::AVATAR), get(pages::profile::avatar))
        .route(&r("account/tokens/revoke/"), post(pages::tokens::revoke))
        .route(
            &r("account/"),
            get(pages::account::settings_form).post(pages::account::save_settings),
        )
        .route(
            &r(crate::urls::UNSUBSCRIBE),
            get(pages::unsubscribe::confirm).post(pages::unsubscribe::unsubscribe),
        )
        .merge(admin_routes(&state, &p))
        .route(&r("assets/{name}"), get(assets::serve))
        .route(
            &r("assets/m/{version}/{language}/{*path}"),
            get(assets::serve_module),
        )
        .route(&r("health"), get(health))
        .route(&r("healthz"), get(health::healthz))
        .route(&r("readyz"), get(health::readyz))
        .route(&r("{slug}"), get(pages::room::add_slash))
        .route(&r(crate::urls::ROOM), get(pages::room::show))
        .route(&r("{slug}/settings/"), post(pages::room::settings))
        .route(&r(crate::urls::MESSAGE), get(pages::messages::permalink))
        .route(&r("{slug}/m/{id}/edit/"), get(pages::messages::edit_form))
        .route(
            &r("{slug}/m/{id}/delete/"),
            get(pages::messages::delete_form),
        )
        .route(&r("{slug}/m/{id}/history/"), get(pages::messages::history))
        .route(&r("{slug}/edit/"), post(pages::messages::edit))
        .route(&r("{slug}/delete/"), post(pages::messages::delete))
        .route(&r("{slug}/react/"), post(pages::messages::react))
        .route(&r("{slug}/colours.css"), get(pages::room::colours))
        .route(&r("{slug}/file/{id}/"), get(pages::files::download))
        .route(&r("{slug}/file/{id}/preview/"), get(pages::files::preview))
        .route(
            &r("{slug}/m/{id}/link-image/"),
            get(pages::files::link_image),
        )
        .route(&r("search"), get(pages::search::add_slash))
        .route(&r("search/"), get(pages::search::show))
        .route(
            &r("account/notifications/"),
            get(pages::notifications::show),
        )
        .route(&r("account/export/{slug}/"), get(pages::export::download))
        .route(&r("account/push/remove/"), post(pages::push::remove))
        .route(&r("manifest.webmanifest"), get(pwa::manifest))
        .route(&r("sw.js"), get(pwa::service_worker))
        .route(&r("offline/"), get(pwa::offline))
        .merge(uploads)
        .merge(avatars)
        // The JSON API, mounted from its OpenAPI annotations.
        .merge(openapi::api_routes(&p, upload_limit))
        .fallback(not_found);
    // `/metrics` on the main address only with a token (see `metrics`).
    let app = if state.config.metrics_token.is_some() {
        app.route(&r("metrics"), get(metrics::with_token))
    } else {
        app
    };

    // The layers wrap the finished router once, as one stack of concrete
    // services. Through `Router::layer` each would wrap every route
    // separately, behind a box of its own: a service clone, a boxed future
    // and a copy of it per layer and request.
    let is_https = state.config.is_https();
    let body_timeout = Duration::from_secs(state.config.body_timeout_secs);
    let body_min_rate = state.config.body_min_rate;
    let json_logs = state.config.log_format == crate::config::LogFormat::Json;
    let proxies: std::sync::Arc<[crate::config::Network]> =
        state.config.trusted_proxies.clone().into();
    let count_requests =
        state.config.metrics_token.is_some() || state.config.metrics_bind.is_some();
    let stack = tower::ServiceBuilder::new()
        .option_layer(count_requests.then(|| metrics::CountLayer {
            http: std::sync::Arc::new(state.metrics.http.clone()),
            prefix: state.prefix().into(),
        }))
        .option_layer(
            json_logs.then(|| tower::util::MapRequestLayer::new(request_log::assign_id(proxies.clone()))),
        )
        .option_layer(json_logs.then(tower_http::request_id::PropagateRequestIdLayer::x_request_id))
        .layer(TraceLayer::new_for_http().make_span_with(request_log::RequestSpan {
            json: json_logs,
            proxies,
        }))
        .map_request(move |request: axum::http::Request<axum::body::Body>| {
            request.map(|body| {
                axum::body::Body::new(body_timeout::IdleTimeout::with_min_rate(
                    body,
                    body_timeout,
                    body_min_rate,
                ))
            })
        })
        // Forms are small; the upload routes raise this for themselves.
        .layer(DefaultBodyLimit::max(csrf::MAX_FORM_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            (StatusCode::INTERNAL_SERVER_ERROR, axum::response::Html("<!doctype html><title>Server error</title><h1>Server error</h1><p>Something went wrong on the server. Please try again.</p>")).into_response()
        }))
        .layer(middleware::map_response_with_state(
            is_https,
            security_headers,
        ))
        .layer(tower_http::csrf::CsrfLayer::new())
        // Outside `error::guard`, so error pages are in the request's language too.
        .layer(i18n::LanguageLayer::new(state.config.languages.clone()))
        .layer(middleware::from_fn_with_state(state.clone(), error::guard))
        .service(app.with_state(state));
    Router::new().fallback_service(stack)
}

/// The administration pages: every route in [`pages::admin::routes`], and
/// only those, behind one check that refuses everyone but administrators
/// before any handler runs.
fn admin_routes(state: &AppState, p: &str) -> Router<AppState> {
    pages::admin::routes()
        .into_iter()
        .fold(Router::new(), |router, route| {
            router.route(&format!("{p}admin/{}", route.path), route.handler)
        })
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_admin,
        ))
}

/// The headers every answer carries unless its handler set its own. The
/// values are constants: `HeaderValue::from_static` checks every byte, and
/// at run time it did so for each answer (the policy alone is 230 bytes).
const SECURITY_HEADERS: [(HeaderName, HeaderValue); 6] = [
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    ),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
];

/// Sent over HTTPS only.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000; includeSubDomains");

/// Sets the security headers: one layer for all of them, since each layer
/// is a future more per request.
async fn security_headers(
    axum::extract::State(https): axum::extract::State<bool>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    let headers = response.headers_mut();
    headers.reserve(SECURITY_HEADERS.len() + 1);
    for (name, value) in SECURITY_HEADERS {
        headers.entry(name).or_insert(value);
    }
    if https {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HSTS);
    }
    response
}

async fn health() -> &'static str {
    "ok"
}

async fn not_found() -> error::AppError {
    error::AppError::NotFound("Page not found.".to_owned())
}
