//! The search page, `GET /search/?q=…`: the form and its results,
//! rendered on the server (it works without JavaScript); and the query
//! string both it and `GET /api/search/` read.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};

use super::page;
use crate::service::ServiceError;
use crate::service::search::{self, Found, Options};
use crate::store::SearchOrder;
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// The query string of a search: `q`, `order` (`best` or newest), `scope`
/// (`all`: every room, for administrators) and `cursor` (a `next`).
/// Read leniently: a malformed or repeated field never refuses the
/// request; bytes that are not UTF-8 become U+FFFD.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub q: String,
    pub order: SearchOrder,
    pub all_rooms: bool,
    pub cursor: Option<String>,
}

impl SearchParams {
    /// Reads the raw query string.
    #[must_use]
    pub fn from_query(raw: Option<&str>) -> Self {
        let mut params = Self::default();
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
        for (key, value) in pairs {
            match key.as_str() {
                "q" => params.q = value,
                "order" => {
                    params.order = if value == "best" {
                        SearchOrder::Best
                    } else {
                        SearchOrder::Newest
                    }
                }
                "scope" => params.all_rooms = value == "all",
                "cursor" => params.cursor = Some(value),
                _ => {}
            }
        }
        params
    }

    /// The service's options.
    #[must_use]
    pub fn options(&self) -> Options {
        Options {
            order: self.order,
            all_rooms: self.all_rooms,
            cursor: self.cursor.clone(),
        }
    }

    /// The query string of the page after the one ending at `cursor`.
    fn next_page(&self, cursor: &str) -> String {
        let mut pairs = vec![("q", self.q.as_str())];
        if self.order == SearchOrder::Best {
            pairs.push(("order", "best"));
        }
        if self.all_rooms {
            pairs.push(("scope", "all"));
        }
        pairs.push(("cursor", cursor));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// Where a result links: the message's permalink (the room around it,
/// the message marked), scrolled to it.
#[must_use]
pub fn result_url(state: &AppState, found: &Found) -> String {
    format!(
        "{}#cv-m-{}",
        crate::urls::message(state.prefix(), &found.room.slug, found.id),
        found.id
    )
}

/// `GET /search/?q=…`
#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let here = match &raw {
        Some(raw) => format!("{}?{raw}", state.url("search/")),
        None => state.url("search/"),
    };
    let user = viewer.require(&state, &here)?;
    let params = SearchParams::from_query(raw.as_deref());
    let max = state.config.search_max_chars;
    let (results, error) = if params.q.trim().is_empty() {
        (None, None)
    } else {
        match search::search(&state.chat, user, &params.q, params.options(), max).await {
            Ok(results) => (Some(results), None),
            Err(ServiceError::Invalid(sentence)) => (None, Some(sentence)),
            Err(e) => return Err(e.into()),
        }
    };
    let now = crate::domain::now();
    let found: Vec<Value> = results
        .iter()
        .flat_map(|r| &r.found)
        .map(|f| {
            context! {
                url => result_url(&state, f),
                room_title => f.room.title.clone(),
                room_slug => f.room.slug.clone(),
                user => f.user.clone(),
                iso => iso(f.time),
                time => f.time,
                ago => crate::web::i18n::ago(Some(f.time), now),
                // Escaped by `domain::search::excerpt`, which adds only `<mark>`.
                excerpt => Value::from_safe_string(f.excerpt_html.clone()),
            }
        })
        .collect();
    let next = results
        .as_ref()
        .and_then(|r| r.next.as_deref())
        .map(|c| format!("{}?{}", state.url("search/"), params.next_page(c)));
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let title = if params.q.trim().is_empty() {
        "Search".to_owned()
    } else {
        crate::web::i18n::named(
            "title-search-for",
            &[("query", &params.q.chars().take(60).collect::<String>())],
        )
    };
    let response = page(
        &state,
        &viewer,
        "conversate/search.html",
        context! {
            title,
            q => params.q.clone(),
            best => params.order == SearchOrder::Best,
            all_rooms => params.all_rooms && user.is_admin,
            is_admin => user.is_admin,
            searched => results.is_some(),
            found,
            next,
            notes => results.as_ref().map(|r| r.notes.clone()).unwrap_or_default(),
            error,
            more => params.cursor.is_some(),
            search_url => state.url("search/"),
            api_search => state.url("api/search/"),
            max_chars => max,
        },
    )
    .await?;
    Ok((status, response).into_response())
}

/// `GET /search?q=…` → `/search/?q=…`
pub async fn add_slash(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let plain = state.url("search/");
    let to = raw
        .map(|raw| format!("{plain}?{raw}"))
        .and_then(|to| axum::http::HeaderValue::try_from(to).ok())
        .or_else(|| axum::http::HeaderValue::try_from(plain).ok());
    match to {
        Some(to) => (
            StatusCode::PERMANENT_REDIRECT,
            [(axum::http::header::LOCATION, to)],
        )
            .into_response(),
        None => AppError::NotFound("Page not found.".to_owned()).into_response(),
    }
}

/// ISO 8601 for `<time datetime>`.
#[must_use]
pub fn iso(time: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(time)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
