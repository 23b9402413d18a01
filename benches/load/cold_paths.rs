//! (f) Cold paths on the database of (d) (1,000,000 messages in a full
//! run): the first room page and the first `api/history/` of a freshly
//! started process, timed from its first healthy answer, with a session
//! made earlier (sessions live in the database, so no login is part of
//! it); `conversate backup` of the data directory with the server stopped
//! and beside a running one; and `conversate search rebuild`, beside a
//! running server here and with it stopped in (j).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use crate::closed_loop::{is_page, is_success};
use crate::http::{Auth, Conn, get_request, post_request};
use crate::process::cores;
use crate::server::{Seeded, server_binary, start_server};
use crate::stats::{median, mib, thousands};
use crate::{HISTORY_ROOM, PAGE_SIZE, Params, Results};

/// The first requests of a fresh process must answer within this.
pub const FIRST_ANSWER_TARGET: Duration = Duration::from_millis(50);

/// What the cold paths measured.
#[derive(Debug, Default)]
pub struct ColdPaths {
    /// Per run: the first `GET /history/`, from the first healthy answer.
    pub first_page: Vec<Duration>,
    /// Per run: the first `POST /history/api/history/`.
    pub first_history: Vec<Duration>,
    pub backup_stopped: Backup,
    pub backup_running: Backup,
    /// The database file (and its WAL) backed up.
    pub database_bytes: u64,
    /// `conversate search rebuild` beside the idle running server.
    pub rebuild_running: Duration,
}

/// One `conversate backup`.
#[derive(Debug, Default)]
pub struct Backup {
    pub took: Duration,
    /// The whole backup directory, and the database copy in it.
    pub bytes: u64,
    pub database_bytes: u64,
    /// The files copied.
    pub files: usize,
}

/// Measures the cold paths on `dir` (no server running on it), as the
/// member `auth`; `work` holds the backups while they are measured.
pub async fn measure(
    dir: &Path,
    work: &Path,
    auth: &Auth,
    seeded: &Seeded,
    runs: usize,
) -> Result<ColdPaths> {
    let mut c = ColdPaths::default();
    // The api/history/ a reader scrolling up from the newest page asks for.
    let first = seeded.history_last - PAGE_SIZE + 1;
    let history_body = format!("first={first}");
    for i in 0..runs {
        c.first_page.push(
            first_answer(
                dir,
                &format!("server-first-page-{i}.log"),
                |addr| get_request(addr, &format!("/{HISTORY_ROOM}/"), Some(auth)),
                is_page,
            )
            .await?,
        );
        c.first_history.push(
            first_answer(
                dir,
                &format!("server-first-history-{i}.log"),
                |addr| {
                    post_request(
                        addr,
                        &format!("/{HISTORY_ROOM}/api/history/"),
                        auth,
                        &history_body,
                    )
                },
                is_success,
            )
            .await?,
        );
    }
    c.database_bytes = ["conversate.db", "conversate.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    c.backup_stopped = backup(dir, &work.join("backup-stopped")).await?;
    let (mut server, _) = start_server(dir, &[], "server-backup.log").await?;
    c.backup_running = backup(dir, &work.join("backup-running")).await?;
    (c.rebuild_running, _) = conversate(dir, &["search".as_ref(), "rebuild".as_ref()]).await?;
    server.check_alive()?;
    server.terminate().await?;
    Ok(c)
}

/// Starts the server on `dir` and times its first answer to the request
/// `make` builds, from the moment `/health` first answered; `check` judges
/// the answer's body.
async fn first_answer(
    dir: &Path,
    log: &str,
    make: impl FnOnce(std::net::SocketAddr) -> Vec<u8>,
    check: fn(&[u8]) -> bool,
) -> Result<Duration> {
    let (mut server, _) = start_server(dir, &[], log).await?;
    let request = make(server.addr);
    let started = Instant::now();
    let mut conn = Conn::connect(server.addr).await?;
    let status = conn.exchange(&request).await?;
    let took = started.elapsed();
    ensure!(
        status == 200 && check(&conn.body),
        "the first answer was {status}: {}",
        conn.body_text()
    );
    server.terminate().await?;
    Ok(took)
}

/// Runs `conversate --data-dir DIR ARGS…` (the release binary, pinned like
/// the server, with the product's default settings) and answers how long it
/// took and what it printed; an error when it failed.
pub async fn conversate(dir: &Path, args: &[&std::ffi::OsStr]) -> Result<(Duration, String)> {
    let binary = server_binary()?;
    let mut command = if cores() >= 2 {
        let mut c = tokio::process::Command::new("taskset");
        c.arg("-c").arg("0").arg(&binary);
        c
    } else {
        tokio::process::Command::new(&binary)
    };
    command.arg("--data-dir").arg(dir).args(args);
    // The product's defaults, whatever the caller's shell says.
    for (key, _) in std::env::vars() {
        if key.starts_with("CONVERSATE_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    let started = Instant::now();
    let output = command
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {} {args:?}", binary.display()))?;
    let took = started.elapsed();
    ensure!(
        output.status.success(),
        "conversate {args:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok((took, String::from_utf8_lossy(&output.stdout).into_owned()))
}

/// Runs `conversate backup OUT` on `dir` and measures it and what it
/// wrote; then removes the backup.
async fn backup(dir: &Path, out: &Path) -> Result<Backup> {
    let (took, _) = conversate(dir, &["backup".as_ref(), out.as_os_str()]).await?;
    ensure!(
        out.join("MANIFEST.json").exists(),
        "the backup has no MANIFEST.json"
    );
    let files_dir = out.join("files");
    let b = Backup {
        took,
        bytes: tree_bytes(out)?,
        database_bytes: std::fs::metadata(out.join("conversate.db"))?.len(),
        files: count_files(&files_dir)?,
    };
    std::fs::remove_dir_all(out)?;
    Ok(b)
}

/// Bytes of every file below `dir`.
fn tree_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in walk(dir)? {
        total += std::fs::metadata(&entry)?.len();
    }
    Ok(total)
}

fn count_files(dir: &Path) -> Result<usize> {
    if !dir.exists() {
        return Ok(0);
    }
    Ok(walk(dir)?.len())
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                pending.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    Ok(files)
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// The report's part of (f) on the cold paths.
pub fn section(o: &mut String, p: &Params, r: &Results) {
    let c = &r.cold_paths;
    let history = thousands(p.history);
    let _ = writeln!(
        o,
        "## (f) After a restart: the first page, a backup, the search index\n"
    );
    let _ = writeln!(
        o,
        "A fresh process on the seeded data directory ({history} messages in room \
         `{HISTORY_ROOM}`), and as soon as `GET /health` first answers `200`, one request as \
         a member whose session was made by an earlier process (sessions live in the \
         database): the room page, or, on another fresh process, the `api/history/` page a \
         reader scrolling up from the newest page asks for. Timed from the healthy answer to \
         the whole answer, a new connection included; {} runs each, every process stopped \
         with SIGTERM. The operating system's file cache is warm, as after a restart of the \
         server.\n",
        c.first_page.len()
    );
    let _ = writeln!(
        o,
        "| first request | median ms | min ms | max ms |\n|---|---|---|---|"
    );
    for (name, v) in [
        (format!("`GET /{HISTORY_ROOM}/`"), &c.first_page),
        (
            format!("`POST /{HISTORY_ROOM}/api/history/`"),
            &c.first_history,
        ),
    ] {
        let min = v.iter().min().copied().unwrap_or_default();
        let max = v.iter().max().copied().unwrap_or_default();
        let _ = writeln!(
            o,
            "| {name} | {} | {} | {} |",
            fmt_ms(median(v)),
            fmt_ms(min),
            fmt_ms(max)
        );
    }
    let _ = writeln!(
        o,
        "\n`conversate backup OUT` (the release binary, pinned to the server's core) of the \
         same data directory, whose database file takes {}: once with no server running, \
         once beside an idle running server. It copies the database with SQLite's \
         `VACUUM INTO` and the files its messages name.\n",
        mib(c.database_bytes / 1024)
    );
    let _ = writeln!(
        o,
        "| backup | took | backup size | of which the database | files |\n|---|---|---|---|---|"
    );
    for (name, b) in [
        ("server stopped", &c.backup_stopped),
        ("server running", &c.backup_running),
    ] {
        let _ = writeln!(
            o,
            "| {name} | {:.2} s | {} | {} | {} |",
            b.took.as_secs_f64(),
            mib(b.bytes / 1024),
            mib(b.database_bytes / 1024),
            b.files
        );
    }
    let _ = writeln!(
        o,
        "\nThe search index: `conversate search rebuild` (FTS5's `rebuild` of every message, \
         then its segments merged into one, in one transaction) indexed {} messages in {:.2} s \
         with the server stopped, as in (j), and in {:.2} s beside the idle running server.\n",
        thousands(r.search.messages),
        r.search.build.as_secs_f64(),
        c.rebuild_running.as_secs_f64()
    );
}

/// The target rows of the cold paths.
pub fn targets(o: &mut String, p: &Params, r: &Results, verdict: fn(bool) -> &'static str) {
    let c = &r.cold_paths;
    let history = thousands(p.history);
    for (name, v) in [
        ("room page", &c.first_page),
        ("`api/history/`", &c.first_history),
    ] {
        let m = median(v);
        let _ = writeln!(
            o,
            "| (f) first {name} after a restart, {history} messages, median | < {} ms | {} ms | | {} |",
            FIRST_ANSWER_TARGET.as_millis(),
            fmt_ms(m),
            verdict(!v.is_empty() && m < FIRST_ANSWER_TARGET)
        );
    }
}
