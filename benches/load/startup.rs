//! (f) Cold start and idle memory: the time from spawning a process to its
//! first `200` from `GET /health`, the ceiling and the real server in turn on
//! the seeded data directory, each stopped with SIGTERM; and the server's RSS
//! when idle, read by the run (`main.rs`) after start and after login.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use crate::ceiling::start_ceiling;
use crate::server::start_server;
use crate::stats::{median, mib, thousands};
use crate::{Params, Results};

/// Starts and stops the ceiling and the real server `runs` times each, in
/// turn; returns their times to a first answer (ceiling, server). `work`
/// holds the ceiling's logs.
pub async fn cold_starts(
    dir: &Path,
    work: &Path,
    runs: usize,
) -> Result<(Vec<Duration>, Vec<Duration>)> {
    let mut ceiling = Vec::with_capacity(runs);
    let mut conversate = Vec::with_capacity(runs);
    // The first start after the kill recovers the WAL; it is not counted.
    let (mut server, _) = start_server(dir, &[], "server-recover.log").await?;
    server.terminate().await?;
    for i in 0..runs {
        let (mut c, ready) = start_ceiling(work.join(format!("ceiling-{i}.log"))).await?;
        ceiling.push(ready);
        c.terminate().await?;
        let (mut server, ready) = start_server(dir, &[], &format!("server-cold-{i}.log")).await?;
        conversate.push(ready);
        server.terminate().await?;
    }
    Ok((ceiling, conversate))
}

/// The report's section (f).
pub fn section(o: &mut String, p: &Params, r: &Results) {
    let history = thousands(p.history);
    let cold = median(&r.cold);
    let ceiling_cold = median(&r.ceiling_cold);
    let _ = writeln!(o, "## (f) Cold start and memory\n");
    let _ = writeln!(
        o,
        "Cold start: from spawning the process to the first `200` from `GET /health` (polled \
         every millisecond), on the seeded data directory ({history} messages), {} runs, each \
         stopped with SIGTERM. The operating system's file cache is warm.\n",
        p.cold_runs
    );
    let fmt_ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e3);
    let min_max = |v: &[Duration]| {
        let min = v.iter().min().copied().unwrap_or_default();
        let max = v.iter().max().copied().unwrap_or_default();
        (fmt_ms(min), fmt_ms(max))
    };
    let (cmin, cmax) = min_max(&r.cold);
    let (kmin, kmax) = min_max(&r.ceiling_cold);
    let _ = writeln!(o, "| | median ms | min ms | max ms |\n|---|---|---|---|");
    let _ = writeln!(o, "| conversate | {} | {cmin} | {cmax} |", fmt_ms(cold));
    let _ = writeln!(
        o,
        "| ceiling | {} | {kmin} | {kmax} |\n",
        fmt_ms(ceiling_cold)
    );
    let _ = writeln!(o, "| memory | conversate | ceiling |\n|---|---|---|");
    let _ = writeln!(
        o,
        "| idle RSS (started, {} members logged in, no load) | {} | {} |",
        p.users,
        mib(r.idle_rss_kib),
        mib(r.ceiling_idle_rss_kib)
    );
    let _ = writeln!(
        o,
        "| of which the process's own (`RssAnon`) | {} | {} |",
        mib(r.idle_rss_split_kib.0),
        mib(r.ceiling_idle_rss_split_kib.0)
    );
    let _ = writeln!(
        o,
        "| of which pages of its executable and libraries (`RssFile`, shared with the page cache) | {} | {} |",
        mib(r.idle_rss_split_kib.1),
        mib(r.ceiling_idle_rss_split_kib.1)
    );
    let _ = writeln!(
        o,
        "| RSS just after start, before any login | {} | |",
        mib(r.started_rss_kib)
    );
    let _ = writeln!(
        o,
        "| RSS after (a) and (d) | {} | |\n",
        mib(r.rss_after_load_kib)
    );
    let _ = writeln!(
        o,
        "Also: seeding took {:.1} s; the first start on the new database answered after {:.1} ms.\n",
        r.seed_time.as_secs_f64(),
        r.first_start.as_secs_f64() * 1e3
    );
}
