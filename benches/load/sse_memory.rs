//! (e) Server memory per idle SSE connection: the growth of the server's RSS
//! from just before N streams open to one second after the last has its
//! first event, divided by N. The readings are taken during each fan-out run
//! (`fanout.rs`), each on a freshly started process.

use std::fmt::Write as _;

use conversate::web::api::events::HEARTBEAT_SECS;

use crate::Results;
use crate::fanout::FanoutResult;
use crate::stats::{mib, thousands};

impl FanoutResult {
    /// RSS growth with the streams open, per stream.
    pub fn kib_per_client(&self) -> f64 {
        (self.rss_connected_kib as f64 - self.rss_before_kib as f64) / self.clients as f64
    }
}

/// The report's section (e).
pub fn section(o: &mut String, r: &Results) {
    let _ = writeln!(o, "## (e) Memory per idle SSE connection\n");
    let _ = writeln!(
        o,
        "Growth of the server's RSS from just before the N streams open to one second after \
         the last has its first event, divided by N, each N on a freshly started process \
         (no login in it: the sessions are in the database). Kernel socket buffers are not in \
         RSS.\n"
    );
    let _ = writeln!(
        o,
        "| N | RSS before | RSS with N streams | per connection | ceiling per connection |\n|---|---|---|---|---|"
    );
    for (f, c) in r.fanout.iter().zip(&r.ceiling_fanout) {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {:.1} KiB | {:.1} KiB |",
            thousands(i64::try_from(f.clients).unwrap_or(0)),
            mib(f.rss_before_kib),
            mib(f.rss_connected_kib),
            f.kib_per_client(),
            c.kib_per_client()
        );
    }
    let _ = writeln!(o);
    let watched: Vec<&FanoutResult> = r.fanout.iter().filter(|f| !f.idle_cpu.is_empty()).collect();
    if watched.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "Heartbeats: with the N streams open and nothing sent, the server's CPU use in each half \
         second, in percent of one core. Every stream sends a heartbeat every {} s, the first \
         at a random point between half a period and a period after it opens, so streams opened \
         together do not beat together.\n",
        HEARTBEAT_SECS
    );
    let _ = writeln!(
        o,
        "| N | watched | heartbeats a second | mean CPU | busiest half second | quietest half second |\n|---|---|---|---|---|---|"
    );
    for f in watched {
        let mean = f.idle_cpu.iter().sum::<f64>() / f.idle_cpu.len() as f64;
        let max = f.idle_cpu.iter().copied().fold(0.0, f64::max);
        let min = f.idle_cpu.iter().copied().fold(f64::INFINITY, f64::min);
        let _ = writeln!(
            o,
            "| {} | {:.1} s | {:.0} | {mean:.1}% | {max:.1}% | {min:.1}% |",
            thousands(i64::try_from(f.clients).unwrap_or(0)),
            f.idle_cpu.len() as f64 / 2.0,
            f.clients as f64 / HEARTBEAT_SECS as f64,
        );
    }
    let _ = writeln!(o);
}
