//! The report: the machine, the method, the targets table and each step's
//! section, printed, and written to BENCHMARKS.md by a full run (keeping the
//! hand-written findings of the previous one), with the soak's picture.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use crate::process::cores;
use crate::server::Seeded;
use crate::stats::{at, median, mib, ms, rate_at, thousands};
use crate::{HISTORY_ROOM, LIVE_ROOM, Params, Results};
use crate::{
    catch_up, cluster, cold_paths, fanout, history, overview, polls, search, sends, soak,
    sse_memory, stalled, startup,
};

/// Prints the report; a full run writes it to BENCHMARKS.md and the soak's
/// picture to `docs/soak.svg`, a quick or custom one both to the temporary
/// directory.
pub fn publish(p: &Params, machine: &Machine, seeded: &Seeded, r: &Results) -> Result<()> {
    let full = !(p.quick || p.custom);
    let svg = match &r.soak {
        Some(s) => {
            let path = soak::write_svg(s, full)?;
            eprintln!("wrote {}", path.display());
            if full {
                soak::SVG.to_owned()
            } else {
                path.display().to_string()
            }
        }
        None => String::new(),
    };
    let report = report(p, machine, seeded, r, &svg);
    println!("{report}");
    if p.quick || p.custom {
        let path = std::env::temp_dir().join("conversate-benchmarks-quick.md");
        std::fs::write(&path, &report)?;
        eprintln!("wrote {} (BENCHMARKS.md is left alone)", path.display());
    } else {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
        // Keep the hand-written findings of an earlier run.
        let findings = std::fs::read_to_string(&path)
            .ok()
            .and_then(|old| old.find("\n## Findings").map(|i| old[i..].to_owned()))
            .unwrap_or_default();
        std::fs::write(&path, format!("{report}{findings}"))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The machine a run was measured on.
#[derive(Debug)]
pub struct Machine {
    cores: usize,
    cpu: String,
    memory: String,
    kernel: String,
    rustc: String,
    date: String,
    load: String,
    disk: String,
    pinned: bool,
}

impl Machine {
    /// Reads it from `/proc`, `rustc` and `date`.
    pub fn describe(pinned: bool) -> Self {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let output = |cmd: &str, args: &[&str]| {
            Command::new(cmd)
                .args(args)
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        };
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_default();
        let memory = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
            .unwrap_or_default();
        let temp = std::env::temp_dir();
        let disk = read("/proc/mounts")
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() > 2 && temp.starts_with(f[1])).then(|| {
                    (
                        f[1].len(),
                        format!("{} ({}, {})", temp.display(), f[2], f[0]),
                    )
                })
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, d)| d)
            .unwrap_or_default();
        Self {
            cores: cores(),
            cpu,
            memory,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            rustc: output("rustc", &["--version"]),
            date: output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            load: read("/proc/loadavg")
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            disk,
            pinned,
        }
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// The whole report, as Markdown; `svg` names the soak's picture.
fn report(p: &Params, m: &Machine, seeded: &Seeded, r: &Results, svg: &str) -> String {
    let mut o = String::new();
    let command = if p.quick {
        "cargo bench --bench load -- --quick"
    } else {
        "cargo bench --bench load"
    };
    let history = thousands(p.history);
    let _ = writeln!(o, "# Benchmarks\n");
    if p.quick || p.custom {
        let _ = writeln!(
            o,
            "**Quick run** (small sizes, short windows: a smoke test, not figures to quote).\n"
        );
    }
    let _ = writeln!(
        o,
        "Measured on {} with `{command}` (run from the repository root; it builds the \
         server with the release settings and writes this file and `{}`; `-- --quick` is \
         the version of under a minute CI runs, which leaves both alone).\n",
        m.date,
        soak::SVG
    );
    let _ = writeln!(o, "## Machine\n");
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| cores (`nproc`) | {} |", m.cores);
    let _ = writeln!(o, "| CPU | {} |", m.cpu);
    let _ = writeln!(o, "| memory | {} |", m.memory);
    let _ = writeln!(o, "| kernel | {} |", m.kernel);
    let _ = writeln!(o, "| compiler | {} |", m.rustc);
    let _ = writeln!(o, "| data directory | {} |", m.disk);
    let _ = writeln!(o, "| load average at start | {} |", m.load);
    let _ = writeln!(
        o,
        "| pinning | {} |\n",
        if m.pinned {
            "server and ceiling on core 0 (`taskset -c 0`), load generator on core 1"
        } else {
            "none (one core)"
        }
    );

    let _ = writeln!(o, "## Method\n");
    let _ = writeln!(
        o,
        "- **Server**: the real `conversate serve` binary (release settings), default \
         configuration (SQLite, WAL, `synchronous=FULL`), on a fresh data directory seeded \
         before it starts: {} members in room `{LIVE_ROOM}` (200 messages) and room \
         `{HISTORY_ROOM}` holding {history} messages (written straight into the SQLite file \
         in one transaction, message ids {}–{}).",
        p.users, seeded.history_first, seeded.history_last
    );
    let _ = writeln!(
        o,
        "- **Ceiling**: a minimal axum server (the benchmark executable re-invoked) answering \
         every POST with the fixed body `{{\"success\":true}}` and `GET /bytes/N` with N fixed \
         bytes from memory (the room page's size, for (d)), with an SSE endpoint fed by one \
         `tokio::sync::broadcast` channel; same machine, same core, same client, same requests."
    );
    let _ = writeln!(
        o,
        "- **Load generator**: the benchmark's own client on one tokio thread: keep-alive \
         HTTP/1.1 connections, each sending its next request when the previous answer is \
         read (closed loop), {:.1} s warm-up then {:.0} s measured per figure; every latency \
         is kept and percentiles are exact. Requests carry a real session cookie and \
         `X-CSRFToken`; connections are spread over the {} logged-in members.",
        p.warmup.as_secs_f64(),
        p.duration.as_secs_f64(),
        p.users
    );
    let _ = writeln!(
        o,
        "- **Soak** (l): every kind of request at once, **open loop** (each kind's requests \
         start at a fixed rate whatever the answers do), for {} at half of what the \
         server can do with the mix, after a few seconds closed loop per kind to find its \
         capacity.",
        soak::length(p.soak.duration)
    );
    let _ = writeln!(
        o,
        "- **Memory** is the server's `VmRSS` from `/proc/PID/status`.\n"
    );

    targets(&mut o, p, r);
    polls::section(&mut o, r);
    sends::section(&mut o, p, r);
    fanout::section(&mut o, p, r);
    history::section(&mut o, p, r);
    catch_up::section(&mut o, p, r);
    overview::section(&mut o, p, r);
    search::section(&mut o, p, r);
    sse_memory::section(&mut o, r);
    startup::section(&mut o, p, r);
    cold_paths::section(&mut o, p, r);
    stalled::section(&mut o, r);
    cluster::section(&mut o, p, r);
    soak::section(&mut o, r, svg);
    o
}

/// The targets table: each figure against its target and the ceiling.
fn targets(o: &mut String, p: &Params, r: &Results) {
    let history = thousands(p.history);
    let poll64 = at(&r.poll, 64).rate();
    let ceil64 = rate_at(&r.ceiling_poll, 64);
    let page1 = at(&r.page, 1);
    let hist1 = at(&r.history, 1);
    let cold = median(&r.cold);
    let ceiling_cold = median(&r.ceiling_cold);
    let _ = writeln!(o, "## Targets\n");
    let _ = writeln!(
        o,
        "| what | target | conversate | ceiling | verdict |\n|---|---|---|---|---|"
    );
    // Round two's bars (issue 25) where it raised round one's: the poll
    // with read state, sends with search, mentions and read state (all on
    // by default), the room page's p99.
    let _ = writeln!(
        o,
        "| (a) poll throughput, concurrency 64, read state on | ≥ 60% of ceiling | {poll64:.0} req/s ({:.0}%) | {ceil64:.0} req/s | {} |",
        100.0 * poll64 / ceil64,
        verdict(poll64 >= 0.6 * ceil64)
    );
    let _ = writeln!(
        o,
        "| (b) durable sends, 16 senders, `synchronous=FULL`, search, mentions and read state on | ≥ 8,000 msg/s | {:.0} msg/s | {:.0} req/s | {} |",
        r.send_full.rate,
        rate_at(&r.ceiling_poll, 16),
        verdict(r.send_full.rate >= 8_000.0)
    );
    fanout_targets(o, r);
    let ceil1 = at(&r.ceiling_poll, 1);
    let page_ceiling1 = at(&r.ceiling_page, 1);
    let page16 = at(&r.page, 16).rate();
    let _ = writeln!(
        o,
        "| (d) room page at {history} messages, p99 | < 5 ms | {} ms | {} ms | {} |",
        ms(page1.pct_ms(99.0)),
        ms(page_ceiling1.pct_ms(99.0)),
        verdict(page1.pct_ms(99.0) < 5.0)
    );
    let _ = writeln!(
        o,
        "| (d) room page, concurrency 1, p50 | < 0.5 ms | {} ms | {} ms | {} |",
        ms(page1.pct_ms(50.0)),
        ms(page_ceiling1.pct_ms(50.0)),
        verdict(page1.pct_ms(50.0) < 0.5)
    );
    let _ = writeln!(
        o,
        "| (d) room page, concurrency 16 | ≥ 5,000 req/s | {page16:.0} req/s | {:.0} req/s | {} |",
        rate_at(&r.ceiling_page, 16),
        verdict(page16 >= 5_000.0)
    );
    let history16 = at(&r.history, 16).rate();
    let _ = writeln!(
        o,
        "| (d) `api/history/`, concurrency 16 | ≥ 8,000 req/s | {history16:.0} req/s | {:.0} req/s | {} |",
        rate_at(&r.ceiling_poll, 16),
        verdict(history16 >= 8_000.0)
    );
    let _ = writeln!(
        o,
        "| (d) `api/history/` at {history} messages, p99 | < 10 ms | {} ms | {} ms | {} |",
        ms(hist1.pct_ms(99.0)),
        ms(ceil1.pct_ms(99.0)),
        verdict(hist1.pct_ms(99.0) < 10.0)
    );
    let overview1 = at(&r.overview, 1);
    let _ = writeln!(
        o,
        "| (i) administrator's overview at {history} messages, p99 | < 50 ms | {} ms | {} ms | {} |",
        ms(overview1.pct_ms(99.0)),
        ms(ceil1.pct_ms(99.0)),
        verdict(overview1.pct_ms(99.0) < 50.0)
    );
    let spread1 = at(&r.overview_spread, 1);
    let _ = writeln!(
        o,
        "| (i) the same, spread over 50 rooms and 90 days, p99 | < 50 ms | {} ms | {} ms | {} |",
        ms(spread1.pct_ms(99.0)),
        ms(ceil1.pct_ms(99.0)),
        verdict(spread1.pct_ms(99.0) < 50.0)
    );
    let _ = writeln!(
        o,
        "| idle server RSS (started, members logged in) | < 30 MiB | {} | {} | {} |",
        mib(r.idle_rss_kib),
        mib(r.ceiling_idle_rss_kib),
        verdict(r.idle_rss_kib < 30 * 1024)
    );
    catch_up::targets(o, r, verdict);
    search::targets(o, p, r, verdict);
    cluster::targets(o, r, verdict);
    let per_download = r.stalled.kib_per_download();
    let _ = writeln!(
        o,
        "| (g) server memory per download whose client stopped reading | ≤ 256 KiB | {per_download:.0} KiB | | {} |",
        verdict(per_download <= 256.0)
    );
    let _ = writeln!(
        o,
        "| (f) cold start to first answer, median | < 200 ms | {:.1} ms | {:.1} ms | {} |",
        cold.as_secs_f64() * 1e3,
        ceiling_cold.as_secs_f64() * 1e3,
        verdict(cold < Duration::from_millis(200))
    );
    cold_paths::targets(o, p, r, verdict);
    soak::targets(o, r, verdict);
    let _ = writeln!(o);
}

/// The fan-out rows of the targets table: every N of 10,000 or more (the
/// biggest alone in a quick run), each against its own targets: 250 ms and
/// 16 KiB for a crowd of 10,000, 2 s and 12 KiB for 100,000 on one node.
pub fn fanout_targets(o: &mut String, r: &Results) {
    let biggest = r.fanout.iter().map(|f| f.clients).max().unwrap_or(0);
    for (f, c) in r.fanout.iter().zip(&r.ceiling_fanout) {
        if f.clients < 10_000 && f.clients != biggest {
            continue;
        }
        // The crowd measured in place of a bigger one is held to its targets.
        let wanted = r
            .fanout_wanted
            .filter(|_| f.clients == biggest)
            .map_or(f.clients, |(wanted, _)| wanted);
        let (p99_ms, kib) = if wanted >= 100_000 {
            (2_000.0, 12.0)
        } else {
            (250.0, 16.0)
        };
        let mut clients = thousands(i64::try_from(f.clients).unwrap_or(0));
        if let Some((wanted, limit)) = r.fanout_wanted.filter(|_| f.clients == biggest) {
            let _ = writeln!(
                o,
                "| (c) one message to {} SSE clients on one node | < 2 s, ≤ 12 KiB each | not measurable here: the machine's hard limit on open files is {} | | **blocked** |",
                thousands(i64::try_from(wanted).unwrap_or(0)),
                thousands(i64::try_from(limit).unwrap_or(0)),
            );
            clients = format!("{clients} (the most the limit allows)");
        }
        let _ = writeln!(
            o,
            "| (c) one message to {clients} SSE clients, p99 | < {} | {} ms | {} ms | {} |",
            if p99_ms >= 1_000.0 {
                format!("{:.0} s", p99_ms / 1e3)
            } else {
                format!("{p99_ms:.0} ms")
            },
            ms(f.delivery.pct_ms(99.0)),
            ms(c.delivery.pct_ms(99.0)),
            verdict(f.delivery.pct_ms(99.0) < p99_ms)
        );
        let _ = writeln!(
            o,
            "| (c/e) server memory per SSE connection ({clients} clients) | ≤ {kib:.0} KiB | {:.1} KiB | {:.1} KiB | {} |",
            f.kib_per_client(),
            c.kib_per_client(),
            verdict(f.kib_per_client() <= kib)
        );
    }
}
