//! (i) The administrator's overview, `GET /admin/`: activity charts,
//! outbox, storage and attention lists, closed-loop at concurrency 1 and 16
//! as the `admin` account. Twice: on the database of (d) (1,000,000 messages
//! in a full run, nearly all in one room over a few days), and on a database
//! of its own holding as many messages spread over 50 rooms and the 90 days
//! the page draws, so that every room has messages in every hour: the most
//! roll-up rows the page can meet for that many messages.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use crate::closed_loop::MakeRequest;
use crate::http::{Auth, find, get_request};
use crate::stats::{ms, thousands};
use crate::{Params, Results};

/// The overview page, always as the one administrator.
pub fn overview_load(addr: SocketAddr, admin: &Auth) -> MakeRequest {
    let request = get_request(addr, "/admin/", Some(admin));
    Arc::new(move |_, _, out| out.extend_from_slice(&request))
}

/// The answer is the overview with its charts drawn.
pub fn is_overview(body: &[u8]) -> bool {
    find(body, b"cv-daily-chart-title").is_some() && find(body, b"cv-hours-title").is_some()
}

/// Rooms and writers of the spread database.
pub const SPREAD_ROOMS: i64 = 50;
const SPREAD_WRITERS: i64 = 30;
/// The days the overview draws.
const SPREAD_DAYS: i64 = 90;

/// A data directory with `messages` messages spread evenly over
/// [`SPREAD_ROOMS`] rooms and the last [`SPREAD_DAYS`] days, written by
/// [`SPREAD_WRITERS`] members in turn, and the administrator `admin`.
/// Written straight into the database in one statement: the roll-ups follow
/// by trigger, as they do for posted messages.
pub async fn seed_spread(dir: &Path, messages: i64) -> Result<()> {
    use conversate::service::accounts;
    use conversate::service::password::Policy;
    let app = conversate::App::open(conversate::Config::with_data_dir(dir)).await?;
    let store = app.store();
    accounts::create_user(
        store,
        &Policy::default(),
        "admin",
        None,
        crate::server::PASSWORD,
        true,
    )
    .await?;
    for i in 0..SPREAD_WRITERS {
        let name = format!("writer{i:02}");
        let email = format!("{name}@example.org");
        accounts::create_user(
            store,
            &Policy::default(),
            &name,
            Some(&email),
            crate::server::PASSWORD,
            false,
        )
        .await?;
    }
    for i in 0..SPREAD_ROOMS {
        let slug = format!("spread{i:02}");
        accounts::create_room(store, &slug, &format!("Spread {i}")).await?;
        for w in 0..SPREAD_WRITERS {
            accounts::add_member(store, &slug, &format!("writer{w:02}"), None).await?;
        }
    }
    store.close().await;
    drop(app);

    let pool = crate::server::open_db(dir).await?;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    // Message x goes to room x mod 50, by writer x mod 30, at an even step
    // through the 90 days (in thousandths of a second, so a million fit).
    let step_ms = SPREAD_DAYS * 86_400 * 1000 / messages.max(1);
    let mut tx = pool.begin().await?;
    sqlx::query(
        "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < $1 - 1), \
         r AS (SELECT MIN(id) AS first FROM rooms WHERE slug LIKE 'spread%'), \
         u AS (SELECT MIN(id) AS first FROM users WHERE username LIKE 'writer%') \
         INSERT INTO messages (room_id, seq, user_id, created_at, content, html) \
         SELECT r.first + x % $2, x / $2 + 1, u.first + x % $3, $4 + x * $5 / 1000, \
                'Message ' || x || ', spread out.', '<p>Message ' || x || ', spread out.</p>' \
         FROM n, r, u",
    )
    .bind(messages)
    .bind(SPREAD_ROOMS)
    .bind(SPREAD_WRITERS)
    .bind(now - SPREAD_DAYS * 86_400)
    .bind(step_ms)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE rooms SET last_seq = (SELECT COALESCE(MAX(seq), 0) FROM messages m \
         WHERE m.room_id = rooms.id)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(())
}

/// The report's section (i).
pub fn section(o: &mut String, p: &Params, r: &Results) {
    let history = thousands(p.history);
    let _ = writeln!(
        o,
        "## (i) The administrator's overview at {history} messages\n"
    );
    let _ = writeln!(
        o,
        "`GET /admin/` as the administrator: messages per day (90 days, in total and per \
         room), members who wrote per week, the hours of the week, the outbox, the database \
         and disk, and the attention lists. The activity comes from the roll-up tables the \
         message triggers keep (migration 0006), so its cost follows rooms × hours with \
         messages, not messages. Measured on the database of (d) (nearly all of it in one \
         room, one message a second) and on a database of its own with {history} messages \
         spread evenly over 50 rooms and the 90 days drawn, written by 30 members: every \
         room has messages in every hour, the most roll-up rows that many messages can \
         make.\n"
    );
    let _ = writeln!(
        o,
        "| messages in | concurrency | req/s | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|"
    );
    for (shape, c, s) in r
        .overview
        .iter()
        .map(|(c, s)| ("one busy room, a few days", c, s))
        .chain(
            r.overview_spread
                .iter()
                .map(|(c, s)| ("50 rooms, every hour of 90 days", c, s)),
        )
    {
        let _ = writeln!(
            o,
            "| {shape} | {c} | {:.0} | {} | {} | {} |",
            s.rate(),
            ms(s.pct_ms(50.0)),
            ms(s.pct_ms(99.0)),
            ms(s.max_ms()),
        );
    }
    let _ = writeln!(o);
}
