//! Search: what the search page and `GET /api/search/` call.
//!
//! The rules live here once: only rooms the searcher is a member of are
//! searched (the store filters by membership at query time, so a member who
//! left stops finding that room at once); an administrator searches every
//! room only when asking for it, and each such search is written to the
//! audit log; `in:` a room one may not read finds nothing, exactly as a
//! room that does not exist; a query too long is refused.

use super::ServiceError;
use super::chat::Chat;
use crate::domain::search::{self, Query};
use crate::domain::{self, AuditEntry, Room, User, Username};
use crate::store::{SCAN_LIMIT, SearchCursor, SearchOrder, SearchRequest, Store, StoreError};

/// Results per page.
pub const PAGE: u32 = 20;

/// What the searcher asked for besides the query.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Best match first instead of newest first.
    pub order: SearchOrder,
    /// Every room (administrators only; audited). Ignored for others.
    pub all_rooms: bool,
    /// Where the previous page ended (`next` of its answer).
    pub cursor: Option<String>,
}

/// One result, ready to show.
#[derive(Debug, Clone)]
pub struct Found {
    pub room: Room,
    pub id: i64,
    pub user: String,
    pub time: i64,
    /// Escaped text with the matches in `<mark>` (see [`search::excerpt`]).
    pub excerpt_html: String,
}

/// A page of results.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub query: Query,
    pub found: Vec<Found>,
    /// The cursor of the next page, when there is one. Newest first, a
    /// page can hold fewer results (even none) and still have one: each
    /// request looks at no more than [`SCAN_LIMIT`] candidates.
    pub next: Option<String>,
    /// Sentences about what the query could not use.
    pub notes: Vec<String>,
    /// Whether every room was searched (an administrator asked).
    pub all_rooms: bool,
}

/// Builds the search index again from the stored messages (`conversate
/// search rebuild`): for an index damaged on disk, or one left in many
/// pieces by a large import. Answers how many messages it holds.
///
/// # Errors
/// Storage errors; the index is then as it was.
#[tracing::instrument(skip_all)]
pub async fn rebuild_index(store: &Store) -> Result<i64, ServiceError> {
    Ok(store.maintenance().rebuild_search_index().await?)
}

/// Searches the messages `user` may read for `raw`.
///
/// # Errors
/// `Invalid` when the query is longer than `max_chars` characters or the
/// cursor is not one this search handed out; storage errors.
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn search(
    chat: &Chat,
    user: &User,
    raw: &str,
    options: Options,
    max_chars: usize,
) -> Result<Results, ServiceError> {
    if raw.chars().count() > max_chars {
        return Err(ServiceError::Invalid(format!(
            "A search can be at most {max_chars} characters long."
        )));
    }
    let cursor = options
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| parse_cursor(c, options.order))
        .transpose()?;
    let query = Query::parse(raw);
    let all_rooms = options.all_rooms && user.is_admin;
    let mut results = Results {
        all_rooms,
        ..Results::default()
    };
    results.notes.extend(
        query
            .ignored
            .iter()
            .map(|op| format!("“{op}” was not understood and is left out.")),
    );
    if query.is_empty() {
        results.query = query;
        return Ok(results);
    }
    let store = &chat.store;
    let room_id = match &query.room {
        Some(slug) => match readable_room(chat, user, slug, all_rooms).await? {
            Some(room) => Some(room.id),
            None => {
                results
                    .notes
                    .push(format!("You are in no room called “{slug}”."));
                results.query = query;
                return Ok(results);
            }
        },
        None => None,
    };
    let author_id = match &query.from {
        Some(name) => {
            let found = match Username::parse(name) {
                Ok(name) => match store.accounts().user_by_name(&name.key()).await {
                    Ok(author) => Some(author.id),
                    Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                },
                Err(_) => None,
            };
            if found.is_none() {
                results.notes.push(format!("Nobody is called “{name}”."));
                results.query = query;
                return Ok(results);
            }
            found
        }
        None => None,
    };
    if all_rooms {
        audit_all_rooms(chat, user, raw).await?;
    }
    let request = SearchRequest {
        user_id: user.id,
        all_rooms,
        room_id,
        author_id,
        terms: query.terms.clone(),
        has_file: query.has_file,
        has_link: query.has_link,
        mentions_me: query.mentions_me,
        before: query.before,
        after: query.after,
        order: options.order,
        cursor,
        limit: PAGE + 1,
        scan_limit: SCAN_LIMIT,
    };
    let page = store.search().search(&request).await?;
    let mut hits = page.hits;
    if hits.len() > PAGE as usize {
        hits.truncate(PAGE as usize);
        results.next = hits.last().map(|h| match options.order {
            SearchOrder::Newest => h.message.id.to_string(),
            SearchOrder::Best => format!("{}_{}", h.score, h.message.id),
        });
    } else if let Some(floor) = page.scanned_to {
        // The search stopped at its scan limit: older messages remain.
        results.next = Some(floor.to_string());
    }
    let marks = query.marks();
    results.found = hits
        .into_iter()
        .map(|h| {
            let m = h.message;
            let text = match &m.file {
                Some(f) if m.content.trim().is_empty() => f.name.clone(),
                Some(f) => format!("{} [{}]", m.content, f.name),
                None => m.content,
            };
            Found {
                room: h.room,
                id: m.id,
                user: m.username,
                time: m.time,
                excerpt_html: search::excerpt(&text, &marks),
            }
        })
        .collect();
    results.query = query;
    Ok(results)
}

/// The room called `slug` if `user` may search it: a member, or an
/// administrator searching every room. `None` alike for a room that does
/// not exist and one the user may not read.
async fn readable_room(
    chat: &Chat,
    user: &User,
    slug: &str,
    all_rooms: bool,
) -> Result<Option<Room>, ServiceError> {
    if domain::RoomSlug::parse(slug).is_err() {
        return Ok(None);
    }
    let room = match chat.store.rooms().room_by_slug(slug).await {
        Ok(room) => room,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if all_rooms {
        return Ok(Some(room));
    }
    match chat.store.rooms().member(room.id, user.id).await {
        Ok(_) => Ok(Some(room)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// An administrator read rooms they are not a member of: the audit log
/// says who searched for what.
async fn audit_all_rooms(chat: &Chat, user: &User, raw: &str) -> Result<(), ServiceError> {
    let query: String = raw.chars().take(200).collect();
    tracing::info!(actor = %user.username, query, "admin searched every room");
    chat.store
        .audit()
        .record_audit(AuditEntry {
            at: domain::now(),
            actor_id: Some(user.id),
            actor_name: user.username.clone(),
            action: "search.all_rooms".to_owned(),
            target: "all rooms".to_owned(),
            detail: format!("query: {query}"),
        })
        .await?;
    Ok(())
}

/// A `next` value handed out by [`search`]: an id, or `score_id` in
/// best-match order.
fn parse_cursor(raw: &str, order: SearchOrder) -> Result<SearchCursor, ServiceError> {
    let bad = || ServiceError::Invalid("That page of results does not exist.".to_owned());
    let (score, id) = match order {
        SearchOrder::Newest => (0.0, raw),
        SearchOrder::Best => {
            let (score, id) = raw.rsplit_once('_').ok_or_else(bad)?;
            let score: f64 = score.parse().map_err(|_| bad())?;
            if !score.is_finite() {
                return Err(bad());
            }
            (score, id)
        }
    };
    let id: i64 = id.parse().map_err(|_| bad())?;
    if id <= 0 {
        return Err(bad());
    }
    Ok(SearchCursor { id, score })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = parse_cursor("42", SearchOrder::Newest).expect("id");
        assert_eq!(c.id, 42);
        let score = -0.123_456_789_012_345_67_f64;
        let c = parse_cursor(&format!("{score}_7"), SearchOrder::Best).expect("best");
        assert_eq!((c.score, c.id), (score, 7));
        for bad in ["", "x", "-1", "0", "1_2", "NaN_3", "inf_3", "1e999_3"] {
            let order = if bad.contains('_') {
                SearchOrder::Best
            } else {
                SearchOrder::Newest
            };
            if bad == "1_2" {
                assert!(parse_cursor(bad, SearchOrder::Newest).is_err());
                continue;
            }
            assert!(parse_cursor(bad, order).is_err(), "{bad}");
        }
    }
}
