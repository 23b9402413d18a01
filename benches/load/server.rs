//! The real server: seeding its data directory, starting it, and logging
//! the seeded members in as a browser would.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use crate::http::Auth;
use crate::process::{ServerProc, free_port};
use crate::{EXTRA_ROOMS, HISTORY_ROOM, LIVE_ROOM, Params};

/// Password of every seeded account.
pub const PASSWORD: &str = "benchmark password 42";

/// Starts the real server on `dir` and waits until it answers.
pub async fn start_server(
    dir: &Path,
    env: &[(&str, &str)],
    log_name: &str,
) -> Result<(ServerProc, Duration)> {
    let port = free_port()?;
    let args: Vec<OsString> = vec![
        "--data-dir".into(),
        dir.into(),
        "serve".into(),
        "--bind".into(),
        format!("127.0.0.1:{port}").into(),
    ];
    // The load comes from a few members on one address: lift the abuse
    // throttles (they are measured by the tests, not here).
    let mut env: Vec<(&str, &str)> = env.to_vec();
    env.extend([
        ("CONVERSATE_SENDS_PER_MINUTE", "1000000"),
        ("CONVERSATE_STREAMS_PER_USER", "1000000"),
        ("CONVERSATE_LOGIN_ATTEMPTS_PER_MINUTE", "1000000"),
        ("CONVERSATE_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000000"),
    ]);
    let started = Instant::now();
    let mut server = ServerProc::spawn(
        "conversate",
        &server_binary()?,
        &args,
        &env,
        port,
        dir.parent().unwrap_or(dir).join(log_name),
    )?;
    let ready = server
        .wait_healthy(started, Duration::from_secs(60))
        .await?;
    Ok((server, ready))
}

/// The server binary cargo built for this benchmark (release settings), or
/// the one `CONVERSATE_BENCH_SERVER` names (to measure an earlier build with
/// the same benchmark, for before/after figures).
pub fn server_binary() -> Result<PathBuf> {
    let path = std::env::var_os("CONVERSATE_BENCH_SERVER").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_conversate")),
        PathBuf::from,
    );
    ensure!(
        path.exists(),
        "{} is missing: run `cargo bench --bench load`",
        path.display()
    );
    Ok(path)
}

/// What the seeded database holds.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub users: Vec<String>,
    /// Newest message of the live room.
    pub live_last: i64,
    /// Oldest and newest message of the history room.
    pub history_first: i64,
    pub history_last: i64,
}

/// Creates the accounts and rooms through the library, then writes the
/// history straight into the SQLite file in one transaction.
pub async fn seed(dir: &Path, p: &Params) -> Result<Seeded> {
    use conversate::service::accounts;
    use conversate::service::password::Policy;
    let app = conversate::App::open(conversate::Config::with_data_dir(dir)).await?;
    let store = app.store();
    accounts::create_user(store, &Policy::default(), "admin", None, PASSWORD, true).await?;
    let mut users = Vec::new();
    accounts::create_room(store, LIVE_ROOM, "Live").await?;
    accounts::create_room(store, HISTORY_ROOM, "History").await?;
    for i in 0..p.users {
        let name = format!("user{i:02}");
        accounts::create_user(
            store,
            &Policy::default(),
            &name,
            Some(&format!("{name}@example.org")),
            PASSWORD,
            false,
        )
        .await?;
        accounts::add_member(store, LIVE_ROOM, &name, None).await?;
        accounts::add_member(store, HISTORY_ROOM, &name, None).await?;
        users.push(name);
    }
    let extra: Vec<String> = (1..=EXTRA_ROOMS).map(|i| format!("room{i:02}")).collect();
    for slug in &extra {
        accounts::create_room(store, slug, &format!("Room {slug}")).await?;
        for name in &users {
            accounts::add_member(store, slug, name, None).await?;
        }
    }
    store.close().await;
    drop(app);

    use sqlx::Row;
    let pool = open_db(dir).await?;
    let mut tx = pool.begin().await?;
    let first_user: i64 = sqlx::query(
        "SELECT MIN(id), MAX(id) - MIN(id) + 1, COUNT(*) FROM users WHERE NOT is_admin",
    )
    .fetch_one(&mut *tx)
    .await
    .and_then(|r| {
        let (min, span, count): (i64, i64, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        Ok(if span == count { min } else { -1 })
    })?;
    ensure!(first_user > 0, "seeded user ids are not contiguous");
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    // A short live room first, then the long history, then the rooms of (h).
    let mut ranges = Vec::new();
    let rooms = [(LIVE_ROOM, 200_i64), (HISTORY_ROOM, p.history)]
        .into_iter()
        .chain(extra.iter().map(|s| (s.as_str(), 100)));
    for (slug, count) in rooms {
        let room_id: i64 = sqlx::query("SELECT id FROM rooms WHERE slug = $1")
            .bind(slug)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        sqlx::query(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $1) \
             INSERT INTO messages (room_id, seq, user_id, created_at, content, html) \
             SELECT $2, x, $3 + (x % $4), $5 - $1 + x, \
                    'Message ' || x || ' of the history: an ordinary line of chat, *seeded*.', \
                    '<p>Message ' || x || ' of the history: an ordinary line of chat, <em>seeded</em>.</p>' || char(10) \
             FROM n",
        )
        .bind(count)
        .bind(room_id)
        .bind(first_user)
        .bind(i64::try_from(p.users)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE rooms SET last_seq = $1 WHERE id = $2")
            .bind(count)
            .bind(room_id)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query("SELECT MIN(id), MAX(id) FROM messages WHERE room_id = $1")
            .bind(room_id)
            .fetch_one(&mut *tx)
            .await?;
        ranges.push((row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?));
    }
    // Members have read everything, except the second half of each room
    // of (h), where five messages mention each of them.
    sqlx::query(
        "UPDATE members SET read_seq = r.last_seq, \
         last_read = (SELECT MAX(id) FROM messages m WHERE m.room_id = r.id) \
         FROM rooms r WHERE r.id = members.room_id",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE members SET read_seq = 50, last_read = m.id FROM rooms r, messages m \
         WHERE r.id = members.room_id AND r.slug LIKE 'room%' AND m.room_id = r.id AND m.seq = 50",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO mentions (user_id, room_id, message_id) \
         SELECT mb.user_id, m.room_id, m.id FROM members mb \
         JOIN rooms r ON r.id = mb.room_id AND r.slug LIKE 'room%' \
         JOIN messages m ON m.room_id = r.id AND m.seq IN (60, 70, 80, 90, 100)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(Seeded {
        users,
        live_last: ranges[0].1,
        history_first: ranges[1].0,
        history_last: ranges[1].1,
    })
}

/// Logs in as a browser would: the login form for a session and token,
/// the form post, then the index for the rotated token.
pub async fn login(addr: SocketAddr, username: &str) -> Result<Auth> {
    let base = format!("http://{addr}/");
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = client
        .get(format!("{base}login/"))
        .send()
        .await?
        .text()
        .await?;
    let token = csrf_in(&form).context("the login form has no CSRF token")?;
    let answer = client
        .post(format!("{base}login/"))
        .form(&[
            ("csrfmiddlewaretoken", token.as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    ensure!(
        answer.status() == reqwest::StatusCode::SEE_OTHER,
        "login of {username} answered {}",
        answer.status()
    );
    let index = client.get(&base).send().await?.text().await?;
    let csrf = csrf_in(&index).context("the index has no CSRF token")?;
    use reqwest::cookie::CookieStore;
    let cookie = jar
        .cookies(&base.parse()?)
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .context("no session cookie after login")?;
    Ok(Auth { cookie, csrf })
}

fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrfmiddlewaretoken\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// The benchmark's own connection to the server's database file.
pub async fn open_db(dir: &Path) -> Result<sqlx::SqlitePool> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(dir.join("conversate.db"))
                .journal_mode(SqliteJournalMode::Wal),
        )
        .await?)
}
