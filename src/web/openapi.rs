//! The OpenAPI description of the JSON API, generated from the code and
//! served at `GET /api/openapi.json`.
//!
//! Each API handler carries a `#[utoipa::path]` annotation, and the API's
//! routes are mounted from those annotations ([`api_routes`], through
//! `utoipa_axum::routes!`), so a described path is a routed path by
//! construction. The answers are the real serialised types (`News`,
//! `MessageView`, `UserView`, …) where handlers have them; the forms and
//! the `json!` answers are described by the structs below. CI runs
//! Schemathesis against a running server with this description, so a
//! description that drifts from behaviour fails the build.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Server, ServerBuilder};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::state::AppState;
use super::views::MessageView;

/// The description's fixed parts; the operations come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Conversate",
        description = "The JSON API of Conversate (docs/api.md). Authenticate with \
            `Authorization: Bearer <token>` (made on the account page), or with the session \
            cookie plus the CSRF token in `X-CSRFToken` for state changes.",
        license(name = "BSD-3-Clause")
    ),
    modifiers(&BearerToken),
    security(("token" = [])),
    tags(
        (name = "messages", description = "Polling, sending and history"),
        (name = "changes", description = "Edits, deletions and reactions"),
        (name = "catch-up", description = "Rooms, read cursors, presence and typing"),
        (name = "search", description = "Full-text search"),
        (name = "webhooks", description = "Incoming webhooks"),
        (name = "push", description = "Web Push: the site's key and the user's devices"),
        (name = "meta", description = "This description")
    )
)]
struct ApiDoc;

/// Adds the bearer token scheme.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API's routes, each mounted at the path its annotation describes.
fn api_router(upload_limit: usize) -> OpenApiRouter<AppState> {
    use super::{api, hooks};
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::poll))
        .routes(routes!(api::send).layer(DefaultBodyLimit::max(upload_limit)))
        .routes(routes!(api::history))
        .routes(routes!(api::presence))
        .routes(routes!(api::events::stream))
        .routes(routes!(api::catch_up::read))
        .routes(routes!(api::catch_up::typing))
        .routes(routes!(api::catch_up::rooms))
        .routes(routes!(api::lifecycle::edit))
        .routes(routes!(api::lifecycle::delete))
        .routes(routes!(api::lifecycle::react))
        .routes(routes!(api::search::search))
        .routes(routes!(api::push::show))
        .routes(routes!(api::push::subscribe))
        .routes(routes!(api::push::unsubscribe))
        .routes(routes!(hooks::receive))
        .routes(routes!(description))
}

/// The mount point without its last `/` (empty at the root).
fn base(prefix: &str) -> &str {
    prefix.trim_end_matches('/')
}

/// The API's routes under the mount point `prefix`.
pub fn api_routes(prefix: &str, upload_limit: usize) -> Router<AppState> {
    let (router, _) = api_router(upload_limit).split_for_parts();
    match base(prefix) {
        "" => router,
        base => Router::new().nest(base, router),
    }
}

/// The description of the API under the mount point `prefix`, as JSON.
#[must_use]
pub fn describe(prefix: &str) -> String {
    let (_, mut doc) = api_router(0).split_for_parts();
    let url = match base(prefix) {
        "" => "/",
        base => base,
    };
    doc.servers = Some(vec![server(url)]);
    doc.to_json().unwrap_or_default()
}

fn server(url: &str) -> Server {
    ServerBuilder::new().url(url).build()
}

/// `GET /api/openapi.json`: this description (OpenAPI 3.1). Public: it
/// says nothing about a site but its mount point.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI description", content_type = "application/json"))
)]
pub async fn description(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        state.openapi.to_string(),
    )
        .into_response()
}

/// Every error of the API: `{"success": false, "error": "<sentence>"}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorAnswer {
    /// Always `false`.
    pub success: bool,
    /// What went wrong, as one sentence for people.
    pub error: String,
}

/// A plain success: `{"success": true}`.
#[derive(Serialize, ToSchema)]
pub struct Done {
    pub success: bool,
}

/// The errors of an address in a room.
#[derive(IntoResponses)]
pub enum RoomErrors {
    /// Bad input: a missing or malformed field.
    #[response(status = 400)]
    BadRequest(#[to_schema] ErrorAnswer),
    /// Not logged in, or an unknown, malformed or revoked token.
    #[response(status = 401)]
    Unauthorised(ErrorAnswer),
    /// A missing CSRF token, or a token without the scope.
    #[response(status = 403)]
    Forbidden(ErrorAnswer),
    /// No such room, or not a member (the same answer); no such message.
    #[response(status = 404)]
    NotFound(ErrorAnswer),
    /// Too fast; `Retry-After` says how long to wait.
    #[response(status = 429)]
    TooMany(ErrorAnswer),
}

/// Fields of `api/poll/`.
#[derive(ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct PollForm {
    /// The client's cursor: the `last` of its previous answer (0 at first).
    #[schema(minimum = 0)]
    last: i64,
    /// Whether the window has focus (`true` or `false`).
    hasFocus: Option<bool>,
    /// Seconds to wait for news (long-poll), at most 25.
    #[schema(minimum = 0, maximum = 25)]
    wait: Option<u32>,
}

/// Fields of `api/send/` (form or multipart).
#[derive(ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct SendForm {
    /// The message text (Markdown); may be empty with a file.
    #[schema(min_length = 1)]
    content: String,
    /// The client's cursor; the answer holds everything after it.
    #[schema(minimum = 0)]
    last: Option<i64>,
    hasFocus: Option<bool>,
    /// 1 to 64 printable ASCII characters; a repeat stores nothing new.
    #[schema(pattern = "^[!-~]{1,64}$")]
    client_id: Option<String>,
    /// The id of a message of this room this one answers.
    #[schema(minimum = 1)]
    reply_to: Option<i64>,
}

/// Fields of `api/history/`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct HistoryForm {
    /// The oldest message id the client has.
    #[schema(minimum = 0)]
    first: i64,
}

/// The answer of `api/history/`.
#[derive(Serialize, ToSchema)]
pub struct HistoryAnswer {
    pub success: bool,
    /// The oldest id returned (the one sent when none are).
    pub first: i64,
    /// Messages older still.
    pub remaining: i64,
    pub messages: Vec<MessageView>,
}

/// Fields of `api/presence/`.
#[derive(ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct PresenceForm {
    hasFocus: Option<bool>,
}

/// Fields of `api/read/`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReadForm {
    /// The newest message id the client has shown.
    #[schema(minimum = 0)]
    last: i64,
}

/// The answer of `api/read/`.
#[derive(Serialize, ToSchema)]
pub struct ReadAnswer {
    pub success: bool,
    /// The read cursor as it now stands.
    pub last_read: i64,
}

/// No fields (`api/typing/`).
#[derive(ToSchema)]
pub struct NoFields {}

/// One room of `api/rooms/`.
#[derive(Serialize, ToSchema)]
pub struct RoomNewsView {
    pub slug: String,
    /// The room's title; a direct room's is the other person's name.
    pub title: String,
    /// Whether it is a direct conversation of two people.
    pub direct: bool,
    pub unread: i64,
    pub mentions: i64,
    pub last_id: i64,
}

/// The answer of `api/rooms/`.
#[derive(Serialize, ToSchema)]
pub struct RoomsAnswer {
    pub success: bool,
    pub rooms: Vec<RoomNewsView>,
}

/// Fields of `api/edit/`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EditForm {
    #[schema(minimum = 1)]
    id: i64,
    #[schema(min_length = 1)]
    content: String,
}

/// Fields of `api/delete/`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeleteForm {
    #[schema(minimum = 1)]
    id: i64,
}

/// Fields of `api/react/`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReactForm {
    #[schema(minimum = 1)]
    id: i64,
    /// One emoji, or a shortcode in colons (`:thumbsup:`).
    emoji: String,
}

/// The answer of an edit, deletion or reaction.
#[derive(Serialize, ToSchema)]
pub struct ChangeAnswer {
    pub success: bool,
    /// The message as it now stands.
    pub message: MessageView,
}

/// One result of `api/search/`.
#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    /// The room's slug.
    pub room: String,
    pub id: i64,
    pub user: String,
    pub time: i64,
    /// Escaped text with the matches in `<mark>`.
    pub excerpt_html: String,
}

/// The answer of `api/search/`.
#[derive(Serialize, ToSchema)]
pub struct SearchAnswer {
    pub success: bool,
    pub results: Vec<SearchResult>,
    /// The cursor of the next page, or `null` on the last.
    pub next: Option<String>,
}

/// A webhook's body, as JSON (a form with `text` works too).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct HookMessage {
    /// The message (Markdown; Slack's markup is turned into it).
    text: String,
}

/// The answer of a webhook.
#[derive(Serialize, ToSchema)]
pub struct HookAnswer {
    pub success: bool,
    /// The id of the message posted.
    pub id: i64,
}

/// The errors of the push addresses.
#[derive(IntoResponses)]
pub enum PushErrors {
    /// Bad input: a missing field, a malformed subscription, one device
    /// too many.
    #[response(status = 400)]
    BadRequest(#[to_schema] ErrorAnswer),
    /// Not logged in, or an unknown, malformed or revoked token.
    #[response(status = 401)]
    Unauthorised(ErrorAnswer),
    /// A missing CSRF token, or push turned off on this site.
    #[response(status = 403)]
    Forbidden(ErrorAnswer),
    /// No such device of the user's.
    #[response(status = 404)]
    NotFound(ErrorAnswer),
    /// Too fast; `Retry-After` says how long to wait.
    #[response(status = 429)]
    TooMany(ErrorAnswer),
}

/// A device with push turned on.
#[derive(Serialize, ToSchema)]
pub struct DeviceView {
    pub id: i64,
    /// "Firefox on Android", from the browser's `User-Agent`.
    pub device: String,
    /// The push service's address for the device.
    pub endpoint: String,
    /// Unix seconds.
    pub created: i64,
    /// When a push last reached it (Unix seconds), if ever.
    pub last_used: Option<i64>,
}

/// The answer of `api/push/`.
#[derive(Serialize, ToSchema)]
pub struct PushAnswer {
    pub success: bool,
    /// Whether the site sends pushes (`PUSH`).
    pub enabled: bool,
    /// The VAPID public key (base64url) for `pushManager.subscribe`;
    /// `null` when push is off.
    pub key: Option<String>,
    pub devices: Vec<DeviceView>,
}

/// Fields of `api/push/subscribe/`: the browser's `PushSubscription`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SubscribeForm {
    /// The push service's `https` address for this browser.
    #[schema(min_length = 1)]
    endpoint: String,
    /// The browser's P-256 public key, base64url.
    #[schema(min_length = 1)]
    p256dh: String,
    /// The browser's auth secret, base64url.
    #[schema(min_length = 1)]
    auth: String,
}

/// The answer of `api/push/subscribe/`.
#[derive(Serialize, ToSchema)]
pub struct SubscribeAnswer {
    pub success: bool,
    pub device: DeviceView,
}

/// Fields of `api/push/unsubscribe/`: `endpoint` (this browser's) or `id`
/// (any of the user's devices).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UnsubscribeForm {
    endpoint: Option<String>,
    #[schema(minimum = 1)]
    id: Option<i64>,
}
