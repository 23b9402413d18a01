//! (e) Server memory per idle SSE connection: the growth of the server's RSS
//! from just before N streams open to one second after the last has its
//! first event, divided by N. The readings are taken during each fan-out run
//! (`fanout.rs`), each on a freshly started process.

use std::fmt::Write as _;

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
}
