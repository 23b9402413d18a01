//! Search: the filters, the order and the paging, written once; each
//! backend contributes how words are matched ([`TextMatch`], from
//! `Backend::text_match`): FTS5's `MATCH` on SQLite, `@@` on a `tsvector`
//! on PostgreSQL.
//!
//! Nothing from the user is written into the SQL: words arrive as tokens of
//! letters and digits and are bound, ids and times are bound, and the
//! numbers written in (limits, the window) are our own.

use super::{Backend, Db};
use crate::store::rows::{MESSAGE_COLUMNS, SearchRow};
use crate::store::{
    BEST_WINDOW, Result, Search, SearchHit, SearchOrder, SearchPage, SearchRequest,
};

/// A value bound to the statement.
#[derive(Clone)]
pub(crate) enum Bind {
    Int(i64),
    Real(f64),
    Text(String),
}

/// How a backend matches the words of a search.
pub(crate) struct TextMatch {
    /// What the rows come from: the messages as `m`, with whatever the
    /// match needs.
    pub from: String,
    /// What the matching ids alone come from (for the scan's floor), with
    /// the same `condition` and `id`.
    pub candidates: String,
    /// What the rows come from instead when fewer than the scan limit
    /// match (no floor was found), if the backend does better then.
    pub few: Option<String>,
    /// Whether the statements may be kept prepared.
    pub persistent: bool,
    /// The condition that matches the words.
    pub condition: String,
    /// The messages' id in the order the match delivers them cheapest.
    pub id: &'static str,
    /// The score, higher for a better match.
    pub score: String,
    /// The values the fragments bind, as `$1`, `$2`, … in this order.
    pub binds: Vec<Bind>,
}

/// Placeholders handed out in order.
struct Params {
    binds: Vec<Bind>,
}

impl Params {
    fn add(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len())
    }
}

#[async_trait::async_trait]
impl Search for Backend {
    #[tracing::instrument(skip_all, fields(user_id = r.user_id, terms = r.terms.len()))]
    async fn search(&self, r: &SearchRequest) -> Result<SearchPage> {
        let text = (!r.terms.is_empty()).then(|| Backend::text_match(&r.terms));
        let newest_cursor = match (r.order, r.cursor) {
            (SearchOrder::Newest, Some(c)) => Some(c.id),
            _ => None,
        };
        let window = match r.order {
            SearchOrder::Newest => r.scan_limit,
            SearchOrder::Best => BEST_WINDOW,
        };
        let floor = self.floor(r, text.as_ref(), newest_cursor, window).await?;

        let persistent = text.as_ref().is_none_or(|t| t.persistent);
        let mut p = Params { binds: Vec::new() };
        let mut filters: Vec<String> = Vec::new();
        let (from, id, score) = match text {
            None => ("messages m".to_owned(), "m.id", "0.0".to_owned()),
            Some(text) => {
                // The match's values come first: its placeholders start at $1.
                p.binds.extend(text.binds);
                let from = match (floor, text.few) {
                    // The few rows come matched already.
                    (None, Some(few)) => few,
                    _ => {
                        filters.push(text.condition);
                        text.from
                    }
                };
                // Newest first needs no score: rank only for best match.
                let score = match r.order {
                    SearchOrder::Best => text.score,
                    SearchOrder::Newest => "0.0".to_owned(),
                };
                (from, text.id, score)
            }
        };
        if !r.all_rooms {
            let user = p.add(Bind::Int(r.user_id));
            filters.push(format!(
                "m.room_id IN (SELECT room_id FROM members WHERE user_id = {user})"
            ));
        }
        if let Some(room) = r.room_id {
            filters.push(format!("m.room_id = {}", p.add(Bind::Int(room))));
        }
        if let Some(author) = r.author_id {
            filters.push(format!("m.user_id = {}", p.add(Bind::Int(author))));
        }
        if r.has_file {
            filters.push("m.file_key IS NOT NULL".to_owned());
        }
        if r.has_link {
            filters.push("m.html LIKE '%<a href=%'".to_owned());
        }
        if r.mentions_me {
            let user = p.add(Bind::Int(r.user_id));
            filters.push(format!(
                "EXISTS (SELECT 1 FROM mentions mn WHERE mn.message_id = m.id AND mn.user_id = {user})"
            ));
        }
        if let Some(before) = r.before {
            filters.push(format!("m.created_at < {}", p.add(Bind::Int(before))));
        }
        if let Some(after) = r.after {
            filters.push(format!("m.created_at >= {}", p.add(Bind::Int(after))));
        }
        if let Some(c) = newest_cursor {
            filters.push(format!("{id} < {}", p.add(Bind::Int(c))));
        }
        if let Some(floor) = floor {
            filters.push(format!("{id} >= {}", p.add(Bind::Int(floor))));
        }
        let filters = if filters.is_empty() {
            String::new()
        } else {
            format!(" AND {}", filters.join(" AND "))
        };
        let limit = r.limit;
        let select = format!(
            "SELECT {MESSAGE_COLUMNS}, rm.slug, rm.title, CAST({score} AS DOUBLE PRECISION) AS score \
             FROM {from} JOIN users u ON u.id = m.user_id JOIN rooms rm ON rm.id = m.room_id \
             LEFT JOIN messages r ON r.id = m.reply_to LEFT JOIN users ru ON ru.id = r.user_id \
             WHERE TRUE{filters} ORDER BY {id} DESC"
        );
        let sql = match r.order {
            SearchOrder::Newest => format!("{select} LIMIT {limit}"),
            SearchOrder::Best => {
                let after = match r.cursor {
                    Some(c) => {
                        let s = p.add(Bind::Real(c.score));
                        let s2 = p.add(Bind::Real(c.score));
                        let i = p.add(Bind::Int(c.id));
                        format!(" WHERE w.score < {s} OR (w.score = {s2} AND w.id < {i})")
                    }
                    None => String::new(),
                };
                format!(
                    "SELECT w.* FROM ({select} LIMIT {BEST_WINDOW}) w{after} \
                     ORDER BY w.score DESC, w.id DESC LIMIT {limit}"
                )
            }
        };
        let mut query =
            sqlx::query_as::<Db, SearchRow>(sqlx::AssertSqlSafe(sql)).persistent(persistent);
        for bind in p.binds {
            query = match bind {
                Bind::Int(v) => query.bind(v),
                Bind::Real(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        let rows = query.fetch_all(self.reader()).await?;
        Ok(SearchPage {
            hits: rows.into_iter().map(SearchHit::from).collect(),
            scanned_to: floor.filter(|_| r.order == SearchOrder::Newest),
        })
    }
}

impl Backend {
    /// The lowest id a search may look at: the `window`-th newest message
    /// that has the words (or, without words, the `window`-th newest
    /// message of `in:`'s room, or the id `window` below the newest) below
    /// the cursor. `None` when
    /// there are fewer: nothing bounds the search. Bounding by id keeps
    /// every request to at most `window` candidates, however rare the
    /// filters make a match, while a common word still stops at the
    /// page's end.
    async fn floor(
        &self,
        r: &SearchRequest,
        text: Option<&TextMatch>,
        cursor: Option<i64>,
        window: u32,
    ) -> Result<Option<i64>> {
        let mut p = Params { binds: Vec::new() };
        let mut filters = Vec::new();
        if text.is_none() && r.room_id.is_none() {
            // Every message is a candidate: the window is a range of ids
            // (gaps only make it hold fewer), found without reading rows.
            let below = match cursor {
                Some(c) => format!(" WHERE id < {}", p.add(Bind::Int(c))),
                None => String::new(),
            };
            let sql = format!("SELECT COALESCE(MAX(id), 0) FROM messages{below}");
            let mut query = sqlx::query_scalar::<Db, i64>(sqlx::AssertSqlSafe(sql));
            if let Some(c) = cursor {
                query = query.bind(c);
            }
            let newest = query.fetch_one(self.reader()).await?;
            let floor = newest - i64::from(window.saturating_sub(1));
            return Ok((floor > 1).then_some(floor));
        }
        let (from, id) = match text {
            Some(text) => {
                p.binds.extend(text.binds.iter().cloned());
                filters.push(text.condition.clone());
                (text.candidates.as_str(), text.id)
            }
            None => {
                if let Some(room) = r.room_id {
                    filters.push(format!("m.room_id = {}", p.add(Bind::Int(room))));
                }
                ("messages m", "m.id")
            }
        };
        if let Some(c) = cursor {
            filters.push(format!("{id} < {}", p.add(Bind::Int(c))));
        }
        let filters = if filters.is_empty() {
            String::new()
        } else {
            format!(" AND {}", filters.join(" AND "))
        };
        let offset = window.saturating_sub(1);
        let sql = format!(
            "SELECT {id} FROM {from} WHERE TRUE{filters} ORDER BY {id} DESC LIMIT 1 OFFSET {offset}"
        );
        let persistent = text.is_none_or(|t| t.persistent);
        let mut query =
            sqlx::query_scalar::<Db, i64>(sqlx::AssertSqlSafe(sql)).persistent(persistent);
        for bind in p.binds {
            query = match bind {
                Bind::Int(v) => query.bind(v),
                Bind::Real(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        Ok(query.fetch_optional(self.reader()).await?)
    }
}
