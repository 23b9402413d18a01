//! The soak's section of the report and its rows in the targets table.

use std::fmt::Write as _;
use std::time::Duration;

use super::drive::{self, OP_TIMEOUT};
use super::record::{KINDS, Kind};
use super::verdicts::{CpuUse, to_u32};
use super::{LOAD, P99_RATIO_LIMIT, POLL_ROOM, RSS_GROWTH_LIMIT, load};
use crate::stats::{mib, ms};
use crate::{LIVE_ROOM, Results};

/// Milliseconds, or a dash for a period without answers.
pub fn ms_or_dash(v: f64) -> String {
    if v.is_finite() {
        ms(v)
    } else {
        "–".to_owned()
    }
}

/// Seconds, with a decimal only when it has one.
pub fn secs(d: Duration) -> String {
    let s = format!("{:.1}", d.as_secs_f64());
    s.strip_suffix(".0")
        .map_or_else(|| s.clone(), str::to_owned)
}

/// A run's length in words: `30 minutes`, `10 seconds`.
pub fn length(d: Duration) -> String {
    if d >= Duration::from_secs(60) {
        format!("{} minutes", secs(d / 60))
    } else {
        format!("{} seconds", secs(d))
    }
}

/// `m:ss` into the run.
fn clock(d: Duration) -> String {
    let secs = d.as_secs_f64().round() as u64;
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// What each kind is, for the section's table.
fn request(kind: Kind) -> String {
    match kind {
        Kind::Stream => format!("a message's arrival on `GET /{LIVE_ROOM}/api/events/`"),
        Kind::Reconnect => "`GET …/api/events/` again, with `Last-Event-ID`".to_owned(),
        Kind::Poll => format!("`POST /{POLL_ROOM}/api/poll/`, nothing new"),
        Kind::Send => format!("`POST /{LIVE_ROOM}/api/send/`"),
        Kind::Upload => format!(
            "`POST /{LIVE_ROOM}/api/send/` with a {} KiB file",
            load::UPLOAD_BYTES / 1024
        ),
        Kind::Search => "`GET /api/search/?q=…`".to_owned(),
        Kind::Login => "form login: form, post, index".to_owned(),
    }
}

/// The report's section (l); `svg` is how the section names the picture.
pub fn section(o: &mut String, r: &Results, svg: &str) {
    let Some(s) = &r.soak else {
        return;
    };
    let (ref_from, ref_to) = s.reference_window();
    let (fin_from, fin_to) = s.final_window();
    let window = |a: u32, b: u32| format!("{}–{}", clock(s.period * a), clock(s.period * b));
    let reference = window(ref_from, ref_to);
    let last = window(fin_from, fin_to);
    let settle = clock(s.settle());
    let _ = writeln!(
        o,
        "## (l) Soak: {} of mixed load at half capacity\n",
        length(s.duration)
    );
    let _ = writeln!(
        o,
        "A fresh server process on the same data directory. First each kind's capacity is \
         measured closed loop ({} s warm-up, then {} s, with the soak's streams already \
         open, so a send's capacity includes its fan-out). Every kind at half its own \
         capacity at once would ask the one server core for several times what it has, so \
         each kind has a share of the server (below) and runs at its capacity × its share × \
         one factor for all, found by {} trials of the whole mix of {} s each so that the \
         server uses {:.0}% of its core: {}; the soak ran at {:.3}. (The capacities alone \
         overstate it: closed loop, sixteen concurrent sends share their commits, which sends \
         arriving one by one do not.) Then every kind runs \
         at once, **open loop**: each kind's requests start at a fixed rate whatever the \
         answers do (a busy connection is never waited for: another is opened), so a slow \
         moment meets the same arrivals instead of thinning them. A latency runs from writing \
         the request to reading the whole answer (from when it was due, for a request that \
         found {} of its kind under way and waited for one to end); the load generator \
         started requests at most {} ms late. Over the run the server used {:.0}% of its core \
         and the load generator {:.0}% of its own (`/proc/PID/stat`).\n",
        secs(s.probe.0),
        secs(s.probe.1),
        s.trials.len(),
        secs(s.trial),
        LOAD * 100.0,
        s.trials
            .iter()
            .map(|(f, used)| format!("at {f:.3} it used {:.0}%", used * 100.0))
            .collect::<Vec<_>>()
            .join(", "),
        s.factor,
        drive::MAX_IN_FLIGHT,
        ms(s.lag_max.as_secs_f64() * 1e3),
        100.0 * s.cpu_share(CpuUse::Server, Duration::ZERO, s.duration),
        100.0 * s.cpu_share(CpuUse::Generator, Duration::ZERO, s.duration)
    );
    if s.trials.is_empty() {
        let _ = writeln!(
            o,
            "This run's rates were given (`--soak-rates`): no capacity or trial was \
             measured, so what the paragraph above says of them does not apply.\n"
        );
    }
    let _ = writeln!(
        o,
        "{} streams on `GET /{LIVE_ROOM}/api/events/`, spread over the members' sessions, stay \
         open for the whole run and time each message from the moment its send was written \
         (the message says when) to its arrival; {} more close and open again every {} s \
         with `Last-Event-ID`, timed from the request to their first event (in the table, a \
         stream's *done* counts arrivals, one per stream and message). Polls ask room \
         `{POLL_ROOM}` with its newest cursor, so nothing is new and the answer must hold no \
         message; sends are durable lines of text with a unique `client_id`; uploads send a \
         text file through the same address, as the page's file field does (multipart); \
         searches are the four queries of (j) in turn; a login is the whole form login a \
         browser makes on a new connection (the form for its token, the post answered `303`, \
         the index). Logins have a small share because each is an argon2 hash, tens of \
         milliseconds of the core, and a chat sees few (a session lasts weeks); even so, \
         {} logins in this run: enough to show whether logins leave memory behind.\n",
        s.streams,
        s.reconnecting,
        secs(s.reconnect_every),
        s.total(KINDS.iter().position(|k| *k == Kind::Login).unwrap_or(0))
            .0
    );
    let _ = writeln!(
        o,
        "Errors: any answer but `200` (`303` for a login's post), any connection error, no \
         answer within {} s, any stream the server closed, and any message acknowledged \
         during the run that did not reach every stream ({} messages acknowledged, {} \
         deliveries missed). Verdicts: **memory flat**: taking each period's RSS as the \
         median of its readings (a login holds argon2's 19 MiB while it hashes, and a \
         reading that falls on one is not growth), the median of the period medians over {last} \
         (where memory stayed; the last third, as for the p99s) is at most {:.0}% over the \
         period ending at {settle} (the end of the first sixth), and the highest period \
         median after {settle} is shown beside it (a minute in which the machine runs slow \
         queues requests and opens connections, memory that comes back; a leak stays); \
         **no errors**; \
         **p99 stable**: per kind, the median of the per-period p99s over {last} (the last \
         third) is at most {P99_RATIO_LIMIT:.0}× the median over {reference} (the second \
         sixth).\n",
        OP_TIMEOUT.as_secs(),
        s.acknowledged,
        s.missed,
        RSS_GROWTH_LIMIT * 100.0
    );
    let _ = writeln!(
        o,
        "| kind | request | capacity, closed loop | share | soak rate | done | errors | p99 ms {reference} | p99 ms {last} | ratio | slowest ms |\n\
         |---|---|---|---|---|---|---|---|---|---|---|"
    );
    for (k, kind) in KINDS.iter().enumerate() {
        let (capacity, share, rate) = match s.rates.iter().find(|r| r.kind == *kind) {
            Some(r) => (
                format!("{:.1}/s (concurrency {})", r.capacity, r.concurrency),
                format!("{:.0}%", r.share * 100.0),
                format!("{:.1}/s", r.rate),
            ),
            None if *kind == Kind::Stream => (
                String::new(),
                String::new(),
                format!("{} streams", s.streams),
            ),
            None => (
                String::new(),
                String::new(),
                format!(
                    "{:.1}/s ({} streams)",
                    s.reconnecting as f64 / s.reconnect_every.as_secs_f64(),
                    s.reconnecting
                ),
            ),
        };
        let (done, errors) = s.total(k);
        let (before, after, ratio) = s.p99_drift(k);
        let _ = writeln!(
            o,
            "| {} | {} | {capacity} | {share} | {rate} | {done} | {errors} | {} | {} | {} | {} |",
            kind.name(),
            request(*kind),
            ms_or_dash(before),
            ms_or_dash(after),
            if ratio.is_finite() {
                format!("{ratio:.2}")
            } else {
                "–".to_owned()
            },
            ms_or_dash(s.slowest(k))
        );
    }
    let _ = writeln!(o);
    let first = s.rss.first().map_or(0, |(_, k)| *k);
    let end = s.rss.last().map_or(0, |(_, k)| *k);
    let (highest, highest_at) = s.rss_max_after();
    let _ = writeln!(
        o,
        "| server RSS, read every {} s | first reading | median of the period ending at {settle} | median of the period medians over {last} | growth | highest period median after {settle} | highest reading | last reading |\n|---|---|---|---|---|---|---|---|",
        secs(s.rss_every)
    );
    let _ = writeln!(
        o,
        "| | {} | {} | {} | {:+.1}% | {} ({}) | {} | {} |\n",
        mib(first),
        mib(s.rss_settled_kib()),
        mib(s.rss_final_kib()),
        s.rss_growth() * 100.0,
        mib(highest),
        window(highest_at, highest_at + 1),
        mib(s.rss.iter().map(|(_, k)| *k).max().unwrap_or(0)),
        mib(end)
    );
    if !s.first_errors.is_empty() {
        let _ = writeln!(o, "The first errors:\n");
        for e in &s.first_errors {
            let _ = writeln!(o, "- `{}`", e.replace('`', "'").replace('\n', " "));
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "![The server's RSS over the run, and each kind's p99 per period]({svg})\n\n\
         The picture ([{svg}]({svg})) is drawn by the benchmark. Per period of {} s: the \
         share of a core the server used, the share of the server's core that other processes \
         used and that the hypervisor took from it (`/proc/stat`'s steal: a slow minute with \
         steal is the machine's), the share of its own core the load generator used, and each \
         kind's p50 / p99 ms (and how many):\n",
        secs(s.period)
    );
    let names: Vec<&str> = KINDS.iter().map(|k| k.name()).collect();
    let _ = writeln!(
        o,
        "| period | RSS (median) | server CPU | others on its core | stolen from its core | load generator CPU | {} | errors |\n|---|---|---|---|---|---|{}---|",
        names.join(" | "),
        "---|".repeat(KINDS.len())
    );
    for (i, p) in s.periods.iter().enumerate() {
        let i = to_u32(i);
        let until = s.period * (i + 1);
        let rss = s.rss_median_kib(i).unwrap_or(0);
        let cells: Vec<String> = p
            .iter()
            .map(|k| {
                if k.count == 0 {
                    "–".to_owned()
                } else {
                    format!("{} / {} ({})", ms(k.p50_ms), ms(k.p99_ms), k.count)
                }
            })
            .collect();
        let errors: u64 = p.iter().map(|k| k.errors).sum();
        let _ = writeln!(
            o,
            "| {} | {} | {:.0}% | {:.1}% | {:.1}% | {:.0}% | {} | {errors} |",
            window(i, i + 1),
            mib(rss),
            100.0 * s.cpu_share(CpuUse::Server, s.period * i, until),
            100.0 * s.cpu_share(CpuUse::OthersOnServerCore, s.period * i, until),
            100.0 * s.cpu_share(CpuUse::StolenFromServerCore, s.period * i, until),
            100.0 * s.cpu_share(CpuUse::Generator, s.period * i, until),
            cells.join(" | ")
        );
    }
    let _ = writeln!(o);
}

/// The target rows of (l).
pub fn targets(o: &mut String, r: &Results, verdict: fn(bool) -> &'static str) {
    let Some(s) = &r.soak else {
        return;
    };
    let settle = clock(s.settle());
    let growth = s.rss_growth();
    let _ = writeln!(
        o,
        "| (l) soak at half capacity, {}: RSS growth after {settle} (period medians, the last third's over the one ending at {settle}) | < {:.0}% | {:+.1}% ({} → {}; highest period {}) | | {} |",
        clock(s.duration),
        RSS_GROWTH_LIMIT * 100.0,
        growth * 100.0,
        mib(s.rss_settled_kib()),
        mib(s.rss_final_kib()),
        mib(s.rss_max_after().0),
        verdict(growth < RSS_GROWTH_LIMIT)
    );
    let _ = writeln!(
        o,
        "| (l) soak: errors (answers, connections, messages a stream missed) | 0 | {} | | {} |",
        s.errors(),
        verdict(s.errors() == 0)
    );
    let (kind, ratio) = s.worst_drift();
    let _ = writeln!(
        o,
        "| (l) soak: p99 of the last third over the second sixth's, worst kind | ≤ {P99_RATIO_LIMIT:.0}× | {} | | {} |",
        if ratio.is_finite() {
            format!("{ratio:.2}× ({})", kind.name())
        } else {
            "–".to_owned()
        },
        verdict(ratio.is_finite() && ratio <= P99_RATIO_LIMIT)
    );
}
